// The backup pipeline end to end with a real Uploader, BackupState and inotify on temp dirs and
// an in-memory store: bursts are each stored once, a file held open for writing is not read
// until it is closed, failures are retried and then raise one backup.failed, files written
// while the service was stopped are found by the start-up reconcile, and backup.stale follows
// an injected clock.
#include "agent/backup/backup_service.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "common/crypto/crypto.h"
#include "tests/unit/agent/backup_test_store.h"

namespace beacon::agent::backup {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kWaitMs = 60'000;  // a guard against hangs, not a timing check

// Fails every upload with a retryable error, as a store answering 503 does.
class FailingStore final : public objstore::ObjectStore {
 public:
  std::string_view kind() const override { return "failing"; }
  const std::string& name() const override { return name_; }
  Result<objstore::ObjectInfo> Put(const std::string&, std::string_view,
                                   const objstore::PutOptions&) override {
    ++puts;
    return Status::Unavailable("503 SlowDown: please reduce your request rate");
  }
  Result<std::string> InitMultipart(const std::string&, const objstore::PutOptions&) override {
    return Status::Unavailable("503");
  }
  Result<objstore::UploadedPart> UploadPart(const std::string&, const std::string&, int,
                                            std::string_view) override {
    return Status::Unavailable("503");
  }
  Result<objstore::ObjectInfo> CompleteMultipart(
      const std::string&, const std::string&, const std::vector<objstore::UploadedPart>&) override {
    return Status::Unavailable("503");
  }
  Status AbortMultipart(const std::string&, const std::string&) override { return Status::Ok(); }
  uint64_t MinPartSize() const override { return 0; }
  Result<std::string> Get(const std::string& key, std::optional<objstore::ByteRange>) override {
    return Status::NotFound("NoSuchKey " + key);
  }
  Result<objstore::ObjectInfo> Head(const std::string& key) override {
    return Status::NotFound("NoSuchKey " + key);
  }
  Result<objstore::ListPage> List(const std::string&, const std::string&, int) override {
    return objstore::ListPage{};
  }
  Status Delete(const std::string&) override { return Status::Ok(); }
  Result<objstore::ObjectInfo> Copy(const std::string&, const std::string&,
                                    objstore::StorageClass) override {
    return Status::Unavailable("503");
  }
  Result<objstore::RestoreRequestResult> Restore(const std::string&, int) override {
    return Status::Unavailable("503");
  }
  std::atomic<int> puts{0};

 private:
  const std::string name_ = "failing";
};

// Collects what the service spools.
class Sink {
 public:
  RecordSink Fn() {
    return [this](std::vector<wire::Record> records) {
      std::lock_guard lock(mu_);
      for (auto& r : records) records_.push_back(std::move(r));
      cv_.notify_all();
      return Status::Ok();
    };
  }
  std::vector<wire::Record> Events(const std::string& kind) {
    std::lock_guard lock(mu_);
    std::vector<wire::Record> out;
    for (const auto& r : records_) {
      if (r.type == wire::RecordType::kEvent && r.event.kind == kind) out.push_back(r);
    }
    return out;
  }
  bool WaitEvents(const std::string& kind, size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(kWaitMs), [&] {
      size_t count = 0;
      for (const auto& r : records_) {
        count += r.type == wire::RecordType::kEvent && r.event.kind == kind;
      }
      return count >= n;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<wire::Record> records_;
};

class BackupServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("beacon-bsvc-") + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "root");
    root_ = (dir_ / "root").string();
    auto state = BackupState::Open((dir_ / "state.db").string());
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(*state);
    BackupSetConfig set;
    set.name = "app";
    set.paths = {root_};
    set.store = "mem";
    set.debounce_ms = 20;
    config_.enabled = true;
    config_.sets = {set};
    config_.concurrency = 2;
    config_.retry_initial_ms = 1;
    config_.retry_max_ms = 4;
    config_.max_attempts = 3;
  }
  void TearDown() override {
    if (service_) service_->Stop();
    service_.reset();
    fs::remove_all(dir_);
  }

  // sink: what the service spools into; by default sink_.
  void Start(objstore::ObjectStore& store, const Clock& clock, BackupServiceOptions options = {},
             RecordSink sink = nullptr) {
    uploader_ = std::make_unique<Uploader>(store, *state_, clock, "host-1", nullptr);
    service_ = std::make_unique<BackupService>(
        config_, std::map<std::string, Uploader*>{{"mem", uploader_.get()}}, *state_, clock,
        options);
    ASSERT_TRUE(service_->Start(sink ? std::move(sink) : sink_.Fn()).ok());
  }

  static void Write(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }

