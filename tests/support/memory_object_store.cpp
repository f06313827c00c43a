// See memory_object_store.h.
#include "tests/support/memory_object_store.h"

#include <algorithm>
#include <utility>

namespace beacon::fakes {

using objstore::ObjectInfo;
using objstore::RestoreState;

MemoryObjectStore::MemoryObjectStore(std::string name, uint64_t min_part_size)
    : name_(std::move(name)), min_part_size_(min_part_size) {}

// ---- test controls ----

void MemoryObjectStore::AddObject(const std::string& key, std::string body,
                                  objstore::StorageClass storage_class) {
  MutexLock lock(mutex_);
  objstore::PutOptions options;
  options.storage_class = storage_class;
  StoreLocked(key, std::move(body), options);
}

bool MemoryObjectStore::Has(const std::string& key) {
  MutexLock lock(mutex_);
  return objects_.count(key) != 0;
}

objstore::StorageClass MemoryObjectStore::ClassOf(const std::string& key) {
  MutexLock lock(mutex_);
  return objects_.at(key).info.storage_class;
}

std::map<std::string, MemoryObjectStore::Object> MemoryObjectStore::Objects() {
  MutexLock lock(mutex_);
  return objects_;
}

size_t MemoryObjectStore::OpenUploads() {
  MutexLock lock(mutex_);
  return uploads_.size();
}

void MemoryObjectStore::FlipByte(const std::string& key, size_t offset) {
  MutexLock lock(mutex_);
  objects_[key].body[offset] ^= 0x01;
}

void MemoryObjectStore::SetBody(const std::string& key, std::string body) {
  MutexLock lock(mutex_);
  Object& object = objects_[key];
  object.body = std::move(body);
  object.info.size = object.body.size();
}

void MemoryObjectStore::FailNth(Op op, int nth) {
  MutexLock lock(mutex_);
  fail_at_[op] = calls_[op] + nth;
}

void MemoryObjectStore::FailNext(Op op, int times, Status status) {
  MutexLock lock(mutex_);
  faults_[op] = Fault{times, std::move(status)};
}

void MemoryObjectStore::SetHeadsInProgress(int heads) {
  MutexLock lock(mutex_);
  heads_in_progress_ = heads;
}

void MemoryObjectStore::SetHook(Hook hook) {
  MutexLock lock(mutex_);
  hook_ = std::move(hook);
}

int MemoryObjectStore::Calls(Op op) {
  MutexLock lock(mutex_);
  return calls_[op];
}

int MemoryObjectStore::LastRestoreDays() {
  MutexLock lock(mutex_);
  return last_restore_days_;
}

// ---- ObjectStore ----

Result<ObjectInfo> MemoryObjectStore::Put(const std::string& key, std::string_view body,
                                          const objstore::PutOptions& options) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kPut));
  MutexLock lock(mutex_);
  return StoreLocked(key, std::string(body), options);
}

Result<std::string> MemoryObjectStore::InitMultipart(const std::string& key,
                                                     const objstore::PutOptions& options) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kInit));
  MutexLock lock(mutex_);
  const std::string id = "upload-" + std::to_string(++next_upload_);
  uploads_[id] = Upload{key, options, {}};
  return id;
}

Result<objstore::UploadedPart> MemoryObjectStore::UploadPart(const std::string& key,
                                                             const std::string& upload_id,
                                                             int part_number,
                                                             std::string_view body) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kPart));
  MutexLock lock(mutex_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) {
    return Status::NotFound("NoSuchUpload " + upload_id);
  }
  it->second.parts[part_number] = std::string(body);
  return objstore::UploadedPart{
      part_number, "etag-" + std::to_string(part_number) + "-" + std::to_string(body.size())};
}

Result<ObjectInfo> MemoryObjectStore::CompleteMultipart(
    const std::string& key, const std::string& upload_id,
    const std::vector<objstore::UploadedPart>& parts) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kComplete));
  MutexLock lock(mutex_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) {
    return Status::NotFound("NoSuchUpload " + upload_id);
  }
  std::string body;
  int expect = 1;
  for (const auto& p : parts) {
    auto part = it->second.parts.find(p.number);
    if (p.number != expect++ || part == it->second.parts.end()) {
      return Status::InvalidArgument("InvalidPart " + std::to_string(p.number));
    }
    if (&p != &parts.back() && part->second.size() < min_part_size_) {
      return Status::InvalidArgument("EntityTooSmall");
    }
    body += part->second;
  }
  objstore::PutOptions options = it->second.options;
  uploads_.erase(it);
  return StoreLocked(key, std::move(body), options);
}

Status MemoryObjectStore::AbortMultipart(const std::string& key, const std::string& upload_id) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kAbort));
  MutexLock lock(mutex_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) {
    return Status::NotFound("NoSuchUpload " + upload_id);
  }
  uploads_.erase(it);
  return Status::Ok();
}

