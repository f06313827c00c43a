// Reconcile scans of backup sets against the local BackupState.
#include "agent/backup/reconciler.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

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
  ScanResult result;
  std::unordered_set<std::string> seen;
  auto consider = [&](const std::string& path, const struct stat& st) -> Status {
    if (!S_ISREG(st.st_mode) || !selector_.SelectsFile(path)) return Status::Ok();
    const FileStat stat = FromStat(st);
    ++result.files_scanned;
    result.bytes_scanned += stat.size;
    seen.insert(path);
    BEACON_ASSIGN_OR_RETURN(std::optional<FileRecord> record, state_.GetFile(set_.name, path));
    if (!record || record->size != stat.size || record->mtime_ns != stat.mtime_ns ||
        record->inode != stat.inode) {
      result.changed.push_back({path, stat});
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
        if (errno != ENOENT) result.errors.push_back("cannot read " + dir + ": " + std::strerror(errno));
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
  BEACON_ASSIGN_OR_RETURN(std::vector<std::string> known, state_.ListPaths(set_.name));
  for (const std::string& path : known) {
    if (seen.count(path)) continue;
    const FileStat stat = StatFile(path);
    if (stat.exists && stat.regular && selector_.SelectsFile(path)) continue;  // walk raced
    BEACON_RETURN_IF_ERROR(state_.RemoveFile(set_.name, path));
    ++result.forgotten;
  }
  return result;
}

}  // namespace beacon::agent::backup
