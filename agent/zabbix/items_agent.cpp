// agent.*, system.uptime, system.cpu.load, system.cpu.util, vm.memory.size and proc.num with
// zabbix_agentd 6.0's parameters, value formats and messages.
#include <dirent.h>
#include <pwd.h>
#include <regex.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "agent/zabbix/cpu_util.h"
#include "agent/zabbix/items.h"
#include "agent/zabbix/proc_parsers.h"

namespace beacon::agent::zabbix {
namespace {

ItemResult Constant(const ItemKey& key, std::string value) {
  ItemResult error;
  if (RejectParams(key, &error)) return error;
  return ItemResult::Value(std::move(value));
}

// sysinfo(2), as zabbix_agentd reads it: whole seconds, and the load averages at the
// kernel's fixed-point precision ("0.920898", not /proc/loadavg's two decimals).
ItemResult SystemUptime(const ItemKey& key, const ItemContext&) {
  ItemResult error;
  if (RejectParams(key, &error)) return error;
  struct sysinfo info {};
  if (::sysinfo(&info) != 0) {
    return ItemResult::NotSupported("Cannot obtain system information: " + ZbxErrno(errno));
  }
  return ItemResult::Value(std::to_string(info.uptime));
}

ItemResult CpuLoad(const ItemKey& key, const ItemContext&) {
  ItemResult error;
  if (TooMany(key, 2, &error)) return error;
  const std::string& scope = key.Param(0);
  if (!scope.empty() && scope != "all" && scope != "percpu") return InvalidParam(0);
  const std::string& mode = key.Param(1);
  if (!mode.empty() && mode != "avg1" && mode != "avg5" && mode != "avg15") {
    return InvalidParam(1);
  }
  struct sysinfo info {};
  if (::sysinfo(&info) != 0) {
    return ItemResult::NotSupported("Cannot obtain load average: " + ZbxErrno(errno));
  }
  const int index = mode == "avg5" ? 1 : mode == "avg15" ? 2 : 0;
  double value = static_cast<double>(info.loads[index]) / static_cast<double>(1 << SI_LOAD_SHIFT);
  if (scope == "percpu") {
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus <= 0) return ItemResult::NotSupported("Cannot obtain number of CPUs.");
    value /= static_cast<double>(cpus);
  }
  return ItemResult::Value(FormatFloat(value));
}

ItemResult CpuUtil(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 3, &error)) return error;
  int cpu = -1;
  const std::string& which = key.Param(0);
  if (!which.empty() && which != "all") {
    if (which.size() > 6 || which.find_first_not_of("0123456789") != std::string::npos) {
      return InvalidParam(0);
    }
    cpu = std::stoi(which);
  }
  const std::string type_name = key.Param(1).empty() ? "user" : key.Param(1);
  const int type = CpuUtilCollector::TypeIndex(type_name);
  if (type < 0) return InvalidParam(1);
  const std::string& mode = key.Param(2);
  int seconds = 60;
  if (mode == "avg5") {
    seconds = 300;
  } else if (mode == "avg15") {
    seconds = 900;
  } else if (!mode.empty() && mode != "avg1") {
    return InvalidParam(2);
  }
  if (context.cpu == nullptr) return ItemResult::NotSupported("Collector is not started.");
  context.cpu->EnsureStarted();
  auto util = context.cpu->Util(cpu, type, seconds);
  if (!util.ok()) return ItemResult::NotSupported(util.status().message());
  return ItemResult::Value(FormatFloat(*util));
}

ItemResult MemorySize(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 1, &error)) return error;
  const std::string mode = key.Param(0).empty() ? "total" : key.Param(0);
  static const char* const kModes[] = {"total",     "free",       "buffers", "used",   "pused",
                                       "available", "pavailable", "shared",  "cached", "active",
                                       "anon",      "inactive",   "slab"};
  bool known = false;
  for (const char* m : kModes) known = known || mode == m;
  if (!known) return InvalidParam(0);
  if (mode == "shared") return ItemResult::NotSupported("Supported for Linux 2.4 only.");
  auto text = ReadSmallFile(context.proc_root + "/meminfo");
  if (!text) return ItemResult::NotSupported("Cannot obtain memory information.");
  const auto info = ParseMeminfo(*text);
  auto field = [&info](const char* name) -> std::optional<uint64_t> {
    auto it = info.find(name);
    if (it == info.end()) return std::nullopt;
    return it->second;
  };
  const auto total = field("MemTotal");
  const auto free = field("MemFree");
  if (!total || !free) return ItemResult::NotSupported("Cannot obtain memory information.");
  auto available = field("MemAvailable");
  if (!available) available = *free + field("Buffers").value_or(0) + field("Cached").value_or(0);
  auto percent = [&total](uint64_t part) -> ItemResult {
    if (*total == 0) {
      return ItemResult::NotSupported("Cannot calculate percentage because total is zero.");
    }
    return ItemResult::Value(FormatFloat(100.0 * double(part) / double(*total)));
  };
  if (mode == "total") return ItemResult::Value(std::to_string(*total));
  if (mode == "free") return ItemResult::Value(std::to_string(*free));
  if (mode == "used") return ItemResult::Value(std::to_string(*total - *free));
  if (mode == "pused") return percent(*total - *free);
  if (mode == "available") return ItemResult::Value(std::to_string(*available));
  if (mode == "pavailable") return percent(*available);
  static const std::pair<const char*, const char*> kFields[] = {
      {"buffers", "Buffers"}, {"cached", "Cached"},     {"active", "Active"},
      {"anon", "AnonPages"},  {"inactive", "Inactive"}, {"slab", "Slab"}};
  for (const auto& [name, meminfo_field] : kFields) {
    if (mode != name) continue;
    auto value = field(meminfo_field);
    if (!value) return ItemResult::NotSupported("Cannot obtain memory information.");
    return ItemResult::Value(std::to_string(*value));
  }
  return InvalidParam(0);
}

