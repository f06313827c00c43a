// CallbackHandler: the order of checks of a WeCom callback and the HTTP answer to each failure.
#include "bot/wecom/callback.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bot/wecom/callback_config.h"

namespace beacon::bot::wecom {
namespace {

struct OutcomeInfo {
  CallbackOutcome outcome;
  std::string_view name;
  int status;
};

constexpr OutcomeInfo kOutcomes[] = {
    {CallbackOutcome::kAccepted, "accepted", 200},
    {CallbackOutcome::kVerified, "verified", 200},
    {CallbackOutcome::kDuplicate, "duplicate", 200},
    {CallbackOutcome::kMissingParameter, "missing_parameter", 400},
    {CallbackOutcome::kBodyTooLarge, "body_too_large", 413},
    {CallbackOutcome::kBadEnvelope, "bad_envelope", 400},
    {CallbackOutcome::kBadSignature, "bad_signature", 401},
    {CallbackOutcome::kUndecryptable, "undecryptable", 400},
    {CallbackOutcome::kWrongReceiveId, "wrong_receive_id", 403},
    {CallbackOutcome::kBadTimestamp, "bad_timestamp", 400},
    {CallbackOutcome::kStaleTimestamp, "stale_timestamp", 403},
    {CallbackOutcome::kBadMessage, "bad_message", 400},
};

const OutcomeInfo& Info(CallbackOutcome outcome) {
  for (const OutcomeInfo& info : kOutcomes) {
    if (info.outcome == outcome) return info;
  }
  return kOutcomes[0];
}

// The answer to a refused request: its status, the outcome's name as the body (WeCom ignores
// it; a person testing with curl sees why) and one warning. Status messages carry no secrets.
CallbackReply Refuse(std::string_view method, CallbackOutcome outcome, std::string_view why) {
  const OutcomeInfo& info = Info(outcome);
  spdlog::warn("wecom callback: {} refused with {} ({}): {}", method, info.status, info.name, why);
  CallbackReply reply;
  reply.status = info.status;
  reply.outcome = outcome;
  reply.body = std::string(info.name);
  return reply;
}

CallbackOutcome OutcomeOfCryptoError(const Status& status) {
  switch (CryptoErrorOf(status)) {
    case CryptoError::kValidateSignature:
      return CallbackOutcome::kBadSignature;
    case CryptoError::kValidateReceiveId:
      return CallbackOutcome::kWrongReceiveId;
    default:
      return CallbackOutcome::kUndecryptable;
  }
}

std::string_view Param(const std::map<std::string, std::string>& query, const std::string& key) {
  auto it = query.find(key);
  return it == query.end() ? std::string_view() : std::string_view(it->second);
}

// The transport decodes '+' in a query as a space; base64 has no spaces, so every space was a '+'.
std::string RestorePlus(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), ' ', '+');
  return out;
}

Status CheckReplyFields(std::string_view timestamp, std::string_view nonce) {
  const bool digits =
      !timestamp.empty() &&
      std::all_of(timestamp.begin(), timestamp.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return CryptoStatus(CryptoError::kGenReturnXml, "timestamp is not decimal digits");
  const bool printable = std::all_of(nonce.begin(), nonce.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '<' && c != '>' && c != '&' && c != '"' && c != ']';
  });
  if (nonce.empty() || !printable) {
    return CryptoStatus(CryptoError::kGenReturnXml, "nonce must be printable ASCII");
  }
  return Status::Ok();
}

struct SignedCiphertext {
  std::string encrypt;
  std::string signature;
};

// What both passive reply forms carry: the plaintext encrypted and signed.
Result<SignedCiphertext> EncryptAndSign(const Crypto& crypto, std::string_view plaintext,
                                        std::string_view timestamp, std::string_view nonce,
                                        std::string_view random16) {
  BEACON_RETURN_IF_ERROR(CheckReplyFields(timestamp, nonce));
  BEACON_ASSIGN_OR_RETURN(std::string encrypt, crypto.Encrypt(plaintext, random16));
  std::string signature = crypto.Signature(timestamp, nonce, encrypt);
  return SignedCiphertext{std::move(encrypt), std::move(signature)};
}

}  // namespace

