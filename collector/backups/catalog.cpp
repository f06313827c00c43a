// SQLite implementation of the backup catalog: versions and lifecycle actions (the agent command
// queue in the same file is collector/commands/command_queue.cpp).
#include "collector/backups/catalog.h"

#include <utility>

namespace beacon::collector::backups {
namespace {

const char kSchemaV1[] = R"sql(
CREATE TABLE versions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  agent TEXT NOT NULL,
  seq INTEGER NOT NULL,
  set_name TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  mode INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  gid INTEGER NOT NULL,
  owner TEXT NOT NULL,
  grp TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  stored_size INTEGER NOT NULL,
  store TEXT NOT NULL,
  key TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  restore_state TEXT NOT NULL,
  restore_expiry_ms INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX versions_file ON versions(agent, path, created_ms);
CREATE INDEX versions_set ON versions(set_name);
CREATE INDEX versions_created ON versions(created_ms);
CREATE INDEX versions_restore ON versions(restore_state);
-- Every (agent, seq) ever offered, including the ones skipped as same-content duplicates, so a
-- replayed event is recognised even after newer versions of the file were added.
CREATE TABLE version_seqs(
  agent TEXT NOT NULL,
  seq INTEGER NOT NULL,
  version_id INTEGER NOT NULL,
  PRIMARY KEY(agent, seq)
) WITHOUT ROWID;
CREATE TABLE actions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  target_class TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  dry_run INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX actions_state ON actions(state, next_try_ms);
CREATE INDEX actions_version ON actions(version_id);
)sql";

// Retention (Catalog::Prune) finds finished commands and actions and deleted versions by age,
// and a version's commands and seqs by version.
const char kSchemaV2[] = R"sql(
CREATE INDEX actions_finished_updated ON actions(updated_ms) WHERE state != 'pending';
CREATE INDEX versions_deleted_updated ON versions(updated_ms) WHERE state = 'deleted';
CREATE INDEX version_seqs_version ON version_seqs(version_id);
)sql";

constexpr char kVersionColumns[] =
    "id, agent, seq, set_name, path, size, mtime_ns, mode, uid, gid, owner, grp, sha256, "
    "stored_size, store, key, storage_class, key_id, created_ms, state, restore_state, "
    "restore_expiry_ms, updated_ms";

constexpr char kActionColumns[] =
    "id, version_id, action, target_class, state, attempts, next_try_ms, last_error, reason, "
    "created_ms, updated_ms, dry_run";

CatalogVersion ReadVersion(const store::Statement& s) {
  CatalogVersion v;
  v.id = s.ColumnInt(0);
  v.agent = s.ColumnText(1);
  v.seq = static_cast<uint64_t>(s.ColumnInt(2));
  v.version.set = s.ColumnText(3);
  v.version.path = s.ColumnText(4);
  v.version.size = static_cast<uint64_t>(s.ColumnInt(5));
  v.version.mtime_ns = s.ColumnInt(6);
  v.version.mode = static_cast<uint32_t>(s.ColumnInt(7));
  v.version.uid = static_cast<uint32_t>(s.ColumnInt(8));
  v.version.gid = static_cast<uint32_t>(s.ColumnInt(9));
  v.version.owner = s.ColumnText(10);
  v.version.group = s.ColumnText(11);
  v.version.sha256 = s.ColumnText(12);
  v.version.stored_size = static_cast<uint64_t>(s.ColumnInt(13));
  v.version.store = s.ColumnText(14);
  v.version.key = s.ColumnText(15);
  v.version.storage_class = s.ColumnText(16);
  v.version.key_id = s.ColumnText(17);
  v.version.created_ms = s.ColumnInt(18);
  v.state = s.ColumnText(19);
  v.restore_state = s.ColumnText(20);
  v.restore_expiry_ms = s.ColumnInt(21);
  v.updated_ms = s.ColumnInt(22);
  return v;
}

LifecycleAction ReadAction(const store::Statement& s) {
  LifecycleAction a;
  a.id = s.ColumnInt(0);
  a.version_id = s.ColumnInt(1);
  a.action = s.ColumnText(2);
  a.target_class = s.ColumnText(3);
  a.state = s.ColumnText(4);
  a.attempts = static_cast<int>(s.ColumnInt(5));
  a.next_try_ms = s.ColumnInt(6);
  a.last_error = s.ColumnText(7);
  a.reason = s.ColumnText(8);
  a.created_ms = s.ColumnInt(9);
  a.updated_ms = s.ColumnInt(10);
  a.dry_run = s.ColumnInt(11) != 0;
  return a;
}

