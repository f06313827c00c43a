// The `fim` input: config keys, baseline lifecycle, realtime watcher wiring and turning check
// reports into records.
#include "agent/inputs/fim/fim.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/clock.h"
#include "common/glob.h"

namespace beacon::agent::inputs {
namespace {

void AddChangeEvents(const std::vector<fim::Change>& changes, Emitter& emitter) {
  for (const fim::Change& change : changes) {
    wire::Event event;
    event.kind = fim::ChangeKindName(change.kind);
    event.severity = change.kind == fim::ChangeKind::kAdded ? "warning" : "high";
    event.subject = fim::EscapePath(change.path);
    event.data = fim::ChangeJson(change);
    if (change.kind == fim::ChangeKind::kChanged) {
      std::string names;
      for (const auto& [key, values] : change.attributes)
        names += (names.empty() ? "" : ", ") + key;
      event.message = event.subject + " changed: " + names;
    } else {
      event.message =
          event.subject + (change.kind == fim::ChangeKind::kAdded ? " was added" : " was removed");
    }
    emitter.AddEvent(std::move(event));
  }
}

void AddCheckSamples(const fim::CheckReport& report, Emitter& emitter) {
  emitter.AddSample("fim.files", static_cast<double>(report.files));
  emitter.AddSample("fim.check.duration", report.duration_s);
  emitter.AddSample("fim.changes", static_cast<double>(report.changes.size()));
}

void ExcludeTree(const std::string& dir, std::vector<std::string>* exclude) {
  exclude->push_back(EscapeGlob(dir));
  exclude->push_back(EscapeGlob(dir) + "/**");
}

}  // namespace

void ReadFimOptions(config::Node& node, bool enabled, fim::FimOptions* options) {
  node.Get("paths", &options->paths);
  node.Get("include", &options->include);
  node.Get("exclude", &options->exclude);
  node.Get("paranoid", &options->paranoid);
  node.Get("xattrs", &options->xattrs);
  node.Get("workers", &options->workers, 0, 256);
  node.Get("baseline", &options->baseline_path);
  node.Get("realtime", &options->realtime);
  for (std::string& path : options->paths) {
    if (path.empty() || path[0] != '/') {
      node.Error("paths", "'" + path + "' is not an absolute path");
      continue;
    }
    path = std::filesystem::path(path).lexically_normal().string();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
  }
  if (enabled && options->paths.empty()) {
    node.Error("paths", "at least one path is required when the fim input is enabled");
  }
  if (!options->baseline_path.empty() && options->baseline_path[0] != '/') {
    node.Error("baseline", "must be an absolute path");
  }
}

std::vector<MetricSpec> FimInput::metrics() const {
  using enum MetricType;
  return {
      {"fim.files",
       "count",
       "Entries (files, directories, links) under the watched paths",
       kGauge,
       {}},
      {"fim.check.duration",
       "seconds",
       "Wall time of the last full check (walk, hash, compare)",
       kGauge,
       {}},
      {"fim.changes",
       "count",
       "Changes (added + removed + changed) found by the last full check",
       kGauge,
       {}},
  };
}

std::vector<EventSpec> FimInput::events() const {
  return {
      {"fim.changed", "An entry's attributes changed (data.changes: attribute -> [old, new])"},
      {"fim.added", "A new entry appeared under a watched path (data.attributes)"},
      {"fim.removed", "An entry of the baseline is gone (data.attributes: the last known)"},
  };
}

Status FimInput::Init(config::Node node) {
  bool enabled = false;
  node.Get("enabled", &enabled);
  ReadFimOptions(node, enabled, &options_);
  return Status::Ok();
}

void FimInput::Configure(const std::string& state_dir) {
  namespace fs = std::filesystem;
  baseline_path_ = options_.baseline_path.empty() ? (fs::path(state_dir) / "baseline.db").string()
                                                  : options_.baseline_path;
  // The agent's own files change all the time; checking them would report (and, in realtime,
  // cause) endless changes.
  fim::FimOptions options = options_;
  options.exclude.push_back(EscapeGlob(baseline_path_) + "*");
  if (!state_dir.empty()) {
    const fs::path state = fs::absolute(state_dir).lexically_normal();
    ExcludeTree(state.string(), &options.exclude);
    if (state.filename() == "fim" && state.parent_path().filename() == "inputs") {
      ExcludeTree(state.parent_path().parent_path().string(), &options.exclude);
    }
  }
  scanner_ = std::make_unique<fim::Scanner>(options, open_);
}

Result<fim::CheckReport> FimInput::AcceptPath(const std::string& path) {
  if (!scanner_) {
    return Status::FailedPrecondition("the fim input is not configured (inputs.fim.paths)");
  }
  BEACON_RETURN_IF_ERROR(fim::CheckAcceptPath(*scanner_, path));
  std::lock_guard lock(mu_);
  if (baseline_) {
    if (need_init_) {
      return Status::FailedPrecondition(
          "the fim baseline does not exist yet (the input's first check builds it): nothing to "
          "accept into");
    }
    return fim::Accept(*scanner_, *baseline_, {path});
  }
  auto opened = fim::Baseline::Open(baseline_path_, false);
  if (!opened.ok()) {
    if (opened.status().code() == StatusCode::kNotFound) {
      return Status::FailedPrecondition("no fim baseline at " + fim::EscapePath(baseline_path_) +
                                        ": build it with `beacon-agent fim init` first");
    }
    return opened.status();
  }
  return fim::Accept(*scanner_, **opened, {path});
}

Status FimInput::Start(const InputContext& context, RecordSink sink) {
  sink_ = std::move(sink);
  clock_ = context.clock ? context.clock : &SystemClock::Instance();
  namespace fs = std::filesystem;
  Configure(context.state_dir);
  {
    std::lock_guard lock(mu_);
    std::error_code ec;
    need_init_ = !fs::exists(baseline_path_, ec);
    auto opened = fim::Baseline::Open(baseline_path_, true);
    if (!opened.ok()) return opened.status();
    baseline_ = std::move(*opened);
  }
  if (options_.realtime && sink_) {
    watcher_ = std::make_unique<fim::Watcher>(
        *scanner_, fim::Watcher::Callbacks{
                       [this](std::vector<fim::DirtyPath> paths) { OnDirty(std::move(paths)); },
                       [this] { OnOverflow(); },
                       [this](const std::string& message) { OnWatchError(message); }});
    Status started = watcher_->Start();
    if (!started.ok()) {
      watcher_.reset();
      return Status::IoError("realtime watching is off (scheduled checks go on): " +
                             started.message());
    }
  }
  return Status::Ok();
}

void FimInput::Stop() {
  if (watcher_) watcher_->Stop();
  watcher_.reset();
  std::lock_guard lock(mu_);
  baseline_.reset();
}

void FimInput::OnDirty(std::vector<fim::DirtyPath> paths) {
  std::lock_guard lock(mu_);
  // Before the first baseline exists every path would look new; the initial build records them.
  if (need_init_ || !baseline_) return;
  auto report = fim::CheckPaths(*scanner_, *baseline_, paths, true);
  if (!report.ok()) {
    spdlog::warn("fim: realtime check failed: {}", report.status().ToString());
    return;
  }
  if (report->changes.empty()) return;
  Emitter emitter(*clock_);
  AddChangeEvents(report->changes, emitter);
  Status sunk = sink_(std::move(emitter.records()));
  if (!sunk.ok()) spdlog::warn("fim: cannot hand over realtime events: {}", sunk.ToString());
}

void FimInput::OnOverflow() {
  std::lock_guard lock(mu_);
  if (need_init_ || !baseline_) return;
  spdlog::warn("fim: the inotify queue overflowed (events were lost): running a full check");
  auto report = fim::Check(*scanner_, *baseline_, true);
  if (!report.ok()) {
    spdlog::warn("fim: full check after overflow failed: {}", report.status().ToString());
    return;
  }
  Emitter emitter(*clock_);
  AddChangeEvents(report->changes, emitter);
  AddCheckSamples(*report, emitter);
  Status sunk = sink_(std::move(emitter.records()));
  if (!sunk.ok()) spdlog::warn("fim: cannot hand over overflow check events: {}", sunk.ToString());
}

void FimInput::OnWatchError(const std::string& message) {
  std::lock_guard lock(mu_);
  watch_errors_.push_back(message);
}

Status FimInput::Gather(Emitter& emitter) {
  std::lock_guard lock(mu_);
  if (!baseline_) {
    if (baseline_path_.empty()) return Status::FailedPrecondition("fim input was not started");
    std::error_code ec;
    need_init_ = !std::filesystem::exists(baseline_path_, ec);
    BEACON_ASSIGN_OR_RETURN(baseline_, fim::Baseline::Open(baseline_path_, true));
  }
  Result<fim::CheckReport> report =
      need_init_ ? fim::Init(*scanner_, *baseline_) : fim::Check(*scanner_, *baseline_, true);
  if (!report.ok()) return report.status();
  need_init_ = false;
  AddChangeEvents(report->changes, emitter);
  AddCheckSamples(*report, emitter);

  // Each failing path is reported when it starts failing, not on every check.
  std::set<std::string> current;
  std::vector<std::string> fresh = std::move(watch_errors_);
  watch_errors_.clear();
  for (const fim::ScanError& error : report->errors) {
    std::string key = error.path + std::string(1, '\0') + error.message;
    if (!reported_errors_.count(key)) {
      fresh.push_back(fim::EscapePath(error.path) + ": " + error.message);
    }
    current.insert(std::move(key));
  }
  reported_errors_ = std::move(current);
  if (fresh.empty()) return Status::Ok();
  constexpr size_t kMaxListed = 20;
  std::string message;
  for (size_t i = 0; i < fresh.size() && i < kMaxListed; ++i) {
    message += (i ? "; " : "") + fresh[i];
  }
  if (fresh.size() > kMaxListed) {
    message += "; and " + std::to_string(fresh.size() - kMaxListed) + " more";
  }
  return Status::IoError(message);
}

}  // namespace beacon::agent::inputs
