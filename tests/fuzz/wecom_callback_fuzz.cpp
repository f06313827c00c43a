// Fuzzes the WeCom callback (bot/wecom): envelope parsing, WXBizMsgCrypt decryption and the
// plaintext parsers of both channels, with the fixed keys of the published test vectors
// (tests/unit/bot/wecom_vectors.h). Byte 0 picks the path (low 2 bits):
//   0: the rest is a POST body: ParseEnvelope, Decrypt of its Encrypt with the app's and the
//      robot's key, then the message parser of the channel that decrypted it;
//   1: the rest is a plaintext: ParseAppMessage and ParseRobotMessage;
//   2: the rest is a plaintext WeCom would send: encrypted and signed here, then the whole
//      CallbackHandler::HandlePost (bit 2: JSON envelope for the robot, else XML for the app);
//   3: the rest is a ciphertext in base64: Decrypt.
// Invariants: no error message carries a token or key; whatever decrypts re-encrypts to the same
// base64 (one encoding per message); HandlePost answers 200, 400 or 403 only, and hands on a
// message exactly when it accepted one, with valid UTF-8 text.
#include <cstdint>
#include <string>

#include "bot/wecom/callback.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/unit/bot/wecom_vectors.h"

namespace {

namespace wecom = beacon::bot::wecom;
namespace v = beacon::bot::wecom::vectors;

constexpr std::string_view kRobotToken = "RobotTokenForFuzzing";
constexpr std::string_view kRobotKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

const wecom::Crypto& App() {
  static const wecom::Crypto crypto =
      wecom::Crypto::Create(std::string(v::kV1Token), v::kV1Key, std::string(v::kV1CorpId)).value();
  return crypto;
}

const wecom::Crypto& Robot() {
  static const wecom::Crypto crypto =
      wecom::Crypto::Create(std::string(kRobotToken), kRobotKey, "").value();
  return crypto;
}

void CheckNoSecret(const beacon::Status& status) {
  for (std::string_view secret : {v::kV1Token, v::kV1Key, kRobotToken, kRobotKey}) {
    FUZZ_CHECK(status.message().find(secret) == std::string::npos);
  }
}

void CheckMessage(const beacon::Result<wecom::InboundMessage>& message) {
  CheckNoSecret(message.status());
  if (!message.ok()) return;
  FUZZ_CHECK(!message->from_user.empty());
  FUZZ_CHECK(!message->raw_type.empty());
  FUZZ_CHECK(beacon::fuzz::IsValidUtf8(message->content));
  FUZZ_CHECK(beacon::fuzz::IsValidUtf8(message->from_user));
}

// Decrypts with `crypto`; what decrypts must re-encrypt to the same text.
void DecryptAndCheck(const wecom::Crypto& crypto, std::string_view encrypt,
                     wecom::Channel channel) {
  beacon::Result<wecom::Decrypted> decrypted = crypto.Decrypt(encrypt);
  CheckNoSecret(decrypted.status());
  if (!decrypted.ok()) return;
  beacon::Result<std::string> again = crypto.Encrypt(decrypted->msg, decrypted->random);
  FUZZ_CHECK(again.ok() && *again == encrypt);
  CheckMessage(channel == wecom::Channel::kApp ? wecom::ParseAppMessage(decrypted->msg)
                                               : wecom::ParseRobotMessage(decrypted->msg));
}

void FullPost(std::string_view plaintext, bool robot) {
  static wecom::CallbackHandler handler(App(), Robot(), [] {
    wecom::ReplayOptions options;
    options.max_clock_skew_ms = 0;
    options.capacity = 1000;
    return options;
  }());
  const wecom::Crypto& crypto = robot ? Robot() : App();
  beacon::Result<std::string> encrypt = crypto.Encrypt(plaintext, "0123456789abcdef");
  FUZZ_CHECK(encrypt.ok());
  const std::string body = robot ? R"({"encrypt":")" + *encrypt + R"("})"
                                 : "<xml><Encrypt><![CDATA[" + *encrypt + "]]></Encrypt></xml>";
  const std::map<std::string, std::string> query = {
      {"msg_signature", crypto.Signature("1700000000", "42", *encrypt)},
      {"timestamp", "1700000000"},
      {"nonce", "42"}};
  const wecom::CallbackReply reply = handler.HandlePost(query, body, 1'700'000'000'000);
  FUZZ_CHECK(reply.status == 200 || reply.status == 400 || reply.status == 403);
  FUZZ_CHECK(reply.message.has_value() == (reply.outcome == wecom::CallbackOutcome::kAccepted));
  if (reply.status == 200) FUZZ_CHECK(reply.body.empty());
  if (reply.message) {
    FUZZ_CHECK(reply.message->channel == (robot ? wecom::Channel::kRobot : wecom::Channel::kApp));
    FUZZ_CHECK(beacon::fuzz::IsValidUtf8(reply.message->content));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (mode & 3) {
    case 0: {
      beacon::Result<wecom::Envelope> envelope = wecom::ParseEnvelope(rest);
      CheckNoSecret(envelope.status());
      if (!envelope.ok()) break;
      FUZZ_CHECK(!envelope->encrypt.empty());
      DecryptAndCheck(App(), envelope->encrypt, wecom::Channel::kApp);
      DecryptAndCheck(Robot(), envelope->encrypt, wecom::Channel::kRobot);
      break;
    }
    case 1:
      CheckMessage(wecom::ParseAppMessage(rest));
      CheckMessage(wecom::ParseRobotMessage(rest));
      break;
    case 2:
      FullPost(rest, (mode & 4) != 0);
      break;
    default:
      DecryptAndCheck(App(), rest, wecom::Channel::kApp);
      break;
  }
  return 0;
}
