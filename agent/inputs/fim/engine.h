// File integrity engine: walks configured paths (lstat, never following symlinks), hashes
// regular files in parallel, keeps a SQLite baseline and compares scans against it. Used by
// the `fim` input, by `beacon-agent fim init|check|accept` and later by the bot.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/glob.h"
#include "common/status.h"
#include "common/store/sqlite.h"

namespace beacon::agent::fim {

struct FimOptions {
  std::vector<std::string> paths;  // absolute roots (files or directories)
  // Globs (common/glob.h) on absolute paths. include: for non-directory entries, empty =
  // everything; exclude: an excluded directory is not descended into.
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool paranoid = false;      // re-hash files whose metadata is unchanged too
  bool xattrs = false;        // record extended attributes
  int workers = 0;            // hashing threads; 0 = hardware threads
  std::string baseline_path;  // empty: the caller's default
  bool realtime = true;       // the input also watches with inotify (not the CLI)
};

// One filesystem entry as recorded. `path` holds the raw bytes of the name.
struct Entry {
  std::string path;
  char type = '?';  // f regular, d directory, l symlink, c char dev, b block dev, p fifo, s socket
  uint32_t mode = 0;  // permission bits (st_mode & 07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  std::string sha256;       // hex; regular files only; empty when the file could not be read
  std::string link_target;  // symlinks only, raw bytes
  std::optional<std::string> xattrs;  // "name=hexvalue\n..." sorted, when xattrs are recorded
};

// Attributes of an entry as display strings ("mode" -> "0644"), for reports and events.
std::map<std::string, std::string> Attributes(const Entry& entry);
// Text that is safe to print and to put into JSON: valid UTF-8 is kept, other bytes and control
// characters become \xHH, a backslash becomes "\\".
std::string EscapePath(const std::string& raw);

enum class ChangeKind { kAdded, kRemoved, kChanged };
const char* ChangeKindName(ChangeKind kind);  // "fim.added", "fim.removed", "fim.changed"

struct Change {
  ChangeKind kind = ChangeKind::kChanged;
  std::string path;  // raw bytes
  // kChanged: attribute -> (old, new); only attributes that differ. kAdded/kRemoved: every
  // attribute of the entry as (value, value) is not used; see `entry`.
  std::map<std::string, std::pair<std::string, std::string>> attributes;
  Entry entry;  // the new entry (added, changed) or the old one (removed)
};

// A problem with one path that did not stop the scan (unreadable, vanished, not listable).
struct ScanError {
  std::string path;  // raw bytes
  std::string message;
};

struct ScanResult {
  std::vector<Entry> entries;  // sorted by path (bytes)
  std::vector<ScanError> errors;
  int64_t hashed_files = 0;
  int64_t hashed_bytes = 0;
};

// Opens a file for hashing; returns an fd or -errno. Injectable so tests can simulate files
// that vanish or cannot be read whatever the test's privileges.
using OpenForHash = std::function<int(const std::string& path)>;
int DefaultOpenForHash(const std::string& path);

// Event data / JSON report object of one change: {"kind", "path", "type", and for fim.changed
// "changes": {attribute: [old, new]}, otherwise "attributes": {attribute: value}}.
nlohmann::json ChangeJson(const Change& change);

// Compares two entries; attribute -> (old, new) for each difference. A sha256 that is empty on
// either side (unreadable file) is not compared.
std::map<std::string, std::pair<std::string, std::string>> DiffEntries(const Entry& old_entry,
                                                                       const Entry& new_entry);
// Merges two sorted entry lists into changes, in path order.
std::vector<Change> Compare(const std::vector<Entry>& baseline, const std::vector<Entry>& current);

// Receives scanned entries one by one; an error stops the scan.
using EntrySink = std::function<Status(const Entry& entry)>;

// The SQLite baseline. One thread at a time.
class Baseline {
 public:
  // Opens (creating when `create`) the baseline file; NotFound when missing and !create.
  static Result<std::unique_ptr<Baseline>> Open(const std::string& path, bool create);
  // Every entry sorted by path.
  Result<std::vector<Entry>> Load();
  // Replaces the whole content in one transaction with what `produce` hands to `add` (in any
  // order; a path added twice keeps its last entry). On any error nothing changes.
  Status Replace(const std::function<Status(const EntrySink& add)>& produce);
  // In one transaction: upserts `upserts`, deletes `removals`.
  Status Apply(const std::vector<Entry>& upserts, const std::vector<std::string>& removals);
  int64_t Count();

