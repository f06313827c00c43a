// AlertStore intake: Record and RecordAsync (receipts, folding, resolutions, joining groups) with
// group commit, and ResolveQuiet.
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {

Result<std::optional<int64_t>> AlertStore::Impl::FindFiring(const AlertInput& input) {
  if (!input.external_id.empty()) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("SELECT id FROM alerts WHERE source = ?1 AND external_id = ?2 AND status = 'firing' "
             "ORDER BY id DESC LIMIT 1"));
    s->Bind(1, input.source).Bind(2, input.external_id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) return std::optional<int64_t>(s->ColumnInt(0));
  }
  if (!input.fingerprint.empty()) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("SELECT id FROM alerts WHERE fingerprint = ?1 AND status = 'firing' "
             "ORDER BY id DESC LIMIT 1"));
    s->Bind(1, input.fingerprint);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) return std::optional<int64_t>(s->ColumnInt(0));
  }
  return std::optional<int64_t>();
}

Result<RecordResult> AlertStore::Impl::RecordInTx(const AlertInput& input,
                                                  const std::vector<GroupRef>& groups,
                                                  int64_t now_ms) {
  if (input.receipt_key.empty()) return Status::InvalidArgument("alert without a receipt key");
  Impl& im = *this;
  scheduled_flush_ms = 0;
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            im.Stmt("SELECT alert_id FROM receipts WHERE receipt_key = ?1"));
    s->Bind(1, input.receipt_key);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) return RecordResult{s->ColumnInt(0), RecordOutcome::kDuplicate};
  }
  const int64_t event_ms = input.event_ms != 0 ? input.event_ms : now_ms;
  RecordResult result;
  if (input.status == AlertStatus::kFiring) {
    std::optional<int64_t> firing;
    if (!input.fingerprint.empty()) {
      BEACON_ASSIGN_OR_RETURN(
          store::CachedStatement s,
          im.Stmt("SELECT id FROM alerts WHERE fingerprint = ?1 AND status = 'firing' "
                  "ORDER BY id DESC LIMIT 1"));
      s->Bind(1, input.fingerprint);
      BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) firing = s->ColumnInt(0);
    }
    if (firing) {
      BEACON_ASSIGN_OR_RETURN(
          store::CachedStatement s,
          im.Stmt("UPDATE alerts SET occurrences = occurrences + 1, message = ?2, severity = ?3, "
                  "updated_ms = ?4 WHERE id = ?1"));
      s->Bind(1, *firing).Bind(2, input.message).Bind(3, static_cast<int>(input.severity));
      s->Bind(4, now_ms);
      BEACON_RETURN_IF_ERROR(s->Run());
      result = {*firing, RecordOutcome::kFolded};
    } else {
      {
        BEACON_ASSIGN_OR_RETURN(
            store::CachedStatement s,
            im.Stmt("INSERT INTO alerts(source, fingerprint, external_id, status, severity, host, "
                    "title, message, tags_json, url, starts_ms, ends_ms, occurrences, "
                    "received_ms, updated_ms, raw_json) VALUES(?1, ?2, ?3, 'firing', ?4, ?5, ?6, "
                    "?7, ?8, ?9, ?10, 0, 1, ?11, ?11, ?12)"));
        s->Bind(1, input.source).Bind(2, input.fingerprint).Bind(3, input.external_id);
        s->Bind(4, static_cast<int>(input.severity)).Bind(5, input.host).Bind(6, input.title);
        s->Bind(7, input.message).Bind(8, Dump(nlohmann::json(input.tags))).Bind(9, input.url);
        s->Bind(10, event_ms).Bind(11, now_ms).Bind(12, Dump(input.raw));
        BEACON_RETURN_IF_ERROR(s->Run());
      }
      result = {im.db->LastInsertRowId(), RecordOutcome::kNew};
      for (const GroupRef& ref : groups) {
        BEACON_RETURN_IF_ERROR(im.JoinGroup(result.alert_id, ref, now_ms));
      }
    }
  } else {
    BEACON_ASSIGN_OR_RETURN(std::optional<int64_t> firing, im.FindFiring(input));
    if (firing) {
      BEACON_RETURN_IF_ERROR(im.ResolveAlert(*firing, event_ms, now_ms));
      result = {*firing, RecordOutcome::kResolved};
    } else {
      result = {0, RecordOutcome::kUnmatched};
    }
  }
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("INSERT INTO receipts(receipt_key, alert_id, outcome, received_ms, raw_json) "
                "VALUES(?1, ?2, ?3, ?4, ?5)"));
    s->Bind(1, input.receipt_key).Bind(2, result.alert_id);
    s->Bind(3, RecordOutcomeName(result.outcome)).Bind(4, now_ms);
    // An unmatched resolution exists only here, so its payload is kept for the record.
    s->Bind(5, result.outcome == RecordOutcome::kUnmatched ? Dump(input.raw) : std::string());
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  result.next_flush_ms = scheduled_flush_ms;
  return result;
}

