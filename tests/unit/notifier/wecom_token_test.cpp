// Tests for the WeCom access-token cache with a scripted HttpClient and a FakeClock: one gettoken
// for many concurrent callers, refresh before expiry, invalidation that only evicts the current
// token, error mapping, and no secret in any error.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/http/client.h"
#include "common/http/http.h"
#include "common/log/log.h"
#include "notifier/wecom/token_cache.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::notifier::wecom {
namespace {

constexpr char kApi[] = "https://qyapi.example/cgi-bin/";
constexpr char kCorp[] = "wwcorp0001";
constexpr char kSecret[] = "s3cr3t-app-secret-value";

// Answers gettoken like WeCom: checks corpid/corpsecret, hands out tok-1, tok-2, ...
class FakeGettoken : public fakes::ScriptedHttpClient {
 public:
  FakeGettoken() : ScriptedHttpClient([this](const http::HttpRequest& r) { return Gettoken(r); }) {}

  Result<http::HttpResponse> Gettoken(const http::HttpRequest& request) {
    int64_t call = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      call = ++calls_;
      // Hold the first fetch until every test thread has asked for a token, so the others
      // really are concurrent with it (bounded: a broken cache must not hang the test).
      if (hold_until_callers_ > 0) {
        cv_.wait_for(lock, std::chrono::seconds(5),
                     [this] { return callers_.load() >= hold_until_callers_; });
      }
    }
    if (!transport_error_.empty()) return Status::Unavailable(transport_error_);
    http::HttpResponse response;
    response.status = http_status_;
    if (http_status_ != 200) {
      response.body = "<html>bad gateway</html>";
      return response;
    }
    std::string prefix = "gettoken?corpid=";
    size_t at = request.url.find(prefix);
    auto query = http::ParseQuery(at == std::string::npos ? "" : request.url.substr(at + 9));
    nlohmann::json body;
    if (request.url.rfind(kApi, 0) != 0 || query["corpid"] != kCorp) {
      body = {{"errcode", 40013}, {"errmsg", "invalid corpid"}};
    } else if (query["corpsecret"] != kSecret) {
      body = {{"errcode", 40001}, {"errmsg", "invalid credential"}};
    } else if (errcode_ != 0) {
      body = {{"errcode", errcode_}, {"errmsg", errmsg_}};
    } else {
      body = {{"errcode", 0},
              {"errmsg", "ok"},
              {"access_token", "tok-" + std::to_string(call)},
              {"expires_in", expires_in_s_}};
    }
    response.body = body.dump();
    return response;
  }

  void ArriveCaller() {
    ++callers_;
    std::lock_guard<std::mutex> lock(mutex_);
    cv_.notify_all();
  }
  int64_t calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

  int hold_until_callers_ = 0;
  int64_t expires_in_s_ = 7200;
  int http_status_ = 200;
  int64_t errcode_ = 0;
  std::string errmsg_;
  std::string transport_error_;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int64_t calls_ = 0;
  std::atomic<int> callers_{0};
};

TEST(WecomTokenCacheTest, EightConcurrentCallersShareOneGettoken) {
  FakeGettoken http;
  http.hold_until_callers_ = 8;
  FakeClock clock;
  TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
  std::vector<std::thread> threads;
  std::vector<std::string> tokens(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      http.ArriveCaller();
      Result<std::string> token = cache.Get();
      tokens[static_cast<size_t>(i)] = token.ok() ? *token : token.status().ToString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(http.calls(), 1);
  EXPECT_EQ(cache.fetch_count(), 1);
  for (const std::string& token : tokens) EXPECT_EQ(token, "tok-1");
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url,
            std::string(kApi) + "gettoken?corpid=" + kCorp + "&corpsecret=" + kSecret);
}

TEST(WecomTokenCacheTest, CachedUntilTheSafetyMarginBeforeExpiry) {
  FakeGettoken http;
  FakeClock clock;
  TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
  ASSERT_EQ(cache.Get().value_or(""), "tok-1");
  const int64_t margin = TokenCache::SafetyMarginMs(7200 * 1000);
  EXPECT_EQ(margin, 5 * 60 * 1000);
  clock.AdvanceMs(7200 * 1000 - margin - 1);
  EXPECT_EQ(cache.Get().value_or(""), "tok-1");
  EXPECT_EQ(http.calls(), 1);
  clock.AdvanceMs(2);  // now inside the margin: refreshed although the old one is still valid
  EXPECT_EQ(cache.Get().value_or(""), "tok-2");
  EXPECT_EQ(http.calls(), 2);
  EXPECT_EQ(cache.Get().value_or(""), "tok-2");
  EXPECT_EQ(http.calls(), 2);
}

TEST(WecomTokenCacheTest, ShortLifetimeUsesAQuarterAsMargin) {
  FakeGettoken http;
  http.expires_in_s_ = 60;
  FakeClock clock;
  TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
  ASSERT_EQ(cache.Get().value_or(""), "tok-1");
  clock.AdvanceMs(44 * 1000);
  EXPECT_EQ(cache.Get().value_or(""), "tok-1");
  clock.AdvanceMs(2 * 1000);
  EXPECT_EQ(cache.Get().value_or(""), "tok-2");
}

