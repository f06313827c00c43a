// Handlers of the backup API; JSON shapes follow docs/api.md exactly.
#include "collector/backups/backups_api.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "collector/api/query_api.h"
#include "collector/commands/commands_api.h"
#include "common/cloud/objstore/object_store.h"
#include "common/json/parse.h"
#include "common/wire/backup.h"

namespace beacon::collector::backups {
namespace {

http::ServerResponse JsonOk(const nlohmann::json& body, int status = 200) {
  return http::ServerResponse::Json(status, body.dump());
}

nlohmann::json OptionalTime(int64_t ms) {
  return ms > 0 ? nlohmann::json(FormatRfc3339(ms)) : nlohmann::json(nullptr);
}

bool HasDotDot(const std::string& path) {
  for (const auto& part : std::filesystem::path(path)) {
    if (part == "..") return true;
  }
  return false;
}

// The restore request body, checked field by field.
struct RestoreRequest {
  std::string host;
  std::string path;
  std::optional<int64_t> version_id;
  std::optional<int64_t> at_ms;
  std::string to;
};

Result<RestoreRequest> ParseRestoreRequest(const std::string& body, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonBody(body));
  if (!j.is_object()) return Status::InvalidArgument("body: expected an object");
  for (const auto& [key, value] : j.items()) {
    if (key != "host" && key != "path" && key != "version" && key != "at" && key != "to") {
      return Status::InvalidArgument(key + ": unknown field (host, path, version, at, to)");
    }
  }
  RestoreRequest request;
  auto host = j.find("host");
  if (host == j.end() || !host->is_string()) {
    return Status::InvalidArgument("host: required, a string");
  }
  request.host = host->get<std::string>();
  if (!wire::IsValidAgentName(request.host)) {
    return Status::InvalidArgument("host: invalid host name '" + request.host + "'");
  }
  auto path = j.find("path");
  if (path == j.end() || !path->is_string()) {
    return Status::InvalidArgument("path: required, a string");
  }
  request.path = path->get<std::string>();
  if (request.path.empty() || request.path[0] != '/') {
    return Status::InvalidArgument("path: must be an absolute path");
  }
  auto version = j.find("version");
  if (version != j.end() && !version->is_null()) {
    if (!version->is_number_integer() || version->get<int64_t>() < 1) {
      return Status::InvalidArgument("version: expected a positive integer (a catalog id)");
    }
    request.version_id = version->get<int64_t>();
  }
  auto at = j.find("at");
  if (at != j.end() && !at->is_null()) {
    if (!at->is_string()) return Status::InvalidArgument("at: expected an RFC 3339 time");
    BEACON_ASSIGN_OR_RETURN(request.at_ms, ParseTimeOrAgo("at", at->get<std::string>(), now_ms));
  }
  if (request.version_id && request.at_ms) {
    return Status::InvalidArgument("version and at: give at most one");
  }
  auto to = j.find("to");
  if (to != j.end() && !to->is_null()) {
    if (!to->is_string()) return Status::InvalidArgument("to: expected a string");
    request.to = to->get<std::string>();
    if (request.to.empty() || request.to[0] != '/' || HasDotDot(request.to)) {
      return Status::InvalidArgument("to: must be an absolute directory without '..'");
    }
  }
  return request;
}

// Where the agent writes the file: the original path, or the same path under `to`.
std::string RestoreTarget(const std::string& to, const std::string& path) {
  if (to.empty()) return path;
  std::string dir = to;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir == "/") return path;
  return dir + path;
}

}  // namespace

Result<VersionQuery> ParseVersionQuery(const std::map<std::string, std::string>& params,
                                       int64_t now_ms) {
  // host, since, until and limit mean exactly what they mean for events: same parser, same
  // messages.
  std::map<std::string, std::string> shared;
  for (const char* name : {"host", "since", "until", "limit"}) {
    auto it = params.find(name);
    if (it != params.end()) shared[name] = it->second;
  }
  BEACON_ASSIGN_OR_RETURN(EventQuery events, ParseEventQuery(shared, now_ms));
  VersionQuery query;
  query.agent = events.agent;
  query.since_ms = events.since_ms;
  query.until_ms = events.until_ms;
  query.limit = events.limit;
  auto param = [&](const char* name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const std::string* path = param("path")) {
    if ((*path)[0] != '/' && *path != "*") {
      return Status::InvalidArgument(
          "path: expected an absolute path or a prefix ending in '*', got '" + *path + "'");
    }
    query.path = *path;
  }
  if (const std::string* set = param("set")) query.set = *set;
  if (const std::string* deleted = param("include_deleted")) {
    if (*deleted == "true" || *deleted == "1") {
      query.include_deleted = true;
    } else if (*deleted != "false" && *deleted != "0") {
      return Status::InvalidArgument("include_deleted: expected true or false, got '" + *deleted +
                                     "'");
    }
  }
  return query;
}

nlohmann::json VersionJson(const CatalogVersion& c) {
  const wire::BackupVersion& v = c.version;
  return {{"id", c.id},
          {"host", c.agent},
          {"set", v.set},
          {"path", v.path},
          {"size", v.size},
          {"mtime", FormatRfc3339(v.mtime_ns / 1'000'000)},
          {"mode", v.mode},
          {"uid", v.uid},
          {"gid", v.gid},
          {"owner", v.owner},
          {"group", v.group},
          {"sha256", v.sha256},
          {"stored_size", v.stored_size},
          {"store", v.store},
          {"key", v.key},
          {"storage_class", v.storage_class},
          {"key_id", v.key_id},
          {"created", FormatRfc3339(v.created_ms)},
          {"state", c.state},
          {"restore_state", c.restore_state},
          {"restore_expiry", OptionalTime(c.restore_expiry_ms)}};
}

