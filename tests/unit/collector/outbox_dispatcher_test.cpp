// Dispatcher against a real AlertStore in a temp file and a scripted notifier: delivery and
// marking, backoff bounds, retry_after, permanent failure, give-up, unconfigured receivers,
// split-message resume, storm summaries within a rate limit (also across a restart),
// independent receivers, and the worker pool woken by Wake().
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/outbox/dispatcher.h"
#include "common/clock.h"
#include "notifier/notifier.h"

namespace beacon::collector::outbox {
namespace {

using alerts::AlertStore;
using alerts::Delivery;
using alerts::DeliveryState;
using alerts::OutboxConfig;
using notifier::DeliveryOutcome;
using notifier::DeliveryResult;
using notifier::Notification;
using notifier::NotificationKind;
using notifier::RateLimit;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMinute = 60'000;

// Records every notification it is handed and answers with the queued results (then
// kDelivered). `parts` is how many messages a notification takes.
class ScriptedNotifier : public notifier::Notifier {
 public:
  explicit ScriptedNotifier(const Clock& clock, RateLimit limit = {}, int parts = 1)
      : clock_(clock), limit_(limit), parts_(parts) {}

  DeliveryResult Deliver(const Notification& notification) override {
    std::unique_lock<std::mutex> lock(mu_);
    received_.push_back(notification);
    sent_ms_.push_back(clock_.NowMs());
    cv_.notify_all();
    cv_.wait(lock, [&] { return !blocked_; });
    DeliveryResult result;
    result.parts_done = parts_;
    if (!script_.empty()) {
      result = script_.front();
      script_.pop_front();
    } else if (always_) {
      result = *always_;
    }
    return result;
  }
  int MessageCount(const Notification& notification) const override {
    return std::max(1, parts_ - notification.parts_done);
  }
  RateLimit rate_limit() const override { return limit_; }
  std::string type() const override { return "scripted"; }

  void Queue(DeliveryResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(result));
  }
  void Always(DeliveryResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    always_ = std::move(result);
  }
  // While blocked, Deliver holds the notification (a receiver that hangs).
  void SetBlocked(bool blocked) {
    std::lock_guard<std::mutex> lock(mu_);
    blocked_ = blocked;
    cv_.notify_all();
  }
  std::vector<Notification> received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  std::vector<int64_t> sent_ms() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_ms_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.size();
  }
  bool WaitForCount(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return received_.size() >= count; });
  }

 private:
  const Clock& clock_;
  const RateLimit limit_;
  const int parts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<DeliveryResult> script_;
  std::optional<DeliveryResult> always_;
  bool blocked_ = false;
  std::vector<Notification> received_;
  std::vector<int64_t> sent_ms_;
};

DeliveryResult Retry(std::string error, int64_t retry_after_ms = 0, int parts_done = 0) {
  DeliveryResult r;
  r.outcome = DeliveryOutcome::kRetry;
  r.error = std::move(error);
  r.retry_after_ms = retry_after_ms;
  r.parts_done = parts_done;
  return r;
}

DeliveryResult Permanent(std::string error) {
  DeliveryResult r;
  r.outcome = DeliveryOutcome::kPermanent;
  r.error = std::move(error);
  return r;
}

std::vector<int64_t> AlertIds(const Notification& n) {
  std::vector<int64_t> ids;
  for (const auto& a : n.alerts) ids.push_back(a.id);
  return ids;
}

int64_t Covered(const Notification& n) {
  return n.kind == NotificationKind::kSummary ? n.total_alerts
                                              : static_cast<int64_t>(n.alerts.size());
}

class OutboxDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("outbox_dispatcher_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = AlertStore::Open((dir_ / "alerts.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    config_.workers = 2;
    config_.retry_initial_ms = 2'000;
    config_.retry_max_ms = 8'000;
    config_.give_up_after_ms = 3'600'000;
    config_.summary_after = 3;
    config_.summary_titles = 10;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Dispatcher> MakeDispatcher(std::map<std::string, notifier::Notifier*> receivers,
                                             const Clock& clock) {
    return std::make_unique<Dispatcher>(*store_, std::move(receivers), clock, config_,
                                        [this] { return uniform_(rng_); });
  }

  // A new firing alert in its own group (wait 0) for the receiver, flushed into one outbox row.
  int64_t QueueAlert(const std::string& receiver, int64_t now_ms) {
    const int n = ++alerts_made_;
    alerts::AlertInput input;
    input.source = "api";
    input.receipt_key = "test:" + std::to_string(n);
    input.external_id = std::to_string(n);
    input.fingerprint =
        alerts::Fingerprint("api", "host-" + std::to_string(n % 7), "kind", std::to_string(n));
    input.severity = notifier::Severity::kHigh;
    input.host = "host-" + std::to_string(n % 7);
    input.title = "disk full " + std::to_string(n);
    input.message = "only 1% left";
    alerts::GroupRef group;
    group.route = "all";
    group.receiver = receiver;
    group.group_key = "fingerprint=" + input.fingerprint;
    group.timing.wait_ms = 0;
    group.timing.interval_ms = kMinute;
    group.timing.repeat_ms = 0;
    auto recorded = store_->Record(input, {group}, now_ms);
    EXPECT_TRUE(recorded.ok()) << recorded.status().ToString();
    if (!recorded.ok()) return 0;
    EXPECT_EQ(recorded->outcome, alerts::RecordOutcome::kNew);
    FlushDue(now_ms);
    return recorded->alert_id;
  }

  void FlushDue(int64_t now_ms) {
    auto due = store_->DueGroups(now_ms, 100000);
    ASSERT_TRUE(due.ok()) << due.status().ToString();
    for (int64_t group : *due) {
      auto row =
          store_->FlushGroup(group, now_ms, [](const notifier::AlertView&) { return false; });
      ASSERT_TRUE(row.ok()) << row.status().ToString();
    }
  }

  std::vector<Delivery> Deliveries(DeliveryState state) {
    auto list = store_->ListDeliveries(state, 100000);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    return list.ok() ? *list : std::vector<Delivery>{};
  }

  int RunOnce(Dispatcher& dispatcher, int64_t now_ms) {
    auto acted = dispatcher.RunOnce(now_ms);
    EXPECT_TRUE(acted.ok()) << acted.status().ToString();
    return acted.ok() ? *acted : -1;
  }

  std::filesystem::path dir_;
  std::unique_ptr<AlertStore> store_;
  OutboxConfig config_;
  std::mt19937 rng_{12345};
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  int alerts_made_ = 0;
};

TEST_F(OutboxDispatcherTest, DeliversOnceAndMarksDelivered) {
  FakeClock clock(kT0);
  ScriptedNotifier robot(clock);
  auto dispatcher = MakeDispatcher({{"robot", &robot}}, clock);
  const int64_t alert_id = QueueAlert("robot", kT0);

  EXPECT_EQ(RunOnce(*dispatcher, kT0), 1);
  ASSERT_EQ(robot.count(), 1u);
  const Notification got = robot.received()[0];
  EXPECT_EQ(got.receiver, "robot");
  EXPECT_EQ(got.kind, NotificationKind::kGroup);
  EXPECT_EQ(AlertIds(got), std::vector<int64_t>{alert_id});

  const auto delivered = Deliveries(DeliveryState::kDelivered);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].id, got.id);
  EXPECT_EQ(delivered[0].delivered_ms, kT0);
  EXPECT_TRUE(Deliveries(DeliveryState::kPending).empty());
  auto alert = store_->GetAlert(alert_id);
  ASSERT_TRUE(alert.ok());
  ASSERT_EQ(alert->deliveries.size(), 1u);
  EXPECT_EQ(alert->deliveries[0].state, DeliveryState::kDelivered);

  // Nothing left: later runs send nothing again.
  clock.AdvanceMs(kMinute);
  EXPECT_EQ(RunOnce(*dispatcher, clock.NowMs()), 0);
  EXPECT_EQ(robot.count(), 1u);
  const DispatcherStats stats = dispatcher->stats();
  EXPECT_EQ(stats.receivers.at("robot").delivered, 1);
  EXPECT_EQ(stats.receivers.at("robot").failed, 0);
  EXPECT_EQ(stats.messages_sent, 1);
}

TEST_F(OutboxDispatcherTest, SeparateGroupNotificationsGoOutInCreationOrder) {
  FakeClock clock(kT0);
  ScriptedNotifier robot(clock);
  auto dispatcher = MakeDispatcher({{"robot", &robot}}, clock);
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(QueueAlert("robot", kT0));  // == summary_after

  while (RunOnce(*dispatcher, kT0) > 0) {
  }
  const auto got = robot.received();
  ASSERT_EQ(got.size(), 3u);  // not merged: the receiver is not behind
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].kind, NotificationKind::kGroup);
    EXPECT_EQ(AlertIds(got[i]), std::vector<int64_t>{ids[i]});
  }
}

