// AlertStore: intake (new, fold, resolve, duplicates, unmatched), group scheduling and flushes
// (changes only, mutes, repeats, silent resolves), the outbox (single rows, summaries, delivery
// states, rate-limit history, restarts), alert queries, silences, stats and thread safety.
#include "collector/alerts/alert_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "collector/alerts/notification_json.h"
#include "common/crypto/crypto.h"
#include "common/mutex.h"
#include "common/store/sqlite.h"

namespace beacon::collector::alerts {
namespace {

using notifier::NotificationKind;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kSec = 1000;
constexpr int64_t kWait = 10 * kSec;
constexpr int64_t kInterval = 60 * kSec;
constexpr int64_t kRepeat = 4 * 3600 * kSec;

AlertInput Firing(const std::string& key, const std::string& subject,
                  const std::string& host = "web-01", Severity severity = Severity::kHigh,
                  const std::string& external_id = "") {
  AlertInput in;
  in.source = "zabbix";
  in.receipt_key = key;
  in.external_id = external_id;
  in.fingerprint = Fingerprint("zabbix", host, "trigger", subject);
  in.status = AlertStatus::kFiring;
  in.severity = severity;
  in.host = host;
  in.title = subject + " on " + host;
  in.message = "problem " + subject;
  in.tags = {{"service", "web"}};
  in.url = "https://zabbix.example/e/" + key;
  in.raw = {{"key", key}};
  return in;
}

AlertInput Resolution(const std::string& key, const std::string& subject,
                      const std::string& host = "web-01", const std::string& external_id = "") {
  AlertInput in = Firing(key, subject, host, Severity::kHigh, external_id);
  in.status = AlertStatus::kResolved;
  return in;
}

GroupRef Ref(const std::string& receiver, const std::string& group_key,
             int64_t repeat_ms = kRepeat) {
  GroupRef ref;
  ref.route = "default";
  ref.receiver = receiver;
  ref.group_key = group_key;
  ref.timing.wait_ms = kWait;
  ref.timing.interval_ms = kInterval;
  ref.timing.repeat_ms = repeat_ms;
  return ref;
}

std::vector<int64_t> Ids(const notifier::Notification& n) {
  std::vector<int64_t> ids;
  for (const AlertView& a : n.alerts) ids.push_back(a.id);
  return ids;
}

class AlertStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("alert_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "sub" / "alerts.db").string();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Reopen() {
    store_.reset();
    Result<std::unique_ptr<AlertStore>> opened = AlertStore::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  RecordResult Record(const AlertInput& in, const std::vector<GroupRef>& groups, int64_t now) {
    Result<RecordResult> r = store_->Record(in, groups, now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RecordResult{-1, RecordOutcome::kDuplicate};
  }

  std::vector<int64_t> Due(int64_t now) {
    Result<std::vector<int64_t>> due = store_->DueGroups(now);
    EXPECT_TRUE(due.ok()) << due.status().ToString();
    return due.ok() ? *due : std::vector<int64_t>{};
  }

  std::optional<int64_t> NextFlush() {
    Result<std::optional<int64_t>> next = store_->NextGroupFlushMs();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    return next.ok() ? *next : std::nullopt;
  }

  std::optional<int64_t> Flush(int64_t group_id, int64_t now,
                               std::function<bool(const AlertView&)> muted = nullptr) {
    Result<std::optional<int64_t>> row = store_->FlushGroup(group_id, now, muted);
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() ? *row : std::nullopt;
  }

  // Flushes every group due at `now`; returns the rows queued.
  int FlushDue(int64_t now, std::function<bool(const AlertView&)> muted = nullptr) {
    int rows = 0;
    for (int64_t id : Due(now)) rows += Flush(id, now, muted).has_value() ? 1 : 0;
    return rows;
  }

  std::optional<Delivery> Take(const std::string& receiver, int64_t now, int max_rows = 0,
                               int max_listed = 20) {
    Result<std::optional<Delivery>> d = store_->CreateDelivery(receiver, now, max_rows, max_listed);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : std::nullopt;
  }

  int64_t Queued(const std::string& receiver) {
    Result<int64_t> n = store_->QueuedRows(receiver);
    EXPECT_TRUE(n.ok());
    return n.value_or(-1);
  }

  StoredAlert Get(int64_t id) {
    Result<StoredAlert> a = store_->GetAlert(id);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : StoredAlert{};
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<AlertStore> store_;
};

TEST(FingerprintTest, IsTheFirstHalfOfSha256OverUnitSeparatedParts) {
  const std::string fp = Fingerprint("zabbix", "web-01", "trigger", "13579");
  EXPECT_EQ(fp, crypto::Sha256Hex("zabbix\x1fweb-01\x1ftrigger\x1f"
                                  "13579")
                    .substr(0, 32));
  EXPECT_EQ(fp, Fingerprint("zabbix", "web-01", "trigger", "13579"));
  // The separator keeps ("a", "bc") and ("ab", "c") apart.
  EXPECT_NE(Fingerprint("agent", "a", "bc", "x"), Fingerprint("agent", "ab", "c", "x"));
  EXPECT_NE(fp, Fingerprint("zabbix", "web-02", "trigger", "13579"));
}

TEST(FingerprintTest, OutcomeAndStateNames) {
  EXPECT_EQ(RecordOutcomeName(RecordOutcome::kNew), "new");
  EXPECT_EQ(RecordOutcomeName(RecordOutcome::kFolded), "folded");
  EXPECT_EQ(RecordOutcomeName(RecordOutcome::kResolved), "resolved");
  EXPECT_EQ(RecordOutcomeName(RecordOutcome::kDuplicate), "duplicate");
  EXPECT_EQ(RecordOutcomeName(RecordOutcome::kUnmatched), "unmatched");
  EXPECT_EQ(DeliveryStateName(DeliveryState::kPending), "pending");
  EXPECT_EQ(DeliveryStateName(DeliveryState::kDelivered), "delivered");
  EXPECT_EQ(DeliveryStateName(DeliveryState::kFailed), "failed");
}

TEST_F(AlertStoreTest, NewAlertFlushesAfterGroupWait) {
  AlertInput in = Firing("zabbix:1:1", "cpu");
  in.event_ms = kT0 - 5 * kSec;
  const RecordResult r = Record(in, {Ref("ops", "host=web-01")}, kT0);
  EXPECT_EQ(r.outcome, RecordOutcome::kNew);
  EXPECT_GT(r.alert_id, 0);
  EXPECT_EQ(NextFlush(), kT0 + kWait);
  EXPECT_TRUE(Due(kT0 + kWait - 1).empty());
  const std::vector<int64_t> due = Due(kT0 + kWait);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(Queued("ops"), 0);
  ASSERT_TRUE(Flush(due[0], kT0 + kWait).has_value());
  EXPECT_EQ(Queued("ops"), 1);
  // Still firing: the next flush is the repeat.
  EXPECT_EQ(NextFlush(), kT0 + kWait + kRepeat);

  std::optional<Delivery> d = Take("ops", kT0 + kWait + 1);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->notification.id, d->id);
  EXPECT_EQ(d->notification.receiver, "ops");
  EXPECT_EQ(d->notification.kind, NotificationKind::kGroup);
  EXPECT_EQ(d->notification.created_ms, kT0 + kWait + 1);
  EXPECT_EQ(d->rows, 1);
  ASSERT_EQ(d->notification.alerts.size(), 1u);
  const AlertView& a = d->notification.alerts[0];
  EXPECT_EQ(a.id, r.alert_id);
  EXPECT_EQ(a.status, AlertStatus::kFiring);
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.title, "cpu on web-01");
  EXPECT_EQ(a.starts_ms, kT0 - 5 * kSec);
  EXPECT_EQ(a.tags.at("service"), "web");
  EXPECT_EQ(d->notification.total_alerts, 1);
  EXPECT_EQ(Queued("ops"), 0);
  EXPECT_FALSE(Take("ops", kT0 + kWait + 2).has_value());
}

TEST_F(AlertStoreTest, FiringReportsOfTheSameProblemFold) {
  const RecordResult first = Record(Firing("k1", "disk"), {Ref("ops", "g")}, kT0);
  AlertInput again = Firing("k2", "disk", "web-01", Severity::kDisaster);
  again.message = "disk now 99%";
  const RecordResult folded = Record(again, {Ref("ops", "g")}, kT0 + kSec);
  EXPECT_EQ(folded.outcome, RecordOutcome::kFolded);
  EXPECT_EQ(folded.alert_id, first.alert_id);
  const StoredAlert a = Get(first.alert_id);
  EXPECT_EQ(a.alert.occurrences, 2);
  EXPECT_EQ(a.alert.message, "disk now 99%");
  EXPECT_EQ(a.alert.severity, Severity::kDisaster);
  EXPECT_EQ(a.received_ms, kT0);
  EXPECT_EQ(a.updated_ms, kT0 + kSec);

  EXPECT_EQ(FlushDue(kT0 + kWait), 1);
  ASSERT_TRUE(Take("ops", kT0 + kWait).has_value());
  // A fold after the notification is counted but notifies nothing.
  EXPECT_EQ(Record(Firing("k3", "disk"), {Ref("ops", "g")}, kT0 + 20 * kSec).outcome,
            RecordOutcome::kFolded);
  EXPECT_TRUE(Due(kT0 + kWait + kRepeat - 1).empty());
  EXPECT_EQ(Queued("ops"), 0);
  EXPECT_EQ(Get(first.alert_id).alert.occurrences, 3);

  // Once resolved, the problem firing again is a new alert with a new notification.
  EXPECT_EQ(Record(Resolution("k4", "disk"), {}, kT0 + 30 * kSec).outcome,
            RecordOutcome::kResolved);
  const RecordResult again_new = Record(Firing("k5", "disk"), {Ref("ops", "g")}, kT0 + 40 * kSec);
  EXPECT_EQ(again_new.outcome, RecordOutcome::kNew);
  EXPECT_NE(again_new.alert_id, first.alert_id);
  EXPECT_EQ(Get(again_new.alert_id).alert.occurrences, 1);
}

TEST_F(AlertStoreTest, ResolutionFindsItsFiringAlert) {
  struct Case {
    const char* name;
    AlertInput firing;
    AlertInput resolution;
    RecordOutcome expected;
  };
  AlertInput other_source = Resolution("r", "other-trigger", "web-01", "500");
  other_source.source = "splunk";
  const std::vector<Case> cases = {
      // Zabbix: the recovery names the problem event; its text may differ.
      {"by source and external id", Firing("f", "cpu", "web-01", Severity::kHigh, "500"),
       Resolution("r", "renamed-trigger", "web-01", "500"), RecordOutcome::kResolved},
      {"by fingerprint", Firing("f", "cpu", "web-01", Severity::kHigh, "500"),
       Resolution("r", "cpu", "web-01", "999"), RecordOutcome::kResolved},
      {"external id of another source", Firing("f", "cpu", "web-01", Severity::kHigh, "500"),
       other_source, RecordOutcome::kUnmatched},
      {"nothing firing", Firing("f", "cpu"), Resolution("r", "memory"), RecordOutcome::kUnmatched},
  };
  int64_t now = kT0;
  int n = 0;
  for (Case c : cases) {
    SCOPED_TRACE(c.name);
    const std::string suffix = std::to_string(n++);
    // Distinct problems per case so earlier cases cannot match.
    c.firing.receipt_key += suffix;
    c.firing.fingerprint += suffix;
    c.firing.external_id += c.firing.external_id.empty() ? "" : suffix;
    c.resolution.receipt_key += suffix;
    c.resolution.fingerprint += suffix;
    c.resolution.external_id += suffix;
    const RecordResult fired = Record(c.firing, {Ref("ops", "g")}, now);
    c.resolution.event_ms = now + 3 * kSec;
    const RecordResult resolved = Record(c.resolution, {}, now + 5 * kSec);
    EXPECT_EQ(resolved.outcome, c.expected);
    const StoredAlert a = Get(fired.alert_id);
    if (c.expected == RecordOutcome::kResolved) {
      EXPECT_EQ(resolved.alert_id, fired.alert_id);
      EXPECT_EQ(a.alert.status, AlertStatus::kResolved);
      EXPECT_EQ(a.alert.ends_ms, now + 3 * kSec);
      EXPECT_EQ(a.updated_ms, now + 5 * kSec);
    } else {
      EXPECT_EQ(resolved.alert_id, 0);
      EXPECT_EQ(a.alert.status, AlertStatus::kFiring);
      EXPECT_EQ(a.alert.ends_ms, 0);
    }
    now += kSec * 100;
  }
}

TEST_F(AlertStoreTest, ResolutionWithoutEventTimeEndsNow) {
  const RecordResult fired = Record(Firing("f", "cpu"), {Ref("ops", "g")}, kT0);
  EXPECT_EQ(Record(Resolution("r", "cpu"), {}, kT0 + 7 * kSec).outcome, RecordOutcome::kResolved);
  EXPECT_EQ(Get(fired.alert_id).alert.ends_ms, kT0 + 7 * kSec);
}

TEST_F(AlertStoreTest, ReplayedReceiptChangesNothingEvenAfterResolution) {
  const RecordResult fired = Record(Firing("zabbix:1:1", "cpu"), {Ref("ops", "g")}, kT0);
  const RecordResult dup = Record(Firing("zabbix:1:1", "cpu"), {Ref("ops", "g")}, kT0 + kSec);
  EXPECT_EQ(dup.outcome, RecordOutcome::kDuplicate);
  EXPECT_EQ(dup.alert_id, fired.alert_id);
  EXPECT_EQ(Get(fired.alert_id).alert.occurrences, 1);

  EXPECT_EQ(Record(Resolution("zabbix:2:0", "cpu"), {}, kT0 + 2 * kSec).outcome,
            RecordOutcome::kResolved);
  // The problem's report again (a Zabbix webhook retry): not a new firing alert.
  const RecordResult late = Record(Firing("zabbix:1:1", "cpu"), {Ref("ops", "g")}, kT0 + 3 * kSec);
  EXPECT_EQ(late.outcome, RecordOutcome::kDuplicate);
  EXPECT_EQ(late.alert_id, fired.alert_id);
  EXPECT_EQ(Record(Resolution("zabbix:2:0", "cpu"), {}, kT0 + 4 * kSec).outcome,
            RecordOutcome::kDuplicate);
  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, 1);
  EXPECT_EQ(stats->firing, 0);
  EXPECT_EQ(Get(fired.alert_id).alert.ends_ms, kT0 + 2 * kSec);
}

TEST_F(AlertStoreTest, UnmatchedResolutionIsRecordedButNotNotified) {
  const RecordResult r = Record(Resolution("zabbix:9:0", "cpu"), {Ref("ops", "g")}, kT0);
  EXPECT_EQ(r.outcome, RecordOutcome::kUnmatched);
  EXPECT_EQ(r.alert_id, 0);
  EXPECT_EQ(Record(Resolution("zabbix:9:0", "cpu"), {}, kT0).outcome, RecordOutcome::kDuplicate);
  EXPECT_FALSE(NextFlush().has_value());
  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, 0);
}

