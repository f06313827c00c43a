// CommandChannel: long-poll -> dispatch -> running/succeeded/failed updates, with backoff,
// re-delivery handling and a Stop() that does not wait for the collector's long-poll.
#include "agent/uplink/command_channel.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <optional>
#include <thread>

#include "agent/uplink/uplink.h"
#include "common/backoff.h"
#include "common/json/parse.h"
#include "common/strings.h"

namespace beacon::agent {
namespace {

// A repeated identical poll failure is logged again every this many attempts.
constexpr size_t kMaxErrorInLog = 300;

std::string ErrorText(const std::string& body) {
  Result<nlohmann::json> json = ParseJson(body);
  std::string text =
      json.ok() && json->is_object() && json->contains("error") && (*json)["error"].is_string()
          ? (*json)["error"].get<std::string>()
          : body;
  if (text.size() > kMaxErrorInLog) text = text.substr(0, kMaxErrorInLog) + "...";
  return text;
}

// "25s" when whole seconds, else "1500ms" (both forms ParseDurationMs reads).
std::string WaitParam(int64_t wait_ms) {
  if (wait_ms % 1000 == 0) return std::to_string(wait_ms / 1000) + "s";
  return std::to_string(wait_ms) + "ms";
}

bool Retryable(const Status& status) {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

std::string CommandMessage(std::string_view text) {
  if (text.size() <= kMaxCommandMessageBytes) return std::string(text);
  return std::string(TruncateUtf8(text, kMaxCommandMessageBytes - 3)) + "...";
}

nlohmann::json BoundedJsonArray(const std::vector<nlohmann::json>& items, size_t max_bytes,
                                size_t* left_out) {
  nlohmann::json out = nlohmann::json::array();
  size_t bytes = 2;  // []
  size_t taken = 0;
  for (const nlohmann::json& item : items) {
    const size_t size = item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
    if (bytes + size + 1 > max_bytes) break;
    bytes += size + 1;
    out.push_back(item);
    ++taken;
  }
  if (left_out != nullptr) *left_out = items.size() - taken;
  return out;
}

ProgressReporter::ProgressReporter(CommandReportFn report, const Clock& clock, int64_t interval_ms)
    : report_(std::move(report)), clock_(clock), interval_ms_(interval_ms) {}

void ProgressReporter::Report(wire::CommandUpdate update) {
  const int64_t now = clock_.MonotonicMs();
  if (reported_ && now - last_report_ms_ < interval_ms_) return;
  reported_ = true;
  last_report_ms_ = now;
  update.state = "running";
  if (Status s = report_(update); !s.ok()) {
    spdlog::debug("command channel: progress update not delivered: {}", s.message());
  }
}

// The long-poll in flight. Shared with the thread that performs it, so Stop() can abandon the
// request without waiting for the collector: the thread finishes alone within the request
// timeout and touches only this and the (shared) client.
struct CommandChannel::PendingPoll {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;                                 // guarded by mu
  bool cancelled = false;                            // guarded by mu
  std::optional<Result<http::HttpResponse>> result;  // guarded by mu
};

CommandChannel::CommandChannel(std::string collector_url, std::string token,
                               std::shared_ptr<http::HttpClient> client, const Clock& clock,
                               CommandChannelOptions options)
    : collector_url_(std::move(collector_url)),
      token_(std::move(token)),
      client_(std::move(client)),
      clock_(clock),
      options_(std::move(options)),
      random01_(options_.random01) {
  if (!random01_) random01_ = RandomUnit;
}

CommandChannel::~CommandChannel() { Stop(); }

void CommandChannel::RegisterHandler(const std::string& kind, CommandHandler handler) {
  std::lock_guard lock(mu_);
  handlers_[kind] = std::move(handler);
}

bool CommandChannel::stopped() {
  std::lock_guard lock(mu_);
  return stop_;
}

void CommandChannel::Stop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  if (pending_) {
    std::lock_guard poll_lock(pending_->mu);
    pending_->cancelled = true;
    pending_->cv.notify_all();
  }
  cv_.notify_all();
}

bool CommandChannel::WaitOrStop(int64_t delay_ms) {
  std::unique_lock lock(mu_);
  if (delay_ms > 0) {
    cv_.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return stop_; });
  }
  return !stop_;
}

