// Envelope and plaintext parsing: XML through common's SAX-built element tree, JSON through
// ParseJson (both bounded); field extraction by hand for each channel.
#include "bot/wecom/message.h"

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "bot/wecom/crypto.h"
#include "common/cloud/objstore/xml.h"
#include "common/json/parse.h"
#include "common/strings.h"

namespace beacon::bot::wecom {
namespace {

using objstore::XmlElement;
using Json = nlohmann::json;

Status BadInput(std::string_view detail) { return CryptoStatus(CryptoError::kParseXml, detail); }

bool StartsWith(std::string_view text, size_t at, std::string_view prefix) {
  return text.substr(at, prefix.size()) == prefix;
}

// A DOCTYPE can only come before the root element, after an optional BOM, XML declaration,
// processing instructions and comments; any "<!" there that is not a comment is refused, so the
// parser never sees a DTD or an entity declaration (billion laughs, external entities).
Status CheckNoDoctype(std::string_view text) {
  size_t i = StartsWith(text, 0, "\xEF\xBB\xBF") ? 3 : 0;
  while (i < text.size()) {
    if (kAsciiSpace.find(text[i]) != std::string_view::npos) {
      ++i;
    } else if (StartsWith(text, i, "<?")) {
      const size_t end = text.find("?>", i + 2);
      if (end == std::string_view::npos) break;
      i = end + 2;
    } else if (StartsWith(text, i, "<!--")) {
      const size_t end = text.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
    } else if (StartsWith(text, i, "<!")) {
      return BadInput("DOCTYPE and entity declarations are not accepted");
    } else {
      break;
    }
  }
  return Status::Ok();
}

Result<XmlElement> ParseBoundedXml(std::string_view text) {
  BEACON_RETURN_IF_ERROR(CheckNoDoctype(text));
  Result<XmlElement> root = objstore::ParseXml(text);
  if (!root.ok()) return BadInput(root.status().message());
  return root;
}

Result<Json> ParseBoundedJson(std::string_view text) {
  JsonLimits limits;
  limits.max_depth = kMaxJsonDepth;
  limits.max_bytes = kMaxCallbackBodyBytes;
  Result<Json> json = ParseJson(text, limits);
  if (!json.ok()) return BadInput(json.status().message());
  if (!json->is_object()) return BadInput("JSON is not an object");
  return json;
}

// The first byte that is not whitespace says which format a body is in.
char FirstSignificant(std::string_view text) {
  size_t i = StartsWith(text, 0, "\xEF\xBB\xBF") ? 3 : 0;
  while (i < text.size() && kAsciiSpace.find(text[i]) != std::string_view::npos) ++i;
  return i < text.size() ? text[i] : '\0';
}

// A string or an integer as text (WeCom sends ids as either); "" when absent; an error for
// other types.
Status JsonText(const Json& object, std::string_view key, std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (it->is_string()) {
    *out = it->get<std::string>();
  } else if (it->is_number_unsigned()) {
    *out = std::to_string(it->get<uint64_t>());
  } else if (it->is_number_integer()) {
    *out = std::to_string(it->get<int64_t>());
  } else {
    return BadInput(std::string(key) + " is neither a string nor an integer");
  }
  return Status::Ok();
}

// An optional nested object: nullptr when absent, an error when not an object.
Result<const Json*> JsonObject(const Json& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const Json*>(nullptr);
  if (!it->is_object()) return BadInput(std::string(key) + " is not an object");
  return &*it;
}

Status ParseSeconds(std::string_view field, std::string_view text, int64_t* out) {
  text = TrimWhitespace(text);
  if (text.empty()) return Status::Ok();
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    return BadInput(std::string(field) + " is not a number of seconds");
  }
  *out = value;
  return Status::Ok();
}

MessageType TypeOf(std::string_view raw) {
  if (raw == "text") return MessageType::kText;
  if (raw == "event") return MessageType::kEvent;
  return MessageType::kOther;
}

// Byte length of a whitespace character at text[i] (ASCII, U+00A0, U+2005, U+3000), else 0.
size_t SpaceAt(std::string_view text, size_t i) {
  if (kAsciiSpace.find(text[i]) != std::string_view::npos) return 1;
  for (std::string_view space : {std::string_view("\xC2\xA0"), std::string_view("\xE2\x80\x85"),
                                 std::string_view("\xE3\x80\x80")}) {
    if (StartsWith(text, i, space)) return space.size();
  }
  return 0;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty()) {
    const size_t n = SpaceAt(text, 0);
    if (n == 0) break;
    text.remove_prefix(n);
  }
  bool trimmed = true;
  while (!text.empty() && trimmed) {
    trimmed = false;
    for (size_t n = 1; n <= 3 && n <= text.size(); ++n) {
      if (SpaceAt(text, text.size() - n) == n) {
        text.remove_suffix(n);
        trimmed = true;
        break;
      }
    }
  }
  return text;
}

