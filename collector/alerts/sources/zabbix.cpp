// Parsing of the Zabbix webhook parameters into an AlertInput (see zabbix.h and
// ../../../templates/zabbix for the media type that sends them).
#include "collector/alerts/sources/zabbix.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include "common/json/parse.h"
#include "common/strings.h"

namespace beacon::collector::alerts {
namespace {

// The parameter as a trimmed string; nullopt when missing, null, empty or an unexpanded macro.
Result<std::optional<std::string>> Param(const nlohmann::json& params, const char* name) {
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return std::optional<std::string>();
  std::string value;
  if (it->is_string()) {
    value = std::string(TrimWhitespace(it->get_ref<const std::string&>()));
  } else if (it->is_number_integer()) {
    value = std::to_string(it->get<int64_t>());
  } else {
    return Status::InvalidArgument(std::string(name) + ": expected a string");
  }
  if (value.empty() || IsUnexpandedZabbixMacro(value)) return std::optional<std::string>();
  return std::optional<std::string>(std::move(value));
}

Result<std::string> Required(const nlohmann::json& params, const char* name) {
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> value, Param(params, name));
  if (!value) return Status::InvalidArgument(std::string("missing parameter ") + name);
  return *std::move(value);
}

bool AllDigits(std::string_view text) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses exactly `width` digits at text[pos].
bool Digits(std::string_view text, size_t pos, size_t width, int* out) {
  if (pos + width > text.size()) return false;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + width, value);
  if (ec != std::errc() || end != text.data() + pos + width) return false;
  *out = value;
  return true;
}

// "2026.11.26 03:20:40" (also "2026-11-26", and "T" between date and time), or a date alone
// completed by `time` ("03:20:40").
Result<int64_t> ParseZabbixTime(const char* name, std::string_view date,
                                const std::optional<std::string>& time, const TimeZone& tz) {
  std::string text(date);
  if (text.size() == 10 && time) text += " " + *time;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const bool ok =
      text.size() == 19 && Digits(text, 0, 4, &year) && (text[4] == '.' || text[4] == '-') &&
      text[7] == text[4] && Digits(text, 5, 2, &month) && Digits(text, 8, 2, &day) &&
      (text[10] == ' ' || text[10] == 'T') && Digits(text, 11, 2, &hour) && text[13] == ':' &&
      Digits(text, 14, 2, &minute) && text[16] == ':' && Digits(text, 17, 2, &second);
  if (!ok) {
    return Status::InvalidArgument(
        std::string(name) + ": expected a date like 2026.11.26 03:20:40, got '" + text + "'");
  }
  Result<int64_t> ms = tz.FromLocal(year, month, day, hour, minute, second);
  if (!ms.ok()) return Status::InvalidArgument(std::string(name) + ": " + ms.status().message());
  return ms;
}

void AddTag(std::map<std::string, std::string>* tags, std::string name, std::string value) {
  if (name.empty()) return;
  auto [it, inserted] = tags->emplace(std::move(name), value);
  // Zabbix allows one tag name with several values; keep them all.
  if (!inserted && it->second != value) it->second += "," + value;
}

// EventTags: {EVENT.TAGSJSON} ('[{"tag":"svc","value":"demo"}]') or {EVENT.TAGS}
// ("svc:demo, env:prod", a tag without value written alone).
Status ParseTags(const std::string& text, std::map<std::string, std::string>* tags) {
  if (text.front() == '[') {
    Result<nlohmann::json> parsed = ParseJson(text);
    if (!parsed.ok()) {
      return Status::InvalidArgument("EventTags: malformed JSON tag list: " +
                                     parsed.status().message());
    }
    const nlohmann::json& list = *parsed;
    if (!list.is_array()) return Status::InvalidArgument("EventTags: malformed JSON tag list");
    for (const nlohmann::json& item : list) {
      auto tag = item.is_object() ? item.find("tag") : item.end();
      if (!item.is_object() || tag == item.end() || !tag->is_string()) {
        return Status::InvalidArgument("EventTags: expected [{\"tag\":..,\"value\":..}]");
      }
      std::string value;
      auto v = item.find("value");
      if (v != item.end() && v->is_string()) value = v->get<std::string>();
      AddTag(tags, std::string(TrimWhitespace(tag->get_ref<const std::string&>())), value);
    }
    return Status::Ok();
  }
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t comma = text.find(',', begin);
    if (comma == std::string::npos) comma = text.size();
    std::string_view item = TrimWhitespace(std::string_view(text).substr(begin, comma - begin));
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      AddTag(tags, std::string(item), "");
    } else {
      AddTag(tags, std::string(TrimWhitespace(item.substr(0, colon))),
             std::string(TrimWhitespace(item.substr(colon + 1))));
    }
    begin = comma + 1;
  }
  return Status::Ok();
}

// Unix seconds as the webhook script computes them (EventTimestamp, EventRecoveryTimestamp).
Result<int64_t> ParseZabbixTimestamp(const char* name, const std::string& text) {
  // Up to year 9999: a larger number is not a time a Zabbix server can have written.
  constexpr int64_t kMaxSeconds = 253402300799;
  int64_t seconds = -1;
  if (AllDigits(text)) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size()) seconds = -1;
  }
  if (seconds <= 0 || seconds > kMaxSeconds) {
    return Status::InvalidArgument(std::string(name) + ": expected Unix seconds, got '" + text +
                                   "'");
  }
  return seconds * 1000;
}

