// The commit order of stored versions (store Sync -> spool -> state) and the records it spools.
#include "agent/backup/version_commit.h"

#include <utility>

namespace beacon::agent::backup {

CommitOutcome CommitVersions(Uploader& uploader, const RecordSink& sink, BackupState& state,
                             const std::string& set, const std::vector<StoredVersion>& versions,
                             const Clock& clock, const std::function<void()>& before_spool) {
  CommitOutcome outcome;
  if (versions.empty()) return outcome;
  // One durability barrier for the whole batch, then the records.
  outcome.spooled = uploader.SyncStore();
  if (!outcome.spooled.ok()) return outcome;
  if (before_spool) before_spool();
  if (sink) {
    std::vector<wire::Record> records;
    records.reserve(versions.size());
    for (const StoredVersion& stored : versions) {
      records.push_back(VersionRecord(clock, stored.version));
    }
    outcome.spooled = sink(std::move(records));
    if (!outcome.spooled.ok()) return outcome;
  }
  std::vector<BackupState::StoredFile> files;
  files.reserve(versions.size());
  for (const StoredVersion& stored : versions) {
    files.push_back({stored.version.path, stored.record});
  }
  outcome.recorded = state.RecordStoredBatch(set, files, clock.NowMs());
  return outcome;
}

wire::Record BackupEventRecord(const Clock& clock, std::string kind, std::string severity,
                               std::string subject, std::string message, nlohmann::json data) {
  wire::Record record;
  record.type = wire::RecordType::kEvent;
  record.ts_ms = clock.NowMs();
  record.event.kind = std::move(kind);
  record.event.severity = std::move(severity);
  record.event.subject = std::move(subject);
  record.event.message = std::move(message);
  record.event.data = std::move(data);
  return record;
}

wire::Record VersionRecord(const Clock& clock, const wire::BackupVersion& version) {
  return BackupEventRecord(clock, std::string(wire::kBackupVersionKind), "information",
                           version.path,
                           "stored " + version.path + " (" + std::to_string(version.size) +
                               " bytes -> " + std::to_string(version.stored_size) + " bytes)",
                           wire::BackupVersionToJson(version));
}

bool IsPermanentBackupError(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument ||
         status.code() == StatusCode::kFailedPrecondition;
}

}  // namespace beacon::agent::backup
