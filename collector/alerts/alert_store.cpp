// AlertStore on SQLite: alerts and receipts, notification groups and their members, the outbox
// (rows per group notification, deliveries that notifiers send) and silences.
#include "collector/alerts/alert_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "collector/alerts/notification_json.h"

namespace beacon::collector::alerts {
namespace {

using notifier::Notification;
using notifier::NotificationKind;

// alerts.status, group_members.notified_status and outbox_entries.status hold AlertStatusName;
// notified_status is '' until the member's firing was notified. Deliveries hold
// DeliveryStateName. Times are UTC ms. next_flush_ms is NULL while a group needs no flush;
// last_flush_ms is NULL until its first flush (so group_wait is kept for members joining a
// group that was never flushed).
const char kSchemaV1[] = R"sql(
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  external_id TEXT NOT NULL,
  status TEXT NOT NULL,
  severity INTEGER NOT NULL,
  host TEXT NOT NULL,
  title TEXT NOT NULL,
  message TEXT NOT NULL,
  tags_json TEXT NOT NULL,
  url TEXT NOT NULL,
  starts_ms INTEGER NOT NULL,
  ends_ms INTEGER NOT NULL DEFAULT 0,
  occurrences INTEGER NOT NULL DEFAULT 1,
  received_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  raw_json TEXT NOT NULL
);
CREATE INDEX alerts_firing_fingerprint ON alerts(fingerprint) WHERE status = 'firing';
CREATE INDEX alerts_source_external ON alerts(source, external_id) WHERE status = 'firing';
CREATE INDEX alerts_received ON alerts(received_ms);
CREATE INDEX alerts_host ON alerts(host);
-- Every report ever accepted, by its idempotency key; unmatched resolutions keep their payload.
CREATE TABLE receipts(
  receipt_key TEXT PRIMARY KEY,
  alert_id INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  raw_json TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE alert_groups(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  route TEXT NOT NULL,
  receiver TEXT NOT NULL,
  group_key TEXT NOT NULL,
  wait_ms INTEGER NOT NULL,
  interval_ms INTEGER NOT NULL,
  repeat_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  last_flush_ms INTEGER,
  last_notified_ms INTEGER NOT NULL DEFAULT 0,
  next_flush_ms INTEGER
);
CREATE UNIQUE INDEX alert_groups_key ON alert_groups(receiver, route, group_key);
CREATE INDEX alert_groups_due ON alert_groups(next_flush_ms);
CREATE TABLE group_members(
  group_id INTEGER NOT NULL,
  alert_id INTEGER NOT NULL,
  notified_status TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(group_id, alert_id)
) WITHOUT ROWID;
CREATE INDEX group_members_alert ON group_members(alert_id);
CREATE TABLE outbox_rows(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  receiver TEXT NOT NULL,
  group_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  delivery_id INTEGER
);
CREATE INDEX outbox_rows_queued ON outbox_rows(receiver, id) WHERE delivery_id IS NULL;
CREATE INDEX outbox_rows_delivery ON outbox_rows(delivery_id);
CREATE TABLE outbox_entries(
  row_id INTEGER NOT NULL,
  alert_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY(row_id, alert_id)
) WITHOUT ROWID;
CREATE INDEX outbox_entries_alert ON outbox_entries(alert_id, row_id);
CREATE TABLE deliveries(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  receiver TEXT NOT NULL,
  kind TEXT NOT NULL,
  notification_json TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  delivered_ms INTEGER NOT NULL DEFAULT 0,
  parts_done INTEGER NOT NULL DEFAULT 0,
  row_count INTEGER NOT NULL
);
CREATE INDEX deliveries_receiver_state ON deliveries(receiver, state, id);
CREATE INDEX deliveries_receiver_delivered ON deliveries(receiver, state, delivered_ms);
CREATE INDEX deliveries_state ON deliveries(state, receiver);
CREATE TABLE silences(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  matchers_json TEXT NOT NULL,
  starts_ms INTEGER NOT NULL,
  ends_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expired_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX silences_ends ON silences(ends_ms);
)sql";

// Retention (AlertStore::Prune) finds resolved alerts by age and receipts by alert.
const char kSchemaV2[] = R"sql(
CREATE INDEX alerts_resolved_updated ON alerts(updated_ms) WHERE status = 'resolved';
CREATE INDEX receipts_alert ON receipts(alert_id, received_ms);
CREATE INDEX deliveries_done_updated ON deliveries(updated_ms) WHERE state != 'pending';
)sql";

constexpr char kAlertColumns[] =
    "a.id, a.source, a.fingerprint, a.external_id, a.status, a.severity, a.host, a.title, "
    "a.message, a.tags_json, a.url, a.starts_ms, a.ends_ms, a.occurrences, a.received_ms, "
    "a.updated_ms";
constexpr int kAlertColumnCount = 16;

constexpr char kDeliveryColumns[] =
    "id, receiver, notification_json, state, attempts, next_try_ms, last_error, created_ms, "
    "delivered_ms, parts_done, row_count";

constexpr char kSilenceColumns[] =
    "id, matchers_json, starts_ms, ends_ms, created_by, reason, created_ms, expired_ms";

std::string_view StatusName(AlertStatus status) { return notifier::AlertStatusName(status); }

AlertStatus ParseStatus(const std::string& text) {
  return text == "resolved" ? AlertStatus::kResolved : AlertStatus::kFiring;
}

DeliveryState ParseDeliveryState(const std::string& text) {
  if (text == "delivered") return DeliveryState::kDelivered;
  if (text == "failed") return DeliveryState::kFailed;
  return DeliveryState::kPending;
}

// JSON text for storage; invalid UTF-8 from a source is replaced rather than failing the write.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json ParseStoredJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

Severity SeverityFromInt(int64_t value) {
  return static_cast<Severity>(std::clamp<int64_t>(value, 0, 5));
}

// Reads kAlertColumns starting at column `first`.
AlertView ReadAlert(const store::Statement& s, int first = 0) {
  AlertView a;
  a.id = s.ColumnInt(first + 0);
  a.source = s.ColumnText(first + 1);
  a.fingerprint = s.ColumnText(first + 2);
  a.external_id = s.ColumnText(first + 3);
  a.status = ParseStatus(s.ColumnText(first + 4));
  a.severity = SeverityFromInt(s.ColumnInt(first + 5));
  a.host = s.ColumnText(first + 6);
  a.title = s.ColumnText(first + 7);
  a.message = s.ColumnText(first + 8);
  nlohmann::json tags = ParseStoredJson(s.ColumnText(first + 9));
  if (tags.is_object()) {
    for (auto it = tags.begin(); it != tags.end(); ++it) {
      if (it->is_string()) a.tags[it.key()] = it->get<std::string>();
    }
  }
  a.url = s.ColumnText(first + 10);
  a.starts_ms = s.ColumnInt(first + 11);
  a.ends_ms = s.ColumnInt(first + 12);
  a.occurrences = s.ColumnInt(first + 13);
  return a;
}

// The alert as one outbox entry saw it: the status the notification is about.
AlertView Snapshot(AlertView alert, AlertStatus status) {
  alert.status = status;
  if (status == AlertStatus::kFiring) alert.ends_ms = 0;
  return alert;
}

nlohmann::json MatchersToJson(const std::vector<Matcher>& matchers) {
  nlohmann::json out = nlohmann::json::array();
  for (const Matcher& m : matchers) {
    out.push_back({{"field", m.field}, {"op", m.op}, {"value", m.value}});
  }
  return out;
}

std::vector<Matcher> MatchersFromJson(const nlohmann::json& j) {
  std::vector<Matcher> out;
  if (!j.is_array()) return out;
  for (const nlohmann::json& m : j) {
    if (!m.is_object()) continue;
    Matcher matcher;
    matcher.field = m.value("field", "");
    matcher.op = m.value("op", "=");
    matcher.value = m.value("value", "");
    out.push_back(std::move(matcher));
  }
  return out;
}

Silence ReadSilence(const store::Statement& s) {
  Silence silence;
  silence.id = s.ColumnInt(0);
  silence.matchers = MatchersFromJson(ParseStoredJson(s.ColumnText(1)));
  silence.starts_ms = s.ColumnInt(2);
  silence.ends_ms = s.ColumnInt(3);
  silence.created_by = s.ColumnText(4);
  silence.reason = s.ColumnText(5);
  silence.created_ms = s.ColumnInt(6);
  silence.expired_ms = s.ColumnInt(7);
  return silence;
}

// Steps the bound statement to its end and returns its first column (ids).
Result<std::vector<int64_t>> FirstColumnIds(store::Statement& s) {
  std::vector<int64_t> ids;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.ColumnInt(0));
  }
  return ids;
}

