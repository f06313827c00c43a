// beaconctl alerts / silence / zabbix alert: requests, JSON passthrough and table rendering.
#include "ctl/alert_commands.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "common/alerting/matcher.h"
#include "common/clock.h"
#include "common/json/parse.h"
#include "common/strings.h"
#include "ctl/api.h"
#include "ctl/call.h"
#include "ctl/cli.h"
#include "ctl/format.h"

namespace beacon::ctl {
namespace {

using nlohmann::json;

constexpr size_t kTitleWidth = 60;
constexpr size_t kDeliveryWidth = 80;
constexpr size_t kMatchersWidth = 60;
constexpr size_t kErrorWidth = 80;
constexpr size_t kListedAlertIds = 3;  // a summary notification lists its first alerts

// Zabbix's default display names of {EVENT.NSEVERITY} 0..5 (what {EVENT.SEVERITY} gives when
// the administrator did not rename them).
constexpr const char* kZabbixSeverityNames[] = {"Not classified", "Information", "Warning",
                                                "Average",        "High",        "Disaster"};

// The "Key: value" lines of our script media type's message templates and the webhook
// parameter each one fills.
struct ZabbixLine {
  const char* label;
  const char* param;
};
constexpr ZabbixLine kZabbixLines[] = {
    {"Event ID", "EventID"},
    {"Event value", "EventValue"},
    {"Severity", "EventNSeverity"},
    {"Host", "HostName"},
    {"Host IP", "HostIP"},
    {"Trigger ID", "TriggerID"},
    {"Trigger status", "TriggerStatus"},
    {"Event tags", "EventTags"},
    {"Event date", "EventDate"},
    {"Recovery date", "EventRecoveryDate"},
    {"Item value", "ItemValue"},
    {"Update status", "EventUpdateStatus"},
    {"Event source", "EventSource"},
};

// ctl::Text, with an empty string shown as "-" too (alert fields are often empty strings).
std::string Field(const json& object, const char* key) {
  std::string text = ctl::Text(object, key);
  return text.empty() ? "-" : text;
}

std::optional<int64_t> TimeMs(const json& object, const char* key) {
  std::string raw = Field(object, key);
  if (raw == "-") return std::nullopt;
  auto ms = ParseRfc3339(raw);
  if (!ms.ok()) return std::nullopt;
  return *ms;
}

std::optional<int64_t> Integer(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !(it->is_number_integer() || it->is_number_unsigned())) {
    return std::nullopt;
  }
  return it->get<int64_t>();
}

// {"alert": {...}} or the object itself (the API returns the bare object; accept both).
const json& Unwrap(const json& body, const char* key) {
  if (body.is_object()) {
    auto it = body.find(key);
    if (it != body.end() && it->is_object()) return *it;
  }
  return body;
}

// "17" or "#17" -> 17; nullopt for anything else.
std::optional<int64_t> ParseId(std::string_view text) {
  if (!text.empty() && text[0] == '#') text.remove_prefix(1);
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id < 1) {
    return std::nullopt;
  }
  return id;
}

int Usage(CommandContext& ctx, const std::string& message, const std::string& command) {
  ctx.err << "beaconctl: " << message << " (see 'beaconctl " << command << " --help')\n";
  return kExitUsage;
}

std::string Matchers(const json& silence) {
  auto it = silence.find("matchers");
  if (it == silence.end() || !it->is_array() || it->empty()) return "-";
  std::string text;
  for (const auto& matcher : *it) {
    text += (text.empty() ? "" : ", ") +
            (matcher.is_string() ? matcher.get<std::string>() : matcher.dump());
  }
  return text;
}

// "active (1h12m left)", "pending", "expired".
// The collector's "state" when it sends one (its clock decides), else derived from the times.
std::string SilenceState(const json& silence, int64_t now_ms) {
  auto starts = TimeMs(silence, "starts_at");
  auto ends = TimeMs(silence, "ends_at");
  std::string state = Field(silence, "state");
  if (state == "-") {
    if (Field(silence, "expired_at") != "-" || (ends && now_ms >= *ends)) {
      state = "expired";
    } else if (starts && now_ms < *starts) {
      state = "pending";
    } else {
      state = "active";
    }
  }
  if (state == "active" && ends && *ends > now_ms) {
    return "active (" + RoughDuration(*ends - now_ms) + " left)";
  }
  return state;
}

