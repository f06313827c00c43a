// wecom_app: renders a notification into message/send requests and maps WeCom's answers onto
// DeliveryResult (token refetch, throttling, untrusted egress IP, invalid recipients).
#include "notifier/wecom_app/wecom_app.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/log/log.h"
#include "common/strings.h"
#include "common/url.h"
#include "notifier/wecom/app_send.h"
#include "notifier/wecom/limits.h"
#include "notifier/wecom/names.h"

namespace beacon::notifier {
namespace {

using ordered_json = nlohmann::ordered_json;

std::string ReplaceId(std::string url_template, int64_t id) {
  const std::string id_text = std::to_string(id);
  for (size_t pos = url_template.find("{id}"); pos != std::string::npos;
       pos = url_template.find("{id}", pos + id_text.size())) {
    url_template.replace(pos, 4, id_text);
  }
  return url_template;
}

}  // namespace

WecomAppNotifier::WecomAppNotifier(WecomAppConfig config, const NotifierDeps& deps)
    : config_(std::move(config)),
      http_(deps.http),
      api_url_(wecom::NormalizeApiUrl(config_.api_url)),
      language_(config_.language.empty() ? deps.language : config_.language),
      timezone_(config_.timezone.empty() ? deps.timezone : config_.timezone),
      tokens_(wecom::SharedTokenCache(config_.api_url, config_.corp_id, config_.secret, deps.http,
                                      deps.clock, config_.timeout_ms)) {}

render::RenderOptions WecomAppNotifier::Options(render::Format format, size_t max_bytes,
                                                render::Overflow overflow) const {
  render::RenderOptions options;
  options.language = language_;
  options.timezone = timezone_;
  options.format = format;
  options.max_bytes = max_bytes;
  options.overflow = overflow;
  options.alert_url_template = config_.alert_url;
  return options;
}

std::string WecomAppNotifier::RequestJson(const std::string& msgtype, const std::string& touser,
                                          bool to_groups, const std::string& section_json) const {
  // Field order and types as in doc 90236 (agentid is a JSON number).
  ordered_json request;
  if (!touser.empty()) request["touser"] = touser;
  if (to_groups && !config_.to_party.empty())
    request["toparty"] = wecom::JoinNames(config_.to_party);
  if (to_groups && !config_.to_tag.empty()) request["totag"] = wecom::JoinNames(config_.to_tag);
  request["msgtype"] = msgtype;
  request["agentid"] = config_.agent_id;
  request[msgtype] = ordered_json::parse(section_json);
  request["safe"] = config_.safe;
  request["enable_duplicate_check"] = config_.duplicate_check ? 1 : 0;
  if (config_.duplicate_check) {
    request["duplicate_check_interval"] = config_.duplicate_check_interval_s;
  }
  return request.dump();
}

std::vector<std::string> WecomAppNotifier::BuildRequests(const Notification& notification) const {
  std::vector<std::string> requests;
  if (config_.message_type == "textcard") {
    ordered_json card;
    card["title"] = render::RenderTitle(
        notification,
        Options(render::Format::kText, wecom::kCardTitleMaxBytes, render::Overflow::kTruncate),
        wecom::kCardTitleMaxBytes);
    // The description allows a little HTML, so the text is escaped; escaping grows it, so the
    // budget shrinks until the escaped text fits.
    std::string description;
    size_t budget = wecom::kCardDescriptionMaxBytes;
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::vector<std::string> parts = render::RenderMessage(
          notification, Options(render::Format::kText, budget, render::Overflow::kTruncate));
      description = EscapeMarkup(parts.empty() ? std::string() : parts.front(), Apostrophe::kKeep);
      if (description.size() <= wecom::kCardDescriptionMaxBytes) break;
      budget -= std::min(budget / 2, description.size() - wecom::kCardDescriptionMaxBytes);
    }
    if (description.size() > wecom::kCardDescriptionMaxBytes) {
      description = render::Utf8Truncate(description, wecom::kCardDescriptionMaxBytes);
    }
    card["description"] = description;
    std::string url;
    if (!notification.alerts.empty()) url = notification.alerts.front().url;
    if (url.empty() || url.size() > wecom::kCardUrlMaxBytes || !IsHttpUrl(url)) {
      int64_t id = notification.alerts.empty() ? 0 : notification.alerts.front().id;
      url = ReplaceId(config_.alert_url, id);
    }
    card["url"] = url;
    card["btntxt"] = language_ == "en" ? "More" : "详情";
    requests.push_back(
        RequestJson("textcard", wecom::JoinNames(config_.to_user), true, card.dump()));
    return requests;
  }

