// EventStore: everything the collector persists about agents (identity, tokens, samples, events,
// latest values) behind one interface. SqliteEventStore implements it today; a PostgreSQL store
// for scale-out would implement the same interface. Implementations are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/wire/wire.h"

namespace beacon::collector {

struct AgentInfo {
  std::string name;
  std::string agent_version;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  uint64_t last_seq = 0;
  // Records accepted from this agent since it was first seen (not reduced by retention).
  int64_t samples_total = 0;
  int64_t events_total = 0;
};

// The newest sample of one series (agent, metric, labels).
struct LatestValue {
  std::string metric;
  std::map<std::string, std::string> labels;
  double value = 0;
  int64_t ts_ms = 0;
};

struct StoredEvent {
  std::string agent;
  uint64_t seq = 0;
  int64_t ts_ms = 0;
  std::string kind;
  std::string severity;
  std::string subject;
  std::string message;
  nlohmann::json data = nlohmann::json::object();
};

struct IngestResult {
  wire::Ack ack;  // what the agent is told
  int64_t samples_accepted = 0;
  int64_t events_accepted = 0;
};

struct EventQuery {
  std::optional<std::string> agent;
  // Exact kind, or a prefix when it ends in '*' ("fim.*"); a lone "*" matches everything.
  std::optional<std::string> kind;
  std::optional<int64_t> since_ms;  // inclusive
  std::optional<int64_t> until_ms;  // inclusive
  int limit = 100;
};

struct TokenInfo {
  int64_t id = 0;
  std::string agent;
  int64_t created_ms = 0;
  std::optional<int64_t> last_used_ms;
  std::optional<int64_t> revoked_ms;
};

struct RetentionPolicy {
  int64_t samples_ms = 0;
  int64_t events_ms = 0;
};

struct PruneResult {
  int64_t samples = 0;
  int64_t events = 0;
};

// Row counts, for /metrics and for tests proving a rejected request changed nothing.
struct StoreCounts {
  int64_t agents = 0;
  int64_t tokens = 0;
  int64_t samples = 0;
  int64_t events = 0;
  int64_t latest = 0;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Stores the batch atomically and idempotently on (agent, seq): records already stored are
  // counted as duplicates and left untouched. Updates the agent's last-seen time, version and
  // last seq, and the latest value of each series. acked_through is the highest seq of the
  // batch (of an empty batch: the agent's last seq). Nothing is stored on failure.
  // accepted == samples_accepted + events_accepted.
  virtual Result<IngestResult> IngestBatch(const wire::Batch& batch, int64_t now_ms) = 0;

  // Stores an event the collector itself observed about an agent (e.g. its clock is off) among
  // that agent's events. Its seq is taken below every seq the agent has: -1, -2, ... in the
  // database, which the API shows as 2^64 - 1, 2^64 - 2, ... (the range above 2^63 that ingest
  // refuses), so it can never collide with an agent's record. The agent's last seq and totals
  // are unchanged.
  virtual Status AddCollectorEvent(const std::string& agent, int64_t ts_ms,
                                   const wire::Event& event) = 0;

  virtual Result<std::vector<AgentInfo>> ListAgents() = 0;
  // NotFound for an agent that never sent a batch.
  virtual Result<AgentInfo> GetAgent(const std::string& name) = 0;
  // Latest value of every series of the agent, ordered by metric then labels.
  virtual Result<std::vector<LatestValue>> LatestValues(const std::string& agent) = 0;
  // Newest first (ts, then seq), at most query.limit rows.
  virtual Result<std::vector<StoredEvent>> QueryEvents(const EventQuery& query) = 0;

  // Records a token by its SHA-256 (hex); the token itself is never given to the store.
  virtual Result<TokenInfo> CreateToken(const std::string& agent, const std::string& sha256_hex,
                                        int64_t now_ms) = 0;
  // The token with this hash, revoked or not (NotFound if unknown). Marks it used at now_ms
  // (written at most once a minute so authentication does not write on every request).
  virtual Result<TokenInfo> LookupToken(const std::string& sha256_hex, int64_t now_ms) = 0;
  virtual Result<std::vector<TokenInfo>> ListTokens() = 0;
  // Revokes every live token of the agent; returns how many were revoked.
  virtual Result<int64_t> RevokeTokens(const std::string& agent, int64_t now_ms) = 0;

  // Deletes samples and events older than the retention (ts_ms < now - retention), in chunks
  // so concurrent ingest waits at most one chunk. When *cancel (optional) becomes true the pass
  // ends after the current chunk with what was deleted so far; the next pass continues.
  virtual Result<PruneResult> Prune(int64_t now_ms, const RetentionPolicy& retention,
                                    const std::atomic<bool>* cancel) = 0;

  virtual Result<StoreCounts> Counts() = 0;
  // Bytes on disk (0 where not meaningful).
  virtual Result<int64_t> SizeBytes() = 0;
  // OK when the store can be read (for /healthz).
  virtual Status Ping() = 0;
};

}  // namespace beacon::collector
