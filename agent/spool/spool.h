// Spool: the agent's durable outbox (SQLite, WAL, synchronous=FULL). Every record gets its
// per-agent seq here and is stored as its final wire JSON, so a batch is the stored texts
// joined. Several processes may append at once (`beacon-agent emit` next to `run`): every write
// is a BEGIN IMMEDIATE transaction with a generous busy timeout. One Spool object is
// thread-safe (an internal mutex serialises its single connection).
//
// Seqs never repeat, even across a deleted and re-created spool: a new spool starts its
// sequence at the current time in microseconds, far above any seq an older spool of this host
// could have reached at one record per microsecond, so the collector's idempotency on
// (agent, seq) never mistakes new records for re-sent ones.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/store/sqlite.h"
#include "common/wire/wire.h"

namespace beacon::agent {

struct SpoolOptions {
  std::string path;
  // Total payload bytes kept; above it the oldest samples are deleted (never events).
  int64_t max_bytes = int64_t{256} << 20;
  int busy_timeout_ms = 60'000;
  // Hard cap on the payload bytes of events waiting in the spool (events are never deleted to
  // make room): an append whose events would go beyond it is refused or has its events dropped,
  // as its EventCapPolicy says.
  int64_t max_event_bytes = int64_t{1} << 30;
};

// What Append does with events that would take the spool past max_event_bytes.
enum class EventCapPolicy {
  // Nothing of the append is stored; ResourceExhausted saying the spool is full and why. For
  // callers that can tell someone or try again: `beacon-agent emit`, backups.
  kRefuse,
  // Those events are dropped and counted (dropped_events_total, reported like dropped
  // samples); the append's samples and the events that fit are stored. For inputs, which
  // gather again on their next interval and have no one to tell.
  kDropEvents,
};

struct SpoolStats {
  int64_t pending_records = 0;
  int64_t pending_bytes = 0;
  int64_t pending_event_bytes = 0;
  int64_t dropped_samples_total = 0;  // samples deleted by the cap, ever (persistent)
  int64_t dropped_events_total = 0;   // events refused by max_event_bytes, ever (persistent)
};

struct SpooledRecord {
  uint64_t seq = 0;
  wire::RecordType type = wire::RecordType::kSample;
  std::string payload;  // wire::EncodeRecord text including the seq
};

// Samples and events dropped since the last report, for the agent.spool.dropped event.
struct DroppedReport {
  int64_t newly_dropped = 0;  // samples
  int64_t total = 0;          // samples, ever
  int64_t newly_dropped_events = 0;
  int64_t events_total = 0;
};

class Spool {
 public:
  // Creates the file (and its directory) if missing.
  static Result<std::unique_ptr<Spool>> Open(const SpoolOptions& options, const Clock& clock);

  // Assigns seqs (the records' seq fields are ignored) and stores the records in one
  // transaction, then enforces the cap. Returns the seqs assigned to the records stored, in
  // order. Fails with InvalidArgument (nothing stored) if any record would be refused by the
  // collector. Events that would take the spool past max_event_bytes are handled as `policy`
  // says (kRefuse: ResourceExhausted, nothing stored).
  Result<std::vector<uint64_t>> Append(std::vector<wire::Record> records,
                                       EventCapPolicy policy = EventCapPolicy::kRefuse);
  // Oldest first: at most max_records, and stops before max_bytes of payload would be
  // exceeded, except that the first record is always returned (it must be sendable alone).
  Result<std::vector<SpooledRecord>> Peek(size_t max_records, int64_t max_bytes);
  // Deletes every record with seq <= acked_through.
  Status Ack(uint64_t acked_through);
  Result<SpoolStats> Stats();
  // When dropped_samples_total or dropped_events_total grew since the last report marked with
  // MarkDroppedReported, returns the growth; std::nullopt otherwise.
  Result<std::optional<DroppedReport>> PendingDroppedReport();
  // Records (persistently) that `report` reached the spool, so the next PendingDroppedReport
  // counts from its totals.
  Status MarkDroppedReported(const DroppedReport& report);

  const std::string& path() const { return options_.path; }

 private:
  Spool(SpoolOptions options, std::unique_ptr<store::Database> db)
      : options_(std::move(options)), db_(std::move(db)) {}
  Status EnforceCapLocked(int64_t* dropped);
  Result<int64_t> MetaLocked(const char* key);

  SpoolOptions options_;
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;  // guarded by mu_
  bool over_cap_warned_ = false;         // guarded by mu_
  bool event_cap_warned_ = false;        // guarded by mu_
};

}  // namespace beacon::agent
