// inotify watcher for the fim input: recursive watches, dirty-path collection, overflow.
#include "agent/inputs/fim/watcher.h"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/posix.h"

namespace beacon::agent::fim {
namespace {

// Writes, attribute changes and namespace changes. Never OPEN/ACCESS/CLOSE_NOWRITE: the
// hashing reads would feed back into the queue.
constexpr uint32_t kMask = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE |
                           IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                           IN_EXCL_UNLINK | IN_DONT_FOLLOW;

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return path;
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Join(const std::string& dir, const char* name) {
  return dir == "/" ? dir + name : dir + "/" + name;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Watcher::Watcher(const Scanner& scanner, Callbacks callbacks, int64_t quiet_ms, int64_t max_wait_ms)
    : scanner_(scanner),
      callbacks_(std::move(callbacks)),
      quiet_ms_(quiet_ms),
      max_wait_ms_(max_wait_ms) {}

Watcher::~Watcher() { Stop(); }

Status Watcher::Start() {
  BEACON_RETURN_IF_ERROR(inotify_.Open());
  for (const std::string& root : scanner_.options().paths) {
    struct stat st {};
    if (::lstat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      AddWatches(root);
    } else {
      // A file root: its directory tells about replacement, removal and writes.
      AddWatches(Parent(root));
    }
  }
  inotify_.Run([this] { Loop(); });
  return Status::Ok();
}

void Watcher::Stop() {
  inotify_.Stop();
  std::lock_guard lock(mu_);
  watches_.clear();
}

size_t Watcher::watch_count() {
  std::lock_guard lock(mu_);
  return watches_.size();
}

bool Watcher::UnderRoots(const std::string& path) const {
  for (const std::string& root : scanner_.options().paths) {
    if (IsUnder(path, root)) return true;
  }
  return false;
}

void Watcher::AddWatches(const std::string& dir) {
  std::vector<std::string> stack = {dir};
  while (!stack.empty()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    // Only the roots' own subtrees are walked; a file root's parent gets a single watch.
    const bool inside = UnderRoots(path);
    if (inside && scanner_.IsExcluded(path, true)) continue;
    int wd = ::inotify_add_watch(inotify_.fd(), path.c_str(), kMask | IN_ONLYDIR);
    if (wd < 0) {
      if (errno != ENOENT && errno != ENOTDIR && callbacks_.on_error) {
        callbacks_.on_error("cannot watch " + EscapePath(path) + ": " + ErrnoText(errno));
      }
      continue;
    }
    {
      std::lock_guard lock(mu_);
      watches_[wd] = path;
    }
    if (!inside) continue;
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) continue;
    while (struct dirent* entry = ::readdir(d)) {
      if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
      if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
      std::string child = Join(path, entry->d_name);
      struct stat st {};
      if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) stack.push_back(child);
    }
    ::closedir(d);
  }
}

void Watcher::RemoveWatchesUnder(const std::string& path) {
  std::lock_guard lock(mu_);
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (IsUnder(it->second, path)) {
      ::inotify_rm_watch(inotify_.fd(), it->first);
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
}

void Watcher::HandleEvents(std::map<std::string, bool>* dirty, bool* overflow) {
  alignas(struct inotify_event) char buffer[64 * 1024];
  while (true) {
    ssize_t n = ::read(inotify_.fd(), buffer, sizeof(buffer));
    if (n <= 0) return;  // EAGAIN: drained
    for (char* p = buffer; p < buffer + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        *overflow = true;
        continue;
      }
      std::string dir;
      {
        std::lock_guard lock(mu_);
        auto it = watches_.find(ev->wd);
        if (it == watches_.end()) continue;
        dir = it->second;
        if (ev->mask & IN_IGNORED) {
          watches_.erase(it);
          continue;
        }
      }
      if (ev->len == 0) {
        // The watched directory itself (attributes, or it went away).
        if (UnderRoots(dir)) (*dirty)[dir] |= (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0;
        continue;
      }
      const std::string path = Join(dir, ev->name);
      if (!UnderRoots(path)) continue;
      const bool is_dir = (ev->mask & IN_ISDIR) != 0;
      const bool appeared = (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0;
      const bool vanished = (ev->mask & (IN_DELETE | IN_MOVED_FROM)) != 0;
      if (is_dir && appeared) {
        // Watch first, then scan it whole: files created before the watch existed are found.
        AddWatches(path);
        (*dirty)[path] = true;
      } else if (is_dir && vanished) {
        RemoveWatchesUnder(path);
        (*dirty)[path] = true;
      } else {
        (*dirty)[path] |= false;
      }
      if ((appeared || vanished) && UnderRoots(dir)) (*dirty)[dir] |= false;
    }
  }
}

void Watcher::Loop() {
  std::map<std::string, bool> dirty;  // path -> recursive
  int64_t first_ms = 0, last_ms = 0;
  while (!inotify_.stopping()) {
    int timeout = -1;
    if (!dirty.empty()) {
      const int64_t now = NowMs();
      const int64_t due = std::min(last_ms + quiet_ms_, first_ms + max_wait_ms_);
      timeout = static_cast<int>(std::max<int64_t>(0, due - now));
    }
    const InotifyWait::Ready ready = inotify_.Wait(timeout);
    if (inotify_.stopping()) break;
    if (ready == InotifyWait::Ready::kError) break;
    bool overflow = false;
    if (ready == InotifyWait::Ready::kEvents) {
      const bool was_empty = dirty.empty();
      HandleEvents(&dirty, &overflow);
      last_ms = NowMs();
      if (was_empty) first_ms = last_ms;
    }
    if (overflow) {
      dirty.clear();
      // Directories created while events were lost have no watch yet.
      for (const std::string& root : scanner_.options().paths) AddWatches(root);
      if (callbacks_.on_overflow) callbacks_.on_overflow();
      continue;
    }
    const int64_t now = NowMs();
    if (!dirty.empty() && (now >= last_ms + quiet_ms_ || now >= first_ms + max_wait_ms_)) {
      std::vector<DirtyPath> paths;
      for (const auto& [path, recursive] : dirty) paths.push_back({path, recursive});
      dirty.clear();
      if (callbacks_.on_dirty) callbacks_.on_dirty(std::move(paths));
    }
  }
}

}  // namespace beacon::agent::fim
