// The `backups.lifecycle` section of collector.yaml: per-set policies that archive, thin and
// delete old versions, and how often the runner applies them (docs/backup.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config/config.h"

namespace beacon::collector::backups {

// Versions older than `after` keep only the newest version of each `keep_one_per` window
// (windows aligned to UTC midnight for day multiples).
struct ThinRule {
  int64_t after_ms = 0;
  int64_t keep_one_per_ms = 0;
};

struct LifecyclePolicy {
  std::string set;                        // backup set name; "*" applies to sets without their own
  int64_t archive_after_ms = 0;           // 0: never archived
  std::string archive_class = "archive";  // archive | cold_archive (| infrequent)
  std::vector<ThinRule> thin;             // ascending after_ms
  int64_t delete_after_ms = 0;            // 0: never deleted
  int keep_newest = 3;                    // the newest K versions of every file are never touched
};

struct LifecycleConfig {
  std::vector<LifecyclePolicy> policies;
  int64_t interval_ms = 3600 * 1000;     // scheduled runs (0: only on demand)
  int64_t retry_initial_ms = 60 * 1000;  // failed actions: backoff doubles up to retry_max_ms
  int64_t retry_max_ms = 3600 * 1000;
  int restore_days = 2;                 // how long a restored archive copy stays readable
  int64_t restore_poll_ms = 60 * 1000;  // HEAD interval while a restore is in progress
};

// Reads `lifecycle:` under the given `backups:` node (absent: defaults, no policies). Errors
// (unknown keys, bad durations, delete_after <= archive_after, keep_newest < 1, unknown class)
// are recorded on the document with their path and line.
LifecycleConfig ReadLifecycleConfig(config::Node backups_node);

}  // namespace beacon::collector::backups
