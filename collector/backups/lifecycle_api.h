// The backup lifecycle routes of the collector API (docs/api.md "Backup lifecycle"): run the
// policies now (or as a dry run) and list the recorded actions. Admin token only.
//
// Wiring (collector/service.cpp), with `stores` the collector's map name -> ObjectStore*:
//   LifecycleConfig lc = config.backups.lifecycle;   // ReadLifecycleConfig(backups node)
//   LifecycleRunner runner(*catalog, stores, clock, lc);  runner.Start();   // scheduled runs
//   ArchiveRestorer restorer(*catalog, stores, clock, lc); restorer.Start(); // archive restores
//   RegisterLifecycleRoutes(server, token_auth, runner, *catalog);  // before server.Start()
//   On shutdown: server.Stop(), then restorer.Stop() and runner.Stop() (also their destructors).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "collector/api/token_auth.h"
#include "collector/backups/catalog.h"
#include "collector/backups/lifecycle.h"
#include "common/http/server.h"

namespace beacon::collector::backups {

inline constexpr int kDefaultActionLimit = 1000;
inline constexpr int kMaxActionLimit = 10000;

// The dry_run query parameter: "true" | "false" ("" or absent: false); else InvalidArgument.
Result<bool> ParseDryRun(const std::map<std::string, std::string>& query);

nlohmann::json LifecycleRunJson(const LifecycleRunReport& report);

// Adds POST /api/v1/backups/lifecycle?dry_run=true|false and
// GET /api/v1/backups/actions?state=pending|done|failed&limit=N. auth, runner and catalog must
// outlive the server.
void RegisterLifecycleRoutes(http::HttpServer& server, const TokenAuth& auth,
                             LifecycleRunner& runner, Catalog& catalog);

}  // namespace beacon::collector::backups