Result<std::vector<CatalogVersion>> CollectVersions(store::Statement& stmt) {
  std::vector<CatalogVersion> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadVersion(stmt));
  }
  return out;
}

}  // namespace

const std::vector<store::Migration>& Catalog::Migrations() {
  // The agent command queue's table has been in this file from the start.
  static const std::vector<store::Migration> kMigrations = {
      {1, std::string(kSchemaV1) + commands::kCommandsSchemaV1},
      {2, std::string(commands::kCommandsSchemaV2) + kSchemaV2}};
  return kMigrations;
}

Catalog::Catalog(std::unique_ptr<store::Database> db)
    : db_(std::move(db)), commands_(std::make_unique<commands::CommandQueue>(db_.get(), &mutex_)) {}

Catalog::~Catalog() = default;

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path,
                                               const store::DatabaseOptions& options) {
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db,
                          store::Database::OpenAndMigrate(path, Migrations(), options));
  return std::unique_ptr<Catalog>(new Catalog(std::move(db)));
}

// ---- Versions ----

Result<AddVersionResult> Catalog::AddVersion(const std::string& agent, uint64_t seq,
                                             const wire::BackupVersion& version, int64_t now_ms) {
  MutexLock lock(mutex_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(AddVersionResult result, AddVersionLocked(agent, seq, version, now_ms));
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return result;
}

Result<std::vector<AddVersionResult>> Catalog::AddVersions(
    const std::string& agent, const std::vector<std::pair<uint64_t, wire::BackupVersion>>& versions,
    int64_t now_ms) {
  std::vector<AddVersionResult> results;
  if (versions.empty()) return results;
  MutexLock lock(mutex_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  for (const auto& [seq, version] : versions) {
    BEACON_ASSIGN_OR_RETURN(AddVersionResult result, AddVersionLocked(agent, seq, version, now_ms));
    results.push_back(result);
  }
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return results;
}

Result<AddVersionResult> Catalog::AddVersionLocked(const std::string& agent, uint64_t seq,
                                                   const wire::BackupVersion& version,
                                                   int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement seen,
                          db_->Cached("SELECT version_id FROM version_seqs "
                                      "WHERE agent = ?1 AND seq = ?2"));
  seen->Bind(1, agent).Bind(2, static_cast<int64_t>(seq));
  BEACON_ASSIGN_OR_RETURN(bool seen_row, seen->Step());
  if (seen_row) return AddVersionResult{AddOutcome::kDuplicate, seen->ColumnInt(0)};

  AddVersionResult result;
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement newest,
      db_->Cached("SELECT id, sha256 FROM versions WHERE agent = ?1 AND path = ?2 AND "
                  "state = 'stored' ORDER BY created_ms DESC, id DESC LIMIT 1"));
  newest->Bind(1, agent).Bind(2, version.path);
  BEACON_ASSIGN_OR_RETURN(bool newest_row, newest->Step());
  if (newest_row && newest->ColumnText(1) == version.sha256) {
    result = {AddOutcome::kDuplicate, newest->ColumnInt(0)};
  } else {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement insert,
        db_->Cached("INSERT INTO versions(agent, seq, set_name, path, size, mtime_ns, mode, uid, "
                    "gid, owner, grp, sha256, stored_size, store, key, storage_class, key_id, "
                    "created_ms, state, restore_state, restore_expiry_ms, updated_ms) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                    "?16, ?17, ?18, 'stored', 'none', 0, ?19)"));
    insert->Bind(1, agent)
        .Bind(2, static_cast<int64_t>(seq))
        .Bind(3, version.set)
        .Bind(4, version.path)
        .Bind(5, static_cast<int64_t>(version.size))
        .Bind(6, version.mtime_ns)
        .Bind(7, static_cast<int64_t>(version.mode))
        .Bind(8, static_cast<int64_t>(version.uid))
        .Bind(9, static_cast<int64_t>(version.gid))
        .Bind(10, version.owner)
        .Bind(11, version.group)
        .Bind(12, version.sha256)
        .Bind(13, static_cast<int64_t>(version.stored_size))
        .Bind(14, version.store)
        .Bind(15, version.key)
        .Bind(16, version.storage_class)
        .Bind(17, version.key_id)
        .Bind(18, version.created_ms)
        .Bind(19, now_ms);
    BEACON_RETURN_IF_ERROR(insert->Run());
    result = {AddOutcome::kAdded, db_->LastInsertRowId()};
  }
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement remember,
      db_->Cached("INSERT INTO version_seqs(agent, seq, version_id) VALUES(?1, ?2, ?3)"));
  remember->Bind(1, agent).Bind(2, static_cast<int64_t>(seq)).Bind(3, result.id);
  BEACON_RETURN_IF_ERROR(remember->Run());
  return result;
}

