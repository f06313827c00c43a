// The "backup.run" and "fim.accept" command kinds on the agent: the handlers' argument checks,
// paced progress, final updates and bounded results (with fakes); BackupService::RunSetNow with
// a real Uploader, state and in-memory store (stores what changed, refuses a second run of the
// same set, holds the watcher's files back while it runs); FimInput::AcceptPath on a baseline
// (re-baselines one path only, refuses paths outside the fim paths, through a symlink or into
// an excluded part).
#include "common/wire/agent_commands.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>

#include "agent/backup/backup_run_handler.h"
#include "agent/backup/backup_service.h"
#include "agent/inputs/fim/accept_handler.h"
#include "agent/inputs/fim/fim.h"
#include "common/config/config.h"
#include "tests/unit/agent/backup_test_store.h"

namespace beacon::agent {
namespace {

namespace fs = std::filesystem;
using backup::testing::TempDir;
using backup::testing::WriteFile;

wire::Command Command(std::string kind, nlohmann::json args) {
  wire::Command command;
  command.id = 7;
  command.kind = std::move(kind);
  command.args = std::move(args);
  return command;
}

// Collects what a handler reports.
struct Reports {
  CommandReportFn Fn() {
    return [this](const wire::CommandUpdate& update) {
      updates.push_back(update);
      return Status::Ok();
    };
  }
  std::vector<wire::CommandUpdate> updates;
};

wire::BackupVersion Version(const std::string& path, uint64_t size) {
  wire::BackupVersion v;
  v.set = "app";
  v.path = path;
  v.size = size;
  v.stored_size = size / 2;
  v.sha256 = std::string(64, 'c');
  v.store = "mem";
  v.key = "beacon/host-1" + path + "@20261126T055641Z-cccccccccccc.zst";
  return v;
}

// ---- BackupRunHandler ----

TEST(BackupRunHandlerTest, ProgressIsPacedAndTheResultListsTheStoredVersions) {
  FakeClock clock;
  std::string asked;
  backup::BackupRunHandler handler(
      [&](const std::string& set,
          const std::function<void(const backup::OnceProgress&)>& progress) {
        asked = set;
        for (uint64_t i = 1; i <= 10; ++i) {
          progress({set, 10, i, 10 * 1024, i * 1024, true});
          clock.AdvanceMs(100);
        }
        backup::OnceSetSummary summary;
        summary.set = set;
        summary.scanned = 12;
        summary.stored = 2;
        summary.unchanged = 10;
        summary.bytes_read = 3 * 1024 * 1024;
        summary.bytes_stored = 1024;
        summary.versions = {Version("/srv/app/a.yaml", 1024), Version("/srv/app/b.yaml", 2048)};
        return summary;
      },
      clock, 500);
  Reports reports;
  ASSERT_TRUE(handler.Handle(Command("backup.run", {{"set", "app"}}), reports.Fn()).ok());
  EXPECT_EQ(asked, "app");
  // Progress at 0, 100, ..., 900 ms paced to 500 ms: at 0 and 500, then the final update.
  ASSERT_EQ(reports.updates.size(), 3u);
  EXPECT_EQ(reports.updates[0].state, "running");
  EXPECT_EQ(reports.updates[0].message, "backing up set app: 1/10 files");
  EXPECT_EQ(reports.updates[0].done_bytes, 1024u);
  EXPECT_EQ(reports.updates[0].total_bytes, 10u * 1024);
  EXPECT_EQ(reports.updates[1].message, "backing up set app: 6/10 files");
  const wire::CommandUpdate& done = reports.updates.back();
  EXPECT_EQ(done.state, "succeeded");
  EXPECT_EQ(done.message, "set app: 2 versions stored (3.0 MiB), 10 unchanged");
  EXPECT_EQ(done.result["stored"], 2);
  EXPECT_EQ(done.result["unchanged"], 10);
  EXPECT_EQ(done.result["versions_omitted"], 0);
  ASSERT_EQ(done.result["versions"].size(), 2u);
  EXPECT_EQ(
      done.result["versions"][1],
      (nlohmann::json{{"path", "/srv/app/b.yaml"},
                      {"key", "beacon/host-1/srv/app/b.yaml@20261126T055641Z-cccccccccccc.zst"},
                      {"store", "mem"},
                      {"size", 2048},
                      {"stored_size", 1024},
                      {"sha256", std::string(64, 'c')}}));
}

TEST(BackupRunHandlerTest, FailedFilesFailTheCommandAndHugeResultsStayUnderTheCollectorsLimit) {
  FakeClock clock;
  backup::BackupRunHandler handler(
      [&](const std::string& set, const std::function<void(const backup::OnceProgress&)>&) {
        backup::OnceSetSummary summary;
        summary.set = set;
        summary.stored = 5000;
        summary.failed = 30;
        for (int i = 0; i < 5000; ++i) {
          summary.versions.push_back(
              Version("/srv/app/" + std::string(100, 'x') + "/" + std::to_string(i), 10));
        }
        for (int i = 0; i < 30; ++i) {
          summary.failures.push_back("/srv/app/f" + std::to_string(i) + ": " +
                                     std::string(2000, 'e'));
        }
        return summary;
      },
      clock);
  Reports reports;
  ASSERT_TRUE(handler.Handle(Command("backup.run", {{"set", "app"}}), reports.Fn()).ok());
  const wire::CommandUpdate& done = reports.updates.back();
  EXPECT_EQ(done.state, "failed");
  EXPECT_LE(done.message.size(), kMaxCommandMessageBytes);
  EXPECT_NE(done.message.find("30 failed: /srv/app/f0: eee"), std::string::npos);
  const size_t listed = done.result["versions"].size();
  EXPECT_GT(listed, 0u);
  EXPECT_EQ(listed + done.result["versions_omitted"].get<size_t>(), 5000u);
  EXPECT_LE(done.result["failures"].size(), 20u);
  // The whole update fits the collector's 64 KiB body limit.
  EXPECT_LT(wire::CommandUpdateToJson(done).dump().size(), 60u * 1024);
}

TEST(BackupRunHandlerTest, BadArgumentsAndRunErrorsFailWithTheirReason) {
  int runs = 0;
  backup::BackupRunHandler handler(
      [&](const std::string& set, const std::function<void(const backup::OnceProgress&)>&)
          -> Result<backup::OnceSetSummary> {
        ++runs;
        return Status::InvalidArgument("unknown backup set '" + set + "' (known: app)");
      });
  Reports reports;
  for (const nlohmann::json& args :
       {nlohmann::json::object(), nlohmann::json{{"set", 3}}, nlohmann::json{{"set", "../x"}},
        nlohmann::json{{"set", "app"}, {"more", true}}}) {
    Status status = handler.Handle(Command("backup.run", args), reports.Fn());
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << args.dump();
    EXPECT_EQ(status.message().rfind("bad backup.run arguments: ", 0), 0u) << status.message();
  }
  EXPECT_EQ(runs, 0);
  Status unknown = handler.Handle(Command("backup.run", {{"set", "nope"}}), reports.Fn());
  EXPECT_EQ(unknown.message(), "unknown backup set 'nope' (known: app)");
  EXPECT_TRUE(reports.updates.empty());
}

// ---- BackupService::RunSetNow ----

class RunSetNowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = backup::BackupState::Open(dir_ / "state.db");
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(*state);
    fs::create_directories(dir_ / "app");
    backup::BackupSetConfig set;
    set.name = "app";
    set.paths = {dir_ / "app"};
    set.store = "mem";
    set.debounce_ms = 3'600'000;  // nothing but the run backs a file up during a test
    config_.enabled = true;
    config_.sets = {set};
    config_.concurrency = 2;
    config_.max_attempts = 2;
    config_.retry_initial_ms = 1;
    config_.retry_max_ms = 2;
  }
  void TearDown() override {
    if (service_) service_->Stop();
  }

