// SQLite wrapper: connection settings, migrations, transactions, binds and error mapping,
// each against a real database file in a fresh temporary directory.
#include "common/store/sqlite.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace beacon::store {
namespace {

namespace fs = std::filesystem;

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "beacon-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "test.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Database> OpenOrDie(DatabaseOptions options = {}) {
    Result<std::unique_ptr<Database>> db = Database::Open(path_, options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  static int64_t QueryInt(Database& db, std::string_view sql) {
    Result<CachedStatement> st = db.Cached(sql);
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (!st.ok()) return -1;
    Result<bool> row = (*st)->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? (*st)->ColumnInt(0) : -1;
  }

  static std::string QueryText(Database& db, std::string_view sql) {
    Result<CachedStatement> st = db.Cached(sql);
    if (!st.ok()) return "<" + st.status().ToString() + ">";
    Result<bool> row = (*st)->Step();
    return row.ok() && *row ? (*st)->ColumnText(0) : "<no row>";
  }

  fs::path dir_;
  std::string path_;
};

const std::vector<Migration> kMigrationsV1 = {
    {1,
     "CREATE TABLE hosts(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
     "INSERT INTO hosts(name) VALUES('seed');"},
};

std::vector<Migration> MigrationsV2() {
  std::vector<Migration> m = kMigrationsV1;
  m.push_back({2,
               "CREATE TABLE events(id INTEGER PRIMARY KEY, "
               "host_id INTEGER NOT NULL REFERENCES hosts(id), kind TEXT);"});
  return m;
}

TEST_F(SqliteTest, OpensInWalModeWithRequestedSettings) {
  DatabaseOptions options;
  options.synchronous = "NORMAL";
  options.busy_timeout_ms = 1234;
  auto db = OpenOrDie(options);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(*db, "PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_EQ(QueryInt(*db, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(QueryInt(*db, "PRAGMA busy_timeout"), 1234);
  EXPECT_EQ(db->path(), path_);

  auto full = OpenOrDie();
  EXPECT_EQ(QueryInt(*full, "PRAGMA synchronous"), 2);  // FULL is the default
}

// Two connections creating the same new database at once both switch it to WAL; SQLite answers
// one of them BUSY without waiting. Found when `beacon-agent emit` ran beside a starting agent
// (the agent exited: "database is locked"). Each round uses a fresh file.
TEST_F(SqliteTest, ConcurrentOpensOfANewDatabaseBothSucceed) {
  for (int round = 0; round < 40; ++round) {
    const std::string path = (dir_ / ("race-" + std::to_string(round) + ".db")).string();
    std::vector<Status> results(3);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i] {
        auto db = Database::Open(path, {});
        results[i] = db.ok() ? (*db)->Migrate(kMigrationsV1) : db.status();
      });
    }
    for (std::thread& t : threads) t.join();
    for (const Status& status : results)
      ASSERT_TRUE(status.ok()) << round << ": " << status.ToString();
  }
}

TEST_F(SqliteTest, RejectsUnknownSynchronousMode) {
  DatabaseOptions options;
  options.synchronous = "SOMETIMES";
  Result<std::unique_ptr<Database>> db = Database::Open(path_, options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteTest, MissingDirectoryIsAnIoErrorNamingThePath) {
  const std::string missing = (dir_ / "no-such-dir" / "x.db").string();
  Result<std::unique_ptr<Database>> db = Database::Open(missing);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kIoError);
  EXPECT_NE(db.status().message().find(missing), std::string::npos) << db.status().message();
  EXPECT_FALSE(fs::exists(dir_ / "no-such-dir"));
}

TEST_F(SqliteTest, MissingFileWithoutCreateIsNotFound) {
  DatabaseOptions options;
  options.create_if_missing = false;
  Result<std::unique_ptr<Database>> db = Database::Open(path_, options);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(SqliteTest, MigrationsApplyOnceAcrossReopen) {
  {
    auto db = OpenOrDie();
    EXPECT_EQ(db->SchemaVersion().value(), 0);
    ASSERT_TRUE(db->Migrate(kMigrationsV1).ok());
    EXPECT_EQ(db->SchemaVersion().value(), 1);
    // Running again is a no-op: migration 1 would fail (table exists) or duplicate the seed.
    ASSERT_TRUE(db->Migrate(kMigrationsV1).ok());
  }
  auto db = OpenOrDie();
  EXPECT_EQ(db->SchemaVersion().value(), 1);
  Status s = db->Migrate(MigrationsV2());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(db->SchemaVersion().value(), 2);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM hosts"), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM schema_version"), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM events"), 0);
}

