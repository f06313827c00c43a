// Tests for the OSS backend against tests/fakes/oss_server.py, a fake that verifies V4 and V1
// signatures independently: every operation in both signature versions and both addressing
// styles, wrong secrets, retried 503s, and the archive restore cycle.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/cloud/objstore/oss.h"
#include "common/crypto/crypto.h"
#include "common/http/client.h"
#include "common/url.h"
#include "tests/unit/peer_process.h"

namespace beacon::objstore {
namespace {

constexpr char kAccessKey[] = "LTAI5tFakeAccessKey";
constexpr char kSecret[] = "fake-oss-secret-Abc123+/=";
constexpr char kBucket[] = "beacon-test";

// Runs tests/fakes/oss_server.py; kills it (by pid) on destruction.
class FakeOssServer {
 public:
  explicit FakeOssServer(int restore_heads = 1)
      : peer_({"python3", std::string(BEACON_SOURCE_DIR) + "/tests/fakes/oss_server.py", "--port",
               "0", "--access-key", kAccessKey, "--secret-key", kSecret, "--bucket", kBucket,
               "--region", "cn-hangzhou", "--restore-heads", std::to_string(restore_heads)}) {}
  int port() const { return peer_.port(); }

  nlohmann::json Stats() {
    http::HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(port()) + "/__stats";
    auto response = client_->Send(request);
    if (!response.ok() || response->status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(response->body);
  }
  void Control(const nlohmann::json& settings) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(port()) + "/__control";
    request.headers.Set("Content-Type", "application/json");
    request.body = settings.dump();
    auto response = client_->Send(request);
    ASSERT_TRUE(response.ok() && response->status == 200);
  }

 private:
  beacon::testing::PeerProcess peer_;
  std::unique_ptr<http::HttpClient> client_ = http::NewCurlHttpClient();
};

struct Variant {
  std::string signature;
  bool path_style;
};

std::string VariantName(const ::testing::TestParamInfo<Variant>& info) {
  return info.param.signature + (info.param.path_style ? "_path_style" : "_virtual_host");
}

// One fake server for the whole suite (a Python start costs more than the requests); each
// variant works under its own key prefix and reads counters as deltas.
class OssStoreTest : public ::testing::TestWithParam<Variant> {
 protected:
  static void SetUpTestSuite() { server_ = new FakeOssServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_GT(server_->port(), 0) << "fake OSS server did not start";
    store_ = MakeStore(kSecret);
    prefix_ = GetParam().signature + (GetParam().path_style ? "-path/" : "-vhost/");
    baseline_ = server_->Stats();
  }

  // Key under this variant's prefix.
  std::string K(const std::string& key) const { return prefix_ + key; }
  // How much a server counter grew during this test.
  int Delta(const std::string& counter) const {
    return server_->Stats()[counter].get<int>() - baseline_[counter].get<int>();
  }

  std::unique_ptr<ObjectStore> MakeStore(const std::string& secret, int attempts = 3,
                                         int64_t timeout_ms = 10'000) {
    StoreConfig config;
    config.name = "oss-test";
    config.type = "oss";
    // curl resolves every *.localhost name to loopback, so virtual-host addressing
    // (beacon-test.localhost:PORT) reaches the fake without DNS.
    config.endpoint = "http://localhost:" + std::to_string(server_->port());
    config.region = "cn-hangzhou";
    config.bucket = kBucket;
    config.signature = GetParam().signature;
    config.path_style = GetParam().path_style;
    config.credentials = {kAccessKey, secret, ""};
    config.timeout_ms = timeout_ms;
    config.retry = {attempts, 1, 5};
    return NewOssStore(config, http_, SystemClock::Instance());
  }

