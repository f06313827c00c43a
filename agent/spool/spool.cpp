// SQLite spool: seq allocation, appends with the size cap, peek/ack for the uplink.
#include "agent/spool/spool.h"

#include <spdlog/spdlog.h>

#include "common/json/parse.h"

namespace beacon::agent {
namespace {

// pending_* are kept by triggers so the cap check never scans the table.
const std::vector<store::Migration> kMigrations = {
    {1, R"sql(
CREATE TABLE records(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  payload TEXT NOT NULL);
CREATE INDEX records_type_seq ON records(type, seq);
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta(key, value) VALUES
  ('pending_records', 0), ('pending_bytes', 0),
  ('dropped_samples_total', 0), ('dropped_samples_reported', 0);
CREATE TRIGGER records_after_insert AFTER INSERT ON records BEGIN
  UPDATE meta SET value = value + 1 WHERE key = 'pending_records';
  UPDATE meta SET value = value + NEW.bytes WHERE key = 'pending_bytes';
END;
CREATE TRIGGER records_after_delete AFTER DELETE ON records BEGIN
  UPDATE meta SET value = value - 1 WHERE key = 'pending_records';
  UPDATE meta SET value = value - OLD.bytes WHERE key = 'pending_bytes';
END;
)sql"},
    // spool.max_event_bytes: the events' share of pending_bytes, and the events refused by it.
    {2, R"sql(
INSERT INTO meta(key, value) VALUES
  ('pending_event_bytes', (SELECT COALESCE(SUM(bytes), 0) FROM records WHERE type = 1)),
  ('dropped_events_total', 0), ('dropped_events_reported', 0);
CREATE TRIGGER records_event_after_insert AFTER INSERT ON records WHEN NEW.type = 1 BEGIN
  UPDATE meta SET value = value + NEW.bytes WHERE key = 'pending_event_bytes';
END;
CREATE TRIGGER records_event_after_delete AFTER DELETE ON records WHEN OLD.type = 1 BEGIN
  UPDATE meta SET value = value - OLD.bytes WHERE key = 'pending_event_bytes';
END;
)sql"},
};

constexpr int kSampleType = 0;
constexpr int kEventType = 1;

int TypeCode(wire::RecordType type) {
  return type == wire::RecordType::kEvent ? kEventType : kSampleType;
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::Open(const SpoolOptions& options, const Clock& clock) {
  store::DatabaseOptions db_options;
  db_options.synchronous = "FULL";
  db_options.busy_timeout_ms = options.busy_timeout_ms;
  auto db = store::Database::OpenAndMigrate(options.path, kMigrations, db_options);
  if (!db.ok()) return db.status().WithContext("opening spool");

  {
    // Seed the sequence of a new spool (see spool.h). Checked inside the write transaction
    // so two processes creating the spool at once seed it once.
    store::Transaction tx(**db);
    BEACON_RETURN_IF_ERROR(tx.status());
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement get,
                            (*db)->Cached("SELECT seq FROM sqlite_sequence WHERE name='records'"));
    BEACON_ASSIGN_OR_RETURN(bool has_row, get->Step());
    get->Reset();
    if (!has_row) {
      BEACON_ASSIGN_OR_RETURN(
          store::CachedStatement seed,
          (*db)->Cached("INSERT INTO sqlite_sequence(name, seq) VALUES('records', ?)"));
      seed->Bind(1, clock.NowMs() * 1000);
      BEACON_RETURN_IF_ERROR(seed->Run());
    }
    BEACON_RETURN_IF_ERROR(tx.Commit());
  }
  return std::unique_ptr<Spool>(new Spool(options, std::move(*db)));
}

Result<int64_t> Spool::MetaLocked(const char* key) {
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached("SELECT value FROM meta WHERE key = ?"));
  stmt->Bind(1, key);
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::Corruption(std::string("spool meta row '") + key + "' is missing");
  int64_t value = stmt->ColumnInt(0);
  stmt->Reset();
  return value;
}

Result<std::vector<uint64_t>> Spool::Append(std::vector<wire::Record> records,
                                            EventCapPolicy policy) {
  std::vector<uint64_t> seqs;
  if (records.empty()) return seqs;
  std::lock_guard lock(mu_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status().WithContext("spool append"));
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement last,
                          db_->Cached("SELECT seq FROM sqlite_sequence WHERE name='records'"));
  BEACON_ASSIGN_OR_RETURN(bool has_last, last->Step());
  uint64_t next = has_last ? static_cast<uint64_t>(last->ColumnInt(0)) + 1 : 1;
  last->Reset();
  // Read inside the write transaction: another process appending events waits for it.
  BEACON_ASSIGN_OR_RETURN(int64_t event_bytes, MetaLocked("pending_event_bytes"));
  int64_t refused_events = 0;

  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement insert,
      db_->Cached("INSERT INTO records(seq, type, ts_ms, bytes, payload) VALUES(?,?,?,?,?)"));
  for (size_t i = 0; i < records.size(); ++i) {
    wire::Record& record = records[i];
    record.seq = next;
    std::string payload = wire::EncodeRecord(record);
    // Refuse here what the collector would refuse: a poisoned record would block the uplink.
    // ParseJson also refuses nesting the collector would refuse (common/json/parse.h).
    Result<nlohmann::json> parsed = ParseJson(payload);
    if (!parsed.ok()) {
      return Status::InvalidArgument("record " + std::to_string(i) +
                                     " does not encode as JSON: " + parsed.status().message());
    }
    if (auto check = wire::DecodeRecord(*parsed); !check.ok()) {
      return Status::InvalidArgument("record " + std::to_string(i) + ": " +
                                     check.status().message());
    }
    if (record.type == wire::RecordType::kEvent) {
      const auto bytes = static_cast<int64_t>(payload.size());
      if (event_bytes + bytes > options_.max_event_bytes) {
        if (policy == EventCapPolicy::kRefuse) {
          return Status::ResourceExhausted(
              "spool " + options_.path + " is full: " + std::to_string(event_bytes) +
              " bytes of events are waiting for the collector and spool.max_event_bytes is " +
              std::to_string(options_.max_event_bytes) + ", so the " + std::to_string(bytes) +
              "-byte event " + std::to_string(i) + " was refused and nothing was stored. Events " +
              "leave the spool only when the collector acknowledges them: check that " +
              "`beacon-agent run` is running and can reach collector.url");
        }
        ++refused_events;
        continue;  // its seq goes to the next record
      }
      event_bytes += bytes;
    }
    ++next;
    insert->Bind(1, static_cast<int64_t>(record.seq))
        .Bind(2, TypeCode(record.type))
        .Bind(3, record.ts_ms)
        .Bind(4, static_cast<int64_t>(payload.size()))
        .Bind(5, std::string_view(payload));
    BEACON_RETURN_IF_ERROR(insert->Run().WithContext("spool append"));
    insert->Reset();
    seqs.push_back(record.seq);
  }
  if (refused_events > 0) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement bump,
        db_->Cached("UPDATE meta SET value = value + ? WHERE key = 'dropped_events_total'"));
    bump->Bind(1, refused_events);
    BEACON_RETURN_IF_ERROR(bump->Run().WithContext("spool append"));
  }
  int64_t dropped = 0;
  BEACON_RETURN_IF_ERROR(EnforceCapLocked(&dropped));
  BEACON_RETURN_IF_ERROR(tx.Commit().WithContext("spool append"));
  if (dropped > 0) {
    spdlog::warn("spool over its cap ({} bytes): dropped the {} oldest samples (events are kept)",
                 options_.max_bytes, dropped);
  }
  if (refused_events > 0) {
    // Once per episode: an input keeps gathering every interval while the collector is away.
    if (!event_cap_warned_) {
      spdlog::warn(
          "spool {} holds spool.max_event_bytes ({}) of events: new events from inputs "
          "are dropped and counted until the collector takes some",
          options_.path, options_.max_event_bytes);
    }
    event_cap_warned_ = true;
  } else if (event_bytes < options_.max_event_bytes / 2) {
    event_cap_warned_ = false;
  }
  return seqs;
}

