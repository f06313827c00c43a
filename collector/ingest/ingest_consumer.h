// IngestConsumer: what acts on an agent batch once ingest has stored it (the backup catalog, the
// agent alert rules, later the bot). IngestHandler calls its consumers in list order, each with
// every stored batch, duplicates included, before the agent is acknowledged. The first consumer
// that fails ends the call: the agent gets 503 "<unavailable()> unavailable" and re-sends the
// batch, whose records are duplicates by then, so every consumer must be idempotent on
// (agent, seq); the consumers after the failing one run on that re-send.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/wire/backup.h"
#include "common/wire/wire.h"

namespace beacon::collector {

// A stored batch as its consumers see it.
struct StoredBatch {
  // The batch as stored: record timestamps brought into the accepted window.
  const wire::Batch& batch;
  // Its backup.version records by seq, decoded once by ingest: each names only the agent's own
  // objects (a batch with one that does not is refused before anything is stored), created_ms
  // brought into its window; malformed ones are left out (their events are stored).
  const std::vector<std::pair<uint64_t, wire::BackupVersion>>& backup_versions;
  int64_t now_ms = 0;
};

class IngestConsumer {
 public:
  virtual ~IngestConsumer() = default;
  // Acts on the stored batch; an error makes the agent re-send it (see above). Called from the
  // server's workers concurrently.
  virtual Status Consume(const StoredBatch& stored) = 0;
  // What a failure makes unavailable, for the 503 reply and the log: "backup catalog".
  virtual std::string_view unavailable() const = 0;
  // The rejection reason counted in beacon_ingest_rejected_total: "catalog_unavailable".
  virtual std::string_view reject_reason() const = 0;
};

}  // namespace beacon::collector
