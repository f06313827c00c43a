// Restoring one backed-up version on the host: the target is checked against the restore
// roots, the object is downloaded in ranges, decrypted, decompressed and SHA-256-verified, and
// written atomically (temp file beside the target + rename) with the recorded mode (less the
// set-id bits unless allowed) and mtime (and owner, when running as root). Thread-safe (no
// shared state).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/cloud/objstore/object_store.h"
#include "common/status.h"
#include "common/wire/backup.h"

namespace beacon::agent::backup {

struct RestoreProgress {
  uint64_t done_bytes = 0;   // plaintext bytes written so far
  uint64_t total_bytes = 0;  // the version's size
};
using RestoreProgressFn = std::function<void(const RestoreProgress&)>;

struct RestoreOptions {
  std::vector<std::string> roots;                 // absolute; from backup.restore_roots
  std::map<std::string, std::string> keys_by_id;  // encryption key id -> 32-byte key
  uint64_t chunk_bytes = 8 * 1024 * 1024;         // ranged GET size
  // restore.allow_setid: keep the recorded set-user-ID and set-group-ID bits. Off by default, so
  // whoever can queue a restore cannot plant a set-id program on the host.
  bool allow_setid = false;
};

// The permission bits a restored file gets: the recorded ones, without S_ISUID and S_ISGID
// unless allow_setid.
mode_t RestoredMode(uint32_t recorded_mode, bool allow_setid);

// PermissionDenied with a clear message when the target is relative, contains "." or ".."
// components, is not below one of the roots, or any existing component below the root (or the
// target itself) is a symbolic link. OK otherwise. Touches the filesystem only with lstat.
Status CheckRestoreTarget(const std::string& target, const std::vector<std::string>& roots);

// Restores args.version from `store` to args.target. Creates missing parent directories below
// the root. On any failure (download, corrupt data, SHA-256 mismatch, unknown key id) the
// target is left untouched and the temp file removed. The message of a returned error is
// meant for the operator (it is shown by beaconctl).
Status RestoreVersion(const wire::RestoreArgs& args, objstore::ObjectStore& store,
                      const RestoreOptions& options, const RestoreProgressFn& progress);

}  // namespace beacon::agent::backup
