// Handlers of the backup API; JSON shapes follow docs/api.md exactly.
#include "collector/backups/backups_api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "collector/api/query_api.h"
#include "common/cloud/objstore/object_store.h"
#include "common/json/parse.h"
#include "common/wire/backup.h"
#include "common/wire/wire.h"

namespace beacon::collector::backups {
namespace {

constexpr int kDefaultCommandLimit = 100;

http::ServerResponse JsonOk(const nlohmann::json& body, int status = 200) {
  return http::ServerResponse::Json(status, body.dump());
}

nlohmann::json OptionalTime(int64_t ms) {
  return ms > 0 ? nlohmann::json(FormatRfc3339(ms)) : nlohmann::json(nullptr);
}

// Positive decimal id from a path segment.
std::optional<int64_t> ParseId(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

bool HasDotDot(const std::string& path) {
  for (const auto& part : std::filesystem::path(path)) {
    if (part == "..") return true;
  }
  return false;
}

// RFC 3339, or a duration ago ("1h") relative to now.
Result<int64_t> ParseTime(const std::string& name, const std::string& text, int64_t now_ms) {
  Result<int64_t> absolute = ParseRfc3339(text);
  if (absolute.ok()) return *absolute;
  Result<int64_t> ago = ParseDurationMs(text);
  if (ago.ok()) return now_ms - *ago;
  return Status::InvalidArgument(name + ": expected an RFC 3339 time or a duration like 1h, got '" +
                                 text + "'");
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
    BEACON_ASSIGN_OR_RETURN(request.at_ms, ParseTime("at", at->get<std::string>(), now_ms));
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

Result<int64_t> ParsePollWait(const std::string& text) {
  if (text.empty()) return 0;
  int64_t ms = 0;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    ms = seconds > kMaxPollWaitMs ? kMaxPollWaitMs + 1 : seconds * 1000;
  } else {
    Result<int64_t> duration = ParseDurationMs(text);
    if (!duration.ok()) {
      return Status::InvalidArgument("wait: expected a duration like 25s, got '" + text + "'");
    }
    ms = *duration;
  }
  if (ms < 0 || ms > kMaxPollWaitMs) {
    return Status::InvalidArgument("wait: must be between 0 and 60s, got '" + text + "'");
  }
  return ms;
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

nlohmann::json CommandJson(const StoredCommand& c) {
  return {{"id", c.id},
          {"host", c.agent},
          {"kind", c.kind},
          {"state", c.state},
          {"args", c.args},
          {"version_id", c.version_id},
          {"done_bytes", c.done_bytes},
          {"total_bytes", c.total_bytes},
          {"message", c.message},
          {"result", c.result},
          {"created", FormatRfc3339(c.created_ms)},
          {"updated", FormatRfc3339(c.updated_ms)},
          {"delivered", OptionalTime(c.delivered_ms)},
          {"deliveries", c.deliveries}};
}

void BackupsApi::Register(http::HttpServer& server) {
  const http::RouteOptions admin = auth_->AdminRoute();
  const http::RouteOptions admin_with_body = auth_->AdminRoute(kAdminMaxBodyBytes);
  const http::RouteOptions agent = auth_->AgentRoute();
  const http::RouteOptions agent_with_body = auth_->AgentRoute(kAdminMaxBodyBytes);
  auto bind = [this](http::ServerResponse (BackupsApi::*method)(http::ServerRequest&)) {
    return http::MemberHandler(this, method);
  };
  server.Route("GET", "/api/v1/backups", admin, bind(&BackupsApi::ListBackups));
  server.Route("POST", "/api/v1/restores", admin_with_body, bind(&BackupsApi::CreateRestore));
  server.Route("GET", "/api/v1/commands", admin, bind(&BackupsApi::ListCommands));
  server.Route("GET", "/api/v1/commands/{id}", admin, bind(&BackupsApi::GetCommand));
  server.RouteAsync("GET", "/api/v1/agent/commands", agent,
                    [this](http::ServerRequest& request, http::Responder respond) {
                      PollCommands(request, std::move(respond));
                    });
  server.Route("POST", "/api/v1/agent/commands/{id}", agent_with_body,
               bind(&BackupsApi::UpdateCommand));
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

  wire::RestoreArgs args;
  args.version = version->version;
  args.target = RestoreTarget(parsed->to, parsed->path);

  // An archived object must be restored in the store before the agent can read it.
  Result<objstore::StorageClass> storage_class =
      objstore::ParseStorageClass(version->version.storage_class);
  const bool readable_copy =
      version->restore_state == kRestoreReady &&
      (version->restore_expiry_ms == 0 || version->restore_expiry_ms > now_ms);
  const bool needs_archive_restore =
      storage_class.ok() && objstore::IsArchiveClass(*storage_class) && !readable_copy;
  if (needs_archive_restore && version->restore_state != kRestoreRequested &&
      version->restore_state != kRestoreInProgress) {
    Status marked = catalog_->SetRestoreState(version->id, kRestoreRequested, 0, now_ms);
    if (!marked.ok()) return CatalogError(request, marked);
    version->restore_state = kRestoreRequested;
  }
  Result<int64_t> id = catalog_->CreateCommand(
      parsed->host, "restore", wire::RestoreArgsToJson(args),
      needs_archive_restore ? kCommandWaitingArchiveRestore : kCommandQueued, version->id, now_ms);
  if (!id.ok()) return CatalogError(request, id.status());
  Result<StoredCommand> command = catalog_->GetCommand(*id);
  if (!command.ok()) return CatalogError(request, command.status());
  if (needs_archive_restore && options_.on_archive_restore_requested) {
    options_.on_archive_restore_requested();
  }
  spdlog::info("restore command {} for {}:{} (version {}, target {}, {}) from {}", *id,
               parsed->host, parsed->path, version->id, args.target, command->state,
               request.remote_addr);
  return JsonOk({{"command", CommandJson(*command)}, {"version", VersionJson(*version)}}, 202);
}

http::ServerResponse BackupsApi::GetCommand(http::ServerRequest& request) {
  const std::string& text = request.path_params["id"];
  std::optional<int64_t> id = ParseId(text);
  if (!id) return http::ServerResponse::Error(400, "invalid command id '" + text + "'");
  Result<StoredCommand> command = catalog_->GetCommand(*id);
  if (!command.ok()) {
    if (command.status().code() == StatusCode::kNotFound) {
      return http::ServerResponse::Error(404, "no command " + std::to_string(*id));
    }
    return CatalogError(request, command.status());
  }
  return JsonOk(CommandJson(*command));
}

http::ServerResponse BackupsApi::ListCommands(http::ServerRequest& request) {
  std::string state;
  auto it = request.query.find("state");
  if (it != request.query.end()) state = it->second;
  if (!state.empty() && !IsKnownCommandState(state)) {
    return http::ServerResponse::Error(400, "state: unknown command state '" + state + "'");
  }
  int limit = kDefaultCommandLimit;
  it = request.query.find("limit");
  if (it != request.query.end() && !it->second.empty()) {
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit < 1 ||
        limit > kMaxVersionLimit) {
      return http::ServerResponse::Error(400, "limit: expected an integer from 1 to " +
                                                  std::to_string(kMaxVersionLimit) + ", got '" +
                                                  text + "'");
    }
  }
  Result<std::vector<StoredCommand>> commands = catalog_->ListCommands(state, limit);
  if (!commands.ok()) return CatalogError(request, commands.status());
  nlohmann::json list = nlohmann::json::array();
  for (const StoredCommand& c : *commands) list.push_back(CommandJson(c));
  return JsonOk({{"commands", std::move(list)}});
}

namespace {

http::ServerResponse PollReply(const std::vector<StoredCommand>& commands, bool come_back_later) {
  nlohmann::json list = nlohmann::json::array();
  for (const StoredCommand& c : commands) list.push_back(wire::CommandToJson(c.ToWire()));
  http::ServerResponse response = JsonOk({{"commands", std::move(list)}});
  // The server closes the connection of a Retry-After reply: the agent holds no slot meanwhile.
  if (come_back_later) response.headers.Set("Retry-After", std::to_string(kPollRetryAfterSeconds));
  return response;
}

}  // namespace

BackupsApi::BackupsApi(Catalog* catalog, const TokenAuth* auth, const Clock* clock,
                       BackupsApiOptions options)
    : catalog_(catalog), auth_(auth), clock_(clock), options_(std::move(options)) {
  catalog_->SetCommandListener([this] {
    {
      std::lock_guard<std::mutex> lock(park_mutex_);
      commands_changed_ = true;
    }
    park_cv_.notify_one();
  });
  park_thread_ = std::thread([this] { ServeParkedPolls(); });
}

BackupsApi::~BackupsApi() {
  catalog_->SetCommandListener(nullptr);
  {
    std::lock_guard<std::mutex> lock(park_mutex_);
    stopping_ = true;
  }
  park_cv_.notify_one();
  if (park_thread_.joinable()) park_thread_.join();
}

void BackupsApi::PollCommands(http::ServerRequest& request, http::Responder respond) {
  auto it = request.query.find("wait");
  Result<int64_t> wait_ms = ParsePollWait(it == request.query.end() ? "" : it->second);
  if (!wait_ms.ok()) {
    respond(http::ServerResponse::Error(400, wait_ms.status().message()));
    return;
  }
  // The wait is measured on the steady clock: it must not depend on wall-clock jumps (or on a
  // test's fake clock).
  ClaimOrPark(request.principal,
              std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait_ms),
              std::move(respond));
}

void BackupsApi::ClaimOrPark(const std::string& agent,
                             std::chrono::steady_clock::time_point deadline,
                             http::Responder respond) {
  // Read the generation before claiming: a command created after the claim changes it, so the
  // parked poll is looked at again instead of missing it.
  const uint64_t generation = catalog_->CommandGeneration(agent);
  Result<std::vector<StoredCommand>> claimed =
      catalog_->ClaimCommands(agent, clock_->NowMs(), kCommandsPerPoll);
  if (!claimed.ok()) {
    spdlog::error("GET /api/v1/agent/commands of agent {}: catalog error: {}", agent,
                  claimed.status().ToString());
    respond(http::ServerResponse::Error(503, "backup catalog unavailable"));
    return;
  }
  if (!claimed->empty()) {
    spdlog::info("{} command(s) delivered to agent {}", claimed->size(), agent);
    respond(PollReply(*claimed, false));
    return;
  }
  if (std::chrono::steady_clock::now() >= deadline) {
    respond(PollReply({}, false));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(park_mutex_);
    if (!stopping_ && static_cast<int>(parked_.size()) < options_.max_waiting_polls) {
      parked_.push_back(ParkedPoll{agent, generation, deadline, respond});
      waiting_polls_ = static_cast<int>(parked_.size());
      park_cv_.notify_one();
      return;
    }
  }
  spdlog::debug("command poll of agent {} answered at once: {} polls already waiting", agent,
                options_.max_waiting_polls);
  respond(PollReply({}, true));
}

void BackupsApi::ServeParkedPolls() {
  std::unique_lock<std::mutex> lock(park_mutex_);
  while (true) {
    const bool stopping = stopping_;
    commands_changed_ = false;
    // Decide each parked poll's fate under the lock, answer outside it (answering may claim).
    std::vector<std::pair<ParkedPoll, PollEnd>> due;
    auto next_deadline = std::chrono::steady_clock::time_point::max();
    const auto now = std::chrono::steady_clock::now();
    for (auto it = parked_.begin(); it != parked_.end();) {
      Catalog::WaitOutcome outcome =
          catalog_->WaitForCommands(it->agent, it->generation, std::chrono::milliseconds(0));
      std::optional<PollEnd> end;
      if (stopping || outcome == Catalog::WaitOutcome::kShutDown) {
        end = PollEnd::kShutDown;
      } else if (outcome == Catalog::WaitOutcome::kChanged) {
        end = PollEnd::kCommands;
      } else if (now >= it->deadline) {
        end = PollEnd::kTimedOut;
      }
      if (end) {
        due.emplace_back(std::move(*it), *end);
        it = parked_.erase(it);
      } else {
        next_deadline = std::min(next_deadline, it->deadline);
        ++it;
      }
    }
    waiting_polls_ = static_cast<int>(parked_.size());
    if (!due.empty()) {
      lock.unlock();
      for (auto& [poll, end] : due) {
        switch (end) {
          case PollEnd::kCommands:
            ClaimOrPark(poll.agent, poll.deadline, std::move(poll.respond));
            break;
          case PollEnd::kTimedOut:
            poll.respond(PollReply({}, false));
            break;
          case PollEnd::kShutDown:
            poll.respond(PollReply({}, true));
            break;
        }
      }
      lock.lock();
      continue;
    }
    if (stopping) return;
    auto wake = [this] { return stopping_ || commands_changed_; };
    if (next_deadline == std::chrono::steady_clock::time_point::max()) {
      park_cv_.wait(lock, wake);
    } else {
      park_cv_.wait_until(lock, next_deadline, wake);
    }
  }
}

http::ServerResponse BackupsApi::UpdateCommand(http::ServerRequest& request) {
  const std::string& text = request.path_params["id"];
  std::optional<int64_t> id = ParseId(text);
  if (!id) return http::ServerResponse::Error(400, "invalid command id '" + text + "'");
  // Bounded parsing matters here: the update's result is copied and dumped recursively.
  Result<nlohmann::json> body = ParseJsonBody(request.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  Result<wire::CommandUpdate> update = wire::CommandUpdateFromJson(*body);
  if (!update.ok()) return http::ServerResponse::Error(400, update.status().message());
  Result<StoredCommand> updated =
      catalog_->UpdateCommand(request.principal, *id, *update, clock_->NowMs());
  if (!updated.ok()) {
    switch (updated.status().code()) {
      case StatusCode::kNotFound:
        return http::ServerResponse::Error(404, updated.status().message());
      case StatusCode::kInvalidArgument:
        return http::ServerResponse::Error(400, updated.status().message());
      case StatusCode::kFailedPrecondition:
        return http::ServerResponse::Error(409, updated.status().message());
      default:
        return CatalogError(request, updated.status());
    }
  }
  if (IsTerminalCommandState(updated->state)) {
    spdlog::info("command {} of agent {} {}: {}", *id, request.principal, updated->state,
                 updated->message);
  }
  return JsonOk(nlohmann::json::object());
}

}  // namespace beacon::collector::backups
