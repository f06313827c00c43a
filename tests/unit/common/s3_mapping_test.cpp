// Tests for the S3 backend against a scripted in-process HttpClient: the request it builds
// (URL styles, headers, body), the HTTP status -> Status and retry table of object_store.h,
// re-signing on every attempt, and parsing of HEAD/list replies.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/cloud/objstore/s3.h"
#include "common/crypto/crypto.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::objstore {
namespace {

// Replies from a script in order (the last reply repeats once it runs out); every request
// advances the clock by a second.
class ScriptedClient final : public fakes::ScriptedHttpClient {
 public:
  explicit ScriptedClient(FakeClock* clock) {
    RepeatLastReply();
    OnSend([clock](const http::HttpRequest&) { clock->AdvanceMs(1000); });
  }
};

std::string ErrorXml(const std::string& code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
         "</Code><Message>details</Message></Error>";
}

StoreConfig Config(bool path_style = true) {
  StoreConfig config;
  config.name = "s3-unit";
  config.type = "s3";
  config.endpoint = "http://s3.internal:9000";
  config.bucket = "bkt";
  config.path_style = path_style;
  config.credentials = {"AKIDUNIT", "unit-secret-value", ""};
  config.retry = {3, 1, 2};
  return config;
}

struct Harness {
  explicit Harness(StoreConfig config = Config())
      : client(std::make_shared<ScriptedClient>(&clock)) {
    store = NewS3Store(config, client, clock);
  }
  FakeClock clock{1'440'938'160'000};  // 2015-08-30T12:36:00Z
  std::shared_ptr<ScriptedClient> client;
  std::unique_ptr<ObjectStore> store;
};

// ------------------------------------------------------------------ requests as built

TEST(S3MappingTest, PutSendsSignedHeadersChecksumsAndMetadata) {
  StoreConfig config = Config();
  config.credentials.session_token = "sts-token";
  Harness harness(config);
  harness.client->Reply(200, "", {{"ETag", "\"abc\""}});
  PutOptions options;
  options.storage_class = StorageClass::kArchive;
  options.metadata = {{"host", "web-01"}};
  options.content_type = "text/plain";
  Result<ObjectInfo> put = harness.store->Put("dir/a b+c.txt", "hello", options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, "abc");
  EXPECT_EQ(put->restore_state, RestoreState::kArchived);
  ASSERT_EQ(harness.client->requests.size(), 1u);
  const http::HttpRequest& sent = harness.client->requests[0];
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.url, "http://s3.internal:9000/bkt/dir/a%20b%2Bc.txt");
  EXPECT_EQ(sent.body, "hello");
  EXPECT_EQ(sent.headers.Get("host"), "s3.internal:9000");
  EXPECT_EQ(sent.headers.Get("content-md5"), "XUFAKrxLKna5cZ2REBfFkg==");
  EXPECT_EQ(sent.headers.Get("x-amz-content-sha256"), crypto::Sha256Hex("hello"));
  EXPECT_EQ(sent.headers.Get("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(sent.headers.Get("x-amz-storage-class"), "GLACIER");
  EXPECT_EQ(sent.headers.Get("x-amz-meta-host"), "web-01");
  EXPECT_EQ(sent.headers.Get("x-amz-security-token"), "sts-token");
  EXPECT_EQ(sent.headers.Get("content-type"), "text/plain");
  EXPECT_EQ(
      sent.headers.Get("authorization")
          .rfind("AWS4-HMAC-SHA256 Credential=AKIDUNIT/20150830/us-east-1/s3/aws4_request, "
                 "SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;x-amz-date;"
                 "x-amz-meta-host;x-amz-security-token;x-amz-storage-class, Signature=",
                 0),
      0u)
      << sent.headers.Get("authorization");
}

TEST(S3MappingTest, VirtualHostStyleAndDefaultPortsInTheHost) {
  StoreConfig config = Config(false);
  config.endpoint = "https://s3.example.com:443/";
  Harness harness(config);
  harness.client->Reply(200, "body");
  ASSERT_TRUE(harness.store->Get("k/x y", ByteRange{10, 5}).ok());
  const http::HttpRequest& sent = harness.client->requests[0];
  EXPECT_EQ(sent.url, "https://bkt.s3.example.com/k/x%20y");
  EXPECT_EQ(sent.headers.Get("host"), "bkt.s3.example.com");
  EXPECT_EQ(sent.headers.Get("range"), "bytes=10-14");
  EXPECT_EQ(sent.headers.Get("x-amz-content-sha256"), crypto::Sha256Hex(""));
}

TEST(S3MappingTest, ListCopyRestoreAndMultipartRequests) {
  Harness harness;
  harness.client->Reply(200,
                        "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(harness.store->List("a b/", "tok+/=", 5).ok());
  EXPECT_EQ(harness.client->requests[0].url,
            "http://s3.internal:9000/bkt?list-type=2&prefix=a%20b%2F&max-keys=5&"
            "continuation-token=tok%2B%2F%3D");

  harness.client->Reply(202);
  ASSERT_TRUE(harness.store->Restore("cold/k", 3).ok());
  const http::HttpRequest& restore = harness.client->requests[1];
  EXPECT_EQ(restore.method, "POST");
  EXPECT_EQ(restore.url, "http://s3.internal:9000/bkt/cold/k?restore=");
  EXPECT_EQ(restore.body, "<RestoreRequest><Days>3</Days></RestoreRequest>");

  harness.client->Reply(200,
                        "<InitiateMultipartUploadResult><UploadId>u/1+</UploadId>"
                        "</InitiateMultipartUploadResult>");
  Result<std::string> upload = harness.store->InitMultipart("m", PutOptions{});
  ASSERT_TRUE(upload.ok());
  EXPECT_EQ(*upload, "u/1+");
  EXPECT_EQ(harness.client->requests[2].url, "http://s3.internal:9000/bkt/m?uploads=");
  harness.client->Reply(200, "", {{"ETag", "\"e1\""}});
  ASSERT_TRUE(harness.store->UploadPart("m", *upload, 7, "part").ok());
  EXPECT_EQ(harness.client->requests[3].url,
            "http://s3.internal:9000/bkt/m?partNumber=7&uploadId=u%2F1%2B");
  EXPECT_EQ(harness.store->UploadPart("m", *upload, 0, "x").status().code(),
            StatusCode::kInvalidArgument);

  harness.client->Reply(200, "<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>");
  harness.client->Reply(200, "", {{"Content-Length", "4"}, {"x-amz-storage-class", "STANDARD_IA"}});
  Result<ObjectInfo> copy =
      harness.store->Copy("src/a+b@2026-11-26T00:00:00Z", "dst", StorageClass::kInfrequent);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  const http::HttpRequest& copy_request = harness.client->requests[4];
  EXPECT_EQ(copy_request.headers.Get("x-amz-copy-source"), "/bkt/src/a%2Bb@2026-11-26T00:00:00Z");
  EXPECT_EQ(copy_request.headers.Get("x-amz-metadata-directive"), "COPY");
  EXPECT_EQ(copy_request.headers.Get("x-amz-storage-class"), "STANDARD_IA");
  EXPECT_EQ(copy->storage_class, StorageClass::kInfrequent);
}

// ------------------------------------------------------------------ status table and retries

struct StatusCase {
  int http_status;
  std::string s3_code;
  StatusCode expected;
  size_t attempts;  // requests sent with config.retry.attempts = 3
};

TEST(S3MappingTest, HttpStatusesMapToStatusesAndRetryDecisions) {
  const std::vector<StatusCase> cases = {
      {400, "InvalidArgument", StatusCode::kInvalidArgument, 1},
      {400, "RequestTimeout", StatusCode::kDeadlineExceeded, 3},
      {403, "AccessDenied", StatusCode::kPermissionDenied, 1},
      {403, "SignatureDoesNotMatch", StatusCode::kPermissionDenied, 1},
      {403, "InvalidObjectState", StatusCode::kFailedPrecondition, 1},
      {404, "NoSuchKey", StatusCode::kNotFound, 1},
      {404, "NoSuchBucket", StatusCode::kNotFound, 1},
      {404, "", StatusCode::kNotFound, 1},
      {409, "OperationAborted", StatusCode::kInvalidArgument, 1},
      {412, "PreconditionFailed", StatusCode::kInvalidArgument, 1},
      {416, "InvalidRange", StatusCode::kInvalidArgument, 1},
      {429, "", StatusCode::kUnavailable, 3},
      {500, "InternalError", StatusCode::kUnavailable, 3},
      {502, "", StatusCode::kUnavailable, 3},
      {503, "SlowDown", StatusCode::kUnavailable, 3},
  };
  for (const StatusCase& c : cases) {
    Harness harness;
    harness.client->Reply(c.http_status, c.s3_code.empty() ? "" : ErrorXml(c.s3_code));
    Result<std::string> get = harness.store->Get("k");
    EXPECT_EQ(get.status().code(), c.expected) << c.http_status << " " << c.s3_code;
    EXPECT_EQ(harness.client->requests.size(), c.attempts) << c.http_status << " " << c.s3_code;
    if (!c.s3_code.empty()) {
      EXPECT_NE(get.status().message().find(c.s3_code), std::string::npos);
    }
    EXPECT_EQ(get.status().message().find("unit-secret-value"), std::string::npos);
  }
}

TEST(S3MappingTest, TransportFailuresRetryOnlyWhenTransient) {
  {
    Harness harness;
    harness.client->Fail(Status::Unavailable("connect failed"));
    EXPECT_EQ(harness.store->Head("k").status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(harness.client->requests.size(), 3u);
  }
  {
    Harness harness;
    harness.client->Fail(Status::DeadlineExceeded("timed out"));
    EXPECT_EQ(harness.store->Head("k").status().code(), StatusCode::kDeadlineExceeded);
    EXPECT_EQ(harness.client->requests.size(), 3u);
  }
  {
    Harness harness;
    harness.client->Fail(Status::InvalidArgument("bad url"));
    EXPECT_EQ(harness.store->Head("k").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(harness.client->requests.size(), 1u);
  }
}

TEST(S3MappingTest, EveryAttemptIsSignedAgainWithAFreshDate) {
  Harness harness;
  harness.client->Reply(503, ErrorXml("SlowDown"));
  harness.client->Reply(200, "", {{"ETag", "\"e\""}});
  ASSERT_TRUE(harness.store->Put("k", "v", PutOptions{}).ok());
  const auto& requests = harness.client->requests;
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.Get("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(requests[1].headers.Get("x-amz-date"), "20150830T123601Z");
  EXPECT_NE(requests[0].headers.Get("authorization"), requests[1].headers.Get("authorization"));
}

TEST(S3MappingTest, ErrorInsideA200CompleteReplyIsRetried) {
  Harness harness;
  harness.client->Reply(200, ErrorXml("InternalError"));
  harness.client->Reply(200,
                        "<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag>"
                        "</CompleteMultipartUploadResult>");
  harness.client->Reply(200, "", {{"Content-Length", "9"}, {"ETag", "\"x-1\""}});
  Result<ObjectInfo> done = harness.store->CompleteMultipart("k", "u", {{1, "e1"}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->size, 9u);
  const auto& requests = harness.client->requests;
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\""
            "</ETag></Part></CompleteMultipartUpload>");
  EXPECT_EQ(requests[2].method, "HEAD");
}

TEST(S3MappingTest, RestoreRepliesMapToResults) {
  Harness harness;
  harness.client->Reply(202);
  harness.client->Reply(409, ErrorXml("RestoreAlreadyInProgress"));
  harness.client->Reply(200);
  harness.client->Reply(409, ErrorXml("OperationAborted"));
  EXPECT_EQ(*harness.store->Restore("k", 1), RestoreRequestResult::kAccepted);
  EXPECT_EQ(*harness.store->Restore("k", 1), RestoreRequestResult::kAlreadyInProgress);
  EXPECT_EQ(*harness.store->Restore("k", 1), RestoreRequestResult::kAlreadyRestored);
  EXPECT_EQ(harness.store->Restore("k", 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(harness.store->Restore("k", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(S3MappingTest, DeleteOfAMissingKeySucceeds) {
  Harness harness;
  harness.client->Reply(404, ErrorXml("NoSuchKey"));
  EXPECT_TRUE(harness.store->Delete("gone").ok());
}

// ------------------------------------------------------------------ reply parsing

TEST(S3MappingTest, HeadParsesClassRestoreDateAndMetadata) {
  Harness harness;
  harness.client->Reply(200, "",
                        {{"Content-Length", "1234"},
                         {"ETag", "\"d41d8cd98f00b204e9800998ecf8427e-2\""},
                         {"Last-Modified", "Sun, 30 Aug 2015 12:36:00 GMT"},
                         {"x-amz-storage-class", "DEEP_ARCHIVE"},
                         {"x-amz-restore",
                          "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec "
                          "2012 00:00:00 GMT\""},
                         {"x-amz-meta-Sha256", "abc"}});
  Result<ObjectInfo> head = harness.store->Head("k");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 1234u);
  EXPECT_EQ(head->etag, "d41d8cd98f00b204e9800998ecf8427e-2");
  EXPECT_EQ(head->last_modified_ms, 1'440'938'160'000);
  EXPECT_EQ(head->storage_class, StorageClass::kColdArchive);
  EXPECT_EQ(head->restore_state, RestoreState::kRestored);
  EXPECT_EQ(head->metadata, (std::map<std::string, std::string>{{"sha256", "abc"}}));

  harness.client->Reply(200, "", {{"ETag", "\"e\""}});
  EXPECT_EQ(harness.store->Head("k").status().code(), StatusCode::kUnavailable);
}

TEST(S3MappingTest, ListParsesEntriesAndTokens) {
  Harness harness;
  harness.client->Reply(
      200,
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>next+1</NextContinuationToken>"
      "<Contents><Key>a &amp; b</Key><LastModified>2015-08-30T12:36:00.000Z</LastModified>"
      "<ETag>&quot;e1&quot;</ETag><Size>10</Size><StorageClass>GLACIER</StorageClass></Contents>"
      "<Contents><Key>c</Key><LastModified>2015-08-30T12:36:01.000Z</LastModified>"
      "<ETag>\"e2\"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "</ListBucketResult>");
  Result<ListPage> page = harness.store->List("", "", 2);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a & b");
  EXPECT_EQ(page->objects[0].etag, "e1");
  EXPECT_EQ(page->objects[0].size, 10u);
  EXPECT_EQ(page->objects[0].storage_class, StorageClass::kArchive);
  EXPECT_EQ(page->objects[0].restore_state, RestoreState::kArchived);
  EXPECT_EQ(page->objects[0].last_modified_ms, 1'440'938'160'000);
  EXPECT_EQ(page->objects[1].storage_class, StorageClass::kStandard);
  EXPECT_EQ(page->next_token, "next+1");

  harness.client->Reply(200,
                        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
  EXPECT_EQ(harness.store->List("", "", 2).status().code(), StatusCode::kUnavailable);
  harness.client->Reply(200, "not xml <");
  EXPECT_EQ(harness.store->List("", "", 2).status().code(), StatusCode::kUnavailable);
}

TEST(StorageClassTest, NamesRoundTripAndUnknownNamesAreRejected) {
  for (StorageClass storage_class : {StorageClass::kStandard, StorageClass::kInfrequent,
                                     StorageClass::kArchive, StorageClass::kColdArchive}) {
    Result<StorageClass> parsed = ParseStorageClass(StorageClassName(storage_class));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, storage_class);
  }
  EXPECT_EQ(StorageClassName(StorageClass::kColdArchive), "cold_archive");
  EXPECT_EQ(ParseStorageClass("GLACIER").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsArchiveClass(StorageClass::kArchive));
  EXPECT_TRUE(IsArchiveClass(StorageClass::kColdArchive));
  EXPECT_FALSE(IsArchiveClass(StorageClass::kInfrequent));
}

TEST(S3MappingTest, EmptyKeyIsRejectedWithoutSending) {
  Harness harness;
  EXPECT_EQ(harness.store->Put("", "x", PutOptions{}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(harness.client->requests.empty());
}

TEST(S3MappingTest, BadEndpointsFailEveryCallWithoutSending) {
  for (const std::string endpoint :
       {"s3.example.com", "ftp://s3.example.com", "http://s3.example.com/base", "http://"}) {
    StoreConfig config = Config();
    config.endpoint = endpoint;
    Harness harness(config);
    EXPECT_EQ(harness.store->Get("k").status().code(), StatusCode::kInvalidArgument) << endpoint;
    EXPECT_TRUE(harness.client->requests.empty());
  }
}

}  // namespace
}  // namespace beacon::objstore
