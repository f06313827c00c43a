// wecom_robot: renders a notification into webhook/send requests (split at WeCom's byte limits)
// and maps the robot's answers onto DeliveryResult.
#include "notifier/wecom_robot/wecom_robot.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/http/http.h"
#include "common/log/log.h"
#include "common/url.h"
#include "notifier/wecom/limits.h"
#include "notifier/wecom/names.h"
#include "notifier/wecom/token_cache.h"

namespace beacon::notifier {
namespace {

using ordered_json = nlohmann::ordered_json;

std::string WebhookUrl(const WecomRobotConfig& config) {
  if (!config.url.empty()) return config.url.value();
  return wecom::NormalizeApiUrl(config.api_url) +
         "webhook/send?key=" + PercentEncode(config.key.value());
}

// "<@a> <@b>\n" for markdown mentions.
std::string MarkdownMentions(const std::vector<std::string>& users) {
  std::string out;
  for (const std::string& user : users) {
    if (!out.empty()) out.push_back(' ');
    out += "<@" + user + ">";
  }
  if (!out.empty()) out.push_back('\n');
  return out;
}

}  // namespace

WecomRobotNotifier::WecomRobotNotifier(WecomRobotConfig config, const NotifierDeps& deps)
    : config_(std::move(config)),
      http_(deps.http),
      webhook_url_(WebhookUrl(config_)),
      language_(config_.language.empty() ? deps.language : config_.language),
      timezone_(config_.timezone.empty() ? deps.timezone : config_.timezone) {
  log::RegisterSecret(config_.key.value());
  log::RegisterSecret(PercentEncode(config_.key.value()));
  log::RegisterSecret(webhook_url_);
  std::string query = webhook_url_.substr(std::min(webhook_url_.find('?'), webhook_url_.size()));
  auto params = http::ParseQuery(query.empty() ? query : query.substr(1));
  if (auto it = params.find("key"); it != params.end()) log::RegisterSecret(it->second);
}

std::vector<std::string> WecomRobotNotifier::BuildRequests(const Notification& notification) const {
  const bool markdown = config_.message_type == "markdown";
  const std::string mentions = markdown ? MarkdownMentions(config_.mentioned_list) : "";
  render::RenderOptions options;
  options.language = language_;
  options.timezone = timezone_;
  options.format = markdown ? render::Format::kMarkdown : render::Format::kText;
  options.max_bytes =
      (markdown ? wecom::kRobotMarkdownMaxBytes : wecom::kTextMaxBytes) - mentions.size();
  options.overflow = render::Overflow::kSplit;
  options.alert_url_template = config_.alert_url;
  std::vector<std::string> parts = render::RenderMessage(notification, options);
  std::vector<std::string> requests;
  for (size_t i = 0; i < parts.size(); ++i) {
    ordered_json request;
    ordered_json section;
    if (markdown) {
      request["msgtype"] = "markdown";
      section["content"] = i == 0 ? mentions + parts[i] : parts[i];
      request["markdown"] = section;
    } else {
      request["msgtype"] = "text";
      section["content"] = parts[i];
      if (i == 0 && !config_.mentioned_list.empty()) {
        section["mentioned_list"] = config_.mentioned_list;
      }
      if (i == 0 && !config_.mentioned_mobile_list.empty()) {
        section["mentioned_mobile_list"] = config_.mentioned_mobile_list;
      }
      request["text"] = section;
    }
    requests.push_back(request.dump());
  }
  return requests;
}

std::vector<std::string> WecomRobotNotifier::MarkdownRequests(const std::string& markdown) {
  std::vector<std::string> requests;
  for (const std::string& part : render::Utf8Split(markdown, wecom::kRobotMarkdownMaxBytes)) {
    ordered_json request;
    request["msgtype"] = "markdown";
    request["markdown"] = {{"content", part}};
    requests.push_back(request.dump());
  }
  return requests;
}

DeliveryResult WecomRobotNotifier::SendMarkdown(const std::string& markdown, int parts_done) const {
  return SendParts(MarkdownRequests(markdown), parts_done,
                   [this](const std::string& request) { return SendOne(request); });
}

int WecomRobotNotifier::MessageCount(const Notification& notification) const {
  int total = static_cast<int>(BuildRequests(notification).size());
  return std::max(1, total - std::max(0, notification.parts_done));
}

DeliveryResult WecomRobotNotifier::SendOne(const std::string& body) const {
  wecom::PostOutcome posted = wecom::PostJson(*http_, webhook_url_, body, config_.timeout_ms,
                                              "webhook/send", "check api_url / the webhook URL");
  if (!posted.reply) return posted.failure;
  const wecom::ApiReply* reply = &*posted.reply;
  const std::string described = "webhook/send: WeCom errcode " + std::to_string(reply->errcode) +
                                " (" + log::Redact(reply->errmsg) + ")";
  switch (reply->errcode) {
    case 0:
      return DeliveryResult{};
    case -1:
      return wecom::SendFailure(DeliveryOutcome::kRetry, described + ": WeCom busy");
    case 45009:
    case 45033:
      return wecom::SendFailure(DeliveryOutcome::kRetry,
                                described + ": the robot's limit of 20 messages a minute was hit",
                                wecom::kThrottleBlockMs);
    case 93000:
      return wecom::SendFailure(DeliveryOutcome::kPermanent,
                                described +
                                    ": the webhook key is invalid or the robot was removed; "
                                    "create a robot in the group and configure its key");
    case 93004:
      return wecom::SendFailure(
          DeliveryOutcome::kPermanent,
          described + ": the robot is disabled; enable it in the group settings");
    case 93008:
      return wecom::SendFailure(DeliveryOutcome::kPermanent,
                                described + ": the robot is no longer in the group; add it again");
    case 40058:
    case 45002:
      return wecom::SendFailure(DeliveryOutcome::kPermanent,
                                described + ": the message was rejected as too long or malformed");
    case 60020:
      return wecom::SendFailure(DeliveryOutcome::kPermanent,
                                wecom::UntrustedIpAdvice(reply->errmsg));
    default:
      return wecom::SendFailure(DeliveryOutcome::kPermanent, described);
  }
}

DeliveryResult WecomRobotNotifier::Deliver(const Notification& notification) {
  return SendParts(BuildRequests(notification), notification.parts_done,
                   [this](const std::string& request) { return SendOne(request); });
}

NotifierFactory ParseWecomRobotReceiver(const std::string& name, config::Node node) {
  const size_t errors_before = node.error_count();
  node.KnownEntries({"type", "key", "key_file", "key_env", "url", "url_file", "url_env", "api_url",
                     "message_type", "mentioned_list", "mentioned_mobile_list", "rate_per_minute",
                     "timeout", "language", "timezone", "alert_url"});
  WecomRobotConfig config;
  config.name = name;
  std::string type;
  node.Get("type", &type);
  const bool has_key = node.Has("key") || node.Has("key_file") || node.Has("key_env");
  const bool has_url = node.Has("url") || node.Has("url_file") || node.Has("url_env");
  if (!has_key && !has_url) {
    node.Error("key_file",
               "required: the robot's webhook key (key_file or key_env) or its full webhook "
               "URL (url_file or url_env)");
  } else if (has_key && has_url) {
    node.Error("url_file", "set either the webhook key or the webhook URL, not both");
  }
  node.GetSecret("key", &config.key);
  node.GetSecret("url", &config.url);
  if (!config.url.empty()) {
    // The URL itself is a secret: the messages say what is wrong without echoing it.
    if (!IsHttpUrl(config.url.value()) || config.url.value().find("key=") == std::string::npos) {
      node.Error(node.Has("url_file") ? "url_file" : "url_env",
                 "must hold a webhook URL like https://qyapi.weixin.qq.com/cgi-bin/webhook/"
                 "send?key=...");
    }
    if (node.Has("api_url")) node.Error("api_url", "only used with key_file / key_env");
  }
  node.Get("api_url", &config.api_url);
  if (!IsHttpUrl(config.api_url)) node.Error("api_url", "must be an http:// or https:// URL");
  node.GetEnum("message_type", &config.message_type, {"text", "markdown"});
  wecom::GetNames(node, "mentioned_list", &config.mentioned_list);
  wecom::GetNames(node, "mentioned_mobile_list", &config.mentioned_mobile_list);
  if (config.message_type == "markdown" && !config.mentioned_mobile_list.empty()) {
    node.Error("mentioned_mobile_list",
               "only works with message_type text (markdown mentions users by id: "
               "mentioned_list)");
  }
  if (config.message_type == "markdown" &&
      std::find(config.mentioned_list.begin(), config.mentioned_list.end(), "@all") !=
          config.mentioned_list.end()) {
    node.Error("mentioned_list", "@all only works with message_type text");
  }
  node.Get("rate_per_minute", &config.rate_per_minute, 1, 20);
  node.GetDurationMs("timeout", &config.timeout_ms, 100, 5 * 60 * 1000);
  node.GetEnum("language", &config.language, {"zh", "en"});
  node.GetTimeZone("timezone", &config.timezone);
  node.Get("alert_url", &config.alert_url);
  if (!config.alert_url.empty() && !IsHttpUrl(config.alert_url)) {
    node.Error("alert_url",
               "must be an http:// or https:// URL template like "
               "https://beacon.example/alerts/{id}");
  }
  if (node.error_count() != errors_before) return {};
  return [config](const NotifierDeps& deps) -> std::unique_ptr<Notifier> {
    return std::make_unique<WecomRobotNotifier>(config, deps);
  };
}

}  // namespace beacon::notifier