// proc.num's filter, prepared once per request.
struct ProcFilter {
  std::string name;
  bool any_user = true;
  int64_t uid = -1;
  std::string states;  // accepted State letters; empty: all
  bool has_cmdline = false;
  regex_t cmdline{};
  bool cmdline_valid = false;
};

bool MatchesName(const std::string& wanted, const ProcStatus& status, const std::string& cmdline) {
  if (wanted.empty() || status.name == wanted) return true;
  // The basename of argv[0]: `cmdline` is NUL-separated.
  const std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  const size_t slash = argv0.rfind('/');
  return (slash == std::string::npos ? argv0 : argv0.substr(slash + 1)) == wanted;
}

ItemResult ProcNum(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 4, &error)) return error;
  ProcFilter filter;
  filter.name = key.Param(0);
  const std::string& user = key.Param(1);
  if (!user.empty()) {
    filter.any_user = false;
    passwd entry{};
    passwd* found = nullptr;
    char buffer[4096];
    if (::getpwnam_r(user.c_str(), &entry, buffer, sizeof(buffer), &found) != 0 ||
        found == nullptr) {
      return ItemResult::Value("0");  // an unknown user owns no process
    }
    filter.uid = found->pw_uid;
  }
  const std::string& state = key.Param(2);
  if (state == "run") {
    filter.states = "R";
  } else if (state == "sleep") {
    filter.states = "S";
  } else if (state == "zomb") {
    filter.states = "Z";
  } else if (state == "disk") {
    filter.states = "D";
  } else if (state == "trace") {
    filter.states = "Tt";
  } else if (!state.empty() && state != "all") {
    return InvalidParam(2);
  }
  filter.has_cmdline = !key.Param(3).empty();
  if (filter.has_cmdline) {
    filter.cmdline_valid =
        ::regcomp(&filter.cmdline, key.Param(3).c_str(), REG_EXTENDED | REG_NOSUB) == 0;
    if (!filter.cmdline_valid) return ItemResult::Value("0");  // matches nothing
  }
  struct RegexFree {
    ProcFilter* f;
    ~RegexFree() {
      if (f->cmdline_valid) ::regfree(&f->cmdline);
    }
  } regex_free{&filter};

  DIR* dir = ::opendir(context.proc_root.c_str());
  if (dir == nullptr) return ItemResult::NotSupported("Cannot open /proc: " + ZbxErrno(errno));
  int64_t count = 0;
  const std::string root = context.proc_root + "/";
  while (dirent* entry = ::readdir(dir)) {
    const std::string_view pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string_view::npos) continue;
    auto status_text = ReadSmallFile(root + std::string(pid) + "/status");
    if (!status_text) continue;  // gone meanwhile
    const ProcStatus status = ParseProcStatus(*status_text);
    if (!filter.any_user && status.euid != filter.uid) continue;
    if (!filter.states.empty() && filter.states.find(status.state) == std::string::npos) continue;
    std::string raw_cmdline;
    if (!filter.name.empty() || filter.has_cmdline) {
      raw_cmdline = ReadSmallFile(root + std::string(pid) + "/cmdline").value_or("");
    }
    if (!MatchesName(filter.name, status, raw_cmdline)) continue;
    if (filter.has_cmdline &&
        ::regexec(&filter.cmdline, JoinCmdline(raw_cmdline).c_str(), 0, nullptr, 0) != 0) {
      continue;
    }
    ++count;
  }
  ::closedir(dir);
  return ItemResult::Value(std::to_string(count));
}

}  // namespace

void AddAgentItems(ItemTable* table) {
  table->Add({"agent.ping", ItemCost::kInstant,
              [](const ItemKey& key, const ItemContext&) { return Constant(key, "1"); }});
  table->Add({"agent.version", ItemCost::kInstant,
              [](const ItemKey& key, const ItemContext& c) { return Constant(key, c.version); }});
  table->Add({"agent.hostname", ItemCost::kInstant,
              [](const ItemKey& key, const ItemContext& c) { return Constant(key, c.hostname); }});
  table->Add({"agent.variant", ItemCost::kInstant,
              [](const ItemKey& key, const ItemContext&) { return Constant(key, "1"); }});
  table->Add({"system.uptime", ItemCost::kCheap, SystemUptime});
  table->Add({"system.cpu.load", ItemCost::kCheap, CpuLoad});
  table->Add({"system.cpu.util", ItemCost::kCheap, CpuUtil});
  table->Add({"vm.memory.size", ItemCost::kCheap, MemorySize});
  table->Add({"proc.num", ItemCost::kSlow, ProcNum});
}

}  // namespace beacon::agent::zabbix