Status Spool::EnforceCapLocked(int64_t* dropped) {
  *dropped = 0;
  BEACON_ASSIGN_OR_RETURN(int64_t pending, MetaLocked("pending_bytes"));
  if (pending <= options_.max_bytes) {
    over_cap_warned_ = false;
    return Status::Ok();
  }
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement oldest,
      db_->Cached("SELECT seq, bytes FROM records WHERE type = 0 AND seq > ? ORDER BY seq "
                  "LIMIT 512"));
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement remove,
                          db_->Cached("DELETE FROM records WHERE type = 0 AND seq <= ?"));
  int64_t excess = pending - options_.max_bytes;
  int64_t after_seq = 0;
  int64_t cutoff = -1;
  int64_t count = 0;
  while (excess > 0) {
    oldest->Bind(1, after_seq);
    bool any = false;
    while (excess > 0) {
      BEACON_ASSIGN_OR_RETURN(bool row, oldest->Step());
      if (!row) break;
      any = true;
      cutoff = oldest->ColumnInt(0);
      after_seq = cutoff;
      excess -= oldest->ColumnInt(1);
      ++count;
    }
    oldest->Reset();
    if (!any) break;
  }
  if (cutoff >= 0) {
    remove->Bind(1, cutoff);
    BEACON_RETURN_IF_ERROR(remove->Run());
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement bump,
        db_->Cached("UPDATE meta SET value = value + ? WHERE key = 'dropped_samples_total'"));
    bump->Bind(1, count);
    BEACON_RETURN_IF_ERROR(bump->Run());
    *dropped = count;
  }
  if (excess > 0 && !over_cap_warned_) {
    over_cap_warned_ = true;
    spdlog::warn(
        "spool {} holds only events and is still {} bytes over spool.max_bytes ({}); "
        "events are never deleted, so it keeps growing until the collector is back, up to "
        "spool.max_event_bytes ({}) of events",
        options_.path, excess, options_.max_bytes, options_.max_event_bytes);
  }
  return Status::Ok();
}

