// ParseBotConfig: the `bot:` keys of the engine; see config.h.
#include "bot/config.h"

#include <charconv>
#include <filesystem>

#include "bot/dns/builtin.h"

namespace beacon::bot {
namespace {

constexpr const char* kWeekdays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                     "thursday", "friday", "saturday"};

// "09:30" -> hour and minute; false when malformed.
bool ParseTimeOfDay(const std::string& text, int* hour, int* minute) {
  if (text.size() != 5 || text[2] != ':') return false;
  auto num = [&](size_t at, int* out) {
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + 2, *out);
    return ec == std::errc() && end == text.data() + at + 2;
  };
  return num(0, hour) && num(3, minute) && *hour >= 0 && *hour <= 23 && *minute >= 0 &&
         *minute <= 59;
}

ReportSchedule ParseSchedule(config::Node node) {
  ReportSchedule s;
  node.Require("name");
  node.Get("name", &s.name);
  std::string period = "daily";
  node.GetEnum("period", &period, {"daily", "weekly"});
  s.period = period == "weekly" ? ReportPeriod::kWeekly : ReportPeriod::kDaily;
  std::string at = "09:00";
  node.Get("at", &at);
  if (!ParseTimeOfDay(at, &s.hour, &s.minute)) {
    node.Error("at", "expected a local time like 09:00, got '" + at + "'");
  }
  std::string weekday = "monday";
  node.GetEnum("weekday", &weekday,
               std::vector<std::string>(std::begin(kWeekdays), std::end(kWeekdays)));
  for (int i = 0; i < 7; ++i) {
    if (weekday == kWeekdays[i]) s.weekday = i;
  }
  if (node.Has("weekday") && s.period != ReportPeriod::kWeekly) {
    node.Error("weekday", "only a weekly report has a weekday");
  }
  node.Get("to_users", &s.to_users);
  node.Get("to_robots", &s.to_robots);
  if (s.to_users.empty() && s.to_robots.empty()) {
    node.Error("to_users", "a report needs to_users or to_robots");
  }
  std::string language = "zh";
  node.GetEnum("language", &language, {"zh", "en"});
  s.zh = language == "zh";
  return s;
}

}  // namespace

BotConfig ParseBotConfig(config::Node bot) {
  BotConfig c;
  c.rbac = Rbac::Parse(bot);
  bot.GetDurationMs("confirm_ttl", &c.confirm_ttl_ms, 10 * 1000, 3600 * 1000);
  bot.GetTimeZone("timezone", &c.timezone);
  bot.Get("audit_db", &c.audit_db);
  if (!c.audit_db.empty() && !bot.base_dir().empty() &&
      std::filesystem::path(c.audit_db).is_relative()) {
    c.audit_db = (std::filesystem::path(bot.base_dir()) / c.audit_db).string();
  }
  config::Node limits = bot.Child("limits");
  limits.GetBytes("max_reply_bytes", &c.limits.max_reply_bytes, 512);
  limits.Get("workers", &c.limits.workers, 1, 64);
  limits.Get("queue", &c.limits.queue, 1, 100000);
  limits.Get("per_user_queue", &c.limits.per_user_queue, 1, 1000);
  std::set<std::string> names;
  for (config::Node& node : bot.Sequence("reports")) {
    ReportSchedule s = ParseSchedule(node);
    if (!s.name.empty() && !names.insert(s.name).second) {
      node.Error("name", "a second report named '" + s.name + "'");
    }
    c.reports.push_back(std::move(s));
  }
  c.wecom = wecom::ParseCallbackConfig(bot.Child("wecom"));
  c.dns = dns::ParseDnsZones(bot.Child("dns"), dns::BuiltinDnsProviders());
  return c;
}

Result<BotConfig> LoadBotConfigFromString(const std::string& yaml, const std::string& name) {
  BEACON_ASSIGN_OR_RETURN(auto doc, config::Document::LoadString(yaml, name));
  BotConfig c = ParseBotConfig(doc->root().Child("bot"));
  BEACON_RETURN_IF_ERROR(doc->Finish());
  return c;
}

}  // namespace beacon::bot
