// The local ObjectStore backend: objects as files under a root directory, written atomically,
// with a JSON sidecar per object for its metadata, storage class and MD5 etag. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "common/cloud/objstore/object_store.h"
#include "common/cloud/objstore/store_config.h"
#include "common/status.h"

namespace beacon::objstore {

// Layout under config.path: objects/<key> (the bytes), meta/<sha256(key)>.json (sidecar),
// uploads/<id>/ (multipart parts until Complete or Abort), tmp/ (files being written; renamed
// into place after fsync). Creates the directories; IoError when it cannot.
// Archive classes are recorded but readable at once: Head reports kNotArchived and Restore
// answers kAlreadyRestored.
Result<std::unique_ptr<ObjectStore>> NewLocalStore(const StoreConfig& config);

// The key rules of the local store (also a sane subset for the clouds): not empty, at most
// 1024 bytes, no NUL, no leading or trailing '/', no empty, "." or ".." segment.
Status ValidateLocalKey(std::string_view key);

}  // namespace beacon::objstore
