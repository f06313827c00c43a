// ItemWorkers: the two bounded worker lanes that run Zabbix items, shared by the passive
// listener, the active checks and the UserParameters. Cheap items (a few /proc lines) and slow
// ones (file hashes, connects, process scans, UserParameter commands) have their own threads and
// queues, so a slow item cannot hold up a cheap one. Submit() is thread-safe; Start/Stop from one
// thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "agent/zabbix/items.h"
#include "common/mutex.h"

namespace beacon::agent::zabbix {

struct ItemWorkersOptions {
  int cheap_workers = 2;
  int slow_workers = 3;    // zabbix.workers
  size_t lane_queue = 64;  // tasks waiting per lane; beyond, Submit() refuses
};

class ItemWorkers {
 public:
  explicit ItemWorkers(ItemWorkersOptions options = {});
  ~ItemWorkers();  // Stop()s
  ItemWorkers(const ItemWorkers&) = delete;
  ItemWorkers& operator=(const ItemWorkers&) = delete;

  // The lane of `key_text`: its name's cost in `table`; an unparsable or unknown key is cheap
  // (it is answered at once).
  static ItemCost CostOf(const ItemTable& table, const std::string& key_text);

  void Start();
  // Lets each worker finish its task, drops the queued ones (destroyed unrun) and joins.
  // Idempotent.
  void Stop();

  // Queues `task` on the lane; false (task dropped) when that lane's queue is full or stopped.
  bool Submit(ItemCost cost, std::function<void()> task);

 private:
  struct Lane {
    Mutex mu;
    std::condition_variable_any cv;
    std::deque<std::function<void()>> queue BEACON_GUARDED_BY(mu);
    bool running BEACON_GUARDED_BY(mu) = false;
    std::vector<std::thread> threads;
  };
  static void Work(Lane* lane);

  const ItemWorkersOptions options_;
  Lane cheap_;
  Lane slow_;
};

}  // namespace beacon::agent::zabbix
