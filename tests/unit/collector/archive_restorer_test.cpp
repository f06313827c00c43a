// ArchiveRestorer against a real catalog and an in-memory store implementing the OSS restore
// states (202, 409 RestoreAlreadyInProgress, ongoing-request "true" then "false"): a restore
// command of an archived version goes waiting_archive_restore -> queued while the version goes
// requested -> in_progress -> ready; errors are retried or fail the command with the reason.
#include "collector/backups/archive_restorer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "tests/support/memory_object_store.h"

namespace beacon::collector::backups {
namespace {

using commands::kCommandFailed;
using commands::kCommandQueued;
using commands::kCommandWaitingArchiveRestore;
using commands::StoredCommand;
using fakes::MemoryObjectStore;
using objstore::StorageClass;
using Op = fakes::MemoryObjectStore::Op;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kDay = 24 * 60 * kMinute;
constexpr int64_t kNow = 20000 * kDay;
constexpr char kKey[] = "backups/db-01/srv/db/dump.sql@20240101T000000Z-0123abcd.zst";

class ArchiveRestorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("archive_restorer_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Result<std::unique_ptr<Catalog>> catalog = Catalog::Open((dir_ / "catalog.db").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
    config_.restore_days = 3;
    config_.restore_poll_ms = kMinute;
    store_.SetHeadsInProgress(2);
    version_ = AddArchivedVersion("oss-backup");
  }
  void TearDown() override {
    restorer_.reset();
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t AddArchivedVersion(const std::string& store_name,
                             const std::string& path = "/srv/db/dump.sql") {
    wire::BackupVersion v;
    v.set = "db";
    v.path = path;
    v.size = 100;
    v.sha256 = std::string(63, 'a') + std::to_string(++seq_ % 10);
    v.stored_size = 40;
    v.store = store_name;
    v.key = kKey;
    v.storage_class = "archive";
    v.created_ms = kNow - 100 * kDay;
    Result<AddVersionResult> added = catalog_->AddVersion("db-01", seq_, v, v.created_ms);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    store_.AddObject(kKey, "compressed", StorageClass::kArchive);
    return added.ok() ? added->id : 0;
  }

  // What the restore API does for an archived version.
  int64_t RequestRestore() {
    Result<CatalogVersion> v = catalog_->GetVersion(version_);
    EXPECT_TRUE(v.ok());
    if (v->restore_state == kRestoreNone) {
      EXPECT_TRUE(catalog_->SetRestoreState(version_, kRestoreRequested, 0, clock_.NowMs()).ok());
    }
    wire::RestoreArgs args;
    args.version = v->version;
    args.target = v->version.path;
    Result<int64_t> id =
        catalog_->commands().CreateCommand("db-01", "restore", wire::RestoreArgsToJson(args),
                                           kCommandWaitingArchiveRestore, version_, clock_.NowMs());
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  ArchiveRestorer& Restorer() {
    if (!restorer_) {
      restorer_ = std::make_unique<ArchiveRestorer>(
          *catalog_, std::map<std::string, objstore::ObjectStore*>{{"oss-backup", &store_}}, clock_,
          config_);
    }
    return *restorer_;
  }

  RestoreTickReport Tick() {
    Result<RestoreTickReport> report = Restorer().Tick();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RestoreTickReport{};
  }

  StoredCommand Command(int64_t id) {
    Result<StoredCommand> c = catalog_->commands().GetCommand(id);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : StoredCommand{};
  }
  CatalogVersion Version() {
    Result<CatalogVersion> v = catalog_->GetVersion(version_);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : CatalogVersion{};
  }
  std::vector<LifecycleAction> RestoreActions() {
    ActionQuery query;
    query.version_id = version_;
    Result<std::vector<LifecycleAction>> actions = catalog_->ListActions(query);
    EXPECT_TRUE(actions.ok());
    return actions.ok() ? *actions : std::vector<LifecycleAction>{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Catalog> catalog_;
  MemoryObjectStore store_{"oss-backup"};
  FakeClock clock_{kNow};
  LifecycleConfig config_;
  std::unique_ptr<ArchiveRestorer> restorer_;
  int64_t version_ = 0;
  uint64_t seq_ = 0;
};

TEST_F(ArchiveRestorerTest, AVersionNamingAnotherAgentsObjectIsNeverRestoredWithOurCredentials) {
  // A catalog entry of db-01 naming web-01's object (catalogued before ingest checked keys).
  wire::BackupVersion v = Version().version;
  v.key = "backups/web-01/srv/db/dump.sql@20240101T000000Z-0123abcd.zst";
  v.sha256 = std::string(64, 'f');  // not a same-content duplicate of db-01's own version
  store_.AddObject(v.key, "compressed", StorageClass::kArchive);
  Result<AddVersionResult> added = catalog_->AddVersion("db-01", 99, v, clock_.NowMs());
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  version_ = added->id;
  int64_t command = RequestRestore();

  RestoreTickReport report = Tick();
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(store_.Calls(Op::kRestore), 0);
  EXPECT_EQ(store_.Calls(Op::kHead), 0);
  EXPECT_EQ(Command(command).state, kCommandFailed);
  EXPECT_NE(Command(command).message.find("archive restore refused: key "
                                          "'backups/web-01/srv/db/dump.sql@20240101T000000Z-"
                                          "0123abcd.zst' is not an object of agent 'db-01'"),
            std::string::npos)
      << Command(command).message;
}

TEST_F(ArchiveRestorerTest, CommandWaitsThroughTheRestoreAndIsThenQueuedForTheAgent) {
  int64_t command = RequestRestore();
  EXPECT_EQ(Version().restore_state, kRestoreRequested);

  // Tick 1: RestoreObject answers 202.
  RestoreTickReport report = Tick();
  EXPECT_EQ(report.waiting, 1);
  EXPECT_EQ(store_.Calls(Op::kRestore), 1);
  EXPECT_EQ(store_.LastRestoreDays(), 3);
  EXPECT_EQ(Version().restore_state, kRestoreInProgress);
  EXPECT_EQ(Command(command).state, kCommandWaitingArchiveRestore);
  EXPECT_EQ(Command(command).message,
            "archive restore requested from store 'oss-backup'; waiting for the copy (kept 3 "
            "days)");
  // Nothing for the agent yet.
  Result<std::vector<StoredCommand>> claimed =
      catalog_->commands().ClaimCommands("db-01", clock_.NowMs(), 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());

  // Ticks 2 and 3: HEAD says ongoing-request="true".
  for (int i = 0; i < 2; ++i) {
    clock_.AdvanceMs(kMinute);
    report = Tick();
    EXPECT_EQ(report.waiting, 1);
    EXPECT_EQ(Version().restore_state, kRestoreInProgress);
    EXPECT_EQ(Command(command).state, kCommandWaitingArchiveRestore);
    EXPECT_EQ(Command(command).message,
              "archive restore in progress (checked " + FormatRfc3339(clock_.NowMs()) + ")");
  }
  EXPECT_EQ(store_.Calls(Op::kHead), 2);
  EXPECT_EQ(store_.Calls(Op::kRestore), 1);

  // Tick 4: ongoing-request="false": ready, queued.
  clock_.AdvanceMs(kMinute);
  report = Tick();
  EXPECT_EQ(report.queued, 1);
  CatalogVersion version = Version();
  EXPECT_EQ(version.restore_state, kRestoreReady);
  EXPECT_EQ(version.restore_expiry_ms, clock_.NowMs() + 3 * kDay);
  StoredCommand queued = Command(command);
  EXPECT_EQ(queued.state, kCommandQueued);
  EXPECT_EQ(queued.message,
            "archived copy restored, readable until " + FormatRfc3339(clock_.NowMs() + 3 * kDay));
  claimed = catalog_->commands().ClaimCommands("db-01", clock_.NowMs(), 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].id, command);

  // The RestoreObject call is in the action table.
  std::vector<LifecycleAction> actions = RestoreActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].action, kActionRestore);
  EXPECT_EQ(actions[0].state, kActionDone);
  EXPECT_EQ(actions[0].attempts, 1);
}

TEST_F(ArchiveRestorerTest, OneRestorePerVersionAndLaterCommandsUseTheReadyCopy) {
  int64_t first = RequestRestore();
  Tick();
  int64_t second = RequestRestore();  // asked again while the restore runs
  clock_.AdvanceMs(kMinute);
  Tick();
  clock_.AdvanceMs(kMinute);
  Tick();
  clock_.AdvanceMs(kMinute);
  RestoreTickReport report = Tick();
  EXPECT_EQ(report.queued, 2);
  EXPECT_EQ(Command(first).state, kCommandQueued);
  EXPECT_EQ(Command(second).state, kCommandQueued);
  EXPECT_EQ(store_.Calls(Op::kRestore), 1);
  EXPECT_EQ(store_.Calls(Op::kHead), 3);

  // A third command while the copy is readable is queued without asking the store.
  int64_t third = RequestRestore();
  clock_.AdvanceMs(kMinute);
  EXPECT_EQ(Tick().queued, 1);
  EXPECT_EQ(Command(third).state, kCommandQueued);
  EXPECT_EQ(store_.Calls(Op::kRestore), 1);
  EXPECT_EQ(store_.Calls(Op::kHead), 3);
}

TEST_F(ArchiveRestorerTest, AlreadyInProgressAfterACollectorRestartIsFine) {
  // An earlier collector asked the store already; this one gets 409 RestoreAlreadyInProgress.
  ASSERT_TRUE(store_.Restore(kKey, 3).ok());
  int64_t command = RequestRestore();
  Tick();
  EXPECT_EQ(store_.Calls(Op::kRestore), 2);
  EXPECT_EQ(Version().restore_state, kRestoreInProgress);
  EXPECT_EQ(Command(command).state, kCommandWaitingArchiveRestore);
  for (int i = 0; i < 3; ++i) {
    clock_.AdvanceMs(kMinute);
    Tick();
  }
  EXPECT_EQ(Command(command).state, kCommandQueued);
}

TEST_F(ArchiveRestorerTest, AlreadyRestoredIsQueuedInTheSameTick) {
  store_.SetHeadsInProgress(0);
  store_.AddObject(kKey, "compressed", StorageClass::kArchive);
  ASSERT_TRUE(store_.Restore(kKey, 3).ok());  // restored long ago by someone else
  int64_t command = RequestRestore();
  EXPECT_EQ(Tick().queued, 1);
  EXPECT_EQ(Command(command).state, kCommandQueued);
  EXPECT_EQ(Version().restore_state, kRestoreReady);
  EXPECT_EQ(Version().restore_expiry_ms, kNow + 3 * kDay);
}

TEST_F(ArchiveRestorerTest, TransientRestoreErrorIsShownAndRetried) {
  store_.FailNext(Op::kRestore, 1, Status::Unavailable("503 ServiceUnavailable from oss-backup"));
  int64_t command = RequestRestore();
  Tick();
  StoredCommand waiting = Command(command);
  EXPECT_EQ(waiting.state, kCommandWaitingArchiveRestore);
  EXPECT_EQ(waiting.message,
            "requesting the archive restore failed (Unavailable: 503 ServiceUnavailable from "
            "oss-backup); retrying every 1m");
  EXPECT_EQ(Version().restore_state, kRestoreRequested);
  std::vector<LifecycleAction> actions = RestoreActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].state, kActionFailed);
  EXPECT_EQ(actions[0].last_error, "Unavailable: 503 ServiceUnavailable from oss-backup");

