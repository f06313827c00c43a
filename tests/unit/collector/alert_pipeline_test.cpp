// AlertPipeline with an injected clock, a real AlertStore and the real Router: table-driven
// scenarios of routing, grouping (wait / interval / repeat), silences and inhibition, checked by
// what the outbox would send to each receiver at each instant.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/pipeline.h"
#include "collector/alerts/routing.h"
#include "common/clock.h"

namespace beacon::collector::alerts {
namespace {

// 2026-11-27 10:00:00 Asia/Shanghai, a Friday (02:00 UTC): inside working hours.
constexpr int64_t kFriday10 = 1'795'744'800'000;
constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;

// One step of a scenario: at `at` (offset from kFriday10) either submit an alert, create a
// silence, or look at what each receiver has queued.
struct Step {
  int64_t at = 0;
  std::string action;  // "fire", "resolve", "silence", "expect"
  std::string host;
  Severity severity = Severity::kHigh;
  std::string kind = "cpu";  // fingerprint subject
  std::string source = "zabbix";
  // "expect": receiver -> alert descriptions ("host/kind/status") of the messages it would get
  // now, one inner vector per message (alerts in the message's order).
  std::map<std::string, std::vector<std::vector<std::string>>> expect;
};

using Expected = std::map<std::string, std::vector<std::vector<std::string>>>;

Step Fire(int64_t at, std::string host, Severity severity, std::string kind) {
  Step step;
  step.at = at;
  step.action = "fire";
  step.host = std::move(host);
  step.severity = severity;
  step.kind = std::move(kind);
  return step;
}

Step Resolve(int64_t at, std::string host, Severity severity, std::string kind) {
  Step step = Fire(at, std::move(host), severity, std::move(kind));
  step.action = "resolve";
  return step;
}

Step SilenceHost(int64_t at, std::string host) {
  Step step;
  step.at = at;
  step.action = "silence";
  step.host = std::move(host);
  return step;
}

Step Expect(int64_t at, Expected expect) {
  Step step;
  step.at = at;
  step.action = "expect";
  step.expect = std::move(expect);
  return step;
}

class AlertPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon-pipeline-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = AlertStore::Open((dir_ / "alerts.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    clock_.SetMs(kFriday10);
  }
  void TearDown() override {
    pipeline_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Routes: DBA pages (db-* hosts, high and above, working hours) go to "dba" grouped by host,
  // and continue; everything goes to "ops" one alert per message.
  static AlertsConfig Config() {
    AlertsConfig config;
    config.timezone = "Asia/Shanghai";
    RouteConfig dba;
    dba.name = "dba";
    dba.hosts = {"db-*"};
    dba.min_severity = Severity::kHigh;
    dba.active = {TimeWindow{{1, 2, 3, 4, 5}, 9 * 60, 18 * 60, ""}};
    dba.receivers = {"dba"};
    dba.continue_matching = true;
    dba.group_by = {"host"};
    dba.timing = GroupTiming{30 * kSecond, 5 * kMinute, 0};
    RouteConfig ops;
    ops.name = "ops";
    ops.receivers = {"ops"};
    ops.group_by = {"fingerprint"};
    ops.timing = GroupTiming{0, kMinute, 0};
    config.routes = {dba, ops};
    InhibitRule rule;
    rule.source = {*ParseMatcher("severity>=disaster")};
    rule.target = {*ParseMatcher("severity<=high")};
    rule.equal = {"host"};
    config.inhibit = {rule};
    return config;
  }

  void Build() {
    AlertsConfig config = Config();
    auto router = Router::Create(config);
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    pipeline_ = std::make_unique<AlertPipeline>(*store_, std::move(*router), config.inhibit, clock_,
                                                [this] { ++wakes_; });
  }

  static AlertInput Input(const Step& step, AlertStatus status, int serial) {
    AlertInput in;
    in.source = step.source;
    in.receipt_key = step.source + ":" + step.host + ":" + step.kind + ":" +
                     std::string(AlertStatusName(status)) + ":" + std::to_string(serial);
    in.external_id = step.host + "/" + step.kind;
    in.fingerprint = Fingerprint(step.source, step.host, "trigger", step.kind);
    in.status = status;
    in.severity = step.severity;
    in.host = step.host;
    in.title = step.kind + " on " + step.host;
    return in;
  }

  // What each receiver would be sent now: deliveries of one row each, as descriptions.
  std::vector<std::vector<std::string>> Drain(const std::string& receiver) {
    std::vector<std::vector<std::string>> messages;
    while (true) {
      auto delivery = store_->CreateDelivery(receiver, clock_.NowMs(), 1);
      EXPECT_TRUE(delivery.ok()) << delivery.status().ToString();
      if (!delivery.ok() || !delivery->has_value()) break;
      std::vector<std::string> message;
      for (const AlertView& alert : (*delivery)->notification.alerts) {
        message.push_back(alert.host + "/" + alert.title.substr(0, alert.title.find(' ')) + "/" +
                          std::string(AlertStatusName(alert.status)));
      }
      messages.push_back(message);
      EXPECT_TRUE(store_->MarkDelivered((*delivery)->id, clock_.NowMs(), 1).ok());
    }
    return messages;
  }

  void Run(const std::vector<Step>& steps) {
    Build();
    int serial = 0;
    for (const Step& step : steps) {
      SCOPED_TRACE("step at +" + std::to_string(step.at / kSecond) + "s " + step.action + " " +
                   step.host);
      clock_.SetMs(kFriday10 + step.at);
      if (step.action == "fire" || step.action == "resolve") {
        const AlertStatus status =
            step.action == "fire" ? AlertStatus::kFiring : AlertStatus::kResolved;
        const AlertInput input = Input(step, status, ++serial);
        // Every other report goes through SubmitAsync (the webhooks' path): both must behave
        // alike in every scenario.
        Result<RecordResult> recorded = Status::Internal("no answer");
        if (serial % 2 == 0) {
          std::promise<Result<RecordResult>> answer;
          std::future<Result<RecordResult>> answered = answer.get_future();
          pipeline_->SubmitAsync(input, [&answer](Result<RecordResult> r) { answer.set_value(r); });
          recorded = answered.get();
        } else {
          recorded = pipeline_->Submit(input);
        }
        ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
      } else if (step.action == "silence") {
        Silence silence;
        silence.matchers = {*ParseMatcher("host=" + step.host)};
        silence.starts_ms = clock_.NowMs();
        silence.ends_ms = clock_.NowMs() + 10 * kMinute;
        silence.created_by = "test";
        silence.reason = "maintenance";
        silence.created_ms = clock_.NowMs();
        ASSERT_TRUE(store_->CreateSilence(silence).ok());
      } else {
        ASSERT_TRUE(pipeline_->FlushDue(clock_.NowMs()).ok());
        for (const std::string receiver : {"dba", "ops"}) {
          auto want = step.expect.count(receiver) ? step.expect.at(receiver)
                                                  : std::vector<std::vector<std::string>>{};
          // Messages of different groups have no defined order between them.
          auto got = Drain(receiver);
          std::sort(got.begin(), got.end());
          std::sort(want.begin(), want.end());
          EXPECT_EQ(got, want) << "receiver " << receiver;
        }
      }
    }
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<AlertStore> store_;
  std::unique_ptr<AlertPipeline> pipeline_;
  int wakes_ = 0;
};

TEST_F(AlertPipelineTest, GroupWaitCollectsAHostsAlertsIntoOneMessage) {
  Run({
      Fire(0, "db-01", Severity::kHigh, "cpu"),
      Fire(5 * kSecond, "db-01", Severity::kHigh, "disk"),
      // ops gets each alert at once; dba waits 30 s for the group.
      Expect(6 * kSecond, {{"ops", {{"db-01/cpu/firing"}, {"db-01/disk/firing"}}}}),
      Expect(29 * kSecond, {}),
      Expect(30 * kSecond, {{"dba", {{"db-01/cpu/firing", "db-01/disk/firing"}}}}),
  });
  EXPECT_GT(wakes_, 0);
}

TEST_F(AlertPipelineTest, ChangesAfterAFlushWaitForTheGroupInterval) {
  Run({
      Fire(0, "db-01", Severity::kHigh, "cpu"),
      Expect(30 * kSecond, {{"dba", {{"db-01/cpu/firing"}}}, {"ops", {{"db-01/cpu/firing"}}}}),
      Resolve(60 * kSecond, "db-01", Severity::kHigh, "cpu"),
      // ops (interval 1 m after its flush at +30 s) at +90 s; dba 5 m after +30 s.
      Expect(89 * kSecond, {}),
      Expect(90 * kSecond, {{"ops", {{"db-01/cpu/resolved"}}}}),
      Expect(329 * kSecond, {}),
      Expect(330 * kSecond, {{"dba", {{"db-01/cpu/resolved"}}}}),
  });
}

TEST_F(AlertPipelineTest, RoutesHonourSeverityHostsAndWorkingHours) {
  Run({
      Fire(0, "db-02", Severity::kWarning, "cpu"),    // below the DBA minimum
      Fire(0, "web-01", Severity::kDisaster, "cpu"),  // not a db host
      // Saturday 10:00 Shanghai: outside the DBA window.
      Fire(24 * 3600 * kSecond, "db-03", Severity::kHigh, "cpu"),
      Expect(24 * 3600 * kSecond + 31 * kSecond,
             {{"ops", {{"db-02/cpu/firing"}, {"web-01/cpu/firing"}, {"db-03/cpu/firing"}}}}),
  });
}

TEST_F(AlertPipelineTest, ASilenceHoldsNotificationsUntilItEnds) {
  Run({
      SilenceHost(0, "db-01"),
      Fire(1 * kSecond, "db-01", Severity::kHigh, "cpu"),
      Fire(1 * kSecond, "db-02", Severity::kHigh, "cpu"),
      Expect(31 * kSecond, {{"dba", {{"db-02/cpu/firing"}}}, {"ops", {{"db-02/cpu/firing"}}}}),
      // The silence ends at +10 m. A muted group is looked at again one group_interval after
      // each flush: ops (1 m) right after the end, dba (5 m) at its next flush.
      Expect(9 * kMinute, {}),
      Expect(10 * kMinute + 30 * kSecond, {{"ops", {{"db-01/cpu/firing"}}}}),
      Expect(13 * kMinute + 59 * kSecond, {}),
      Expect(14 * kMinute, {{"dba", {{"db-01/cpu/firing"}}}}),
  });
}

TEST_F(AlertPipelineTest, ADisasterOnAHostMutesItsLowerAlertsOnly) {
  Run({
      Fire(0, "db-01", Severity::kDisaster, "down"),
      Fire(1 * kSecond, "db-01", Severity::kHigh, "cpu"),
      Fire(1 * kSecond, "db-02", Severity::kHigh, "cpu"),
      Expect(31 * kSecond, {{"dba", {{"db-01/down/firing"}, {"db-02/cpu/firing"}}},
                            {"ops", {{"db-01/down/firing"}, {"db-02/cpu/firing"}}}}),
      // Once the disaster resolves, the muted alert is notified.
      Resolve(2 * kMinute, "db-01", Severity::kDisaster, "down"),
      Expect(8 * kMinute, {{"dba", {{"db-01/down/resolved", "db-01/cpu/firing"}}},
                           {"ops", {{"db-01/down/resolved"}, {"db-01/cpu/firing"}}}}),
  });
}

TEST_F(AlertPipelineTest, SplunkAlertsResolveWhenTheirSearchGoesQuiet) {
  Build();
  pipeline_->ResolveWhenQuiet("splunk", 30 * kMinute);
  Step search = Fire(0, "", Severity::kHigh, "errors");
  search.source = "splunk";
  ASSERT_TRUE(pipeline_->Submit(Input(search, AlertStatus::kFiring, 1)).ok());
  ASSERT_TRUE(pipeline_->FlushDue(clock_.NowMs()).ok());
  EXPECT_EQ(Drain("ops"), (std::vector<std::vector<std::string>>{{"/errors/firing"}}));
  // Triggered again at +20 m (a new sid): folds, and restarts the quiet period.
  clock_.SetMs(kFriday10 + 20 * kMinute);
  ASSERT_TRUE(pipeline_->Submit(Input(search, AlertStatus::kFiring, 2)).ok());
  clock_.SetMs(kFriday10 + 49 * kMinute);
  EXPECT_EQ(*pipeline_->ResolveQuietOnce(clock_.NowMs()), 0);
  clock_.SetMs(kFriday10 + 51 * kMinute);
  EXPECT_EQ(*pipeline_->ResolveQuietOnce(clock_.NowMs()), 1);
  ASSERT_TRUE(pipeline_->FlushDue(clock_.NowMs()).ok());
  EXPECT_EQ(Drain("ops"), (std::vector<std::vector<std::string>>{{"/errors/resolved"}}));
  EXPECT_EQ(pipeline_->stats().resolved_quiet, 1);
}

TEST(MinInhibitingSeverityTest, OnlyAlertsThatCanMatchARuleSourceAreLoaded) {
  auto rule = [](std::vector<std::string> source) {
    InhibitRule r;
    for (const std::string& text : source) r.source.push_back(*ParseMatcher(text));
    return r;
  };
  EXPECT_EQ(MinInhibitingSeverity({rule({"severity>=disaster"})}), Severity::kDisaster);
  EXPECT_EQ(MinInhibitingSeverity({rule({"severity>=disaster"}), rule({"severity=high"})}),
            Severity::kHigh);
  // A rule whose source does not bound the severity needs every firing alert.
  EXPECT_EQ(MinInhibitingSeverity({rule({"severity>=disaster"}), rule({"host=~db-*"})}),
            Severity::kNotClassified);
  EXPECT_EQ(MinInhibitingSeverity({rule({"severity<=high"})}), Severity::kNotClassified);
}

}  // namespace
}  // namespace beacon::collector::alerts