Result<http::HttpResponse> CommandChannel::LongPoll() {
  auto poll = std::make_shared<PendingPoll>();
  {
    std::lock_guard lock(mu_);
    if (stop_) return Status::Unavailable("stopped");
    pending_ = poll;
  }
  http::HttpRequest request;
  request.method = "GET";
  request.url =
      collector_url_ + std::string(kAgentCommandsPath) + "?wait=" + WaitParam(options_.wait_ms);
  request.timeout_ms = options_.wait_ms + options_.request_slack_ms;
  request.headers.Set("Authorization", "Bearer " + token_);
  request.headers.Set("Accept", "application/json");

  auto perform = [client = client_, request, poll] {
    Result<http::HttpResponse> result = client->Send(request);
    std::lock_guard lock(poll->mu);
    poll->result = std::move(result);
    poll->done = true;
    poll->cv.notify_all();
  };
  try {
    std::thread(perform).detach();
  } catch (const std::exception&) {
    perform();  // no thread to spare: poll inline (Stop() then waits for this poll)
  }

  std::unique_lock poll_lock(poll->mu);
  poll->cv.wait(poll_lock, [&] { return poll->done || poll->cancelled; });
  std::optional<Result<http::HttpResponse>> result;
  if (poll->done) result = std::move(poll->result);
  poll_lock.unlock();
  {
    std::lock_guard lock(mu_);
    pending_.reset();
  }
  if (!result) return Status::Unavailable("stopped");
  return std::move(*result);
}

CommandChannel::PollResult CommandChannel::Failed(const std::string& key,
                                                  const std::string& message, bool at_max) {
  ++failures_;
  const int64_t delay = at_max ? options_.backoff_max_ms
                               : BackoffDelayMs(failures_, options_.backoff_initial_ms,
                                                options_.backoff_max_ms, random01_());
  const std::string line =
      "command channel: " + message + "; next poll in " + FormatDurationMs(delay);
  if (key == last_failure_key_) {
    ++repeated_failures_;
    if (repeated_failures_ % kRepeatedFailureLogEvery == 0) {
      spdlog::warn("{} ({} failures in a row)", line, repeated_failures_);
    } else {
      spdlog::debug("{}", line);
    }
  } else {
    last_failure_key_ = key;
    repeated_failures_ = 1;
    spdlog::error("{}", line);
  }
  return {PollResult::Outcome::kFailed, 0, delay};
}

