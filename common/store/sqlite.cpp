// SQLite3 RAII wrapper: connection setup (WAL, synchronous, busy timeout, foreign keys),
// prepared statements with deferred bind errors, numbered migrations, and transactions.
#include "common/store/sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>

namespace beacon::store {
namespace {

// Maps an SQLite result code to our error taxonomy. The message carries sqlite's own text
// (never bound values, which may be secrets).
Status FromSqlite(int rc, std::string_view detail, std::string_view context) {
  std::string m(context);
  m += ": ";
  m += detail;
  m += " (";
  m += sqlite3_errstr(rc);
  m += ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(m));
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return Status::InvalidArgument(std::move(m));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(m));
    case SQLITE_NOMEM:
      return Status::ResourceExhausted(std::move(m));
    case SQLITE_ERROR:  // SQL errors (syntax, missing table): a bug in our own statements
    case SQLITE_MISUSE:
      return Status::Internal(std::move(m));
    default:  // IOERR, FULL, CANTOPEN, READONLY, PERM, PROTOCOL, ...
      return Status::IoError(std::move(m));
  }
}

Status FromDb(int rc, sqlite3* db, std::string_view context) {
  return FromSqlite(rc, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc), context);
}

// SQL shown in error messages is shortened; statements hold placeholders, not values.
std::string SqlForMessage(std::string_view sql) {
  constexpr size_t kMax = 80;
  std::string s(sql.substr(0, kMax));
  for (char& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  if (sql.size() > kMax) s += "...";
  return s;
}

bool OnlyWhitespaceOrSemicolons(const char* p, const char* end) {
  for (; p < end; ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') return false;
  }
  return true;
}

}  // namespace

// ---- Statement ----------------------------------------------------------------------------

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(other.stmt_), db_(other.db_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
  other.db_ = nullptr;
  other.bind_error_ = 0;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    db_ = other.db_;
    bind_error_ = other.bind_error_;
    other.stmt_ = nullptr;
    other.db_ = nullptr;
    other.bind_error_ = 0;
  }
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  const int rc = stmt_ ? sqlite3_bind_int64(stmt_, index, value) : SQLITE_MISUSE;
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  const int rc = stmt_ ? sqlite3_bind_double(stmt_, index, value) : SQLITE_MISUSE;
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  // A null pointer would bind SQL NULL; an empty string must stay an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc =
      stmt_ ? sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8)
            : SQLITE_MISUSE;
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  const int rc = stmt_ ? sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT)
                       : SQLITE_MISUSE;
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = stmt_ ? sqlite3_bind_null(stmt_, index) : SQLITE_MISUSE;
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text.has_value() ? Bind(index, std::string_view(*text)) : BindNull(index);
}