std::string_view CallbackOutcomeName(CallbackOutcome outcome) { return Info(outcome).name; }

CallbackHandler::CallbackHandler(std::optional<Crypto> app, std::optional<Crypto> robot,
                                 ReplayOptions replay)
    : app_(std::move(app)), robot_(std::move(robot)), replay_(replay) {}

Result<std::unique_ptr<CallbackHandler>> CallbackHandler::Create(const CallbackConfig& config) {
  std::optional<Crypto> app;
  std::optional<Crypto> robot;
  if (config.app_enabled) {
    BEACON_ASSIGN_OR_RETURN(
        Crypto crypto,
        Crypto::Create(config.token.value(), config.encoding_aes_key.value(), config.corp_id));
    app = std::move(crypto);
  }
  if (config.robot_enabled) {
    const config::Secret& token = config.robot_token.empty() ? config.token : config.robot_token;
    const config::Secret& key = config.robot_encoding_aes_key.empty()
                                    ? config.encoding_aes_key
                                    : config.robot_encoding_aes_key;
    BEACON_ASSIGN_OR_RETURN(Crypto crypto, Crypto::Create(token.value(), key.value(), ""));
    robot = std::move(crypto);
  }
  if (!app && !robot) {
    return Status::InvalidArgument(
        "bot.wecom: neither the app (corp_id) nor the robot (robot) is configured");
  }
  ReplayOptions replay;
  replay.max_clock_skew_ms = config.max_clock_skew_ms;
  return std::make_unique<CallbackHandler>(std::move(app), std::move(robot), replay);
}

const Crypto* CallbackHandler::CryptoFor(Channel channel) const {
  const std::optional<Crypto>& crypto = channel == Channel::kApp ? app_ : robot_;
  return crypto ? &*crypto : nullptr;
}

Result<CallbackHandler::Opened> CallbackHandler::Open(std::initializer_list<Channel> order,
                                                      std::string_view signature,
                                                      std::string_view timestamp,
                                                      std::string_view nonce,
                                                      std::string_view encrypt) const {
  Status last = CryptoStatus(CryptoError::kValidateSignature);
  for (Channel channel : order) {
    const Crypto* crypto = CryptoFor(channel);
    if (crypto == nullptr || !crypto->VerifySignature(signature, timestamp, nonce, encrypt)) {
      continue;
    }
    Result<Decrypted> decrypted = crypto->Decrypt(encrypt);
    if (decrypted.ok()) return Opened{channel, std::move(decrypted->msg)};
    last = decrypted.status().WithContext(ChannelName(channel));
  }
  return last;
}

CallbackReply CallbackHandler::HandleGet(const std::map<std::string, std::string>& query) const {
  const std::string_view signature = Param(query, "msg_signature");
  const std::string_view timestamp = Param(query, "timestamp");
  const std::string_view nonce = Param(query, "nonce");
  const std::string echostr = RestorePlus(Param(query, "echostr"));
  if (signature.empty() || timestamp.empty() || nonce.empty() || echostr.empty()) {
    return Refuse("GET", CallbackOutcome::kMissingParameter,
                  "URL verification needs msg_signature, timestamp, nonce and echostr");
  }
  Result<Opened> opened =
      Open({Channel::kApp, Channel::kRobot}, signature, timestamp, nonce, echostr);
  if (!opened.ok()) {
    return Refuse("GET", OutcomeOfCryptoError(opened.status()), opened.status().message());
  }
  spdlog::info("wecom callback: URL verification of the {} callback answered",
               ChannelName(opened->channel));
  CallbackReply reply;
  reply.outcome = CallbackOutcome::kVerified;
  reply.body = std::move(opened->plaintext);
  return reply;
}

