// `dns show` and `dns set` through the engine, over a provider held in memory: the exact preview
// (before → after), nothing changes before `confirm`, the reply states what the server reads
// back, a read-back that differs is reported, unconfigured zones and viewers are refused, and
// everything is audited.
#include <gtest/gtest.h>

#include <memory>

#include "tests/unit/bot/dns_fakes.h"
#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

using testing::BotHarness;
using testing::MemoryProvider;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class DnsCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = std::make_unique<MemoryProvider>();
    provider_ = provider.get();
    provider_->records = {{"www.example.com.", dns::RecordType::kA, "192.0.2.1", 300},
                          {"www.example.com.", dns::RecordType::kTxt, "hello", 300}};
    h.dns_zones.Add(dns::DnsZoneConfig{"example.com", "memory", 600, 60, 86400},
                    std::move(provider));
  }
  BotHarness h;
  MemoryProvider* provider_ = nullptr;
};

TEST_F(DnsCommands, ShowListsTheNamesRecords) {
  Reply r = h.Say("op1", "dns show example.com www");
  EXPECT_EQ(r.body,
            "www.example.com. in zone example.com, 2 records:\n"
            "www.example.com. 300 A 192.0.2.1\n"
            "www.example.com. 300 TXT \"hello\"");
  Reply zh = h.Say("op1", "解析 查看 example.com www.example.com.");
  EXPECT_TRUE(Has(zh.body, "www.example.com.（区域 example.com）共 2 条记录：")) << zh.body;
  Reply none = h.Say("op1", "dns show example.com nothing");
  EXPECT_EQ(none.body,
            "nothing.example.com. has no A, AAAA, CNAME or TXT record (zone example.com)");
  EXPECT_EQ(h.AuditRows()[0].entry.decision, kDecisionRead);
}

TEST_F(DnsCommands, SetPreviewsTheExactChangeAndAppliesItOnlyAfterConfirm) {
  Reply preview = h.Say("op1", "dns set example.com www A 192.0.2.7 120");
  EXPECT_TRUE(Has(preview.body,
                  "Change www.example.com. A in zone example.com:\n"
                  "before: www.example.com. 300 A 192.0.2.1\n"
                  "after:  www.example.com. 120 A 192.0.2.7\n"
                  "the name's other records stay: www.example.com. 300 TXT \"hello\"\n\n"
                  "Send `confirm 100001` within 2m to apply it, or `cancel`."))
      << preview.body;
  EXPECT_TRUE(provider_->replaces.empty());  // nothing changes before confirm

  Reply done = h.Say("op1", "confirm 100001");
  EXPECT_EQ(done.body,
            "✅ Set www.example.com. A. The server now has: www.example.com. 300 TXT \"hello\"; "
            "www.example.com. 120 A 192.0.2.7\n"
            "before: www.example.com. 300 A 192.0.2.1");
  EXPECT_EQ(provider_->replaces,
            std::vector<std::string>{"example.com www.example.com. 120 A 192.0.2.7"});
  std::vector<AuditRecord> rows = h.AuditRows();
  EXPECT_EQ(rows[0].entry.decision, kDecisionExecuted);
  EXPECT_EQ(rows[0].entry.command, "dns set");
  EXPECT_EQ(rows[0].entry.request_ids, std::vector<std::string>{"req-1"});
  EXPECT_TRUE(Has(rows[0].entry.preview, "after:  www.example.com. 120 A 192.0.2.7"));
  EXPECT_EQ(rows[1].entry.decision, kDecisionConfirmed);
  EXPECT_EQ(rows[2].entry.decision, kDecisionProposed);
}

