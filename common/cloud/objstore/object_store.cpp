// Beacon's storage class names as they appear in config files, the catalog and JSON, and the
// Put result the remote backends report; shared by every ObjectStore backend.
#include "common/cloud/objstore/object_store.h"

#include <chrono>
#include <thread>
#include <utility>

#include "common/backoff.h"

namespace beacon::objstore {

std::string_view StorageClassName(StorageClass storage_class) {
  switch (storage_class) {
    case StorageClass::kStandard:
      return "standard";
    case StorageClass::kInfrequent:
      return "infrequent";
    case StorageClass::kArchive:
      return "archive";
    case StorageClass::kColdArchive:
      return "cold_archive";
  }
  return "standard";
}

Result<StorageClass> ParseStorageClass(std::string_view name) {
  if (name == "standard") return StorageClass::kStandard;
  if (name == "infrequent") return StorageClass::kInfrequent;
  if (name == "archive") return StorageClass::kArchive;
  if (name == "cold_archive") return StorageClass::kColdArchive;
  return Status::InvalidArgument("unknown storage class '" + std::string(name) +
                                 "' (expected standard, infrequent, archive or cold_archive)");
}

bool IsArchiveClass(StorageClass storage_class) {
  return storage_class == StorageClass::kArchive || storage_class == StorageClass::kColdArchive;
}

ObjectInfo PutResultInfo(const std::string& key, uint64_t size, std::string etag, int64_t now_ms,
                         const PutOptions& options) {
  ObjectInfo info;
  info.key = key;
  info.size = size;
  info.etag = std::move(etag);
  info.last_modified_ms = now_ms;
  info.storage_class = options.storage_class;
  info.restore_state =
      IsArchiveClass(options.storage_class) ? RestoreState::kArchived : RestoreState::kNotArchived;
  info.metadata = options.metadata;
  return info;
}

void SleepBeforeRetry(const StoreRetry& config, int retry) {
  const Backoff backoff{config.initial_backoff_ms, config.max_backoff_ms};
  const int64_t delay_ms = backoff.DelayMs(retry, RandomUnit());
  if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
}

}  // namespace beacon::objstore
