// AlertStore: the durable state of the alert pipeline in its own SQLite file (alerts.path):
// alerts and their receipts, notification groups, silences, and the outbox (one row per
// notification x receiver, grouped into deliveries that notifiers send). Every method is one
// transaction, so a SIGKILL at any point leaves a state the pipeline resumes from.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collector/alerts/alert.h"
#include "common/status.h"
#include "common/store/sqlite.h"
#include "notifier/notifier.h"

namespace beacon::collector::alerts {

enum class DeliveryState { kPending, kDelivered, kFailed };
std::string_view DeliveryStateName(DeliveryState state);  // "pending" | "delivered" | "failed"

// One delivery: what a notifier sends (or sent) as one message / numbered series.
struct Delivery {
  int64_t id = 0;
  std::string receiver;
  notifier::Notification notification;  // notification.id == id
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  int64_t next_try_ms = 0;
  std::string last_error;
  int64_t created_ms = 0;
  int64_t delivered_ms = 0;
  int64_t rows = 0;  // outbox rows (group notifications) it covers
};

// Delivery state of one alert at one receiver, for `beaconctl alerts` and the API.
struct AlertDelivery {
  std::string receiver;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  std::string last_error;
  int64_t delivered_ms = 0;
  std::string status;  // the alert status that notification was about: "firing" | "resolved"
};

struct StoredAlert {
  AlertView alert;
  int64_t received_ms = 0;  // first received
  int64_t updated_ms = 0;   // last report (fold, resolve)
  std::vector<AlertDelivery> deliveries;
};

struct AlertQuery {
  std::optional<AlertStatus> status;
  std::optional<std::string> source;
  std::optional<std::string> host;  // exact
  bool undelivered_only = false;    // some delivery not (yet) delivered: pending or failed
  std::optional<int64_t> since_ms;  // received at or after
  int limit = 100;                  // newest first
};

// Who acknowledged an alert (the chat bot's `ack ID`) and when.
struct AlertAck {
  std::string by;
  int64_t acked_ms = 0;
};

struct AlertStoreStats {
  int64_t firing = 0;
  int64_t alerts = 0;
  std::vector<std::pair<std::string, int64_t>> queued_by_receiver;  // rows not yet delivered
  int64_t deliveries_pending = 0;
  int64_t deliveries_failed = 0;
  int64_t deliveries_delivered = 0;
};

// The group commit of Record and RecordAsync since Open (tests, diagnostics).
struct AlertIntakeStats {
  int64_t reports = 0;    // reports recorded (any outcome)
  int64_t commits = 0;    // transactions that committed them: reports / commits is the batch
  int64_t queued = 0;     // reports waiting now for the writer thread to take them
  int64_t in_record = 0;  // Record calls under way now (queued, being recorded or waking up)
};

// What one retention pass deleted.
struct AlertPruneResult {
  int64_t alerts = 0;  // resolved alerts (with their receipts)
  int64_t receipts = 0;
  int64_t deliveries = 0;  // delivered or failed deliveries (with their outbox rows)
  int64_t silences = 0;
};

class AlertStore {
 public:
  // Creates or migrates the database file (WAL).
  static Result<std::unique_ptr<AlertStore>> Open(const std::string& path);
  ~AlertStore();

  // --- intake -------------------------------------------------------------------------------
  // One transaction: receipt check (kDuplicate when receipt_key was seen); a firing input folds
  // into the firing alert with the same fingerprint (kFolded: occurrences+1, message and
  // severity updated, no new notification) or becomes a new alert that joins the group of every
  // GroupRef (creating groups as needed; a new group flushes at now + wait, an existing one at
  // max(now, last_flush + interval)). A resolved input resolves the firing alert of the same
  // source and external_id, else the firing alert with its fingerprint (kResolved: ends_ms =
  // event_ms or now; its groups are scheduled like a new member), else kUnmatched.
  // Record is RecordAsync and a wait for its answer: concurrent calls (and RecordAsync reports)
  // are committed together by the writer thread (group commit); each returns once its own
  // report is durable, and a failing report does not affect the others.
  // RecordResult::next_flush_ms is the earliest flush the report scheduled (0: none).
  Result<RecordResult> Record(const AlertInput& input, const std::vector<GroupRef>& groups,
                              int64_t now_ms);
  // Record without waiting: the report (copied) joins the queue of the store's writer thread,
  // which records whatever has queued in one transaction and then calls each `done` with what
  // Record would have returned, on that thread, outside the store's locks. `done` must not wait for
  // another RecordAsync.
  void RecordAsync(AlertInput input, std::vector<GroupRef> groups, int64_t now_ms, RecordDone done);
  // Returns once every report given to RecordAsync before the call is recorded and its `done`
  // has returned.
  void WaitRecorded();
  AlertIntakeStats IntakeStats();
  // Resolves every firing alert of `source` not reported since quiet_since_ms (ends_ms = now),
  // scheduling its groups like a resolution. For sources without recoveries (Splunk).
  // Returns how many were resolved.
  Result<int64_t> ResolveQuiet(const std::string& source, int64_t quiet_since_ms, int64_t now_ms);

