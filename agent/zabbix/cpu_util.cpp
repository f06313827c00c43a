// CpuUtilCollector: the once-a-second /proc/stat history behind system.cpu.util.
#include "agent/zabbix/cpu_util.h"

#include <fstream>
#include <sstream>

namespace beacon::agent::zabbix {
namespace {

constexpr size_t kHistory = 15 * 60 + 1;

// Linux counts guest time in user and guest_nice in nice as well: take it out so that the
// types add up to 100, as zabbix_agentd does.
CpuCounters Adjusted(CpuCounters c) {
  c[0] = c[0] >= c[8] ? c[0] - c[8] : 0;
  c[1] = c[1] >= c[9] ? c[1] - c[9] : 0;
  return c;
}

double Percent(const CpuCounters& older, const CpuCounters& newer, int type) {
  const CpuCounters a = Adjusted(older), b = Adjusted(newer);
  uint64_t total_a = 0, total_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    total_a += a[i];
    total_b += b[i];
  }
  if (total_b <= total_a || b[type] < a[type]) return 0;
  return 100.0 * static_cast<double>(b[type] - a[type]) / static_cast<double>(total_b - total_a);
}

}  // namespace

int CpuUtilCollector::TypeIndex(const std::string& type) {
  static const char* const kTypes[] = {"user",      "nice",    "system", "idle",  "iowait",
                                       "interrupt", "softirq", "steal",  "guest", "guest_nice"};
  for (int i = 0; i < 10; ++i) {
    if (type == kTypes[i]) return i;
  }
  return -1;
}

CpuUtilCollector::CpuUtilCollector(std::string proc_root, int64_t interval_ms)
    : proc_root_(std::move(proc_root)), interval_ms_(interval_ms) {}

CpuUtilCollector::~CpuUtilCollector() { Stop(); }

void CpuUtilCollector::EnsureStarted() {
  {
    MutexLock lock(mu_);
    if (started_) return;
    started_ = true;
  }
  SampleOnce();
  loop_.Start(PeriodicLoop::FirstPass::kAfterInterval, interval_ms_, [this] { SampleOnce(); });
}

void CpuUtilCollector::Stop() { loop_.Stop(); }

void CpuUtilCollector::SampleOnce() {
  std::ifstream in(proc_root_ + "/stat");
  std::ostringstream text;
  text << in.rdbuf();
  if (auto stat = ParseCpuStat(text.str())) AddSample(*stat);
}

void CpuUtilCollector::AddSample(const CpuStat& stat) {
  Sample sample;
  sample.all = stat.all;
  sample.cpus.assign(stat.cpus.begin(), stat.cpus.end());
  MutexLock lock(mu_);
  history_.push_back(std::move(sample));
  if (history_.size() > kHistory) history_.pop_front();
}

Result<double> CpuUtilCollector::Util(int cpu, int type, int seconds) const {
  MutexLock lock(mu_);
  auto counters = [cpu](const Sample& s) -> const CpuCounters* {
    if (cpu < 0) return &s.all;
    for (const auto& [n, c] : s.cpus) {
      if (n == cpu) return &c;
    }
    return nullptr;
  };
  if (history_.empty()) return 0.0;
  const CpuCounters* newer = counters(history_.back());
  if (newer == nullptr) return Status::NotFound("Cannot obtain CPU information.");
  const size_t back = std::min<size_t>(static_cast<size_t>(seconds), history_.size() - 1);
  const CpuCounters* older = counters(history_[history_.size() - 1 - back]);
  if (older == nullptr || back == 0) return 0.0;
  return Percent(*older, *newer, type);
}

}  // namespace beacon::agent::zabbix
