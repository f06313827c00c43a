// The backup pipeline: queue keyed by (set, path), debounce, stability check, worker pool,
// retries, reconcile scans, and the backup.version / backup.failed / backup.stale events.
#include "agent/backup/backup_service.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>

#include "common/wire/backup.h"

namespace beacon::agent::backup {
namespace {

// True when some process holds `path` open for writing: a read lease cannot be taken then
// (EAGAIN). The lease is dropped at once because a held lease makes writers' open() wait.
// Without the right to take leases (EACCES/EPERM: not the owner, no CAP_LEASE) the probe is
// skipped and the stat comparison alone decides.
bool WriterHoldsOpen(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  bool busy = false;
  if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    ::fcntl(fd, F_SETLEASE, F_UNLCK);
  } else {
    busy = errno == EAGAIN;
  }
  ::close(fd);
  return busy;
}

// Errors a retry cannot fix: the set's configuration is wrong.
bool IsPermanent(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument ||
         status.code() == StatusCode::kFailedPrecondition;
}

wire::Record MakeEvent(const Clock& clock, std::string kind, std::string severity,
                       std::string subject, std::string message, nlohmann::json data) {
  wire::Record record;
  record.type = wire::RecordType::kEvent;
  record.ts_ms = clock.NowMs();
  record.event.kind = std::move(kind);
  record.event.severity = std::move(severity);
  record.event.subject = std::move(subject);
  record.event.message = std::move(message);
  record.event.data = std::move(data);
  return record;
}

wire::Record VersionRecord(const Clock& clock, const wire::BackupVersion& version) {
  return MakeEvent(clock, std::string(wire::kBackupVersionKind), "information", version.path,
                   "stored " + version.path + " (" + std::to_string(version.size) + " bytes -> " +
                       std::to_string(version.stored_size) + " bytes)",
                   wire::BackupVersionToJson(version));
}

wire::Record FailedRecord(const Clock& clock, const std::string& set, const std::string& path,
                          int attempts, const std::string& error) {
  nlohmann::json data = {{"set", set}, {"path", path}, {"attempts", attempts}, {"error", error}};
  return MakeEvent(clock, "backup.failed", "high", path,
                   "backup of " + path + " failed after " + std::to_string(attempts) +
                       (attempts == 1 ? " attempt: " : " attempts: ") + error,
                   std::move(data));
}

wire::Record SampleRecord(const Clock& clock, std::string metric, double value,
                          std::map<std::string, std::string> labels = {}) {
  wire::Record record;
  record.type = wire::RecordType::kSample;
  record.ts_ms = clock.NowMs();
  record.sample.metric = std::move(metric);
  record.sample.value = value;
  record.sample.labels = std::move(labels);
  return record;
}

}  // namespace

BackupService::BackupService(BackupConfig config, std::map<std::string, Uploader*> uploaders,
                             BackupState& state, const Clock& clock, BackupServiceOptions options)
    : config_(std::move(config)),
      uploaders_(std::move(uploaders)),
      state_(state),
      clock_(clock),
      options_(options),
      rng_(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()) {
  for (const BackupSetConfig& set : config_.sets) selectors_.emplace_back(set);
}

BackupService::~BackupService() { Stop(); }