Status AlertStore::Impl::ResolveAlert(int64_t alert_id, int64_t ends_ms, int64_t now_ms) {
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("UPDATE alerts SET status = 'resolved', ends_ms = ?2, updated_ms = ?3 "
             "WHERE id = ?1"));
    s->Bind(1, alert_id).Bind(2, ends_ms).Bind(3, now_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  std::vector<int64_t> group_ids;
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            Stmt("SELECT group_id FROM group_members WHERE alert_id = ?1"));
    s->Bind(1, alert_id);
    BEACON_ASSIGN_OR_RETURN(group_ids, FirstColumnIds(*s));
  }
  for (int64_t group_id : group_ids) {
    BEACON_RETURN_IF_ERROR(Reschedule(group_id, now_ms));
  }
  return Status::Ok();
}

// Record is RecordAsync and a wait: blocking callers and webhook handlers share the one writer
// thread and its group commit, and each caller returns only after its report is durable.
Result<RecordResult> AlertStore::Record(const AlertInput& input,
                                        const std::vector<GroupRef>& groups, int64_t now_ms) {
  Impl& im = *impl_;
  struct Answer {
    Mutex mu;
    std::condition_variable_any ready;
    std::optional<Result<RecordResult>> result BEACON_GUARDED_BY(mu);
  } answer;
  {
    MutexLock lock(im.intake_mu);
    ++im.intake.in_record;
  }
  RecordAsync(input, groups, now_ms, [&answer](Result<RecordResult> recorded) {
    MutexLock lock(answer.mu);
    answer.result = std::move(recorded);
    answer.ready.notify_one();
  });
  Result<RecordResult> result = Status::Internal("not recorded");
  {
    UniqueLock lock(answer.mu);
    while (!answer.result.has_value()) answer.ready.wait(lock);
    result = std::move(*answer.result);
  }
  MutexLock lock(im.intake_mu);
  --im.intake.in_record;
  return result;
}

// The asynchronous intake: the HTTP handlers hand their report over and return, so no worker
// thread sleeps through the commit and none has to be woken after it; the writer thread wakes
// only when it was idle, and one commit answers the whole batch.
void AlertStore::RecordAsync(AlertInput input, std::vector<GroupRef> groups, int64_t now_ms,
                             RecordDone done) {
  Impl& im = *impl_;
  MutexLock lock(im.async_mu);
  im.async_queue.push_back({std::move(input), std::move(groups), now_ms, std::move(done)});
  ++im.async_submitted;
  if (!im.writer.joinable()) {
    im.writer = std::thread([&im] { im.WriterLoop(); });
  } else if (im.async_waiting) {
    im.async_work.notify_one();
  }
}

void AlertStore::WaitRecorded() {
  Impl& im = *impl_;
  UniqueLock lock(im.async_mu);
  const int64_t target = im.async_submitted;
  while (im.async_answered < target) im.async_idle.wait(lock);
}