TEST_F(SqliteTest, OpenAndMigrateCreatesTheDirectoryAndMigratesOnce) {
  const std::string nested = (dir_ / "a" / "b" / "store.db").string();
  for (int round = 0; round < 2; ++round) {
    Result<std::unique_ptr<Database>> db = Database::OpenAndMigrate(nested, MigrationsV2());
    ASSERT_TRUE(db.ok()) << round << ": " << db.status().ToString();
    EXPECT_EQ((*db)->SchemaVersion().value(), 2);
    EXPECT_EQ(QueryInt(**db, "SELECT COUNT(*) FROM hosts"), 1);  // the seed, once
  }
  EXPECT_TRUE(fs::is_directory(dir_ / "a" / "b"));
}

TEST_F(SqliteTest, OpenAndMigrateReadOnlyNeitherCreatesNorMigrates) {
  DatabaseOptions read_only;
  read_only.read_only = true;
  const std::string missing = (dir_ / "absent" / "store.db").string();
  Result<std::unique_ptr<Database>> none =
      Database::OpenAndMigrate(missing, kMigrationsV1, read_only);
  ASSERT_FALSE(none.ok());
  EXPECT_FALSE(fs::exists(dir_ / "absent"));
  ASSERT_TRUE(Database::OpenAndMigrate(path_, kMigrationsV1).ok());
  Result<std::unique_ptr<Database>> reader =
      Database::OpenAndMigrate(path_, MigrationsV2(), read_only);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->SchemaVersion().value(), 1);
}

TEST_F(SqliteTest, OpenAndMigrateErrorsNameThePath) {
  const fs::path blocker = dir_ / "file";
  { std::ofstream(blocker) << "x"; }
  const std::string below_a_file = (blocker / "store.db").string();
  Result<std::unique_ptr<Database>> db = Database::OpenAndMigrate(below_a_file, kMigrationsV1);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kIoError);
  EXPECT_NE(db.status().message().find(below_a_file), std::string::npos) << db.status().message();

  std::vector<Migration> broken = kMigrationsV1;
  broken.push_back({2, "INSERT INTO nonexistent VALUES(1);"});
  db = Database::OpenAndMigrate(path_, broken);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().message().rfind("migrating " + path_ + ": ", 0), 0u)
      << db.status().message();
}

TEST_F(SqliteTest, RefusesDatabaseNewerThanTheCode) {
  {
    auto db = OpenOrDie();
    ASSERT_TRUE(db->Migrate(MigrationsV2()).ok());
  }
  auto db = OpenOrDie();
  Status s = db->Migrate(kMigrationsV1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "database schema version 2 is newer than this build supports (1)");
  EXPECT_EQ(db->SchemaVersion().value(), 2);
}

TEST_F(SqliteTest, FailedMigrationLeavesNoTrace) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Migrate(kMigrationsV1).ok());
  std::vector<Migration> broken = kMigrationsV1;
  broken.push_back({2, "CREATE TABLE half(x); INSERT INTO nonexistent VALUES(1);"});
  Status s = db->Migrate(broken);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("migration 2"), std::string::npos) << s.message();
  EXPECT_EQ(db->SchemaVersion().value(), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name='half'"), 0);
}

