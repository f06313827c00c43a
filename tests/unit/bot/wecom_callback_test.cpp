// bot/wecom/callback.h: URL verification and messages end to end through CallbackHandler (the
// published vectors, requests built with Crypto), every refusal's status and outcome, replays,
// and the encrypted passive replies.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "bot/wecom/callback.h"
#include "tests/unit/bot/wecom_vectors.h"

namespace beacon::bot::wecom {
namespace {

namespace v = vectors;
using Query = std::map<std::string, std::string>;

constexpr std::string_view kRandom = "a1b2c3d4e5f6a7b8";
constexpr std::string_view kRobotToken = "RobotTokenForTests";
constexpr std::string_view kRobotKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

Crypto Make(std::string_view token, std::string_view key, std::string_view receive_id) {
  Result<Crypto> c = Crypto::Create(std::string(token), key, std::string(receive_id));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

Crypto V1App() { return Make(v::kV1Token, v::kV1Key, v::kV1CorpId); }
Crypto V2App() { return Make(v::kV2Token, v::kV2Key, v::kV2ReceiveId); }
Crypto Robot() { return Make(kRobotToken, kRobotKey, ""); }

ReplayOptions Window(int64_t ms) {
  ReplayOptions options;
  options.max_clock_skew_ms = ms;
  return options;
}

Query Params(std::string_view signature, std::string_view timestamp, std::string_view nonce) {
  return {{"msg_signature", std::string(signature)},
          {"timestamp", std::string(timestamp)},
          {"nonce", std::string(nonce)}};
}

int64_t Ms(std::string_view seconds) { return std::stoll(std::string(seconds)) * 1000; }

// A request as WeCom would send it: the plaintext encrypted and signed with `crypto`.
struct Request {
  Query query;
  std::string body;
};

Request Post(const Crypto& crypto, std::string_view plaintext, std::string_view timestamp,
             bool json) {
  const std::string encrypt = crypto.Encrypt(plaintext, kRandom).value();
  Request r;
  r.query = Params(crypto.Signature(timestamp, "12345", encrypt), timestamp, "12345");
  r.body = json ? nlohmann::json{{"encrypt", encrypt}}.dump()
                : "<xml><ToUserName><![CDATA[ww]]></ToUserName><Encrypt><![CDATA[" + encrypt +
                      "]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>";
  return r;
}

std::string V1Body() {
  return "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><Encrypt><![CDATA[" +
         std::string(v::kV1MsgEncrypt) +
         "]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>";
}

constexpr std::string_view kRobotText =
    R"({"msgid":"robot-1","aibotid":"B","chatid":"C","chattype":"group","from":{"userid":"lisi"},)"
    R"("response_url":"https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=X",)"
    R"("msgtype":"text","text":{"content":"@Beacon status web-01"}})";

TEST(WecomCallbackTest, UrlVerificationWithThePublishedVectors) {
  CallbackHandler v1(V1App(), std::nullopt, ReplayOptions{});
  Query q = Params(v::kV1UrlSignature, v::kV1UrlTimestamp, v::kV1UrlNonce);
  q["echostr"] = std::string(v::kV1UrlEchostr);
  CallbackReply reply = v1.HandleGet(q);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.outcome, CallbackOutcome::kVerified);
  EXPECT_EQ(reply.body, v::kV1UrlReply);  // no quotes, BOM or newline

  CallbackHandler v2(V2App(), Robot(), ReplayOptions{});
  q = Params(v::kV2UrlSignature, v::kV2UrlTimestamp, v::kV2UrlNonce);
  q["echostr"] = std::string(v::kV2UrlEchostr);
  reply = v2.HandleGet(q);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, v::kV2UrlReply);
}

TEST(WecomCallbackTest, UrlVerificationSurvivesPlusDecodedAsSpace) {
  CallbackHandler handler(V1App(), std::nullopt, ReplayOptions{});
  Query q = Params(v::kV1UrlSignature, v::kV1UrlTimestamp, v::kV1UrlNonce);
  std::string echostr(v::kV1UrlEchostr);
  std::replace(echostr.begin(), echostr.end(), '+', ' ');
  q["echostr"] = echostr;
  CallbackReply reply = handler.HandleGet(q);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, v::kV1UrlReply);
}

