// Backup lifecycle: the pure planner that decides which versions to archive, thin or delete
// under a policy (docs/backup.md, "Lifecycle"), and the runner that executes and records them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collector/backups/catalog.h"
#include "collector/backups/lifecycle_config.h"
#include "common/clock.h"
#include "common/cloud/objstore/object_store.h"
#include "common/mutex.h"
#include "common/periodic_loop.h"

namespace beacon::collector::backups {

// What the planner needs to know about one catalog version.
struct VersionView {
  int64_t id = 0;
  std::string set;    // backup set name (selects the policy)
  std::string agent;  // host
  std::string path;
  int64_t created_ms = 0;
  objstore::StorageClass storage_class = objstore::StorageClass::kStandard;
  bool deleted = false;  // already deleted from the store: ignored, counts for nothing
};

enum class LifecycleActionKind { kTransition, kDelete };

// "transition" | "delete" (catalog action table, JSON).
std::string_view LifecycleActionKindName(LifecycleActionKind kind);

struct PlannedAction {
  int64_t version_id = 0;
  LifecycleActionKind action = LifecycleActionKind::kTransition;
  objstore::StorageClass target_class = objstore::StorageClass::kStandard;  // transitions only
  std::string reason;  // "older than 30d", "thinned: keeps one per 1d after 7d"
};

// The policy for a backup set: the one naming the set, else "*", else nullptr.
const LifecyclePolicy* SelectPolicy(const std::vector<LifecyclePolicy>& policies,
                                    const std::string& set);

// Plans one policy over versions (all assumed to fall under it). Versions are grouped per file
// (agent, path) and taken newest first; the newest policy.keep_newest of each file are never
// touched. Each older version is deleted when older than delete_after, else thinned (deleted)
// when a thin rule applies to its age and a newer kept version lies in the same keep_one_per
// window (windows are multiples of keep_one_per since the Unix epoch, so day windows are UTC
// days), else transitioned to archive_class when older than archive_after and not already in
// that or a colder class. At most one action per version. Pure and deterministic: actions come
// in file order (agent, path) and, within a file, newest first.
std::vector<PlannedAction> PlanLifecycle(const std::vector<VersionView>& versions,
                                         const LifecyclePolicy& policy, int64_t now_ms);

// Plans every version under the policy SelectPolicy picks for its set; versions without a
// policy are left alone.
std::vector<PlannedAction> PlanLifecycleAll(const std::vector<VersionView>& versions,
                                            const std::vector<LifecyclePolicy>& policies,
                                            int64_t now_ms);

// The exponential backoff after `attempts` failures: retry_initial doubled per further
// failure, capped at retry_max.
int64_t LifecycleRetryDelayMs(const LifecycleConfig& config, int attempts);

// One action of a run as the API shows it.
struct LifecycleActionReport {
  int64_t action_id = 0;  // catalog action id; 0 in a dry run
  int64_t version_id = 0;
  std::string host;
  std::string path;
  std::string action;        // transition | delete
  std::string target_class;  // transitions only
  std::string reason;
  std::string state;  // dry run: "planned"; else pending | done | failed
  std::string error;  // last error of a failed action
  int attempts = 0;
  int64_t next_try_ms = 0;  // failed actions: when the next run may retry it
};

struct LifecycleRunReport {
  bool dry_run = false;
  std::vector<LifecycleActionReport> actions;  // every planned action, in plan order
  int executed = 0;                            // succeeded in this run
  int failed = 0;                              // attempted and failed in this run
  int deferred = 0;                            // failed earlier and not due for a retry yet
};

// Applies the lifecycle policies to the catalog's stored versions. Each planned action is
// recorded in the catalog's action table as pending before it runs and as done or failed
// (error, attempts, next try with exponential backoff) after; a failed action is retried by a
// later run once due and stays visible until then. Catalog, stores and clock must outlive the
// runner. Thread-safe: runs (scheduled and on demand) are serialized.
class LifecycleRunner {
 public:
  LifecycleRunner(Catalog& catalog, std::map<std::string, objstore::ObjectStore*> stores_by_name,
                  const Clock& clock, LifecycleConfig config);
  ~LifecycleRunner();  // Stop()s
  LifecycleRunner(const LifecycleRunner&) = delete;
  LifecycleRunner& operator=(const LifecycleRunner&) = delete;

  // Plans against the catalog now; a dry run only reports and changes nothing (neither the
  // store nor the catalog). Errors are catalog errors; store errors become failed actions.
  Result<LifecycleRunReport> RunOnce(bool dry_run);

  // Starts a thread running RunOnce(false) every config.interval_ms, the first one interval
  // after Start (interval 0: no thread, on demand only). Stop returns promptly, after a run in
  // progress finishes.
  void Start();
  void Stop();

 private:
  // Executes one recorded action against its store and the catalog and records the outcome.
  void Execute(const CatalogVersion& version, LifecycleAction* action, int64_t now_ms);

  Catalog& catalog_;
  std::map<std::string, objstore::ObjectStore*> stores_;
  const Clock& clock_;
  const LifecycleConfig config_;

  Mutex run_mutex_;  // serializes RunOnce

  PeriodicLoop loop_;  // last: stopped before the members its passes use go
};

}  // namespace beacon::collector::backups
