// The SLB and gray-release commands through the engine, against the in-memory slb::Api of
// tests/unit/bot/fake_slb.h: previews, drain/undrain with the weights remembered across a
// re-open, the health guard and --force (admins only), partial failure and read-back mismatch
// wording, gray then promote (or abort) leaving everything as before, the allow-list.
#include <gtest/gtest.h>

#include "bot/release/slb_actions.h"
#include "tests/unit/bot/fake_slb.h"
#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

using release::SlbActions;
using release::SlbConfig;
using release::WeightMemory;
using testing::BotHarness;
using testing::FakeSlbApi;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

SlbConfig Config() {
  SlbConfig c;
  c.production = {{"lb-web", "web", {{"rsp-api", "api"}}}, {"lb-mobile", "mobile", {}}};
  c.gray.id = "lb-gray";
  c.gray.name = "gray";
  c.gray.weight = 100;
  c.servers = {{"web-01", "i-abc"}, {"web-02", "i-def"}};
  return c;
}

class SlbCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    api.lbs["lb-web"].backends = {FakeSlbApi::Member("i-abc", 100), FakeSlbApi::Member("i-def", 80),
                                  FakeSlbApi::Member("i-ghi", 50)};
    api.groups["rsp-api"] = {
        "lb-web", {FakeSlbApi::Member("i-abc", 100, 8080), FakeSlbApi::Member("i-def", 100, 8080)}};
    api.lbs["lb-mobile"].backends = {FakeSlbApi::Member("i-abc", 60),
                                     FakeSlbApi::Member("i-def", 60)};
    api.lbs["lb-gray"].backends = {};
    Open();
  }

  // (Re)opens the weight memory from its file and rebuilds the engine over it, as a restart does.
  void Open() {
    actions.reset();
    memory.reset();
    auto opened = WeightMemory::Open((h.dir() / "slb-state.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    memory = std::move(opened).value();
    actions = std::make_unique<SlbActions>(Config(), api, *memory);
    EngineDeps deps;
    deps.ports = Ports{&h.hosts, &h.alerts, &h.backups, &h.reports, actions.get()};
    deps.rbac = &h.rbac;
    deps.confirmations = h.confirmations.get();
    deps.audit = h.audit.get();
    deps.tz = TimeZone::Load("Asia/Shanghai").value();
    deps.max_reply_bytes = 4096;
    h.engine = std::make_unique<Engine>(Registry(BuiltinCommands()), std::move(deps));
  }

  // Says `text`, confirms the preview it gets, and returns the confirmation's answer.
  Reply Confirmed(const std::string& user, const std::string& text) {
    Reply preview = h.Say(user, text);
    const std::string code = BotHarness::CodeIn(preview);
    EXPECT_FALSE(code.empty()) << "no confirmation asked for: " << preview.body;
    if (code.empty()) return preview;
    return h.Say(user, "confirm " + code);
  }

  int Weight(const std::string& lb, const std::string& server) {
    for (const auto& b : api.lbs[lb].backends) {
      if (b.server_id == server) return b.weight;
    }
    return -1;
  }
  int GroupWeight(const std::string& group, const std::string& server) {
    for (const auto& m : api.groups[group].members) {
      if (m.server_id == server) return m.weight;
    }
    return -1;
  }

  BotHarness h;
  FakeSlbApi api;
  std::unique_ptr<WeightMemory> memory;
  std::unique_ptr<SlbActions> actions;
};

TEST_F(SlbCommands, ShowListsWeightsAndHealth) {
  api.lbs["lb-web"].health["i-ghi"] = "abnormal";
  Reply r = h.Say("viewer1", "slb show web");
  EXPECT_TRUE(Has(r.body, "web (lb-web): 3 backends, 2 healthy with weight > 0")) << r.body;
  EXPECT_TRUE(Has(r.body, "• web-01 (i-abc) weight 100, normal")) << r.body;
  EXPECT_TRUE(Has(r.body, "• i-ghi weight 50, abnormal (listener 80)")) << r.body;
  EXPECT_TRUE(Has(r.body, "web (lb-web) / api (rsp-api): 2 backends")) << r.body;
  EXPECT_TRUE(Has(r.body, "• web-02 (i-def):8080 weight 100, normal")) << r.body;
  Reply zh = h.Say("viewer1", "查看负载均衡 gray");
  EXPECT_TRUE(Has(zh.body, "gray (lb-gray)（灰度）: 0 个后端")) << zh.body;
}

TEST_F(SlbCommands, NotAllowListedLoadBalancersAreRefusedWithoutAnyCall) {
  for (const char* line : {"slb show lb-other", "slb weight lb-other web-01 0"}) {
    Reply r = h.Say("admin1", line);
    EXPECT_TRUE(Has(r.body,
                    "'lb-other' is not a load balancer or VServer group listed in "
                    "bot.slb, so the bot will not touch it; listed: web (lb-web), "
                    "web (lb-web) / api (rsp-api), mobile (lb-mobile), gray (lb-gray)"))
        << r.body;
  }
  EXPECT_TRUE(api.Calls().empty());
  EXPECT_TRUE(Has(h.Say("op1", "slb drain i-zzz").body,
                  "i-zzz is not a backend of any production load balancer in bot.slb"));
  EXPECT_TRUE(Has(h.Say("op1", "slb drain 'i;x'").body, "SERVER: expected a server id"));
}

TEST_F(SlbCommands, ViewersCannotChangeAnything) {
  for (const char* line :
       {"slb weight web web-01 0", "slb drain web-01", "slb undrain web-01", "release gray web-01",
        "release promote web-01", "release abort web-01"}) {
    EXPECT_TRUE(Has(h.Say("viewer1", line).body, "needs the operator role")) << line;
  }
  EXPECT_TRUE(api.Changes().empty());
}

TEST_F(SlbCommands, DrainPreviewsEveryGroupAndUndrainRestoresAfterARestart) {
  Reply preview = h.Say("op1", "slb drain web-01");
  EXPECT_TRUE(Has(preview.body,
                  "slb drain web-01 (i-abc):\n"
                  "• web (lb-web): i-abc weight 100 → 0\n"
                  "• web (lb-web) / api (rsp-api): i-abc:8080 weight 100 → 0\n"
                  "• mobile (lb-mobile): i-abc weight 60 → 0\n"))
      << preview.body;
  EXPECT_TRUE(Has(preview.body,
                  "health guard: every production load balancer and group keeps "
                  "a healthy backend of weight > 0."))
      << preview.body;
  EXPECT_TRUE(api.Changes().empty());  // nothing before confirm

  Reply done = h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(Has(done.body,
                  "✅ slb drain web-01 (i-abc) done; the load balancers read back:\n"
                  "• web (lb-web): i-abc now weight 0\n"
                  "• web (lb-web) / api (rsp-api): i-abc:8080 now weight 0\n"
                  "• mobile (lb-mobile): i-abc now weight 0\n"
                  "to restore: slb undrain i-abc"))
      << done.body;
  EXPECT_EQ(Weight("lb-web", "i-abc"), 0);
  EXPECT_EQ(GroupWeight("rsp-api", "i-abc"), 0);
  EXPECT_EQ(Weight("lb-mobile", "i-abc"), 0);
  EXPECT_EQ(Weight("lb-web", "i-def"), 80);  // nobody else touched
  EXPECT_EQ(api.Changes(), (std::vector<std::string>{"SetBackendServers lb-web",
                                                     "SetVServerGroupAttribute rsp-api",
                                                     "SetBackendServers lb-mobile"}));
  const AuditRecord executed = h.AuditRows(1).front();
  EXPECT_EQ(executed.entry.decision, kDecisionExecuted);
  EXPECT_EQ(executed.entry.command, "slb drain");
  EXPECT_EQ(executed.entry.request_ids.size(), 3u);

  // A second drain has nothing to do and must not overwrite the remembered weights with 0.
  EXPECT_TRUE(Has(h.Say("op1", "slb drain web-01").body, "Nothing to change."));

  Open();  // a restart: only the file remembers
  Reply undrain = h.Say("op1", "恢复流量 web-01");
  EXPECT_TRUE(Has(undrain.body, "• web (lb-web): i-abc 权重 0 → 100")) << undrain.body;
  EXPECT_TRUE(Has(undrain.body, "• mobile (lb-mobile): i-abc 权重 0 → 60")) << undrain.body;
  Reply restored = h.Say("op1", "确认 " + BotHarness::CodeIn(undrain));
  EXPECT_TRUE(Has(restored.body, "✅ slb undrain web-01 (i-abc) 完成")) << restored.body;
  EXPECT_EQ(Weight("lb-web", "i-abc"), 100);
  EXPECT_EQ(GroupWeight("rsp-api", "i-abc"), 100);
  EXPECT_EQ(Weight("lb-mobile", "i-abc"), 60);
  EXPECT_TRUE(memory->Recall("i-abc")->empty());
  EXPECT_TRUE(Has(h.Say("op1", "slb undrain web-01").body, "no drained weights are remembered"));
}

TEST_F(SlbCommands, TheHealthGuardRefusesToEmptyAGroupUnlessAnAdminForcesIt) {
  api.lbs["lb-mobile"].health["i-def"] = "abnormal";  // i-abc is mobile's only healthy backend
  Reply refused = h.Say("op1", "slb drain web-01");
  EXPECT_TRUE(Has(refused.body,
                  "Refused slb drain web-01 (i-abc): mobile (lb-mobile) would be "
                  "left without a healthy backend (DescribeHealthStatus normal) of "
                  "weight > 0. An admin may add --force."))
      << refused.body;
  EXPECT_TRUE(Has(h.Say("op1", "slb drain web-01 --force").body, "--force needs the admin role"));
  EXPECT_TRUE(Has(h.Say("op1", "release gray web-01").body, "Refused release gray"));
  EXPECT_TRUE(api.Changes().empty());

  Reply forced = h.Say("admin1", "slb drain web-01 --force");
  EXPECT_TRUE(Has(forced.body,
                  "⚠ FORCED (--force): mobile (lb-mobile) will be left without a "
                  "healthy backend of weight > 0."))
      << forced.body;
  h.Say("admin1", "confirm " + BotHarness::CodeIn(forced));
  EXPECT_EQ(Weight("lb-mobile", "i-abc"), 0);

  // Raising a weight never needs the guard, even where nothing is healthy.
  EXPECT_TRUE(Has(Confirmed("op1", "slb weight mobile web-01 30").body, "✅"));
  EXPECT_EQ(Weight("lb-mobile", "i-abc"), 30);
}

TEST_F(SlbCommands, TheGuardIsCheckedAgainAtConfirmTime) {
  Reply preview = h.Say("op1", "slb drain web-01");
  api.lbs["lb-mobile"].health["i-def"] = "abnormal";
  Reply r = h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(Has(r.body,
                  "the health guard refuses it now (mobile (lb-mobile) would be left "
                  "without a healthy backend of weight > 0), so nothing was changed"))
      << r.body;
  EXPECT_TRUE(api.Changes().empty());
}

TEST_F(SlbCommands, AChangeSinceThePreviewIsRefusedAtConfirm) {
  Reply preview = h.Say("op1", "slb weight web web-01 50");
  api.lbs["lb-web"].backends[0].weight = 70;  // someone else changed it in the console
  Reply r = h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(Has(r.body,
                  "the load balancers changed since the preview, so nothing was "
                  "changed: send `slb weight` again"))
      << r.body;
  EXPECT_TRUE(api.Changes().empty());
  EXPECT_EQ(h.AuditRows(1).front().entry.decision, kDecisionFailed);
}

TEST_F(SlbCommands, WeightNamesALoadBalancerWithItsGroupsOrOneGroup) {
  Reply lb = h.Say("op1", "slb weight web web-01 50");
  EXPECT_TRUE(Has(lb.body,
                  "• web (lb-web): i-abc weight 100 → 50\n"
                  "• web (lb-web) / api (rsp-api): i-abc:8080 weight 100 → 50"))
      << lb.body;
  h.Say("op1", "cancel");
  Reply group = Confirmed("op1", "slb weight rsp-api web-01 20");
  EXPECT_TRUE(Has(group.body, "• web (lb-web) / api (rsp-api): i-abc:8080 now weight 20"))
      << group.body;
  EXPECT_EQ(GroupWeight("rsp-api", "i-abc"), 20);
  EXPECT_EQ(Weight("lb-web", "i-abc"), 100);
  EXPECT_TRUE(Has(h.Say("op1", "slb weight web web-01 101").body,
                  "WEIGHT: expected a number from 0 to 100, got '101'"));
  EXPECT_TRUE(Has(h.Say("op1", "slb weight mobile i-ghi 10").body,
                  "i-ghi is not a backend of mobile (lb-mobile)"));
}

TEST_F(SlbCommands, APartialFailureSaysWhatChangedAndHowToUndoIt) {
  api.fail["SetBackendServers lb-mobile"] = Status::Unavailable(
      "slb SetBackendServers: ServiceUnavailable: busy (HTTP 503, RequestId "
      "R-9, 4 attempts)");
  Reply r = Confirmed("op1", "slb drain web-01");
  EXPECT_TRUE(Has(r.body,
                  "❌ slb drain web-01 (i-abc) partly failed: Unavailable: slb "
                  "SetBackendServers: ServiceUnavailable: busy (HTTP 503, RequestId R-9, "
                  "4 attempts)\n"
                  "changed (as read back):\n"
                  "• web (lb-web): i-abc now weight 0\n"
                  "• web (lb-web) / api (rsp-api): i-abc:8080 now weight 0\n"
                  "not changed:\n"
                  "• mobile (lb-mobile): i-abc weight 60 → 0\n"
                  "to undo: slb undrain i-abc\n"
                  "  or: slb weight lb-web i-abc 100\n"
                  "  or: slb weight rsp-api i-abc 100"))
      << r.body;
  const AuditRecord row = h.AuditRows(1).front();
  EXPECT_EQ(row.entry.decision, kDecisionFailed);
  EXPECT_EQ(row.entry.request_ids.size(), 2u);  // the two changes that went through

  // The undo it names works: everything as before.
  EXPECT_TRUE(Has(Confirmed("op1", "slb undrain i-abc").body, "✅"));
  EXPECT_EQ(Weight("lb-web", "i-abc"), 100);
  EXPECT_EQ(GroupWeight("rsp-api", "i-abc"), 100);
  EXPECT_EQ(Weight("lb-mobile", "i-abc"), 60);
}

TEST_F(SlbCommands, AReadBackMismatchIsReportedAndStopsTheChange) {
  api.sticky.insert("lb-web/i-abc");
  Reply r = Confirmed("op1", "slb drain web-01");
  EXPECT_TRUE(Has(r.body,
                  "partly failed: web (lb-web) reads back weight 100 for i-abc, expected "
                  "weight 0"))
      << r.body;
  EXPECT_TRUE(Has(r.body, "• web (lb-web): i-abc now weight 100 (NOT as planned)")) << r.body;
  EXPECT_TRUE(Has(r.body, "not changed:\n• web (lb-web) / api (rsp-api)")) << r.body;
  EXPECT_EQ(api.Changes(), (std::vector<std::string>{"SetBackendServers lb-web"}));
}

TEST_F(SlbCommands, NothingChangedWhenTheFirstCallFails) {
  api.fail["SetBackendServers lb-web"] =
      Status::PermissionDenied("slb SetBackendServers: Forbidden");
  Reply r = Confirmed("op1", "slb drain web-01");
  EXPECT_TRUE(Has(r.body,
                  "❌ slb drain web-01 (i-abc) failed; nothing was changed: "
                  "PermissionDenied: slb SetBackendServers: Forbidden"))
      << r.body;
  EXPECT_FALSE(Has(r.body, "to undo"));
}

TEST_F(SlbCommands, GrayThenPromoteLeavesEverythingAsBefore) {
  const auto lbs_before = api.lbs;
  const auto groups_before = api.groups;
  Reply gray = h.Say("op1", "灰度 web-01");
  EXPECT_TRUE(Has(gray.body, "• gray (lb-gray): 加入 i-abc，权重 100")) << gray.body;
  Reply grayed = h.Say("op1", "确认 " + BotHarness::CodeIn(gray));
  EXPECT_TRUE(Has(grayed.body, "• gray (lb-gray): i-abc 现为 权重 100")) << grayed.body;
  EXPECT_TRUE(Has(grayed.body, "灰度通过：release promote i-abc；回滚：release abort i-abc"));
  EXPECT_EQ(Weight("lb-gray", "i-abc"), 100);
  EXPECT_EQ(Weight("lb-web", "i-abc"), 0);
  EXPECT_EQ(GroupWeight("rsp-api", "i-abc"), 0);

  Reply promote = h.Say("op1", "release promote web-01");
  EXPECT_TRUE(Has(promote.body,
                  "• web (lb-web): i-abc weight 0 → 100\n"
                  "• web (lb-web) / api (rsp-api): i-abc:8080 weight 0 → 100\n"
                  "• mobile (lb-mobile): i-abc weight 0 → 60\n"
                  "• gray (lb-gray): remove i-abc (weight now 100)"))
      << promote.body;
  EXPECT_TRUE(Has(h.Say("op1", "confirm " + BotHarness::CodeIn(promote)).body, "✅"));
  for (const auto& [id, lb] : lbs_before) {
    ASSERT_EQ(api.lbs[id].backends.size(), lb.backends.size()) << id;
    for (size_t i = 0; i < lb.backends.size(); ++i) {
      EXPECT_EQ(api.lbs[id].backends[i].server_id, lb.backends[i].server_id) << id;
      EXPECT_EQ(api.lbs[id].backends[i].weight, lb.backends[i].weight) << id;
    }
  }
  for (const auto& [id, group] : groups_before) {
    for (size_t i = 0; i < group.members.size(); ++i) {
      EXPECT_EQ(api.groups[id].members[i].weight, group.members[i].weight) << id;
    }
  }
  EXPECT_TRUE(memory->Recall("i-abc")->empty());
  // Production first, the gray load balancer last.
  EXPECT_EQ(api.Changes().back(), "RemoveBackendServers lb-gray");
  EXPECT_TRUE(Has(h.Say("op1", "release promote web-01").body, "is not in a gray release"));
}

TEST_F(SlbCommands, AbortTakesTheServerOutOfGrayFirstWithTheSameEndState) {
  Confirmed("op1", "release gray web-01");
  const size_t before = api.Changes().size();
  Reply abort = Confirmed("op1", "回滚灰度 web-01");
  EXPECT_TRUE(Has(abort.body, "✅ release abort web-01 (i-abc) 完成")) << abort.body;
  const std::vector<std::string> changes = api.Changes();
  ASSERT_GT(changes.size(), before);
  EXPECT_EQ(changes[before], "RemoveBackendServers lb-gray");
  EXPECT_EQ(Weight("lb-gray", "i-abc"), -1);
  EXPECT_EQ(Weight("lb-web", "i-abc"), 100);
  EXPECT_EQ(Weight("lb-mobile", "i-abc"), 60);
  const AuditRecord row = h.AuditRows(1).front();
  EXPECT_EQ(row.entry.command, "release abort");
  EXPECT_EQ(row.entry.decision, kDecisionExecuted);
}

TEST_F(SlbCommands, AFailedGrayNamesReleaseAbortAsTheUndo) {
  api.fail["AddBackendServers lb-gray"] = Status::InvalidArgument("slb AddBackendServers: quota");
  Reply r = Confirmed("op1", "release gray web-01");
  EXPECT_TRUE(Has(r.body, "partly failed")) << r.body;
  EXPECT_TRUE(Has(r.body, "not changed:\n• gray (lb-gray): add i-abc with weight 100")) << r.body;
  EXPECT_TRUE(Has(r.body, "to undo: release abort i-abc")) << r.body;
  EXPECT_TRUE(Has(Confirmed("op1", "release abort i-abc").body, "✅"));
  EXPECT_EQ(Weight("lb-web", "i-abc"), 100);
  EXPECT_EQ(Weight("lb-gray", "i-abc"), -1);
}

TEST_F(SlbCommands, NotConfiguredIsSaidPlainly) {
  EngineDeps deps;
  deps.ports = Ports{&h.hosts, &h.alerts, &h.backups, &h.reports};
  deps.rbac = &h.rbac;
  deps.confirmations = h.confirmations.get();
  deps.audit = h.audit.get();
  h.engine = std::make_unique<Engine>(Registry(BuiltinCommands()), std::move(deps));
  EXPECT_TRUE(
      Has(h.Say("op1", "slb drain web-01").body, "SLB commands are not configured here (bot.slb)"));
}

}  // namespace
}  // namespace beacon::bot
