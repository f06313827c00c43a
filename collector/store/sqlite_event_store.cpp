// SQLite implementation of EventStore: schema, idempotent batch ingest, queries, tokens, pruning.
#include "collector/store/sqlite_event_store.h"

#include <algorithm>
#include <utility>

namespace beacon::collector {
namespace {

// Authentication marks a token used at most this often, so it does not write every request.
constexpr int64_t kTokenTouchIntervalMs = int64_t{60} * 1000;

const char kSchemaV1[] = R"sql(
CREATE TABLE agents(
  name TEXT PRIMARY KEY,
  agent_version TEXT NOT NULL DEFAULT '',
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  samples_total INTEGER NOT NULL DEFAULT 0,
  events_total INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tokens(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  agent TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  last_used_ms INTEGER,
  revoked_ms INTEGER
);
CREATE INDEX tokens_agent ON tokens(agent);
CREATE TABLE samples(
  agent TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL,
  metric TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  value REAL NOT NULL,
  UNIQUE(agent, seq)
);
CREATE INDEX samples_ts ON samples(ts_ms);
CREATE TABLE events(
  agent TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  subject TEXT NOT NULL,
  message TEXT NOT NULL,
  data_json TEXT NOT NULL,
  UNIQUE(agent, seq)
);
CREATE INDEX events_ts ON events(ts_ms);
CREATE INDEX events_agent_ts ON events(agent, ts_ms);
CREATE INDEX events_kind_ts ON events(kind, ts_ms);
CREATE TABLE latest(
  agent TEXT NOT NULL,
  metric TEXT NOT NULL,
  labels_json TEXT NOT NULL,
  value REAL NOT NULL,
  ts_ms INTEGER NOT NULL,
  PRIMARY KEY(agent, metric, labels_json)
) WITHOUT ROWID;
CREATE INDEX latest_ts ON latest(ts_ms);
)sql";

// Statement::Bind has string_view and optional<string> overloads; a std::string matches both.
std::string_view Text(const std::string& text) { return text; }

std::string LabelsJson(const std::map<std::string, std::string>& labels) {
  // std::map is ordered, so equal label sets always give the same text (the series key).
  return nlohmann::json(labels).dump();
}

std::optional<int64_t> OptionalInt(const store::Statement& stmt, int col) {
  if (stmt.ColumnIsNull(col)) return std::nullopt;
  return stmt.ColumnInt(col);
}

TokenInfo ReadToken(const store::Statement& stmt) {
  TokenInfo t;
  t.id = stmt.ColumnInt(0);
  t.agent = stmt.ColumnText(1);
  t.created_ms = stmt.ColumnInt(2);
  t.last_used_ms = OptionalInt(stmt, 3);
  t.revoked_ms = OptionalInt(stmt, 4);
  return t;
}

AgentInfo ReadAgent(const store::Statement& stmt) {
  AgentInfo a;
  a.name = stmt.ColumnText(0);
  a.agent_version = stmt.ColumnText(1);
  a.first_seen_ms = stmt.ColumnInt(2);
  a.last_seen_ms = stmt.ColumnInt(3);
  a.last_seq = static_cast<uint64_t>(stmt.ColumnInt(4));
  a.samples_total = stmt.ColumnInt(5);
  a.events_total = stmt.ColumnInt(6);
  return a;
}

constexpr char kAgentColumns[] =
    "name, agent_version, first_seen_ms, last_seen_ms, last_seq, samples_total, events_total";

constexpr char kInsertSample[] =
    "INSERT OR IGNORE INTO samples(agent, seq, ts_ms, metric, labels_json, value) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kInsertEvent[] =
    "INSERT OR IGNORE INTO events(agent, seq, ts_ms, kind, severity, subject, message, "
    "data_json) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
// A re-sent or late sample never replaces a newer value of the same series.
constexpr char kUpsertLatest[] =
    "INSERT INTO latest(agent, metric, labels_json, value, ts_ms) "
    "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(agent, metric, labels_json) DO UPDATE "
    "SET value = excluded.value, ts_ms = excluded.ts_ms "
    "WHERE excluded.ts_ms >= latest.ts_ms";
constexpr char kUpsertAgent[] =
    "INSERT INTO agents(name, agent_version, first_seen_ms, last_seen_ms, last_seq, "
    "samples_total, events_total) VALUES(?1, ?2, ?3, ?3, ?4, ?5, ?6) "
    "ON CONFLICT(name) DO UPDATE SET agent_version = excluded.agent_version, "
    "last_seen_ms = max(last_seen_ms, excluded.last_seen_ms), "
    "last_seq = max(last_seq, excluded.last_seq), "
    "samples_total = samples_total + excluded.samples_total, "
    "events_total = events_total + excluded.events_total";

}  // namespace

const std::vector<store::Migration>& SqliteEventStore::Migrations() {
  static const std::vector<store::Migration> kMigrations = {{1, kSchemaV1}};
  return kMigrations;
}

Result<std::unique_ptr<SqliteEventStore>> SqliteEventStore::Open(
    const std::string& path, const store::DatabaseOptions& options) {
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db,
                          store::Database::OpenAndMigrate(path, Migrations(), options));
  return std::unique_ptr<SqliteEventStore>(new SqliteEventStore(std::move(db)));
}

