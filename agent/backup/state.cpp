// BackupState on SQLite: files (newest stored version per set+path), uploads/upload_parts
// (multipart uploads in flight) and sets (last success). One connection behind a mutex, its
// statements cached (preparing them was a large share of each small write).
#include "agent/backup/state.h"

namespace beacon::agent::backup {
namespace {

const std::vector<store::Migration>& Migrations() {
  static const std::vector<store::Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE files (
  set_name TEXT NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  object_key TEXT NOT NULL,
  stored_ms INTEGER NOT NULL,
  PRIMARY KEY (set_name, path)
);
CREATE TABLE uploads (
  set_name TEXT NOT NULL,
  path TEXT NOT NULL,
  object_key TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  iv BLOB NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  PRIMARY KEY (set_name, path)
);
CREATE TABLE upload_parts (
  set_name TEXT NOT NULL,
  path TEXT NOT NULL,
  number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (set_name, path, number),
  FOREIGN KEY (set_name, path) REFERENCES uploads (set_name, path) ON DELETE CASCADE
);
CREATE TABLE sets (
  set_name TEXT PRIMARY KEY,
  last_success_ms INTEGER NOT NULL
);
)sql"},
  };
  return kMigrations;
}

Status Context(Status s, std::string_view what) {
  return s.ok() ? s : s.WithContext("backup state: " + std::string(what));
}

// The files-table columns sha256, size, mtime_ns, ctime_ns, inode, object_key, stored_ms,
// starting at column `first`.
FileRecord ReadFileRecord(store::Statement& s, int first) {
  FileRecord r;
  r.sha256 = s.ColumnText(first);
  r.size = static_cast<uint64_t>(s.ColumnInt(first + 1));
  r.mtime_ns = s.ColumnInt(first + 2);
  r.ctime_ns = s.ColumnInt(first + 3);
  r.inode = static_cast<uint64_t>(s.ColumnInt(first + 4));
  r.key = s.ColumnText(first + 5);
  r.stored_ms = s.ColumnInt(first + 6);
  return r;
}

}  // namespace

Result<std::unique_ptr<BackupState>> BackupState::Open(const std::string& path) {
  // NORMAL: a commit survives a process crash (SIGKILL), not power loss. The state is a cache
  // of what is stored (the catalog travels through the spool), and FULL would cost one fsync
  // per backed-up file, which dominates backing up many small files.
  store::DatabaseOptions options;
  options.synchronous = "NORMAL";
  auto db = store::Database::OpenAndMigrate(path, Migrations(), options);
  if (!db.ok()) return db.status().WithContext("opening backup state");
  return std::unique_ptr<BackupState>(new BackupState(std::move(db).value()));
}

Result<std::optional<FileRecord>> BackupState::GetFile(const std::string& set,
                                                       const std::string& path) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Cached(
          "SELECT sha256, size, mtime_ns, ctime_ns, inode, object_key, stored_ms FROM files "
          "WHERE set_name = ? AND path = ?"));
  stmt->Bind(1, set).Bind(2, path);
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return std::optional<FileRecord>();
  return std::optional<FileRecord>(ReadFileRecord(*stmt, 0));
}

Result<std::optional<FileRecord>> BackupState::GetFile(const std::string& set,
                                                       const std::string& path, bool* has_upload) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Cached("SELECT f.sha256, f.size, f.mtime_ns, f.ctime_ns, f.inode, f.object_key, "
                  "f.stored_ms, EXISTS (SELECT 1 FROM uploads WHERE set_name = ?1 AND path = ?2) "
                  "FROM (SELECT 1) LEFT JOIN files f ON f.set_name = ?1 AND f.path = ?2"));
  stmt->Bind(1, set).Bind(2, path);
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::Internal("backup state: lookup of " + path + " returned no row");
  *has_upload = stmt->ColumnInt(7) != 0;
  if (stmt->ColumnIsNull(0)) return std::optional<FileRecord>();
  return std::optional<FileRecord>(ReadFileRecord(*stmt, 0));
}

