// AuditLog: the hash-chained audit table and its anchor; see audit.h.
#include "bot/audit.h"

#include <nlohmann/json.hpp>

#include "common/crypto/crypto.h"
#include "common/json/parse.h"

namespace beacon::bot {

const char kAuditGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

// `anchor` holds one row (id = 1): the newest audit row's id and hash, updated in the same
// transaction as every append, so removing rows from the end leaves it pointing past them.
const std::vector<store::Migration>& Migrations() {
  static const std::vector<store::Migration> kMigrations = {{1, R"sql(
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  user TEXT NOT NULL,
  channel TEXT NOT NULL,
  command TEXT NOT NULL,
  arguments TEXT NOT NULL,
  preview TEXT NOT NULL,
  decision TEXT NOT NULL,
  result TEXT NOT NULL,
  request_ids TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_time ON audit(time_ms);
CREATE INDEX audit_user ON audit(user, time_ms);
CREATE TABLE audit_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id INTEGER NOT NULL,
  last_hash TEXT NOT NULL
);
INSERT INTO audit_anchor(id, last_id, last_hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
)sql"}};
  return kMigrations;
}

// The stored form of a row: lists as JSON arrays of strings.
struct StoredRow {
  int64_t id = 0;
  int64_t time_ms = 0;
  std::string user, channel, command, arguments, preview, decision, result, request_ids;
  std::string prev_hash, hash;
};

std::string JsonList(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> ListFromJson(const std::string& text) {
  Result<nlohmann::json> j = ParseJson(text);
  std::vector<std::string> out;
  if (!j.ok() || !j->is_array()) return {text};
  for (const auto& item : *j) {
    out.push_back(item.is_string() ? item.get<std::string>() : item.dump());
  }
  return out;
}

void AppendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out.append(field);
  out += '\n';
}

// The canonical encoding: a version tag, then every column but hash in schema order, each as
// "<bytes>:<value>\n"; lists are their stored JSON text.
std::string RowHash(const StoredRow& r) {
  std::string enc = "beacon-audit-v1\n";
  AppendField(enc, std::to_string(r.id));
  AppendField(enc, std::to_string(r.time_ms));
  for (const std::string* f : {&r.user, &r.channel, &r.command, &r.arguments, &r.preview,
                               &r.decision, &r.result, &r.request_ids, &r.prev_hash}) {
    AppendField(enc, *f);
  }
  return crypto::Sha256Hex(enc);
}

StoredRow ToStored(int64_t id, const AuditEntry& e, const std::string& prev_hash) {
  StoredRow r;
  r.id = id;
  r.time_ms = e.time_ms;
  r.user = e.user;
  r.channel = e.channel;
  r.command = e.command;
  r.arguments = JsonList(e.arguments);
  r.preview = e.preview;
  r.decision = e.decision;
  r.result = e.result;
  r.request_ids = JsonList(e.request_ids);
  r.prev_hash = prev_hash;
  r.hash = RowHash(r);
  return r;
}

constexpr char kSelectColumns[] =
    "SELECT id, time_ms, user, channel, command, arguments, preview, decision, result, "
    "request_ids, prev_hash, hash FROM audit";

StoredRow ReadRow(store::Statement& s) {
  StoredRow r;
  r.id = s.ColumnInt(0);
  r.time_ms = s.ColumnInt(1);
  r.user = s.ColumnText(2);
  r.channel = s.ColumnText(3);
  r.command = s.ColumnText(4);
  r.arguments = s.ColumnText(5);
  r.preview = s.ColumnText(6);
  r.decision = s.ColumnText(7);
  r.result = s.ColumnText(8);
  r.request_ids = s.ColumnText(9);
  r.prev_hash = s.ColumnText(10);
  r.hash = s.ColumnText(11);
  return r;
}

AuditRecord ToRecord(const StoredRow& r) {
  AuditRecord rec;
  rec.id = r.id;
  rec.entry.time_ms = r.time_ms;
  rec.entry.user = r.user;
  rec.entry.channel = r.channel;
  rec.entry.command = r.command;
  rec.entry.arguments = ListFromJson(r.arguments);
  rec.entry.preview = r.preview;
  rec.entry.decision = r.decision;
  rec.entry.result = r.result;
  rec.entry.request_ids = ListFromJson(r.request_ids);
  rec.prev_hash = r.prev_hash;
  rec.hash = r.hash;
  return rec;
}

AuditVerifyReport Broken(int64_t rows, int64_t id, std::string problem) {
  return AuditVerifyReport{false, rows, id, std::move(problem)};
}

}  // namespace

std::string AuditRowHash(int64_t id, const AuditEntry& entry, const std::string& prev_hash) {
  return ToStored(id, entry, prev_hash).hash;
}

AuditLog::AuditLog(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  BEACON_ASSIGN_OR_RETURN(auto db, store::Database::OpenAndMigrate(path, Migrations()));
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(db)));
}

