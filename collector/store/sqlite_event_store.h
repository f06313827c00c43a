// SqliteEventStore: the EventStore on one SQLite database (WAL, synchronous=FULL so an
// acknowledged batch survives a crash). Thread-safety: one connection guarded by mutex_; every
// read and write takes it, so operations are serialized. That is simple and correct, and SQLite
// allows only one writer anyway; Prune releases the mutex between chunks so ingest interleaves.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collector/store/event_store.h"
#include "common/mutex.h"
#include "common/store/sqlite.h"

namespace beacon::collector {

class SqliteEventStore final : public EventStore {
 public:
  // Opens (creating the file and its directory if needed) and applies the schema migrations.
  static Result<std::unique_ptr<SqliteEventStore>> Open(const std::string& path,
                                                        const store::DatabaseOptions& options = {});
  // The collector's schema steps, in order; the last version is the current schema version.
  static const std::vector<store::Migration>& Migrations();
  // Rows deleted per prune transaction.
  static constexpr int kPruneChunkRows = 2000;

  Result<IngestResult> IngestBatch(const wire::Batch& batch, int64_t now_ms) override;
  Status AddCollectorEvent(const std::string& agent, int64_t ts_ms,
                           const wire::Event& event) override;
  Result<std::vector<AgentInfo>> ListAgents() override;
  Result<AgentInfo> GetAgent(const std::string& name) override;
  Result<std::vector<LatestValue>> LatestValues(const std::string& agent) override;
  Result<std::vector<StoredEvent>> QueryEvents(const EventQuery& query) override;
  Result<TokenInfo> CreateToken(const std::string& agent, const std::string& sha256_hex,
                                int64_t now_ms) override;
  Result<TokenInfo> LookupToken(const std::string& sha256_hex, int64_t now_ms) override;
  Result<std::vector<TokenInfo>> ListTokens() override;
  Result<int64_t> RevokeTokens(const std::string& agent, int64_t now_ms) override;
  Result<PruneResult> Prune(int64_t now_ms, const RetentionPolicy& retention,
                            const std::atomic<bool>* cancel) override;
  Result<StoreCounts> Counts() override;
  Result<int64_t> SizeBytes() override;
  Status Ping() override;
  Result<int> SchemaVersion();

 private:
  explicit SqliteEventStore(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  Result<IngestResult> IngestLocked(const wire::Batch& batch, int64_t now_ms)
      BEACON_REQUIRES(mutex_);
  // Deletes rows of `table` with ts_ms < cutoff, one chunk per transaction.
  Result<int64_t> PruneTable(const std::string& table, int64_t cutoff_ms,
                             const std::atomic<bool>* cancel);

  Mutex mutex_;
  std::unique_ptr<store::Database> db_ BEACON_GUARDED_BY(mutex_);  // its statements are Cached()
};

}  // namespace beacon::collector
