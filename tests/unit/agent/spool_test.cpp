// Spool: seq allocation and payloads, peek/ack, the cap (oldest samples dropped, events
// never), the event cap (refused or dropped and counted), persistence across reopen, seeding of
// new spools, and concurrent appenders.
#include "agent/spool/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

namespace beacon::agent {
namespace {

wire::Record Sample(const std::string& metric, double value) {
  wire::Record r;
  r.type = wire::RecordType::kSample;
  r.ts_ms = 1'700'000'000'000;
  r.sample.metric = metric;
  r.sample.value = value;
  return r;
}

wire::Record Event(const std::string& kind, const std::string& subject = "") {
  wire::Record r;
  r.type = wire::RecordType::kEvent;
  r.ts_ms = 1'700'000'000'000;
  r.event.kind = kind;
  r.event.subject = subject;
  return r;
}

wire::Record DecodePayload(const std::string& payload) {
  auto r = wire::DecodeRecord(nlohmann::json::parse(payload));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : wire::Record{};
}

class SpoolTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon-spool-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.path = (dir_ / "sub" / "spool.db").string();  // directory created on Open
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Spool> Open() {
    auto spool = Spool::Open(options_, clock_);
    EXPECT_TRUE(spool.ok()) << spool.status().ToString();
    return spool.ok() ? std::move(*spool) : nullptr;
  }

  std::filesystem::path dir_;
  SpoolOptions options_;
  FakeClock clock_{1'700'000'000'000};
};

TEST_F(SpoolTest, NewSpoolIsSeededWithTheTimeInMicroseconds) {
  auto spool = Open();
  auto seqs = spool->Append({Sample("a", 1), Sample("b", 2)});
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  EXPECT_EQ(*seqs, (std::vector<uint64_t>{1'700'000'000'000'001, 1'700'000'000'000'002}));
}

TEST_F(SpoolTest, RecreatedSpoolNeverReusesSeqs) {
  uint64_t last_old = 0;
  {
    auto spool = Open();
    for (int i = 0; i < 50; ++i) last_old = spool->Append({Sample("a", i)})->back();
  }
  std::filesystem::remove_all(dir_);  // operator deletes the spool
  clock_.AdvanceMs(1000);
  auto spool = Open();
  EXPECT_GT(spool->Append({Sample("a", 1)})->front(), last_old);
}

TEST_F(SpoolTest, AppendPeekAckRoundTrip) {
  auto spool = Open();
  ASSERT_TRUE(spool->Append({Sample("m1", 1), Event("e1", "x"), Sample("m2", 2)}).ok());
  auto batch = spool->Peek(10, 1 << 20);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 3u);
  // The payload is the final wire record, seq included.
  for (const auto& r : *batch) EXPECT_EQ(DecodePayload(r.payload).seq, r.seq);
  EXPECT_EQ(DecodePayload((*batch)[0].payload).sample.metric, "m1");
  EXPECT_EQ((*batch)[1].type, wire::RecordType::kEvent);
  EXPECT_EQ(DecodePayload((*batch)[1].payload).event.subject, "x");
  EXPECT_LT((*batch)[0].seq, (*batch)[1].seq);

  auto stats = spool->Stats();
  EXPECT_EQ(stats->pending_records, 3);
  int64_t bytes = 0;
  for (const auto& r : *batch) bytes += static_cast<int64_t>(r.payload.size());
  EXPECT_EQ(stats->pending_bytes, bytes);

  ASSERT_TRUE(spool->Ack((*batch)[1].seq).ok());  // acknowledges the first two only
  auto rest = spool->Peek(10, 1 << 20);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].seq, (*batch)[2].seq);
  EXPECT_EQ(spool->Stats()->pending_records, 1);
  EXPECT_EQ(spool->Stats()->pending_bytes, static_cast<int64_t>((*batch)[2].payload.size()));
}

TEST_F(SpoolTest, PeekHonoursCountAndBytes) {
  auto spool = Open();
  std::vector<wire::Record> records;
  for (int i = 0; i < 20; ++i) records.push_back(Sample("metric.name", i));
  ASSERT_TRUE(spool->Append(records).ok());
  EXPECT_EQ(spool->Peek(7, 1 << 20)->size(), 7u);
  const int64_t one = static_cast<int64_t>(spool->Peek(1, 1 << 20)->at(0).payload.size());
  EXPECT_EQ(spool->Peek(100, one * 3 + one / 2)->size(), 3u);
  // A record larger than the byte limit is still returned alone, or it could never be sent.
  EXPECT_EQ(spool->Peek(100, 1)->size(), 1u);
}

TEST_F(SpoolTest, RefusesRecordsTheCollectorWouldRefuse) {
  auto spool = Open();
  auto result = spool->Append({Sample("ok", 1), Sample("bad", std::nan(""))});
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(spool->Stats()->pending_records, 0);  // all or nothing
  EXPECT_FALSE(spool->Append({Sample("bad name", 1)}).ok());
}

