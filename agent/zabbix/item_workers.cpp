// ItemWorkers: a condition variable and a deque per lane.
#include "agent/zabbix/item_workers.h"

#include <algorithm>

namespace beacon::agent::zabbix {

ItemWorkers::ItemWorkers(ItemWorkersOptions options) : options_(options) {}

ItemWorkers::~ItemWorkers() { Stop(); }

ItemCost ItemWorkers::CostOf(const ItemTable& table, const std::string& key_text) {
  const ItemDef* def = table.Find(key_text.substr(0, key_text.find('[')));
  return def != nullptr ? def->cost : ItemCost::kCheap;
}

void ItemWorkers::Start() {
  for (const auto& [lane_ptr, count] :
       {std::pair{&cheap_, options_.cheap_workers}, std::pair{&slow_, options_.slow_workers}}) {
    Lane* lane = lane_ptr;  // clang 14 cannot capture a structured binding
    {
      MutexLock lock(lane->mu);
      if (lane->running) continue;
      lane->running = true;
    }
    for (int i = 0; i < std::max(1, count); ++i) {
      lane->threads.emplace_back([lane] { Work(lane); });
    }
  }
}

void ItemWorkers::Stop() {
  for (Lane* lane : {&cheap_, &slow_}) {
    std::deque<std::function<void()>> dropped;
    {
      MutexLock lock(lane->mu);
      lane->running = false;
      dropped.swap(lane->queue);
    }
    lane->cv.notify_all();
    dropped.clear();  // outside the lock: a task's captures may close sockets
    for (std::thread& t : lane->threads) t.join();
    lane->threads.clear();
  }
}

bool ItemWorkers::Submit(ItemCost cost, std::function<void()> task) {
  Lane* lane = cost == ItemCost::kSlow ? &slow_ : &cheap_;
  MutexLock lock(lane->mu);
  if (!lane->running || lane->queue.size() >= options_.lane_queue) return false;
  lane->queue.push_back(std::move(task));
  lane->cv.notify_one();
  return true;
}

void ItemWorkers::Work(Lane* lane) {
  for (;;) {
    std::function<void()> task;
    {
      UniqueLock lock(lane->mu);
      lane->cv.wait(lock, [lane]() BEACON_REQUIRES(lane->mu) {
        return !lane->running || !lane->queue.empty();
      });
      if (!lane->running) return;
      task = std::move(lane->queue.front());
      lane->queue.pop_front();
    }
    task();
  }
}

}  // namespace beacon::agent::zabbix
