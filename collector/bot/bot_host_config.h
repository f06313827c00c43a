// The collector's `bot:` section: the engine's keys (bot/config.h ParseBotConfig, `bot.wecom`
// included) plus what the collector owns around the bot — its own callback listener
// (`bot.listen`, with TLS: WeCom calls it from the internet while the API listener stays
// internal), the app secret replies are sent with (`bot.reply`), and where the reply queue
// lives (`bot.state_db`). Parsed once while the configuration loads; plain data after.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/config.h"
#include "bot/release/slb_config.h"
#include "collector/listen_config.h"
#include "common/config/config.h"

namespace beacon::collector::bot_host {

// The path WeCom is given as the callback URL (GET verification, POST messages).
inline constexpr char kCallbackPath[] = "/wecom/callback";

// The callback listener's defaults: WeCom gives up after 5 s and sends small bodies.
ListenConfig DefaultBotListenConfig();

// How replies and scheduled reports reach WeCom app users: message/send as the app of
// bot.wecom.corp_id / agent_id with its Secret, retried from a durable queue.
struct BotReplyConfig {
  config::Secret secret;  // secret_file | secret_env; required for app replies
  std::string api_url = "https://qyapi.weixin.qq.com/cgi-bin/";
  int64_t timeout_ms = 10'000;
  int64_t retry_initial_ms = 2'000;
  int64_t retry_max_ms = 5 * 60'000;
  int64_t give_up_after_ms = 24 * 3600'000;  // a reply older than this is marked failed
};

struct BotHostConfig {
  bool enabled = false;  // a `bot:` section is present
  bot::BotConfig bot;
  ListenConfig listen = DefaultBotListenConfig();
  BotReplyConfig reply;
  std::string state_db;  // the reply queue's SQLite file; empty: bot.db beside store.path
  // `bot.slb` (docs/bot.md#slb-and-gray-release); absent: the slb and release commands answer
  // that they are not configured.
  std::optional<bot::release::SlbConfig> slb;
};

// Reads `bot` (absent: disabled, nothing else checked). Errors go to the node's document at
// their key paths; relative paths stay as written (the collector resolves them).
BotHostConfig ReadBotHostConfig(config::Node bot);

}  // namespace beacon::collector::bot_host
