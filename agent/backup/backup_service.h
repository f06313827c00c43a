// BackupService: the agent's backup-on-close pipeline (docs/backup.md). The watcher pushes
// closed files into a queue keyed by (set, path); after a debounce after the LAST close, a file
// is backed up once two stats a debounce apart agree and no process holds it open for writing
// (lease probe); a bounded pool of workers calls Uploader::BackupDeferRecord and commits each
// stored version through CommitVersions (store Sync -> spool -> state), retrying failures with
// exponential backoff and jitter. Reconcile scans run at start-up, periodically and at once on
// IN_Q_OVERFLOW. Stored versions become `backup.version` events, exhausted retries one
// `backup.failed`, a set without success for max_age one `backup.stale`, all through the
// RecordSink (the spool). `beacon-agent backup once` is BackupOnce (backup_once.h); RunSetNow
// (the "backup.run" command) runs one set through it while the workers leave that set alone.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/backup/backup_config.h"
#include "agent/backup/backup_once.h"
#include "agent/backup/globs.h"
#include "agent/backup/reconciler.h"
#include "agent/backup/state.h"
#include "agent/backup/uploader.h"
#include "agent/backup/version_commit.h"
#include "agent/backup/watcher.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"
#include "common/wire/wire.h"

namespace beacon::agent::backup {

// Counters since Start(), also sent as samples every metrics_interval_ms:
//   backup.queue_depth               files waiting (debounce, stability, retry) or uploading
//   backup.files_stored_total        versions stored
//   backup.bytes_stored_total        bytes written to the store (compressed, maybe encrypted)
//   backup.failures_total            backup.failed events raised
//   backup.last_success_age_seconds  {set}: since the set's last stored/unchanged file
struct BackupMetrics {
  uint64_t queue_depth = 0;
  uint64_t files_stored = 0;
  uint64_t bytes_stored = 0;
  uint64_t files_unchanged = 0;
  uint64_t failures = 0;
  uint64_t busy_deferrals = 0;  // stability checks that found a writer or a changing file
  uint64_t reconciles = 0;      // reconcile scans completed
  uint64_t overflows = 0;       // IN_Q_OVERFLOW reports
  uint64_t stale_checks = 0;    // max_age evaluations (every 10 s and on Poke)
};

struct BackupServiceOptions {
  int64_t metrics_interval_ms = 60'000;
  size_t max_queued = 100'000;  // more files waiting: drop and reconcile when it drains
  bool watch = true;            // false: reconcile scans only (tests, no inotify)
  uint64_t jitter_seed = 0;     // 0: random
  // Called by a worker after a version is stored and the store synced, before its
  // backup.version record is spooled: the fault-injection point `backup.before_spool` of
  // agent/service.cpp, which kills the agent there. Empty in normal runs.
  std::function<void()> before_spool;
};

class BackupService {
 public:
  // `uploaders` maps a store name to the Uploader of that store; every set's store must be
  // present. References must outlive the service.
  BackupService(BackupConfig config, std::map<std::string, Uploader*> uploaders, BackupState& state,
                const Clock& clock, BackupServiceOptions options = {});
  ~BackupService();
  BackupService(const BackupService&) = delete;
  BackupService& operator=(const BackupService&) = delete;

  // Starts the watcher (failure to watch is logged; reconcile scans still run), the workers
  // and the control thread, which runs the start-up reconcile at once.
  Status Start(RecordSink sink);
  // Stops every thread; uploads in progress finish first. Queued files are found again by the
  // next start's reconcile.
  void Stop();

  // Re-evaluates timers now (tests that move a FakeClock call this after AdvanceMs).
  void Poke();
  // Requests a reconcile scan of every set (what IN_Q_OVERFLOW does).
  void RequestReconcile();
  // Files closed after writing (what the watcher reports).
  void OnFilesClosed(const std::vector<std::string>& paths);

