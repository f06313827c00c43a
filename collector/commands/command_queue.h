// CommandQueue: the collector's end of the agent command channel (agent/uplink/command_channel):
// commands queued for an agent, claimed by its long-poll, delivered again when the agent falls
// silent, and the agent's progress reports; plus the per-agent wake-up a waiting long-poll
// watches. Commands are of any kind ("restore" today); the queue never looks into args.
// The `commands` table lives in the backup catalog's SQLite file, where it has always been: the
// queue works on the catalog's connection under the catalog's mutex, the catalog's migrations
// apply kCommandsSchemaV1/V2 and its retention deletes finished commands. Thread-safe; waiters
// use a mutex of their own, so a long-poll never holds the database lock while it waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "common/store/sqlite.h"
#include "common/wire/backup.h"  // wire::Command, wire::CommandUpdate

namespace beacon::collector::commands {

// Command states. waiting_archive_restore -> queued (ArchiveRestorer, via SetCommandState) ->
// delivered (ClaimCommands) -> running -> succeeded | failed (agent, via UpdateCommand).
// failed is also set by the collector (SetCommandState) when an archive restore fails.
// waiting_archive_restore holds a restore of an archived version until its copy is readable.
inline constexpr char kCommandWaitingArchiveRestore[] = "waiting_archive_restore";
inline constexpr char kCommandQueued[] = "queued";
inline constexpr char kCommandDelivered[] = "delivered";
inline constexpr char kCommandRunning[] = "running";
inline constexpr char kCommandSucceeded[] = "succeeded";
inline constexpr char kCommandFailed[] = "failed";
bool IsTerminalCommandState(const std::string& state);
bool IsKnownCommandState(const std::string& state);

// A delivered or running command without any update for this long is delivered again (the
// agent restarted before it reported, or in the middle of the work; restores are idempotent).
inline constexpr int64_t kCommandRedeliverAfterMs = 2 * 60 * 1000;

// The commands table, applied by the backup catalog's migrations (collector/backups/catalog.cpp):
// version 1 creates it, version 2 adds the indexes retention and the archive restorer use.
extern const char kCommandsSchemaV1[];
extern const char kCommandsSchemaV2[];

struct StoredCommand {
  int64_t id = 0;
  std::string agent;
  std::string kind;  // "restore"
  nlohmann::json args = nlohmann::json::object();
  int64_t version_id = 0;  // catalog version a restore is about (0: none)
  std::string state;
  uint64_t done_bytes = 0;
  uint64_t total_bytes = 0;
  std::string message;
  nlohmann::json result = nlohmann::json::object();
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t delivered_ms = 0;  // last delivery (0: never)
  int deliveries = 0;

  wire::Command ToWire() const { return wire::Command{id, kind, args}; }
};

class CommandQueue {
 public:
  // db and mutex belong to the backup catalog and outlive the queue; every use of db holds mutex.
  CommandQueue(store::Database* db, Mutex* mutex);
  ~CommandQueue();  // WakeAllWaiters()
  CommandQueue(const CommandQueue&) = delete;
  CommandQueue& operator=(const CommandQueue&) = delete;

  // ---- Commands ----
  // initial_state: queued | waiting_archive_restore. Wakes the agent's waiting polls when
  // queued. Returns the id.
  Result<int64_t> CreateCommand(const std::string& agent, const std::string& kind,
                                const nlohmann::json& args, const std::string& initial_state,
                                int64_t version_id, int64_t now_ms);
  // Up to max commands for the agent, oldest first: queued ones and delivered or running ones
  // without an update for kCommandRedeliverAfterMs; each becomes delivered (delivered_ms = now).
  Result<std::vector<StoredCommand>> ClaimCommands(const std::string& agent, int64_t now_ms,
                                                   int max);
  // The agent's report. NotFound when the id is not a command of this agent;
  // InvalidArgument for an unknown state; FailedPrecondition when the command is not
  // delivered/running, or is terminal and the update names another state (repeating the
  // terminal state is accepted and changes nothing, so a retried report is harmless).
  Result<StoredCommand> UpdateCommand(const std::string& agent, int64_t id,
                                      const wire::CommandUpdate& update, int64_t now_ms);
  Result<StoredCommand> GetCommand(int64_t id);
  // Newest first; every state when state is empty.
  Result<std::vector<StoredCommand>> ListCommands(const std::string& state, int limit = 100);
  // Commands about a catalog version in a state (oldest first). The ArchiveRestorer queues the
  // waiting_archive_restore ones of every version that is ready, on each pass (a restore asked
  // for while the version was becoming ready is picked up on the next pass).
  Result<std::vector<StoredCommand>> ListCommandsForVersion(int64_t version_id,
                                                            const std::string& state);
  // Collector-side transition (waiting_archive_restore -> queued, or -> failed with the
  // reason). FailedPrecondition if the command is terminal. Wakes waiting polls when queued.
  Status SetCommandState(int64_t id, const std::string& state, const std::string& message,
                         int64_t now_ms);

  // ---- Waiting for commands (long-poll) ----
  // A counter that changes whenever the agent may have new commands. Read it before
  // ClaimCommands, then WaitForCommands(agent, seen, ...) returns at once if anything happened
  // in between, so no wake-up is lost.
  uint64_t CommandGeneration(const std::string& agent);
  enum class WaitOutcome { kChanged, kTimedOut, kShutDown };
  // Blocks until the agent's generation differs from `seen`, the timeout passes or
  // WakeAllWaiters() is called (then, and ever after, returns kShutDown at once). Never holds
  // the database lock.
  WaitOutcome WaitForCommands(const std::string& agent, uint64_t seen,
                              std::chrono::milliseconds timeout);
  // Ends every current and future wait at once (collector shutdown).
  void WakeAllWaiters();
  // Called (outside every lock of the queue) whenever a generation changes or the waiters
  // are woken for shutdown, so a waiter without a thread of its own (CommandsApi's parked polls)
  // can look again. Empty: none. Set it before, and clear it after, any concurrent use.
  void SetCommandListener(std::function<void()> listener);
  // Called (outside every lock of the queue) with a command's id after UpdateCommand recorded an
  // agent's report or SetCommandState a collector-side change, so a watcher (the chat bot's
  // follow-ups) learns of progress and results without polling. Empty: none. Set it before,
  // and clear it after, any concurrent use.
  void SetUpdateListener(std::function<void(int64_t id)> listener);

 private:
  void NotifyAgent(const std::string& agent);
  void NotifyUpdated(int64_t id);
  Result<StoredCommand> RecordUpdate(const std::string& agent, int64_t id,
                                     const wire::CommandUpdate& update, int64_t now_ms);
  Result<StoredCommand> GetCommandLocked(int64_t id) BEACON_REQUIRES(mutex_);

  Mutex& mutex_;
  store::Database* db_ BEACON_GUARDED_BY(mutex_);

  Mutex wait_mutex_;
  std::condition_variable_any wait_cv_;
  std::map<std::string, uint64_t> generations_ BEACON_GUARDED_BY(wait_mutex_);
  bool shut_down_ BEACON_GUARDED_BY(wait_mutex_) = false;
  std::function<void()> listener_ BEACON_GUARDED_BY(wait_mutex_);
  std::function<void(int64_t)> update_listener_ BEACON_GUARDED_BY(wait_mutex_);
};

}  // namespace beacon::collector::commands
