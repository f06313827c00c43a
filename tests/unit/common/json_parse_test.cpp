// ParseJson's limits (common/json/parse.h): depth, size, value count and error messages.
#include <gtest/gtest.h>

#include <string>

#include "common/json/parse.h"

namespace beacon {
namespace {

std::string Nested(size_t depth, const std::string& open, const std::string& close,
                   const std::string& inner = "") {
  std::string text;
  for (size_t i = 0; i < depth; ++i) text += open;
  text += inner;
  for (size_t i = 0; i < depth; ++i) text += close;
  return text;
}

TEST(ParseJsonTest, ParsesOrdinaryDocuments) {
  Result<nlohmann::json> parsed = ParseJson(R"({"a": [1, 2.5, "x", true, null], "b": {}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)["a"][1], 2.5);
  EXPECT_EQ((*parsed)["a"][2], "x");
  EXPECT_TRUE((*parsed)["b"].is_object());
}

TEST(ParseJsonTest, DepthLimitIsExact) {
  ASSERT_TRUE(ParseJson(Nested(64, "[", "]")).ok());
  Result<nlohmann::json> deep = ParseJson(Nested(65, "[", "]"));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(deep.status().message(), "JSON nested deeper than 64 levels at byte 64");

  JsonLimits three;
  three.max_depth = 3;
  EXPECT_TRUE(ParseJson(R"({"a":[{"b":1}]})", three).ok());
  Result<nlohmann::json> four = ParseJson(R"({"a":[{"b":[]}]})", three);
  ASSERT_FALSE(four.ok());
  EXPECT_EQ(four.status().message(), "JSON nested deeper than 3 levels at byte 11");
}

TEST(ParseJsonTest, BracketsInsideStringsDoNotCount) {
  JsonLimits two;
  two.max_depth = 2;
  const std::string brackets(1000, '[');
  Result<nlohmann::json> parsed =
      ParseJson("[{\"" + brackets + "\": \"" + brackets + "]}\"}]", two);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ((*parsed)[0][brackets], brackets + "]}");
  // An escaped quote does not end the string; an escaped backslash before the quote does.
  EXPECT_TRUE(ParseJson(R"(["\"[[[[", "\\"])", two).ok());
  EXPECT_FALSE(ParseJson(R"(["\\", [[]]])", two).ok());
}

TEST(ParseJsonTest, TwoHundredKilobytesOfNestingIsRefusedBeforeParsing) {
  Result<nlohmann::json> arrays = ParseJson(std::string(200 * 1024, '['));
  ASSERT_FALSE(arrays.ok());
  EXPECT_EQ(arrays.status().message(), "JSON nested deeper than 64 levels at byte 64");

  Result<nlohmann::json> objects = ParseJson(Nested(40000, "{\"a\":", "}", "1"));
  ASSERT_FALSE(objects.ok());
  EXPECT_EQ(objects.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(objects.status().message(), "JSON nested deeper than 64 levels at byte 320");
}

TEST(ParseJsonTest, TruncatedAndMalformedTextSaysWhere) {
  Result<nlohmann::json> truncated = ParseJson(R"({"a": [1, 2)");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(truncated.status().message().rfind("invalid JSON at byte 11: ", 0), 0u)
      << truncated.status().message();

  Result<nlohmann::json> literal = ParseJson("[tx]");
  ASSERT_FALSE(literal.ok());
  EXPECT_EQ(literal.status().message().rfind("invalid JSON at byte 2: syntax error", 0), 0u)
      << literal.status().message();

  EXPECT_FALSE(ParseJson("").ok());
  EXPECT_FALSE(ParseJson("[1] [2]").ok());
  EXPECT_FALSE(ParseJson("]]]]").ok());
}

TEST(ParseJsonTest, ErrorsDoNotEchoTheInput) {
  Result<nlohmann::json> parsed = ParseJson(R"({"password": "hunter2-secret)");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().find("hunter2"), std::string::npos)
      << parsed.status().message();
}

TEST(ParseJsonTest, InvalidUtf8IsRefused) {
  Result<nlohmann::json> parsed = ParseJson("[\"ok \xff\xfe\"]");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("UTF-8"), std::string::npos)
      << parsed.status().message();
  // Valid multi-byte text passes and dumps without throwing.
  Result<nlohmann::json> good = ParseJson("[\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac\"]");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->dump(), "[\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac\"]");
}

TEST(ParseJsonTest, SizeLimit) {
  JsonLimits small;
  small.max_bytes = 8;
  EXPECT_TRUE(ParseJson("[1,2,33]", small).ok());
  Result<nlohmann::json> big = ParseJson("[1,2,333]", small);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(big.status().message(), "JSON text is 9 bytes, more than the limit of 8");
}

TEST(ParseJsonTest, ValueLimitCountsContainersScalarsAndKeys) {
  JsonLimits four;
  four.max_values = 4;
  EXPECT_TRUE(ParseJson("[10, -2.5e3, \"x\"]", four).ok());  // array + 3 scalars
  EXPECT_TRUE(ParseJson(R"({"a": [true]})", four).ok());     // object, key, array, literal
  Result<nlohmann::json> five = ParseJson("[null,false,{},[]]", four);
  ASSERT_FALSE(five.ok());
  EXPECT_EQ(five.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(five.status().message(), "JSON has more than 4 values (limit reached at byte 15)");

  // The shape that bloats most: 100,000 empty objects in 300 KB.
  std::string many = "[";
  for (int i = 0; i < 100000; ++i) many += i ? ",{}" : "{}";
  many += "]";
  JsonLimits capped;
  capped.max_values = 50000;
  Result<nlohmann::json> bloated = ParseJson(many, capped);
  ASSERT_FALSE(bloated.ok());
  EXPECT_EQ(bloated.status().code(), StatusCode::kResourceExhausted);
  ASSERT_TRUE(ParseJson(many).ok());
}

TEST(JsonDepthTest, MeasuresWithoutRecursion) {
  EXPECT_EQ(JsonDepth(nlohmann::json(5)), 0u);
  EXPECT_EQ(JsonDepth(nlohmann::json::array()), 1u);
  EXPECT_EQ(JsonDepth(nlohmann::json::parse(R"({"a":[1,{"b":[]}],"c":2})")), 4u);
  // nlohmann's own parser and destructor are iterative, so this deep tree can exist; walking
  // it recursively (dump, copy) would not survive.
  const size_t kDeep = 200000;
  nlohmann::json deep = nlohmann::json::parse(Nested(kDeep, "[", "]"));
  EXPECT_EQ(JsonDepth(deep), kDeep);
}

}  // namespace
}  // namespace beacon