// The first line of a Zabbix script's output: Zabbix stores it as the alert's error.
int ZabbixFailure(std::ostream& out, const std::string& message) {
  out << "beaconctl: " << SanitizeCell(message) << "\n";
  return kExitCollectorError;
}

}  // namespace

std::string DeliverySummary(const json& alert) {
  auto it = alert.is_object() ? alert.find("deliveries") : alert.end();
  if (!alert.is_object() || it == alert.end() || !it->is_array() || it->empty()) return "-";
  std::string text;
  std::string last_error;
  for (const auto& delivery : *it) {
    const std::string state = Field(delivery, "state");
    std::string part = Field(delivery, "receiver") + ":" + state;
    auto attempts = Integer(delivery, "attempts");
    if (state != "delivered" && attempts && *attempts > 0) {
      part += "(" + std::to_string(*attempts) + ")";
    }
    text += (text.empty() ? "" : " ") + part;
    const std::string error = Field(delivery, "last_error");
    if (state != "delivered" && error != "-" && last_error.empty()) last_error = error;
  }
  if (!last_error.empty()) text += " last error: " + last_error;
  return text;
}

Status ValidateMatcher(std::string_view matcher) {
  std::optional<std::string> problem = alerting::MatcherProblem(matcher);
  // The collector takes an empty value ("tag:owner=": no owner tag), but on a command line it
  // is far more often a shell variable that was not set.
  if (!problem && alerting::ParseMatcher(matcher)->value.empty()) problem = "has no value";
  if (!problem) return Status::Ok();
  return Status::InvalidArgument("matcher '" + std::string(matcher) +
                                 "' must be FIELD OP VALUE, e.g. host=~db-*: " + *problem);
}

Result<std::string> RenderAlerts(const json& reply, const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(const json* alerts, ArrayField(reply, "alerts"));
  if (alerts->empty()) return std::string("No alerts match.\n");
  Table table({"TIME", "SEVERITY", "STATUS", "ID", "HOST", "TITLE", "DELIVERY"});
  table.SetMaxWidth(5, kTitleWidth);
  table.SetMaxWidth(6, kDeliveryWidth);
  for (const auto& alert : *alerts) {
    std::string id = Field(alert, "id");
    table.AddRow({Time(alert, "starts_at", tz), Field(alert, "severity"), Field(alert, "status"),
                  id == "-" ? id : "#" + id, Field(alert, "host"), Field(alert, "title"),
                  DeliverySummary(alert)});
  }
  return table.Render();
}

