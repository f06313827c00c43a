// The ingest handler's trust rules, hermetic (real SQLite store and catalog, fake clock): a batch
// with a backup.version naming another agent's object is refused with 403 and stores nothing,
// created_ms and record timestamps outside their window are stored as the receive time and
// counted, and each streak of skewed batches is reported once as a collector.clock_skew event.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/backups/catalog.h"
#include "collector/backups/catalog_consumer.h"
#include "collector/ingest/ingest_handler.h"
#include "collector/metrics.h"
#include "collector/store/sqlite_event_store.h"
#include "common/clock.h"
#include "common/wire/backup.h"
#include "common/wire/wire.h"

namespace beacon::collector {
namespace {

constexpr int64_t kNow = 1'764'136'000'000;  // 2025-11-26T05:46:40Z
constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;

wire::BackupVersion VersionOf(const std::string& owner, const std::string& path,
                              int64_t created_ms) {
  wire::BackupVersion v;
  v.set = "app";
  v.path = path;
  v.size = 10;
  v.sha256 = std::string(64, 'a');
  v.stored_size = 8;
  v.store = "oss";
  v.key = wire::MakeObjectKey("beacon", owner, path, created_ms, v.sha256, false);
  v.created_ms = created_ms;
  return v;
}

wire::Record VersionRecord(uint64_t seq, const wire::BackupVersion& v) {
  wire::Record r;
  r.seq = seq;
  r.ts_ms = kNow;
  r.type = wire::RecordType::kEvent;
  r.event.kind = std::string(wire::kBackupVersionKind);
  r.event.subject = v.path;
  r.event.message = "backed up";
  r.event.data = wire::BackupVersionToJson(v);
  return r;
}

wire::Record SampleRecord(uint64_t seq, int64_t ts_ms, const std::string& metric = "m") {
  wire::Record r;
  r.seq = seq;
  r.ts_ms = ts_ms;
  r.sample.metric = metric;
  r.sample.value = static_cast<double>(seq);
  return r;
}

wire::Record EventRecord(uint64_t seq, int64_t ts_ms) {
  wire::Record r;
  r.seq = seq;
  r.ts_ms = ts_ms;
  r.type = wire::RecordType::kEvent;
  r.event.kind = "test.event";
  r.event.subject = "s";
  r.event.message = "event " + std::to_string(seq);
  return r;
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ingest_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = SqliteEventStore::Open((dir_ / "collector.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto catalog = backups::Catalog::Open((dir_ / "catalog.db").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
    IngestLimits limits;
    limits.samples_retention_ms = 7 * kDay;
    limits.events_retention_ms = 90 * kDay;
    cataloguer_ = std::make_unique<backups::CatalogConsumer>(catalog_.get());
    handler_ = std::make_unique<IngestHandler>(store_.get(), nullptr, &metrics_, &clock_, limits,
                                               std::vector<IngestConsumer*>{cataloguer_.get()});
  }
  void TearDown() override {
    handler_.reset();
    catalog_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::ServerResponse Ingest(const std::string& agent, std::vector<wire::Record> records,
                              int64_t sent_at_ms = kNow) {
    wire::Batch batch;
    batch.agent = agent;
    batch.agent_version = "0.1.0";
    batch.sent_at_ms = sent_at_ms;
    batch.records = std::move(records);
    http::ServerRequest request;
    request.method = "POST";
    request.path = "/api/v1/ingest";
    request.body = wire::EncodeBatch(batch);
    request.remote_addr = "127.0.0.1";
    request.principal = agent;
    return handler_->Handle(request);
  }

  std::vector<backups::CatalogVersion> Catalogued() {
    auto versions = catalog_->ListVersions(backups::VersionQuery{});
    EXPECT_TRUE(versions.ok()) << versions.status().ToString();
    return versions.ok() ? *versions : std::vector<backups::CatalogVersion>{};
  }

  std::vector<StoredEvent> Events(const std::string& kind) {
    EventQuery query;
    query.kind = kind;
    auto events = store_->QueryEvents(query);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? *events : std::vector<StoredEvent>{};
  }

  std::filesystem::path dir_;
  FakeClock clock_{kNow};
  CollectorMetrics metrics_;
  std::unique_ptr<SqliteEventStore> store_;
  std::unique_ptr<backups::Catalog> catalog_;
  std::unique_ptr<backups::CatalogConsumer> cataloguer_;
  std::unique_ptr<IngestHandler> handler_;
};

TEST_F(IngestTest, ABatchCataloguingAnotherAgentsKeyIsRefusedWith403AndNothingIsStored) {
  http::ServerResponse response =
      Ingest("db-01", {SampleRecord(1, kNow), VersionRecord(2, VersionOf("db-01", "/etc/a", kNow)),
                       VersionRecord(3, VersionOf("web-01", "/etc/b", kNow))});
  EXPECT_EQ(response.status, 403) << response.body;
  const std::string error = nlohmann::json::parse(response.body)["error"];
  EXPECT_NE(error.find("records[2] (backup.version): key 'beacon/web-01/etc/b@"), std::string::npos)
      << error;
  EXPECT_NE(error.find("is not an object of agent 'db-01'"), std::string::npos) << error;
  EXPECT_EQ(metrics_.rejected("foreign_object"), 1);

  auto counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->samples, 0);
  EXPECT_EQ(counts->events, 0);
  EXPECT_EQ(counts->agents, 0);
  EXPECT_TRUE(Catalogued().empty());

  // Keys that climb out of the agent's part, or hide under a deeper prefix, are refused too.
  wire::BackupVersion climbing = VersionOf("db-01", "/etc/a", kNow);
  climbing.key = "beacon/db-01/../web-01/etc/a" + climbing.key.substr(climbing.key.rfind('@'));
  EXPECT_EQ(Ingest("db-01", {VersionRecord(4, climbing)}).status, 403);
  wire::BackupVersion deeper = VersionOf("db-01", "/etc/a", kNow);
  deeper.key = "beacon/web-01/" + deeper.key;
  EXPECT_EQ(Ingest("db-01", {VersionRecord(5, deeper)}).status, 403);
  EXPECT_TRUE(Catalogued().empty());

  // The agent's own key goes through.
  EXPECT_EQ(Ingest("db-01", {VersionRecord(6, VersionOf("db-01", "/etc/a", kNow))}).status, 200);
  ASSERT_EQ(Catalogued().size(), 1u);
  EXPECT_EQ(Catalogued()[0].agent, "db-01");
}

TEST_F(IngestTest, CreatedMsOutsideItsWindowIsTheReceiveTime) {
  wire::BackupVersion zero = VersionOf("web-01", "/etc/zero", kNow);
  zero.created_ms = 0;
  wire::BackupVersion future = VersionOf("web-01", "/etc/future", kNow);
  future.created_ms = kNow + kHour;
  wire::BackupVersion ancient = VersionOf("web-01", "/etc/ancient", kNow);
  ancient.created_ms = kNow - 91 * kDay;
  wire::BackupVersion late = VersionOf("web-01", "/etc/late", kNow);  // spooled while away
  late.created_ms = kNow - 30 * kDay;
  http::ServerResponse response =
      Ingest("web-01", {VersionRecord(1, zero), VersionRecord(2, future), VersionRecord(3, ancient),
                        VersionRecord(4, late)});
  ASSERT_EQ(response.status, 200) << response.body;
  std::map<std::string, int64_t> created;
  for (const auto& v : Catalogued()) created[v.version.path] = v.version.created_ms;
  EXPECT_EQ(created["/etc/zero"], kNow);
  EXPECT_EQ(created["/etc/future"], kNow);
  EXPECT_EQ(created["/etc/ancient"], kNow);
  EXPECT_EQ(created["/etc/late"], kNow - 30 * kDay);
  EXPECT_EQ(metrics_.clamped_created_ms(), 3);
  EXPECT_EQ(metrics_.clamped_ts(), 0);
  // The event keeps what the agent said.
  auto events = Events(std::string(wire::kBackupVersionKind));
  ASSERT_EQ(events.size(), 4u);
  for (const StoredEvent& e : events) {
    if (e.subject == "/etc/zero") {
      EXPECT_EQ(e.data["created_ms"], 0);
    }
  }
}

TEST_F(IngestTest, TimestampsOutsideTheRetentionWindowAreTheReceiveTime) {
  http::ServerResponse response =
      Ingest("web-01",
             {SampleRecord(1, kNow - 8 * kDay, "old"), SampleRecord(2, kNow + 2 * kDay, "future"),
              SampleRecord(3, kNow + 23 * kHour, "skewed"),
              SampleRecord(4, kNow - 6 * kDay, "late"), EventRecord(5, kNow - 30 * kDay),
              EventRecord(6, kNow - 100 * kDay), EventRecord(7, kNow + 25 * kHour)});
  ASSERT_EQ(response.status, 200) << response.body;
  auto latest = store_->LatestValues("web-01");
  ASSERT_TRUE(latest.ok());
  std::map<std::string, int64_t> ts;
  for (const LatestValue& v : *latest) ts[v.metric] = v.ts_ms;
  EXPECT_EQ(ts["old"], kNow);
  EXPECT_EQ(ts["future"], kNow);
  EXPECT_EQ(ts["skewed"], kNow + 23 * kHour);
  EXPECT_EQ(ts["late"], kNow - 6 * kDay);
  std::map<uint64_t, int64_t> event_ts;
  for (const StoredEvent& e : Events("test.event")) event_ts[e.seq] = e.ts_ms;
  EXPECT_EQ(event_ts[5], kNow - 30 * kDay);
  EXPECT_EQ(event_ts[6], kNow);
  EXPECT_EQ(event_ts[7], kNow);
  EXPECT_EQ(metrics_.clamped_ts(), 4);

  // Nothing of it goes at the next prune.
  auto pruned = store_->Prune(kNow, RetentionPolicy{7 * kDay, 90 * kDay}, nullptr);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->samples, 0);
  EXPECT_EQ(pruned->events, 0);
}

TEST_F(IngestTest, ASkewedClockIsReportedOncePerStreakAsAnEvent) {
  const int64_t sent_at = kNow + 3 * kDay + 2 * kHour;  // the agent's clock
  ASSERT_EQ(Ingest("web-01", {SampleRecord(1, sent_at)}, sent_at).status, 200);
  ASSERT_EQ(Ingest("web-01", {SampleRecord(2, sent_at)}, sent_at).status, 200);
  ASSERT_EQ(Ingest("db-01", {SampleRecord(1, kNow)}).status, 200);  // a good clock: no event
  std::vector<StoredEvent> events = Events(std::string(kClockSkewEventKind));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].agent, "web-01");
  EXPECT_EQ(events[0].seq, UINT64_MAX);  // the collector's range, never an agent's seq
  EXPECT_EQ(events[0].ts_ms, kNow);
  EXPECT_EQ(events[0].severity, "warning");
  EXPECT_EQ(events[0].message,
            "agent web-01 sent 1 timestamps outside the accepted window, stored with the receive "
            "time; its clock is off by +3d2h");
  EXPECT_EQ(events[0].data["offset_ms"], 3 * kDay + 2 * kHour);
  EXPECT_EQ(metrics_.clamped_ts(), 2);
  auto agent = store_->GetAgent("web-01");
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->last_seq, 2u);  // the report does not move the agent's sequence
  EXPECT_EQ(agent->events_total, 0);

  // A clean batch ends the streak; the clock going wrong again is reported again.
  clock_.AdvanceMs(kHour);
  ASSERT_EQ(Ingest("web-01", {SampleRecord(3, kNow)}).status, 200);
  ASSERT_EQ(Ingest("web-01", {SampleRecord(4, kNow - 30 * kDay)}, kNow - 30 * kDay).status, 200);
  events = Events(std::string(kClockSkewEventKind));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, UINT64_MAX - 1);
  EXPECT_NE(events[0].message.find("its clock is off by -30d"), std::string::npos)
      << events[0].message;
}

