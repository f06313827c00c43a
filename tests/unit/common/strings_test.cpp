// Text helpers used by the /proc and protocol parsers.
#include "common/strings.h"

#include <gtest/gtest.h>

namespace beacon {
namespace {

TEST(StringsTest, SplitWhitespaceSkipsRunsOfSpacesAndTabs) {
  EXPECT_EQ(SplitWhitespace("  0: 0100007F:1F90 \t 00000000:0000 0A  "),
            (std::vector<std::string_view>{"0:", "0100007F:1F90", "00000000:0000", "0A"}));
  EXPECT_TRUE(SplitWhitespace("").empty());
  EXPECT_TRUE(SplitWhitespace(" \t ").empty());
}

TEST(StringsTest, TrimWhitespace) {
  EXPECT_EQ(TrimWhitespace(" \tvalue\r\n"), "value");
  EXPECT_EQ(TrimWhitespace("a b"), "a b");
  EXPECT_EQ(TrimWhitespace(" \r\n"), "");
}

}  // namespace
}  // namespace beacon
