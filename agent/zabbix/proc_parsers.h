// Pure parsers for the /proc files the passive items read (meminfo, stat, net/dev, a process's
// status and cmdline) and the POSIX cksum CRC. No I/O; tested on fixture text.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::agent::zabbix {

// /proc/meminfo as bytes by field name ("MemTotal" -> 8227086336); lines that do not parse are
// skipped.
std::map<std::string, uint64_t> ParseMeminfo(std::string_view text);

// The ten counters of a "cpu" line of /proc/stat, in its order: user nice system idle iowait
// irq softirq steal guest guest_nice (missing ones are 0).
using CpuCounters = std::array<uint64_t, 10>;
struct CpuStat {
  CpuCounters all{};
  std::map<int, CpuCounters> cpus;  // cpuN by N
};
std::optional<CpuStat> ParseCpuStat(std::string_view text);

// /proc/net/dev: the 8 receive and 8 transmit counters per interface, in the file's order
// (bytes packets errs drop fifo frame|colls compressed multicast|carrier ...).
struct NetDevCounters {
  std::array<uint64_t, 8> rx{};
  std::array<uint64_t, 8> tx{};
};
// In the file's order (net.if.discovery lists them so).
std::vector<std::pair<std::string, NetDevCounters>> ParseNetDev(std::string_view text);

// The fields of /proc/<pid>/status that proc.num matches on.
struct ProcStatus {
  std::string name;   // "Name:"
  char state = '?';   // first letter of "State:"
  int64_t euid = -1;  // second field of "Uid:"
};
ProcStatus ParseProcStatus(std::string_view text);

// /proc/<pid>/cmdline (NUL-separated) as one line with spaces, like zabbix_agentd matches it.
std::string JoinCmdline(std::string_view raw);

// The CRC of POSIX cksum(1): the data, then its length, CRC-32 polynomial 0x04C11DB7 MSB-first,
// complemented. Feed with Update(), then Final().
class PosixCksum {
 public:
  void Update(const void* data, size_t size);
  uint32_t Final();

 private:
  uint32_t crc_ = 0;
  uint64_t length_ = 0;
};

}  // namespace beacon::agent::zabbix
