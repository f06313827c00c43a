// Local directory backend of ObjectStore: atomic file writes (temp + rename; durable after
// Sync(), one syncfs per batch), metadata as a JSON xattr on the object file (a JSON sidecar
// file where the filesystem has no user xattrs), multipart uploads assembled from part files.
#include "common/cloud/objstore/local.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/crypto/crypto.h"
#include "common/posix.h"

namespace beacon::objstore {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kLocalMinPartSize = 64 * 1024;
constexpr size_t kCopyChunk = 1 << 20;
// Temp files, also those written beside objects; never a key segment (ValidateLocalKey).
constexpr std::string_view kTempPrefix = ".beacon-tmp-";
// The object's metadata (the sidecar JSON) as an extended attribute of the object file: one
// inode per object instead of two, and the metadata is renamed into place with the bytes.
constexpr char kMetaXattr[] = "user.beacon";

// Appends `size` bytes of `in` (from its start) to `out` in the kernel (copy_file_range), with
// a read/write fallback where the filesystem cannot.
Status CopyFd(int in, int out, uint64_t size) {
  loff_t offset = 0;
  while (static_cast<uint64_t>(offset) < size) {
    ssize_t n = ::copy_file_range(in, &offset, out, nullptr, size - offset, 0);
    if (n > 0) continue;
    if (n == 0) return Status::IoError("copy: unexpected end of file");
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL) {
      return Status::IoError(std::string("copy: ") + ErrnoText(errno));
    }
    std::string buf(1 << 20, '\0');
    while (static_cast<uint64_t>(offset) < size) {
      ssize_t got = ::pread(in, buf.data(), buf.size(), offset);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Status::IoError("copy: read failed");
      for (ssize_t done = 0; done < got;) {
        ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(got - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return Status::IoError(std::string("copy: ") + ErrnoText(errno));
        done += w;
      }
      offset += got;
    }
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path, uint64_t offset, uint64_t length,
                             bool to_end) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("no such object");
    return Status::IoError("open " + path + ": " + ErrnoText(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::IoError("stat " + path + ": " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return Status::NotFound("no such object");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset > size || (offset == size && size > 0 && offset > 0)) {
    return Status::InvalidArgument("range offset " + std::to_string(offset) +
                                   " is beyond the object's " + std::to_string(size) + " bytes");
  }
  uint64_t count = to_end ? size - offset : std::min(length, size - offset);
  std::string out(count, '\0');
  uint64_t done = 0;
  while (done < count) {
    ssize_t n =
        ::pread(fd.get(), out.data() + done, count - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("read " + path + ": " + ErrnoText(errno));
    }
    if (n == 0) break;  // truncated meanwhile
    done += static_cast<uint64_t>(n);
  }
  out.resize(done);
  return out;
}

struct Sidecar {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  int64_t last_modified_ms = 0;
  StorageClass storage_class = StorageClass::kStandard;
  std::string content_type;
  std::map<std::string, std::string> metadata;
};

// Appends `text` as a JSON string. Bytes >= 0x80 pass through: keys and values are UTF-8.
void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// The same JSON nlohmann writes for these fields (ParseSidecar reads it), written directly:
// building a json tree per stored object was a visible share of backing up small files.
std::string SidecarJson(const Sidecar& s) {
  std::string out;
  out.reserve(160 + s.key.size() + s.metadata.size() * 48);
  out.append("{\"content_type\":");
  AppendJsonString(s.content_type, &out);
  out.append(",\"etag\":");
  AppendJsonString(s.etag, &out);
  out.append(",\"key\":");
  AppendJsonString(s.key, &out);
  out.append(",\"last_modified_ms\":");
  out.append(std::to_string(s.last_modified_ms));
  out.append(",\"metadata\":{");
  bool first = true;
  for (const auto& [name, value] : s.metadata) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(name, &out);
    out.push_back(':');
    AppendJsonString(value, &out);
  }
  out.append("},\"size\":");
  out.append(std::to_string(s.size));
  out.append(",\"storage_class\":");
  AppendJsonString(StorageClassName(s.storage_class), &out);
  out.push_back('}');
  return out;
}

Result<Sidecar> ParseSidecar(const std::string& text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    Sidecar s;
    s.key = j.at("key").get<std::string>();
    s.size = j.at("size").get<uint64_t>();
    s.etag = j.at("etag").get<std::string>();
    s.last_modified_ms = j.at("last_modified_ms").get<int64_t>();
    BEACON_ASSIGN_OR_RETURN(s.storage_class,
                            ParseStorageClass(j.at("storage_class").get<std::string>()));
    s.content_type = j.value("content_type", "");
    s.metadata = j.at("metadata").get<std::map<std::string, std::string>>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("object sidecar: ") + e.what());
  }
}

