// inotify watcher for backups: recursive watches, race-free new directories, overflow report.
#include "agent/backup/watcher.h"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "agent/backup/globs.h"
#include "common/posix.h"

namespace beacon::agent::backup {
namespace {

// Finished files (closed after writing, renamed into place), new or moved directories, and the
// watched directory's own end. Never OPEN/ACCESS/CLOSE_NOWRITE: our own reads would come back.
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                           IN_DELETE_SELF | IN_EXCL_UNLINK | IN_DONT_FOLLOW | IN_ONLYDIR;

std::string Join(const std::string& dir, const char* name) {
  return dir == "/" ? dir + name : dir + "/" + name;
}

}  // namespace

BackupWatcher::BackupWatcher(std::vector<Root> roots, Callbacks callbacks)
    : roots_(std::move(roots)), callbacks_(std::move(callbacks)) {}

BackupWatcher::~BackupWatcher() { Stop(); }

Status BackupWatcher::Start() {
  BEACON_RETURN_IF_ERROR(inotify_.Open());
  for (const Root& root : roots_) AddWatches(root.path, root.recursive, false, nullptr);
  inotify_.Run([this] { Loop(); });
  return Status::Ok();
}

void BackupWatcher::Stop() {
  inotify_.Stop();
  MutexLock lock(mu_);
  watches_.clear();
}

size_t BackupWatcher::watch_count() {
  MutexLock lock(mu_);
  return watches_.size();
}

bool BackupWatcher::IsRecursiveWatch(const std::string& dir) {
  std::string relative;
  for (const Root& root : roots_) {
    if (root.recursive && RelativeTo(root.path, dir, &relative)) return true;
  }
  return false;
}

void BackupWatcher::AddWatches(const std::string& dir, bool recursive, bool report,
                               std::vector<std::string>* files) {
  std::vector<std::string> stack = {dir};
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    if (callbacks_.wants_dir && !callbacks_.wants_dir(path)) continue;
    // The watch comes before the listing: a file closed after this line raises an event, one
    // closed before is in the listing (both is harmless: the queue is keyed by path).
    const int wd = ::inotify_add_watch(inotify_.fd(), path.c_str(), kMask);
    if (wd < 0) {
      if (errno != ENOENT && errno != ENOTDIR && callbacks_.on_error) {
        callbacks_.on_error("cannot watch " + path + ": " + ErrnoText(errno));
      }
      continue;
    }
    {
      MutexLock lock(mu_);
      watches_[wd] = path;
    }
    if (!recursive && !report) continue;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) continue;
    while (struct dirent* entry = ::readdir(d)) {
      if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
      const bool maybe_dir = entry->d_type == DT_DIR || entry->d_type == DT_UNKNOWN;
      const bool maybe_file = entry->d_type == DT_REG || entry->d_type == DT_UNKNOWN;
      if (!(recursive && maybe_dir) && !(report && maybe_file)) continue;
      std::string child = Join(path, entry->d_name);
      struct stat st {};
      if (::lstat(child.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode) && recursive) {
        stack.push_back(std::move(child));
      } else if (S_ISREG(st.st_mode) && report &&
                 (!callbacks_.wants_file || callbacks_.wants_file(child))) {
        files->push_back(std::move(child));
      }
    }
    ::closedir(d);
  }
}

void BackupWatcher::RemoveWatchesUnder(const std::string& path) {
  MutexLock lock(mu_);
  std::string relative;
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (RelativeTo(path, it->second, &relative)) {
      ::inotify_rm_watch(inotify_.fd(), it->first);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
}

bool BackupWatcher::HandleEvents(std::vector<std::string>* files) {
  alignas(struct inotify_event) char buffer[64 * 1024];
  bool overflow = false;
  while (true) {
    const ssize_t n = ::read(inotify_.fd(), buffer, sizeof(buffer));
    if (n <= 0) return overflow;  // EAGAIN: drained
    for (char* p = buffer; p < buffer + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        overflow = true;
        continue;
      }
      std::string dir;
      {
        MutexLock lock(mu_);
        auto it = watches_.find(ev->wd);
        if (it == watches_.end()) continue;
        dir = it->second;
        if (ev->mask & IN_IGNORED) {
          watches_.erase(it);
          continue;
        }
      }
      if (ev->len == 0) continue;  // IN_DELETE_SELF: IN_IGNORED follows and drops the wd
      const std::string path = Join(dir, ev->name);
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & IN_MOVED_FROM) {
          // Watches below keep following the moved inode under a path that no longer exists.
          RemoveWatchesUnder(path);
        } else if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && IsRecursiveWatch(dir)) {
          AddWatches(path, true, true, files);
        }
        continue;
      }
      if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) &&
          (!callbacks_.wants_file || callbacks_.wants_file(path))) {
        files->push_back(path);
      }
    }
  }
}

void BackupWatcher::Loop() {
  while (!inotify_.stopping()) {
    const InotifyWait::Ready ready = inotify_.Wait(-1);
    if (inotify_.stopping()) break;
    if (ready == InotifyWait::Ready::kError) {
      if (callbacks_.on_error) callbacks_.on_error(std::string("poll: ") + ErrnoText(errno));
      break;
    }
    if (ready != InotifyWait::Ready::kEvents) continue;
    std::vector<std::string> files;
    const bool overflow = HandleEvents(&files);
    if (!files.empty() && callbacks_.on_files) callbacks_.on_files(std::move(files));
    if (overflow) {
      // Directories created while events were lost have no watch yet; the reconcile that the
      // callback starts finds their files.
      for (const Root& root : roots_) AddWatches(root.path, root.recursive, false, nullptr);
      if (callbacks_.on_overflow) callbacks_.on_overflow();
    }
  }
}

}  // namespace beacon::agent::backup
