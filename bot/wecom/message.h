// Parsing of what WeCom posts to the callback URL: the envelope (the app's XML
// `<xml><ToUserName/><Encrypt/><AgentID/></xml>`, values with or without CDATA, or the JSON
// `{"encrypt": ...}` of the intelligent robot and of JSON-mode apps) and the decrypted
// plaintext, into one InboundMessage for both channels. Pure functions; thread-safe. Input is
// bounded (kMaxCallbackBodyBytes, 64 XML levels, 32 JSON levels); a DOCTYPE (and with it any
// entity declaration) is refused before the XML parser sees the text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::bot::wecom {

// WeCom's largest message is a text of 2048 bytes; with XML, base64 and the envelope a real
// callback stays below 8 KiB. Anything over this is refused (ResourceExhausted, HTTP 413).
inline constexpr size_t kMaxCallbackBodyBytes = 64 * 1024;
inline constexpr size_t kMaxJsonDepth = 32;

enum class EnvelopeFormat { kXml, kJson };

struct Envelope {
  EnvelopeFormat format = EnvelopeFormat::kXml;
  std::string encrypt;       // <Encrypt> / "encrypt": the base64 ciphertext
  std::string to_user_name;  // <ToUserName>: the CorpID (XML only)
  std::string agent_id;      // <AgentID> (XML only)
};

// ResourceExhausted above kMaxCallbackBodyBytes; ParseXml_Error (bot/wecom/crypto.h) for a body
// that is neither envelope, a DOCTYPE, or a missing or empty Encrypt.
Result<Envelope> ParseEnvelope(std::string_view body);

enum class Channel { kApp, kRobot };
enum class MessageType { kText, kEvent, kOther };
enum class ChatType { kUnknown, kSingle, kGroup };

std::string_view ChannelName(Channel channel);  // "app" / "robot"

// One inbound message of either channel. Fields a channel does not have stay empty.
struct InboundMessage {
  Channel channel = Channel::kApp;
  MessageType type = MessageType::kOther;
  std::string raw_type;     // MsgType / msgtype as sent: "text", "event", "image", "mixed", ...
  std::string from_user;    // FromUserName / from.userid: the sender's UserID
  int64_t create_time = 0;  // CreateTime / create_time, Unix seconds (0 when absent)
  std::string msg_id;       // MsgId / msgid (empty for app events)
  // The text: Content, or the robot's text.content (text items joined by "\n" for "mixed")
  // with a leading "@Name " mention removed and surrounding whitespace trimmed.
  std::string content;

  // Events (type kEvent): Event / event.eventtype lower-cased ("click", "template_card_event"),
  // and for buttons and cards the key, the card's task id and the one-use response code.
  std::string event;
  std::string event_key;
  std::string task_id;
  std::string card_type;
  std::string response_code;

  // App only.
  std::string to_user;  // ToUserName: the CorpID
  std::string agent_id;

  // Robot only.
  std::string aibot_id;
  std::string chat_id;
  ChatType chat_type = ChatType::kUnknown;
  std::string response_url;  // where the reply goes (once, within an hour)
  std::string corp_id;       // from.corpid

  // The identity used to refuse repeats: "app:msg:<MsgId>", for app events without a MsgId
  // "app:event:<FromUserName>:<CreateTime>", "robot:<msgid>".
  std::string DedupKey() const;
};

// The app's plaintext: XML (values with or without CDATA) or the JSON-mode app's JSON.
// ParseXml_Error when it is neither, has no MsgType or FromUserName, or a CreateTime that is not
// a number.
Result<InboundMessage> ParseAppMessage(std::string_view plaintext);
// The intelligent robot's JSON. ParseXml_Error (the JSON SDK's ParseJson_Error) when it is not
// JSON, has no msgtype or from.userid, or has fields of the wrong type.
Result<InboundMessage> ParseRobotMessage(std::string_view plaintext);

// Removes a leading "@Name" and the whitespace after it (an ASCII space or tab, U+2005 which
// WeCom puts after mentions, U+00A0, U+3000), then trims. "@Beacon status" -> "status".
std::string StripLeadingMention(std::string_view text);

}  // namespace beacon::bot::wecom
