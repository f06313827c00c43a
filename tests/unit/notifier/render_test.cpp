// Message rendering: the documented zh/en formats, markdown escaping, summaries, and byte limits
// kept UTF-8-safely by splitting and truncation.
#include "notifier/render/render.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace beacon::notifier::render {
namespace {

constexpr int64_t kStart = 1795658400000;  // 2026-11-26 02:00:00 UTC = 10:00:00 CST
constexpr int64_t kMinute = 60 * 1000;

AlertView DiskAlert() {
  AlertView alert;
  alert.id = 42;
  alert.source = "zabbix";
  alert.severity = Severity::kDisaster;
  alert.host = "db1";
  alert.title = "Free disk space is less than 5% on /var";
  alert.message = "/var: 4.2% free\nused 95.8 GB of 100 GB\n";
  alert.tags = {{"env", "prod"}, {"team", "dba"}};
  alert.url = "https://zabbix.example/tr_events.php?eventid=100";
  alert.starts_ms = kStart;
  return alert;
}

Notification Group(std::vector<AlertView> alerts, int64_t created_ms = kStart + 125 * kMinute) {
  Notification n;
  n.id = 7;
  n.receiver = "ops";
  n.kind = NotificationKind::kGroup;
  n.created_ms = created_ms;
  n.total_alerts = static_cast<int64_t>(alerts.size());
  n.alerts = std::move(alerts);
  return n;
}

RenderOptions Options(std::string language, Format format = Format::kText) {
  RenderOptions options;
  options.language = std::move(language);
  options.format = format;
  return options;
}

// True when text is well-formed UTF-8 (no overlongs, surrogates or truncated sequences).
bool ValidUtf8(const std::string& text) { return SanitizeUtf8(text) == text; }

std::string StripPartPrefix(const std::string& part, size_t i, size_t n) {
  const std::string prefix = "(" + std::to_string(i) + "/" + std::to_string(n) + ") ";
  EXPECT_EQ(part.rfind(prefix, 0), 0u) << part.substr(0, 20);
  return part.substr(prefix.size());
}

TEST(RenderTest, FiringAlertInChinese) {
  const std::vector<std::string> parts = RenderMessage(Group({DiskAlert()}), Options("zh"));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0],
            "🔴 [灾难] 告警 #42 Free disk space is less than 5% on /var\n"
            "主机：db1\n"
            "开始：2026-11-26 10:00:00 CST\n"
            "持续：2小时5分\n"
            "详情：/var: 4.2% free\n"
            "used 95.8 GB of 100 GB\n"
            "标签：env=prod, team=dba\n"
            "链接：https://zabbix.example/tr_events.php?eventid=100");
}

TEST(RenderTest, FiringAlertInEnglish) {
  RenderOptions options = Options("en");
  options.timezone = "UTC";
  const std::vector<std::string> parts = RenderMessage(Group({DiskAlert()}), options);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0],
            "🔴 [Disaster] FIRING #42 Free disk space is less than 5% on /var\n"
            "Host: db1\n"
            "Started: 2026-11-26 02:00:00 UTC\n"
            "Duration: 2h5m\n"
            "Message: /var: 4.2% free\n"
            "used 95.8 GB of 100 GB\n"
            "Tags: env=prod, team=dba\n"
            "Link: https://zabbix.example/tr_events.php?eventid=100");
}

TEST(RenderTest, FiringAlertInMarkdown) {
  const std::vector<std::string> parts =
      RenderMessage(Group({DiskAlert()}), Options("zh", Format::kMarkdown));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0],
            "🔴 <font color=\"warning\">**灾难 告警**</font> #42 "
            "**Free disk space is less than 5% on /var**\n"
            "> 主机：<font color=\"comment\">db1</font>\n"
            "> 开始：<font color=\"comment\">2026-11-26 10:00:00 CST</font>\n"
            "> 持续：<font color=\"comment\">2小时5分</font>\n"
            "详情：/var: 4.2% free\n"
            "used 95.8 GB of 100 GB\n"
            "标签：env=prod, team=dba\n"
            "[查看详情](https://zabbix.example/tr_events.php?eventid=100)");
}