 private:
  explicit Baseline(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  Status Insert(store::Statement& stmt, const Entry& entry);
  std::unique_ptr<store::Database> db_;
};

class Scanner {
 public:
  explicit Scanner(FimOptions options, OpenForHash open = nullptr);
  // Walks `roots` (default: options.paths). An entry whose size, mtime, ctime, inode and type
  // equal the one in `previous` reuses its hash unless paranoid. Per-path problems land in
  // ScanResult.errors; the scan itself does not fail.
  // With `recursive` false only the roots themselves are recorded (realtime updates of single
  // entries); a root that does not exist is an error only when `report_missing`.
  ScanResult Scan(const std::vector<Entry>* previous,
                  const std::vector<std::string>* roots = nullptr, bool recursive = true,
                  bool report_missing = true) const;
  // Walks options().paths and hashes every regular file like Scan(nullptr), but hands each
  // entry to `sink` (on the calling thread, in no particular order) as soon as it is complete
  // instead of collecting it: ScanResult.entries stays empty, memory stays bounded. The first
  // sink error stops the scan and is returned.
  Result<ScanResult> ScanTo(const EntrySink& sink) const;
  const FimOptions& options() const { return options_; }
  // Whether the exclude / include globs leave `path` out.
  bool IsExcluded(const std::string& path, bool is_dir) const;

 private:
  // Walks `roots` while `workers` threads hash (see ScanPipeline in engine.cpp); entries go to
  // `sink` when given, else into result->entries (unsorted). Errors are sorted by path.
  Status RunScan(const std::vector<Entry>* previous, const std::vector<std::string>& roots,
                 bool recursive, bool report_missing, const EntrySink* sink,
                 ScanResult* result) const;
  FimOptions options_;
  OpenForHash open_;
};

struct CheckReport {
  std::vector<Change> changes;
  std::vector<ScanError> errors;
  int64_t files = 0;  // entries in the current scan
  double duration_s = 0;
};

// Builds the baseline from scratch.
Result<CheckReport> Init(const Scanner& scanner, Baseline& baseline);
// Scans and compares against the baseline; with `update`, the baseline then holds the current
// state (so the same change is not reported twice).
Result<CheckReport> Check(const Scanner& scanner, Baseline& baseline, bool update);
// A path to re-check after a realtime notification: the entry alone, or with its subtree.
struct DirtyPath {
  std::string path;
  bool recursive = false;
};
// Checks only `paths` against the matching part of the baseline (the entry itself, or the
// entry and everything below it) and, with `update`, records their current state. Paths that
// no longer exist are not errors: they show as removals when the baseline had them.
Result<CheckReport> CheckPaths(const Scanner& scanner, Baseline& baseline,
                               const std::vector<DirtyPath>& paths, bool update);
// True when `path` is `root` or lies below it.
bool IsUnder(const std::string& path, const std::string& root);
// Whether `path` may be accepted for a remote operator (the "fim.accept" command), which must
// never reach outside what the input watches: absolute, with no empty, "." or ".." segment;
// under one of options().paths; no symbolic link on the way below the (longest) root that
// covers it (the path itself may be one: links are recorded, never followed); neither the path
// nor a directory on the way left out by include/exclude (the baseline would then hold what
// every check misses, and report it as removed). InvalidArgument saying which rule failed.
Status CheckAcceptPath(const Scanner& scanner, const std::string& path);
// Accepts the current state of each path (and everything below it) into the baseline: present
// entries are written, vanished ones deleted. Paths must lie under a configured root. Returns
// the changes that were accepted.
Result<CheckReport> Accept(const Scanner& scanner, Baseline& baseline,
                           const std::vector<std::string>& paths);

}  // namespace beacon::agent::fim