TEST_F(SqliteTest, RejectsMigrationsOutOfOrder) {
  auto db = OpenOrDie();
  Status s = db->Migrate({{2, "SELECT 1"}, {1, "SELECT 1"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db->SchemaVersion().value(), 0);
}

TEST_F(SqliteTest, TransactionRollsBackUnlessCommitted) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(v INTEGER)").ok());
  {
    Transaction tx(*db);
    ASSERT_TRUE(tx.status().ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(1)").ok());
  }  // no Commit(): rolled back
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM t"), 0);
  {
    Transaction tx(*db);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(2)").ok());
    ASSERT_TRUE(tx.Commit().ok());
    EXPECT_EQ(tx.Commit().code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(QueryInt(*db, "SELECT SUM(v) FROM t"), 2);
  // The rollback really ended the transaction: a new one can begin.
  ASSERT_TRUE(db->Begin().ok());
  ASSERT_TRUE(db->Rollback().ok());
}

TEST_F(SqliteTest, BindsAndReadsEveryType) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER, big INTEGER, d REAL, s TEXT, e TEXT, b BLOB, "
                       "n TEXT, o1 TEXT, o2 TEXT)")
                  .ok());
  Result<CachedStatement> ins = db->Cached("INSERT INTO t VALUES(?,?,?,?,?,?,?,?,?)");
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  const std::string blob("\x00\x01\xff\x00z", 5);
  (*ins)
      ->Bind(1, 42)
      .Bind(2, int64_t{9'000'000'000'000})
      .Bind(3, 2.5)
      .Bind(4, "héllo")
      .Bind(5, std::string_view())
      .BindBlob(6, blob)
      .BindNull(7)
      .Bind(8, std::optional<std::string>("set"))
      .Bind(9, std::optional<std::string>());
  ASSERT_TRUE((*ins)->Run().ok());
  EXPECT_EQ(db->Changes(), 1);
  EXPECT_EQ(db->LastInsertRowId(), 1);

  Result<CachedStatement> sel = db->Cached("SELECT i, big, d, s, e, b, n, o1, o2 FROM t");
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ((*sel)->ColumnCount(), 9);
  EXPECT_EQ((*sel)->ColumnName(3), "s");
  ASSERT_TRUE((*sel)->Step().value());
  EXPECT_EQ((*sel)->ColumnInt(0), 42);
  EXPECT_EQ((*sel)->ColumnInt(1), 9'000'000'000'000);
  EXPECT_DOUBLE_EQ((*sel)->ColumnDouble(2), 2.5);
  EXPECT_EQ((*sel)->ColumnText(3), "héllo");
  EXPECT_FALSE((*sel)->ColumnIsNull(4));  // empty string is not NULL
  EXPECT_EQ((*sel)->ColumnText(4), "");
  EXPECT_EQ((*sel)->ColumnBlob(5), blob);
  EXPECT_TRUE((*sel)->ColumnIsNull(6));
  EXPECT_EQ((*sel)->ColumnText(7), "set");
  EXPECT_TRUE((*sel)->ColumnIsNull(8));
  EXPECT_FALSE((*sel)->Step().value());
}

TEST_F(SqliteTest, StatementIsReusableAfterReset) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(v INTEGER)").ok());
  Result<CachedStatement> ins = db->Cached("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins.ok());
  for (int i = 1; i <= 3; ++i) {
    (*ins)->Reset();
    ASSERT_TRUE((*ins)->Bind(1, i).Run().ok());
  }
  (*ins)->Reset();  // bindings cleared: inserts NULL
  ASSERT_TRUE((*ins)->Run().ok());
  EXPECT_EQ(QueryInt(*db, "SELECT SUM(v) FROM t"), 6);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM t WHERE v IS NULL"), 1);
}

TEST_F(SqliteTest, CachedStatementIsPreparedOnceAndStartsEachLeaseReset) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES(1), (2), (3)").ok());
  const std::string sql = "SELECT v FROM t WHERE v >= ? ORDER BY v";
  {
    Result<CachedStatement> q = db->Cached(sql);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    (*q)->Bind(1, 2);
    Result<bool> row = (*q)->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ((*q)->ColumnInt(0), 2);  // the lease ends with a row left unread
  }
  {
    Result<CachedStatement> q = db->Cached(sql);
    ASSERT_TRUE(q.ok());
    // The binding of the last lease is gone (v >= NULL matches nothing) and the statement
    // starts from its first row again.
    Result<bool> row = (*q)->Step();
    ASSERT_TRUE(row.ok());
    EXPECT_FALSE(*row);
    (*q)->Reset();
    (*q)->Bind(1, 1);
    row = (*q)->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ((*q)->ColumnInt(0), 1);
  }
  EXPECT_EQ(db->cached_statements(), 1u);
  ASSERT_TRUE(db->Cached("SELECT COUNT(*) FROM t").ok());
  EXPECT_EQ(db->cached_statements(), 2u);
  // Transactions go through cached BEGIN/COMMIT/ROLLBACK statements and still work.
  {
    Transaction tx(*db);
    ASSERT_TRUE(tx.status().ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(4)").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  {
    Transaction tx(*db);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(5)").ok());
  }  // rolled back
  EXPECT_EQ(QueryInt(*db, "SELECT SUM(v) FROM t"), 10);
}

TEST_F(SqliteTest, EndedLeaseReleasesTheStatementsLock) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES(1), (2)").ok());
  {
    Result<CachedStatement> q = db->Cached("SELECT v FROM t");
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE(*(*q)->Step());
    // While a statement is reading t, t cannot be dropped on this connection.
    EXPECT_FALSE(db->Exec("DROP TABLE t").ok());
  }
  EXPECT_TRUE(db->Exec("DROP TABLE t").ok()) << "the ended lease reset its statement";
}

TEST_F(SqliteTest, NestedUseOfTheSameSqlGetsItsOwnStatement) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES(1), (2), (3)").ok());
  const std::string sql = "SELECT v FROM t WHERE v >= ? ORDER BY v";
  Result<CachedStatement> outer = db->Cached(sql);
  ASSERT_TRUE(outer.ok());
  (*outer)->Bind(1, 1);
  ASSERT_TRUE(*(*outer)->Step());
  EXPECT_EQ((*outer)->ColumnInt(0), 1);
  {
    Result<CachedStatement> inner = db->Cached(sql);
    ASSERT_TRUE(inner.ok());
    (*inner)->Bind(1, 3);
    ASSERT_TRUE(*(*inner)->Step());
    EXPECT_EQ((*inner)->ColumnInt(0), 3);
  }
  // The outer lease's cursor was not disturbed by the inner one.
  ASSERT_TRUE(*(*outer)->Step());
  EXPECT_EQ((*outer)->ColumnInt(0), 2);
  EXPECT_EQ(db->cached_statements(), 1u);
  EXPECT_FALSE(db->Cached("SELECT nope FROM missing").ok());
}