CallbackReply CallbackHandler::HandlePost(const std::map<std::string, std::string>& query,
                                          std::string_view body, int64_t now_ms) {
  const std::string_view signature = Param(query, "msg_signature");
  const std::string_view timestamp = Param(query, "timestamp");
  const std::string_view nonce = Param(query, "nonce");
  if (signature.empty() || timestamp.empty() || nonce.empty()) {
    return Refuse("POST", CallbackOutcome::kMissingParameter,
                  "a message needs msg_signature, timestamp and nonce");
  }
  Result<Envelope> envelope = ParseEnvelope(body);
  if (!envelope.ok()) {
    const bool too_large = envelope.status().code() == StatusCode::kResourceExhausted;
    return Refuse("POST",
                  too_large ? CallbackOutcome::kBodyTooLarge : CallbackOutcome::kBadEnvelope,
                  envelope.status().message());
  }
  // XML is the app's; JSON is the robot's or a JSON-mode app's (the receive id tells them apart).
  Result<Opened> opened =
      envelope->format == EnvelopeFormat::kXml
          ? Open({Channel::kApp}, signature, timestamp, nonce, envelope->encrypt)
          : Open({Channel::kRobot, Channel::kApp}, signature, timestamp, nonce, envelope->encrypt);
  if (!opened.ok()) {
    return Refuse("POST", OutcomeOfCryptoError(opened.status()), opened.status().message());
  }
  if (Status fresh = replay_.CheckTimestamp(timestamp, now_ms); !fresh.ok()) {
    return Refuse("POST",
                  fresh.code() == StatusCode::kPermissionDenied ? CallbackOutcome::kStaleTimestamp
                                                                : CallbackOutcome::kBadTimestamp,
                  fresh.message());
  }
  Result<InboundMessage> message = opened->channel == Channel::kApp
                                       ? ParseAppMessage(opened->plaintext)
                                       : ParseRobotMessage(opened->plaintext);
  if (!message.ok()) {
    return Refuse("POST", CallbackOutcome::kBadMessage,
                  message.status().WithContext(ChannelName(opened->channel)).message());
  }
  CallbackReply reply;
  const std::string key = message->DedupKey();
  if (!replay_.FirstSeen(key, now_ms)) {
    // 200 rather than 4xx: a repeat is most often WeCom retrying a callback whose answer it
    // missed, and only a 200 stops the retries. The message is not handed on again.
    spdlog::info("wecom callback: POST {} answered 200 without running it again (duplicate)", key);
    reply.outcome = CallbackOutcome::kDuplicate;
    return reply;
  }
  spdlog::debug("wecom callback: {} message {} from {} accepted", ChannelName(message->channel),
                key, message->from_user);
  reply.outcome = CallbackOutcome::kAccepted;
  reply.message = std::move(message).value();
  return reply;
}

Result<std::string> BuildEncryptedXmlReply(const Crypto& crypto, std::string_view plaintext,
                                           std::string_view timestamp, std::string_view nonce,
                                           std::string_view random16) {
  BEACON_ASSIGN_OR_RETURN(SignedCiphertext signed_text,
                          EncryptAndSign(crypto, plaintext, timestamp, nonce, random16));
  std::string xml = "<xml>\n<Encrypt><![CDATA[";
  xml += signed_text.encrypt;
  xml += "]]></Encrypt>\n<MsgSignature><![CDATA[";
  xml += signed_text.signature;
  xml += "]]></MsgSignature>\n<TimeStamp>";
  xml += timestamp;
  xml += "</TimeStamp>\n<Nonce><![CDATA[";
  xml += nonce;
  xml += "]]></Nonce>\n</xml>";
  return xml;
}

Result<std::string> BuildEncryptedJsonReply(const Crypto& crypto, std::string_view plaintext,
                                            std::string_view timestamp, std::string_view nonce,
                                            std::string_view random16) {
  BEACON_ASSIGN_OR_RETURN(SignedCiphertext signed_text,
                          EncryptAndSign(crypto, plaintext, timestamp, nonce, random16));
  nlohmann::json reply = {{"encrypt", std::move(signed_text.encrypt)},
                          {"msgsignature", std::move(signed_text.signature)},
                          {"timestamp", std::string(timestamp)},
                          {"nonce", std::string(nonce)}};
  return reply.dump();
}

}  // namespace beacon::bot::wecom
