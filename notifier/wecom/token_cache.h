// WeCom access-token cache: one per (api_url, corp_id, app secret) for the whole process, shared
// by every worker that sends as that app. Frequent gettoken calls are throttled by WeCom, so the
// token is kept until shortly before expires_in and concurrent callers wait for one fetch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "common/mutex.h"
#include "common/status.h"
#include "notifier/notifier.h"

namespace beacon::notifier::wecom {

// Thread-safe. The secret and the tokens it hands out are registered with the log redactor and
// never appear in a Status message.
class TokenCache {
 public:
  // api_url ends with '/' ("https://qyapi.weixin.qq.com/cgi-bin/"). http and clock outlive it.
  TokenCache(std::string api_url, std::string corp_id, config::Secret secret,
             http::HttpClient* http, const Clock* clock, int64_t timeout_ms = 10000);

  // The cached token, or a fresh one when none is cached or it is within the safety margin of
  // its expiry. While one caller fetches, the others wait for that fetch (single flight) — or,
  // when the old token has not expired yet, keep using it. Errors: kUnavailable /
  // kDeadlineExceeded for transient failures (network, 5xx, -1, 45009, 45033), kPermissionDenied
  // for a wrong corp id or secret (40013/40001), kFailedPrecondition for 60020 (egress IP not
  // trusted), kInvalidArgument for any other errcode.
  Result<std::string> Get();

  // Forgets `token` if it is still the cached one (a send answered 40014/42001/40001). A token
  // that was already replaced is ignored, so N workers failing with the same token cause one
  // refetch, not N.
  void Invalidate(const std::string& token);

  // How many gettoken requests were sent (for tests and /metrics).
  int64_t fetch_count() const;

  // The token is refreshed this long before it expires: min(5 min, expires_in / 4).
  static int64_t SafetyMarginMs(int64_t expires_in_ms);

 private:
  struct Fetched {
    std::string token;
    int64_t expires_in_ms = 0;
  };
  Result<Fetched> Fetch();

  const std::string api_url_;
  const std::string corp_id_;
  const config::Secret secret_;
  http::HttpClient* const http_;
  const Clock* const clock_;
  const int64_t timeout_ms_;

  mutable Mutex mutex_;
  std::condition_variable_any fetched_cv_;
  std::string token_ BEACON_GUARDED_BY(mutex_);          // empty: none
  int64_t refresh_at_ms_ BEACON_GUARDED_BY(mutex_) = 0;  // monotonic
  int64_t expires_at_ms_ BEACON_GUARDED_BY(mutex_) = 0;  // monotonic
  bool fetching_ BEACON_GUARDED_BY(mutex_) = false;
  int64_t generation_ BEACON_GUARDED_BY(mutex_) = 0;  // completed fetches
  Status last_error_ BEACON_GUARDED_BY(mutex_);       // of the last completed fetch
  int64_t fetch_count_ BEACON_GUARDED_BY(mutex_) = 0;
};

// The process-wide cache for these credentials and this HTTP client/clock: every wecom_app
// notifier of the same app shares one (the registry holds weak references, so the cache lives
// as long as a notifier uses it).
std::shared_ptr<TokenCache> SharedTokenCache(const std::string& api_url, const std::string& corp_id,
                                             const config::Secret& secret, http::HttpClient* http,
                                             const Clock* clock, int64_t timeout_ms);

// "https://host/cgi-bin" -> "https://host/cgi-bin/" (the API paths are appended to it).
std::string NormalizeApiUrl(std::string api_url);

// Parses a WeCom JSON reply's errcode and errmsg. A body that is not a JSON object with an
// integer errcode is kUnavailable (a proxy's error page: worth retrying).
struct ApiReply {
  int64_t errcode = 0;
  std::string errmsg;
  // message/send: recipients WeCom did not know (delivered to the others), "a|b".
  std::string invaliduser;
  std::string invalidparty;
  std::string invalidtag;
  // gettoken
  std::string access_token;
  int64_t expires_in = 0;
};
Result<ApiReply> ParseApiReply(const std::string& body);

// A DeliveryResult for a failed send; the error goes through log::Redact.
notifier::DeliveryResult SendFailure(notifier::DeliveryOutcome outcome, std::string error,
                                     int64_t retry_after_ms = 0);

// What a POST of a JSON body to a WeCom API endpoint came to: WeCom's reply (any errcode), or
// the failure before WeCom gave one. Transport errors, HTTP 5xx/429 and unreadable replies are
// retried; other HTTP statuses are permanent ("<what>: HTTP 404 (<hint>)").
struct PostOutcome {
  std::optional<ApiReply> reply;
  notifier::DeliveryResult failure;  // when reply is empty
};
PostOutcome PostJson(http::HttpClient& http, const std::string& url, const std::string& body,
                     int64_t timeout_ms, const std::string& what, const std::string& hint);

// The operator's fix for errcode 60020, naming the egress IP that WeCom reported in errmsg
// ("..., from ip: 1.2.3.4, ...").
std::string UntrustedIpAdvice(const std::string& errmsg);

}  // namespace beacon::notifier::wecom
