// The backup catalog on a real SQLite file: idempotent version ingest (by (agent, seq) and by
// same content), queries, lifecycle actions, and retention over versions, actions and the
// commands in the same file (the command queue itself: command_queue_test.cpp).
#include "collector/backups/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace beacon::collector::backups {
namespace {

using commands::kCommandFailed;
using commands::kCommandQueued;
using commands::kCommandRunning;
using commands::kCommandSucceeded;
using commands::kCommandWaitingArchiveRestore;

constexpr int64_t kT0 = 1'764'136'000'000;  // 2025-11-26T05:46:40Z
constexpr int64_t kDay = 24 * 3600 * 1000;

std::string Sha(char c) { return std::string(64, c); }

wire::BackupVersion Version(const std::string& path, char sha, int64_t created_ms,
                            const std::string& set = "app") {
  wire::BackupVersion v;
  v.set = set;
  v.path = path;
  v.size = 100;
  v.mtime_ns = (created_ms - 1000) * 1'000'000;
  v.mode = 0644;
  v.owner = "root";
  v.group = "root";
  v.sha256 = Sha(sha);
  v.stored_size = 50;
  v.store = "local";
  v.key = "beacon/web-01" + path + "@" + std::to_string(created_ms) + ".zst";
  v.created_ms = created_ms;
  return v;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("catalog_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    catalog_.reset();
    Result<std::unique_ptr<Catalog>> opened = Catalog::Open((dir_ / "sub" / "catalog.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = std::move(*opened);
  }
  AddVersionResult Add(const std::string& agent, uint64_t seq, const wire::BackupVersion& v) {
    Result<AddVersionResult> added = catalog_->AddVersion(agent, seq, v, kT0);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? *added : AddVersionResult{};
  }
  std::vector<CatalogVersion> List(const VersionQuery& query) {
    Result<std::vector<CatalogVersion>> listed = catalog_->ListVersions(query);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    return listed.ok() ? *listed : std::vector<CatalogVersion>{};
  }
  int64_t Queued(const std::string& agent) {
    Result<int64_t> id = catalog_->commands().CreateCommand(agent, "restore", {{"target", "/x"}},
                                                            kCommandQueued, 0, kT0);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogTest, AddIsIdempotentOnAgentAndSeqAndSurvivesReopen) {
  AddVersionResult first = Add("web-01", 10, Version("/etc/app.yaml", 'a', kT0));
  EXPECT_EQ(first.outcome, AddOutcome::kAdded);
  AddVersionResult again = Add("web-01", 10, Version("/etc/app.yaml", 'a', kT0));
  EXPECT_EQ(again.outcome, AddOutcome::kDuplicate);
  EXPECT_EQ(again.id, first.id);
  // The same seq from another agent is a different record.
  EXPECT_EQ(Add("web-02", 10, Version("/etc/app.yaml", 'a', kT0)).outcome, AddOutcome::kAdded);
  Reopen();
  EXPECT_EQ(Add("web-01", 10, Version("/etc/app.yaml", 'a', kT0)).outcome, AddOutcome::kDuplicate);
  Result<Catalog::Counts> counts = catalog_->GetCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->versions, 2);

  Result<CatalogVersion> stored = catalog_->GetVersion(first.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->agent, "web-01");
  EXPECT_EQ(stored->seq, 10u);
  EXPECT_EQ(stored->version.sha256, Sha('a'));
  EXPECT_EQ(stored->version.mode, 0644u);
  EXPECT_EQ(stored->version.key, Version("/etc/app.yaml", 'a', kT0).key);
  EXPECT_EQ(stored->state, kVersionStored);
  EXPECT_EQ(stored->restore_state, kRestoreNone);
  EXPECT_EQ(catalog_->GetVersion(first.id + 100).status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, SameContentAsNewestVersionIsOneEntryEvenWhenReplayedLater) {
  const AddVersionResult a = Add("web-01", 1, Version("/etc/app.yaml", 'a', kT0));
  // A re-upload after an agent crash: new seq, same content.
  const AddVersionResult a_again = Add("web-01", 2, Version("/etc/app.yaml", 'a', kT0 + 1000));
  EXPECT_EQ(a_again.outcome, AddOutcome::kDuplicate);
  EXPECT_EQ(a_again.id, a.id);
  // New content is a new version; then going back to the old content is a version too (the
  // newest is b, not a).
  EXPECT_EQ(Add("web-01", 3, Version("/etc/app.yaml", 'b', kT0 + 2000)).outcome,
            AddOutcome::kAdded);
  EXPECT_EQ(Add("web-01", 4, Version("/etc/app.yaml", 'a', kT0 + 3000)).outcome,
            AddOutcome::kAdded);
  // Replaying seq 2 after newer versions exist must not add it now.
  EXPECT_EQ(Add("web-01", 2, Version("/etc/app.yaml", 'a', kT0 + 1000)).outcome,
            AddOutcome::kDuplicate);
  // Same content at another path is its own file.
  EXPECT_EQ(Add("web-01", 5, Version("/etc/other.yaml", 'a', kT0)).outcome, AddOutcome::kAdded);

  VersionQuery query;
  query.path = "/etc/app.yaml";
  std::vector<CatalogVersion> versions = List(query);
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0].version.sha256, Sha('a'));
  EXPECT_EQ(versions[0].seq, 4u);
  EXPECT_EQ(versions[1].version.sha256, Sha('b'));
  EXPECT_EQ(versions[2].seq, 1u);
}

TEST_F(CatalogTest, ABatchOfVersionsIsAddedInOrderWithTheSameRules) {
  Result<std::vector<AddVersionResult>> added = catalog_->AddVersions(
      "web-01",
      {{1, Version("/etc/app.yaml", 'a', kT0)},
       {2, Version("/etc/app.yaml", 'a', kT0 + 1)},  // same content as the one just before
       {3, Version("/etc/app.yaml", 'b', kT0 + 2)},
       {1, Version("/etc/app.yaml", 'c', kT0 + 3)}},  // a seq seen earlier in the same batch
      kT0);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->size(), 4u);
  EXPECT_EQ((*added)[0].outcome, AddOutcome::kAdded);
  EXPECT_EQ((*added)[1].outcome, AddOutcome::kDuplicate);
  EXPECT_EQ((*added)[1].id, (*added)[0].id);
  EXPECT_EQ((*added)[2].outcome, AddOutcome::kAdded);
  EXPECT_EQ((*added)[3].outcome, AddOutcome::kDuplicate);
  EXPECT_EQ((*added)[3].id, (*added)[0].id);
  EXPECT_EQ(List(VersionQuery{}).size(), 2u);
  EXPECT_TRUE(catalog_->AddVersions("web-01", {}, kT0)->empty());
}

TEST_F(CatalogTest, AVersionEqualToADeletedNewestIsRecordedAgain) {
  const AddVersionResult a = Add("web-01", 1, Version("/etc/app.yaml", 'a', kT0));
  ASSERT_TRUE(catalog_->MarkDeleted(a.id, kT0 + 1).ok());
  // The stored copy is gone, so the re-upload is the only copy and must be catalogued.
  EXPECT_EQ(Add("web-01", 2, Version("/etc/app.yaml", 'a', kT0 + 1000)).outcome,
            AddOutcome::kAdded);
}

TEST_F(CatalogTest, QueriesFilterByHostPathPrefixSetTimeAndDeleted) {
  Add("web-01", 1, Version("/etc/app/a.yaml", 'a', kT0 - 3 * kDay));
  Add("web-01", 2, Version("/etc/app/b.yaml", 'b', kT0 - 2 * kDay));
  Add("web-01", 3, Version("/etc/apphome/c", 'c', kT0 - kDay, "home"));
  Add("web-01", 4, Version("/var/lib/50%_x", 'd', kT0));
  Add("db-01", 1, Version("/etc/app/a.yaml", 'e', kT0));

  VersionQuery host;
  host.agent = "web-01";
  std::vector<CatalogVersion> all = List(host);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].version.path, "/var/lib/50%_x");  // newest first
  EXPECT_EQ(all[3].version.path, "/etc/app/a.yaml");

  VersionQuery prefix = host;
  prefix.path = "/etc/app/*";
  std::vector<CatalogVersion> under = List(prefix);
  ASSERT_EQ(under.size(), 2u);
  EXPECT_EQ(under[0].version.path, "/etc/app/b.yaml");
  EXPECT_EQ(under[1].version.path, "/etc/app/a.yaml");

  // '%' and '_' are literal characters, not wildcards.
  VersionQuery literal;
  literal.path = "/var/lib/50%*";
  EXPECT_EQ(List(literal).size(), 1u);
  literal.path = "/var/lib/5_%*";
  EXPECT_EQ(List(literal).size(), 0u);

  VersionQuery since = host;
  since.since_ms = kT0 - 2 * kDay;  // inclusive
  EXPECT_EQ(List(since).size(), 3u);
  since.until_ms = kT0 - kDay;
  EXPECT_EQ(List(since).size(), 2u);

  VersionQuery set;
  set.set = "home";
  ASSERT_EQ(List(set).size(), 1u);
  EXPECT_EQ(List(set)[0].version.path, "/etc/apphome/c");

  VersionQuery limited;
  limited.limit = 2;
  EXPECT_EQ(List(limited).size(), 2u);

  ASSERT_TRUE(catalog_->MarkDeleted(all[0].id, kT0 + 5).ok());
  EXPECT_EQ(List(host).size(), 3u);
  host.include_deleted = true;
  std::vector<CatalogVersion> with_deleted = List(host);
  ASSERT_EQ(with_deleted.size(), 4u);
  EXPECT_EQ(with_deleted[0].state, kVersionDeleted);
  EXPECT_EQ(with_deleted[0].updated_ms, kT0 + 5);

  Result<std::vector<CatalogVersion>> app = catalog_->ListVersionsOfSet("app");
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->size(), 3u);  // the deleted one and the "home" one are not in it
}