  // A service with config_, started (without inotify: files come from reconcile scans and
  // OnFilesClosed) with a sink that records the spooled versions.
  Status Start() {
    uploader_ = std::make_unique<backup::Uploader>(store_, *state_, clock_, "host-1", nullptr);
    backup::BackupServiceOptions options;
    options.watch = false;
    service_ = std::make_unique<backup::BackupService>(
        config_, std::map<std::string, backup::Uploader*>{{"mem", uploader_.get()}}, *state_,
        clock_, options);
    return service_->Start([this](std::vector<wire::Record> records) {
      std::lock_guard lock(mu_);
      for (auto& r : records) {
        if (r.type == wire::RecordType::kEvent && r.event.kind == wire::kBackupVersionKind) {
          spooled_.push_back(r.event.data["path"]);
        }
      }
      return Status::Ok();
    });
  }
  std::vector<std::string> Spooled() {
    std::lock_guard lock(mu_);
    return spooled_;
  }

  TempDir dir_;
  const Clock& clock_ = SystemClock::Instance();
  std::unique_ptr<backup::BackupState> state_;
  backup::BackupConfig config_;
  backup::testing::MemoryStore store_{"mem"};
  std::unique_ptr<backup::Uploader> uploader_;
  std::unique_ptr<backup::BackupService> service_;
  std::mutex mu_;
  std::vector<std::string> spooled_;
};

