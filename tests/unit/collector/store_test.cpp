// SqliteEventStore: idempotent ingest, acks, latest values, event queries, tokens, retention.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "collector/store/sqlite_event_store.h"

namespace beacon::collector {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kHour = 3'600'000;

wire::Record SampleRecord(uint64_t seq, int64_t ts_ms, std::string metric, double value,
                          std::map<std::string, std::string> labels = {}) {
  wire::Record r;
  r.seq = seq;
  r.ts_ms = ts_ms;
  r.type = wire::RecordType::kSample;
  r.sample.metric = std::move(metric);
  r.sample.value = value;
  r.sample.labels = std::move(labels);
  return r;
}

wire::Record EventRecord(uint64_t seq, int64_t ts_ms, std::string kind, std::string subject = "s") {
  wire::Record r;
  r.seq = seq;
  r.ts_ms = ts_ms;
  r.type = wire::RecordType::kEvent;
  r.event.kind = std::move(kind);
  r.event.severity = "warning";
  r.event.subject = std::move(subject);
  r.event.message = "something happened";
  r.event.data = {{"port", 8081}};
  return r;
}

wire::Batch MakeBatch(std::string agent, std::vector<wire::Record> records) {
  wire::Batch b;
  b.agent = std::move(agent);
  b.agent_version = "0.1.0";
  b.sent_at_ms = kT0;
  b.records = std::move(records);
  return b;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("collector_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "sub" / "collector.db").string();
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto opened = SqliteEventStore::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  StoreCounts Counts() {
    auto counts = store_->Counts();
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.value_or(StoreCounts{});
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<SqliteEventStore> store_;
};

TEST_F(StoreTest, IngestStoresEveryRecordAndAcksTheHighestSeq) {
  wire::Batch batch = MakeBatch("web-01", {SampleRecord(1, kT0, "system.cpu.util", 12.5),
                                           SampleRecord(2, kT0, "system.load1", 0.5),
                                           EventRecord(7, kT0 + 1, "port.unexpected"),
                                           SampleRecord(9, kT0 + 2, "system.cpu.util", 13)});
  auto result = store_->IngestBatch(batch, kT0 + 100);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ack.acked_through, 9u);
  EXPECT_EQ(result->ack.accepted, 4);
  EXPECT_EQ(result->ack.duplicates, 0);
  EXPECT_EQ(result->samples_accepted, 3);
  EXPECT_EQ(result->events_accepted, 1);

  StoreCounts counts = Counts();
  EXPECT_EQ(counts.agents, 1);
  EXPECT_EQ(counts.samples, 3);
  EXPECT_EQ(counts.events, 1);

  auto agent = store_->GetAgent("web-01");
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->agent_version, "0.1.0");
  EXPECT_EQ(agent->first_seen_ms, kT0 + 100);
  EXPECT_EQ(agent->last_seen_ms, kT0 + 100);
  EXPECT_EQ(agent->last_seq, 9u);
  EXPECT_EQ(agent->samples_total, 3);
  EXPECT_EQ(agent->events_total, 1);
  EXPECT_EQ(store_->GetAgent("db-01").status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, ResentBatchAddsNothingAndIsAcknowledgedAgain) {
  wire::Batch batch = MakeBatch("web-01", {SampleRecord(1, kT0, "m", 1), EventRecord(2, kT0, "k"),
                                           SampleRecord(3, kT0, "m", 3)});
  ASSERT_TRUE(store_->IngestBatch(batch, kT0).ok());
  StoreCounts before = Counts();

  auto again = store_->IngestBatch(batch, kT0 + 5000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ack.acked_through, 3u);
  EXPECT_EQ(again->ack.accepted, 0);
  EXPECT_EQ(again->ack.duplicates, 3);
  StoreCounts after = Counts();
  EXPECT_EQ(after.samples, before.samples);
  EXPECT_EQ(after.events, before.events);

  // Overlapping batch: the old part is duplicate, the new part stored.
  auto overlap = store_->IngestBatch(
      MakeBatch("web-01", {SampleRecord(3, kT0, "m", 3), EventRecord(4, kT0, "k"),
                           SampleRecord(5, kT0, "m", 5)}),
      kT0 + 6000);
  ASSERT_TRUE(overlap.ok());
  EXPECT_EQ(overlap->ack.accepted, 2);
  EXPECT_EQ(overlap->ack.duplicates, 1);
  EXPECT_EQ(overlap->ack.acked_through, 5u);
  auto agent = store_->GetAgent("web-01");
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->samples_total, 3);  // 1, 3, 5
  EXPECT_EQ(agent->events_total, 2);   // 2, 4
  EXPECT_EQ(agent->first_seen_ms, kT0);
  EXPECT_EQ(agent->last_seen_ms, kT0 + 6000);
}

TEST_F(StoreTest, SameSeqFromDifferentAgentsAreDistinct) {
  ASSERT_TRUE(store_->IngestBatch(MakeBatch("a", {EventRecord(1, kT0, "k")}), kT0).ok());
  auto b = store_->IngestBatch(MakeBatch("b", {EventRecord(1, kT0, "k")}), kT0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->ack.accepted, 1);
  EXPECT_EQ(Counts().events, 2);
}

TEST_F(StoreTest, EmptyBatchIsAHeartbeatAckingTheLastSeq) {
  auto none = store_->IngestBatch(MakeBatch("web-01", {}), kT0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->ack.acked_through, 0u);
  ASSERT_TRUE(store_->IngestBatch(MakeBatch("web-01", {EventRecord(41, kT0, "k")}), kT0).ok());
  auto heartbeat = store_->IngestBatch(MakeBatch("web-01", {}), kT0 + 60'000);
  ASSERT_TRUE(heartbeat.ok());
  EXPECT_EQ(heartbeat->ack.acked_through, 41u);
  EXPECT_EQ(store_->GetAgent("web-01")->last_seen_ms, kT0 + 60'000);
}

TEST_F(StoreTest, LatestKeepsTheNewestValueOfEachSeries) {
  ASSERT_TRUE(store_
                  ->IngestBatch(
                      MakeBatch("web-01", {SampleRecord(1, kT0, "cpu", 10, {{"mode", "user"}}),
                                           SampleRecord(2, kT0, "cpu", 5, {{"mode", "system"}}),
                                           SampleRecord(3, kT0 + 10, "cpu", 11, {{"mode", "user"}}),
                                           SampleRecord(4, kT0, "mem", 42)}),
                      kT0)
                  .ok());
  // A late sample (older timestamp, newer seq) must not replace the newer value.
  ASSERT_TRUE(
      store_
          ->IngestBatch(
              MakeBatch("web-01", {SampleRecord(5, kT0 + 5, "cpu", 99, {{"mode", "user"}})}), kT0)
          .ok());
  auto latest = store_->LatestValues("web-01");
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 3u);
  // Ordered by metric, then labels.
  EXPECT_EQ((*latest)[0].metric, "cpu");
  EXPECT_EQ((*latest)[0].labels.at("mode"), "system");
  EXPECT_EQ((*latest)[0].value, 5);
  EXPECT_EQ((*latest)[1].labels.at("mode"), "user");
  EXPECT_EQ((*latest)[1].value, 11);
  EXPECT_EQ((*latest)[1].ts_ms, kT0 + 10);
  EXPECT_EQ((*latest)[2].metric, "mem");
  EXPECT_TRUE((*latest)[2].labels.empty());
  EXPECT_TRUE(store_->LatestValues("nobody")->empty());
}

TEST_F(StoreTest, EventQueriesFilterAndReturnNewestFirst) {
  ASSERT_TRUE(store_
                  ->IngestBatch(MakeBatch("web-01", {EventRecord(1, kT0, "fim.changed", "/etc/a"),
                                                     EventRecord(2, kT0 + kHour, "port.unexpected"),
                                                     EventRecord(3, kT0 + 2 * kHour, "fim.added")}),
                                kT0)
                  .ok());
  ASSERT_TRUE(
      store_->IngestBatch(MakeBatch("db-01", {EventRecord(1, kT0 + 3 * kHour, "fimx")}), kT0).ok());

  auto all = store_->QueryEvents({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].agent, "db-01");
  EXPECT_EQ((*all)[3].seq, 1u);
  EXPECT_EQ((*all)[3].subject, "/etc/a");
  EXPECT_EQ((*all)[3].severity, "warning");
  EXPECT_EQ((*all)[3].message, "something happened");
  EXPECT_EQ((*all)[3].data["port"], 8081);

  EventQuery by_host;
  by_host.agent = "web-01";
  EXPECT_EQ(store_->QueryEvents(by_host)->size(), 3u);

  EventQuery prefix;
  prefix.kind = "fim.*";
  auto fim = store_->QueryEvents(prefix);
  ASSERT_EQ(fim->size(), 2u);  // not "fimx"
  EXPECT_EQ((*fim)[0].kind, "fim.added");
  EXPECT_EQ((*fim)[1].kind, "fim.changed");

  EventQuery exact;
  exact.kind = "fim";
  EXPECT_TRUE(store_->QueryEvents(exact)->empty());
  exact.kind = "port.unexpected";
  EXPECT_EQ(store_->QueryEvents(exact)->size(), 1u);

  EventQuery window;
  window.since_ms = kT0 + kHour;
  window.until_ms = kT0 + 2 * kHour;
  auto in_window = store_->QueryEvents(window);
  ASSERT_EQ(in_window->size(), 2u);
  EXPECT_EQ((*in_window)[0].seq, 3u);
  EXPECT_EQ((*in_window)[1].seq, 2u);

  EventQuery limited;
  limited.limit = 1;
  ASSERT_EQ(store_->QueryEvents(limited)->size(), 1u);
}

TEST_F(StoreTest, PruneDeletesOnlyWhatRetentionExpired) {
  std::vector<wire::Record> records;
  uint64_t seq = 0;
  // More old samples than one prune chunk, to prove chunking deletes them all.
  const int old_samples = SqliteEventStore::kPruneChunkRows + 500;
  for (int i = 0; i < old_samples; ++i) records.push_back(SampleRecord(++seq, kT0, "old", i));
  records.push_back(SampleRecord(++seq, kT0 + 10 * kHour, "new", 1));
  records.push_back(EventRecord(++seq, kT0, "old.event"));
  records.push_back(EventRecord(++seq, kT0 + 10 * kHour, "new.event"));
  ASSERT_TRUE(store_->IngestBatch(MakeBatch("web-01", std::move(records)), kT0).ok());

  // now = T0 + 12h; samples keep 5h (old ones go), events keep 24h (all stay).
  RetentionPolicy retention{5 * kHour, 24 * kHour};
  auto pruned = store_->Prune(kT0 + 12 * kHour, retention, nullptr);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->samples, old_samples);
  EXPECT_EQ(pruned->events, 0);
  StoreCounts counts = Counts();
  EXPECT_EQ(counts.samples, 1);
  EXPECT_EQ(counts.events, 2);
  // The "old" series vanished from the latest values too.
  auto latest = store_->LatestValues("web-01");
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].metric, "new");

  // A day and a half later the old event goes as well.
  auto later = store_->Prune(kT0 + 30 * kHour, retention, nullptr);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->events, 1);
  EXPECT_EQ(Counts().events, 1);
  EXPECT_EQ(store_->QueryEvents({})->at(0).kind, "new.event");
}

