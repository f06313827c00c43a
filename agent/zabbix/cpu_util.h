// CpuUtilCollector: system.cpu.util's history. Like zabbix_agentd's collector it reads
// /proc/stat once a second and keeps 15 minutes of samples, so avg1/avg5/avg15 are the
// utilisation between the newest sample and the one 60/300/900 s before it (the oldest one
// while the history is shorter). The sampling thread starts on the first system.cpu.util
// request. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "agent/zabbix/proc_parsers.h"
#include "common/mutex.h"
#include "common/periodic_loop.h"
#include "common/status.h"

namespace beacon::agent::zabbix {

class CpuUtilCollector {
 public:
  // Counter indexes of CpuCounters by system.cpu.util type name; -1 for an unknown name.
  static int TypeIndex(const std::string& type);

  explicit CpuUtilCollector(std::string proc_root = "/proc", int64_t interval_ms = 1000);
  ~CpuUtilCollector();  // Stop()s
  CpuUtilCollector(const CpuUtilCollector&) = delete;
  CpuUtilCollector& operator=(const CpuUtilCollector&) = delete;

  // Starts the sampling thread unless it runs; the first sample is taken before it returns.
  void EnsureStarted() BEACON_EXCLUDES(mu_);
  void Stop();

  // Adds one reading (the thread's, or a test's).
  void AddSample(const CpuStat& stat) BEACON_EXCLUDES(mu_);
  // Percent of time in counter `type` over the last `seconds` on `cpu` (-1: all CPUs).
  // NotFound when that CPU is not in the newest sample; 0 until there are two samples.
  Result<double> Util(int cpu, int type, int seconds) const BEACON_EXCLUDES(mu_);

 private:
  struct Sample {
    CpuCounters all{};
    std::vector<std::pair<int, CpuCounters>> cpus;  // sorted by cpu number
  };
  void SampleOnce();

  const std::string proc_root_;
  const int64_t interval_ms_;
  mutable Mutex mu_;
  std::deque<Sample> history_ BEACON_GUARDED_BY(mu_);
  bool started_ BEACON_GUARDED_BY(mu_) = false;
  PeriodicLoop loop_;
};

}  // namespace beacon::agent::zabbix