  // Waits until every queued file is done and `stored` versions were recorded.
  bool WaitStored(uint64_t stored) {
    return service_->WaitFor(
        [&](const BackupMetrics& m) { return m.files_stored >= stored && m.queue_depth == 0; },
        kWaitMs);
  }

  // The versions spooled for each path, oldest first.
  std::map<std::string, std::vector<wire::BackupVersion>> Versions() {
    std::map<std::string, std::vector<wire::BackupVersion>> out;
    for (const auto& r : sink_.Events(std::string(wire::kBackupVersionKind))) {
      auto v = wire::BackupVersionFromJson(r.event.data);
      EXPECT_TRUE(v.ok()) << v.status().ToString();
      if (v.ok()) out[v->path].push_back(*v);
    }
    return out;
  }

  fs::path dir_;
  std::string root_;
  std::unique_ptr<BackupState> state_;
  BackupConfig config_;
  // The clock and stores outlive the service, whose threads use them until Stop().
  FakeClock clock_;
  testing::MemoryStore store_;
  FailingStore failing_store_;
  Sink sink_;
  std::unique_ptr<Uploader> uploader_;
  std::unique_ptr<BackupService> service_;
};

TEST_F(BackupServiceTest, FilesWrittenInBurstsAreEachStoredOnce) {
  Start(store_, SystemClock::Instance());
  ASSERT_TRUE(service_->WaitFor([](const BackupMetrics& m) { return m.reconciles >= 1; }, kWaitMs));
  std::map<std::string, std::string> content;  // path -> final content
  for (int burst = 0; burst < 10; ++burst) {
    const fs::path sub = fs::path(root_) / (std::string("b") + std::to_string(burst)) / "x";
    fs::create_directories(sub);
    for (int i = 0; i < 20; ++i) {
      const fs::path file =
          (i % 2 ? sub : sub.parent_path()) / (std::string("f") + std::to_string(i));
      const std::string body = std::string("burst ") + std::to_string(burst) + " file " +
                               std::to_string(i) + std::string(100 * i, 'x');
      Write(file, body);
      content[file.string()] = body;
    }
    // Renamed into place, with a temp name that is never backed up.
    const fs::path tmp = fs::path(root_) / (std::string(".r") + std::to_string(burst) + ".Ab12Cd");
    Write(tmp, std::string("renamed ") + std::to_string(burst));
    const fs::path final_path =
        fs::path(root_) / (std::string("r") + std::to_string(burst) + ".conf");
    fs::rename(tmp, final_path);
    content[final_path.string()] = std::string("renamed ") + std::to_string(burst);
  }
  ASSERT_TRUE(WaitStored(content.size())) << service_->metrics().files_stored;
  auto versions = Versions();
  EXPECT_EQ(versions.size(), content.size());
  for (const auto& [path, body] : content) {
    ASSERT_EQ(versions[path].size(), 1u) << path;  // each distinct content exactly once
    EXPECT_EQ(versions[path][0].sha256, crypto::Sha256Hex(body)) << path;
    EXPECT_EQ(versions[path][0].set, "app");
    EXPECT_EQ(versions[path][0].size, body.size());
  }
  EXPECT_EQ(store_.Objects().size(), content.size());
  const auto m = service_->metrics();
  EXPECT_EQ(m.files_stored, content.size());
  EXPECT_EQ(m.failures, 0u);
  uint64_t stored_bytes = 0;
  for (const auto& [key, object] : store_.Objects()) stored_bytes += object.body.size();
  EXPECT_EQ(m.bytes_stored, stored_bytes);
}

// Issue 11 defect 1: a version is recorded in the state (which makes the file read as
// unchanged) only after its backup.version record is spooled. Were it the other way round, a
// crash between the two would leave the file never catalogued until it changes again.
TEST_F(BackupServiceTest, StateRecordsAFileOnlyAfterItsVersionIsSpooled) {
  std::mutex mu;
  std::vector<std::string> recorded_at_spool;  // paths the state already knew when spooled
  std::vector<std::string> spooled;
  RecordSink inspecting = [&](std::vector<wire::Record> records) {
    for (const wire::Record& r : records) {
      if (r.type != wire::RecordType::kEvent || r.event.kind != wire::kBackupVersionKind) {
        continue;
      }
      auto version = wire::BackupVersionFromJson(r.event.data);
      EXPECT_TRUE(version.ok()) << version.status().ToString();
      if (!version.ok()) continue;
      auto file = state_->GetFile("app", version->path);
      EXPECT_TRUE(file.ok()) << file.status().ToString();
      std::lock_guard lock(mu);
      spooled.push_back(version->path);
      if (file.ok() && file->has_value()) recorded_at_spool.push_back(version->path);
    }
    return sink_.Fn()(std::move(records));
  };
  Write(fs::path(root_) / "before-start.txt", "found by the start-up reconcile");
  Start(store_, SystemClock::Instance(), {}, inspecting);
  ASSERT_TRUE(WaitStored(1));
  Write(fs::path(root_) / "after-start.txt", "found by inotify");
  ASSERT_TRUE(WaitStored(2));
  std::lock_guard lock(mu);
  EXPECT_EQ(spooled.size(), 2u);
  EXPECT_TRUE(recorded_at_spool.empty())
      << "the state said stored before the catalog record was spooled: "
      << ::testing::PrintToString(recorded_at_spool);
  // And once spooled, the state knows them: they are not stored again.
  for (const std::string& path : spooled) {
    auto file = state_->GetFile("app", path);
    ASSERT_TRUE(file.ok());
    EXPECT_TRUE(file->has_value()) << path;
  }
}

