// The `backup:` section of agent.yaml: object stores, backup sets and restore roots
// (docs/backup.md). Parsed and validated once at load; plain values afterwards.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/cloud/objstore/store_config.h"
#include "common/config/config.h"
#include "common/status.h"

namespace beacon::agent::backup {

struct EncryptionConfig {
  bool enabled = false;
  std::string key_file;  // 32 raw bytes or 64 hex characters
  std::string key;       // the 32-byte key, read at load (never logged)
  std::string key_id;    // first 16 hex digits of SHA-256(key): recorded in the catalog
};

struct BackupSetConfig {
  std::string name;
  std::vector<std::string> paths;     // absolute directories (recursive) or files
  std::vector<std::string> include;   // globs on the path relative to its root; empty = all
  std::vector<std::string> exclude;   // globs; always also: *.swp, *~, .#*, *.tmp, .*.XXXXXX
  std::string store;                  // a name under backup.stores
  std::string key_prefix = "beacon";  // objects go to <prefix>/<host>/<path>@...
  int zstd_level = 3;                 // 1..19
  int64_t debounce_ms = 2000;         // quiet time after the last close before a file is read
  int64_t max_file_size = 10LL * 1024 * 1024 * 1024;  // bigger files: backup.failed, not read
  int64_t max_age_ms = 0;  // backup.stale when no success for this long (0 = off)
  std::string storage_class = "standard";
  EncryptionConfig encryption;
};

struct BackupConfig {
  bool enabled = false;  // true when at least one set is configured
  std::map<std::string, objstore::StoreConfig> stores;
  std::vector<BackupSetConfig> sets;
  std::vector<std::string> restore_roots;  // absolute; restores may write only below these
  int concurrency = 2;                     // files uploaded at once
  int64_t bandwidth_limit = 0;             // bytes/s over all uploads (0 = unlimited)
  int64_t reconcile_interval_ms = 3600 * 1000;
  int64_t retry_initial_ms = 1000;  // per-file retry backoff (doubles, with jitter)
  int64_t retry_max_ms = 5 * 60 * 1000;
  int max_attempts = 8;  // then backup.failed, and the reconcile tries again
};

// The index of the set named `name` in config.sets; InvalidArgument "unknown backup set 'NAME'
// (known: a, b)" otherwise.
Result<size_t> FindBackupSet(const BackupConfig& config, const std::string& name);

// Reads `backup:` (node may be absent: backups off). Relative paths are resolved against
// base_dir. Errors are recorded on the node's document.
BackupConfig ReadBackupConfig(config::Node node, const std::string& base_dir);

}  // namespace beacon::agent::backup
