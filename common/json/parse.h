// ParseJson: the one way Beacon reads JSON that comes from outside the process (HTTP bodies,
// replies of peers, files and arguments users hand in). Pure functions; thread-safe.
//
// nlohmann's parser itself is iterative, but dump(), copies and comparisons of the tree it
// builds recurse once per nesting level, so 200 KB of '[' would overflow a worker's stack long
// after parsing "succeeded". ParseJson therefore checks nesting depth, size and the number of
// values in one allocation-free pass over the text (honouring strings and escapes) before any
// tree exists, and only then lets nlohmann build it.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/status.h"

namespace beacon {

inline constexpr size_t kDefaultJsonMaxDepth = 64;

struct JsonLimits {
  // Most arrays/objects open at once: "[]" is depth 1, "[[]]" depth 2. Deeper is
  // InvalidArgument "JSON nested deeper than 64 levels at byte N" (N: offset of the bracket).
  size_t max_depth = kDefaultJsonMaxDepth;
  // Longest text; more is ResourceExhausted. Callers usually bound bodies earlier (the HTTP
  // server's per-route limit, the client's max_response_bytes); this is the last guard.
  size_t max_bytes = size_t{64} * 1024 * 1024;
  // Most values in the text: every array, object, string (object keys included), number and
  // literal counts once. Bounds the tree's memory, which can be ~30 times the text for
  // "[{},{},...]"; more is ResourceExhausted.
  size_t max_values = 1000000;
};

// The parsed value. InvalidArgument for text that is not one JSON value (the message says
// where: "invalid JSON at byte 7: syntax error while parsing value - invalid literal", without
// echoing the input) or too deep; ResourceExhausted for too many bytes or values. Invalid
// UTF-8 inside strings is InvalidArgument, so every parsed tree can be dumped safely.
Result<nlohmann::json> ParseJson(std::string_view text, const JsonLimits& limits = {});

// ParseJson for a request body: syntax and depth errors read "malformed JSON body: <ParseJson's
// message>", one wording for every endpoint; the codes stay ParseJson's, so
// http::ErrorResponse answers 400 (InvalidArgument) or 413 (ResourceExhausted).
Result<nlohmann::json> ParseJsonBody(std::string_view body, const JsonLimits& limits = {});

// Nesting depth of a tree (0 for a scalar, 1 for "[]"), computed without recursion: for trees
// built in code rather than by ParseJson, before a recursive reader walks them.
size_t JsonDepth(const nlohmann::json& value);

}  // namespace beacon
