// An in-memory ObjectStore for the lifecycle and archive-restore tests: objects with a storage
// class, fault injection (the next N Copy/Delete/Restore/Head calls fail with a given Status),
// and the OSS archive restore states (Restore: 202 then 409 RestoreAlreadyInProgress; Head:
// ongoing-request="true" for N heads, then "false"). Thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "common/cloud/objstore/object_store.h"
#include "common/mutex.h"

namespace beacon::collector::backups::testing {

class MemoryObjectStore final : public objstore::ObjectStore {
 public:
  explicit MemoryObjectStore(std::string name) : name_(std::move(name)) {}

  struct Object {
    std::string body;
    objstore::StorageClass storage_class = objstore::StorageClass::kStandard;
    bool restore_requested = false;
    int heads_until_restored = 0;
  };

  // ---- Test controls ----
  void AddObject(const std::string& key, std::string body, objstore::StorageClass storage_class) {
    MutexLock lock(mutex_);
    objects_[key] = Object{std::move(body), storage_class, false, heads_in_progress_};
  }
  bool Has(const std::string& key) {
    MutexLock lock(mutex_);
    return objects_.count(key) != 0;
  }
  objstore::StorageClass ClassOf(const std::string& key) {
    MutexLock lock(mutex_);
    return objects_.at(key).storage_class;
  }
  void FailCopies(int times, Status status) { SetFault(&copy_fault_, times, std::move(status)); }
  void FailDeletes(int times, Status status) { SetFault(&delete_fault_, times, std::move(status)); }
  void FailRestores(int times, Status status) {
    SetFault(&restore_fault_, times, std::move(status));
  }
  void FailHeads(int times, Status status) { SetFault(&head_fault_, times, std::move(status)); }
  // Heads that report "in progress" after a restore was accepted (objects added afterwards).
  void SetHeadsInProgress(int heads) {
    MutexLock lock(mutex_);
    heads_in_progress_ = heads;
  }
  int copies() {
    MutexLock lock(mutex_);
    return copies_;
  }
  int deletes() {
    MutexLock lock(mutex_);
    return deletes_;
  }
  int restores() {
    MutexLock lock(mutex_);
    return restores_;
  }
  int heads() {
    MutexLock lock(mutex_);
    return heads_;
  }
  int last_restore_days() {
    MutexLock lock(mutex_);
    return last_restore_days_;
  }

  // ---- ObjectStore ----
  std::string_view kind() const override { return "memory"; }
  const std::string& name() const override { return name_; }

  Result<objstore::ObjectInfo> Put(const std::string& key, std::string_view body,
                                   const objstore::PutOptions& options) override {
    MutexLock lock(mutex_);
    objects_[key] = Object{std::string(body), options.storage_class, false, heads_in_progress_};
    return InfoLocked(key);
  }
  Result<std::string> InitMultipart(const std::string&, const objstore::PutOptions&) override {
    return Status::Internal("multipart is not used by the lifecycle");
  }
  Result<objstore::UploadedPart> UploadPart(const std::string&, const std::string&, int,
                                            std::string_view) override {
    return Status::Internal("multipart is not used by the lifecycle");
  }
  Result<objstore::ObjectInfo> CompleteMultipart(
      const std::string&, const std::string&, const std::vector<objstore::UploadedPart>&) override {
    return Status::Internal("multipart is not used by the lifecycle");
  }
  Status AbortMultipart(const std::string&, const std::string&) override {
    return Status::Internal("multipart is not used by the lifecycle");
  }
  uint64_t MinPartSize() const override { return 5 * 1024 * 1024; }

