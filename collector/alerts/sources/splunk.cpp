// Parsing of Splunk webhook and custom alert action payloads into an AlertInput (see splunk.h).
#include "collector/alerts/sources/splunk.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/json/parse.h"
#include "common/strings.h"
#include "common/url.h"

namespace beacon::collector::alerts {
namespace {

constexpr size_t kMaxSidBytes = 512;

// A result field as text: strings as they are, multi-value fields joined with ",". Recurses
// per nesting level: ParseSplunkAlert refuses bodies deeper than kDefaultJsonMaxDepth first.
std::string FieldText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_array()) {
    std::string joined;
    for (const nlohmann::json& item : value) {
      if (!joined.empty()) joined += ",";
      joined += FieldText(item);
    }
    return joined;
  }
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A string member, or nullopt when absent, null or empty. InvalidArgument for other types.
Result<std::optional<std::string>> StringMember(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Status::InvalidArgument(std::string(name) + ": expected a string");
  std::string value(TrimWhitespace(it->get_ref<const std::string&>()));
  if (value.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(value));
}

Result<std::optional<Severity>> SeverityMember(const nlohmann::json& object,
                                               const std::string& where) {
  auto it = object.find("severity");
  if (it == object.end() || it->is_null()) return std::optional<Severity>();
  std::string text;
  if (it->is_number_integer()) {
    text = std::to_string(it->get<int64_t>());
  } else if (it->is_string()) {
    text = std::string(TrimWhitespace(it->get_ref<const std::string&>()));
  } else {
    return Status::InvalidArgument(where + ": expected a Splunk level 1..6 or a severity name");
  }
  if (text.empty()) return std::optional<Severity>();
  // Digits are Splunk's own levels (1..6), not Zabbix's 0..5 that ParseSeverity reads.
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    int level = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), level);
    std::optional<Severity> severity;
    if (ec == std::errc() && end == text.data() + text.size()) severity = SplunkSeverity(level);
    if (!severity) {
      return Status::InvalidArgument(where + ": expected a Splunk level 1..6, got '" + text + "'");
    }
    return severity;
  }
  std::optional<Severity> severity = notifier::ParseSeverity(text);
  if (!severity) return Status::InvalidArgument(where + ": unknown severity '" + text + "'");
  return severity;
}

// "recipients" as a string or a list of strings, joined with ",".
Result<std::optional<std::string>> RecipientsMember(const nlohmann::json& object) {
  auto it = object.find("recipients");
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_array()) {
    std::string joined;
    for (const nlohmann::json& item : *it) {
      if (!item.is_string()) return Status::InvalidArgument("recipients: expected strings");
      std::string_view name = TrimWhitespace(item.get_ref<const std::string&>());
      if (name.empty()) continue;
      if (!joined.empty()) joined += ",";
      joined += name;
    }
    if (joined.empty()) return std::optional<std::string>();
    return std::optional<std::string>(std::move(joined));
  }
  return StringMember(object, "recipients");
}

// Splunk's _time: epoch seconds (possibly fractional, as a string or number) or RFC 3339.
int64_t EventTimeMs(const nlohmann::json& result) {
  auto it = result.find("_time");
  if (it == result.end()) return 0;
  if (it->is_number()) {
    const double seconds = it->get<double>();
    return seconds > 0 ? static_cast<int64_t>(std::llround(seconds * 1000.0)) : 0;
  }
  if (!it->is_string()) return 0;
  const std::string& text = it->get_ref<const std::string&>();
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size() && seconds > 0) {
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  }
  Result<int64_t> rfc3339 = ParseRfc3339(text);
  return rfc3339.ok() ? *rfc3339 : 0;  // an unreadable time only loses precision: use receipt
}

bool IsSecretName(std::string_view name) {
  const std::string lower = Lower(name);
  return lower == "session_key" || lower.find("token") != std::string::npos ||
         lower.find("password") != std::string::npos || lower.find("secret") != std::string::npos;
}

std::string ResultMessage(const nlohmann::json& result) {
  std::string message;
  size_t lines = 0;
  for (const auto& [key, value] : result.items()) {
    if (lines == kSplunkMessageMaxLines) {
      message += "\n(" + std::to_string(result.size() - lines) + " more fields)";
      break;
    }
    // At most kSplunkMessageMaxValueBytes of the value, never cutting a UTF-8 sequence; "…"
    // marks a cut.
    const std::string text = FieldText(value);
    std::string line = key + "=" + std::string(TruncateUtf8(text, kSplunkMessageMaxValueBytes));
    if (text.size() > kSplunkMessageMaxValueBytes) line += "\xE2\x80\xA6";
    if (message.size() + line.size() + 1 > kSplunkMessageMaxBytes) {
      message += "\n(" + std::to_string(result.size() - lines) + " more fields)";
      break;
    }
    if (!message.empty()) message += "\n";
    message += line;
    ++lines;
  }
  return message;
}

}  // namespace

