// Include/exclude glob matching for backup sets (see globs.h for the rules).
#include "agent/backup/globs.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <utility>

namespace beacon::agent::backup {
namespace {

// sed -i writes "sed" + 6 random letters/digits (mkstemp); rsync ".<name>.<6 random>".
#define BEACON_RAND6 "[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]"
constexpr const char* kTempPatterns[] = {"*.swp", "*.swx", "*~", ".#*", "*.tmp",
                                         ".*." BEACON_RAND6, "sed" BEACON_RAND6};
#undef BEACON_RAND6

bool Match(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Every component of `relative` (directories and the last name).
std::vector<std::string> Components(std::string_view relative) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    if (slash > start) parts.emplace_back(relative.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool HasSlash(const std::string& pattern) { return pattern.find('/') != std::string::npos; }

// A pattern matches a path when (no '/') one of `names` matches, or ('/') the whole path does.
bool AnyMatches(const std::vector<std::string>& patterns, const std::string& path,
                const std::vector<std::string>& names) {
  for (const std::string& pattern : patterns) {
    if (HasSlash(pattern)) {
      if (Match(pattern, path)) return true;
      continue;
    }
    for (const std::string& name : names) {
      if (Match(pattern, name)) return true;
    }
  }
  return false;
}

}  // namespace

bool IsTempName(std::string_view base_name) {
  const std::string name(base_name);
  for (const char* pattern : kTempPatterns) {
    if (::fnmatch(pattern, name.c_str(), 0) == 0) return true;
  }
  return false;
}

PathFilter::PathFilter(std::vector<std::string> include, std::vector<std::string> exclude)
    : include_(std::move(include)), exclude_(std::move(exclude)) {}

bool PathFilter::SelectsFile(std::string_view relative) const {
  if (relative.empty() || IsTempName(BaseName(relative))) return false;
  const std::string path(relative);
  const std::vector<std::string> names = Components(relative);
  // Excluded by the file's own name/path or by any directory on the way.
  if (AnyMatches(exclude_, path, names)) return false;
  for (size_t i = 1; i < names.size(); ++i) {
    std::string dir;
    for (size_t j = 0; j < i; ++j) dir += (j ? "/" : "") + names[j];
    for (const std::string& pattern : exclude_) {
      if (HasSlash(pattern) && Match(pattern, dir)) return false;
    }
  }
  if (include_.empty()) return true;
  // Include patterns without '/' look at the file name only: "*.log" must not select every
  // file of a directory called "x.log".
  for (const std::string& pattern : include_) {
    if (Match(pattern, HasSlash(pattern) ? path : names.back())) return true;
  }
  return false;
}

bool PathFilter::EntersDirectory(std::string_view relative) const {
  if (relative.empty()) return true;
  const std::string path(relative);
  return !AnyMatches(exclude_, path, Components(relative));
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
