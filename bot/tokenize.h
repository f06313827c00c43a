// Splits a chat line into words the way people type on a phone: runs of ASCII whitespace,
// ideographic (full-width) spaces and no-break spaces separate words; "…" and “…” quote a word
// that holds spaces. Pure functions; thread-safe. The input is from outside: bounded and
// UTF-8-checked, so a hostile line costs at most kMaxLineBytes of work.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::bot {

inline constexpr size_t kMaxLineBytes = 4096;
inline constexpr size_t kMaxWords = 64;

// The words of `line`, quotes removed. InvalidArgument for malformed UTF-8 or an unclosed
// quote ("unclosed quote “ at byte 7"); ResourceExhausted above kMaxLineBytes or kMaxWords.
// An empty or all-space line gives no words.
Result<std::vector<std::string>> Tokenize(std::string_view line);

}  // namespace beacon::bot