TEST_F(AlertStoreTest, ReceiptKeyIsRequired) {
  AlertInput in = Firing("", "cpu");
  Result<RecordResult> r = store_->Record(in, {Ref("ops", "g")}, kT0);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AlertStoreTest, FlushCarriesExactlyTheChangedMembers) {
  // repeat 0: a flushed group with nothing left to say has no next flush.
  const GroupRef g = Ref("ops", "host=web-01", 0);
  const int64_t a = Record(Firing("a", "cpu"), {g}, kT0).alert_id;
  const int64_t b = Record(Firing("b", "mem"), {g}, kT0 + kSec).alert_id;
  const std::vector<int64_t> due = Due(kT0 + kWait);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_TRUE(Flush(due[0], kT0 + kWait).has_value());
  std::optional<Delivery> first = Take("ops", kT0 + kWait);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(Ids(first->notification), (std::vector<int64_t>{a, b}));
  EXPECT_FALSE(NextFlush().has_value());

  // A new member waits for group_interval after the last flush.
  const int64_t c = Record(Firing("c", "swap"), {g}, kT0 + 20 * kSec).alert_id;
  EXPECT_EQ(NextFlush(), kT0 + kWait + kInterval);
  EXPECT_EQ(FlushDue(kT0 + kWait + kInterval - 1), 0);
  ASSERT_EQ(FlushDue(kT0 + kWait + kInterval), 1);
  std::optional<Delivery> second = Take("ops", kT0 + kWait + kInterval);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(Ids(second->notification), (std::vector<int64_t>{c}));

  // A resolution long after the last flush is due at once.
  const int64_t t_resolve = kT0 + 1000 * kSec;
  EXPECT_EQ(Record(Resolution("a-ok", "cpu"), {}, t_resolve).outcome, RecordOutcome::kResolved);
  EXPECT_EQ(NextFlush(), t_resolve);
  ASSERT_EQ(FlushDue(t_resolve), 1);
  std::optional<Delivery> third = Take("ops", t_resolve);
  ASSERT_TRUE(third.has_value());
  ASSERT_EQ(Ids(third->notification), (std::vector<int64_t>{a}));
  EXPECT_EQ(third->notification.alerts[0].status, AlertStatus::kResolved);
  EXPECT_EQ(third->notification.alerts[0].ends_ms, t_resolve);
  // Nothing changed since: a flush queues nothing.
  EXPECT_FALSE(Flush(due[0], t_resolve + kInterval).has_value());
  EXPECT_EQ(Queued("ops"), 0);
}

