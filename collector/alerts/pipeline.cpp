// AlertPipeline: route + record on submit, flush due groups into the outbox on a thread.
#include "collector/alerts/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace beacon::collector::alerts {
namespace {

// The flusher re-reads the next due time at least this often, so a group scheduled by another
// process (or a clock jump) is never missed for long.
constexpr int64_t kMaxFlushSleepMs = 1000;
// How often quiet alerts are looked for (resolve_after is minutes or hours).
constexpr int64_t kQuietPassMs = 10 * 1000;

}  // namespace

// The lowest severity a firing alert needs to match the source side of any rule: a rule whose
// source matchers bound the severity from below ("severity>=disaster", "severity=high") lets the
// flusher load only those alerts instead of every firing one.
Severity MinInhibitingSeverity(const std::vector<InhibitRule>& rules) {
  Severity lowest = Severity::kDisaster;
  for (const InhibitRule& rule : rules) {
    Severity bound = Severity::kNotClassified;
    for (const Matcher& m : rule.source) {
      if (m.field != "severity" || (m.op != ">=" && m.op != "=")) continue;
      std::optional<Severity> level = notifier::ParseSeverity(m.value);
      if (level && *level > bound) bound = *level;
    }
    if (bound < lowest) lowest = bound;
  }
  return lowest;
}

AlertPipeline::AlertPipeline(AlertStore& store, Router router, std::vector<InhibitRule> inhibit,
                             const Clock& clock, std::function<void()> on_queued)
    : store_(store),
      router_(std::move(router)),
      inhibit_(std::move(inhibit)),
      inhibiting_severity_(MinInhibitingSeverity(inhibit_)),
      clock_(clock),
      on_queued_(std::move(on_queued)),
      next_pass_ms_(std::numeric_limits<int64_t>::max()) {}

AlertPipeline::~AlertPipeline() { Stop(); }

Result<RecordResult> AlertPipeline::Submit(const AlertInput& input) {
  const int64_t now = clock_.NowMs();
  // A resolution reaches the groups its problem already belongs to; only a firing alert is
  // routed (routes with time windows route by the time the problem arrived).
  std::vector<GroupRef> groups;
  if (input.status == AlertStatus::kFiring) groups = router_.Route(input, now);
  Result<RecordResult> recorded = store_.Record(input, groups, now);
  Recorded(input.source, input.external_id, input.title, recorded);
  return recorded;
}

void AlertPipeline::SubmitAsync(const AlertInput& input, RecordDone done) {
  const int64_t now = clock_.NowMs();
  std::vector<GroupRef> groups;
  if (input.status == AlertStatus::kFiring) groups = router_.Route(input, now);
  store_.RecordAsync(input, std::move(groups), now,
                     [this, source = input.source, external_id = input.external_id,
                      title = input.title, done = std::move(done)](Result<RecordResult> recorded) {
                       Recorded(source, external_id, title, recorded);
                       done(std::move(recorded));
                     });
}

void AlertPipeline::Recorded(const std::string& source, const std::string& external_id,
                             const std::string& title, const Result<RecordResult>& recorded) {
  {
    MutexLock lock(stats_mutex_);
    if (recorded.ok()) {
      ++stats_.submitted[source + "/" + std::string(RecordOutcomeName(recorded->outcome))];
    } else {
      ++stats_.submit_errors;
    }
  }
  if (!recorded.ok()) {
    spdlog::error("alerts: could not record {} alert {} ({}): {}", source, external_id, title,
                  recorded.status().ToString());
    return;
  }
  if (recorded->next_flush_ms != 0 && recorded->next_flush_ms < next_pass_ms_.load()) {
    flusher_.Wake();
  }
}

