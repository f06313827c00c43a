// beaconctl commands: requests, JSON passthrough and table rendering.
#include "ctl/commands.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/url.h"
#include "ctl/call.h"
#include "ctl/format.h"

namespace beacon::ctl {
namespace {

using nlohmann::json;

constexpr size_t kKindWidth = 40;
constexpr size_t kSubjectWidth = 40;
constexpr size_t kMessageWidth = 100;
constexpr size_t kLabelsWidth = 60;
constexpr int64_t kRestorePollMs = 1000;
constexpr int64_t kDefaultRestoreWaitMs = 10 * 60 * 1000;

// "2026-11-26 13:56:41 CST (12s ago)". Prefers the collector's own age (no clock skew
// between the operator's machine and the collector), else now - last_seen.
std::string LastSeen(const json& host, const TimeZone& tz, int64_t now_ms) {
  std::string raw = Text(host, "last_seen");
  if (raw == "-") return "never";
  auto seen_ms = ParseRfc3339(raw);
  if (!seen_ms.ok()) return raw;
  int64_t age_ms = now_ms - *seen_ms;
  auto age = host.find("last_seen_age_seconds");
  if (age != host.end() && age->is_number()) {
    age_ms = static_cast<int64_t>(std::llround(age->get<double>() * 1000));
  }
  return tz.Format(*seen_ms) + " (" + Ago(age_ms) + ")";
}

std::string Labels(const json& metric) {
  auto it = metric.find("labels");
  if (it == metric.end() || !it->is_object() || it->empty()) return "-";
  std::string text;
  for (const auto& [key, value] : it->items()) {
    if (!text.empty()) text += ",";
    text += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

Table EventTable(bool with_host) {
  std::vector<std::string> headers = {"TIME"};
  if (with_host) headers.push_back("HOST");
  for (const char* h : {"SEVERITY", "KIND", "SUBJECT", "MESSAGE"}) headers.push_back(h);
  Table table(headers);
  size_t first = with_host ? 3 : 2;
  table.SetMaxWidth(first, kKindWidth);
  table.SetMaxWidth(first + 1, kSubjectWidth);
  table.SetMaxWidth(first + 2, kMessageWidth);
  return table;
}

void AddEventRow(Table& table, const json& event, const TimeZone& tz, bool with_host) {
  std::vector<std::string> row = {Time(event, "ts", tz)};
  if (with_host) row.push_back(Text(event, "host"));
  row.push_back(Text(event, "severity"));
  row.push_back(Text(event, "kind"));
  row.push_back(Text(event, "subject"));
  row.push_back(Text(event, "message"));
  table.AddRow(std::move(row));
}

std::optional<uint64_t> Unsigned(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  if (it->is_number_unsigned() || it->is_number_integer()) {
    int64_t value = it->get<int64_t>();
    return value < 0 ? 0 : static_cast<uint64_t>(value);
  }
  return static_cast<uint64_t>(std::max(0.0, it->get<double>()));
}

std::string Bytes(const json& object, const char* key) {
  auto value = Unsigned(object, key);
  return value ? HumanBytes(static_cast<double>(*value)) : "-";
}

void Sleep(CommandContext& ctx, int64_t ms) {
  if (ctx.sleep_ms) {
    ctx.sleep_ms(ms);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
}

}  // namespace

int64_t TimeoutWaitMs(const std::map<std::string, std::string>& options, int64_t default_ms) {
  auto it = options.find("timeout-wait");
  if (it == options.end()) return default_ms;
  auto parsed = ParseDurationMs(it->second);  // validated by ParseArgs
  return parsed.ok() ? *parsed : default_ms;
}

std::optional<int64_t> CommandIdOf(CommandContext& ctx, const json& command,
                                   std::string_view reply) {
  auto id = command.is_object() ? command.find("id") : command.end();
  if (!command.is_object() || id == command.end() || !id->is_number_integer()) {
    ctx.err << FormatFailure(DescribeBadReply("no command id in " + std::string(reply)));
    return std::nullopt;
  }
  return id->get<int64_t>();
}

const json& CommandOf(const json& body) {
  auto it = body.find("command");
  if (it != body.end() && it->is_object()) return *it;
  return body;
}

Result<std::string> TimeOption(std::string_view flag, const std::string& text, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(int64_t ms, ParseTimeOrAgo(flag, text, now_ms));
  return FormatRfc3339(ms);
}

std::string RestoreProgressText(const json& command) {
  const std::string state = Text(command, "state");
  const std::string message = Text(command, "message");
  if (state == "waiting_archive_restore") return "waiting for archive restore";
  if (state == "queued") return "queued, waiting for the agent";
  if (state == "delivered") return "delivered to the agent";
  if (state == "running") {
    auto done = Unsigned(command, "done_bytes");
    auto total = Unsigned(command, "total_bytes");
    if (!total || *total == 0) return "running";
    uint64_t done_bytes = done ? std::min(*done, *total) : 0;
    return "running " + HumanBytes(static_cast<double>(done_bytes)) + " / " +
           HumanBytes(static_cast<double>(*total)) + " (" +
           std::to_string(done_bytes * 100 / *total) + "%)";
  }
  if ((state == "succeeded" || state == "failed") && message != "-" && !message.empty()) {
    return state + ": " + SanitizeCell(message);
  }
  return SanitizeCell(state);
}

Result<std::string> RenderBackups(const json& reply, const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(const json* versions, ArrayField(reply, "versions"));
  if (versions->empty()) return std::string("No backed-up versions match.\n");
  Table table({"CREATED", "HOST", "PATH", "SIZE", "STORED", "CLASS", "SHA256", "ID"});
  table.SetMaxWidth(2, kPathWidth);
  for (const auto& version : *versions) {
    std::string storage_class = Text(version, "storage_class");
    const std::string restore_state = Text(version, "restore_state");
    if (restore_state != "-" && restore_state != "none" && !restore_state.empty()) {
      storage_class += " (restore " + restore_state + ")";
    }
    const std::string state = Text(version, "state");
    if (state == "deleted") storage_class += " deleted";
    std::string sha = Text(version, "sha256");
    if (sha.size() > kShaPrefix) sha.resize(kShaPrefix);
    table.AddRow({Time(version, "created", tz), Text(version, "host"), Text(version, "path"),
                  Bytes(version, "size"), Bytes(version, "stored_size"), storage_class, sha,
                  Text(version, "id")});
  }
  return table.Render();
}

Result<std::string> RenderLifecycle(const json& reply) {
  BEACON_ASSIGN_OR_RETURN(const json* actions, ArrayField(reply, "actions"));
  const bool dry_run = reply.value("dry_run", false);
  if (actions->empty()) {
    return std::string(dry_run ? "Dry run: no lifecycle actions are due.\n"
                               : "No lifecycle actions were due.\n");
  }
  bool any_error = false;
  for (const auto& action : *actions) {
    std::string error = Text(action, "error");
    if (error != "-" && !error.empty()) any_error = true;
  }
  std::vector<std::string> headers = {"ACTION", "VERSION", "HOST",  "PATH",
                                      "TARGET", "STATE",   "REASON"};
  if (any_error) headers.push_back("ERROR");
  Table table(headers);
  table.SetMaxWidth(3, kPathWidth);
  table.SetMaxWidth(6, kReasonWidth);
  std::map<std::string, int> by_action;
  std::map<std::string, int> by_state;
  for (const auto& action : *actions) {
    auto or_dash = [&](const char* key) {
      std::string text = Text(action, key);
      return text.empty() ? std::string("-") : text;
    };
    std::vector<std::string> row = {or_dash("action"), or_dash("version_id"),   or_dash("host"),
                                    or_dash("path"),   or_dash("target_class"), or_dash("state"),
                                    or_dash("reason")};
    if (any_error) row.push_back(or_dash("error"));
    table.AddRow(std::move(row));
    ++by_action[Text(action, "action")];
    ++by_state[Text(action, "state")];
  }
  auto counts = [](const std::map<std::string, int>& by) {
    std::string text;
    for (const auto& [name, count] : by) {
      text += (text.empty() ? "" : ", ") + std::to_string(count) + " " + SanitizeCell(name);
    }
    return text;
  };
  const size_t n = actions->size();
  const std::string total = std::to_string(n) + (n == 1 ? " action" : " actions");
  std::string summary;
  if (dry_run) {
    summary =
        "Dry run: " + total + " would be taken (" + counts(by_action) + "); nothing was changed.\n";
  } else {
    summary = total + " (" + counts(by_action) + "): " + counts(by_state) + ".";
    if (by_state.count("failed") != 0) summary += " Failed actions are retried by the collector.";
    summary += "\n";
  }
  return table.Render() + summary;
}

Result<std::string> RenderHostList(const json& reply, const TimeZone& tz, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(const json* hosts, ArrayField(reply, "hosts"));
  std::vector<const json*> sorted;
  for (const auto& host : *hosts) sorted.push_back(&host);
  std::stable_sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) {
    return Text(*a, "name") < Text(*b, "name");
  });
  Table table({"NAME", "STATE", "LAST SEEN", "VERSION", "EVENTS"});
  for (const json* host : sorted) {
    table.AddRow({Text(*host, "name"), Text(*host, "state"), LastSeen(*host, tz, now_ms),
                  Text(*host, "agent_version"), Text(*host, "events_total")});
  }
  if (table.row_count() == 0) {
    return std::string(
        "No hosts yet. Create an agent token with 'beaconctl token create HOST' and start "
        "beacon-agent with it.\n");
  }
  return table.Render();
}

Result<std::string> RenderHostDetail(const json& host, const TimeZone& tz, int64_t now_ms) {
  if (!host.is_object()) return Status::InvalidArgument("expected a JSON object");
  if (!host.contains("name")) return Status::InvalidArgument("no \"name\" field");
  Table header({"", ""});
  header.AddRow({"Host:", Text(host, "name")});
  header.AddRow({"State:", Text(host, "state")});
  header.AddRow({"Version:", Text(host, "agent_version")});
  header.AddRow({"Last seen:", LastSeen(host, tz, now_ms)});
  header.AddRow({"First seen:", Time(host, "first_seen", tz)});
  header.AddRow({"Last seq:", Text(host, "last_seq")});
  header.AddRow({"Received:", Text(host, "samples_total") + " samples, " +
                                  Text(host, "events_total") + " events"});
  std::string text = header.Render();
  text.erase(0, text.find('\n') + 1);  // the key/value block has no header line

  text += "\n";
  auto metrics = host.find("metrics");
  if (metrics == host.end() || !metrics->is_array() || metrics->empty()) {
    text += "No current metrics.\n";
  } else {
    std::vector<const json*> sorted;
    for (const auto& metric : *metrics) sorted.push_back(&metric);
    std::stable_sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) {
      return std::make_pair(Text(*a, "metric"), Labels(*a)) <
             std::make_pair(Text(*b, "metric"), Labels(*b));
    });
    Table table({"METRIC", "LABELS", "VALUE"});
    table.SetMaxWidth(1, kLabelsWidth);
    for (const json* metric : sorted) {
      std::string name = Text(*metric, "metric");
      std::string value = Text(*metric, "value");
      auto v = metric->find("value");
      if (v != metric->end() && v->is_number()) {
        std::string unit = metric->contains("unit") && (*metric)["unit"].is_string()
                               ? (*metric)["unit"].get<std::string>()
                               : "";
        value = FormatMetricValue(name, v->get<double>(), unit);
      }
      table.AddRow({name, Labels(*metric), value});
    }
    text += table.Render();
  }