TEST(RenderTest, TimesFollowTheConfiguredZone) {
  RenderOptions shanghai = Options("en");
  shanghai.timezone = "Asia/Shanghai";
  RenderOptions utc = Options("en");
  utc.timezone = "UTC";
  const Notification n = Group({DiskAlert()});
  EXPECT_NE(RenderMessage(n, shanghai)[0].find("Started: 2026-11-26 10:00:00 CST"),
            std::string::npos);
  EXPECT_NE(RenderMessage(n, utc)[0].find("Started: 2026-11-26 02:00:00 UTC"), std::string::npos);
  // A start late in the UTC day is already the next day in Shanghai.
  AlertView late = DiskAlert();
  late.starts_ms = kStart + 20 * 60 * kMinute;  // 22:00 UTC
  const Notification m = Group({late}, late.starts_ms + kMinute);
  EXPECT_NE(RenderMessage(m, shanghai)[0].find("2026-11-27 06:00:00 CST"), std::string::npos);
  EXPECT_NE(RenderMessage(m, utc)[0].find("2026-11-26 22:00:00 UTC"), std::string::npos);
}

TEST(RenderTest, ResolvedAlertGivesItsDuration) {
  AlertView alert = DiskAlert();
  alert.status = AlertStatus::kResolved;
  alert.ends_ms = kStart + 3 * 24 * 60 * kMinute + 4 * 60 * kMinute + 30 * 1000;
  alert.tags.clear();
  alert.message.clear();
  alert.url.clear();
  // created_ms does not matter for a resolved alert.
  const Notification n = Group({alert}, alert.ends_ms + 999 * kMinute);
  EXPECT_EQ(RenderMessage(n, Options("zh"))[0],
            "✅ [灾难] 恢复 #42 Free disk space is less than 5% on /var\n"
            "主机：db1\n"
            "开始：2026-11-26 10:00:00 CST\n"
            "恢复：2026-11-29 14:00:30 CST\n"
            "持续：3天4小时");
  RenderOptions en = Options("en");
  en.timezone = "UTC";
  EXPECT_EQ(RenderMessage(n, en)[0],
            "✅ [Disaster] RESOLVED #42 Free disk space is less than 5% on /var\n"
            "Host: db1\n"
            "Started: 2026-11-26 02:00:00 UTC\n"
            "Resolved: 2026-11-29 06:00:30 UTC\n"
            "Duration: 3d4h");
}

TEST(RenderTest, DurationFormats) {
  EXPECT_EQ(FormatDuration(125 * kMinute, "zh"), "2小时5分");
  EXPECT_EQ(FormatDuration(125 * kMinute, "en"), "2h5m");
  EXPECT_EQ(FormatDuration(120 * kMinute, "en"), "2h");
  EXPECT_EQ(FormatDuration(5 * kMinute + 59 * 1000, "zh"), "5分59秒");
  EXPECT_EQ(FormatDuration(45 * 1000, "zh"), "45秒");
  EXPECT_EQ(FormatDuration(-5, "en"), "0s");
  EXPECT_EQ(FormatDuration(26 * 60 * kMinute, "zh"), "1天2小时");
}

std::vector<AlertView> ThreeAlerts() {
  AlertView a = DiskAlert();
  AlertView b = DiskAlert();
  b.id = 43;
  b.severity = Severity::kWarning;
  b.host = "db2";
  b.title = "High load";
  b.message = "load 12.5\nsecond line not shown";
  b.tags.clear();
  b.url.clear();
  b.starts_ms = kStart + 60 * kMinute;
  AlertView c = DiskAlert();
  c.id = 44;
  c.severity = Severity::kHigh;
  c.status = AlertStatus::kResolved;
  c.host = "web1";
  c.title = "Nginx down";
  c.message.clear();
  c.url.clear();
  c.ends_ms = kStart + 30 * kMinute;
  return {a, b, c};
}

