// WeCom access-token cache (single-flight gettoken, refresh before expiry) and the small reply
// helpers shared by the wecom_app notifier and the cache.
#include "notifier/wecom/token_cache.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <utility>

#include "common/crypto/crypto.h"
#include "common/http/http.h"
#include "common/json/parse.h"
#include "common/log/log.h"
#include "common/url.h"

namespace beacon::notifier::wecom {
namespace {

constexpr int64_t kMaxSafetyMarginMs = 5 * 60 * 1000;
constexpr int64_t kDefaultExpiresInS = 7200;

}  // namespace

std::string NormalizeApiUrl(std::string api_url) {
  if (api_url.empty() || api_url.back() != '/') api_url.push_back('/');
  return api_url;
}

Result<ApiReply> ParseApiReply(const std::string& body) {
  Result<nlohmann::json> read = ParseJson(body);
  nlohmann::json parsed = read.ok() ? std::move(*read) : nlohmann::json();
  if (!parsed.is_object() || !parsed.contains("errcode") ||
      !parsed["errcode"].is_number_integer()) {
    return Status::Unavailable("WeCom reply is not a JSON object with an errcode (" +
                               std::to_string(body.size()) + " bytes)");
  }
  ApiReply reply;
  reply.errcode = parsed["errcode"].get<int64_t>();
  auto text = [&parsed](const char* key) {
    auto it = parsed.find(key);
    return it != parsed.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  reply.errmsg = text("errmsg");
  reply.invaliduser = text("invaliduser");
  reply.invalidparty = text("invalidparty");
  reply.invalidtag = text("invalidtag");
  reply.access_token = text("access_token");
  auto expires = parsed.find("expires_in");
  if (expires != parsed.end() && expires->is_number_integer()) {
    reply.expires_in = expires->get<int64_t>();
  }
  return reply;
}

std::string UntrustedIpAdvice(const std::string& errmsg) {
  static const std::regex kFromIp(R"(from ip:\s*([0-9A-Fa-f.:]+))");
  std::smatch match;
  std::string ip = "<unknown>";
  if (std::regex_search(errmsg, match, kFromIp)) ip = match[1].str();
  return "WeCom errcode 60020: requests from this server's egress IP " + ip +
         " are not allowed; add " + ip +
         " to the app's trusted IPs (企业可信IP: admin console > 应用管理 > the app > "
         "企业可信IP) (errmsg: " +
         errmsg + ")";
}

int64_t TokenCache::SafetyMarginMs(int64_t expires_in_ms) {
  return std::min(kMaxSafetyMarginMs, expires_in_ms / 4);
}

TokenCache::TokenCache(std::string api_url, std::string corp_id, config::Secret secret,
                       http::HttpClient* http, const Clock* clock, int64_t timeout_ms)
    : api_url_(NormalizeApiUrl(std::move(api_url))),
      corp_id_(std::move(corp_id)),
      secret_(std::move(secret)),
      http_(http),
      clock_(clock),
      timeout_ms_(timeout_ms) {
  log::RegisterSecret(secret_.value());
  log::RegisterSecret(PercentEncode(secret_.value()));
}

int64_t TokenCache::fetch_count() const {
  MutexLock lock(mutex_);
  return fetch_count_;
}

Result<TokenCache::Fetched> TokenCache::Fetch() {
  http::HttpRequest request;
  request.method = "GET";
  request.url = api_url_ + "gettoken?corpid=" + PercentEncode(corp_id_) +
                "&corpsecret=" + PercentEncode(secret_.value());
  request.timeout_ms = timeout_ms_;
  Result<http::HttpResponse> response = http_->Send(request);
  if (!response.ok()) {
    return Status(response.status().code(),
                  "gettoken: " + log::Redact(response.status().message()));
  }
  if (response->status != 200) {
    std::string message = "gettoken: HTTP " + std::to_string(response->status);
    if (response->status >= 500 || response->status == 429) return Status::Unavailable(message);
    return Status::InvalidArgument(message + " (check api_url)");
  }
  BEACON_ASSIGN_OR_RETURN(ApiReply reply, ParseApiReply(response->body));
  std::string errmsg = log::Redact(reply.errmsg);
  std::string described =
      "gettoken: WeCom errcode " + std::to_string(reply.errcode) + " (" + errmsg + ")";
  switch (reply.errcode) {
    case 0:
      break;
    case -1:
    case 45009:
    case 45033:
      return Status::Unavailable(described);
    case 40001:
    case 40013:
    case 40091:
      return Status::PermissionDenied(described + ": check corp_id and the app secret");
    case 60020:
      return Status::FailedPrecondition("gettoken: " + UntrustedIpAdvice(errmsg));
    default:
      return Status::InvalidArgument(described);
  }
  if (reply.access_token.empty()) {
    return Status::Unavailable("gettoken: errcode 0 but no access_token in the reply");
  }
  log::RegisterSecret(reply.access_token);
  Fetched fetched;
  fetched.token = std::move(reply.access_token);
  int64_t expires_in_s = reply.expires_in > 0 ? reply.expires_in : kDefaultExpiresInS;
  fetched.expires_in_ms = expires_in_s * 1000;
  return fetched;
}

Result<std::string> TokenCache::Get() {
  UniqueLock lock(mutex_);
  const int64_t generation_at_start = generation_;
  while (true) {
    int64_t now = clock_->MonotonicMs();
    if (!token_.empty() && now < refresh_at_ms_) return token_;
    if (fetching_) {
      // Someone is already fetching: an unexpired token is still good meanwhile.
      if (!token_.empty() && now < expires_at_ms_) return token_;
      fetched_cv_.wait(lock, [this]() BEACON_REQUIRES(mutex_) { return !fetching_; });
      if (generation_ != generation_at_start) {
        // The fetch we waited for is the answer, success or failure: no second request.
        if (!token_.empty() && clock_->MonotonicMs() < expires_at_ms_) return token_;
        if (!last_error_.ok()) return last_error_;
      }
      continue;
    }
    fetching_ = true;
    ++fetch_count_;
    lock.unlock();
    Result<Fetched> fetched = Fetch();
    lock.lock();
    fetching_ = false;
    ++generation_;
    now = clock_->MonotonicMs();
    if (fetched.ok()) {
      token_ = fetched->token;
      expires_at_ms_ = now + fetched->expires_in_ms;
      refresh_at_ms_ = expires_at_ms_ - SafetyMarginMs(fetched->expires_in_ms);
      last_error_ = Status::Ok();
    } else {
      last_error_ = fetched.status();
    }
    fetched_cv_.notify_all();
    if (fetched.ok()) return token_;
    // A failed early refresh leaves the old, still valid token usable.
    if (!token_.empty() && now < expires_at_ms_) return token_;
    return fetched.status();
  }
}

void TokenCache::Invalidate(const std::string& token) {
  MutexLock lock(mutex_);
  if (token.empty() || token != token_) return;
  token_.clear();
  refresh_at_ms_ = 0;
  expires_at_ms_ = 0;
}

std::shared_ptr<TokenCache> SharedTokenCache(const std::string& api_url, const std::string& corp_id,
                                             const config::Secret& secret, http::HttpClient* http,
                                             const Clock* clock, int64_t timeout_ms) {
  static Mutex registry_mutex;
  static std::map<std::string, std::weak_ptr<TokenCache>> registry;
  std::ostringstream key;
  key << NormalizeApiUrl(api_url) << '\n'
      << corp_id << '\n'
      << crypto::Sha256Hex(secret.value()) << '\n'
      << static_cast<const void*>(http) << '\n'
      << static_cast<const void*>(clock);
  MutexLock lock(registry_mutex);
  for (auto it = registry.begin(); it != registry.end();) {
    it = it->second.expired() ? registry.erase(it) : std::next(it);
  }
  std::shared_ptr<TokenCache> cache = registry[key.str()].lock();
  if (!cache) {
    cache = std::make_shared<TokenCache>(api_url, corp_id, secret, http, clock, timeout_ms);
    registry[key.str()] = cache;
  }
  return cache;
}

notifier::DeliveryResult SendFailure(notifier::DeliveryOutcome outcome, std::string error,
                                     int64_t retry_after_ms) {
  notifier::DeliveryResult result;
  result.outcome = outcome;
  result.error = log::Redact(error);
  result.retry_after_ms = retry_after_ms;
  return result;
}

PostOutcome PostJson(http::HttpClient& http, const std::string& url, const std::string& body,
                     int64_t timeout_ms, const std::string& what, const std::string& hint) {
  using notifier::DeliveryOutcome;
  PostOutcome outcome;
  http::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.Set("Content-Type", "application/json; charset=utf-8");
  request.body = body;
  request.timeout_ms = timeout_ms;
  Result<http::HttpResponse> response = http.Send(request);
  if (!response.ok()) {
    outcome.failure =
        SendFailure(DeliveryOutcome::kRetry, what + ": " + response.status().message());
    return outcome;
  }
  if (response->status != 200) {
    std::string error = what + ": HTTP " + std::to_string(response->status);
    outcome.failure = response->status >= 500 || response->status == 429
                          ? SendFailure(DeliveryOutcome::kRetry, error)
                          : SendFailure(DeliveryOutcome::kPermanent, error + " (" + hint + ")");
    return outcome;
  }
  Result<ApiReply> reply = ParseApiReply(response->body);
  if (!reply.ok()) {
    outcome.failure = SendFailure(DeliveryOutcome::kRetry, what + ": " + reply.status().message());
    return outcome;
  }
  outcome.reply = std::move(*reply);
  return outcome;
}

}  // namespace beacon::notifier::wecom