struct GroupRow {
  int64_t id = 0;
  std::string receiver;
  int64_t interval_ms = 0;
  int64_t repeat_ms = 0;
  std::optional<int64_t> last_flush_ms;
  int64_t last_notified_ms = 0;
  std::optional<int64_t> next_flush_ms;
};

struct Member {
  AlertView alert;
  std::string notified_status;
};

}  // namespace

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

// Outbox bookkeeping (group flushes, deliveries and their marks) commits without waiting for
// the disk: synchronous=NORMAL in WAL mode survives a process crash, and the next full commit
// (every Record) makes it durable too. A power cut can therefore lose at most a few marks,
// which costs a repeated message, never an alert. Set outside any transaction.
class RelaxedSync {
 public:
  explicit RelaxedSync(store::Database& db) : db_(db) {
    relaxed_ = db_.Exec("PRAGMA synchronous=NORMAL").ok();
  }
  ~RelaxedSync() {
    if (relaxed_ && !db_.Exec("PRAGMA synchronous=FULL").ok()) {
      spdlog::error("alerts store: could not restore synchronous=FULL");
    }
  }
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

 private:
  store::Database& db_;
  bool relaxed_ = false;
};

struct AlertStore::Impl {
  explicit Impl(std::unique_ptr<store::Database> database) : db(std::move(database)) {}