TEST_F(OutboxDispatcherTest, RetriesTheSameNotificationWithGrowingBoundedBackoff) {
  FakeClock clock(kT0);
  ScriptedNotifier app(clock);
  for (int i = 0; i < 5; ++i) app.Queue(Retry("errcode -1: system busy"));
  auto dispatcher = MakeDispatcher({{"app", &app}}, clock);
  const int64_t alert_id = QueueAlert("app", kT0);

  int64_t now = kT0;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    ASSERT_EQ(RunOnce(*dispatcher, now), 1) << "attempt " << attempt;
    const auto pending = Deliveries(DeliveryState::kPending);
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].last_error, "errcode -1: system busy");
    const int64_t backoff = std::min<int64_t>(8'000, 2'000LL << (attempt - 1));
    const int64_t delay = pending[0].next_try_ms - now;
    EXPECT_GE(delay, backoff / 2) << "attempt " << attempt;
    EXPECT_LE(delay, backoff) << "attempt " << attempt;
    // Not due yet: nothing is sent, and nothing newer overtakes it.
    QueueAlert("app", now);
    EXPECT_EQ(RunOnce(*dispatcher, pending[0].next_try_ms - 1), 0);
    EXPECT_EQ(app.count(), static_cast<size_t>(attempt));
    now = pending[0].next_try_ms;
    clock.SetMs(now);
  }
  ASSERT_EQ(RunOnce(*dispatcher, now), 1);
  const auto got = app.received();
  ASSERT_EQ(got.size(), 6u);
  for (const auto& n : got) {  // exactly the stored notification every time
    EXPECT_EQ(n.id, got[0].id);
    EXPECT_EQ(AlertIds(n), std::vector<int64_t>{alert_id});
  }
  const auto delivered = Deliveries(DeliveryState::kDelivered);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].id, got[0].id);
  EXPECT_EQ(dispatcher->stats().receivers.at("app").retried, 5);
  EXPECT_EQ(dispatcher->stats().receivers.at("app").delivered, 1);
  // The rows queued meanwhile follow (merged: 5 > summary_after).
  ASSERT_EQ(RunOnce(*dispatcher, now), 1);
  EXPECT_EQ(app.received().back().kind, NotificationKind::kSummary);
  EXPECT_EQ(app.received().back().total_alerts, 5);
}

