// LifecycleRunner against a real catalog and an in-memory store with injected faults: a dry run
// changes nothing, executed actions change class and state, failures are recorded and retried
// once due (FakeClock), the scheduled thread runs and stops; and the lifecycle HTTP routes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "collector/api/token_auth.h"
#include "collector/backups/lifecycle.h"
#include "collector/backups/lifecycle_api.h"
#include "collector/store/sqlite_event_store.h"
#include "common/http/client.h"
#include "common/http/server.h"
#include "tests/support/memory_object_store.h"

namespace beacon::collector::backups {
namespace {

using fakes::MemoryObjectStore;
using objstore::StorageClass;
using Op = fakes::MemoryObjectStore::Op;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kNow = 20000 * kDay + 12 * kHour;

class LifecycleRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lifecycle_runner_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Result<std::unique_ptr<Catalog>> catalog = Catalog::Open((dir_ / "catalog.db").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);

    LifecyclePolicy policy;
    policy.set = "app-logs";
    policy.keep_newest = 1;
    policy.archive_after_ms = 30 * kDay;
    policy.delete_after_ms = 365 * kDay;
    config_.policies = {policy};
    config_.retry_initial_ms = kMinute;
    config_.retry_max_ms = kHour;

    newest_ = AddVersion("/var/log/app.log", kNow - kDay, "aa");
    old_ = AddVersion("/var/log/app.log", kNow - 40 * kDay, "bb");
    ancient_ = AddVersion("/var/log/app.log", kNow - 400 * kDay, "cc");
  }
  void TearDown() override {
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string KeyOf(const std::string& sha) { return "backups/web-01/var/log/app.log@" + sha; }

  int64_t AddVersion(const std::string& path, int64_t created_ms, const std::string& sha,
                     const std::string& store = "oss-backup") {
    wire::BackupVersion v;
    v.set = "app-logs";
    v.path = path;
    v.size = 10;
    v.sha256 = std::string(62, '0') + sha;
    v.stored_size = 8;
    v.store = store;
    v.key = KeyOf(sha);
    v.storage_class = "standard";
    v.created_ms = created_ms;
    Result<AddVersionResult> added = catalog_->AddVersion("web-01", ++seq_, v, created_ms);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    store_.AddObject(v.key, "zstd-bytes", StorageClass::kStandard);
    return added.ok() ? added->id : 0;
  }

  CatalogVersion Version(int64_t id) {
    Result<CatalogVersion> v = catalog_->GetVersion(id);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : CatalogVersion{};
  }

  std::vector<LifecycleAction> Actions(std::optional<int64_t> version_id = std::nullopt) {
    ActionQuery query;
    query.version_id = version_id;
    Result<std::vector<LifecycleAction>> actions = catalog_->ListActions(query);
    EXPECT_TRUE(actions.ok()) << actions.status().ToString();
    return actions.ok() ? *actions : std::vector<LifecycleAction>{};
  }

  std::unique_ptr<LifecycleRunner> Runner() {
    return std::make_unique<LifecycleRunner>(
        *catalog_, std::map<std::string, objstore::ObjectStore*>{{"oss-backup", &store_}}, clock_,
        config_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Catalog> catalog_;
  MemoryObjectStore store_{"oss-backup"};
  FakeClock clock_{kNow};
  LifecycleConfig config_;
  uint64_t seq_ = 0;
  int64_t newest_ = 0, old_ = 0, ancient_ = 0;
};

TEST_F(LifecycleRunnerTest, DryRunReportsThePlanAndChangesNothing) {
  Result<LifecycleRunReport> report = Runner()->RunOnce(/*dry_run=*/true);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->dry_run);
  ASSERT_EQ(report->actions.size(), 2u);
  EXPECT_EQ(report->actions[0].version_id, old_);
  EXPECT_EQ(report->actions[0].action, "transition");
  EXPECT_EQ(report->actions[0].target_class, "archive");
  EXPECT_EQ(report->actions[0].reason, "older than 30d");
  EXPECT_EQ(report->actions[0].host, "web-01");
  EXPECT_EQ(report->actions[0].path, "/var/log/app.log");
  EXPECT_EQ(report->actions[0].state, "planned");
  EXPECT_EQ(report->actions[1].version_id, ancient_);
  EXPECT_EQ(report->actions[1].action, "delete");
  EXPECT_EQ(report->actions[1].reason, "older than 365d");

  EXPECT_EQ(store_.Calls(Op::kCopy), 0);
  EXPECT_EQ(store_.Calls(Op::kDelete), 0);
  EXPECT_TRUE(store_.Has(KeyOf("cc")));
  EXPECT_EQ(Version(old_).version.storage_class, "standard");
  EXPECT_EQ(Version(ancient_).state, kVersionStored);
  EXPECT_TRUE(Actions().empty());
}

TEST_F(LifecycleRunnerTest, ARunTouchesOnlyObjectsOfTheAgentThatCataloguedThem) {
  // db-01 catalogued web-01's keys (entries from before ingest checked keys): an old version
  // with created_ms 0 and three newer ones, so its policy would delete and archive them.
  const int64_t forged[] = {0, kNow - 40 * kDay, kNow - 2 * kDay, kNow - kDay};
  const char* shas[] = {"cc", "bb", "aa", "aa"};
  std::vector<int64_t> forged_ids;
  for (int i = 0; i < 4; ++i) {
    wire::BackupVersion v;
    v.set = "app-logs";
    v.path = "/var/log/app.log";
    v.sha256 = std::string(62, '1') + std::to_string(i) + "0";
    v.store = "oss-backup";
    v.key = KeyOf(shas[i]);
    v.storage_class = "standard";
    v.created_ms = forged[i];
    Result<AddVersionResult> added = catalog_->AddVersion("db-01", 100 + i, v, kNow);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    forged_ids.push_back(added->id);
  }
  // And a key of its own that climbs out of its part of the store.
  wire::BackupVersion escape;
  escape.set = "app-logs";
  escape.path = "/var/log/app.log";
  escape.sha256 = std::string(64, '2');
  escape.store = "oss-backup";
  escape.key = "backups/db-01/../web-01/var/log/app.log@aa";
  escape.created_ms = 0;
  ASSERT_TRUE(catalog_->AddVersion("db-01", 200, escape, kNow).ok());

  Result<LifecycleRunReport> dry = Runner()->RunOnce(/*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  for (const LifecycleActionReport& action : dry->actions) EXPECT_EQ(action.host, "web-01");

  Result<LifecycleRunReport> report = Runner()->RunOnce(false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // Exactly web-01's own plan: bb archived, cc deleted, aa kept; nothing for db-01.
  EXPECT_EQ(report->executed, 2);
  EXPECT_EQ(store_.Calls(Op::kCopy), 1);
  EXPECT_EQ(store_.Calls(Op::kDelete), 1);
  EXPECT_TRUE(store_.Has(KeyOf("aa")));
  for (int64_t id : forged_ids) {
    EXPECT_EQ(Version(id).state, kVersionStored);
    EXPECT_EQ(Version(id).version.storage_class, "standard");
    EXPECT_TRUE(Actions(id).empty());
  }
}

TEST_F(LifecycleRunnerTest, RunArchivesAndDeletesAndRecordsEachAction) {
  std::unique_ptr<LifecycleRunner> runner = Runner();
  Result<LifecycleRunReport> report = runner->RunOnce(false);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->executed, 2);
  EXPECT_EQ(report->failed, 0);

  EXPECT_EQ(store_.ClassOf(KeyOf("bb")), StorageClass::kArchive);
  EXPECT_FALSE(store_.Has(KeyOf("cc")));
  EXPECT_EQ(store_.ClassOf(KeyOf("aa")), StorageClass::kStandard);
  EXPECT_EQ(Version(old_).version.storage_class, "archive");
  EXPECT_EQ(Version(ancient_).state, kVersionDeleted);
  EXPECT_EQ(Version(newest_).state, kVersionStored);

  std::vector<LifecycleAction> actions = Actions();
  ASSERT_EQ(actions.size(), 2u);
  for (const LifecycleAction& a : actions) {
    EXPECT_EQ(a.state, kActionDone);
    EXPECT_EQ(a.attempts, 1);
    EXPECT_EQ(a.last_error, "");
  }
  EXPECT_EQ(actions[0].version_id, old_);
  EXPECT_EQ(actions[0].reason, "older than 30d");

  // The next run finds nothing to do: no second transition, no second delete.
  report = runner->RunOnce(false);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->actions.empty());
  EXPECT_EQ(store_.Calls(Op::kCopy), 1);
  EXPECT_EQ(store_.Calls(Op::kDelete), 1);
  EXPECT_EQ(Actions().size(), 2u);
}

TEST_F(LifecycleRunnerTest, FailedActionStaysVisibleAndIsRetriedWhenDue) {
  store_.FailNext(Op::kCopy, 2, Status::Unavailable("503 SlowDown from oss-backup"));
  std::unique_ptr<LifecycleRunner> runner = Runner();

  Result<LifecycleRunReport> report = runner->RunOnce(false);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->executed, 1);  // the delete
  EXPECT_EQ(report->failed, 1);
  std::vector<LifecycleAction> actions = Actions(old_);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].state, kActionFailed);
  EXPECT_EQ(actions[0].attempts, 1);
  EXPECT_EQ(actions[0].next_try_ms, kNow + kMinute);
  EXPECT_EQ(actions[0].last_error, "Unavailable: 503 SlowDown from oss-backup");
  EXPECT_EQ(Version(old_).version.storage_class, "standard");

  // Not due yet: left alone, still reported as failed.
  clock_.AdvanceMs(30 * 1000);
  report = runner->RunOnce(false);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->deferred, 1);
  ASSERT_EQ(report->actions.size(), 1u);
  EXPECT_EQ(report->actions[0].state, "failed");
  EXPECT_EQ(report->actions[0].error, "Unavailable: 503 SlowDown from oss-backup");
  EXPECT_EQ(store_.Calls(Op::kCopy), 1);

  // Due: retried, fails again, backoff doubles.
  clock_.AdvanceMs(30 * 1000);
  report = runner->RunOnce(false);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->failed, 1);
  actions = Actions(old_);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].attempts, 2);
  EXPECT_EQ(actions[0].next_try_ms, clock_.NowMs() + 2 * kMinute);

  clock_.AdvanceMs(2 * kMinute);
  report = runner->RunOnce(false);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->executed, 1);
  actions = Actions(old_);
  ASSERT_EQ(actions.size(), 1u);  // the same record, not a new one per attempt
  EXPECT_EQ(actions[0].state, kActionDone);
  EXPECT_EQ(actions[0].attempts, 3);
  EXPECT_EQ(actions[0].last_error, "");
  EXPECT_EQ(store_.ClassOf(KeyOf("bb")), StorageClass::kArchive);
  EXPECT_EQ(Version(old_).version.storage_class, "archive");
}

TEST_F(LifecycleRunnerTest, FailedDeleteKeepsTheVersionInTheCatalog) {
  store_.FailNext(Op::kDelete, 1, Status::DeadlineExceeded("timed out after 30s"));
  Result<LifecycleRunReport> report = Runner()->RunOnce(false);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(store_.Has(KeyOf("cc")));
  EXPECT_EQ(Version(ancient_).state, kVersionStored);
  std::vector<LifecycleAction> actions = Actions(ancient_);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].state, kActionFailed);
  EXPECT_EQ(actions[0].last_error, "DeadlineExceeded: timed out after 30s");
}

TEST_F(LifecycleRunnerTest, VersionOnAnUnknownStoreIsAFailedActionWithAClearError) {
  int64_t elsewhere = AddVersion("/etc/app.conf", kNow - 400 * kDay, "dd", "retired-store");
  AddVersion("/etc/app.conf", kNow - kDay, "ee", "retired-store");
  Result<LifecycleRunReport> report = Runner()->RunOnce(false);
  ASSERT_TRUE(report.ok());
  std::vector<LifecycleAction> actions = Actions(elsewhere);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].state, kActionFailed);
  EXPECT_EQ(actions[0].last_error,
            "FailedPrecondition: store 'retired-store' is not configured on the collector "
            "(backups.stores)");
  EXPECT_EQ(Version(elsewhere).state, kVersionStored);
}

TEST(LifecycleRetryDelayTest, DoublesFromInitialUpToMax) {
  LifecycleConfig config;
  config.retry_initial_ms = kMinute;
  config.retry_max_ms = kHour;
  EXPECT_EQ(LifecycleRetryDelayMs(config, 1), kMinute);
  EXPECT_EQ(LifecycleRetryDelayMs(config, 2), 2 * kMinute);
  EXPECT_EQ(LifecycleRetryDelayMs(config, 3), 4 * kMinute);
  EXPECT_EQ(LifecycleRetryDelayMs(config, 6), 32 * kMinute);
  EXPECT_EQ(LifecycleRetryDelayMs(config, 7), kHour);
  EXPECT_EQ(LifecycleRetryDelayMs(config, 500), kHour);
}

TEST_F(LifecycleRunnerTest, ScheduledThreadRunsAndStopsPromptly) {
  config_.interval_ms = 10;
  std::unique_ptr<LifecycleRunner> runner = Runner();
  runner->Start();
  // Wait for the scheduled run to have applied the plan (bounded; the test fails otherwise).
  for (int i = 0; i < 1000 && Actions().size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  runner->Stop();
  EXPECT_EQ(Actions().size(), 2u);
  EXPECT_EQ(store_.ClassOf(KeyOf("bb")), StorageClass::kArchive);

  // A long interval must not delay Stop (the destructor would hang the test otherwise).
  config_.interval_ms = 24 * kHour;
  std::unique_ptr<LifecycleRunner> idle = Runner();
  idle->Start();
  idle->Stop();
}

class LifecycleApiTest : public LifecycleRunnerTest {
 protected:
  static constexpr char kAdminToken[] = "lifecycle-admin-token-0123456789";

  void SetUp() override {
    LifecycleRunnerTest::SetUp();
    Result<std::unique_ptr<SqliteEventStore>> events =
        SqliteEventStore::Open((dir_ / "collector.db").string());
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    events_ = std::move(*events);
    auth_ = std::make_unique<TokenAuth>(events_.get(), &clock_, kAdminToken);
    runner_ = Runner();
    server_ = std::make_unique<http::HttpServer>(http::ServerOptions{});
    RegisterLifecycleRoutes(*server_, *auth_, *runner_, *catalog_);
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
    client_ = http::NewCurlHttpClient();
  }
  void TearDown() override {
    server_.reset();
    runner_.reset();
    LifecycleRunnerTest::TearDown();
  }

  http::HttpResponse Send(const std::string& method, const std::string& path,
                          const std::string& token = kAdminToken) {
    http::HttpRequest request;
    request.method = method;
    request.url = base_ + path;
    if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
    Result<http::HttpResponse> response = client_->Send(request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::HttpResponse{};
  }
  nlohmann::json Json(const http::HttpResponse& response) {
    nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << response.body;
    return j;
  }

  std::unique_ptr<SqliteEventStore> events_;
  std::unique_ptr<TokenAuth> auth_;
  std::unique_ptr<LifecycleRunner> runner_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<http::HttpClient> client_;
  std::string base_;
};

TEST_F(LifecycleApiTest, DryRunThenRunThenListActions) {
  http::HttpResponse dry = Send("POST", "/api/v1/backups/lifecycle?dry_run=true");
  ASSERT_EQ(dry.status, 200) << dry.body;
  nlohmann::json body = Json(dry);
  EXPECT_EQ(body["dry_run"], true);
  ASSERT_EQ(body["actions"].size(), 2u);
  EXPECT_EQ(body["actions"][0]["version_id"], old_);
  EXPECT_EQ(body["actions"][0]["host"], "web-01");
  EXPECT_EQ(body["actions"][0]["path"], "/var/log/app.log");
  EXPECT_EQ(body["actions"][0]["action"], "transition");
  EXPECT_EQ(body["actions"][0]["target_class"], "archive");
  EXPECT_EQ(body["actions"][0]["reason"], "older than 30d");
  EXPECT_EQ(body["actions"][0]["state"], "planned");
  EXPECT_EQ(body["actions"][1]["action"], "delete");
  EXPECT_EQ(store_.Calls(Op::kCopy), 0);
  EXPECT_EQ(Json(Send("GET", "/api/v1/backups/actions"))["actions"].size(), 0u);

  store_.FailNext(Op::kDelete, 1, Status::Unavailable("503 from oss-backup"));
  http::HttpResponse run = Send("POST", "/api/v1/backups/lifecycle");
  ASSERT_EQ(run.status, 200) << run.body;
  body = Json(run);
  EXPECT_EQ(body["dry_run"], false);
  EXPECT_EQ(body["executed"], 1);
  EXPECT_EQ(body["failed"], 1);
  EXPECT_EQ(body["actions"][0]["state"], "done");
  EXPECT_EQ(body["actions"][1]["state"], "failed");
  EXPECT_EQ(body["actions"][1]["error"], "Unavailable: 503 from oss-backup");

  nlohmann::json failed = Json(Send("GET", "/api/v1/backups/actions?state=failed"));
  ASSERT_EQ(failed["actions"].size(), 1u);
  EXPECT_EQ(failed["actions"][0]["version_id"], ancient_);
  EXPECT_EQ(failed["actions"][0]["host"], "web-01");
  EXPECT_EQ(failed["actions"][0]["path"], "/var/log/app.log");
  EXPECT_EQ(failed["actions"][0]["attempts"], 1);
  EXPECT_EQ(failed["actions"][0]["next_try"], FormatRfc3339(kNow + kMinute));
  nlohmann::json done = Json(Send("GET", "/api/v1/backups/actions?state=done"));
  ASSERT_EQ(done["actions"].size(), 1u);
  EXPECT_EQ(done["actions"][0]["version_id"], old_);
  EXPECT_EQ(done["actions"][0]["next_try"], nullptr);
}

TEST_F(LifecycleApiTest, BadParametersAndTokensAreRefused) {
  EXPECT_EQ(Send("POST", "/api/v1/backups/lifecycle?dry_run=maybe").status, 400);
  EXPECT_EQ(Json(Send("GET", "/api/v1/backups/actions?state=lost"))["error"],
            "state: expected one of pending, done, failed, got 'lost'");
  EXPECT_EQ(Send("GET", "/api/v1/backups/actions?limit=0").status, 400);
  EXPECT_EQ(Send("POST", "/api/v1/backups/lifecycle", "").status, 401);
  EXPECT_EQ(Send("POST", "/api/v1/backups/lifecycle", "not-the-admin-token").status, 401);
  EXPECT_EQ(store_.Calls(Op::kCopy), 0);
  EXPECT_EQ(Version(old_).version.storage_class, "standard");
}

}  // namespace
}  // namespace beacon::collector::backups
