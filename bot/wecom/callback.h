// The WeCom callback endpoint, independent of the HTTP transport: GET URL verification and POST
// messages for the self-built app (XML, receive id = CorpID) and the intelligent robot (JSON,
// receive id ""), each with its own token and EncodingAESKey. A POST goes: envelope → signature
// → decrypt → receive id → timestamp window → plaintext → MsgId de-duplication, and is answered
// at once with an empty 200; the message is handed back for the caller to run asynchronously.
// Every refusal is one distinct warning (no secret, no plaintext) and a 4xx. Thread-safe: the
// handler may serve many requests at once (ReplayGuard locks its own state).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bot/wecom/crypto.h"
#include "bot/wecom/message.h"
#include "bot/wecom/replay_guard.h"

namespace beacon::bot::wecom {

struct CallbackConfig;

// What happened to one request, for tests, metrics and the log line.
enum class CallbackOutcome {
  kAccepted,          // POST: a new message (200, empty body)
  kVerified,          // GET: URL verification answered with the echostr plaintext (200)
  kDuplicate,         // POST: a message already accepted (200, empty: WeCom stops retrying)
  kMissingParameter,  // 400: msg_signature, timestamp, nonce (or echostr) absent
  kBodyTooLarge,      // 413
  kBadEnvelope,       // 400: not an XML/JSON envelope with Encrypt (-40002)
  kBadSignature,      // 401: -40001
  kUndecryptable,     // 400: -40010 / -40007 / -40008
  kWrongReceiveId,    // 403: -40005
  kBadTimestamp,      // 400: timestamp is not a number
  kStaleTimestamp,    // 403: outside max_clock_skew
  kBadMessage,        // 400: the plaintext is not a message (-40002)
};
std::string_view CallbackOutcomeName(CallbackOutcome outcome);  // "bad_signature", ...

struct CallbackReply {
  int status = 200;
  std::string body;  // GET: the echostr plaintext, no quotes, BOM or newline; POST: ""
  std::string content_type = "text/plain; charset=utf-8";
  CallbackOutcome outcome = CallbackOutcome::kAccepted;
  std::optional<InboundMessage> message;  // set for kAccepted only
};

class CallbackHandler {
 public:
  // At least one of app / robot. The robot's Crypto must have the empty receive id.
  CallbackHandler(std::optional<Crypto> app, std::optional<Crypto> robot, ReplayOptions replay);
  // From the parsed `bot.wecom` section (bot/wecom/callback_config.h); InvalidArgument naming
  // the key when neither channel is configured, IllegalAesKey for a key that is not one.
  static Result<std::unique_ptr<CallbackHandler>> Create(const CallbackConfig& config);

  // URL verification: `query` holds the decoded parameters (a '+' the transport decoded as a
  // space is put back: base64 has no spaces). The channel whose token signs the request
  // decrypts the echostr.
  CallbackReply HandleGet(const std::map<std::string, std::string>& query) const;
  // A message. now_ms is the wall clock for the timestamp window and the replay memory.
  CallbackReply HandlePost(const std::map<std::string, std::string>& query, std::string_view body,
                           int64_t now_ms);

 private:
  struct Opened {
    Channel channel = Channel::kApp;
    std::string plaintext;
  };
  // Tries the channels of `order` that are configured and whose token signs (timestamp, nonce,
  // encrypt); the first that decrypts wins. Otherwise the error of the last one tried
  // (ValidateSignature_Error when no token signs).
  Result<Opened> Open(std::initializer_list<Channel> order, std::string_view signature,
                      std::string_view timestamp, std::string_view nonce,
                      std::string_view encrypt) const;
  const Crypto* CryptoFor(Channel channel) const;

  std::optional<Crypto> app_;
  std::optional<Crypto> robot_;
  ReplayGuard replay_;
};

// Encrypted passive replies (the robot may answer in the HTTP response instead of through
// response_url): the plaintext encrypted with `random16`, signed over (token, timestamp, nonce,
// encrypt). The XML form is the SDK's template; the JSON form is
// {"encrypt","msgsignature","timestamp","nonce"}, all strings. GenReturnXml_Error when the
// timestamp is not decimal digits or the nonce would break the template.
Result<std::string> BuildEncryptedXmlReply(const Crypto& crypto, std::string_view plaintext,
                                           std::string_view timestamp, std::string_view nonce,
                                           std::string_view random16);
Result<std::string> BuildEncryptedJsonReply(const Crypto& crypto, std::string_view plaintext,
                                            std::string_view timestamp, std::string_view nonce,
                                            std::string_view random16);

}  // namespace beacon::bot::wecom
