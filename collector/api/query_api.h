// The collector's read and admin API (docs/api.md): /healthz, /metrics, hosts, events and agent
// tokens. Query and admin routes require the admin token. Handlers are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "collector/api/token_auth.h"
#include "collector/metrics.h"
#include "collector/store/event_store.h"
#include "common/clock.h"
#include "common/http/server.h"

namespace beacon::collector {

inline constexpr int kDefaultEventLimit = 100;
inline constexpr int kMaxEventLimit = 10000;
inline constexpr int kRecentEventsPerHost = 20;
inline constexpr int64_t kAdminMaxBodyBytes = int64_t{64} * 1024;

// Parses the events query parameters (host, kind, since, until, limit); InvalidArgument names
// the parameter. `since`/`until` take RFC 3339 or a duration ago ("1h") relative to now_ms.
Result<EventQuery> ParseEventQuery(const std::map<std::string, std::string>& params,
                                   int64_t now_ms);

class QueryApi {
 public:
  QueryApi(EventStore* store, const TokenAuth* auth, const CollectorMetrics* metrics,
           const Clock* clock, int64_t stale_after_ms)
      : store_(store),
        auth_(auth),
        metrics_(metrics),
        clock_(clock),
        stale_after_ms_(stale_after_ms) {}

  // Adds every route; the QueryApi must outlive the server.
  void Register(http::HttpServer& server);

  http::ServerResponse Healthz(http::ServerRequest& request);
  http::ServerResponse Metrics(http::ServerRequest& request);
  http::ServerResponse Hosts(http::ServerRequest& request);
  http::ServerResponse Host(http::ServerRequest& request);
  http::ServerResponse Events(http::ServerRequest& request);
  http::ServerResponse CreateToken(http::ServerRequest& request);
  http::ServerResponse ListTokens(http::ServerRequest& request);
  http::ServerResponse RevokeTokens(http::ServerRequest& request);

 private:
  nlohmann::json HostJson(const AgentInfo& agent, int64_t now_ms) const;
  http::ServerResponse StoreError(const http::ServerRequest& request, const Status& status);

  EventStore* store_;
  const TokenAuth* auth_;
  const CollectorMetrics* metrics_;
  const Clock* clock_;
  int64_t stale_after_ms_;
};

}  // namespace beacon::collector