  static FakeOssServer* server_;
  std::string prefix_;
  nlohmann::json baseline_;
  std::shared_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
  std::unique_ptr<ObjectStore> store_;
};

FakeOssServer* OssStoreTest::server_ = nullptr;

// Behaviour that does not depend on the signature version or addressing style: run once.
class OssStoreOnceTest : public OssStoreTest {};

TEST_P(OssStoreTest, PutHeadGetListDelete) {
  PutOptions options;
  options.storage_class = StorageClass::kInfrequent;
  options.metadata = {{"sha256", "abc123"}, {"path", "/var/log/app.log"}};
  options.content_type = "application/zstd";
  const std::string key = K("host/web 01/数据+file.log@1.zst");
  auto put = store_->Put(key, "hello, object store", options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->size, 19u);
  EXPECT_EQ(put->etag,
            "EE1DB6AA9820372CBFBA04A2813C4951");  // OSS ETags: upper-case MD5 hex, quotes removed

  auto head = store_->Head(key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 19u);
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_EQ(head->storage_class, StorageClass::kInfrequent);
  EXPECT_EQ(head->restore_state, RestoreState::kNotArchived);
  EXPECT_EQ(head->metadata, options.metadata);
  EXPECT_GT(head->last_modified_ms, 1'700'000'000'000);

  auto whole = store_->Get(key);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(*whole, "hello, object store");
  auto middle = store_->Get(key, ByteRange{7, 6});
  ASSERT_TRUE(middle.ok()) << middle.status().ToString();
  EXPECT_EQ(*middle, "object");
  auto tail = store_->Get(key, ByteRange{14, 0});
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, "store");

  for (const char* name : {"list/a", "list/b b", "list/c+c", "list/d", "list/e", "other"}) {
    ASSERT_TRUE(store_->Put(K(name), name, {}).ok());
  }
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    auto page = store_->List(K("list/"), token, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const ObjectInfo& info : page->objects) {
      listed.push_back(info.key.substr(prefix_.size()));
    }
    token = page->next_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(listed,
            (std::vector<std::string>{"list/a", "list/b b", "list/c+c", "list/d", "list/e"}));
  EXPECT_EQ(pages, 3);

  // The requests really used the configured addressing style.
  EXPECT_GT(Delta(GetParam().path_style ? "path_style" : "virtual_host"), 0);
  EXPECT_EQ(Delta(GetParam().path_style ? "virtual_host" : "path_style"), 0);

  ASSERT_TRUE(store_->Delete(key).ok());
  EXPECT_EQ(store_->Head(key).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete(key).ok()) << "deleting a missing key succeeds";
}

TEST_P(OssStoreTest, MultipartUploadCompletesAndAborts) {
  PutOptions options;
  options.storage_class = StorageClass::kArchive;
  options.metadata = {{"sha256", "ffee"}};
  const std::string key = K("big/object one.zst");
  auto upload_id = store_->InitMultipart(key, options);
  ASSERT_TRUE(upload_id.ok()) << upload_id.status().ToString();
  EXPECT_EQ(store_->MinPartSize(), 100u * 1024);
  // Larger than curl's Expect: 100-continue threshold, as real 8 MiB parts are.
  std::string part1(2 * 1024 * 1024 + 17, 'a');
  std::string part2 = "the last part may be small";
  auto p1 = store_->UploadPart(key, *upload_id, 1, part1);
  ASSERT_TRUE(p1.ok()) << p1.status().ToString();
  auto p2 = store_->UploadPart(key, *upload_id, 2, part2);
  ASSERT_TRUE(p2.ok()) << p2.status().ToString();
  auto done = store_->CompleteMultipart(key, *upload_id, {*p1, *p2});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->size, part1.size() + part2.size());
  EXPECT_EQ(done->storage_class, StorageClass::kArchive);
  EXPECT_EQ(done->metadata, options.metadata);

  // A wrong part etag is refused by the server and nothing is stored.
  const std::string two = K("big/two");
  auto second = store_->InitMultipart(two, {});
  ASSERT_TRUE(second.ok());
  auto q1 = store_->UploadPart(two, *second, 1, "data");
  ASSERT_TRUE(q1.ok());
  UploadedPart wrong = *q1;
  wrong.etag = "00000000000000000000000000000000";
  auto refused = store_->CompleteMultipart(two, *second, {wrong});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("InvalidPart"), std::string::npos);

  ASSERT_TRUE(store_->AbortMultipart(two, *second).ok());
  EXPECT_EQ(store_->UploadPart(two, *second, 2, "more").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head(two).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Delta("complete_multipart"), 2);
  EXPECT_EQ(Delta("abort_multipart"), 1);
}

