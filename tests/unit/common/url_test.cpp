// RFC 3986 percent-encoding and the http(s) URL check.
#include "common/url.h"

#include <gtest/gtest.h>

namespace beacon {
namespace {

TEST(PercentEncodeTest, KeepsUnreservedOnlyWithUpperCaseHex) {
  EXPECT_EQ(PercentEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(PercentEncode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(PercentEncode("a b+c/é~*"), "a%20b%2Bc%2F%C3%A9~%2A");
  EXPECT_EQ(PercentEncode(""), "");
  EXPECT_EQ(PercentEncode(std::string("\x00\xff\n", 3)), "%00%FF%0A");
}

TEST(PercentEncodeTest, KeepsTheGivenExtraCharacters) {
  EXPECT_EQ(PercentEncode("/srv/app/x-1_2.~", "/"), "/srv/app/x-1_2.~");
  EXPECT_EQ(PercentEncode("a b+c/é~*", "/"), "a%20b%2Bc/%C3%A9~%2A");
  EXPECT_EQ(PercentEncode("a/b", ""), "a%2Fb");
}

TEST(PercentDecodeTest, StrictDecodingRejectsBadEscapes) {
  EXPECT_EQ(*PercentDecode("a%20b%2Bc/%C3%A9%2f"), "a b+c/é/");
  EXPECT_EQ(*PercentDecode("x+y"), "x+y");  // '+' is itself
  const std::string binary("\x00\xff\n%", 4);
  EXPECT_EQ(*PercentDecode(PercentEncode(binary)), binary);
  EXPECT_FALSE(PercentDecode("%G1").ok());
  EXPECT_FALSE(PercentDecode("abc%2").ok());
  EXPECT_FALSE(PercentDecode("100%").ok());
  EXPECT_EQ(PercentDecode("ab%zz").status().message(), "bad percent escape at offset 2");
}

TEST(PercentDecodeTest, LenientDecodingKeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecodeLenient("x+y%20z", PlusSign::kSpace), "x y z");
  EXPECT_EQ(PercentDecodeLenient("x+y%20z", PlusSign::kLiteral), "x+y z");
  EXPECT_EQ(PercentDecodeLenient("%C3%A9%2f", PlusSign::kSpace), "é/");
  EXPECT_EQ(PercentDecodeLenient("100%", PlusSign::kSpace), "100%");
  EXPECT_EQ(PercentDecodeLenient("%zz", PlusSign::kSpace), "%zz");
  EXPECT_EQ(PercentDecodeLenient("%4", PlusSign::kLiteral), "%4");
  const std::string binary("\x00\xff\n", 3);
  EXPECT_EQ(PercentDecodeLenient(PercentEncode(binary), PlusSign::kSpace), binary);
}

TEST(IsHttpUrlTest, AcceptsHttpAndHttpsOnly) {
  EXPECT_TRUE(IsHttpUrl("http://collector:8443"));
  EXPECT_TRUE(IsHttpUrl("https://qyapi.weixin.qq.com/cgi-bin/"));
  EXPECT_FALSE(IsHttpUrl("ftp://host/"));
  EXPECT_FALSE(IsHttpUrl("collector:8443"));
  EXPECT_FALSE(IsHttpUrl("http:/host"));
  EXPECT_FALSE(IsHttpUrl("HTTP://host"));  // as written; callers lower-case when they mean to
  EXPECT_FALSE(IsHttpUrl(""));
}

}  // namespace
}  // namespace beacon
