// RAII wrapper over SQLite3: a Database owns one connection (WAL, busy timeout, foreign keys),
// statements are prepared once and reused (Cached() lends them for the connection's life),
// Migrate() applies numbered schema steps recorded in schema_version. A Database is used by one
// thread at a time (callers hold their own mutex); open one Database per thread for concurrency.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace beacon::store {

struct DatabaseOptions {
  bool read_only = false;
  bool create_if_missing = true;
  int busy_timeout_ms = 5000;
  // "FULL" fsyncs the WAL at every commit: a committed transaction survives power loss.
  // "NORMAL" is faster and survives a process crash but not power loss.
  std::string synchronous = "FULL";
  // Bytes per page of a database this open creates (512..65536, a power of two); 0: SQLite's
  // default (4096). No effect on an existing file. Small pages make small random writes (an
  // index entry per row) cost less in the WAL.
  int page_size = 0;
  // WAL pages after which a commit checkpoints (PRAGMA wal_autocheckpoint); 0: SQLite's
  // default (1000). A larger WAL writes a page rewritten by many commits into the database
  // file once instead of once per checkpoint.
  int wal_autocheckpoint = 0;
};

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bind by 1-based index. Return *this for chaining; bind errors surface at Step().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::string>& text);
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }

  // true: a row is available; false: done. Errors as Status (kUnavailable when busy).
  Result<bool> Step();
  // Step() until done, for statements that return no rows.
  Status Run();
  // Resets for re-execution and clears bindings.
  void Reset();

  int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;
  bool ColumnIsNull(int col) const;
  int ColumnCount() const;
  std::string ColumnName(int col) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_error_ = 0;
};

// A statement lent by Database::Cached(): use it like a Statement until the lease ends, which
// resets it (releasing its read lock even when not every row was stepped) and clears its
// bindings. Move-only; must not outlive the Database.
class CachedStatement {
 public:
  CachedStatement(CachedStatement&& other) noexcept;
  CachedStatement& operator=(CachedStatement&&) = delete;
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  ~CachedStatement();

  Statement& operator*() { return *stmt_; }
  Statement* operator->() { return stmt_; }

 private:
  friend class Database;
  struct Slot {
    Statement stmt;
    bool lent = false;
  };
  CachedStatement(Slot* slot, Statement* stmt, std::unique_ptr<Statement> owned);
  Slot* slot_ = nullptr;  // null: a one-off statement (owned_)
  Statement* stmt_ = nullptr;
  std::unique_ptr<Statement> owned_;  // when the cached one was already lent out
};

struct Migration {
  int version;      // 1, 2, 3, ... strictly increasing
  std::string sql;  // one or more statements
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const DatabaseOptions& options = {});
  // How every store opens its file: creates the file's directory when the open may create the
  // file (writable, create_if_missing), opens it and applies `migrations` (Migrate). A read-only
  // open applies none: it reads whatever schema the file has. Errors name the path.
  static Result<std::unique_ptr<Database>> OpenAndMigrate(const std::string& path,
                                                          const std::vector<Migration>& migrations,
                                                          const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(std::string_view sql);  // one or more statements, no results
  // The one way to run a statement: the statement for `sql`, prepared on its first use and
  // kept until the Database closes, so hot statements skip SQLite's parser and planner (a large
  // share of a small write). Each lease starts from a reset statement with no bindings. Asking
  // for a statement that is already lent out (nested use of the same SQL) prepares a one-off
  // copy instead. `sql` is one statement (more is InvalidArgument). The same
  // one-thread-at-a-time rule as every other Database call applies.
  Result<CachedStatement> Cached(std::string_view sql);
  // Statements held by the cache (tests).
  size_t cached_statements() const { return cache_.size(); }
  // Applies every migration whose version is above the stored one, each in its own
  // transaction; fails with FailedPrecondition if the database is newer than the code.
  Status Migrate(const std::vector<Migration>& migrations);
  Result<int> SchemaVersion();

  Status Begin(bool immediate = true);  // BEGIN IMMEDIATE takes the write lock up front
  Status Commit();
  Status Rollback();

  int64_t LastInsertRowId() const;
  int Changes() const;  // rows changed by the last statement
  // Bytes used on disk by the main file + WAL.
  int64_t FileSizeBytes() const;
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  // A fresh statement for Cached() and the migrations' bookkeeping.
  Result<Statement> Prepare(std::string_view sql);
  sqlite3* db_;
  std::string path_;
  // SQL text -> its prepared statement; node-based so leases keep stable pointers. Destroyed
  // (finalized) before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<CachedStatement::Slot>> cache_;
};

// Rolls back unless Commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db, bool immediate = true);
  ~Transaction();
  Status status() const { return begin_status_; }
  Status Commit();

 private:
  Database& db_;
  Status begin_status_;
  bool done_ = false;
};

}  // namespace beacon::store