Result<IngestResult> SqliteEventStore::IngestBatch(const wire::Batch& batch, int64_t now_ms) {
  MutexLock lock(mutex_);
  store::Transaction txn(*db_);
  BEACON_RETURN_IF_ERROR(txn.status());
  BEACON_ASSIGN_OR_RETURN(IngestResult result, IngestLocked(batch, now_ms));
  BEACON_RETURN_IF_ERROR(txn.Commit());
  return result;
}

Result<IngestResult> SqliteEventStore::IngestLocked(const wire::Batch& batch, int64_t now_ms) {
  IngestResult result;
  wire::Ack& ack = result.ack;
  int64_t& samples_accepted = result.samples_accepted;
  int64_t& events_accepted = result.events_accepted;
  // Leased once per batch: every record rebinds every parameter, and Run() resets.
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement insert_sample, db_->Cached(kInsertSample));
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement upsert_latest, db_->Cached(kUpsertLatest));
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement insert_event, db_->Cached(kInsertEvent));
  uint64_t max_seq = 0;
  for (const wire::Record& record : batch.records) {
    max_seq = std::max(max_seq, record.seq);
    const auto seq = static_cast<int64_t>(record.seq);
    if (record.type == wire::RecordType::kSample) {
      const wire::Sample& s = record.sample;
      const std::string labels = LabelsJson(s.labels);
      insert_sample->Bind(1, Text(batch.agent)).Bind(2, seq).Bind(3, record.ts_ms);
      insert_sample->Bind(4, Text(s.metric)).Bind(5, Text(labels)).Bind(6, s.value);
      BEACON_RETURN_IF_ERROR(insert_sample->Run());
      if (db_->Changes() == 0) {
        ++ack.duplicates;
        continue;
      }
      ++samples_accepted;
      upsert_latest->Bind(1, Text(batch.agent)).Bind(2, Text(s.metric)).Bind(3, Text(labels));
      upsert_latest->Bind(4, s.value).Bind(5, record.ts_ms);
      BEACON_RETURN_IF_ERROR(upsert_latest->Run());
    } else {
      const wire::Event& e = record.event;
      insert_event->Bind(1, Text(batch.agent)).Bind(2, seq).Bind(3, record.ts_ms);
      insert_event->Bind(4, Text(e.kind))
          .Bind(5, Text(e.severity))
          .Bind(6, Text(e.subject))
          .Bind(7, Text(e.message));
      insert_event->Bind(8, Text(e.data.dump()));
      BEACON_RETURN_IF_ERROR(insert_event->Run());
      if (db_->Changes() == 0) {
        ++ack.duplicates;
      } else {
        ++events_accepted;
      }
    }
  }
  ack.accepted = samples_accepted + events_accepted;
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement upsert_agent, db_->Cached(kUpsertAgent));
    upsert_agent->Bind(1, Text(batch.agent)).Bind(2, Text(batch.agent_version)).Bind(3, now_ms);
    upsert_agent->Bind(4, static_cast<int64_t>(max_seq));
    upsert_agent->Bind(5, samples_accepted).Bind(6, events_accepted);
    BEACON_RETURN_IF_ERROR(upsert_agent->Run());
  }
  if (batch.records.empty()) {
    // Nothing to acknowledge beyond what is already stored.
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement last_seq,
                            db_->Cached("SELECT last_seq FROM agents WHERE name = ?1"));
    last_seq->Bind(1, Text(batch.agent));
    BEACON_ASSIGN_OR_RETURN(bool row, last_seq->Step());
    if (row) max_seq = static_cast<uint64_t>(last_seq->ColumnInt(0));
  }
  ack.acked_through = max_seq;
  return result;
}

