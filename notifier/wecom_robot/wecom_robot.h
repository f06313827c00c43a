// The wecom_robot notifier: alerts to a WeCom group robot (POST /cgi-bin/webhook/send?key=,
// doc 99110) as text or markdown, at most 20 messages a minute per robot (WeCom's limit; the
// outbox enforces rate_limit()). The webhook key never reaches a log or an error message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "notifier/notifier.h"
#include "notifier/render/render.h"

namespace beacon::notifier {

struct WecomRobotConfig {
  std::string name;  // the receiver's name, for logs
  // Either the webhook key (sent to api_url + "webhook/send?key=") or the full webhook URL.
  config::Secret key;
  config::Secret url;
  std::string api_url = "https://qyapi.weixin.qq.com/cgi-bin/";
  std::string message_type = "markdown";    // text (≤ 2048 bytes) | markdown (≤ 4096 bytes)
  std::vector<std::string> mentioned_list;  // user ids or "@all"
  std::vector<std::string> mentioned_mobile_list;  // text only
  int rate_per_minute = 20;                        // 1..20
  int64_t timeout_ms = 10000;
  std::string language;   // empty: NotifierDeps' default
  std::string timezone;   // empty: NotifierDeps' default
  std::string alert_url;  // pointer to the full alert in truncated messages
};

// Thread-safe (no mutable state besides the HTTP client's).
class WecomRobotNotifier final : public Notifier {
 public:
  WecomRobotNotifier(WecomRobotConfig config, const NotifierDeps& deps);

  DeliveryResult Deliver(const Notification& notification) override;
  int MessageCount(const Notification& notification) const override;
  RateLimit rate_limit() const override { return {config_.rate_per_minute, 60 * 1000}; }
  std::string type() const override { return "wecom_robot"; }

  // The webhook/send request bodies for the notification, in order (pure). Mentions go into the
  // first part only, so a split message notifies people once.
  std::vector<std::string> BuildRequests(const Notification& notification) const;

  // Sends a message that is not about alerts (the bot's scheduled reports) to the same robot,
  // as markdown split on line boundaries under the robot's limit, skipping the first
  // `parts_done` parts a previous attempt delivered. Outside the outbox's rate window: for a
  // few messages a day, not for alerts.
  DeliveryResult SendMarkdown(const std::string& markdown, int parts_done) const;
  // The webhook/send bodies SendMarkdown posts, in order (pure).
  static std::vector<std::string> MarkdownRequests(const std::string& markdown);

 private:
  DeliveryResult SendOne(const std::string& body) const;

  const WecomRobotConfig config_;
  http::HttpClient* const http_;
  const std::string webhook_url_;  // secret: contains the key
  const std::string language_;
  const std::string timezone_;
};

// Parses an `alerts.receivers.<name>` section of type wecom_robot. Keys: type, key_file | key_env
// (the webhook key) or url_file | url_env (the full webhook URL), api_url, message_type
// (text|markdown), mentioned_list, mentioned_mobile_list (text only; markdown mentions with
// <@userid> from mentioned_list), rate_per_minute (1..20), timeout, language, timezone,
// alert_url. Errors are recorded on the node; an empty function is returned when invalid.
NotifierFactory ParseWecomRobotReceiver(const std::string& name, config::Node node);

}  // namespace beacon::notifier