Result<int> AlertPipeline::FlushDue(int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(std::vector<int64_t> due, store_.DueGroups(now_ms));
  if (due.empty()) return 0;
  BEACON_ASSIGN_OR_RETURN(std::vector<Silence> silences, store_.ListSilences(now_ms, false));
  std::vector<AlertView> firing;
  if (!inhibit_.empty()) {
    BEACON_ASSIGN_OR_RETURN(firing, store_.FiringAlerts(inhibiting_severity_));
  }
  int64_t muted = 0;
  auto is_muted = [&](const AlertView& alert) {
    const bool mute = SilencedBy(alert, silences, now_ms).has_value() ||
                      (!inhibit_.empty() && IsInhibited(alert, firing, inhibit_));
    if (mute) ++muted;
    return mute;
  };
  int queued = 0;
  Status first_error = Status::Ok();
  for (int64_t group : due) {
    Result<std::optional<int64_t>> row = store_.FlushGroup(group, now_ms, is_muted);
    if (!row.ok()) {
      spdlog::error("alerts: flushing notification group {} failed: {}", group,
                    row.status().ToString());
      if (first_error.ok()) first_error = row.status();
      continue;
    }
    if (row->has_value()) ++queued;
  }
  {
    MutexLock lock(stats_mutex_);
    stats_.rows_queued += queued;
    stats_.muted += muted;
    if (!first_error.ok()) ++stats_.flush_errors;
  }
  if (queued > 0 && on_queued_) on_queued_();
  if (!first_error.ok() && queued == 0) return first_error;
  return queued;
}

void AlertPipeline::ResolveWhenQuiet(const std::string& source, int64_t quiet_ms) {
  if (quiet_ms > 0) quiet_after_[source] = quiet_ms;
}

Result<int64_t> AlertPipeline::ResolveQuietOnce(int64_t now_ms) {
  int64_t total = 0;
  for (const auto& [source, quiet_ms] : quiet_after_) {
    BEACON_ASSIGN_OR_RETURN(int64_t resolved,
                            store_.ResolveQuiet(source, now_ms - quiet_ms, now_ms));
    if (resolved > 0) {
      spdlog::info("alerts: resolved {} {} alert(s) not reported again for {} s", resolved, source,
                   quiet_ms / 1000);
    }
    total += resolved;
  }
  if (total > 0) {
    MutexLock lock(stats_mutex_);
    stats_.resolved_quiet += total;
  }
  return total;
}

void AlertPipeline::Start() {
  flusher_.StartPaced([this] { return FlushPass(); });
}

void AlertPipeline::Stop() {
  store_.WaitRecorded();
  flusher_.Stop();
}

PipelineStats AlertPipeline::stats() const {
  MutexLock lock(stats_mutex_);
  return stats_;
}

int64_t AlertPipeline::FlushPass() {
  next_pass_ms_.store(std::numeric_limits<int64_t>::max());
  const int64_t now = clock_.NowMs();
  if (!quiet_after_.empty() && now - last_quiet_pass_ms_ >= kQuietPassMs) {
    last_quiet_pass_ms_ = now;
    Result<int64_t> quiet = ResolveQuietOnce(now);
    if (!quiet.ok())
      spdlog::warn("alerts: resolving quiet alerts failed: {}", quiet.status().ToString());
  }
  Result<int> flushed = FlushDue(now);
  if (!flushed.ok()) spdlog::warn("alerts: flush pass failed: {}", flushed.status().ToString());
  int64_t sleep_ms = kMaxFlushSleepMs;
  Result<std::optional<int64_t>> next = store_.NextGroupFlushMs();
  // After a failure, wait the full period instead of spinning on the same due group.
  if (flushed.ok() && next.ok() && next->has_value()) {
    sleep_ms = std::clamp<int64_t>(**next - clock_.NowMs(), 0, kMaxFlushSleepMs);
  }
  // Published after reading the next flush time: a report committed after that read schedules
  // a flush earlier than this (or sees kMaxMs) and wakes the flusher.
  next_pass_ms_.store(clock_.NowMs() + sleep_ms);
  return sleep_ms;
}

}  // namespace beacon::collector::alerts