Status SqliteEventStore::AddCollectorEvent(const std::string& agent, int64_t ts_ms,
                                           const wire::Event& event) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement insert,
      db_->Cached("INSERT INTO events(agent, seq, ts_ms, kind, severity, subject, message, "
                  "data_json) VALUES(?1, (SELECT min(coalesce(min(seq), 0), 0) - 1 FROM events "
                  "WHERE agent = ?1), ?2, ?3, ?4, ?5, ?6, ?7)"));
  insert->Bind(1, Text(agent)).Bind(2, ts_ms).Bind(3, Text(event.kind));
  insert->Bind(4, Text(event.severity)).Bind(5, Text(event.subject)).Bind(6, Text(event.message));
  insert->Bind(7, Text(event.data.dump()));
  return insert->Run();
}

Result<std::vector<AgentInfo>> SqliteEventStore::ListAgents() {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached(std::string("SELECT ") + kAgentColumns + " FROM agents ORDER BY name"));
  std::vector<AgentInfo> agents;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    agents.push_back(ReadAgent(*stmt));
  }
  return agents;
}

Result<AgentInfo> SqliteEventStore::GetAgent(const std::string& name) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached(std::string("SELECT ") + kAgentColumns + " FROM agents WHERE name = ?1"));
  stmt->Bind(1, Text(name));
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::NotFound("no such host '" + name + "'");
  return ReadAgent(*stmt);
}

Result<std::vector<LatestValue>> SqliteEventStore::LatestValues(const std::string& agent) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached("SELECT metric, labels_json, value, ts_ms FROM latest "
                                      "WHERE agent = ?1 ORDER BY metric, labels_json"));
  stmt->Bind(1, Text(agent));
  std::vector<LatestValue> values;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    LatestValue v;
    v.metric = stmt->ColumnText(0);
    nlohmann::json labels = nlohmann::json::parse(stmt->ColumnText(1), nullptr, false);
    if (labels.is_object()) {
      for (const auto& [key, value] : labels.items()) {
        if (value.is_string()) v.labels[key] = value.get<std::string>();
      }
    }
    v.value = stmt->ColumnDouble(2);
    v.ts_ms = stmt->ColumnInt(3);
    values.push_back(std::move(v));
  }
  return values;
}

Result<std::vector<StoredEvent>> SqliteEventStore::QueryEvents(const EventQuery& query) {
  std::string sql =
      "SELECT agent, seq, ts_ms, kind, severity, subject, message, data_json FROM events "
      "WHERE 1 = 1";
  std::string kind_prefix;
  bool kind_is_prefix = false;
  bool kind_filter = false;
  if (query.kind && *query.kind != "*") {
    kind_filter = true;
    if (!query.kind->empty() && query.kind->back() == '*') {
      kind_is_prefix = true;
      kind_prefix = query.kind->substr(0, query.kind->size() - 1);
    }
  }
  if (query.agent) sql += " AND agent = ?1";
  if (kind_filter) sql += kind_is_prefix ? " AND substr(kind, 1, ?3) = ?2" : " AND kind = ?2";
  if (query.since_ms) sql += " AND ts_ms >= ?4";
  if (query.until_ms) sql += " AND ts_ms <= ?5";
  sql += " ORDER BY ts_ms DESC, seq DESC LIMIT ?6";

  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt, db_->Cached(sql));
  if (query.agent) stmt->Bind(1, Text(*query.agent));
  if (kind_filter) {
    if (kind_is_prefix) {
      stmt->Bind(2, Text(kind_prefix)).Bind(3, static_cast<int64_t>(kind_prefix.size()));
    } else {
      stmt->Bind(2, Text(*query.kind));
    }
  }
  if (query.since_ms) stmt->Bind(4, *query.since_ms);
  if (query.until_ms) stmt->Bind(5, *query.until_ms);
  stmt->Bind(6, static_cast<int64_t>(query.limit));
  std::vector<StoredEvent> events;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    StoredEvent e;
    e.agent = stmt->ColumnText(0);
    e.seq = static_cast<uint64_t>(stmt->ColumnInt(1));
    e.ts_ms = stmt->ColumnInt(2);
    e.kind = stmt->ColumnText(3);
    e.severity = stmt->ColumnText(4);
    e.subject = stmt->ColumnText(5);
    e.message = stmt->ColumnText(6);
    e.data = nlohmann::json::parse(stmt->ColumnText(7), nullptr, false);
    if (e.data.is_discarded()) e.data = nlohmann::json::object();
    events.push_back(std::move(e));
  }
  return events;
}

Result<TokenInfo> SqliteEventStore::CreateToken(const std::string& agent,
                                                const std::string& sha256_hex, int64_t now_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("INSERT INTO tokens(agent, sha256, created_ms) VALUES(?1, ?2, ?3)"));
  stmt->Bind(1, Text(agent)).Bind(2, Text(sha256_hex)).Bind(3, now_ms);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  TokenInfo info;
  info.id = db_->LastInsertRowId();
  info.agent = agent;
  info.created_ms = now_ms;
  return info;
}

