// ZabbixPassive: the passive-check side of beacon-agent as AgentService runs it: the latest
// metric values (fed with the records on their way to the spool), the system.cpu.util
// history, the item table and the listener. Built only when zabbix.listen is set.
// Observe() is thread-safe; Start/Stop from the service's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/zabbix/cpu_util.h"
#include "agent/zabbix/items.h"
#include "agent/zabbix/latest_values.h"
#include "agent/zabbix/passive_listener.h"
#include "agent/zabbix/zabbix_config.h"
#include "common/wire/wire.h"

namespace beacon::agent::zabbix {

class ZabbixPassive {
 public:
  // metric_inputs: metric name -> the input that declares it (for beacon.metric/discovery).
  ZabbixPassive(const ZabbixConfig& config, std::map<std::string, std::string> metric_inputs);
  ~ZabbixPassive();  // Stop()s

  // Keeps the newest value of every sample in `records`.
  void Observe(const std::vector<wire::Record>& records) { latest_.Observe(records); }

  // Starts the listener with the agent's parts that beacon.* items read (`sources.latest` is
  // set here). IoError when the port cannot be bound.
  Status Start(BeaconSources sources);
  void Stop();

  const PassiveListener* listener() const { return listener_.get(); }

 private:
  const ZabbixConfig config_;
  LatestValues latest_;
  CpuUtilCollector cpu_;
  ItemTable table_;
  std::unique_ptr<PassiveListener> listener_;
};

}  // namespace beacon::agent::zabbix
