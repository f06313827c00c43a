// Restore of one version (restore.h). The target's directory is walked from the restore root
// with openat(O_NOFOLLOW|O_DIRECTORY), so a symlink swapped in after the lexical check cannot
// redirect the write; the data lands in a temp file beside the target and is renamed over it
// only after the GCM tag, the size and the SHA-256 all verified.
#include "agent/backup/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "agent/backup/object_format.h"
#include "common/crypto/crypto.h"
#include "common/posix.h"

namespace beacon::agent::backup {
namespace {

// "/a//b/" -> {"a", "b"}; dot components are kept so the caller can refuse them.
std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < parts.size(); ++i) out += "/" + parts[i];
  return out.empty() ? "/" : out;
}

std::string RootList(const std::vector<std::string>& roots) {
  std::string out;
  for (const auto& r : roots) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out;
}

bool HasDots(const std::vector<std::string>& parts) {
  for (const auto& p : parts) {
    if (p == "." || p == "..") return true;
  }
  return false;
}

// The most specific root containing the target (strictly below it), by components.
std::optional<std::vector<std::string>> MatchRoot(const std::vector<std::string>& target,
                                                  const std::vector<std::string>& roots) {
  std::optional<std::vector<std::string>> best;
  for (const auto& root : roots) {
    if (root.empty() || root.front() != '/') continue;
    std::vector<std::string> rp = Components(root);
    if (HasDots(rp) || rp.size() >= target.size()) continue;
    bool prefix = true;
    for (size_t i = 0; i < rp.size(); ++i) {
      if (rp[i] != target[i]) {
        prefix = false;
        break;
      }
    }
    if (prefix && (!best || rp.size() > best->size())) best = std::move(rp);
  }
  return best;
}

// Opens the target's parent directory, creating missing directories below the root, never
// following a symlink on the way.
Result<UniqueFd> OpenParent(const std::vector<std::string>& target, size_t root_len,
                            const std::string& target_text) {
  const std::string root = Join(target, root_len);
  UniqueFd dir(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) {
    return Status::IoError("cannot open restore root " + root + ": " + ErrnoText(errno));
  }
  for (size_t i = root_len; i + 1 < target.size(); ++i) {
    const std::string& name = target[i];
    int fd = openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return Status::IoError("cannot create " + Join(target, i + 1) + ": " + ErrnoText(errno));
      }
      fd = openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      const int err = errno;
      if (err == ELOOP) {
        return Status::PermissionDenied("restore target " + target_text +
                                        " refused: " + Join(target, i + 1) + " is a symbolic link");
      }
      if (err == ENOTDIR) {
        return Status::FailedPrecondition("restore target " + target_text + " refused: " +
                                          Join(target, i + 1) + " is not a directory");
      }
      return Status::IoError("cannot open " + Join(target, i + 1) + ": " + ErrnoText(err));
    }
    dir.reset(fd);
  }
  return dir;
}

}  // namespace

mode_t RestoredMode(uint32_t recorded_mode, bool allow_setid) {
  mode_t mode = static_cast<mode_t>(recorded_mode & 07777);
  if (!allow_setid) mode &= ~static_cast<mode_t>(S_ISUID | S_ISGID);
  return mode;
}

Status CheckRestoreTarget(const std::string& target, const std::vector<std::string>& roots) {
  if (target.empty() || target.front() != '/') {
    return Status::PermissionDenied("restore target " + target + " is not an absolute path");
  }
  if (target.back() == '/') {
    return Status::PermissionDenied("restore target " + target +
                                    " must name a file, not a directory");
  }
  const std::vector<std::string> parts = Components(target);
  if (HasDots(parts)) {
    return Status::PermissionDenied("restore target " + target +
                                    " contains '.' or '..' components");
  }
  if (roots.empty()) {
    return Status::PermissionDenied("restore target " + target +
                                    " refused: no restore roots are configured "
                                    "(backup.restore_roots)");
  }
  const auto root = MatchRoot(parts, roots);
  if (!root) {
    return Status::PermissionDenied("restore target " + target + " is outside the restore roots (" +
                                    RootList(roots) + ")");
  }
  // lstat each existing component below the root, down to the target itself.
  for (size_t n = root->size() + 1; n <= parts.size(); ++n) {
    const std::string prefix = Join(parts, n);
    struct stat st {};
    if (lstat(prefix.c_str(), &st) != 0) {
      if (errno == ENOENT) break;  // the rest will be created
      if (errno == ENOTDIR) {
        return Status::PermissionDenied("restore target " + target +
                                        " refused: " + Join(parts, n - 1) + " is not a directory");
      }
      return Status::PermissionDenied("restore target " + target + " refused: cannot inspect " +
                                      prefix + ": " + ErrnoText(errno));
    }
    if (S_ISLNK(st.st_mode)) {
      return Status::PermissionDenied("restore target " + target + " refused: " + prefix +
                                      " is a symbolic link");
    }
  }
  return Status::Ok();
}

