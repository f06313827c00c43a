// Handlers of the agent command routes; JSON shapes follow docs/api.md exactly.
#include "collector/commands/commands_api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "collector/api/query_api.h"
#include "common/json/parse.h"
#include "common/wire/wire.h"

namespace beacon::collector::commands {
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

}  // namespace

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

void CommandsApi::Register(http::HttpServer& server) {
  const http::RouteOptions admin = auth_->AdminRoute();
  const http::RouteOptions agent = auth_->AgentRoute();
  const http::RouteOptions agent_with_body = auth_->AgentRoute(kAdminMaxBodyBytes);
  auto bind = [this](http::ServerResponse (CommandsApi::*method)(http::ServerRequest&)) {
    return http::MemberHandler(this, method);
  };
  server.Route("GET", "/api/v1/commands", admin, bind(&CommandsApi::ListCommands));
  server.Route("GET", "/api/v1/commands/{id}", admin, bind(&CommandsApi::GetCommand));
  server.Route("POST", "/api/v1/agents/{name}/commands", auth_->AdminRoute(kAdminMaxBodyBytes),
               bind(&CommandsApi::CreateCommand));
  server.RouteAsync("GET", "/api/v1/agent/commands", agent,
                    [this](http::ServerRequest& request, http::Responder respond) {
                      PollCommands(request, std::move(respond));
                    });
  server.Route("POST", "/api/v1/agent/commands/{id}", agent_with_body,
               bind(&CommandsApi::UpdateCommand));
}

http::ServerResponse CommandsApi::CatalogError(const http::ServerRequest& request,
                                               const Status& status) {
  spdlog::error("{} {}: catalog error: {}", request.method, request.path, status.ToString());
  return http::ServerResponse::Error(503, "backup catalog unavailable");
}

http::ServerResponse CommandsApi::GetCommand(http::ServerRequest& request) {
  const std::string& text = request.path_params["id"];
  std::optional<int64_t> id = ParseId(text);
  if (!id) return http::ServerResponse::Error(400, "invalid command id '" + text + "'");
  Result<StoredCommand> command = queue_->GetCommand(*id);
  if (!command.ok()) {
    if (command.status().code() == StatusCode::kNotFound) {
      return http::ServerResponse::Error(404, "no command " + std::to_string(*id));
    }
    return CatalogError(request, command.status());
  }
  return JsonOk(CommandJson(*command));
}

http::ServerResponse CommandsApi::ListCommands(http::ServerRequest& request) {
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
        limit > kMaxCommandLimit) {
      return http::ServerResponse::Error(400, "limit: expected an integer from 1 to " +
                                                  std::to_string(kMaxCommandLimit) + ", got '" +
                                                  text + "'");
    }
  }
  Result<std::vector<StoredCommand>> commands = queue_->ListCommands(state, limit);
  if (!commands.ok()) return CatalogError(request, commands.status());
  nlohmann::json list = nlohmann::json::array();
  for (const StoredCommand& c : *commands) list.push_back(CommandJson(c));
  return JsonOk({{"commands", std::move(list)}});
}

