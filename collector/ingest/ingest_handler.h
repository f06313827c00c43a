// POST /api/v1/ingest: authenticate the agent token, bound the body (raw and after zstd),
// decode the batch strictly, check it names the token's agent, store it idempotently, add its
// backup.version events to the backup catalog and reply with the Ack. Every rejection is
// counted by reason and logged at warn without secrets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "collector/api/token_auth.h"
#include "collector/backups/catalog.h"
#include "collector/metrics.h"
#include "collector/store/event_store.h"
#include "common/clock.h"
#include "common/http/server.h"

namespace beacon::collector {

struct IngestLimits {
  int64_t max_body_bytes = int64_t{8} * 1024 * 1024;
  int64_t max_decompressed_bytes = int64_t{64} * 1024 * 1024;
  int max_records = 10000;
  // Values in the (decompressed) batch text; more is 413. See wire::DecodeLimits.
  int64_t max_json_values = 1000000;
};

class IngestHandler {
 public:
  // catalog may be null (no backup catalog: backup.version events are only stored as events).
  IngestHandler(EventStore* store, const TokenAuth* auth, CollectorMetrics* metrics,
                const Clock* clock, IngestLimits limits, backups::Catalog* catalog = nullptr)
      : store_(store),
        auth_(auth),
        metrics_(metrics),
        clock_(clock),
        limits_(limits),
        catalog_(catalog) {}

  // Called with every stored batch (duplicates included) before the agent is acknowledged; an
  // error makes the agent re-send. The collector turns agent events into alerts here.
  using EventHook = std::function<Status(const wire::Batch& batch)>;
  void SetEventHook(EventHook hook) { event_hook_ = std::move(hook); }

  // Adds the route to the server; the handler must outlive the server.
  void Register(http::HttpServer& server);

  // The route's Authenticator: the agent name, or the rejection (also counted and logged).
  Result<std::string> Authenticate(const http::ServerRequest& request);
  http::ServerResponse Handle(http::ServerRequest& request);

 private:
  http::ServerResponse Reject(const http::ServerRequest& request, int status,
                              const std::string& reason, const std::string& message);
  // Adds every backup.version event of the (stored) batch to the catalog. Runs for duplicate
  // events too, so a crash between the two writes is repaired by the agent's re-send. A
  // malformed record is skipped and counted; a catalog error fails the whole call.
  Status CatalogBackupVersions(const wire::Batch& batch, int64_t now_ms);

  EventStore* store_;
  const TokenAuth* auth_;
  CollectorMetrics* metrics_;
  const Clock* clock_;
  IngestLimits limits_;
  backups::Catalog* catalog_;
  EventHook event_hook_;
};

}  // namespace beacon::collector
