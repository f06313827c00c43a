// Text helpers shared by the parsers, the HTTP code and the renderers.
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

TEST(StringsTest, TrimRemovesOnlyTheGivenCharacters) {
  EXPECT_EQ(Trim(" \t gzip \t", kHttpSpace), "gzip");
  EXPECT_EQ(Trim(" gzip\r\n", kHttpSpace), "gzip\r\n");
  EXPECT_EQ(Trim("\f\v value \n", kAsciiSpace), "value");
  EXPECT_EQ(Trim("\f value", kWhitespace), "\f value");
  EXPECT_EQ(Trim("  ", kHttpSpace), "");
  EXPECT_EQ(Trim("", kHttpSpace), "");
  EXPECT_EQ(Trim("a  b", kHttpSpace), "a  b");
}

TEST(StringsTest, LowerChangesAsciiLettersOnly) {
  EXPECT_EQ(Lower("Content-Type: GZIP"), "content-type: gzip");
  EXPECT_EQ(Lower("already lower 123"), "already lower 123");
  EXPECT_EQ(Lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // "ÉTÉ": only the T
  EXPECT_EQ(Lower(""), "");
  EXPECT_EQ(Lower(std::string_view("A\0B", 3)), std::string("a\0b", 3));
}

TEST(StringsTest, Utf8SequenceLengthAcceptsOnlyWellFormedSequences) {
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength(std::string_view("\0", 1), 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9", 0), 2u);          // é
  EXPECT_EQ(Utf8SequenceLength("x\xE2\x82\xAC", 1), 3u);     // €, not at the start
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x94\xB4", 0), 4u);  // 🔴
  EXPECT_EQ(Utf8SequenceLength("\xF4\x8F\xBF\xBF", 0), 4u);  // U+10FFFF, the last one
  EXPECT_EQ(Utf8SequenceLength("\xED\x9F\xBF", 0), 3u);      // U+D7FF, just below surrogates
  EXPECT_EQ(Utf8SequenceLength("\x80", 0), 0u);              // a lone continuation byte
  EXPECT_EQ(Utf8SequenceLength("\xC3", 0), 0u);              // cut short
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82", 0), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xC3(", 0), 0u);     // not a continuation
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF", 0), 0u);  // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xC1\xBF", 0), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\xAF", 0), 0u);      // overlong, three bytes
  EXPECT_EQ(Utf8SequenceLength("\xF0\x80\x80\xAF", 0), 0u);  // overlong, four bytes
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80", 0), 0u);      // U+D800, a surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80", 0), 0u);  // U+110000
  EXPECT_EQ(Utf8SequenceLength("\xF8\x88\x80\x80\x80", 0), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xFF", 0), 0u);
}

TEST(StringsTest, TruncateUtf8NeverCutsASequence) {
  const std::string text =
      "ab\xE2\x82\xAC"
      "cd";  // "ab€cd": € is 3 bytes
  EXPECT_EQ(TruncateUtf8(text, 100), text);
  EXPECT_EQ(TruncateUtf8(text, text.size()), text);
  EXPECT_EQ(TruncateUtf8(text, 6),
            "ab\xE2\x82\xAC"
            "c");
  EXPECT_EQ(TruncateUtf8(text, 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(TruncateUtf8(text, 4), "ab");
  EXPECT_EQ(TruncateUtf8(text, 3), "ab");
  EXPECT_EQ(TruncateUtf8(text, 2), "ab");
  EXPECT_EQ(TruncateUtf8(text, 1), "a");
  EXPECT_EQ(TruncateUtf8(text, 0), "");
  // Four-byte sequences (an emoji) go whole or not at all.
  const std::string emoji = "\xF0\x9F\x94\xB4!";
  EXPECT_EQ(TruncateUtf8(emoji, 3), "");
  EXPECT_EQ(TruncateUtf8(emoji, 4), "\xF0\x9F\x94\xB4");
}

TEST(StringsTest, EscapeMarkupReplacesEveryMarkupCharacter) {
  EXPECT_EQ(EscapeMarkup(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  // WeCom textcards are HTML and do not know &apos;: the apostrophe stays as it is.
  EXPECT_EQ(EscapeMarkup("it's <b>", Apostrophe::kKeep), "it's &lt;b&gt;");
  // UTF-8 passes through byte for byte.
  EXPECT_EQ(EscapeMarkup("磁盘 90% & up"), "磁盘 90% &amp; up");
}

}  // namespace
}  // namespace beacon