// Records every batch it is handed ("<name>:<records>:<backup versions>") and fails the first
// `failures` of them.
class RecordingConsumer : public IngestConsumer {
 public:
  RecordingConsumer(std::string name, int failures, std::vector<std::string>* calls)
      : name_(std::move(name)), failures_(failures), calls_(calls) {}
  Status Consume(const StoredBatch& stored) override {
    calls_->push_back(name_ + ":" + std::to_string(stored.batch.records.size()) + ":" +
                      std::to_string(stored.backup_versions.size()));
    if (failures_ > 0) {
      --failures_;
      return Status::IoError("disk full");
    }
    return Status::Ok();
  }
  std::string_view unavailable() const override { return name_; }
  std::string_view reject_reason() const override { return "recorder_unavailable"; }

 private:
  const std::string name_;
  int failures_;
  std::vector<std::string>* calls_;
};

TEST_F(IngestTest, ConsumersRunInOrderAndAFailureIsNotAcknowledgedUntilTheResend) {
  std::vector<std::string> calls;
  RecordingConsumer first("first store", 1, &calls);
  RecordingConsumer second("second store", 0, &calls);
  IngestHandler handler(store_.get(), nullptr, &metrics_, &clock_, IngestLimits{},
                        {cataloguer_.get(), &first, &second});
  wire::Batch batch;
  batch.agent = "web-01";
  batch.agent_version = "0.1.0";
  batch.sent_at_ms = kNow;
  batch.records = {EventRecord(1, kNow), VersionRecord(2, VersionOf("web-01", "/etc/a", kNow))};
  http::ServerRequest request;
  request.method = "POST";
  request.path = "/api/v1/ingest";
  request.body = wire::EncodeBatch(batch);
  request.principal = "web-01";

  // The first failure answers 503 naming what is unavailable; the consumers after it wait.
  http::ServerResponse failed = handler.Handle(request);
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_EQ(nlohmann::json::parse(failed.body)["error"], "first store unavailable");
  EXPECT_EQ(metrics_.rejected("recorder_unavailable"), 1);
  EXPECT_EQ(calls, (std::vector<std::string>{"first store:2:1"}));
  // What ran before the failure is done: the events are stored and the version catalogued.
  EXPECT_EQ(Events("test.event").size(), 1u);
  EXPECT_EQ(Catalogued().size(), 1u);

  // The agent re-sends: duplicates for the store and the catalog, and every consumer runs.
  http::ServerResponse resent = handler.Handle(request);
  ASSERT_EQ(resent.status, 200) << resent.body;
  EXPECT_EQ(nlohmann::json::parse(resent.body)["duplicates"], 2);
  EXPECT_EQ(calls,
            (std::vector<std::string>{"first store:2:1", "first store:2:1", "second store:2:1"}));
  EXPECT_EQ(Catalogued().size(), 1u);
}

}  // namespace
}  // namespace beacon::collector
