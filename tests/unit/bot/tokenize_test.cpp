// Tokenize: ASCII and full-width spaces, both kinds of quotes, and hostile lines.
#include "bot/tokenize.h"

#include <gtest/gtest.h>

namespace beacon::bot {
namespace {

using Words = std::vector<std::string>;

Words Ok(std::string_view line) {
  auto r = Tokenize(line);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Words{};
}

TEST(Tokenize, SplitsOnAsciiFullWidthAndNoBreakSpaces) {
  EXPECT_EQ(Ok("status  web-01\t"), (Words{"status", "web-01"}));
  EXPECT_EQ(Ok("状态\xE3\x80\x80web-01"), (Words{"状态", "web-01"}));
  EXPECT_EQ(Ok("\xC2\xA0"
               "ack\xC2\xA0"
               "12"),
            (Words{"ack", "12"}));
  EXPECT_EQ(Ok(""), Words{});
  EXPECT_EQ(Ok(" \xE3\x80\x80 \n"), Words{});
}

TEST(Tokenize, QuotesKeepSpacesAndJoinTouchingText) {
  EXPECT_EQ(Ok("silence host=a 2h \"disk full again\""),
            (Words{"silence", "host=a", "2h", "disk full again"}));
  EXPECT_EQ(Ok("静默 host=a 2h “磁盘 清理”"), (Words{"静默", "host=a", "2h", "磁盘 清理"}));
  EXPECT_EQ(Ok("title=\"a b\"c"), (Words{"title=a bc"}));
  EXPECT_EQ(Ok("x \"\" y"), (Words{"x", "", "y"}));
  // A right quote alone is an ordinary character.
  EXPECT_EQ(Ok("a”b"), (Words{"a”b"}));
}

TEST(Tokenize, HostileInputIsRefusedWithAReason) {
  auto unclosed = Tokenize("silence \"abc");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_EQ(unclosed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unclosed.status().message().find("unclosed quote"), std::string::npos);
  EXPECT_FALSE(Tokenize("a “b").ok());

  auto bad_utf8 = Tokenize("status \xFF\xFE");
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_NE(bad_utf8.status().message().find("UTF-8"), std::string::npos);
  EXPECT_FALSE(Tokenize("a \xE3\x80").ok());  // truncated sequence

  EXPECT_EQ(Tokenize(std::string(kMaxLineBytes + 1, 'a')).status().code(),
            StatusCode::kResourceExhausted);
  std::string many;
  for (size_t i = 0; i <= kMaxWords; ++i) many += "w ";
  EXPECT_EQ(Tokenize(many).status().code(), StatusCode::kResourceExhausted);
  std::string exactly;
  for (size_t i = 0; i < kMaxWords; ++i) exactly += "w ";
  EXPECT_EQ(Ok(exactly).size(), kMaxWords);
  // Deeply "nested" quotes are just alternating quoted and bare parts.
  EXPECT_TRUE(Tokenize(std::string(2000, '"')).ok());
}

}  // namespace
}  // namespace beacon::bot