  // The connection's cached statement for sql (callers hold `mu`); reset when the lease ends.
  Result<store::CachedStatement> Stmt(const char* sql) { return db->Cached(sql); }

  Result<std::optional<int64_t>> FindFiring(const AlertInput& input);
  // Record's work inside the caller's transaction.
  Result<RecordResult> RecordInTx(const AlertInput& input, const std::vector<GroupRef>& groups,
                                  int64_t now_ms);
  // Marks a firing alert resolved at ends_ms and schedules the groups it belongs to.
  Status ResolveAlert(int64_t alert_id, int64_t ends_ms, int64_t now_ms);
  Status JoinGroup(int64_t alert_id, const GroupRef& ref, int64_t now_ms);
  Status Reschedule(int64_t group_id, int64_t now_ms);
  Result<std::optional<GroupRow>> LoadGroup(int64_t group_id);
  Result<std::vector<Member>> LoadMembers(int64_t group_id);
  Result<int64_t> AddRow(const GroupRow& group, NotificationKind kind,
                         const std::vector<std::pair<int64_t, AlertStatus>>& entries,
                         int64_t now_ms);
  Result<Notification> BuildNotification(int64_t delivery_id, const std::string& receiver,
                                         std::optional<NotificationKind> kind, int64_t now_ms,
                                         int max_listed);
  Result<std::vector<AlertDelivery>> DeliveriesOf(int64_t alert_id);

  struct PendingRecord {
    const AlertInput* input;
    const std::vector<GroupRef>* groups;
    int64_t now_ms;
    Result<RecordResult> result;
    bool done;
  };
  // Records the batch in one transaction (the group-commit leader's work); sets each result.
  void RecordBatch(const std::vector<PendingRecord*>& batch);
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::vector<PendingRecord*> queue;  // GUARDED_BY(queue_mu)
  bool leader_active = false;         // GUARDED_BY(queue_mu)
  Result<Delivery> ReadDelivery(const store::Statement& s);
  Status UpdateDelivery(const char* sql, int64_t id,
                        const std::function<void(store::Statement&)>& bind);

  std::unique_ptr<store::Database> db;  // destroyed after the cached statements
  std::mutex mu;
};

AlertStore::AlertStore(std::unique_ptr<store::Database> db)
    : impl_(std::make_unique<Impl>(std::move(db))) {}

AlertStore::~AlertStore() = default;

Result<std::unique_ptr<AlertStore>> AlertStore::Open(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::IoError("cannot create directory " + parent.string() + ": " + ec.message());
    }
  }
  // Default options: WAL and synchronous=FULL, so an alert acknowledged with a 2xx survives a
  // power loss, like the event store.
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db, store::Database::Open(path));
  static const std::vector<store::Migration> kMigrations = {{1, kSchemaV1}, {2, kSchemaV2}};
  BEACON_RETURN_IF_ERROR(db->Migrate(kMigrations).WithContext("migrating " + path));
  return std::unique_ptr<AlertStore>(new AlertStore(std::move(db)));
}

// ---- intake ------------------------------------------------------------------------------------

Result<std::optional<int64_t>> AlertStore::Impl::FindFiring(const AlertInput& input) {
  if (!input.external_id.empty()) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("SELECT id FROM alerts WHERE source = ?1 AND external_id = ?2 AND status = 'firing' "
             "ORDER BY id DESC LIMIT 1"));
    s->Bind(1, input.source).Bind(2, input.external_id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) return std::optional<int64_t>(s->ColumnInt(0));
  }
  if (!input.fingerprint.empty()) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("SELECT id FROM alerts WHERE fingerprint = ?1 AND status = 'firing' "
             "ORDER BY id DESC LIMIT 1"));
    s->Bind(1, input.fingerprint);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) return std::optional<int64_t>(s->ColumnInt(0));
  }
  return std::optional<int64_t>();
}