  text += "\n";
  auto events = host.find("recent_events");
  if (events == host.end() || !events->is_array() || events->empty()) {
    text += "No recent events.\n";
  } else {
    text += "Recent events:\n";
    Table table = EventTable(/*with_host=*/false);
    for (const auto& event : *events) AddEventRow(table, event, tz, /*with_host=*/false);
    text += table.Render();
  }
  return text;
}

Result<std::string> RenderEvents(const json& reply, const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(const json* events, ArrayField(reply, "events"));
  if (events->empty()) return std::string("No events.\n");
  Table table = EventTable(/*with_host=*/true);
  for (const auto& event : *events) AddEventRow(table, event, tz, /*with_host=*/true);
  return table.Render();
}

Result<std::string> RenderTokens(const json& reply, const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(const json* tokens, ArrayField(reply, "tokens"));
  if (tokens->empty()) return std::string("No tokens.\n");
  Table table({"ID", "AGENT", "CREATED", "LAST USED", "STATE"});
  for (const auto& token : *tokens) {
    std::string last_used = Time(token, "last_used", tz);
    if (last_used == "-") last_used = "never";
    std::string state = "active";
    auto revoked = token.find("revoked");
    if (revoked != token.end()) {
      if (revoked->is_string()) {
        state = "revoked " + Time(token, "revoked", tz);
      } else if ((revoked->is_boolean() && revoked->get<bool>()) ||
                 (revoked->is_number() && revoked->get<double>() != 0)) {
        state = "revoked";
      }
    }
    table.AddRow(
        {Text(token, "id"), Text(token, "agent"), Time(token, "created", tz), last_used, state});
  }
  return table.Render();
}

