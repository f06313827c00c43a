// I/O half of the system input: reads /proc files and statvfs, hands the text to parsers.h.
#include "agent/inputs/system/system.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/posix.h"

namespace beacon::agent::inputs {
namespace {

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path + ": " + ErrnoText(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<system::FsRaw> StatVfs(const std::string& mount_point) {
  struct statvfs st {};
  if (::statvfs(mount_point.c_str(), &st) != 0) {
    return Status::IoError("statvfs " + mount_point + ": " + ErrnoText(errno));
  }
  system::FsRaw raw;
  raw.fragment_size = st.f_frsize ? st.f_frsize : st.f_bsize;
  raw.blocks = st.f_blocks;
  raw.blocks_free = st.f_bfree;
  raw.blocks_available = st.f_bavail;
  raw.files = st.f_files;
  raw.files_free = st.f_ffree;
  return raw;
}

}  // namespace

SystemInput::SystemInput(std::string proc_root, StatFs stat_fs)
    : proc_root_(std::move(proc_root)), stat_fs_(stat_fs ? std::move(stat_fs) : StatVfs) {}

std::vector<MetricSpec> SystemInput::metrics() const {
  using enum MetricType;
  return {
      {"system.cpu.util",
       "percent",
       "CPU time spent per mode (label mode: user, system, iowait, steal, idle) since the "
       "previous gather; without the label: busy time, 100 - idle - iowait",
       kGauge,
       {"mode"}},
      {"system.load1", "", "Load average over 1 minute", kGauge, {}},
      {"system.load5", "", "Load average over 5 minutes", kGauge, {}},
      {"system.load15", "", "Load average over 15 minutes", kGauge, {}},
      {"system.processes", "count", "Number of processes (entries /proc/<pid>)", kGauge, {}},
      {"system.mem.total", "bytes", "Physical memory (MemTotal)", kGauge, {}},
      {"system.mem.available",
       "bytes",
       "Memory available for new work without swapping (MemAvailable)",
       kGauge,
       {}},
      {"system.mem.used", "bytes", "Memory in use: total - available", kGauge, {}},
      {"system.mem.util", "percent", "Memory in use: used / total", kGauge, {}},
      {"system.swap.total", "bytes", "Swap space (SwapTotal)", kGauge, {}},
      {"system.swap.used", "bytes", "Swap in use: SwapTotal - SwapFree", kGauge, {}},
      {"system.uptime", "seconds", "Time since boot", kCounter, {}},
      {"system.fs.size", "bytes", "Filesystem size (label mount)", kGauge, {"mount"}},
      {"system.fs.used", "bytes", "Filesystem space in use (label mount)", kGauge, {"mount"}},
      {"system.fs.free",
       "bytes",
       "Filesystem space available to non-root users (label mount)",
       kGauge,
       {"mount"}},
      {"system.fs.util",
       "percent",
       "Filesystem space in use: used / (used + free), as df shows",
       kGauge,
       {"mount"}},
      {"system.fs.inodes.total",
       "count",
       "Inodes of the filesystem (label mount; absent on filesystems without a fixed inode "
       "table such as btrfs)",
       kGauge,
       {"mount"}},
      {"system.fs.inodes.used", "count", "Inodes in use (label mount)", kGauge, {"mount"}},
      {"system.fs.inodes.util",
       "percent",
       "Inodes in use: used / total (label mount)",
       kGauge,
       {"mount"}},
  };
}

Status SystemInput::Init(config::Node /*node*/) {
  // The system input has no keys of its own beyond the framework's `enabled` and `interval`.
  return Status::Ok();
}

Status SystemInput::Gather(Emitter& emitter) {
  std::vector<std::string> errors;
  auto note = [&](const Status& status) {
    if (!status.ok()) errors.push_back(status.message());
  };

  if (auto text = ReadSmallFile(proc_root_ + "/stat"); !text.ok()) {
    note(text.status());
  } else if (auto cpu = system::ParseProcStat(*text); !cpu.ok()) {
    note(cpu.status());
  } else {
    if (last_cpu_) {
      for (const auto& [mode, percent] : system::CpuUtilPercent(*last_cpu_, *cpu)) {
        if (mode == "total") {
          emitter.AddSample("system.cpu.util", percent);
        } else {
          emitter.AddSample("system.cpu.util", percent, {{"mode", mode}});
        }
      }
    }
    last_cpu_ = *cpu;
  }

  if (auto text = ReadSmallFile(proc_root_ + "/loadavg"); !text.ok()) {
    note(text.status());
  } else if (auto load = system::ParseLoadAvg(*text); !load.ok()) {
    note(load.status());
  } else {
    emitter.AddSample("system.load1", load->load1);
    emitter.AddSample("system.load5", load->load5);
    emitter.AddSample("system.load15", load->load15);
  }

  {
    std::vector<std::string> entries;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(proc_root_, ec), end; !ec && it != end;
         it.increment(ec)) {
      entries.push_back(it->path().filename().string());
    }
    if (ec) {
      note(Status::IoError("cannot list " + proc_root_ + ": " + ec.message()));
    } else {
      emitter.AddSample("system.processes", static_cast<double>(system::CountPidEntries(entries)));
    }
  }