  // Backs the set named `set_name` up now: one BackupOnce run of the set (reconcile scan, every
  // changed file uploaded at once, committed through CommitVersions) on the calling thread,
  // keeping the versions in the summary. It never races the workers for the same files: it
  // starts once the set's uploads in progress have finished, and the set's files that fall due
  // meanwhile wait for its end (and then read as unchanged). `progress` as in
  // BackupOnceOptions (may be empty). Errors: InvalidArgument for an unknown set (naming the
  // known ones); FailedPrecondition when a run of the same set is already in progress (this
  // one is refused, not queued) or the service is not running; Unavailable when the service
  // stops before the run starts. Stop() during the run ends it early with `interrupted`.
  Result<OnceSetSummary> RunSetNow(const std::string& set_name,
                                   const std::function<void(const OnceProgress&)>& progress);

  BackupMetrics metrics();
  // Blocks until `pred(metrics())` holds or Stop(); for tests and `backup once`.
  bool WaitFor(const std::function<bool(const BackupMetrics&)>& pred, int64_t timeout_ms);

 private:
  struct Item {
    size_t set = 0;
    std::string path;
    int64_t due_ms = 0;  // monotonic
    FileStat last_stat;  // the stat the stability check compares with
    int attempts = 0;    // failed Backup calls since the last close
    bool in_flight = false;
    bool closed_again = false;  // a close came while a worker had it
  };
  using Key = std::pair<size_t, std::string>;

  void Enqueue(size_t set, const std::string& path, const FileStat& stat, bool from_scan);
  void Schedule(Item* item, int64_t due_ms) BEACON_REQUIRES(mu_);
  void Worker();
  void Control();
  // One item through stability check and upload, without the lock.
  void Process(Key key, FileStat last_stat, int attempts) BEACON_EXCLUDES(mu_);
  void Finish(const Key& key, bool done, int64_t retry_due_ms, const FileStat& stat, int attempts);
  // Whether a worker is uploading a file of set `set`.
  bool SetInFlight(size_t set) BEACON_REQUIRES(mu_);
  // Ends RunSetNow's hold on set `set`: the files it held fall due now.
  void EndRun(size_t set) BEACON_EXCLUDES(mu_);
  void Reconcile();
  void CheckStale();
  void EmitMetrics();
  void Emit(wire::Record record);
  wire::Record EventRecord(std::string kind, std::string severity, std::string subject,
                           std::string message, nlohmann::json data);
  // The wait before retry `attempts` of a file (common/backoff.h, jitter drawn from rng_).
  int64_t RetryDelayMs(int attempts);
  // Raises backup.failed for one file of set `set_index`.
  void Fail(size_t set_index, const std::string& path, const std::string& error, int attempts);

  BackupConfig config_;
  std::map<std::string, Uploader*> uploaders_;
  BackupState& state_;
  const Clock& clock_;
  BackupServiceOptions options_;
  std::vector<SetSelector> selectors_;
  std::unique_ptr<BackupWatcher> watcher_;
  RecordSink sink_;

  Mutex mu_;
  std::condition_variable_any work_cv_;     // workers: an item may be due
  std::condition_variable_any control_cv_;  // control thread: timers, reconcile requests
  std::condition_variable_any metrics_cv_;  // WaitFor
  std::map<Key, Item> items_ BEACON_GUARDED_BY(mu_);
  std::set<std::pair<int64_t, Key>> due_ BEACON_GUARDED_BY(mu_);  // not in flight, by due time
  bool stop_ BEACON_GUARDED_BY(mu_) = false;
  bool started_ BEACON_GUARDED_BY(mu_) = false;
  // Sets a RunSetNow is backing up; workers hold their due files in held_ until it ends.
  std::set<size_t> running_sets_ BEACON_GUARDED_BY(mu_);
  std::set<Key> held_ BEACON_GUARDED_BY(mu_);
  bool reconcile_requested_ BEACON_GUARDED_BY(mu_) = false;
  bool poked_ BEACON_GUARDED_BY(mu_) = false;
  BackupMetrics metrics_ BEACON_GUARDED_BY(mu_);                     // queue_depth computed on read
  std::map<std::string, bool> stale_raised_ BEACON_GUARDED_BY(mu_);  // set -> backup.stale sent
  int64_t started_ms_ = 0;
  std::mt19937_64 rng_ BEACON_GUARDED_BY(mu_);
  std::atomic<bool> cancel_scan_{false};
  std::vector<std::thread> workers_;
  std::thread control_;
};

}  // namespace beacon::agent::backup