TEST(RenderTest, GroupOfThreeHasCountsAndEachAlertCompactly) {
  const Notification n = Group(ThreeAlerts());
  EXPECT_EQ(RenderMessage(n, Options("zh"))[0],
            "🔴 共 3 条告警（告警 2，恢复 1）\n"
            "\n"
            "🔴 [灾难] 告警 #42 Free disk space is less than 5% on /var\n"
            "  主机：db1 | 开始：2026-11-26 10:00:00 CST | 持续：2小时5分\n"
            "  /var: 4.2% free\n"
            "  链接：https://zabbix.example/tr_events.php?eventid=100\n"
            "\n"
            "🔵 [警告] 告警 #43 High load\n"
            "  主机：db2 | 开始：2026-11-26 11:00:00 CST | 持续：1小时5分\n"
            "  load 12.5\n"
            "\n"
            "✅ [严重] 恢复 #44 Nginx down\n"
            "  主机：web1 | 开始：2026-11-26 10:00:00 CST | 持续：30分");
  RenderOptions en = Options("en", Format::kMarkdown);
  en.timezone = "UTC";
  EXPECT_EQ(RenderMessage(n, en)[0],
            "🔴 **3 alerts** (2 firing, 1 resolved)\n"
            "\n"
            "🔴 <font color=\"warning\">**Disaster FIRING**</font> #42 "
            "**Free disk space is less than 5% on /var**\n"
            "> Host: db1 · Started: 2026-11-26 02:00:00 UTC · Duration: 2h5m\n"
            "> /var: 4.2% free\n"
            "[View details](https://zabbix.example/tr_events.php?eventid=100)\n"
            "\n"
            "🔵 <font color=\"warning\">**Warning FIRING**</font> #43 **High load**\n"
            "> Host: db2 · Started: 2026-11-26 03:00:00 UTC · Duration: 1h5m\n"
            "> load 12.5\n"
            "\n"
            "✅ <font color=\"info\">**High RESOLVED**</font> #44 **Nginx down**\n"
            "> Host: web1 · Started: 2026-11-26 02:00:00 UTC · Duration: 30m");
}

TEST(RenderTest, RepeatSaysItIsAReminder) {
  Notification n = Group({DiskAlert()});
  n.kind = NotificationKind::kRepeat;
  const std::string zh = RenderMessage(n, Options("zh"))[0];
  EXPECT_EQ(zh.rfind("🔁 提醒：仍在告警\n🔴 [灾难] 告警 #42 ", 0), 0u) << zh;
  const std::string en = RenderMessage(n, Options("en"))[0];
  EXPECT_EQ(en.rfind("🔁 Reminder: still firing\n🔴 [Disaster] FIRING #42 ", 0), 0u) << en;
  EXPECT_EQ(RenderTitle(n, Options("en"), 128),
            "Reminder: 🔴 [Disaster] FIRING #42 Free disk space is less than 5% on /var");
}

Notification Storm() {
  Notification n;
  n.id = 9;
  n.kind = NotificationKind::kSummary;
  n.created_ms = kStart + 10 * kMinute;
  n.total_alerts = 1000;
  n.firing = 950;
  n.resolved = 50;
  n.by_severity = {{"disaster", 100}, {"high", 300}, {"warning", 600}};
  n.by_host = {{"db1", 400},  {"db2", 300}, {"web1", 100},
               {"web2", 100}, {"web3", 50}, {"web4", 50}};
  // The outbox caps the listed alerts (alerts.outbox.summary_titles, default 10).
  for (int i = 0; i < 10; ++i) {
    AlertView alert = DiskAlert();
    alert.id = 1000 + i;
    alert.title = "Port 8080 down " + std::to_string(i);
    alert.host = "db1";
    n.alerts.push_back(alert);
  }
  return n;
}

TEST(RenderTest, SummaryOfAThousandAlerts) {
  RenderOptions options = Options("en");
  options.max_bytes = 4096;
  const std::vector<std::string> parts = RenderMessage(Storm(), options);
  ASSERT_EQ(parts.size(), 1u);
  const std::string& text = parts[0];
  EXPECT_EQ(text.rfind("📊 Alert summary: 1000 alerts (950 firing, 50 resolved)\n"
                       "By severity: 🔴 Disaster 100, 🟠 High 300, 🔵 Warning 600\n"
                       "Top hosts: db1 400, db2 300, web1 100, web2 100, web3 50\n"
                       "🔴 #1000 Port 8080 down 0 (db1)\n",
                       0),
            0u)
      << text;
  size_t listed = 0;
  for (size_t pos = 0; (pos = text.find("Port 8080 down", pos)) != std::string::npos; ++pos) {
    ++listed;
  }
  EXPECT_EQ(listed, 10u);
  EXPECT_NE(text.find("🔴 #1009 Port 8080 down 9 (db1)\n"), std::string::npos);
  EXPECT_EQ(text.find("#1010"), std::string::npos);
  EXPECT_EQ(text.substr(text.rfind('\n') + 1), "… and 990 more: beaconctl alerts");

  RenderOptions zh = Options("zh");
  zh.alert_url_template = "https://beacon.example/alerts/{id}";
  const std::string zh_text = RenderMessage(Storm(), zh)[0];
  EXPECT_EQ(zh_text.rfind("📊 告警汇总：共 1000 条（告警 950，恢复 50）\n"
                          "按级别：🔴 灾难 100，🟠 严重 300，🔵 警告 600\n",
                          0),
            0u)
      << zh_text;
  EXPECT_EQ(zh_text.substr(zh_text.rfind('\n') + 1),
            "…另有 990 条，详见 https://beacon.example/alerts");
  EXPECT_EQ(RenderTitle(Storm(), zh, 128), "📊 告警汇总：共 1000 条");
  EXPECT_EQ(RenderTitle(Storm(), Options("en"), 128), "📊 Alert summary: 1000 alerts");
}