Status AlertStore::Impl::JoinGroup(int64_t alert_id, const GroupRef& ref, int64_t now_ms) {
  int64_t group_id = 0;
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("SELECT id FROM alert_groups WHERE receiver = ?1 AND route = ?2 AND group_key = ?3"));
    s->Bind(1, ref.receiver).Bind(2, ref.route).Bind(3, ref.group_key);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) group_id = s->ColumnInt(0);
  }
  if (group_id == 0) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("INSERT INTO alert_groups(route, receiver, group_key, wait_ms, interval_ms, "
             "repeat_ms, created_ms, next_flush_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    s->Bind(1, ref.route).Bind(2, ref.receiver).Bind(3, ref.group_key);
    s->Bind(4, ref.timing.wait_ms).Bind(5, ref.timing.interval_ms).Bind(6, ref.timing.repeat_ms);
    s->Bind(7, now_ms).Bind(8, now_ms + ref.timing.wait_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
    group_id = db->LastInsertRowId();
  } else {
    // A reloaded configuration's timing applies from now on.
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("UPDATE alert_groups SET wait_ms = ?2, interval_ms = ?3, repeat_ms = ?4 "
             "WHERE id = ?1"));
    s->Bind(1, group_id).Bind(2, ref.timing.wait_ms).Bind(3, ref.timing.interval_ms);
    s->Bind(4, ref.timing.repeat_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("INSERT OR IGNORE INTO group_members(group_id, alert_id) VALUES(?1, ?2)"));
    s->Bind(1, group_id).Bind(2, alert_id);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  return Reschedule(group_id, now_ms);
}

Result<std::optional<GroupRow>> AlertStore::Impl::LoadGroup(int64_t group_id) {
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      Stmt("SELECT id, receiver, interval_ms, repeat_ms, last_flush_ms, last_notified_ms, "
           "next_flush_ms, wait_ms FROM alert_groups WHERE id = ?1"));
  s->Bind(1, group_id);
  BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<GroupRow>();
  GroupRow g;
  g.id = s->ColumnInt(0);
  g.receiver = s->ColumnText(1);
  g.interval_ms = s->ColumnInt(2);
  g.repeat_ms = s->ColumnInt(3);
  if (!s->ColumnIsNull(4)) g.last_flush_ms = s->ColumnInt(4);
  g.last_notified_ms = s->ColumnInt(5);
  if (!s->ColumnIsNull(6)) g.next_flush_ms = s->ColumnInt(6);
  return std::optional<GroupRow>(std::move(g));
}

// A group with a changed member flushes at max(now, last_flush + interval), or keeps an earlier
// schedule; a group never flushed keeps its group_wait schedule.
Status AlertStore::Impl::Reschedule(int64_t group_id, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(std::optional<GroupRow> group, LoadGroup(group_id));
  if (!group) return Status::Ok();
  int64_t next = 0;
  if (!group->last_flush_ms) {
    if (group->next_flush_ms) return Status::Ok();
    next = now_ms;
  } else {
    next = std::max(now_ms, *group->last_flush_ms + group->interval_ms);
    if (group->next_flush_ms) next = std::min(next, *group->next_flush_ms);
  }
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                          Stmt("UPDATE alert_groups SET next_flush_ms = ?2 WHERE id = ?1"));
  s->Bind(1, group_id).Bind(2, next);
  return s->Run();
}