  if (auto text = ReadSmallFile(proc_root_ + "/meminfo"); !text.ok()) {
    note(text.status());
  } else if (auto mem = system::ParseMemInfo(*text); !mem.ok()) {
    note(mem.status());
  } else {
    emitter.AddSample("system.mem.total", static_cast<double>(mem->total_bytes));
    emitter.AddSample("system.mem.available", static_cast<double>(mem->available_bytes));
    emitter.AddSample("system.mem.used", static_cast<double>(mem->used_bytes));
    emitter.AddSample("system.mem.util", mem->util_percent);
    emitter.AddSample("system.swap.total", static_cast<double>(mem->swap_total_bytes));
    emitter.AddSample("system.swap.used", static_cast<double>(mem->swap_used_bytes));
  }

  if (auto text = ReadSmallFile(proc_root_ + "/uptime"); !text.ok()) {
    note(text.status());
  } else if (auto uptime = system::ParseUptime(*text); !uptime.ok()) {
    note(uptime.status());
  } else {
    emitter.AddSample("system.uptime", *uptime);
  }

  if (auto text = ReadSmallFile(proc_root_ + "/self/mounts"); !text.ok()) {
    note(text.status());
  } else {
    for (const system::Mount& mount : system::ParseMounts(*text)) {
      auto raw = stat_fs_(mount.mount_point);
      if (!raw.ok()) {
        note(raw.status());
        continue;
      }
      const system::FsUsage usage = system::ComputeFsUsage(*raw);
      const std::map<std::string, std::string> labels = {{"mount", mount.mount_point}};
      emitter.AddSample("system.fs.size", static_cast<double>(usage.size_bytes), labels);
      emitter.AddSample("system.fs.used", static_cast<double>(usage.used_bytes), labels);
      emitter.AddSample("system.fs.free", static_cast<double>(usage.free_bytes), labels);
      emitter.AddSample("system.fs.util", usage.util_percent, labels);
      if (usage.has_inodes) {
        emitter.AddSample("system.fs.inodes.total", static_cast<double>(usage.inodes_total),
                          labels);
        emitter.AddSample("system.fs.inodes.used", static_cast<double>(usage.inodes_used), labels);
        emitter.AddSample("system.fs.inodes.util", usage.inodes_util_percent, labels);
      }
    }
  }

  if (errors.empty()) return Status::Ok();
  std::string message = errors[0];
  for (size_t i = 1; i < errors.size(); ++i) message += "; " + errors[i];
  return Status::IoError(message);
}

}  // namespace beacon::agent::inputs
