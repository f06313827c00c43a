// The XML reader used for S3/OSS replies: real reply shapes parse with namespaces stripped, and
// malformed or entity-laden input is an error rather than a crash or a file read.
#include "common/cloud/objstore/xml.h"

#include <gtest/gtest.h>

#include <string>

namespace beacon::objstore {
namespace {

TEST(XmlTest, ParsesAListReplyWithNamespace) {
  auto root = ParseXml(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><IsTruncated>true</IsTruncated>
  <NextContinuationToken>tok&amp;1</NextContinuationToken>
  <Contents><Key>a b/1.txt</Key><Size>12</Size></Contents>
  <Contents><Key>a b/2.txt</Key><Size>0</Size></Contents>
</ListBucketResult>)");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->name, "ListBucketResult");
  EXPECT_EQ(root->ChildText("NextContinuationToken"), "tok&1");
  auto contents = root->Children("Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(contents[0]->ChildText("Key"), "a b/1.txt");
  EXPECT_EQ(contents[1]->ChildText("Size"), "0");
  EXPECT_EQ(root->Child("Missing"), nullptr);
  EXPECT_EQ(root->ChildText("Missing"), "");
}

TEST(XmlTest, PrefixedNamesLoseTheirPrefix) {
  auto root = ParseXml(R"(<s3:Error xmlns:s3="urn:x"><s3:Code>NoSuchKey</s3:Code></s3:Error>)");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->name, "Error");
  EXPECT_EQ(root->ChildText("Code"), "NoSuchKey");
}

TEST(XmlTest, MalformedInputIsAnError) {
  EXPECT_EQ(ParseXml("<a><b></a>").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseXml("").ok());
  EXPECT_FALSE(ParseXml("not xml at all").ok());
}

// Found by tests/fuzz/objstore_xml_fuzz.cpp: 50,000 nested elements (350 KB, well below a reply's
// size limit) overflowed the stack of the recursive conversion and killed the process.
TEST(XmlTest, DeeplyNestedReplyIsAnErrorNotACrash) {
  auto nested = [](int depth) {
    std::string text;
    for (int i = 0; i < depth; ++i) text += "<a>";
    for (int i = 0; i < depth; ++i) text += "</a>";
    return text;
  };
  Result<XmlElement> deep = ParseXml(nested(200000));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(deep.status().message().find("nested deeper than 64"), std::string::npos);

  EXPECT_TRUE(ParseXml(nested(kMaxXmlDepth)).ok());
  EXPECT_FALSE(ParseXml(nested(kMaxXmlDepth + 1)).ok());
}

TEST(XmlTest, ExternalEntitiesAreNotRead) {
  auto root = ParseXml(R"(<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]><r>&x;</r>)");
  // Either refused or parsed without the file's content: never the host name.
  if (root.ok()) {
    EXPECT_EQ(root->text, "");
  }
}

}  // namespace
}  // namespace beacon::objstore
