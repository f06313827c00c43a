// AlertStore outbox: the rows group flushes queue, deliveries built from them for notifiers
// (one row, or a summary of several), and their delivered / retry / failed marks.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"
#include "collector/alerts/notification_json.h"

namespace beacon::collector::alerts {
namespace {

using notifier::Notification;
using notifier::NotificationKind;

// The alert as one outbox entry saw it: the status the notification is about.
AlertView Snapshot(AlertView alert, AlertStatus status) {
  alert.status = status;
  if (status == AlertStatus::kFiring) alert.ends_ms = 0;
  return alert;
}

}  // namespace

Result<int64_t> AlertStore::Impl::AddRow(
    const GroupRow& group, NotificationKind kind,
    const std::vector<std::pair<int64_t, AlertStatus>>& entries, int64_t now_ms) {
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            Stmt("INSERT INTO outbox_rows(receiver, group_id, kind, created_ms) "
                                 "VALUES(?1, ?2, ?3, ?4)"));
    s->Bind(1, group.receiver).Bind(2, group.id).Bind(3, NotificationKindName(kind));
    s->Bind(4, now_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  const int64_t row_id = db->LastInsertRowId();
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      Stmt("INSERT INTO outbox_entries(row_id, alert_id, status) VALUES(?1, ?2, ?3)"));
  for (const auto& [alert_id, status] : entries) {
    s->Bind(1, row_id).Bind(2, alert_id).Bind(3, StatusName(status));
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  return row_id;
}

Result<std::vector<std::string>> AlertStore::ActiveReceivers() {
  MutexLock lock(impl_->mu);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT DISTINCT receiver FROM outbox_rows WHERE delivery_id IS NULL UNION "
                  "SELECT DISTINCT receiver FROM deliveries WHERE state = 'pending' "
                  "ORDER BY 1"));
  std::vector<std::string> receivers;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    receivers.push_back(s->ColumnText(0));
  }
  return receivers;
}

Result<Delivery> AlertStore::Impl::ReadDelivery(const store::Statement& s) {
  Delivery d;
  d.id = s.ColumnInt(0);
  d.receiver = s.ColumnText(1);
  nlohmann::json j = nlohmann::json::parse(s.ColumnText(2), nullptr, false);
  if (j.is_discarded()) {
    return Status::Corruption("delivery " + std::to_string(d.id) + ": unreadable notification");
  }
  Result<Notification> n = NotificationFromJson(j);
  if (!n.ok()) {
    return Status::Corruption("delivery " + std::to_string(d.id) + ": " + n.status().message());
  }
  d.notification = std::move(n).value();
  d.state = ParseDeliveryState(s.ColumnText(3));
  d.attempts = static_cast<int>(s.ColumnInt(4));
  d.next_try_ms = s.ColumnInt(5);
  d.last_error = s.ColumnText(6);
  d.created_ms = s.ColumnInt(7);
  d.delivered_ms = s.ColumnInt(8);
  d.notification.parts_done = static_cast<int>(s.ColumnInt(9));
  d.rows = s.ColumnInt(10);
  return d;
}

Result<std::optional<Delivery>> AlertStore::PendingDelivery(const std::string& receiver) {
  MutexLock lock(impl_->mu);
  static const std::string sql = std::string("SELECT ") + kDeliveryColumns +
                                 " FROM deliveries WHERE receiver = ?1 AND state = 'pending' "
                                 "ORDER BY id LIMIT 1";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
  s->Bind(1, receiver);
  BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<Delivery>();
  BEACON_ASSIGN_OR_RETURN(Delivery d, impl_->ReadDelivery(*s));
  return std::optional<Delivery>(std::move(d));
}

Result<int64_t> AlertStore::QueuedRows(const std::string& receiver) {
  MutexLock lock(impl_->mu);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT count(*) FROM outbox_rows WHERE receiver = ?1 AND delivery_id IS NULL"));
  s->Bind(1, receiver);
  BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->ColumnInt(0) : 0;
}

