// File integrity engine: directory walk with lstat, parallel SHA-256, SQLite baseline, compare.
#include "agent/inputs/fim/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <thread>

#include "common/crypto/crypto.h"
#include "common/mutex.h"
#include "common/posix.h"
#include "common/strings.h"

namespace beacon::agent::fim {
namespace {

// Per worker. Measured on the bench tree (bench/README.md, FIM section): 128 KiB to 1 MiB
// read() buffers hash at the same rate, all well ahead of mmap (whose faults and TLB misses cost
// more than the copy they save); 256 KiB keeps the buffer in L2.
constexpr size_t kReadBuffer = size_t{256} << 10;

const std::vector<store::Migration> kBaselineMigrations = {
    {1,
     "CREATE TABLE entries ("
     " path BLOB PRIMARY KEY NOT NULL,"
     " type TEXT NOT NULL,"
     " mode INTEGER NOT NULL,"
     " uid INTEGER NOT NULL,"
     " gid INTEGER NOT NULL,"
     " size INTEGER NOT NULL,"
     " mtime_ns INTEGER NOT NULL,"
     " ctime_ns INTEGER NOT NULL,"
     " inode INTEGER NOT NULL,"
     " sha256 TEXT NOT NULL,"
     " link_target BLOB NOT NULL,"
     " xattrs BLOB"
     ") WITHOUT ROWID;"},
};

char TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return 'f';
  if (S_ISDIR(mode)) return 'd';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  if (S_ISFIFO(mode)) return 'p';
  if (S_ISSOCK(mode)) return 's';
  return '?';
}

const char* TypeName(char type) {
  switch (type) {
    case 'f':
      return "regular";
    case 'd':
      return "directory";
    case 'l':
      return "symlink";
    case 'c':
      return "char_device";
    case 'b':
      return "block_device";
    case 'p':
      return "fifo";
    case 's':
      return "socket";
    default:
      return "unknown";
  }
}

void FillFromStat(const struct stat& st, Entry* e) {
  e->type = TypeOf(st.st_mode);
  e->mode = static_cast<uint32_t>(st.st_mode & 07777);
  e->uid = st.st_uid;
  e->gid = st.st_gid;
  e->size = static_cast<int64_t>(st.st_size);
  e->mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  e->ctime_ns = int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  e->inode = st.st_ino;
}

std::string FormatNs(int64_t ns) {
  time_t sec = static_cast<time_t>(ns / 1'000'000'000);
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --sec;
  }
  struct tm tm {};
  gmtime_r(&sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

std::string JoinPath(const std::string& dir, const char* name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

Result<std::string> ReadXattrs(const std::string& path) {
  ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return std::string();
    return Status::IoError("listxattr: " + ErrnoText(errno));
  }
  std::string names(static_cast<size_t>(size), '\0');
  size = ::llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0) return Status::IoError("listxattr: " + ErrnoText(errno));
  names.resize(static_cast<size_t>(size));
  std::vector<std::string> list;
  for (size_t start = 0; start < names.size();) {
    size_t end = names.find('\0', start);
    if (end == std::string::npos) end = names.size();
    if (end > start) list.push_back(names.substr(start, end - start));
    start = end + 1;
  }
  std::sort(list.begin(), list.end());
  std::string out;
  for (const std::string& name : list) {
    ssize_t vsize = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vsize < 0) return Status::IoError("getxattr " + name + ": " + ErrnoText(errno));
    std::string value(static_cast<size_t>(vsize), '\0');
    vsize = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vsize < 0) return Status::IoError("getxattr " + name + ": " + ErrnoText(errno));
    value.resize(static_cast<size_t>(vsize));
    out += name + "=" + crypto::HexEncode(value) + "\n";
  }
  return out;
}

bool SameEntry(const Entry& a, const Entry& b) {
  return a.path == b.path && a.type == b.type && a.mode == b.mode && a.uid == b.uid &&
         a.gid == b.gid && a.size == b.size && a.mtime_ns == b.mtime_ns &&
         a.ctime_ns == b.ctime_ns && a.inode == b.inode && a.sha256 == b.sha256 &&
         a.link_target == b.link_target && a.xattrs == b.xattrs;
}

const Entry* Find(const std::vector<Entry>* sorted, const std::string& path) {
  if (sorted == nullptr) return nullptr;
  auto it = std::lower_bound(sorted->begin(), sorted->end(), path,
                             [](const Entry& e, const std::string& p) { return e.path < p; });
  return it != sorted->end() && it->path == path ? &*it : nullptr;
}

