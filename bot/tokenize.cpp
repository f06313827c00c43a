// Tokenize: one pass over the UTF-8 line; see tokenize.h.
#include "bot/tokenize.h"

#include "common/strings.h"

namespace beacon::bot {
namespace {

constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000
constexpr std::string_view kNoBreakSpace = "\xC2\xA0";          // U+00A0
constexpr std::string_view kLeftDoubleQuote = "\xE2\x80\x9C";   // U+201C “
constexpr std::string_view kRightDoubleQuote = "\xE2\x80\x9D";  // U+201D ”

// Bytes of the separator starting at line[i], 0 when none does.
size_t SeparatorAt(std::string_view line, size_t i) {
  if (kAsciiSpace.find(line[i]) != std::string_view::npos) return 1;
  std::string_view rest = line.substr(i);
  if (rest.starts_with(kIdeographicSpace)) return kIdeographicSpace.size();
  if (rest.starts_with(kNoBreakSpace)) return kNoBreakSpace.size();
  return 0;
}

}  // namespace

Result<std::vector<std::string>> Tokenize(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return Status::ResourceExhausted("the line has " + std::to_string(line.size()) +
                                     " bytes, at most " + std::to_string(kMaxLineBytes) +
                                     " are read");
  }
  for (size_t i = 0; i < line.size();) {
    size_t n = Utf8SequenceLength(line, i);
    if (n == 0) {
      return Status::InvalidArgument("the line is not valid UTF-8 (byte " + std::to_string(i) +
                                     ")");
    }
    i += n;
  }
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  auto finish = [&]() -> Status {
    if (!in_word) return Status::Ok();
    if (words.size() == kMaxWords) {
      return Status::ResourceExhausted("more than " + std::to_string(kMaxWords) + " words");
    }
    words.push_back(std::move(word));
    word.clear();
    in_word = false;
    return Status::Ok();
  };
  size_t i = 0;
  while (i < line.size()) {
    if (size_t sep = SeparatorAt(line, i); sep > 0) {
      BEACON_RETURN_IF_ERROR(finish());
      i += sep;
      continue;
    }
    std::string_view rest = line.substr(i);
    std::string_view close;
    size_t open_len = 0;
    if (rest[0] == '"') {
      close = "\"";
      open_len = 1;
    } else if (rest.starts_with(kLeftDoubleQuote)) {
      close = kRightDoubleQuote;
      open_len = kLeftDoubleQuote.size();
    }
    if (open_len > 0) {
      size_t end = line.find(close, i + open_len);
      if (end == std::string_view::npos) {
        return Status::InvalidArgument("unclosed quote " + std::string(rest.substr(0, open_len)) +
                                       " at byte " + std::to_string(i));
      }
      // A quoted part joins the word it touches ("a"b is one word), and "" is an empty word.
      word.append(line.substr(i + open_len, end - i - open_len));
      in_word = true;
      i = end + close.size();
      continue;
    }
    size_t n = Utf8SequenceLength(line, i);
    word.append(line.substr(i, n));
    in_word = true;
    i += n;
  }
  BEACON_RETURN_IF_ERROR(finish());
  return words;
}

}  // namespace beacon::bot