int RunStatus(CommandContext& ctx) {
  CallResult call = Call(ctx, "GET", "/api/v1/hosts", {}, "", "");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderHostList(call.body, ctx.tz, ctx.clock.NowMs()));
}

int RunHostStatus(CommandContext& ctx, const std::string& host) {
  CallResult call = Call(ctx, "GET", "/api/v1/hosts/" + PercentEncode(host), {}, "",
                         "the collector has never heard from '" + host +
                             "'; list known hosts with 'beaconctl status'");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderHostDetail(call.body, ctx.tz, ctx.clock.NowMs()));
}

int RunEvents(CommandContext& ctx, const std::map<std::string, std::string>& options) {
  Query query;
  for (const char* key : {"host", "kind", "since", "until", "limit"}) {
    auto it = options.find(key);
    if (it != options.end()) query.emplace_back(key, it->second);
  }
  CallResult call = Call(ctx, "GET", "/api/v1/events", query, "",
                         "no such host; list known hosts with 'beaconctl status'");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderEvents(call.body, ctx.tz));
}

int RunTokenCreate(CommandContext& ctx, const std::string& agent) {
  CallResult call =
      Call(ctx, "POST", "/api/v1/admin/tokens", {}, json{{"agent", agent}}.dump(), "");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  auto token = call.body.find("token");
  if (!call.body.is_object() || token == call.body.end() || !token->is_string() ||
      token->get<std::string>().empty()) {
    ctx.err << FormatFailure(DescribeBadReply("no \"token\" in the reply"));
    return kExitCollectorError;
  }
  // stdout carries the token alone so `beaconctl token create web-01 > agent.token` works;
  // the advice goes to stderr.
  ctx.out << token->get<std::string>() << '\n';
  ctx.err << "Created token " << Text(call.body, "id") << " for agent '"
          << SanitizeCell(Text(call.body, "agent"))
          << "'. It is shown only this once: put it in the agent's collector.token_file "
             "(chmod 600).\n";
  return kExitOk;
}