TEST_F(SpoolTest, CapDropsOldestSamplesNeverEventsAndCountsThem) {
  options_.max_bytes = 4000;
  auto spool = Open();
  ASSERT_TRUE(spool->Append({Event("first.event")}).ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(spool->Append({Sample("metric.name", i), Sample("metric.name", i)}).ok());
    if (i == 50) {
      ASSERT_TRUE(spool->Append({Event("middle.event")}).ok());
    }
  }
  auto stats = spool->Stats();
  EXPECT_LE(stats->pending_bytes, 4000);
  EXPECT_GT(stats->dropped_samples_total, 0);
  auto all = spool->Peek(10000, 1 << 30);
  EXPECT_EQ(stats->pending_records + stats->dropped_samples_total, 202);  // 200 samples, 2 events
  std::vector<std::string> kinds;
  std::vector<double> values;
  for (const auto& r : *all) {
    auto rec = DecodePayload(r.payload);
    if (r.type == wire::RecordType::kEvent) {
      kinds.push_back(rec.event.kind);
    } else {
      values.push_back(rec.sample.value);
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"first.event", "middle.event"}));
  // The newest samples survive.
  ASSERT_FALSE(values.empty());
  EXPECT_EQ(values.back(), 99);
  EXPECT_GT(values.front(), 0);

  // The count persists.
  const int64_t dropped = stats->dropped_samples_total;
  spool.reset();
  EXPECT_EQ(Open()->Stats()->dropped_samples_total, dropped);
}

TEST_F(SpoolTest, EventsAreKeptEvenAboveTheCap) {
  options_.max_bytes = 1000;
  auto spool = Open();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(spool->Append({Event("deploy.done")}).ok());
  auto stats = spool->Stats();
  EXPECT_EQ(stats->pending_records, 50);
  EXPECT_GT(stats->pending_bytes, 1000);
  EXPECT_EQ(stats->dropped_samples_total, 0);
  // A sample added now is the one that goes.
  ASSERT_TRUE(spool->Append({Sample("x", 1)}).ok());
  EXPECT_EQ(spool->Stats()->pending_records, 50);
  EXPECT_EQ(spool->Stats()->dropped_samples_total, 1);
}

TEST_F(SpoolTest, EventCapRefusesTheWholeAppendWithAClearError) {
  options_.max_event_bytes = 1000;
  auto spool = Open();
  int stored = 0;
  while (true) {
    auto r = spool->Append({Event("deploy.done", std::to_string(stored))});
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
      const std::string& m = r.status().message();
      EXPECT_NE(m.find("spool " + options_.path + " is full: "), std::string::npos) << m;
      EXPECT_NE(m.find("bytes of events are waiting for the collector and "
                       "spool.max_event_bytes is 1000"),
                std::string::npos)
          << m;
      EXPECT_NE(m.find("nothing was stored"), std::string::npos) << m;
      break;
    }
    ++stored;
    ASSERT_LT(stored, 100) << "the cap never refused";
  }
  auto stats = spool->Stats();
  EXPECT_EQ(stats->pending_records, stored);
  EXPECT_LE(stats->pending_event_bytes, 1000);
  EXPECT_EQ(stats->pending_event_bytes, stats->pending_bytes);
  // Refused, not dropped: the caller was told, so nothing is counted.
  EXPECT_EQ(stats->dropped_events_total, 0);
  // A mixed append is refused whole: its sample is not stored either.
  EXPECT_FALSE(spool->Append({Sample("x", 1), Event("one.more")}).ok());
  EXPECT_EQ(spool->Stats()->pending_records, stored);
  // Samples alone are still taken, and events again once the collector acknowledged some.
  EXPECT_TRUE(spool->Append({Sample("x", 1)}).ok());
  auto peeked = spool->Peek(2, 1 << 20);
  ASSERT_TRUE(spool->Ack(peeked->back().seq).ok());
  EXPECT_TRUE(spool->Append({Event("after.ack")}).ok());
}

TEST_F(SpoolTest, EventCapDropsAndCountsInputEventsButKeepsTheirSamples) {
  options_.max_event_bytes = 1000;
  auto spool = Open();
  int64_t seqs_returned = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = spool->Append({Event("port.unexpected", std::to_string(i)), Sample("s", i)},
                           EventCapPolicy::kDropEvents);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    seqs_returned += static_cast<int64_t>(r->size());
  }
  auto stats = spool->Stats();
  EXPECT_LE(stats->pending_event_bytes, 1000);
  EXPECT_GT(stats->dropped_events_total, 0);
  EXPECT_EQ(stats->pending_records + stats->dropped_events_total, 60);
  EXPECT_EQ(seqs_returned, stats->pending_records);
  int samples = 0;
  uint64_t previous = 0;
  auto all = spool->Peek(1000, 1 << 30);
  ASSERT_TRUE(all.ok());
  for (const auto& r : *all) {
    EXPECT_EQ(r.seq, previous == 0 ? r.seq : previous + 1);  // no gap left by a dropped event
    previous = r.seq;
    if (r.type == wire::RecordType::kSample) ++samples;
  }
  EXPECT_EQ(samples, 30);

  // The count survives a restart and is reported until marked.
  const int64_t dropped = stats->dropped_events_total;
  spool.reset();
  spool = Open();
  EXPECT_EQ(spool->Stats()->dropped_events_total, dropped);
  auto report = spool->PendingDroppedReport();
  ASSERT_TRUE(report.ok() && report->has_value());
  EXPECT_EQ((*report)->newly_dropped_events, dropped);
  EXPECT_EQ((*report)->events_total, dropped);
  EXPECT_EQ((*report)->newly_dropped, 0);
  EXPECT_TRUE(spool->PendingDroppedReport()->has_value());  // not marked yet
  ASSERT_TRUE(spool->MarkDroppedReported(**report).ok());
  EXPECT_FALSE(spool->PendingDroppedReport()->has_value());
}