Result<std::vector<CatalogVersion>> Catalog::ListVersions(const VersionQuery& query) {
  std::string sql = std::string("SELECT ") + kVersionColumns + " FROM versions WHERE 1";
  // Parameters are bound in the order the clauses are appended.
  std::vector<std::string> texts;
  std::vector<int64_t> ints;
  std::vector<bool> is_text;
  auto add_text = [&](const std::string& clause, const std::string& value) {
    sql += clause + "?" + std::to_string(is_text.size() + 1);
    texts.push_back(value);
    ints.push_back(0);
    is_text.push_back(true);
  };
  auto add_int = [&](const std::string& clause, int64_t value) {
    sql += clause + "?" + std::to_string(is_text.size() + 1);
    texts.emplace_back();
    ints.push_back(value);
    is_text.push_back(false);
  };
  if (query.agent) add_text(" AND agent = ", *query.agent);
  if (query.path) {
    const std::string& path = *query.path;
    if (!path.empty() && path.back() == '*') {
      const std::string prefix = path.substr(0, path.size() - 1);
      if (!prefix.empty()) {
        // substr comparison, not LIKE: paths may contain '%' and '_'.
        add_int(" AND length(path) >= ", static_cast<int64_t>(prefix.size()));
        add_text(" AND substr(path, 1, " + std::to_string(prefix.size()) + ") = ", prefix);
      }
    } else {
      add_text(" AND path = ", path);
    }
  }
  if (query.set) add_text(" AND set_name = ", *query.set);
  if (query.since_ms) add_int(" AND created_ms >= ", *query.since_ms);
  if (query.until_ms) add_int(" AND created_ms <= ", *query.until_ms);
  if (!query.include_deleted) sql += " AND state = 'stored'";
  sql += " ORDER BY created_ms DESC, id DESC LIMIT " + std::to_string(query.limit);

  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt, db_->Cached(sql));
  for (size_t i = 0; i < is_text.size(); ++i) {
    if (is_text[i]) {
      stmt->Bind(static_cast<int>(i + 1), texts[i]);
    } else {
      stmt->Bind(static_cast<int>(i + 1), ints[i]);
    }
  }
  return CollectVersions(*stmt);
}

Result<CatalogVersion> Catalog::GetVersion(int64_t id) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached(std::string("SELECT ") + kVersionColumns + " FROM versions WHERE id = ?1"));
  stmt->Bind(1, id);
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::NotFound("no backup version " + std::to_string(id));
  return ReadVersion(*stmt);
}

Result<std::vector<CatalogVersion>> Catalog::ListVersionsOfSet(const std::string& set) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached(std::string("SELECT ") + kVersionColumns +
                                      " FROM versions WHERE set_name = ?1 AND state = 'stored'"));
  stmt->Bind(1, set);
  return CollectVersions(*stmt);
}

Result<std::vector<CatalogVersion>> Catalog::ListAllStoredVersions() {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached(std::string("SELECT ") + kVersionColumns +
                                      " FROM versions WHERE state = 'stored'"));
  return CollectVersions(*stmt);
}