// Fills `e` (its path set) from `st` the way the walk records an entry: metadata, a symlink's
// target, extended attributes when asked. Problems land in `errors`.
void Describe(const FimOptions& options, const struct stat& st, Entry* e,
              std::vector<ScanError>* errors) {
  FillFromStat(st, e);
  if (e->type == 'l') {
    std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
    ssize_t n = ::readlink(e->path.c_str(), target.data(), target.size());
    if (n < 0) {
      errors->push_back({e->path, "readlink: " + ErrnoText(errno)});
    } else {
      target.resize(static_cast<size_t>(n));
      e->link_target = std::move(target);
    }
  }
  if (options.xattrs) {
    auto xattrs = ReadXattrs(e->path);
    if (xattrs.ok()) {
      e->xattrs = std::move(*xattrs);
    } else {
      errors->push_back({e->path, xattrs.status().message()});
    }
  }
}

// Reads the open regular file `fd` (described by `st`) to its end and sets e->sha256. A short
// read once st_size bytes are in is the end of a regular file, so the read() that would only
// return 0 is skipped. Returns the problem text, or "" on success.
std::string HashOpenFile(int fd, const struct stat& st, Entry* e, std::vector<char>& buffer,
                         int64_t* bytes) {
  crypto::Sha256 sha;
  int64_t total = 0;
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return "read: " + ErrnoText(errno);
    }
    if (n == 0) break;
    sha.Update(buffer.data(), static_cast<size_t>(n));
    total += n;
    if (static_cast<size_t>(n) < buffer.size() && total >= st.st_size) break;
  }
  e->sha256 = sha.FinalHex();
  *bytes += total;
  return "";
}

// A regular file for a hash worker. With `stat_known` the entry holds the walk's lstat;
// otherwise the walk skipped the lstat (readdir said "regular file" and the hash needs an open
// and fstat anyway) and the entry has only its path.
struct HashTask {
  Entry entry;
  bool stat_known = true;
};

struct HashedEntry {
  Entry entry;
  std::vector<ScanError> errors;
  bool keep = true;  // false: vanished (or never stat-able), not recorded
  bool hashed = false;
};

// Hashes one file and refreshes its metadata from fstat, so the entry describes what was
// actually read. A file that vanished is dropped with "vanished during the scan"; one that
// cannot be opened or read is kept with its metadata and no hash.
HashedEntry RunHashTask(const FimOptions& options, const OpenForHash& open, HashTask task,
                        std::vector<char>& buffer, int64_t* bytes) {
  HashedEntry out{std::move(task.entry), {}, true, false};
  Entry& e = out.entry;
  auto fail = [&out, &e](std::string message, bool drop) {
    out.errors.push_back({e.path, std::move(message)});
    out.keep = !drop;
    e.sha256.clear();
    return std::move(out);
  };
  const int opened = open(e.path);
  if (opened < 0) {
    if (-opened == ENOENT) return fail("vanished during the scan", true);
    if (!task.stat_known) {
      struct stat st {};
      if (::lstat(e.path.c_str(), &st) != 0) {
        return fail(errno == ENOENT ? "vanished during the scan" : "lstat: " + ErrnoText(errno),
                    true);
      }
      Describe(options, st, &e, &out.errors);
      if (e.type != 'f') return out;  // replaced by a link or the like since the readdir
    }
    return fail("cannot open: " + ErrnoText(-opened), false);
  }
  const UniqueFd fd(opened);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail("fstat: " + ErrnoText(errno), !task.stat_known);
  if (!S_ISREG(st.st_mode)) {
    if (task.stat_known) return fail("replaced by a non-regular file during the scan", false);
    Describe(options, st, &e, &out.errors);  // a FIFO or device since the readdir
    return out;
  }
  FillFromStat(st, &e);
  std::string problem = HashOpenFile(fd.get(), st, &e, buffer, bytes);
  if (!problem.empty()) return fail(std::move(problem), false);
  out.hashed = true;
  return out;
}

// Overlaps the walk with hashing and with what consumes the entries. The scanning thread walks
// and queues regular files; `threads` workers (started with the first file) open, read and
// hash them; finished entries come back to the scanning thread, which collects them or hands
// them to the sink (the baseline's INSERTs) between directories. At most kMaxQueuedFiles files
// wait for a worker, so memory stays bounded on any tree; each worker owns one read buffer.
class ScanPipeline {
 public:
  ScanPipeline(const FimOptions& options, const OpenForHash& open, size_t threads,
               const EntrySink* sink, ScanResult* result)
      : options_(options), open_(open), threads_(threads), sink_(sink), result_(result) {}
  ScanPipeline(const ScanPipeline&) = delete;
  ScanPipeline& operator=(const ScanPipeline&) = delete;
  ~ScanPipeline() { (void)Finish(); }  // joins the workers; RunScan reads the status itself