  const bool markdown = config_.message_type == "markdown";
  std::vector<std::string> main_users = config_.to_user;
  if (markdown && !config_.text_fallback_users.empty()) {
    std::set<std::string> fallback(config_.text_fallback_users.begin(),
                                   config_.text_fallback_users.end());
    main_users.erase(std::remove_if(main_users.begin(), main_users.end(),
                                    [&](const std::string& u) { return fallback.count(u) > 0; }),
                     main_users.end());
  }
  const bool main_has_recipients =
      !main_users.empty() || !config_.to_party.empty() || !config_.to_tag.empty();
  if (main_has_recipients) {
    const std::string msgtype = markdown ? "markdown" : "text";
    std::vector<std::string> parts = render::RenderMessage(
        notification, Options(markdown ? render::Format::kMarkdown : render::Format::kText,
                              markdown ? wecom::kAppMarkdownMaxBytes : wecom::kTextMaxBytes,
                              render::Overflow::kSplit));
    for (const std::string& part : parts) {
      ordered_json section;
      section["content"] = part;
      requests.push_back(RequestJson(msgtype, wecom::JoinNames(main_users), true, section.dump()));
    }
  }
  if (markdown && !config_.text_fallback_users.empty()) {
    std::vector<std::string> parts = render::RenderMessage(
        notification,
        Options(render::Format::kText, wecom::kTextMaxBytes, render::Overflow::kSplit));
    for (const std::string& part : parts) {
      ordered_json section;
      section["content"] = part;
      requests.push_back(RequestJson("text", wecom::JoinNames(config_.text_fallback_users), false,
                                     section.dump()));
    }
  }
  return requests;
}

int WecomAppNotifier::MessageCount(const Notification& notification) const {
  int total = static_cast<int>(BuildRequests(notification).size());
  return std::max(1, total - std::max(0, notification.parts_done));
}

DeliveryResult WecomAppNotifier::SendOne(const std::string& body) {
  return wecom::SendAppMessage(*http_, *tokens_, api_url_, body, config_.timeout_ms,
                               "wecom_app receiver " + config_.name);
}

DeliveryResult WecomAppNotifier::Deliver(const Notification& notification) {
  return SendParts(BuildRequests(notification), notification.parts_done,
                   [this](const std::string& request) { return SendOne(request); });
}

NotifierFactory ParseWecomAppReceiver(const std::string& name, config::Node node) {
  const size_t errors_before = node.error_count();
  node.KnownEntries({"type", "corp_id", "agent_id", "secret", "secret_file", "secret_env",
                     "to_user", "to_party", "to_tag", "message_type", "text_fallback_users", "safe",
                     "duplicate_check", "duplicate_check_interval", "api_url", "timeout",
                     "language", "timezone", "alert_url"});
  WecomAppConfig config;
  config.name = name;
  std::string type;
  node.Get("type", &type);
  if (!node.Has("corp_id")) node.Error("corp_id", "required: the WeCom corp id (ww...)");
  node.Get("corp_id", &config.corp_id);
  if (node.Has("corp_id") && config.corp_id.empty()) node.Error("corp_id", "must not be empty");
  if (!node.Has("agent_id")) node.Error("agent_id", "required: the app's AgentId");
  node.Get("agent_id", &config.agent_id, 1, INT32_MAX);
  if (!node.Has("secret") && !node.Has("secret_file") && !node.Has("secret_env")) {
    node.Error("secret_file", "required: the app's Secret, from secret_file or secret_env");
  }
  node.GetSecret("secret", &config.secret);
  wecom::GetNames(node, "to_user", &config.to_user);
  wecom::GetNames(node, "to_party", &config.to_party);
  wecom::GetNames(node, "to_tag", &config.to_tag);
  if (config.to_user.size() > 1000) node.Error("to_user", "at most 1000 users");
  if (config.to_party.size() > 100) node.Error("to_party", "at most 100 parties");
  if (config.to_tag.size() > 100) node.Error("to_tag", "at most 100 tags");
  node.GetEnum("message_type", &config.message_type, {"text", "markdown", "textcard"});
  wecom::GetNames(node, "text_fallback_users", &config.text_fallback_users);
  if (!config.text_fallback_users.empty() && config.message_type != "markdown") {
    node.Error("text_fallback_users", "only applies to message_type markdown");
  }
  if (config.to_user.empty() && config.to_party.empty() && config.to_tag.empty() &&
      config.text_fallback_users.empty() && node.error_count() == errors_before) {
    node.Error("to_user", "set at least one of to_user, to_party, to_tag");
  }
  node.Get("safe", &config.safe, 0, 1);
  node.Get("duplicate_check", &config.duplicate_check);
  int64_t interval_ms = config.duplicate_check_interval_s * 1000;
  node.GetDurationMs("duplicate_check_interval", &interval_ms, 1000, 4 * 3600 * 1000);
  config.duplicate_check_interval_s = interval_ms / 1000;
  node.Get("api_url", &config.api_url);
  if (!IsHttpUrl(config.api_url)) node.Error("api_url", "must be an http:// or https:// URL");
  config.api_url = wecom::NormalizeApiUrl(config.api_url);
  node.GetDurationMs("timeout", &config.timeout_ms, 100, 5 * 60 * 1000);
  node.GetEnum("language", &config.language, {"zh", "en"});
  node.GetTimeZone("timezone", &config.timezone);
  node.Get("alert_url", &config.alert_url);
  if (!config.alert_url.empty() && !IsHttpUrl(config.alert_url)) {
    node.Error("alert_url",
               "must be an http:// or https:// URL template like "
               "https://beacon.example/alerts/{id}");
  }
  if (config.message_type == "textcard" && config.alert_url.empty()) {
    node.Error("alert_url",
               "required with message_type textcard (the card's link when an alert has no "
               "URL of its own)");
  }
  if (node.error_count() != errors_before) return {};
  return [config](const NotifierDeps& deps) -> std::unique_ptr<Notifier> {
    return std::make_unique<WecomAppNotifier>(config, deps);
  };
}

}  // namespace beacon::notifier
