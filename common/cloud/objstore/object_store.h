// ObjectStore: the one interface the backup pipeline, restore and lifecycle use for object
// storage, with three backends: local (a directory), s3 (SigV4) and oss (Alibaba OSS V4/V1).
// Implementations are thread-safe; every call is one blocking request (plus its own retries).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::objstore {

// Beacon's storage classes. Each backend maps them to its own names:
//   kStandard    OSS Standard     S3 STANDARD
//   kInfrequent  OSS IA           S3 STANDARD_IA
//   kArchive     OSS Archive      S3 GLACIER
//   kColdArchive OSS ColdArchive  S3 DEEP_ARCHIVE
enum class StorageClass { kStandard, kInfrequent, kArchive, kColdArchive };

// "standard" | "infrequent" | "archive" | "cold_archive" (config files, catalog, JSON).
std::string_view StorageClassName(StorageClass storage_class);
Result<StorageClass> ParseStorageClass(std::string_view name);
// Archive classes must be restored before they can be read.
bool IsArchiveClass(StorageClass storage_class);

// Where an archived object is in its restore cycle (from OSS x-oss-restore / S3 x-amz-restore).
enum class RestoreState {
  kNotArchived,  // readable now
  kArchived,     // archived and not restored: a GET fails until RestoreObject completes
  kInProgress,   // ongoing-request="true"
  kRestored,     // ongoing-request="false": readable until the expiry
};

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes
  int64_t last_modified_ms = 0;
  StorageClass storage_class = StorageClass::kStandard;
  RestoreState restore_state = RestoreState::kNotArchived;
  // User metadata without the x-amz-meta- / x-oss-meta- prefix, keys lower case.
  std::map<std::string, std::string> metadata;
};

struct PutOptions {
  StorageClass storage_class = StorageClass::kStandard;
  std::map<std::string, std::string> metadata;  // keys [a-z0-9-], values ASCII
  std::string content_type = "application/octet-stream";
};

struct UploadedPart {
  int number = 0;    // 1..10000
  std::string etag;  // without quotes, as UploadPart returned it
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // metadata is empty in listings
  std::string next_token;           // empty: no more pages
};

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;  // 0: to the end
};

enum class RestoreRequestResult {
  kAccepted,           // 202: the restore started
  kAlreadyInProgress,  // 409 RestoreAlreadyInProgress
  kAlreadyRestored,    // 200: a restored copy is readable now
};

// Error mapping every backend follows, so callers can decide on retries:
//   NotFound (404, NoSuchKey, NoSuchUpload), PermissionDenied (403, signature errors; the message
//   names the store's error code and never a secret), InvalidArgument (4xx the request caused),
//   FailedPrecondition (reading an archived object that is not restored: InvalidObjectState),
//   Unavailable (5xx, connection failures, SlowDown/503), DeadlineExceeded (timeouts).
// Unavailable and DeadlineExceeded are retryable; each backend retries them itself a few times
// with backoff (StoreRetry) before returning them.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // "local" | "s3" | "oss", and the configured name of the store ("oss-backup").
  virtual std::string_view kind() const = 0;
  virtual const std::string& name() const = 0;

  // Single-request upload. Returns the stored object's info (key, size, etag, class).
  virtual Result<ObjectInfo> Put(const std::string& key, std::string_view body,
                                 const PutOptions& options) = 0;

  // Multipart: Init returns the upload id. Parts (except the last) must be at least
  // MinPartSize(). Complete lists every part in order. Abort drops the upload's parts.
  virtual Result<std::string> InitMultipart(const std::string& key, const PutOptions& options) = 0;
  virtual Result<UploadedPart> UploadPart(const std::string& key, const std::string& upload_id,
                                          int part_number, std::string_view body) = 0;
  virtual Result<ObjectInfo> CompleteMultipart(const std::string& key, const std::string& upload_id,
                                               const std::vector<UploadedPart>& parts) = 0;
  virtual Status AbortMultipart(const std::string& key, const std::string& upload_id) = 0;
  virtual uint64_t MinPartSize() const = 0;

  // Whole object or a byte range of it (S3/OSS Range header). FailedPrecondition when archived.
  virtual Result<std::string> Get(const std::string& key,
                                  std::optional<ByteRange> range = std::nullopt) = 0;
  virtual Result<ObjectInfo> Head(const std::string& key) = 0;
  // Keys under prefix in lexical order, at most max_keys per page.
  virtual Result<ListPage> List(const std::string& prefix, const std::string& page_token,
                                int max_keys = 1000) = 0;
  // Deleting a missing key succeeds (both clouds answer 204).
  virtual Status Delete(const std::string& key) = 0;
  // Server-side copy; to == from with another class changes the object's storage class.
  // Metadata is kept.
  virtual Result<ObjectInfo> Copy(const std::string& from, const std::string& to,
                                  StorageClass storage_class) = 0;
  // RestoreObject for archived objects; `days` the restored copy stays readable.
  virtual Result<RestoreRequestResult> Restore(const std::string& key, int days) = 0;

  // Durability barrier: every object written by a call that returned before Sync() was called
  // survives a power loss once Sync() returns OK. Remote stores are durable when a write is
  // acknowledged (default: nothing to do); the local store defers its flushes to here so a
  // batch of small objects costs one flush, not two per object. Callers record versions in the
  // catalog only after it.
  virtual Status Sync() { return Status::Ok(); }
};

// The ObjectInfo of a successful Put, for backends whose reply carries only the ETag (quotes
// already stripped).
ObjectInfo PutResultInfo(const std::string& key, uint64_t size, std::string etag, int64_t now_ms,
                         const PutOptions& options);

// How many times and how long a backend retries a retryable failure before returning it.
struct StoreRetry {
  int attempts = 4;                  // 1 = no retry
  int64_t initial_backoff_ms = 200;  // doubled each time, with jitter
  int64_t max_backoff_ms = 5000;
};
// Sleeps before retry number `retry` (1 for the first): the backoff of common/backoff.h, in the
// upper half of its ceiling, so stores that failed together do not retry in lock step.
void SleepBeforeRetry(const StoreRetry& config, int retry);

// Static credentials; the secret never appears in an error or a log line.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (STS)
};

}  // namespace beacon::objstore
