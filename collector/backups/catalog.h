// Catalog: the collector's record of every backed-up version (from `backup.version` events),
// the lifecycle actions applied to them and the agent command queue (restore commands), on its
// own SQLite file. Thread-safe: one connection guarded by mutex_; command waiters use a
// separate mutex so a long-poll never holds the database lock while it waits.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/store/sqlite.h"
#include "common/wire/backup.h"

namespace beacon::collector::backups {

// Version states.
inline constexpr char kVersionStored[] = "stored";
inline constexpr char kVersionDeleted[] = "deleted";
// Restore states of a version in an archive class.
inline constexpr char kRestoreNone[] = "none";
inline constexpr char kRestoreRequested[] = "requested";
inline constexpr char kRestoreInProgress[] = "in_progress";
inline constexpr char kRestoreReady[] = "ready";

// Command states. waiting_archive_restore -> queued (ArchiveRestorer, via SetCommandState) ->
// delivered (ClaimCommands) -> running -> succeeded | failed (agent, via UpdateCommand).
// failed is also set by the collector (SetCommandState) when an archive restore fails.
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

// Lifecycle action values.
inline constexpr char kActionTransition[] = "transition";
inline constexpr char kActionDelete[] = "delete";
inline constexpr char kActionRestore[] = "restore";
inline constexpr char kActionPending[] = "pending";
inline constexpr char kActionDone[] = "done";
inline constexpr char kActionFailed[] = "failed";

struct CatalogVersion {
  int64_t id = 0;
  std::string agent;  // host
  uint64_t seq = 0;   // seq of the backup.version event that recorded it
  wire::BackupVersion version;
  std::string state = kVersionStored;        // stored | deleted
  std::string restore_state = kRestoreNone;  // none | requested | in_progress | ready
  int64_t restore_expiry_ms = 0;             // when a restored archive copy stops being readable
  int64_t updated_ms = 0;
};

struct VersionQuery {
  std::optional<std::string> agent;
  // Exact path, or a prefix when it ends in '*' ("/etc/*"); a lone "*" matches every path.
  std::optional<std::string> path;
  std::optional<std::string> set;
  std::optional<int64_t> since_ms;  // created_ms >= since (inclusive)
  std::optional<int64_t> until_ms;  // created_ms <= until (inclusive)
  bool include_deleted = false;
  int limit = 100;
};

enum class AddOutcome {
  kAdded,      // a new catalog entry
  kDuplicate,  // (agent, seq) seen before, or same SHA-256 as the newest stored version of the
               // same (agent, path): nothing added
};

struct AddVersionResult {
  AddOutcome outcome = AddOutcome::kAdded;
  int64_t id = 0;  // the new entry, or the entry the duplicate resolved to (0 if none)
};

struct LifecycleAction {
  int64_t id = 0;
  int64_t version_id = 0;
  std::string action;                  // transition | delete | restore
  std::string target_class;            // objstore::StorageClassName for transitions, "" otherwise
  std::string state = kActionPending;  // pending | done | failed
  int attempts = 0;
  int64_t next_try_ms = 0;
  std::string last_error;
  std::string reason;  // why the planner chose it ("older than 30d"), may be ""
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  bool dry_run = false;
};

struct ActionQuery {
  std::optional<std::string> state;
  std::optional<int64_t> due_before_ms;  // next_try_ms <= due_before
  std::optional<int64_t> version_id;
  int limit = 1000;
};

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

// What one retention pass deleted.
struct CatalogPruneResult {
  int64_t commands = 0;  // succeeded or failed commands
  int64_t actions = 0;   // done or failed lifecycle actions
  int64_t versions = 0;  // deleted versions (with the actions, commands and seqs naming them)
};

class Catalog {
 public:
  // Opens (creating the file and its directory if needed) and applies the schema migrations.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path,
                                               const store::DatabaseOptions& options = {});
  static const std::vector<store::Migration>& Migrations();
  ~Catalog();

