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

#include "common/backoff.h"
#include "common/posix.h"
#include "common/wire/backup.h"

namespace beacon::agent::backup {
namespace {

// True when some process holds `path` open for writing: a read lease cannot be taken then
// (EAGAIN). The lease is dropped at once because a held lease makes writers' open() wait.
// Without the right to take leases (EACCES/EPERM: not the owner, no CAP_LEASE) the probe is
// skipped and the stat comparison alone decides.
bool WriterHoldsOpen(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) return false;
  if (::fcntl(fd.get(), F_SETLEASE, F_RDLCK) != 0) return errno == EAGAIN;
  ::fcntl(fd.get(), F_SETLEASE, F_UNLCK);
  return false;
}

wire::Record FailedRecord(const Clock& clock, const std::string& set, const std::string& path,
                          int attempts, const std::string& error) {
  nlohmann::json data = {{"set", set}, {"path", path}, {"attempts", attempts}, {"error", error}};
  return BackupEventRecord(clock, "backup.failed", "high", path,
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
    MutexLock lock(mu_);
    stop_ = false;
    started_ = true;
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
        MutexLock lock(mu_);
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
    MutexLock lock(mu_);
    stop_ = true;
    started_ = false;
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
    MutexLock lock(mu_);
    poked_ = true;
  }
  control_cv_.notify_all();
  work_cv_.notify_all();
}

void BackupService::RequestReconcile() {
  {
    MutexLock lock(mu_);
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

Result<OnceSetSummary> BackupService::RunSetNow(
    const std::string& set_name, const std::function<void(const OnceProgress&)>& progress) {
  BEACON_ASSIGN_OR_RETURN(const size_t set, FindBackupSet(config_, set_name));
  {
    UniqueLock lock(mu_);
    if (!started_) return Status::FailedPrecondition("the backup service is not running");
    if (running_sets_.count(set) != 0) {
      return Status::FailedPrecondition(
          "a backup run of set '" + set_name +
          "' is already in progress on this agent; this one is refused: run it again once that "
          "one has finished");
    }
    running_sets_.insert(set);
    // Workers hold the set's due files from now on; the uploads they started finish first.
    metrics_cv_.wait(lock, [&]() BEACON_REQUIRES(mu_) { return stop_ || !SetInFlight(set); });
    if (stop_) {
      lock.unlock();
      EndRun(set);
      return Status::Unavailable("the agent is stopping; the backup run of set '" + set_name +
                                 "' did not start");
    }
  }
  BackupOnceOptions options;
  options.progress = progress;
  options.keep_versions = true;
  options.cancel = &cancel_scan_;
  BackupOnce once(config_, uploaders_, state_, clock_, sink_, std::move(options));
  Result<std::vector<OnceSetSummary>> run = once.Run({set_name});
  EndRun(set);
  if (!run.ok()) return run.status();
  OnceSetSummary summary = std::move(run->front());
  {
    MutexLock lock(mu_);
    metrics_.files_stored += summary.stored;
    metrics_.bytes_stored += summary.bytes_stored;
    metrics_.files_unchanged += summary.unchanged;
  }
  metrics_cv_.notify_all();
  return summary;
}

bool BackupService::SetInFlight(size_t set) {
  for (auto it = items_.lower_bound(Key{set, ""}); it != items_.end() && it->first.first == set;
       ++it) {
    if (it->second.in_flight) return true;
  }
  return false;
}

void BackupService::EndRun(size_t set) {
  {
    MutexLock lock(mu_);
    running_sets_.erase(set);
    const int64_t now = clock_.MonotonicMs();
    for (auto it = held_.lower_bound(Key{set, ""}); it != held_.end() && it->first == set;) {
      auto item = items_.find(*it);
      // A held item is in no due_ entry unless a close rescheduled it meanwhile.
      if (item != items_.end() && !item->second.in_flight) {
        due_.erase({item->second.due_ms, *it});
        Schedule(&item->second, now);
      }
      it = held_.erase(it);
    }
  }
  work_cv_.notify_all();
}

BackupMetrics BackupService::metrics() {
  MutexLock lock(mu_);
  BackupMetrics m = metrics_;
  m.queue_depth = items_.size();
  return m;
}

bool BackupService::WaitFor(const std::function<bool(const BackupMetrics&)>& pred,
                            int64_t timeout_ms) {
  UniqueLock lock(mu_);
  auto done = [&]() BEACON_REQUIRES(mu_) {
    BackupMetrics m = metrics_;
    m.queue_depth = items_.size();
    return stop_ || pred(m);
  };
  return metrics_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), done) && !stop_;
}

void BackupService::Schedule(Item* item, int64_t due_ms) {
  item->due_ms = due_ms;
  due_.insert({due_ms, {item->set, item->path}});
}

void BackupService::Enqueue(size_t set, const std::string& path, const FileStat& stat,
                            bool from_scan) {
  const int64_t due = clock_.MonotonicMs() + config_.sets[set].debounce_ms;
  {
    MutexLock lock(mu_);
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
  UniqueLock lock(mu_);
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
    if (running_sets_.count(key.first) != 0) {
      held_.insert(key);  // RunSetNow is backing this set up; EndRun makes it due again
      continue;
    }
    Item& item = items_.at(key);
    item.in_flight = true;
    const FileStat last_stat = item.last_stat;
    const int attempts = item.attempts;
    lock.unlock();
    Process(key, last_stat, attempts);
    lock.lock();
  }
}

int64_t BackupService::RetryDelayMs(int attempts) {
  double random01 = 0;
  {
    MutexLock lock(mu_);
    random01 = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  // Jitter over the upper half keeps many failing files from retrying in lock step.
  const Backoff backoff{config_.retry_initial_ms, config_.retry_max_ms};
  return std::max<int64_t>(1, backoff.DelayMs(attempts, random01));
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
      MutexLock lock(mu_);
      ++metrics_.busy_deferrals;
    }
    metrics_cv_.notify_all();
    Finish(key, false, clock_.MonotonicMs() + set.debounce_ms, stat, attempts);
    return;
  }