Result<std::vector<SpooledRecord>> Spool::Peek(size_t max_records, int64_t max_bytes) {
  std::vector<SpooledRecord> out;
  std::lock_guard lock(mu_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("SELECT seq, type, bytes, payload FROM records ORDER BY seq LIMIT ?"));
  stmt->Bind(1, static_cast<int64_t>(max_records));
  int64_t total = 0;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    int64_t bytes = stmt->ColumnInt(2);
    if (!out.empty() && total + bytes > max_bytes) break;
    total += bytes;
    SpooledRecord record;
    record.seq = static_cast<uint64_t>(stmt->ColumnInt(0));
    record.type =
        stmt->ColumnInt(1) == kEventType ? wire::RecordType::kEvent : wire::RecordType::kSample;
    record.payload = stmt->ColumnText(3);
    out.push_back(std::move(record));
  }
  stmt->Reset();
  return out;
}

Status Spool::Ack(uint64_t acked_through) {
  std::lock_guard lock(mu_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status().WithContext("spool ack"));
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached("DELETE FROM records WHERE seq <= ?"));
  stmt->Bind(1, static_cast<int64_t>(acked_through));
  BEACON_RETURN_IF_ERROR(stmt->Run().WithContext("spool ack"));
  return tx.Commit().WithContext("spool ack");
}

Result<SpoolStats> Spool::Stats() {
  std::lock_guard lock(mu_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt, db_->Cached("SELECT key, value FROM meta"));
  SpoolStats stats;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    const std::string key = stmt->ColumnText(0);
    if (key == "pending_records") stats.pending_records = stmt->ColumnInt(1);
    if (key == "pending_bytes") stats.pending_bytes = stmt->ColumnInt(1);
    if (key == "pending_event_bytes") stats.pending_event_bytes = stmt->ColumnInt(1);
    if (key == "dropped_samples_total") stats.dropped_samples_total = stmt->ColumnInt(1);
    if (key == "dropped_events_total") stats.dropped_events_total = stmt->ColumnInt(1);
  }
  stmt->Reset();
  return stats;
}

Result<std::optional<DroppedReport>> Spool::PendingDroppedReport() {
  std::lock_guard lock(mu_);
  store::Transaction tx(*db_);  // one snapshot of the four counters
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(int64_t samples, MetaLocked("dropped_samples_total"));
  BEACON_ASSIGN_OR_RETURN(int64_t samples_reported, MetaLocked("dropped_samples_reported"));
  BEACON_ASSIGN_OR_RETURN(int64_t events, MetaLocked("dropped_events_total"));
  BEACON_ASSIGN_OR_RETURN(int64_t events_reported, MetaLocked("dropped_events_reported"));
  BEACON_RETURN_IF_ERROR(tx.Commit());
  if (samples <= samples_reported && events <= events_reported) {
    return std::optional<DroppedReport>();
  }
  return std::optional<DroppedReport>(
      DroppedReport{samples - samples_reported, samples, events - events_reported, events});
}

Status Spool::MarkDroppedReported(const DroppedReport& report) {
  std::lock_guard lock(mu_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement mark,
                          db_->Cached("UPDATE meta SET value = max(value, ?) WHERE key = ?"));
  mark->Bind(1, report.total).Bind(2, "dropped_samples_reported");
  BEACON_RETURN_IF_ERROR(mark->Run());
  mark->Reset();
  mark->Bind(1, report.events_total).Bind(2, "dropped_events_reported");
  BEACON_RETURN_IF_ERROR(mark->Run());
  return tx.Commit();
}

}  // namespace beacon::agent