Status RestoreVersion(const wire::RestoreArgs& args, objstore::ObjectStore& store,
                      const RestoreOptions& options, const RestoreProgressFn& progress) {
  const wire::BackupVersion& v = args.version;
  BEACON_RETURN_IF_ERROR(CheckRestoreTarget(args.target, options.roots));
  std::string key;
  if (!v.key_id.empty()) {
    auto it = options.keys_by_id.find(v.key_id);
    if (it == options.keys_by_id.end()) {
      return Status::FailedPrecondition("version of " + v.path + " is encrypted with key id " +
                                        v.key_id + ", which is not configured on this agent");
    }
    key = it->second;
  }
  const std::vector<std::string> parts = Components(args.target);
  const auto root = MatchRoot(parts, options.roots);
  if (!root) return Status::Internal("restore root vanished between checks");
  BEACON_ASSIGN_OR_RETURN(UniqueFd dir, OpenParent(parts, root->size(), args.target));
  const std::string& name = parts.back();

  struct stat existing {};
  if (fstatat(dir.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(existing.st_mode)) {
      return Status::PermissionDenied("restore target " + args.target +
                                      " refused: it is a symbolic link");
    }
    if (!S_ISREG(existing.st_mode)) {
      return Status::FailedPrecondition("restore target " + args.target +
                                        " exists and is not a regular file");
    }
  }

  // The temp file: hidden, beside the target (same filesystem, so rename is atomic).
  std::string temp;
  UniqueFd out;
  for (int attempt = 0; attempt < 16 && !out.valid(); ++attempt) {
    temp = "." + name + ".beacon-restore-" + crypto::HexEncode(crypto::RandomBytes(3));
    int fd =
        openat(dir.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      out.reset(fd);
    } else if (errno != EEXIST) {
      return Status::IoError("cannot create a temp file beside " + args.target + ": " +
                             ErrnoText(errno));
    }
  }
  if (!out.valid()) {
    return Status::IoError("cannot create a unique temp file beside " + args.target);
  }
  const std::string temp_path = Join(parts, parts.size() - 1) + "/" + temp;

  auto write_temp = [&]() -> Status {
    uint64_t total = v.stored_size;
    if (total == 0) {
      auto head = store.Head(v.key);
      if (!head.ok()) return head.status().WithContext("reading " + v.key);
      total = head->size;
    }
    BodyDecoder decoder;
    BEACON_RETURN_IF_ERROR(decoder.Init(key, v.size));
    crypto::Sha256 sha;
    RestoreProgress state;
    state.total_bytes = v.size;
    const uint64_t chunk = options.chunk_bytes == 0 ? 8 * 1024 * 1024 : options.chunk_bytes;
    for (uint64_t offset = 0; offset < total;) {
      const uint64_t want = std::min(chunk, total - offset);
      auto got = store.Get(v.key, objstore::ByteRange{offset, want});
      if (!got.ok()) return got.status().WithContext("downloading " + v.key);
      // Stores answer a range reaching past the end with the bytes that exist.
      if (got->size() < want) {
        return Status::Corruption("object " + v.key + " is shorter than its recorded size " +
                                  std::to_string(total));
      }
      if (got->size() > want) {
        return Status::Corruption("store returned more than the requested range of " + v.key);
      }
      offset += got->size();
      Status decoded = decoder.Update(*got, [&](std::string_view piece) -> Status {
        sha.Update(piece);
        state.done_bytes += piece.size();
        return WriteAll(out.get(), piece, "writing " + temp_path);
      });
      if (!decoded.ok()) {
        return decoded.code() == StatusCode::kIoError ? decoded
                                                      : decoded.WithContext("restoring " + v.key);
      }
      if (progress) progress(state);
    }
    std::string rest;  // Finish emits nothing today; written anyway should that change
    BEACON_RETURN_IF_ERROR(decoder.Finish(&rest).WithContext("restoring " + v.key));
    BEACON_RETURN_IF_ERROR(WriteAll(out.get(), rest, "writing " + temp_path));
    sha.Update(rest);
    state.done_bytes += rest.size();
    if (state.done_bytes != v.size) {
      return Status::Corruption("restoring " + v.key + ": decoded " +
                                std::to_string(state.done_bytes) + " bytes, the version has " +
                                std::to_string(v.size));
    }
    const std::string actual = sha.FinalHex();
    if (actual != v.sha256) {
      return Status::Corruption("restoring " + v.key + ": SHA-256 mismatch (expected " + v.sha256 +
                                ", got " + actual + ")");
    }
    // Root, or the packaged unit's user given CAP_CHOWN by packaging/systemd/restore.conf,
    // restores the owner; without that right (EPERM) the file stays the agent's, as before.
    if (fchown(out.get(), v.uid, v.gid) != 0 && !(errno == EPERM && geteuid() != 0)) {
      return Status::IoError("chown " + temp_path + ": " + ErrnoText(errno));
    }
    // After chown, which clears set-id bits.
    if (fchmod(out.get(), RestoredMode(v.mode, options.allow_setid)) != 0) {
      return Status::IoError("chmod " + temp_path + ": " + ErrnoText(errno));
    }
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = static_cast<time_t>(v.mtime_ns / 1'000'000'000);
    times[1].tv_nsec = static_cast<long>(v.mtime_ns % 1'000'000'000);
    if (times[1].tv_nsec < 0) {
      times[1].tv_nsec += 1'000'000'000;
      times[1].tv_sec -= 1;
    }
    if (futimens(out.get(), times) != 0) {
      return Status::IoError("setting mtime of " + temp_path + ": " + ErrnoText(errno));
    }
    if (fsync(out.get()) != 0)
      return Status::IoError("fsync " + temp_path + ": " + ErrnoText(errno));
    if (progress) progress(state);
    return Status::Ok();
  };

  Status s = write_temp();
  if (s.ok()) {
    out.reset();
    if (renameat(dir.get(), temp.c_str(), dir.get(), name.c_str()) != 0) {
      s = Status::IoError("renaming " + temp_path + " to " + args.target + ": " + ErrnoText(errno));
    }
  }
  if (!s.ok()) {
    out.reset();
    unlinkat(dir.get(), temp.c_str(), 0);
    return s;
  }
  if (fsync(dir.get()) != 0) {
    return Status::IoError("fsync of the directory of " + args.target + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace beacon::agent::backup