TEST_F(AlertStoreTest, ResolutionKeepsAnEarlierScheduledFlush) {
  const GroupRef g = Ref("ops", "g");
  Record(Firing("a", "cpu"), {g}, kT0);
  Record(Firing("b", "mem"), {g}, kT0);
  ASSERT_EQ(FlushDue(kT0 + kWait), 1);
  EXPECT_EQ(NextFlush(), kT0 + kWait + kRepeat);
  // Resolved 5 s after the flush: due group_interval after that flush, not at the repeat.
  Record(Resolution("a-ok", "cpu"), {}, kT0 + kWait + 5 * kSec);
  EXPECT_EQ(NextFlush(), kT0 + kWait + kInterval);
}

TEST_F(AlertStoreTest, MutedChangeStaysPendingUntilTheMuteEnds) {
  const GroupRef g = Ref("ops", "g");
  const int64_t a = Record(Firing("a", "cpu"), {g}, kT0).alert_id;
  const int64_t b = Record(Firing("b", "mem", "web-01", Severity::kWarning), {g}, kT0).alert_id;
  auto mute_warnings = [](const AlertView& v) { return v.severity == Severity::kWarning; };
  const std::vector<int64_t> due = Due(kT0 + kWait);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_TRUE(Flush(due[0], kT0 + kWait, mute_warnings).has_value());
  std::optional<Delivery> d = Take("ops", kT0 + kWait);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Ids(d->notification), (std::vector<int64_t>{a}));
  // The muted change keeps the group on the interval schedule, not the repeat.
  EXPECT_EQ(NextFlush(), kT0 + kWait + kInterval);
  EXPECT_FALSE(Flush(due[0], kT0 + kWait + kInterval, mute_warnings).has_value());
  EXPECT_EQ(NextFlush(), kT0 + kWait + 2 * kInterval);
  EXPECT_EQ(Queued("ops"), 0);

  // The silence ends: the warning goes out at the next flush, and only it.
  ASSERT_TRUE(Flush(due[0], kT0 + kWait + 2 * kInterval, nullptr).has_value());
  d = Take("ops", kT0 + kWait + 2 * kInterval);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Ids(d->notification), (std::vector<int64_t>{b}));
}

TEST_F(AlertStoreTest, StillFiringAlertsRepeatAfterRepeatInterval) {
  const GroupRef g = Ref("ops", "g");
  const int64_t a = Record(Firing("a", "cpu"), {g}, kT0).alert_id;
  ASSERT_EQ(FlushDue(kT0 + kWait), 1);
  ASSERT_TRUE(Take("ops", kT0 + kWait).has_value());
  const int64_t t_repeat = kT0 + kWait + kRepeat;
  EXPECT_EQ(FlushDue(t_repeat - 1), 0);
  ASSERT_EQ(FlushDue(t_repeat), 1);
  std::optional<Delivery> d = Take("ops", t_repeat);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->notification.kind, NotificationKind::kRepeat);
  EXPECT_EQ(Ids(d->notification), (std::vector<int64_t>{a}));
  EXPECT_EQ(NextFlush(), t_repeat + kRepeat);
}

TEST_F(AlertStoreTest, RepeatZeroNeverRepeats) {
  const GroupRef g = Ref("ops", "g", 0);
  Record(Firing("a", "cpu"), {g}, kT0);
  const std::vector<int64_t> due = Due(kT0 + kWait);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_TRUE(Flush(due[0], kT0 + kWait).has_value());
  EXPECT_FALSE(NextFlush().has_value());
  // Even flushed by hand much later, nothing is repeated.
  EXPECT_FALSE(Flush(due[0], kT0 + 100 * kRepeat).has_value());
  EXPECT_EQ(Queued("ops"), 1);
}

TEST_F(AlertStoreTest, ResolvedBeforeNotifiedIsDroppedSilentlyAndTheGroupDeleted) {
  const GroupRef g = Ref("ops", "g");
  Record(Firing("a", "cpu"), {g}, kT0);
  Record(Resolution("a-ok", "cpu"), {}, kT0 + 2 * kSec);
  // group_wait is kept: the group was never flushed.
  EXPECT_EQ(NextFlush(), kT0 + kWait);
  EXPECT_EQ(FlushDue(kT0 + kWait), 0);
  EXPECT_EQ(Queued("ops"), 0);
  EXPECT_FALSE(NextFlush().has_value());
  Result<std::vector<std::string>> active = store_->ActiveReceivers();
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->empty());
  // The group is gone: a new alert with its key starts over with group_wait.
  Record(Firing("b", "mem"), {g}, kT0 + 30 * kSec);
  EXPECT_EQ(NextFlush(), kT0 + 30 * kSec + kWait);
}

TEST_F(AlertStoreTest, GroupIsDeletedOnceItsResolutionsAreNotified) {
  const GroupRef g = Ref("ops", "g");
  Record(Firing("a", "cpu"), {g}, kT0);
  const std::vector<int64_t> first_due = Due(kT0 + kWait);
  ASSERT_EQ(first_due.size(), 1u);
  ASSERT_TRUE(Flush(first_due[0], kT0 + kWait).has_value());
  Record(Resolution("a-ok", "cpu"), {}, kT0 + 100 * kSec);
  ASSERT_EQ(FlushDue(kT0 + 100 * kSec), 1);
  EXPECT_FALSE(NextFlush().has_value());
  // Flushing the deleted group is harmless.
  EXPECT_FALSE(Flush(first_due[0], kT0 + 200 * kSec).has_value());
  // The same key now makes a new group, waiting group_wait, not group_interval.
  Record(Firing("b", "cpu"), {g}, kT0 + 101 * kSec);
  EXPECT_EQ(NextFlush(), kT0 + 101 * kSec + kWait);
  const std::vector<int64_t> second_due = Due(kT0 + 101 * kSec + kWait);
  ASSERT_EQ(second_due.size(), 1u);
  EXPECT_NE(second_due[0], first_due[0]);
}