std::optional<Severity> SplunkSeverity(int level) {
  switch (level) {
    case 1:
    case 2:
      return Severity::kInformation;
    case 3:
      return Severity::kWarning;
    case 4:
      return Severity::kAverage;
    case 5:
      return Severity::kHigh;
    case 6:
      return Severity::kDisaster;
    default:
      return std::nullopt;
  }
}

Result<AlertInput> ParseSplunkAlert(const nlohmann::json& body, const SplunkSourceConfig& config) {
  if (!body.is_object()) return Status::InvalidArgument("body: expected a JSON object");
  // FieldText, dump() and the copy into input.raw recurse per level. ParseJson already bounds
  // bodies from the API; a tree built any other way is checked here, without recursion.
  if (JsonDepth(body) > kDefaultJsonMaxDepth) {
    return Status::InvalidArgument("body: JSON nested deeper than " +
                                   std::to_string(kDefaultJsonMaxDepth) + " levels");
  }
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> sid, StringMember(body, "sid"));
  if (!sid) return Status::InvalidArgument("missing sid");
  if (sid->size() > kMaxSidBytes) return Status::InvalidArgument("sid: longer than 512 bytes");

  const nlohmann::json empty = nlohmann::json::object();
  auto result_it = body.find("result");
  if (result_it != body.end() && !result_it->is_null() && !result_it->is_object()) {
    return Status::InvalidArgument("result: expected an object");
  }
  const nlohmann::json& result =
      result_it != body.end() && result_it->is_object() ? *result_it : empty;
  auto configuration_it = body.find("configuration");
  if (configuration_it != body.end() && !configuration_it->is_null() &&
      !configuration_it->is_object()) {
    return Status::InvalidArgument("configuration: expected an object");
  }
  const nlohmann::json& configuration =
      configuration_it != body.end() && configuration_it->is_object() ? *configuration_it : empty;

  AlertInput input;
  input.source = "splunk";
  input.status = AlertStatus::kFiring;  // Splunk has no recovery: a search either fires or not
  input.receipt_key = "splunk:" + *sid;
  input.external_id = *sid;

  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> search_name,
                          StringMember(body, "search_name"));
  input.title = search_name ? *search_name : "Splunk alert " + *sid;

  auto host = result.find("host");
  if (host != result.end()) {
    if (host->is_string()) {
      input.host = std::string(TrimWhitespace(host->get_ref<const std::string&>()));
    } else if (host->is_array() && !host->empty() && host->front().is_string()) {
      input.host = host->front().get<std::string>();  // multi-value field: its first value
    }
  }
  input.message = ResultMessage(result);
  input.event_ms = EventTimeMs(result);

  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> link, StringMember(body, "results_link"));
  if (link) {
    if (!IsHttpUrl(Lower(*link))) {
      return Status::InvalidArgument("results_link: only http and https links are accepted");
    }
    input.url = *link;
  }

  BEACON_ASSIGN_OR_RETURN(std::optional<Severity> severity, SeverityMember(body, "severity"));
  if (!severity) {
    BEACON_ASSIGN_OR_RETURN(severity, SeverityMember(configuration, "configuration.severity"));
  }
  input.severity = severity.value_or(config.default_severity);

  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> owner, StringMember(body, "owner"));
  if (owner) input.tags["owner"] = *owner;
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> app, StringMember(body, "app"));
  if (app) input.tags["app"] = *app;
  BEACON_ASSIGN_OR_RETURN(std::optional<std::string> recipients, RecipientsMember(body));
  if (!recipients) {
    BEACON_ASSIGN_OR_RETURN(recipients, RecipientsMember(configuration));
  }
  if (recipients) input.tags["recipients"] = *recipients;

  input.fingerprint =
      Fingerprint("splunk", input.host, "search", search_name ? *search_name : *sid);

  input.raw = body;
  input.raw.erase("session_key");
  auto raw_configuration = input.raw.find("configuration");
  if (raw_configuration != input.raw.end() && raw_configuration->is_object()) {
    for (auto it = raw_configuration->begin(); it != raw_configuration->end();) {
      if (IsSecretName(it.key())) {
        it = raw_configuration->erase(it);
      } else {
        ++it;
      }
    }
  }
  return input;
}

}  // namespace beacon::collector::alerts
