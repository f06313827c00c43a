// The backup routes of the collector API (docs/api.md "Backups and restores"): catalog listing
// and restore requests for admins. A restore becomes a command of the agent command queue,
// which collector/commands/commands_api delivers to the agent. Handlers are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "collector/api/token_auth.h"
#include "collector/backups/catalog.h"
#include "common/clock.h"
#include "common/http/server.h"

namespace beacon::collector::backups {

inline constexpr int kMaxVersionLimit = 10000;

struct BackupsApiOptions {
  // Called after a restore command was created waiting for an archive restore, so the archive
  // restorer starts on it now instead of at its next poll (may be empty).
  std::function<void()> on_archive_restore_requested;
};

// Parses the GET /api/v1/backups parameters; InvalidArgument names the parameter.
Result<VersionQuery> ParseVersionQuery(const std::map<std::string, std::string>& params,
                                       int64_t now_ms);

nlohmann::json VersionJson(const CatalogVersion& version);

struct QueuedRestore {
  commands::StoredCommand command;
  CatalogVersion version;  // restore_state as the request left it
};
// Queues a restore of the stored `version` to `target` on its host: a queued command, or, for
// an archived object without a readable copy, one waiting for the archive restore (the version
// is marked requested and on_archive_restore_requested, if set, is called). Shared by
// POST /api/v1/restores and the chat bot's `backup restore`. Errors: the catalog's.
Result<QueuedRestore> QueueRestore(Catalog& catalog, CatalogVersion version,
                                   const std::string& target, int64_t now_ms,
                                   const std::function<void()>& on_archive_restore_requested);

class BackupsApi {
 public:
  // catalog, auth and clock must outlive the api; restores are queued in catalog->commands().
  BackupsApi(Catalog* catalog, const TokenAuth* auth, const Clock* clock, BackupsApiOptions options)
      : catalog_(catalog),
        commands_(&catalog->commands()),
        auth_(auth),
        clock_(clock),
        options_(std::move(options)) {}

  // Adds every route; the BackupsApi must outlive the server.
  void Register(http::HttpServer& server);

  http::ServerResponse ListBackups(http::ServerRequest& request);
  http::ServerResponse CreateRestore(http::ServerRequest& request);

 private:
  http::ServerResponse CatalogError(const http::ServerRequest& request, const Status& status);

  Catalog* catalog_;
  commands::CommandQueue* commands_;
  const TokenAuth* auth_;
  const Clock* clock_;
  BackupsApiOptions options_;
};

}  // namespace beacon::collector::backups