Result<RecordResult> AlertStore::Impl::RecordInTx(const AlertInput& input,
                                                  const std::vector<GroupRef>& groups,
                                                  int64_t now_ms) {
  if (input.receipt_key.empty()) return Status::InvalidArgument("alert without a receipt key");
  Impl& im = *this;
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            im.Stmt("SELECT alert_id FROM receipts WHERE receipt_key = ?1"));
    s->Bind(1, input.receipt_key);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) return RecordResult{s->ColumnInt(0), RecordOutcome::kDuplicate};
  }
  const int64_t event_ms = input.event_ms != 0 ? input.event_ms : now_ms;
  RecordResult result;
  if (input.status == AlertStatus::kFiring) {
    std::optional<int64_t> firing;
    if (!input.fingerprint.empty()) {
      BEACON_ASSIGN_OR_RETURN(
          store::CachedStatement s,
          im.Stmt("SELECT id FROM alerts WHERE fingerprint = ?1 AND status = 'firing' "
                  "ORDER BY id DESC LIMIT 1"));
      s->Bind(1, input.fingerprint);
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) firing = s->ColumnInt(0);
    }
    if (firing) {
      BEACON_ASSIGN_OR_RETURN(
          store::CachedStatement s,
          im.Stmt("UPDATE alerts SET occurrences = occurrences + 1, message = ?2, severity = ?3, "
                  "updated_ms = ?4 WHERE id = ?1"));
      s->Bind(1, *firing).Bind(2, input.message).Bind(3, static_cast<int>(input.severity));
      s->Bind(4, now_ms);
      BEACON_RETURN_IF_ERROR(s->Run());
      result = {*firing, RecordOutcome::kFolded};
    } else {
      {
        BEACON_ASSIGN_OR_RETURN(
            store::CachedStatement s,
            im.Stmt("INSERT INTO alerts(source, fingerprint, external_id, status, severity, host, "
                    "title, message, tags_json, url, starts_ms, ends_ms, occurrences, "
                    "received_ms, updated_ms, raw_json) VALUES(?1, ?2, ?3, 'firing', ?4, ?5, ?6, "
                    "?7, ?8, ?9, ?10, 0, 1, ?11, ?11, ?12)"));
        s->Bind(1, input.source).Bind(2, input.fingerprint).Bind(3, input.external_id);
        s->Bind(4, static_cast<int>(input.severity)).Bind(5, input.host).Bind(6, input.title);
        s->Bind(7, input.message).Bind(8, Dump(nlohmann::json(input.tags))).Bind(9, input.url);
        s->Bind(10, event_ms).Bind(11, now_ms).Bind(12, Dump(input.raw));
        BEACON_RETURN_IF_ERROR(s->Run());
      }
      result = {im.db->LastInsertRowId(), RecordOutcome::kNew};
      for (const GroupRef& ref : groups) {
        BEACON_RETURN_IF_ERROR(im.JoinGroup(result.alert_id, ref, now_ms));
      }
    }
  } else {
    BEACON_ASSIGN_OR_RETURN(std::optional<int64_t> firing, im.FindFiring(input));
    if (firing) {
      BEACON_RETURN_IF_ERROR(im.ResolveAlert(*firing, event_ms, now_ms));
      result = {*firing, RecordOutcome::kResolved};
    } else {
      result = {0, RecordOutcome::kUnmatched};
    }
  }
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("INSERT INTO receipts(receipt_key, alert_id, outcome, received_ms, raw_json) "
                "VALUES(?1, ?2, ?3, ?4, ?5)"));
    s->Bind(1, input.receipt_key).Bind(2, result.alert_id);
    s->Bind(3, RecordOutcomeName(result.outcome)).Bind(4, now_ms);
    // An unmatched resolution exists only here, so its payload is kept for the record.
    s->Bind(5, result.outcome == RecordOutcome::kUnmatched ? Dump(input.raw) : std::string());
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  return result;
}

Status AlertStore::Impl::ResolveAlert(int64_t alert_id, int64_t ends_ms, int64_t now_ms) {
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("UPDATE alerts SET status = 'resolved', ends_ms = ?2, updated_ms = ?3 "
             "WHERE id = ?1"));
    s->Bind(1, alert_id).Bind(2, ends_ms).Bind(3, now_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  std::vector<int64_t> group_ids;
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            Stmt("SELECT group_id FROM group_members WHERE alert_id = ?1"));
    s->Bind(1, alert_id);
    BEACON_ASSIGN_OR_RETURN(group_ids, FirstColumnIds(*s));
  }
  for (int64_t group_id : group_ids) {
    BEACON_RETURN_IF_ERROR(Reschedule(group_id, now_ms));
  }
  return Status::Ok();
}

// Group commit: concurrent callers queue their reports and one of them (the leader) records
// the whole queue in a single transaction, one savepoint per report, so N webhook threads pay
// for one fsync instead of N. Each caller still returns only after its report is durable.
Result<RecordResult> AlertStore::Record(const AlertInput& input,
                                        const std::vector<GroupRef>& groups, int64_t now_ms) {
  Impl::PendingRecord me{&input, &groups, now_ms, Status::Internal("not recorded"), false};
  std::unique_lock<std::mutex> queue_lock(impl_->queue_mu);
  impl_->queue.push_back(&me);
  while (!me.done) {
    if (impl_->leader_active) {
      impl_->queue_cv.wait(queue_lock);
      continue;
    }
    impl_->leader_active = true;
    std::vector<Impl::PendingRecord*> batch;
    batch.swap(impl_->queue);
    queue_lock.unlock();
    impl_->RecordBatch(batch);
    queue_lock.lock();
    for (Impl::PendingRecord* pending : batch) pending->done = true;
    impl_->leader_active = false;
    impl_->queue_cv.notify_all();
  }
  return std::move(me.result);
}

void AlertStore::Impl::RecordBatch(const std::vector<PendingRecord*>& batch) {
  std::lock_guard<std::mutex> lock(mu);
  store::Transaction tx(*db);
  if (!tx.status().ok()) {
    for (PendingRecord* pending : batch) pending->result = tx.status();
    return;
  }
  for (PendingRecord* pending : batch) {
    // A report that fails leaves no trace; the others of the batch are unaffected.
    Status savepoint = db->Exec("SAVEPOINT report");
    if (!savepoint.ok()) {
      pending->result = savepoint;
      continue;
    }
    pending->result = RecordInTx(*pending->input, *pending->groups, pending->now_ms);
    if (!pending->result.ok()) {
      Status undone = db->Exec("ROLLBACK TO report");
      if (!undone.ok()) pending->result = undone;
    }
    Status released = db->Exec("RELEASE report");
    if (!released.ok() && pending->result.ok()) pending->result = released;
  }
  Status committed = tx.Commit();
  if (!committed.ok()) {
    for (PendingRecord* pending : batch) pending->result = committed;
  }
}

