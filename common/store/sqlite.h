// RAII wrapper over SQLite3: a Database owns one connection (WAL, busy timeout, foreign keys),
// Statements are prepared once and reused, Migrate() applies numbered schema steps recorded in
// schema_version. A Database is used by one thread at a time (callers hold their own mutex);
// open one Database per thread for concurrency.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }

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

struct Migration {
  int version;        // 1, 2, 3, ... strictly increasing
  std::string sql;    // one or more statements
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(std::string_view sql);  // one or more statements, no results
  Result<Statement> Prepare(std::string_view sql);
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
  sqlite3* db_;
  std::string path_;
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
