// Tests for the S3 SigV4 signer: AWS's published vectors, canonicalisation rules, and a
// cross-check of ~30 varied requests against botocore (tests/oracles/s3_sign.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/cloud/objstore/s3.h"
#include "common/crypto/crypto.h"
#include "common/url.h"

namespace beacon::objstore::s3 {
namespace {

using nlohmann::json;

const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Credentials SuiteCredentials() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
}

// ------------------------------------------------------------------ published vectors

TEST(S3SignerTest, GetVanillaFromTheAwsSuite) {
  SigningRequest request{"GET",
                         "/",
                         {},
                         {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
                         kEmptyHash};
  EXPECT_EQ(CanonicalRequest(request),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                kEmptyHash);
  EXPECT_EQ(StringToSign(CanonicalRequest(request), "20150830T123600Z", "us-east-1", "service"),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(SignV4(request, SuiteCredentials(), "us-east-1", "service", "20150830T123600Z"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(S3SignerTest, PostVanillaFromTheAwsSuite) {
  SigningRequest request{"POST",
                         "/",
                         {},
                         {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}},
                         kEmptyHash};
  std::string authorization =
      SignV4(request, SuiteCredentials(), "us-east-1", "service", "20150830T123600Z");
  EXPECT_NE(authorization.find(
                "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
            std::string::npos)
      << authorization;
}

TEST(S3SignerTest, S3GetObjectWithRangeFromTheS3Docs) {
  SigningRequest request{"GET",
                         "/test.txt",
                         {},
                         {{"Host", "examplebucket.s3.amazonaws.com"},
                          {"Range", "bytes=0-9"},
                          {"x-amz-content-sha256", kEmptyHash},
                          {"x-amz-date", "20130524T000000Z"}},
                         kEmptyHash};
  EXPECT_EQ(crypto::Sha256Hex(CanonicalRequest(request)),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  EXPECT_EQ(SignV4(request, credentials, "us-east-1", "s3", "20130524T000000Z"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// ------------------------------------------------------------------ canonicalisation rules

TEST(S3SignerTest, QueryIsSortedEncodedAndEmptyValuesKeepTheEqualsSign) {
  SigningRequest request{"PUT",
                         "/bucket/my key+1.txt",
                         {{"uploadId", "a/b c"}, {"partNumber", "2"}, {"uploads", ""}},
                         {{"host", "h"}},
                         kEmptyHash};
  std::string canonical = CanonicalRequest(request);
  EXPECT_EQ(canonical.substr(0, canonical.find("\nhost:")),
            "PUT\n/bucket/my%20key%2B1.txt\npartNumber=2&uploadId=a%2Fb%20c&uploads=");
}

TEST(S3SignerTest, HeaderValuesAreTrimmedAndOnlyS3HeadersAreSigned) {
  SigningRequest request{"PUT",
                         "/k",
                         {},
                         {{"Host", "h"},
                          {"Content-Type", "  text/plain;   charset=utf-8 "},
                          {"User-Agent", "beacon"},
                          {"Content-Length", "3"},
                          {"X-Amz-Meta-Author", "a  b"}},
                         kEmptyHash};
  EXPECT_EQ(SignedHeaders(request), "content-type;host;x-amz-meta-author");
  EXPECT_NE(CanonicalRequest(request).find("content-type:text/plain; charset=utf-8\n"),
            std::string::npos);
  EXPECT_NE(CanonicalRequest(request).find("x-amz-meta-author:a b\n"), std::string::npos);
}

TEST(S3SignerTest, UriEncodeIsRfc3986) {
  // What the signer encodes paths (keeping '/') and query parameters with.
  EXPECT_EQ(PercentEncode("a b+c/é~*", "/"), "a%20b%2Bc/%C3%A9~%2A");
  EXPECT_EQ(PercentEncode("a/b"), "a%2Fb");
  EXPECT_EQ(AmzDate(1440938160000), "20150830T123600Z");
}

TEST(S3SignerTest, StorageClassNamesAndRestoreHeader) {
  EXPECT_EQ(S3StorageClassName(StorageClass::kInfrequent), "STANDARD_IA");
  EXPECT_EQ(S3StorageClassName(StorageClass::kColdArchive), "DEEP_ARCHIVE");
  EXPECT_EQ(ParseS3StorageClass(""), StorageClass::kStandard);
  EXPECT_EQ(ParseS3StorageClass("GLACIER"), StorageClass::kArchive);
  EXPECT_EQ(ParseRestoreHeader("ongoing-request=\"true\"", StorageClass::kArchive),
            RestoreState::kInProgress);
  EXPECT_EQ(ParseRestoreHeader("ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 "
                               "00:00:00 GMT\"",
                               StorageClass::kColdArchive),
            RestoreState::kRestored);
  EXPECT_EQ(ParseRestoreHeader("", StorageClass::kArchive), RestoreState::kArchived);
  EXPECT_EQ(ParseRestoreHeader("", StorageClass::kStandard), RestoreState::kNotArchived);
}

// ------------------------------------------------------------------ botocore cross-check

struct OracleCase {
  std::string method;
  std::string host;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;
  std::string body;
  Credentials credentials;
  std::string region;
  std::string amz_date;
};

std::vector<OracleCase> OracleCases() {
  const Credentials plain{"AKIDTEST", "SECRETTEST", ""};
  const Credentials slashy{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  const Credentials sts{"ASIATEST", "sts/secret+key", "FwoGZXIvYXdzE//token+with/slashes=="};
  const std::string date = "20261126T093000Z";
  std::vector<OracleCase> cases = {
      {"GET", "s3.example.com", "/bucket/plain.txt", {}, {}, "", plain, "us-east-1", date},
      {"PUT",
       "s3.example.com",
       "/bucket/my key+1.txt",
       {},
       {{"Content-Type", "text/plain"}},
       "hello",
       plain,
       "us-east-1",
       date},
      {"PUT",
       "bucket.s3.example.com",
       "/dir/sub dir/file~name.log",
       {},
       {},
       "x",
       slashy,
       "eu-west-1",
       date},
      {"GET", "s3.example.com", "/bucket/unicode/é日本.txt", {}, {}, "", plain, "us-east-1", date},
      {"GET",
       "s3.example.com",
       "/bucket/emoji/😀 file",
       {},
       {{"Range", "bytes=5-"}},
       "",
       plain,
       "us-east-1",
       date},
      {"POST",
       "s3.example.com",
       "/bucket/big.zst",
       {{"uploads", ""}},
       {{"Content-Type", "application/octet-stream"}, {"x-amz-storage-class", "GLACIER"}},
       "",
       plain,
       "us-east-1",
       date},
      {"PUT",
       "s3.example.com",
       "/bucket/big.zst",
       {{"uploadId", "VXBsb2FkIElE+/="}, {"partNumber", "10"}},
       {},
       std::string(1000, 'p'),
       plain,
       "us-east-1",
       date},
      {"POST",
       "s3.example.com",
       "/bucket/big.zst",
       {{"uploadId", "abc def"}},
       {{"Content-Type", "application/xml"}},
       "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part>"
       "</CompleteMultipartUpload>",
       plain,
       "us-east-1",
       date},
      {"DELETE",
       "s3.example.com",
       "/bucket/big.zst",
       {{"uploadId", "abc"}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"GET",
       "s3.example.com",
       "/bucket",
       {{"list-type", "2"}, {"prefix", "backups/web 01/var log/"}, {"max-keys", "100"}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"GET",
       "bucket.localhost:9000",
       "/",
       {{"prefix", "a+b"}, {"list-type", "2"}, {"continuation-token", "1/ab+==cd"}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"PUT",
       "s3.example.com",
       "/bucket/copy dest",
       {},
       {{"x-amz-copy-source", "/bucket/src%20key%2B1"},
        {"x-amz-metadata-directive", "COPY"},
        {"x-amz-storage-class", "STANDARD_IA"}},
       "",
       plain,
       "us-east-1",
       date},
      {"POST",
       "s3.example.com",
       "/bucket/archived",
       {{"restore", ""}},
       {{"Content-Type", "application/xml"}, {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}},
       "<RestoreRequest><Days>2</Days></RestoreRequest>",
       plain,
       "us-east-1",
       date},
      {"HEAD", "s3.example.com", "/bucket/k", {}, {}, "", sts, "cn-north-1", date},
      {"PUT",
       "s3.example.com",
       "/bucket/meta",
       {},
       {{"X-Amz-Meta-Host", "web-01"},
        {"x-amz-meta-path", "  /var/log/app.log  "},
        {"x-amz-meta-note", "two  spaces   inside"},
        {"Content-Type", "  text/plain;  charset=utf-8"}},
       "body",
       plain,
       "us-east-1",
       date},
      {"PUT",
       "s3.example.com",
       "/bucket/unsigned-headers",
       {},
       {{"User-Agent", "beacon/1.0"}, {"Expect", "100-continue"}, {"Accept", "*/*"}},
       "body",
       plain,
       "us-east-1",
       date},
      {"GET", "s3.example.com", "/bucket/a/b/c/../d", {}, {}, "", plain, "us-east-1", date},
      {"GET", "s3.example.com", "/bucket//double//slash", {}, {}, "", plain, "us-east-1", date},
      {"GET",
       "s3.example.com",
       "/bucket/reserved!*'();:@&=$,?#[]",
       {},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"GET",
       "s3.example.com",
       "/bucket/k",
       {{"b", "2"}, {"a", "1"}, {"a", "0"}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"GET",
       "s3.example.com",
       "/bucket/k",
       {{"Zeta", "1"}, {"alpha", "1"}, {"_x", ""}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"GET",
       "s3.example.com",
       "/bucket/k",
       {{"response-content-type", "text/plain; a=b"}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"PUT",
       "s3.example.com",
       "/bucket/md5",
       {},
       {{"Content-MD5", "XUFAKrxLKna5cZ2REBfFkg=="}},
       "hello",
       slashy,
       "ap-southeast-1",
       date},
      {"GET", "s3.example.com:8443", "/bucket/port", {}, {}, "", plain, "us-east-1", date},
      {"PUT",
       "s3.example.com",
       "/bucket/binary",
       {},
       {},
       std::string("\x01\x02\x7f", 3),
       plain,
       "us-east-1",
       "20150830T235959Z"},
      {"PUT",
       "s3.example.com",
       "/bucket/tilde~and-dash_and.dot",
       {},
       {},
       "",
       sts,
       "us-east-1",
       date},
      {"GET",
       "s3.example.com",
       "/bucket/k",
       {{"prefix", "é/日本 x"}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"POST",
       "s3.example.com",
       "/bucket/k%20literal-percent",
       {{"uploads", ""}},
       {},
       "",
       plain,
       "us-east-1",
       date},
      {"PUT",
       "s3.example.com",
       "/bucket/many-amz",
       {},
       {{"x-amz-acl", "private"},
        {"x-amz-server-side-encryption", "AES256"},
        {"x-amz-tagging", "a=b&c=d"},
        {"x-amz-storage-class", "DEEP_ARCHIVE"}},
       std::string(70000, 'z'),
       plain,
       "us-east-1",
       date},
      {"DELETE", "s3.example.com", "/bucket/gone", {}, {}, "", plain, "us-west-2", date},
  };
  return cases;
}

SigningRequest ToSigningRequest(const OracleCase& c) {
  SigningRequest request;
  request.method = c.method;
  request.path = c.path;
  request.query = c.query;
  request.headers = c.headers;
  request.headers["Host"] = c.host;
  request.headers["X-Amz-Date"] = c.amz_date;
  request.payload_hash = crypto::Sha256Hex(c.body);
  request.headers["X-Amz-Content-SHA256"] = request.payload_hash;
  if (!c.credentials.session_token.empty()) {
    request.headers["X-Amz-Security-Token"] = c.credentials.session_token;
  }
  return request;
}

std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  pclose(pipe);
  return output;
}

TEST(S3SignerTest, MatchesBotocoreOnVariedRequests) {
  std::vector<OracleCase> cases = OracleCases();
  ASSERT_GE(cases.size(), 30u);
  json input = json::array();
  for (const OracleCase& c : cases) {
    json query = json::array();
    for (const auto& [name, value] : c.query) query.push_back({name, value});
    input.push_back({{"method", c.method},
                     {"host", c.host},
                     {"path", c.path},
                     {"query", query},
                     {"headers", c.headers},
                     {"body", c.body},
                     {"access_key", c.credentials.access_key_id},
                     {"secret_key", c.credentials.secret_access_key},
                     {"token", c.credentials.session_token},
                     {"region", c.region},
                     {"service", "s3"},
                     {"amz_date", c.amz_date}});
  }
  std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("s3_oracle_" + std::to_string(getpid()) + ".json");
  { std::ofstream(file) << input.dump(); }
  std::string output = RunCommand(
      BEACON_PYTHON " " BEACON_SOURCE_DIR "/tests/oracles/s3_sign.py < " + file.string());
  std::filesystem::remove(file);
  json expected = json::parse(output, nullptr, false);
  ASSERT_TRUE(expected.is_array()) << "oracle output: " << output;
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const OracleCase& c = cases[i];
    EXPECT_EQ(SignV4(ToSigningRequest(c), c.credentials, c.region, "s3", c.amz_date),
              expected[i].get<std::string>())
        << "case " << i << ": " << c.method << " " << c.path << "\n"
        << CanonicalRequest(ToSigningRequest(c));
  }
}

}  // namespace
}  // namespace beacon::objstore::s3