CommandChannel::PollResult CommandChannel::PollOnce() {
  using Outcome = PollResult::Outcome;
  if (stopped()) return {Outcome::kStopped, 0, 0};
  if (!unsent_.empty()) RetryUnsent();
  const int64_t started_ms = clock_.MonotonicMs();
  auto response = LongPoll();
  if (stopped()) return {Outcome::kStopped, 0, 0};
  if (!response.ok()) {
    return Failed(
        "transport",
        "cannot reach the collector at " + collector_url_ + ": " + response.status().message(),
        false);
  }
  const int code = response->status;
  if (code == 401) {
    return Failed("http-401",
                  "the collector rejected the agent token (401): check collector.token_file / "
                  "token_env, or create a token with `beaconctl token create`",
                  false);
  }
  if (code == 403) {
    return Failed("http-403",
                  "the collector refused this agent (403: " + ErrorText(response->body) +
                      "): the token must belong to this agent (check agent.name)",
                  false);
  }
  if (code == 404) {
    return Failed("http-404",
                  "the collector at " + collector_url_ +
                      " has no command channel (404): is it older than this agent?",
                  true);
  }
  if (code != 200) {
    return Failed("http-" + std::to_string(code),
                  "the collector answered the command poll with " + std::to_string(code) + ": " +
                      ErrorText(response->body),
                  false);
  }
  // Commands are copied and their args dumped recursively: only a bounded tree gets that far.
  Result<nlohmann::json> parsed = ParseJson(response->body);
  if (!parsed.ok()) {
    return Failed(
        "bad-reply",
        "the collector's command poll reply is not usable JSON: " + parsed.status().message(),
        false);
  }
  nlohmann::json& body = *parsed;
  if (!body.is_object() || !body.contains("commands") || !body["commands"].is_array()) {
    return Failed("bad-reply",
                  "the collector's command poll reply has no \"commands\" array (is collector.url "
                  "right, and are the agent and collector the same version?)",
                  false);
  }
  if (failures_ > 0) {
    spdlog::info("command channel: connected to {} again after {} failed polls", collector_url_,
                 failures_);
  }
  failures_ = 0;
  last_failure_key_.clear();
  repeated_failures_ = 0;

  const auto& commands = body["commands"];
  if (commands.empty()) {
    const int64_t elapsed = clock_.MonotonicMs() - started_ms;
    int64_t delay = std::max<int64_t>(0, options_.min_poll_interval_ms - elapsed);
    // An early empty reply (collector shutting down, too many waiting polls) says how long to
    // stay away.
    const std::string retry_after = response->headers.Get("Retry-After");
    int64_t seconds = 0;
    auto [end, ec] =
        std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
    if (!retry_after.empty() && ec == std::errc() &&
        end == retry_after.data() + retry_after.size() && seconds > 0) {
      // Capped in seconds first: seconds * 1000 overflows for absurd values.
      const int64_t wait_ms = seconds > options_.backoff_max_ms / 1000
                                  ? options_.backoff_max_ms
                                  : std::min(seconds * 1000, options_.backoff_max_ms);
      delay = std::max(delay, wait_ms);
    }
    return {Outcome::kEmpty, 0, delay};
  }
  for (const auto& item : commands) {
    // The rest stay "delivered" at the collector, which delivers them again later.
    if (stopped()) break;
    auto command = wire::CommandFromJson(item);
    if (!command.ok()) {
      auto id = item.is_object() ? item.find("id") : item.end();
      if (item.is_object() && id != item.end() && id->is_number_integer()) {
        wire::CommandUpdate failed;
        failed.state = "failed";
        failed.message = "malformed command: " + command.status().message();
        PostFinal(id->get<int64_t>(), failed);
        finished_.push_back({id->get<int64_t>(), failed});
      } else {
        spdlog::error("command channel: ignoring a command without an id: {}",
                      command.status().message());
      }
      continue;
    }
    Handle(*command);
  }
  while (finished_.size() > options_.remembered_commands) finished_.pop_front();
  return {Outcome::kHandled, commands.size(), 0};
}

void CommandChannel::Handle(const wire::Command& command) {
  for (const Finished& done : finished_) {
    if (done.id != command.id) continue;
    // Our final update was lost (or the collector re-delivered before storing it): answer
    // again with the outcome instead of running the command twice.
    spdlog::info("command channel: command #{} was delivered again; re-sending its outcome ({})",
                 command.id, done.update.state);
    PostFinal(command.id, done.update);
    return;
  }

  CommandHandler handler;
  {
    std::lock_guard lock(mu_);
    auto it = handlers_.find(command.kind);
    if (it != handlers_.end()) handler = it->second;
  }
  wire::CommandUpdate final_update;
  final_update.state = "failed";
  if (!handler) {
    final_update.message = "unknown command kind " + command.kind;
    spdlog::error("command channel: command #{}: {}", command.id, final_update.message);
  } else {
    spdlog::info("command channel: running command #{} ({})", command.id, command.kind);
    wire::CommandUpdate running;
    running.state = "running";
    running.message = "started";
    if (Status s = PostUpdate(command.id, running); !s.ok()) {
      spdlog::warn("command channel: cannot report command #{} as running: {}", command.id,
                   s.message());
    }
    std::optional<wire::CommandUpdate> reported_final;
    wire::CommandUpdate last_progress = running;
    CommandReportFn report = [&](const wire::CommandUpdate& update) -> Status {
      if (update.state == "running") {
        last_progress = update;
        return PostUpdate(command.id, update);
      }
      if (update.state == "succeeded" || update.state == "failed") {
        reported_final = update;
        return Status::Ok();
      }
      return Status::InvalidArgument("unknown command state '" + update.state + "'");
    };
    Status status;
    try {
      status = handler(command, report);
    } catch (const std::exception& e) {
      status = Status::Internal(std::string("internal error: ") + e.what());
    } catch (...) {
      status = Status::Internal("internal error");
    }
    if (!status.ok()) {
      final_update.state = "failed";
      final_update.message = status.message();
      final_update.done_bytes = last_progress.done_bytes;
      final_update.total_bytes = last_progress.total_bytes;
    } else if (reported_final) {
      final_update = *reported_final;
    } else {
      final_update.state = "succeeded";
      final_update.message = "done";
      final_update.done_bytes = last_progress.done_bytes;
      final_update.total_bytes = last_progress.total_bytes;
    }
    spdlog::log(final_update.state == "succeeded" ? spdlog::level::info : spdlog::level::err,
                "command channel: command #{} ({}) {}: {}", command.id, command.kind,
                final_update.state, final_update.message);
  }
  PostFinal(command.id, final_update);
  finished_.push_back({command.id, final_update});
}

