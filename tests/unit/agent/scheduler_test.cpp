// Scheduler: a failing input (error or exception) never stops another; one agent.input.error
// event per failure streak; the threaded loop keeps gathering the healthy input.
#include "agent/inputs/scheduler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace beacon::agent::inputs {
namespace {

class CountingInput : public Input {
 public:
  std::string name() const override { return "counting"; }
  std::vector<MetricSpec> metrics() const override {
    return {{"test.gathers", "count", "gathers so far", MetricType::kCounter, {}}};
  }
  Status Init(config::Node) override { return Status::Ok(); }
  Status Gather(Emitter& emitter) override {
    emitter.AddSample("test.gathers", static_cast<double>(++gathers));
    return Status::Ok();
  }
  std::atomic<int> gathers{0};
};

// Fails as told: "throw", "error:<message>", or "" (succeeds).
class FlakyInput : public Input {
 public:
  std::string name() const override { return "flaky"; }
  std::vector<MetricSpec> metrics() const override { return {}; }
  Status Init(config::Node) override { return Status::Ok(); }
  Status Gather(Emitter& emitter) override {
    ++gathers;
    std::string mode = *std::atomic_load(&behaviour);
    if (mode == "throw") throw std::runtime_error("boom");
    if (mode.rfind("error:", 0) == 0) {
      emitter.AddSample("flaky.partial", 1);  // emitted before failing: still stored
      return Status::IoError(mode.substr(6));
    }
    return Status::Ok();
  }
  void Set(std::string mode) {
    std::atomic_store(&behaviour, std::make_shared<const std::string>(std::move(mode)));
  }
  std::shared_ptr<const std::string> behaviour = std::make_shared<const std::string>("");
  std::atomic<int> gathers{0};
};

struct Sink {
  Status operator()(std::vector<wire::Record> records) {
    std::lock_guard lock(mu);
    for (auto& r : records) all.push_back(std::move(r));
    cv.notify_all();
    return Status::Ok();
  }
  int Events(const std::string& kind) {
    std::lock_guard lock(mu);
    int n = 0;
    for (const auto& r : all) n += r.type == wire::RecordType::kEvent && r.event.kind == kind;
    return n;
  }
  int Samples(const std::string& metric) {
    std::lock_guard lock(mu);
    int n = 0;
    for (const auto& r : all) n += r.type == wire::RecordType::kSample && r.sample.metric == metric;
    return n;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<wire::Record> all;
};

TEST(Scheduler, FailingInputDoesNotStopOthersAndReportsOncePerStreak) {
  FakeClock clock;
  auto good = std::make_shared<CountingInput>();
  auto flaky = std::make_shared<FlakyInput>();
  Sink sink;
  Scheduler scheduler(
      {{"counting", 1000, good, ""}, {"flaky", 1000, flaky, ""}},
      [&sink](std::vector<wire::Record> r) { return sink(std::move(r)); }, clock);

  flaky->Set("throw");
  EXPECT_EQ(scheduler.GatherOnce(1).code(), StatusCode::kInternal);
  EXPECT_TRUE(scheduler.GatherOnce(0).ok());
  EXPECT_EQ(scheduler.GatherOnce(1).message(), "exception: boom");
  flaky->Set("error:disk gone");
  EXPECT_EQ(scheduler.GatherOnce(1).message(), "disk gone");
  EXPECT_TRUE(scheduler.GatherOnce(0).ok());
  // One streak so far, however the error changed within it.
  EXPECT_EQ(sink.Events("agent.input.error"), 1);
  EXPECT_EQ(sink.Samples("test.gathers"), 2);
  EXPECT_EQ(sink.Samples("flaky.partial"), 1);
  {
    std::lock_guard lock(sink.mu);
    for (const auto& r : sink.all) {
      if (r.type != wire::RecordType::kEvent) continue;
      EXPECT_EQ(r.event.subject, "flaky");
      EXPECT_EQ(r.event.severity, "warning");
      EXPECT_EQ(r.event.data["error"], "exception: boom");
    }
  }

  flaky->Set("");
  EXPECT_TRUE(scheduler.GatherOnce(1).ok());
  flaky->Set("error:again");
  EXPECT_FALSE(scheduler.GatherOnce(1).ok());
  EXPECT_EQ(sink.Events("agent.input.error"), 2);  // a new streak
}

TEST(Scheduler, ThreadsKeepGatheringHealthyInputWhileAnotherThrows) {
  FakeClock clock;
  auto good = std::make_shared<CountingInput>();
  auto flaky = std::make_shared<FlakyInput>();
  flaky->Set("throw");
  Sink sink;
  Scheduler scheduler(
      {{"flaky", 1, flaky, ""}, {"counting", 1, good, ""}},
      [&sink](std::vector<wire::Record> r) { return sink(std::move(r)); }, clock);
  scheduler.Start();
  {
    std::unique_lock lock(sink.mu);
    bool done = sink.cv.wait_for(lock, std::chrono::seconds(30), [&] {
      return good->gathers.load() >= 5 && flaky->gathers.load() >= 5;
    });
    EXPECT_TRUE(done);
  }
  scheduler.Stop();
  const int gathered = good->gathers.load();
  EXPECT_GE(gathered, 5);
  EXPECT_EQ(sink.Samples("test.gathers"), gathered);
  EXPECT_EQ(sink.Events("agent.input.error"), 1);
}

// A long-running input: Start() gets its own state dir and a sink it may push to from its
// own thread; Stop() comes after the last gather. A Start() failure is reported, not fatal.
class WatcherInput : public Input {
 public:
  explicit WatcherInput(bool fail_start) : fail_start_(fail_start) {}
  std::string name() const override { return "watcher"; }
  std::vector<MetricSpec> metrics() const override { return {}; }
  Status Init(config::Node) override { return Status::Ok(); }
  Status Gather(Emitter&) override { return Status::Ok(); }
  Status Start(const InputContext& context, RecordSink sink) override {
    state_dir = context.state_dir;
    if (fail_start_) return Status::IoError("inotify_init1: too many open files");
    wire::Record r;
    r.type = wire::RecordType::kEvent;
    r.event.kind = "watch.started";
    std::vector<wire::Record> records;
    records.push_back(std::move(r));
    return sink(std::move(records));
  }
  void Stop() override { stopped = true; }
  std::string state_dir;
  std::atomic<bool> stopped{false};

 private:
  bool fail_start_;
};

TEST(Scheduler, StartsLongRunningInputsWithStateDirAndStopsThem) {
  FakeClock clock;
  auto dir =
      std::filesystem::temp_directory_path() / ("beacon-sched-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto ok = std::make_shared<WatcherInput>(false);
  auto broken = std::make_shared<WatcherInput>(true);
  Sink sink;
  {
    Scheduler scheduler(
        {{"watcher", 60'000, ok, (dir / "inputs" / "watcher").string()},
         {"broken", 60'000, broken, ""}},
        [&sink](std::vector<wire::Record> r) { return sink(std::move(r)); }, clock);
    scheduler.Start();
    EXPECT_TRUE(std::filesystem::is_directory(dir / "inputs" / "watcher"));
    EXPECT_EQ(ok->state_dir, (dir / "inputs" / "watcher").string());
    EXPECT_EQ(sink.Events("watch.started"), 1);
    EXPECT_EQ(sink.Events("agent.input.error"), 1);  // broken's Start()
    scheduler.Stop();
    EXPECT_TRUE(ok->stopped);
    EXPECT_FALSE(broken->stopped) << "Stop() is only for inputs whose Start() succeeded";
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace beacon::agent::inputs