TEST(WecomTokenCacheTest, FailedEarlyRefreshKeepsTheStillValidToken) {
  FakeGettoken http;
  FakeClock clock;
  TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
  ASSERT_EQ(cache.Get().value_or(""), "tok-1");
  clock.AdvanceMs(7200 * 1000 - 60 * 1000);  // inside the margin, not expired
  http.errcode_ = -1;
  http.errmsg_ = "system is busy";
  EXPECT_EQ(cache.Get().value_or(""), "tok-1");
  clock.AdvanceMs(61 * 1000);  // expired: the error surfaces
  Result<std::string> expired = cache.Get();
  ASSERT_FALSE(expired.ok());
  EXPECT_TRUE(expired.status().IsTransient()) << expired.status().ToString();
}

TEST(WecomTokenCacheTest, InvalidateEvictsOnlyTheCachedToken) {
  FakeGettoken http;
  FakeClock clock;
  TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
  ASSERT_EQ(cache.Get().value_or(""), "tok-1");
  cache.Invalidate("tok-0");  // a token that was replaced long ago
  EXPECT_EQ(cache.Get().value_or(""), "tok-1");
  EXPECT_EQ(http.calls(), 1);
  cache.Invalidate("tok-1");
  EXPECT_EQ(cache.Get().value_or(""), "tok-2");
  EXPECT_EQ(http.calls(), 2);

  // Eight workers all see 42001 for tok-2: one refetch between them.
  std::vector<std::thread> threads;
  std::vector<std::string> tokens(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      cache.Invalidate("tok-2");
      tokens[static_cast<size_t>(i)] = cache.Get().value_or("error");
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(http.calls(), 3);
  for (const std::string& token : tokens) EXPECT_EQ(token, "tok-3");
}

TEST(WecomTokenCacheTest, ErrorsAreClassifiedAndNeverShowTheSecret) {
  FakeClock clock;
  {
    FakeGettoken http;
    TokenCache cache(kApi, kCorp, config::Secret("wrong-secret-value"), &http, &clock);
    Result<std::string> token = cache.Get();
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(token.status().message().find("40001"), std::string::npos);
    EXPECT_EQ(token.status().message().find("wrong-secret-value"), std::string::npos);
  }
  {
    FakeGettoken http;
    http.http_status_ = 502;
    TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
    Result<std::string> token = cache.Get();
    ASSERT_FALSE(token.ok());
    EXPECT_TRUE(token.status().IsTransient());
    EXPECT_NE(token.status().message().find("502"), std::string::npos);
  }
  {
    // A transport error that (wrongly) quotes the URL: the secret is still masked.
    FakeGettoken http;
    http.transport_error_ = std::string("connect failed for ") + kApi +
                            "gettoken?corpid=wwcorp0001&corpsecret=" + kSecret;
    TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
    Result<std::string> token = cache.Get();
    ASSERT_FALSE(token.ok());
    EXPECT_TRUE(token.status().IsTransient());
    EXPECT_EQ(token.status().message().find(kSecret), std::string::npos)
        << token.status().message();
  }
  {
    FakeGettoken http;
    http.errcode_ = 60020;
    http.errmsg_ = "not allow to access from your ip, hint: [x], from ip: 198.51.100.4, more info";
    TokenCache cache(kApi, kCorp, config::Secret(kSecret), &http, &clock);
    Result<std::string> token = cache.Get();
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(token.status().message().find("198.51.100.4"), std::string::npos);
    EXPECT_NE(token.status().message().find("企业可信IP"), std::string::npos);
  }
}

TEST(WecomTokenCacheTest, OneSharedCachePerCredentials) {
  FakeGettoken http;
  FakeClock clock;
  auto a = SharedTokenCache(kApi, kCorp, config::Secret(kSecret), &http, &clock, 1000);
  auto b = SharedTokenCache("https://qyapi.example/cgi-bin", kCorp, config::Secret(kSecret), &http,
                            &clock, 1000);
  auto other = SharedTokenCache(kApi, kCorp, config::Secret("another-secret"), &http, &clock, 1000);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), other.get());
  ASSERT_EQ(a->Get().value_or(""), "tok-1");
  EXPECT_EQ(b->Get().value_or(""), "tok-1");
  EXPECT_EQ(http.calls(), 1);
}

TEST(WecomTokenCacheTest, UntrustedIpAdviceNamesTheAddress) {
  std::string advice = UntrustedIpAdvice(
      "not allow to access from your ip, hint: [1764151234_abc], from ip: 1.2.3.4, more info at "
      "https://open.work.weixin.qq.com/devtool/query?e=60020");
  EXPECT_NE(advice.find("add 1.2.3.4 to the app's trusted IPs"), std::string::npos) << advice;
}

}  // namespace
}  // namespace beacon::notifier::wecom
