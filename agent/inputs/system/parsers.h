// Pure parsers for the /proc files the system input reads, tested on fixture files
// (tests/fixtures/agent/proc). No I/O here; system.cpp reads the files and calls these.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::agent::inputs::system {

// Jiffies of the aggregate "cpu" line of /proc/stat.
struct CpuTimes {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  uint64_t Total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
};
Result<CpuTimes> ParseProcStat(std::string_view text);

// Percent of elapsed CPU time per mode between two snapshots: "user" (user+nice), "system"
// (system+irq+softirq), "iowait", "steal", "idle", and "total" = 100 - idle - iowait.
// Empty when no time elapsed or the counters went backwards (e.g. a reboot between snapshots).
std::map<std::string, double> CpuUtilPercent(const CpuTimes& before, const CpuTimes& after);

struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
  int64_t runnable = 0;  // scheduling entities currently runnable
  int64_t threads = 0;   // all scheduling entities (threads, not processes)
};
Result<LoadAvg> ParseLoadAvg(std::string_view text);

struct MemInfo {
  int64_t total_bytes = 0, available_bytes = 0, used_bytes = 0;
  double util_percent = 0;
  int64_t swap_total_bytes = 0, swap_used_bytes = 0;
};
// MemAvailable is used when present (kernel >= 3.14), else MemFree + Buffers + Cached.
Result<MemInfo> ParseMemInfo(std::string_view text);

// Seconds since boot: the first field of /proc/uptime.
Result<double> ParseUptime(std::string_view text);

// Number of processes: entries of /proc whose name is all digits.
int64_t CountPidEntries(const std::vector<std::string>& proc_entries);

struct Mount {
  std::string device;
  std::string mount_point;
  std::string fs_type;
};
// Parses /proc/self/mounts (octal escapes like \040 decoded) and keeps only filesystems that
// hold data: ext2/3/4, xfs, btrfs, vfat, exfat, zfs, f2fs, overlay, ... Pseudo filesystems
// (proc, sysfs, tmpfs, devtmpfs, cgroup*, ...) and network filesystems (whose statvfs can hang)
// are skipped. A device mounted several times (bind mounts) is reported once, at its shortest
// mount point.
std::vector<Mount> ParseMounts(std::string_view text);

// What statvfs(3) returns, reduced to the fields we use.
struct FsRaw {
  uint64_t fragment_size = 0;  // f_frsize
  uint64_t blocks = 0, blocks_free = 0, blocks_available = 0;
  uint64_t files = 0, files_free = 0;
};
struct FsUsage {
  int64_t size_bytes = 0, used_bytes = 0, free_bytes = 0;  // free = available to non-root
  double util_percent = 0;                                 // used / (used + free), like df
  bool has_inodes = false;                                 // false on btrfs, vfat, ...
  int64_t inodes_total = 0, inodes_used = 0;
  double inodes_util_percent = 0;
};
FsUsage ComputeFsUsage(const FsRaw& raw);

}  // namespace beacon::agent::inputs::system
