// The fim input in realtime mode: inotify-driven events for each kind of change, new directory
// trees found whole, and a kernel queue overflow answered by a full check that loses nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include "agent/inputs/fim/fim.h"
#include "common/clock.h"

namespace beacon::agent::inputs {
namespace {

namespace fs = std::filesystem;

class FimRealtimeTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() / ("beacon-fim-rt-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "tree" / "conf");
    fs::create_directories(root_ / "tree" / "bulk");
    fs::create_directories(root_ / "state");
    std::ofstream(P("conf/a.conf")) << "alpha\n";
    std::ofstream(P("conf/b.conf")) << "bravo\n";
    std::ofstream(P("conf/c.conf")) << "charlie\n";
    fs::permissions(P("conf/a.conf"), fs::perms(0644));
  }
  void TearDown() override {
    if (input_) input_->Stop();
    fs::remove_all(root_);
  }
  std::string P(const std::string& rel) const { return (root_ / "tree" / rel).string(); }

  void StartInput(fim::OpenForHash open = nullptr) {
    input_ = std::make_unique<FimInput>(std::move(open));
    auto doc = config::Document::LoadString(
        "fim:\n  enabled: true\n  workers: 2\n  paths: [" + (root_ / "tree").string() + "]\n",
        "t.yaml");
    ASSERT_TRUE(doc.ok());
    ASSERT_TRUE(input_->Init((*doc)->root().Child("fim")).ok());
    ASSERT_TRUE((*doc)->Finish().ok());
    auto sink = [this](std::vector<wire::Record> records) {
      std::lock_guard lock(mu_);
      for (auto& r : records) records_.push_back(std::move(r));
      cv_.notify_all();
      return Status::Ok();
    };
    ASSERT_TRUE(input_->Start({(root_ / "state").string(), &clock_}, sink).ok());
    Emitter emitter(clock_);
    ASSERT_TRUE(input_->Gather(emitter).ok());  // builds the baseline
  }

  // Waits (bounded, so a regression fails instead of hanging) until `done` holds for the
  // records sunk so far.
  bool WaitFor(const std::function<bool(const std::vector<wire::Record>&)>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return done(records_); });
  }
  static const wire::Event* EventFor(const std::vector<wire::Record>& records,
                                     const std::string& kind, const std::string& subject,
                                     const std::string& attribute = "") {
    for (const auto& r : records) {
      if (r.type != wire::RecordType::kEvent || r.event.kind != kind ||
          r.event.subject != subject) {
        continue;
      }
      if (attribute.empty() || r.event.data["changes"].contains(attribute)) return &r.event;
    }
    return nullptr;
  }
  std::vector<std::string> ChangedKeys(const std::string& subject, const std::string& attribute) {
    std::lock_guard lock(mu_);
    const wire::Event* e = EventFor(records_, "fim.changed", subject, attribute);
    std::vector<std::string> keys;
    if (e != nullptr) {
      for (const auto& [k, v] : e->data["changes"].items()) keys.push_back(k);
    }
    return keys;
  }

  fs::path root_;
  FakeClock clock_;
  std::unique_ptr<FimInput> input_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<wire::Record> records_;
};