Result<int64_t> AuditLog::Append(const AuditEntry& entry) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(auto anchor,
                          db_->Cached("SELECT last_id, last_hash FROM audit_anchor WHERE id = 1"));
  BEACON_ASSIGN_OR_RETURN(bool has_anchor, anchor->Step());
  if (!has_anchor) return Status::Corruption("audit: the anchor row is missing");
  const int64_t id = anchor->ColumnInt(0) + 1;
  const StoredRow r = ToStored(id, entry, anchor->ColumnText(1));
  BEACON_ASSIGN_OR_RETURN(
      auto insert,
      db_->Cached("INSERT INTO audit(id, time_ms, user, channel, command, arguments, preview, "
                  "decision, result, request_ids, prev_hash, hash) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, r.id)
      .Bind(2, r.time_ms)
      .Bind(3, r.user)
      .Bind(4, r.channel)
      .Bind(5, r.command)
      .Bind(6, r.arguments)
      .Bind(7, r.preview)
      .Bind(8, r.decision)
      .Bind(9, r.result)
      .Bind(10, r.request_ids)
      .Bind(11, r.prev_hash)
      .Bind(12, r.hash);
  BEACON_RETURN_IF_ERROR(insert->Run());
  BEACON_ASSIGN_OR_RETURN(
      auto update, db_->Cached("UPDATE audit_anchor SET last_id = ?, last_hash = ? WHERE id = 1"));
  update->Bind(1, r.id).Bind(2, r.hash);
  BEACON_RETURN_IF_ERROR(update->Run());
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return r.id;
}

Result<std::vector<AuditRecord>> AuditLog::Query(const AuditQuery& query) {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(
      auto s, db_->Cached(std::string(kSelectColumns) +
                          " WHERE (?1 IS NULL OR time_ms >= ?1) AND (?2 IS NULL OR user = ?2)"
                          " ORDER BY id DESC LIMIT ?3"));
  if (query.since_ms) {
    s->Bind(1, *query.since_ms);
  } else {
    s->BindNull(1);
  }
  s->Bind(2, query.user);
  s->Bind(3, static_cast<int64_t>(query.limit));
  std::vector<AuditRecord> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ToRecord(ReadRow(*s)));
  }
  return out;
}

Result<AuditVerifyReport> AuditLog::Verify() {
  MutexLock lock(mu_);
  // One read transaction: the chain and the anchor are seen at the same instant.
  store::Transaction tx(*db_, /*immediate=*/false);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(auto s, db_->Cached(std::string(kSelectColumns) + " ORDER BY id"));
  int64_t rows = 0;
  int64_t expected_id = 1;
  std::string prev = kAuditGenesisHash;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    const StoredRow r = ReadRow(*s);
    ++rows;
    if (r.id != expected_id) {
      return Broken(rows, expected_id,
                    "row " + std::to_string(expected_id) + " is missing (next row is " +
                        std::to_string(r.id) + "): deleted");
    }
    if (r.prev_hash != prev) {
      return Broken(rows, r.id,
                    "row " + std::to_string(r.id) +
                        ": prev_hash does not match the previous row's hash (a row before it was "
                        "edited or deleted)");
    }
    if (RowHash(r) != r.hash) {
      return Broken(rows, r.id,
                    "row " + std::to_string(r.id) + ": hash mismatch (the row was edited)");
    }
    prev = r.hash;
    ++expected_id;
  }
  BEACON_ASSIGN_OR_RETURN(auto anchor,
                          db_->Cached("SELECT last_id, last_hash FROM audit_anchor WHERE id = 1"));
  BEACON_ASSIGN_OR_RETURN(bool has_anchor, anchor->Step());
  if (!has_anchor) return Broken(rows, 0, "the anchor row is missing (deleted)");
  const int64_t last_id = anchor->ColumnInt(0);
  const std::string last_hash = anchor->ColumnText(1);
  if (last_id != expected_id - 1) {
    return Broken(rows, last_id > expected_id - 1 ? expected_id : 0,
                  "the anchor names row " + std::to_string(last_id) + " but the last row is " +
                      std::to_string(expected_id - 1) +
                      (last_id > expected_id - 1 ? ": rows at the end were deleted"
                                                 : ": the anchor was edited"));
  }
  if (last_hash != prev) {
    return Broken(rows, last_id,
                  "the anchor's hash does not match row " + std::to_string(last_id) +
                      " (the anchor or that row was edited)");
  }
  AuditVerifyReport ok;
  ok.rows = rows;
  return ok;
}

Result<std::pair<int64_t, std::string>> AuditLog::Head() {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(auto anchor,
                          db_->Cached("SELECT last_id, last_hash FROM audit_anchor WHERE id = 1"));
  BEACON_ASSIGN_OR_RETURN(bool has_anchor, anchor->Step());
  if (!has_anchor) return Status::Corruption("audit: the anchor row is missing");
  return std::make_pair(anchor->ColumnInt(0), anchor->ColumnText(1));
}

}  // namespace beacon::bot