Status CommandChannel::PostUpdate(int64_t id, const wire::CommandUpdate& update) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = collector_url_ + std::string(kAgentCommandsPath) + "/" + std::to_string(id);
  request.timeout_ms = options_.update_timeout_ms;
  request.headers.Set("Authorization", "Bearer " + token_);
  request.headers.Set("Content-Type", "application/json");
  // Handlers report file names as they are on disk: bytes that are not UTF-8 become U+FFFD
  // rather than an exception, and the collector gets valid JSON.
  request.body = wire::CommandUpdateToJson(update).dump(-1, ' ', false,
                                                        nlohmann::json::error_handler_t::replace);
  auto response = client_->Send(request);
  if (!response.ok()) return response.status();
  const int code = response->status;
  if (code >= 200 && code < 300) return Status::Ok();
  std::string message = "the collector answered the update of command #" + std::to_string(id) +
                        " with " + std::to_string(code) + ": " + ErrorText(response->body);
  if (code == 429 || code >= 500) return Status::Unavailable(std::move(message));
  if (code == 401) return Status::Unauthenticated(std::move(message));
  if (code == 403) return Status::PermissionDenied(std::move(message));
  if (code == 404) return Status::NotFound(std::move(message));
  return Status::FailedPrecondition(std::move(message));
}

void CommandChannel::PostFinal(int64_t id, const wire::CommandUpdate& update) {
  const int attempts = std::max(1, options_.final_update_attempts);
  for (int attempt = 1;; ++attempt) {
    Status status = PostUpdate(id, update);
    if (status.ok()) return;
    if (!Retryable(status)) {
      spdlog::error("command channel: the collector refused the outcome of command #{} ({}): {}",
                    id, update.state, status.message());
      return;
    }
    if (attempt >= attempts) {
      spdlog::warn(
          "command channel: cannot report the outcome of command #{} ({}) yet: {}; it is sent "
          "again before the next poll",
          id, update.state, status.message());
      unsent_.push_back({id, update});
      while (unsent_.size() > options_.remembered_commands) unsent_.pop_front();
      return;
    }
    const int64_t delay =
        BackoffDelayMs(attempt, options_.backoff_initial_ms, options_.backoff_max_ms, random01_());
    if (!WaitOrStop(delay)) {
      unsent_.push_back({id, update});
      return;
    }
  }
}

void CommandChannel::RetryUnsent() {
  std::deque<Finished> still_unsent;
  while (!unsent_.empty()) {
    Finished next = std::move(unsent_.front());
    unsent_.pop_front();
    Status status = PostUpdate(next.id, next.update);
    if (status.ok()) {
      spdlog::info("command channel: reported the outcome of command #{} ({})", next.id,
                   next.update.state);
    } else if (Retryable(status)) {
      still_unsent.push_back(std::move(next));
    } else {
      spdlog::error("command channel: the collector refused the outcome of command #{} ({}): {}",
                    next.id, next.update.state, status.message());
    }
  }
  unsent_ = std::move(still_unsent);
}

void CommandChannel::Run() {
  while (true) {
    PollResult result = PollOnce();
    if (result.outcome == PollResult::Outcome::kStopped) break;
    if (!WaitOrStop(result.delay_ms)) break;
  }
}

}  // namespace beacon::agent
