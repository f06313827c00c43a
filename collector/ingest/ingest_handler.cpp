// The agent ingest endpoint (docs/api.md "Agent endpoint").
#include "collector/ingest/ingest_handler.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "collector/config.h"
#include "common/clock.h"
#include "common/compress/zstd.h"
#include "common/strings.h"
#include "common/wire/backup.h"
#include "common/wire/wire.h"

namespace beacon::collector {

void IngestHandler::Register(http::HttpServer& server) {
  http::RouteOptions options;
  options.max_body_bytes = limits_.max_body_bytes;
  options.auth = [this](const http::ServerRequest& request) { return Authenticate(request); };
  server.Route("POST", std::string(wire::kIngestPath), std::move(options),
               [this](http::ServerRequest& request) { return Handle(request); });
}

Result<std::string> IngestHandler::Authenticate(const http::ServerRequest& request) {
  Result<std::string> agent = auth_->AuthenticateAgent(request);
  if (!agent.ok()) {
    std::string reason;
    switch (agent.status().code()) {
      case StatusCode::kUnauthenticated:
        reason =
            TokenAuth::BearerToken(request.headers).empty() ? "missing_token" : "invalid_token";
        break;
      case StatusCode::kPermissionDenied:
        reason = "admin_token";
        break;
      default:
        reason = "store_unavailable";
        break;
    }
    metrics_->RecordRejected(reason);
    spdlog::warn("ingest rejected from {}: {} ({})", request.remote_addr, reason,
                 agent.status().message());
    return agent;
  }
  // An announced oversized body is refused by the server with 413 right after this returns,
  // before any byte is read; count and log it here so it shows up like every other rejection.
  const std::string length = request.headers.Get("content-length");
  if (!length.empty()) {
    char* end = nullptr;
    const long long declared = std::strtoll(length.c_str(), &end, 10);
    if (end != length.c_str() && *end == '\0' && declared > limits_.max_body_bytes) {
      metrics_->RecordRejected("too_large");
      spdlog::warn("ingest rejected from {} (agent {}): too_large ({} bytes declared, limit {})",
                   request.remote_addr, *agent, declared, limits_.max_body_bytes);
    }
  }
  return agent;
}

http::ServerResponse IngestHandler::Reject(const http::ServerRequest& request, int status,
                                           const std::string& reason, const std::string& message) {
  metrics_->RecordRejected(reason);
  spdlog::warn("ingest rejected from {} (agent {}): {} ({})", request.remote_addr,
               request.principal, reason, message);
  return http::ServerResponse::Error(status, message);
}

http::ServerResponse IngestHandler::Handle(http::ServerRequest& request) {
  // Latency is measured on the steady clock directly: it is observed, never decided on, and the
  // histogram needs finer than millisecond resolution.
  const auto start = std::chrono::steady_clock::now();
  const std::string encoding = Lower(Trim(request.headers.Get("content-encoding"), kHttpSpace));
  std::string decompressed;
  const std::string* body = &request.body;
  if (encoding == "zstd") {
    Result<std::string> plain =
        compress::ZstdDecompress(request.body, static_cast<size_t>(limits_.max_decompressed_bytes));
    if (!plain.ok()) {
      if (plain.status().code() == StatusCode::kResourceExhausted) {
        return Reject(request, 413, "too_large",
                      "decompressed body exceeds " +
                          std::to_string(limits_.max_decompressed_bytes) + " bytes");
      }
      return Reject(request, 400, "corrupt_zstd", "corrupt zstd stream");
    }
    decompressed = std::move(*plain);
    body = &decompressed;
  } else if (!encoding.empty() && encoding != "identity") {
    return Reject(request, 415, "unsupported_encoding",
                  "unsupported Content-Encoding '" + encoding + "' (use identity or zstd)");
  }

  wire::DecodeLimits decode_limits;
  decode_limits.max_records = static_cast<size_t>(limits_.max_records);
  decode_limits.max_json_values = static_cast<size_t>(limits_.max_json_values);
  Result<wire::Batch> batch = wire::DecodeBatch(*body, decode_limits);
  if (!batch.ok()) {
    const int status = http::HttpStatusFor(batch.status());
    return Reject(request, status == 413 ? 413 : 400, status == 413 ? "too_large" : "invalid_batch",
                  batch.status().message());
  }
  // The store keeps seq as a signed 64-bit integer; no agent will ever get near the limit.
  for (size_t i = 0; i < batch->records.size(); ++i) {
    if (batch->records[i].seq > static_cast<uint64_t>(INT64_MAX)) {
      return Reject(
          request, 400, "invalid_batch",
          "records[" + std::to_string(i) + "].seq: larger than " + std::to_string(INT64_MAX));
    }
  }
  if (batch->agent != request.principal) {
    return Reject(
        request, 403, "agent_mismatch",
        "token belongs to agent '" + request.principal + "', batch claims '" + batch->agent + "'");
  }

  // Everything the batch asks of the catalog is checked before anything is stored: one record
  // naming another agent's object refuses the whole batch (the agent cannot have made it).
  const int64_t now_ms = clock_->NowMs();
  int64_t clamped_created = 0;
  Result<Versions> versions = ReadBackupVersions(*batch, now_ms, &clamped_created);
  if (!versions.ok()) {
    return Reject(request, 403, "foreign_object", versions.status().message());
  }
  const int64_t clamped_ts = ClampRecordTimestamps(&*batch, now_ms);

  Result<IngestResult> stored = store_->IngestBatch(*batch, now_ms);
  if (!stored.ok()) {
    // The agent keeps the batch in its spool and retries; the store error is ours to log.
    metrics_->RecordRejected("store_unavailable");
    spdlog::error("ingest from {} (agent {}) failed to store: {}", request.remote_addr,
                  request.principal, stored.status().ToString());
    return http::ServerResponse::Error(503, "store unavailable");
  }
  const StoredBatch stored_batch{*batch, *versions, now_ms};
  for (IngestConsumer* consumer : consumers_) {
    Status consumed = consumer->Consume(stored_batch);
    if (!consumed.ok()) {
      // Not acknowledged: the agent re-sends the batch, the events are duplicates by then and
      // the consumers complete their part on that pass.
      metrics_->RecordRejected(std::string(consumer->reject_reason()));
      spdlog::error("ingest from {} (agent {}) failed in the {}: {}", request.remote_addr,
                    request.principal, consumer->unavailable(), consumed.ToString());
      return http::ServerResponse::Error(503,
                                         std::string(consumer->unavailable()) + " unavailable");
    }
  }
  ReportClockSkew(*batch, clamped_ts, clamped_created, now_ms);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_->RecordBatch(stored->samples_accepted, stored->events_accepted, stored->ack.duplicates,
                        seconds);
  spdlog::debug("ingest from {}: {} records, {} new, {} duplicates, acked through {}",
                request.principal, batch->records.size(), stored->ack.accepted,
                stored->ack.duplicates, stored->ack.acked_through);
  return http::ServerResponse::Json(200, wire::EncodeAck(stored->ack));
}

Result<IngestHandler::Versions> IngestHandler::ReadBackupVersions(const wire::Batch& batch,
                                                                  int64_t now_ms,
                                                                  int64_t* clamped) {
  Versions versions;
  const int64_t oldest_ms = limits_.events_retention_ms > 0 ? now_ms - limits_.events_retention_ms
                                                            : std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const wire::Record& record = batch.records[i];
    if (record.type != wire::RecordType::kEvent || record.event.kind != wire::kBackupVersionKind) {
      continue;
    }
    Result<wire::BackupVersion> version = wire::BackupVersionFromJson(record.event.data);
    if (!version.ok()) {
      // The event itself is kept (visible in /api/v1/events); failing the batch would block the
      // agent's spool forever on a record it cannot change.
      metrics_->RecordCatalogRejected();
      spdlog::warn("backup.version seq {} from agent {} not catalogued: {}", record.seq,
                   batch.agent, version.status().message());
      continue;
    }
    // The lifecycle and archive restores act on this key with the collector's credentials.
    if (Status own = wire::CheckVersionKey(batch.agent, *version); !own.ok()) {
      return Status::PermissionDenied("records[" + std::to_string(i) +
                                      "] (backup.version): " + own.message());
    }
    // A created_ms of 0 would have the lifecycle delete the version at once, one in the future
    // would keep it the newest forever; the receive time is what the collector knows for sure.
    if (version->created_ms > now_ms || version->created_ms < oldest_ms) {
      version->created_ms = now_ms;
      ++*clamped;
    }
    versions.emplace_back(record.seq, std::move(*version));
  }
  return versions;
}