Result<InboundMessage> AppFromXml(const XmlElement& root) {
  InboundMessage m;
  m.channel = Channel::kApp;
  m.raw_type = root.ChildText("MsgType");
  m.from_user = root.ChildText("FromUserName");
  BEACON_RETURN_IF_ERROR(ParseSeconds("CreateTime", root.ChildText("CreateTime"), &m.create_time));
  m.msg_id = std::string(TrimWhitespace(root.ChildText("MsgId")));
  m.content = std::string(TrimSpaces(root.ChildText("Content")));
  m.event = Lower(root.ChildText("Event"));
  m.event_key = root.ChildText("EventKey");
  m.task_id = root.ChildText("TaskId");
  m.card_type = root.ChildText("CardType");
  m.response_code = root.ChildText("ResponseCode");
  m.to_user = root.ChildText("ToUserName");
  m.agent_id = std::string(TrimWhitespace(root.ChildText("AgentID")));
  return m;
}

Result<InboundMessage> AppFromJson(const Json& json) {
  InboundMessage m;
  m.channel = Channel::kApp;
  BEACON_RETURN_IF_ERROR(JsonText(json, "MsgType", &m.raw_type));
  BEACON_RETURN_IF_ERROR(JsonText(json, "FromUserName", &m.from_user));
  std::string create_time;
  BEACON_RETURN_IF_ERROR(JsonText(json, "CreateTime", &create_time));
  BEACON_RETURN_IF_ERROR(ParseSeconds("CreateTime", create_time, &m.create_time));
  BEACON_RETURN_IF_ERROR(JsonText(json, "MsgId", &m.msg_id));
  std::string content;
  BEACON_RETURN_IF_ERROR(JsonText(json, "Content", &content));
  m.content = std::string(TrimSpaces(content));
  std::string event;
  BEACON_RETURN_IF_ERROR(JsonText(json, "Event", &event));
  m.event = Lower(event);
  BEACON_RETURN_IF_ERROR(JsonText(json, "EventKey", &m.event_key));
  BEACON_RETURN_IF_ERROR(JsonText(json, "TaskId", &m.task_id));
  BEACON_RETURN_IF_ERROR(JsonText(json, "CardType", &m.card_type));
  BEACON_RETURN_IF_ERROR(JsonText(json, "ResponseCode", &m.response_code));
  BEACON_RETURN_IF_ERROR(JsonText(json, "ToUserName", &m.to_user));
  BEACON_RETURN_IF_ERROR(JsonText(json, "AgentID", &m.agent_id));
  return m;
}

Status RequireIdentity(const InboundMessage& m, std::string_view type_key,
                       std::string_view from_key) {
  if (m.raw_type.empty()) return BadInput(std::string(type_key) + " is missing");
  if (m.from_user.empty()) return BadInput(std::string(from_key) + " is missing");
  return Status::Ok();
}

// The text of a robot message: text.content, or the text items of a "mixed" message.
Status RobotText(const Json& json, std::string* out) {
  BEACON_ASSIGN_OR_RETURN(const Json* text, JsonObject(json, "text"));
  if (text != nullptr) return JsonText(*text, "content", out);
  BEACON_ASSIGN_OR_RETURN(const Json* mixed, JsonObject(json, "mixed"));
  if (mixed == nullptr) return Status::Ok();
  auto items = mixed->find("msg_item");
  if (items == mixed->end()) return Status::Ok();
  if (!items->is_array()) return BadInput("mixed.msg_item is not an array");
  for (const Json& item : *items) {
    if (!item.is_object()) return BadInput("mixed.msg_item has an element that is not an object");
    std::string type;
    BEACON_RETURN_IF_ERROR(JsonText(item, "msgtype", &type));
    if (type != "text") continue;
    BEACON_ASSIGN_OR_RETURN(const Json* item_text, JsonObject(item, "text"));
    if (item_text == nullptr) continue;
    std::string part;
    BEACON_RETURN_IF_ERROR(JsonText(*item_text, "content", &part));
    if (!out->empty()) *out += '\n';
    *out += part;
  }
  return Status::Ok();
}

}  // namespace

std::string_view ChannelName(Channel channel) { return channel == Channel::kApp ? "app" : "robot"; }

std::string InboundMessage::DedupKey() const {
  if (channel == Channel::kRobot) return msg_id.empty() ? std::string() : "robot:" + msg_id;
  if (!msg_id.empty()) return "app:msg:" + msg_id;
  return "app:event:" + from_user + ":" + std::to_string(create_time);
}