TEST(WecomCallbackTest, RobotUrlVerificationUsesTheRobotsToken) {
  CallbackHandler handler(V1App(), Robot(), ReplayOptions{});
  Crypto robot = Robot();
  const std::string echostr = robot.Encrypt("8765309", kRandom).value();
  Query q = Params(robot.Signature("1700000000", "n1", echostr), "1700000000", "n1");
  q["echostr"] = echostr;
  CallbackReply reply = handler.HandleGet(q);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "8765309");
}

TEST(WecomCallbackTest, UrlVerificationRefusals) {
  CallbackHandler handler(V1App(), std::nullopt, ReplayOptions{});
  Query q = Params(v::kV1UrlSignature, v::kV1UrlTimestamp, v::kV1UrlNonce);
  CallbackReply missing = handler.HandleGet(q);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.outcome, CallbackOutcome::kMissingParameter);
  q["echostr"] = std::string(v::kV1UrlEchostr);
  q["nonce"] = "47744684";
  CallbackReply bad = handler.HandleGet(q);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.outcome, CallbackOutcome::kBadSignature);
  EXPECT_EQ(bad.body.find(v::kV1UrlReply), std::string::npos);
}

TEST(WecomCallbackTest, V1AppMessageIsAcceptedOnceWithAnEmpty200) {
  CallbackHandler handler(V1App(), std::nullopt, ReplayOptions{});
  const Query q = Params(v::kV1MsgSignature, v::kV1MsgTimestamp, v::kV1MsgNonce);
  CallbackReply first = handler.HandlePost(q, V1Body(), Ms(v::kV1MsgTimestamp) + 2'000);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "");
  EXPECT_EQ(first.outcome, CallbackOutcome::kAccepted);
  ASSERT_TRUE(first.message.has_value());
  EXPECT_EQ(first.message->channel, Channel::kApp);
  EXPECT_EQ(first.message->from_user, "ChenJiaShun");
  EXPECT_EQ(first.message->content, "你好");
  EXPECT_EQ(first.message->msg_id, "1456453720");
  // WeCom's retry of the same message: 200 so it stops, but no message to run again.
  CallbackReply again = handler.HandlePost(q, V1Body(), Ms(v::kV1MsgTimestamp) + 7'000);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.outcome, CallbackOutcome::kDuplicate);
  EXPECT_FALSE(again.message.has_value());
}

TEST(WecomCallbackTest, V2XmlAndJsonAppMessages) {
  CallbackHandler handler(V2App(), Robot(), ReplayOptions{});
  const int64_t now = Ms(v::kV2MsgTimestamp);
  CallbackReply xml = handler.HandlePost(
      Params(v::kV2XmlSignature, v::kV2MsgTimestamp, v::kV2MsgNonce),
      "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<Encrypt><![CDATA[" +
          std::string(v::kV2XmlEncrypt) +
          "]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>",
      now);
  ASSERT_EQ(xml.outcome, CallbackOutcome::kAccepted) << xml.body;
  EXPECT_EQ(xml.message->content, "hello");
  // The JSON-mode app's message of the same MsgId: tried on the robot first (other token), then
  // decrypted by the app, and then a duplicate of the XML one.
  CallbackReply json =
      handler.HandlePost(Params(v::kV2JsonSignature, v::kV2MsgTimestamp, v::kV2MsgNonce),
                         nlohmann::json{{"encrypt", v::kV2JsonEncrypt}}.dump(), now);
  EXPECT_EQ(json.status, 200);
  EXPECT_EQ(json.outcome, CallbackOutcome::kDuplicate);
  CallbackHandler fresh(V2App(), std::nullopt, ReplayOptions{});
  json = fresh.HandlePost(Params(v::kV2JsonSignature, v::kV2MsgTimestamp, v::kV2MsgNonce),
                          nlohmann::json{{"encrypt", v::kV2JsonEncrypt}}.dump(), now);
  ASSERT_EQ(json.outcome, CallbackOutcome::kAccepted) << json.body;
  EXPECT_EQ(json.message->channel, Channel::kApp);
  EXPECT_EQ(json.message->msg_id, "4561255354251345929");
}

TEST(WecomCallbackTest, RobotMessageWithItsOwnKey) {
  CallbackHandler handler(V1App(), Robot(), ReplayOptions{});
  Request r = Post(Robot(), kRobotText, "1700000000", /*json=*/true);
  CallbackReply reply = handler.HandlePost(r.query, r.body, 1'700'000'001'000);
  ASSERT_EQ(reply.outcome, CallbackOutcome::kAccepted) << reply.body;
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.message->channel, Channel::kRobot);
  EXPECT_EQ(reply.message->chat_type, ChatType::kGroup);
  EXPECT_EQ(reply.message->content, "status web-01");
  EXPECT_EQ(handler.HandlePost(r.query, r.body, 1'700'000'002'000).outcome,
            CallbackOutcome::kDuplicate);
}

TEST(WecomCallbackTest, RobotSharingTheAppsTokenAndKeyIsToldApartByReceiveId) {
  Crypto robot = Make(v::kV1Token, v::kV1Key, "");
  CallbackHandler handler(V1App(), robot, ReplayOptions{});
  Request r = Post(robot, kRobotText, "1700000000", /*json=*/true);
  CallbackReply reply = handler.HandlePost(r.query, r.body, 1'700'000'000'000);
  ASSERT_EQ(reply.outcome, CallbackOutcome::kAccepted) << reply.body;
  EXPECT_EQ(reply.message->channel, Channel::kRobot);
  // The robot's ciphertext in an XML envelope is the app's business only: wrong receive id.
  Request xml = Post(robot, kRobotText, "1700000000", /*json=*/false);
  CallbackReply refused = handler.HandlePost(xml.query, xml.body, 1'700'000'000'000);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.outcome, CallbackOutcome::kWrongReceiveId);
}