Status BackupService::Start(RecordSink sink) {
  if (control_.joinable()) return Status::FailedPrecondition("the backup service is running");
  for (const BackupSetConfig& set : config_.sets) {
    if (uploaders_.count(set.store) == 0 || uploaders_.at(set.store) == nullptr) {
      return Status::InvalidArgument("backup set '" + set.name + "': no uploader for store '" +
                                     set.store + "'");
    }
  }
  sink_ = std::move(sink);
  started_ms_ = clock_.NowMs();
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  cancel_scan_ = false;

  if (options_.watch) {
    std::map<std::string, bool> roots;  // path -> recursive
    for (const SetSelector& selector : selectors_) {
      for (const auto& [path, recursive] : selector.watch_roots()) roots[path] |= recursive;
    }
    std::vector<BackupWatcher::Root> watch_roots;
    for (const auto& [path, recursive] : roots) watch_roots.push_back({path, recursive});
    BackupWatcher::Callbacks callbacks;
    callbacks.wants_dir = [this](const std::string& dir) {
      return std::any_of(selectors_.begin(), selectors_.end(),
                         [&](const SetSelector& s) { return s.EntersDirectory(dir); });
    };
    callbacks.wants_file = [this](const std::string& file) {
      return std::any_of(selectors_.begin(), selectors_.end(),
                         [&](const SetSelector& s) { return s.SelectsFile(file); });
    };
    callbacks.on_files = [this](std::vector<std::string> files) { OnFilesClosed(files); };
    callbacks.on_overflow = [this] {
      spdlog::warn("backup: inotify queue overflowed, events were lost; reconciling now");
      {
        std::lock_guard lock(mu_);
        ++metrics_.overflows;
      }
      RequestReconcile();
    };
    callbacks.on_error = [](const std::string& message) { spdlog::warn("backup: {}", message); };
    watcher_ = std::make_unique<BackupWatcher>(std::move(watch_roots), std::move(callbacks));
    if (Status s = watcher_->Start(); !s.ok()) {
      // Degraded: without inotify, the periodic reconcile still backs everything up.
      spdlog::error("backup: cannot watch for closed files ({}); relying on reconcile scans",
                    s.ToString());
      watcher_.reset();
    }
  }
  for (int i = 0; i < std::max(1, config_.concurrency); ++i) {
    workers_.emplace_back([this] { Worker(); });
  }
  control_ = std::thread([this] { Control(); });
  return Status::Ok();
}

void BackupService::Stop() {
  if (watcher_) watcher_->Stop();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_scan_ = true;
  work_cv_.notify_all();
  control_cv_.notify_all();
  metrics_cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  if (control_.joinable()) control_.join();
  watcher_.reset();
}

void BackupService::Poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  control_cv_.notify_all();
  work_cv_.notify_all();
}

void BackupService::RequestReconcile() {
  {
    std::lock_guard lock(mu_);
    reconcile_requested_ = true;
  }
  control_cv_.notify_all();
}

void BackupService::OnFilesClosed(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    const FileStat stat = StatFile(path);
    for (size_t i = 0; i < selectors_.size(); ++i) {
      if (selectors_[i].SelectsFile(path)) Enqueue(i, path, stat, false);
    }
  }
}

BackupMetrics BackupService::metrics() {
  std::lock_guard lock(mu_);
  BackupMetrics m = metrics_;
  m.queue_depth = items_.size();
  return m;
}

bool BackupService::WaitFor(const std::function<bool(const BackupMetrics&)>& pred,
                            int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return metrics_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    BackupMetrics m = metrics_;
    m.queue_depth = items_.size();
    return stop_ || pred(m);
  }) && !stop_;
}

void BackupService::Schedule(Item* item, int64_t due_ms) {
  item->due_ms = due_ms;
  due_.insert({due_ms, {item->set, item->path}});
}

void BackupService::Enqueue(size_t set, const std::string& path, const FileStat& stat,
                            bool from_scan) {
  const int64_t due = clock_.MonotonicMs() + config_.sets[set].debounce_ms;
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    Key key{set, path};
    auto it = items_.find(key);
    if (it != items_.end()) {
      Item& item = it->second;
      if (from_scan) return;  // already on its way
      if (item.in_flight) {
        item.closed_again = true;
        return;
      }
      // Another close: the quiet period starts again, and it is new content to try afresh.
      due_.erase({item.due_ms, key});
      item.attempts = 0;
      item.last_stat = stat;
      Schedule(&item, due);
    } else {
      if (items_.size() >= options_.max_queued) {
        // Dropped: a reconcile finds it once the queue has room again.
        reconcile_requested_ = true;
        return;
      }
      Item& item = items_[key];
      item.set = set;
      item.path = path;
      item.last_stat = stat;
      Schedule(&item, due);
    }
  }
  work_cv_.notify_one();
  metrics_cv_.notify_all();
}

