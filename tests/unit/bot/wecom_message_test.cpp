// bot/wecom/message.h: envelopes and plaintexts of both channels, and hostile input (oversized,
// deeply nested, truncated, DOCTYPE and entities, invalid UTF-8).
#include <gtest/gtest.h>

#include <string>

#include "bot/wecom/crypto.h"
#include "bot/wecom/message.h"
#include "tests/unit/bot/wecom_vectors.h"

namespace beacon::bot::wecom {
namespace {

namespace v = vectors;

void ExpectParseError(const Status& status) {
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(CryptoErrorOf(status), CryptoError::kParseXml) << status.ToString();
}

TEST(WecomMessageTest, AppEnvelopeWithAndWithoutCdata) {
  Result<Envelope> cdata = ParseEnvelope(
      "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>"
      "<Encrypt><![CDATA[abc+/=]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>");
  ASSERT_TRUE(cdata.ok()) << cdata.status().ToString();
  EXPECT_EQ(cdata->format, EnvelopeFormat::kXml);
  EXPECT_EQ(cdata->encrypt, "abc+/=");
  EXPECT_EQ(cdata->to_user_name, "ww1436e0e65a779aee");
  EXPECT_EQ(cdata->agent_id, "218");
  Result<Envelope> plain = ParseEnvelope(
      "<?xml version=\"1.0\"?>\n<xml>\n <ToUserName>ww1</ToUserName>\n <Encrypt>abc</Encrypt>\n"
      " <AgentID>218</AgentID>\n</xml>\n");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->encrypt, "abc");
  EXPECT_EQ(plain->agent_id, "218");
}

TEST(WecomMessageTest, RobotEnvelopeIsJson) {
  Result<Envelope> json = ParseEnvelope(R"( {"encrypt":"abc="} )");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(json->format, EnvelopeFormat::kJson);
  EXPECT_EQ(json->encrypt, "abc=");
}

TEST(WecomMessageTest, EnvelopeErrors) {
  ExpectParseError(ParseEnvelope("").status());
  ExpectParseError(ParseEnvelope("encrypt=abc").status());
  ExpectParseError(ParseEnvelope("<xml><ToUserName>x</ToUserName></xml>").status());
  ExpectParseError(ParseEnvelope("<xml><Encrypt></Encrypt></xml>").status());
  ExpectParseError(ParseEnvelope("<xml><Encrypt>abc</Encrypt>").status());  // truncated
  ExpectParseError(ParseEnvelope(R"({"encrypt":)").status());               // truncated
  ExpectParseError(ParseEnvelope(R"({"encrypt":42})").status());
  ExpectParseError(ParseEnvelope(R"(["encrypt"])").status());
  ExpectParseError(ParseEnvelope(R"({"other":"abc"})").status());
}

TEST(WecomMessageTest, OversizedBodyIsResourceExhausted) {
  std::string body =
      "<xml><Encrypt>" + std::string(kMaxCallbackBodyBytes, 'A') + "</Encrypt></xml>";
  Result<Envelope> envelope = ParseEnvelope(body);
  ASSERT_FALSE(envelope.ok());
  EXPECT_EQ(envelope.status().code(), StatusCode::kResourceExhausted);
}

TEST(WecomMessageTest, DoctypeAndEntitiesAreRefused) {
  const std::string bomb =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
      "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
      "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
      "<xml><Encrypt>&lol3;</Encrypt></xml>";
  Result<Envelope> envelope = ParseEnvelope(bomb);
  ExpectParseError(envelope.status());
  EXPECT_NE(envelope.status().message().find("DOCTYPE"), std::string::npos);
  // Behind a comment, or an external entity.
  ExpectParseError(
      ParseEnvelope("<!-- x --><!DOCTYPE x SYSTEM \"file:///etc/passwd\"><xml><Encrypt>&x;"
                    "</Encrypt></xml>")
          .status());
  // An undeclared entity is a parse error, not an empty value.
  ExpectParseError(ParseEnvelope("<xml><Encrypt>&xxe;</Encrypt></xml>").status());
  // A text that merely mentions a DOCTYPE inside the root is fine.
  Result<InboundMessage> text = ParseAppMessage(
      "<xml><FromUserName>u</FromUserName><MsgType>text</MsgType>"
      "<Content><![CDATA[<!DOCTYPE html>]]></Content><MsgId>1</MsgId></xml>");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->content, "<!DOCTYPE html>");
}