TEST(WecomCallbackTest, EachRefusalHasItsStatusAndOutcome) {
  CallbackHandler handler(V1App(), std::nullopt, ReplayOptions{});
  const int64_t now = Ms(v::kV1MsgTimestamp);
  const Query q = Params(v::kV1MsgSignature, v::kV1MsgTimestamp, v::kV1MsgNonce);
  struct Case {
    const char* name;
    Query query;
    std::string body;
    int status;
    CallbackOutcome outcome;
  };
  Query no_nonce = q;
  no_nonce.erase("nonce");
  Query wrong_signature = q;
  wrong_signature["msg_signature"] = std::string(40, '0');
  Crypto app = V1App();
  const std::string garbage = "AAAA" + std::string(v::kV1MsgEncrypt).substr(4);
  Request other_corp = Post(Make(v::kV1Token, v::kV1Key, "wwsomeoneelse"), v::kV1MsgPlain,
                            v::kV1MsgTimestamp, false);
  Request not_a_message = Post(app, "hello there", v::kV1MsgTimestamp, false);
  Request bad_timestamp = Post(app, v::kV1MsgPlain, "soon", false);
  const Case cases[] = {
      {"missing nonce", no_nonce, V1Body(), 400, CallbackOutcome::kMissingParameter},
      {"too large", q, std::string(kMaxCallbackBodyBytes + 1, '<'), 413,
       CallbackOutcome::kBodyTooLarge},
      {"not an envelope", q, "hello", 400, CallbackOutcome::kBadEnvelope},
      {"doctype", q, "<!DOCTYPE x><xml><Encrypt>a</Encrypt></xml>", 400,
       CallbackOutcome::kBadEnvelope},
      {"wrong signature", wrong_signature, V1Body(), 401, CallbackOutcome::kBadSignature},
      {"undecryptable",
       Params(app.Signature(v::kV1MsgTimestamp, "n", garbage), v::kV1MsgTimestamp, "n"),
       "<xml><Encrypt>" + garbage + "</Encrypt></xml>", 400, CallbackOutcome::kUndecryptable},
      {"other corp", other_corp.query, other_corp.body, 403, CallbackOutcome::kWrongReceiveId},
      {"not a message", not_a_message.query, not_a_message.body, 400, CallbackOutcome::kBadMessage},
      {"bad timestamp", bad_timestamp.query, bad_timestamp.body, 400,
       CallbackOutcome::kBadTimestamp},
  };
  for (const Case& c : cases) {
    CallbackReply reply = handler.HandlePost(c.query, c.body, now);
    EXPECT_EQ(reply.status, c.status) << c.name;
    EXPECT_EQ(reply.outcome, c.outcome) << c.name;
    EXPECT_FALSE(reply.message.has_value()) << c.name;
    EXPECT_EQ(reply.body.find(v::kV1Token), std::string::npos) << c.name;
  }
}

