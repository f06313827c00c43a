// POST /api/v1/ingest: authenticate the agent token, bound the body (raw and after zstd),
// decode the batch strictly, check it names the token's agent and that its backup.version
// events name only the agent's own objects, bring agent timestamps into the accepted window,
// store it idempotently, hand the stored batch to its consumers (ingest_consumer.h: the backup
// catalog, the agent alert rules) and reply with the Ack. Every rejection is counted by reason and
// logged at warn without secrets. Thread-safe: the server's workers call Handle concurrently.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/api/token_auth.h"
#include "collector/ingest/ingest_consumer.h"
#include "collector/metrics.h"
#include "collector/store/event_store.h"
#include "common/clock.h"
#include "common/http/server.h"
#include "common/mutex.h"

namespace beacon::collector {

struct IngestLimits {
  int64_t max_body_bytes = int64_t{8} * 1024 * 1024;
  int64_t max_decompressed_bytes = int64_t{64} * 1024 * 1024;
  int max_records = 10000;
  // Values in the (decompressed) batch text; more is 413. See wire::DecodeLimits.
  int64_t max_json_values = 1000000;
  // Record timestamps are accepted in [now - retention, now + kMaxFutureSkewMs] (retention of
  // the record's type; 0: no lower bound); outside it the receive time is stored instead, so a
  // bad clock neither has data pruned at once nor freezes a series' latest value. A backup
  // version's created_ms is accepted in [now - events retention, now].
  int64_t samples_retention_ms = 0;
  int64_t events_retention_ms = 0;
};

inline constexpr int64_t kMaxFutureSkewMs = int64_t{24} * 3600 * 1000;
inline constexpr std::string_view kClockSkewEventKind = "collector.clock_skew";

class IngestHandler {
 public:
  // Every stored batch goes to the consumers in this order (see IngestConsumer); they, like
  // the other arguments, must outlive the handler.
  IngestHandler(EventStore* store, const TokenAuth* auth, CollectorMetrics* metrics,
                const Clock* clock, IngestLimits limits,
                std::vector<IngestConsumer*> consumers = {})
      : store_(store),
        auth_(auth),
        metrics_(metrics),
        clock_(clock),
        limits_(limits),
        consumers_(std::move(consumers)) {}

  // Adds the route to the server; the handler must outlive the server.
  void Register(http::HttpServer& server);

  // The route's Authenticator: the agent name, or the rejection (also counted and logged).
  Result<std::string> Authenticate(const http::ServerRequest& request);
  http::ServerResponse Handle(http::ServerRequest& request);

 private:
  http::ServerResponse Reject(const http::ServerRequest& request, int status,
                              const std::string& reason, const std::string& message);
  using Versions = std::vector<std::pair<uint64_t, wire::BackupVersion>>;
  // The catalog records of the batch's backup.version events (by seq), with created_ms brought
  // into its window (*clamped counts those). A malformed record is skipped and counted (the
  // event is still stored); PermissionDenied, naming the record, when one names an object
  // outside the agent's part of its store.
  Result<Versions> ReadBackupVersions(const wire::Batch& batch, int64_t now_ms, int64_t* clamped);
  // Replaces record timestamps outside the window with now_ms; returns how many.
  int64_t ClampRecordTimestamps(wire::Batch* batch, int64_t now_ms) const;
  // One collector.clock_skew event per agent and streak of batches with clamped timestamps.
  void ReportClockSkew(const wire::Batch& batch, int64_t clamped_ts, int64_t clamped_created,
                       int64_t now_ms);

  EventStore* store_;
  const TokenAuth* auth_;
  CollectorMetrics* metrics_;
  const Clock* clock_;
  IngestLimits limits_;
  const std::vector<IngestConsumer*> consumers_;

  Mutex skew_mutex_;
  // Agents in a clamped streak.
  std::set<std::string> skew_reported_ BEACON_GUARDED_BY(skew_mutex_);
};

}  // namespace beacon::collector
