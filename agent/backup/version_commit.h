// How a stored version becomes durable, in one order shared by the running agent
// (BackupService) and `beacon-agent backup once` (BackupOnce): the store's Sync, then the
// backup.version records into the spool, then the state records the files as stored. The state
// is what makes a file read as unchanged, so it is written last: a crash between any two steps
// costs a re-upload, never a version the catalog does not know about. Stateless functions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/backup/state.h"
#include "agent/backup/uploader.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/wire/backup.h"
#include "common/wire/wire.h"

namespace beacon::agent::backup {

// Appends records durably (the spool); an error means they were not kept.
using RecordSink = std::function<Status(std::vector<wire::Record>)>;

// A version the store holds (UploadOutcome::kStored of Uploader::BackupDeferRecord) whose
// catalog record and state row are not written yet.
struct StoredVersion {
  wire::BackupVersion version;
  FileRecord record;
};

struct CommitOutcome {
  // Not ok: nothing of the batch reached the catalog or the state; the files still read as
  // changed, so the next attempt stores them again.
  Status spooled;
  // Not ok while `spooled` is: catalogued, but the state does not know; the next scan stores
  // (and catalogues) them again.
  Status recorded;
};

// Commits versions of one set stored by `uploader`: uploader.SyncStore(), `before_spool` (a
// fault-injection point for tests; may be empty), one sink call with every backup.version
// record (skipped when `sink` is empty), then one state transaction.
CommitOutcome CommitVersions(Uploader& uploader, const RecordSink& sink, BackupState& state,
                             const std::string& set, const std::vector<StoredVersion>& versions,
                             const Clock& clock, const std::function<void()>& before_spool = {});

// An event record stamped with the clock's time.
wire::Record BackupEventRecord(const Clock& clock, std::string kind, std::string severity,
                               std::string subject, std::string message, nlohmann::json data);
// The backup.version event the collector catalogues.
wire::Record VersionRecord(const Clock& clock, const wire::BackupVersion& version);

// Errors a retry cannot fix: the set's configuration is wrong.
bool IsPermanentBackupError(const Status& status);

}  // namespace beacon::agent::backup