TEST(WecomCallbackTest, StaleTimestampIsRefusedUnlessTheWindowIsZero) {
  const Query q = Params(v::kV1MsgSignature, v::kV1MsgTimestamp, v::kV1MsgNonce);
  const int64_t late = Ms(v::kV1MsgTimestamp) + 301'000;
  CallbackHandler strict(V1App(), std::nullopt, ReplayOptions{});
  CallbackReply stale = strict.HandlePost(q, V1Body(), late);
  EXPECT_EQ(stale.status, 403);
  EXPECT_EQ(stale.outcome, CallbackOutcome::kStaleTimestamp);
  EXPECT_FALSE(stale.message.has_value());
  CallbackHandler early(V1App(), std::nullopt, ReplayOptions{});
  EXPECT_EQ(early.HandlePost(q, V1Body(), Ms(v::kV1MsgTimestamp) - 301'000).outcome,
            CallbackOutcome::kStaleTimestamp);
  CallbackHandler open(V1App(), std::nullopt, Window(0));
  EXPECT_EQ(open.HandlePost(q, V1Body(), late).outcome, CallbackOutcome::kAccepted);
}

TEST(WecomCallbackTest, EncryptedPassiveReplies) {
  Crypto app = V1App();
  Result<std::string> xml = BuildEncryptedXmlReply(app, v::kV1MsgPlain, v::kV1MsgTimestamp,
                                                   v::kV1MsgNonce, v::kV1MsgRandom);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  // The vector's ciphertext, signed with the vector's signature, in the SDK's template.
  EXPECT_EQ(*xml, "<xml>\n<Encrypt><![CDATA[" + std::string(v::kV1MsgEncrypt) +
                      "]]></Encrypt>\n<MsgSignature><![CDATA[" + std::string(v::kV1MsgSignature) +
                      "]]></MsgSignature>\n<TimeStamp>" + std::string(v::kV1MsgTimestamp) +
                      "</TimeStamp>\n<Nonce><![CDATA[" + std::string(v::kV1MsgNonce) +
                      "]]></Nonce>\n</xml>");

  Crypto robot = Robot();
  const std::string stream = R"({"msgtype":"stream","stream":{"id":"s1","finish":true,)"
                             R"("content":"web-01 up"}})";
  Result<std::string> json = BuildEncryptedJsonReply(robot, stream, "1700000000", "abc", kRandom);
  ASSERT_TRUE(json.ok());
  nlohmann::json parsed = nlohmann::json::parse(*json);
  ASSERT_TRUE(parsed["timestamp"].is_string());
  EXPECT_EQ(parsed["timestamp"], "1700000000");
  EXPECT_EQ(parsed["nonce"], "abc");
  const std::string encrypt = parsed["encrypt"];
  EXPECT_EQ(
      robot
          .VerifyAndDecrypt(parsed["msgsignature"].get<std::string>(), "1700000000", "abc", encrypt)
          .value_or(""),
      stream);

  EXPECT_EQ(CryptoErrorOf(BuildEncryptedXmlReply(app, "x", "17x", "n", kRandom).status()),
            CryptoError::kGenReturnXml);
  EXPECT_EQ(CryptoErrorOf(BuildEncryptedXmlReply(app, "x", "1", "a]]>b", kRandom).status()),
            CryptoError::kGenReturnXml);
  EXPECT_EQ(CryptoErrorOf(BuildEncryptedJsonReply(app, "x", "1", "n", "short").status()),
            CryptoError::kEncryptAes);
}

}  // namespace
}  // namespace beacon::bot::wecom