TEST(RenderTest, ASummaryListsEveryAlertTheOutboxGaveIt) {
  // alerts.outbox.summary_titles: 30 puts 30 alerts in the summary; all 30 are listed.
  Notification n = Storm();
  for (int i = 10; i < 30; ++i) {
    AlertView alert = DiskAlert();
    alert.id = 1000 + i;
    alert.title = "Port 8080 down " + std::to_string(i);
    n.alerts.push_back(alert);
  }
  RenderOptions options = Options("en");
  options.max_bytes = 8192;
  const std::string text = RenderMessage(n, options)[0];
  EXPECT_NE(text.find("#1029 Port 8080 down 29"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.rfind('\n') + 1), "… and 970 more: beaconctl alerts");
}

TEST(RenderTest, SummaryWithoutCountsCountsItsAlerts) {
  Notification n = Group(ThreeAlerts());
  n.kind = NotificationKind::kSummary;
  EXPECT_EQ(RenderMessage(n, Options("en"))[0],
            "📊 Alert summary: 3 alerts (2 firing, 1 resolved)\n"
            "By severity: 🔴 Disaster 1, 🟠 High 1, 🔵 Warning 1\n"
            "Top hosts: db1 1, db2 1, web1 1\n"
            "🔴 #42 Free disk space is less than 5% on /var (db1)\n"
            "🔵 #43 High load (db2)\n"
            "✅ #44 Nginx down (web1)");
}