  Uploader* uploader = uploaders_.at(set.store);
  Result<UploadOutcome> outcome = uploader->BackupDeferRecord(set, path);
  Status error;
  if (outcome.ok()) {
    switch (outcome->kind) {
      case UploadOutcome::kStored: {
        const uint64_t stored_size = outcome->version.stored_size;
        std::vector<StoredVersion> stored;
        stored.push_back({std::move(outcome->version), std::move(outcome->record)});
        const CommitOutcome commit = CommitVersions(*uploader, sink_, state_, set.name, stored,
                                                    clock_, options_.before_spool);
        if (commit.spooled.ok()) {
          if (!commit.recorded.ok()) {
            // Catalogued, but the state does not know: the next reconcile stores it again.
            spdlog::warn("backup: {} is catalogued but not recorded in the backup state: {}", path,
                         commit.recorded.ToString());
          }
          {
            MutexLock lock(mu_);
            ++metrics_.files_stored;
            metrics_.bytes_stored += stored_size;
          }
          Finish(key, true, 0, stat, 0);
          return;
        }
        // Stored but neither catalogued nor in the state: the next attempt stores (and
        // catalogues) it again instead of finding it "unchanged".
        error = commit.spooled.WithContext("cannot spool the catalog record");
        break;
      }
      case UploadOutcome::kUnchanged: {
        {
          MutexLock lock(mu_);
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
  if (IsPermanentBackupError(error) || attempts >= config_.max_attempts) {
    Fail(key.first, path, error.ToString(), attempts);
    // The file waits for the next reconcile (or its next close).
    Finish(key, true, 0, stat, 0);
    return;
  }
  spdlog::debug("backup: {} attempt {} failed: {}", path, attempts, error.ToString());
  Finish(key, false, clock_.MonotonicMs() + RetryDelayMs(attempts), stat, attempts);
}

void BackupService::Finish(const Key& key, bool done, int64_t retry_due_ms, const FileStat& stat,
                           int attempts) {
  const FileStat now_stat = StatFile(key.second);  // for a close that came meanwhile
  {
    MutexLock lock(mu_);
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
    MutexLock lock(mu_);
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
    MutexLock lock(mu_);
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
      MutexLock lock(mu_);
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
    Emit(BackupEventRecord(clock_, "backup.stale", "warning", set.name,
                           "no successful backup of set " + set.name + " " + when + " (max age " +
                               std::to_string(set.max_age_ms / 1000) + "s)",
                           std::move(data)));
  }
  {
    MutexLock lock(mu_);
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
  UniqueLock lock(mu_);
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

}  // namespace beacon::agent::backup