// Media types imported from YAML send their message templates with CRLF line ends; the alert
// keeps LF only (a lone CR, which no renderer shows as a break, becomes LF too).
std::string NormalizeLineEnds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
    } else if (i + 1 >= text.size() || text[i + 1] != '\n') {
      out += '\n';
    }
  }
  return out;
}

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  for (size_t pos = text->find(from); pos != std::string::npos;
       pos = text->find(from, pos + to.size())) {
    text->replace(pos, from.size(), to);
  }
}

}  // namespace

bool IsUnexpandedZabbixMacro(std::string_view value) {
  if (value.size() < 3 || value.front() != '{' || value.back() != '}') return false;
  size_t i = 1;
  while (i < value.size() &&
         (value[i] == '{' || value[i] == '$' || value[i] == '#' || value[i] == '?')) {
    ++i;
  }
  // A JSON object ({"a":1}) starts with a quote; a macro name with an upper-case letter.
  return i < value.size() && std::isupper(static_cast<unsigned char>(value[i]));
}

Result<AlertInput> ParseZabbixAlert(const nlohmann::json& params, const ZabbixSourceConfig& config,
                                    const TimeZone& server_tz) {
  if (!params.is_object()) return Status::InvalidArgument("expected a JSON object of parameters");
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> event_source, Param(params, "EventSource"));
  if (event_source && *event_source != "0") {
    return Status::InvalidArgument("EventSource: only trigger events (0) are alerts, got '" +
                                   *event_source + "'");
  }
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> update, Param(params, "EventUpdateStatus"));
  if (update && *update == "1")
    return Status::FailedPrecondition(std::string(kZabbixUpdateIgnored));

  AlertInput input;
  input.source = "zabbix";
  BEACON_ASSIGN_OR_RETURN(std::string event_id, Required(params, "EventID"));
  if (!AllDigits(event_id)) {
    return Status::InvalidArgument("EventID: expected a number, got '" + event_id + "'");
  }
  BEACON_ASSIGN_OR_RETURN(std::string event_value, Required(params, "EventValue"));
  if (event_value == "1") {
    input.status = AlertStatus::kFiring;
  } else if (event_value == "0") {
    input.status = AlertStatus::kResolved;
  } else {
    return Status::InvalidArgument("EventValue: expected 1 (problem) or 0 (recovery), got '" +
                                   event_value + "'");
  }
  BEACON_ASSIGN_OR_RETURN(input.host, Required(params, "HostName"));

  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> nseverity, Param(params, "EventNSeverity"));
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> severity_name, Param(params, "EventSeverity"));
  if (nseverity) {
    std::optional<Severity> severity =
        nseverity->size() == 1 ? notifier::ParseSeverity(*nseverity) : std::nullopt;
    if (!severity) {
      return Status::InvalidArgument("EventNSeverity: expected 0..5, got '" + *nseverity + "'");
    }
    input.severity = *severity;
  } else if (severity_name) {
    std::optional<Severity> severity = notifier::ParseSeverity(*severity_name);
    if (!severity) {
      return Status::InvalidArgument("EventSeverity: unknown severity '" + *severity_name + "'");
    }
    input.severity = *severity;
  }

  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> trigger_id, Param(params, "TriggerID"));
  if (trigger_id && !AllDigits(*trigger_id)) {
    return Status::InvalidArgument("TriggerID: expected a number, got '" + *trigger_id + "'");
  }

  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> tags, Param(params, "EventTags"));
  if (tags) BEACON_RETURN_IF_ERROR(ParseTags(*tags, &input.tags));
  // Our own tags do not override an event tag of the same name set in Zabbix.
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> host_ip, Param(params, "HostIP"));
  if (host_ip) input.tags.emplace("host_ip", *host_ip);
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> item_value, Param(params, "ItemValue"));
  if (item_value) input.tags.emplace("item_value", *item_value);
  if (trigger_id) input.tags.emplace("trigger_id", *trigger_id);

  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> subject, Param(params, "Subject"));
  input.title =
      subject ? NormalizeLineEnds(*subject) : "Zabbix event " + event_id + " on " + input.host;
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> message, Param(params, "Message"));
  if (message) input.message = NormalizeLineEnds(*message);

  // The instant the webhook script computed inside the Zabbix server wins; the wall-clock date
  // (old scripts, the script media type) is read in server_tz.
  const bool recovery = input.status == AlertStatus::kResolved;
  const char* timestamp_name = recovery ? "EventRecoveryTimestamp" : "EventTimestamp";
  const char* date_name = recovery ? "EventRecoveryDate" : "EventDate";
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> timestamp, Param(params, timestamp_name));
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> date, Param(params, date_name));
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> time,
                          Param(params, recovery ? "EventRecoveryTime" : "EventTime"));
  if (timestamp) {
    BEACON_ASSIGN_OR_RETURN(input.event_ms, ParseZabbixTimestamp(timestamp_name, *timestamp));
  } else if (date) {
    BEACON_ASSIGN_OR_RETURN(input.event_ms, ParseZabbixTime(date_name, *date, time, server_tz));
  }

  input.receipt_key = "zabbix:" + event_id + ":" + event_value;
  input.external_id = event_id;
  // Without a trigger id (a media type that does not send it) the problem event is the identity.
  input.fingerprint = trigger_id ? Fingerprint("zabbix", input.host, "trigger", *trigger_id)
                                 : Fingerprint("zabbix", input.host, "event", event_id);
  if (!config.event_url.empty()) {
    input.url = config.event_url;
    ReplaceAll(&input.url, "{event_id}", event_id);
    ReplaceAll(&input.url, "{trigger_id}", trigger_id.value_or(""));
  }
  input.raw = params;
  return input;
}

}  // namespace beacon::collector::alerts
