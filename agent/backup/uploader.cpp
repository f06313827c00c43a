// One file -> one stored object version. Small files: one read into memory, hash, compress,
// Put. Big files: a hashing pass (the content-addressed key is needed before InitMultipart,
// and unchanged big files skip compression), then a deterministic hash+compress+encrypt pass
// cut into parts; parts whose digest the state already holds are skipped, which is how an
// upload resumes after a restart. Every path ends with a re-stat: a torn copy is never kept.
#include "agent/backup/uploader.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "agent/backup/object_format.h"
#include "common/crypto/aead.h"
#include "common/crypto/crypto.h"
#include "common/posix.h"

namespace beacon::agent::backup {
namespace {

struct FileIdentity {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  uint64_t dev = 0;

  bool operator==(const FileIdentity&) const = default;
};

FileIdentity IdentityOf(const struct stat& st) {
  FileIdentity id;
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.dev = static_cast<uint64_t>(st.st_dev);
  return id;
}

// Reads up to n bytes at offset; short only at EOF.
Result<size_t> PreadFull(int fd, char* buf, size_t n, uint64_t offset, const std::string& path) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("reading " + path + ": " + ErrnoText(errno));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

std::string LookupUserName(uint32_t uid) {
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* result = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) return "";
  return pw.pw_name;
}

std::string LookupGroupName(uint32_t gid) {
  std::vector<char> buf(16384);
  struct group gr {};
  struct group* result = nullptr;
  if (getgrgid_r(gid, &gr, buf.data(), buf.size(), &result) != 0 || result == nullptr) return "";
  return gr.gr_name;
}

// Each lookup parses /etc/passwd (or asks NSS); a tree of small files shares a few owners.
// Entries expire so a renamed user shows up within minutes.
class NameCache {
 public:
  std::string Get(bool user, uint32_t id, int64_t now_ms) {
    {
      std::lock_guard lock(mutex_);
      auto it = entries_.find({user, id});
      if (it != entries_.end() && now_ms - it->second.second < kTtlMs) return it->second.first;
    }
    std::string name = user ? LookupUserName(id) : LookupGroupName(id);
    std::lock_guard lock(mutex_);
    if (entries_.size() > 4096) entries_.clear();
    entries_[{user, id}] = {name, now_ms};
    return name;
  }

 private:
  static constexpr int64_t kTtlMs = 5 * 60 * 1000;
  std::mutex mutex_;
  std::map<std::pair<bool, uint32_t>, std::pair<std::string, int64_t>> entries_;
};

NameCache& Names() {
  static NameCache* cache = new NameCache();
  return *cache;
}

UploadOutcome Outcome(UploadOutcome::Kind kind, std::string detail) {
  UploadOutcome o;
  o.kind = kind;
  o.detail = std::move(detail);
  return o;
}

// What a set's config says about how to store its files, validated once per Backup call.
struct SetPlan {
  objstore::StorageClass storage_class = objstore::StorageClass::kStandard;
  bool encrypted = false;
  std::string key;  // 32 bytes when encrypted
  std::string key_id;
};

Result<SetPlan> PlanFor(const BackupSetConfig& set) {
  SetPlan plan;
  auto sc = objstore::ParseStorageClass(set.storage_class);
  if (!sc.ok()) {
    return Status::InvalidArgument("backup set " + set.name + ": " + sc.status().message());
  }
  plan.storage_class = *sc;
  if (set.encryption.enabled) {
    if (set.encryption.key.size() != crypto::kAesGcmKeyBytes) {
      return Status::InvalidArgument("backup set " + set.name +
                                     ": encryption key must be 32 bytes");
    }
    plan.encrypted = true;
    plan.key = set.encryption.key;
    plan.key_id = set.encryption.key_id.empty() ? EncryptionKeyId(plan.key) : set.encryption.key_id;
  }
  return plan;
}

// Internal signal: a resumed multipart upload cannot continue (the store forgot it, or the
// re-created stream differs); the upload is dropped and started once more from scratch.
constexpr std::string_view kRestartMarker = "beacon-restart-multipart";

}  // namespace