int64_t IngestHandler::ClampRecordTimestamps(wire::Batch* batch, int64_t now_ms) const {
  int64_t clamped = 0;
  for (wire::Record& record : batch->records) {
    const int64_t retention = record.type == wire::RecordType::kSample
                                  ? limits_.samples_retention_ms
                                  : limits_.events_retention_ms;
    const bool too_old = retention > 0 && record.ts_ms < now_ms - retention;
    if (too_old || record.ts_ms > now_ms + kMaxFutureSkewMs) {
      record.ts_ms = now_ms;
      ++clamped;
    }
  }
  return clamped;
}

void IngestHandler::ReportClockSkew(const wire::Batch& batch, int64_t clamped_ts,
                                    int64_t clamped_created, int64_t now_ms) {
  metrics_->RecordClampedTimestamps(clamped_ts, clamped_created);
  {
    MutexLock lock(skew_mutex_);
    if (clamped_ts + clamped_created == 0) {
      skew_reported_.erase(batch.agent);  // a clean batch ends the streak
      return;
    }
    if (!skew_reported_.insert(batch.agent).second) return;
  }
  // sent_at is the agent's clock at the moment of sending: the best measure of its offset.
  const int64_t offset_ms = batch.sent_at_ms > 0 ? batch.sent_at_ms - now_ms : 0;
  const std::string offset = batch.sent_at_ms > 0
                                 ? (offset_ms < 0 ? "" : "+") + FormatDurationMs(offset_ms)
                                 : "unknown (no sent_at)";
  wire::Event event;
  event.kind = std::string(kClockSkewEventKind);
  event.severity = "warning";
  event.subject = batch.agent;
  event.message = "agent " + batch.agent + " sent " + std::to_string(clamped_ts + clamped_created) +
                  " timestamps outside the accepted window, stored with the receive time; its "
                  "clock is off by " +
                  offset;
  event.data = {{"clamped_ts", clamped_ts},
                {"clamped_created_ms", clamped_created},
                {"offset_ms", offset_ms},
                {"sent_at", batch.sent_at_ms > 0 ? FormatRfc3339(batch.sent_at_ms) : ""},
                {"received", FormatRfc3339(now_ms)}};
  spdlog::warn("{}", event.message);
  if (Status added = store_->AddCollectorEvent(batch.agent, now_ms, event); !added.ok()) {
    spdlog::error("cannot store the clock event of agent {}: {}", batch.agent, added.ToString());
    MutexLock lock(skew_mutex_);
    skew_reported_.erase(batch.agent);  // try again with the next batch
  }
}

}  // namespace beacon::collector
