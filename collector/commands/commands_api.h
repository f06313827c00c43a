// The agent command routes of the collector API (docs/api.md "Agent command channel"): command
// status for admins, the command long-poll and progress reports for agents. Commands of every
// kind go through here; restores are created elsewhere (collector/backups/backups_api), the
// operator's backup.run and fim.accept here (POST /api/v1/agents/{name}/commands, through
// AgentCommands).
// Handlers are thread-safe. A long-poll that has to wait is parked without a thread: one thread
// of the api answers every parked poll when its agent's commands change (the queue's listener),
// when its wait is over, or at shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "collector/api/token_auth.h"
#include "collector/commands/agent_commands.h"
#include "collector/commands/command_queue.h"
#include "common/clock.h"
#include "common/http/server.h"
#include "common/mutex.h"

namespace beacon::collector::commands {

inline constexpr int64_t kMaxPollWaitMs = 60 * 1000;
inline constexpr int kCommandsPerPoll = 10;
// Seconds an agent is told to wait (Retry-After) after an early empty poll reply.
inline constexpr int kPollRetryAfterSeconds = 5;
inline constexpr int kMaxCommandLimit = 10000;

struct CommandsApiOptions {
  // Long-polls allowed to wait at once; each holds a connection (not a thread). More are
  // answered at once with Retry-After.
  int max_waiting_polls = 1024;
};

// "25s", "500ms" or whole seconds "25", within 0..kMaxPollWaitMs; "" is 0.
Result<int64_t> ParsePollWait(const std::string& text);

nlohmann::json CommandJson(const StoredCommand& command);

class CommandsApi {
 public:
  // queue, auth and clock must outlive the api. Starts the thread that answers parked polls.
  CommandsApi(CommandQueue* queue, const TokenAuth* auth, const Clock* clock,
              CommandsApiOptions options);
  // Answers every parked poll (empty, Retry-After) and joins the thread.
  ~CommandsApi();

  // Adds every route; the CommandsApi must outlive the server.
  void Register(http::HttpServer& server);

  http::ServerResponse GetCommand(http::ServerRequest& request);
  http::ServerResponse ListCommands(http::ServerRequest& request);
  // POST /api/v1/agents/{name}/commands {"kind", "args"}: 202 {"command"}, 400 naming the
  // field for a bad body, kind or arguments.
  http::ServerResponse CreateCommand(http::ServerRequest& request);
  // Async: answers at once when commands are queued, else parks the poll until they are.
  void PollCommands(http::ServerRequest& request, http::Responder respond);
  http::ServerResponse UpdateCommand(http::ServerRequest& request);

  // Polls currently waiting for commands (observability and tests).
  int waiting_polls() const { return waiting_polls_.load(); }

 private:
  struct ParkedPoll {
    std::string agent;
    uint64_t generation = 0;  // CommandQueue::CommandGeneration when it was parked
    std::chrono::steady_clock::time_point deadline;
    http::Responder respond;
  };
  enum class PollEnd { kCommands, kTimedOut, kShutDown };

  http::ServerResponse CatalogError(const http::ServerRequest& request, const Status& status);
  // Claims the agent's commands and answers, or parks the poll while its wait lasts (answering
  // at once with Retry-After when max_waiting_polls are parked already).
  void ClaimOrPark(const std::string& agent, std::chrono::steady_clock::time_point deadline,
                   http::Responder respond);
  void ServeParkedPolls();  // the thread

  CommandQueue* queue_;
  const TokenAuth* auth_;
  const Clock* clock_;
  CommandsApiOptions options_;
  AgentCommands agent_commands_;
  std::atomic<int> waiting_polls_{0};

  Mutex park_mutex_;
  std::condition_variable_any park_cv_;
  std::list<ParkedPoll> parked_ BEACON_GUARDED_BY(park_mutex_);
  bool commands_changed_ BEACON_GUARDED_BY(park_mutex_) = false;
  bool stopping_ BEACON_GUARDED_BY(park_mutex_) = false;
  std::thread park_thread_;
};

}  // namespace beacon::collector::commands
