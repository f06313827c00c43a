// Uplink: batch -> POST /api/v1/ingest -> ack -> delete, with backoff and operator-facing logs.
#include "agent/uplink/uplink.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/backoff.h"
#include "common/compress/zstd.h"
#include "common/json/parse.h"
#include "common/wire/wire.h"

namespace beacon::agent {
namespace {

// A repeated identical failure is logged again every this many attempts.
constexpr size_t kMaxErrorBodyInLog = 300;

std::string ErrorFromBody(const std::string& body) {
  Result<nlohmann::json> json = ParseJson(body);
  std::string text;
  if (json.ok() && json->is_object() && json->contains("error") && (*json)["error"].is_string()) {
    text = (*json)["error"].get<std::string>();
  } else {
    text = body;
  }
  if (text.size() > kMaxErrorBodyInLog) text = text.substr(0, kMaxErrorBodyInLog) + "...";
  return text;
}

}  // namespace

int64_t BackoffDelayMs(int failures, int64_t initial_ms, int64_t max_ms, double random01) {
  // The ceiling after n failures is that of attempt n + 1: initial_ms * 2^n.
  return Backoff{initial_ms, max_ms}.DelayMs(std::max(failures, 1) + 1, random01,
                                             JitterFloor::kInitial);
}

Uplink::Uplink(UplinkOptions options, Spool* spool, http::HttpClient* client, const Clock* clock,
               std::function<double()> random01)
    : options_(std::move(options)),
      spool_(spool),
      client_(client),
      clock_(clock),
      random01_(std::move(random01)) {
  if (!random01_) random01_ = RandomUnit;
}

void Uplink::LogFailure(const std::string& key, const std::string& message) {
  if (key == last_failure_key_) {
    ++repeated_failures_;
    if (repeated_failures_ % kRepeatedFailureLogEvery == 0) {
      spdlog::warn("uplink still failing ({} attempts in a row): {}", repeated_failures_, message);
    } else {
      spdlog::debug("uplink: {}", message);
    }
    return;
  }
  last_failure_key_ = key;
  repeated_failures_ = 1;
  spdlog::error("uplink: {}", message);
}

Uplink::StepResult Uplink::Step() {
  const int64_t now = clock_->MonotonicMs();
  if (now < retry_at_ms_) return {Outcome::kFailed, retry_at_ms_ - now, 0};

  auto batch = spool_->Peek(options_.batch_max_records, options_.batch_max_bytes);
  if (!batch.ok()) {
    ++failures_;
    int64_t delay = BackoffDelayMs(failures_, options_.backoff_initial_ms, options_.backoff_max_ms,
                                   random01_());
    retry_at_ms_ = now + delay;
    LogFailure("spool",
               "cannot read the spool " + spool_->path() + ": " + batch.status().ToString());
    return {Outcome::kFailed, delay, 0};
  }
  if (batch->empty()) {
    partial_since_ms_ = -1;
    return {Outcome::kIdle, options_.flush_interval_ms, 0};
  }
  bool full = batch->size() >= options_.batch_max_records;
  if (!full) {
    // Peek stops before batch_max_bytes; more pending records means the batch is full by size.
    auto stats = spool_->Stats();
    full = stats.ok() && stats->pending_records > static_cast<int64_t>(batch->size());
  }
  if (!full && failures_ == 0) {
    if (partial_since_ms_ < 0) partial_since_ms_ = now;
    const int64_t due = partial_since_ms_ + options_.flush_interval_ms;
    if (now < due) return {Outcome::kWaiting, due - now, batch->size()};
  }
  partial_since_ms_ = -1;
  return Send(std::move(*batch));
}

Uplink::StepResult Uplink::Send(std::vector<SpooledRecord> batch) {
  const size_t count = batch.size();
  const uint64_t last_seq = batch.back().seq;
  std::vector<std::string> payloads;
  payloads.reserve(count);
  for (SpooledRecord& record : batch) payloads.push_back(std::move(record.payload));

  http::HttpRequest request;
  request.method = "POST";
  request.url = options_.collector_url + std::string(wire::kIngestPath);
  request.timeout_ms = options_.timeout_ms;
  request.headers.Set("Authorization", "Bearer " + options_.token);
  request.headers.Set("Content-Type", "application/json");
  request.body = wire::EncodeBatchFromEncodedRecords(options_.agent_name, options_.agent_version,
                                                     clock_->NowMs(), payloads);
  if (static_cast<int64_t>(request.body.size()) > options_.compress_threshold) {
    request.body = compress::ZstdCompress(request.body);
    request.headers.Set("Content-Encoding", "zstd");
  }

  auto fail = [&](const std::string& key, const std::string& message, bool at_max) {
    ++failures_;
    const int64_t delay = at_max ? options_.backoff_max_ms
                                 : BackoffDelayMs(failures_, options_.backoff_initial_ms,
                                                  options_.backoff_max_ms, random01_());
    retry_at_ms_ = clock_->MonotonicMs() + delay;
    LogFailure(key, message + "; " + std::to_string(count) +
                        " records kept in the spool, next attempt in " + FormatDurationMs(delay));
    return StepResult{Outcome::kFailed, delay, count};
  };

  auto response = client_->Send(request);
  if (!response.ok()) {
    return fail("transport",
                "cannot reach the collector at " + options_.collector_url + ": " +
                    response.status().message(),
                false);
  }
  const int code = response->status;
  const std::string status_text = "(" + std::to_string(code) + ")";
  if (code == 200) {
    auto ack = wire::DecodeAck(response->body);
    if (!ack.ok()) {
      return fail("bad-ack",
                  "the collector answered 200 with an unreadable ack: " + ack.status().message(),
                  false);
    }
    // Only what this batch carried can have been stored: an ack beyond it (a buggy or hostile
    // collector) must not delete records that were never sent.
    uint64_t acked_through = ack->acked_through;
    if (acked_through > last_seq) {
      spdlog::warn(
          "uplink: collector acknowledged through seq {} but the batch ended at {}; only the "
          "records sent are deleted",
          acked_through, last_seq);
      acked_through = last_seq;
    }
    if (Status s = spool_->Ack(acked_through); !s.ok()) {
      // The collector has the records; re-sending them later is harmless (idempotent).
      return fail("spool-ack", "cannot delete acknowledged records from the spool: " + s.ToString(),
                  false);
    }
    if (acked_through < last_seq) {
      spdlog::warn(
          "uplink: collector acknowledged through seq {} of a batch ending at {}; "
          "the rest will be sent again",
          acked_through, last_seq);
    }
    if (failures_ > 0) {
      spdlog::info("uplink: collector at {} accepts data again after {} failed attempts",
                   options_.collector_url, failures_);
    }
    failures_ = 0;
    retry_at_ms_ = 0;
    last_failure_key_.clear();
    repeated_failures_ = 0;
    spdlog::debug("uplink: sent {} records through seq {} ({} new, {} duplicates)", count,
                  acked_through, ack->accepted, ack->duplicates);
    ReportDropped();
    return {Outcome::kSent, 0, count};
  }
  const std::string detail = ErrorFromBody(response->body);
  if (code == 429 || code >= 500) {
    return fail("http-" + std::to_string(code),
                "collector is unavailable " + status_text + ": " + detail, false);
  }
  if (code == 401) {
    return fail("http-401",
                "collector rejected our token (401): check collector.token_file / token_env, or "
                "create a token with `beaconctl token create " +
                    options_.agent_name + "`",
                true);
  }
  if (code == 403) {
    return fail("http-403",
                "collector refused this agent (403: " + detail +
                    "): the token must belong to "
                    "agent '" +
                    options_.agent_name +
                    "' (check agent.name and `beaconctl token "
                    "list`)",
                true);
  }
  if (code == 413) {
    return fail("http-413",
                "collector refused the batch as too large (413): lower uplink.batch_max_bytes or "
                "uplink.batch_max_records, or raise the collector's ingest body limit",
                true);
  }
  if (code == 400) {
    return fail("http-400",
                "collector rejected the batch as malformed (400: " + detail +
                    "); this is a bug "
                    "worth reporting with the agent and collector versions",
                true);
  }
  return fail("http-" + std::to_string(code),
              "unexpected answer " + status_text + " from " + request.url + ": " + detail +
                  " (is collector.url right?)",
              true);
}

void Uplink::ReportDropped() {
  auto report = spool_->PendingDroppedReport();
  if (!report.ok()) {
    spdlog::warn("uplink: cannot read the spool's dropped-record counts: {}",
                 report.status().ToString());
    return;
  }
  if (!report->has_value()) return;
  const DroppedReport& r = **report;
  std::vector<wire::Record> records(3);
  records[0].type = wire::RecordType::kEvent;
  records[0].ts_ms = clock_->NowMs();
  records[0].event.kind = "agent.spool.dropped";
  records[0].event.severity = "warning";
  records[0].event.subject = "spool";
  std::string message = "while the collector was away the spool dropped ";
  if (r.newly_dropped > 0) {
    message += std::to_string(r.newly_dropped) + " oldest samples at spool.max_bytes (" +
               std::to_string(r.total) + " in total)";
  }
  if (r.newly_dropped_events > 0) {
    if (r.newly_dropped > 0) message += " and ";
    message += std::to_string(r.newly_dropped_events) +
               " new events from inputs at spool.max_event_bytes (" +
               std::to_string(r.events_total) + " in total)";
  }
  records[0].event.message = message;
  records[0].event.data = {{"dropped_samples", r.newly_dropped},
                           {"total", r.total},
                           {"dropped_events", r.newly_dropped_events},
                           {"events_total", r.events_total}};
  records[1].type = wire::RecordType::kSample;
  records[1].ts_ms = records[0].ts_ms;
  records[1].sample.metric = "agent.spool.dropped_samples_total";
  records[1].sample.value = static_cast<double>(r.total);
  records[2].type = wire::RecordType::kSample;
  records[2].ts_ms = records[0].ts_ms;
  records[2].sample.metric = "agent.spool.dropped_events_total";
  records[2].sample.value = static_cast<double>(r.events_total);
  // Marked reported only once spooled: with the event cap still reached, the next successful
  // send tries again.
  if (auto appended = spool_->Append(std::move(records)); !appended.ok()) {
    spdlog::warn("uplink: cannot spool the agent.spool.dropped event yet: {}",
                 appended.status().ToString());
    return;
  }
  if (Status marked = spool_->MarkDroppedReported(r); !marked.ok()) {
    spdlog::warn("uplink: cannot mark the dropped-record counts reported: {}", marked.ToString());
  }
}

Status Uplink::EmitSelfMetrics() {
  BEACON_ASSIGN_OR_RETURN(SpoolStats stats, spool_->Stats());
  const int64_t now = clock_->NowMs();
  std::vector<wire::Record> records;
  auto add = [&](const char* metric, int64_t value) {
    wire::Record record;
    record.type = wire::RecordType::kSample;
    record.ts_ms = now;
    record.sample.metric = metric;
    record.sample.value = static_cast<double>(value);
    records.push_back(std::move(record));
  };
  add("agent.spool.pending_records", stats.pending_records);
  add("agent.spool.pending_bytes", stats.pending_bytes);
  add("agent.spool.dropped_samples_total", stats.dropped_samples_total);
  add("agent.spool.dropped_events_total", stats.dropped_events_total);
  auto appended = spool_->Append(std::move(records));
  return appended.status();
}

void Uplink::Run() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    int64_t now = clock_->MonotonicMs();
    if (now >= next_self_metrics_ms_) {
      if (Status s = EmitSelfMetrics(); !s.ok()) {
        spdlog::warn("uplink: cannot spool self metrics: {}", s.ToString());
      }
      next_self_metrics_ms_ = now + options_.self_metrics_interval_ms;
    }
    StepResult result = Step();
    int64_t delay = result.outcome == Outcome::kSent ? 0 : result.delay_ms;
    delay = std::min(delay, std::max<int64_t>(next_self_metrics_ms_ - clock_->MonotonicMs(), 0));
    std::unique_lock lock(mu_);
    if (delay > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(delay), [this] { return stop_ || woken_; });
    }
    woken_ = false;
  }
}

void Uplink::Stop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

void Uplink::Notify() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

}  // namespace beacon::agent
