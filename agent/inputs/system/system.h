// The `system` input: CPU %, load, memory, swap, per-filesystem space and inodes, uptime and
// process count from /proc and statvfs. The /proc root and statvfs are injectable for tests.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "agent/inputs/input.h"
#include "agent/inputs/system/parsers.h"

namespace beacon::agent::inputs {

class SystemInput final : public Input {
 public:
  using StatFs = std::function<Result<system::FsRaw>(const std::string& mount_point)>;
  // proc_root: "/proc" on a real host; stat_fs: statvfs(3) unless given.
  explicit SystemInput(std::string proc_root = "/proc", StatFs stat_fs = nullptr);

  std::string name() const override { return "system"; }
  std::vector<MetricSpec> metrics() const override;
  Status Init(config::Node node) override;
  // Emits every metric it can read; a file that cannot be read or parsed is reported in the
  // returned Status after the other metrics were emitted. CPU % needs two snapshots, so the
  // first Gather() emits no system.cpu.util.
  Status Gather(Emitter& emitter) override;

 private:
  std::string proc_root_;
  StatFs stat_fs_;
  std::optional<system::CpuTimes> last_cpu_;
};

}  // namespace beacon::agent::inputs
