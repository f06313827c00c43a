// Reads collector.yaml through common/config and applies the collector's own validation rules.
#include "collector/config.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>

#include "common/config/common_sections.h"

namespace beacon::collector {
namespace {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

void ResolveListenPaths(const std::string& base_dir, ListenConfig* listen) {
  listen->tls_cert_file = ResolvePath(base_dir, listen->tls_cert_file);
  listen->tls_key_file = ResolvePath(base_dir, listen->tls_key_file);
  listen->tls_client_ca_file = ResolvePath(base_dir, listen->tls_client_ca_file);
}

Result<CollectorConfig> Load(config::Document& doc) {
  CollectorConfig cfg;
  config::Node root = doc.root();

  ReadListenConfig(root.Child("listen"), "listen", &cfg.listen);

  config::Node store = root.Child("store");
  store.Get("path", &cfg.store.path);
  if (store.Has("path") && cfg.store.path.empty()) store.Error("path", "must not be empty");
  config::Node retention = store.Child("retention");
  retention.GetDurationMs("samples", &cfg.store.retention.samples_ms, kMinRetentionMs);
  retention.GetDurationMs("events", &cfg.store.retention.events_ms, kMinRetentionMs);
  store.GetDurationMs("prune_interval", &cfg.store.prune_interval_ms, kSecondMs);

  config::Node api = root.Child("api");
  if (!api.Has("admin_token_file") && !api.Has("admin_token_env") && !api.Has("admin_token")) {
    // Reported at the api node (or at the root when the whole section is missing).
    const std::string message =
        "the admin token is required: set api.admin_token_file or api.admin_token_env";
    if (api.IsNull()) {
      root.Error("api", message);
    } else {
      api.Error("admin_token_file", message);
    }
  } else {
    const size_t errors_before = doc.errors().size();
    api.GetSecret("admin_token", &cfg.api.admin_token);
    if (doc.errors().size() == errors_before && !cfg.api.admin_token.empty() &&
        static_cast<int64_t>(cfg.api.admin_token.value().size()) < kMinAdminTokenBytes) {
      // Never quote the value: only its source and the rule.
      api.Error(api.Has("admin_token_file") ? "admin_token_file" : "admin_token_env",
                "the admin token must be at least " + std::to_string(kMinAdminTokenBytes) +
                    " characters");
    }
  }

  config::Node ingest = root.Child("ingest");
  ingest.GetBytes("max_body_bytes", &cfg.ingest.max_body_bytes, 1024);
  ingest.GetBytes("max_decompressed_bytes", &cfg.ingest.max_decompressed_bytes, 1024);
  if (cfg.ingest.max_decompressed_bytes < cfg.ingest.max_body_bytes) {
    ingest.Error(ingest.Has("max_decompressed_bytes") ? "max_decompressed_bytes" : "max_body_bytes",
                 "must be at least ingest.max_body_bytes");
  }
  ingest.Get("max_records", &cfg.ingest.max_records, 1, 100000);
  ingest.Get("max_json_values", &cfg.ingest.max_json_values, int64_t{1000}, int64_t{100000000});

  config::Node hosts = root.Child("hosts");
  hosts.GetDurationMs("stale_after", &cfg.hosts.stale_after_ms, kSecondMs);

  config::Node backups_node = root.Child("backups");
  backups_node.Get("catalog_path", &cfg.backups.catalog_path);
  if (backups_node.Has("catalog_path") && cfg.backups.catalog_path.empty()) {
    backups_node.Error("catalog_path", "must not be empty");
  }
  backups_node.Get("max_waiting_polls", &cfg.backups.max_waiting_polls, 1, 100000);
  backups_node.GetDurationMs("retention", &cfg.backups.retention_ms, kMinRetentionMs);
  cfg.backups.stores = objstore::ReadStoreConfigs(backups_node.Child("stores"));
  cfg.backups.lifecycle = backups::ReadLifecycleConfig(backups_node);

  cfg.alerts = alerts::ReadAlertsConfig(root.Child("alerts"), notifier::ParseReceiver);

  cfg.bot = bot_host::ReadBotHostConfig(root.Child("bot"));
  for (const bot::ReportSchedule& report : cfg.bot.bot.reports) {
    for (const std::string& robot : report.to_robots) {
      // Scheduled reports reach group chats through the wecom_robot receivers of alerts.
      config::Node receiver = root.Child("alerts").Child("receivers").Child(robot);
      std::string type;
      if (receiver.Has("type")) receiver.Get("type", &type);
      if (type != "wecom_robot") {
        root.Child("bot").Error(
            "reports", "report " + report.name + ": to_robots names '" + robot + "', which is " +
                           (type.empty() ? std::string("not a receiver in alerts.receivers")
                                         : "a " + type + " receiver, not a wecom_robot one"));
      }
    }
  }

  config::ReadLogOptions(root.Child("log"), &cfg.log);

  BEACON_RETURN_IF_ERROR(doc.Finish());

  cfg.store.path = ResolvePath(doc.base_dir(), cfg.store.path);
  cfg.backups.catalog_path = ResolvePath(doc.base_dir(), cfg.backups.catalog_path);
  ResolveListenPaths(doc.base_dir(), &cfg.listen);
  cfg.log.file = ResolvePath(doc.base_dir(), cfg.log.file);
  cfg.alerts.path = ResolvePath(doc.base_dir(), cfg.alerts.path);
  cfg.bot.state_db = ResolvePath(doc.base_dir(), cfg.bot.state_db);
  ResolveListenPaths(doc.base_dir(), &cfg.bot.listen);
  return cfg;
}

}  // namespace

Result<CollectorConfig> LoadCollectorConfig(const std::string& path) {
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<config::Document> doc, config::Document::LoadFile(path));
  return Load(*doc);
}

Result<CollectorConfig> LoadCollectorConfigFromString(const std::string& text,
                                                      const std::string& display_name) {
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<config::Document> doc,
                          config::Document::LoadString(text, display_name));
  return Load(*doc);
}

std::string CatalogPath(const CollectorConfig& config) {
  if (!config.backups.catalog_path.empty()) return config.backups.catalog_path;
  return (std::filesystem::path(config.store.path).parent_path() / "catalog.db").string();
}

std::string AlertsPath(const CollectorConfig& config) {
  if (!config.alerts.path.empty()) return config.alerts.path;
  return (std::filesystem::path(config.store.path).parent_path() / "alerts.db").string();
}

std::string BotAuditPath(const CollectorConfig& config) {
  if (!config.bot.bot.audit_db.empty()) return config.bot.bot.audit_db;
  return (std::filesystem::path(config.store.path).parent_path() / "bot-audit.db").string();
}

std::string BotStatePath(const CollectorConfig& config) {
  if (!config.bot.state_db.empty()) return config.bot.state_db;
  return (std::filesystem::path(config.store.path).parent_path() / "bot.db").string();
}

int MaxWaitingPolls(const CollectorConfig& config) {
  if (config.backups.max_waiting_polls > 0) return config.backups.max_waiting_polls;
  // Each waiting poll holds a connection: half of them stay for everything else.
  return std::max(1, config.listen.max_connections / 2);
}

}  // namespace beacon::collector
