// Uplink against a fake HttpClient: batching by count, bytes and time, zstd above the
// threshold, ack semantics, retry/backoff on 5xx and transport errors, 401 keeping data, and the
// agent.spool.dropped report after recovery.
#include "agent/uplink/uplink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <filesystem>

#include "common/compress/zstd.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::agent {
namespace {

// Acks the whole batch of every request that finds no queued reply.
class FakeHttpClient : public fakes::ScriptedHttpClient {
 public:
  FakeHttpClient()
      : ScriptedHttpClient([](const http::HttpRequest& request) -> Result<http::HttpResponse> {
          auto batch = DecodeBody(request);
          wire::Ack ack;
          ack.acked_through = batch.records.empty() ? 0 : batch.records.back().seq;
          ack.accepted = static_cast<int64_t>(batch.records.size());
          return http::HttpResponse{200, {}, wire::EncodeAck(ack)};
        }) {}

  static wire::Batch DecodeBody(const http::HttpRequest& request) {
    std::string body = request.body;
    if (request.headers.Get("Content-Encoding") == "zstd") {
      auto plain = compress::ZstdDecompress(body, 64 << 20);
      EXPECT_TRUE(plain.ok()) << plain.status().ToString();
      body = *plain;
    }
    auto batch = wire::DecodeBatch(body);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    return batch.ok() ? *batch : wire::Batch{};
  }

  std::vector<uint64_t> Seqs(size_t i) const {
    std::vector<uint64_t> out;
    for (const auto& r : DecodeBody(requests.at(i)).records) out.push_back(r.seq);
    return out;
  }
};

// A scripted reply; -1 is a transport failure.
Result<http::HttpResponse> HttpStatus(int code) {
  if (code == -1) return Status::Unavailable("connection refused");
  return http::HttpResponse{code, {}, code == 200 ? "" : R"({"error":"scripted"})"};
}

class UplinkTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon-uplink-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    spool_options_.path = (dir_ / "spool.db").string();
    options_.collector_url = "http://collector.test:8470";
    options_.token = "tok-secret-123";
    options_.agent_name = "web-01";
    options_.batch_max_records = 10;
    options_.batch_max_bytes = 1 << 20;
    options_.flush_interval_ms = 1000;
    options_.compress_threshold = 1 << 20;
    options_.backoff_initial_ms = 500;
    options_.backoff_max_ms = 60'000;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void OpenSpool() {
    auto spool = Spool::Open(spool_options_, clock_);
    ASSERT_TRUE(spool.ok()) << spool.status().ToString();
    spool_ = std::move(*spool);
  }
  std::unique_ptr<Uplink> NewUplink() {
    if (!spool_) OpenSpool();
    return std::make_unique<Uplink>(options_, spool_.get(), &http_, &clock_,
                                    [this] { return random_; });
  }
  std::vector<uint64_t> AppendSamples(int n, const std::string& metric = "m") {
    std::vector<wire::Record> records;
    for (int i = 0; i < n; ++i) {
      wire::Record r;
      r.ts_ms = clock_.NowMs();
      r.sample.metric = metric;
      r.sample.value = i;
      records.push_back(r);
    }
    auto seqs = spool_->Append(records);
    EXPECT_TRUE(seqs.ok());
    return *seqs;
  }
  int64_t Pending() { return spool_->Stats()->pending_records; }

  std::filesystem::path dir_;
  SpoolOptions spool_options_;
  UplinkOptions options_;
  FakeClock clock_{1'700'000'000'000};
  FakeHttpClient http_;
  double random_ = 0.5;
  std::unique_ptr<Spool> spool_;
};

