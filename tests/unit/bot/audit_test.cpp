// AuditLog: append and query, the hash chain across reopen, and Verify against the edits
// someone with sqlite3 could make (an edited row, a deleted row, a deleted tail, a re-hashed
// row, an edited anchor).
#include "bot/audit.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.h"
#include "common/store/sqlite.h"
#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

using testing::kNow;

class Audit : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bot_audit_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "audit.db").string();
    log_ = AuditLog::Open(path_).value();
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  AuditEntry Entry(int i, std::string user = "op1") {
    AuditEntry e;
    e.time_ms = kNow + i * 1000;
    e.user = std::move(user);
    e.channel = kChannelWecomApp;
    e.command = "backup restore";
    e.arguments = {"web-01", "/etc/hosts", std::to_string(i)};
    e.preview = "Restore web-01:/etc/hosts";
    e.decision = kDecisionExecuted;
    e.result = "queued as command #" + std::to_string(i);
    e.request_ids = {"command:" + std::to_string(i)};
    return e;
  }
  void AppendN(int n) {
    for (int i = 1; i <= n; ++i) ASSERT_EQ(log_->Append(Entry(i)).value(), i);
  }
  // What someone with sqlite3 on the file does, behind the log's back.
  void Tamper(const std::string& sql) {
    auto db = store::Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }
  AuditVerifyReport Verify() {
    auto r = log_->Verify();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditVerifyReport{};
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(Audit, AppendsChainedRowsAndReadsThemBackNewestFirst) {
  AppendN(3);
  auto rows = log_->Query(AuditQuery{}).value();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, 3);
  EXPECT_EQ(rows[2].prev_hash, kAuditGenesisHash);
  EXPECT_EQ(rows[1].prev_hash, rows[2].hash);
  EXPECT_EQ(rows[0].prev_hash, rows[1].hash);
  EXPECT_EQ(rows[2].hash, AuditRowHash(1, Entry(1), kAuditGenesisHash));
  EXPECT_EQ(rows[0].entry.arguments, Entry(3).arguments);
  EXPECT_EQ(rows[0].entry.request_ids, Entry(3).request_ids);
  EXPECT_EQ(rows[0].entry.result, "queued as command #3");
  auto head = log_->Head().value();
  EXPECT_EQ(head.first, 3);
  EXPECT_EQ(head.second, rows[0].hash);
  AuditVerifyReport ok = Verify();
  EXPECT_TRUE(ok.ok) << ok.problem;
  EXPECT_EQ(ok.rows, 3);
}

TEST_F(Audit, AnEmptyLogVerifies) {
  EXPECT_TRUE(Verify().ok);
  EXPECT_EQ(log_->Head().value().first, 0);
}

TEST_F(Audit, TheChainContinuesAfterReopening) {
  AppendN(2);
  log_ = AuditLog::Open(path_).value();
  EXPECT_EQ(log_->Append(Entry(3)).value(), 3);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(Audit, QueriesBySinceAndUserWithALimit) {
  AppendN(3);
  ASSERT_TRUE(log_->Append(Entry(4, "admin1")).ok());
  AuditQuery since;
  since.since_ms = kNow + 3000;
  auto rows = log_->Query(since).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].id, 3);
  AuditQuery user;
  user.user = "admin1";
  EXPECT_EQ(log_->Query(user).value().size(), 1u);
  AuditQuery limit;
  limit.limit = 2;
  EXPECT_EQ(log_->Query(limit).value().size(), 2u);
  // The chat command's and beaconctl's since parser.
  since.since_ms = ParseTimeOrAgo("since", "2s", kNow + 4000).value();
  EXPECT_EQ(log_->Query(since).value().size(), 3u);
}

TEST_F(Audit, AnEditedRowIsTheFirstBrokenRow) {
  AppendN(5);
  Tamper("UPDATE audit SET result = 'nothing happened' WHERE id = 3");
  AuditVerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_id, 3);
  EXPECT_EQ(r.problem, "row 3: hash mismatch (the row was edited)");
}

TEST_F(Audit, EditingAnyColumnBreaksTheRow) {
  AppendN(2);
  for (const char* column :
       {"time_ms = time_ms + 1", "user = 'x'", "channel = 'cli'", "command = 'status'",
        "arguments = '[]'", "preview = ''", "decision = 'refused'", "request_ids = '[]'"}) {
    SCOPED_TRACE(column);
    Tamper(std::string("UPDATE audit SET ") + column + " WHERE id = 2");
    EXPECT_EQ(Verify().first_bad_id, 2);
    log_.reset();
    std::filesystem::remove_all(dir_);
    log_ = AuditLog::Open(path_).value();
    AppendN(2);
  }
}

TEST_F(Audit, ARehashedRowBreaksTheNextRowsLink) {
  AppendN(4);
  AuditEntry forged = Entry(2);
  forged.result = "forged";
  const std::string prev = log_->Query(AuditQuery{}).value()[3].hash;  // row 1
  Tamper("UPDATE audit SET result = 'forged', hash = '" + AuditRowHash(2, forged, prev) +
         "' WHERE id = 2");
  AuditVerifyReport r = Verify();
  EXPECT_EQ(r.first_bad_id, 3);
  EXPECT_NE(r.problem.find("prev_hash does not match"), std::string::npos) << r.problem;
}

TEST_F(Audit, ADeletedRowInTheMiddleIsFound) {
  AppendN(5);
  Tamper("DELETE FROM audit WHERE id = 2");
  AuditVerifyReport r = Verify();
  EXPECT_EQ(r.first_bad_id, 2);
  EXPECT_EQ(r.problem, "row 2 is missing (next row is 3): deleted");
}

TEST_F(Audit, ADeletedTailIsFoundThroughTheAnchor) {
  AppendN(5);
  Tamper("DELETE FROM audit WHERE id >= 4");
  AuditVerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_id, 4);
  EXPECT_NE(r.problem.find("rows at the end were deleted"), std::string::npos) << r.problem;
  Tamper("DELETE FROM audit");
  EXPECT_FALSE(Verify().ok);
}

TEST_F(Audit, AnEditedOrDeletedAnchorIsFound) {
  AppendN(2);
  Tamper("UPDATE audit_anchor SET last_hash = 'x'");
  EXPECT_NE(Verify().problem.find("anchor's hash does not match row 2"), std::string::npos);
  Tamper("DELETE FROM audit_anchor");
  EXPECT_EQ(Verify().problem, "the anchor row is missing (deleted)");
  EXPECT_FALSE(log_->Append(Entry(3)).ok());  // no silent restart of the chain
}

TEST(AuditRowHash, FieldBoundariesAreUnambiguous) {
  AuditEntry a;
  a.user = "ab";
  a.channel = "c";
  AuditEntry b;
  b.user = "a";
  b.channel = "bc";
  EXPECT_NE(AuditRowHash(1, a, kAuditGenesisHash), AuditRowHash(1, b, kAuditGenesisHash));
  AuditEntry c;
  c.arguments = {"a b"};
  AuditEntry d;
  d.arguments = {"a", "b"};
  EXPECT_NE(AuditRowHash(1, c, kAuditGenesisHash), AuditRowHash(1, d, kAuditGenesisHash));
  EXPECT_NE(AuditRowHash(1, a, kAuditGenesisHash), AuditRowHash(2, a, kAuditGenesisHash));
  EXPECT_EQ(AuditRowHash(1, a, kAuditGenesisHash).size(), 64u);
}

}  // namespace
}  // namespace beacon::bot