Result<bool> Statement::Step() {
  if (stmt_ == nullptr) return Status::FailedPrecondition("Step() on an empty Statement");
  if (bind_error_ != 0) {
    return FromSqlite(bind_error_, "a parameter could not be bound",
                      "bind for '" + SqlForMessage(sqlite3_sql(stmt_)) + "'");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = FromDb(rc, db_, "step '" + SqlForMessage(sqlite3_sql(stmt_)) + "'");
  // Reset so the statement (bindings kept) can be retried, e.g. after SQLITE_BUSY.
  sqlite3_reset(stmt_);
  return s;
}

Status Statement::Run() {
  while (true) {
    Result<bool> r = Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
  }
  // Release the statement's read/write locks now instead of at the next Reset().
  sqlite3_reset(stmt_);
  return Status::Ok();
}

void Statement::Reset() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::ColumnText(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int Statement::ColumnCount() const { return stmt_ ? sqlite3_column_count(stmt_) : 0; }

std::string Statement::ColumnName(int col) const {
  const char* name = stmt_ ? sqlite3_column_name(stmt_, col) : nullptr;
  return name != nullptr ? name : "";
}

// ---- CachedStatement ----------------------------------------------------------------------

CachedStatement::CachedStatement(Slot* slot, Statement* stmt, std::unique_ptr<Statement> owned)
    : slot_(slot), stmt_(stmt), owned_(std::move(owned)) {
  if (slot_ != nullptr) slot_->lent = true;
}

CachedStatement::CachedStatement(CachedStatement&& other) noexcept
    : slot_(other.slot_), stmt_(other.stmt_), owned_(std::move(other.owned_)) {
  other.slot_ = nullptr;
  other.stmt_ = nullptr;
}

CachedStatement::~CachedStatement() {
  if (slot_ == nullptr) return;  // moved from, or a one-off that finalizes itself
  // A SELECT left mid-result would keep its read transaction (and the WAL) pinned.
  stmt_->Reset();
  slot_->lent = false;
}

// ---- Database -----------------------------------------------------------------------------

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const DatabaseOptions& options) {
  const bool in_memory = path == ":memory:" || path.empty();
  if (!in_memory) {
    // sqlite's own "unable to open database file" does not say why; name the missing piece.
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
      return Status::IoError("cannot open database " + path + ": directory " + parent.string() +
                             " does not exist");
    }
    if ((options.read_only || !options.create_if_missing) && !std::filesystem::exists(path, ec)) {
      return Status::NotFound("database file " + path + " does not exist");
    }
  }
  const std::string sync = options.synchronous;
  if (sync != "OFF" && sync != "NORMAL" && sync != "FULL" && sync != "EXTRA") {
    return Status::InvalidArgument("invalid synchronous mode '" + sync +
                                   "' (expected OFF, NORMAL, FULL or EXTRA)");
  }

  int flags = SQLITE_OPEN_NOMUTEX;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = FromDb(rc, raw, "cannot open database " + path);
    sqlite3_close_v2(raw);
    return s;
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);

  if (options.page_size != 0 && !options.read_only) {
    BEACON_RETURN_IF_ERROR(db->Exec("PRAGMA page_size=" + std::to_string(options.page_size)));
  }
  if (!options.read_only && !in_memory) {
    // Two processes opening a new database at once (`beacon-agent emit` beside a starting
    // agent) can both hold a shared lock when they switch it to WAL; SQLite then answers BUSY
    // at once instead of calling the busy handler (that wait could deadlock), so the switch is
    // retried here for up to the busy timeout.
    auto enable_wal = [&db]() -> Result<std::string> {
      BEACON_ASSIGN_OR_RETURN(Statement wal, db->Prepare("PRAGMA journal_mode=WAL"));
      BEACON_ASSIGN_OR_RETURN(bool has_row, wal.Step());
      return has_row ? wal.ColumnText(0) : std::string();
    };
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
    Result<std::string> mode = enable_wal();
    for (int attempt = 1; !mode.ok() && mode.status().code() == StatusCode::kUnavailable &&
                          std::chrono::steady_clock::now() < deadline;
         ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 * attempt, 50)));
      mode = enable_wal();
    }
    if (!mode.ok()) return mode.status();
    if (*mode != "wal") {
      return Status::IoError("cannot enable WAL on " + path + " (journal_mode is '" + *mode + "')");
    }
  }
  BEACON_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=" + sync));
  BEACON_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  if (options.wal_autocheckpoint > 0) {
    BEACON_RETURN_IF_ERROR(
        db->Exec("PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint)));
  }
  return db;
}

Result<std::unique_ptr<Database>> Database::OpenAndMigrate(const std::string& path,
                                                           const std::vector<Migration>& migrations,
                                                           const DatabaseOptions& options) {
  const bool in_memory = path == ":memory:" || path.empty();
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!in_memory && !options.read_only && options.create_if_missing && !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::IoError("cannot create directory " + parent.string() + " for database " +
                             path + ": " + ec.message());
    }
  }
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Open(path, options));
  if (!options.read_only) {
    BEACON_RETURN_IF_ERROR(db->Migrate(migrations).WithContext("migrating " + path));
  }
  return db;
}

Database::~Database() {
  cache_.clear();  // finalize cached statements first
  // close_v2 defers the close until every outstanding Statement is finalized.
  sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  Status s = FromSqlite(rc, err != nullptr ? err : sqlite3_errmsg(db_),
                        "exec '" + SqlForMessage(sql) + "'");
  sqlite3_free(err);
  return s;
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return FromDb(rc, db_, "prepare '" + SqlForMessage(sql) + "'");
  }
  if (stmt == nullptr) return Status::InvalidArgument("prepare: empty SQL statement");
  Statement result(stmt, db_);
  // Everything after the first statement would be silently ignored; refuse instead.
  if (tail != nullptr && !OnlyWhitespaceOrSemicolons(tail, sql.data() + sql.size())) {
    return Status::InvalidArgument("prepare '" + SqlForMessage(sql) +
                                   "': more than one statement (use Exec)");
  }
  return result;
}