// A backup.version record that cannot be spooled leaves nothing in the state: the file is
// stored again on the retry, and catalogued once.
TEST_F(BackupServiceTest, UnspooledVersionIsStoredAgainAndCataloguedOnce) {
  std::atomic<int> refusals{2};
  RecordSink refusing = [&](std::vector<wire::Record> records) {
    const bool version = !records.empty() && records[0].type == wire::RecordType::kEvent &&
                         records[0].event.kind == wire::kBackupVersionKind;
    if (version && refusals.fetch_sub(1) > 0) return Status::IoError("disk full");
    return sink_.Fn()(std::move(records));
  };
  const std::string path = root_ + "/refused.txt";
  Write(path, "content");
  Start(store_, SystemClock::Instance(), {}, refusing);
  ASSERT_TRUE(WaitStored(1));
  auto versions = Versions();
  ASSERT_EQ(versions[path].size(), 1u);
  EXPECT_EQ(store_.Calls(testing::Op::kPut), 3);  // two versions stored but never catalogued
  auto file = state_->GetFile("app", path);
  ASSERT_TRUE(file.ok() && file->has_value());
  EXPECT_EQ((*file)->key, versions[path][0].key);
  EXPECT_EQ(service_->metrics().failures, 0u);
}

TEST_F(BackupServiceTest, FileHeldOpenForWritingIsNotReadUntilClosed) {
  const std::string path = root_ + "/app.log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "first line\n", 11), 11);
  Start(store_, SystemClock::Instance());
  // The start-up reconcile finds it; the lease probe sees the writer, again and again.
  ASSERT_TRUE(
      service_->WaitFor([](const BackupMetrics& m) { return m.busy_deferrals >= 3; }, kWaitMs));
  EXPECT_EQ(store_.Calls(testing::Op::kPut), 0);
  EXPECT_EQ(store_.Calls(testing::Op::kInit), 0);
  EXPECT_EQ(service_->metrics().files_stored, 0u);
  EXPECT_EQ(service_->metrics().queue_depth, 1u);

  ASSERT_EQ(::write(fd, "second line\n", 12), 12);
  ::close(fd);
  ASSERT_TRUE(WaitStored(1));
  auto versions = Versions();
  ASSERT_EQ(versions[path].size(), 1u);
  EXPECT_EQ(versions[path][0].sha256, crypto::Sha256Hex("first line\nsecond line\n"));
}