ObjectInfo InfoOf(const Sidecar& s) {
  ObjectInfo info;
  info.key = s.key;
  info.size = s.size;
  info.etag = s.etag;
  info.last_modified_ms = s.last_modified_ms;
  info.storage_class = s.storage_class;
  info.restore_state = RestoreState::kNotArchived;  // archive classes stay readable locally
  info.metadata = s.metadata;
  return info;
}

// Where an object's metadata was found.
enum class MetaSource { kNone, kXattr, kSidecar };

bool IsHex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

class LocalStore final : public ObjectStore {
 public:
  LocalStore(std::string name, fs::path root, bool use_xattrs)
      : name_(std::move(name)),
        root_(root),
        objects_(root / "objects"),
        meta_(root / "meta"),
        uploads_(root / "uploads"),
        tmp_(root / "tmp"),
        xattrs_(use_xattrs) {}

  Status Init() {
    for (const fs::path& dir : {objects_, meta_, uploads_, tmp_}) {
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec)
        return Status::IoError("local store '" + name_ + "': " + dir.string() + ": " +
                               ec.message());
    }
    for (int i = 0; i < 256; ++i) {
      static constexpr char kHex[] = "0123456789abcdef";
      const fs::path dir = meta_ / std::string{kHex[i >> 4], kHex[i & 15]};
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        return Status::IoError("local store '" + name_ + "': " + dir.string() + ": " +
                               ErrnoText(errno));
      }
    }
    return Status::Ok();
  }

  Status Sync() override {
    UniqueFd root(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root.get() < 0 || ::syncfs(root.get()) != 0) {
      return Status::IoError("local store '" + name_ + "': sync " + root_.string() + ": " +
                             ErrnoText(errno));
    }
    return Status::Ok();
  }

  std::string_view kind() const override { return "local"; }
  const std::string& name() const override { return name_; }
  uint64_t MinPartSize() const override { return kLocalMinPartSize; }

  Result<ObjectInfo> Put(const std::string& key, std::string_view body,
                         const PutOptions& options) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    Sidecar s{key,
              body.size(),
              crypto::HexEncode(crypto::Md5Raw(body)),
              SystemClock::Instance().NowMs(),
              options.storage_class,
              options.content_type,
              options.metadata};
    BEACON_ASSIGN_OR_RETURN(TempObject tmp, WriteObjectTemp(key, body, s));
    BEACON_RETURN_IF_ERROR(Publish(tmp, s));
    return InfoOf(s);
  }

  Result<std::string> InitMultipart(const std::string& key, const PutOptions& options) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    std::string id = crypto::HexEncode(crypto::RandomBytes(16));
    fs::path dir = uploads_ / id;
    std::error_code ec;
    fs::create_directory(dir, ec);
    if (ec) return Status::IoError(Prefix(key) + "creating upload: " + ec.message());
    Sidecar s{key, 0, "", 0, options.storage_class, options.content_type, options.metadata};
    BEACON_ASSIGN_OR_RETURN(std::string tmp, WriteTemp({SidecarJson(s)}));
    if (::rename(tmp.c_str(), (dir / "upload.json").c_str()) != 0) {
      int error = errno;
      ::unlink(tmp.c_str());
      return Status::IoError(Prefix(key) + "recording upload: " + ErrnoText(error));
    }
    return id;
  }

  Result<UploadedPart> UploadPart(const std::string& key, const std::string& upload_id,
                                  int part_number, std::string_view body) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    if (part_number < 1 || part_number > 10000) {
      return Status::InvalidArgument("part number must be between 1 and 10000, got " +
                                     std::to_string(part_number));
    }
    BEACON_ASSIGN_OR_RETURN(Sidecar upload, LoadUpload(key, upload_id));
    (void)upload;
    const fs::path dir = uploads_ / upload_id;
    BEACON_ASSIGN_OR_RETURN(std::string tmp, WriteTemp({body}, dir));
    // The etag is an opaque token naming this upload of the part (S3 promises no more for
    // multipart); hashing every part twice (here and on Complete) cost more than the copy.
    const std::string etag = crypto::HexEncode(crypto::RandomBytes(16));
    fs::path part = dir / (PartName(part_number) + "." + etag);
    if (::rename(tmp.c_str(), part.c_str()) != 0) {
      int error = errno;
      ::unlink(tmp.c_str());
      if (error == ENOENT) return Status::NotFound(Prefix(key) + "no such upload " + upload_id);
      return Status::IoError(Prefix(key) + "storing part: " + ErrnoText(error));
    }
    return UploadedPart{part_number, etag};
  }

  Result<ObjectInfo> CompleteMultipart(const std::string& key, const std::string& upload_id,
                                       const std::vector<UploadedPart>& parts) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    BEACON_ASSIGN_OR_RETURN(Sidecar s, LoadUpload(key, upload_id));
    if (parts.empty()) return Status::InvalidArgument(Prefix(key) + "no parts to complete");
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i].number <= parts[i - 1].number) {
        return Status::InvalidArgument(Prefix(key) + "parts must be listed in ascending order");
      }
    }
    // Concatenate into a temp file, checking each part's etag and size as it streams by.
    fs::path tmp = tmp_ / ("complete-" + crypto::HexEncode(crypto::RandomBytes(8)));
    UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (out.get() < 0) return Status::IoError(Prefix(key) + "temp file: " + ErrnoText(errno));
    auto fail = [&](Status status) {
      ::unlink(tmp.c_str());
      return status;
    };
    std::string part_etags;  // for the S3/OSS-style multipart etag
    uint64_t size = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      const UploadedPart& part = parts[i];
      const std::string number = std::to_string(part.number);
      const bool token = part.etag.size() == 32 && IsHex(part.etag);
      fs::path part_path = uploads_ / upload_id / (PartName(part.number) + "." + part.etag);
      UniqueFd in(token ? ::open(part_path.c_str(), O_RDONLY | O_CLOEXEC) : -1);
      struct stat st {};
      if (in.get() < 0 || ::fstat(in.get(), &st) != 0) {
        return fail(Status::InvalidArgument(Prefix(key) + "part " + number +
                                            (HasPart(upload_id, part.number)
                                                 ? " etag does not match the uploaded part"
                                                 : " was not uploaded")));
      }
      if (i + 1 < parts.size() && static_cast<uint64_t>(st.st_size) < kLocalMinPartSize) {
        return fail(Status::InvalidArgument(Prefix(key) + "part " + number +
                                            " is smaller than the minimum part size"));
      }
      Status copied = CopyFd(in.get(), out.get(), static_cast<uint64_t>(st.st_size));
      if (!copied.ok()) return fail(copied.WithContext(Prefix(key) + "part " + number));
      size += static_cast<uint64_t>(st.st_size);
      part_etags += part.etag;
    }
    s.size = size;
    // S3/OSS style multipart etag: MD5 of the part MD5s, "-<count>".
    s.etag = crypto::HexEncode(crypto::Md5Raw(part_etags)) + "-" + std::to_string(parts.size());
    s.last_modified_ms = SystemClock::Instance().NowMs();
    Result<bool> in_xattr = SetMetaXattr(out.get(), s);
    if (!in_xattr.ok()) return fail(in_xattr.status());
    if (out.Close() != 0) {  // durable at the next Sync()
      return fail(Status::IoError(Prefix(key) + "close: " + ErrnoText(errno)));
    }
    BEACON_RETURN_IF_ERROR(Publish(TempObject{tmp.string(), *in_xattr}, s));
    std::error_code ec;
    fs::remove_all(uploads_ / upload_id, ec);
    return InfoOf(s);
  }

  Status AbortMultipart(const std::string& key, const std::string& upload_id) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    BEACON_ASSIGN_OR_RETURN(Sidecar upload, LoadUpload(key, upload_id));
    (void)upload;
    std::error_code ec;
    fs::remove_all(uploads_ / upload_id, ec);
    if (ec) return Status::IoError(Prefix(key) + "removing upload: " + ec.message());
    return Status::Ok();
  }

  Result<std::string> Get(const std::string& key, std::optional<ByteRange> range) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    Result<std::string> data =
        range ? ReadFile(ObjectPath(key), range->offset, range->length, range->length == 0)
              : ReadFile(ObjectPath(key), 0, 0, true);
    if (!data.ok()) return Status(data.status().code(), Prefix(key) + data.status().message());
    return data;
  }

  Result<ObjectInfo> Head(const std::string& key) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    std::lock_guard<std::mutex> lock(mutex_);
    BEACON_ASSIGN_OR_RETURN(Sidecar s, LoadSidecarLocked(key));
    return InfoOf(s);
  }

  Result<ListPage> List(const std::string& prefix, const std::string& page_token,
                        int max_keys) override {
    if (max_keys < 1) return Status::InvalidArgument("max_keys must be at least 1");
    std::vector<std::string> keys;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(objects_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      if (it->path().filename().string().rfind(kTempPrefix, 0) == 0) continue;  // in flight
      std::string key = fs::relative(it->path(), objects_).generic_string();
      if (key.compare(0, prefix.size(), prefix) != 0) continue;
      if (!page_token.empty() && key <= page_token) continue;
      keys.push_back(std::move(key));
    }
    if (ec) return Status::IoError("local store '" + name_ + "': listing: " + ec.message());
    std::sort(keys.begin(), keys.end());
    ListPage page;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& key : keys) {
      if (page.objects.size() == static_cast<size_t>(max_keys)) {
        page.next_token = page.objects.back().key;
        break;
      }
      Result<Sidecar> s = LoadSidecarLocked(key);
      if (!s.ok()) continue;  // deleted while listing
      ObjectInfo info = InfoOf(*s);
      info.metadata.clear();
      page.objects.push_back(std::move(info));
    }
    return page;
  }

  Status Delete(const std::string& key) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    std::lock_guard<std::mutex> lock(mutex_);
    if (::unlink(ObjectPath(key).c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
      return Status::IoError(Prefix(key) + "delete: " + ErrnoText(errno));
    }
    ::unlink(SidecarPath(key).c_str());
    // Drop directories the key left empty, so listings and later keys see a clean tree.
    fs::path dir = fs::path(ObjectPath(key)).parent_path();
    while (dir != objects_ && ::rmdir(dir.c_str()) == 0) dir = dir.parent_path();
    return Status::Ok();
  }

  Result<ObjectInfo> Copy(const std::string& from, const std::string& to,
                          StorageClass storage_class) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(from));
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(to));
    Sidecar s;
    std::string data;
    {
      // Metadata and bytes read under one lock, so a concurrent Put cannot pair them wrongly.
      std::lock_guard<std::mutex> lock(mutex_);
      MetaSource source = MetaSource::kNone;
      BEACON_ASSIGN_OR_RETURN(s, LoadSidecarLocked(from, &source));
      if (from != to) {
        BEACON_ASSIGN_OR_RETURN(data, ReadFile(ObjectPath(from), 0, 0, true));
      } else {
        BEACON_RETURN_IF_ERROR(RewriteClassLocked(&s, source, storage_class));
        return InfoOf(s);
      }
    }
    s.key = to;
    s.storage_class = storage_class;
    s.last_modified_ms = SystemClock::Instance().NowMs();
    BEACON_ASSIGN_OR_RETURN(TempObject tmp, WriteObjectTemp(to, data, s));
    BEACON_RETURN_IF_ERROR(Publish(tmp, s));
    return InfoOf(s);
  }

  Result<RestoreRequestResult> Restore(const std::string& key, int days) override {
    BEACON_RETURN_IF_ERROR(ValidateLocalKey(key));
    if (days < 1) return Status::InvalidArgument("restore days must be at least 1");
    std::lock_guard<std::mutex> lock(mutex_);
    BEACON_ASSIGN_OR_RETURN(Sidecar s, LoadSidecarLocked(key));
    (void)s;
    return RestoreRequestResult::kAlreadyRestored;
  }

 private:
  std::string Prefix(const std::string& key) const {
    return "local store '" + name_ + "': " + key + ": ";
  }
  std::string ObjectPath(const std::string& key) const { return (objects_ / key).string(); }
  // Fanned out over 256 directories: one flat directory of every sidecar makes each create
  // and rename contend on one directory lock and walk one huge directory.
  std::string SidecarPath(const std::string& key) const {
    std::string sha = crypto::Sha256Hex(key);
    return (meta_ / sha.substr(0, 2) / (sha + ".json")).string();
  }
  // Whether any upload of part `number` exists (to tell a wrong etag from a missing part).
  bool HasPart(const std::string& upload_id, int number) const {
    const std::string prefix = PartName(number) + ".";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(uploads_ / upload_id, ec)) {
      if (entry.path().filename().string().rfind(prefix, 0) == 0) return true;
    }
    return false;
  }

  static std::string PartName(int number) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "part-%05d", number);
    return buf;
  }

  // Writes the pieces to a new temp file in `dir` (default tmp/); returns its path. Objects are
  // written beside their final name so the rename stays inside one directory.
  Result<std::string> WriteTemp(std::initializer_list<std::string_view> pieces,
                                const fs::path& dir = {}) {
    std::string path = ((dir.empty() ? tmp_ : dir) /
                        (std::string(kTempPrefix) + crypto::HexEncode(crypto::RandomBytes(8))))
                           .string();
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
      return Status::IoError("local store '" + name_ + "': temp file: " + ErrnoText(errno));
    }
    for (std::string_view piece : pieces) {
      Status status = WriteAll(fd.get(), piece, "write " + path);
      if (!status.ok()) {
        ::unlink(path.c_str());
        return status;
      }
    }
    // No fsync here: Sync() flushes the whole store at once (one syncfs for a batch of
    // objects instead of two fsyncs per object), and callers record versions only after it.
    if (fd.Close() != 0) {
      int error = errno;
      ::unlink(path.c_str());
      return Status::IoError("local store '" + name_ + "': close: " + ErrnoText(error));
    }
    return path;
  }

  // A fully written object temp file, and whether its metadata is in its xattr (false: a
  // sidecar must be written with it).
  struct TempObject {
    std::string path;
    bool meta_in_xattr = false;
  };

  // Stores the metadata as the fd's xattr. false (nothing set) when the filesystem has no user
  // xattrs or the metadata does not fit in one; the caller writes a sidecar instead.
  Result<bool> SetMetaXattr(int fd, const Sidecar& s) {
    if (!xattrs_.load(std::memory_order_relaxed)) return false;
    const std::string json = SidecarJson(s);
    if (::fsetxattr(fd, kMetaXattr, json.data(), json.size(), 0) == 0) return true;
    const int error = errno;
    if (error == ENOTSUP || error == EOPNOTSUPP) {
      xattrs_.store(false, std::memory_order_relaxed);  // the whole store is on this filesystem
      return false;
    }
    // Too big for the filesystem's xattr space (ext4: one block): this object gets a sidecar.
    if (error == E2BIG || error == ERANGE || error == ENOSPC) return false;
    return Status::IoError(Prefix(s.key) + "storing metadata: " + ErrnoText(error));
  }

  // A temp file holding `body` (and, where it can, the metadata xattr) in the directory of the
  // key's object. The directory is created only when the first open says it is missing; a
  // concurrent Delete may remove a directory it left empty in between, so that is retried.
  Result<TempObject> WriteObjectTemp(const std::string& key, std::string_view body,
                                     const Sidecar& s) {
    const fs::path dir = fs::path(ObjectPath(key)).parent_path();
    for (int attempt = 0;; ++attempt) {
      const std::string path =
          (dir / (std::string(kTempPrefix) + crypto::HexEncode(crypto::RandomBytes(8)))).string();
      UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (fd.get() < 0) {
        const int error = errno;
        if (error == ENOTDIR) {
          return Status::InvalidArgument(Prefix(key) + "key conflicts with another key's object");
        }
        if (error != ENOENT || attempt == 2) {
          return Status::IoError(Prefix(key) + "temp file: " + ErrnoText(error));
        }
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) {
          if (ec == std::errc::not_a_directory || ec == std::errc::file_exists) {
            return Status::InvalidArgument(Prefix(key) + "key conflicts with another key's object");
          }
          return Status::IoError(Prefix(key) + "creating " + dir.string() + ": " + ec.message());
        }
        continue;
      }
      auto fail = [&](Status status) {
        ::unlink(path.c_str());
        return status;
      };
      if (Status written = WriteAll(fd.get(), body, "write " + path); !written.ok()) {
        return fail(written);
      }
      Result<bool> in_xattr = SetMetaXattr(fd.get(), s);
      if (!in_xattr.ok()) return fail(in_xattr.status());
      // No fsync here: Sync() flushes the whole store at once, and callers record versions
      // only after it.
      if (fd.Close() != 0) {
        return fail(Status::IoError(Prefix(key) + "close: " + ErrnoText(errno)));
      }
      return TempObject{path, *in_xattr};
    }
  }

  // Moves a fully written temp file to the key (with its sidecar when the metadata is not in
  // its xattr), as one step for readers holding mutex_. Files are written before the lock.
  Status Publish(const TempObject& tmp, const Sidecar& s) {
    std::optional<std::string> sidecar_tmp;
    if (!tmp.meta_in_xattr) {
      Result<std::string> written =
          WriteTemp({SidecarJson(s)}, fs::path(SidecarPath(s.key)).parent_path());
      if (!written.ok()) {
        ::unlink(tmp.path.c_str());
        return written.status();
      }
      sidecar_tmp = std::move(written).value();
    }
    // An object carrying its metadata is published by one rename, atomic for readers without
    // the lock; taking it anyway made concurrent Puts wait for each other's renames (which
    // wait for directory blocks under writeback).
    std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
    if (sidecar_tmp) lock.lock();
    const fs::path target = ObjectPath(s.key);
    int error = ::rename(tmp.path.c_str(), target.c_str()) == 0 ? 0 : errno;
    if (error == ENOENT) {
      // A temp file outside the key's directory (multipart) and the directory is missing.
      std::error_code ec;
      fs::create_directories(target.parent_path(), ec);
      error = ec ? ec.value() : (::rename(tmp.path.c_str(), target.c_str()) == 0 ? 0 : errno);
    }
    if (error != 0) {
      ::unlink(tmp.path.c_str());
      if (sidecar_tmp) ::unlink(sidecar_tmp->c_str());
      if (error == EISDIR || error == ENOTDIR || error == EEXIST || error == ENOTEMPTY) {
        return Status::InvalidArgument(Prefix(s.key) +
                                       "key conflicts with another key's directory");
      }
      return Status::IoError(Prefix(s.key) + "storing: " + ErrnoText(error));
    }
    if (!sidecar_tmp) return Status::Ok();
    return RenameSidecarLocked(*sidecar_tmp, s.key);
  }

  // Replaces an existing object's storage class where its metadata lives now; *s is the
  // metadata read before, updated to what was written.
  Status RewriteClassLocked(Sidecar* s, MetaSource source, StorageClass storage_class) {
    if (source == MetaSource::kXattr) {
      // Read and written through one fd: a Put renaming a new object over the key meanwhile
      // (xattr Puts take no lock) keeps its own metadata, as if it came after this change.
      UniqueFd fd(::open(ObjectPath(s->key).c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.get() < 0) return Status::NotFound(Prefix(s->key) + "no such object");
      const std::string current = ReadMetaXattr(
          [&](char* buf, size_t size) { return ::fgetxattr(fd.get(), kMetaXattr, buf, size); });
      if (!current.empty()) {
        BEACON_ASSIGN_OR_RETURN(*s, ParseSidecar(current));
        s->storage_class = storage_class;
        const std::string json = SidecarJson(*s);
        if (::fsetxattr(fd.get(), kMetaXattr, json.data(), json.size(), 0) == 0) {
          return Status::Ok();
        }
        if (errno != E2BIG && errno != ERANGE && errno != ENOSPC) {
          return Status::IoError(Prefix(s->key) + "storing metadata: " + ErrnoText(errno));
        }
        // Grew too big for an xattr: drop it so the sidecar below is what readers see.
        ::fremovexattr(fd.get(), kMetaXattr);
      }
    }
    s->storage_class = storage_class;
    const fs::path sidecar_dir = fs::path(SidecarPath(s->key)).parent_path();
    BEACON_ASSIGN_OR_RETURN(std::string tmp, WriteTemp({SidecarJson(*s)}, sidecar_dir));
    return RenameSidecarLocked(tmp, s->key);
  }

  // The metadata xattr through `get` (getxattr or fgetxattr semantics); "" when there is none.
  template <typename Get>
  static std::string ReadMetaXattr(const Get& get) {
    char buf[2048];
    ssize_t n = get(buf, sizeof(buf));
    if (n > 0) return std::string(buf, static_cast<size_t>(n));
    // Bigger than the buffer: ask for the size (a concurrent rename may change it; retry).
    for (int attempt = 0; n < 0 && errno == ERANGE && attempt < 3; ++attempt) {
      const ssize_t size = get(nullptr, 0);
      if (size <= 0) return std::string();
      std::string value(static_cast<size_t>(size), '\0');
      n = get(value.data(), value.size());
      if (n > 0) {
        value.resize(static_cast<size_t>(n));
        return value;
      }
    }
    return std::string();
  }

  Status RenameSidecarLocked(const std::string& tmp, const std::string& key) {
    if (::rename(tmp.c_str(), SidecarPath(key).c_str()) != 0) {
      int error = errno;
      ::unlink(tmp.c_str());
      return Status::IoError(Prefix(key) + "storing metadata: " + ErrnoText(error));
    }
    return Status::Ok();
  }

  // The object's metadata: its xattr, else its sidecar (objects written where xattrs failed,
  // or by an older version), else described from the bytes (a crash between the two renames
  // of a sidecar'd object). *source says which.
  Result<Sidecar> LoadSidecarLocked(const std::string& key, MetaSource* source = nullptr) {
    const std::string path = ObjectPath(key);
    if (source != nullptr) *source = MetaSource::kNone;
    // One getxattr answers the common case; only our objects carry the attribute.
    errno = 0;
    const std::string json = ReadMetaXattr(
        [&](char* buf, size_t size) { return ::getxattr(path.c_str(), kMetaXattr, buf, size); });
    if (json.empty() && (errno == ENOENT || errno == ENOTDIR)) {
      return Status::NotFound(Prefix(key) + "no such object");
    }
    if (!json.empty()) {
      BEACON_ASSIGN_OR_RETURN(Sidecar s, ParseSidecar(json));
      if (s.key != key) return Status::Corruption(Prefix(key) + "metadata names another key");
      if (source != nullptr) *source = MetaSource::kXattr;
      return s;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Status::NotFound(Prefix(key) + "no such object");
    }
    if (source != nullptr) *source = MetaSource::kSidecar;
    Result<std::string> text = ReadFile(SidecarPath(key), 0, 0, true);
    if (!text.ok()) {
      // An object without a sidecar (crash between the two renames): describe it from the file.
      BEACON_ASSIGN_OR_RETURN(std::string data, ReadFile(ObjectPath(key), 0, 0, true));
      return Sidecar{key,
                     data.size(),
                     crypto::HexEncode(crypto::Md5Raw(data)),
                     static_cast<int64_t>(st.st_mtime) * 1000,
                     StorageClass::kStandard,
                     "application/octet-stream",
                     {}};
    }
    BEACON_ASSIGN_OR_RETURN(Sidecar s, ParseSidecar(*text));
    if (s.key != key) return Status::Corruption(Prefix(key) + "sidecar names another key");
    return s;
  }

  Result<Sidecar> LoadUpload(const std::string& key, const std::string& upload_id) {
    if (!IsHex(upload_id) || upload_id.size() != 32) {
      return Status::NotFound(Prefix(key) + "no such upload '" + upload_id + "'");
    }
    Result<std::string> text =
        ReadFile((uploads_ / upload_id / "upload.json").string(), 0, 0, true);
    if (!text.ok()) return Status::NotFound(Prefix(key) + "no such upload " + upload_id);
    BEACON_ASSIGN_OR_RETURN(Sidecar s, ParseSidecar(*text));
    if (s.key != key) {
      return Status::InvalidArgument(Prefix(key) + "upload " + upload_id + " is for another key");
    }
    return s;
  }

  const std::string name_;
  const fs::path root_;
  const fs::path objects_;
  const fs::path meta_;
  const fs::path uploads_;
  const fs::path tmp_;
  // Cleared at the first ENOTSUP: the store then writes sidecars only.
  std::atomic<bool> xattrs_;
  // Serialises sidecar updates with the renames of their objects (so an object and its sidecar
  // change together for readers), Delete, and Copy's read-modify-write of metadata. Objects
  // whose metadata is in their xattr are published without it.
  std::mutex mutex_;
};

}  // namespace