Result<int64_t> AlertStore::ResolveQuiet(const std::string& source, int64_t quiet_since_ms,
                                         int64_t now_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& im = *impl_;
  store::Transaction tx(*im.db);
  BEACON_RETURN_IF_ERROR(tx.status());
  std::vector<int64_t> quiet;
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("SELECT id FROM alerts WHERE status = 'firing' AND source = ?1 AND "
                "updated_ms < ?2"));
    s->Bind(1, source).Bind(2, quiet_since_ms);
    BEACON_ASSIGN_OR_RETURN(quiet, FirstColumnIds(*s));
  }
  for (int64_t id : quiet) BEACON_RETURN_IF_ERROR(im.ResolveAlert(id, now_ms, now_ms));
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return static_cast<int64_t>(quiet.size());
}

// ---- groups ------------------------------------------------------------------------------------

Result<std::vector<int64_t>> AlertStore::DueGroups(int64_t now_ms, int limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT id FROM alert_groups WHERE next_flush_ms IS NOT NULL AND "
                  "next_flush_ms <= ?1 ORDER BY next_flush_ms, id LIMIT ?2"));
  s->Bind(1, now_ms).Bind(2, limit);
  return FirstColumnIds(*s);
}

Result<std::optional<int64_t>> AlertStore::NextGroupFlushMs() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT next_flush_ms FROM alert_groups WHERE next_flush_ms IS NOT NULL "
                  "ORDER BY next_flush_ms LIMIT 1"));
  BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s->ColumnInt(0));
}

Result<std::vector<Member>> AlertStore::Impl::LoadMembers(int64_t group_id) {
  static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                 ", m.notified_status FROM group_members m JOIN alerts a ON "
                                 "a.id = m.alert_id WHERE m.group_id = ?1 ORDER BY a.id";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, Stmt(sql.c_str()));
  s->Bind(1, group_id);
  std::vector<Member> members;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    members.push_back({ReadAlert(*s), s->ColumnText(kAlertColumnCount)});
  }
  return members;
}

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

Result<std::optional<int64_t>> AlertStore::FlushGroup(
    int64_t group_id, int64_t now_ms, const std::function<bool(const AlertView&)>& muted) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& im = *impl_;
  RelaxedSync relaxed(*im.db);
  store::Transaction tx(*im.db);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(std::optional<GroupRow> group, im.LoadGroup(group_id));
  if (!group) return std::optional<int64_t>();
  BEACON_ASSIGN_OR_RETURN(std::vector<Member> members, im.LoadMembers(group_id));

  std::vector<std::pair<int64_t, AlertStatus>> changed;  // into a kGroup row
  std::vector<int64_t> leaving;                          // notified (or never) resolved
  std::vector<int64_t> notified_firing;                  // unmuted, notified firing, unchanged
  bool muted_changes = false;
  bool firing_remains = false;
  for (const Member& m : members) {
    const std::string_view status = StatusName(m.alert.status);
    const bool is_muted = muted && muted(m.alert);
    if (status == m.notified_status) {
      if (m.alert.status == AlertStatus::kFiring) {
        firing_remains = true;
        if (!is_muted) notified_firing.push_back(m.alert.id);
      }
      continue;
    }
    if (m.alert.status == AlertStatus::kResolved && m.notified_status.empty()) {
      // Resolved before anyone was told it fired: nothing to say.
      leaving.push_back(m.alert.id);
      continue;
    }
    if (is_muted) {
      muted_changes = true;
      if (m.alert.status == AlertStatus::kFiring) firing_remains = true;
      continue;
    }
    changed.emplace_back(m.alert.id, m.alert.status);
    if (m.alert.status == AlertStatus::kResolved) {
      leaving.push_back(m.alert.id);
    } else {
      firing_remains = true;
    }
  }

  std::optional<int64_t> row_id;
  if (!changed.empty()) {
    BEACON_ASSIGN_OR_RETURN(int64_t id,
                            im.AddRow(*group, NotificationKind::kGroup, changed, now_ms));
    row_id = id;
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("UPDATE group_members SET notified_status = ?3 WHERE group_id = ?1 AND "
                "alert_id = ?2"));
    for (const auto& [alert_id, status] : changed) {
      s->Bind(1, group_id).Bind(2, alert_id).Bind(3, StatusName(status));
      BEACON_RETURN_IF_ERROR(s->Run());
    }
  } else if (group->repeat_ms > 0 && group->last_notified_ms > 0 && !notified_firing.empty() &&
             now_ms >= group->last_notified_ms + group->repeat_ms) {
    std::vector<std::pair<int64_t, AlertStatus>> entries;
    for (int64_t id : notified_firing) entries.emplace_back(id, AlertStatus::kFiring);
    BEACON_ASSIGN_OR_RETURN(int64_t id,
                            im.AddRow(*group, NotificationKind::kRepeat, entries, now_ms));
    row_id = id;
  }
  int64_t last_notified_ms = row_id ? now_ms : group->last_notified_ms;

  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("DELETE FROM group_members WHERE group_id = ?1 AND alert_id = ?2"));
    for (int64_t alert_id : leaving) {
      s->Bind(1, group_id).Bind(2, alert_id);
      BEACON_RETURN_IF_ERROR(s->Run());
    }
  }
  if (leaving.size() == members.size()) {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            im.Stmt("DELETE FROM alert_groups WHERE id = ?1"));
    s->Bind(1, group_id);
    BEACON_RETURN_IF_ERROR(s->Run());
  } else {
    std::optional<int64_t> next;
    if (muted_changes) {
      next = now_ms + group->interval_ms;
    } else if (firing_remains && group->repeat_ms > 0 && last_notified_ms > 0) {
      next = std::max(now_ms, last_notified_ms + group->repeat_ms);
    }
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("UPDATE alert_groups SET last_flush_ms = ?2, last_notified_ms = ?3, "
                "next_flush_ms = ?4 WHERE id = ?1"));
    s->Bind(1, group_id).Bind(2, now_ms).Bind(3, last_notified_ms);
    if (next) {
      s->Bind(4, *next);
    } else {
      s->BindNull(4);
    }
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return row_id;
}

