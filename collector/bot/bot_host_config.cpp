// ReadBotHostConfig: the collector's part of `bot:`; see bot_host_config.h.
#include "collector/bot/bot_host_config.h"

#include <algorithm>

namespace beacon::collector::bot_host {

ListenConfig DefaultBotListenConfig() {
  ListenConfig listen;
  listen.port = 8471;
  listen.request_timeout_ms = 10'000;
  listen.max_threads = 4;
  listen.max_connections = 512;
  return listen;
}

BotHostConfig ReadBotHostConfig(config::Node bot) {
  BotHostConfig cfg;
  if (bot.IsNull()) return cfg;
  cfg.enabled = true;
  cfg.bot = bot::ParseBotConfig(bot);

  ReadListenConfig(bot.Child("listen"), "bot.listen", &cfg.listen);

  config::Node reply = bot.Child("reply");
  reply.GetSecret("secret", &cfg.reply.secret);
  reply.Get("api_url", &cfg.reply.api_url);
  reply.GetDurationMs("timeout", &cfg.reply.timeout_ms, 1000, 120'000);
  reply.GetDurationMs("retry_initial", &cfg.reply.retry_initial_ms, 100);
  reply.GetDurationMs("retry_max", &cfg.reply.retry_max_ms, 1000);
  reply.GetDurationMs("give_up_after", &cfg.reply.give_up_after_ms, 60'000);
  if (cfg.reply.retry_max_ms < cfg.reply.retry_initial_ms) {
    reply.Error("retry_max", "must be at least bot.reply.retry_initial");
  }
  const bool needs_app_sender =
      cfg.bot.wecom.app_enabled ||
      std::any_of(cfg.bot.reports.begin(), cfg.bot.reports.end(),
                  [](const bot::ReportSchedule& r) { return !r.to_users.empty(); });
  if (needs_app_sender) {
    if (cfg.bot.wecom.corp_id.empty()) {
      bot.Error("wecom", "replies and reports to users are sent as the app: set bot.wecom.corp_id");
    } else if (cfg.bot.wecom.agent_id == 0) {
      bot.Child("wecom").Error("agent_id", "required: replies are sent as this app");
    }
    if (!reply.Has("secret_file") && !reply.Has("secret_env")) {
      reply.Error("secret_file",
                  "required: the app's Secret (secret_file or secret_env), replies are sent "
                  "through message/send");
    }
  }
  if (cfg.bot.rbac.UsesDirectory() && cfg.bot.wecom.robot_enabled && !needs_app_sender) {
    // Robot senders come with a UserID only; their departments and tags are read as the app.
    bot.Error("roles",
              "departments and tags are read from WeCom's contact directory as the app: set "
              "bot.wecom.corp_id and bot.reply.secret_file (the app's Secret)");
  }
  if (bot.Has("slb")) cfg.slb = bot::release::ParseSlbConfig(bot.Child("slb"));
  bot.Get("state_db", &cfg.state_db);
  if (bot.Has("state_db") && cfg.state_db.empty()) bot.Error("state_db", "must not be empty");
  return cfg;
}

}  // namespace beacon::collector::bot_host