Status ValidateLocalKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("object key must not be empty");
  if (key.size() > 1024) return Status::InvalidArgument("object key longer than 1024 bytes");
  if (key.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("object key contains a NUL byte");
  }
  if (key.front() == '/') return Status::InvalidArgument("object key must not start with '/'");
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view segment =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Status::InvalidArgument("object key '" + std::string(key) +
                                     "' has an empty, '.' or '..' segment");
    }
    if (segment.substr(0, kTempPrefix.size()) == kTempPrefix) {
      return Status::InvalidArgument("object key '" + std::string(key) +
                                     "' has a segment "
                                     "starting with " +
                                     std::string(kTempPrefix) +
                                     " (reserved for the local store's temp files)");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return Status::Ok();
}

Result<std::unique_ptr<ObjectStore>> NewLocalStore(const StoreConfig& config) {
  return NewLocalStore(config, LocalStoreOptions{});
}

Result<std::unique_ptr<ObjectStore>> NewLocalStore(const StoreConfig& config,
                                                   const LocalStoreOptions& options) {
  if (config.path.empty()) {
    return Status::InvalidArgument("local store '" + config.name + "': no path configured");
  }
  auto store = std::make_unique<LocalStore>(config.name, fs::path(config.path), options.use_xattrs);
  BEACON_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace beacon::objstore