Result<CatalogVersion> Catalog::FindVersion(const std::string& agent, const std::string& path,
                                            std::optional<int64_t> at_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached(std::string("SELECT ") + kVersionColumns +
                  " FROM versions WHERE agent = ?1 AND path = ?2 AND state = 'stored' AND "
                  "created_ms <= ?3 ORDER BY created_ms DESC, id DESC LIMIT 1"));
  stmt->Bind(1, agent).Bind(2, path).Bind(3, at_ms.value_or(INT64_MAX));
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) {
    return Status::NotFound("no backup of " + path + " on " + agent +
                            (at_ms ? " at or before " + std::to_string(*at_ms) + " ms" : ""));
  }
  return ReadVersion(*stmt);
}

Status Catalog::SetStorageClass(int64_t id, const std::string& storage_class, int64_t now_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("UPDATE versions SET storage_class = ?2, restore_state = 'none', "
                  "restore_expiry_ms = 0, updated_ms = ?3 WHERE id = ?1"));
  stmt->Bind(1, id).Bind(2, storage_class).Bind(3, now_ms);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  if (db_->Changes() == 0) return Status::NotFound("no backup version " + std::to_string(id));
  return Status::Ok();
}

Status Catalog::MarkDeleted(int64_t id, int64_t now_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("UPDATE versions SET state = 'deleted', updated_ms = ?2 WHERE id = ?1"));
  stmt->Bind(1, id).Bind(2, now_ms);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  if (db_->Changes() == 0) return Status::NotFound("no backup version " + std::to_string(id));
  return Status::Ok();
}

Status Catalog::SetRestoreState(int64_t id, const std::string& restore_state, int64_t expiry_ms,
                                int64_t now_ms) {
  if (restore_state != kRestoreNone && restore_state != kRestoreRequested &&
      restore_state != kRestoreInProgress && restore_state != kRestoreReady) {
    return Status::InvalidArgument("unknown restore state '" + restore_state + "'");
  }
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("UPDATE versions SET restore_state = ?2, restore_expiry_ms = ?3, "
                  "updated_ms = ?4 WHERE id = ?1"));
  stmt->Bind(1, id).Bind(2, restore_state).Bind(3, expiry_ms).Bind(4, now_ms);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  if (db_->Changes() == 0) return Status::NotFound("no backup version " + std::to_string(id));
  return Status::Ok();
}

Result<std::vector<CatalogVersion>> Catalog::ListVersionsByRestoreState(
    const std::string& restore_state) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached(std::string("SELECT ") + kVersionColumns +
                                      " FROM versions WHERE restore_state = ?1 ORDER BY id"));
  stmt->Bind(1, restore_state);
  return CollectVersions(*stmt);
}

// ---- Lifecycle actions ----

Result<int64_t> Catalog::AddAction(const LifecycleAction& action, int64_t now_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("INSERT INTO actions(version_id, action, target_class, state, attempts, "
                  "next_try_ms, last_error, reason, created_ms, updated_ms, dry_run) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)"));
  stmt->Bind(1, action.version_id)
      .Bind(2, action.action)
      .Bind(3, action.target_class)
      .Bind(4, action.state)
      .Bind(5, action.attempts)
      .Bind(6, action.next_try_ms)
      .Bind(7, action.last_error)
      .Bind(8, action.reason)
      .Bind(9, now_ms)
      .Bind(10, action.dry_run ? 1 : 0);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  return db_->LastInsertRowId();
}

Status Catalog::UpdateAction(const LifecycleAction& action, int64_t now_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("UPDATE actions SET state = ?2, attempts = ?3, next_try_ms = ?4, "
                  "last_error = ?5, updated_ms = ?6 WHERE id = ?1"));
  stmt->Bind(1, action.id)
      .Bind(2, action.state)
      .Bind(3, action.attempts)
      .Bind(4, action.next_try_ms)
      .Bind(5, action.last_error)
      .Bind(6, now_ms);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  if (db_->Changes() == 0)
    return Status::NotFound("no lifecycle action " + std::to_string(action.id));
  return Status::Ok();
}

Result<std::vector<LifecycleAction>> Catalog::ListActions(const ActionQuery& query) {
  std::string sql = std::string("SELECT ") + kActionColumns + " FROM actions WHERE 1";
  if (query.state) sql += " AND state = ?1";
  if (query.due_before_ms) sql += " AND next_try_ms <= ?2";
  if (query.version_id) sql += " AND version_id = ?3";
  sql += " ORDER BY id LIMIT " + std::to_string(query.limit);
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt, db_->Cached(sql));
  if (query.state) stmt->Bind(1, *query.state);
  if (query.due_before_ms) stmt->Bind(2, *query.due_before_ms);
  if (query.version_id) stmt->Bind(3, *query.version_id);
  std::vector<LifecycleAction> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(ReadAction(*stmt));
  }
  return out;
}

