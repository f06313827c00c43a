// Confirmations on their own (codes, expiry, attempts, other users, concurrency) and the
// confirm / cancel flow through the engine with the audit rows it leaves.
#include "bot/confirm.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/crypto/crypto.h"
#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

using Outcome = Confirmations::Outcome;
using testing::BotHarness;
using testing::kNow;
using testing::MakeVersion;

PendingPlan PlanOf(const std::string& principal, int* applied = nullptr) {
  PendingPlan p;
  p.principal = principal;
  p.channel = kChannelWecomApp;
  p.command = "backup run";
  p.arguments = {"web-01", "etc"};
  p.plan.preview = "back up etc on web-01";
  p.plan.apply = [applied]() -> Result<ApplyResult> {
    if (applied) ++*applied;
    return ApplyResult{"done", {"command:1"}};
  };
  return p;
}

// Bytes that spell the given digits, then wrap around.
Confirmations::RandomBytes Digits(std::vector<std::string> codes) {
  auto next = std::make_shared<size_t>(0);
  return [codes, next](size_t n) {
    const std::string& code = codes[(*next)++ % codes.size()];
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(code[i % code.size()] - '0');
    return bytes;
  };
}

TEST(Confirmations, TheOwnerConfirmsWithinTheTtlExactlyOnce) {
  Confirmations c(120'000, Digits({"482913"}));
  auto proposed = c.Propose(PlanOf("op1"), kNow);
  EXPECT_EQ(proposed.code, "482913");
  EXPECT_EQ(proposed.expires_ms, kNow + 120'000);
  EXPECT_FALSE(proposed.replaced.has_value());
  auto taken = c.Confirm("op1", "482913", kNow + 119'999);
  ASSERT_EQ(taken.outcome, Outcome::kConfirmed);
  EXPECT_EQ(taken.plan->command, "backup run");
  EXPECT_EQ(c.Confirm("op1", "482913", kNow + 1).outcome, Outcome::kNoPending);
}

TEST(Confirmations, AnExpiredPlanIsDroppedAndReturnedForTheAudit) {
  Confirmations c(120'000, Digits({"482913"}));
  c.Propose(PlanOf("op1"), kNow);
  auto taken = c.Confirm("op1", "482913", kNow + 120'000);
  EXPECT_EQ(taken.outcome, Outcome::kExpired);
  ASSERT_TRUE(taken.plan.has_value());
  EXPECT_EQ(c.PendingCount(), 0u);
}

TEST(Confirmations, AnotherUsersCodeIsRefusedAndTheirPlanStays) {
  Confirmations c(120'000, Digits({"111111", "222222"}));
  c.Propose(PlanOf("op1"), kNow);
  EXPECT_EQ(c.Confirm("op2", "111111", kNow).outcome, Outcome::kOtherUsersCode);
  c.Propose(PlanOf("op2"), kNow);
  EXPECT_EQ(c.Confirm("op2", "111111", kNow).outcome, Outcome::kOtherUsersCode);
  EXPECT_EQ(c.Confirm("op1", "111111", kNow).outcome, Outcome::kConfirmed);
  EXPECT_EQ(c.Confirm("op2", "222222", kNow).outcome, Outcome::kConfirmed);
}

TEST(Confirmations, WrongCodesCountAndTheFifthDropsThePlan) {
  Confirmations c(120'000, Digits({"111111"}));
  c.Propose(PlanOf("op1"), kNow);
  for (int i = 1; i < kMaxConfirmAttempts; ++i) {
    EXPECT_EQ(c.Confirm("op1", "000000", kNow).outcome, Outcome::kWrongCode) << i;
  }
  auto last = c.Confirm("op1", "000000", kNow);
  EXPECT_EQ(last.outcome, Outcome::kTooManyAttempts);
  EXPECT_TRUE(last.plan.has_value());
  EXPECT_EQ(c.Confirm("op1", "111111", kNow).outcome, Outcome::kNoPending);
}

TEST(Confirmations, ANewPlanReplacesTheOldOneAndCancelDropsIt) {
  Confirmations c(120'000, Digits({"111111", "222222"}));
  c.Propose(PlanOf("op1"), kNow);
  auto second = c.Propose(PlanOf("op1"), kNow + 1);
  ASSERT_TRUE(second.replaced.has_value());
  EXPECT_EQ(second.replaced->code, "111111");
  EXPECT_EQ(c.Confirm("op1", "111111", kNow + 2).outcome, Outcome::kWrongCode);
  auto dropped = c.Cancel("op1");
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ(dropped->code, "222222");
  EXPECT_FALSE(c.Cancel("op1").has_value());
}

TEST(Confirmations, CodesAreSixUniformDigitsAndNeverShared) {
  // Bytes >= 250 are redrawn (they would bias the digits); a code in use is drawn again.
  std::vector<std::string> draws = {std::string(6, '\xFA') + "", "123456", "123456", "654321"};
  size_t next = 0;
  Confirmations c(120'000, [&](size_t n) {
    std::string d = draws[std::min(next++, draws.size() - 1)];
    if (d[0] == '\xFA') return std::string(n, '\xFA');
    std::string bytes;
    for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(d[i % d.size()] - '0');
    return bytes;
  });
  EXPECT_EQ(c.Propose(PlanOf("a"), kNow).code, "123456");
  EXPECT_EQ(c.Propose(PlanOf("b"), kNow).code, "654321");

  Confirmations real(120'000, crypto::RandomBytes);
  std::set<std::string> codes;
  for (int i = 0; i < 200; ++i) {
    std::string code = real.Propose(PlanOf("u" + std::to_string(i)), kNow).code;
    ASSERT_EQ(code.size(), kConfirmCodeDigits);
    ASSERT_EQ(code.find_first_not_of("0123456789"), std::string::npos) << code;
    EXPECT_TRUE(codes.insert(code).second) << code;
  }
}

TEST(Confirmations, ConcurrentProposalsAndConfirmsKeepOnePlanPerUser) {
  Confirmations c(120'000, crypto::RandomBytes);
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string user = "u" + std::to_string(t);
        auto p = c.Propose(PlanOf(user), kNow);
        auto taken = c.Confirm(user, p.code, kNow);
        if (taken.outcome == Outcome::kConfirmed) ++applied;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied.load(), 400);
  EXPECT_EQ(c.PendingCount(), 0u);
}

// ---- Through the engine ----

class ConfirmFlow : public ::testing::Test {
 protected:
  void SetUp() override { h.backups.versions = {{"web-01", MakeVersion(12, "/etc/hosts")}}; }
  Reply Propose(const std::string& user = "op1", int64_t at = kNow) {
    return h.Say(user, "backup restore web-01 /etc/hosts", at);
  }
  BotHarness h;
};

TEST_F(ConfirmFlow, ConfirmAppliesAndAuditsProposedConfirmedExecuted) {
  Reply preview = Propose();
  Reply done = h.Say("op1", "confirm " + BotHarness::CodeIn(preview), kNow + 5'000);
  EXPECT_TRUE(done.body.find("restore queued for the agent as command #1") != std::string::npos)
      << done.body;
  ASSERT_EQ(h.backups.requests.size(), 1u);
  auto rows = h.AuditRows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].entry.decision, kDecisionProposed);
  EXPECT_EQ(rows[1].entry.decision, kDecisionConfirmed);
  EXPECT_EQ(rows[0].entry.decision, kDecisionExecuted);
  for (const AuditRecord& r : rows) {
    EXPECT_EQ(r.entry.command, "backup restore");
    EXPECT_EQ(r.entry.arguments, (std::vector<std::string>{"web-01", "/etc/hosts"}));
    EXPECT_EQ(r.entry.user, "op1");
    EXPECT_TRUE(r.entry.preview.find("Restore web-01:/etc/hosts to version #12") !=
                std::string::npos);
    // The code is a secret of the moment: never in the audit log.
    EXPECT_EQ(r.entry.preview.find(BotHarness::CodeIn(preview)), std::string::npos);
  }
  EXPECT_EQ(rows[0].entry.request_ids, std::vector<std::string>{"command:1"});
  EXPECT_EQ(rows[0].entry.time_ms, kNow + 5'000);
  // A second confirm finds nothing.
  EXPECT_TRUE(h.Say("op1", "confirm " + BotHarness::CodeIn(preview)).body.find("Nothing is") !=
              std::string::npos);
  EXPECT_EQ(h.backups.requests.size(), 1u);
}

TEST_F(ConfirmFlow, AnotherUsersConfirmationIsRefusedAndAudited) {
  Reply preview = Propose("op1");
  Reply r = h.Say("op2", "确认 " + BotHarness::CodeIn(preview));
  EXPECT_NE(r.body.find("belongs to another user"), std::string::npos) << r.body;
  EXPECT_TRUE(h.backups.requests.empty());
  auto row = h.AuditRows(1)[0];
  EXPECT_EQ(row.entry.user, "op2");
  EXPECT_EQ(row.entry.command, "confirm");
  EXPECT_EQ(row.entry.decision, kDecisionRefused);
  EXPECT_EQ(row.entry.result, "the code belongs to another user's command");
  // Even an admin cannot confirm someone else's command.
  h.Say("admin1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(h.backups.requests.empty());
  // The owner still can.
  h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_EQ(h.backups.requests.size(), 1u);
}

TEST_F(ConfirmFlow, AConfirmationAfterTheTtlIsRefusedAndAuditedAsExpired) {
  Reply preview = Propose("op1", kNow);
  Reply r = h.Say("op1", "confirm " + BotHarness::CodeIn(preview), kNow + kDefaultConfirmTtlMs);
  EXPECT_NE(r.body.find("confirmation time ran out"), std::string::npos) << r.body;
  EXPECT_TRUE(h.backups.requests.empty());
  auto row = h.AuditRows(1)[0];
  EXPECT_EQ(row.entry.decision, kDecisionExpired);
  EXPECT_EQ(row.entry.command, "backup restore");
}

TEST_F(ConfirmFlow, AWrongCodeIsRefusedAndTheSameUserMayRetry) {
  Reply preview = Propose();
  EXPECT_NE(h.Say("op1", "confirm 999999").body.find("Wrong code"), std::string::npos);
  EXPECT_EQ(h.AuditRows(1)[0].entry.result, "wrong code");
  EXPECT_TRUE(h.backups.requests.empty());
  h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_EQ(h.backups.requests.size(), 1u);
}

TEST_F(ConfirmFlow, TooManyWrongCodesDropThePlan) {
  Reply preview = Propose();
  for (int i = 0; i < kMaxConfirmAttempts; ++i) h.Say("op1", "confirm 999999");
  EXPECT_EQ(h.AuditRows(1)[0].entry.result, "too many wrong codes; plan dropped");
  h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(h.backups.requests.empty());
}

TEST_F(ConfirmFlow, CancelDropsThePendingPlan) {
  Reply preview = Propose();
  EXPECT_NE(h.Say("op1", "取消").body.find("已取消：backup restore"), std::string::npos);
  EXPECT_EQ(h.AuditRows(1)[0].entry.decision, kDecisionCancelled);
  h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_TRUE(h.backups.requests.empty());
  EXPECT_NE(h.Say("op1", "cancel").body.find("Nothing to cancel"), std::string::npos);
}

TEST_F(ConfirmFlow, ANewMutatingCommandReplacesThePendingOneAndAuditsIt) {
  Reply first = Propose();
  Reply second = h.Say("op1", "fim accept web-01 /etc/passwd");
  auto rows = h.AuditRows(2);
  EXPECT_EQ(rows[0].entry.decision, kDecisionCancelled);
  EXPECT_EQ(rows[0].entry.command, "backup restore");
  EXPECT_EQ(rows[0].entry.result, "replaced by a newer command");
  EXPECT_EQ(rows[1].entry.decision, kDecisionProposed);
  h.Say("op1", "confirm " + BotHarness::CodeIn(first));
  EXPECT_TRUE(h.backups.requests.empty());
  h.Say("op1", "confirm " + BotHarness::CodeIn(second));
  ASSERT_EQ(h.backups.requests.size(), 1u);
  EXPECT_EQ(h.backups.requests[0].kind, kAgentCommandFimAccept);
}

TEST_F(ConfirmFlow, AFailingApplyIsReportedAndAuditedAsFailed) {
  h.backups.fail_requests = Status::Unavailable("agent web-01 is not connected");
  Reply preview = Propose();
  Reply r = h.Say("op1", "confirm " + BotHarness::CodeIn(preview));
  EXPECT_NE(r.body.find("Failed: Unavailable: agent web-01 is not connected"), std::string::npos)
      << r.body;
  auto rows = h.AuditRows(2);
  EXPECT_EQ(rows[0].entry.decision, kDecisionFailed);
  EXPECT_EQ(rows[0].entry.result, "Unavailable: agent web-01 is not connected");
  EXPECT_EQ(rows[1].entry.decision, kDecisionConfirmed);
}

TEST_F(ConfirmFlow, ConfirmWithoutACodeShowsTheUsage) {
  Propose();
  EXPECT_NE(h.Say("op1", "confirm").body.find("usage: confirm CODE"), std::string::npos);
  EXPECT_EQ(h.confirmations->PendingCount(), 1u);
}

}  // namespace
}  // namespace beacon::bot