TEST_F(OutboxDispatcherTest, RetryAfterOfTheReceiverIsAMinimum) {
  FakeClock clock(kT0);
  ScriptedNotifier app(clock);
  app.Queue(Retry("errcode 45009: api freq out of limit", 90'000));
  auto dispatcher = MakeDispatcher({{"app", &app}}, clock);
  QueueAlert("app", kT0);

  ASSERT_EQ(RunOnce(*dispatcher, kT0), 1);
  const auto pending = Deliveries(DeliveryState::kPending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_GE(pending[0].next_try_ms, kT0 + 90'000);
  EXPECT_LE(pending[0].next_try_ms, kT0 + 90'000 + 2'000);
  EXPECT_EQ(RunOnce(*dispatcher, kT0 + 89'999), 0);
  EXPECT_EQ(app.count(), 1u);
  EXPECT_EQ(RunOnce(*dispatcher, pending[0].next_try_ms), 1);
  EXPECT_EQ(app.count(), 2u);
  EXPECT_EQ(Deliveries(DeliveryState::kDelivered).size(), 1u);
}

TEST_F(OutboxDispatcherTest, PermanentErrorFailsAtOnceAndTheNextDeliveryStillGoes) {
  FakeClock clock(kT0);
  ScriptedNotifier app(clock);
  app.Queue(Permanent("errcode 60020: not allow to access from your ip"));
  auto dispatcher = MakeDispatcher({{"app", &app}}, clock);
  const int64_t first = QueueAlert("app", kT0);

  ASSERT_EQ(RunOnce(*dispatcher, kT0), 1);
  const auto failed = Deliveries(DeliveryState::kFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].last_error, "errcode 60020: not allow to access from your ip");
  EXPECT_EQ(AlertIds(failed[0].notification), std::vector<int64_t>{first});
  EXPECT_TRUE(Deliveries(DeliveryState::kPending).empty());
  EXPECT_EQ(RunOnce(*dispatcher, kT0 + 3'600'000), 0);  // never retried by itself
  EXPECT_EQ(app.count(), 1u);

  const int64_t second = QueueAlert("app", kT0 + 3'600'000);
  ASSERT_EQ(RunOnce(*dispatcher, kT0 + 3'600'000), 1);
  EXPECT_EQ(AlertIds(app.received().back()), std::vector<int64_t>{second});
  EXPECT_EQ(dispatcher->stats().receivers.at("app").failed, 1);
  EXPECT_EQ(dispatcher->stats().receivers.at("app").delivered, 1);
}

TEST_F(OutboxDispatcherTest, GivesUpAfterGiveUpAfterWithTheLastError) {
  config_.give_up_after_ms = 60'000;
  FakeClock clock(kT0);
  ScriptedNotifier app(clock);
  app.Always(Retry("HTTP 502 from qyapi.weixin.qq.com"));
  auto dispatcher = MakeDispatcher({{"app", &app}}, clock);
  QueueAlert("app", kT0);

  int64_t now = kT0;
  for (int i = 0; i < 100 && Deliveries(DeliveryState::kFailed).empty(); ++i) {
    ASSERT_EQ(RunOnce(*dispatcher, now), 1);
    const auto pending = Deliveries(DeliveryState::kPending);
    if (pending.empty()) break;
    EXPECT_LT(now - kT0, 60'000) << "still pending after give_up_after";
    now = pending[0].next_try_ms;
    clock.SetMs(now);
  }
  const auto failed = Deliveries(DeliveryState::kFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].last_error.find("HTTP 502 from qyapi.weixin.qq.com"), std::string::npos)
      << failed[0].last_error;
  EXPECT_GE(now - kT0, 60'000);
  // 60 s of backoff 1-2 s, 2-4 s, then at most 8 s: more than 8 attempts, fewer than 60.
  EXPECT_GT(app.count(), 8u);
  EXPECT_LT(app.count(), 60u);
  const size_t attempts = app.count();
  EXPECT_EQ(RunOnce(*dispatcher, now + kMinute), 0);
  EXPECT_EQ(app.count(), attempts);
}

TEST_F(OutboxDispatcherTest, UnconfiguredReceiverFailsItsRowsWithAReason) {
  FakeClock clock(kT0);
  ScriptedNotifier console(clock);
  auto dispatcher = MakeDispatcher({{"console", &console}}, clock);
  const int64_t gone_alert = QueueAlert("old-robot", kT0);
  QueueAlert("old-robot", kT0);
  QueueAlert("console", kT0);

  while (RunOnce(*dispatcher, kT0) > 0) {
  }
  EXPECT_EQ(console.count(), 1u);
  const auto failed = Deliveries(DeliveryState::kFailed);
  ASSERT_FALSE(failed.empty());
  int64_t covered = 0;
  for (const auto& d : failed) {
    EXPECT_EQ(d.receiver, "old-robot");
    EXPECT_EQ(d.last_error, "receiver old-robot is no longer configured");
    covered += d.rows;
  }
  EXPECT_EQ(covered, 2);
  auto alert = store_->GetAlert(gone_alert);
  ASSERT_TRUE(alert.ok());
  ASSERT_EQ(alert->deliveries.size(), 1u);
  EXPECT_EQ(alert->deliveries[0].state, DeliveryState::kFailed);
  auto active = store_->ActiveReceivers();
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->empty());
}

TEST_F(OutboxDispatcherTest, RetryResumesAfterThePartsAlreadyDelivered) {
  FakeClock clock(kT0);
  ScriptedNotifier app(clock, RateLimit{}, /*parts=*/4);
  app.Queue(Retry("HTTP 503 on part 3", 0, /*parts_done=*/2));
  auto dispatcher = MakeDispatcher({{"app", &app}}, clock);
  QueueAlert("app", kT0);

  ASSERT_EQ(RunOnce(*dispatcher, kT0), 1);
  const auto pending = Deliveries(DeliveryState::kPending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].notification.parts_done, 2);
  clock.SetMs(pending[0].next_try_ms);
  ASSERT_EQ(RunOnce(*dispatcher, clock.NowMs()), 1);
  const auto got = app.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].parts_done, 0);
  EXPECT_EQ(got[1].parts_done, 2);
  EXPECT_EQ(got[1].id, got[0].id);
  EXPECT_EQ(Deliveries(DeliveryState::kDelivered).size(), 1u);
  // 2 parts in the failed attempt, the other 2 in the retry.
  EXPECT_EQ(dispatcher->stats().messages_sent, 4);
}

// The most sends inside any half-open window [s, s + window_ms).
int MaxInAnyWindow(std::vector<int64_t> sends, int64_t window_ms) {
  std::sort(sends.begin(), sends.end());
  int most = 0;
  for (size_t i = 0; i < sends.size(); ++i) {
    const auto end = std::lower_bound(sends.begin(), sends.end(), sends[i] + window_ms);
    most = std::max(most, static_cast<int>(end - (sends.begin() + static_cast<int64_t>(i))));
  }
  return most;
}

TEST_F(OutboxDispatcherTest, StormIsSummarisedWithinTheRateLimitAcrossARestart) {
  FakeClock clock(kT0);
  ScriptedNotifier robot(clock, RateLimit{20, kMinute});
  auto dispatcher = MakeDispatcher({{"robot", &robot}}, clock);

  // 1,000 alerts, one every 10 ms, each its own group; the dispatcher restarts at 5 s.
  int queued = 0;
  for (int64_t now = kT0; now <= kT0 + 10 * kMinute; now += (queued < 1000 ? 10 : 250)) {
    clock.SetMs(now);
    if (queued < 1000) {
      QueueAlert("robot", now);
      ++queued;
    }
    if (now == kT0 + 5'000) dispatcher = MakeDispatcher({{"robot", &robot}}, clock);
    while (RunOnce(*dispatcher, now) > 0) {
    }
  }

  const auto got = robot.received();
  const auto sent_ms = robot.sent_ms();
  EXPECT_LE(MaxInAnyWindow(sent_ms, kMinute), 20);
  int64_t covered = 0;
  int summaries = 0;
  std::set<int64_t> listed;
  for (const auto& n : got) {
    covered += Covered(n);
    if (n.kind == NotificationKind::kSummary) {
      ++summaries;
      EXPECT_LE(n.alerts.size(), 10u);  // summary_titles
      EXPECT_EQ(n.firing + n.resolved, n.total_alerts);
    }
    for (int64_t id : AlertIds(n)) EXPECT_TRUE(listed.insert(id).second) << "alert #" << id;
  }
  EXPECT_EQ(covered, 1000);
  EXPECT_GE(summaries, 1);
  // 10 minutes allow at most 10 full windows of 20 messages (plus the one opening at 10 min).
  EXPECT_LE(got.size(), 220u);
  EXPECT_EQ(robot.count(), got.size());
  alerts::AlertQuery undelivered;
  undelivered.undelivered_only = true;
  undelivered.limit = 2000;
  auto left = store_->ListAlerts(undelivered);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_TRUE(left->empty()) << left->size() << " alerts not delivered";
  EXPECT_TRUE(Deliveries(DeliveryState::kFailed).empty());
}

TEST_F(OutboxDispatcherTest, RestartedDispatcherHonoursSendsAlreadyInTheWindow) {
  FakeClock clock(kT0);
  ScriptedNotifier robot(clock, RateLimit{3, kMinute});
  {
    auto first = MakeDispatcher({{"robot", &robot}}, clock);
    for (int i = 0; i < 3; ++i) {
      QueueAlert("robot", clock.NowMs());
      ASSERT_EQ(RunOnce(*first, clock.NowMs()), 1);
      clock.AdvanceMs(1'000);
    }
  }
  ASSERT_EQ(robot.count(), 3u);
  auto second = MakeDispatcher({{"robot", &robot}}, clock);
  QueueAlert("robot", clock.NowMs());
  EXPECT_EQ(RunOnce(*second, clock.NowMs()), 0);
  EXPECT_EQ(RunOnce(*second, kT0 + kMinute - 1), 0);
  EXPECT_EQ(robot.count(), 3u);
  ASSERT_TRUE(second->NextDueMs().has_value());
  EXPECT_EQ(*second->NextDueMs(), kT0 + kMinute);
  clock.SetMs(kT0 + kMinute);
  EXPECT_EQ(RunOnce(*second, kT0 + kMinute), 1);
  EXPECT_EQ(robot.count(), 4u);
}

TEST_F(OutboxDispatcherTest, SplitMessageWaitsForRoomForAllItsPartsAndIsClampedToTheLimit) {
  FakeClock clock(kT0);
  ScriptedNotifier robot(clock, RateLimit{3, kMinute}, /*parts=*/2);
  auto dispatcher = MakeDispatcher({{"robot", &robot}}, clock);
  QueueAlert("robot", kT0);
  ASSERT_EQ(RunOnce(*dispatcher, kT0), 1);  // 2 of 3 messages used

  const int64_t second = QueueAlert("robot", kT0 + 1'000);
  RunOnce(*dispatcher, kT0 + 1'000);  // 1 left: the 2-part message must wait
  EXPECT_EQ(robot.count(), 1u);
  ASSERT_TRUE(dispatcher->NextDueMs().has_value());
  EXPECT_EQ(*dispatcher->NextDueMs(), kT0 + kMinute);
  EXPECT_EQ(RunOnce(*dispatcher, kT0 + kMinute - 1), 0);
  clock.SetMs(kT0 + kMinute);
  ASSERT_EQ(RunOnce(*dispatcher, kT0 + kMinute), 1);
  ASSERT_EQ(robot.count(), 2u);
  EXPECT_EQ(AlertIds(robot.received()[1]), std::vector<int64_t>{second});

  // A message longer than the whole limit still goes out, in an otherwise empty window.
  FakeClock clock2(kT0 + 10 * kMinute);
  ScriptedNotifier long_robot(clock2, RateLimit{3, kMinute}, /*parts=*/5);
  auto dispatcher2 = MakeDispatcher({{"long", &long_robot}}, clock2);
  QueueAlert("long", clock2.NowMs());
  ASSERT_EQ(RunOnce(*dispatcher2, clock2.NowMs()), 1);
  QueueAlert("long", clock2.NowMs());
  EXPECT_EQ(RunOnce(*dispatcher2, clock2.NowMs() + kMinute - 1), 0);
  EXPECT_EQ(long_robot.count(), 1u);
  clock2.AdvanceMs(kMinute);
  EXPECT_EQ(RunOnce(*dispatcher2, clock2.NowMs()), 1);
  EXPECT_EQ(long_robot.count(), 2u);
  EXPECT_EQ(Deliveries(DeliveryState::kDelivered).size(), 4u);
}

TEST_F(OutboxDispatcherTest, FailingReceiverDoesNotDelayAnother) {
  FakeClock clock(kT0);
  ScriptedNotifier broken(clock);
  broken.Always(Retry("connection refused"));
  ScriptedNotifier healthy(clock);
  auto dispatcher = MakeDispatcher({{"broken", &broken}, {"healthy", &healthy}}, clock);

  int64_t now = kT0;
  for (int i = 0; i < 20; ++i) {
    QueueAlert("broken", now);
    QueueAlert("healthy", now);
    while (RunOnce(*dispatcher, now) > 0) {
    }
    now += 500;
    clock.SetMs(now);
  }
  const auto got = healthy.received();
  ASSERT_EQ(got.size(), 20u);  // one per row, as each was queued
  for (const auto& n : got) EXPECT_EQ(n.kind, NotificationKind::kGroup);
  // The broken one kept retrying its first delivery only.
  for (const auto& n : broken.received()) EXPECT_EQ(n.id, broken.received()[0].id);
  EXPECT_GE(broken.count(), 2u);
  EXPECT_EQ(dispatcher->stats().receivers.at("healthy").delivered, 20);
}

TEST_F(OutboxDispatcherTest, WorkersDeliverAfterWakeWhileAnotherReceiverHangs) {
  ScriptedNotifier hanging(SystemClock::Instance());
  hanging.SetBlocked(true);
  ScriptedNotifier console(SystemClock::Instance());
  auto dispatcher =
      MakeDispatcher({{"hanging", &hanging}, {"console", &console}}, SystemClock::Instance());
  dispatcher->Start();

  QueueAlert("hanging", SystemClock::Instance().NowMs());
  dispatcher->Wake();
  ASSERT_TRUE(hanging.WaitForCount(1));  // one worker is now stuck in Deliver

  const int64_t alert_id = QueueAlert("console", SystemClock::Instance().NowMs());
  dispatcher->Wake();
  ASSERT_TRUE(console.WaitForCount(1));
  EXPECT_EQ(AlertIds(console.received()[0]), std::vector<int64_t>{alert_id});

  hanging.SetBlocked(false);
  dispatcher->Stop();
  EXPECT_EQ(hanging.count(), 1u);  // never two deliveries in flight for one receiver
  EXPECT_EQ(Deliveries(DeliveryState::kDelivered).size(), 2u);
  EXPECT_TRUE(Deliveries(DeliveryState::kPending).empty());
}

}  // namespace
}  // namespace beacon::collector::outbox