TEST_F(CatalogTest, FindVersionPicksNewestAtOrBefore) {
  Add("web-01", 1, Version("/etc/app.yaml", 'a', kT0 - 2 * kDay));
  Add("web-01", 2, Version("/etc/app.yaml", 'b', kT0 - kDay));
  Add("web-01", 3, Version("/etc/app.yaml", 'c', kT0));
  Result<CatalogVersion> newest = catalog_->FindVersion("web-01", "/etc/app.yaml", std::nullopt);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->version.sha256, Sha('c'));
  Result<CatalogVersion> at = catalog_->FindVersion("web-01", "/etc/app.yaml", kT0 - kDay);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->version.sha256, Sha('b'));
  EXPECT_EQ(catalog_->FindVersion("web-01", "/etc/app.yaml", kT0 - 3 * kDay).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(catalog_->FindVersion("web-02", "/etc/app.yaml", std::nullopt).status().code(),
            StatusCode::kNotFound);
}

TEST_F(CatalogTest, StorageClassAndRestoreStateUpdates) {
  const int64_t id = Add("web-01", 1, Version("/etc/app.yaml", 'a', kT0)).id;
  ASSERT_TRUE(catalog_->SetRestoreState(id, kRestoreReady, kT0 + kDay, kT0).ok());
  ASSERT_TRUE(catalog_->SetStorageClass(id, "archive", kT0 + 10).ok());
  Result<CatalogVersion> v = catalog_->GetVersion(id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->version.storage_class, "archive");
  EXPECT_EQ(v->restore_state, kRestoreNone);  // a class change drops an old restored copy
  ASSERT_TRUE(catalog_->SetRestoreState(id, kRestoreRequested, 0, kT0 + 20).ok());
  Result<std::vector<CatalogVersion>> requested =
      catalog_->ListVersionsByRestoreState(kRestoreRequested);
  ASSERT_TRUE(requested.ok());
  ASSERT_EQ(requested->size(), 1u);
  EXPECT_EQ((*requested)[0].id, id);
  EXPECT_EQ(catalog_->SetRestoreState(id, "bogus", 0, kT0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->SetStorageClass(id + 9, "archive", kT0).code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->MarkDeleted(id + 9, kT0).code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, LifecycleActionsAreRecordedUpdatedAndFiltered) {
  LifecycleAction transition;
  transition.version_id = 7;
  transition.action = kActionTransition;
  transition.target_class = "archive";
  transition.reason = "older than 30d";
  Result<int64_t> t = catalog_->AddAction(transition, kT0);
  ASSERT_TRUE(t.ok());
  LifecycleAction deletion;
  deletion.version_id = 8;
  deletion.action = kActionDelete;
  deletion.dry_run = true;
  deletion.next_try_ms = kT0 + kDay;
  ASSERT_TRUE(catalog_->AddAction(deletion, kT0).ok());

  ActionQuery due;
  due.state = kActionPending;
  due.due_before_ms = kT0;
  Result<std::vector<LifecycleAction>> pending = catalog_->ListActions(due);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  LifecycleAction failed = (*pending)[0];
  EXPECT_EQ(failed.id, *t);
  EXPECT_EQ(failed.reason, "older than 30d");
  EXPECT_EQ(failed.created_ms, kT0);
  failed.state = kActionFailed;
  failed.attempts = 1;
  failed.last_error = "503 from store";
  failed.next_try_ms = kT0 + 60000;
  ASSERT_TRUE(catalog_->UpdateAction(failed, kT0 + 5).ok());

  Result<std::vector<LifecycleAction>> all = catalog_->ListActions(ActionQuery{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].state, kActionFailed);
  EXPECT_EQ((*all)[0].attempts, 1);
  EXPECT_EQ((*all)[0].last_error, "503 from store");
  EXPECT_EQ((*all)[0].updated_ms, kT0 + 5);
  EXPECT_TRUE((*all)[1].dry_run);
  ActionQuery by_version;
  by_version.version_id = 8;
  EXPECT_EQ(catalog_->ListActions(by_version)->size(), 1u);
  failed.id = 999;
  EXPECT_EQ(catalog_->UpdateAction(failed, kT0).code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, RetentionDropsOldFinishedRowsAndKeepsWhatIsOpenOrRecent) {
  const int64_t cutoff = kT0 + 10 * kDay;
  const int64_t old_time = kT0 + kDay;
  const int64_t recent = kT0 + 20 * kDay;
  auto finish = [&](int64_t id, const std::string& state, int64_t at) {
    ASSERT_TRUE(catalog_->commands().ClaimCommands("web-01", at, 100).ok());
    wire::CommandUpdate update;
    update.state = state;
    ASSERT_TRUE(catalog_->commands().UpdateCommand("web-01", id, update, at).ok());
  };
  // Commands: old finished ones go; a recent finished one and old unfinished ones stay.
  const int64_t old_ok = Queued("web-01");
  finish(old_ok, kCommandSucceeded, old_time);
  const int64_t old_failed = Queued("web-01");
  finish(old_failed, kCommandFailed, old_time);
  const int64_t recent_ok = Queued("web-01");
  finish(recent_ok, kCommandSucceeded, recent);
  const int64_t old_queued = Queued("web-02");  // created at kT0, never claimed
  Result<int64_t> old_waiting = catalog_->commands().CreateCommand(
      "web-03", "restore", {{"target", "/x"}}, kCommandWaitingArchiveRestore, 0, kT0);
  ASSERT_TRUE(old_waiting.ok());
  const int64_t old_running = Queued("web-04");
  ASSERT_TRUE(catalog_->commands().ClaimCommands("web-04", old_time, 10).ok());
  wire::CommandUpdate running;
  running.state = kCommandRunning;
  ASSERT_TRUE(catalog_->commands().UpdateCommand("web-04", old_running, running, old_time).ok());

  // Actions: old done and failed ones go; a pending one (however old) and a recent one stay.
  auto action = [&](int64_t version_id, const std::string& state, int64_t at) {
    LifecycleAction a;
    a.version_id = version_id;
    a.action = kActionTransition;
    a.target_class = "archive";
    a.state = state;
    Result<int64_t> id = catalog_->AddAction(a, at);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  };
  const AddVersionResult stored = Add("web-01", 1, Version("/etc/a", 'a', kT0));
  const int64_t done_old = action(stored.id, kActionDone, old_time);
  const int64_t failed_old = action(stored.id, kActionFailed, old_time);
  const int64_t pending_old = action(stored.id, kActionPending, old_time);
  const int64_t done_recent = action(stored.id, kActionDone, recent);

  // Versions: an old deleted one goes with its seqs, actions and finished commands; a recent
  // deleted one, a stored one and an old deleted one a queued command still names stay.
  const AddVersionResult gone = Add("web-01", 2, Version("/etc/b", 'b', kT0));
  ASSERT_EQ(Add("web-01", 3, Version("/etc/b", 'b', kT0 + 1)).id, gone.id);  // a duplicate seq
  ASSERT_TRUE(catalog_->MarkDeleted(gone.id, old_time).ok());
  const int64_t gone_pending = action(gone.id, kActionPending, old_time);
  Result<int64_t> gone_command = catalog_->commands().CreateCommand(
      "web-01", "restore", {{"target", "/b"}}, kCommandQueued, gone.id, old_time);
  ASSERT_TRUE(gone_command.ok());
  finish(*gone_command, kCommandFailed, recent);  // recent, but goes with its version
  const AddVersionResult deleted_recently = Add("web-01", 4, Version("/etc/c", 'c', kT0));
  ASSERT_TRUE(catalog_->MarkDeleted(deleted_recently.id, recent).ok());
  const AddVersionResult still_wanted = Add("web-01", 5, Version("/etc/d", 'd', kT0));
  ASSERT_TRUE(catalog_->MarkDeleted(still_wanted.id, old_time).ok());
  Result<int64_t> wanting = catalog_->commands().CreateCommand(
      "web-05", "restore", {{"target", "/d"}}, kCommandQueued, still_wanted.id, old_time);
  ASSERT_TRUE(wanting.ok());

  Result<CatalogPruneResult> pruned = catalog_->Prune(cutoff);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->commands, 2);
  EXPECT_EQ(pruned->actions, 2);
  EXPECT_EQ(pruned->versions, 1);

  auto command_exists = [&](int64_t id) { return catalog_->commands().GetCommand(id).ok(); };
  EXPECT_FALSE(command_exists(old_ok));
  EXPECT_FALSE(command_exists(old_failed));
  EXPECT_FALSE(command_exists(*gone_command));
  EXPECT_TRUE(command_exists(recent_ok));
  EXPECT_TRUE(command_exists(old_queued));
  EXPECT_TRUE(command_exists(*old_waiting));
  EXPECT_TRUE(command_exists(old_running));
  EXPECT_TRUE(command_exists(*wanting));

  Result<std::vector<LifecycleAction>> actions = catalog_->ListActions({});
  ASSERT_TRUE(actions.ok());
  std::vector<int64_t> action_ids;
  for (const LifecycleAction& a : *actions) action_ids.push_back(a.id);
  EXPECT_EQ(action_ids, (std::vector<int64_t>{pending_old, done_recent}));
  (void)done_old;
  (void)failed_old;
  (void)gone_pending;

  EXPECT_EQ(catalog_->GetVersion(gone.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->GetVersion(stored.id).ok());
  EXPECT_TRUE(catalog_->GetVersion(deleted_recently.id).ok());
  EXPECT_TRUE(catalog_->GetVersion(still_wanted.id).ok());
  // The pruned version's seqs are forgotten with it; the others' still resolve.
  EXPECT_EQ(Add("web-01", 1, Version("/etc/a", 'a', kT0)).outcome, AddOutcome::kDuplicate);
  EXPECT_EQ(Add("web-01", 3, Version("/etc/b", 'b', kT0 + 1)).outcome, AddOutcome::kAdded);

  // A second pass finds nothing more.
  pruned = catalog_->Prune(cutoff);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->commands + pruned->actions + pruned->versions, 0);
}

TEST_F(CatalogTest, RetentionWorksInChunksAndStopsWhenCancelled) {
  for (int i = 0; i < 600; ++i) {  // more than one chunk of 500
    LifecycleAction a;
    a.version_id = 1;
    a.action = kActionDelete;
    a.state = kActionDone;
    ASSERT_TRUE(catalog_->AddAction(a, kT0).ok());
  }
  std::atomic<bool> cancel{true};
  Result<CatalogPruneResult> pruned = catalog_->Prune(kT0 + kDay, &cancel);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->actions, 0);
  pruned = catalog_->Prune(kT0 + kDay);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->actions, 600);
  Result<Catalog::Counts> counts = catalog_->GetCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->actions, 0);
}

}  // namespace
}  // namespace beacon::collector::backups
