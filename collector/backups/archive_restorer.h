// ArchiveRestorer: drives restore commands of archived versions (state waiting_archive_restore)
// through RestoreObject and HEAD polling until the restored copy is readable, then queues them
// for the agent (docs/backup.md, "Lifecycle").
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "collector/backups/catalog.h"
#include "collector/backups/lifecycle_config.h"
#include "common/clock.h"
#include "common/cloud/objstore/object_store.h"
#include "common/mutex.h"
#include "common/periodic_loop.h"

namespace beacon::collector::backups {

struct RestoreTickReport {
  int queued = 0;   // commands handed to the agent this tick
  int failed = 0;   // commands failed for good this tick
  int waiting = 0;  // commands still waiting for the store
};

// Each Tick handles every waiting command, one store request per archived version however many
// commands wait for it: a version not yet asked for gets RestoreObject(restore_days) (accepted
// or already in progress -> restore_state in_progress; already restored -> ready); one in
// progress gets a HEAD, and when the copy is restored the version becomes ready (expiry = now +
// restore_days) and its commands queued. Transient store errors go into the command's message
// and are retried next tick; NotFound / InvalidArgument fail the commands with the reason.
// Each RestoreObject call is recorded in the catalog's action table ("restore"). Catalog,
// stores and clock must outlive it. Thread-safe (ticks are serialized).
class ArchiveRestorer {
 public:
  ArchiveRestorer(Catalog& catalog, std::map<std::string, objstore::ObjectStore*> stores_by_name,
                  const Clock& clock, LifecycleConfig config);
  ~ArchiveRestorer();  // Stop()s
  ArchiveRestorer(const ArchiveRestorer&) = delete;
  ArchiveRestorer& operator=(const ArchiveRestorer&) = delete;

  // One pass over the waiting commands. Errors are catalog errors.
  Result<RestoreTickReport> Tick();

  // Starts a thread that ticks at once and then every config.restore_poll_ms. Wake() makes it
  // tick now (call it after creating a waiting command). Stop returns promptly.
  void Start();
  void Wake();
  void Stop();

 private:
  enum class Outcome { kWaiting, kReady, kFailed };
  struct VersionOutcome {
    Outcome outcome = Outcome::kWaiting;
    std::string message;  // for the commands
  };

  VersionOutcome Advance(int64_t version_id, int64_t command_id, int64_t now_ms);
  VersionOutcome RequestRestore(const CatalogVersion& version, objstore::ObjectStore& store,
                                int64_t command_id, int64_t now_ms);
  VersionOutcome MarkReady(const CatalogVersion& version, int64_t expiry_ms, int64_t now_ms);
  // Records one RestoreObject attempt in the action table (continuing an open record).
  void RecordRestoreAttempt(int64_t version_id, int64_t command_id, const Status& status,
                            int64_t now_ms);

  Catalog& catalog_;
  std::map<std::string, objstore::ObjectStore*> stores_;
  const Clock& clock_;
  const LifecycleConfig config_;

  Mutex tick_mutex_;  // serializes Tick

  PeriodicLoop loop_;  // last: stopped before the members its passes use go
};

}  // namespace beacon::collector::backups