void BackupService::Worker() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (due_.empty()) {
      work_cv_.wait(lock);
      continue;
    }
    const auto [due_ms, key] = *due_.begin();
    const int64_t now = clock_.MonotonicMs();
    if (due_ms > now) {
      work_cv_.wait_for(lock, std::chrono::milliseconds(due_ms - now));
      continue;
    }
    due_.erase(due_.begin());
    Item& item = items_.at(key);
    item.in_flight = true;
    const FileStat last_stat = item.last_stat;
    const int attempts = item.attempts;
    lock.unlock();
    Process(key, last_stat, attempts);
    lock.lock();
  }
}

int64_t BackupService::Backoff(int attempts) {
  int64_t base = config_.retry_initial_ms;
  for (int i = 1; i < attempts && base < config_.retry_max_ms; ++i) base *= 2;
  base = std::min(base, config_.retry_max_ms);
  // Full jitter over the upper half keeps many failing files from retrying in lock step.
  std::lock_guard lock(mu_);
  std::uniform_int_distribution<int64_t> jitter(base / 2, base);
  return std::max<int64_t>(1, jitter(rng_));
}

void BackupService::Process(Key key, FileStat last_stat, int attempts) {
  const BackupSetConfig& set = config_.sets[key.first];
  const std::string& path = key.second;
  const FileStat stat = StatFile(path);
  if (!stat.exists || !stat.regular) {
    Finish(key, true, 0, stat, attempts);
    return;
  }
  // Stability: the same (size, mtime, inode) a debounce apart, and no writer holding it open.
  if (stat != last_stat || WriterHoldsOpen(path)) {
    {
      std::lock_guard lock(mu_);
      ++metrics_.busy_deferrals;
    }
    metrics_cv_.notify_all();
    Finish(key, false, clock_.MonotonicMs() + set.debounce_ms, stat, attempts);
    return;
  }

  Uploader* uploader = uploaders_.at(set.store);
  Result<UploadOutcome> outcome = uploader->Backup(set, path);
  Status error;
  if (outcome.ok()) {
    switch (outcome->kind) {
      case UploadOutcome::kStored: {
        Status spooled = uploader->SyncStore();
        if (spooled.ok() && sink_) spooled = sink_({VersionRecord(clock_, outcome->version)});
        if (spooled.ok()) {
          {
            std::lock_guard lock(mu_);
            ++metrics_.files_stored;
            metrics_.bytes_stored += outcome->version.stored_size;
          }
          Finish(key, true, 0, stat, 0);
          return;
        }
        // The version is stored but not in the catalog: forget it locally so the next attempt
        // stores (and records) it again instead of finding it "unchanged".
        (void)state_.RemoveFile(set.name, path);
        error = spooled.WithContext("cannot spool the catalog record");
        break;
      }
      case UploadOutcome::kUnchanged: {
        {
          std::lock_guard lock(mu_);
          ++metrics_.files_unchanged;
        }
        Finish(key, true, 0, stat, 0);
        return;
      }
      case UploadOutcome::kChanged:
        // Written to while it was read: nothing was kept; try again after a quiet period.
        Finish(key, false, clock_.MonotonicMs() + set.debounce_ms, StatFile(path), attempts);
        return;
      case UploadOutcome::kVanished:
      case UploadOutcome::kNotRegular:
        Finish(key, true, 0, stat, attempts);
        return;
      case UploadOutcome::kTooLarge: {
        Fail(key.first, path, outcome->detail, 1);
        Finish(key, true, 0, stat, 0);
        return;
      }
    }
  } else {
    error = outcome.status();
  }

  ++attempts;
  if (IsPermanent(error) || attempts >= config_.max_attempts) {
    Fail(key.first, path, error.ToString(), attempts);
    // The file waits for the next reconcile (or its next close).
    Finish(key, true, 0, stat, 0);
    return;
  }
  spdlog::debug("backup: {} attempt {} failed: {}", path, attempts, error.ToString());
  Finish(key, false, clock_.MonotonicMs() + Backoff(attempts), stat, attempts);
}