Result<QueuedRestore> QueueRestore(Catalog& catalog, CatalogVersion version,
                                   const std::string& target, int64_t now_ms,
                                   const std::function<void()>& on_archive_restore_requested) {
  wire::RestoreArgs args;
  args.version = version.version;
  args.target = target;

  // An archived object must be restored in the store before the agent can read it.
  Result<objstore::StorageClass> storage_class =
      objstore::ParseStorageClass(version.version.storage_class);
  const bool readable_copy = version.restore_state == kRestoreReady &&
                             (version.restore_expiry_ms == 0 || version.restore_expiry_ms > now_ms);
  const bool needs_archive_restore =
      storage_class.ok() && objstore::IsArchiveClass(*storage_class) && !readable_copy;
  if (needs_archive_restore && version.restore_state != kRestoreRequested &&
      version.restore_state != kRestoreInProgress) {
    BEACON_RETURN_IF_ERROR(catalog.SetRestoreState(version.id, kRestoreRequested, 0, now_ms));
    version.restore_state = kRestoreRequested;
  }
  BEACON_ASSIGN_OR_RETURN(int64_t id,
                          catalog.commands().CreateCommand(
                              version.agent, "restore", wire::RestoreArgsToJson(args),
                              needs_archive_restore ? commands::kCommandWaitingArchiveRestore
                                                    : commands::kCommandQueued,
                              version.id, now_ms));
  BEACON_ASSIGN_OR_RETURN(commands::StoredCommand command, catalog.commands().GetCommand(id));
  if (needs_archive_restore && on_archive_restore_requested) on_archive_restore_requested();
  return QueuedRestore{std::move(command), std::move(version)};
}

void BackupsApi::Register(http::HttpServer& server) {
  const http::RouteOptions admin = auth_->AdminRoute();
  const http::RouteOptions admin_with_body = auth_->AdminRoute(kAdminMaxBodyBytes);
  auto bind = [this](http::ServerResponse (BackupsApi::*method)(http::ServerRequest&)) {
    return http::MemberHandler(this, method);
  };
  server.Route("GET", "/api/v1/backups", admin, bind(&BackupsApi::ListBackups));
  server.Route("POST", "/api/v1/restores", admin_with_body, bind(&BackupsApi::CreateRestore));
}

http::ServerResponse BackupsApi::CatalogError(const http::ServerRequest& request,
                                              const Status& status) {
  spdlog::error("{} {}: catalog error: {}", request.method, request.path, status.ToString());
  return http::ServerResponse::Error(503, "backup catalog unavailable");
}

http::ServerResponse BackupsApi::ListBackups(http::ServerRequest& request) {
  Result<VersionQuery> query = ParseVersionQuery(request.query, clock_->NowMs());
  if (!query.ok()) return http::ServerResponse::Error(400, query.status().message());
  Result<std::vector<CatalogVersion>> versions = catalog_->ListVersions(*query);
  if (!versions.ok()) return CatalogError(request, versions.status());
  nlohmann::json list = nlohmann::json::array();
  for (const CatalogVersion& v : *versions) list.push_back(VersionJson(v));
  return JsonOk({{"versions", std::move(list)}});
}

http::ServerResponse BackupsApi::CreateRestore(http::ServerRequest& request) {
  const int64_t now_ms = clock_->NowMs();
  Result<RestoreRequest> parsed = ParseRestoreRequest(request.body, now_ms);
  if (!parsed.ok()) return http::ServerResponse::Error(400, parsed.status().message());

  Result<CatalogVersion> version = Status::NotFound("");
  if (parsed->version_id) {
    version = catalog_->GetVersion(*parsed->version_id);
    if (version.ok() && (version->agent != parsed->host || version->version.path != parsed->path ||
                         version->state != kVersionStored)) {
      return http::ServerResponse::Error(404, "version " + std::to_string(*parsed->version_id) +
                                                  " is not a stored backup of " + parsed->path +
                                                  " on " + parsed->host);
    }
  } else {
    version = catalog_->FindVersion(parsed->host, parsed->path, parsed->at_ms);
  }
  if (!version.ok()) {
    if (version.status().code() == StatusCode::kNotFound) {
      std::string message = "no backup of " + parsed->path + " on " + parsed->host;
      if (parsed->version_id) message = "no backup version " + std::to_string(*parsed->version_id);
      if (parsed->at_ms) message += " created at or before " + FormatRfc3339(*parsed->at_ms);
      return http::ServerResponse::Error(404, message);
    }
    return CatalogError(request, version.status());
  }

  const std::string target = RestoreTarget(parsed->to, parsed->path);
  Result<QueuedRestore> queued =
      QueueRestore(*catalog_, *version, target, now_ms, options_.on_archive_restore_requested);
  if (!queued.ok()) return CatalogError(request, queued.status());
  const commands::StoredCommand& command = queued->command;
  *version = queued->version;
  spdlog::info("restore command {} for {}:{} (version {}, target {}, {}) from {}", command.id,
               parsed->host, parsed->path, version->id, target, command.state, request.remote_addr);
  return JsonOk({{"command", commands::CommandJson(command)}, {"version", VersionJson(*version)}},
                202);
}

}  // namespace beacon::collector::backups