Result<std::string> RenderAlertDetail(const json& body, const TimeZone& tz, int64_t now_ms) {
  const json& alert = Unwrap(body, "alert");
  if (!alert.is_object()) return Status::InvalidArgument("expected a JSON object");
  if (!Integer(alert, "id")) return Status::InvalidArgument("no alert \"id\"");
  Table header({"", ""});
  std::string status = Field(alert, "status");
  auto occurrences = Integer(alert, "occurrences");
  if (occurrences && *occurrences > 1) {
    status += " (" + std::to_string(*occurrences) + " occurrences)";
  }
  auto starts = TimeMs(alert, "starts_at");
  auto ends = TimeMs(alert, "ends_at");
  std::string resolved = Time(alert, "ends_at", tz);
  if (starts && ends) {
    resolved += " (lasted " + RoughDuration(*ends - *starts) + ")";
  } else if (starts && resolved == "-") {
    resolved += " (firing for " + RoughDuration(std::max<int64_t>(0, now_ms - *starts)) + ")";
  }
  std::string tags;
  if (auto it = alert.find("tags"); it != alert.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      tags += (tags.empty() ? "" : ", ") + key + "=" +
              (value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  header.AddRow({"Alert:", "#" + Field(alert, "id")});
  header.AddRow({"Status:", status});
  header.AddRow({"Severity:", Field(alert, "severity")});
  header.AddRow({"Source:", Field(alert, "source")});
  header.AddRow({"Host:", Field(alert, "host")});
  header.AddRow({"Title:", Field(alert, "title")});
  header.AddRow({"Started:", Time(alert, "starts_at", tz)});
  header.AddRow({"Resolved:", resolved});
  header.AddRow({"Received:", Time(alert, "received_at", tz)});
  header.AddRow({"Tags:", tags.empty() ? "-" : tags});
  header.AddRow({"URL:", Field(alert, "url")});
  header.AddRow({"External ID:", Field(alert, "external_id")});
  header.AddRow({"Fingerprint:", Field(alert, "fingerprint")});
  std::string text = header.Render();
  text.erase(0, text.find('\n') + 1);  // the key/value block has no header line

  std::string message = Field(alert, "message");
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.pop_back();
  }
  if (message != "-" && !message.empty()) {
    text += "\nMessage:\n";
    size_t begin = 0;
    while (begin <= message.size()) {
      size_t end = message.find('\n', begin);
      if (end == std::string::npos) end = message.size();
      std::string line = SanitizeCell(message.substr(begin, end - begin));
      while (!line.empty() && line.back() == ' ') line.pop_back();
      text += line.empty() ? "\n" : "  " + line + "\n";
      begin = end + 1;
    }
  }

  text += "\n";
  auto deliveries = alert.find("deliveries");
  if (deliveries == alert.end() || !deliveries->is_array() || deliveries->empty()) {
    text += "No deliveries (no receiver was due: silenced, inhibited or still grouping).\n";
    return text;
  }
  Table table({"RECEIVER", "STATE", "ATTEMPTS", "DELIVERED", "FOR", "LAST ERROR"});
  table.SetMaxWidth(5, kErrorWidth);
  for (const auto& delivery : *deliveries) {
    table.AddRow({Field(delivery, "receiver"), Field(delivery, "state"),
                  Field(delivery, "attempts"), Time(delivery, "delivered_at", tz),
                  Field(delivery, "status"), Field(delivery, "last_error")});
  }
  return text + table.Render();
}

Result<std::string> RenderDeliveries(const json& reply, const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(const json* deliveries, ArrayField(reply, "deliveries"));
  if (deliveries->empty()) return std::string("No deliveries match.\n");
  Table table({"ID", "RECEIVER", "STATE", "KIND", "ATTEMPTS", "CREATED", "NEXT TRY", "ALERTS",
               "LAST ERROR"});
  table.SetMaxWidth(8, kErrorWidth);
  for (const auto& delivery : *deliveries) {
    std::string alerts;
    size_t listed = 0;
    if (auto ids = delivery.find("alert_ids"); ids != delivery.end() && ids->is_array()) {
      for (const auto& id : *ids) {
        if (listed == kListedAlertIds) break;
        alerts +=
            (alerts.empty() ? "#" : " #") + (id.is_string() ? id.get<std::string>() : id.dump());
        ++listed;
      }
    }
    auto total = Integer(delivery, "total_alerts");
    if (total && *total > static_cast<int64_t>(listed)) {
      alerts += (alerts.empty() ? "" : " ") + std::string("+") +
                std::to_string(*total - static_cast<int64_t>(listed));
    }
    const std::string state = Field(delivery, "state");
    table.AddRow({Field(delivery, "id"), Field(delivery, "receiver"), state,
                  Field(delivery, "kind"), Field(delivery, "attempts"),
                  Time(delivery, "created_at", tz),
                  state == "pending" ? Time(delivery, "next_try_at", tz) : "-",
                  alerts.empty() ? "-" : alerts, Field(delivery, "last_error")});
  }
  return table.Render();
}

Result<std::string> RenderSilences(const json& reply, const TimeZone& tz, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(const json* silences, ArrayField(reply, "silences"));
  if (silences->empty()) return std::string("No silences.\n");
  Table table({"ID", "STATE", "MATCHERS", "STARTS", "ENDS", "BY", "REASON"});
  table.SetMaxWidth(2, kMatchersWidth);
  table.SetMaxWidth(6, kReasonWidth);
  for (const auto& silence : *silences) {
    table.AddRow({Field(silence, "id"), SilenceState(silence, now_ms), Matchers(silence),
                  Time(silence, "starts_at", tz), Time(silence, "ends_at", tz),
                  Field(silence, "created_by"), Field(silence, "reason")});
  }
  return table.Render();
}

Result<json> ZabbixAlertParams(std::string_view sendto, std::string_view subject,
                               std::string_view message) {
  json params = json::object();
  std::vector<std::string> text_lines;
  size_t begin = 0;
  while (begin <= message.size()) {
    size_t end = message.find('\n', begin);
    if (end == std::string_view::npos) end = message.size();
    std::string line(message.substr(begin, end - begin));
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the frontend saves CRLF
    begin = end + 1;
    bool taken = false;
    if (size_t colon = line.find(':'); colon != std::string::npos) {
      const std::string label = Lower(TrimWhitespace(std::string_view(line).substr(0, colon)));
      for (const auto& known : kZabbixLines) {
        if (label == Lower(known.label) && !params.contains(known.param)) {
          params[known.param] = TrimWhitespace(std::string_view(line).substr(colon + 1));
          taken = true;
          break;
        }
      }
    }
    if (!taken) text_lines.push_back(std::move(line));
  }
  if (!params.contains("EventID") || params["EventID"].get<std::string>().empty()) {
    return Status::InvalidArgument(
        "the message has no 'Event ID:' line; use the message templates of "
        "templates/zabbix/beacon_media_script.yaml");
  }

  // "Severity:" carries {EVENT.NSEVERITY}; a template may also write the name.
  if (params.contains("EventNSeverity")) {
    const std::string severity = params["EventNSeverity"].get<std::string>();
    if (severity.size() == 1 && severity[0] >= '0' && severity[0] <= '5') {
      params["EventSeverity"] = kZabbixSeverityNames[severity[0] - '0'];
    } else {
      params.erase("EventNSeverity");
      params["EventSeverity"] = severity;
      for (int level = 0; level < 6; ++level) {
        if (Lower(severity) == Lower(kZabbixSeverityNames[level])) {
          params["EventNSeverity"] = std::to_string(level);
        }
      }
    }
  }
  // The script media type's templates are trigger actions; an update says so in its line.
  if (!params.contains("EventUpdateStatus")) params["EventUpdateStatus"] = "0";
  if (!params.contains("EventSource")) params["EventSource"] = "0";

  if (!sendto.empty()) {
    Result<json> parsed = ParseJson(params.value("EventTags", std::string()));
    // Absent, or the macro left literal: start a new list.
    json tags = parsed.ok() && parsed->is_array() ? std::move(*parsed) : json::array();
    tags.push_back({{"tag", "sendto"}, {"value", std::string(sendto)}});
    params["EventTags"] = tags.dump();
  }

  while (!text_lines.empty() && TrimWhitespace(text_lines.front()).empty()) {
    text_lines.erase(text_lines.begin());
  }
  while (!text_lines.empty() && TrimWhitespace(text_lines.back()).empty()) text_lines.pop_back();
  std::string text;
  for (const auto& line : text_lines) text += (text.empty() ? "" : "\n") + line;
  params["Subject"] = std::string(subject);
  params["Message"] = text;
  return params;
}

bool IsZabbixAlertInvocation(const std::vector<std::string>& argv) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") return false;
    if (arg == "zabbix") return argv[i + 1] == "alert";
    if (arg == "--url" || arg == "--token-file" || arg == "--timeout" || arg == "--tz") {
      ++i;  // a global option's value
      continue;
    }
    if (arg.empty() || arg[0] != '-') return false;  // another command
  }
  return false;
}