int RunTokenList(CommandContext& ctx) {
  CallResult call = Call(ctx, "GET", "/api/v1/admin/tokens", {}, "", "");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderTokens(call.body, ctx.tz));
}

int RunTokenRevoke(CommandContext& ctx, const std::string& agent) {
  CallResult call = Call(ctx, "DELETE", "/api/v1/admin/tokens/" + PercentEncode(agent), {}, "",
                         "no tokens for that agent; see 'beaconctl token list'");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  auto revoked = call.body.find("revoked");
  if (!call.body.is_object() || revoked == call.body.end() || !revoked->is_number_integer()) {
    ctx.err << FormatFailure(DescribeBadReply("no \"revoked\" count in the reply"));
    return kExitCollectorError;
  }
  int64_t count = revoked->get<int64_t>();
  std::string name = SanitizeCell(agent);
  if (count == 0) {
    ctx.out << "Agent '" << name << "' had no active token; nothing revoked.\n";
  } else {
    ctx.out << "Revoked " << count << (count == 1 ? " token" : " tokens") << " of agent '" << name
            << "'; it is refused (401) from now on.\n";
  }
  return kExitOk;
}

int RunBackupsList(CommandContext& ctx, const std::map<std::string, std::string>& options) {
  // since/until go as typed: the collector resolves "7d" against its own clock.
  Query query;
  for (const char* key : {"host", "path", "set", "since", "until", "limit"}) {
    auto it = options.find(key);
    if (it != options.end()) query.emplace_back(key, it->second);
  }
  CallResult call = Call(ctx, "GET", "/api/v1/backups", query, "",
                         "this collector has no backup catalog; is it older than beaconctl?");
  if (!call.ok()) return call.exit_code;
  if (ctx.json) return PrintJson(ctx, call);
  return PrintRendered(ctx, RenderBackups(call.body, ctx.tz));
}

int RunBackupsLifecycle(CommandContext& ctx, const std::map<std::string, std::string>& options) {
  const bool dry_run = options.count("dry-run") != 0;
  CallResult call =
      Call(ctx, "POST", "/api/v1/backups/lifecycle", {{"dry_run", dry_run ? "true" : "false"}}, "",
           "this collector has no backup lifecycle; is it older than beaconctl?");
  if (!call.ok()) return call.exit_code;
  bool failed = false;
  if (auto actions = call.body.find("actions"); actions != call.body.end() && actions->is_array()) {
    for (const auto& action : *actions) failed |= Text(action, "state") == "failed";
  }
  int code = ctx.json ? PrintJson(ctx, call) : PrintRendered(ctx, RenderLifecycle(call.body));
  return code == kExitOk && failed && !dry_run ? kExitCollectorError : code;
}

