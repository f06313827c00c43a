// The wecom_app notifier: alerts as WeCom self-built-app messages (POST /cgi-bin/message/send,
// doc 90236) in text, markdown (with a text copy for users on the WeChat plugin, which cannot
// show markdown) or textcard form, with the process-wide access-token cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/status.h"
#include "notifier/notifier.h"
#include "notifier/render/render.h"
#include "notifier/wecom/token_cache.h"

namespace beacon::notifier {

struct WecomAppConfig {
  std::string name;  // the receiver's name, for logs
  std::string corp_id;
  int64_t agent_id = 0;
  config::Secret secret;
  std::vector<std::string> to_user;  // "@all" allowed
  std::vector<std::string> to_party;
  std::vector<std::string> to_tag;
  std::string message_type = "text";  // text | markdown | textcard
  // Markdown only: these users get the text form instead (and are left out of the markdown).
  std::vector<std::string> text_fallback_users;
  int safe = 0;
  bool duplicate_check = true;
  int64_t duplicate_check_interval_s = 1800;
  std::string api_url = "https://qyapi.weixin.qq.com/cgi-bin/";
  int64_t timeout_ms = 10000;
  std::string language;   // empty: NotifierDeps' default
  std::string timezone;   // empty: NotifierDeps' default
  std::string alert_url;  // "https://beacon.example/alerts/{id}"; required for textcard
};

// Thread-safe. Messages of one notification are sent in order; the parts of a split message and
// the text-fallback copies count as parts for Notification::parts_done.
class WecomAppNotifier final : public Notifier {
 public:
  WecomAppNotifier(WecomAppConfig config, const NotifierDeps& deps);

  DeliveryResult Deliver(const Notification& notification) override;
  int MessageCount(const Notification& notification) const override;
  std::string type() const override { return "wecom_app"; }

  // The message/send request bodies for the notification, in sending order (pure: the same
  // notification always gives the same bytes, so WeCom's duplicate check recognises a retry).
  std::vector<std::string> BuildRequests(const Notification& notification) const;

 private:
  DeliveryResult SendOne(const std::string& body);
  // to_groups: address to_party/to_tag too (not for the text copies of the fallback users).
  std::string RequestJson(const std::string& msgtype, const std::string& touser, bool to_groups,
                          const std::string& section_json) const;
  render::RenderOptions Options(render::Format format, size_t max_bytes,
                                render::Overflow overflow) const;

  const WecomAppConfig config_;
  http::HttpClient* const http_;
  const std::string api_url_;
  const std::string language_;
  const std::string timezone_;
  std::shared_ptr<wecom::TokenCache> tokens_;
};

// Parses an `alerts.receivers.<name>` section of type wecom_app. Keys: type, corp_id, agent_id,
// secret_file | secret_env, to_user, to_party, to_tag ("a|b" or a list), message_type
// (text|markdown|textcard), text_fallback_users, safe (0|1), duplicate_check (bool),
// duplicate_check_interval (duration ≤ 4h), api_url, timeout, language, timezone, alert_url.
// Errors are recorded on the node; an empty function is returned when the section is invalid.
NotifierFactory ParseWecomAppReceiver(const std::string& name, config::Node node);

}  // namespace beacon::notifier