// The alerts of the delivery's rows, each once with the status of its latest entry. `kind` is the
// single row's kind, or nullopt for a summary.
Result<Notification> AlertStore::Impl::BuildNotification(int64_t delivery_id,
                                                         const std::string& receiver,
                                                         std::optional<NotificationKind> kind,
                                                         int64_t now_ms, int max_listed) {
  Notification n;
  n.id = delivery_id;
  n.receiver = receiver;
  n.kind = kind.value_or(NotificationKind::kSummary);
  n.created_ms = now_ms;
  // SQLite takes the bare column e.status from the row holding max(e.row_id).
  static const std::string kLatest =
      "WITH latest AS (SELECT e.alert_id AS alert_id, e.status AS status, max(e.row_id) "
      "FROM outbox_entries e JOIN outbox_rows r ON r.id = e.row_id WHERE r.delivery_id = ?1 "
      "GROUP BY e.alert_id) ";
  static const std::string kListSql = kLatest + "SELECT " + kAlertColumns +
                                      ", l.status FROM latest l JOIN alerts a ON a.id = "
                                      "l.alert_id ORDER BY a.severity DESC, a.starts_ms, a.id "
                                      "LIMIT ?2";
  static const std::string kSingleSql = kLatest + "SELECT " + kAlertColumns +
                                        ", l.status FROM latest l JOIN alerts a ON a.id = "
                                        "l.alert_id ORDER BY a.id";
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            Stmt(kind ? kSingleSql.c_str() : kListSql.c_str()));
    s->Bind(1, delivery_id);
    if (!kind) s->Bind(2, std::max(max_listed, 0));
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      n.alerts.push_back(Snapshot(ReadAlert(*s), ParseStatus(s->ColumnText(kAlertColumnCount))));
    }
  }
  if (kind) {
    n.total_alerts = static_cast<int64_t>(n.alerts.size());
    for (const AlertView& a : n.alerts) {
      ++(a.status == AlertStatus::kFiring ? n.firing : n.resolved);
    }
    return n;
  }
  {
    static const std::string sql =
        kLatest + "SELECT count(*), coalesce(sum(status = 'firing'), 0) FROM latest";
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, Stmt(sql.c_str()));
    s->Bind(1, delivery_id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      n.total_alerts = s->ColumnInt(0);
      n.firing = s->ColumnInt(1);
      n.resolved = n.total_alerts - n.firing;
    }
  }
  {
    static const std::string sql = kLatest +
                                   "SELECT a.severity, count(*) FROM latest l JOIN alerts a ON "
                                   "a.id = l.alert_id GROUP BY a.severity ORDER BY a.severity DESC";
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, Stmt(sql.c_str()));
    s->Bind(1, delivery_id);
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      n.by_severity.emplace_back(
          std::string(notifier::SeverityName(SeverityFromInt(s->ColumnInt(0)))), s->ColumnInt(1));
    }
  }
  {
    static const std::string sql = kLatest +
                                   "SELECT a.host, count(*) AS c FROM latest l JOIN alerts a ON "
                                   "a.id = l.alert_id GROUP BY a.host ORDER BY c DESC, a.host";
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, Stmt(sql.c_str()));
    s->Bind(1, delivery_id);
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      n.by_host.emplace_back(s->ColumnText(0), s->ColumnInt(1));
    }
  }
  return n;
}

Result<std::optional<Delivery>> AlertStore::CreateDelivery(const std::string& receiver,
                                                           int64_t now_ms, int max_rows,
                                                           int max_listed) {
  MutexLock lock(impl_->mu);
  Impl& im = *impl_;
  RelaxedSync relaxed(*im.db);
  store::Transaction tx(*im.db);
  BEACON_RETURN_IF_ERROR(tx.status());
  std::vector<int64_t> row_ids;
  std::string first_kind;
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("SELECT id, kind FROM outbox_rows WHERE receiver = ?1 AND delivery_id IS NULL "
                "ORDER BY id LIMIT ?2"));
    s->Bind(1, receiver).Bind(2, max_rows > 0 ? static_cast<int64_t>(max_rows) : int64_t{-1});
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      row_ids.push_back(s->ColumnInt(0));
      if (first_kind.empty()) first_kind = s->ColumnText(1);
    }
  }
  if (row_ids.empty()) return std::optional<Delivery>();
  std::optional<NotificationKind> kind;
  if (row_ids.size() == 1) {
    kind = ParseNotificationKind(first_kind).value_or(NotificationKind::kGroup);
  }
  const NotificationKind delivery_kind = kind.value_or(NotificationKind::kSummary);
  {
    // The notification is written once it is built (it names the delivery id).
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt(
            "INSERT INTO deliveries(receiver, kind, notification_json, state, next_try_ms, "
            "created_ms, updated_ms, row_count) VALUES(?1, ?2, '{}', 'pending', ?3, ?3, ?3, ?4)"));
    s->Bind(1, receiver).Bind(2, NotificationKindName(delivery_kind)).Bind(3, now_ms);
    s->Bind(4, static_cast<int64_t>(row_ids.size()));
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  const int64_t delivery_id = im.db->LastInsertRowId();
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            im.Stmt("UPDATE outbox_rows SET delivery_id = ?2 WHERE id = ?1"));
    for (int64_t id : row_ids) {
      s->Bind(1, id).Bind(2, delivery_id);
      BEACON_RETURN_IF_ERROR(s->Run());
    }
  }
  BEACON_ASSIGN_OR_RETURN(Notification n,
                          im.BuildNotification(delivery_id, receiver, kind, now_ms, max_listed));
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            im.Stmt("UPDATE deliveries SET notification_json = ?2 WHERE id = ?1"));
    s->Bind(1, delivery_id).Bind(2, Dump(NotificationToJson(n)));
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  BEACON_RETURN_IF_ERROR(tx.Commit());
  Delivery d;
  d.id = delivery_id;
  d.receiver = receiver;
  d.notification = std::move(n);
  d.state = DeliveryState::kPending;
  d.next_try_ms = now_ms;
  d.created_ms = now_ms;
  d.rows = static_cast<int64_t>(row_ids.size());
  return std::optional<Delivery>(std::move(d));
}

