// AlertStore queries for the API and beaconctl: alerts with their delivery state per
// receiver, deliveries, and the stats behind /metrics.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {

Result<std::vector<AlertDelivery>> AlertStore::Impl::DeliveriesOf(int64_t alert_id) {
  // Per receiver, the latest row that covered the alert (bare columns come from max(row_id)).
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      Stmt("SELECT r.receiver, e.status, d.state, d.attempts, d.last_error, d.delivered_ms, "
           "max(e.row_id) FROM outbox_entries e JOIN outbox_rows r ON r.id = e.row_id "
           "LEFT JOIN deliveries d ON d.id = r.delivery_id WHERE e.alert_id = ?1 "
           "GROUP BY r.receiver ORDER BY r.receiver"));
  s->Bind(1, alert_id);
  std::vector<AlertDelivery> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    AlertDelivery d;
    d.receiver = s->ColumnText(0);
    d.status = s->ColumnText(1);
    if (!s->ColumnIsNull(2)) {
      d.state = ParseDeliveryState(s->ColumnText(2));
      d.attempts = static_cast<int>(s->ColumnInt(3));
      d.last_error = s->ColumnText(4);
      d.delivered_ms = s->ColumnInt(5);
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<StoredAlert>> AlertStore::ListAlerts(const AlertQuery& query) {
  MutexLock lock(impl_->mu);
  // Unset filters are NULL parameters, so one cached statement serves every query.
  static const std::string sql =
      std::string("SELECT ") + kAlertColumns +
      " FROM alerts a WHERE (?1 IS NULL OR a.status = ?1) AND (?2 IS NULL OR a.source = ?2) "
      "AND (?3 IS NULL OR a.host = ?3) AND (?4 IS NULL OR a.received_ms >= ?4) AND (?5 = 0 OR "
      "EXISTS (SELECT 1 FROM outbox_entries e JOIN outbox_rows r ON r.id = e.row_id "
      "LEFT JOIN deliveries d ON d.id = r.delivery_id WHERE e.alert_id = a.id AND "
      "(d.id IS NULL OR d.state != 'delivered') AND NOT EXISTS (SELECT 1 FROM outbox_entries e2 "
      "JOIN outbox_rows r2 ON r2.id = e2.row_id WHERE e2.alert_id = a.id AND "
      "r2.receiver = r.receiver AND e2.row_id > e.row_id))) ORDER BY a.id DESC LIMIT ?6";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
  std::vector<StoredAlert> alerts;
  {
    if (query.status) {
      s->Bind(1, StatusName(*query.status));
    } else {
      s->BindNull(1);
    }
    s->Bind(2, query.source);
    s->Bind(3, query.host);
    if (query.since_ms) {
      s->Bind(4, *query.since_ms);
    } else {
      s->BindNull(4);
    }
    s->Bind(5, query.undelivered_only ? 1 : 0).Bind(6, std::max(query.limit, 0));
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      StoredAlert a;
      a.alert = ReadAlert(*s);
      a.received_ms = s->ColumnInt(14);
      a.updated_ms = s->ColumnInt(15);
      alerts.push_back(std::move(a));
    }
  }
  for (StoredAlert& a : alerts) {
    BEACON_ASSIGN_OR_RETURN(a.deliveries, impl_->DeliveriesOf(a.alert.id));
  }
  return alerts;
}

Result<StoredAlert> AlertStore::GetAlert(int64_t id) {
  MutexLock lock(impl_->mu);
  static const std::string sql =
      std::string("SELECT ") + kAlertColumns + " FROM alerts a WHERE a.id = ?1";
  StoredAlert a;
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
    s->Bind(1, id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::NotFound("no alert #" + std::to_string(id));
    a.alert = ReadAlert(*s);
    a.received_ms = s->ColumnInt(14);
    a.updated_ms = s->ColumnInt(15);
  }
  BEACON_ASSIGN_OR_RETURN(a.deliveries, impl_->DeliveriesOf(id));
  return a;
}

Result<std::vector<Delivery>> AlertStore::ListDeliveries(std::optional<DeliveryState> state,
                                                         int limit) {
  MutexLock lock(impl_->mu);
  static const std::string sql = std::string("SELECT ") + kDeliveryColumns +
                                 " FROM deliveries WHERE (?1 IS NULL OR state = ?1) "
                                 "ORDER BY id DESC LIMIT ?2";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
  if (state) {
    s->Bind(1, DeliveryStateName(*state));
  } else {
    s->BindNull(1);
  }
  s->Bind(2, std::max(limit, 0));
  std::vector<Delivery> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    BEACON_ASSIGN_OR_RETURN(Delivery d, impl_->ReadDelivery(*s));
    out.push_back(std::move(d));
  }
  return out;
}

Result<AlertStoreStats> AlertStore::Stats() {
  MutexLock lock(impl_->mu);
  AlertStoreStats stats;
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        impl_->Stmt("SELECT (SELECT count(*) FROM alerts WHERE status = 'firing'), "
                    "(SELECT count(*) FROM alerts)"));
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      stats.firing = s->ColumnInt(0);
      stats.alerts = s->ColumnInt(1);
    }
  }
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            impl_->Stmt("SELECT state, count(*) FROM deliveries GROUP BY state"));
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      const DeliveryState state = ParseDeliveryState(s->ColumnText(0));
      const int64_t count = s->ColumnInt(1);
      if (state == DeliveryState::kPending) stats.deliveries_pending = count;
      if (state == DeliveryState::kFailed) stats.deliveries_failed = count;
      if (state == DeliveryState::kDelivered) stats.deliveries_delivered = count;
    }
  }
  {
    // Rows not yet delivered: queued outside a delivery, or inside a pending one.
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        impl_->Stmt("SELECT receiver, sum(n) FROM (SELECT receiver, count(*) AS n FROM "
                    "outbox_rows WHERE delivery_id IS NULL GROUP BY receiver UNION ALL "
                    "SELECT receiver, sum(row_count) AS n FROM deliveries WHERE state = 'pending' "
                    "GROUP BY receiver) GROUP BY receiver ORDER BY receiver"));
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      stats.queued_by_receiver.emplace_back(s->ColumnText(0), s->ColumnInt(1));
    }
  }
  return stats;
}

}  // namespace beacon::collector::alerts
