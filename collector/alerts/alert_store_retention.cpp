// AlertStore retention: Prune deletes finished deliveries, resolved alerts nothing refers to,
// old receipts and ended silences, in chunks.
#include <atomic>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {

Result<AlertPruneResult> AlertStore::Prune(int64_t cutoff_ms, const std::atomic<bool>* cancel) {
  AlertPruneResult pruned;
  auto cancelled = [cancel] { return cancel != nullptr && cancel->load(); };
  // Chunks of kChunk ids per transaction, so intake waits at most one chunk.
  constexpr int kChunk = 500;
  Impl& im = *impl_;
  auto select_ids = [&](const char* sql) -> Result<std::vector<int64_t>> {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, im.Stmt(sql));
    s->Bind(1, cutoff_ms).Bind(2, kChunk);
    return FirstColumnIds(*s);
  };
  auto run_for = [&](const char* sql, int64_t id) -> Status {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, im.Stmt(sql));
    s->Bind(1, id);
    return s->Run();
  };
  // Finished deliveries first: their rows and entries are what keeps old alerts referenced.
  while (!cancelled()) {
    MutexLock lock(im.mu);
    store::Transaction tx(*im.db);
    BEACON_RETURN_IF_ERROR(tx.status());
    BEACON_ASSIGN_OR_RETURN(
        std::vector<int64_t> ids,
        select_ids("SELECT id FROM deliveries WHERE state != 'pending' AND updated_ms < ?1 "
                   "LIMIT ?2"));
    for (int64_t id : ids) {
      BEACON_RETURN_IF_ERROR(
          run_for("DELETE FROM outbox_entries WHERE row_id IN "
                  "(SELECT id FROM outbox_rows WHERE delivery_id = ?1)",
                  id));
      BEACON_RETURN_IF_ERROR(run_for("DELETE FROM outbox_rows WHERE delivery_id = ?1", id));
      BEACON_RETURN_IF_ERROR(run_for("DELETE FROM deliveries WHERE id = ?1", id));
    }
    BEACON_RETURN_IF_ERROR(tx.Commit());
    pruned.deliveries += static_cast<int64_t>(ids.size());
    if (ids.size() < static_cast<size_t>(kChunk)) break;
  }
  // Resolved alerts no group and no undelivered notification refers to, with their receipts.
  while (!cancelled()) {
    MutexLock lock(im.mu);
    store::Transaction tx(*im.db);
    BEACON_RETURN_IF_ERROR(tx.status());
    BEACON_ASSIGN_OR_RETURN(
        std::vector<int64_t> ids,
        select_ids("SELECT a.id FROM alerts a WHERE a.status = 'resolved' AND "
                   "a.updated_ms < ?1 AND "
                   "NOT EXISTS (SELECT 1 FROM group_members m WHERE m.alert_id = a.id) AND "
                   "NOT EXISTS (SELECT 1 FROM outbox_entries e WHERE e.alert_id = a.id) "
                   "LIMIT ?2"));
    for (int64_t id : ids) {
      BEACON_RETURN_IF_ERROR(run_for("DELETE FROM receipts WHERE alert_id = ?1", id));
      pruned.receipts += im.db->Changes();
      BEACON_RETURN_IF_ERROR(run_for("DELETE FROM alert_acks WHERE alert_id = ?1", id));
      BEACON_RETURN_IF_ERROR(run_for("DELETE FROM alerts WHERE id = ?1", id));
    }
    BEACON_RETURN_IF_ERROR(tx.Commit());
    pruned.alerts += static_cast<int64_t>(ids.size());
    if (ids.size() < static_cast<size_t>(kChunk)) break;
  }
  if (cancelled()) return pruned;
  MutexLock lock(im.mu);
  store::Transaction tx(*im.db);
  BEACON_RETURN_IF_ERROR(tx.status());
  // Receipts of resolutions that matched nothing, and silences that ended.
  BEACON_RETURN_IF_ERROR(
      run_for("DELETE FROM receipts WHERE alert_id = 0 AND received_ms < ?1", cutoff_ms));
  pruned.receipts += im.db->Changes();
  BEACON_RETURN_IF_ERROR(run_for("DELETE FROM silences WHERE ends_ms < ?1", cutoff_ms));
  pruned.silences += im.db->Changes();
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return pruned;
}

}  // namespace beacon::collector::alerts