TEST_F(AlertStoreTest, OneAlertJoinsAGroupPerReceiver) {
  Record(Firing("a", "cpu"), {Ref("ops", "g"), Ref("robot", "g")}, kT0);
  EXPECT_EQ(Due(kT0 + kWait).size(), 2u);
  EXPECT_EQ(FlushDue(kT0 + kWait), 2);
  Result<std::vector<std::string>> active = store_->ActiveReceivers();
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(*active, (std::vector<std::string>{"ops", "robot"}));
  EXPECT_EQ(Queued("ops"), 1);
  EXPECT_EQ(Queued("robot"), 1);
}

// Three groups for one receiver: (web-a: high, warning), (web-b: disaster, high, average),
// (web-c: information), flushed into three rows.
class SummaryTest : public AlertStoreTest {
 protected:
  void SetUp() override {
    AlertStoreTest::SetUp();
    auto add = [&](const std::string& key, const std::string& host, Severity sev, int64_t starts) {
      AlertInput in = Firing(key, key, host, sev);
      in.event_ms = starts;
      ids_[key] = Record(in, {Ref("robot", "host=" + host)}, kT0).alert_id;
    };
    add("a1", "web-a", Severity::kHigh, kT0 - 50 * kSec);
    add("a2", "web-a", Severity::kWarning, kT0 - 40 * kSec);
    add("b1", "web-b", Severity::kDisaster, kT0 - 30 * kSec);
    add("b2", "web-b", Severity::kHigh, kT0 - 20 * kSec);
    add("b3", "web-b", Severity::kAverage, kT0 - 10 * kSec);
    add("c1", "web-c", Severity::kInformation, kT0);
    ASSERT_EQ(FlushDue(kT0 + kWait), 3);
    ASSERT_EQ(Queued("robot"), 3);
  }
  std::map<std::string, int64_t> ids_;
};

TEST_F(SummaryTest, SeveralRowsMergeIntoASummaryCountingEveryAlert) {
  std::optional<Delivery> d = Take("robot", kT0 + kWait, 0, 3);
  ASSERT_TRUE(d.has_value());
  const notifier::Notification& n = d->notification;
  EXPECT_EQ(n.kind, NotificationKind::kSummary);
  EXPECT_EQ(d->rows, 3);
  EXPECT_EQ(n.total_alerts, 6);
  EXPECT_EQ(n.firing, 6);
  EXPECT_EQ(n.resolved, 0);
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(
      n.by_severity,
      (Counts{{"disaster", 1}, {"high", 2}, {"average", 1}, {"warning", 1}, {"information", 1}}));
  EXPECT_EQ(n.by_host, (Counts{{"web-b", 3}, {"web-a", 2}, {"web-c", 1}}));
  // Most severe first, then oldest: a1 began before b2.
  EXPECT_EQ(Ids(n), (std::vector<int64_t>{ids_["b1"], ids_["a1"], ids_["b2"]}));
  EXPECT_EQ(Queued("robot"), 0);
}

TEST_F(SummaryTest, MaxRowsOneTakesTheOldestRowWithAllItsAlerts) {
  std::optional<Delivery> d = Take("robot", kT0 + kWait, 1, 1);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->rows, 1);
  EXPECT_EQ(d->notification.kind, NotificationKind::kGroup);
  // A single row is never capped by max_listed.
  EXPECT_EQ(Ids(d->notification), (std::vector<int64_t>{ids_["a1"], ids_["a2"]}));
  EXPECT_EQ(d->notification.total_alerts, 2);
  EXPECT_EQ(Queued("robot"), 2);
  d = Take("robot", kT0 + kWait, 2, 20);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->notification.kind, NotificationKind::kSummary);
  EXPECT_EQ(d->notification.total_alerts, 4);
  EXPECT_EQ(Queued("robot"), 0);
}

TEST_F(AlertStoreTest, SummaryCountsAnAlertOnceWithItsLatestStatus) {
  const GroupRef g = Ref("robot", "g");
  const int64_t a = Record(Firing("a", "cpu"), {g}, kT0).alert_id;
  Record(Firing("b", "mem"), {g}, kT0);
  ASSERT_EQ(FlushDue(kT0 + kWait), 1);
  Record(Resolution("a-ok", "cpu"), {}, kT0 + 100 * kSec);
  ASSERT_EQ(FlushDue(kT0 + 100 * kSec), 1);
  std::optional<Delivery> d = Take("robot", kT0 + 100 * kSec);
  ASSERT_TRUE(d.has_value());
  const notifier::Notification& n = d->notification;
  EXPECT_EQ(n.kind, NotificationKind::kSummary);
  EXPECT_EQ(n.total_alerts, 2);
  EXPECT_EQ(n.firing, 1);
  EXPECT_EQ(n.resolved, 1);
  ASSERT_EQ(n.alerts.size(), 2u);
  for (const AlertView& v : n.alerts) {
    EXPECT_EQ(v.status, v.id == a ? AlertStatus::kResolved : AlertStatus::kFiring);
  }
}

TEST_F(AlertStoreTest, SnapshotKeepsTheStatusTheRowWasAbout) {
  const int64_t a = Record(Firing("a", "cpu"), {Ref("ops", "g")}, kT0).alert_id;
  ASSERT_EQ(FlushDue(kT0 + kWait), 1);
  // Resolved before the delivery is created: the queued row still announces the firing.
  Record(Resolution("a-ok", "cpu"), {}, kT0 + 11 * kSec);
  std::optional<Delivery> d = Take("ops", kT0 + 12 * kSec);
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(Ids(d->notification), (std::vector<int64_t>{a}));
  EXPECT_EQ(d->notification.alerts[0].status, AlertStatus::kFiring);
  EXPECT_EQ(d->notification.alerts[0].ends_ms, 0);
}