http::ServerResponse CommandsApi::CreateCommand(http::ServerRequest& request) {
  const std::string& agent = request.path_params["name"];
  Result<nlohmann::json> body = ParseJsonBody(request.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  if (!body->is_object()) return http::ServerResponse::Error(400, "body: expected an object");
  for (const auto& [key, value] : body->items()) {
    if (key != "kind" && key != "args") {
      return http::ServerResponse::Error(400, key + ": unknown field (kind, args)");
    }
  }
  auto kind = body->find("kind");
  if (kind == body->end() || !kind->is_string()) {
    return http::ServerResponse::Error(400, "kind: required, a string (backup.run, fim.accept)");
  }
  auto args = body->find("args");
  if (args == body->end() || !args->is_object()) {
    return http::ServerResponse::Error(400, "args: required, an object");
  }
  Result<int64_t> id = agent_commands_.Queue(agent, kind->get<std::string>(), *args);
  if (!id.ok()) {
    if (id.status().code() == StatusCode::kInvalidArgument) {
      return http::ServerResponse::Error(400, id.status().message());
    }
    return CatalogError(request, id.status());
  }
  Result<StoredCommand> command = queue_->GetCommand(*id);
  if (!command.ok()) return CatalogError(request, command.status());
  return JsonOk({{"command", CommandJson(*command)}}, 202);
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

CommandsApi::CommandsApi(CommandQueue* queue, const TokenAuth* auth, const Clock* clock,
                         CommandsApiOptions options)
    : queue_(queue),
      auth_(auth),
      clock_(clock),
      options_(std::move(options)),
      agent_commands_(queue, clock) {
  queue_->SetCommandListener([this] {
    {
      MutexLock lock(park_mutex_);
      commands_changed_ = true;
    }
    park_cv_.notify_one();
  });
  park_thread_ = std::thread([this] { ServeParkedPolls(); });
}

CommandsApi::~CommandsApi() {
  queue_->SetCommandListener(nullptr);
  {
    MutexLock lock(park_mutex_);
    stopping_ = true;
  }
  park_cv_.notify_one();
  if (park_thread_.joinable()) park_thread_.join();
}

void CommandsApi::PollCommands(http::ServerRequest& request, http::Responder respond) {
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

void CommandsApi::ClaimOrPark(const std::string& agent,
                              std::chrono::steady_clock::time_point deadline,
                              http::Responder respond) {
  // Read the generation before claiming: a command created after the claim changes it, so the
  // parked poll is looked at again instead of missing it.
  const uint64_t generation = queue_->CommandGeneration(agent);
  Result<std::vector<StoredCommand>> claimed =
      queue_->ClaimCommands(agent, clock_->NowMs(), kCommandsPerPoll);
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
    MutexLock lock(park_mutex_);
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

void CommandsApi::ServeParkedPolls() {
  UniqueLock lock(park_mutex_);
  while (true) {
    const bool stopping = stopping_;
    commands_changed_ = false;
    // Decide each parked poll's fate under the lock, answer outside it (answering may claim).
    std::vector<std::pair<ParkedPoll, PollEnd>> due;
    auto next_deadline = std::chrono::steady_clock::time_point::max();
    const auto now = std::chrono::steady_clock::now();
    for (auto it = parked_.begin(); it != parked_.end();) {
      CommandQueue::WaitOutcome outcome =
          queue_->WaitForCommands(it->agent, it->generation, std::chrono::milliseconds(0));
      std::optional<PollEnd> end;
      if (stopping || outcome == CommandQueue::WaitOutcome::kShutDown) {
        end = PollEnd::kShutDown;
      } else if (outcome == CommandQueue::WaitOutcome::kChanged) {
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
    auto wake = [this]() BEACON_REQUIRES(park_mutex_) { return stopping_ || commands_changed_; };
    if (next_deadline == std::chrono::steady_clock::time_point::max()) {
      park_cv_.wait(lock, wake);
    } else {
      park_cv_.wait_until(lock, next_deadline, wake);
    }
  }
}

http::ServerResponse CommandsApi::UpdateCommand(http::ServerRequest& request) {
  const std::string& text = request.path_params["id"];
  std::optional<int64_t> id = ParseId(text);
  if (!id) return http::ServerResponse::Error(400, "invalid command id '" + text + "'");
  // Bounded parsing matters here: the update's result is copied and dumped recursively.
  Result<nlohmann::json> body = ParseJsonBody(request.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  Result<wire::CommandUpdate> update = wire::CommandUpdateFromJson(*body);
  if (!update.ok()) return http::ServerResponse::Error(400, update.status().message());
  Result<StoredCommand> updated =
      queue_->UpdateCommand(request.principal, *id, *update, clock_->NowMs());
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

}  // namespace beacon::collector::commands
