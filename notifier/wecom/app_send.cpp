// SendAppMessage: message/send with the cached token; see app_send.h.
#include "notifier/wecom/app_send.h"

#include <spdlog/spdlog.h>

#include "common/log/log.h"
#include "common/url.h"
#include "notifier/wecom/limits.h"

namespace beacon::notifier::wecom {

using notifier::DeliveryOutcome;
using notifier::DeliveryResult;

DeliveryResult SendAppMessage(http::HttpClient& http, TokenCache& tokens,
                              const std::string& api_url, const std::string& body,
                              int64_t timeout_ms, const std::string& who) {
  for (int attempt = 0;; ++attempt) {
    Result<std::string> token = tokens.Get();
    if (!token.ok()) {
      return SendFailure(
          token.status().IsTransient() ? DeliveryOutcome::kRetry : DeliveryOutcome::kPermanent,
          token.status().message());
    }
    PostOutcome posted =
        PostJson(http, api_url + "message/send?access_token=" + PercentEncode(*token), body,
                 timeout_ms, "message/send", "check api_url");
    if (!posted.reply) return posted.failure;
    const ApiReply* reply = &*posted.reply;
    const std::string errmsg = log::Redact(reply->errmsg);
    const std::string described =
        "WeCom errcode " + std::to_string(reply->errcode) + " (" + errmsg + ")";
    switch (reply->errcode) {
      case 0:
        if (!reply->invaliduser.empty() || !reply->invalidparty.empty() ||
            !reply->invalidtag.empty()) {
          spdlog::warn(
              "{}: delivered, but WeCom did not know these recipients "
              "(check to_user/to_party/to_tag and the app's visible range): invaliduser='{}' "
              "invalidparty='{}' invalidtag='{}'",
              who, reply->invaliduser, reply->invalidparty, reply->invalidtag);
        }
        return DeliveryResult{};
      case 40001:
      case 40014:
      case 42001:
        // The token was revoked or expired early: evict it (only if nobody already did) and
        // try once more with a fresh one.
        tokens.Invalidate(*token);
        if (attempt == 0) continue;
        return SendFailure(DeliveryOutcome::kRetry,
                           "message/send: " + described + " again with a fresh access token");
      case -1:
        return SendFailure(DeliveryOutcome::kRetry, "message/send: " + described + ": WeCom busy");
      case 45009:
      case 45033:
        return SendFailure(DeliveryOutcome::kRetry,
                           "message/send: " + described + ": WeCom throttled the app",
                           kThrottleBlockMs);
      case 60020:
        return SendFailure(DeliveryOutcome::kPermanent, UntrustedIpAdvice(errmsg));
      case 81013:
        return SendFailure(DeliveryOutcome::kPermanent,
                           "message/send: " + described + ": no valid recipient (invaliduser='" +
                               reply->invaliduser + "' invalidparty='" + reply->invalidparty +
                               "' invalidtag='" + reply->invalidtag +
                               "'); check to_user/to_party/to_tag and the app's visible range");
      default:
        return SendFailure(DeliveryOutcome::kPermanent, "message/send: " + described);
    }
  }
}

}  // namespace beacon::notifier::wecom