int RunAlerts(CommandContext& ctx, const std::map<std::string, std::string>& options) {
  Query query;
  for (const char* key : {"status", "source", "host", "since", "undelivered", "limit"}) {
    auto it = options.find(key);
    if (it == options.end()) continue;
    std::string value = it->second;
    if (std::string_view(key) == "since") {
      // Resolved here so "2h" means two hours before the operator's "now" on every collector.
      auto since = TimeOption("--since", value, ctx.clock.NowMs());
      if (!since.ok()) return Usage(ctx, since.status().message(), "alerts");
      value = *since;
    }
    query.emplace_back(key, value);
  }
  CallResult call = Call(ctx, "GET", "/api/v1/alerts", query, "",
                         "this collector has no alert API; is it older than beaconctl?");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderAlerts(call.body, ctx.tz));
}

int RunAlertShow(CommandContext& ctx, const std::string& id_text) {
  auto id = ParseId(id_text);
  if (!id) {
    return Usage(ctx, "ID must be an alert id such as 17 or #17, got '" + id_text + "'",
                 "alerts show");
  }
  const std::string id_str = std::to_string(*id);
  CallResult call = Call(ctx, "GET", "/api/v1/alerts/" + id_str, {}, "",
                         "no alert #" + id_str + "; list alerts with 'beaconctl alerts'");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderAlertDetail(call.body, ctx.tz, ctx.clock.NowMs()));
}

