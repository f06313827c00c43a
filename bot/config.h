// BotConfig: the collector's `bot:` section (roles, local users, confirm_ttl, timezone, audit
// file, limits, scheduled reports, and `bot.wecom` through the callback's own parser in
// bot/wecom/callback_config.h), read with config::Node so every error names its key path.
// `bot.listen` (the callback's listener) is left to the collector, which owns its listeners.
// Parsed once at load; plain data after.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bot/confirm.h"
#include "bot/dns/provider.h"
#include "bot/rbac.h"
#include "bot/report.h"
#include "bot/wecom/callback_config.h"
#include "common/config/config.h"
#include "common/status.h"

namespace beacon::bot {

struct BotLimits {
  // A reply's body is kept under this (lists are cut); the WeCom sender splits longer text.
  int64_t max_reply_bytes = 2048;
  int workers = 4;          // dispatcher threads
  int queue = 1000;         // commands waiting across all users before new ones are refused
  int per_user_queue = 20;  // commands waiting from one user before theirs are refused
};

struct BotConfig {
  Rbac rbac;
  int64_t confirm_ttl_ms = kDefaultConfirmTtlMs;
  std::string timezone = "Asia/Shanghai";  // IANA zone of every time the bot shows
  std::string audit_db;  // the audit log's SQLite file; relative to the config file's directory
  BotLimits limits;
  std::vector<ReportSchedule> reports;
  wecom::CallbackConfig wecom;  // `bot.wecom`; absent: neither the app nor the robot enabled
  dns::DnsZonesConfig dns;      // `bot.dns` (docs/bot.md#dns); absent: no zone, dns refused
};

// Reads the keys above from `bot` (the collector's `bot:` node); errors go to its document.
BotConfig ParseBotConfig(config::Node bot);

// A whole document whose root has only `bot:`, for tests and `beacon-collector check`:
// InvalidArgument listing every error (Document::Finish).
Result<BotConfig> LoadBotConfigFromString(const std::string& yaml, const std::string& name);

}  // namespace beacon::bot