int RunRestore(CommandContext& ctx, const std::string& host, const std::string& path,
               const std::map<std::string, std::string>& options) {
  json request = {{"host", host}, {"path", path}};
  if (auto it = options.find("version"); it != options.end()) {
    request["version"] = std::stoll(it->second);  // validated by ParseArgs
  }
  if (auto it = options.find("at"); it != options.end()) {
    auto at = TimeOption("--at", it->second, ctx.clock.NowMs());
    if (!at.ok()) {
      ctx.err << "beaconctl: " << at.status().message() << "\n";
      return kExitUsage;
    }
    request["at"] = *at;
  }
  if (auto it = options.find("to"); it != options.end()) request["to"] = it->second;
  const int64_t wait_ms = TimeoutWaitMs(options, kDefaultRestoreWaitMs);
  CallResult call = Call(ctx, "POST", "/api/v1/restores", {}, request.dump(),
                         "no such backup; list versions with 'beaconctl backups list --host " +
                             host + " --path " + path + "'");
  if (!call.ok()) return call.exit_code;
  json command = CommandOf(call.body);
  const std::optional<int64_t> id = CommandIdOf(ctx, command, "the restore reply");
  if (!id) return kExitCollectorError;
  const std::string id_text = std::to_string(*id);
  const std::string what =
      "restore #" + id_text + " " + SanitizeCell(host) + ":" + SanitizeCell(path);
  if (options.count("no-wait") != 0) {
    if (ctx.json) return PrintJson(ctx, call);
    ctx.out << what << ": " << RestoreProgressText(command) << "\n";
    return kExitOk;
  }

  return WaitForCommand(ctx, std::move(command), what, wait_ms, RestoreProgressText, nullptr);
}

int WaitForCommand(CommandContext& ctx, json command, const std::string& what, int64_t wait_ms,
                   const std::function<std::string(const json&)>& progress_text, json* final) {
  const std::string id_text = std::to_string(command.value("id", int64_t{0}));
  const int64_t deadline = ctx.clock.MonotonicMs() + wait_ms;
  std::string last_line;
  while (true) {
    const std::string state = Text(command, "state");
    const std::string line = progress_text(command);
    if (state == "failed") {
      if (ctx.json) ctx.out << command.dump() << "\n";
      ctx.err << "beaconctl: " << what << " failed: " << SanitizeCell(Text(command, "message"))
              << "\n";
      if (final != nullptr) *final = std::move(command);
      return kExitCollectorError;
    }
    if (!ctx.json && line != last_line) {
      ctx.out << what << ": " << line << "\n";
      ctx.out.flush();
      last_line = line;
    }
    if (state == "succeeded") {
      if (ctx.json) ctx.out << command.dump() << "\n";
      if (final != nullptr) *final = std::move(command);
      return kExitOk;
    }
    if (ctx.clock.MonotonicMs() >= deadline) {
      ctx.err << "beaconctl: stopped waiting for " << what << " after " << RoughDuration(wait_ms)
              << " (" << line << "); it goes on without beaconctl: the collector's "
              << "GET /api/v1/commands/" << id_text << " shows its state\n";
      return kExitCollectorError;
    }
    Sleep(ctx, kRestorePollMs);
    // A collector restart or a proxy hiccup during a long wait is not the command's failure:
    // transient errors are retried quietly until the deadline.
    auto reply = ctx.api.Send("GET", "/api/v1/commands/" + id_text);
    const bool transient =
        !reply.ok() || reply->status == 502 || reply->status == 503 || reply->status == 504;
    if (transient && ctx.clock.MonotonicMs() < deadline) continue;
    CallResult poll = Call(ctx, "GET", "/api/v1/commands/" + id_text, {}, "",
                           "the collector no longer knows this command", std::move(reply));
    if (!poll.ok()) return poll.exit_code;
    command = CommandOf(poll.body);
    if (!command.is_object() || !command.contains("state")) {
      ctx.err << FormatFailure(DescribeBadReply("no command state in the reply"));
      return kExitCollectorError;
    }
  }
}

}  // namespace beacon::ctl