  // --- groups ---------------------------------------------------------------------------------
  // Groups whose next flush is due (next_flush_ms <= now), oldest first.
  Result<std::vector<int64_t>> DueGroups(int64_t now_ms, int limit = 256);
  // The earliest next flush of any group, if any (so the flusher can sleep until then).
  Result<std::optional<int64_t>> NextGroupFlushMs();
  // One transaction. Members whose status differs from what was last notified to the group's
  // receiver, and that `muted` does not mute (silence, inhibition), become one outbox row
  // (kind kGroup). When nothing changed and repeat is due, every firing unmuted member becomes a
  // kRepeat row. A resolved member whose firing was never notified is marked done silently.
  // Notified-resolved members leave the group; an empty group is deleted. The next flush is
  // scheduled at now + interval if muted changes remain, now + repeat if firing members remain,
  // none otherwise. Returns the new outbox row id, or nullopt when nothing was queued.
  Result<std::optional<int64_t>> FlushGroup(int64_t group_id, int64_t now_ms,
                                            const std::function<bool(const AlertView&)>& muted);
  // Every firing alert of at least min_severity (for inhibition: the caller decides which of
  // them mute others; the pipeline asks only for the severities its rules' sources can match).
  Result<std::vector<AlertView>> FiringAlerts(Severity min_severity = Severity::kNotClassified);

  // --- outbox ---------------------------------------------------------------------------------
  // Receivers with outbox rows not yet in a delivery, or deliveries pending.
  Result<std::vector<std::string>> ActiveReceivers();
  // The receiver's oldest pending delivery (a retry of exactly the same notification), if any.
  Result<std::optional<Delivery>> PendingDelivery(const std::string& receiver);
  // Rows of the receiver not yet in a delivery.
  Result<int64_t> QueuedRows(const std::string& receiver);
  // One transaction: takes the receiver's queued rows (oldest first; at most max_rows, 0: all)
  // into a new pending delivery. One row: its own kind (kGroup/kRepeat) with all its alerts.
  // Several rows: a kSummary whose alerts list holds at most `max_listed` alerts (most severe
  // first, then oldest) while total_alerts, firing/resolved and by_severity/by_host count every
  // alert of every row. Alert snapshots carry the status the row was about. nullopt when nothing
  // was queued.
  Result<std::optional<Delivery>> CreateDelivery(const std::string& receiver, int64_t now_ms,
                                                 int max_rows, int max_listed = 20);
  Status MarkDelivered(int64_t delivery_id, int64_t now_ms, int parts_done);
  Status MarkRetry(int64_t delivery_id, int64_t next_try_ms, const std::string& error,
                   int parts_done);
  Status MarkFailed(int64_t delivery_id, int64_t now_ms, const std::string& error);
  // delivered_ms of the receiver's most recent delivered messages (newest first, at most n),
  // counting each part as a message, so a restarted process keeps the rate limit.
  Result<std::vector<int64_t>> RecentSends(const std::string& receiver, int n);
  // Failed deliveries back to pending with next_try now (operator's "retry").
  Result<int64_t> RetryFailed(const std::string& receiver, int64_t now_ms);

  // --- queries, silences ----------------------------------------------------------------------
  Result<std::vector<StoredAlert>> ListAlerts(const AlertQuery& query);
  Result<StoredAlert> GetAlert(int64_t id);  // NotFound
  Result<std::vector<Delivery>> ListDeliveries(std::optional<DeliveryState> state, int limit);

  Result<Silence> CreateSilence(const Silence& silence);  // id and created_ms assigned
  // Active and future silences; with include_expired also ended and expired ones (newest first).
  Result<std::vector<Silence>> ListSilences(int64_t now_ms, bool include_expired);
  Status ExpireSilence(int64_t id, int64_t now_ms);  // NotFound; already ended: OK, unchanged

  Result<AlertStoreStats> Stats();

  // --- acknowledgements (alert_store_acks.cpp) -------------------------------------------------
  // Records that `by` acknowledged the firing alert (a later ack replaces the earlier one).
  // NotFound for an unknown id, FailedPrecondition for a resolved alert. An ack changes no
  // notification: it tells the other readers that someone is on it.
  Status Ack(int64_t alert_id, const std::string& by, int64_t now_ms);
  // The acknowledgements of those of `alert_ids` that have one.
  Result<std::map<int64_t, AlertAck>> Acks(const std::vector<int64_t>& alert_ids);

  // Retention: deletes deliveries finished (delivered or failed) before cutoff_ms with their
  // outbox rows; then resolved alerts last updated before it that no group or pending
  // notification refers to, with their receipts (a replay of such an old report would count as
  // new); receipts of unmatched resolutions and silences that ended before it. Firing alerts and
  // pending deliveries are never deleted. Works in chunks; stops early when *cancel is set.
  Result<AlertPruneResult> Prune(int64_t cutoff_ms, const std::atomic<bool>* cancel = nullptr);

 private:
  explicit AlertStore(std::unique_ptr<store::Database> db);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::collector::alerts