TEST(RenderTest, MarkdownCannotBeInjectedByUserText) {
  AlertView alert = DiskAlert();
  alert.title = "<font color=\"info\">OK</font> [click](http://evil.example) **bold**";
  alert.host = "h_1`x`";
  alert.message = "> not a quote\n# not a heading\n&lt; stays literal";
  alert.tags = {{"k", "[x](y)"}};
  alert.url = "https://x.example/a(b)c d";
  const std::string md = RenderMessage(Group({alert}), Options("en", Format::kMarkdown))[0];
  EXPECT_EQ(md.find("<font color=\"info\">OK"), std::string::npos) << md;
  EXPECT_EQ(md.find("[click](http"), std::string::npos) << md;
  EXPECT_EQ(md.find("[x](y)"), std::string::npos) << md;
  EXPECT_EQ(md.find("**bold**"), std::string::npos) << md;
  EXPECT_NE(md.find("**&lt;font color=\"info\"&gt;OK&lt;/font&gt; \\[click\\](http://evil.example) "
                    "\\*\\*bold\\*\\***"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Message: &gt; not a quote\n\\# not a heading\n&amp;lt; stays literal\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("<font color=\"comment\">h\\_1\\`x\\`</font>"), std::string::npos) << md;
  EXPECT_NE(md.find("[View details](https://x.example/a%28b%29c%20d)"), std::string::npos) << md;
  // Text messages keep user text as it is.
  const std::string text = RenderMessage(Group({alert}), Options("en"))[0];
  EXPECT_NE(text.find(alert.title), std::string::npos);
}

TEST(RenderTest, Utf8TruncateAndSplitNeverCutACharacter) {
  const std::string text = "告警a😀b\n€";  // 3+1+4+1+1+3 bytes
  EXPECT_EQ(Utf8Truncate(text, 0), "");
  EXPECT_EQ(Utf8Truncate(text, 2), "");
  EXPECT_EQ(Utf8Truncate(text, 3), "告");
  EXPECT_EQ(Utf8Truncate(text, 7), "告警a");
  EXPECT_EQ(Utf8Truncate(text, 10), "告警a");
  EXPECT_EQ(Utf8Truncate(text, 11), "告警a😀");
  EXPECT_EQ(Utf8Truncate(text, 100), text);
  // Invalid bytes become U+FFFD before cutting.
  EXPECT_EQ(Utf8Truncate("a\xff"
                         "b",
                         10),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(Utf8Truncate("a\xE5\x91", 10), "a\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(Utf8Truncate("\xC0\xAF", 10), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  for (size_t max = 4; max <= text.size() + 1; ++max) {
    const std::vector<std::string> chunks = Utf8Split(text, max);
    std::string joined;
    for (const auto& chunk : chunks) {
      EXPECT_LE(chunk.size(), max);
      EXPECT_FALSE(chunk.empty());
      EXPECT_TRUE(ValidUtf8(chunk)) << max;
      joined += chunk;
    }
    EXPECT_EQ(joined, text) << max;
  }
  // Line breaks are preferred when they are in the second half of the window.
  EXPECT_EQ(Utf8Split("aaaa\nbbbb\ncc", 10), (std::vector<std::string>{"aaaa\nbbbb\n", "cc"}));
}

// A long message of Chinese text and emoji, to be rendered at every byte limit.
Notification LongChineseAlert() {
  AlertView alert = DiskAlert();
  alert.title = "数据库主库磁盘空间不足 💾🔥";
  alert.message.clear();
  for (int i = 0; i < 18; ++i) {
    alert.message += "第" + std::to_string(i) + "行：表空间增长过快😀，请检查归档日志与临时文件。\n";
  }
  return Group({alert});
}

TEST(RenderTest, SplitPartsStayWithinEveryLimitAndLoseNothing) {
  const Notification n = LongChineseAlert();
  for (Format format : {Format::kText, Format::kMarkdown}) {
    RenderOptions unlimited = Options("zh", format);
    unlimited.max_bytes = 1 << 20;
    const std::string body = RenderMessage(n, unlimited)[0];
    ASSERT_GT(body.size(), 1000u);
    for (size_t max = 64; max <= body.size() + 8; ++max) {
      RenderOptions options = Options("zh", format);
      options.max_bytes = max;
      options.max_parts = 1000;
      const std::vector<std::string> parts = RenderMessage(n, options);
      ASSERT_FALSE(parts.empty());
      std::string joined;
      for (size_t i = 0; i < parts.size(); ++i) {
        ASSERT_LE(parts[i].size(), max) << "part " << i << " at limit " << max;
        ASSERT_TRUE(ValidUtf8(parts[i])) << "part " << i << " at limit " << max;
        joined += parts.size() == 1 ? parts[i] : StripPartPrefix(parts[i], i + 1, parts.size());
      }
      ASSERT_EQ(joined, body) << "limit " << max;
    }
  }
}

// True when a markdown part would end inside an escape ("\\" pairs aside) or an entity.
bool EndsInsideEscape(const std::string& part) {
  size_t backslashes = 0;
  while (backslashes < part.size() && part[part.size() - 1 - backslashes] == '\\') ++backslashes;
  if (backslashes % 2 == 1) return true;
  const size_t amp = part.rfind('&');
  return amp != std::string::npos && part.find(';', amp) == std::string::npos;
}

TEST(RenderTest, MarkdownSplitKeepsEscapesWhole) {
  AlertView alert = DiskAlert();
  alert.message.clear();
  for (int i = 0; i < 12; ++i) alert.message += "<x>*_\\`[a](b)&#|~ 温度😀 ";
  const Notification n = Group({alert});
  RenderOptions unlimited = Options("zh", Format::kMarkdown);
  unlimited.max_bytes = 1 << 20;
  const std::string body = RenderMessage(n, unlimited)[0];
  for (size_t max = 40; max <= body.size(); ++max) {
    RenderOptions options = Options("zh", Format::kMarkdown);
    options.max_bytes = max;
    options.max_parts = 1000;
    const std::vector<std::string> parts = RenderMessage(n, options);
    std::string joined;
    for (size_t i = 0; i < parts.size(); ++i) {
      ASSERT_LE(parts[i].size(), max);
      ASSERT_TRUE(ValidUtf8(parts[i]));
      const std::string chunk =
          parts.size() == 1 ? parts[i] : StripPartPrefix(parts[i], i + 1, parts.size());
      ASSERT_FALSE(EndsInsideEscape(chunk)) << "limit " << max << ": " << chunk;
      joined += chunk;
    }
    ASSERT_EQ(joined, body) << "limit " << max;
  }
}

TEST(RenderTest, SplitBeyondMaxPartsTruncatesTheLastPartWithAPointer) {
  RenderOptions options = Options("zh");
  options.max_bytes = 200;
  options.max_parts = 3;
  const std::vector<std::string> parts = RenderMessage(LongChineseAlert(), options);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].rfind("(1/3) 🔴 [灾难] 告警 #42 ", 0), 0u);
  EXPECT_EQ(parts[2].rfind("(3/3) ", 0), 0u);
  const std::string pointer = "\n… (完整告警：beaconctl alerts show 42)";
  ASSERT_GE(parts[2].size(), pointer.size());
  EXPECT_EQ(parts[2].substr(parts[2].size() - pointer.size()), pointer);
  for (const auto& part : parts) {
    EXPECT_LE(part.size(), 200u);
    EXPECT_TRUE(ValidUtf8(part));
  }
}

TEST(RenderTest, TruncateEndsWithAPointerToTheFullAlert) {
  const Notification n = LongChineseAlert();
  RenderOptions options = Options("en");
  options.overflow = Overflow::kTruncate;
  for (Format format : {Format::kText, Format::kMarkdown}) {
    options.format = format;
    for (size_t max = 60; max <= 700; ++max) {
      options.max_bytes = max;
      const std::vector<std::string> parts = RenderMessage(n, options);
      ASSERT_EQ(parts.size(), 1u);
      ASSERT_LE(parts[0].size(), max);
      ASSERT_TRUE(ValidUtf8(parts[0]));
      const std::string pointer = "\n… (full alert: beaconctl alerts show 42)";
      ASSERT_EQ(parts[0].substr(parts[0].size() - pointer.size()), pointer) << max;
    }
  }
  options.format = Format::kText;
  options.max_bytes = 300;
  options.alert_url_template = "https://beacon.example/alerts/{id}";
  const std::string with_url = RenderMessage(n, options)[0];
  EXPECT_EQ(with_url.rfind("🔴 [Disaster] FIRING #42 ", 0), 0u);
  const std::string pointer = "\n… (full alert: https://beacon.example/alerts/42)";
  EXPECT_EQ(with_url.substr(with_url.size() - pointer.size()), pointer);
  // A message that fits is never touched.
  options.max_bytes = 1 << 20;
  EXPECT_EQ(RenderMessage(n, options)[0].find("full alert"), std::string::npos);
}

TEST(RenderTest, TitleFitsItsLimit) {
  const Notification n = LongChineseAlert();
  EXPECT_EQ(RenderTitle(n, Options("zh"), 128), "🔴 [灾难] 告警 #42 数据库主库磁盘空间不足 💾🔥");
  const Notification three = Group(ThreeAlerts());
  EXPECT_EQ(RenderTitle(three, Options("zh"), 128),
            "🔴 [灾难] 告警 #42 Free disk space is less than 5% on /var 等 3 条");
  EXPECT_EQ(RenderTitle(three, Options("en"), 128),
            "🔴 [Disaster] FIRING #42 Free disk space is less than 5% on /var (+2 more)");
  for (size_t max = 0; max < 70; ++max) {
    const std::string title = RenderTitle(n, Options("zh"), max);
    EXPECT_LE(title.size(), max);
    EXPECT_TRUE(ValidUtf8(title));
  }
  EXPECT_EQ(RenderTitle(n, Options("zh"), 34), "🔴 [灾难] 告警 #42 数据…");
  EXPECT_EQ(RenderTitle(n, Options("zh"), 33), "🔴 [灾难] 告警 #42 数…");
}

TEST(RenderTest, RenderingIsDeterministic) {
  const Notification n = Group(ThreeAlerts());
  const RenderOptions options = Options("zh", Format::kMarkdown);
  EXPECT_EQ(RenderMessage(n, options), RenderMessage(n, options));
}

}  // namespace
}  // namespace beacon::notifier::render