Status BackupState::RecordStored(const std::string& set, const std::string& path,
                                 const FileRecord& record, int64_t now_ms) {
  MutexLock lock(mutex_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(Context(tx.status(), "begin"));
  BEACON_RETURN_IF_ERROR(RecordStoredLocked(set, path, record));
  BEACON_RETURN_IF_ERROR(RecordSuccessLocked(set, now_ms));
  return Context(tx.Commit(), "commit");
}

Status BackupState::RecordStoredBatch(const std::string& set, const std::vector<StoredFile>& files,
                                      int64_t now_ms) {
  if (files.empty()) return Status::Ok();
  MutexLock lock(mutex_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(Context(tx.status(), "begin"));
  for (const StoredFile& file : files) {
    BEACON_RETURN_IF_ERROR(RecordStoredLocked(set, file.path, file.record));
  }
  BEACON_RETURN_IF_ERROR(RecordSuccessLocked(set, now_ms));
  return Context(tx.Commit(), "commit");
}

Status BackupState::RecordStoredLocked(const std::string& set, const std::string& path,
                                       const FileRecord& record) {
  {
    BEACON_ASSIGN_OR_RETURN(
        auto stmt,
        db_->Cached("INSERT INTO files (set_name, path, sha256, size, mtime_ns, ctime_ns, inode, "
                    "object_key, stored_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (set_name, path) DO UPDATE SET "
                    "sha256 = excluded.sha256, size = excluded.size, mtime_ns = excluded.mtime_ns, "
                    "ctime_ns = excluded.ctime_ns, inode = excluded.inode, "
                    "object_key = excluded.object_key, stored_ms = excluded.stored_ms"));
    stmt->Bind(1, set)
        .Bind(2, path)
        .Bind(3, record.sha256)
        .Bind(4, static_cast<int64_t>(record.size))
        .Bind(5, record.mtime_ns)
        .Bind(6, record.ctime_ns)
        .Bind(7, static_cast<int64_t>(record.inode))
        .Bind(8, record.key)
        .Bind(9, record.stored_ms);
    BEACON_RETURN_IF_ERROR(Context(stmt->Run(), "recording file"));
  }
  for (const char* sql : {"DELETE FROM upload_parts WHERE set_name = ? AND path = ?",
                          "DELETE FROM uploads WHERE set_name = ? AND path = ?"}) {
    BEACON_ASSIGN_OR_RETURN(auto stmt, db_->Cached(sql));
    stmt->Bind(1, set).Bind(2, path);
    BEACON_RETURN_IF_ERROR(Context(stmt->Run(), "dropping upload"));
  }
  return Status::Ok();
}

Status BackupState::RecordSuccessLocked(const std::string& set, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Cached(
          "INSERT INTO sets (set_name, last_success_ms) VALUES (?, ?) ON CONFLICT (set_name) "
          "DO UPDATE SET last_success_ms = max(last_success_ms, excluded.last_success_ms)"));
  stmt->Bind(1, set).Bind(2, now_ms);
  return Context(stmt->Run(), "recording success");
}

Status BackupState::RemoveFile(const std::string& set, const std::string& path) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(auto stmt,
                          db_->Cached("DELETE FROM files WHERE set_name = ? AND path = ?"));
  stmt->Bind(1, set).Bind(2, path);
  return Context(stmt->Run(), "removing file");
}

Result<std::vector<std::string>> BackupState::ListPaths(const std::string& set) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(auto stmt,
                          db_->Cached("SELECT path FROM files WHERE set_name = ? ORDER BY path"));
  stmt->Bind(1, set);
  std::vector<std::string> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(stmt->ColumnText(0));
  }
  return out;
}

Result<std::vector<std::pair<std::string, FileRecord>>> BackupState::ListFiles(
    const std::string& set) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      auto stmt, db_->Cached("SELECT path, sha256, size, mtime_ns, ctime_ns, inode, object_key, "
                             "stored_ms FROM files WHERE set_name = ? ORDER BY path"));
  stmt->Bind(1, set);
  std::vector<std::pair<std::string, FileRecord>> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.emplace_back(stmt->ColumnText(0), ReadFileRecord(*stmt, 1));
  }
  return out;
}

Result<std::vector<PartRecord>> BackupState::PartsLocked(const std::string& set,
                                                         const std::string& path) {
  BEACON_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Cached(
          "SELECT number, etag, digest, size FROM upload_parts WHERE set_name = ? AND path = ? "
          "ORDER BY number"));
  stmt->Bind(1, set).Bind(2, path);
  std::vector<PartRecord> parts;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    PartRecord p;
    p.number = static_cast<int>(stmt->ColumnInt(0));
    p.etag = stmt->ColumnText(1);
    p.digest = stmt->ColumnText(2);
    p.size = static_cast<uint64_t>(stmt->ColumnInt(3));
    parts.push_back(std::move(p));
  }
  return parts;
}

namespace {
constexpr std::string_view kUploadColumns =
    "set_name, path, object_key, upload_id, sha256, iv, size, mtime_ns, inode, started_ms";

PendingUpload ReadUpload(const store::Statement& stmt) {
  PendingUpload u;
  u.set = stmt.ColumnText(0);
  u.path = stmt.ColumnText(1);
  u.key = stmt.ColumnText(2);
  u.upload_id = stmt.ColumnText(3);
  u.sha256 = stmt.ColumnText(4);
  u.iv = stmt.ColumnBlob(5);
  u.size = static_cast<uint64_t>(stmt.ColumnInt(6));
  u.mtime_ns = stmt.ColumnInt(7);
  u.inode = static_cast<uint64_t>(stmt.ColumnInt(8));
  u.started_ms = stmt.ColumnInt(9);
  return u;
}
}  // namespace

