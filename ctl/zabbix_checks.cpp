// Zabbix external checks: RDS through Alibaba Cloud with a shared cache, host/backup/alert
// values from the collector (see zabbix_checks.h).
#include "ctl/zabbix_checks.h"

#include <algorithm>
#include <memory>

#include "common/cloud/aliyun/cms.h"
#include "common/cloud/aliyun/rds.h"
#include "common/cloud/aliyun/rds_report.h"
#include "common/cloud/aliyun/rpc.h"
#include "common/config/config.h"
#include "common/json/parse.h"
#include "common/strings.h"
#include "common/url.h"
#include "ctl/api.h"
#include "ctl/check_cache.h"

namespace beacon::ctl {
namespace {

using nlohmann::json;

constexpr const char* kChecks[] = {"rds.discovery", "rds.perf",   "rds.usage",
                                   "host.lastseen", "backup.age", "alerts.open"};
constexpr size_t kMaxReasonBytes = 1000;
// Most open alerts counted (the alerts API's largest page).
constexpr int kMaxOpenAlerts = 1000;

// What the aliyun config file says, beyond the RPC client's section.
struct RdsSettings {
  aliyun::RpcClientConfig client;
  int64_t cache_ttl_ms = 50'000;
  int64_t window_ms = 20 * 60'000;
  bool cloudmonitor = true;
  int period_s = 60;
};

std::string Option(const Invocation& inv, const Getenv& getenv, const char* option, const char* env,
                   const char* fallback) {
  if (auto it = inv.options.find(option); it != inv.options.end() && !it->second.empty()) {
    return it->second;
  }
  if (auto value = getenv(env); value && !value->empty()) return *value;
  return fallback;
}

Result<RdsSettings> LoadRdsSettings(const std::string& path, const Getenv& getenv) {
  BEACON_ASSIGN_OR_RETURN(auto doc, config::Document::LoadFile(path));
  config::Node root = doc->root();
  RdsSettings settings;
  settings.client = aliyun::ReadRpcClientConfig(
      root, [&](const char* name) { return getenv(std::string(name)); });
  root.GetDurationMs("cache_ttl", &settings.cache_ttl_ms, 0, 3'600'000);
  root.GetDurationMs("window", &settings.window_ms, 120'000, 86'400'000);
  root.Get("cloudmonitor", &settings.cloudmonitor);
  root.Get("period", &settings.period_s, 5, 3600);
  BEACON_RETURN_IF_ERROR(doc->Finish());
  return settings;
}

// The region as part of a cache entry name.
std::string EntryPrefix(const std::string& region) {
  std::string out;
  for (char c : region) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out.substr(0, 64) + "-";
}

// The newest Average per instance: {"rm-1": 12.5, ...}.
json AveragesByInstance(const std::vector<aliyun::cms::Datapoint>& points) {
  json out = json::object();
  for (const auto& [instance, point] : aliyun::cms::NewestByInstance(points)) {
    out[instance] = *point.average;
  }
  return out;
}

int PrintJson(std::ostream& out, const json& value) {
  out << value.dump() << "\n";
  return kExitOk;
}

int RunRds(http::HttpClient& http, const Clock& clock, const Invocation& inv, const Getenv& getenv,
           const std::string& command, std::ostream& out) {
  const std::string instance = inv.args.empty() ? "" : inv.args[0];
  if (command != "rds.discovery" && !aliyun::rds::IsValidInstanceId(instance)) {
    return ZabbixCheckFailure(out, "INSTANCE must be an RDS instance id like rm-bp1abc (got '" +
                                       Snippet(instance, 64) + "')");
  }
  const std::string config_path =
      Option(inv, getenv, "aliyun-config", "BEACON_ALIYUN_CONFIG", kDefaultAliyunConfig);
  Result<RdsSettings> settings = LoadRdsSettings(config_path, getenv);
  if (!settings.ok()) return ZabbixCheckFailure(out, settings.status().message());
  const std::string state_dir =
      Option(inv, getenv, "state-dir", "BEACON_ZABBIX_STATE_DIR", kDefaultZabbixStateDir);

  aliyun::RpcClientDeps deps;
  deps.http = std::shared_ptr<http::HttpClient>(&http, [](http::HttpClient*) {});
  deps.clock = &clock;
  const aliyun::RpcClient client(settings->client, std::move(deps));
  CheckCache cache(state_dir, settings->cache_ttl_ms, clock);
  const std::string prefix = EntryPrefix(settings->client.region);

  if (command == "rds.discovery") {
    Result<json> value = cache.GetOrFetch(prefix + "discovery", [&]() -> Result<json> {
      BEACON_ASSIGN_OR_RETURN(auto instances, aliyun::rds::DescribeDBInstances(client));
      return aliyun::rds::DiscoveryJson(instances);
    });
    if (!value.ok()) return ZabbixCheckFailure(out, value.status().message());
    return PrintJson(out, *value);
  }
  if (command == "rds.usage") {
    Result<json> value = cache.GetOrFetch(prefix + "usage-" + instance, [&]() -> Result<json> {
      BEACON_ASSIGN_OR_RETURN(auto usage, aliyun::rds::DescribeResourceUsage(client, instance));
      return aliyun::rds::UsageJson(usage);
    });
    if (!value.ok()) return ZabbixCheckFailure(out, value.status().message());
    return PrintJson(out, *value);
  }
  // rds.perf: every performance key in one call, the CloudMonitor metrics once per metric for
  // every instance (shared by all instances' checks).
  Result<json> perf = cache.GetOrFetch(prefix + "perf-" + instance, [&]() -> Result<json> {
    const int64_t now = clock.NowMs();
    BEACON_ASSIGN_OR_RETURN(
        auto performance,
        aliyun::rds::DescribeDBInstancePerformance(
            client, instance, aliyun::rds::PerformanceKeyNames(), now - settings->window_ms, now));
    return aliyun::rds::PerformanceJson(instance, performance);
  });
  if (!perf.ok()) return ZabbixCheckFailure(out, perf.status().message());
  json result = std::move(perf).value();
  if (settings->cloudmonitor) {
    aliyun::rds::CloudMonitorValues values;
    json errors = json::object();
    for (std::string_view metric : aliyun::cms::RdsDashboardMetrics()) {
      const std::string name(metric);
      Result<json> averages = cache.GetOrFetch(prefix + "cms-" + name, [&]() -> Result<json> {
        BEACON_ASSIGN_OR_RETURN(
            auto points, aliyun::cms::DescribeMetricLast(client, aliyun::cms::kRdsNamespace, metric,
                                                         {}, settings->period_s));
        return AveragesByInstance(points);
      });
      values[name] = std::nullopt;
      if (!averages.ok()) {
        errors["cloudmonitor." + name] =
            std::string(TruncateUtf8(averages.status().message(), kMaxReasonBytes));
        continue;
      }
      auto it = averages->find(instance);
      if (it != averages->end() && it->is_number()) values[name] = it->get<double>();
    }
    aliyun::rds::AddCloudMonitor(result, values);
    if (!errors.empty()) result["errors"] = std::move(errors);
  }
  return PrintJson(out, result);
}

// GET `path` from the collector: the JSON object of a 2xx answer, or the failure text.
Result<json> CollectorGet(CollectorApi& api, const std::string& path, const Query& query,
                          std::string_view not_found) {
  Result<ApiReply> reply = api.Send("GET", path, query);
  if (!reply.ok()) {
    return Status::Unavailable(
        DescribeTransportFailure(reply.status(), api.base_url(), api.timeout_ms()).message);
  }
  if (reply->status == 404 && !not_found.empty()) return Status::NotFound(std::string(not_found));
  if (reply->status < 200 || reply->status >= 300) {
    return Status::Unavailable(DescribeHttpError(reply->status, reply->body, "").message);
  }
  Result<json> body = ParseJson(reply->body);
  if (!body.ok() || !body->is_object()) {
    return Status::Corruption(DescribeBadReply("the collector's answer").message);
  }
  return body;
}

int RunCollectorCheck(http::HttpClient& http, const Clock& clock, const Invocation& inv,
                      const std::string& command, const std::string& token,
                      const std::string& token_error, std::ostream& out) {
  if (token.empty()) return ZabbixCheckFailure(out, token_error);
  CollectorApi api(http, inv.global.url, token, inv.global.timeout_ms);
  if (command == "host.lastseen") {
    const std::string& host = inv.args[0];
    Result<json> body = CollectorGet(api, "/api/v1/hosts/" + PercentEncode(host), {},
                                     "unknown host '" + Snippet(host, 128) + "'");
    if (!body.ok()) return ZabbixCheckFailure(out, body.status().message());
    auto last_seen = body->find("last_seen");
    Result<int64_t> ms = last_seen != body->end() && last_seen->is_string()
                             ? ParseRfc3339(last_seen->get<std::string>())
                             : Result<int64_t>(Status::NotFound("no last_seen"));
    if (!ms.ok()) return ZabbixCheckFailure(out, "the collector's answer has no last_seen time");
    out << (*ms / 1000) << "\n";
    return kExitOk;
  }
  if (command == "backup.age") {
    const std::string& host = inv.args[0];
    const std::string& set = inv.args[1];
    Result<json> body =
        CollectorGet(api, "/api/v1/backups", {{"host", host}, {"set", set}, {"limit", "1"}}, "");
    if (!body.ok()) return ZabbixCheckFailure(out, body.status().message());
    auto versions = body->find("versions");
    if (versions == body->end() || !versions->is_array() || versions->empty()) {
      return ZabbixCheckFailure(out, "no backup of set '" + Snippet(set, 128) + "' on host '" +
                                         Snippet(host, 128) + "' in the catalog");
    }
    const json& newest = (*versions)[0];
    auto created = newest.is_object() ? newest.find("created") : newest.end();
    Result<int64_t> ms = created != newest.end() && created->is_string()
                             ? ParseRfc3339(created->get<std::string>())
                             : Result<int64_t>(Status::NotFound("no created"));
    if (!ms.ok()) return ZabbixCheckFailure(out, "the collector's answer has no created time");
    out << std::max<int64_t>(0, (clock.NowMs() - *ms) / 1000) << "\n";
    return kExitOk;
  }
  // alerts.open [HOST]: firing alerts, all hosts when HOST is absent or "".
  Query query{{"status", "firing"}, {"limit", std::to_string(kMaxOpenAlerts)}};
  if (!inv.args.empty() && !inv.args[0].empty()) query.emplace_back("host", inv.args[0]);
  Result<json> body = CollectorGet(api, "/api/v1/alerts", query, "");
  if (!body.ok()) return ZabbixCheckFailure(out, body.status().message());
  auto alerts = body->find("alerts");
  if (alerts == body->end() || !alerts->is_array()) {
    return ZabbixCheckFailure(out, "the collector's answer has no alerts list");
  }
  out << alerts->size() << "\n";
  return kExitOk;
}

}  // namespace

bool IsZabbixCheck(const std::string& command) {
  for (const char* check : kChecks) {
    if (command == std::string("zabbix ") + check) return true;
  }
  return false;
}

bool IsZabbixCheckInvocation(const std::vector<std::string>& argv) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] != "zabbix") continue;
    return std::any_of(std::begin(kChecks), std::end(kChecks),
                       [&](const char* check) { return argv[i + 1] == check; });
  }
  return false;
}

int ZabbixCheckFailure(std::ostream& out, const std::string& reason) {
  json line = {{"error", std::string(TruncateUtf8(reason, kMaxReasonBytes))}};
  // One line, whatever the reason holds.
  out << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  return kExitCollectorError;
}

int RunZabbixCheck(http::HttpClient& http, const Clock& clock, const Invocation& inv,
                   const Getenv& getenv, const std::string& admin_token,
                   const std::string& token_error, std::ostream& out) {
  const std::string command = inv.command.size() == 2 ? inv.command[1] : "";
  if (command.starts_with("rds.")) return RunRds(http, clock, inv, getenv, command, out);
  return RunCollectorCheck(http, clock, inv, command, admin_token, token_error, out);
}

}  // namespace beacon::ctl
