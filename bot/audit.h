// The bot's audit log: an append-only, hash-chained SQLite table of every command attempt —
// who, when, channel, command, arguments, preview, decision, result, cloud request ids. Each
// row's hash is SHA-256 over a canonical encoding of the row and the previous row's hash; an
// anchor row (the id and hash of the newest row, written in the same transaction) makes a
// deleted tail detectable. docs/bot.md says what Verify can and cannot detect. Thread-safe: one
// connection behind a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "common/store/sqlite.h"

namespace beacon::bot {

// Decisions, the `decision` column.
inline constexpr char kDecisionRead[] = "read";            // a read command answered
inline constexpr char kDecisionProposed[] = "proposed";    // a mutating command's preview shown
inline constexpr char kDecisionConfirmed[] = "confirmed";  // confirmed; about to execute
inline constexpr char kDecisionExecuted[] = "executed";    // applied (or a direct change)
inline constexpr char kDecisionFailed[] = "failed";        // applying or running it failed
inline constexpr char kDecisionRefused[] = "refused";      // role, unknown user, bad code
inline constexpr char kDecisionCancelled[] = "cancelled";  // `cancel`, or replaced by a new plan
inline constexpr char kDecisionExpired[] = "expired";      // confirmed after bot.confirm_ttl

// What a caller appends.
struct AuditEntry {
  int64_t time_ms = 0;
  std::string user;     // the sender's principal (Sender::Principal)
  std::string channel;  // wecom_app | wecom_robot | cli
  std::string command;  // the command's name ("backup restore"); the first word if unknown
  std::vector<std::string> arguments;
  std::string preview;
  std::string decision;                  // kDecision*
  std::string result;                    // reply or error text (bounded by the caller)
  std::vector<std::string> request_ids;  // agent command ids, cloud request ids
};

struct AuditRecord {
  int64_t id = 0;
  AuditEntry entry;
  std::string prev_hash;  // hex
  std::string hash;       // hex
};

struct AuditQuery {
  std::optional<int64_t> since_ms;  // time_ms >= since
  std::optional<std::string> user;  // exact principal
  int limit = 100;                  // newest first
};

struct AuditVerifyReport {
  bool ok = true;
  int64_t rows = 0;          // rows checked
  int64_t first_bad_id = 0;  // the first row that fails (0 when ok, or the anchor is at fault)
  std::string problem;       // "row 12: hash mismatch (edited)", "" when ok
};

// The hash of "no previous row": 64 zeros.
extern const char kAuditGenesisHash[];

// SHA-256 hex of the canonical encoding of (id, entry, prev_hash): every field
// length-prefixed in a fixed order, lists as a count then their elements, so no two different
// rows encode alike. Pure; exposed for tests.
std::string AuditRowHash(int64_t id, const AuditEntry& entry, const std::string& prev_hash);

class AuditLog {
 public:
  // Opens (creating) the SQLite file at `path` and applies the schema.
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();

  // Appends one row, chained to the newest; returns its id. Errors: IoError.
  Result<int64_t> Append(const AuditEntry& entry);
  Result<std::vector<AuditRecord>> Query(const AuditQuery& query);
  // Walks the chain from the first row: ids must be consecutive from 1, each prev_hash the
  // previous row's hash, each hash recomputed equal, and the anchor must name the last row.
  Result<AuditVerifyReport> Verify();
  // The id and hash of the newest row (0 and the genesis hash when empty): copy it somewhere
  // the database's writers cannot reach to detect a rewritten chain.
  Result<std::pair<int64_t, std::string>> Head();

 private:
  explicit AuditLog(std::unique_ptr<store::Database> db);
  Mutex mu_;
  std::unique_ptr<store::Database> db_ BEACON_GUARDED_BY(mu_);
};

}  // namespace beacon::bot
