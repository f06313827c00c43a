// Handlers of POST /api/v1/backups/lifecycle and GET /api/v1/backups/actions; JSON shapes follow
// docs/api.md "Backup lifecycle".
#include "collector/backups/lifecycle_api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <utility>

#include "common/clock.h"

namespace beacon::collector::backups {
namespace {

nlohmann::json OptionalId(int64_t id) { return id > 0 ? nlohmann::json(id) : nullptr; }

// A retry time only means something for a failed action.
nlohmann::json NextTry(const std::string& state, int64_t next_try_ms) {
  return state == kActionFailed ? nlohmann::json(FormatRfc3339(next_try_ms)) : nullptr;
}

nlohmann::json ReportJson(const LifecycleActionReport& a) {
  return {{"id", OptionalId(a.action_id)},
          {"version_id", a.version_id},
          {"host", a.host},
          {"path", a.path},
          {"action", a.action},
          {"target_class", a.target_class},
          {"reason", a.reason},
          {"state", a.state},
          {"error", a.error},
          {"attempts", a.attempts},
          {"next_try", NextTry(a.state, a.next_try_ms)}};
}

http::ServerResponse CatalogError(const http::ServerRequest& request, const Status& status) {
  spdlog::error("{} {}: catalog error: {}", request.method, request.path, status.ToString());
  return http::ServerResponse::Error(503, "catalog unavailable");
}

Result<int> ParseLimit(const std::map<std::string, std::string>& query) {
  auto it = query.find("limit");
  if (it == query.end() || it->second.empty()) return kDefaultActionLimit;
  const std::string& text = it->second;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > kMaxActionLimit) {
    return Status::InvalidArgument("limit: expected an integer from 1 to " +
                                   std::to_string(kMaxActionLimit) + ", got '" + text + "'");
  }
  return value;
}

http::ServerResponse RunLifecycle(LifecycleRunner& runner, http::ServerRequest& request) {
  Result<bool> dry_run = ParseDryRun(request.query);
  if (!dry_run.ok()) return http::ServerResponse::Error(400, dry_run.status().message());
  Result<LifecycleRunReport> report = runner.RunOnce(*dry_run);
  if (!report.ok()) return CatalogError(request, report.status());
  return http::ServerResponse::Json(200, LifecycleRunJson(*report).dump());
}

http::ServerResponse ListActions(Catalog& catalog, http::ServerRequest& request) {
  ActionQuery query;
  if (auto it = request.query.find("state"); it != request.query.end() && !it->second.empty()) {
    const std::string& state = it->second;
    if (state != kActionPending && state != kActionDone && state != kActionFailed) {
      return http::ServerResponse::Error(
          400, "state: expected one of pending, done, failed, got '" + state + "'");
    }
    query.state = state;
  }
  Result<int> limit = ParseLimit(request.query);
  if (!limit.ok()) return http::ServerResponse::Error(400, limit.status().message());
  query.limit = *limit;
  Result<std::vector<LifecycleAction>> actions = catalog.ListActions(query);
  if (!actions.ok()) return CatalogError(request, actions.status());

  std::map<int64_t, std::pair<std::string, std::string>> files;  // version id -> host, path
  nlohmann::json list = nlohmann::json::array();
  for (const LifecycleAction& a : *actions) {
    auto file = files.find(a.version_id);
    if (file == files.end()) {
      Result<CatalogVersion> version = catalog.GetVersion(a.version_id);
      if (!version.ok() && version.status().code() != StatusCode::kNotFound) {
        return CatalogError(request, version.status());
      }
      std::pair<std::string, std::string> host_path;
      if (version.ok()) host_path = {version->agent, version->version.path};
      file = files.emplace(a.version_id, std::move(host_path)).first;
    }
    list.push_back({{"id", a.id},
                    {"version_id", a.version_id},
                    {"host", file->second.first},
                    {"path", file->second.second},
                    {"action", a.action},
                    {"target_class", a.target_class},
                    {"reason", a.reason},
                    {"state", a.state},
                    {"error", a.last_error},
                    {"attempts", a.attempts},
                    {"next_try", NextTry(a.state, a.next_try_ms)},
                    {"created", FormatRfc3339(a.created_ms)},
                    {"updated", FormatRfc3339(a.updated_ms)}});
  }
  return http::ServerResponse::Json(200, nlohmann::json{{"actions", std::move(list)}}.dump());
}

}  // namespace

Result<bool> ParseDryRun(const std::map<std::string, std::string>& query) {
  auto it = query.find("dry_run");
  if (it == query.end() || it->second.empty() || it->second == "false") return false;
  if (it->second == "true") return true;
  return Status::InvalidArgument("dry_run: expected true or false, got '" + it->second + "'");
}

nlohmann::json LifecycleRunJson(const LifecycleRunReport& report) {
  nlohmann::json actions = nlohmann::json::array();
  for (const LifecycleActionReport& a : report.actions) actions.push_back(ReportJson(a));
  return {{"dry_run", report.dry_run},
          {"executed", report.executed},
          {"failed", report.failed},
          {"deferred", report.deferred},
          {"actions", std::move(actions)}};
}

void RegisterLifecycleRoutes(http::HttpServer& server, const TokenAuth& auth,
                             LifecycleRunner& runner, Catalog& catalog) {
  const http::RouteOptions admin = auth.AdminRoute();
  server.Route("POST", "/api/v1/backups/lifecycle", admin,
               [&runner](http::ServerRequest& r) { return RunLifecycle(runner, r); });
  server.Route("GET", "/api/v1/backups/actions", admin,
               [&catalog](http::ServerRequest& r) { return ListActions(catalog, r); });
}

}  // namespace beacon::collector::backups