TEST_F(AlertStoreTest, DeliveryLifecycle) {
  Record(Firing("a", "cpu"), {Ref("ops", "g1")}, kT0);
  Record(Firing("b", "mem", "web-02"), {Ref("ops", "g2")}, kT0);
  ASSERT_EQ(FlushDue(kT0 + kWait), 2);
  std::optional<Delivery> first = Take("ops", kT0 + kWait, 1);
  std::optional<Delivery> second = Take("ops", kT0 + kWait, 1);
  ASSERT_TRUE(first && second);

  ASSERT_TRUE(store_->MarkRetry(first->id, kT0 + 20 * kSec, "errcode 45009", 1).ok());
  Result<std::optional<Delivery>> pending = store_->PendingDelivery("ops");
  ASSERT_TRUE(pending.ok() && pending->has_value());
  EXPECT_EQ((*pending)->id, first->id);  // oldest first
  EXPECT_EQ((*pending)->attempts, 1);
  EXPECT_EQ((*pending)->next_try_ms, kT0 + 20 * kSec);
  EXPECT_EQ((*pending)->last_error, "errcode 45009");
  EXPECT_EQ((*pending)->notification.parts_done, 1);
  EXPECT_EQ((*pending)->state, DeliveryState::kPending);

  ASSERT_TRUE(store_->MarkDelivered(first->id, kT0 + 21 * kSec, 2).ok());
  ASSERT_TRUE(store_->MarkFailed(second->id, kT0 + 22 * kSec, "errcode 60020").ok());
  pending = store_->PendingDelivery("ops");
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->has_value());

  Result<std::vector<Delivery>> delivered = store_->ListDeliveries(DeliveryState::kDelivered, 10);
  ASSERT_TRUE(delivered.ok());
  ASSERT_EQ(delivered->size(), 1u);
  EXPECT_EQ((*delivered)[0].id, first->id);
  EXPECT_EQ((*delivered)[0].delivered_ms, kT0 + 21 * kSec);
  EXPECT_EQ((*delivered)[0].attempts, 2);
  Result<std::vector<Delivery>> failed = store_->ListDeliveries(DeliveryState::kFailed, 10);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].last_error, "errcode 60020");
  Result<std::vector<Delivery>> all = store_->ListDeliveries(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, second->id);  // newest first

  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->deliveries_delivered, 1);
  EXPECT_EQ(stats->deliveries_failed, 1);
  EXPECT_EQ(stats->deliveries_pending, 0);

  Result<int64_t> retried = store_->RetryFailed("ops", kT0 + 30 * kSec);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(*retried, 1);
  pending = store_->PendingDelivery("ops");
  ASSERT_TRUE(pending.ok() && pending->has_value());
  EXPECT_EQ((*pending)->id, second->id);
  EXPECT_EQ((*pending)->next_try_ms, kT0 + 30 * kSec);
  EXPECT_EQ(store_->RetryFailed("ops", kT0 + 31 * kSec).value_or(-1), 0);

  EXPECT_EQ(store_->MarkDelivered(999, kT0, 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->MarkRetry(999, kT0, "x", 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->MarkFailed(999, kT0, "x").code(), StatusCode::kNotFound);
}

TEST_F(AlertStoreTest, RecentSendsCountEveryPart) {
  for (const char* host : {"h1", "h2", "h3"}) {
    Record(Firing(std::string("k-") + host, "cpu", host), {Ref("robot", host)}, kT0);
  }
  Record(Firing("other", "cpu", "h9"), {Ref("ops", "h9")}, kT0);
  ASSERT_EQ(FlushDue(kT0 + kWait), 4);
  std::optional<Delivery> d1 = Take("robot", kT0, 1);
  std::optional<Delivery> d2 = Take("robot", kT0, 1);
  std::optional<Delivery> d3 = Take("robot", kT0, 1);
  std::optional<Delivery> other = Take("ops", kT0, 1);
  ASSERT_TRUE(d1 && d2 && d3 && other);
  ASSERT_TRUE(store_->MarkDelivered(d1->id, kT0 + 1 * kSec, 1).ok());
  ASSERT_TRUE(store_->MarkDelivered(d2->id, kT0 + 2 * kSec, 3).ok());
  ASSERT_TRUE(store_->MarkDelivered(other->id, kT0 + 3 * kSec, 1).ok());
  // d3 is still pending: not a send.
  Result<std::vector<int64_t>> sends = store_->RecentSends("robot", 10);
  ASSERT_TRUE(sends.ok());
  EXPECT_EQ(*sends,
            (std::vector<int64_t>{kT0 + 2 * kSec, kT0 + 2 * kSec, kT0 + 2 * kSec, kT0 + 1 * kSec}));
  sends = store_->RecentSends("robot", 2);
  ASSERT_TRUE(sends.ok());
  EXPECT_EQ(*sends, (std::vector<int64_t>{kT0 + 2 * kSec, kT0 + 2 * kSec}));
}

TEST_F(AlertStoreTest, ReopenedStoreResumesWithTheSameNotification) {
  Record(Firing("a", "cpu"), {Ref("ops", "g1")}, kT0);
  Record(Firing("b", "mem", "web-02", Severity::kDisaster), {Ref("ops", "g2")}, kT0);
  Record(Firing("c", "io", "web-03"), {Ref("ops", "g3")}, kT0 + 20 * kSec);
  ASSERT_EQ(FlushDue(kT0 + kWait), 2);
  std::optional<Delivery> d = Take("ops", kT0 + kWait);
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE(store_->MarkRetry(d->id, kT0 + 15 * kSec, "HTTP 502", 1).ok());
  Result<std::optional<Delivery>> before = store_->PendingDelivery("ops");
  ASSERT_TRUE(before.ok() && before->has_value());
  const std::string json_before = NotificationToJson((*before)->notification).dump();

  Reopen();
  Result<std::optional<Delivery>> after = store_->PendingDelivery("ops");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->id, d->id);
  EXPECT_EQ((*after)->attempts, 1);
  EXPECT_EQ((*after)->rows, 2);
  EXPECT_EQ(NotificationToJson((*after)->notification).dump(), json_before);
  EXPECT_EQ((*after)->notification.parts_done, 1);
  // The rest of the state came back too: receipts, and the group still waiting to flush.
  EXPECT_EQ(Record(Firing("a", "cpu"), {Ref("ops", "g1")}, kT0 + 30 * kSec).outcome,
            RecordOutcome::kDuplicate);
  EXPECT_EQ(NextFlush(), kT0 + 30 * kSec);
}

TEST_F(AlertStoreTest, ListAlertsShowsDeliveryStatePerReceiver) {
  const int64_t a = Record(Firing("a", "cpu"), {Ref("ops", "g"), Ref("robot", "g")}, kT0).alert_id;
  AlertInput splunk = Firing("s", "search", "");
  splunk.source = "splunk";
  const int64_t s = Record(splunk, {Ref("ops", "splunk")}, kT0 + 5 * kSec).alert_id;
  ASSERT_EQ(FlushDue(kT0 + kWait + 5 * kSec), 3);
  std::optional<Delivery> ops = Take("ops", kT0 + 20 * kSec);
  std::optional<Delivery> robot = Take("robot", kT0 + 20 * kSec);
  ASSERT_TRUE(ops && robot);
  ASSERT_TRUE(store_->MarkDelivered(ops->id, kT0 + 21 * kSec, 1).ok());
  ASSERT_TRUE(store_->MarkRetry(robot->id, kT0 + 40 * kSec, "errcode -1", 0).ok());

  Result<std::vector<StoredAlert>> all = store_->ListAlerts({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].alert.id, s);  // newest first
  const StoredAlert& first = (*all)[1];
  EXPECT_EQ(first.alert.id, a);
  ASSERT_EQ(first.deliveries.size(), 2u);
  EXPECT_EQ(first.deliveries[0].receiver, "ops");
  EXPECT_EQ(first.deliveries[0].state, DeliveryState::kDelivered);
  EXPECT_EQ(first.deliveries[0].delivered_ms, kT0 + 21 * kSec);
  EXPECT_EQ(first.deliveries[0].status, "firing");
  EXPECT_EQ(first.deliveries[1].receiver, "robot");
  EXPECT_EQ(first.deliveries[1].state, DeliveryState::kPending);
  EXPECT_EQ(first.deliveries[1].attempts, 1);
  EXPECT_EQ(first.deliveries[1].last_error, "errcode -1");

  AlertQuery undelivered;
  undelivered.undelivered_only = true;
  Result<std::vector<StoredAlert>> list = store_->ListAlerts(undelivered);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].alert.id, a);
  ASSERT_TRUE(store_->MarkDelivered(robot->id, kT0 + 41 * kSec, 1).ok());
  list = store_->ListAlerts(undelivered);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());

  // The resolution queued for ops is the latest row there: undelivered again, about "resolved".
  Record(Resolution("a-ok", "cpu"), {}, kT0 + 100 * kSec);
  ASSERT_EQ(FlushDue(kT0 + 100 * kSec), 2);
  list = store_->ListAlerts(undelivered);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  ASSERT_EQ((*list)[0].deliveries.size(), 2u);
  EXPECT_EQ((*list)[0].deliveries[0].status, "resolved");
  EXPECT_EQ((*list)[0].deliveries[0].state, DeliveryState::kPending);
  EXPECT_EQ((*list)[0].deliveries[0].attempts, 0);

  struct Case {
    const char* name;
    AlertQuery query;
    std::vector<int64_t> expected;
  };
  AlertQuery firing, by_source, by_host, since, limited;
  firing.status = AlertStatus::kFiring;
  by_source.source = "splunk";
  by_host.host = "web-01";
  since.since_ms = kT0 + 1;
  limited.limit = 1;
  for (const Case& c :
       {Case{"firing", firing, {s}}, Case{"source", by_source, {s}}, Case{"host", by_host, {a}},
        Case{"since", since, {s}}, Case{"limit", limited, {s}}}) {
    Result<std::vector<StoredAlert>> r = store_->ListAlerts(c.query);
    ASSERT_TRUE(r.ok()) << c.name;
    std::vector<int64_t> ids;
    for (const StoredAlert& x : *r) ids.push_back(x.alert.id);
    EXPECT_EQ(ids, c.expected) << c.name;
  }
  EXPECT_EQ(store_->GetAlert(9999).status().code(), StatusCode::kNotFound);
}