  bool ok() const { return sink_status_.ok(); }
  // An entry that needs no hash (directory, link, file whose hash is reused).
  void Record(Entry entry) { Emit(std::move(entry)); }
  // A regular file to hash; hands on the entries finished meanwhile. Blocks while
  // kMaxQueuedFiles wait and none has finished (one that has means a worker freed a slot since
  // the last call, so the queue never holds more than kMaxQueuedFiles).
  void Queue(HashTask task) {
    if (workers_.empty()) Start();
    std::vector<HashedEntry> batch;
    {
      UniqueLock lock(mu_);
      while (tasks_.size() >= kMaxQueuedFiles && done_.empty()) WaitForWorkers(lock);
      tasks_.push_back(std::move(task));
      if (idle_ > 0) work_cv_.notify_one();
      batch.swap(done_);
    }
    Deliver(batch);
  }
  // Waits for every queued file and hands on the rest. The first sink error, if any.
  Status Finish() {
    {
      MutexLock lock(mu_);
      closed_ = true;
      work_cv_.notify_all();
    }
    bool last = false;
    while (!last) {
      std::vector<HashedEntry> batch;
      {
        UniqueLock lock(mu_);
        while (done_.empty() && running_ > 0) WaitForWorkers(lock);
        batch.swap(done_);
        last = running_ == 0;
        if (last) {
          result_->hashed_bytes += bytes_;
          bytes_ = 0;
        }
      }
      Deliver(batch);
    }
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    return sink_status_;
  }

 private:
  static constexpr size_t kMaxQueuedFiles = 1024;
  // The scanning thread, once blocked, is woken when the queue is half empty or (after the
  // walk) this many entries are done, not once per file: a wake-up per file cost more CPU in
  // context switches than the baseline's INSERTs.
  static constexpr size_t kDeliverBatch = 256;

  void WaitForWorkers(UniqueLock& lock) BEACON_REQUIRES(mu_) {
    main_waiting_ = true;
    main_cv_.wait(lock);
    main_waiting_ = false;
  }

  bool MainShouldWake() const BEACON_REQUIRES(mu_) {
    if (!main_waiting_) return false;
    return closed_ ? done_.size() >= kDeliverBatch : tasks_.size() <= kMaxQueuedFiles / 2;
  }

  void Start() {
    {
      MutexLock lock(mu_);
      running_ = threads_;
    }
    for (size_t t = 0; t < threads_; ++t) workers_.emplace_back([this] { Work(); });
  }

  void Work() {
    std::vector<char> buffer(kReadBuffer);
    int64_t bytes = 0;
    UniqueLock lock(mu_);
    while (true) {
      while (tasks_.empty() && !closed_) {
        ++idle_;
        work_cv_.wait(lock);
        --idle_;
      }
      if (tasks_.empty()) break;
      HashTask task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      HashedEntry done = RunHashTask(options_, open_, std::move(task), buffer, &bytes);
      lock.lock();
      done_.push_back(std::move(done));
      if (MainShouldWake()) main_cv_.notify_one();
    }
    bytes_ += bytes;
    --running_;
    main_cv_.notify_one();
  }

  // Hands on what the workers finished; called without the lock, so the sink's writes do not
  // hold up the workers.
  void Deliver(std::vector<HashedEntry>& batch) {
    for (HashedEntry& done : batch) {
      for (ScanError& error : done.errors) result_->errors.push_back(std::move(error));
      if (!done.keep) continue;
      if (done.hashed) ++result_->hashed_files;
      Emit(std::move(done.entry));
    }
  }

  void Emit(Entry entry) {
    if (!sink_status_.ok()) return;
    if (sink_ != nullptr) {
      sink_status_ = (*sink_)(entry);
    } else {
      result_->entries.push_back(std::move(entry));
    }
  }