std::string_view UploadOutcomeKindName(UploadOutcome::Kind kind) {
  switch (kind) {
    case UploadOutcome::kStored:
      return "stored";
    case UploadOutcome::kUnchanged:
      return "unchanged";
    case UploadOutcome::kChanged:
      return "changed";
    case UploadOutcome::kVanished:
      return "vanished";
    case UploadOutcome::kTooLarge:
      return "too_large";
    case UploadOutcome::kNotRegular:
      return "not_regular";
  }
  return "unknown";
}

UploaderOptions UploaderOptionsFor(const objstore::StoreConfig& config) {
  UploaderOptions options;
  options.multipart_threshold = config.multipart_threshold;
  options.part_size = config.part_size;
  return options;
}

Uploader::Uploader(objstore::ObjectStore& store, BackupState& state, const Clock& clock,
                   std::string host, RateLimiter* limiter, UploaderOptions options)
    : store_(store),
      state_(state),
      clock_(clock),
      host_(std::move(host)),
      limiter_(limiter),
      options_(options) {
  if (options_.read_chunk == 0) options_.read_chunk = 1024 * 1024;
  if (options_.part_size < store_.MinPartSize()) options_.part_size = store_.MinPartSize();
  if (options_.part_size == 0) options_.part_size = 8 * 1024 * 1024;
}

namespace {

// The per-call work, split out of Uploader so helpers share the file, set and plan.
class BackupJob {
 public:
  BackupJob(objstore::ObjectStore& store, BackupState& state, const Clock& clock,
            const std::string& host, RateLimiter* limiter, const UploaderOptions& options,
            const BackupSetConfig& set, const std::string& path, const SetPlan& plan, int fd,
            const struct stat& st, bool known_new)
      : store_(store),
        state_(state),
        clock_(clock),
        host_(host),
        limiter_(limiter),
        options_(options),
        set_(set),
        path_(path),
        plan_(plan),
        fd_(fd),
        st_(st),
        identity_(IdentityOf(st)),
        known_new_(known_new) {}

  Result<UploadOutcome> Run() {
    if (known_new_) {
      had_pending_ = false;  // and previous_ stays empty
    } else {
      BEACON_ASSIGN_OR_RETURN(previous_, state_.GetFile(set_.name, path_, &had_pending_));
    }
    if (identity_.size <= options_.multipart_threshold) return RunSmall();
    return RunMultipart();
  }

 private:
  // ---- shared steps ----

  // True when the open file and the path still have the identity read at the start.
  Result<bool> Unchanged() {
    struct stat now {};
    if (fstat(fd_, &now) != 0) return Status::IoError("fstat " + path_ + ": " + ErrnoText(errno));
    if (!(IdentityOf(now) == identity_)) return false;
    struct stat at_path {};
    if (lstat(path_.c_str(), &at_path) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return false;
      return Status::IoError("lstat " + path_ + ": " + ErrnoText(errno));
    }
    return IdentityOf(at_path) == identity_;
  }

  UploadOutcome ChangedOutcome(std::string_view when) {
    return Outcome(UploadOutcome::kChanged, path_ + " changed " + std::string(when));
  }

  FileRecord RecordFor(const std::string& sha, const std::string& key, int64_t stored_ms) const {
    FileRecord r;
    r.sha256 = sha;
    r.size = identity_.size;
    r.mtime_ns = identity_.mtime_ns;
    r.ctime_ns = identity_.ctime_ns;
    r.inode = identity_.inode;
    r.key = key;
    r.stored_ms = stored_ms;
    return r;
  }