TEST(WecomMessageTest, DeeplyNestedInputIsAnErrorNotACrash) {
  std::string xml;
  for (int i = 0; i < 5000; ++i) xml += "<a>";
  xml += "<Encrypt>x</Encrypt>";
  for (int i = 0; i < 5000; ++i) xml += "</a>";
  ExpectParseError(ParseEnvelope(xml).status());
  ExpectParseError(ParseAppMessage(xml).status());
  std::string json =
      R"({"encrypt":"x","a":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  ExpectParseError(ParseEnvelope(json).status());
  std::string robot = R"({"msgtype":"text","from":{"userid":"u"},"x":)" + std::string(40, '[') +
                      std::string(40, ']') + "}";
  ExpectParseError(ParseRobotMessage(robot).status());
}

TEST(WecomMessageTest, InvalidUtf8IsRefused) {
  ExpectParseError(ParseEnvelope("<xml><Encrypt>ab\xff\xfe</Encrypt></xml>").status());
  ExpectParseError(ParseEnvelope("{\"encrypt\":\"ab\xc3\"}").status());
  ExpectParseError(ParseRobotMessage("{\"msgtype\":\"text\",\"from\":{\"userid\":\"u\"},"
                                     "\"text\":{\"content\":\"\xed\xa0\x80\"}}")
                       .status());
}

TEST(WecomMessageTest, V1AppTextWithoutCdata) {
  Result<InboundMessage> m = ParseAppMessage(v::kV1MsgPlain);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->channel, Channel::kApp);
  EXPECT_EQ(m->type, MessageType::kText);
  EXPECT_EQ(m->from_user, "ChenJiaShun");
  EXPECT_EQ(m->create_time, 1476422779);
  EXPECT_EQ(m->msg_id, "1456453720");
  EXPECT_EQ(m->content, "你好");
  EXPECT_EQ(m->to_user, "ww1436e0e65a779aee");
  EXPECT_EQ(m->agent_id, "1000002");
  EXPECT_EQ(m->DedupKey(), "app:msg:1456453720");
}

TEST(WecomMessageTest, V2AppTextWithCdataAndJson) {
  for (std::string_view plain : {v::kV2XmlPlain, v::kV2JsonPlain}) {
    Result<InboundMessage> m = ParseAppMessage(plain);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->type, MessageType::kText);
    EXPECT_EQ(m->from_user, "mycreate");
    EXPECT_EQ(m->create_time, 1409659813);
    EXPECT_EQ(m->msg_id, "4561255354251345929");
    EXPECT_EQ(m->content, "hello");
    EXPECT_EQ(m->to_user, "wx5823bf96d3bd56c7");
    EXPECT_EQ(m->agent_id, "218");
  }
}

TEST(WecomMessageTest, AppTemplateCardEvent) {
  Result<InboundMessage> m = ParseAppMessage(
      "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>"
      "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
      "<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[confirm]]></EventKey>"
      "<TaskId><![CDATA[beacon-42]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
      "<ResponseCode><![CDATA[rc-1]]></ResponseCode><AgentID>1000002</AgentID>"
      "<SelectedItems><SelectedItem><QuestionKey><![CDATA[q]]></QuestionKey><OptionIds>"
      "<OptionId><![CDATA[o]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->type, MessageType::kEvent);
  EXPECT_EQ(m->event, "template_card_event");
  EXPECT_EQ(m->event_key, "confirm");
  EXPECT_EQ(m->task_id, "beacon-42");
  EXPECT_EQ(m->card_type, "button_interaction");
  EXPECT_EQ(m->response_code, "rc-1");
  EXPECT_EQ(m->msg_id, "");
  EXPECT_EQ(m->DedupKey(), "app:event:lisi:1700000000");
  // Menu clicks come as "CLICK" from some senders: compared lower-case.
  Result<InboundMessage> click = ParseAppMessage(
      "<xml><FromUserName>u</FromUserName><MsgType>event</MsgType><Event>CLICK</Event>"
      "<EventKey>k</EventKey></xml>");
  ASSERT_TRUE(click.ok());
  EXPECT_EQ(click->event, "click");
}

TEST(WecomMessageTest, OtherAppMessageTypesParse) {
  Result<InboundMessage> m = ParseAppMessage(
      "<xml><FromUserName>u</FromUserName><MsgType>image</MsgType><PicUrl>x</PicUrl>"
      "<MsgId>7</MsgId></xml>");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, MessageType::kOther);
  EXPECT_EQ(m->raw_type, "image");
}

TEST(WecomMessageTest, AppMessageErrors) {
  ExpectParseError(ParseAppMessage("<xml><MsgType>text</MsgType></xml>").status());
  ExpectParseError(ParseAppMessage("<xml><FromUserName>u</FromUserName></xml>").status());
  ExpectParseError(ParseAppMessage("<xml><FromUserName>u</FromUserName><MsgType>text</MsgType>"
                                   "<CreateTime>soon</CreateTime></xml>")
                       .status());
  ExpectParseError(ParseAppMessage(R"({"FromUserName":"u","MsgType":["text"]})").status());
  ExpectParseError(ParseAppMessage("hello").status());
  ExpectParseError(ParseAppMessage("<xml><FromUserName>u</FromUser").status());
}

