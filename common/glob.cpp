// Path glob matching (see glob.h for the dialect). The matcher is a backtracking one with
// git's wildmatch pruning: when the rest of a pattern failed at every position after a star,
// no earlier star can do better, so the whole match fails at once instead of retrying.
#include "common/glob.h"

namespace beacon {
namespace {

enum class Outcome {
  kMatch,
  kNoMatch,
  kAbortAll,           // the text ran out: no earlier star can help
  kAbortToDoubleStar,  // a single star met '/': only an earlier `**` can help
};

// The class starting at pattern[open] == '['; returns the index after its ']' (npos when it is
// not closed, and then '[' is a literal) and sets *in to whether `c` is selected by it.
size_t MatchClass(std::string_view pattern, size_t open, unsigned char c, bool* in) {
  size_t k = open + 1;
  const bool negate = k < pattern.size() && (pattern[k] == '!' || pattern[k] == '^');
  if (negate) ++k;
  // A ']' right after '[' or '[!' is a member, not the end.
  const size_t close = pattern.find(']', k + 1);
  if (close == std::string_view::npos) return close;
  bool hit = false;
  for (; k < close; ++k) {
    const auto low = static_cast<unsigned char>(pattern[k]);
    if (k + 2 < close && pattern[k + 1] == '-') {
      hit = hit || (c >= low && c <= static_cast<unsigned char>(pattern[k + 2]));
      k += 2;
    } else {
      hit = hit || c == low;
    }
  }
  *in = hit != negate;
  return close + 1;
}

Outcome Match(std::string_view p, size_t pi, std::string_view t, size_t ti) {
  while (pi < p.size()) {
    const char c = p[pi];
    if (c == '*') {
      size_t next = pi + 1;
      const bool cross = next < p.size() && p[next] == '*';
      while (next < p.size() && p[next] == '*') ++next;
      if (next == p.size()) {
        return cross || t.find('/', ti) == std::string_view::npos ? Outcome::kMatch
                                                                  : Outcome::kNoMatch;
      }
      // "**/" also matches no component: "a/**/b" matches "a/b".
      if (cross && p[next] == '/' && Match(p, next + 1, t, ti) == Outcome::kMatch) {
        return Outcome::kMatch;
      }
      // The star takes t[ti, k); the rest of the pattern (which starts with something other
      // than a star, so it needs at least one character) must match from k.
      for (size_t k = ti; k < t.size(); ++k) {
        const Outcome rest = Match(p, next, t, k);
        if (rest == Outcome::kMatch || rest == Outcome::kAbortAll) return rest;
        if (rest == Outcome::kAbortToDoubleStar) {
          if (!cross) return rest;
        } else if (!cross && t[k] == '/') {
          return Outcome::kAbortToDoubleStar;
        }
      }
      return Outcome::kAbortAll;
    }
    if (ti >= t.size()) return Outcome::kAbortAll;
    const auto tc = static_cast<unsigned char>(t[ti]);
    if (c == '?') {
      if (tc == '/') return Outcome::kNoMatch;
    } else if (c == '[') {
      bool in = false;
      const size_t after = MatchClass(p, pi, tc, &in);
      if (after == std::string_view::npos) {
        if (tc != '[') return Outcome::kNoMatch;
      } else {
        if (!in || tc == '/') return Outcome::kNoMatch;
        pi = after;
        ++ti;
        continue;
      }
    } else if (c == '\\' && pi + 1 < p.size()) {
      ++pi;
      if (tc != static_cast<unsigned char>(p[pi])) return Outcome::kNoMatch;
    } else if (tc != static_cast<unsigned char>(c)) {
      return Outcome::kNoMatch;
    }
    ++pi;
    ++ti;
  }
  return ti == t.size() ? Outcome::kMatch : Outcome::kNoMatch;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  if (pattern.find('/') == std::string_view::npos) {
    const size_t slash = path.rfind('/');
    if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  }
  return Match(pattern, 0, path, 0) == Outcome::kMatch;
}

bool GlobMatchesAny(const std::vector<std::string>& patterns, std::string_view path) {
  for (const std::string& pattern : patterns) {
    if (GlobMatch(pattern, path)) return true;
  }
  return false;
}

std::string EscapeGlob(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace beacon