int RunSilenceAdd(CommandContext& ctx, const std::vector<std::string>& matchers,
                  const std::map<std::string, std::string>& options,
                  const std::string& default_by) {
  const std::string command = "silence add";
  for (const auto& matcher : matchers) {
    if (Status valid = ValidateMatcher(matcher); !valid.ok()) {
      return Usage(ctx, valid.message(), command);
    }
  }
  json request = {{"matchers", matchers}};
  auto for_it = options.find("for");
  auto until_it = options.find("until");
  if ((for_it == options.end()) == (until_it == options.end())) {
    return Usage(ctx, "give exactly one of --for DURATION and --until TIME", command);
  }
  if (for_it != options.end()) {
    auto ms = ParseDurationMs(for_it->second);
    if (!ms.ok() || *ms <= 0) {
      return Usage(ctx,
                   "--for takes a duration such as 30m, 2h or 1d, got '" + for_it->second + "'",
                   command);
    }
    request["duration"] = for_it->second;
  } else {
    auto until = ParseRfc3339(until_it->second);
    if (!until.ok()) {
      return Usage(ctx,
                   "--until takes an RFC 3339 time such as 2026-11-26T18:00:00+08:00 (use --for "
                   "for a duration), got '" +
                       until_it->second + "'",
                   command);
    }
    if (*until <= ctx.clock.NowMs()) {
      return Usage(ctx, "--until " + until_it->second + " is in the past", command);
    }
    request["ends_at"] = FormatRfc3339(*until);
  }
  auto reason = options.find("reason");
  if (reason == options.end() || TrimWhitespace(reason->second).empty()) {
    return Usage(ctx, "--reason is required: say why, for whoever sees the alerts missing",
                 command);
  }
  request["reason"] = reason->second;
  auto by = options.find("by");
  request["created_by"] = by != options.end() && !by->second.empty() ? by->second : default_by;

  CallResult call = Call(ctx, "POST", "/api/v1/silences", {}, request.dump(),
                         "this collector has no silence API; is it older than beaconctl?");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  const json& silence = Unwrap(call.body, "silence");
  if (!Integer(silence, "id")) {
    ctx.err << FormatFailure(DescribeBadReply("no silence \"id\" in the reply"));
    return kExitCollectorError;
  }
  ctx.out << "Created silence #" << Field(silence, "id") << " until "
          << Time(silence, "ends_at", ctx.tz) << ": " << SanitizeCell(Matchers(silence)) << "\n";
  return kExitOk;
}

int RunSilenceList(CommandContext& ctx, const std::map<std::string, std::string>& options) {
  Query query;
  if (options.count("all") != 0) query.emplace_back("all", "true");
  CallResult call = Call(ctx, "GET", "/api/v1/silences", query, "",
                         "this collector has no silence API; is it older than beaconctl?");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderSilences(call.body, ctx.tz, ctx.clock.NowMs()));
}

int RunSilenceExpire(CommandContext& ctx, const std::string& id_text) {
  auto id = ParseId(id_text);
  if (!id) {
    return Usage(ctx, "ID must be a silence id such as 5, got '" + id_text + "'", "silence expire");
  }
  const std::string id_str = std::to_string(*id);
  CallResult call =
      Call(ctx, "DELETE", "/api/v1/silences/" + id_str, {}, "",
           "no silence #" + id_str + "; list them with 'beaconctl silence list --all'");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  ctx.out << "Expired silence #" << id_str << "; alerts it matched are notified again.\n";
  return kExitOk;
}

