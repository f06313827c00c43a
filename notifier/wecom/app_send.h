// One POST of a message/send request body as a WeCom self-built app, with the app's cached
// access token: WeCom's answer mapped onto DeliveryResult (a revoked token is evicted and the
// send tried once more, -1 and throttling retried, 60020 and 81013 permanent with the fix).
// Shared by the wecom_app notifier and the collector's bot replies. Thread-safe (TokenCache is).
#pragma once

#include <cstdint>
#include <string>

#include "common/http/client.h"
#include "notifier/notifier.h"
#include "notifier/wecom/token_cache.h"

namespace beacon::notifier::wecom {

// api_url ends with '/'; `who` names the sender in the warning about unknown recipients
// ("wecom_app receiver ops", "bot reply").
DeliveryResult SendAppMessage(http::HttpClient& http, TokenCache& tokens,
                              const std::string& api_url, const std::string& body,
                              int64_t timeout_ms, const std::string& who);

}  // namespace beacon::notifier::wecom
