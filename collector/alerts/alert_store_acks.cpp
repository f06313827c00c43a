// AlertStore acknowledgements: who is on a firing alert (the chat bot's `ack ID`).
#include <string>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {

Status AlertStore::Ack(int64_t alert_id, const std::string& by, int64_t now_ms) {
  MutexLock lock(impl_->mu);
  store::Transaction tx(*impl_->db);
  BEACON_RETURN_IF_ERROR(tx.status());
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            impl_->Stmt("SELECT status FROM alerts WHERE id = ?1"));
    s->Bind(1, alert_id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::NotFound("no alert " + std::to_string(alert_id));
    if (ParseStatus(s->ColumnText(0)) != AlertStatus::kFiring) {
      return Status::FailedPrecondition("alert " + std::to_string(alert_id) + " is resolved");
    }
  }
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        impl_->Stmt("INSERT INTO alert_acks(alert_id, acked_by, acked_ms) VALUES(?1, ?2, ?3) "
                    "ON CONFLICT(alert_id) DO UPDATE SET acked_by = ?2, acked_ms = ?3"));
    s->Bind(1, alert_id).Bind(2, by).Bind(3, now_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  return tx.Commit();
}

Result<std::map<int64_t, AlertAck>> AlertStore::Acks(const std::vector<int64_t>& alert_ids) {
  MutexLock lock(impl_->mu);
  std::map<int64_t, AlertAck> out;
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT acked_by, acked_ms FROM alert_acks WHERE alert_id = ?1"));
  for (int64_t id : alert_ids) {
    s->Reset();
    s->Bind(1, id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) out[id] = AlertAck{s->ColumnText(0), s->ColumnInt(1)};
  }
  return out;
}

}  // namespace beacon::collector::alerts