  // Same content as the newest stored version: refresh its identity, count as a success.
  Result<UploadOutcome> RecordUnchanged(const std::string& sha) {
    BEACON_ASSIGN_OR_RETURN(bool same, Unchanged());
    if (!same) return ChangedOutcome("while it was read");
    BEACON_RETURN_IF_ERROR(DropPendingSeenAtStart());
    BEACON_RETURN_IF_ERROR(state_.RecordStored(
        set_.name, path_, RecordFor(sha, previous_->key, previous_->stored_ms), clock_.NowMs()));
    return Outcome(UploadOutcome::kUnchanged,
                   path_ + " is unchanged (sha256 " + sha.substr(0, 12) + ")");
  }

  // DropPending where this job has not begun an upload itself: the lookup at the start said
  // whether there is one (saves a query per small file).
  Status DropPendingSeenAtStart() { return had_pending_ ? DropPending() : Status::Ok(); }

  // Aborts a multipart upload left from an earlier attempt whose content is not this one.
  Status DropPending() {
    BEACON_ASSIGN_OR_RETURN(auto pending, state_.GetUpload(set_.name, path_));
    if (!pending) return Status::Ok();
    Status s = store_.AbortMultipart(pending->key, pending->upload_id);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    return state_.RemoveUpload(set_.name, path_);
  }

  wire::BackupVersion VersionFor(const std::string& sha, const std::string& key,
                                 uint64_t stored_size) const {
    wire::BackupVersion v;
    v.set = set_.name;
    v.path = path_;
    v.size = identity_.size;
    v.mtime_ns = identity_.mtime_ns;
    v.mode = static_cast<uint32_t>(st_.st_mode & 07777);
    v.uid = static_cast<uint32_t>(st_.st_uid);
    v.gid = static_cast<uint32_t>(st_.st_gid);
    v.owner = Names().Get(true, v.uid, clock_.MonotonicMs());
    v.group = Names().Get(false, v.gid, clock_.MonotonicMs());
    v.sha256 = sha;
    v.stored_size = stored_size;
    v.store = store_.name();
    v.key = key;
    v.storage_class = std::string(objstore::StorageClassName(plan_.storage_class));
    v.key_id = plan_.key_id;
    return v;
  }

  objstore::PutOptions PutOptionsFor(const std::string& sha) const {
    objstore::PutOptions options;
    options.storage_class = plan_.storage_class;
    options.metadata = BuildObjectMetadata(VersionFor(sha, "", 0), host_);
    return options;
  }

  Result<UploadOutcome> Stored(const std::string& sha, const std::string& key,
                               uint64_t stored_size) {
    const int64_t now = clock_.NowMs();
    UploadOutcome o = Outcome(UploadOutcome::kStored, "stored " + path_ + " as " + key);
    o.record = RecordFor(sha, key, now);  // recorded by the caller once catalogued
    o.version = VersionFor(sha, key, stored_size);
    o.version.created_ms = now;
    return o;
  }

  void Throttle(uint64_t bytes) {
    if (limiter_ != nullptr && bytes > 0) limiter_->Acquire(bytes);
  }

  std::string NewIv() const {
    return plan_.encrypted ? crypto::RandomBytes(crypto::kAesGcmIvBytes) : std::string();
  }

  // ---- small files: one read, one Put ----

  Result<UploadOutcome> RunSmall() {
    std::string data(identity_.size + 1, '\0');  // one spare byte reveals growth
    BEACON_ASSIGN_OR_RETURN(size_t got, PreadFull(fd_, data.data(), data.size(), 0, path_));
    if (got != identity_.size) return ChangedOutcome("while it was read (size differs)");
    data.resize(got);
    const std::string sha = crypto::Sha256Hex(data);
    if (previous_ && previous_->sha256 == sha) return RecordUnchanged(sha);
    BEACON_RETURN_IF_ERROR(DropPendingSeenAtStart());

    const std::string key =
        MakeObjectKey(set_.key_prefix, host_, path_, clock_.NowMs(), sha, plan_.encrypted);
    BodyEncoder encoder;
    BEACON_RETURN_IF_ERROR(encoder.Init(set_.zstd_level, 0, plan_.key, NewIv()));
    std::string body;
    BEACON_RETURN_IF_ERROR(encoder.EncodeAll(data, &body));
    data.clear();
    data.shrink_to_fit();

    Throttle(body.size());
    auto put = store_.Put(key, body, PutOptionsFor(sha));
    if (!put.ok()) return put.status().WithContext("uploading " + path_);
    BEACON_ASSIGN_OR_RETURN(bool same, Unchanged());
    if (!same) return DiscardChanged(key, std::nullopt);
    return Stored(sha, key, body.size());
  }