TEST_F(RunSetNowTest, StoresWhatChangedThroughTheSpoolAndReportsTheVersions) {
  WriteFile(dir_ / "app/a.yaml", "a1");
  WriteFile(dir_ / "app/sub/b.yaml", "b1");
  ASSERT_TRUE(Start().ok());
  std::vector<backup::OnceProgress> progress;
  auto run =
      service_->RunSetNow("app", [&](const backup::OnceProgress& p) { progress.push_back(p); });
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->stored, 2u);
  EXPECT_EQ(run->failed, 0u);
  ASSERT_EQ(run->versions.size(), 2u);
  std::set<std::string> paths;
  for (const auto& v : run->versions) paths.insert(v.path);
  EXPECT_EQ(paths, (std::set<std::string>{dir_ / "app/a.yaml", dir_ / "app/sub/b.yaml"}));
  EXPECT_EQ(Spooled().size(), 2u);  // each version's catalog record went to the spool
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(progress.back().scan_done);
  EXPECT_EQ(progress.back().files_done, 2u);
  EXPECT_EQ(progress.back().files_total, 2u);
  EXPECT_EQ(progress.back().bytes_done, 4u);

  WriteFile(dir_ / "app/a.yaml", "a2 (a size of its own: same-size writes may keep the mtime)");
  run = service_->RunSetNow("app", nullptr);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->stored, 1u);
  EXPECT_EQ(run->unchanged, 1u);
  ASSERT_EQ(run->versions.size(), 1u);
  EXPECT_EQ(run->versions[0].path, dir_ / "app/a.yaml");
  EXPECT_EQ(service_->metrics().files_stored, 3u);

  auto unknown = service_->RunSetNow("nope", nullptr);
  EXPECT_EQ(unknown.status().message(), "unknown backup set 'nope' (known: app)");
}

TEST_F(RunSetNowTest, ASecondRunOfTheSameSetIsRefusedWhileTheFirstRuns) {
  WriteFile(dir_ / "app/a.yaml", "a1");
  ASSERT_TRUE(Start().ok());
  std::promise<void> uploading;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::once_flag once;
  store_.SetHook([&](backup::testing::MemoryStore::Op op, int) {
    if (op != backup::testing::MemoryStore::Op::kPut) return;
    std::call_once(once, [&] { uploading.set_value(); });
    released.wait();
  });
  auto first = std::async(std::launch::async, [&] { return service_->RunSetNow("app", nullptr); });
  uploading.get_future().wait();
  auto second = service_->RunSetNow("app", nullptr);
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(),
            "a backup run of set 'app' is already in progress on this agent; this one is "
            "refused: run it again once that one has finished");
  release.set_value();
  auto done = first.get();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->stored, 1u);
}