TEST(WecomMessageTest, RobotGroupTextStripsTheMention) {
  Result<InboundMessage> m = ParseRobotMessage(
      R"({"msgid":"CAIQ16HMjQYY","aibotid":"AIBOTID","chatid":"wrkSFfCgAA","chattype":"group",)"
      R"("from":{"userid":"zhangsan"},"response_url":"https://qyapi.weixin.qq.com/cgi-bin/aibot/)"
      R"(response?response_code=RC","msgtype":"text","text":{"content":"@Beacon\u2005status web-01"}})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->channel, Channel::kRobot);
  EXPECT_EQ(m->type, MessageType::kText);
  EXPECT_EQ(m->msg_id, "CAIQ16HMjQYY");
  EXPECT_EQ(m->aibot_id, "AIBOTID");
  EXPECT_EQ(m->chat_id, "wrkSFfCgAA");
  EXPECT_EQ(m->chat_type, ChatType::kGroup);
  EXPECT_EQ(m->from_user, "zhangsan");
  EXPECT_EQ(m->response_url, "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=RC");
  EXPECT_EQ(m->content, "status web-01");
  EXPECT_EQ(m->DedupKey(), "robot:CAIQ16HMjQYY");
}

TEST(WecomMessageTest, RobotSingleChatMixedAndEvent) {
  Result<InboundMessage> mixed = ParseRobotMessage(
      R"({"msgid":"m2","chattype":"single","from":{"userid":"u"},"msgtype":"mixed","mixed":)"
      R"({"msg_item":[{"msgtype":"text","text":{"content":"status"}},{"msgtype":"image",)"
      R"("image":{"url":"x"}},{"msgtype":"text","text":{"content":"web-01"}}]}})");
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(mixed->chat_type, ChatType::kSingle);
  EXPECT_EQ(mixed->type, MessageType::kOther);
  EXPECT_EQ(mixed->content, "status\nweb-01");
  Result<InboundMessage> event = ParseRobotMessage(
      R"({"msgid":"m3","create_time":1700000000,"aibotid":"B","from":{"corpid":"wpc","userid":"u"},)"
      R"("chattype":"single","response_code":"RC2","msgtype":"event","event":{"eventtype":)"
      R"("template_card_event","template_card_event":{"card_type":"button_interaction",)"
      R"("event_key":"confirm","task_id":"beacon-7"}}})");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->type, MessageType::kEvent);
  EXPECT_EQ(event->create_time, 1700000000);
  EXPECT_EQ(event->corp_id, "wpc");
  EXPECT_EQ(event->event, "template_card_event");
  EXPECT_EQ(event->event_key, "confirm");
  EXPECT_EQ(event->task_id, "beacon-7");
  EXPECT_EQ(event->card_type, "button_interaction");
  EXPECT_EQ(event->response_code, "RC2");
}

TEST(WecomMessageTest, RobotMessageErrors) {
  ExpectParseError(ParseRobotMessage(R"({"msgtype":"text"})").status());
  ExpectParseError(ParseRobotMessage(R"({"from":{"userid":"u"}})").status());
  ExpectParseError(ParseRobotMessage(R"({"msgtype":"text","from":"u"})").status());
  ExpectParseError(
      ParseRobotMessage(R"({"msgtype":"text","from":{"userid":"u"},"text":"hi"})").status());
  ExpectParseError(
      ParseRobotMessage(R"({"msgtype":"mixed","from":{"userid":"u"},"mixed":{"msg_item":3}})")
          .status());
  ExpectParseError(ParseRobotMessage("<xml/>").status());
  ExpectParseError(ParseRobotMessage(R"({"msgtype":"text","from":{"userid":"u"})").status());
}

TEST(WecomMessageTest, StripLeadingMention) {
  EXPECT_EQ(StripLeadingMention("@Beacon status"), "status");
  EXPECT_EQ(StripLeadingMention("  @Beacon\xE2\x80\x85status web-01 "), "status web-01");
  EXPECT_EQ(StripLeadingMention("@运维机器人\xE3\x80\x80确认 1234"), "确认 1234");
  EXPECT_EQ(StripLeadingMention("@Beacon"), "");
  EXPECT_EQ(StripLeadingMention("status @Beacon"), "status @Beacon");
  EXPECT_EQ(StripLeadingMention("\xC2\xA0help\xC2\xA0"), "help");
}

}  // namespace
}  // namespace beacon::bot::wecom