  const FimOptions& options_;
  const OpenForHash& open_;
  const size_t threads_;
  const EntrySink* sink_;
  ScanResult* result_;                 // scanning thread only
  Status sink_status_ = Status::Ok();  // scanning thread only
  std::vector<std::thread> workers_;   // scanning thread only
  Mutex mu_;
  std::condition_variable_any work_cv_;  // a task was queued, or the queue closed
  std::condition_variable_any main_cv_;  // a file was hashed, or a worker ended
  std::deque<HashTask> tasks_ BEACON_GUARDED_BY(mu_);
  std::vector<HashedEntry> done_ BEACON_GUARDED_BY(mu_);
  bool closed_ BEACON_GUARDED_BY(mu_) = false;
  bool main_waiting_ BEACON_GUARDED_BY(mu_) = false;
  size_t idle_ BEACON_GUARDED_BY(mu_) = 0;  // workers waiting for a task
  size_t running_ BEACON_GUARDED_BY(mu_) = 0;
  int64_t bytes_ BEACON_GUARDED_BY(mu_) = 0;
};

// Walks one root (lstat, never following links): records directories, links and the like
// through `pipeline`, and regular files with the hash `reuse` finds for them, or queues them
// for hashing. With `stat_free_files` a regular file that readdir reports is queued without
// an lstat of its own (the worker's fstat describes it).
void Walk(const FimOptions& options, const std::string& root, bool root_expected, bool recursive,
          bool stat_free_files, const std::function<bool(const std::string&, bool)>& excluded,
          const std::function<const Entry*(const Entry&)>& reuse, ScanPipeline& pipeline,
          ScanResult* result) {
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0) {
    if (errno != ENOENT || !root_expected) {
      result->errors.push_back({root, "lstat: " + ErrnoText(errno)});
    }
    return;
  }
  std::vector<std::string> stack = {root};
  bool first = true;
  while (!stack.empty() && pipeline.ok()) {
    std::string path = std::move(stack.back());
    stack.pop_back();
    if (!first && ::lstat(path.c_str(), &st) != 0) {
      // Vanished between readdir and lstat: nothing to record.
      if (errno != ENOENT) result->errors.push_back({path, "lstat: " + ErrnoText(errno)});
      continue;
    }
    first = false;
    const bool is_dir = S_ISDIR(st.st_mode);
    if (excluded(path, is_dir)) continue;
    Entry e;
    e.path = std::move(path);
    Describe(options, st, &e, &result->errors);
    if (e.type == 'f') {
      if (const Entry* old = reuse(e)) {
        e.sha256 = old->sha256;
        pipeline.Record(std::move(e));
      } else {
        pipeline.Queue({std::move(e), true});
      }
      continue;
    }
    const std::string dir_path = is_dir && recursive ? e.path : std::string();
    pipeline.Record(std::move(e));
    if (dir_path.empty()) continue;
    DIR* dir = ::opendir(dir_path.c_str());
    if (dir == nullptr) {
      result->errors.push_back({dir_path, "cannot list: " + ErrnoText(errno)});
      continue;
    }
    while (struct dirent* d = ::readdir(dir)) {
      if (std::strcmp(d->d_name, ".") == 0 || std::strcmp(d->d_name, "..") == 0) continue;
      std::string child = JoinPath(dir_path, d->d_name);
      if (stat_free_files && d->d_type == DT_REG) {
        if (excluded(child, false)) continue;
        Entry file;
        file.path = std::move(child);
        pipeline.Queue({std::move(file), false});
      } else {
        stack.push_back(std::move(child));
      }
    }
    ::closedir(dir);
  }
}

}  // namespace

bool IsUnder(const std::string& path, const std::string& root) {
  if (path == root) return true;
  if (root == "/") return !path.empty() && path[0] == '/';
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

std::string EscapePath(const std::string& raw) {
  std::string out;
  out.reserve(raw.size());
  auto hex = [&out](unsigned char c) {
    static const char kDigits[] = "0123456789abcdef";
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  };
  for (size_t i = 0; i < raw.size();) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    if (c < 0x20 || c == 0x7f) {
      hex(c);
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF) is kept.
    const size_t len = Utf8SequenceLength(raw, i);
    if (len == 0) {
      hex(c);
      ++i;
      continue;
    }
    out.append(raw, i, len);
    i += len;
  }
  return out;
}

std::map<std::string, std::string> Attributes(const Entry& e) {
  char mode[16];
  std::snprintf(mode, sizeof(mode), "%04o", e.mode);
  std::map<std::string, std::string> out = {
      {"type", TypeName(e.type)},       {"mode", mode},
      {"uid", std::to_string(e.uid)},   {"gid", std::to_string(e.gid)},
      {"size", std::to_string(e.size)}, {"mtime", FormatNs(e.mtime_ns)},
      {"ctime", FormatNs(e.ctime_ns)},  {"inode", std::to_string(e.inode)},
  };
  if (e.type == 'f') out["sha256"] = e.sha256;
  if (e.type == 'l') out["link_target"] = EscapePath(e.link_target);
  if (e.xattrs) out["xattrs"] = EscapePath(*e.xattrs);
  return out;
}

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "fim.added";
    case ChangeKind::kRemoved:
      return "fim.removed";
    case ChangeKind::kChanged:
      return "fim.changed";
  }
  return "fim.changed";
}

