// The private half of AlertStore, shared by the files that implement it one concern each:
// alert_store_schema.cpp (schema, opening), alert_store_intake.cpp (Record with group commit,
// resolutions), alert_store_groups.cpp (notification groups and their flushes),
// alert_store_outbox.cpp (outbox rows and deliveries), alert_store_queries.cpp (listing and
// stats), alert_store_silences.cpp, alert_store_retention.cpp (Prune); alert_store.cpp holds the
// row helpers they all use. Include it from those files only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "common/mutex.h"
#include "common/store/sqlite.h"

namespace beacon::collector::alerts {

constexpr char kAlertColumns[] =
    "a.id, a.source, a.fingerprint, a.external_id, a.status, a.severity, a.host, a.title, "
    "a.message, a.tags_json, a.url, a.starts_ms, a.ends_ms, a.occurrences, a.received_ms, "
    "a.updated_ms";
constexpr int kAlertColumnCount = 16;

constexpr char kDeliveryColumns[] =
    "id, receiver, notification_json, state, attempts, next_try_ms, last_error, created_ms, "
    "delivered_ms, parts_done, row_count";

std::string_view StatusName(AlertStatus status);
AlertStatus ParseStatus(const std::string& text);
DeliveryState ParseDeliveryState(const std::string& text);
// JSON text for storage; invalid UTF-8 from a source is replaced rather than failing the write.
std::string Dump(const nlohmann::json& j);
nlohmann::json ParseStoredJson(const std::string& text);
Severity SeverityFromInt(int64_t value);
// Reads kAlertColumns starting at column `first`.
AlertView ReadAlert(const store::Statement& s, int first = 0);
// Steps the bound statement to its end and returns its first column (ids).
Result<std::vector<int64_t>> FirstColumnIds(store::Statement& s);

struct GroupRow {
  int64_t id = 0;
  std::string receiver;
  int64_t interval_ms = 0;
  int64_t repeat_ms = 0;
  std::optional<int64_t> last_flush_ms;
  int64_t last_notified_ms = 0;
  std::optional<int64_t> next_flush_ms;
};

struct Member {
  AlertView alert;
  std::string notified_status;
};

// Outbox bookkeeping (group flushes, deliveries and their marks) commits without waiting for
// the disk: synchronous=NORMAL in WAL mode survives a process crash, and the next full commit
// (every Record) makes it durable too. A power cut can therefore lose at most a few marks,
// which costs a repeated message, never an alert. Set outside any transaction.
class RelaxedSync {
 public:
  explicit RelaxedSync(store::Database& db);
  ~RelaxedSync();
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

 private:
  store::Database& db_;
  bool relaxed_ = false;
};

struct AlertStore::Impl {
  explicit Impl(std::unique_ptr<store::Database> database) : db(std::move(database)) {}

  // The connection's cached statement for sql (callers hold `mu`); reset when the lease ends.
  Result<store::CachedStatement> Stmt(const char* sql) { return db->Cached(sql); }

  Result<std::optional<int64_t>> FindFiring(const AlertInput& input);
  // Record's work inside the caller's transaction.
  Result<RecordResult> RecordInTx(const AlertInput& input, const std::vector<GroupRef>& groups,
                                  int64_t now_ms);
  // Marks a firing alert resolved at ends_ms and schedules the groups it belongs to.
  Status ResolveAlert(int64_t alert_id, int64_t ends_ms, int64_t now_ms);
  Status JoinGroup(int64_t alert_id, const GroupRef& ref, int64_t now_ms);
  Status Reschedule(int64_t group_id, int64_t now_ms);
  Result<std::optional<GroupRow>> LoadGroup(int64_t group_id);
  // Records that a group flush was scheduled at ms (RecordInTx reports the earliest).
  void NoteScheduled(int64_t ms) {
    if (scheduled_flush_ms == 0 || ms < scheduled_flush_ms) scheduled_flush_ms = ms;
  }
  Result<std::vector<Member>> LoadMembers(int64_t group_id);
  Result<int64_t> AddRow(const GroupRow& group, notifier::NotificationKind kind,
                         const std::vector<std::pair<int64_t, AlertStatus>>& entries,
                         int64_t now_ms);
  Result<notifier::Notification> BuildNotification(int64_t delivery_id, const std::string& receiver,
                                                   std::optional<notifier::NotificationKind> kind,
                                                   int64_t now_ms, int max_listed);
  Result<std::vector<AlertDelivery>> DeliveriesOf(int64_t alert_id);

  // One report of a batch the writer thread records.
  struct PendingRecord {
    const AlertInput* input;
    const std::vector<GroupRef>* groups;
    int64_t now_ms;
    Result<RecordResult> result;
  };
  // Records the batch in one transaction; sets each result. Returns how many transactions
  // committed (1, or after a failure those of the retries, one report each).
  int64_t RecordBatch(std::vector<PendingRecord>& batch);
  // Records `count` reports in one transaction, all or none: on an error every result is that
  // error and nothing is written.
  Status RecordTogether(PendingRecord* batch, size_t count);
  Mutex intake_mu;
  AlertIntakeStats intake BEACON_GUARDED_BY(intake_mu);  // but `queued`, read from async_queue

  // RecordAsync's writer thread, started by the first RecordAsync and stopped (after it drained
  // its queue) by ~AlertStore.
  struct AsyncRecord {
    AlertInput input;
    std::vector<GroupRef> groups;
    int64_t now_ms;
    RecordDone done;
  };
  void WriterLoop();
  void StopWriter();
  Mutex async_mu;
  std::condition_variable_any async_work;  // the writer waits for reports or the stop
  std::condition_variable_any async_idle;  // WaitRecorded waits for the writer to catch up
  std::vector<AsyncRecord> async_queue BEACON_GUARDED_BY(async_mu);
  int64_t async_submitted BEACON_GUARDED_BY(async_mu) = 0;  // reports given to RecordAsync
  int64_t async_answered BEACON_GUARDED_BY(async_mu) = 0;   // of which `done` returned
  bool async_waiting BEACON_GUARDED_BY(async_mu) = false;   // the writer waits on async_work
  bool async_stop BEACON_GUARDED_BY(async_mu) = false;
  std::thread writer;  // under async_mu until StopWriter
  Result<Delivery> ReadDelivery(const store::Statement& s);
  Status UpdateDelivery(const char* sql, int64_t id,
                        const std::function<void(store::Statement&)>& bind);

  std::unique_ptr<store::Database> db;  // destroyed after the cached statements
  Mutex mu;
  int64_t scheduled_flush_ms = 0;  // under mu; see NoteScheduled
};

}  // namespace beacon::collector::alerts
