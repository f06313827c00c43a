// The `fim` input (file integrity): on each interval it checks the configured paths against the
// SQLite baseline, emits one event per change and then moves the baseline forward so a change is
// reported once. With `realtime` (default) an inotify watcher re-checks changed paths within
// moments and runs a full check when the kernel queue overflows. The first gather on a host
// without a baseline builds it silently. AcceptPath() is the "fim.accept" command's way in
// (agent/inputs/fim/accept_handler.h), enabled input or not.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/inputs/fim/engine.h"
#include "agent/inputs/fim/watcher.h"
#include "agent/inputs/input.h"

namespace beacon::agent::inputs {

// Reads the input's own keys (paths, include, exclude, paranoid, xattrs, workers, baseline,
// realtime) into `options`, recording errors on the node. `enabled` decides whether paths are
// required.
void ReadFimOptions(config::Node& node, bool enabled, fim::FimOptions* options);

// Thread-safe: Gather() and the watcher's thread share the baseline under one mutex.
class FimInput final : public Input {
 public:
  // `open`: how files are opened for hashing (tests inject failures); default open(2).
  explicit FimInput(fim::OpenForHash open = nullptr) : open_(std::move(open)) {}
  ~FimInput() override { Stop(); }

  std::string name() const override { return "fim"; }
  std::vector<MetricSpec> metrics() const override;
  std::vector<EventSpec> events() const override;
  Status Init(config::Node node) override;
  // Opens (or creates) the baseline: options().baseline_path, else <state_dir>/baseline.db,
  // and starts the realtime watcher. The state directory (and, under the agent's usual layout
  // <data_dir>/inputs/fim, the whole data_dir with the spool) is never checked.
  Status Start(const InputContext& context, RecordSink sink) override;
  // Builds the baseline when there was none, else checks, emits events and updates it. A path
  // that cannot be read is returned as an error the first time only, while it stays failing.
  Status Gather(Emitter& emitter) override;
  void Stop() override;

  // What Start() works out from the state directory (the baseline's path, the scanner with the
  // agent's own files excluded), without opening or watching anything: for AcceptPath() on an
  // input that is configured (inputs.fim.paths) but not enabled. Called at most once, instead
  // of Start() and before any AcceptPath().
  void Configure(const std::string& state_dir);
  // Accepts the current state of `path` (a file, or a directory with everything below it) into
  // the baseline, so the next check is clean for it; returns the changes accepted. The path
  // must pass fim::CheckAcceptPath (InvalidArgument). A started input's baseline is used under
  // its mutex, so it never races a check or the realtime watcher; otherwise the baseline file
  // is opened for the call. FailedPrecondition when there is no baseline yet (before the
  // input's first check, or before `beacon-agent fim init` when the input is not enabled) or
  // the input was neither configured nor started. Thread-safe.
  Result<fim::CheckReport> AcceptPath(const std::string& path);

  const fim::FimOptions& options() const { return options_; }

 private:
  void OnDirty(std::vector<fim::DirtyPath> paths);
  void OnOverflow();
  void OnWatchError(const std::string& message);

  fim::FimOptions options_;
  fim::OpenForHash open_;
  std::string baseline_path_;
  std::unique_ptr<fim::Scanner> scanner_;  // set by Start(); the watcher refers to it
  std::unique_ptr<fim::Watcher> watcher_;
  RecordSink sink_;
  const Clock* clock_ = nullptr;

  std::mutex mu_;
  std::unique_ptr<fim::Baseline> baseline_;  // guarded by mu_
  bool need_init_ = false;                   // guarded by mu_
  std::set<std::string> reported_errors_;    // guarded by mu_; "path\0message" already reported
  std::vector<std::string> watch_errors_;    // guarded by mu_; not yet returned by Gather()
};

}  // namespace beacon::agent::inputs