Status AlertStore::Impl::UpdateDelivery(const char* sql, int64_t id,
                                        const std::function<void(store::Statement&)>& bind) {
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, Stmt(sql));
  s->Bind(1, id);
  bind(*s);
  BEACON_RETURN_IF_ERROR(s->Run());
  if (db->Changes() == 0) return Status::NotFound("no delivery " + std::to_string(id));
  return Status::Ok();
}

Status AlertStore::MarkDelivered(int64_t delivery_id, int64_t now_ms, int parts_done) {
  MutexLock lock(impl_->mu);
  RelaxedSync relaxed(*impl_->db);
  return impl_->UpdateDelivery(
      "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_ms = ?2, "
      "updated_ms = ?2, parts_done = max(parts_done, ?3), last_error = '' WHERE id = ?1",
      delivery_id, [&](store::Statement& s) { s.Bind(2, now_ms).Bind(3, parts_done); });
}

Status AlertStore::MarkRetry(int64_t delivery_id, int64_t next_try_ms, const std::string& error,
                             int parts_done) {
  MutexLock lock(impl_->mu);
  RelaxedSync relaxed(*impl_->db);
  return impl_->UpdateDelivery(
      "UPDATE deliveries SET attempts = attempts + 1, next_try_ms = ?2, last_error = ?3, "
      "parts_done = max(parts_done, ?4) WHERE id = ?1",
      delivery_id,
      [&](store::Statement& s) { s.Bind(2, next_try_ms).Bind(3, error).Bind(4, parts_done); });
}

Status AlertStore::MarkFailed(int64_t delivery_id, int64_t now_ms, const std::string& error) {
  MutexLock lock(impl_->mu);
  RelaxedSync relaxed(*impl_->db);
  return impl_->UpdateDelivery(
      "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, updated_ms = ?2, "
      "last_error = ?3 WHERE id = ?1",
      delivery_id, [&](store::Statement& s) { s.Bind(2, now_ms).Bind(3, error); });
}

Result<std::vector<int64_t>> AlertStore::RecentSends(const std::string& receiver, int n) {
  MutexLock lock(impl_->mu);
  std::vector<int64_t> sends;
  if (n <= 0) return sends;
  // Each delivery counts at least one message; at most n deliveries can be needed.
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT delivered_ms, parts_done FROM deliveries WHERE receiver = ?1 AND "
                  "state = 'delivered' ORDER BY delivered_ms DESC, id DESC LIMIT ?2"));
  s->Bind(1, receiver).Bind(2, n);
  while (static_cast<int>(sends.size()) < n) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    const int64_t parts = std::max<int64_t>(1, s->ColumnInt(1));
    for (int64_t i = 0; i < parts && static_cast<int>(sends.size()) < n; ++i) {
      sends.push_back(s->ColumnInt(0));
    }
  }
  return sends;
}

Result<int64_t> AlertStore::RetryFailed(const std::string& receiver, int64_t now_ms) {
  MutexLock lock(impl_->mu);
  // An empty receiver retries the failed deliveries of every receiver.
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("UPDATE deliveries SET state = 'pending', next_try_ms = ?2, updated_ms = ?2 "
                  "WHERE state = 'failed' AND (?1 = '' OR receiver = ?1)"));
  s->Bind(1, receiver).Bind(2, now_ms);
  BEACON_RETURN_IF_ERROR(s->Run());
  return static_cast<int64_t>(impl_->db->Changes());
}

}  // namespace beacon::collector::alerts