TEST_F(AlertStoreTest, UpgradeDropsTheHostIndexAndTheHostFilterStillWorks) {
  const int64_t web = Record(Firing("w", "cpu", "web-01"), {}, kT0).alert_id;
  const int64_t db = Record(Firing("d", "cpu", "db-01"), {}, kT0).alert_id;
  store_.reset();
  // A database from before schema 4 still has alerts_host.
  {
    Result<std::unique_ptr<store::Database>> raw = store::Database::Open(path_);
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    ASSERT_TRUE((*raw)
                    ->Exec("CREATE INDEX alerts_host ON alerts(host); "
                           "DELETE FROM schema_version; INSERT INTO schema_version VALUES(3)")
                    .ok());
  }
  Reopen();
  store_.reset();
  {
    Result<std::unique_ptr<store::Database>> raw = store::Database::Open(path_);
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    EXPECT_EQ(*(*raw)->SchemaVersion(), 4);
    Result<store::CachedStatement> q =
        (*raw)->Cached("SELECT count(*) FROM sqlite_master WHERE name = 'alerts_host'");
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    Result<bool> row = (*q)->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ((*q)->ColumnInt(0), 0);
  }
  Reopen();
  for (const auto& [host, expected] : {std::pair<std::string, int64_t>{"web-01", web},
                                       std::pair<std::string, int64_t>{"db-01", db}}) {
    AlertQuery by_host;
    by_host.host = host;
    Result<std::vector<StoredAlert>> r = store_->ListAlerts(by_host);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), 1u) << host;
    EXPECT_EQ((*r)[0].alert.id, expected) << host;
  }
}

TEST_F(AlertStoreTest, FiringAlertsListsOnlyFiring) {
  const int64_t a = Record(Firing("a", "cpu"), {}, kT0).alert_id;
  const int64_t b = Record(Firing("b", "mem"), {}, kT0).alert_id;
  Record(Resolution("a-ok", "cpu"), {}, kT0 + kSec);
  Result<std::vector<AlertView>> firing = store_->FiringAlerts();
  ASSERT_TRUE(firing.ok());
  ASSERT_EQ(firing->size(), 1u);
  EXPECT_EQ((*firing)[0].id, b);
  EXPECT_NE((*firing)[0].id, a);
}

TEST_F(AlertStoreTest, SilencesCreateListExpire) {
  Silence s;
  s.matchers = {{"host", "=~", "db-*"}, {"severity", "<=", "average"}};
  s.starts_ms = kT0;
  s.ends_ms = kT0 + 3600 * kSec;
  s.created_by = "alice";
  s.reason = "maintenance";
  s.created_ms = kT0 - kSec;
  Result<Silence> active = store_->CreateSilence(s);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_GT(active->id, 0);
  s.starts_ms = kT0 + 7200 * kSec;
  s.ends_ms = kT0 + 9000 * kSec;
  Result<Silence> future = store_->CreateSilence(s);
  s.starts_ms = kT0 - 7200 * kSec;
  s.ends_ms = kT0 - 3600 * kSec;
  Result<Silence> ended = store_->CreateSilence(s);
  ASSERT_TRUE(future.ok() && ended.ok());

  auto ids = [&](int64_t now, bool include_expired) {
    std::vector<int64_t> out;
    Result<std::vector<Silence>> list = store_->ListSilences(now, include_expired);
    EXPECT_TRUE(list.ok());
    for (const Silence& x : list.value_or({})) out.push_back(x.id);
    return out;
  };
  EXPECT_EQ(ids(kT0, false), (std::vector<int64_t>{future->id, active->id}));
  EXPECT_EQ(ids(kT0, true), (std::vector<int64_t>{ended->id, future->id, active->id}));

  Result<std::vector<Silence>> list = store_->ListSilences(kT0, false);
  ASSERT_TRUE(list.ok());
  const Silence& got = list->back();
  ASSERT_EQ(got.matchers.size(), 2u);
  EXPECT_EQ(got.matchers[0].field, "host");
  EXPECT_EQ(got.matchers[0].op, "=~");
  EXPECT_EQ(got.matchers[0].value, "db-*");
  EXPECT_EQ(got.matchers[1].op, "<=");
  EXPECT_EQ(got.created_by, "alice");
  EXPECT_EQ(got.reason, "maintenance");
  EXPECT_EQ(got.created_ms, kT0 - kSec);
  EXPECT_EQ(got.expired_ms, 0);

  ASSERT_TRUE(store_->ExpireSilence(active->id, kT0 + 60 * kSec).ok());
  EXPECT_EQ(ids(kT0 + 60 * kSec, false), (std::vector<int64_t>{future->id}));
  list = store_->ListSilences(kT0 + 60 * kSec, true);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(list->back().expired_ms, kT0 + 60 * kSec);
  EXPECT_EQ(list->back().ends_ms, kT0 + 60 * kSec);
  // Already ended: OK and unchanged.
  ASSERT_TRUE(store_->ExpireSilence(ended->id, kT0 + 60 * kSec).ok());
  list = store_->ListSilences(kT0 + 60 * kSec, true);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->front().expired_ms, 0);
  EXPECT_EQ(list->front().ends_ms, kT0 - 3600 * kSec);
  EXPECT_EQ(store_->ExpireSilence(4242, kT0).code(), StatusCode::kNotFound);

  Silence empty = s;
  empty.matchers.clear();
  EXPECT_EQ(store_->CreateSilence(empty).status().code(), StatusCode::kInvalidArgument);
  Silence backwards = s;
  backwards.ends_ms = backwards.starts_ms;
  EXPECT_EQ(store_->CreateSilence(backwards).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AlertStoreTest, StatsCountAlertsQueuesAndDeliveries) {
  Record(Firing("a", "cpu"), {Ref("ops", "g1"), Ref("robot", "g1")}, kT0);
  Record(Firing("b", "mem", "web-02"), {Ref("ops", "g2")}, kT0);
  Record(Firing("c", "io"), {}, kT0);
  Record(Resolution("c-ok", "io"), {}, kT0 + kSec);
  ASSERT_EQ(FlushDue(kT0 + kWait), 3);
  std::optional<Delivery> d = Take("ops", kT0 + kWait, 1);
  ASSERT_TRUE(d.has_value());
  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, 3);
  EXPECT_EQ(stats->firing, 2);
  // ops: one row queued + one in the pending delivery; robot: one queued.
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(stats->queued_by_receiver, (Counts{{"ops", 2}, {"robot", 1}}));
  EXPECT_EQ(stats->deliveries_pending, 1);
  ASSERT_TRUE(store_->MarkDelivered(d->id, kT0 + kWait, 1).ok());
  stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queued_by_receiver, (Counts{{"ops", 1}, {"robot", 1}}));
  EXPECT_EQ(stats->deliveries_pending, 0);
  EXPECT_EQ(stats->deliveries_delivered, 1);
}