TEST_F(RunSetNowTest, FilesFallingDueDuringTheRunWaitForItAndAreNotStoredTwice) {
  config_.sets[0].debounce_ms = 0;  // the watcher's files fall due at once
  WriteFile(dir_ / "app/a.yaml", "a1");
  std::promise<void> uploading;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> block{false};
  std::once_flag once;
  store_.SetHook([&](backup::testing::MemoryStore::Op op, int) {
    if (op != backup::testing::MemoryStore::Op::kPut || !block) return;
    std::call_once(once, [&] { uploading.set_value(); });
    released.wait();
  });
  ASSERT_TRUE(Start().ok());
  // The start-up reconcile stores a.yaml; wait for it before the run starts.
  ASSERT_TRUE(service_->WaitFor([](const backup::BackupMetrics& m) { return m.files_stored == 1; },
                                60'000));
  WriteFile(dir_ / "app/b.yaml", "b1");
  block = true;
  auto run = std::async(std::launch::async, [&] { return service_->RunSetNow("app", nullptr); });
  uploading.get_future().wait();                   // the run is uploading b.yaml
  service_->OnFilesClosed({dir_ / "app/b.yaml"});  // the watcher reports the same file
  service_->Poke();
  release.set_value();
  auto done = run.get();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->stored, 1u);
  // The held file is processed after the run and found unchanged: one PUT for b.yaml in all.
  ASSERT_TRUE(service_->WaitFor(
      [](const backup::BackupMetrics& m) { return m.queue_depth == 0 && m.files_unchanged >= 2; },
      60'000));
  EXPECT_EQ(store_.Calls(backup::testing::MemoryStore::Op::kPut), 2);
  EXPECT_EQ(Spooled().size(), 2u);
}

// ---- FimInput::AcceptPath and FimAcceptHandler ----

class FimAcceptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "tree/conf");
    fs::create_directories(dir_ / "tree/cache");
    fs::create_directories(dir_ / "elsewhere");
    WriteFile(dir_ / "tree/conf/a.conf", "a\n");
    WriteFile(dir_ / "tree/conf/b.conf", "b\n");
    WriteFile(dir_ / "elsewhere/secret", "s\n");
    fs::create_symlink(dir_ / "elsewhere", dir_ / "tree/link");
    auto doc = config::Document::LoadString("inputs:\n  fim:\n    enabled: false\n    paths: [" +
                                                (dir_ / "tree") + "]\n    exclude: ['" +
                                                (dir_ / "tree/cache") + "']\n    workers: 1\n",
                                            "test.yaml");
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    ASSERT_TRUE(input_.Init((*doc)->root().Child("inputs").Child("fim")).ok());
    ASSERT_TRUE((*doc)->Finish().ok());
    input_.Configure(dir_ / "state");
  }

  // `beacon-agent fim init` on the same baseline file.
  void InitBaseline() {
    fs::create_directories(dir_ / "state");
    auto baseline = fim::Baseline::Open(dir_ / "state/baseline.db", true);
    ASSERT_TRUE(baseline.ok());
    fim::FimOptions options = input_.options();
    ASSERT_TRUE(fim::Init(fim::Scanner(options), **baseline).ok());
  }
  std::vector<std::string> CheckedPaths() {
    auto baseline = fim::Baseline::Open(dir_ / "state/baseline.db", false);
    EXPECT_TRUE(baseline.ok());
    auto report = fim::Check(fim::Scanner(input_.options()), **baseline, false);
    EXPECT_TRUE(report.ok());
    std::vector<std::string> out;
    for (const auto& change : report->changes) out.push_back(change.path);
    return out;
  }

  TempDir dir_;
  inputs::FimInput input_;
};