int RunDeliveries(CommandContext& ctx, const std::map<std::string, std::string>& options) {
  Query query;
  for (const char* key : {"state", "limit"}) {
    auto it = options.find(key);
    if (it != options.end()) query.emplace_back(key, it->second);
  }
  CallResult call = Call(ctx, "GET", "/api/v1/deliveries", query, "",
                         "this collector has no delivery API; is it older than beaconctl?");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderDeliveries(call.body, ctx.tz));
}

int RunDeliveriesRetry(CommandContext& ctx, const std::string& receiver) {
  CallResult call = Call(ctx, "POST", "/api/v1/deliveries/retry", {{"receiver", receiver}}, "",
                         "no receiver '" + receiver +
                             "'; receivers are named in collector.yaml "
                             "(alerts.receivers)");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  auto retried = Integer(call.body, "retried");
  if (!retried) {
    ctx.err << FormatFailure(DescribeBadReply("no \"retried\" count in the reply"));
    return kExitCollectorError;
  }
  const std::string name = SanitizeCell(receiver);
  if (*retried == 0) {
    ctx.out << "Receiver '" << name << "' has no failed deliveries.\n";
  } else {
    ctx.out << "Retrying " << *retried
            << (*retried == 1 ? " failed delivery" : " failed deliveries") << " to '" << name
            << "' now.\n";
  }
  return kExitOk;
}

int RunZabbixAlert(http::HttpClient& http, const Invocation& inv, const Getenv& getenv,
                   std::ostream& out) {
  std::string token_file;
  if (auto it = inv.options.find("zabbix-token-file"); it != inv.options.end()) {
    token_file = it->second;
  } else if (auto env = getenv("BEACON_ZABBIX_TOKEN_FILE"); env && !env->empty()) {
    token_file = *env;
  }
  if (token_file.empty()) {
    return ZabbixFailure(out,
                         "no Zabbix source token: pass --zabbix-token-file FILE or set "
                         "BEACON_ZABBIX_TOKEN_FILE (the token of alerts.zabbix in collector.yaml)");
  }
  auto token = ReadTokenFile(token_file);
  if (!token.ok()) return ZabbixFailure(out, token.status().message());
  auto params = ZabbixAlertParams(inv.args[0], inv.args[1], inv.args[2]);
  if (!params.ok()) return ZabbixFailure(out, params.status().message());

  CollectorApi api(http, inv.global.url, *token, inv.global.timeout_ms);
  auto reply = api.Send("POST", "/api/v1/alerts/zabbix", {}, params->dump());
  if (!reply.ok()) {
    Failure failure = DescribeTransportFailure(reply.status(), api.base_url(), api.timeout_ms());
    return ZabbixFailure(out, failure.message);
  }
  if (reply->status < 200 || reply->status >= 300) {
    Failure failure = DescribeHttpError(reply->status, reply->body, "");
    std::string message = failure.message;
    if (reply->status == 401 || reply->status == 403) {
      message += "; the token file must hold the collector's alerts.zabbix token";
    } else if (reply->status == 404) {
      message += "; is alerts.zabbix.token_file set on the collector at " + api.base_url() + "?";
    }
    return ZabbixFailure(out, message);
  }
  Result<json> parsed = ParseJson(reply->body);
  const json body = parsed.ok() ? std::move(*parsed) : json();
  if (inv.global.json) {
    out << reply->body << (reply->body.empty() || reply->body.back() != '\n' ? "\n" : "");
    return kExitOk;
  }
  const std::string event = (*params)["EventID"].get<std::string>();
  if (!body.is_object() || Integer(body, "alert_id").value_or(0) <= 0) {
    // An update (acknowledgement) is taken but changes no alert: {"outcome":"ignored"}.
    out << "beaconctl: event " << SanitizeCell(event) << ": "
        << SanitizeCell(Field(body, "outcome") == "-" ? "accepted" : Field(body, "outcome"))
        << "\n";
    return kExitOk;
  }
  out << "beaconctl: event " << SanitizeCell(event) << " -> alert #" << Field(body, "alert_id")
      << " " << SanitizeCell(Field(body, "outcome")) << "\n";
  return kExitOk;
}

}  // namespace beacon::ctl