  Result<std::string> Get(const std::string& key,
                          std::optional<objstore::ByteRange> range) override {
    MutexLock lock(mutex_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound("NoSuchKey: " + key);
    if (objstore::IsArchiveClass(it->second.storage_class) &&
        StateLocked(it->second) != objstore::RestoreState::kRestored) {
      return Status::FailedPrecondition("InvalidObjectState: " + key);
    }
    if (!range) return it->second.body;
    return it->second.body.substr(range->offset,
                                  range->length == 0 ? std::string::npos : range->length);
  }

  Result<objstore::ObjectInfo> Head(const std::string& key) override {
    MutexLock lock(mutex_);
    ++heads_;
    if (Status fault = TakeFault(&head_fault_); !fault.ok()) return fault;
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound("404 on HEAD " + key);
    Result<objstore::ObjectInfo> info = InfoLocked(key);
    Object& object = it->second;
    if (object.restore_requested && object.heads_until_restored > 0) {
      --object.heads_until_restored;  // this head still saw ongoing-request="true"
    }
    return info;
  }

  Result<objstore::ListPage> List(const std::string& prefix, const std::string&,
                                  int max_keys) override {
    MutexLock lock(mutex_);
    objstore::ListPage page;
    for (auto it = objects_.lower_bound(prefix);
         it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0 &&
         static_cast<int>(page.objects.size()) < max_keys;
         ++it) {
      page.objects.push_back(*InfoLocked(it->first));
    }
    return page;
  }

  Status Delete(const std::string& key) override {
    MutexLock lock(mutex_);
    ++deletes_;
    if (Status fault = TakeFault(&delete_fault_); !fault.ok()) return fault;
    objects_.erase(key);
    return Status::Ok();
  }

  Result<objstore::ObjectInfo> Copy(const std::string& from, const std::string& to,
                                    objstore::StorageClass storage_class) override {
    MutexLock lock(mutex_);
    ++copies_;
    if (Status fault = TakeFault(&copy_fault_); !fault.ok()) return fault;
    auto it = objects_.find(from);
    if (it == objects_.end()) return Status::NotFound("NoSuchKey: " + from);
    Object copy = it->second;
    copy.storage_class = storage_class;
    copy.restore_requested = false;
    copy.heads_until_restored = heads_in_progress_;
    objects_[to] = std::move(copy);
    return InfoLocked(to);
  }

  Result<objstore::RestoreRequestResult> Restore(const std::string& key, int days) override {
    MutexLock lock(mutex_);
    ++restores_;
    last_restore_days_ = days;
    if (Status fault = TakeFault(&restore_fault_); !fault.ok()) return fault;
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound("NoSuchKey: " + key);
    Object& object = it->second;
    if (!objstore::IsArchiveClass(object.storage_class)) {
      return Status::InvalidArgument("OperationNotSupported: the object is not archived");
    }
    if (!object.restore_requested) {
      object.restore_requested = true;
      return objstore::RestoreRequestResult::kAccepted;  // 202
    }
    if (object.heads_until_restored > 0) {
      return objstore::RestoreRequestResult::kAlreadyInProgress;  // 409
    }
    return objstore::RestoreRequestResult::kAlreadyRestored;  // 200
  }

 private:
  struct Fault {
    int times = 0;
    Status status;
  };

  void SetFault(Fault* fault, int times, Status status) {
    MutexLock lock(mutex_);
    *fault = Fault{times, std::move(status)};
  }
  static Status TakeFault(Fault* fault) {
    if (fault->times <= 0) return Status::Ok();
    --fault->times;
    return fault->status;
  }
  static objstore::RestoreState StateLocked(const Object& object) {
    if (!objstore::IsArchiveClass(object.storage_class))
      return objstore::RestoreState::kNotArchived;
    if (!object.restore_requested) return objstore::RestoreState::kArchived;
    return object.heads_until_restored > 0 ? objstore::RestoreState::kInProgress
                                           : objstore::RestoreState::kRestored;
  }
  Result<objstore::ObjectInfo> InfoLocked(const std::string& key) BEACON_REQUIRES(mutex_) {
    const Object& object = objects_.at(key);
    objstore::ObjectInfo info;
    info.key = key;
    info.size = object.body.size();
    info.etag = "etag-" + std::to_string(object.body.size());
    info.storage_class = object.storage_class;
    info.restore_state = StateLocked(object);
    return info;
  }

  const std::string name_;
  Mutex mutex_;
  std::map<std::string, Object> objects_ BEACON_GUARDED_BY(mutex_);
  int heads_in_progress_ = 0;
  Fault copy_fault_, delete_fault_, restore_fault_, head_fault_;
  int copies_ = 0, deletes_ = 0, restores_ = 0, heads_ = 0, last_restore_days_ = 0;
};

}  // namespace beacon::collector::backups::testing