nlohmann::json ChangeJson(const Change& change) {
  nlohmann::json out = {{"kind", ChangeKindName(change.kind)},
                        {"path", EscapePath(change.path)},
                        {"type", TypeName(change.entry.type)}};
  if (change.kind == ChangeKind::kChanged) {
    nlohmann::json changes = nlohmann::json::object();
    for (const auto& [key, values] : change.attributes) {
      changes[key] = nlohmann::json::array({values.first, values.second});
    }
    out["changes"] = std::move(changes);
  } else {
    out["attributes"] = Attributes(change.entry);
  }
  return out;
}

int DefaultOpenForHash(const std::string& path) {
  // O_NONBLOCK: a file replaced by a FIFO since the lstat must not block the worker.
  const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  int fd = ::open(path.c_str(), flags | O_NOATIME);
  // O_NOATIME is refused (EPERM) unless we own the file or are privileged.
  if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), flags);
  return fd < 0 ? -errno : fd;
}

std::map<std::string, std::pair<std::string, std::string>> DiffEntries(const Entry& old_entry,
                                                                       const Entry& new_entry) {
  std::map<std::string, std::string> a = Attributes(old_entry);
  std::map<std::string, std::string> b = Attributes(new_entry);
  if (old_entry.sha256.empty() || new_entry.sha256.empty()) {
    a.erase("sha256");
    b.erase("sha256");
  }
  if (!old_entry.xattrs || !new_entry.xattrs) {
    a.erase("xattrs");
    b.erase("xattrs");
  }
  std::map<std::string, std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : a) {
    auto it = b.find(key);
    const std::string now = it == b.end() ? "" : it->second;
    if (value != now) out[key] = {value, now};
  }
  for (const auto& [key, value] : b) {
    if (!a.count(key)) out[key] = {"", value};
  }
  return out;
}

std::vector<Change> Compare(const std::vector<Entry>& baseline, const std::vector<Entry>& current) {
  std::vector<Change> out;
  size_t i = 0, j = 0;
  while (i < baseline.size() || j < current.size()) {
    if (j >= current.size() || (i < baseline.size() && baseline[i].path < current[j].path)) {
      out.push_back({ChangeKind::kRemoved, baseline[i].path, {}, baseline[i]});
      ++i;
    } else if (i >= baseline.size() || current[j].path < baseline[i].path) {
      out.push_back({ChangeKind::kAdded, current[j].path, {}, current[j]});
      ++j;
    } else {
      // Most entries of a check are unchanged: skip building their attribute strings.
      auto diff = SameEntry(baseline[i], current[j])
                      ? std::map<std::string, std::pair<std::string, std::string>>()
                      : DiffEntries(baseline[i], current[j]);
      if (!diff.empty()) {
        out.push_back({ChangeKind::kChanged, current[j].path, std::move(diff), current[j]});
      }
      ++i;
      ++j;
    }
  }
  return out;
}

// --- Baseline ---------------------------------------------------------------------------------

Result<std::unique_ptr<Baseline>> Baseline::Open(const std::string& path, bool create) {
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec)) {
    return Status::NotFound("no baseline at " + path + " (run `beacon-agent fim init` first)");
  }
  store::DatabaseOptions options;
  options.create_if_missing = create;
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db,
                          store::Database::OpenAndMigrate(path, kBaselineMigrations, options));
  // `fim init` inserts in the order files finish hashing, not in key order: with SQLite's
  // default 2 MB page cache a 20,000-file baseline spilled pages to the WAL and read them back
  // mid-transaction (strace: 3,939 pwrite + 2,713 pread against 2,492 + 831 sorted). 16 MiB
  // holds the B-tree of about 100,000 entries.
  BEACON_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-16384"));
  return std::unique_ptr<Baseline>(new Baseline(std::move(db)));
}

