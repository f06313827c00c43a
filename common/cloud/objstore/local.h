// The local ObjectStore backend: objects as files under a root directory, written atomically,
// with each object's metadata, storage class and MD5 etag as JSON in its `user.beacon` xattr
// (a JSON sidecar file where the filesystem has no user xattrs). Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "common/cloud/objstore/object_store.h"
#include "common/cloud/objstore/store_config.h"
#include "common/status.h"

namespace beacon::objstore {

// Layout under config.path: objects/<key> (the bytes; metadata in the xattr user.beacon),
// meta/<sha[0:2]>/<sha256(key)>.json (sidecar, only for objects whose metadata could not be an
// xattr: ENOTSUP, or too big), uploads/<id>/ (multipart parts until Complete or Abort), tmp/
// (multipart results being assembled). Objects are written to temp files beside their final
// name and renamed into place; durable after Sync(). Readers take the xattr first, then the
// sidecar, so stores written either way (or by older versions) read the same.
// Creates the directories; IoError when it cannot.
// Archive classes are recorded but readable at once: Head reports kNotArchived and Restore
// answers kAlreadyRestored.
Result<std::unique_ptr<ObjectStore>> NewLocalStore(const StoreConfig& config);

struct LocalStoreOptions {
  // false: never try xattrs (what a filesystem answering ENOTSUP gets; tests use it).
  bool use_xattrs = true;
};
Result<std::unique_ptr<ObjectStore>> NewLocalStore(const StoreConfig& config,
                                                   const LocalStoreOptions& options);

// The key rules of the local store (also a sane subset for the clouds): not empty, at most
// 1024 bytes, no NUL, no leading or trailing '/', no empty, "." or ".." segment.
Status ValidateLocalKey(std::string_view key);

}  // namespace beacon::objstore