TEST_P(OssStoreTest, CopyChangesStorageClassAndKeepsMetadata) {
  PutOptions options;
  options.metadata = {{"owner", "root"}};
  const std::string src = K("copy/src key");
  ASSERT_TRUE(store_->Put(src, "archive me", options).ok());
  auto copied = store_->Copy(src, K("copy/dst+key"), StorageClass::kColdArchive);
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(copied->storage_class, StorageClass::kColdArchive);
  EXPECT_EQ(copied->restore_state, RestoreState::kArchived);
  EXPECT_EQ(copied->metadata, options.metadata);
  EXPECT_EQ(copied->size, 10u);
  // In place: same key, another class.
  auto in_place = store_->Copy(src, src, StorageClass::kArchive);
  ASSERT_TRUE(in_place.ok()) << in_place.status().ToString();
  EXPECT_EQ(in_place->storage_class, StorageClass::kArchive);
  EXPECT_EQ(store_->Get(src).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Copy(K("copy/missing"), K("copy/x"), StorageClass::kStandard).status().code(),
            StatusCode::kNotFound);
}

TEST_P(OssStoreTest, ArchiveRestoreCycle) {
  PutOptions options;
  options.storage_class = StorageClass::kArchive;
  ASSERT_TRUE(store_->Put(K("cold/file"), "frozen bytes", options).ok());
  auto get = store_->Get(K("cold/file"));
  EXPECT_EQ(get.status().code(), StatusCode::kFailedPrecondition) << get.status().ToString();
  EXPECT_NE(get.status().message().find("InvalidObjectState"), std::string::npos);
  auto head = store_->Head(K("cold/file"));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->restore_state, RestoreState::kArchived);

  auto first = store_->Restore(K("cold/file"), 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, RestoreRequestResult::kAccepted);
  auto again = store_->Restore(K("cold/file"), 2);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, RestoreRequestResult::kAlreadyInProgress);
  head = store_->Head(K("cold/file"));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->restore_state, RestoreState::kInProgress);
  EXPECT_EQ(store_->Get(K("cold/file")).status().code(), StatusCode::kFailedPrecondition);
  head = store_->Head(K("cold/file"));
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->restore_state, RestoreState::kRestored);
  auto restored = store_->Get(K("cold/file"));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(*restored, "frozen bytes");
  auto done = store_->Restore(K("cold/file"), 2);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, RestoreRequestResult::kAlreadyRestored);
  EXPECT_EQ(Delta("restore"), 3);

  ASSERT_TRUE(store_->Put(K("warm/file"), "x", {}).ok());
  EXPECT_EQ(store_->Restore(K("warm/file"), 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Restore(K("cold/missing"), 1).status().code(), StatusCode::kNotFound);
}

TEST_P(OssStoreTest, WrongSecretIsPermissionDeniedAndStoresNothing) {
  const std::string wrong_secret = "not-the-right-secret-xyz";
  auto store = MakeStore(wrong_secret);
  auto put = store->Put(K("secret/test"), "data", {});
  ASSERT_EQ(put.status().code(), StatusCode::kPermissionDenied) << put.status().ToString();
  EXPECT_NE(put.status().message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(put.status().message().find(wrong_secret), std::string::npos);
  EXPECT_EQ(put.status().message().find(kSecret), std::string::npos);
  EXPECT_EQ(store->InitMultipart(K("secret/test"), {}).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Delta("auth_failures"), 2) << "a 403 is not retried";
  EXPECT_EQ(Delta("put"), 0);
  EXPECT_EQ(Delta("init_multipart"), 0);
  EXPECT_EQ(store_->Head(K("secret/test")).status().code(), StatusCode::kNotFound);
}

TEST_P(OssStoreTest, RetriesUnavailableThenSucceeds) {
  server_->Control({{"fail_next", 2}, {"fail_status", 503}});
  auto put = store_->Put(K("retry/obj"), "persist", {});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(Delta("injected_failures"), 2);
  EXPECT_EQ(Delta("put"), 1);
  auto get = store_->Get(K("retry/obj"));
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(*get, "persist");

  // Failures beyond the attempts come back as Unavailable, after exactly `attempts` tries.
  server_->Control({{"fail_next", 10}, {"fail_status", 500}});
  auto failed = store_->Put(K("retry/obj2"), "x", {});
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable) << failed.status().ToString();
  EXPECT_EQ(Delta("injected_failures"), 5);
  server_->Control({{"fail_next", 0}, {"fail_status", 503}});
  EXPECT_EQ(store_->Head(K("retry/obj2")).status().code(), StatusCode::kNotFound);
}