Result<std::vector<Entry>> Baseline::Load() {
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("SELECT path, type, mode, uid, gid, size, mtime_ns, ctime_ns, inode, sha256, "
                  "link_target, xattrs FROM entries ORDER BY path"));
  std::vector<Entry> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    Entry e;
    e.path = stmt->ColumnBlob(0);
    const std::string type = stmt->ColumnText(1);
    e.type = type.empty() ? '?' : type[0];
    e.mode = static_cast<uint32_t>(stmt->ColumnInt(2));
    e.uid = static_cast<uint32_t>(stmt->ColumnInt(3));
    e.gid = static_cast<uint32_t>(stmt->ColumnInt(4));
    e.size = stmt->ColumnInt(5);
    e.mtime_ns = stmt->ColumnInt(6);
    e.ctime_ns = stmt->ColumnInt(7);
    e.inode = static_cast<uint64_t>(stmt->ColumnInt(8));
    e.sha256 = stmt->ColumnText(9);
    e.link_target = stmt->ColumnBlob(10);
    if (!stmt->ColumnIsNull(11)) e.xattrs = stmt->ColumnBlob(11);
    out.push_back(std::move(e));
  }
  return out;
}

Status Baseline::Insert(store::Statement& stmt, const Entry& e) {
  stmt.Reset();
  stmt.BindBlob(1, e.path)
      .Bind(2, std::string(1, e.type))
      .Bind(3, int64_t{e.mode})
      .Bind(4, int64_t{e.uid})
      .Bind(5, int64_t{e.gid})
      .Bind(6, e.size)
      .Bind(7, e.mtime_ns)
      .Bind(8, e.ctime_ns)
      .Bind(9, static_cast<int64_t>(e.inode))
      .Bind(10, e.sha256)
      .BindBlob(11, e.link_target);
  if (e.xattrs) {
    stmt.BindBlob(12, *e.xattrs);
  } else {
    stmt.BindNull(12);
  }
  return stmt.Run();
}

Status Baseline::Replace(const std::function<Status(const EntrySink& add)>& produce) {
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_RETURN_IF_ERROR(db_->Exec("DELETE FROM entries"));
  // OR REPLACE: overlapping roots (/etc and /etc/ssh) hand over the same path twice.
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  BEACON_RETURN_IF_ERROR(produce([&stmt, this](const Entry& e) { return Insert(*stmt, e); }));
  return tx.Commit();
}

Status Baseline::Apply(const std::vector<Entry>& upserts,
                       const std::vector<std::string>& removals) {
  if (upserts.empty() && removals.empty()) return Status::Ok();
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement insert,
      db_->Cached("INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  for (const Entry& e : upserts) BEACON_RETURN_IF_ERROR(Insert(*insert, e));
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement remove,
                          db_->Cached("DELETE FROM entries WHERE path = ?"));
  for (const std::string& path : removals) {
    remove->Reset();
    remove->BindBlob(1, path);
    BEACON_RETURN_IF_ERROR(remove->Run());
  }
  return tx.Commit();
}

int64_t Baseline::Count() {
  auto stmt = db_->Cached("SELECT COUNT(*) FROM entries");
  if (!stmt.ok()) return -1;
  auto row = (*stmt)->Step();
  return row.ok() && *row ? (*stmt)->ColumnInt(0) : -1;
}

// --- Scanner ----------------------------------------------------------------------------------

Scanner::Scanner(FimOptions options, OpenForHash open)
    : options_(std::move(options)), open_(open ? std::move(open) : DefaultOpenForHash) {}

bool Scanner::IsExcluded(const std::string& path, bool is_dir) const {
  if (GlobMatchesAny(options_.exclude, path)) return true;
  return !is_dir && !options_.include.empty() && !GlobMatchesAny(options_.include, path);
}

Status Scanner::RunScan(const std::vector<Entry>* previous, const std::vector<std::string>& roots,
                        bool recursive, bool report_missing, const EntrySink* sink,
                        ScanResult* result) const {
  auto excluded = [this](const std::string& path, bool is_dir) { return IsExcluded(path, is_dir); };
  // A file whose size, mtime, ctime, inode and type match the previous scan keeps its hash.
  auto reuse = [this, previous](const Entry& e) -> const Entry* {
    if (options_.paranoid) return nullptr;
    const Entry* old = Find(previous, e.path);
    if (old != nullptr && !old->sha256.empty() && old->type == e.type && old->size == e.size &&
        old->mtime_ns == e.mtime_ns && old->ctime_ns == e.ctime_ns && old->inode == e.inode) {
      return old;
    }
    return nullptr;
  };
  // When every file is hashed anyway, its lstat would only repeat the worker's fstat. Xattrs
  // are read by the walk, which needs the lstat.
  const bool stat_free_files = (previous == nullptr || options_.paranoid) && !options_.xattrs;
  const size_t threads = options_.workers > 0 ? static_cast<size_t>(options_.workers)
                                              : std::max(1u, std::thread::hardware_concurrency());
  ScanPipeline pipeline(options_, open_, threads, sink, result);
  for (const std::string& root : roots) {
    Walk(options_, root, !report_missing || Find(previous, root) != nullptr, recursive,
         stat_free_files, excluded, reuse, pipeline, result);
  }
  Status status = pipeline.Finish();
  std::sort(result->errors.begin(), result->errors.end(),
            [](const ScanError& a, const ScanError& b) { return a.path < b.path; });
  return status;
}