  // The file changed after (part of) it was sent: the object must not survive.
  UploadOutcome DiscardChanged(const std::string& key, std::optional<std::string> upload_id) {
    UploadOutcome o = ChangedOutcome("during the upload; the partial copy was discarded");
    Status s = upload_id ? store_.AbortMultipart(key, *upload_id) : store_.Delete(key);
    if (s.ok() || s.code() == StatusCode::kNotFound) {
      if (upload_id) (void)state_.RemoveUpload(set_.name, path_);
    } else {
      o.detail += " (removing " + key + " failed: " + s.ToString() + ")";
    }
    return o;
  }

  // ---- big files: hash pass, then a streamed multipart upload ----

  Result<std::string> HashPass() {
    crypto::Sha256 sha;
    std::string buf(options_.read_chunk, '\0');
    uint64_t offset = 0;
    while (true) {
      BEACON_ASSIGN_OR_RETURN(size_t got, PreadFull(fd_, buf.data(), buf.size(), offset, path_));
      if (got == 0) break;
      sha.Update(buf.data(), got);
      offset += got;
      if (offset > identity_.size) break;
    }
    if (offset != identity_.size) return std::string();  // "" = changed while hashing
    return sha.FinalHex();
  }

  Result<UploadOutcome> RunMultipart() {
    (void)posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);  // two sequential passes
    // The hash pass runs beside the compression of the stream pass: the content-addressed key
    // is needed only when the first part is sent, and hashing is several times faster than
    // zstd, so the pass costs no wall time. Encrypted bodies start with the IV, which depends
    // on whether a pending upload of the same content can be resumed: those wait for the hash.
    std::future<Result<std::string>> hashing =
        std::async(std::launch::async, [this] { return HashPass(); });
    std::optional<Result<std::string>> hashed;
    const ShaSource sha = [&]() -> const Result<std::string>& {
      if (!hashed) hashed = hashing.get();
      return *hashed;
    };
    auto is_restart = [](const Result<UploadOutcome>& r) {
      return !r.ok() && r.status().message() == kRestartMarker;
    };
    auto outcome = StreamUpload(sha);
    if (is_restart(outcome)) outcome = StreamUpload(sha);  // once, from scratch
    if (is_restart(outcome)) {
      return Status::Unavailable("multipart upload of " + path_ + " had to be restarted");
    }
    return outcome;
  }

  // Finds a resumable upload of exactly this content, or starts a new one.
  Result<PendingUpload> ResumeOrInit(const std::string& sha) {
    BEACON_ASSIGN_OR_RETURN(auto pending, state_.GetUpload(set_.name, path_));
    if (pending && pending->sha256 == sha && pending->size == identity_.size &&
        pending->mtime_ns == identity_.mtime_ns && pending->inode == identity_.inode &&
        pending->iv.empty() == !plan_.encrypted) {
      return *pending;
    }
    BEACON_RETURN_IF_ERROR(DropPending());
    PendingUpload up;
    up.set = set_.name;
    up.path = path_;
    up.sha256 = sha;
    up.iv = NewIv();
    up.size = identity_.size;
    up.mtime_ns = identity_.mtime_ns;
    up.inode = identity_.inode;
    up.started_ms = clock_.NowMs();
    up.key = MakeObjectKey(set_.key_prefix, host_, path_, up.started_ms, sha, plan_.encrypted);
    auto id = store_.InitMultipart(up.key, PutOptionsFor(sha));
    if (!id.ok()) return id.status().WithContext("starting the upload of " + path_);
    up.upload_id = *id;
    BEACON_RETURN_IF_ERROR(state_.BeginUpload(up));
    return up;
  }

