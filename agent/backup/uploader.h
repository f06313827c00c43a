// Uploader: stores one file as one object version (docs/backup.md): read -> SHA-256 + zstd
// (+ AES-256-GCM) -> Put, or a resumable multipart upload for big files -> re-stat; a file that
// changed during the upload is never recorded. Thread-safe for different paths at once (callers
// must not back up the same (set, path) from two threads concurrently). Never retries or sleeps
// for a retry (only the RateLimiter may block): retryable store errors come back as
// Unavailable/DeadlineExceeded for the caller's backoff; the next call resumes a multipart upload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/backup/backup_config.h"
#include "agent/backup/rate_limiter.h"
#include "agent/backup/state.h"
#include "common/clock.h"
#include "common/cloud/objstore/object_store.h"
#include "common/cloud/objstore/store_config.h"
#include "common/status.h"
#include "common/wire/backup.h"

namespace beacon::agent::backup {

struct UploaderOptions {
  // Files up to this many bytes are read once into memory and stored with one Put; bigger ones
  // use a multipart upload (two reads: hash first, then hash + compress + upload).
  uint64_t multipart_threshold = 16 * 1024 * 1024;
  uint64_t part_size = 8 * 1024 * 1024;  // raised to the store's MinPartSize() if smaller
  int compress_workers = 2;              // zstd threads for multipart streams
  size_t read_chunk = 1024 * 1024;
};
// multipart_threshold and part_size from the store's config.
UploaderOptions UploaderOptionsFor(const objstore::StoreConfig& config);

struct UploadOutcome {
  enum Kind {
    kStored,      // a new version is stored; `version` is its catalog record
    kUnchanged,   // same SHA-256 as the last stored version: nothing uploaded
    kChanged,     // the file changed while it was read: nothing kept; retry after a debounce
    kVanished,    // the file does not exist (any more)
    kTooLarge,    // size > the set's max_file_size: not read
    kNotRegular,  // a directory, symlink, fifo, device...: not read
  };
  Kind kind = kStored;
  wire::BackupVersion version;  // when kStored
  FileRecord record;            // when kStored: the state record of this version
  std::string detail;           // human explanation for the non-stored kinds
};
std::string_view UploadOutcomeKindName(UploadOutcome::Kind kind);

class Uploader {
 public:
  // References must outlive the Uploader. limiter may be null (no bandwidth limit). host is
  // the agent's host name used in object keys and metadata.
  Uploader(objstore::ObjectStore& store, BackupState& state, const Clock& clock, std::string host,
           RateLimiter* limiter, UploaderOptions options = {});

  // Backs up `path` (absolute) of `set`. The set's store must be this Uploader's store.
  // Outcomes other than kStored/kUnchanged are not errors. Errors: IoError (reading the file),
  // store errors as returned by the store (Unavailable/DeadlineExceeded are retryable),
  // InvalidArgument for a bad set config (storage class, key length).
  // kStored leaves the state's file record alone: the caller records outcome.record once the
  // version is in the catalog (CommitVersions in agent/backup/version_commit.h), so a crash in
  // between never leaves a file marked stored but not catalogued, and a batch of files costs
  // one state commit. kUnchanged updates the state (file record and the set's last success).
  // known_new: the caller has just seen that the state holds neither a file record nor a
  // pending upload for the path (a reconcile scan), which saves looking it up again.
  Result<UploadOutcome> BackupDeferRecord(const BackupSetConfig& set, const std::string& path,
                                          bool known_new = false);

  // The store's durability barrier (ObjectStore::Sync): call it after kStored and before the
  // version is recorded; one call covers every version stored before it.
  Status SyncStore() { return store_.Sync(); }

  const UploaderOptions& options() const { return options_; }

 private:
  objstore::ObjectStore& store_;
  BackupState& state_;
  const Clock& clock_;
  std::string host_;
  RateLimiter* limiter_;
  UploaderOptions options_;
};

}  // namespace beacon::agent::backup