ScanResult Scanner::Scan(const std::vector<Entry>* previous, const std::vector<std::string>* roots,
                         bool recursive, bool report_missing) const {
  ScanResult result;
  // Without a sink entries are only collected, which cannot fail.
  (void)RunScan(previous, roots ? *roots : options_.paths, recursive, report_missing, nullptr,
                &result);
  std::sort(result.entries.begin(), result.entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  // Overlapping roots (/etc and /etc/ssh) would list entries twice.
  result.entries.erase(std::unique(result.entries.begin(), result.entries.end(),
                                   [](const Entry& a, const Entry& b) { return a.path == b.path; }),
                       result.entries.end());
  return result;
}

Result<ScanResult> Scanner::ScanTo(const EntrySink& sink) const {
  ScanResult result;
  BEACON_RETURN_IF_ERROR(RunScan(nullptr, options_.paths, true, true, &sink, &result));
  return result;
}

// --- Operations -------------------------------------------------------------------------------

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<CheckReport> Init(const Scanner& scanner, Baseline& baseline) {
  const auto start = std::chrono::steady_clock::now();
  // The scan streams into the baseline's transaction: rows are written while files are still
  // being hashed, and no entry list is held.
  ScanResult scan;
  BEACON_RETURN_IF_ERROR(baseline.Replace([&](const EntrySink& add) -> Status {
    Result<ScanResult> streamed = scanner.ScanTo(add);
    if (!streamed.ok()) return streamed.status();
    scan = std::move(*streamed);
    return Status::Ok();
  }));
  CheckReport report;
  report.errors = std::move(scan.errors);
  report.files = baseline.Count();
  report.duration_s = SecondsSince(start);
  return report;
}

Result<CheckReport> Check(const Scanner& scanner, Baseline& baseline, bool update) {
  const auto start = std::chrono::steady_clock::now();
  BEACON_ASSIGN_OR_RETURN(std::vector<Entry> old_entries, baseline.Load());
  ScanResult scan = scanner.Scan(&old_entries);
  CheckReport report;
  report.changes = Compare(old_entries, scan.entries);
  if (update) {
    // Write every entry whose stored form differs, including differences Compare does not
    // report (a hash that could not be computed before), so they are not re-hashed each time.
    std::vector<Entry> upserts;
    std::vector<std::string> removals;
    for (const Change& change : report.changes) {
      if (change.kind == ChangeKind::kRemoved) removals.push_back(change.path);
    }
    for (const Entry& e : scan.entries) {
      const Entry* old = Find(&old_entries, e.path);
      if (old == nullptr || !SameEntry(*old, e)) upserts.push_back(e);
    }
    BEACON_RETURN_IF_ERROR(baseline.Apply(upserts, removals));
  }
  report.errors = std::move(scan.errors);
  report.files = static_cast<int64_t>(scan.entries.size());
  report.duration_s = SecondsSince(start);
  return report;
}

namespace {

// The end of a partial check or accept: compares the baseline entries under the scanned paths
// with what the scan found, and moves the baseline forward when `update` is set.
Result<CheckReport> CompareSubset(const std::vector<Entry>& old_subset, ScanResult scan,
                                  Baseline& baseline, bool update,
                                  std::chrono::steady_clock::time_point start) {
  CheckReport report;
  report.changes = Compare(old_subset, scan.entries);
  if (update) {
    std::vector<std::string> removals;
    for (const Change& change : report.changes) {
      if (change.kind == ChangeKind::kRemoved) removals.push_back(change.path);
    }
    BEACON_RETURN_IF_ERROR(baseline.Apply(scan.entries, removals));
  }
  report.errors = std::move(scan.errors);
  report.files = static_cast<int64_t>(scan.entries.size());
  report.duration_s = SecondsSince(start);
  return report;
}

}  // namespace

Result<CheckReport> CheckPaths(const Scanner& scanner, Baseline& baseline,
                               const std::vector<DirtyPath>& paths, bool update) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> single, subtrees;
  for (const DirtyPath& dirty : paths) (dirty.recursive ? subtrees : single).push_back(dirty.path);
  std::sort(single.begin(), single.end());
  BEACON_ASSIGN_OR_RETURN(std::vector<Entry> old_entries, baseline.Load());
  ScanResult scan = scanner.Scan(&old_entries, &subtrees, true, false);
  ScanResult singles = scanner.Scan(&old_entries, &single, false, false);
  scan.entries.insert(scan.entries.end(), std::make_move_iterator(singles.entries.begin()),
                      std::make_move_iterator(singles.entries.end()));
  scan.errors.insert(scan.errors.end(), singles.errors.begin(), singles.errors.end());
  std::sort(scan.entries.begin(), scan.entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });
  scan.entries.erase(std::unique(scan.entries.begin(), scan.entries.end(),
                                 [](const Entry& a, const Entry& b) { return a.path == b.path; }),
                     scan.entries.end());
  std::vector<Entry> old_subset;
  for (const Entry& e : old_entries) {
    bool wanted = std::binary_search(single.begin(), single.end(), e.path);
    for (size_t k = 0; !wanted && k < subtrees.size(); ++k) wanted = IsUnder(e.path, subtrees[k]);
    if (wanted) old_subset.push_back(e);
  }
  return CompareSubset(old_subset, std::move(scan), baseline, update, start);
}

