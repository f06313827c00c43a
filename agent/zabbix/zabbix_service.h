// ZabbixService: the Zabbix side of beacon-agent as AgentService runs it: the latest metric
// values (fed with the records on their way to the spool), the system.cpu.util history, the
// item table (built-in items and UserParameters), the worker lanes the passive listener and
// the active checks share, the listener (with zabbix.listen) and one active-check session per
// zabbix.server_active entry. Built when either is configured. Observe() is thread-safe;
// Start/Stop from the service's thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/zabbix/active_checks.h"
#include "agent/zabbix/cpu_util.h"
#include "agent/zabbix/item_workers.h"
#include "agent/zabbix/items.h"
#include "agent/zabbix/latest_values.h"
#include "agent/zabbix/passive_listener.h"
#include "agent/zabbix/zabbix_config.h"
#include "common/wire/wire.h"

namespace beacon::agent::zabbix {

class ZabbixService {
 public:
  // metric_inputs: metric name -> the input that declares it (for beacon.metric/discovery).
  ZabbixService(const ZabbixConfig& config, std::map<std::string, std::string> metric_inputs);
  ~ZabbixService();  // Stop()s

  // Keeps the newest value of every sample in `records`.
  void Observe(const std::vector<wire::Record>& records) { latest_.Observe(records); }

  // Starts the lanes, the listener and the active checks with the agent's parts that beacon.*
  // items read (`sources.latest` is set here). IoError when the port cannot be bound (nothing
  // runs then); InvalidArgument when a UserParameter clashes with an item.
  Status Start(BeaconSources sources);
  // Stops the listener and the sessions, then the lanes (items in progress finish). Idempotent.
  void Stop();

  const PassiveListener* listener() const { return listener_.get(); }
  const std::vector<std::unique_ptr<ActiveChecks>>& active() const { return active_; }

 private:
  const ZabbixConfig config_;
  LatestValues latest_;
  CpuUtilCollector cpu_;
  ItemTable table_;
  Status table_status_;  // a UserParameter that clashes, reported by Start
  ItemWorkers workers_;
  std::unique_ptr<PassiveListener> listener_;
  std::vector<std::unique_ptr<ActiveChecks>> active_;
};

}  // namespace beacon::agent::zabbix
