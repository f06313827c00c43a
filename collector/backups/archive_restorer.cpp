// Archive restore jobs: RestoreObject, HEAD polling (x-oss-restore / x-amz-restore) and the
// hand-over of waiting restore commands to the agent once the copy is readable.
#include "collector/backups/archive_restorer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "collector/config.h"
#include "common/clock.h"
#include "common/wire/backup.h"

namespace beacon::collector::backups {
namespace {

using commands::kCommandFailed;
using commands::kCommandQueued;
using commands::kCommandWaitingArchiveRestore;
using commands::StoredCommand;

// More waiting commands than this are handled on the following ticks.
constexpr int kCommandsPerTick = 10'000;
constexpr int kOpenActionLimit = 1'000;

// Errors that asking again cannot fix: the object is gone or the store refuses the request.
bool IsPermanent(const Status& status) {
  return status.code() == StatusCode::kNotFound || status.code() == StatusCode::kInvalidArgument;
}

}  // namespace

ArchiveRestorer::ArchiveRestorer(Catalog& catalog,
                                 std::map<std::string, objstore::ObjectStore*> stores_by_name,
                                 const Clock& clock, LifecycleConfig config)
    : catalog_(catalog),
      stores_(std::move(stores_by_name)),
      clock_(clock),
      config_(std::move(config)) {}

ArchiveRestorer::~ArchiveRestorer() { Stop(); }

Result<RestoreTickReport> ArchiveRestorer::Tick() {
  MutexLock tick_lock(tick_mutex_);
  const int64_t now_ms = clock_.NowMs();
  BEACON_ASSIGN_OR_RETURN(
      std::vector<StoredCommand> commands,
      catalog_.commands().ListCommands(kCommandWaitingArchiveRestore, kCommandsPerTick));
  // Oldest first, grouped by version: one store request per version per tick.
  std::vector<int64_t> version_order;
  std::map<int64_t, std::vector<const StoredCommand*>> by_version;
  for (auto it = commands.rbegin(); it != commands.rend(); ++it) {
    auto [entry, inserted] = by_version.try_emplace(it->version_id);
    if (inserted) version_order.push_back(it->version_id);
    entry->second.push_back(&*it);
  }

  RestoreTickReport report;
  for (int64_t version_id : version_order) {
    const std::vector<const StoredCommand*>& waiting = by_version[version_id];
    VersionOutcome outcome = Advance(version_id, waiting.front()->id, now_ms);
    for (const StoredCommand* command : waiting) {
      std::string state = kCommandWaitingArchiveRestore;
      if (outcome.outcome == Outcome::kReady) {
        state = kCommandQueued;
        ++report.queued;
      } else if (outcome.outcome == Outcome::kFailed) {
        state = kCommandFailed;
        ++report.failed;
      } else {
        ++report.waiting;
        if (command->message == outcome.message) continue;
      }
      Status set = catalog_.commands().SetCommandState(command->id, state, outcome.message, now_ms);
      if (set.code() == StatusCode::kFailedPrecondition) {
        continue;  // finished meanwhile (e.g. failed by an operator): nothing left to do
      }
      BEACON_RETURN_IF_ERROR(set);
      if (state != kCommandWaitingArchiveRestore) {
        spdlog::info("archive restore: command {} for version {} {}: {}", command->id, version_id,
                     state, outcome.message);
      }
    }
  }
  return report;
}

ArchiveRestorer::VersionOutcome ArchiveRestorer::Advance(int64_t version_id, int64_t command_id,
                                                         int64_t now_ms) {
  if (version_id == 0) return {Outcome::kFailed, "the command names no catalog version"};
  Result<CatalogVersion> found = catalog_.GetVersion(version_id);
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) {
      return {Outcome::kFailed, "version " + std::to_string(version_id) + " is not in the catalog"};
    }
    return {Outcome::kWaiting, "catalog unavailable (" + found.status().ToString() + "); retrying"};
  }
  const CatalogVersion& version = *found;
  if (version.state == kVersionDeleted) {
    return {Outcome::kFailed,
            "version " + std::to_string(version_id) + " was deleted before it could be restored"};
  }
  if (Status own = wire::CheckObjectKeyOwner(version.agent, version.version.key); !own.ok()) {
    // The restore request would use the collector's credentials on another agent's object.
    return {Outcome::kFailed, "archive restore refused: " + own.message()};
  }
  Result<objstore::StorageClass> storage_class =
      objstore::ParseStorageClass(version.version.storage_class);
  if (storage_class.ok() && !objstore::IsArchiveClass(*storage_class)) {
    return MarkReady(version, 0, now_ms);  // moved out of archive meanwhile: readable now
  }
  auto store_it = stores_.find(version.version.store);
  if (store_it == stores_.end() || store_it->second == nullptr) {
    return {Outcome::kFailed, "store '" + version.version.store +
                                  "' is not configured on the collector (backups.stores)"};
  }
  objstore::ObjectStore& store = *store_it->second;

  if (version.restore_state == kRestoreReady &&
      (version.restore_expiry_ms == 0 || version.restore_expiry_ms > now_ms)) {
    return MarkReady(version, version.restore_expiry_ms, now_ms);
  }
  if (version.restore_state != kRestoreInProgress) {
    // none, requested, or a restored copy that has expired: ask (again).
    return RequestRestore(version, store, command_id, now_ms);
  }
  Result<objstore::ObjectInfo> head = store.Head(version.version.key);
  if (!head.ok()) {
    if (IsPermanent(head.status())) {
      return {Outcome::kFailed, "archive restore failed: " + head.status().ToString()};
    }
    return {Outcome::kWaiting, "checking the archive restore failed (" + head.status().ToString() +
                                   "); retrying every " +
                                   FormatDurationMs(config_.restore_poll_ms)};
  }
  switch (head->restore_state) {
    case objstore::RestoreState::kRestored:
      return MarkReady(version, now_ms + int64_t{config_.restore_days} * kDayMs, now_ms);
    case objstore::RestoreState::kNotArchived:
      return MarkReady(version, 0, now_ms);
    case objstore::RestoreState::kArchived:
      // The store forgot the request (or the copy lapsed before the agent got it): ask again.
      return RequestRestore(version, store, command_id, now_ms);
    case objstore::RestoreState::kInProgress:
      break;
  }
  return {Outcome::kWaiting, "archive restore in progress (checked " + FormatRfc3339(now_ms) + ")"};
}

