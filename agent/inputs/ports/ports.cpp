// The ports input: policy from YAML, snapshot -> tracker -> events/metrics, state on disk.
#include "agent/inputs/ports/ports.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "agent/inputs/ports/host.h"
#include "common/posix.h"

namespace beacon::agent::inputs {
namespace {

constexpr char kStateFile[] = "ports-state.json";

// One list entry: "22", "udp/53", "8000-8100", or a one-key mapping `8080: java`.
std::optional<ports::PortSpec> ReadEntry(config::Node item) {
  if (item.IsScalar()) {
    auto spec = ports::ParsePortSpec(item.Scalar());
    if (!spec.ok()) {
      item.Error("", spec.status().message());
      return std::nullopt;
    }
    return *spec;
  }
  if (item.IsMap()) {
    auto entries = item.MapEntries();
    if (entries.size() != 1) {
      item.Error("", "expected one 'port: process' pair, got " + std::to_string(entries.size()));
      return std::nullopt;
    }
    auto& [key, value] = entries[0];
    auto spec = ports::ParsePortSpec(key);
    if (!spec.ok()) {
      value.Error("", spec.status().message());
      return std::nullopt;
    }
    if (!value.IsScalar() || value.Scalar().empty()) {
      value.Error("", "expected a process name (as in /proc/<pid>/comm)");
      return std::nullopt;
    }
    spec->process = value.Scalar();
    return *spec;
  }
  item.Error("", "expected a port (22), a range (8000-8100) or 'port: process' (8080: java)");
  return std::nullopt;
}

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp";
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::IoError("cannot write " + temp + ": " + ErrnoText(errno));
  BEACON_RETURN_IF_ERROR(WriteAll(fd.get(), content, "cannot write " + temp));
  // fsync before rename: after a power loss the file is the old or the new state, never empty.
  if (::fsync(fd.get()) != 0 || fd.Close() != 0) {
    return Status::IoError("cannot sync " + temp + ": " + ErrnoText(errno));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot rename " + temp + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

}  // namespace

PortsInput::PortsInput(SnapshotSource source) : source_(std::move(source)) {
  if (!source_) {
    source_ = [host = std::make_shared<ports::HostListenerSource>()] { return host->Snapshot(); };
  }
}

std::vector<MetricSpec> PortsInput::metrics() const {
  using enum MetricType;
  return {
      {"ports.listening",
       "count",
       "Listening TCP sockets and bound, unconnected UDP sockets, one per protocol, address "
       "and port (label proto: tcp, udp)",
       kGauge,
       {"proto"}},
      {"ports.unexpected",
       "count",
       "Listeners the policy does not allow, open at the last gather",
       kGauge,
       {}},
  };
}

std::vector<EventSpec> PortsInput::events() const {
  return {
      {"port.unexpected",
       "A listener the policy does not allow appeared (warning; once while it stays open)"},
      {"port.closed", "A required port is not listening (high; once per outage)"},
  };
}

Status PortsInput::Init(config::Node node) {
  ports::Policy policy;
  for (config::Node item : node.Sequence("allowed")) {
    if (auto spec = ReadEntry(item)) policy.allowed.push_back(std::move(*spec));
  }
  for (config::Node item : node.Sequence("required")) {
    auto spec = ReadEntry(item);
    if (!spec) continue;
    if (spec->first != spec->last) {
      item.Error("", "a required port must be a single port, not the range " + spec->ToString());
      continue;
    }
    if (spec->proto.empty()) spec->proto = "tcp";
    policy.required.push_back(std::move(*spec));
  }
  policy_ = policy;
  tracker_ = ports::PortTracker(std::move(policy));
  return Status::Ok();
}

Status PortsInput::Start(const InputContext& context, RecordSink /*sink*/) {
  if (context.state_dir.empty()) return Status::Ok();
  state_path_ = context.state_dir + "/" + kStateFile;
  std::error_code ec;
  if (!std::filesystem::exists(state_path_, ec) && !ec) return Status::Ok();  // first run
  std::ifstream in(state_path_, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + state_path_ + ": " + ErrnoText(errno));
  std::ostringstream text;
  text << in.rdbuf();
  Status restored = tracker_.RestoreState(text.str());
  if (!restored.ok()) {
    return Status(restored.code(), state_path_ + ": " + restored.message() +
                                       " (ignored: listeners open now are reported again)");
  }
  return Status::Ok();
}

Status PortsInput::Gather(Emitter& emitter) {
  auto snapshot = source_();
  if (!snapshot.ok()) return snapshot.status();
  for (wire::Event& event : tracker_.Update(*snapshot)) emitter.AddEvent(std::move(event));
  for (const auto& [proto, count] : tracker_.listening_counts()) {
    emitter.AddSample("ports.listening", static_cast<double>(count), {{"proto", proto}});
  }
  emitter.AddSample("ports.unexpected", static_cast<double>(tracker_.unexpected_count()));
  if (state_path_.empty() || !tracker_.dirty()) return Status::Ok();
  BEACON_RETURN_IF_ERROR(WriteFileAtomically(state_path_, tracker_.SaveState()));
  tracker_.MarkSaved();
  return Status::Ok();
}

}  // namespace beacon::agent::inputs
