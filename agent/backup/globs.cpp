// Include/exclude selection of backup sets (see globs.h), on common/glob.h's dialect.
#include "agent/backup/globs.h"

#include <sys/stat.h>

#include <utility>

#include "common/glob.h"

namespace beacon::agent::backup {
namespace {

// sed -i writes "sed" + 6 random letters/digits (mkstemp); rsync ".<name>.<6 random>".
#define BEACON_RAND6 "[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]"
constexpr const char* kTempPatterns[] = {
    "*.swp", "*.swx", "*~", ".#*", "*.tmp", ".*." BEACON_RAND6, "sed" BEACON_RAND6};
#undef BEACON_RAND6

}  // namespace

bool IsTempName(std::string_view base_name) {
  for (const char* pattern : kTempPatterns) {
    if (GlobMatch(pattern, base_name)) return true;
  }
  return false;
}

PathFilter::PathFilter(std::vector<std::string> include, std::vector<std::string> exclude)
    : include_(std::move(include)), exclude_(std::move(exclude)) {}

bool PathFilter::Excluded(std::string_view relative) const {
  // The path itself, then each directory on the way ("a/b/c": "a/b", then "a").
  for (std::string_view path = relative; !path.empty();) {
    if (GlobMatchesAny(exclude_, path)) return true;
    const size_t slash = path.rfind('/');
    path = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
  }
  return false;
}

bool PathFilter::SelectsFile(std::string_view relative) const {
  if (relative.empty()) return false;
  const size_t slash = relative.rfind('/');
  const std::string_view name =
      slash == std::string_view::npos ? relative : relative.substr(slash + 1);
  if (IsTempName(name) || Excluded(relative)) return false;
  // Include patterns without '/' look at the file name only: "*.log" does not select every
  // file of a directory called "x.log".
  return include_.empty() || GlobMatchesAny(include_, relative);
}

bool PathFilter::EntersDirectory(std::string_view relative) const {
  return relative.empty() || !Excluded(relative);
}

SetSelector::SetSelector(const BackupSetConfig& set) : filter_(set.include, set.exclude) {
  for (const std::string& path : set.paths) {
    struct stat st {};
    // A root that is missing now is treated as a directory: it may be created later.
    if (::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      file_roots_.push_back(path);
      const size_t slash = path.rfind('/');
      watch_roots_.emplace_back(slash == 0 ? "/" : path.substr(0, slash), false);
    } else {
      dir_roots_.push_back(path);
      watch_roots_.emplace_back(path, true);
    }
  }
}

bool SetSelector::SelectsFile(const std::string& path) const {
  for (const std::string& root : file_roots_) {
    if (path == root) return true;
  }
  std::string relative;
  for (const std::string& root : dir_roots_) {
    if (RelativeTo(root, path, &relative) && filter_.SelectsFile(relative)) return true;
  }
  return false;
}

bool SetSelector::EntersDirectory(const std::string& dir) const {
  std::string relative;
  for (const std::string& root : dir_roots_) {
    if (RelativeTo(root, dir, &relative) && filter_.EntersDirectory(relative)) return true;
  }
  for (const auto& [watch, recursive] : watch_roots_) {
    if (!recursive && watch == dir) return true;
  }
  return false;
}

bool RelativeTo(const std::string& root, const std::string& path, std::string* relative) {
  if (path == root) {
    relative->clear();
    return true;
  }
  const std::string prefix = root == "/" ? root : root + "/";
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  *relative = path.substr(prefix.size());
  return true;
}

}  // namespace beacon::agent::backup
