// URL text: RFC 3986 percent-encoding (query strings, object-store paths and signatures,
// backup metadata) and the http(s) scheme check of configured URLs. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon {

// RFC 3986: the unreserved characters A-Z a-z 0-9 - . _ ~ and those in `keep` (e.g. "/" for
// object paths) stay, every other byte becomes %XX with upper-case hex digits.
std::string PercentEncode(std::string_view text, std::string_view keep = {});

// The inverse for text Beacon wrote itself: a '%' not followed by two hex digits is
// InvalidArgument ("bad percent escape at offset N").
Result<std::string> PercentDecode(std::string_view text);

// Whether '+' decodes as a space (query strings and forms) or stands for itself (paths).
enum class PlusSign { kLiteral, kSpace };
// The inverse for what arbitrary clients send: a malformed escape ("100%", "%zz") is kept
// literally rather than rejected, as browsers and curl users expect.
std::string PercentDecodeLenient(std::string_view text, PlusSign plus);

// True when `url` starts with "http://" or "https://" (as written: the scheme is not
// lower-cased first).
bool IsHttpUrl(std::string_view url);

}  // namespace beacon