Result<CachedStatement> Database::Cached(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end() && it->second->lent) {
    BEACON_ASSIGN_OR_RETURN(Statement one_off, Prepare(sql));
    auto owned = std::make_unique<Statement>(std::move(one_off));
    Statement* raw = owned.get();
    return CachedStatement(nullptr, raw, std::move(owned));
  }
  if (it == cache_.end()) {
    BEACON_ASSIGN_OR_RETURN(Statement prepared, Prepare(sql));
    auto slot = std::make_unique<CachedStatement::Slot>();
    slot->stmt = std::move(prepared);
    it = cache_.emplace(std::string(sql), std::move(slot)).first;
  } else {
    it->second->stmt.Reset();  // the last lease reset it; cheap insurance
  }
  return CachedStatement(it->second.get(), &it->second->stmt, nullptr);
}

Result<int> Database::SchemaVersion() {
  BEACON_ASSIGN_OR_RETURN(
      Statement exists,
      Prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"));
  BEACON_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  BEACON_ASSIGN_OR_RETURN(Statement q, Prepare("SELECT MAX(version) FROM schema_version"));
  BEACON_ASSIGN_OR_RETURN(bool has_row, q.Step());
  if (!has_row || q.ColumnIsNull(0)) return 0;
  return static_cast<int>(q.ColumnInt(0));
}

Status Database::Migrate(const std::vector<Migration>& migrations) {
  int max_version = 0;
  for (const Migration& m : migrations) {
    if (m.version <= max_version) {
      return Status::InvalidArgument(
          "migration versions must be positive and strictly "
          "increasing; got " +
          std::to_string(m.version) + " after " + std::to_string(max_version));
    }
    max_version = m.version;
  }
  BEACON_RETURN_IF_ERROR(
      Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
  BEACON_ASSIGN_OR_RETURN(int current, SchemaVersion());
  if (current > max_version) {
    return Status::FailedPrecondition("database schema version " + std::to_string(current) +
                                      " is newer than this build supports (" +
                                      std::to_string(max_version) + ")");
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    const std::string context = "migration " + std::to_string(m.version) + " of " + path_;
    Transaction tx(*this);
    BEACON_RETURN_IF_ERROR(tx.status().WithContext(context));
    // Another process may have migrated while we waited for the write lock.
    BEACON_ASSIGN_OR_RETURN(int now, SchemaVersion());
    if (now >= m.version) {
      current = now;
      continue;
    }
    BEACON_RETURN_IF_ERROR(Exec(m.sql).WithContext(context));
    BEACON_RETURN_IF_ERROR(Exec("DELETE FROM schema_version").WithContext(context));
    BEACON_ASSIGN_OR_RETURN(Statement ins,
                            Prepare("INSERT INTO schema_version(version) VALUES(?)"));
    ins.Bind(1, m.version);
    BEACON_RETURN_IF_ERROR(ins.Run().WithContext(context));
    BEACON_RETURN_IF_ERROR(tx.Commit().WithContext(context));
    current = m.version;
  }
  return Status::Ok();
}

// Cached: a transaction around one small write otherwise parses three extra statements.
Status Database::Begin(bool immediate) {
  BEACON_ASSIGN_OR_RETURN(CachedStatement stmt, Cached(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return stmt->Run();
}

Status Database::Commit() {
  BEACON_ASSIGN_OR_RETURN(CachedStatement stmt, Cached("COMMIT"));
  return stmt->Run();
}

Status Database::Rollback() {
  BEACON_ASSIGN_OR_RETURN(CachedStatement stmt, Cached("ROLLBACK"));
  return stmt->Run();
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int Database::Changes() const { return sqlite3_changes(db_); }

int64_t Database::FileSizeBytes() const {
  if (path_.empty() || path_ == ":memory:") return 0;
  int64_t total = 0;
  for (const std::string& p : {path_, path_ + "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(p, ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

// ---- Transaction --------------------------------------------------------------------------

Transaction::Transaction(Database& db, bool immediate)
    : db_(db), begin_status_(db.Begin(immediate)) {}

Transaction::~Transaction() {
  // sqlite may already have rolled back on its own (e.g. after an I/O error); only roll back
  // a transaction that is still open.
  if (!done_ && begin_status_.ok() && sqlite3_get_autocommit(db_.raw()) == 0) {
    (void)db_.Rollback();
  }
}

Status Transaction::Commit() {
  if (!begin_status_.ok()) return begin_status_;
  if (done_) return Status::FailedPrecondition("transaction already committed");
  Status s = db_.Commit();
  if (s.ok()) done_ = true;
  return s;
}

}  // namespace beacon::store
