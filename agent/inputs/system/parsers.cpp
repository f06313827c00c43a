// Parsers for /proc/stat, /proc/loadavg, /proc/meminfo, /proc/uptime and /proc/self/mounts.
#include "agent/inputs/system/parsers.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/strings.h"

namespace beacon::agent::inputs::system {
namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool ParseU64(std::string_view s, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseI64(std::string_view s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

double Percent(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

std::string DecodeOctalEscapes(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::all_of(s.begin() + i + 1, s.begin() + i + 4,
                    [](char c) { return c >= '0' && c <= '7'; })) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Result<CpuTimes> ParseProcStat(std::string_view text) {
  for (std::string_view line : Lines(text)) {
    auto fields = SplitWhitespace(line);
    if (fields.empty() || fields[0] != "cpu") continue;
    // Older kernels have fewer columns; user, nice, system, idle are always there.
    if (fields.size() < 5) return Status::InvalidArgument("/proc/stat: short 'cpu' line");
    uint64_t values[8] = {};
    for (size_t i = 1; i < fields.size() && i <= 8; ++i) {
      if (!ParseU64(fields[i], &values[i - 1])) {
        return Status::InvalidArgument("/proc/stat: bad number '" + std::string(fields[i]) +
                                       "' on the 'cpu' line");
      }
    }
    CpuTimes t;
    t.user = values[0];
    t.nice = values[1];
    t.system = values[2];
    t.idle = values[3];
    t.iowait = values[4];
    t.irq = values[5];
    t.softirq = values[6];
    t.steal = values[7];
    return t;
  }
  return Status::InvalidArgument("/proc/stat: no aggregate 'cpu' line");
}

std::map<std::string, double> CpuUtilPercent(const CpuTimes& before, const CpuTimes& after) {
  std::map<std::string, double> out;
  if (after.Total() <= before.Total()) return out;
  auto delta = [](uint64_t a, uint64_t b) { return b >= a ? static_cast<double>(b - a) : 0.0; };
  const double total = static_cast<double>(after.Total() - before.Total());
  const double user = delta(before.user, after.user) + delta(before.nice, after.nice);
  const double system = delta(before.system, after.system) + delta(before.irq, after.irq) +
                        delta(before.softirq, after.softirq);
  const double iowait = delta(before.iowait, after.iowait);
  const double steal = delta(before.steal, after.steal);
  const double idle = delta(before.idle, after.idle);
  out["user"] = Percent(user, total);
  out["system"] = Percent(system, total);
  out["iowait"] = Percent(iowait, total);
  out["steal"] = Percent(steal, total);
  out["idle"] = Percent(idle, total);
  out["total"] = std::clamp(100.0 - out["idle"] - out["iowait"], 0.0, 100.0);
  return out;
}

Result<LoadAvg> ParseLoadAvg(std::string_view text) {
  auto fields = SplitWhitespace(Lines(text).empty() ? std::string_view() : Lines(text)[0]);
  if (fields.size() < 4) return Status::InvalidArgument("/proc/loadavg: expected 5 fields");
  LoadAvg out;
  if (!ParseDouble(fields[0], &out.load1) || !ParseDouble(fields[1], &out.load5) ||
      !ParseDouble(fields[2], &out.load15)) {
    return Status::InvalidArgument("/proc/loadavg: bad load average");
  }
  size_t slash = fields[3].find('/');
  if (slash == std::string_view::npos || !ParseI64(fields[3].substr(0, slash), &out.runnable) ||
      !ParseI64(fields[3].substr(slash + 1), &out.threads)) {
    return Status::InvalidArgument("/proc/loadavg: bad 'runnable/total' field '" +
                                   std::string(fields[3]) + "'");
  }
  return out;
}

Result<MemInfo> ParseMemInfo(std::string_view text) {
  std::map<std::string, int64_t, std::less<>> kb;
  for (std::string_view line : Lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto fields = SplitWhitespace(line.substr(colon + 1));
    int64_t value = 0;
    if (fields.empty() || !ParseI64(fields[0], &value)) continue;
    kb[std::string(line.substr(0, colon))] = value;
  }
  auto get = [&](std::string_view key) -> int64_t {
    auto it = kb.find(key);
    return it == kb.end() ? -1 : it->second;
  };
  if (get("MemTotal") < 0) return Status::InvalidArgument("/proc/meminfo: no MemTotal");
  MemInfo out;
  out.total_bytes = get("MemTotal") * 1024;
  if (get("MemAvailable") >= 0) {
    out.available_bytes = get("MemAvailable") * 1024;
  } else {
    out.available_bytes =
        (std::max<int64_t>(get("MemFree"), 0) + std::max<int64_t>(get("Buffers"), 0) +
         std::max<int64_t>(get("Cached"), 0)) *
        1024;
  }
  out.available_bytes = std::min(out.available_bytes, out.total_bytes);
  out.used_bytes = out.total_bytes - out.available_bytes;
  out.util_percent =
      Percent(static_cast<double>(out.used_bytes), static_cast<double>(out.total_bytes));
  out.swap_total_bytes = std::max<int64_t>(get("SwapTotal"), 0) * 1024;
  int64_t swap_free = std::max<int64_t>(get("SwapFree"), 0) * 1024;
  out.swap_used_bytes = std::max<int64_t>(out.swap_total_bytes - swap_free, 0);
  return out;
}

Result<double> ParseUptime(std::string_view text) {
  auto fields = SplitWhitespace(Lines(text).empty() ? std::string_view() : Lines(text)[0]);
  double seconds = 0;
  if (fields.empty() || !ParseDouble(fields[0], &seconds) || seconds < 0) {
    return Status::InvalidArgument("/proc/uptime: bad uptime");
  }
  return seconds;
}

int64_t CountPidEntries(const std::vector<std::string>& proc_entries) {
  return std::count_if(proc_entries.begin(), proc_entries.end(), [](const std::string& name) {
    return !name.empty() &&
           std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
}

std::vector<Mount> ParseMounts(std::string_view text) {
  static const std::set<std::string, std::less<>> kDataFs = {
      "ext2", "ext3", "ext4",     "xfs",  "btrfs", "vfat",    "exfat",   "msdos",   "zfs",
      "f2fs", "jfs",  "reiserfs", "ntfs", "ntfs3", "overlay", "fuseblk", "bcachefs"};
  std::vector<Mount> out;
  for (std::string_view line : Lines(text)) {
    auto fields = SplitWhitespace(line);
    if (fields.size() < 3 || kDataFs.count(fields[2]) == 0) continue;
    Mount mount{DecodeOctalEscapes(fields[0]), DecodeOctalEscapes(fields[1]),
                std::string(fields[2])};
    // "overlay" is the device name of every overlay mount, so only real devices are merged.
    auto same = std::find_if(out.begin(), out.end(), [&](const Mount& m) {
      return m.device == mount.device && mount.fs_type != "overlay";
    });
    if (same == out.end()) {
      auto same_point = std::find_if(out.begin(), out.end(), [&](const Mount& m) {
        return m.mount_point == mount.mount_point;
      });
      if (same_point != out.end()) {
        *same_point = mount;  // mounted over: the later mount is what is visible
      } else {
        out.push_back(std::move(mount));
      }
    } else if (mount.mount_point.size() < same->mount_point.size()) {
      *same = std::move(mount);
    }
  }
  return out;
}

FsUsage ComputeFsUsage(const FsRaw& raw) {
  FsUsage out;
  const uint64_t frag = raw.fragment_size;
  out.size_bytes = static_cast<int64_t>(raw.blocks * frag);
  out.used_bytes =
      static_cast<int64_t>((raw.blocks - std::min(raw.blocks_free, raw.blocks)) * frag);
  out.free_bytes = static_cast<int64_t>(raw.blocks_available * frag);
  out.util_percent = Percent(static_cast<double>(out.used_bytes),
                             static_cast<double>(out.used_bytes + out.free_bytes));
  if (raw.files > 0) {
    out.has_inodes = true;
    out.inodes_total = static_cast<int64_t>(raw.files);
    out.inodes_used = static_cast<int64_t>(raw.files - std::min(raw.files_free, raw.files));
    out.inodes_util_percent =
        Percent(static_cast<double>(out.inodes_used), static_cast<double>(out.inodes_total));
  }
  return out;
}

}  // namespace beacon::agent::inputs::system
