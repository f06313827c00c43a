// Tests for ReadStoreConfigs (one bad config per rule, with the exact operator-facing
// "file:line: path: message" text; secrets never echoed) and the NewObjectStore factory.
#include "common/cloud/objstore/store_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/log/log.h"

namespace beacon::objstore {
namespace {

namespace fs = std::filesystem;

class StoreConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("store_config_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "sk") << "file-secret-VALUE-123\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Loads `yaml` from <dir>/stores.yaml and reads its `stores:` section.
  Status Read(const std::string& yaml, std::map<std::string, StoreConfig>* out) {
    const std::string path = (dir_ / "stores.yaml").string();
    std::ofstream(path) << yaml;
    auto doc = config::Document::LoadFile(path);
    if (!doc.ok()) return doc.status();
    *out = ReadStoreConfigs((*doc)->root().Child("stores"));
    return (*doc)->Finish();
  }

  // The error text with the temp directory shown as "stores.yaml".
  std::string ErrorOf(const std::string& yaml) {
    std::map<std::string, StoreConfig> stores;
    Status status = Read(yaml, &stores);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << yaml;
    std::string text = status.message();
    const std::string full = (dir_ / "stores.yaml").string();
    for (size_t at; (at = text.find(full)) != std::string::npos;) {
      text.replace(at, full.size(), "stores.yaml");
    }
    return text;
  }

  fs::path dir_;
};

TEST_F(StoreConfigTest, ValidStoresSetEveryValue) {
  ::setenv("BEACON_TEST_OSS_SK", "env-secret-VALUE-456", 1);
  std::map<std::string, StoreConfig> stores;
  Status status = Read(R"(stores:
  local:
    type: local
    path: backup-data
  minio:
    type: s3
    endpoint: https://s3.example.com
    bucket: b1
    path_style: true
    access_key_id: AKMINIO
    secret_access_key_file: sk
    tls_verify: false
    ca_file: certs/ca.pem
  oss-backup:
    type: oss
    endpoint: https://oss-cn-hangzhou.aliyuncs.com/
    region: cn-hangzhou
    bucket: beacon
    signature: v1
    access_key_id: LTAI5t
    secret_access_key_env: BEACON_TEST_OSS_SK
    timeout: 90s
    retry: {attempts: 6, initial_backoff: 500ms, max_backoff: 30s}
    part_size: 16MiB
    multipart_threshold: 64MiB
)",
                       &stores);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(stores.size(), 3u);
  const StoreConfig& local = stores.at("local");
  EXPECT_EQ(local.name, "local");
  EXPECT_EQ(local.type, "local");
  EXPECT_EQ(local.path, (dir_ / "backup-data").string()) << "relative to the config file";
  const StoreConfig& minio = stores.at("minio");
  EXPECT_EQ(minio.type, "s3");
  EXPECT_EQ(minio.region, "us-east-1");
  EXPECT_TRUE(minio.path_style);
  EXPECT_FALSE(minio.tls_verify);
  EXPECT_EQ(minio.ca_file, (dir_ / "certs/ca.pem").string());
  EXPECT_EQ(minio.credentials.access_key_id, "AKMINIO");
  EXPECT_EQ(minio.credentials.secret_access_key, "file-secret-VALUE-123");
  EXPECT_EQ(minio.part_size, 8u << 20);
  EXPECT_EQ(minio.retry.attempts, 4);
  const StoreConfig& oss = stores.at("oss-backup");
  EXPECT_EQ(oss.signature, "v1");
  EXPECT_EQ(oss.region, "cn-hangzhou");
  EXPECT_EQ(oss.credentials.secret_access_key, "env-secret-VALUE-456");
  EXPECT_EQ(oss.timeout_ms, 90'000);
  EXPECT_EQ(oss.retry.attempts, 6);
  EXPECT_EQ(oss.retry.initial_backoff_ms, 500);
  EXPECT_EQ(oss.retry.max_backoff_ms, 30'000);
  EXPECT_EQ(oss.part_size, 16u << 20);
  EXPECT_EQ(oss.multipart_threshold, 64u << 20);
  // Registered with the redactor: a log line can never show it.
  EXPECT_EQ(log::Redact("key=env-secret-VALUE-456"), "key=***");
  EXPECT_EQ(log::Redact("key=file-secret-VALUE-123"), "key=***");
}

TEST_F(StoreConfigTest, TypeIsRequired) {
  EXPECT_EQ(ErrorOf("stores:\n  a:\n    path: /x\n"),
            "stores.yaml:2: stores.a.type: required key is missing");
}

TEST_F(StoreConfigTest, UnknownType) {
  EXPECT_EQ(ErrorOf("stores:\n  a:\n    type: ftp\n"),
            "stores.yaml:3: stores.a.type: expected one of: local, s3, oss, got 'ftp'");
}

TEST_F(StoreConfigTest, LocalNeedsPath) {
  EXPECT_EQ(ErrorOf("stores:\n  a:\n    type: local\n"),
            "stores.yaml:2: stores.a.path: required key is missing");
}

TEST_F(StoreConfigTest, RemoteStoresNeedEndpointBucketAndCredentials) {
  EXPECT_EQ(ErrorOf("stores:\n  o:\n    type: oss\n    region: cn-hangzhou\n"),
            "stores.yaml:2: stores.o.endpoint: required key is missing\n"
            "stores.yaml:2: stores.o.bucket: required key is missing\n"
            "stores.yaml:2: stores.o.access_key_id: required key is missing\n"
            "stores.yaml:2: stores.o.secret_access_key_file: required: set "
            "secret_access_key_file or secret_access_key_env");
}

constexpr char kOssBase[] =
    "stores:\n"
    "  o:\n"
    "    type: oss\n"
    "    bucket: b\n"
    "    access_key_id: AK\n"
    "    secret_access_key_file: sk\n";

TEST_F(StoreConfigTest, EndpointNeedsHttpScheme) {
  EXPECT_EQ(ErrorOf(std::string(kOssBase) +
                    "    region: cn-hangzhou\n    endpoint: oss-cn-hangzhou.aliyuncs.com\n"),
            "stores.yaml:8: stores.o.endpoint: must start with http:// or https://");
}

TEST_F(StoreConfigTest, EndpointHasNoPath) {
  EXPECT_EQ(ErrorOf(std::string(kOssBase) +
                    "    region: cn-hangzhou\n    endpoint: https://example.com/bucket\n"),
            "stores.yaml:8: stores.o.endpoint: must be scheme://host[:port] without a path");
}

TEST_F(StoreConfigTest, OssV4NeedsRegion) {
  EXPECT_EQ(ErrorOf(std::string(kOssBase) + "    endpoint: https://oss.example.com\n"),
            "stores.yaml:2: stores.o.region: required for signature v4 (e.g. cn-hangzhou)");
}

TEST_F(StoreConfigTest, SignatureIsV4OrV1) {
  EXPECT_EQ(
      ErrorOf(std::string(kOssBase) + "    endpoint: https://oss.example.com\n    signature: v2\n"),
      "stores.yaml:8: stores.o.signature: expected one of: v4, v1, got 'v2'");
}

TEST_F(StoreConfigTest, InlineSecretIsRejectedWithoutEchoingIt) {
  std::string text = ErrorOf(
      "stores:\n  s:\n    type: s3\n    endpoint: http://s3.local\n    bucket: b\n"
      "    access_key_id: AK\n    secret_access_key: inline-SECRET-789\n");
  EXPECT_EQ(text,
            "stores.yaml:7: stores.s.secret_access_key: secrets are not accepted inline; use "
            "secret_access_key_file or secret_access_key_env");
  EXPECT_EQ(text.find("inline-SECRET-789"), std::string::npos);
}

TEST_F(StoreConfigTest, SecretNeverAppearsInErrors) {
  ::setenv("BEACON_TEST_LEAKY_SK", "leaky-SECRET-abc", 1);
  // The operator pasted the secret into another key by mistake; the error quotes the value.
  std::string text = ErrorOf(
      "stores:\n  s:\n    type: s3\n    endpoint: http://s3.local\n    bucket: b\n"
      "    access_key_id: AK\n    secret_access_key_env: BEACON_TEST_LEAKY_SK\n"
      "    timeout: leaky-SECRET-abc\n");
  EXPECT_EQ(text,
            "stores.yaml:8: stores.s.timeout: expected a duration like 30s, 5m, 1h, got '***'");
  EXPECT_EQ(text.find("leaky-SECRET-abc"), std::string::npos);
}

TEST_F(StoreConfigTest, KeysOfAnotherTypeAreUnknown) {
  std::string text = ErrorOf(
      "stores:\n  a:\n    type: local\n    path: /x\n"
      "    endpoint: http://e\n");
  EXPECT_EQ(text.rfind("stores.yaml:5: stores.a.endpoint: unknown key (known here: ", 0), 0u)
      << text;
  text = ErrorOf(
      "stores:\n  s:\n    type: s3\n    endpoint: http://s3.local\n    bucket: b\n"
      "    access_key_id: AK\n    secret_access_key_file: sk\n    signature: v1\n");
  EXPECT_EQ(text.rfind("stores.yaml:8: stores.s.signature: unknown key (known here: ", 0), 0u)
      << text;
}

TEST_F(StoreConfigTest, StoreNamesAreRestricted) {
  EXPECT_EQ(ErrorOf("stores:\n  bad name!:\n    type: local\n    path: /x\n"),
            "stores.yaml:2: stores.bad name!: store names use letters, digits, '-' and '_' "
            "(at most 64)");
}

TEST_F(StoreConfigTest, RetryAttemptsInRange) {
  EXPECT_EQ(ErrorOf("stores:\n  a:\n    type: local\n    path: /x\n    retry:\n"
                    "      attempts: 0\n"),
            "stores.yaml:6: stores.a.retry.attempts: must be between 1 and 20, got 0");
}

TEST_F(StoreConfigTest, MaxBackoffNotBelowInitial) {
  EXPECT_EQ(ErrorOf("stores:\n  a:\n    type: local\n    path: /x\n    retry:\n"
                    "      initial_backoff: 10s\n      max_backoff: 1s\n"),
            "stores.yaml:7: stores.a.retry.max_backoff: must not be less than initial_backoff");
}

TEST_F(StoreConfigTest, PartSizeAtLeastTheBackendMinimum) {
  EXPECT_EQ(ErrorOf("stores:\n  s:\n    type: s3\n    endpoint: http://s3.local\n    bucket: b\n"
                    "    access_key_id: AK\n    secret_access_key_file: sk\n"
                    "    part_size: 1MiB\n"),
            "stores.yaml:8: stores.s.part_size: must be at least 5MiB, got '1MiB'");
}

TEST_F(StoreConfigTest, ThresholdNotBelowPartSize) {
  EXPECT_EQ(ErrorOf("stores:\n  a:\n    type: local\n    path: /x\n    part_size: 32MiB\n"
                    "    multipart_threshold: 1MiB\n"),
            "stores.yaml:6: stores.a.multipart_threshold: multipart_threshold must be at least "
            "part_size");
}

TEST_F(StoreConfigTest, FactoryBuildsEachType) {
  StoreConfig local;
  local.name = "l";
  local.type = "local";
  local.path = (dir_ / "store").string();
  auto store = NewObjectStore(local);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->kind(), "local");
  EXPECT_EQ((*store)->name(), "l");
  ASSERT_TRUE((*store)->Put("k", "v", {}).ok());
  EXPECT_TRUE(fs::exists(dir_ / "store" / "objects" / "k"));

  for (const char* type : {"s3", "oss"}) {
    StoreConfig remote;
    remote.name = std::string("r-") + type;
    remote.type = type;
    remote.endpoint = "http://127.0.0.1:1";
    remote.region = "cn-hangzhou";
    remote.bucket = "b";
    auto built = NewObjectStore(remote);
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    EXPECT_EQ((*built)->kind(), type);
    EXPECT_EQ((*built)->name(), remote.name);
    EXPECT_EQ(NewObjectStore(remote, nullptr).status().code(), StatusCode::kInvalidArgument)
        << "remote stores need an HTTP client";
  }
  StoreConfig unknown;
  unknown.type = "ftp";
  EXPECT_EQ(NewObjectStore(unknown).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace beacon::objstore
