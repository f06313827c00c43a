// Lifecycle planner (pure) and runner: archive, thin and delete old backup versions while
// always keeping the newest K of every file; every action is recorded in the catalog.
#include "collector/backups/lifecycle.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "collector/config.h"
#include "common/clock.h"
#include "common/wire/backup.h"

namespace beacon::collector::backups {
namespace {

// Colder classes are higher; a transition only ever moves a version colder.
int Coldness(objstore::StorageClass storage_class) {
  switch (storage_class) {
    case objstore::StorageClass::kStandard:
      return 0;
    case objstore::StorageClass::kInfrequent:
      return 1;
    case objstore::StorageClass::kArchive:
      return 2;
    case objstore::StorageClass::kColdArchive:
      return 3;
  }
  return 0;
}

// Floor division, so windows stay aligned for times before the epoch too.
int64_t WindowOf(int64_t created_ms, int64_t window_ms) {
  int64_t q = created_ms / window_ms;
  if (created_ms % window_ms != 0 && created_ms < 0) --q;
  return q;
}

// The thin rule for a version of this age: the one with the largest `after` it exceeds.
const ThinRule* ThinRuleFor(const std::vector<ThinRule>& rules, int64_t age_ms) {
  const ThinRule* chosen = nullptr;
  for (const ThinRule& rule : rules) {
    if (rule.keep_one_per_ms <= 0 || age_ms <= rule.after_ms) continue;
    if (chosen == nullptr || rule.after_ms > chosen->after_ms) chosen = &rule;
  }
  return chosen;
}

void PlanFile(std::vector<const VersionView*>& file, const LifecyclePolicy& policy, int64_t now_ms,
              const objstore::StorageClass* archive_class, std::vector<PlannedAction>* out) {
  std::sort(file.begin(), file.end(), [](const VersionView* a, const VersionView* b) {
    return std::tie(a->created_ms, a->id) > std::tie(b->created_ms, b->id);
  });
  const VersionView* oldest_kept = nullptr;  // every kept version so far is newer than the next
  int kept_untouched = 0;
  for (const VersionView* v : file) {
    if (kept_untouched < policy.keep_newest) {
      ++kept_untouched;
      oldest_kept = v;
      continue;
    }
    const int64_t age_ms = now_ms - v->created_ms;
    if (policy.delete_after_ms > 0 && age_ms > policy.delete_after_ms) {
      out->push_back({v->id, LifecycleActionKind::kDelete, v->storage_class,
                      "older than " + FormatDurationMs(policy.delete_after_ms)});
      continue;
    }
    // Kept versions are all newer than v, so if any shares v's window the oldest kept one does.
    if (const ThinRule* rule = ThinRuleFor(policy.thin, age_ms);
        rule != nullptr && oldest_kept != nullptr &&
        WindowOf(oldest_kept->created_ms, rule->keep_one_per_ms) ==
            WindowOf(v->created_ms, rule->keep_one_per_ms)) {
      out->push_back({v->id, LifecycleActionKind::kDelete, v->storage_class,
                      "thinned: keeps one per " + FormatDurationMs(rule->keep_one_per_ms) +
                          " after " + FormatDurationMs(rule->after_ms)});
      continue;
    }
    oldest_kept = v;
    if (archive_class != nullptr && policy.archive_after_ms > 0 &&
        age_ms > policy.archive_after_ms && Coldness(v->storage_class) < Coldness(*archive_class)) {
      out->push_back({v->id, LifecycleActionKind::kTransition, *archive_class,
                      "older than " + FormatDurationMs(policy.archive_after_ms)});
    }
  }
}

}  // namespace

std::string_view LifecycleActionKindName(LifecycleActionKind kind) {
  return kind == LifecycleActionKind::kDelete ? "delete" : "transition";
}

const LifecyclePolicy* SelectPolicy(const std::vector<LifecyclePolicy>& policies,
                                    const std::string& set) {
  const LifecyclePolicy* fallback = nullptr;
  for (const LifecyclePolicy& policy : policies) {
    if (policy.set == set) return &policy;
    if (policy.set == "*" && fallback == nullptr) fallback = &policy;
  }
  return fallback;
}

std::vector<PlannedAction> PlanLifecycle(const std::vector<VersionView>& versions,
                                         const LifecyclePolicy& policy, int64_t now_ms) {
  // The config reader rejects unknown classes; an unparsable one here disables archiving
  // rather than guessing a class.
  Result<objstore::StorageClass> archive_class = objstore::ParseStorageClass(policy.archive_class);
  const objstore::StorageClass* target = archive_class.ok() ? &*archive_class : nullptr;

  std::map<std::pair<std::string, std::string>, std::vector<const VersionView*>> files;
  for (const VersionView& v : versions) {
    if (!v.deleted) files[{v.agent, v.path}].push_back(&v);
  }
  std::vector<PlannedAction> actions;
  for (auto& [file_key, file] : files) PlanFile(file, policy, now_ms, target, &actions);
  return actions;
}

std::vector<PlannedAction> PlanLifecycleAll(const std::vector<VersionView>& versions,
                                            const std::vector<LifecyclePolicy>& policies,
                                            int64_t now_ms) {
  // Keyed by the policy's index so the output follows the configured order.
  std::map<size_t, std::vector<VersionView>> by_policy;
  for (const VersionView& v : versions) {
    if (const LifecyclePolicy* policy = SelectPolicy(policies, v.set)) {
      by_policy[static_cast<size_t>(policy - policies.data())].push_back(v);
    }
  }
  std::vector<PlannedAction> actions;
  for (const auto& [index, subset] : by_policy) {
    std::vector<PlannedAction> planned = PlanLifecycle(subset, policies[index], now_ms);
    actions.insert(actions.end(), planned.begin(), planned.end());
  }
  return actions;
}

// ---- Runner ----

namespace {

// Enough for every open action of a large catalog; the action table only grows by the plan.
constexpr int kOpenActionLimit = 1'000'000;

LifecycleActionReport ReportOf(const CatalogVersion& version, const LifecycleAction& action) {
  LifecycleActionReport r;
  r.action_id = action.id;
  r.version_id = action.version_id;
  r.host = version.agent;
  r.path = version.version.path;
  r.action = action.action;
  r.target_class = action.target_class;
  r.reason = action.reason;
  r.state = action.state;
  r.error = action.last_error;
  r.attempts = action.attempts;
  r.next_try_ms = action.next_try_ms;
  return r;
}

// The recorded form of a planned action (kind and target class), to match open actions.
LifecycleAction ToRecord(const PlannedAction& planned) {
  LifecycleAction action;
  action.version_id = planned.version_id;
  action.action = std::string(LifecycleActionKindName(planned.action));
  if (planned.action == LifecycleActionKind::kTransition) {
    action.target_class = std::string(objstore::StorageClassName(planned.target_class));
  }
  action.reason = planned.reason;
  return action;
}

}  // namespace

int64_t LifecycleRetryDelayMs(const LifecycleConfig& config, int attempts) {
  int64_t delay = std::max<int64_t>(config.retry_initial_ms, 1);
  for (int i = 1; i < attempts && delay < config.retry_max_ms; ++i) delay *= 2;
  return std::min(delay, std::max(config.retry_max_ms, config.retry_initial_ms));
}

LifecycleRunner::LifecycleRunner(Catalog& catalog,
                                 std::map<std::string, objstore::ObjectStore*> stores_by_name,
                                 const Clock& clock, LifecycleConfig config)
    : catalog_(catalog),
      stores_(std::move(stores_by_name)),
      clock_(clock),
      config_(std::move(config)) {}

LifecycleRunner::~LifecycleRunner() { Stop(); }

Result<LifecycleRunReport> LifecycleRunner::RunOnce(bool dry_run) {
  MutexLock run_lock(run_mutex_);
  const int64_t now_ms = clock_.NowMs();
  LifecycleRunReport report;
  report.dry_run = dry_run;

  BEACON_ASSIGN_OR_RETURN(std::vector<CatalogVersion> stored, catalog_.ListAllStoredVersions());
  std::map<int64_t, const CatalogVersion*> by_id;
  std::vector<VersionView> views;
  views.reserve(stored.size());
  for (const CatalogVersion& v : stored) {
    Result<objstore::StorageClass> storage_class =
        objstore::ParseStorageClass(v.version.storage_class);
    if (!storage_class.ok()) {
      // Not planned: acting on a class we cannot read could archive twice or not at all.
      spdlog::warn("lifecycle: version {} ({}:{}) has unknown storage class '{}', skipped", v.id,
                   v.agent, v.version.path, v.version.storage_class);
      continue;
    }
    if (Status own = wire::CheckObjectKeyOwner(v.agent, v.version.key); !own.ok()) {
      // Never plan with the collector's credentials on an object the agent does not own: such
      // an entry predates the ingest check (collector/ingest/) or was edited by hand.
      spdlog::warn("lifecycle: version {} ({}:{}) skipped: {}", v.id, v.agent, v.version.path,
                   own.message());
      continue;
    }
    by_id[v.id] = &v;
    VersionView view;
    view.id = v.id;
    view.set = v.version.set;
    view.agent = v.agent;
    view.path = v.version.path;
    view.created_ms = v.version.created_ms;
    view.storage_class = *storage_class;
    view.deleted = v.state == kVersionDeleted;
    views.push_back(std::move(view));
  }
  std::vector<PlannedAction> plan = PlanLifecycleAll(views, config_.policies, now_ms);

  if (dry_run) {
    for (const PlannedAction& planned : plan) {
      LifecycleAction record = ToRecord(planned);
      record.state = "planned";
      report.actions.push_back(ReportOf(*by_id.at(planned.version_id), record));
    }
    return report;
  }

  // Open (pending or failed) actions by version: a plan that repeats one continues its record
  // (attempts and backoff) instead of starting another. Pending ones are left from a run that
  // stopped midway; their store operations are idempotent, so they simply run again.
  std::map<int64_t, LifecycleAction> open;
  for (const char* state : {kActionPending, kActionFailed}) {
    ActionQuery query;
    query.state = state;
    query.limit = kOpenActionLimit;
    BEACON_ASSIGN_OR_RETURN(std::vector<LifecycleAction> actions, catalog_.ListActions(query));
    for (LifecycleAction& a : actions) {
      if (a.action == kActionTransition || a.action == kActionDelete) {
        open[a.version_id] = std::move(a);  // ascending ids: the newest record wins
      }
    }
  }

  for (const PlannedAction& planned : plan) {
    const CatalogVersion& version = *by_id.at(planned.version_id);
    LifecycleAction record = ToRecord(planned);
    auto it = open.find(planned.version_id);
    if (it != open.end() && it->second.action == record.action &&
        it->second.target_class == record.target_class) {
      record = it->second;
      if (record.state == kActionFailed && record.next_try_ms > now_ms) {
        ++report.deferred;
        report.actions.push_back(ReportOf(version, record));
        continue;
      }
    } else {
      record.state = kActionPending;
      record.next_try_ms = now_ms;
      BEACON_ASSIGN_OR_RETURN(record.id, catalog_.AddAction(record, now_ms));
    }
    Execute(version, &record, now_ms);
    if (record.state == kActionDone) {
      ++report.executed;
    } else {
      ++report.failed;
    }
    report.actions.push_back(ReportOf(version, record));
  }
  if (!plan.empty()) {
    spdlog::info("lifecycle: {} actions planned, {} done, {} failed, {} waiting for a retry",
                 plan.size(), report.executed, report.failed, report.deferred);
  }
  return report;
}

void LifecycleRunner::Execute(const CatalogVersion& version, LifecycleAction* action,
                              int64_t now_ms) {
  const std::string& key = version.version.key;
  Status status;
  auto store_it = stores_.find(version.version.store);
  if (store_it == stores_.end() || store_it->second == nullptr) {
    status = Status::FailedPrecondition("store '" + version.version.store +
                                        "' is not configured on the collector (backups.stores)");
  } else if (action->action == kActionTransition) {
    Result<objstore::StorageClass> target = objstore::ParseStorageClass(action->target_class);
    if (!target.ok()) {
      status = target.status();
    } else if (Result<objstore::ObjectInfo> copied = store_it->second->Copy(key, key, *target);
               !copied.ok()) {
      status = copied.status();
    } else {
      status = catalog_.SetStorageClass(version.id, action->target_class, now_ms);
    }
  } else {
    status = store_it->second->Delete(key);
    if (status.ok()) status = catalog_.MarkDeleted(version.id, now_ms);
  }

  ++action->attempts;
  if (status.ok()) {
    action->state = kActionDone;
    action->last_error.clear();
  } else {
    action->state = kActionFailed;
    action->last_error = status.ToString();
    action->next_try_ms = now_ms + LifecycleRetryDelayMs(config_, action->attempts);
    spdlog::warn("lifecycle: {} of version {} ({}:{}) failed (attempt {}): {}", action->action,
                 version.id, version.agent, version.version.path, action->attempts,
                 action->last_error);
  }
  if (Status recorded = catalog_.UpdateAction(*action, now_ms); !recorded.ok()) {
    // The store already changed; the next run re-plans from the catalog and repeats the
    // idempotent operation, so nothing is lost, only this record lags.
    spdlog::error("lifecycle: recording action {} failed: {}", action->id, recorded.ToString());
  }
}

void LifecycleRunner::Start() {
  if (config_.interval_ms <= 0) return;
  // As lifecycle.h promises: the first run one interval after start-up, not at once.
  loop_.Start(PeriodicLoop::FirstPass::kAfterInterval, config_.interval_ms, [this] {
    Result<LifecycleRunReport> report = RunOnce(false);
    if (!report.ok()) spdlog::error("lifecycle run failed: {}", report.status().ToString());
  });
}

void LifecycleRunner::Stop() { loop_.Stop(); }

}  // namespace beacon::collector::backups
