// WeightMemory over common/store Database; see weight_memory.h.
#include "bot/release/weight_memory.h"

namespace beacon::bot::release {
namespace {

const std::vector<store::Migration> kMigrations = {
    {1,
     "CREATE TABLE remembered_weight ("
     " server_id TEXT NOT NULL, lb_id TEXT NOT NULL, group_id TEXT NOT NULL, port INTEGER NOT NULL,"
     " weight INTEGER NOT NULL, command TEXT NOT NULL, by_principal TEXT NOT NULL,"
     " since_ms INTEGER NOT NULL, PRIMARY KEY (server_id, lb_id, group_id, port))"},
};

}  // namespace

Result<std::unique_ptr<WeightMemory>> WeightMemory::Open(const std::string& path) {
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db,
                          store::Database::OpenAndMigrate(path, kMigrations));
  return std::unique_ptr<WeightMemory>(new WeightMemory(std::move(db)));
}

Status WeightMemory::Remember(const std::vector<RememberedWeight>& entries) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  for (const RememberedWeight& e : entries) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement insert,
        db_->Cached("INSERT OR REPLACE INTO remembered_weight (server_id, lb_id, group_id, port,"
                    " weight, command, by_principal, since_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    BEACON_RETURN_IF_ERROR(insert->Bind(1, e.server_id)
                               .Bind(2, e.lb_id)
                               .Bind(3, e.group_id)
                               .Bind(4, e.port)
                               .Bind(5, e.weight)
                               .Bind(6, e.command)
                               .Bind(7, e.by)
                               .Bind(8, e.since_ms)
                               .Run());
  }
  return tx.Commit();
}

Result<std::vector<RememberedWeight>> WeightMemory::Recall(const std::string& server_id) {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement query,
      db_->Cached("SELECT lb_id, group_id, port, weight, command, by_principal, since_ms"
                  " FROM remembered_weight WHERE server_id = ? ORDER BY lb_id, group_id, port"));
  query->Bind(1, server_id);
  std::vector<RememberedWeight> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, query->Step());
    if (!row) break;
    RememberedWeight e;
    e.server_id = server_id;
    e.lb_id = query->ColumnText(0);
    e.group_id = query->ColumnText(1);
    e.port = static_cast<int>(query->ColumnInt(2));
    e.weight = static_cast<int>(query->ColumnInt(3));
    e.command = query->ColumnText(4);
    e.by = query->ColumnText(5);
    e.since_ms = query->ColumnInt(6);
    out.push_back(std::move(e));
  }
  return out;
}

Status WeightMemory::Forget(const std::vector<RememberedWeight>& entries) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  for (const RememberedWeight& e : entries) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement remove,
        db_->Cached("DELETE FROM remembered_weight"
                    " WHERE server_id = ? AND lb_id = ? AND group_id = ? AND port = ?"));
    BEACON_RETURN_IF_ERROR(
        remove->Bind(1, e.server_id).Bind(2, e.lb_id).Bind(3, e.group_id).Bind(4, e.port).Run());
  }
  return tx.Commit();
}

}  // namespace beacon::bot::release