TEST_F(BackupServiceTest, RetriesThenOneBackupFailedEvent) {
  FailingStore& store = failing_store_;
  Start(failing_store_, SystemClock::Instance());
  ASSERT_TRUE(service_->WaitFor([](const BackupMetrics& m) { return m.reconciles >= 1; }, kWaitMs));
  Write(fs::path(root_) / "data.bin", "payload");
  ASSERT_TRUE(service_->WaitFor(
      [](const BackupMetrics& m) { return m.failures >= 1 && m.queue_depth == 0; }, kWaitMs));
  EXPECT_EQ(store.puts.load(), 3);  // max_attempts
  auto failed = sink_.Events("backup.failed");
  ASSERT_EQ(failed.size(), 1u);
  const wire::Event& e = failed[0].event;
  EXPECT_EQ(e.severity, "high");
  EXPECT_EQ(e.subject, root_ + "/data.bin");
  EXPECT_NE(e.message.find("failed after 3 attempts"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("SlowDown"), std::string::npos) << e.message;
  EXPECT_EQ(e.data["set"], "app");
  EXPECT_EQ(e.data["path"], root_ + "/data.bin");
  EXPECT_EQ(e.data["attempts"], 3);
  EXPECT_NE(e.data["error"].get<std::string>().find("Unavailable"), std::string::npos);
  EXPECT_TRUE(sink_.Events(std::string(wire::kBackupVersionKind)).empty());
  // The next reconcile tries again.
  service_->RequestReconcile();
  ASSERT_TRUE(service_->WaitFor(
      [](const BackupMetrics& m) { return m.failures >= 2 && m.queue_depth == 0; }, kWaitMs));
  EXPECT_EQ(store.puts.load(), 6);
}

TEST_F(BackupServiceTest, FilesWrittenWhileStoppedAreBackedUpAtStart) {
  Start(store_, SystemClock::Instance());
  Write(fs::path(root_) / "before.txt", "one");
  ASSERT_TRUE(WaitStored(1));
  service_->Stop();
  service_.reset();
  fs::create_directories(fs::path(root_) / "new" / "dir");
  Write(fs::path(root_) / "new" / "dir" / "while-down.txt", "two");
  Write(fs::path(root_) / "before.txt", "one, changed");
  Start(store_, SystemClock::Instance());
  ASSERT_TRUE(WaitStored(2));
  auto versions = Versions();
  ASSERT_EQ(versions[root_ + "/before.txt"].size(), 2u);
  EXPECT_EQ(versions[root_ + "/before.txt"][1].sha256, crypto::Sha256Hex("one, changed"));
  ASSERT_EQ(versions[root_ + "/new/dir/while-down.txt"].size(), 1u);
}

TEST_F(BackupServiceTest, StaleSetRaisesOnceAndRearmsAfterASuccess) {
  config_.sets[0].max_age_ms = 60'000;
  config_.sets[0].debounce_ms = 0;
  BackupServiceOptions options;
  options.watch = false;
  Start(store_, clock_, options);
  ASSERT_TRUE(service_->WaitFor([](const BackupMetrics& m) { return m.reconciles >= 1; }, kWaitMs));
  EXPECT_TRUE(sink_.Events("backup.stale").empty());

  clock_.AdvanceMs(61'000);
  service_->Poke();
  ASSERT_TRUE(sink_.WaitEvents("backup.stale", 1));
  auto stale = sink_.Events("backup.stale");
  EXPECT_EQ(stale[0].event.severity, "warning");
  EXPECT_EQ(stale[0].event.subject, "app");
  EXPECT_EQ(stale[0].event.data["set"], "app");
  EXPECT_EQ(stale[0].event.data["max_age_ms"], 60'000);

  clock_.AdvanceMs(5'000);
  service_->Poke();  // still stale: nothing new
  Write(fs::path(root_) / "a.txt", "a");
  service_->OnFilesClosed({root_ + "/a.txt"});
  ASSERT_TRUE(WaitStored(1));
  const uint64_t checks = service_->metrics().stale_checks;
  service_->Poke();  // fresh now: re-armed
  ASSERT_TRUE(
      service_->WaitFor([&](const BackupMetrics& m) { return m.stale_checks > checks; }, kWaitMs));
  EXPECT_EQ(sink_.Events("backup.stale").size(), 1u);
  clock_.AdvanceMs(61'000);
  service_->Poke();
  ASSERT_TRUE(sink_.WaitEvents("backup.stale", 2));
  stale = sink_.Events("backup.stale");
  EXPECT_EQ(stale.size(), 2u);
  EXPECT_NE(stale[1].event.message.find("since " + FormatRfc3339(clock_.NowMs() - 61'000)),
            std::string::npos)
      << stale[1].event.message;
}

TEST_F(BackupServiceTest, BoundedQueueDropsAndTheReconcileFindsTheRest) {
  for (int i = 0; i < 12; ++i) {
    Write(fs::path(root_) / (std::string("f") + std::to_string(i)), std::to_string(i));
  }
  BackupServiceOptions options;
  options.watch = false;
  options.max_queued = 4;
  Start(store_, SystemClock::Instance(), options);
  uint64_t max_depth = 0;
  ASSERT_TRUE(service_->WaitFor(
      [&](const BackupMetrics& m) {
        max_depth = std::max(max_depth, m.queue_depth);
        return m.files_stored >= 12 && m.queue_depth == 0;
      },
      kWaitMs));
  EXPECT_LE(max_depth, 4u);
  EXPECT_GE(service_->metrics().reconciles, 2u);  // the start-up scan could not queue them all
  auto versions = Versions();
  EXPECT_EQ(versions.size(), 12u);
  for (const auto& [path, list] : versions) EXPECT_EQ(list.size(), 1u) << path;
}

}  // namespace
}  // namespace beacon::agent::backup