ArchiveRestorer::VersionOutcome ArchiveRestorer::RequestRestore(const CatalogVersion& version,
                                                                objstore::ObjectStore& store,
                                                                int64_t command_id,
                                                                int64_t now_ms) {
  Result<objstore::RestoreRequestResult> requested =
      store.Restore(version.version.key, config_.restore_days);
  RecordRestoreAttempt(version.id, command_id, requested.status(), now_ms);
  if (!requested.ok()) {
    if (IsPermanent(requested.status())) {
      return {Outcome::kFailed, "archive restore failed: " + requested.status().ToString()};
    }
    return {Outcome::kWaiting, "requesting the archive restore failed (" +
                                   requested.status().ToString() + "); retrying every " +
                                   FormatDurationMs(config_.restore_poll_ms)};
  }
  if (*requested == objstore::RestoreRequestResult::kAlreadyRestored) {
    return MarkReady(version, now_ms + int64_t{config_.restore_days} * kDayMs, now_ms);
  }
  if (Status set = catalog_.SetRestoreState(version.id, kRestoreInProgress, 0, now_ms); !set.ok()) {
    // The restore is requested; the next tick asks again (harmless: 409 in progress).
    return {Outcome::kWaiting, "catalog unavailable (" + set.ToString() + "); retrying"};
  }
  return {Outcome::kWaiting, "archive restore requested from store '" + store.name() +
                                 "'; waiting for the copy (kept " +
                                 std::to_string(config_.restore_days) + " days)"};
}

ArchiveRestorer::VersionOutcome ArchiveRestorer::MarkReady(const CatalogVersion& version,
                                                           int64_t expiry_ms, int64_t now_ms) {
  if (version.restore_state != kRestoreReady || version.restore_expiry_ms != expiry_ms) {
    if (Status set = catalog_.SetRestoreState(version.id, kRestoreReady, expiry_ms, now_ms);
        !set.ok()) {
      return {Outcome::kWaiting, "catalog unavailable (" + set.ToString() + "); retrying"};
    }
  }
  if (expiry_ms == 0) return {Outcome::kReady, "the version is not archived; readable now"};
  return {Outcome::kReady, "archived copy restored, readable until " + FormatRfc3339(expiry_ms)};
}

void ArchiveRestorer::RecordRestoreAttempt(int64_t version_id, int64_t command_id,
                                           const Status& status, int64_t now_ms) {
  ActionQuery query;
  query.version_id = version_id;
  query.limit = kOpenActionLimit;
  Result<std::vector<LifecycleAction>> actions = catalog_.ListActions(query);
  if (!actions.ok()) {
    spdlog::error("archive restore: reading actions failed: {}", actions.status().ToString());
    return;
  }
  LifecycleAction record;
  for (const LifecycleAction& a : *actions) {
    if (a.action == kActionRestore && a.state != kActionDone) record = a;  // newest open one
  }
  if (record.id == 0) {
    record.version_id = version_id;
    record.action = kActionRestore;
    record.state = kActionPending;
    record.next_try_ms = now_ms;
    record.reason = "restore command " + std::to_string(command_id);
    Result<int64_t> id = catalog_.AddAction(record, now_ms);
    if (!id.ok()) {
      spdlog::error("archive restore: recording action failed: {}", id.status().ToString());
      return;
    }
    record.id = *id;
  }
  ++record.attempts;
  if (status.ok()) {
    record.state = kActionDone;
    record.last_error.clear();
  } else {
    record.state = kActionFailed;
    record.last_error = status.ToString();
    record.next_try_ms = now_ms + config_.restore_poll_ms;
  }
  if (Status updated = catalog_.UpdateAction(record, now_ms); !updated.ok()) {
    spdlog::error("archive restore: recording action {} failed: {}", record.id, updated.ToString());
  }
}

void ArchiveRestorer::Start() {
  loop_.Start(PeriodicLoop::FirstPass::kAtStart, std::max<int64_t>(config_.restore_poll_ms, 1),
              [this] {
                Result<RestoreTickReport> report = Tick();
                if (!report.ok()) {
                  spdlog::error("archive restore tick failed: {}", report.status().ToString());
                }
              });
}

void ArchiveRestorer::Wake() { loop_.Wake(); }

void ArchiveRestorer::Stop() { loop_.Stop(); }

}  // namespace beacon::collector::backups
