// WeightMemory: the weights `slb drain` and `release gray` took away, kept in a small SQLite file
// (bot.slb.state_db) so `slb undrain` and `release promote|abort` restore them even after a
// restart. One row per (server, load balancer, VServer group, port). Thread-safe (one mutex
// around the connection).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "common/store/sqlite.h"

namespace beacon::bot::release {

struct RememberedWeight {
  std::string server_id;
  std::string lb_id;
  std::string group_id;  // "" for the load balancer's default server group
  int port = 0;          // the VServer group member's port; 0 in the default group
  int weight = 0;        // the weight before the drain
  std::string command;   // "slb drain" | "release gray"
  std::string by;        // the principal who confirmed it
  int64_t since_ms = 0;
};

class WeightMemory {
 public:
  // Opens (creating) the file and its table; errors name the path.
  static Result<std::unique_ptr<WeightMemory>> Open(const std::string& path);

  // Stores every entry in one transaction, replacing what was remembered for the same member
  // (the caller only remembers weights above 0, so a second drain never overwrites the first
  // one's weights with 0).
  Status Remember(const std::vector<RememberedWeight>& entries);
  // What is remembered for `server_id`, ordered by load balancer, group and port.
  Result<std::vector<RememberedWeight>> Recall(const std::string& server_id);
  // Drops the entries' members (matched by server, load balancer, group and port).
  Status Forget(const std::vector<RememberedWeight>& entries);

 private:
  explicit WeightMemory(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}

  Mutex mu_;
  std::unique_ptr<store::Database> db_ BEACON_GUARDED_BY(mu_);
};

}  // namespace beacon::bot::release