TEST_F(FimRealtimeTest, EachKindOfChangeArrivesWithoutAGather) {
  StartInput();
  // One byte, mtime put back (touch -r).
  struct stat before {};
  ASSERT_EQ(::lstat(P("conf/a.conf").c_str(), &before), 0);
  int fd = ::open(P("conf/a.conf").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "A", 1, 0), 1);
  ::close(fd);
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, P("conf/a.conf").c_str(), times, 0), 0);
  ASSERT_TRUE(WaitFor([&](const auto& r) {
    return EventFor(r, "fim.changed", P("conf/a.conf"), "sha256") != nullptr;
  }));
  EXPECT_EQ(ChangedKeys(P("conf/a.conf"), "sha256"), (std::vector<std::string>{"ctime", "sha256"}));

  fs::permissions(P("conf/b.conf"), fs::perms(0600));
  ASSERT_TRUE(WaitFor([&](const auto& r) {
    return EventFor(r, "fim.changed", P("conf/b.conf"), "mode") != nullptr;
  }));
  EXPECT_EQ(ChangedKeys(P("conf/b.conf"), "mode"), (std::vector<std::string>{"ctime", "mode"}));

  if (::geteuid() == 0) {
    ASSERT_EQ(::lchown(P("conf/c.conf").c_str(), 4321, 4321), 0);
    ASSERT_TRUE(WaitFor([&](const auto& r) {
      return EventFor(r, "fim.changed", P("conf/c.conf"), "uid") != nullptr;
    }));
    EXPECT_EQ(ChangedKeys(P("conf/c.conf"), "uid"),
              (std::vector<std::string>{"ctime", "gid", "uid"}));
  }

  std::ofstream(P("conf/new.conf")) << "new\n";
  fs::remove(P("conf/b.conf"));
  ASSERT_TRUE(WaitFor([&](const auto& r) {
    return EventFor(r, "fim.added", P("conf/new.conf")) != nullptr &&
           EventFor(r, "fim.removed", P("conf/b.conf")) != nullptr;
  }));

  // Replace by rename: same size, same mtime; only inode, ctime and content differ.
  ASSERT_EQ(::lstat(P("conf/c.conf").c_str(), &before), 0);
  std::ofstream(P("conf/.c.tmp")) << "CHARLIE\n";
  const timespec same[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, P("conf/.c.tmp").c_str(), same, 0), 0);
  ASSERT_EQ(::lchown(P("conf/.c.tmp").c_str(), before.st_uid, before.st_gid), 0);
  fs::permissions(P("conf/.c.tmp"), fs::perms(before.st_mode & 07777));
  fs::rename(P("conf/.c.tmp"), P("conf/c.conf"));
  ASSERT_TRUE(WaitFor([&](const auto& r) {
    return EventFor(r, "fim.changed", P("conf/c.conf"), "inode") != nullptr;
  }));
  EXPECT_EQ(ChangedKeys(P("conf/c.conf"), "inode"),
            (std::vector<std::string>{"ctime", "inode", "sha256"}));

  // Realtime moved the baseline forward: the scheduled check has nothing left to report.
  input_->Stop();
  Emitter emitter(clock_);
  FimInput again;
  auto doc = config::Document::LoadString(
      "fim:\n  realtime: false\n  paths: [" + (root_ / "tree").string() + "]\n", "t.yaml");
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(again.Init((*doc)->root().Child("fim")).ok());
  ASSERT_TRUE(again.Start({(root_ / "state").string(), &clock_}, nullptr).ok());
  ASSERT_TRUE(again.Gather(emitter).ok());
  for (const auto& r : emitter.records()) {
    EXPECT_NE(r.type, wire::RecordType::kEvent) << r.event.kind << " " << r.event.subject;
  }
}

TEST_F(FimRealtimeTest, NewDirectoryTreesAreFoundWhole) {
  StartInput();
  std::vector<std::string> files;
  for (int i = 0; i < 5; ++i) {
    const std::string dir = "new" + std::to_string(i) + "/a/b";
    fs::create_directories(P(dir));
    for (int k = 0; k < 5; ++k) {
      files.push_back(P(dir + "/f" + std::to_string(k)));
      std::ofstream(files.back()) << k;
    }
  }
  ASSERT_TRUE(WaitFor([&](const auto& r) {
    for (const auto& f : files) {
      if (EventFor(r, "fim.added", f) == nullptr) return false;
    }
    return true;
  }));
  std::lock_guard lock(mu_);
  for (const auto& f : files) {
    int count = 0;
    for (const auto& r : records_) count += r.event.kind == "fim.added" && r.event.subject == f;
    EXPECT_EQ(count, 1) << f;
  }
}

TEST_F(FimRealtimeTest, QueueOverflowTriggersAFullCheck) {
  int max_queued = 16384;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued;
  const std::string gate = P("conf/a.conf");
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{false};  // armed once the baseline is built
  StartInput([&](const std::string& path) {
    // The first realtime hash of the gate file blocks the watcher so the queue fills up.
    if (path == gate && first.exchange(false)) {
      entered.set_value();
      released.wait();
    }
    return fim::DefaultOpenForHash(path);
  });
  first = true;
  std::ofstream(gate, std::ios::app) << "more\n";
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(60)), std::future_status::ready);

  // Each file makes IN_CREATE, IN_MODIFY and IN_CLOSE_WRITE: well past the queue's capacity.
  const int n = max_queued / 2 + 1000;
  for (int i = 0; i < n; ++i) std::ofstream(P("bulk/f" + std::to_string(i))) << "x";
  release.set_value();

  ASSERT_TRUE(WaitFor([&](const auto& r) {
    int added = 0;
    bool full_check = false;
    for (const auto& rec : r) {
      added += rec.type == wire::RecordType::kEvent && rec.event.kind == "fim.added";
      full_check = full_check ||
                   (rec.type == wire::RecordType::kSample && rec.sample.metric == "fim.changes");
    }
    return full_check && added >= n;
  }));
  std::lock_guard lock(mu_);
  std::set<std::string> added;
  for (const auto& r : records_) {
    if (r.type == wire::RecordType::kEvent && r.event.kind == "fim.added") {
      EXPECT_TRUE(added.insert(r.event.subject).second) << "reported twice: " << r.event.subject;
    }
  }
  EXPECT_EQ(added.size(), static_cast<size_t>(n));
}

}  // namespace
}  // namespace beacon::agent::inputs