Result<TokenInfo> SqliteEventStore::LookupToken(const std::string& sha256_hex, int64_t now_ms) {
  MutexLock lock(mutex_);
  TokenInfo info;
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement lookup,
                            db_->Cached("SELECT id, agent, created_ms, last_used_ms, revoked_ms "
                                        "FROM tokens WHERE sha256 = ?1"));
    lookup->Bind(1, Text(sha256_hex));
    BEACON_ASSIGN_OR_RETURN(bool row, lookup->Step());
    if (!row) return Status::NotFound("unknown token");
    info = ReadToken(*lookup);
  }
  if (!info.revoked_ms &&
      (!info.last_used_ms || now_ms - *info.last_used_ms >= kTokenTouchIntervalMs)) {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement touch,
                            db_->Cached("UPDATE tokens SET last_used_ms = ?2 WHERE id = ?1"));
    touch->Bind(1, info.id).Bind(2, now_ms);
    BEACON_RETURN_IF_ERROR(touch->Run());
    info.last_used_ms = now_ms;
  }
  return info;
}

Result<std::vector<TokenInfo>> SqliteEventStore::ListTokens() {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached("SELECT id, agent, created_ms, last_used_ms, revoked_ms "
                                      "FROM tokens ORDER BY agent, id"));
  std::vector<TokenInfo> tokens;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    tokens.push_back(ReadToken(*stmt));
  }
  return tokens;
}

Result<int64_t> SqliteEventStore::RevokeTokens(const std::string& agent, int64_t now_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("UPDATE tokens SET revoked_ms = ?2 WHERE agent = ?1 AND revoked_ms IS NULL"));
  stmt->Bind(1, Text(agent)).Bind(2, now_ms);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  return static_cast<int64_t>(db_->Changes());
}

Result<int64_t> SqliteEventStore::PruneTable(const std::string& table, int64_t cutoff_ms,
                                             const std::atomic<bool>* cancel) {
  const std::string sql = "DELETE FROM " + table + " WHERE rowid IN (SELECT rowid FROM " + table +
                          " WHERE ts_ms < ?1 LIMIT " + std::to_string(kPruneChunkRows) + ")";
  int64_t total = 0;
  while (true) {
    // The mutex is taken per chunk: a large backlog never holds off ingest for long.
    MutexLock lock(mutex_);
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt, db_->Cached(sql));
    stmt->Bind(1, cutoff_ms);
    BEACON_RETURN_IF_ERROR(stmt->Run());
    const int changed = db_->Changes();
    total += changed;
    if (changed < kPruneChunkRows) break;
    if (cancel != nullptr && cancel->load()) break;
  }
  return total;
}

Result<PruneResult> SqliteEventStore::Prune(int64_t now_ms, const RetentionPolicy& retention,
                                            const std::atomic<bool>* cancel) {
  PruneResult result;
  const int64_t samples_cutoff = now_ms - retention.samples_ms;
  BEACON_ASSIGN_OR_RETURN(result.samples, PruneTable("samples", samples_cutoff, cancel));
  if (cancel != nullptr && cancel->load()) return result;
  BEACON_ASSIGN_OR_RETURN(result.events,
                          PruneTable("events", now_ms - retention.events_ms, cancel));
  // A series whose newest value is older than the sample retention is gone from the host.
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached("DELETE FROM latest WHERE ts_ms < ?1"));
  stmt->Bind(1, samples_cutoff);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  return result;
}

Result<StoreCounts> SqliteEventStore::Counts() {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM tokens), "
                  "(SELECT count(*) FROM samples), (SELECT count(*) FROM events), "
                  "(SELECT count(*) FROM latest)"));
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::Internal("count query returned no row");
  StoreCounts counts;
  counts.agents = stmt->ColumnInt(0);
  counts.tokens = stmt->ColumnInt(1);
  counts.samples = stmt->ColumnInt(2);
  counts.events = stmt->ColumnInt(3);
  counts.latest = stmt->ColumnInt(4);
  return counts;
}

Result<int64_t> SqliteEventStore::SizeBytes() {
  MutexLock lock(mutex_);
  return db_->FileSizeBytes();
}

Status SqliteEventStore::Ping() {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt, db_->Cached("SELECT count(*) FROM agents"));
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  (void)row;
  return Status::Ok();
}

Result<int> SqliteEventStore::SchemaVersion() {
  MutexLock lock(mutex_);
  return db_->SchemaVersion();
}

}  // namespace beacon::collector