Status CheckAcceptPath(const Scanner& scanner, const std::string& path) {
  const std::string shown = "'" + EscapePath(path) + "'";
  if (path.empty() || path[0] != '/') {
    return Status::InvalidArgument(shown + " is not an absolute path");
  }
  if (path != "/" && std::filesystem::path(path).lexically_normal().string() != path) {
    return Status::InvalidArgument(shown +
                                   " is not a normal path (no '.', '..', '//' or "
                                   "trailing '/')");
  }
  const std::string* root = nullptr;
  for (const std::string& candidate : scanner.options().paths) {
    if (IsUnder(path, candidate) && (root == nullptr || candidate.size() > root->size())) {
      root = &candidate;
    }
  }
  if (root == nullptr) {
    return Status::InvalidArgument(shown +
                                   " is not under any configured fim path (inputs.fim.paths)");
  }
  // Every directory between the root and the path: lstat, never following a link.
  for (size_t slash = path.find('/', root->size() == 1 ? 1 : root->size() + 1);
       slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) break;  // gone: the accept records the removal
    if (S_ISLNK(st.st_mode)) {
      return Status::InvalidArgument(shown + ": '" + EscapePath(dir) +
                                     "' is a symbolic link; fim does not follow links");
    }
    if (!S_ISDIR(st.st_mode)) break;  // the path cannot exist below a file
    if (scanner.IsExcluded(dir, true)) {
      return Status::InvalidArgument(shown + ": '" + EscapePath(dir) +
                                     "' is excluded from fim (inputs.fim.exclude)");
    }
  }
  struct stat st {};
  const bool is_dir = ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (scanner.IsExcluded(path, is_dir)) {
    return Status::InvalidArgument(shown + " is excluded from fim (inputs.fim.include / exclude)");
  }
  return Status::Ok();
}

Result<CheckReport> Accept(const Scanner& scanner, Baseline& baseline,
                           const std::vector<std::string>& paths) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> roots;
  for (const std::string& raw : paths) {
    std::string path = std::filesystem::path(raw).lexically_normal().string();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path.empty() || path[0] != '/') {
      return Status::InvalidArgument("'" + EscapePath(raw) + "' is not an absolute path");
    }
    bool covered = false;
    for (const std::string& root : scanner.options().paths)
      covered = covered || IsUnder(path, root);
    if (!covered) {
      return Status::InvalidArgument("'" + EscapePath(path) +
                                     "' is not under any configured fim path");
    }
    roots.push_back(std::move(path));
  }
  BEACON_ASSIGN_OR_RETURN(std::vector<Entry> old_entries, baseline.Load());
  ScanResult scan = scanner.Scan(&old_entries, &roots);
  std::vector<Entry> old_subset;
  for (const Entry& e : old_entries) {
    for (const std::string& root : roots) {
      if (IsUnder(e.path, root)) {
        old_subset.push_back(e);
        break;
      }
    }
  }
  return CompareSubset(old_subset, std::move(scan), baseline, /*update=*/true, start);
}

}  // namespace beacon::agent::fim
