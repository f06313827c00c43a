// Path globs: the one dialect of every `include` / `exclude` list (the fim input, backup sets),
// documented for operators in docs/configuration.md ("Path globs"). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace beacon {

// Whether `path` matches the glob `pattern`, the way rsync and .gitignore read excludes:
//  - `*` matches any run of characters within one path component (never '/'), `?` one
//    character other than '/', `[a-z]` / `[!a-z]` (or `[^a-z]`) one character (never '/') of
//    or not of the class; `\` makes the next character literal;
//  - `**` matches any run of characters, '/' included, so any number of components;
//    `**/` also matches no component at all ("a/**/b" matches "a/b" and "a/x/y/b");
//  - a pattern without '/' is matched against the last component of `path` only ("*.log"
//    matches "x/y/app.log"); a pattern with '/' against the whole of `path`.
// Neither '.' at the start of a name nor anything else is special: `*` matches ".bashrc".
// Time is polynomial in the sizes (no exponential backtracking on "*a*a*a*b").
bool GlobMatch(std::string_view pattern, std::string_view path);

// Whether any of `patterns` matches `path` (false for an empty list).
bool GlobMatchesAny(const std::vector<std::string>& patterns, std::string_view path);

// `text` with every glob special character (`*`, `?`, `[`, `\`) escaped, so it matches only
// itself.
std::string EscapeGlob(std::string_view text);

}  // namespace beacon
