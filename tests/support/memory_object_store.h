// An in-memory ObjectStore for unit tests: objects with metadata and a storage class, multipart
// uploads held to the store's minimum part size, archive restores as OSS runs them (Restore: 202,
// then 409 RestoreAlreadyInProgress while HEAD reports ongoing-request="true" for a set number of
// HEADs), call counts per operation, injected failures (the Nth call or the next N calls of an
// operation) and a hook run before each call, e.g. to modify the file being uploaded.
// Thread-safe; the hook runs without the lock, so it may call the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/cloud/objstore/object_store.h"
#include "common/mutex.h"

namespace beacon::fakes {

class MemoryObjectStore final : public objstore::ObjectStore {
 public:
  enum class Op {
    kPut,
    kInit,
    kPart,
    kComplete,
    kAbort,
    kGet,
    kHead,
    kList,
    kDelete,
    kCopy,
    kRestore
  };
  struct Object {
    std::string body;
    objstore::ObjectInfo info;  // restore_state is computed when the object is read
    bool restore_requested = false;
    int heads_until_restored = 0;  // HEADs that still see the restore in progress
  };
  using Hook = std::function<void(Op op, int call_number)>;

  explicit MemoryObjectStore(std::string name = "memory", uint64_t min_part_size = 0);

  // ---- test controls (not counted, no failures) ----
  void AddObject(const std::string& key, std::string body, objstore::StorageClass storage_class);
  bool Has(const std::string& key);
  objstore::StorageClass ClassOf(const std::string& key);
  std::map<std::string, Object> Objects();
  size_t OpenUploads();
  // Flips the lowest bit of one byte of a stored object (tests of corruption).
  void FlipByte(const std::string& key, size_t offset);
  void SetBody(const std::string& key, std::string body);
  // The `nth` (1-based) future call of `op` fails with Unavailable.
  void FailNth(Op op, int nth);
  // The next `times` calls of `op` fail with `status`.
  void FailNext(Op op, int times, Status status);
  // HEADs that report a requested restore in progress, for objects stored from now on.
  void SetHeadsInProgress(int heads);
  void SetHook(Hook hook);
  // Calls of `op` so far, failed ones included.
  int Calls(Op op);
  int LastRestoreDays();

  // ---- ObjectStore ----
  std::string_view kind() const override { return "memory"; }
  const std::string& name() const override { return name_; }
  Result<objstore::ObjectInfo> Put(const std::string& key, std::string_view body,
                                   const objstore::PutOptions& options) override;
  Result<std::string> InitMultipart(const std::string& key,
                                    const objstore::PutOptions& options) override;
  Result<objstore::UploadedPart> UploadPart(const std::string& key, const std::string& upload_id,
                                            int part_number, std::string_view body) override;
  Result<objstore::ObjectInfo> CompleteMultipart(
      const std::string& key, const std::string& upload_id,
      const std::vector<objstore::UploadedPart>& parts) override;
  Status AbortMultipart(const std::string& key, const std::string& upload_id) override;
  uint64_t MinPartSize() const override { return min_part_size_; }
  Result<std::string> Get(const std::string& key,
                          std::optional<objstore::ByteRange> range) override;
  Result<objstore::ObjectInfo> Head(const std::string& key) override;
  Result<objstore::ListPage> List(const std::string& prefix, const std::string& page_token,
                                  int max_keys) override;
  Status Delete(const std::string& key) override;
  Result<objstore::ObjectInfo> Copy(const std::string& from, const std::string& to,
                                    objstore::StorageClass storage_class) override;
  Result<objstore::RestoreRequestResult> Restore(const std::string& key, int days) override;

 private:
  struct Upload {
    std::string key;
    objstore::PutOptions options;
    std::map<int, std::string> parts;
  };
  struct Fault {
    int times = 0;
    Status status;
  };

  // Counts the call, runs the hook (unlocked) and returns an injected failure, if any.
  Status Enter(Op op);
  objstore::ObjectInfo StoreLocked(const std::string& key, std::string body,
                                   const objstore::PutOptions& options) BEACON_REQUIRES(mutex_);
  static objstore::ObjectInfo InfoOf(const Object& object);

  const std::string name_;
  const uint64_t min_part_size_;
  Mutex mutex_;
  std::map<std::string, Object> objects_ BEACON_GUARDED_BY(mutex_);
  std::map<std::string, Upload> uploads_ BEACON_GUARDED_BY(mutex_);
  std::map<Op, int> calls_ BEACON_GUARDED_BY(mutex_);
  std::map<Op, int> fail_at_ BEACON_GUARDED_BY(mutex_);
  std::map<Op, Fault> faults_ BEACON_GUARDED_BY(mutex_);
  Hook hook_ BEACON_GUARDED_BY(mutex_);
  int next_upload_ BEACON_GUARDED_BY(mutex_) = 0;
  int heads_in_progress_ BEACON_GUARDED_BY(mutex_) = 0;
  int last_restore_days_ BEACON_GUARDED_BY(mutex_) = 0;
};

}  // namespace beacon::fakes
