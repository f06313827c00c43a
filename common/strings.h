// Small text helpers shared by the parsers, the HTTP code and the renderers. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace beacon {

// What TrimWhitespace removes: space, tab, CR and LF.
inline constexpr std::string_view kWhitespace = " \t\r\n";
// What std::isspace matches in the C locale (kWhitespace plus form feed and vertical tab).
inline constexpr std::string_view kAsciiSpace = " \t\n\v\f\r";
// HTTP's optional whitespace around header values and list elements (RFC 9110 OWS).
inline constexpr std::string_view kHttpSpace = " \t";

// Fields separated by runs of spaces and tabs ("  a\tb  c" -> {a, b, c}); views into `line`.
std::vector<std::string_view> SplitWhitespace(std::string_view line);
// `text` without leading and trailing characters that occur in `chars`; a view into `text`.
std::string_view Trim(std::string_view text, std::string_view chars);
// Trim(text, kWhitespace).
std::string_view TrimWhitespace(std::string_view text);
// ASCII letters lower-cased; every other byte (UTF-8 included) unchanged.
std::string Lower(std::string_view text);

// The length (1 to 4) of the well-formed UTF-8 sequence that starts at text[i] (i < size),
// or 0 when none does: RFC 3629, so overlong forms, surrogates and code points above U+10FFFF
// are not well-formed.
size_t Utf8SequenceLength(std::string_view text, size_t i);
// The longest prefix of `text` that has at most max_bytes and does not end inside a UTF-8
// sequence (a view into `text`; `text` itself when it fits).
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

// For error messages that quote a peer's reply: at most max_bytes of `text` (never cutting a UTF-8
// sequence), control characters (newlines included) replaced by spaces.
std::string Snippet(std::string_view text, size_t max_bytes = 60);

// The entity of & < > ("&amp;", "&lt;", "&gt;"); empty for every other character. The part of
// escaping markup that XML, HTML and WeCom markdown share.
std::string_view AngleEntity(char c);

// Which quote characters EscapeMarkup replaces besides & < > (always) and " (always).
enum class Apostrophe { kEscape, kKeep };
// `text` with & < > " (and ' unless kKeep) replaced by their XML/HTML entities, for element text
// and attribute values. kKeep is for HTML consumers that do not know &apos; (WeCom textcards).
std::string EscapeMarkup(std::string_view text, Apostrophe apostrophe = Apostrophe::kEscape);

}  // namespace beacon