  // ---- Versions ----
  // Idempotent on (agent, seq): a seq seen before is a duplicate resolving to the same entry.
  // A version whose sha256 equals the newest stored version of the same (agent, path) is also a
  // duplicate (a re-upload after an agent crash stays one entry); the seq is remembered either
  // way so a replay never adds it later.
  Result<AddVersionResult> AddVersion(const std::string& agent, uint64_t seq,
                                      const wire::BackupVersion& version, int64_t now_ms);
  // AddVersion for each (seq, version) in order, in one transaction (one fsync for a whole
  // batch): all are recorded or, on error, none.
  Result<std::vector<AddVersionResult>> AddVersions(
      const std::string& agent,
      const std::vector<std::pair<uint64_t, wire::BackupVersion>>& versions, int64_t now_ms);
  // Newest first (created, then id), at most query.limit.
  Result<std::vector<CatalogVersion>> ListVersions(const VersionQuery& query);
  // NotFound if no such id.
  Result<CatalogVersion> GetVersion(int64_t id);
  // Every stored (not deleted) version of a backup set, any order (for the lifecycle planner).
  Result<std::vector<CatalogVersion>> ListVersionsOfSet(const std::string& set);
  // Every stored (not deleted) version, any order.
  Result<std::vector<CatalogVersion>> ListAllStoredVersions();
  // The newest stored version of (agent, path) created at or before at_ms (any time if absent).
  // NotFound if none.
  Result<CatalogVersion> FindVersion(const std::string& agent, const std::string& path,
                                     std::optional<int64_t> at_ms);
  // NotFound if no such id. A class change also resets restore_state to none.
  Status SetStorageClass(int64_t id, const std::string& storage_class, int64_t now_ms);
  Status MarkDeleted(int64_t id, int64_t now_ms);
  Status SetRestoreState(int64_t id, const std::string& restore_state, int64_t expiry_ms,
                         int64_t now_ms);
  // Versions in a given restore_state (e.g. requested / in_progress for the ArchiveRestorer).
  Result<std::vector<CatalogVersion>> ListVersionsByRestoreState(const std::string& restore_state);

  // ---- Lifecycle actions ----
  // Returns the new id (action.id, created_ms and updated_ms are set by the catalog).
  Result<int64_t> AddAction(const LifecycleAction& action, int64_t now_ms);
  // Overwrites state, attempts, next_try_ms, last_error (and updated_ms = now). NotFound if none.
  Status UpdateAction(const LifecycleAction& action, int64_t now_ms);
  // Oldest first (id).
  Result<std::vector<LifecycleAction>> ListActions(const ActionQuery& query);

  // ---- Agent commands ----
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
  // Called (outside every lock of the catalog) whenever a generation changes or the waiters
  // are woken for shutdown, so a waiter without a thread of its own (BackupsApi's parked polls)
  // can look again. Empty: none. Set it before, and clear it after, any concurrent use.
  void SetCommandListener(std::function<void()> listener);

  // ---- Retention ----
  // Deletes commands that succeeded or failed, and lifecycle actions that are done or failed,
  // last updated before cutoff_ms (a failed action still being retried is updated at every
  // attempt); then versions marked deleted before it, with every action, finished command and
  // (agent, seq) naming them (a replay of such an old backup.version event would count as new).
  // Queued, delivered and running commands, pending actions, stored versions and deleted
  // versions a command still to run names are never deleted. Works in chunks; stops early when
  // *cancel is set.
  Result<CatalogPruneResult> Prune(int64_t cutoff_ms, const std::atomic<bool>* cancel = nullptr);

  struct Counts {
    int64_t versions = 0;  // stored and deleted
    int64_t commands = 0;
    int64_t actions = 0;
  };
  Result<Counts> GetCounts();
  Status Ping();

 private:
  explicit Catalog(std::unique_ptr<store::Database> db);
  void NotifyAgent(const std::string& agent);
  // AddVersion inside the caller's transaction, mutex_ held.
  Result<AddVersionResult> AddVersionLocked(const std::string& agent, uint64_t seq,
                                            const wire::BackupVersion& version, int64_t now_ms);
  Result<StoredCommand> GetCommandLocked(int64_t id);

  std::mutex mutex_;
  std::unique_ptr<store::Database> db_;  // GUARDED_BY(mutex_)

  std::mutex wait_mutex_;
  std::condition_variable wait_cv_;
  std::map<std::string, uint64_t> generations_;  // GUARDED_BY(wait_mutex_)
  bool shut_down_ = false;                       // GUARDED_BY(wait_mutex_)
  std::function<void()> listener_;               // GUARDED_BY(wait_mutex_)
};

}  // namespace beacon::collector::backups