  Status Restart() {
    BEACON_RETURN_IF_ERROR(DropPending());
    return Status::Unavailable(std::string(kRestartMarker));
  }

  // Uploads (or skips, when resuming) part `number`.
  Status SendPart(const PendingUpload& up, const std::map<int, PartRecord>& done, int number,
                  std::string_view bytes, std::vector<objstore::UploadedPart>* parts) {
    const std::string digest = crypto::Sha256Hex(bytes);
    auto it = done.find(number);
    if (it != done.end()) {
      if (it->second.digest == digest && it->second.size == bytes.size()) {
        parts->push_back({number, it->second.etag});
        return Status::Ok();
      }
      // The re-created stream differs: continuing would reuse the IV on other plaintext.
      return Restart();
    }
    Throttle(bytes.size());
    auto part = store_.UploadPart(up.key, up.upload_id, number, bytes);
    if (!part.ok()) {
      if (part.status().code() == StatusCode::kNotFound) return Restart();
      return part.status().WithContext("uploading part " + std::to_string(number) + " of " + path_);
    }
    PartRecord record;
    record.number = number;
    record.etag = part->etag;
    record.digest = digest;
    record.size = bytes.size();
    BEACON_RETURN_IF_ERROR(state_.AddPart(set_.name, path_, record));
    parts->push_back({number, part->etag});
    return Status::Ok();
  }

  using ShaSource = std::function<const Result<std::string>&()>;

  Result<UploadOutcome> StreamUpload(const ShaSource& sha_of) {
    std::optional<PendingUpload> pending;
    std::map<int, PartRecord> done;
    std::optional<UploadOutcome> early;  // decided by the hash before any part was sent
    // Waits for the hash, then skips unchanged content or resumes / starts the upload.
    auto start = [&]() -> Status {
      if (pending || early) return Status::Ok();
      const Result<std::string>& sha = sha_of();
      if (!sha.ok()) return sha.status();
      if (sha->empty()) {
        early = ChangedOutcome("while it was read (size differs)");
        return Status::Ok();
      }
      if (previous_ && previous_->sha256 == *sha) {
        BEACON_ASSIGN_OR_RETURN(UploadOutcome unchanged, RecordUnchanged(*sha));
        early = std::move(unchanged);
        return Status::Ok();
      }
      BEACON_ASSIGN_OR_RETURN(PendingUpload up, ResumeOrInit(*sha));
      for (const PartRecord& p : up.parts) done[p.number] = p;
      pending = std::move(up);
      return Status::Ok();
    };
    if (plan_.encrypted) {
      BEACON_RETURN_IF_ERROR(start());
      if (early) return *early;
    }

    BodyEncoder encoder;
    BEACON_RETURN_IF_ERROR(encoder.Init(set_.zstd_level, options_.compress_workers, plan_.key,
                                        pending ? pending->iv : std::string()));
    crypto::Sha256 hasher;
    std::string buf(options_.read_chunk, '\0');
    std::string out;
    std::vector<objstore::UploadedPart> parts;
    uint64_t offset = 0;
    uint64_t stored = 0;
    int number = 1;
    // Stores allow 10,000 parts; zstd never grows data by more than a fraction of a percent,
    // so sizing for 9,000 parts of the plaintext is safe. Depends on the file size only, so a
    // resumed stream is cut the same way.
    const uint64_t min_for_size = identity_.size / 9000 + 1;
    const size_t part_size = std::max<uint64_t>(options_.part_size, min_for_size);
    auto flush = [&](bool all) -> Status {
      size_t from = 0;
      while (out.size() - from >= part_size || (all && from < out.size())) {
        BEACON_RETURN_IF_ERROR(start());
        if (early) return Status::Ok();
        const size_t n = std::min(part_size, out.size() - from);
        BEACON_RETURN_IF_ERROR(
            SendPart(*pending, done, number, std::string_view(out).substr(from, n), &parts));
        stored += n;
        from += n;
        ++number;
      }
      out.erase(0, from);
      return Status::Ok();
    };
    while (true) {
      BEACON_ASSIGN_OR_RETURN(size_t got, PreadFull(fd_, buf.data(), buf.size(), offset, path_));
      if (got == 0) break;
      offset += got;
      if (offset > identity_.size) break;
      hasher.Update(buf.data(), got);
      BEACON_RETURN_IF_ERROR(encoder.Update(std::string_view(buf.data(), got), &out));
      BEACON_RETURN_IF_ERROR(flush(false));
      if (early) return *early;
    }
    BEACON_RETURN_IF_ERROR(start());
    if (early) return *early;
    const PendingUpload& up = *pending;
    if (offset != identity_.size || hasher.FinalHex() != *sha_of()) {
      return DiscardChanged(up.key, up.upload_id);
    }
    BEACON_RETURN_IF_ERROR(encoder.Finish(&out));
    BEACON_RETURN_IF_ERROR(flush(true));

    auto complete = store_.CompleteMultipart(up.key, up.upload_id, parts);
    if (!complete.ok()) {
      if (complete.status().code() == StatusCode::kNotFound) return Restart();
      return complete.status().WithContext("completing the upload of " + path_);
    }
    BEACON_ASSIGN_OR_RETURN(bool same, Unchanged());
    if (!same) {
      UploadOutcome o = DiscardChanged(up.key, std::nullopt);
      (void)state_.RemoveUpload(set_.name, path_);
      return o;
    }
    return Stored(*sha_of(), up.key, stored);
  }

