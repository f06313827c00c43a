// `backup once`: per set, the reconcile scan feeds a worker pool as it walks; workers back files
// up and queue stored versions; a committer thread commits them in batches while the workers go
// on reading and compressing.
#include "agent/backup/backup_once.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <set>
#include <thread>
#include <utility>

#include "agent/backup/reconciler.h"
#include "common/backoff.h"
#include "common/mutex.h"

namespace beacon::agent::backup {
namespace {

// Catalog records are spooled in batches, each after one store Sync(): an fsync'd transaction
// and a store flush per file would dominate the run time of small files. The state row of a
// version is written only after its catalog record is spooled (a crash in between costs a
// re-upload, never a lost version).
constexpr size_t kSpoolBatch = 1024;
constexpr size_t kMaxQueuedBatches = 4;  // workers wait beyond this (slow store or disk)

// One set's run: the scan, the workers and the committer share this object's queues.
class SetRun {
 public:
  SetRun(const BackupConfig& config, const BackupSetConfig& set, Uploader& uploader,
         BackupState& state, const Clock& clock, const RecordSink& sink,
         const BackupOnceOptions& options)
      : config_(config),
        set_(set),
        uploader_(uploader),
        state_(state),
        clock_(clock),
        sink_(sink),
        options_(options) {
    summary_.set = set.name;
    progress_.set = set.name;
  }

  Result<OnceSetSummary> Run() {
    // Paths with a multipart upload in flight; every other path the scan finds without a
    // record is new, and its worker need not look the state up again.
    std::set<std::string> uploading;
    {
      BEACON_ASSIGN_OR_RETURN(std::vector<PendingUpload> uploads, state_.ListUploads());
      for (PendingUpload& upload : uploads) {
        if (upload.set == set_.name) uploading.insert(std::move(upload.path));
      }
    }
    std::thread committer([this] { CommitLoop(); });
    std::vector<std::thread> threads;
    for (int i = 0; i < std::max(1, config_.concurrency); ++i) {
      threads.emplace_back([this, i] { Work(i % 2); });
    }
    uint64_t changed = 0;
    Reconciler reconciler(set_, state_);
    Result<ScanResult> scan = reconciler.Scan(options_.cancel, [&](ScanResult::Changed file) {
      ++changed;
      {
        MutexLock lock(mu_);
        const bool known_new = !file.recorded && uploading.count(file.path) == 0;
        ++progress_.files_total;
        progress_.bytes_total += file.stat.size;
        pending_.push_back({std::move(file.path), known_new, file.stat.size});
      }
      work_cv_.notify_one();
    });
    {
      MutexLock lock(mu_);
      scan_done_ = true;
      progress_.scan_done = true;
      if (!scan.ok()) pending_.clear();  // the state database failed: stop after the uploads
    }
    work_cv_.notify_all();
    ReportProgress();
    for (std::thread& t : threads) t.join();
    {
      MutexLock lock(mu_);
      if (!unspooled_.empty()) batches_.push_back(std::move(unspooled_));
      no_more_batches_ = true;
    }
    batches_cv_.notify_all();
    committer.join();
    MutexLock lock(mu_);  // uncontended: every thread has been joined
    if (!scan.ok()) return scan.status();
    summary_.interrupted = Cancelled();
    summary_.scanned = scan->files_scanned;
    summary_.unchanged += scan->files_scanned - changed;
    for (const std::string& error : scan->errors) summary_.failures.push_back(error);
    summary_.failed += scan->errors.size();
    return std::move(summary_);
  }

 private:
  struct Pending {
    std::string path;
    bool known_new = false;
    uint64_t size = 0;  // when the scan saw it
  };

  bool Cancelled() const { return options_.cancel != nullptr && options_.cancel->load(); }

  // Hands a snapshot of the progress to options_.progress, one call at a time and in order.
  void ReportProgress() BEACON_EXCLUDES(mu_) {
    if (!options_.progress) return;
    MutexLock report_lock(report_mu_);
    OnceProgress snapshot;
    {
      MutexLock lock(mu_);
      snapshot = progress_;
    }
    options_.progress(snapshot);
  }

  // Odd workers take files from the back of the queue: the scan queues a directory's files
  // together, and workers creating objects in one directory queue on its lock.
  void Work(bool from_back) {
    while (true) {
      Pending next;
      {
        UniqueLock lock(mu_);
        work_cv_.wait(lock, [&]() BEACON_REQUIRES(mu_) { return !pending_.empty() || scan_done_; });
        if (Cancelled()) pending_.clear();  // the files being uploaded still finish
        if (pending_.empty()) return;
        next = std::move(from_back ? pending_.back() : pending_.front());
        if (from_back) {
          pending_.pop_back();
        } else {
          pending_.pop_front();
        }
      }
      std::string failure = BackUp(next.path, next.known_new);
      {
        MutexLock lock(mu_);
        if (!failure.empty()) {
          ++summary_.failed;
          summary_.failures.push_back(next.path + ": " + failure);
        }
        ++progress_.files_done;
        progress_.bytes_done += next.size;
      }
      ReportProgress();
    }
  }