TEST_F(StoreTest, CancelledPruneStopsAfterOneChunkAndTheNextPassFinishes) {
  std::vector<wire::Record> records;
  const int old_samples = 2 * SqliteEventStore::kPruneChunkRows + 10;
  for (int i = 1; i <= old_samples; ++i) records.push_back(SampleRecord(i, kT0, "old", i));
  records.push_back(EventRecord(old_samples + 1, kT0, "old.event"));
  ASSERT_TRUE(store_->IngestBatch(MakeBatch("web-01", std::move(records)), kT0).ok());
  RetentionPolicy retention{kHour, kHour};

  std::atomic<bool> cancel{true};
  auto first = store_->Prune(kT0 + 2 * kHour, retention, &cancel);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->samples, SqliteEventStore::kPruneChunkRows);
  EXPECT_EQ(first->events, 0);
  EXPECT_EQ(Counts().samples, old_samples - SqliteEventStore::kPruneChunkRows);

  cancel = false;
  auto second = store_->Prune(kT0 + 2 * kHour, retention, &cancel);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->samples, old_samples - SqliteEventStore::kPruneChunkRows);
  EXPECT_EQ(second->events, 1);
  EXPECT_EQ(Counts().samples, 0);
}

TEST_F(StoreTest, TokensAreFoundByHashAndRevocable) {
  auto created = store_->CreateToken("web-01", std::string(64, 'a'), kT0);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_GT(created->id, 0);
  ASSERT_TRUE(store_->CreateToken("web-01", std::string(64, 'b'), kT0).ok());
  ASSERT_TRUE(store_->CreateToken("db-01", std::string(64, 'c'), kT0).ok());
  // The same hash twice is refused by the UNIQUE constraint.
  EXPECT_FALSE(store_->CreateToken("x", std::string(64, 'a'), kT0).ok());

  auto found = store_->LookupToken(std::string(64, 'a'), kT0 + 1000);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->agent, "web-01");
  EXPECT_FALSE(found->revoked_ms.has_value());
  EXPECT_EQ(found->last_used_ms, kT0 + 1000);
  EXPECT_EQ(store_->LookupToken(std::string(64, 'z'), kT0).status().code(), StatusCode::kNotFound);

  auto revoked = store_->RevokeTokens("web-01", kT0 + 2000);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, 2);
  EXPECT_EQ(*store_->RevokeTokens("web-01", kT0 + 3000), 0);  // already revoked
  EXPECT_EQ(store_->LookupToken(std::string(64, 'b'), kT0)->revoked_ms, kT0 + 2000);
  EXPECT_FALSE(store_->LookupToken(std::string(64, 'c'), kT0)->revoked_ms.has_value());

  auto list = store_->ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].agent, "db-01");
  EXPECT_EQ((*list)[1].last_used_ms, kT0 + 1000);
}

TEST_F(StoreTest, DataSurvivesReopenAndSchemaIsVersioned) {
  ASSERT_TRUE(store_->IngestBatch(MakeBatch("web-01", {EventRecord(1, kT0, "k")}), kT0).ok());
  ASSERT_TRUE(store_->CreateToken("web-01", std::string(64, 'd'), kT0).ok());
  Reopen();
  EXPECT_EQ(*store_->SchemaVersion(), SqliteEventStore::Migrations().back().version);
  EXPECT_EQ(Counts().events, 1);
  EXPECT_EQ(store_->LookupToken(std::string(64, 'd'), kT0)->agent, "web-01");
  EXPECT_TRUE(store_->Ping().ok());
  EXPECT_GT(*store_->SizeBytes(), 0);
}

}  // namespace
}  // namespace beacon::collector