Result<std::vector<AlertView>> AlertStore::FiringAlerts(Severity min_severity) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // No ORDER BY: the partial index of firing alerts serves the scan; sorted below.
  static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                 " FROM alerts a WHERE a.status = 'firing' AND a.severity >= ?1";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
  s->Bind(1, static_cast<int>(min_severity));
  std::vector<AlertView> alerts;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    alerts.push_back(ReadAlert(*s));
  }
  std::sort(alerts.begin(), alerts.end(),
            [](const AlertView& a, const AlertView& b) { return a.id < b.id; });
  return alerts;
}

// ---- outbox ------------------------------------------------------------------------------------

Result<std::vector<std::string>> AlertStore::ActiveReceivers() {
  std::lock_guard<std::mutex> lock(impl_->mu);
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
  std::lock_guard<std::mutex> lock(impl_->mu);
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
  std::lock_guard<std::mutex> lock(impl_->mu);
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
  std::lock_guard<std::mutex> lock(impl_->mu);
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
  std::lock_guard<std::mutex> lock(impl_->mu);
  RelaxedSync relaxed(*impl_->db);
  return impl_->UpdateDelivery(
      "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_ms = ?2, "
      "updated_ms = ?2, parts_done = max(parts_done, ?3), last_error = '' WHERE id = ?1",
      delivery_id, [&](store::Statement& s) { s.Bind(2, now_ms).Bind(3, parts_done); });
}

Status AlertStore::MarkRetry(int64_t delivery_id, int64_t next_try_ms, const std::string& error,
                             int parts_done) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  RelaxedSync relaxed(*impl_->db);
  return impl_->UpdateDelivery(
      "UPDATE deliveries SET attempts = attempts + 1, next_try_ms = ?2, last_error = ?3, "
      "parts_done = max(parts_done, ?4) WHERE id = ?1",
      delivery_id,
      [&](store::Statement& s) { s.Bind(2, next_try_ms).Bind(3, error).Bind(4, parts_done); });
}

Status AlertStore::MarkFailed(int64_t delivery_id, int64_t now_ms, const std::string& error) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  RelaxedSync relaxed(*impl_->db);
  return impl_->UpdateDelivery(
      "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, updated_ms = ?2, "
      "last_error = ?3 WHERE id = ?1",
      delivery_id, [&](store::Statement& s) { s.Bind(2, now_ms).Bind(3, error); });
}

Result<std::vector<int64_t>> AlertStore::RecentSends(const std::string& receiver, int n) {
  std::lock_guard<std::mutex> lock(impl_->mu);
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
  std::lock_guard<std::mutex> lock(impl_->mu);
  // An empty receiver retries the failed deliveries of every receiver.
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("UPDATE deliveries SET state = 'pending', next_try_ms = ?2, updated_ms = ?2 "
                  "WHERE state = 'failed' AND (?1 = '' OR receiver = ?1)"));
  s->Bind(1, receiver).Bind(2, now_ms);
  BEACON_RETURN_IF_ERROR(s->Run());
  return static_cast<int64_t>(impl_->db->Changes());
}