TEST(Backoff, ExponentialWithJitterBetweenInitialAndMax) {
  EXPECT_EQ(BackoffDelayMs(1, 500, 60'000, 0.0), 500);
  EXPECT_EQ(BackoffDelayMs(1, 500, 60'000, 1.0), 1000);
  EXPECT_EQ(BackoffDelayMs(3, 500, 60'000, 1.0), 4000);
  EXPECT_EQ(BackoffDelayMs(3, 500, 60'000, 0.5), 2250);
  EXPECT_EQ(BackoffDelayMs(20, 500, 60'000, 1.0), 60'000);
  EXPECT_EQ(BackoffDelayMs(1000, 500, 60'000, 0.999), 59'940);
  EXPECT_EQ(BackoffDelayMs(1000, 500, 60'000, 0.0), 500);
}

TEST_F(UplinkTest, SendsFullBatchAtOnceWithHeaders) {
  auto uplink = NewUplink();
  auto seqs = AppendSamples(25);
  auto step = uplink->Step();
  EXPECT_EQ(step.outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(step.records, 10u);
  ASSERT_EQ(http_.requests.size(), 1u);
  const auto& req = http_.requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://collector.test:8470/api/v1/ingest");
  EXPECT_EQ(req.headers.Get("Authorization"), "Bearer tok-secret-123");
  EXPECT_EQ(req.headers.Get("Content-Type"), "application/json");
  EXPECT_FALSE(req.headers.Has("Content-Encoding"));
  auto batch = FakeHttpClient::DecodeBody(req);
  EXPECT_EQ(batch.agent, "web-01");
  EXPECT_EQ(http_.Seqs(0), std::vector<uint64_t>(seqs.begin(), seqs.begin() + 10));
  EXPECT_EQ(Pending(), 15);
  // The second full batch goes at once too; the last 5 wait for the flush interval.
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  auto waiting = uplink->Step();
  EXPECT_EQ(waiting.outcome, Uplink::Outcome::kWaiting);
  EXPECT_EQ(waiting.delay_ms, 1000);
  EXPECT_EQ(http_.requests.size(), 2u);
  clock_.AdvanceMs(999);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kWaiting);
  clock_.AdvanceMs(1);
  auto flushed = uplink->Step();
  EXPECT_EQ(flushed.outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(flushed.records, 5u);
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kIdle);
}

TEST_F(UplinkTest, BatchIsBoundedByBytes) {
  OpenSpool();
  AppendSamples(10);
  const int64_t one = static_cast<int64_t>(spool_->Peek(1, 1 << 20)->at(0).payload.size());
  options_.batch_max_bytes = one * 4;
  auto uplink = NewUplink();
  auto step = uplink->Step();  // full by bytes: sent without waiting
  EXPECT_EQ(step.outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(step.records, 4u);
  EXPECT_EQ(Pending(), 6);
}

TEST_F(UplinkTest, CompressesAboveThreshold) {
  options_.compress_threshold = 200;
  auto uplink = NewUplink();
  auto seqs = AppendSamples(10, "a.rather.long.metric.name.that.compresses.well");
  ASSERT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  const auto& req = http_.requests[0];
  EXPECT_EQ(req.headers.Get("Content-Encoding"), "zstd");
  auto plain = compress::ZstdDecompress(req.body, 1 << 20);
  ASSERT_TRUE(plain.ok());
  EXPECT_LT(req.body.size(), plain->size());
  auto batch = wire::DecodeBatch(*plain);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->records.size(), 10u);
  EXPECT_EQ(batch->records.front().seq, seqs.front());
}

TEST_F(UplinkTest, DeletesOnlyWhatWasAcknowledged) {
  auto uplink = NewUplink();
  auto seqs = AppendSamples(10);
  wire::Ack partial;
  partial.acked_through = seqs[4];
  http_.Reply(200, wire::EncodeAck(partial));
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(Pending(), 5);
  EXPECT_EQ(spool_->Peek(10, 1 << 20)->front().seq, seqs[5]);
}

TEST_F(UplinkTest, AnAckBeyondTheBatchDeletesOnlyTheRecordsSent) {
  auto uplink = NewUplink();
  auto seqs = AppendSamples(25);  // batches of 10
  wire::Ack too_far;
  too_far.acked_through = seqs[24];  // records the collector has never seen
  http_.Reply(200, wire::EncodeAck(too_far));
  wire::Ack everything;
  everything.acked_through = UINT64_MAX;
  http_.Reply(200, wire::EncodeAck(everything));

  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(Pending(), 15);
  EXPECT_EQ(spool_->Peek(10, 1 << 20)->front().seq, seqs[10]);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(Pending(), 5);
  EXPECT_EQ(spool_->Peek(10, 1 << 20)->front().seq, seqs[20]);
  // The unsent five still go out.
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kWaiting);
  clock_.AdvanceMs(1000);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(http_.Seqs(2), std::vector<uint64_t>(seqs.begin() + 20, seqs.end()));
  EXPECT_EQ(Pending(), 0);
}

TEST_F(UplinkTest, ServerErrorRetriesSameRecordsAfterBackoff) {
  auto uplink = NewUplink();
  auto seqs = AppendSamples(10);
  http_.replies.push_back(HttpStatus(500));
  http_.replies.push_back(HttpStatus(503));
  auto first = uplink->Step();
  EXPECT_EQ(first.outcome, Uplink::Outcome::kFailed);
  EXPECT_EQ(first.delay_ms, 750);  // initial 500, cap 1000, random 0.5
  EXPECT_EQ(Pending(), 10);
  // Not retried before the delay has passed.
  clock_.AdvanceMs(700);
  auto early = uplink->Step();
  EXPECT_EQ(early.outcome, Uplink::Outcome::kFailed);
  EXPECT_EQ(early.delay_ms, 50);
  EXPECT_EQ(http_.requests.size(), 1u);
  clock_.AdvanceMs(50);
  auto second = uplink->Step();
  EXPECT_EQ(second.outcome, Uplink::Outcome::kFailed);
  EXPECT_EQ(second.delay_ms, 1250);  // cap doubled to 2000
  clock_.AdvanceMs(1250);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  ASSERT_EQ(http_.requests.size(), 3u);
  EXPECT_EQ(http_.Seqs(0), seqs);
  EXPECT_EQ(http_.Seqs(1), seqs);
  EXPECT_EQ(http_.Seqs(2), seqs);
  EXPECT_EQ(Pending(), 0);
}

TEST_F(UplinkTest, TransportErrorAndTooManyRequestsBackOff) {
  auto uplink = NewUplink();
  AppendSamples(10);
  random_ = 1.0;
  http_.replies.push_back(HttpStatus(-1));
  http_.replies.push_back(HttpStatus(429));
  EXPECT_EQ(uplink->Step().delay_ms, 1000);
  clock_.AdvanceMs(1000);
  EXPECT_EQ(uplink->Step().delay_ms, 2000);
  clock_.AdvanceMs(2000);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  EXPECT_EQ(Pending(), 0);
}

TEST_F(UplinkTest, RejectedTokenKeepsDataAndWaitsTheMaximum) {
  auto uplink = NewUplink();
  AppendSamples(3);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kWaiting);
  clock_.AdvanceMs(1000);  // the partial batch is due
  for (int code : {401, 403, 400, 413}) {
    http_.replies.push_back(HttpStatus(code));
    auto step = uplink->Step();
    EXPECT_EQ(step.outcome, Uplink::Outcome::kFailed) << code;
    EXPECT_EQ(step.delay_ms, 60'000) << code;
    EXPECT_EQ(Pending(), 3) << code;
    clock_.AdvanceMs(60'000);
  }
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);  // fixed: data still all there
  EXPECT_EQ(Pending(), 0);
  EXPECT_EQ(http_.requests.size(), 5u);
}

TEST_F(UplinkTest, ReportsDroppedSamplesOnceAfterRecovery) {
  spool_options_.max_bytes = 2000;
  auto uplink = NewUplink();
  http_.replies.push_back(HttpStatus(-1));
  AppendSamples(100);  // the collector is away and the cap drops the oldest
  const int64_t dropped = spool_->Stats()->dropped_samples_total;
  ASSERT_GT(dropped, 0);
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kFailed);
  // While failing nothing is reported.
  auto before = spool_->Peek(1000, 1 << 30);
  for (const auto& r : *before) EXPECT_EQ(r.type, wire::RecordType::kSample);

  clock_.AdvanceMs(60'000);
  while (uplink->Step().outcome == Uplink::Outcome::kSent) {
  }
  clock_.AdvanceMs(1000);  // let the partial tail (incl. the report) flush
  while (uplink->Step().outcome == Uplink::Outcome::kSent) {
  }
  EXPECT_EQ(Pending(), 0);
  int events = 0;
  for (size_t i = 0; i < http_.requests.size(); ++i) {
    if (http_.requests[i].body.find("agent.spool.dropped") == std::string::npos) continue;
    for (const auto& r : FakeHttpClient::DecodeBody(http_.requests[i]).records) {
      if (r.type == wire::RecordType::kEvent && r.event.kind == "agent.spool.dropped") {
        ++events;
        EXPECT_EQ(r.event.severity, "warning");
        EXPECT_EQ(r.event.data["dropped_samples"], dropped);
        EXPECT_EQ(r.event.data["total"], dropped);
      }
      if (r.type == wire::RecordType::kSample &&
          r.sample.metric == "agent.spool.dropped_samples_total") {
        EXPECT_EQ(r.sample.value, dropped);
      }
    }
  }
  EXPECT_EQ(events, 1);
}

TEST_F(UplinkTest, ReportsDroppedEventsOnceTheEventCapHasRoomAgain) {
  spool_options_.max_event_bytes = 2000;
  auto uplink = NewUplink();
  AppendSamples(10);  // the oldest: the first batch frees no event room
  int64_t appended_events = 0;
  while (spool_->Stats()->dropped_events_total < 5) {
    wire::Record r;
    r.type = wire::RecordType::kEvent;
    r.ts_ms = clock_.NowMs();
    r.event.kind = "port.unexpected";
    r.event.subject = "tcp/" + std::to_string(appended_events++);
    ASSERT_TRUE(spool_->Append({r}, EventCapPolicy::kDropEvents).ok());
    ASSERT_LT(appended_events, 1000);
  }
  const int64_t dropped = spool_->Stats()->dropped_events_total;
  // The first batch holds only samples: after it the event cap is still reached, so the
  // report waits (it is not lost) ...
  EXPECT_EQ(uplink->Step().outcome, Uplink::Outcome::kSent);
  EXPECT_TRUE(spool_->PendingDroppedReport()->has_value());
  // ... until sending events made room for it.
  for (int i = 0; i < 5; ++i) {
    clock_.AdvanceMs(1000);  // lets each partial tail (incl. the report) flush
    while (uplink->Step().outcome == Uplink::Outcome::kSent) {
    }
  }
  EXPECT_EQ(Pending(), 0);
  EXPECT_FALSE(spool_->PendingDroppedReport()->has_value());
  int reports = 0;
  for (const auto& request : http_.requests) {
    for (const auto& r : FakeHttpClient::DecodeBody(request).records) {
      if (r.type == wire::RecordType::kEvent && r.event.kind == "agent.spool.dropped") {
        ++reports;
        EXPECT_EQ(r.event.data["dropped_events"], dropped);
        EXPECT_EQ(r.event.data["events_total"], dropped);
        EXPECT_EQ(r.event.data["dropped_samples"], 0);
        EXPECT_NE(r.event.message.find(std::to_string(dropped) +
                                       " new events from inputs at spool.max_event_bytes"),
                  std::string::npos)
            << r.event.message;
      }
      if (r.type == wire::RecordType::kSample &&
          r.sample.metric == "agent.spool.dropped_events_total") {
        EXPECT_EQ(r.sample.value, dropped);
      }
    }
  }
  EXPECT_EQ(reports, 1);
}

TEST_F(UplinkTest, SelfMetricsDescribeTheSpool) {
  auto uplink = NewUplink();
  AppendSamples(4);
  const int64_t bytes = spool_->Stats()->pending_bytes;
  ASSERT_TRUE(uplink->EmitSelfMetrics().ok());
  std::map<std::string, double> values;
  auto spooled = spool_->Peek(100, 1 << 20);
  ASSERT_TRUE(spooled.ok());
  for (const auto& r : *spooled) {
    auto rec = wire::DecodeRecord(nlohmann::json::parse(r.payload));
    values[rec->sample.metric] = rec->sample.value;
  }
  EXPECT_EQ(values["agent.spool.pending_records"], 4);
  EXPECT_EQ(values["agent.spool.pending_bytes"], bytes);
  EXPECT_EQ(values["agent.spool.dropped_samples_total"], 0);
  EXPECT_EQ(values["agent.spool.dropped_events_total"], 0);
  EXPECT_EQ(values.count("agent.spool.dropped_events_total"), 1u);
}

}  // namespace
}  // namespace beacon::agent
