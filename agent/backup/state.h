// BackupState: the agent's local record of what is already stored (per backup set and path)
// and of multipart uploads in flight, so unchanged files are not re-read/re-uploaded and an
// upload resumes after an agent restart. SQLite at <data_dir>/backup/state.db. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "common/store/sqlite.h"

namespace beacon::agent::backup {

// The newest stored version of one file, with the file identity it was read under.
struct FileRecord {
  std::string sha256;  // hex of the plaintext
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  std::string key;  // object key of the newest stored version
  int64_t stored_ms = 0;
};

struct PartRecord {
  int number = 0;      // 1..10000
  std::string etag;    // as UploadPart returned it
  std::string digest;  // hex SHA-256 of the part's bytes: a resumed stream skips equal parts
  uint64_t size = 0;
};

// A multipart upload that was started and not completed or aborted.
struct PendingUpload {
  std::string set;
  std::string path;
  std::string key;
  std::string upload_id;
  std::string sha256;  // plaintext hash the key was made from
  std::string iv;      // raw 12-byte IV ("" when not encrypted): a resume re-creates the stream
  uint64_t size = 0;   // file identity when the upload started
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  int64_t started_ms = 0;
  std::vector<PartRecord> parts;  // ordered by number
};

class BackupState {
 public:
  // Opens (creating the file and its parent directory if needed) and migrates the schema.
  // Commits survive a process crash; after a power loss the newest records may be missing,
  // which costs at most a re-upload.
  static Result<std::unique_ptr<BackupState>> Open(const std::string& path);

  // NotFound is never returned: a missing row is std::nullopt.
  Result<std::optional<FileRecord>> GetFile(const std::string& set, const std::string& path);
  // GetFile, and whether a pending upload of (set, path) exists, in one query.
  Result<std::optional<FileRecord>> GetFile(const std::string& set, const std::string& path,
                                            bool* has_upload);
  // Records a stored (or verified unchanged) version in one transaction: upserts the file
  // record, drops any pending upload of (set, path) and sets the set's last success time.
  Status RecordStored(const std::string& set, const std::string& path, const FileRecord& record,
                      int64_t now_ms);
  // RecordStored for many files of one set in one transaction: one commit (WAL write) for a
  // whole batch instead of one per file.
  struct StoredFile {
    std::string path;
    FileRecord record;
  };
  Status RecordStoredBatch(const std::string& set, const std::vector<StoredFile>& files,
                           int64_t now_ms);
  // Forgets a file (it was deleted from the backup set).
  Status RemoveFile(const std::string& set, const std::string& path);
  // Paths with a file record in the set, sorted.
  Result<std::vector<std::string>> ListPaths(const std::string& set);
  // Every file record of the set with its path, sorted by path: one query for a reconcile
  // scan instead of one per file.
  Result<std::vector<std::pair<std::string, FileRecord>>> ListFiles(const std::string& set);

  Result<std::optional<PendingUpload>> GetUpload(const std::string& set, const std::string& path);
  // Replaces any pending upload of (upload.set, upload.path), parts included.
  Status BeginUpload(const PendingUpload& upload);
  // Adds or replaces one part of the pending upload of (set, path).
  Status AddPart(const std::string& set, const std::string& path, const PartRecord& part);
  Status RemoveUpload(const std::string& set, const std::string& path);
  // Every pending upload (at start-up: these paths should be backed up again to resume).
  Result<std::vector<PendingUpload>> ListUploads();

  // Last time a file of the set was stored or verified unchanged; nullopt when never.
  Result<std::optional<int64_t>> LastSuccessMs(const std::string& set);
  Status SetLastSuccessMs(const std::string& set, int64_t now_ms);

 private:
  explicit BackupState(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  Result<std::vector<PartRecord>> PartsLocked(const std::string& set, const std::string& path)
      BEACON_REQUIRES(mutex_);
  // RecordStored's statements, inside the caller's transaction.
  Status RecordStoredLocked(const std::string& set, const std::string& path,
                            const FileRecord& record) BEACON_REQUIRES(mutex_);
  Status RecordSuccessLocked(const std::string& set, int64_t now_ms) BEACON_REQUIRES(mutex_);

  Mutex mutex_;
  std::unique_ptr<store::Database> db_ BEACON_GUARDED_BY(mutex_);
};

}  // namespace beacon::agent::backup