  clock_.AdvanceMs(kMinute);
  Tick();
  EXPECT_EQ(Version().restore_state, kRestoreInProgress);
  actions = RestoreActions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].state, kActionDone);
  EXPECT_EQ(actions[0].attempts, 2);
}

TEST_F(ArchiveRestorerTest, TransientHeadErrorIsShownAndRetried) {
  store_.SetHeadsInProgress(0);
  store_.AddObject(kKey, "compressed", StorageClass::kArchive);
  int64_t command = RequestRestore();
  Tick();  // 202
  store_.FailNext(Op::kHead, 1, Status::DeadlineExceeded("HEAD timed out after 30s"));
  clock_.AdvanceMs(kMinute);
  Tick();
  EXPECT_EQ(Command(command).state, kCommandWaitingArchiveRestore);
  EXPECT_EQ(Command(command).message,
            "checking the archive restore failed (DeadlineExceeded: HEAD timed out after 30s); "
            "retrying every 1m");
  clock_.AdvanceMs(kMinute);
  Tick();
  EXPECT_EQ(Command(command).state, kCommandQueued);
}

TEST_F(ArchiveRestorerTest, MissingObjectFailsTheCommandWithTheReason) {
  ASSERT_TRUE(store_.Delete(kKey).ok());
  int64_t command = RequestRestore();
  EXPECT_EQ(Tick().failed, 1);
  StoredCommand failed = Command(command);
  EXPECT_EQ(failed.state, kCommandFailed);
  EXPECT_EQ(failed.message, std::string("archive restore failed: NotFound: NoSuchKey: ") + kKey);
  Result<std::vector<StoredCommand>> claimed =
      catalog_->commands().ClaimCommands("db-01", kNow, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(claimed->empty());
  // Failed for good: later ticks do not ask the store again.
  Tick();
  EXPECT_EQ(store_.Calls(Op::kRestore), 1);
}

TEST_F(ArchiveRestorerTest, UnknownStoreFailsTheCommand) {
  version_ = AddArchivedVersion("retired-store", "/srv/db/other.sql");
  ASSERT_EQ(Version().version.store, "retired-store");
  int64_t command = RequestRestore();
  Tick();
  EXPECT_EQ(Command(command).state, kCommandFailed);
  EXPECT_EQ(Command(command).message,
            "store 'retired-store' is not configured on the collector (backups.stores)");
}

TEST_F(ArchiveRestorerTest, ExpiredCopyIsRestoredAgain) {
  store_.SetHeadsInProgress(0);
  store_.AddObject(kKey, "compressed", StorageClass::kArchive);
  RequestRestore();
  Tick();
  clock_.AdvanceMs(kMinute);
  Tick();
  ASSERT_EQ(Version().restore_state, kRestoreReady);
  clock_.AdvanceMs(4 * kDay);                                    // past the 3-day expiry
  store_.AddObject(kKey, "compressed", StorageClass::kArchive);  // the copy lapsed
  int64_t command = RequestRestore();
  Tick();
  EXPECT_EQ(store_.Calls(Op::kRestore), 2);
  EXPECT_EQ(Version().restore_state, kRestoreInProgress);
  EXPECT_EQ(Command(command).state, kCommandWaitingArchiveRestore);
}

TEST_F(ArchiveRestorerTest, ThreadTicksAtStartAndOnWake) {
  store_.SetHeadsInProgress(0);
  store_.AddObject(kKey, "compressed", StorageClass::kArchive);
  config_.restore_poll_ms = 24 * 60 * kMinute;  // only Start and Wake make it tick
  int64_t command = RequestRestore();
  Restorer().Start();
  for (int i = 0; i < 1000 && Version().restore_state != kRestoreInProgress; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Version().restore_state, kRestoreInProgress);
  Restorer().Wake();
  for (int i = 0; i < 1000 && Command(command).state != kCommandQueued; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Restorer().Stop();
  EXPECT_EQ(Command(command).state, kCommandQueued);
}

}  // namespace
}  // namespace beacon::collector::backups