TEST_F(AlertStoreTest, ConcurrentRecordsAllPersistWithDistinctIds) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = std::to_string(t) + ":" + std::to_string(i);
        Result<RecordResult> r = store_->Record(Firing(key, key, "host-" + std::to_string(t)),
                                                {Ref("ops", "host-" + std::to_string(t))}, kT0 + i);
        if (r.ok() && r->outcome == RecordOutcome::kNew) ids[t].push_back(r->alert_id);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<int64_t> distinct;
  for (const auto& v : ids) {
    EXPECT_EQ(v.size(), static_cast<size_t>(kPerThread));
    distinct.insert(v.begin(), v.end());
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kThreads * kPerThread));
  Reopen();
  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, kThreads * kPerThread);
  EXPECT_EQ(stats->firing, kThreads * kPerThread);
  EXPECT_EQ(Due(kT0 + kPerThread + kWait).size(), static_cast<size_t>(kThreads));
}

TEST_F(AlertStoreTest, AFailingReportInAGroupCommitLeavesTheOthersRecorded) {
  // Threads racing into one group commit: every other report has no receipt key (refused);
  // the valid ones must all be stored, the refused ones must leave nothing behind.
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::atomic<int> refused{0};
  std::atomic<int> stored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = std::to_string(t) + "g:" + std::to_string(i);
        AlertInput in = Firing(key, key, "host-" + std::to_string(t));
        if (i % 2 == 1) in.receipt_key.clear();
        Result<RecordResult> r = store_->Record(in, {Ref("ops", in.host)}, kT0 + i);
        if (r.ok() && r->outcome == RecordOutcome::kNew) ++stored;
        if (!r.ok() && r.status().code() == StatusCode::kInvalidArgument) ++refused;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(stored.load(), kThreads * kPerThread / 2);
  EXPECT_EQ(refused.load(), kThreads * kPerThread / 2);
  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, kThreads * kPerThread / 2);
}

TEST_F(AlertStoreTest, ReportsArrivingDuringACommitShareTheNextAndReturnOnlyOnceCommitted) {
  // Another connection holds the write lock, so the first report's transaction waits; the
  // reports arriving meanwhile queue behind it and must all go into one second commit. Each
  // Record returns only when its report is visible to any other connection.
  Result<std::unique_ptr<store::Database>> other = store::Database::Open(path_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
  auto await = [&](const std::function<bool(const AlertIntakeStats&)>& reached) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!reached(store_->IntakeStats())) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  };
  constexpr int kReports = 6;
  std::vector<Result<RecordResult>> results(kReports, Status::Internal("not run"));
  std::vector<int64_t> visible(kReports, -1);
  auto report = [&](int i) {
    const std::string key = "batch:" + std::to_string(i);
    results[i] = store_->Record(Firing(key, key), {Ref("ops", key)}, kT0);
    store::DatabaseOptions read_only;
    read_only.read_only = true;
    Result<std::unique_ptr<store::Database>> reader = store::Database::Open(path_, read_only);
    if (!reader.ok()) return;
    Result<store::CachedStatement> s =
        (*reader)->Cached("SELECT COUNT(*) FROM receipts WHERE receipt_key = ?1");
    if (!s.ok()) return;
    (*s)->Bind(1, key);
    Result<bool> row = (*s)->Step();
    if (row.ok() && *row) visible[i] = (*s)->ColumnInt(0);
  };
  std::vector<std::thread> threads;
  threads.emplace_back(report, 0);
  // The first report is being recorded (its leader took it off the queue) and cannot commit.
  ASSERT_TRUE(await([](const AlertIntakeStats& s) { return s.in_record == 1 && s.queued == 0; }));
  for (int i = 1; i < kReports; ++i) threads.emplace_back(report, i);
  const bool all_queued = await([](const AlertIntakeStats& s) { return s.queued == kReports - 1; });
  const AlertIntakeStats blocked = store_->IntakeStats();
  EXPECT_TRUE((*other)->Exec("COMMIT").ok());
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(all_queued);
  EXPECT_EQ(blocked.reports, 0);  // nobody was answered while the write lock was held
  EXPECT_EQ(blocked.in_record, kReports);
  for (int i = 0; i < kReports; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status().ToString();
    EXPECT_EQ(results[i]->outcome, RecordOutcome::kNew);
    EXPECT_EQ(visible[i], 1) << i;
  }
  const AlertIntakeStats after = store_->IntakeStats();
  EXPECT_EQ(after.reports, kReports);
  EXPECT_EQ(after.commits, 2);
  EXPECT_EQ(after.in_record, 0);
  // Replaying every report changes nothing: the receipts make the intake idempotent.
  for (int i = 0; i < kReports; ++i) {
    const std::string key = "batch:" + std::to_string(i);
    EXPECT_EQ(Record(Firing(key, key), {Ref("ops", key)}, kT0 + 1).outcome,
              RecordOutcome::kDuplicate);
  }
  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, kReports);
}

TEST_F(AlertStoreTest, AsyncReportsShareTheWritersNextCommitAndAreAnsweredOnlyOnceCommitted) {
  // As above for RecordAsync: the writer thread is stuck on the first report's transaction,
  // the others queue, and one second commit takes them all; nobody is answered before its
  // commit, and every answer comes with the report visible to other connections.
  Result<std::unique_ptr<store::Database>> other = store::Database::Open(path_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
  auto await = [&](int64_t queued) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (store_->IntakeStats().queued != queued) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  };
  constexpr int kReports = 6;
  Mutex mu;
  std::vector<std::pair<Result<RecordResult>, int64_t>> answers;  // result, rows visible
  auto report = [&](int i) {
    const std::string key = "async:" + std::to_string(i);
    store_->RecordAsync(Firing(key, key), {Ref("ops", key)}, kT0, [&, key](Result<RecordResult> r) {
      store::DatabaseOptions read_only;
      read_only.read_only = true;
      int64_t visible = -1;
      Result<std::unique_ptr<store::Database>> reader = store::Database::Open(path_, read_only);
      if (reader.ok()) {
        Result<store::CachedStatement> s =
            (*reader)->Cached("SELECT COUNT(*) FROM receipts WHERE receipt_key = ?1");
        if (s.ok()) {
          (*s)->Bind(1, key);
          Result<bool> row = (*s)->Step();
          if (row.ok() && *row) visible = (*s)->ColumnInt(0);
        }
      }
      MutexLock lock(mu);
      answers.emplace_back(std::move(r), visible);
    });
  };
  report(0);
  ASSERT_TRUE(await(0));  // the writer took it and waits for the write lock
  for (int i = 1; i < kReports; ++i) report(i);
  const bool all_queued = await(kReports - 1);
  size_t answered_while_locked = 0;
  {
    MutexLock lock(mu);
    answered_while_locked = answers.size();
  }
  EXPECT_TRUE((*other)->Exec("COMMIT").ok());
  store_->WaitRecorded();
  ASSERT_TRUE(all_queued);
  EXPECT_EQ(answered_while_locked, 0u);
  {
    MutexLock lock(mu);
    ASSERT_EQ(answers.size(), static_cast<size_t>(kReports));
    for (const auto& [result, visible] : answers) {
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_EQ(result->outcome, RecordOutcome::kNew);
      EXPECT_EQ(visible, 1);
    }
  }
  const AlertIntakeStats after = store_->IntakeStats();
  EXPECT_EQ(after.reports, kReports);
  EXPECT_EQ(after.commits, 2);
  // The same reports again, synchronously: duplicates by their receipts.
  for (int i = 0; i < kReports; ++i) {
    const std::string key = "async:" + std::to_string(i);
    EXPECT_EQ(Record(Firing(key, key), {Ref("ops", key)}, kT0 + 1).outcome,
              RecordOutcome::kDuplicate);
  }
}

