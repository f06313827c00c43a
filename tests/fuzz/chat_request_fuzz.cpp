// Fuzzes the body of POST /api/v1/chat (collector/bot/bot_host.h ParseChatRequestBody): bounded
// JSON, exactly the string fields user and text. An accepted body has a non-empty user and a
// text that is not only whitespace, and its fields written back as JSON parse to the same
// values; a refused one is InvalidArgument (400) or ResourceExhausted (413), never anything else.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "collector/bot/bot_host.h"
#include "common/strings.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  const std::string body(reinterpret_cast<const char*>(data), size);
  beacon::Result<beacon::collector::bot_host::ChatRequestBody> parsed =
      beacon::collector::bot_host::ParseChatRequestBody(body);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == beacon::StatusCode::kInvalidArgument ||
               parsed.status().code() == beacon::StatusCode::kResourceExhausted);
    return 0;
  }
  FUZZ_CHECK(!parsed->user.empty());
  FUZZ_CHECK(!beacon::TrimWhitespace(parsed->text).empty());
  const std::string again = nlohmann::json{{"user", parsed->user}, {"text", parsed->text}}.dump();
  auto reparsed = beacon::collector::bot_host::ParseChatRequestBody(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->user == parsed->user && reparsed->text == parsed->text);
  return 0;
}
