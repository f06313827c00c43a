// beacon-collector configuration: the typed form of collector.yaml (config/collector.yaml
// documents every key and its default) and its loader with collector-specific validation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collector/alerts/alerts_config.h"
#include "collector/backups/lifecycle_config.h"
#include "collector/bot/bot_host_config.h"
#include "collector/listen_config.h"
#include "common/cloud/objstore/store_config.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/status.h"

namespace beacon::collector {

inline constexpr int64_t kSecondMs = 1000;
inline constexpr int64_t kMinuteMs = 60 * kSecondMs;
inline constexpr int64_t kHourMs = 60 * kMinuteMs;
inline constexpr int64_t kDayMs = 24 * kHourMs;

struct RetentionConfig {
  int64_t samples_ms = 7 * kDayMs;
  int64_t events_ms = 90 * kDayMs;
};

struct StoreConfig {
  std::string path = "/var/lib/beacon/collector.db";
  RetentionConfig retention;
  int64_t prune_interval_ms = 10 * kMinuteMs;
};

struct ApiConfig {
  config::Secret admin_token;  // required: api.admin_token_file or api.admin_token_env
};

struct IngestConfig {
  int64_t max_body_bytes = int64_t{8} * 1024 * 1024;
  int64_t max_decompressed_bytes = int64_t{64} * 1024 * 1024;
  int max_records = 10000;
  int64_t max_json_values = 1000000;  // values in one batch's JSON (bounds its parsed tree)
};

struct HostsConfig {
  int64_t stale_after_ms = 2 * kMinuteMs;
};

struct BackupsConfig {
  // The backup catalog's SQLite file; empty: catalog.db in the directory of store.path.
  std::string catalog_path;
  // Object stores the lifecycle acts on, by the names the agents record (agent.yaml
  // backup.stores); a catalog entry whose store is not listed is never transitioned or deleted.
  std::map<std::string, objstore::StoreConfig> stores;
  backups::LifecycleConfig lifecycle;
  // Long-polls of GET /api/v1/agent/commands allowed to wait at once (each holds a connection,
  // no thread); more are answered at once. 0: half of listen.max_connections.
  int max_waiting_polls = 0;
  // Finished commands and lifecycle actions, and versions deleted by the lifecycle, older than
  // this are deleted from the catalog by the retention pass (store.prune_interval). At least 1h.
  int64_t retention_ms = 90 * kDayMs;
};

struct CollectorConfig {
  ListenConfig listen;
  StoreConfig store;
  ApiConfig api;
  IngestConfig ingest;
  HostsConfig hosts;
  BackupsConfig backups;
  alerts::AlertsConfig alerts;
  bot_host::BotHostConfig bot;  // enabled when a `bot:` section is present
  log::LogOptions log;
};

// The catalog file: backups.catalog_path, or catalog.db beside store.path.
std::string CatalogPath(const CollectorConfig& config);
// The alert store file: alerts.path, or alerts.db beside store.path.
std::string AlertsPath(const CollectorConfig& config);
// The bot's audit log: bot.audit_db, or bot-audit.db beside store.path.
std::string BotAuditPath(const CollectorConfig& config);
// The bot's reply queue: bot.state_db, or bot.db beside store.path.
std::string BotStatePath(const CollectorConfig& config);
// backups.max_waiting_polls with its default applied.
int MaxWaitingPolls(const CollectorConfig& config);

// Minimum values enforced by validation (also quoted in the error messages).
inline constexpr int64_t kMinRetentionMs = kHourMs;
inline constexpr int64_t kMinAdminTokenBytes = 16;

// Loads and validates a collector.yaml. On failure returns InvalidArgument whose message lists
// every problem, one per line, as "<file>:<line>: <key path>: <message>". Relative paths
// (store.path, backups.catalog_path, listen.tls_*_file) are resolved against the directory of
// the file.
Result<CollectorConfig> LoadCollectorConfig(const std::string& path);
// Same, from YAML text (tests); relative paths stay as written.
Result<CollectorConfig> LoadCollectorConfigFromString(const std::string& text,
                                                      const std::string& display_name);

}  // namespace beacon::collector