TEST_F(SqliteTest, BindErrorSurfacesAtStep) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(v INTEGER)").ok());
  Result<CachedStatement> ins = db->Cached("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins.ok());
  (*ins)->Bind(1, 1).Bind(5, 2);  // no parameter 5
  Result<bool> r = (*ins)->Step();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM t"), 0);
  (*ins)->Reset();  // clears the remembered error
  ASSERT_TRUE((*ins)->Bind(1, 7).Run().ok());
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM t"), 1);
}

TEST_F(SqliteTest, ConstraintViolationsAreErrors) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Migrate(MigrationsV2()).ok());
  Result<CachedStatement> ins = db->Cached("INSERT INTO hosts(name) VALUES(?)");
  ASSERT_TRUE(ins.ok());
  Status dup = (*ins)->Bind(1, "seed").Run();
  EXPECT_EQ(dup.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.message().find("UNIQUE constraint failed"), std::string::npos) << dup.message();

  // foreign_keys=ON: an event for a host that does not exist is refused.
  Status fk = db->Exec("INSERT INTO events(host_id, kind) VALUES(999, 'x')");
  EXPECT_EQ(fk.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(fk.message().find("FOREIGN KEY"), std::string::npos) << fk.message();
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM events"), 0);
}

TEST_F(SqliteTest, BusyDatabaseIsUnavailableAfterTimeout) {
  auto writer = OpenOrDie();
  ASSERT_TRUE(writer->Exec("CREATE TABLE t(v INTEGER)").ok());
  DatabaseOptions impatient;
  impatient.busy_timeout_ms = 10;
  auto other = OpenOrDie(impatient);

  Transaction tx(*writer);  // holds the write lock
  ASSERT_TRUE(tx.status().ok());
  ASSERT_TRUE(writer->Exec("INSERT INTO t VALUES(1)").ok());

  Status begin = other->Begin();
  EXPECT_EQ(begin.code(), StatusCode::kUnavailable) << begin.ToString();
  EXPECT_TRUE(begin.IsTransient());

  Result<CachedStatement> ins = other->Cached("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins.ok());
  (*ins)->Bind(1, 2);
  Result<bool> step = (*ins)->Step();
  ASSERT_FALSE(step.ok());
  EXPECT_EQ(step.status().code(), StatusCode::kUnavailable);

  // Readers are not blocked by a WAL writer and see the last committed state.
  EXPECT_EQ(QueryInt(*other, "SELECT COUNT(*) FROM t"), 0);

  ASSERT_TRUE(tx.Commit().ok());
  // The same statement, bindings kept, succeeds once the lock is released.
  ASSERT_TRUE((*ins)->Run().ok());
  EXPECT_EQ(QueryInt(*writer, "SELECT SUM(v) FROM t"), 3);
}

TEST_F(SqliteTest, ReadOnlyConnectionCannotWrite) {
  {
    auto db = OpenOrDie();
    ASSERT_TRUE(db->Migrate(kMigrationsV1).ok());
  }
  DatabaseOptions ro;
  ro.read_only = true;
  auto db = OpenOrDie(ro);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryInt(*db, "SELECT COUNT(*) FROM hosts"), 1);
  Status s = db->Exec("INSERT INTO hosts(name) VALUES('x')");
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();
}

TEST_F(SqliteTest, CachedRejectsBadSqlAndMultipleStatements) {
  auto db = OpenOrDie();
  Result<CachedStatement> syntax = db->Cached("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos);
  Result<CachedStatement> two = db->Cached("SELECT 1; SELECT 2");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(db->Cached("SELECT 1;  \n").ok());
  EXPECT_FALSE(db->Cached("  ").ok());
}

TEST_F(SqliteTest, FileSizeCountsMainFileAndWal) {
  auto db = OpenOrDie();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(v BLOB)").ok());
  Result<CachedStatement> ins = db->Cached("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE((*ins)->BindBlob(1, std::string(200'000, 'x')).Run().ok());
  const int64_t main_size = static_cast<int64_t>(fs::file_size(path_));
  const int64_t wal_size = static_cast<int64_t>(fs::file_size(path_ + "-wal"));
  EXPECT_GT(wal_size, 200'000);
  EXPECT_EQ(db->FileSizeBytes(), main_size + wal_size);
}

}  // namespace
}  // namespace beacon::store