void BackupService::Finish(const Key& key, bool done, int64_t retry_due_ms, const FileStat& stat,
                           int attempts) {
  const FileStat now_stat = StatFile(key.second);  // for a close that came meanwhile
  {
    std::lock_guard lock(mu_);
    auto it = items_.find(key);
    if (it != items_.end()) {
      Item& item = it->second;
      item.in_flight = false;
      if (item.closed_again) {
        item.closed_again = false;
        item.attempts = 0;
        item.last_stat = now_stat;
        Schedule(&item, clock_.MonotonicMs() + config_.sets[key.first].debounce_ms);
      } else if (done) {
        items_.erase(it);
      } else {
        item.attempts = attempts;
        item.last_stat = stat;
        Schedule(&item, retry_due_ms);
      }
    }
    // A reconcile postponed because the queue was full can run once it has drained to half.
    if (reconcile_requested_ && items_.size() < options_.max_queued / 2) {
      control_cv_.notify_all();
    }
  }
  work_cv_.notify_one();
  metrics_cv_.notify_all();
}

void BackupService::Fail(size_t set_index, const std::string& path, const std::string& error,
                         int attempts) {
  const std::string& set = config_.sets[set_index].name;
  spdlog::warn("backup: {} (set {}) failed after {} attempt(s): {}", path, set, attempts, error);
  {
    std::lock_guard lock(mu_);
    ++metrics_.failures;
  }
  Emit(FailedRecord(clock_, set, path, attempts, error));
}

void BackupService::Emit(wire::Record record) {
  if (!sink_) return;
  const std::string kind = record.event.kind;
  std::vector<wire::Record> records;
  records.push_back(std::move(record));
  if (Status s = sink_(std::move(records)); !s.ok()) {
    spdlog::warn("backup: cannot spool a {} event: {}", kind, s.ToString());
  }
}

void BackupService::Reconcile() {
  for (size_t i = 0; i < config_.sets.size(); ++i) {
    if (cancel_scan_) return;
    Reconciler reconciler(config_.sets[i], state_);
    auto scan = reconciler.Scan(&cancel_scan_);
    if (!scan.ok()) {
      spdlog::error("backup: reconcile of set {} failed: {}", config_.sets[i].name,
                    scan.status().ToString());
      continue;
    }
    for (const std::string& error : scan->errors) spdlog::warn("backup: {}", error);
    for (const ScanResult::Changed& changed : scan->changed) {
      Enqueue(i, changed.path, changed.stat, true);
    }
    spdlog::debug("backup: reconciled set {}: {} files, {} to back up", config_.sets[i].name,
                  scan->files_scanned, scan->changed.size());
  }
  {
    std::lock_guard lock(mu_);
    ++metrics_.reconciles;
  }
  metrics_cv_.notify_all();
}

void BackupService::CheckStale() {
  const int64_t now = clock_.NowMs();
  for (const BackupSetConfig& set : config_.sets) {
    if (set.max_age_ms <= 0) continue;
    auto last = state_.LastSuccessMs(set.name);
    if (!last.ok()) continue;
    // A set that never succeeded is measured from the start of the service.
    const int64_t since = last->value_or(std::max(started_ms_, int64_t{0}));
    const bool stale = now - since > set.max_age_ms;
    bool raise = false;
    {
      std::lock_guard lock(mu_);
      bool& raised = stale_raised_[set.name];
      raise = stale && !raised;
      raised = stale;  // a success re-arms it
    }
    if (!raise) continue;
    nlohmann::json data = {{"set", set.name},
                           {"max_age_ms", set.max_age_ms},
                           {"last_success", last->has_value() ? FormatRfc3339(**last) : ""}};
    const std::string when =
        last->has_value() ? "since " + FormatRfc3339(**last) : "since the agent started";
    Emit(MakeEvent(clock_, "backup.stale", "warning", set.name,
                   "no successful backup of set " + set.name + " " + when + " (max age " +
                       std::to_string(set.max_age_ms / 1000) + "s)",
                   std::move(data)));
  }
  {
    std::lock_guard lock(mu_);
    ++metrics_.stale_checks;
  }
  metrics_cv_.notify_all();
}

