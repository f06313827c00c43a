// The bot's follow-ups on agent commands: what each state change tells the requester (started,
// progress by quarters at most every progress_every_ms, the result of each kind in both
// languages, errors, the expiry note), and the follower on a real catalog and reply queue: only
// app users are followed, nothing is said before the reply naming the command is queued (Arm),
// the queue's update hook drives it, and a watch outlives a restart.
#include "collector/bot/command_followups.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bot/chat.h"
#include "common/clock.h"

namespace beacon::collector::bot_host {
namespace {

constexpr int64_t kT0 = 1'764'136'000'000;
const std::string kShaA(64, 'a');

CommandWatch Watch(bool zh = false) {
  CommandWatch w;
  w.command_id = 12;
  w.target_kind = kTargetAppUser;
  w.target = "lisi";
  w.zh = zh;
  w.created_ms = kT0;
  w.expires_ms = kT0 + FollowUpOptions{}.watch_for_ms;
  return w;
}

commands::StoredCommand Command(const std::string& kind, nlohmann::json args,
                                const std::string& state) {
  commands::StoredCommand c;
  c.id = 12;
  c.agent = "web-01";
  c.kind = kind;
  c.args = std::move(args);
  c.state = state;
  return c;
}

commands::StoredCommand Restore(const std::string& state, uint64_t done = 0, uint64_t total = 0) {
  commands::StoredCommand c = Command("restore", {{"target", "/etc/app.conf"}}, state);
  c.done_bytes = done;
  c.total_bytes = total;
  return c;
}

TEST(NextFollowUp, StartedThenProgressByQuartersAtMostEveryTenSeconds) {
  const FollowUpOptions options;
  const uint64_t total = 400 << 20;
  // Not started yet: nothing to say, the watch goes on.
  FollowUpStep step = NextFollowUp(Watch(), Restore("delivered"), {}, kT0, options);
  EXPECT_FALSE(step.reply);
  EXPECT_FALSE(step.finished);

  step = NextFollowUp(Watch(), Restore("running", 10 << 20, total), {}, kT0 + 1000, options);
  ASSERT_TRUE(step.reply);
  EXPECT_EQ(step.reply->body, "#12 restore of web-01:/etc/app.conf: the agent started it");
  EXPECT_TRUE(step.watch.told_started);
  EXPECT_EQ(step.watch.told_ms, kT0 + 1000);
  CommandWatch w = step.watch;

  // A quarter done, but within ten seconds of the last follow-up: held back.
  step = NextFollowUp(w, Restore("running", 120 << 20, total), {}, kT0 + 5000, options);
  EXPECT_FALSE(step.reply);
  EXPECT_EQ(step.watch.told_quarter, 0);
  // Ten seconds on: told, in quarters.
  step = NextFollowUp(w, Restore("running", 150 << 20, total), {}, kT0 + 11000, options);
  ASSERT_TRUE(step.reply);
  EXPECT_EQ(step.reply->body,
            "#12 restore of web-01:/etc/app.conf: 25% done (150.0 MiB / 400.0 MiB)");
  w = step.watch;
  EXPECT_EQ(w.told_quarter, 1);
  // Still in the same quarter a minute later: nothing.
  EXPECT_FALSE(
      NextFollowUp(w, Restore("running", 190 << 20, total), {}, kT0 + 71000, options).reply);
  // 99%: the last quarter before the end is 75%, never 100% (that is the result's).
  step = NextFollowUp(w, Restore("running", total - 1, total), {}, kT0 + 72000, options);
  ASSERT_TRUE(step.reply);
  EXPECT_NE(step.reply->body.find(": 75% done"), std::string::npos) << step.reply->body;

  // In Chinese when the command was typed in Chinese.
  step = NextFollowUp(Watch(true), Restore("running", 0, total), {}, kT0, options);
  ASSERT_TRUE(step.reply);
  EXPECT_EQ(step.reply->body, "#12 恢复 web-01:/etc/app.conf：agent 已开始执行");
}

TEST(NextFollowUp, EachKindsResultIsTold) {
  commands::StoredCommand restore = Restore("succeeded", 2048, 2048);
  restore.result = {{"target", "/etc/app.conf"}, {"sha256", kShaA}, {"size", 2048}};
  FollowUpStep step = NextFollowUp(Watch(), restore, {}, kT0, {});
  ASSERT_TRUE(step.reply);
  EXPECT_TRUE(step.finished);
  EXPECT_EQ(step.reply->body,
            "#12 restore of web-01:/etc/app.conf done: /etc/app.conf written (2.0 KiB), sha256 "
            "aaaaaaaaaaaa verified");

  commands::StoredCommand run = Command("backup.run", {{"set", "app"}}, "succeeded");
  run.result = {{"set", "app"},
                {"stored", 2},
                {"unchanged", 1},
                {"versions",
                 {{{"path", "/app/a.yaml"}, {"sha256", kShaA}, {"size", 1536}},
                  {{"path", "/app/b.yaml"}, {"sha256", std::string(64, 'b')}, {"size", 10}}}},
                {"versions_omitted", 0}};
  // The catalog has a's version already, not b's yet.
  step = NextFollowUp(Watch(), run, {{VersionKey("/app/a.yaml", kShaA), 812}}, kT0, {});
  ASSERT_TRUE(step.reply);
  EXPECT_TRUE(step.finished);
  EXPECT_EQ(step.reply->body,
            "#12 backup run of set 'app' on web-01 done: 2 versions stored, 1 unchanged\n"
            "version #812 /app/a.yaml 1.5 KiB sha256 aaaaaaaaaaaa\n"
            "/app/b.yaml 10 B sha256 bbbbbbbbbbbb\n"
            "(`backup list HOST PATH` shows every version's #id)");
  step = NextFollowUp(Watch(true), run, {}, kT0, {});
  ASSERT_TRUE(step.reply);
  EXPECT_EQ(step.reply->body.substr(0, step.reply->body.find('\n')),
            "#12 在 web-01 上立即备份备份集 'app' 已完成：保存新版本 2 个，未变化 1 个");

  commands::StoredCommand accept = Command("fim.accept", {{"path", "/etc/a.conf"}}, "succeeded");
  accept.result = {{"path", "/etc/a.conf"}, {"updated", 1}, {"added", 0}, {"removed", 0}};
  step = NextFollowUp(Watch(), accept, {}, kT0, {});
  ASSERT_TRUE(step.reply);
  EXPECT_EQ(step.reply->body,
            "#12 fim accept of web-01:/etc/a.conf done: /etc/a.conf re-baselined (1 updated, 0 "
            "added, 0 removed); the next check reports no change there");
  step = NextFollowUp(Watch(true), accept, {}, kT0, {});
  ASSERT_TRUE(step.reply);
  EXPECT_EQ(step.reply->body,
            "#12 接受 web-01:/etc/a.conf 的变更 已完成：/etc/a.conf 已重新建立基线（更新 1，新增 "
            "0，删除 0），之后的检查不再报告这些变更");
  accept.result = {{"path", "/etc/a.conf"}, {"updated", 0}, {"added", 0}, {"removed", 0}};
  EXPECT_EQ(NextFollowUp(Watch(), accept, {}, kT0, {}).reply->body,
            "#12 fim accept of web-01:/etc/a.conf done: /etc/a.conf already matched the baseline");
}

TEST(NextFollowUp, ABackupRunsResultWaitsBrieflyForTheCatalogToNameItsVersions) {
  const FollowUpOptions options;
  commands::StoredCommand run = Command("backup.run", {{"set", "app"}}, "succeeded");
  run.updated_ms = kT0;
  run.result = {{"stored", 1},
                {"unchanged", 0},
                {"versions", {{{"path", "/app/a.yaml"}, {"sha256", kShaA}, {"size", 1}}}}};
  // The version is still on its way through the spool: held, looked at again soon.
  FollowUpStep step = NextFollowUp(Watch(), run, {}, kT0 + 1000, options);
  EXPECT_FALSE(step.reply);
  EXPECT_FALSE(step.finished);
  EXPECT_EQ(step.recheck_after_ms, options.recheck_ms);
  // Catalogued: told at once, with its id.
  step = NextFollowUp(Watch(), run, {{VersionKey("/app/a.yaml", kShaA), 7}}, kT0 + 1000, options);
  ASSERT_TRUE(step.reply);
  EXPECT_NE(step.reply->body.find("\nversion #7 /app/a.yaml 1 B"), std::string::npos)
      << step.reply->body;
  // Not catalogued after catalog_wait_ms: told without it.
  step = NextFollowUp(Watch(), run, {}, kT0 + options.catalog_wait_ms, options);
  ASSERT_TRUE(step.reply);
  EXPECT_TRUE(step.finished);
  EXPECT_NE(step.reply->body.find("\n/app/a.yaml 1 B"), std::string::npos) << step.reply->body;
}

TEST(NextFollowUp, FailuresCarryTheAgentsErrorAndAWatchExpiresWithANote) {
  commands::StoredCommand failed = Command("backup.run", {{"set", "nope"}}, "failed");
  failed.message = "unknown backup set 'nope' (known: app)";
  FollowUpStep step = NextFollowUp(Watch(), failed, {}, kT0, {});
  ASSERT_TRUE(step.reply);
  EXPECT_TRUE(step.finished);
  EXPECT_EQ(step.reply->body,
            "#12 backup run of set 'nope' on web-01 failed: unknown backup set 'nope' (known: "
            "app)");
  EXPECT_EQ(NextFollowUp(Watch(true), failed, {}, kT0, {}).reply->body,
            "#12 在 web-01 上立即备份备份集 'nope' 失败：unknown backup set 'nope' (known: app)");

  // Still running when the watch runs out: a last note, and the watch ends.
  CommandWatch w = Watch();
  w.told_started = true;
  step = NextFollowUp(w, Restore("running", 1, 100), {}, w.expires_ms - 1, {});
  EXPECT_FALSE(step.finished);
  step = NextFollowUp(w, Restore("running", 1, 100), {}, w.expires_ms, {});
  ASSERT_TRUE(step.reply);
  EXPECT_TRUE(step.finished);
  EXPECT_EQ(step.reply->body,
            "#12 restore of web-01:/etc/app.conf: no result after 6h; `progress 12` shows where "
            "it stands");
  EXPECT_NE(NextFollowUp(Watch(true), Restore("queued"), {}, w.expires_ms, {})
                .reply->body.find("发送“进度 12”查看状态"),
            std::string::npos);
}

// ---- the follower on a real catalog and reply queue ----

class CommandFollowUpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("command_followups_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    catalog_ = backups::Catalog::Open((dir_ / "catalog.db").string()).value();
    Reopen();
  }
  void TearDown() override {
    catalog_->commands().SetUpdateListener(nullptr);
    followups_.reset();
    replies_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A new follower and reply queue on the same files: a collector restart.
  void Reopen() {
    catalog_->commands().SetUpdateListener(nullptr);
    followups_.reset();
    replies_.reset();
    replies_ = ReplyQueue::Open((dir_ / "bot.db").string()).value();
    followups_ = std::make_unique<CommandFollowUps>(replies_.get(), catalog_.get(), &clock_,
                                                    [this] { ++wakes_; });
    catalog_->commands().SetUpdateListener([this](int64_t id) { followups_->CommandChanged(id); });
  }
  int64_t Queue(const std::string& kind, const nlohmann::json& args) {
    int64_t id =
        catalog_->commands()
            .CreateCommand("web-01", kind, args, commands::kCommandQueued, 0, clock_.NowMs())
            .value();
    EXPECT_EQ(catalog_->commands().ClaimCommands("web-01", clock_.NowMs(), 10)->size(), 1u);
    return id;
  }
  void Report(int64_t id, wire::CommandUpdate update) {
    Result<commands::StoredCommand> r =
        catalog_->commands().UpdateCommand("web-01", id, update, clock_.NowMs());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // The bodies of the pending replies to lisi (nothing is sent in these tests).
  std::vector<std::string> Told() {
    std::vector<std::string> out;
    const std::vector<QueuedReply> pending = replies_->Pending(100).value();
    for (const QueuedReply& r : pending) {
      EXPECT_EQ(r.target_kind, kTargetAppUser);
      if (r.target == "lisi") out.push_back(r.reply.body);
    }
    return out;
  }
  bot::Sender Lisi(const char* channel = bot::kChannelWecomApp) {
    bot::Sender s;
    s.user_id = "lisi";
    s.channel = channel;
    return s;
  }

  std::filesystem::path dir_;
  FakeClock clock_{kT0};
  int wakes_ = 0;
  std::unique_ptr<backups::Catalog> catalog_;
  std::unique_ptr<ReplyQueue> replies_;
  std::unique_ptr<CommandFollowUps> followups_;
};

TEST_F(CommandFollowUpsTest, OnlyAppUsersAreFollowed) {
  const int64_t id = Queue("fim.accept", {{"path", "/etc/a.conf"}});
  EXPECT_FALSE(followups_->Follow(id, Lisi(bot::kChannelWecomRobot), false).value());
  EXPECT_FALSE(followups_->Follow(id, Lisi(bot::kChannelCli), false).value());
  EXPECT_TRUE(replies_->Watches()->empty());
  EXPECT_TRUE(followups_->Follow(id, Lisi(), false).value());
  ASSERT_EQ(replies_->Watches()->size(), 1u);
  EXPECT_EQ((*replies_->Watches())[0].target, "lisi");
}

TEST_F(CommandFollowUpsTest, NothingIsSaidBeforeArmThenTheHookDrivesEveryFollowUp) {
  const int64_t id = Queue("fim.accept", {{"path", "/etc/a.conf"}});
  ASSERT_TRUE(followups_->Follow(id, Lisi(), false).value());
  // The agent starts at once, before the reply naming the command is queued: held back.
  Report(id, {"running", 0, 0, "", nlohmann::json::object()});
  followups_->RunOnce(clock_.NowMs());
  EXPECT_TRUE(Told().empty());
  EXPECT_EQ(wakes_, 0);

  ASSERT_TRUE(replies_
                  ->Enqueue(kTargetAppUser, "lisi", {bot::Reply::Format::kText, "queued as #1"},
                            clock_.NowMs())
                  .ok());
  followups_->Arm(kTargetAppUser, "lisi");
  followups_->RunOnce(clock_.NowMs());
  ASSERT_EQ(Told().size(), 2u);
  EXPECT_EQ(Told()[1],
            "#" + std::to_string(id) + " fim accept of web-01:/etc/a.conf: the agent started it");
  EXPECT_EQ(wakes_, 1);
  // A pass without a change says nothing more.
  followups_->RunOnce(clock_.NowMs());
  EXPECT_EQ(Told().size(), 2u);

  // The result, heard through the queue's update hook; then the watch is gone.
  Report(id, {"succeeded",
              0,
              0,
              "accepted",
              {{"path", "/etc/a.conf"}, {"updated", 1}, {"added", 0}, {"removed", 0}}});
  followups_->RunOnce(clock_.NowMs());
  ASSERT_EQ(Told().size(), 3u);
  EXPECT_NE(Told()[2].find("re-baselined (1 updated"), std::string::npos) << Told()[2];
  EXPECT_TRUE(replies_->Watches()->empty());
  EXPECT_EQ(wakes_, 2);
}

TEST_F(CommandFollowUpsTest, ARestartedCollectorStillTellsTheResult) {
  const int64_t id = Queue("restore", {{"target", "/etc/app.conf"}});
  ASSERT_TRUE(followups_->Follow(id, Lisi(), true).value());
  followups_->Arm(kTargetAppUser, "lisi");
  Report(id, {"running", 0, 100, "", nlohmann::json::object()});
  followups_->RunOnce(clock_.NowMs());
  ASSERT_EQ(Told().size(), 1u);

  // The collector stops; the agent's final report lands while no follower hears it.
  catalog_->commands().SetUpdateListener(nullptr);
  followups_.reset();
  Report(id, {"succeeded",
              100,
              100,
              "restored",
              {{"target", "/etc/app.conf"}, {"sha256", kShaA}, {"size", 100}}});
  Reopen();
  // The first pass after a start looks at every watch.
  followups_->RunOnce(clock_.NowMs());
  ASSERT_EQ(Told().size(), 2u);
  EXPECT_EQ(Told()[1], "#" + std::to_string(id) +
                           " 恢复 web-01:/etc/app.conf 已完成：已写入 /etc/app.conf（100 B），"
                           "sha256 aaaaaaaaaaaa 校验一致");
  EXPECT_TRUE(replies_->Watches()->empty());
}

TEST_F(CommandFollowUpsTest, AWatchWithoutAResultEndsWithANoteAtItsExpiry) {
  const int64_t id = Queue("backup.run", {{"set", "app"}});
  ASSERT_TRUE(followups_->Follow(id, Lisi(), false).value());
  followups_->Arm(kTargetAppUser, "lisi");
  // Nothing to say yet; the next pass is due at the expiry, not before.
  EXPECT_EQ(followups_->RunOnce(clock_.NowMs()), FollowUpOptions{}.watch_for_ms);
  EXPECT_TRUE(Told().empty());
  clock_.AdvanceMs(FollowUpOptions{}.watch_for_ms);
  followups_->RunOnce(clock_.NowMs());
  ASSERT_EQ(Told().size(), 1u);
  EXPECT_EQ(Told()[0], "#" + std::to_string(id) +
                           " backup run of set 'app' on web-01: no result after 6h; `progress " +
                           std::to_string(id) + "` shows where it stands");
  EXPECT_TRUE(replies_->Watches()->empty());
}

TEST_F(CommandFollowUpsTest, AWatchOfACommandTheCollectorNoLongerHasEnds) {
  ASSERT_TRUE(followups_->Follow(4242, Lisi(), false).value());
  followups_->Arm(kTargetAppUser, "lisi");
  followups_->RunOnce(clock_.NowMs());
  EXPECT_EQ(Told(), (std::vector<std::string>{"#4242: the collector no longer has this command"}));
  EXPECT_TRUE(replies_->Watches()->empty());
}

}  // namespace
}  // namespace beacon::collector::bot_host