TEST_F(AlertStoreTest, AsyncReportsQueuedAtCloseAreStillRecordedAndAnswered) {
  std::atomic<int> answered{0};
  for (int i = 0; i < 50; ++i) {
    const std::string key = "close:" + std::to_string(i);
    store_->RecordAsync(Firing(key, key), {Ref("ops", key)}, kT0, [&](Result<RecordResult> r) {
      if (r.ok()) ++answered;
    });
  }
  Reopen();  // closes the store: its writer drains the queue first
  EXPECT_EQ(answered.load(), 50);
  Result<AlertStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->alerts, 50);
}

TEST_F(AlertStoreTest, RecordTellsTheEarliestFlushItScheduled) {
  // A new group flushes after its wait: the pipeline wakes its flusher only for a flush due
  // before the flusher's next pass, so Record says when.
  EXPECT_EQ(Record(Firing("k1", "disk"), {Ref("ops", "g")}, kT0).next_flush_ms, kT0 + kWait);
  // Joining a group that keeps its first schedule, a duplicate and a fold schedule nothing.
  EXPECT_EQ(Record(Firing("k2", "cpu"), {Ref("ops", "g")}, kT0 + 1).next_flush_ms, 0);
  EXPECT_EQ(Record(Firing("k2", "cpu"), {Ref("ops", "g")}, kT0 + 2).next_flush_ms, 0);
  EXPECT_EQ(Record(Firing("k3", "cpu"), {Ref("ops", "g")}, kT0 + 3).outcome,
            RecordOutcome::kFolded);
  EXPECT_EQ(Record(Firing("k4", "cpu"), {Ref("ops", "g")}, kT0 + 4).next_flush_ms, 0);
  EXPECT_EQ(FlushDue(kT0 + kWait), 1);
  // After a flush, a resolution schedules its group for the end of the group interval.
  RecordResult resolved = Record(Resolution("k5", "disk"), {}, kT0 + kWait + 1);
  EXPECT_EQ(resolved.outcome, RecordOutcome::kResolved);
  EXPECT_EQ(resolved.next_flush_ms, kT0 + kWait + kInterval);
  EXPECT_EQ(NextFlush(), kT0 + kWait + kInterval);
}

TEST_F(AlertStoreTest, QuietAlertsOfASourceResolveAndNotify) {
  AlertInput splunk = Firing("splunk:sid-1", "search", "");
  splunk.source = "splunk";
  AlertInput zabbix = Firing("zabbix:1:1", "cpu");
  const RecordResult s = Record(splunk, {Ref("ops", "splunk")}, kT0);
  const RecordResult z = Record(zabbix, {Ref("ops", "zabbix")}, kT0);
  ASSERT_EQ(FlushDue(kT0 + kWait), 2);
  // The same search again later folds and counts as a new report.
  AlertInput again = splunk;
  again.receipt_key = "splunk:sid-2";
  EXPECT_EQ(Record(again, {Ref("ops", "splunk")}, kT0 + 20 * kSec).outcome, RecordOutcome::kFolded);
  // Not quiet since +10 s yet: nothing resolves.
  Result<int64_t> none = store_->ResolveQuiet("splunk", kT0 + 10 * kSec, kT0 + 30 * kSec);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  Result<int64_t> resolved = store_->ResolveQuiet("splunk", kT0 + 25 * kSec, kT0 + 40 * kSec);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, 1);
  Result<StoredAlert> after = store_->GetAlert(s.alert_id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->alert.status, AlertStatus::kResolved);
  EXPECT_EQ(after->alert.ends_ms, kT0 + 40 * kSec);
  // Another source's alert is untouched, and the resolution is notified at the next interval.
  EXPECT_EQ(store_->GetAlert(z.alert_id)->alert.status, AlertStatus::kFiring);
  EXPECT_EQ(FlushDue(kT0 + kWait + kInterval), 1);
}

TEST_F(AlertStoreTest, RetentionDeletesOnlyWhatIsOldAndFinished) {
  constexpr int64_t kDay = 24 * 3600 * kSec;
  // An old alert fired and resolved, both notified and delivered.
  const RecordResult old = Record(Firing("old:1", "disk", "db-01"), {Ref("ops", "db-01")}, kT0);
  ASSERT_EQ(FlushDue(kT0 + kWait), 1);
  auto first = store_->CreateDelivery("ops", kT0 + kWait, 1);
  ASSERT_TRUE(first.ok() && first->has_value());
  ASSERT_TRUE(store_->MarkDelivered((*first)->id, kT0 + kWait, 1).ok());
  Record(Resolution("old:0", "disk", "db-01"), {}, kT0 + 60 * kSec);
  ASSERT_EQ(FlushDue(kT0 + kWait + kInterval), 1);
  auto second = store_->CreateDelivery("ops", kT0 + kWait + kInterval, 1);
  ASSERT_TRUE(second.ok() && second->has_value());
  ASSERT_TRUE(store_->MarkDelivered((*second)->id, kT0 + kWait + kInterval, 1).ok());
  // An old alert still firing, and an old resolved one whose notification is still pending.
  const RecordResult firing = Record(Firing("fire:1", "cpu", "db-02"), {Ref("ops", "db-02")}, kT0);
  const RecordResult pending = Record(Firing("pend:1", "mem", "db-03"), {Ref("ops", "db-03")}, kT0);
  ASSERT_EQ(FlushDue(kT0 + kWait), 2);
  Record(Resolution("pend:0", "mem", "db-03"), {}, kT0 + 60 * kSec);
  // An old unmatched resolution, and a silence that ended long ago.
  Record(Resolution("nobody:0", "none", "db-09"), {}, kT0);
  Silence silence;
  silence.matchers = {Matcher{"host", "=", "db-01"}};
  silence.starts_ms = kT0;
  silence.ends_ms = kT0 + 3600 * kSec;
  silence.created_by = "ops";
  silence.reason = "maintenance";
  silence.created_ms = kT0;
  ASSERT_TRUE(store_->CreateSilence(silence).ok());

  // Nothing is older than a cutoff before it all happened.
  Result<AlertPruneResult> none = store_->Prune(kT0 - kDay);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->alerts + none->deliveries + none->silences + none->receipts, 0);

  Result<AlertPruneResult> pruned = store_->Prune(kT0 + 90 * kDay);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->alerts, 1);
  EXPECT_EQ(pruned->deliveries, 2);
  EXPECT_EQ(pruned->silences, 1);
  EXPECT_EQ(pruned->receipts, 3);  // old:1, old:0 and the unmatched nobody:0
  EXPECT_EQ(store_->GetAlert(old.alert_id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetAlert(firing.alert_id).ok());
  EXPECT_TRUE(store_->GetAlert(pending.alert_id).ok());
  // Receipts of kept alerts still make replays duplicates.
  EXPECT_EQ(Record(Firing("fire:1", "cpu", "db-02"), {}, kT0 + 90 * kDay).outcome,
            RecordOutcome::kDuplicate);
  Result<std::vector<Silence>> silences = store_->ListSilences(kT0 + 90 * kDay, true);
  ASSERT_TRUE(silences.ok());
  EXPECT_TRUE(silences->empty());
}

}  // namespace
}  // namespace beacon::collector::alerts
