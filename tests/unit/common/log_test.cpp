// Tests for common/log: what reaches the log file (format, level filter, JSON lines) and that
// secrets, bearer credentials and token query values are masked for every spdlog call.
#include "common/log/log.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace beacon::log {
namespace {

namespace fs = std::filesystem;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("beacon_log_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    file_ = (dir_ / "beacon.log").string();
  }
  void TearDown() override {
    // Back to stderr so the file can be removed and later tests do not write into it.
    ASSERT_TRUE(Init(LogOptions{}, "test").ok());
    fs::remove_all(dir_);
  }
  void InitFile(const std::string& level = "info", bool json = false) {
    LogOptions options;
    options.level = level;
    options.file = file_;
    options.json = json;
    Status status = Init(options, "beacon-agent");
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  std::vector<std::string> Lines() {
    spdlog::default_logger()->flush();
    std::ifstream in(file_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::string Contents() {
    std::string out;
    for (const auto& line : Lines()) out += line + "\n";
    return out;
  }
  fs::path dir_;
  std::string file_;
};

TEST_F(LogTest, TextLineHasUtcTimestampLevelAndComponent) {
  InitFile();
  spdlog::info("collector reachable at {}", "10.0.0.5");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info \[beacon-agent\] )"
                           R"(collector reachable at 10\.0\.0\.5)")))
      << lines[0];
}

TEST_F(LogTest, RegisteredSecretLoggedAnywhereIsMasked) {
  InitFile();
  const std::string secret = "s3cr3t-token-0d9f2a71";
  RegisterSecret(secret);
  spdlog::info("uploading with token {} now", secret);
  spdlog::warn("{}{}", secret, secret);
  std::string text = Contents();
  EXPECT_EQ(text.find(secret), std::string::npos) << text;
  EXPECT_NE(text.find("uploading with token *** now"), std::string::npos) << text;
  EXPECT_NE(text.find("******"), std::string::npos) << text;
}

TEST_F(LogTest, BearerCredentialsAreMasked) {
  InitFile();
  spdlog::info("request headers: Authorization: Bearer eyJhbGciOi.abc-def_123 Accept: */*");
  spdlog::error("curl -H \"Authorization: Bearer q9w8e7r6\" https://x");
  std::string text = Contents();
  EXPECT_NE(text.find("Authorization: Bearer *** Accept: */*"), std::string::npos) << text;
  EXPECT_NE(text.find("\"Authorization: Bearer ***\" https://x"), std::string::npos) << text;
  EXPECT_EQ(text.find("eyJhbGciOi"), std::string::npos);
  EXPECT_EQ(text.find("q9w8e7r6"), std::string::npos);
}

TEST_F(LogTest, LevelFiltersLowerMessages) {
  InitFile("warn");
  spdlog::info("not shown");
  spdlog::warn("shown");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(" warning [beacon-agent] shown"), std::string::npos) << lines[0];
}

TEST_F(LogTest, FileIsAppendedNotTruncated) {
  InitFile();
  spdlog::info("first run");
  InitFile();
  spdlog::info("second run");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("first run"), std::string::npos);
  EXPECT_NE(lines[1].find("second run"), std::string::npos);
}

TEST_F(LogTest, JsonModeWritesOneParseableObjectPerLine) {
  InitFile("debug", /*json=*/true);
  const std::string secret = "json-secret-4b1e99c0";
  RegisterSecret(secret);
  spdlog::debug("quote \" backslash \\ newline \n tab \t done");
  spdlog::error("failed with key {}", secret);
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["level"], "debug");
  EXPECT_EQ(first["component"], "beacon-agent");
  EXPECT_EQ(first["msg"], "quote \" backslash \\ newline \n tab \t done");
  EXPECT_TRUE(std::regex_match(first["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")))
      << first["ts"];
  nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "error");
  EXPECT_EQ(second["msg"], "failed with key ***");
}

TEST_F(LogTest, JsonModeSurvivesInvalidUtf8) {
  InitFile("info", /*json=*/true);
  spdlog::info("bytes: \xff\xfe end");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  nlohmann::json line = nlohmann::json::parse(lines[0]);
  EXPECT_NE(line["msg"].get<std::string>().find("end"), std::string::npos);
}

TEST_F(LogTest, UnknownLevelIsRejected) {
  LogOptions options;
  options.level = "verbose";
  Status status = Init(options, "beacon-agent");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("verbose"), std::string::npos);
}

TEST_F(LogTest, UnopenableFileIsRejected) {
  LogOptions options;
  options.file = "/proc/beacon-cannot-create-this/log";
  Status status = Init(options, "beacon-agent");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("/proc/beacon-cannot-create-this/log"), std::string::npos);
}

TEST(RedactTest, LongestSecretWinsOverItsPrefix) {
  RegisterSecret("abcd-short");
  RegisterSecret("abcd-short-and-longer");
  EXPECT_EQ(Redact("x abcd-short-and-longer y abcd-short z"), "x *** y *** z");
}

TEST(RedactTest, ShortValuesAreNotRegistered) {
  RegisterSecret("abc");
  EXPECT_EQ(Redact("abc abcabc"), "abc abcabc");
}

TEST(RedactTest, TokenQueryValuesAreMasked) {
  EXPECT_EQ(Redact("GET /cgi-bin/send?access_token=AbC123&debug=1 HTTP/1.1"),
            "GET /cgi-bin/send?access_token=***&debug=1 HTTP/1.1");
  EXPECT_EQ(Redact("https://qyapi.weixin.qq.com/webhook/send?key=693a91f6-7xxx"),
            "https://qyapi.weixin.qq.com/webhook/send?key=***");
  EXPECT_EQ(Redact("url=\"/x?token=zz9\" ok"), "url=\"/x?token=***\" ok");
  EXPECT_EQ(Redact("api_key=abcdef"), "api_key=***");
}

TEST(RedactTest, OrdinaryTextIsUntouched) {
  EXPECT_EQ(Redact("monkey=banana count=3 Bearerless text"),
            "monkey=banana count=3 Bearerless text");
  EXPECT_EQ(Redact("the bearer of bad news"), "the bearer of bad news");
}

}  // namespace
}  // namespace beacon::log
