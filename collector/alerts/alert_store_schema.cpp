// AlertStore's SQLite schema, its migrations, and opening the file.
#include <memory>
#include <utility>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {
namespace {

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

// Acknowledgements from the chat bot (alert_store_acks.cpp), one per alert; retention deletes
// those whose alert is gone.
const char kSchemaV3[] = R"sql(
CREATE TABLE alert_acks(
  alert_id INTEGER PRIMARY KEY,
  acked_by TEXT NOT NULL,
  acked_ms INTEGER NOT NULL
);
)sql";

// alerts_host served no query: the listing filters by host with "(?3 IS NULL OR a.host = ?3)",
// which SQLite cannot answer from an index, and walks the alerts newest first by id (EXPLAIN
// QUERY PLAN: SCAN a, in bench/README.md's alert section). It only cost a b-tree insert per
// alert, at one of as many places as there are hosts. alerts_received stays: it is appended at
// its end (one page per commit) and is the small b-tree that counts the alerts for Stats.
const char kSchemaV4[] = R"sql(
DROP INDEX IF EXISTS alerts_host;
)sql";

}  // namespace

AlertStore::AlertStore(std::unique_ptr<store::Database> db)
    : impl_(std::make_unique<Impl>(std::move(db))) {}

AlertStore::~AlertStore() { impl_->StopWriter(); }

Result<std::unique_ptr<AlertStore>> AlertStore::Open(const std::string& path) {
  // WAL and synchronous=FULL, so an alert acknowledged with a 2xx survives a power loss, like
  // the event store. An alert touches about a dozen b-trees (the alert and its indexes, its
  // receipt, its group and membership), most at a random place: with 1 KiB pages each such
  // touch puts 1 KiB into the WAL instead of 4 KiB (bench/README.md, alert ingest). The larger
  // WAL lets a checkpoint write an index page that many commits changed once.
  static const std::vector<store::Migration> kMigrations = {
      {1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}, {4, kSchemaV4}};
  store::DatabaseOptions options;
  options.page_size = 1024;
  options.wal_autocheckpoint = 8192;
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db,
                          store::Database::OpenAndMigrate(path, kMigrations, options));
  return std::unique_ptr<AlertStore>(new AlertStore(std::move(db)));
}

}  // namespace beacon::collector::alerts