void BackupService::EmitMetrics() {
  const BackupMetrics m = metrics();
  std::vector<wire::Record> records;
  records.push_back(SampleRecord(clock_, "backup.queue_depth", double(m.queue_depth)));
  records.push_back(SampleRecord(clock_, "backup.files_stored_total", double(m.files_stored)));
  records.push_back(SampleRecord(clock_, "backup.bytes_stored_total", double(m.bytes_stored)));
  records.push_back(SampleRecord(clock_, "backup.failures_total", double(m.failures)));
  const int64_t now = clock_.NowMs();
  for (const BackupSetConfig& set : config_.sets) {
    auto last = state_.LastSuccessMs(set.name);
    if (!last.ok() || !last->has_value()) continue;
    records.push_back(SampleRecord(clock_, "backup.last_success_age_seconds",
                                   double(std::max<int64_t>(0, now - **last)) / 1000.0,
                                   {{"set", set.name}}));
  }
  if (sink_) {
    if (Status s = sink_(std::move(records)); !s.ok()) {
      spdlog::warn("backup: cannot spool metrics: {}", s.ToString());
    }
  }
}

void BackupService::Control() {
  constexpr int64_t kStaleCheckMs = 10'000;
  int64_t next_reconcile = clock_.MonotonicMs();  // the start-up reconcile runs at once
  int64_t next_metrics = clock_.MonotonicMs() + options_.metrics_interval_ms;
  int64_t next_stale = clock_.MonotonicMs();
  std::unique_lock lock(mu_);
  while (!stop_) {
    const int64_t now = clock_.MonotonicMs();
    bool reconcile = reconcile_requested_ || now >= next_reconcile;
    // A reconcile requested because the queue was full waits until it has drained to half.
    if (reconcile_requested_ && items_.size() >= options_.max_queued / 2 && now < next_reconcile) {
      reconcile = false;
    }
    const bool stale = poked_ || now >= next_stale;
    const bool emit_metrics = now >= next_metrics;
    if (!reconcile && !stale && !emit_metrics) {
      const int64_t wait = std::min({next_reconcile, next_metrics, next_stale}) - now;
      control_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wait)));
      continue;
    }
    if (reconcile) reconcile_requested_ = false;
    poked_ = false;
    lock.unlock();
    if (reconcile) {
      Reconcile();
      next_reconcile = clock_.MonotonicMs() + config_.reconcile_interval_ms;
    }
    if (stale) {
      CheckStale();
      next_stale = clock_.MonotonicMs() + kStaleCheckMs;
    }
    if (emit_metrics) {
      EmitMetrics();
      next_metrics = clock_.MonotonicMs() + options_.metrics_interval_ms;
    }
    lock.lock();
  }
}