Result<std::optional<PendingUpload>> BackupState::GetUpload(const std::string& set,
                                                            const std::string& path) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(auto stmt, db_->Cached("SELECT " + std::string(kUploadColumns) +
                                                 " FROM uploads WHERE set_name = ? AND path = ?"));
  stmt->Bind(1, set).Bind(2, path);
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return std::optional<PendingUpload>();
  PendingUpload u = ReadUpload(*stmt);
  BEACON_ASSIGN_OR_RETURN(u.parts, PartsLocked(set, path));
  return std::optional<PendingUpload>(std::move(u));
}

Status BackupState::BeginUpload(const PendingUpload& upload) {
  MutexLock lock(mutex_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(Context(tx.status(), "begin"));
  for (const char* sql : {"DELETE FROM upload_parts WHERE set_name = ? AND path = ?",
                          "DELETE FROM uploads WHERE set_name = ? AND path = ?"}) {
    BEACON_ASSIGN_OR_RETURN(auto stmt, db_->Cached(sql));
    stmt->Bind(1, upload.set).Bind(2, upload.path);
    BEACON_RETURN_IF_ERROR(Context(stmt->Run(), "replacing upload"));
  }
  {
    BEACON_ASSIGN_OR_RETURN(auto stmt,
                            db_->Cached("INSERT INTO uploads (" + std::string(kUploadColumns) +
                                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    stmt->Bind(1, upload.set)
        .Bind(2, upload.path)
        .Bind(3, upload.key)
        .Bind(4, upload.upload_id)
        .Bind(5, upload.sha256)
        .BindBlob(6, upload.iv)
        .Bind(7, static_cast<int64_t>(upload.size))
        .Bind(8, upload.mtime_ns)
        .Bind(9, static_cast<int64_t>(upload.inode))
        .Bind(10, upload.started_ms);
    BEACON_RETURN_IF_ERROR(Context(stmt->Run(), "recording upload"));
  }
  for (const PartRecord& part : upload.parts) {
    BEACON_ASSIGN_OR_RETURN(
        auto stmt,
        db_->Cached("INSERT INTO upload_parts (set_name, path, number, etag, digest, size) "
                    "VALUES (?, ?, ?, ?, ?, ?)"));
    stmt->Bind(1, upload.set)
        .Bind(2, upload.path)
        .Bind(3, part.number)
        .Bind(4, part.etag)
        .Bind(5, part.digest)
        .Bind(6, static_cast<int64_t>(part.size));
    BEACON_RETURN_IF_ERROR(Context(stmt->Run(), "recording part"));
  }
  return Context(tx.Commit(), "commit");
}

Status BackupState::AddPart(const std::string& set, const std::string& path,
                            const PartRecord& part) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Cached("INSERT INTO upload_parts (set_name, path, number, etag, digest, size) "
                  "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (set_name, path, number) DO UPDATE SET "
                  "etag = excluded.etag, digest = excluded.digest, size = excluded.size"));
  stmt->Bind(1, set)
      .Bind(2, path)
      .Bind(3, part.number)
      .Bind(4, part.etag)
      .Bind(5, part.digest)
      .Bind(6, static_cast<int64_t>(part.size));
  return Context(stmt->Run(), "recording part");
}

Status BackupState::RemoveUpload(const std::string& set, const std::string& path) {
  MutexLock lock(mutex_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(Context(tx.status(), "begin"));
  for (const char* sql : {"DELETE FROM upload_parts WHERE set_name = ? AND path = ?",
                          "DELETE FROM uploads WHERE set_name = ? AND path = ?"}) {
    BEACON_ASSIGN_OR_RETURN(auto stmt, db_->Cached(sql));
    stmt->Bind(1, set).Bind(2, path);
    BEACON_RETURN_IF_ERROR(Context(stmt->Run(), "removing upload"));
  }
  return Context(tx.Commit(), "commit");
}

Result<std::vector<PendingUpload>> BackupState::ListUploads() {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(auto stmt, db_->Cached("SELECT " + std::string(kUploadColumns) +
                                                 " FROM uploads ORDER BY set_name, path"));
  std::vector<PendingUpload> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(ReadUpload(*stmt));
  }
  for (PendingUpload& u : out) {
    BEACON_ASSIGN_OR_RETURN(u.parts, PartsLocked(u.set, u.path));
  }
  return out;
}

Result<std::optional<int64_t>> BackupState::LastSuccessMs(const std::string& set) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(auto stmt,
                          db_->Cached("SELECT last_success_ms FROM sets WHERE set_name = ?"));
  stmt->Bind(1, set);
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt->ColumnInt(0));
}

Status BackupState::SetLastSuccessMs(const std::string& set, int64_t now_ms) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Cached(
          "INSERT INTO sets (set_name, last_success_ms) VALUES (?, ?) ON CONFLICT (set_name) "
          "DO UPDATE SET last_success_ms = excluded.last_success_ms"));
  stmt->Bind(1, set).Bind(2, now_ms);
  return Context(stmt->Run(), "recording success");
}

}  // namespace beacon::agent::backup
