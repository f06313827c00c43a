// CommandChannel: the agent's long-poll command channel (GET /api/v1/agent/commands?wait=25s),
// dispatching each command to the handler registered for its kind and reporting its progress
// and outcome (POST /api/v1/agent/commands/{id}). Thread-safe: Run() on one thread, Stop() and
// RegisterHandler() from any.
//
// Wiring in `beacon-agent run` (agent/service.cpp); stores_by_name maps store name -> ObjectStore*:
//   std::shared_ptr<http::HttpClient> client = http::NewCurlHttpClient(http_options);
//   CommandChannel channel(collector_url, token, client, clock);
//   backup::RestoreHandler restore(stores_by_name, restore_options);
//   channel.RegisterHandler("restore", restore.AsCommandHandler());
//   std::thread commands([&] { channel.Run(); });  // shutdown: channel.Stop(); commands.join();
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/http/client.h"
#include "common/status.h"
#include "common/wire/backup.h"

namespace beacon::agent {

inline constexpr std::string_view kAgentCommandsPath = "/api/v1/agent/commands";

struct CommandChannelOptions {
  int64_t wait_ms = 25'000;            // long-poll wait asked of the collector
  int64_t request_slack_ms = 10'000;   // HTTP timeout of a poll = wait_ms + this
  int64_t update_timeout_ms = 10'000;  // HTTP timeout of one update POST
  int64_t backoff_initial_ms = 1000;   // after a failed poll (doubles, with jitter)
  int64_t backoff_max_ms = 60'000;
  // A poll that returns nothing sooner than this is followed by a pause, so a collector (or
  // proxy) that ignores `wait` cannot make the agent poll in a tight loop.
  int64_t min_poll_interval_ms = 1000;
  // Attempts of a final update before it is parked; parked ones are sent again before each
  // poll (the collector keeps a running command until it hears the outcome).
  int final_update_attempts = 3;
  size_t remembered_commands = 256;  // ids of finished commands kept to answer re-deliveries
  std::function<double()> random01;  // jitter source in [0, 1); empty: RandomUnit()
};

// Reports one update of the command being handled. "running" updates are posted at once and
// their outcome returned (a handler may ignore a failed progress post). A "succeeded" update
// is kept as the final one and posted by the channel after the handler returns, with retries.
using CommandReportFn = std::function<Status(const wire::CommandUpdate& update)>;
// Executes a command on the channel's thread, after the channel has reported "running".
// OK -> "succeeded" with the handler's own final update if it reported one (message, result),
// else "done"; an error -> "failed" with the error's message (meant for the operator).
using CommandHandler = std::function<Status(const wire::Command& command, CommandReportFn report)>;

// The collector refuses an update whose message is longer (common/wire/backup.cpp).
inline constexpr size_t kMaxCommandMessageBytes = 4096;
// What a handler puts into one update's result at most: the collector takes update bodies of
// 64 KiB (collector/api/query_api.h kAdminMaxBodyBytes), and the message and fields need room.
inline constexpr size_t kMaxCommandResultListBytes = 48 * 1024;

// `text` cut to kMaxCommandMessageBytes (never inside a UTF-8 sequence), "..." marking a cut.
std::string CommandMessage(std::string_view text);
// The leading items of `items` whose JSON texts (with separators) fit in max_bytes, as an
// array; *left_out is how many did not fit.
nlohmann::json BoundedJsonArray(const std::vector<nlohmann::json>& items, size_t max_bytes,
                                size_t* left_out);

// Paces the "running" updates of a long command: the first goes out at once, then at most one
// per interval on `clock`, so a fast stream of progress does not flood the collector. A progress
// post that fails is logged (debug) and dropped: the next one carries the news. Not
// thread-safe: one command on the channel's thread (callers serialise their own threads).
class ProgressReporter {
 public:
  ProgressReporter(CommandReportFn report, const Clock& clock, int64_t interval_ms);
  // Reports `update` (its state set to "running") unless one went out less than interval_ms
  // ago.
  void Report(wire::CommandUpdate update);

 private:
  CommandReportFn report_;
  const Clock& clock_;
  int64_t interval_ms_;
  bool reported_ = false;
  int64_t last_report_ms_ = 0;
};

class CommandChannel {
 public:
  // What one poll did, for Run()'s loop and for tests.
  struct PollResult {
    enum class Outcome { kEmpty, kHandled, kFailed, kStopped } outcome = Outcome::kEmpty;
    size_t commands = 0;   // commands received in this poll
    int64_t delay_ms = 0;  // how long to wait before the next poll
  };

  // `collector_url` without a trailing '/'. `token` is the agent's bearer token (never
  // logged). `client` is shared because an abandoned long-poll (Stop() during a poll) keeps
  // using it on its own thread until the request's timeout at most.
  CommandChannel(std::string collector_url, std::string token,
                 std::shared_ptr<http::HttpClient> client, const Clock& clock,
                 CommandChannelOptions options = {});
  ~CommandChannel();

  // Registers (or replaces) the handler for a command kind, e.g. "restore".
  void RegisterHandler(const std::string& kind, CommandHandler handler);

  // One long-poll and the handling of every command it returned, one at a time. Commands are
  // rare (restores), so a single thread keeps the agent's footprint small and the order of
  // updates simple. Returns promptly with kStopped when Stop() is called during the poll.
  PollResult PollOnce();

  // Loops PollOnce() until Stop(), sleeping the returned delay (interruptible by Stop()).
  // A command being handled is finished first (a restore has no cancellation point).
  void Run();
  // Makes Run() (and a PollOnce() waiting on its long-poll) return; does not block.
  void Stop();

 private:
  struct PendingPoll;
  struct Finished {
    int64_t id = 0;
    wire::CommandUpdate update;
  };

  Result<http::HttpResponse> LongPoll();
  PollResult Failed(const std::string& key, const std::string& message, bool at_max);
  void Handle(const wire::Command& command);
  Status PostUpdate(int64_t id, const wire::CommandUpdate& update);
  void PostFinal(int64_t id, const wire::CommandUpdate& update);
  void RetryUnsent();
  bool WaitOrStop(int64_t delay_ms);
  bool stopped();

  const std::string collector_url_;
  const std::string token_;
  const std::shared_ptr<http::HttpClient> client_;
  const Clock& clock_;
  const CommandChannelOptions options_;
  std::function<double()> random01_;

  // Used by the polling thread only.
  int failures_ = 0;
  std::string last_failure_key_;
  int repeated_failures_ = 0;
  std::deque<Finished> finished_;  // oldest first, at most options_.remembered_commands
  std::deque<Finished> unsent_;    // final updates not delivered yet (retryable failures)

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, CommandHandler> handlers_;  // guarded by mu_
  bool stop_ = false;                               // guarded by mu_
  std::shared_ptr<PendingPoll> pending_;            // guarded by mu_: the poll in flight
};

}  // namespace beacon::agent