TEST_P(OssStoreOnceTest, ConcurrentCallsShareOneStore) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = K("concurrent/" + std::to_string(t) + "-" + std::to_string(i));
        std::string body = "body " + std::to_string(t * 100 + i);
        if (!store_->Put(key, body, {}).ok()) ++failures;
        auto got = store_->Get(key);
        if (!got.ok() || *got != body) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto page = store_->List(K("concurrent/"), "", 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(OssStoreOnceTest, SlowServerIsDeadlineExceededAfterRetries) {
  auto impatient = MakeStore(kSecret, 2, 100);
  server_->Control({{"delay_ms", 400}});
  auto head = impatient->Head(K("slow"));
  server_->Control({{"delay_ms", 0}});
  EXPECT_EQ(head.status().code(), StatusCode::kDeadlineExceeded) << head.status().ToString();
  EXPECT_EQ(head.status().message().find(kSecret), std::string::npos);
}

TEST_P(OssStoreOnceTest, FakeServerRejectsAWrongContentMd5) {
  // The fake must catch a corrupted upload; craft a correctly signed PUT whose Content-MD5
  // names other bytes.
  const std::string body = "the bytes sent";
  oss::SigningRequest signing;
  signing.method = "PUT";
  signing.bucket = kBucket;
  signing.key = K("md5/check");
  std::string oss_date = oss::OssDate(SystemClock::Instance().NowMs());
  signing.headers = {{"content-md5", crypto::Base64Encode(crypto::Md5Raw("other bytes"))},
                     {"x-oss-date", oss_date},
                     {"x-oss-content-sha256", "UNSIGNED-PAYLOAD"}};
  http::HttpRequest request;
  request.method = "PUT";
  request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/" + kBucket + "/" +
                PercentEncode(signing.key, "/");
  for (const auto& [name, value] : signing.headers) request.headers.Set(name, value);
  request.headers.Set("authorization",
                      oss::SignV4(signing, {kAccessKey, kSecret, ""}, "cn-hangzhou", oss_date));
  request.body = body;
  auto response = http_->Send(request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("<Code>InvalidDigest</Code>"), std::string::npos);
  EXPECT_EQ(store_->Head(signing.key).status().code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(V4, OssStoreOnceTest, ::testing::Values(Variant{"v4", false}),
                         VariantName);

INSTANTIATE_TEST_SUITE_P(Signatures, OssStoreTest,
                         ::testing::Values(Variant{"v4", false}, Variant{"v1", false},
                                           Variant{"v4", true}, Variant{"v1", true}),
                         VariantName);

TEST(OssStoreConfigTest, RejectsBadKeysAndPartNumbersBeforeSending) {
  StoreConfig config;
  config.name = "local-checks";
  config.endpoint = "http://127.0.0.1:1";  // nothing listens: a request would fail otherwise
  config.bucket = "b";
  config.region = "cn-hangzhou";
  auto store = NewOssStore(config, http::NewCurlHttpClient(), SystemClock::Instance());
  EXPECT_EQ(store->Put("", "x", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->UploadPart("k", "id", 0, "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->UploadPart("k", "id", 10001, "x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->CompleteMultipart("k", "id", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->List("", "", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Restore("k", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(OssStoreConfigTest, BadEndpointIsInvalidArgumentOnFirstCall) {
  StoreConfig config;
  config.name = "bad";
  config.type = "oss";
  config.endpoint = "ftp://example";
  config.bucket = "b";
  config.region = "cn-hangzhou";
  auto store = NewOssStore(config, http::NewCurlHttpClient(), SystemClock::Instance());
  EXPECT_EQ(store->kind(), "oss");
  EXPECT_EQ(store->Head("k").status().code(), StatusCode::kInvalidArgument);
}

TEST(OssStoreConfigTest, ConnectionRefusedIsUnavailableAfterRetries) {
  StoreConfig config;
  config.name = "down";
  config.endpoint = "http://127.0.0.1:1";
  config.bucket = "b";
  config.region = "cn-hangzhou";
  config.path_style = true;
  config.retry = {2, 1, 2};
  config.credentials = {"ak", "sk-secret-value", ""};
  auto store = NewOssStore(config, http::NewCurlHttpClient(), SystemClock::Instance());
  auto head = store->Head("k");
  EXPECT_EQ(head.status().code(), StatusCode::kUnavailable) << head.status().ToString();
  EXPECT_EQ(head.status().message().find("sk-secret-value"), std::string::npos);
}

}  // namespace
}  // namespace beacon::objstore
