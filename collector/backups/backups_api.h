// The backup routes of the collector API (docs/api.md "Backups and restores" and "Agent command
// channel"): catalog listing, restore requests and command status for admins; the command
// long-poll and progress reports for agents. Handlers are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "collector/api/token_auth.h"
#include "collector/backups/catalog.h"
#include "common/clock.h"
#include "common/http/server.h"

namespace beacon::collector::backups {

inline constexpr int64_t kMaxPollWaitMs = 60 * 1000;
inline constexpr int kCommandsPerPoll = 10;
// Seconds an agent is told to wait (Retry-After) after an early empty poll reply.
inline constexpr int kPollRetryAfterSeconds = 5;
inline constexpr int kMaxVersionLimit = 10000;

struct BackupsApiOptions {
  int max_waiting_polls = 8;  // long-polls allowed to wait at once
  // Called after a restore command was created waiting for an archive restore, so the archive
  // restorer starts on it now instead of at its next poll (may be empty).
  std::function<void()> on_archive_restore_requested;
};

// Parses the GET /api/v1/backups parameters; InvalidArgument names the parameter.
Result<VersionQuery> ParseVersionQuery(const std::map<std::string, std::string>& params,
                                       int64_t now_ms);
// "25s", "500ms" or whole seconds "25", within 0..kMaxPollWaitMs; "" is 0.
Result<int64_t> ParsePollWait(const std::string& text);

nlohmann::json VersionJson(const CatalogVersion& version);
nlohmann::json CommandJson(const StoredCommand& command);

class BackupsApi {
 public:
  // catalog, auth and clock must outlive the api.
  BackupsApi(Catalog* catalog, const TokenAuth* auth, const Clock* clock, BackupsApiOptions options)
      : catalog_(catalog), auth_(auth), clock_(clock), options_(options) {}

  // Adds every route; the BackupsApi must outlive the server.
  void Register(http::HttpServer& server);

  http::ServerResponse ListBackups(http::ServerRequest& request);
  http::ServerResponse CreateRestore(http::ServerRequest& request);
  http::ServerResponse GetCommand(http::ServerRequest& request);
  http::ServerResponse ListCommands(http::ServerRequest& request);
  http::ServerResponse PollCommands(http::ServerRequest& request);
  http::ServerResponse UpdateCommand(http::ServerRequest& request);

  // Polls currently waiting for commands (observability and tests).
  int waiting_polls() const { return waiting_polls_.load(); }

 private:
  http::ServerResponse CatalogError(const http::ServerRequest& request, const Status& status);

  Catalog* catalog_;
  const TokenAuth* auth_;
  const Clock* clock_;
  BackupsApiOptions options_;
  std::atomic<int> waiting_polls_{0};
};

}  // namespace beacon::collector::backups
