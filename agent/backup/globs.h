// Which files of a backup set are backed up: include/exclude globs on the path relative to
// the set's root, plus the built-in temporary names editors and sync tools leave behind.
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/backup/backup_config.h"

namespace beacon::agent::backup {

// True for names that are never final content: vim swap files (*.swp, *.swx), backups (*~),
// emacs locks (.#*), *.tmp, rsync's ".name.XXXXXX" and `sed -i`'s "sedXXXXXX" temp files.
// The final file arrives with IN_MOVED_TO under its real name.
bool IsTempName(std::string_view base_name);

// Globs in the dialect of common/glob.h (`*` stays within a component, `**` crosses '/'):
//  - a pattern without '/' matches the file name, or any directory name on the way, at any
//    depth ("*.log", "cache");
//  - a pattern with '/' matches the relative path, or the relative path of a directory on the
//    way ("logs/*.log", "tmp/*", "conf/**/*.yaml").
// A file is selected when it matches an include pattern (or include is empty), neither it nor
// any directory on its relative path is excluded, and its name is not a temporary name.
class PathFilter {
 public:
  PathFilter() = default;
  PathFilter(std::vector<std::string> include, std::vector<std::string> exclude);

  // `relative`: the file's path below its root without a leading '/' ("a/b/app.log"); for a
  // root that is itself a file, its base name.
  bool SelectsFile(std::string_view relative) const;
  // False when the directory (relative to the root, "" for the root) is excluded, so walks and
  // watches prune it.
  bool EntersDirectory(std::string_view relative) const;

 private:
  // Whether an exclude pattern matches `relative` or a directory on its way.
  bool Excluded(std::string_view relative) const;

  std::vector<std::string> include_;
  std::vector<std::string> exclude_;
};

// Which absolute paths belong to one backup set: below one of its directory roots and selected
// by its globs, or equal to one of its file roots. Roots are classified (directory or file) at
// construction.
class SetSelector {
 public:
  explicit SetSelector(const BackupSetConfig& set);
  bool SelectsFile(const std::string& path) const;
  // Directories to walk or watch: below a directory root and not excluded, or the parent of a
  // file root (watched alone, so a file replaced by rename is seen).
  bool EntersDirectory(const std::string& dir) const;
  // Directories to watch: (path, recursive).
  const std::vector<std::pair<std::string, bool>>& watch_roots() const { return watch_roots_; }
  const std::vector<std::string>& dir_roots() const { return dir_roots_; }
  const std::vector<std::string>& file_roots() const { return file_roots_; }

 private:
  PathFilter filter_;
  std::vector<std::string> dir_roots_;
  std::vector<std::string> file_roots_;
  std::vector<std::pair<std::string, bool>> watch_roots_;
};

// The path of `path` below `root` ("" when equal), or false when it is not below it.
bool RelativeTo(const std::string& root, const std::string& path, std::string* relative);

}  // namespace beacon::agent::backup