TEST_F(FimAcceptTest, AcceptReBaselinesThatPathOnlyAndRefusesEverythingOutsideTheWatchSet) {
  auto none = input_.AcceptPath(dir_ / "tree/conf/a.conf");
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("beacon-agent fim init"), std::string::npos);
  InitBaseline();
  WriteFile(dir_ / "tree/conf/a.conf", "a changed\n");
  WriteFile(dir_ / "tree/conf/b.conf", "b changed\n");
  WriteFile(dir_ / "tree/conf/new.conf", "new\n");
  ASSERT_EQ(CheckedPaths().size(), 4u);  // the directory changed too (a new entry)

  auto accepted = input_.AcceptPath(dir_ / "tree/conf/a.conf");
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  ASSERT_EQ(accepted->changes.size(), 1u);
  EXPECT_EQ(accepted->changes[0].kind, fim::ChangeKind::kChanged);
  EXPECT_EQ(CheckedPaths(), (std::vector<std::string>{dir_ / "tree/conf", dir_ / "tree/conf/b.conf",
                                                      dir_ / "tree/conf/new.conf"}));

  const std::vector<std::pair<std::string, std::string>> refused = {
      {dir_ / "elsewhere/secret", "is not under any configured fim path"},
      {dir_ / "tree/link/secret", "is a symbolic link; fim does not follow links"},
      {dir_ / "tree/cache/x", "is excluded from fim"},
      {dir_ / "tree/cache", "is excluded from fim"},
      {dir_ / "tree/conf/../conf/b.conf", "is not a normal path"},
      {"tree/conf/b.conf", "is not an absolute path"},
  };
  for (const auto& [path, why] : refused) {
    auto result = input_.AcceptPath(path);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(result.status().message().find(why), std::string::npos)
        << path << ": " << result.status().message();
  }
  EXPECT_EQ(CheckedPaths().size(), 3u);  // nothing refused touched the baseline

  // A directory takes its subtree: itself, the change and the new file; nothing is left.
  accepted = input_.AcceptPath(dir_ / "tree/conf");
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->changes.size(), 3u);
  EXPECT_TRUE(CheckedPaths().empty());
}

TEST_F(FimAcceptTest, TheHandlerReportsWhatTheBaselineTook) {
  InitBaseline();
  WriteFile(dir_ / "tree/conf/a.conf", "a changed\n");
  WriteFile(dir_ / "tree/conf/new.conf", "new\n");
  fs::remove(dir_ / "tree/conf/b.conf");
  fim::FimAcceptHandler handler([&](const std::string& path) { return input_.AcceptPath(path); });
  Reports reports;
  ASSERT_TRUE(
      handler.Handle(Command("fim.accept", {{"path", dir_ / "tree/conf/"}}), reports.Fn()).ok());
  ASSERT_EQ(reports.updates.size(), 1u);
  const wire::CommandUpdate& done = reports.updates[0];
  EXPECT_EQ(done.state, "succeeded");
  EXPECT_EQ(done.message, "accepted " + (dir_ / "tree/conf") +
                              " into the fim baseline: 2 updated, 1 added, 1 removed");
  EXPECT_EQ(done.result["updated"], 2);  // the directory and a.conf
  EXPECT_EQ(done.result["added"], 1);
  EXPECT_EQ(done.result["removed"], 1);
  EXPECT_EQ(done.result["changes"],
            (nlohmann::json{{{"kind", "updated"}, {"path", dir_ / "tree/conf"}},
                            {{"kind", "updated"}, {"path", dir_ / "tree/conf/a.conf"}},
                            {{"kind", "removed"}, {"path", dir_ / "tree/conf/b.conf"}},
                            {{"kind", "added"}, {"path", dir_ / "tree/conf/new.conf"}}}));

  reports.updates.clear();
  ASSERT_TRUE(
      handler.Handle(Command("fim.accept", {{"path", dir_ / "tree/conf"}}), reports.Fn()).ok());
  EXPECT_EQ(reports.updates[0].message,
            dir_ / "tree/conf" + " already matches the fim baseline: nothing to accept");

  Status outside = handler.Handle(Command("fim.accept", {{"path", "/etc/passwd"}}), reports.Fn());
  EXPECT_EQ(outside.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outside.message(),
            "'/etc/passwd' is not under any configured fim path "
            "(inputs.fim.paths)");
  Status bad = handler.Handle(Command("fim.accept", {{"path", "/etc/../x"}}), reports.Fn());
  EXPECT_EQ(bad.message(),
            "bad fim.accept arguments: path: must not contain empty, '.' or '..' segments");
}

}  // namespace
}  // namespace beacon::agent