Result<Catalog::Counts> Catalog::GetCounts() {
  MutexLock lock(mutex_);
  Counts counts;
  const std::pair<const char*, int64_t*> tables[] = {
      {"versions", &counts.versions}, {"commands", &counts.commands}, {"actions", &counts.actions}};
  for (const auto& [table, out] : tables) {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                            db_->Cached(std::string("SELECT count(*) FROM ") + table));
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    *out = row ? stmt->ColumnInt(0) : 0;
  }
  return counts;
}

// ---- Retention ----

Result<CatalogPruneResult> Catalog::Prune(int64_t cutoff_ms, const std::atomic<bool>* cancel) {
  CatalogPruneResult pruned;
  auto cancelled = [cancel] { return cancel != nullptr && cancel->load(); };
  // Chunks of kChunk rows per transaction, so ingest and command polls wait at most one chunk.
  constexpr int kChunk = 500;
  auto select_ids = [&](const char* sql) BEACON_REQUIRES(mutex_) -> Result<std::vector<int64_t>> {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, db_->Cached(sql));
    s->Bind(1, cutoff_ms).Bind(2, kChunk);
    std::vector<int64_t> ids;
    while (true) {
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      ids.push_back(s->ColumnInt(0));
    }
    return ids;
  };
  auto delete_by = [&](const char* sql, const std::vector<int64_t>& ids)
                       BEACON_REQUIRES(mutex_) -> Result<int64_t> {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, db_->Cached(sql));
    int64_t changes = 0;
    for (int64_t id : ids) {
      s->Reset();
      s->Bind(1, id);
      BEACON_RETURN_IF_ERROR(s->Run());
      changes += db_->Changes();
    }
    return changes;
  };
  // Deletes chunk after chunk of the rows `select` finds until fewer than a chunk are left.
  auto prune = [&](const char* select, const std::vector<const char*>& deletes,
                   int64_t* count) -> Status {
    while (!cancelled()) {
      MutexLock lock(mutex_);
      store::Transaction tx(*db_);
      BEACON_RETURN_IF_ERROR(tx.status());
      BEACON_ASSIGN_OR_RETURN(std::vector<int64_t> ids, select_ids(select));
      for (const char* sql : deletes) {
        BEACON_RETURN_IF_ERROR(delete_by(sql, ids).status());
      }
      BEACON_RETURN_IF_ERROR(tx.Commit());
      *count += static_cast<int64_t>(ids.size());
      if (ids.size() < static_cast<size_t>(kChunk)) break;
    }
    return Status::Ok();
  };
  BEACON_RETURN_IF_ERROR(
      prune("SELECT id FROM commands WHERE state IN ('succeeded', 'failed') AND updated_ms < ?1 "
            "LIMIT ?2",
            {"DELETE FROM commands WHERE id = ?1"}, &pruned.commands));
  BEACON_RETURN_IF_ERROR(
      prune("SELECT id FROM actions WHERE state != 'pending' AND updated_ms < ?1 LIMIT ?2",
            {"DELETE FROM actions WHERE id = ?1"}, &pruned.actions));
  // A deleted version goes with whatever still names it, except a command still to run.
  BEACON_RETURN_IF_ERROR(prune(
      "SELECT v.id FROM versions v WHERE v.state = 'deleted' AND v.updated_ms < ?1 AND "
      "NOT EXISTS (SELECT 1 FROM commands c WHERE c.version_id = v.id AND "
      "c.state NOT IN ('succeeded', 'failed')) LIMIT ?2",
      {"DELETE FROM actions WHERE version_id = ?1", "DELETE FROM commands WHERE version_id = ?1",
       "DELETE FROM version_seqs WHERE version_id = ?1", "DELETE FROM versions WHERE id = ?1"},
      &pruned.versions));
  return pruned;
}

Status Catalog::Ping() {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached("SELECT 1 FROM versions LIMIT 1"));
  return stmt->Step().status();
}

}  // namespace beacon::collector::backups
