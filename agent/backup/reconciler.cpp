// Reconcile scans of backup sets against the local BackupState.
#include "agent/backup/reconciler.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "common/posix.h"

namespace beacon::agent::backup {
namespace {

FileStat FromStat(const struct stat& st) {
  FileStat out;
  out.exists = true;
  out.regular = S_ISREG(st.st_mode);
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  out.inode = st.st_ino;
  return out;
}

}  // namespace

FileStat StatFile(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return FileStat{};
  return FromStat(st);
}

Reconciler::Reconciler(const BackupSetConfig& set, BackupState& state)
    : set_(set), state_(state), selector_(set) {}

Result<ScanResult> Reconciler::Scan(const std::atomic<bool>* cancel) {
  return Scan(cancel, nullptr);
}

Result<ScanResult> Reconciler::Scan(const std::atomic<bool>* cancel,
                                    const ChangedSink& on_changed) {
  ScanResult result;
  // The set's records, loaded with one query (a lookup per file cost more than the walk);
  // each is marked seen when the walk finds its file.
  struct Known {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    uint64_t inode = 0;
    bool seen = false;
  };
  std::unordered_map<std::string, Known> known;
  {
    BEACON_ASSIGN_OR_RETURN(auto records, state_.ListFiles(set_.name));
    known.reserve(records.size());
    for (auto& [path, record] : records) {
      known.emplace(std::move(path), Known{record.size, record.mtime_ns, record.inode, false});
    }
  }
  auto consider = [&](const std::string& path, const struct stat& st) -> Status {
    if (!S_ISREG(st.st_mode) || !selector_.SelectsFile(path)) return Status::Ok();
    const FileStat stat = FromStat(st);
    ++result.files_scanned;
    result.bytes_scanned += stat.size;
    auto it = known.find(path);
    if (it != known.end()) it->second.seen = true;
    if (it == known.end() || it->second.size != stat.size || it->second.mtime_ns != stat.mtime_ns ||
        it->second.inode != stat.inode) {
      const bool recorded = it != known.end();
      if (on_changed) {
        on_changed({path, stat, recorded});
      } else {
        result.changed.push_back({path, stat, recorded});
      }
    }
    return Status::Ok();
  };

  for (const std::string& root : selector_.file_roots()) {
    struct stat st {};
    if (::lstat(root.c_str(), &st) == 0) BEACON_RETURN_IF_ERROR(consider(root, st));
  }
  for (const std::string& root : selector_.dir_roots()) {
    std::vector<std::string> stack = {root};
    while (!stack.empty()) {
      if (cancel != nullptr && cancel->load()) return result;
      const std::string dir = std::move(stack.back());
      stack.pop_back();
      DIR* d = ::opendir(dir.c_str());
      if (d == nullptr) {
        if (errno != ENOENT)
          result.errors.push_back("cannot read " + dir + ": " + ErrnoText(errno));
        continue;
      }
      std::vector<std::string> names;
      while (struct dirent* entry = ::readdir(d)) {
        if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
        names.emplace_back(entry->d_name);
      }
      ::closedir(d);
      for (const std::string& name : names) {
        const std::string path = dir == "/" ? dir + name : dir + "/" + name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
          if (selector_.EntersDirectory(path)) stack.push_back(path);
        } else {
          BEACON_RETURN_IF_ERROR(consider(path, st));
        }
      }
    }
  }

  // Records of files that are gone: forget them so the state does not grow with rotated logs.
  for (const auto& [path, record] : known) {
    if (record.seen) continue;
    const FileStat stat = StatFile(path);
    if (stat.exists && stat.regular && selector_.SelectsFile(path)) continue;  // walk raced
    BEACON_RETURN_IF_ERROR(state_.RemoveFile(set_.name, path));
    ++result.forgotten;
  }
  return result;
}

}  // namespace beacon::agent::backup
