// The agent ingest endpoint (docs/api.md "Agent endpoint").
#include "collector/ingest/ingest_handler.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "common/compress/zstd.h"
#include "common/wire/backup.h"
#include "common/wire/wire.h"

namespace beacon::collector {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

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
  const std::string encoding = Lower(Trim(request.headers.Get("content-encoding")));
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

  Result<IngestResult> stored = store_->IngestBatch(*batch, clock_->NowMs());
  if (!stored.ok()) {
    // The agent keeps the batch in its spool and retries; the store error is ours to log.
    metrics_->RecordRejected("store_unavailable");
    spdlog::error("ingest from {} (agent {}) failed to store: {}", request.remote_addr,
                  request.principal, stored.status().ToString());
    return http::ServerResponse::Error(503, "store unavailable");
  }
  Status catalogued = CatalogBackupVersions(*batch, clock_->NowMs());
  if (!catalogued.ok()) {
    // Not acknowledged: the agent re-sends the batch, the events are duplicates by then and the
    // catalog entries are added on that pass.
    metrics_->RecordRejected("catalog_unavailable");
    spdlog::error("ingest from {} (agent {}) failed to update the backup catalog: {}",
                  request.remote_addr, request.principal, catalogued.ToString());
    return http::ServerResponse::Error(503, "backup catalog unavailable");
  }
  if (event_hook_) {
    // Same repair as the catalog: alerts are idempotent on (agent, seq), so a re-sent batch
    // completes what a failure here left out.
    Status alerted = event_hook_(*batch);
    if (!alerted.ok()) {
      metrics_->RecordRejected("alerts_unavailable");
      spdlog::error("ingest from {} (agent {}) failed to raise alerts: {}", request.remote_addr,
                    request.principal, alerted.ToString());
      return http::ServerResponse::Error(503, "alert store unavailable");
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_->RecordBatch(stored->samples_accepted, stored->events_accepted, stored->ack.duplicates,
                        seconds);
  spdlog::debug("ingest from {}: {} records, {} new, {} duplicates, acked through {}",
                request.principal, batch->records.size(), stored->ack.accepted,
                stored->ack.duplicates, stored->ack.acked_through);
  return http::ServerResponse::Json(200, wire::EncodeAck(stored->ack));
}

Status IngestHandler::CatalogBackupVersions(const wire::Batch& batch, int64_t now_ms) {
  if (catalog_ == nullptr) return Status::Ok();
  std::vector<std::pair<uint64_t, wire::BackupVersion>> versions;
  for (const wire::Record& record : batch.records) {
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
    versions.emplace_back(record.seq, std::move(*version));
  }
  // One transaction for the whole batch: a burst of 1,000 files costs one fsync, not 1,000.
  BEACON_ASSIGN_OR_RETURN(std::vector<backups::AddVersionResult> added,
                          catalog_->AddVersions(batch.agent, versions, now_ms));
  for (size_t i = 0; i < added.size(); ++i) {
    if (added[i].outcome == backups::AddOutcome::kAdded) {
      spdlog::debug("catalog: {}:{} version {} ({})", batch.agent, versions[i].second.path,
                    added[i].id, versions[i].second.sha256.substr(0, 12));
    }
  }
  return Status::Ok();
}

}  // namespace beacon::collector