TEST_F(DnsCommands, ChinesePreviewAndTheZoneDefaultTtl) {
  Reply preview = h.Say("op1", "解析 修改 example.com www A 192.0.2.7");
  EXPECT_TRUE(Has(preview.body,
                  "修改区域 example.com 的解析记录 www.example.com. A：\n"
                  "修改前：www.example.com. 300 A 192.0.2.1\n"
                  "修改后：www.example.com. 600 A 192.0.2.7\n"
                  "该名称的其他记录不变：www.example.com. 300 TXT \"hello\""))
      << preview.body;
  Reply done = h.Say("op1", "确认 " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(Has(done.body, "✅ 已修改 www.example.com. A。服务器现在的记录：")) << done.body;
}

TEST_F(DnsCommands, ANewRecordShowsNoneBefore) {
  Reply preview = h.Say("op1", "dns set example.com api CNAME lb.example.net");
  EXPECT_TRUE(Has(preview.body,
                  "Change api.example.com. CNAME in zone example.com:\n"
                  "before: (none)\n"
                  "after:  api.example.com. 600 CNAME lb.example.net.\n\n"))
      << preview.body;
}

TEST_F(DnsCommands, SettingWhatIsThereNeedsNoConfirmation) {
  Reply r = h.Say("op1", "dns set example.com www A 192.0.2.1 300");
  EXPECT_EQ(r.body,
            "www.example.com. A already is www.example.com. 300 A 192.0.2.1; nothing to "
            "change.");
  EXPECT_EQ(BotHarness::CodeIn(r), "");
  EXPECT_TRUE(provider_->replaces.empty());
}

TEST_F(DnsCommands, AReadBackThatDiffersIsReportedAsAFailure) {
  provider_->ignore_writes = true;
  Reply preview = h.Say("op1", "dns set example.com www A 192.0.2.7 120");
  Reply done = h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(Has(done.body,
                  "Failed: FailedPrecondition: memory accepted the change of www.example.com. A "
                  "(request ids req-1) but reads back www.example.com. 300 A 192.0.2.1 instead "
                  "of www.example.com. 120 A 192.0.2.7; the name now has: www.example.com. 300 A "
                  "192.0.2.1; www.example.com. 300 TXT \"hello\"; before it had: "))
      << done.body;
  EXPECT_EQ(h.AuditRows()[0].entry.decision, kDecisionFailed);
}

TEST_F(DnsCommands, AChangeBetweenPreviewAndConfirmIsPointedOut) {
  Reply preview = h.Say("op1", "dns set example.com www A 192.0.2.7 120");
  provider_->records[0].value = "192.0.2.99";  // someone else changed it meanwhile
  Reply done = h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(Has(done.body,
                  "before: www.example.com. 300 A 192.0.2.99\n"
                  "note: the record changed between the preview and the confirmation "
                  "(the preview showed www.example.com. 300 A 192.0.2.1)"))
      << done.body;
}

TEST_F(DnsCommands, UnconfiguredZonesAndBadInputAreRefusedBeforeAnyChange) {
  Reply other = h.Say("op1", "dns set example.org www A 192.0.2.7");
  EXPECT_EQ(other.body,
            "❌ zone 'example.org' is not in bot.dns.zones, so the bot may not touch it "
            "(configured: example.com)");
  EXPECT_TRUE(Has(h.Say("op1", "dns show example.org www").body, "is not in bot.dns.zones"));
  EXPECT_TRUE(Has(h.Say("op1", "dns set example.com www A 192.0.2.7 30").body,
                  "TTL 30 is outside 60..86400 for zone example.com"));
  EXPECT_TRUE(Has(h.Say("op1", "dns set example.com www A 192.0.2.7 soon").body,
                  "TTL: expected a number, got 'soon'\nusage: dns set ZONE NAME TYPE VALUE [TTL]"));
  EXPECT_TRUE(Has(h.Say("op1", "dns set example.com www MX mail").body, "MX"));
  EXPECT_TRUE(Has(h.Say("op1", "dns set example.com www A 300.1.1.1").body, "❌"));
  EXPECT_TRUE(provider_->replaces.empty());
  EXPECT_EQ(h.AuditRows()[0].entry.decision, kDecisionFailed);
}

TEST_F(DnsCommands, ViewersMayNeitherShowNorSet) {
  Reply set = h.Say("viewer1", "dns set example.com www A 192.0.2.7");
  EXPECT_TRUE(Has(set.body, "`dns set` needs the operator role; you are viewer.")) << set.body;
  Reply show = h.Say("viewer1", "解析 查看 example.com www");
  EXPECT_TRUE(Has(show.body, "`dns show` needs the operator role")) << show.body;
  EXPECT_TRUE(provider_->shows.empty());
  EXPECT_TRUE(provider_->replaces.empty());
  std::vector<AuditRecord> rows = h.AuditRows();
  EXPECT_EQ(rows[0].entry.decision, kDecisionRefused);
  EXPECT_EQ(rows[1].entry.decision, kDecisionRefused);
  // An operator's code cannot be confirmed by a viewer either.
  Reply preview = h.Say("op1", "dns set example.com www A 192.0.2.7");
  h.Say("viewer1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(provider_->replaces.empty());
}

TEST_F(DnsCommands, WithoutZonesTheCommandsSaySo) {
  BotHarness bare;
  EXPECT_EQ(bare.Say("op1", "dns show example.com www").body,
            "❌ zone 'example.com' is not in bot.dns.zones, so the bot may not touch it (no zone "
            "is configured)");
}

}  // namespace
}  // namespace beacon::bot