Result<std::string> MemoryObjectStore::Get(const std::string& key,
                                           std::optional<objstore::ByteRange> range) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kGet));
  MutexLock lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("NoSuchKey: " + key);
  const RestoreState state = InfoOf(it->second).restore_state;
  if (state == RestoreState::kArchived || state == RestoreState::kInProgress) {
    return Status::FailedPrecondition("InvalidObjectState: " + key);
  }
  const std::string& body = it->second.body;
  if (!range) return body;
  if (range->offset >= body.size()) return Status::InvalidArgument("InvalidRange");
  const uint64_t length = range->length == 0 ? body.size() - range->offset : range->length;
  return body.substr(range->offset, length);
}

Result<ObjectInfo> MemoryObjectStore::Head(const std::string& key) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kHead));
  MutexLock lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("NoSuchKey: " + key);
  ObjectInfo info = InfoOf(it->second);
  Object& object = it->second;
  if (object.restore_requested && object.heads_until_restored > 0) {
    --object.heads_until_restored;  // this HEAD still saw ongoing-request="true"
  }
  return info;
}

Result<objstore::ListPage> MemoryObjectStore::List(const std::string& prefix,
                                                   const std::string& page_token, int max_keys) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kList));
  MutexLock lock(mutex_);
  objstore::ListPage page;
  for (auto it = objects_.lower_bound(std::max(prefix, page_token)); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (!page_token.empty() && it->first == page_token) continue;
    if (static_cast<int>(page.objects.size()) == max_keys) {
      page.next_token = page.objects.back().key;
      break;
    }
    ObjectInfo info = InfoOf(it->second);
    info.metadata.clear();
    page.objects.push_back(std::move(info));
  }
  return page;
}

Status MemoryObjectStore::Delete(const std::string& key) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kDelete));
  MutexLock lock(mutex_);
  objects_.erase(key);
  return Status::Ok();
}

Result<ObjectInfo> MemoryObjectStore::Copy(const std::string& from, const std::string& to,
                                           objstore::StorageClass storage_class) {
  BEACON_RETURN_IF_ERROR(Enter(Op::kCopy));
  MutexLock lock(mutex_);
  auto it = objects_.find(from);
  if (it == objects_.end()) return Status::NotFound("NoSuchKey: " + from);
  Object copy = it->second;
  copy.info.key = to;
  copy.info.storage_class = storage_class;
  copy.restore_requested = false;
  copy.heads_until_restored = heads_in_progress_;
  objects_[to] = copy;
  return InfoOf(copy);
}

Result<objstore::RestoreRequestResult> MemoryObjectStore::Restore(const std::string& key,
                                                                  int days) {
  {
    MutexLock lock(mutex_);
    last_restore_days_ = days;
  }
  BEACON_RETURN_IF_ERROR(Enter(Op::kRestore));
  MutexLock lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("NoSuchKey: " + key);
  Object& object = it->second;
  if (!objstore::IsArchiveClass(object.info.storage_class)) {
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

// ---- private ----

Status MemoryObjectStore::Enter(Op op) {
  Hook hook;
  int n = 0;
  Status failure = Status::Ok();
  {
    MutexLock lock(mutex_);
    n = ++calls_[op];
    hook = hook_;
    auto at = fail_at_.find(op);
    if (at != fail_at_.end() && at->second == n) {
      failure = Status::Unavailable("injected failure of call " + std::to_string(n));
    }
    auto fault = faults_.find(op);
    if (failure.ok() && fault != faults_.end() && fault->second.times > 0) {
      --fault->second.times;
      failure = fault->second.status;
    }
  }
  if (hook) hook(op, n);
  return failure;
}

ObjectInfo MemoryObjectStore::StoreLocked(const std::string& key, std::string body,
                                          const objstore::PutOptions& options) {
  Object& object = objects_[key];
  object.body = std::move(body);
  object.info.key = key;
  object.info.size = object.body.size();
  object.info.etag = "etag-" + std::to_string(object.body.size());
  object.info.last_modified_ms = 1'700'000'000'000;
  object.info.storage_class = options.storage_class;
  object.info.metadata = options.metadata;
  object.restore_requested = false;
  object.heads_until_restored = heads_in_progress_;
  return InfoOf(object);
}

ObjectInfo MemoryObjectStore::InfoOf(const Object& object) {
  ObjectInfo info = object.info;
  if (!objstore::IsArchiveClass(object.info.storage_class)) {
    info.restore_state = RestoreState::kNotArchived;
  } else if (!object.restore_requested) {
    info.restore_state = RestoreState::kArchived;
  } else {
    info.restore_state =
        object.heads_until_restored > 0 ? RestoreState::kInProgress : RestoreState::kRestored;
  }
  return info;
}

}  // namespace beacon::fakes
