// CollectorService: wires a CollectorConfig into a running collector (store and backup catalog
// -> routes -> HTTP server) plus the background retention pruner, backup lifecycle runner and
// archive restorer. Start/Stop are called from one thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alerts_api.h"
#include "collector/alerts/pipeline.h"
#include "collector/api/query_api.h"
#include "collector/api/token_auth.h"
#include "collector/backups/archive_restorer.h"
#include "collector/backups/backups_api.h"
#include "collector/backups/catalog.h"
#include "collector/backups/lifecycle.h"
#include "collector/bot/bot_host.h"
#include "collector/commands/commands_api.h"
#include "collector/config.h"
#include "collector/ingest/ingest_handler.h"
#include "collector/metrics.h"
#include "collector/outbox/dispatcher.h"
#include "collector/store/sqlite_event_store.h"
#include "common/clock.h"
#include "common/http/client.h"
#include "common/http/server.h"
#include "common/periodic_loop.h"
#include "notifier/notifier.h"

namespace beacon::collector {

class CollectorService {
 public:
  // The clock must outlive the service.
  explicit CollectorService(CollectorConfig config, const Clock* clock = &SystemClock::Instance());
  ~CollectorService();  // stops if running
  CollectorService(const CollectorService&) = delete;
  CollectorService& operator=(const CollectorService&) = delete;

  // Opens and migrates the store, binds the listener and starts the pruner. On failure nothing
  // keeps running.
  Status Start();
  // Re-reads listen.tls_* files for new connections; the old ones stay on failure.
  Status ReloadTls();
  // Stops accepting requests, finishes the pruner promptly and closes the store. Idempotent.
  void Stop();

  // Runs one retention pass now (the pruner calls this every store.prune_interval).
  Result<PruneResult> PruneOnce();

  int port() const;                // bound port after Start()
  std::string listen_url() const;  // "http://127.0.0.1:8470"
  EventStore* store() { return store_.get(); }
  backups::Catalog* catalog() { return catalog_.get(); }
  const commands::CommandsApi* commands_api() const { return commands_api_.get(); }
  backups::LifecycleRunner* lifecycle() { return lifecycle_.get(); }
  const CollectorMetrics& metrics() const { return metrics_; }
  alerts::AlertStore* alert_store() { return alert_store_.get(); }
  alerts::AlertPipeline* alert_pipeline() { return alert_pipeline_.get(); }
  // The chat bot when `bot:` is configured (null otherwise).
  bot_host::BotHost* bot() { return bot_.get(); }

 private:
  // Opens the alert store, builds the receivers' notifiers, the router, the pipeline, the outbox
  // dispatcher and the alerts API (not started).
  Status SetUpAlerts();
  // The alert pipeline's /metrics section.
  std::string AlertMetrics() const;

  CollectorConfig config_;
  const Clock* clock_;
  CollectorMetrics metrics_;
  std::unique_ptr<SqliteEventStore> store_;
  std::unique_ptr<backups::Catalog> catalog_;
  std::unique_ptr<TokenAuth> auth_;
  // The ingest consumers (backup catalog, agent alert rules), in the order ingest calls them.
  std::vector<std::unique_ptr<IngestConsumer>> ingest_consumers_;
  std::unique_ptr<IngestHandler> ingest_;
  std::unique_ptr<QueryApi> query_;
  std::unique_ptr<backups::BackupsApi> backups_api_;
  std::unique_ptr<commands::CommandsApi> commands_api_;
  // backups.stores by name; the lifecycle runner and archive restorer use them.
  std::map<std::string, std::unique_ptr<objstore::ObjectStore>> object_stores_;
  std::unique_ptr<backups::LifecycleRunner> lifecycle_;
  std::unique_ptr<backups::ArchiveRestorer> archive_restorer_;
  // Alerts: store, notifiers (by receiver name) and their HTTP client, pipeline, outbox.
  std::unique_ptr<alerts::AlertStore> alert_store_;
  std::unique_ptr<http::HttpClient> notifier_http_;
  std::map<std::string, std::unique_ptr<notifier::Notifier>> notifiers_;
  std::unique_ptr<outbox::Dispatcher> dispatcher_;
  std::unique_ptr<alerts::AlertPipeline> alert_pipeline_;
  std::unique_ptr<alerts::AlertsApi> alerts_api_;
  std::unique_ptr<bot_host::BotHost> bot_;
  std::unique_ptr<http::HttpServer> server_;

  PeriodicLoop pruner_;
  // Also set by Stop(): a long prune pass ends after its current chunk.
  std::atomic<bool> cancel_prune_{false};
};

}  // namespace beacon::collector