Result<Envelope> ParseEnvelope(std::string_view body) {
  if (body.size() > kMaxCallbackBodyBytes) {
    return Status::ResourceExhausted("callback body of " + std::to_string(body.size()) +
                                     " bytes exceeds " + std::to_string(kMaxCallbackBodyBytes));
  }
  Envelope envelope;
  const char first = FirstSignificant(body);
  if (first == '<') {
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseBoundedXml(body));
    envelope.format = EnvelopeFormat::kXml;
    envelope.encrypt = std::string(TrimWhitespace(root.ChildText("Encrypt")));
    envelope.to_user_name = root.ChildText("ToUserName");
    envelope.agent_id = std::string(TrimWhitespace(root.ChildText("AgentID")));
  } else if (first == '{') {
    BEACON_ASSIGN_OR_RETURN(Json json, ParseBoundedJson(body));
    envelope.format = EnvelopeFormat::kJson;
    auto it = json.find("encrypt");
    if (it != json.end() && !it->is_string()) return BadInput("encrypt is not a string");
    if (it != json.end()) envelope.encrypt = it->get<std::string>();
    BEACON_RETURN_IF_ERROR(JsonText(json, "tousername", &envelope.to_user_name));
    BEACON_RETURN_IF_ERROR(JsonText(json, "agentid", &envelope.agent_id));
  } else {
    return BadInput("the body is neither XML nor JSON");
  }
  if (envelope.encrypt.empty()) return BadInput("no Encrypt in the envelope");
  return envelope;
}

Result<InboundMessage> ParseAppMessage(std::string_view plaintext) {
  if (plaintext.size() > kMaxCallbackBodyBytes) return BadInput("message too large");
  const char first = FirstSignificant(plaintext);
  Result<InboundMessage> message = BadInput("the message is neither XML nor JSON");
  if (first == '<') {
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseBoundedXml(plaintext));
    message = AppFromXml(root);
  } else if (first == '{') {
    BEACON_ASSIGN_OR_RETURN(Json json, ParseBoundedJson(plaintext));
    message = AppFromJson(json);
  }
  if (!message.ok()) return message;
  message->type = TypeOf(message->raw_type);
  BEACON_RETURN_IF_ERROR(RequireIdentity(*message, "MsgType", "FromUserName"));
  return message;
}

Result<InboundMessage> ParseRobotMessage(std::string_view plaintext) {
  if (plaintext.size() > kMaxCallbackBodyBytes) return BadInput("message too large");
  if (FirstSignificant(plaintext) != '{') return BadInput("the robot message is not JSON");
  BEACON_ASSIGN_OR_RETURN(Json json, ParseBoundedJson(plaintext));
  InboundMessage m;
  m.channel = Channel::kRobot;
  BEACON_RETURN_IF_ERROR(JsonText(json, "msgtype", &m.raw_type));
  m.type = TypeOf(m.raw_type);
  BEACON_RETURN_IF_ERROR(JsonText(json, "msgid", &m.msg_id));
  BEACON_RETURN_IF_ERROR(JsonText(json, "aibotid", &m.aibot_id));
  BEACON_RETURN_IF_ERROR(JsonText(json, "chatid", &m.chat_id));
  BEACON_RETURN_IF_ERROR(JsonText(json, "response_url", &m.response_url));
  BEACON_RETURN_IF_ERROR(JsonText(json, "response_code", &m.response_code));
  std::string create_time;
  BEACON_RETURN_IF_ERROR(JsonText(json, "create_time", &create_time));
  BEACON_RETURN_IF_ERROR(ParseSeconds("create_time", create_time, &m.create_time));
  std::string chat_type;
  BEACON_RETURN_IF_ERROR(JsonText(json, "chattype", &chat_type));
  if (chat_type == "single") m.chat_type = ChatType::kSingle;
  if (chat_type == "group") m.chat_type = ChatType::kGroup;
  BEACON_ASSIGN_OR_RETURN(const Json* from, JsonObject(json, "from"));
  if (from != nullptr) {
    BEACON_RETURN_IF_ERROR(JsonText(*from, "userid", &m.from_user));
    BEACON_RETURN_IF_ERROR(JsonText(*from, "corpid", &m.corp_id));
  }
  std::string text;
  BEACON_RETURN_IF_ERROR(RobotText(json, &text));
  m.content = StripLeadingMention(text);
  BEACON_ASSIGN_OR_RETURN(const Json* event, JsonObject(json, "event"));
  if (event != nullptr) {
    std::string event_type;
    BEACON_RETURN_IF_ERROR(JsonText(*event, "eventtype", &event_type));
    m.event = Lower(event_type);
    // The event's details sit under its own name: event.template_card_event.event_key.
    if (!event_type.empty()) {
      BEACON_ASSIGN_OR_RETURN(const Json* detail, JsonObject(*event, event_type));
      if (detail != nullptr) {
        BEACON_RETURN_IF_ERROR(JsonText(*detail, "event_key", &m.event_key));
        BEACON_RETURN_IF_ERROR(JsonText(*detail, "task_id", &m.task_id));
        BEACON_RETURN_IF_ERROR(JsonText(*detail, "card_type", &m.card_type));
      }
    }
  }
  BEACON_RETURN_IF_ERROR(RequireIdentity(m, "msgtype", "from.userid"));
  return m;
}

std::string StripLeadingMention(std::string_view text) {
  text = TrimSpaces(text);
  if (!text.empty() && text.front() == '@') {
    size_t i = 1;
    while (i < text.size() && SpaceAt(text, i) == 0) ++i;
    text = TrimSpaces(text.substr(i));
  }
  return std::string(text);
}

}  // namespace beacon::bot::wecom