Result<std::vector<OnceSetSummary>> BackupOnce(const BackupConfig& config,
                                               const std::vector<std::string>& set_names,
                                               const std::map<std::string, Uploader*>& uploaders,
                                               BackupState& state, const Clock& clock,
                                               const RecordSink& sink) {
  std::vector<const BackupSetConfig*> sets;
  for (const std::string& name : set_names) {
    auto it = std::find_if(config.sets.begin(), config.sets.end(),
                           [&](const BackupSetConfig& s) { return s.name == name; });
    if (it == config.sets.end()) {
      std::string known;
      for (const auto& s : config.sets) known += (known.empty() ? "" : ", ") + s.name;
      return Status::InvalidArgument("unknown backup set '" + name + "' (known: " +
                                     (known.empty() ? "none" : known) + ")");
    }
    sets.push_back(&*it);
  }
  if (set_names.empty()) {
    for (const BackupSetConfig& s : config.sets) sets.push_back(&s);
  }

  std::vector<OnceSetSummary> summaries;
  for (const BackupSetConfig* set : sets) {
    auto uploader_it = uploaders.find(set->store);
    if (uploader_it == uploaders.end() || uploader_it->second == nullptr) {
      return Status::InvalidArgument("backup set '" + set->name + "': no uploader for store '" +
                                     set->store + "'");
    }
    Uploader* uploader = uploader_it->second;
    OnceSetSummary summary;
    summary.set = set->name;
    Reconciler reconciler(*set, state);
    // Paths with a multipart upload in flight; every other path the scan finds without a
    // record is new, and its worker need not look the state up again.
    std::set<std::string> uploading;
    {
      BEACON_ASSIGN_OR_RETURN(std::vector<PendingUpload> uploads, state.ListUploads());
      for (PendingUpload& upload : uploads) {
        if (upload.set == set->name) uploading.insert(std::move(upload.path));
      }
    }

    std::mutex mu;
    // The scan feeds the workers as it walks, so backups start with the first changed file.
    std::condition_variable work_cv;
    struct Pending {
      std::string path;
      bool known_new = false;
    };
    std::deque<Pending> pending;  // GUARDED_BY(mu)
    bool scan_done = false;       // GUARDED_BY(mu)
    // Catalog records are spooled in batches, each after one store Sync(): an fsync'd
    // transaction and a store flush per file would dominate the run time of small files. A
    // committer thread syncs, spools and records the state of each batch while the workers
    // go on reading and compressing; the state row of a version is written only after its
    // catalog record is spooled (a crash in between costs a re-upload, never a lost version).
    constexpr size_t kSpoolBatch = 1024;
    constexpr size_t kMaxQueuedBatches = 4;  // workers wait beyond this (slow store or disk)
    struct StoredVersion {
      wire::BackupVersion version;
      FileRecord record;
    };
    std::condition_variable batches_cv;
    std::deque<std::vector<StoredVersion>> batches;  // GUARDED_BY(mu)
    bool no_more_batches = false;                    // GUARDED_BY(mu)
    std::vector<StoredVersion> unspooled;            // GUARDED_BY(mu)
    auto commit = [&](std::vector<StoredVersion> versions) {
      if (versions.empty()) return;
      std::vector<wire::Record> records;
      for (const auto& stored : versions) records.push_back(VersionRecord(clock, stored.version));
      // One durability barrier for the whole batch, then the records.
      Status spooled = uploader->SyncStore();
      if (spooled.ok() && sink) spooled = sink(std::move(records));
      Status recorded;
      if (spooled.ok()) {
        std::vector<BackupState::StoredFile> files;
        files.reserve(versions.size());
        for (auto& stored : versions) {
          files.push_back({stored.version.path, std::move(stored.record)});
        }
        recorded = state.RecordStoredBatch(set->name, files, clock.NowMs());
      }
      std::lock_guard lock(mu);
      if (!recorded.ok()) {
        // Catalogued but not in the state: the next run stores (and catalogues) them again.
        summary.failures.push_back(
            recorded.WithContext("recording " + std::to_string(versions.size()) +
                                 " stored versions in the backup state")
                .ToString());
      }
      for (const auto& stored : versions) {
        if (spooled.ok()) {
          ++summary.stored;
          summary.bytes_read += stored.version.size;
          summary.bytes_stored += stored.version.stored_size;
          continue;
        }
        // Stored but not in the catalog nor in the state: the next run stores it again.
        ++summary.failed;
        summary.failures.push_back(
            stored.version.path + ": " +
            spooled.WithContext("cannot spool the catalog record").ToString());
      }
    };
    std::thread committer([&] {
      while (true) {
        std::vector<StoredVersion> batch;
        {
          std::unique_lock lock(mu);
          batches_cv.wait(lock, [&] { return !batches.empty() || no_more_batches; });
          if (batches.empty()) return;
          batch = std::move(batches.front());
          batches.pop_front();
        }
        batches_cv.notify_all();  // room for a waiting worker
        commit(std::move(batch));
      }
    });
    // Odd workers take files from the back of the queue: the scan queues a directory's files
    // together, and workers creating objects in one directory queue on its lock.
    auto work = [&](bool from_back) {
      while (true) {
        std::string path;
        bool known_new = false;
        {
          std::unique_lock lock(mu);
          work_cv.wait(lock, [&] { return !pending.empty() || scan_done; });
          if (pending.empty()) return;
          Pending& next = from_back ? pending.back() : pending.front();
          path = std::move(next.path);
          known_new = next.known_new;
          if (from_back) {
            pending.pop_back();
          } else {
            pending.pop_front();
          }
        }
        std::string failure;
        int attempt = 0;
        while (true) {
          ++attempt;
          // A retry looks the state up: the first attempt may have left an upload behind.
          Result<UploadOutcome> outcome =
              uploader->BackupDeferRecord(*set, path, known_new && attempt == 1);
          if (outcome.ok() && outcome->kind == UploadOutcome::kStored) {
            std::unique_lock lock(mu);
            unspooled.push_back({std::move(outcome->version), std::move(outcome->record)});
            if (unspooled.size() >= kSpoolBatch) {
              batches_cv.wait(lock, [&] { return batches.size() < kMaxQueuedBatches; });
              if (!unspooled.empty()) {  // another worker may have queued it meanwhile
                batches.push_back(std::move(unspooled));
                unspooled.clear();
                batches_cv.notify_all();
              }
            }
            break;
          }
          if (outcome.ok()) {
            const UploadOutcome::Kind kind = outcome->kind;
            if (kind == UploadOutcome::kChanged && attempt < config.max_attempts) continue;
            std::lock_guard lock(mu);
            if (kind == UploadOutcome::kUnchanged) {
              ++summary.unchanged;
            } else if (kind == UploadOutcome::kVanished || kind == UploadOutcome::kNotRegular) {
              ++summary.skipped;
            } else {
              failure = outcome->detail.empty() ? std::string(UploadOutcomeKindName(kind))
                                                : outcome->detail;
            }
            break;
          }
          if (IsPermanent(outcome.status()) || attempt >= config.max_attempts) {
            failure = outcome.status().ToString();
            break;
          }
          int64_t backoff = config.retry_initial_ms;
          for (int i = 1; i < attempt && backoff < config.retry_max_ms; ++i) backoff *= 2;
          std::this_thread::sleep_for(
              std::chrono::milliseconds(std::min(backoff, config.retry_max_ms)));
        }
        if (!failure.empty()) {
          std::lock_guard lock(mu);
          ++summary.failed;
          summary.failures.push_back(path + ": " + failure);
        }
      }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < std::max(1, config.concurrency); ++i) threads.emplace_back(work, i % 2);
    uint64_t changed = 0;
    Result<ScanResult> scan = reconciler.Scan(nullptr, [&](ScanResult::Changed file) {
      ++changed;
      {
        std::lock_guard lock(mu);
        const bool known_new = !file.recorded && uploading.count(file.path) == 0;
        pending.push_back({std::move(file.path), known_new});
      }
      work_cv.notify_one();
    });
    {
      std::lock_guard lock(mu);
      scan_done = true;
      if (!scan.ok()) pending.clear();  // the state database failed: stop after the uploads
    }
    work_cv.notify_all();
    for (std::thread& t : threads) t.join();
    {
      std::lock_guard lock(mu);
      if (!unspooled.empty()) batches.push_back(std::move(unspooled));
      no_more_batches = true;
    }
    batches_cv.notify_all();
    committer.join();
    if (!scan.ok()) return scan.status();
    summary.scanned = scan->files_scanned;
    summary.unchanged += scan->files_scanned - changed;
    for (const std::string& error : scan->errors) summary.failures.push_back(error);
    summary.failed += scan->errors.size();
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

}  // namespace beacon::agent::backup
