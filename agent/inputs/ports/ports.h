// The `ports` input: listening TCP and bound UDP sockets checked against a policy of allowed
// and required ports; raises port.unexpected / port.closed once per occurrence, remembered in
// the input's state dir across restarts. The listener snapshot source is injectable for tests.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/inputs/input.h"
#include "agent/inputs/ports/tracker.h"

namespace beacon::agent::inputs {

class PortsInput final : public Input {
 public:
  using SnapshotSource = std::function<Result<std::vector<ports::Listener>>()>;
  // source: a HostListenerSource on /proc (netlink first) unless given.
  explicit PortsInput(SnapshotSource source = nullptr);

  std::string name() const override { return "ports"; }
  std::vector<MetricSpec> metrics() const override;
  std::vector<EventSpec> events() const override;
  // Reads `allowed` and `required`; each bad entry is recorded at its line in the node.
  Status Init(config::Node node) override;
  // Loads <state_dir>/ports-state.json if present. A corrupt file is reported and ignored
  // (the input starts with an empty state).
  Status Start(const InputContext& context, RecordSink sink) override;
  // Takes a snapshot and emits events and metrics. A failed snapshot changes no state (a table
  // that cannot be read must not look like every required port closing). The state is
  // written (temp file + rename) after every change; a write failure is returned.
  Status Gather(Emitter& emitter) override;

  const ports::Policy& policy() const { return policy_; }

 private:
  SnapshotSource source_;
  ports::Policy policy_;
  ports::PortTracker tracker_{ports::Policy{}};
  std::string state_path_;  // empty: state kept in memory only (no Start(), as in some tests)
};

}  // namespace beacon::agent::inputs