void AlertStore::Impl::WriterLoop() {
  UniqueLock lock(async_mu);
  while (true) {
    while (async_queue.empty() && !async_stop) {
      async_waiting = true;
      async_work.wait(lock);
      async_waiting = false;
    }
    if (async_queue.empty()) return;  // stopping, and every report was answered
    std::vector<AsyncRecord> items;
    items.swap(async_queue);
    lock.unlock();
    std::vector<PendingRecord> pending;
    pending.reserve(items.size());
    for (AsyncRecord& item : items) {
      pending.push_back({&item.input, &item.groups, item.now_ms, Status::Internal("not recorded")});
    }
    const int64_t commits = RecordBatch(pending);
    {
      MutexLock intake_lock(intake_mu);
      intake.commits += commits;
      for (const PendingRecord& p : pending) intake.reports += p.result.ok() ? 1 : 0;
    }
    for (size_t i = 0; i < items.size(); ++i) items[i].done(std::move(pending[i].result));
    lock.lock();
    async_answered += static_cast<int64_t>(items.size());
    async_idle.notify_all();
  }
}

void AlertStore::Impl::StopWriter() {
  std::thread stopping;
  {
    MutexLock lock(async_mu);
    async_stop = true;
    async_work.notify_one();
    stopping = std::move(writer);
  }
  if (stopping.joinable()) stopping.join();
}

AlertIntakeStats AlertStore::IntakeStats() {
  AlertIntakeStats stats;
  {
    MutexLock lock(impl_->intake_mu);
    stats = impl_->intake;
  }
  MutexLock lock(impl_->async_mu);
  stats.queued = static_cast<int64_t>(impl_->async_queue.size());
  return stats;
}

int64_t AlertStore::Impl::RecordBatch(std::vector<PendingRecord>& batch) {
  MutexLock lock(mu);
  // The whole batch in one transaction, without a savepoint per report: a savepoint makes
  // SQLite copy every page a report touches into a statement journal (a temporary file opened
  // and deleted per transaction), which cost as many page writes as the WAL itself. A report
  // rarely fails, so when one does the batch is undone and each report retried alone: the
  // failing one leaves no trace and the others are unaffected.
  if (RecordTogether(batch.data(), batch.size()).ok()) return 1;
  if (batch.size() == 1) return 0;
  int64_t commits = 0;
  for (PendingRecord& pending : batch) {
    if (RecordTogether(&pending, 1).ok()) ++commits;  // sets pending.result either way
  }
  return commits;
}

Status AlertStore::Impl::RecordTogether(PendingRecord* batch, size_t count) {
  store::Transaction tx(*db);
  Status status = tx.status();
  for (size_t i = 0; i < count && status.ok(); ++i) {
    batch[i].result = RecordInTx(*batch[i].input, *batch[i].groups, batch[i].now_ms);
    status = batch[i].result.status();
  }
  if (status.ok()) status = tx.Commit();
  if (!status.ok()) {
    for (size_t i = 0; i < count; ++i) batch[i].result = status;
  }
  return status;
}

Result<int64_t> AlertStore::ResolveQuiet(const std::string& source, int64_t quiet_since_ms,
                                         int64_t now_ms) {
  MutexLock lock(impl_->mu);
  Impl& im = *impl_;
  store::Transaction tx(*im.db);
  BEACON_RETURN_IF_ERROR(tx.status());
  std::vector<int64_t> quiet;
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("SELECT id FROM alerts WHERE status = 'firing' AND source = ?1 AND "
                "updated_ms < ?2"));
    s->Bind(1, source).Bind(2, quiet_since_ms);
    BEACON_ASSIGN_OR_RETURN(quiet, FirstColumnIds(*s));
  }
  for (int64_t id : quiet) BEACON_RETURN_IF_ERROR(im.ResolveAlert(id, now_ms, now_ms));
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return static_cast<int64_t>(quiet.size());
}

}  // namespace beacon::collector::alerts
