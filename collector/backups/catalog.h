// Catalog: the collector's record of every backed-up version (from `backup.version` events) and
// the lifecycle actions applied to them, on its own SQLite file. The file also holds the agent
// command queue (commands()), which shares the catalog's connection. Thread-safe: one
// connection guarded by mutex_.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/commands/command_queue.h"
#include "common/mutex.h"
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

  // The agent command queue of this file (restore commands and later kinds).
  commands::CommandQueue& commands() { return *commands_; }

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
  // AddVersion inside the caller's transaction.
  Result<AddVersionResult> AddVersionLocked(const std::string& agent, uint64_t seq,
                                            const wire::BackupVersion& version, int64_t now_ms)
      BEACON_REQUIRES(mutex_);

  Mutex mutex_;
  std::unique_ptr<store::Database> db_ BEACON_GUARDED_BY(mutex_);
  // On db_ under mutex_; destroyed first (its destructor ends every wait).
  std::unique_ptr<commands::CommandQueue> commands_;
};

}  // namespace beacon::collector::backups
