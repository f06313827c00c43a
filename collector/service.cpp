// The collector process without its CLI: store, backup catalog, HTTP routes and the background
// workers (retention pruner, backup lifecycle runner, archive restorer).
#include "collector/service.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "collector/alerts/agent_alerts.h"
#include "collector/alerts/routing.h"
#include "collector/backups/catalog_consumer.h"
#include "collector/backups/lifecycle_api.h"
#include "common/backoff.h"
#include "common/cloud/objstore/store_config.h"

namespace beacon::collector {

CollectorService::CollectorService(CollectorConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock) {}

CollectorService::~CollectorService() { Stop(); }

Status CollectorService::Start() {
  BEACON_ASSIGN_OR_RETURN(store_, SqliteEventStore::Open(config_.store.path));
  const std::string catalog_path = CatalogPath(config_);
  Result<std::unique_ptr<backups::Catalog>> catalog = backups::Catalog::Open(catalog_path);
  if (!catalog.ok()) {
    store_.reset();
    return catalog.status().WithContext("opening the backup catalog " + catalog_path);
  }
  catalog_ = std::move(*catalog);
  std::map<std::string, objstore::ObjectStore*> stores_by_name;
  for (const auto& [name, store_config] : config_.backups.stores) {
    Result<std::unique_ptr<objstore::ObjectStore>> object_store =
        objstore::NewObjectStore(store_config);
    if (!object_store.ok()) {
      object_stores_.clear();
      catalog_.reset();
      store_.reset();
      return object_store.status().WithContext("backups.stores." + name);
    }
    stores_by_name[name] = object_store->get();
    object_stores_[name] = std::move(*object_store);
  }
  lifecycle_ = std::make_unique<backups::LifecycleRunner>(*catalog_, stores_by_name, *clock_,
                                                          config_.backups.lifecycle);
  archive_restorer_ = std::make_unique<backups::ArchiveRestorer>(*catalog_, stores_by_name, *clock_,
                                                                 config_.backups.lifecycle);
  auth_ = std::make_unique<TokenAuth>(store_.get(), clock_, config_.api.admin_token.value());
  if (Status alerts = SetUpAlerts(); !alerts.ok()) {
    Stop();
    return alerts;
  }
  IngestLimits limits;
  limits.max_body_bytes = config_.ingest.max_body_bytes;
  limits.max_decompressed_bytes = config_.ingest.max_decompressed_bytes;
  limits.max_records = config_.ingest.max_records;
  limits.max_json_values = config_.ingest.max_json_values;
  limits.samples_retention_ms = config_.store.retention.samples_ms;
  limits.events_retention_ms = config_.store.retention.events_ms;
  // What acts on a stored batch, in this order: the backup catalog, then the agent alert rules.
  ingest_consumers_.clear();
  ingest_consumers_.push_back(std::make_unique<backups::CatalogConsumer>(catalog_.get()));
  ingest_consumers_.push_back(std::make_unique<alerts::AgentAlertsConsumer>(
      alert_pipeline_.get(), config_.alerts.agent_rules));
  std::vector<IngestConsumer*> consumers;
  for (const std::unique_ptr<IngestConsumer>& consumer : ingest_consumers_) {
    consumers.push_back(consumer.get());
  }
  ingest_ = std::make_unique<IngestHandler>(store_.get(), auth_.get(), &metrics_, clock_, limits,
                                            std::move(consumers));
  query_ = std::make_unique<QueryApi>(store_.get(), auth_.get(), &metrics_, clock_,
                                      config_.hosts.stale_after_ms);
  backups::BackupsApiOptions backups_options;
  backups_options.on_archive_restore_requested = [this] { archive_restorer_->Wake(); };
  backups_api_ =
      std::make_unique<backups::BackupsApi>(catalog_.get(), auth_.get(), clock_, backups_options);
  commands::CommandsApiOptions commands_options;
  commands_options.max_waiting_polls = MaxWaitingPolls(config_);
  commands_api_ = std::make_unique<commands::CommandsApi>(&catalog_->commands(), auth_.get(),
                                                          clock_, commands_options);
  if (config_.bot.enabled) {
    bot_host::BotHostDeps bot_deps;
    bot_deps.events = store_.get();
    bot_deps.alerts = alert_store_.get();
    bot_deps.catalog = catalog_.get();
    bot_deps.auth = auth_.get();
    bot_deps.clock = clock_;
    bot_deps.http = notifier_http_.get();
    for (const auto& [name, notifier] : notifiers_) bot_deps.receivers[name] = notifier.get();
    bot_deps.on_archive_restore_requested = [this] { archive_restorer_->Wake(); };
    bot_deps.stale_after_ms = config_.hosts.stale_after_ms;
    bot_deps.audit_path = BotAuditPath(config_);
    bot_deps.state_path = BotStatePath(config_);
    Result<std::unique_ptr<bot_host::BotHost>> bot =
        bot_host::BotHost::Create(config_.bot, std::move(bot_deps));
    if (!bot.ok()) {
      Stop();
      return bot.status().WithContext("bot");
    }
    bot_ = std::move(*bot);
  }

  server_ = std::make_unique<http::HttpServer>(ToServerOptions(config_.listen, "listen"));
  ingest_->Register(*server_);
  query_->Register(*server_);
  backups_api_->Register(*server_);
  commands_api_->Register(*server_);
  backups::RegisterLifecycleRoutes(*server_, *auth_, *lifecycle_, *catalog_);
  alerts_api_->Register(*server_);
  if (bot_) bot_->RegisterAdminRoutes(*server_);
  metrics_.SetSection([this] { return AlertMetrics(); });
  // The outbox first: deliveries left over from before a restart go out while the listener
  // starts taking new alerts.
  dispatcher_->Start();
  alert_pipeline_->Start();
  Status started = server_->Start();
  if (!started.ok()) {
    Stop();
    return started.WithContext("listening on " + config_.listen.host + ":" +
                               std::to_string(config_.listen.port));
  }

  if (bot_) {
    if (Status bot_started = bot_->Start(); !bot_started.ok()) {
      Stop();
      return bot_started;
    }
  }

  cancel_prune_ = false;
  pruner_.Start(PeriodicLoop::FirstPass::kAtStart, config_.store.prune_interval_ms, [this] {
    Result<PruneResult> pruned = PruneOnce();
    if (!pruned.ok()) spdlog::warn("retention pass failed: {}", pruned.status().ToString());
  });
  lifecycle_->Start();
  archive_restorer_->Start();
  return Status::Ok();
}

void CollectorService::Stop() {
  cancel_prune_ = true;
  pruner_.Stop();
  // Waiting command polls return at once, so the server's stop does not wait out their timeout.
  if (catalog_) catalog_->commands().WakeAllWaiters();
  if (server_) server_->Stop();
  server_.reset();
  // The bot's listener, workers and sender use the stores below: they go first.
  if (bot_) bot_->Stop();
  bot_.reset();
  // Parked command polls were answered above; the api goes before the queue it listens to.
  commands_api_.reset();
  backups_api_.reset();
  // No request can submit alerts any more: stop the flusher, then let in-flight deliveries end.
  if (alert_pipeline_) alert_pipeline_->Stop();
  if (dispatcher_) dispatcher_->Stop();
  metrics_.SetSection(nullptr);
  alerts_api_.reset();
  alert_pipeline_.reset();
  dispatcher_.reset();
  notifiers_.clear();
  notifier_http_.reset();
  alert_store_.reset();
  // After the server: no request can reach them any more.
  if (archive_restorer_) archive_restorer_->Stop();
  if (lifecycle_) lifecycle_->Stop();
  archive_restorer_.reset();
  lifecycle_.reset();
  object_stores_.clear();
  catalog_.reset();
  store_.reset();
}

Status CollectorService::ReloadTls() {
  if (!server_) return Status::FailedPrecondition("the collector is not running");
  if (bot_) BEACON_RETURN_IF_ERROR(bot_->ReloadTls());
  if (config_.listen.tls_cert_file.empty()) return Status::Ok();
  return server_->ReloadTls();
}

Result<PruneResult> CollectorService::PruneOnce() {
  RetentionPolicy retention{config_.store.retention.samples_ms, config_.store.retention.events_ms};
  BEACON_ASSIGN_OR_RETURN(PruneResult pruned,
                          store_->Prune(clock_->NowMs(), retention, &cancel_prune_));
  metrics_.RecordPruned(pruned.samples, pruned.events);
  if (pruned.samples > 0 || pruned.events > 0) {
    spdlog::info("retention: pruned {} samples and {} events", pruned.samples, pruned.events);
  }
  if (catalog_) {
    Result<backups::CatalogPruneResult> catalog_pruned =
        catalog_->Prune(clock_->NowMs() - config_.backups.retention_ms, &cancel_prune_);
    if (!catalog_pruned.ok()) return catalog_pruned.status().WithContext("catalog retention");
    if (catalog_pruned->commands + catalog_pruned->actions + catalog_pruned->versions > 0) {
      spdlog::info(
          "retention: pruned {} finished commands, {} lifecycle actions, {} deleted "
          "backup versions",
          catalog_pruned->commands, catalog_pruned->actions, catalog_pruned->versions);
    }
  }
  if (bot_) {
    Result<int64_t> replies = bot_->PruneReplies(clock_->NowMs());
    if (!replies.ok()) return replies.status().WithContext("bot reply retention");
    if (*replies > 0) spdlog::info("retention: pruned {} finished bot replies", *replies);
  }
  if (alert_store_) {
    Result<alerts::AlertPruneResult> alerts_pruned =
        alert_store_->Prune(clock_->NowMs() - config_.alerts.retention_ms, &cancel_prune_);
    if (!alerts_pruned.ok()) return alerts_pruned.status().WithContext("alerts retention");
    if (alerts_pruned->alerts + alerts_pruned->deliveries + alerts_pruned->silences > 0) {
      spdlog::info("retention: pruned {} resolved alerts, {} deliveries, {} silences",
                   alerts_pruned->alerts, alerts_pruned->deliveries, alerts_pruned->silences);
    }
  }
  return pruned;
}

Status CollectorService::SetUpAlerts() {
  const std::string path = AlertsPath(config_);
  Result<std::unique_ptr<alerts::AlertStore>> alert_store = alerts::AlertStore::Open(path);
  if (!alert_store.ok()) return alert_store.status().WithContext("opening the alert store " + path);
  alert_store_ = std::move(*alert_store);

  http::CurlClientOptions http_options;
  http_options.user_agent = "beacon-collector/" BEACON_VERSION;
  notifier_http_ = http::NewCurlHttpClient(http_options);
  notifier::NotifierDeps deps;
  deps.http = notifier_http_.get();
  deps.clock = clock_;
  deps.language = config_.alerts.language;
  deps.timezone = config_.alerts.timezone;
  std::map<std::string, notifier::Notifier*> receivers;
  for (const auto& [name, factory] : config_.alerts.receivers) {
    std::unique_ptr<notifier::Notifier> built = factory(deps);
    receivers[name] = built.get();
    notifiers_[name] = std::move(built);
  }
  Result<alerts::Router> router = alerts::Router::Create(config_.alerts);
  if (!router.ok()) return router.status().WithContext("alerts.routes");

  dispatcher_ = std::make_unique<outbox::Dispatcher>(*alert_store_, receivers, *clock_,
                                                     config_.alerts.outbox, RandomUnit);
  alert_pipeline_ = std::make_unique<alerts::AlertPipeline>(*alert_store_, std::move(*router),
                                                            config_.alerts.inhibit, *clock_,
                                                            [this] { dispatcher_->Wake(); });
  alert_pipeline_->ResolveWhenQuiet("splunk", config_.alerts.splunk.resolve_after_ms);
  alerts_api_ = std::make_unique<alerts::AlertsApi>(alert_pipeline_.get(), alert_store_.get(),
                                                    auth_.get(), clock_, config_.alerts);
  spdlog::info("alerts: store {}, {} receiver(s), {} route(s)", path, receivers.size(),
               config_.alerts.routes.size());
  return Status::Ok();
}

std::string CollectorService::AlertMetrics() const {
  std::string out;
  auto header = [&out](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto label = [](const std::string& value) {
    std::string escaped;
    for (char c : value) {
      if (c == '\\' || c == '"') escaped += '\\';
      escaped += c == '\n' ? ' ' : c;
    }
    return escaped;
  };
  const alerts::PipelineStats pipeline = alert_pipeline_->stats();
  header("beacon_alerts_received_total", "counter", "Alert reports by source and outcome.");
  for (const auto& [key, count] : pipeline.submitted) {
    const size_t slash = key.find('/');
    out += "beacon_alerts_received_total{source=\"" + label(key.substr(0, slash)) +
           "\",outcome=\"" + label(key.substr(slash + 1)) + "\"} " + std::to_string(count) + "\n";
  }
  header("beacon_alerts_errors_total", "counter",
         "Alert reports that could not be recorded, and failed group flushes.");
  out += "beacon_alerts_errors_total{stage=\"record\"} " + std::to_string(pipeline.submit_errors) +
         "\n";
  out +=
      "beacon_alerts_errors_total{stage=\"flush\"} " + std::to_string(pipeline.flush_errors) + "\n";
  header("beacon_alerts_muted_total", "counter",
         "Group members left out of a notification by a silence or an inhibition.");
  out += "beacon_alerts_muted_total " + std::to_string(pipeline.muted) + "\n";
  header("beacon_alerts_resolved_quiet_total", "counter",
         "Alerts resolved because their source (Splunk) stopped reporting them.");
  out += "beacon_alerts_resolved_quiet_total " + std::to_string(pipeline.resolved_quiet) + "\n";

  Result<alerts::AlertStoreStats> stored = alert_store_->Stats();
  if (stored.ok()) {
    header("beacon_alerts_firing", "gauge", "Alerts currently firing.");
    out += "beacon_alerts_firing " + std::to_string(stored->firing) + "\n";
    header("beacon_outbox_queued", "gauge",
           "Notifications per receiver not delivered yet (queued or in a pending delivery).");
    for (const auto& [receiver, count] : stored->queued_by_receiver) {
      out += "beacon_outbox_queued{receiver=\"" + label(receiver) + "\"} " + std::to_string(count) +
             "\n";
    }
    header("beacon_outbox_deliveries", "gauge", "Outbox deliveries by state.");
    out += "beacon_outbox_deliveries{state=\"pending\"} " +
           std::to_string(stored->deliveries_pending) + "\n";
    out += "beacon_outbox_deliveries{state=\"failed\"} " +
           std::to_string(stored->deliveries_failed) + "\n";
    out += "beacon_outbox_deliveries{state=\"delivered\"} " +
           std::to_string(stored->deliveries_delivered) + "\n";
  }

  const outbox::DispatcherStats dispatched = dispatcher_->stats();
  header("beacon_outbox_sent_total", "counter",
         "Since start: deliveries by receiver and result, and messages (parts) accepted.");
  for (const auto& [receiver, r] : dispatched.receivers) {
    const std::string name = label(receiver);
    out += "beacon_outbox_sent_total{receiver=\"" + name + "\",result=\"delivered\"} " +
           std::to_string(r.delivered) + "\n";
    out += "beacon_outbox_sent_total{receiver=\"" + name + "\",result=\"retried\"} " +
           std::to_string(r.retried) + "\n";
    out += "beacon_outbox_sent_total{receiver=\"" + name + "\",result=\"failed\"} " +
           std::to_string(r.failed) + "\n";
    out += "beacon_outbox_sent_total{receiver=\"" + name + "\",result=\"message\"} " +
           std::to_string(r.messages) + "\n";
  }
  return out;
}

int CollectorService::port() const { return server_ ? server_->port() : 0; }

std::string CollectorService::listen_url() const {
  const bool tls = !config_.listen.tls_cert_file.empty();
  return std::string(tls ? "https://" : "http://") + config_.listen.host + ":" +
         std::to_string(port());
}

}  // namespace beacon::collector
