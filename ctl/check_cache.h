// The small on-disk cache of `beaconctl zabbix rds.*`: one JSON file per entry under a state
// directory, fresh for a TTL, and a lock file per entry so that concurrent invocations (Zabbix
// pollers asking for the same instance) make one API call between them: the first takes the
// lock and fetches, the others wait on the lock and then read what it stored. Not thread-safe
// within a process (beaconctl is single-threaded); safe across processes (flock).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace beacon::ctl {

class CheckCache {
 public:
  // `dir` is created (0700) on first use; entries older than `ttl_ms` are fetched again.
  CheckCache(std::string dir, int64_t ttl_ms, const Clock& clock);

  // The entry `name` (1..128 of [A-Za-z0-9._-]) when younger than the TTL; otherwise, under the
  // entry's lock, checks again and calls `fetch`, storing its value atomically (temp file +
  // rename, 0600). A fetch error is returned and nothing is stored (the next call tries again).
  // A cache file that cannot be read or parsed counts as absent.
  Result<nlohmann::json> GetOrFetch(const std::string& name,
                                    const std::function<Result<nlohmann::json>()>& fetch);

 private:
  Result<nlohmann::json> ReadFresh(const std::string& path) const;

  std::string dir_;
  int64_t ttl_ms_;
  const Clock& clock_;
};

}  // namespace beacon::ctl