// ---- queries -----------------------------------------------------------------------------------

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
  std::lock_guard<std::mutex> lock(impl_->mu);
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
  std::lock_guard<std::mutex> lock(impl_->mu);
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
  std::lock_guard<std::mutex> lock(impl_->mu);
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

// ---- silences ----------------------------------------------------------------------------------

Result<Silence> AlertStore::CreateSilence(const Silence& silence) {
  if (silence.matchers.empty()) {
    return Status::InvalidArgument("a silence needs at least one matcher");
  }
  if (silence.ends_ms <= silence.starts_ms) {
    return Status::InvalidArgument("a silence must end after it starts");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  Silence created = silence;
  created.expired_ms = 0;
  // The caller's clock when it sets created_ms (tests, the API); else the wall clock.
  if (created.created_ms == 0) {
    created.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  }
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("INSERT INTO silences(matchers_json, starts_ms, ends_ms, created_by, reason, "
                  "created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  s->Bind(1, Dump(MatchersToJson(created.matchers))).Bind(2, created.starts_ms);
  s->Bind(3, created.ends_ms).Bind(4, created.created_by).Bind(5, created.reason);
  s->Bind(6, created.created_ms);
  BEACON_RETURN_IF_ERROR(s->Run());
  created.id = impl_->db->LastInsertRowId();
  return created;
}

Result<std::vector<Silence>> AlertStore::ListSilences(int64_t now_ms, bool include_expired) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  static const std::string sql = std::string("SELECT ") + kSilenceColumns +
                                 " FROM silences WHERE ?2 != 0 OR (ends_ms > ?1 AND "
                                 "expired_ms = 0) ORDER BY id DESC";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
  s->Bind(1, now_ms).Bind(2, include_expired ? 1 : 0);
  std::vector<Silence> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadSilence(*s));
  }
  return out;
}

Status AlertStore::ExpireSilence(int64_t id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  store::Transaction tx(*impl_->db);
  BEACON_RETURN_IF_ERROR(tx.status());
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            impl_->Stmt("SELECT ends_ms, expired_ms FROM silences WHERE id = ?1"));
    s->Bind(1, id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::NotFound("no silence " + std::to_string(id));
    if (s->ColumnInt(0) <= now_ms || s->ColumnInt(1) != 0) return Status::Ok();
  }
  {
    // ends_ms moves to now so every "starts <= now < ends" check sees it ended.
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        impl_->Stmt("UPDATE silences SET expired_ms = ?2, ends_ms = ?2 WHERE id = ?1"));
    s->Bind(1, id).Bind(2, now_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  return tx.Commit();
}

Result<AlertStoreStats> AlertStore::Stats() {
  std::lock_guard<std::mutex> lock(impl_->mu);
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

// ---- retention ---------------------------------------------------------------------------------

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
    std::lock_guard<std::mutex> lock(im.mu);
    store::Transaction tx(*im.db);
    BEACON_RETURN_IF_ERROR(tx.status());
    BEACON_ASSIGN_OR_RETURN(
        std::vector<int64_t> ids,
        select_ids("SELECT id FROM deliveries WHERE state != 'pending' AND updated_ms < ?1 "
                   "LIMIT ?2"));
    for (int64_t id : ids) {
      BEACON_RETURN_IF_ERROR(run_for(
          "DELETE FROM outbox_entries WHERE row_id IN "
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
    std::lock_guard<std::mutex> lock(im.mu);
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
      BEACON_RETURN_IF_ERROR(run_for("DELETE FROM alerts WHERE id = ?1", id));
    }
    BEACON_RETURN_IF_ERROR(tx.Commit());
    pruned.alerts += static_cast<int64_t>(ids.size());
    if (ids.size() < static_cast<size_t>(kChunk)) break;
  }
  if (cancelled()) return pruned;
  std::lock_guard<std::mutex> lock(im.mu);
  store::Transaction tx(*im.db);
  BEACON_RETURN_IF_ERROR(tx.status());
  // Receipts of resolutions that matched nothing, and silences that ended.
  BEACON_RETURN_IF_ERROR(run_for("DELETE FROM receipts WHERE alert_id = 0 AND received_ms < ?1",
                                 cutoff_ms));
  pruned.receipts += im.db->Changes();
  BEACON_RETURN_IF_ERROR(run_for("DELETE FROM silences WHERE ends_ms < ?1", cutoff_ms));
  pruned.silences += im.db->Changes();
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return pruned;
}

}  // namespace beacon::collector::alerts