  objstore::ObjectStore& store_;
  BackupState& state_;
  const Clock& clock_;
  const std::string& host_;
  RateLimiter* limiter_;
  const UploaderOptions& options_;
  const BackupSetConfig& set_;
  const std::string& path_;
  const SetPlan& plan_;
  const int fd_;
  const struct stat st_;
  const FileIdentity identity_;
  const bool known_new_;
  std::optional<FileRecord> previous_;
  bool had_pending_ = true;  // a pending upload of (set, path) existed when the job started
};

}  // namespace

Result<UploadOutcome> Uploader::BackupDeferRecord(const BackupSetConfig& set,
                                                  const std::string& path, bool known_new) {
  BEACON_ASSIGN_OR_RETURN(SetPlan plan, PlanFor(set));
  if (path.empty() || path.front() != '/') {
    return Status::InvalidArgument("backup path must be absolute: " + path);
  }
  // O_NONBLOCK: opening a FIFO must not hang the worker; regular files ignore it.
  const int raw = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (raw < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Outcome(UploadOutcome::kVanished, path + " does not exist");
    }
    if (err == ELOOP) return Outcome(UploadOutcome::kNotRegular, path + " is a symbolic link");
    if (err == ENXIO || err == EISDIR) {
      return Outcome(UploadOutcome::kNotRegular, path + " is not a regular file");
    }
    return Status::IoError("cannot open " + path + ": " + ErrnoText(err));
  }
  const UniqueFd fd(raw);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Status::IoError("fstat " + path + ": " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) {
    return Outcome(UploadOutcome::kNotRegular, path + " is not a regular file");
  }
  if (static_cast<int64_t>(st.st_size) > set.max_file_size) {
    return Outcome(UploadOutcome::kTooLarge, path + " is " + std::to_string(st.st_size) +
                                                 " bytes, above max_file_size " +
                                                 std::to_string(set.max_file_size));
  }
  BackupJob job(store_, state_, clock_, host_, limiter_, options_, set, path, plan, fd.get(), st,
                known_new);
  return job.Run();
}

}  // namespace beacon::agent::backup