  // Backs one file up, retrying changed files and transient errors; "" unless it failed.
  std::string BackUp(const std::string& path, bool known_new) {
    int attempt = 0;
    while (true) {
      ++attempt;
      // A retry looks the state up: the first attempt may have left an upload behind.
      Result<UploadOutcome> outcome =
          uploader_.BackupDeferRecord(set_, path, known_new && attempt == 1);
      if (outcome.ok() && outcome->kind == UploadOutcome::kStored) {
        QueueStored({std::move(outcome->version), std::move(outcome->record)});
        return "";
      }
      if (outcome.ok()) {
        const UploadOutcome::Kind kind = outcome->kind;
        if (kind == UploadOutcome::kChanged && attempt < config_.max_attempts) continue;
        MutexLock lock(mu_);
        if (kind == UploadOutcome::kUnchanged) {
          ++summary_.unchanged;
        } else if (kind == UploadOutcome::kVanished || kind == UploadOutcome::kNotRegular) {
          ++summary_.skipped;
        } else {
          return outcome->detail.empty() ? std::string(UploadOutcomeKindName(kind))
                                         : outcome->detail;
        }
        return "";
      }
      if (IsPermanentBackupError(outcome.status()) || attempt >= config_.max_attempts) {
        return outcome.status().ToString();
      }
      const Backoff backoff{config_.retry_initial_ms, config_.retry_max_ms};
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff.CeilingMs(attempt)));
    }
  }

  void QueueStored(StoredVersion stored) {
    UniqueLock lock(mu_);
    unspooled_.push_back(std::move(stored));
    if (unspooled_.size() < kSpoolBatch) return;
    batches_cv_.wait(lock,
                     [&]() BEACON_REQUIRES(mu_) { return batches_.size() < kMaxQueuedBatches; });
    if (!unspooled_.empty()) {  // another worker may have queued it meanwhile
      batches_.push_back(std::move(unspooled_));
      unspooled_.clear();
      batches_cv_.notify_all();
    }
  }

  void CommitLoop() {
    while (true) {
      std::vector<StoredVersion> batch;
      {
        UniqueLock lock(mu_);
        batches_cv_.wait(
            lock, [&]() BEACON_REQUIRES(mu_) { return !batches_.empty() || no_more_batches_; });
        if (batches_.empty()) return;
        batch = std::move(batches_.front());
        batches_.pop_front();
      }
      batches_cv_.notify_all();  // room for a waiting worker
      Commit(batch);
    }
  }

  void Commit(const std::vector<StoredVersion>& versions) {
    if (versions.empty()) return;
    const CommitOutcome commit =
        CommitVersions(uploader_, sink_, state_, set_.name, versions, clock_);
    MutexLock lock(mu_);
    if (commit.spooled.ok() && !commit.recorded.ok()) {
      // Catalogued but not in the state: the next run stores (and catalogues) them again.
      summary_.failures.push_back(commit.recorded
                                      .WithContext("recording " + std::to_string(versions.size()) +
                                                   " stored versions in the backup state")
                                      .ToString());
    }
    for (const StoredVersion& stored : versions) {
      if (commit.spooled.ok()) {
        ++summary_.stored;
        summary_.bytes_read += stored.version.size;
        summary_.bytes_stored += stored.version.stored_size;
        if (options_.keep_versions) summary_.versions.push_back(stored.version);
        continue;
      }
      // Stored but not in the catalog nor in the state: the next run stores it again.
      ++summary_.failed;
      summary_.failures.push_back(
          stored.version.path + ": " +
          commit.spooled.WithContext("cannot spool the catalog record").ToString());
    }
  }

  const BackupConfig& config_;
  const BackupSetConfig& set_;
  Uploader& uploader_;
  BackupState& state_;
  const Clock& clock_;
  const RecordSink& sink_;
  const BackupOnceOptions& options_;

  Mutex report_mu_;  // taken before mu_, never while holding it
  Mutex mu_;
  OnceSetSummary summary_ BEACON_GUARDED_BY(mu_);
  OnceProgress progress_ BEACON_GUARDED_BY(mu_);
  // The scan feeds the workers as it walks, so backups start with the first changed file.
  std::condition_variable_any work_cv_;
  std::deque<Pending> pending_ BEACON_GUARDED_BY(mu_);
  bool scan_done_ BEACON_GUARDED_BY(mu_) = false;
  std::condition_variable_any batches_cv_;
  std::deque<std::vector<StoredVersion>> batches_ BEACON_GUARDED_BY(mu_);
  bool no_more_batches_ BEACON_GUARDED_BY(mu_) = false;
  std::vector<StoredVersion> unspooled_ BEACON_GUARDED_BY(mu_);
};

}  // namespace

BackupOnce::BackupOnce(const BackupConfig& config, std::map<std::string, Uploader*> uploaders,
                       BackupState& state, const Clock& clock, RecordSink sink,
                       BackupOnceOptions options)
    : config_(config),
      uploaders_(std::move(uploaders)),
      state_(state),
      clock_(clock),
      sink_(std::move(sink)),
      options_(std::move(options)) {}

Result<std::vector<OnceSetSummary>> BackupOnce::Run(const std::vector<std::string>& set_names) {
  std::vector<const BackupSetConfig*> sets;
  for (const std::string& name : set_names) {
    BEACON_ASSIGN_OR_RETURN(size_t index, FindBackupSet(config_, name));
    sets.push_back(&config_.sets[index]);
  }
  if (set_names.empty()) {
    for (const BackupSetConfig& s : config_.sets) sets.push_back(&s);
  }

  std::vector<OnceSetSummary> summaries;
  for (const BackupSetConfig* set : sets) {
    auto uploader = uploaders_.find(set->store);
    if (uploader == uploaders_.end() || uploader->second == nullptr) {
      return Status::InvalidArgument("backup set '" + set->name + "': no uploader for store '" +
                                     set->store + "'");
    }
    SetRun run(config_, *set, *uploader->second, state_, clock_, sink_, options_);
    BEACON_ASSIGN_OR_RETURN(OnceSetSummary summary, run.Run());
    const bool interrupted = summary.interrupted;
    summaries.push_back(std::move(summary));
    if (interrupted) break;
  }
  return summaries;
}

}  // namespace beacon::agent::backup