TEST_F(SpoolTest, ASpoolFromBeforeTheEventCapCountsItsEventsOnOpen) {
  {
    auto spool = Open();
    ASSERT_TRUE(spool->Append({Event("old.one"), Sample("s", 1), Event("old.two")}).ok());
  }
  const int64_t event_bytes = Open()->Stats()->pending_event_bytes;
  ASSERT_GT(event_bytes, 0);
  {
    // Back to schema 1, as an agent before spool.max_event_bytes left it.
    auto db = store::Database::Open(options_.path);
    ASSERT_TRUE(db.ok());
    for (const char* sql :
         {"DROP TRIGGER records_event_after_insert", "DROP TRIGGER records_event_after_delete",
          "DELETE FROM meta WHERE key IN ('pending_event_bytes', 'dropped_events_total', "
          "'dropped_events_reported')",
          "UPDATE schema_version SET version = 1"}) {
      ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
    }
  }
  auto spool = Open();
  EXPECT_EQ(spool->Stats()->pending_event_bytes, event_bytes);
  EXPECT_EQ(spool->Stats()->dropped_events_total, 0);
}

TEST_F(SpoolTest, ReopenKeepsRecordsAndSeqsIncreasing) {
  uint64_t last = 0;
  {
    auto spool = Open();
    last = spool->Append({Sample("a", 1), Sample("a", 2)})->back();
    ASSERT_TRUE(spool->Ack(last).ok());  // empty, but the sequence must survive
    ASSERT_TRUE(spool->Append({Event("kept")}).ok());
    last += 1;
  }
  auto spool = Open();
  EXPECT_EQ(spool->Stats()->pending_records, 1);
  EXPECT_EQ(spool->Peek(10, 1 << 20)->at(0).seq, last);
  EXPECT_EQ(spool->Append({Sample("a", 3)})->front(), last + 1);
}

TEST_F(SpoolTest, DroppedReportOncePerGrowth) {
  options_.max_bytes = 300;
  auto spool = Open();
  EXPECT_FALSE(spool->PendingDroppedReport()->has_value());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(spool->Append({Sample("metric.name", i)}).ok());
  const int64_t total = spool->Stats()->dropped_samples_total;
  ASSERT_GT(total, 0);
  auto report = spool->PendingDroppedReport();
  ASSERT_TRUE(report.ok() && report->has_value());
  EXPECT_EQ((*report)->newly_dropped, total);
  EXPECT_EQ((*report)->total, total);
  EXPECT_EQ((*report)->newly_dropped_events, 0);
  ASSERT_TRUE(spool->MarkDroppedReported(**report).ok());
  EXPECT_FALSE(spool->PendingDroppedReport()->has_value());
  ASSERT_TRUE(spool->Append({Sample("metric.name", 1)}).ok());
  auto again = spool->PendingDroppedReport();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->newly_dropped, 1);
  EXPECT_EQ((*again)->total, total + 1);
}

TEST_F(SpoolTest, TwoConnectionsAppendConcurrently) {
  auto first = Open();
  auto second = Open();  // a second connection, as `beacon-agent emit` has
  constexpr int kRounds = 100;
  auto writer = [&](Spool* spool, const std::string& kind) {
    for (int i = 0; i < kRounds; ++i) {
      auto r = spool->Append({Event(kind, std::to_string(i)), Event(kind, std::to_string(i))});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  };
  std::thread a(writer, first.get(), "from.first");
  std::thread b(writer, second.get(), "from.second");
  a.join();
  b.join();
  auto all = first->Peek(10000, 1 << 30);
  ASSERT_EQ(all->size(), 4u * kRounds);
  std::set<uint64_t> seqs;
  uint64_t previous = 0;
  for (const auto& r : *all) {
    EXPECT_GT(r.seq, previous);
    previous = r.seq;
    seqs.insert(DecodePayload(r.payload).seq);
  }
  EXPECT_EQ(seqs.size(), 4u * kRounds);
  EXPECT_EQ(second->Stats()->pending_records, 4 * kRounds);
}

}  // namespace
}  // namespace beacon::agent
