// The collector process without its CLI: store, backup catalog, HTTP routes and the background
// workers (retention pruner, backup lifecycle runner, archive restorer).
#include "collector/service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "collector/backups/lifecycle_api.h"
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
  IngestLimits limits;
  limits.max_body_bytes = config_.ingest.max_body_bytes;
  limits.max_decompressed_bytes = config_.ingest.max_decompressed_bytes;
  limits.max_records = config_.ingest.max_records;
  ingest_ = std::make_unique<IngestHandler>(store_.get(), auth_.get(), &metrics_, clock_, limits,
                                            catalog_.get());
  query_ = std::make_unique<QueryApi>(store_.get(), auth_.get(), &metrics_, clock_,
                                      config_.hosts.stale_after_ms);
  backups::BackupsApiOptions backups_options;
  backups_options.max_waiting_polls = MaxWaitingPolls(config_);
  backups_options.on_archive_restore_requested = [this] { archive_restorer_->Wake(); };
  backups_api_ =
      std::make_unique<backups::BackupsApi>(catalog_.get(), auth_.get(), clock_, backups_options);

  http::ServerOptions options;
  options.host = config_.listen.host;
  options.port = config_.listen.port;
  options.tls_cert_file = config_.listen.tls_cert_file;
  options.tls_key_file = config_.listen.tls_key_file;
  options.request_timeout_ms = config_.listen.request_timeout_ms;
  options.max_threads = config_.listen.max_threads;
  server_ = std::make_unique<http::HttpServer>(options);
  ingest_->Register(*server_);
  query_->Register(*server_);
  backups_api_->Register(*server_);
  backups::RegisterLifecycleRoutes(*server_, *auth_, *lifecycle_, *catalog_);
  Status started = server_->Start();
  if (!started.ok()) {
    server_.reset();
    archive_restorer_.reset();
    lifecycle_.reset();
    object_stores_.clear();
    catalog_.reset();
    store_.reset();
    return started.WithContext("listening on " + config_.listen.host + ":" +
                               std::to_string(config_.listen.port));
  }

  {
    std::lock_guard<std::mutex> lock(prune_mutex_);
    stopping_ = false;
  }
  cancel_prune_ = false;
  pruner_ = std::thread([this] { PruneLoop(); });
  lifecycle_->Start();
  archive_restorer_->Start();
  return Status::Ok();
}

void CollectorService::Stop() {
  {
    std::lock_guard<std::mutex> lock(prune_mutex_);
    stopping_ = true;
  }
  cancel_prune_ = true;
  prune_cv_.notify_all();
  if (pruner_.joinable()) pruner_.join();
  // Waiting command polls return at once, so the server's stop does not wait out their timeout.
  if (catalog_) catalog_->WakeAllWaiters();
  if (server_) server_->Stop();
  server_.reset();
  // After the server: no request can reach them any more.
  if (archive_restorer_) archive_restorer_->Stop();
  if (lifecycle_) lifecycle_->Stop();
  archive_restorer_.reset();
  lifecycle_.reset();
  object_stores_.clear();
  catalog_.reset();
  store_.reset();
}

Result<PruneResult> CollectorService::PruneOnce() {
  RetentionPolicy retention{config_.store.retention.samples_ms, config_.store.retention.events_ms};
  BEACON_ASSIGN_OR_RETURN(PruneResult pruned,
                          store_->Prune(clock_->NowMs(), retention, &cancel_prune_));
  metrics_.RecordPruned(pruned.samples, pruned.events);
  if (pruned.samples > 0 || pruned.events > 0) {
    spdlog::info("retention: pruned {} samples and {} events", pruned.samples, pruned.events);
  }
  return pruned;
}

void CollectorService::PruneLoop() {
  std::unique_lock<std::mutex> lock(prune_mutex_);
  while (!stopping_) {
    lock.unlock();
    Result<PruneResult> pruned = PruneOnce();
    if (!pruned.ok()) spdlog::warn("retention pass failed: {}", pruned.status().ToString());
    lock.lock();
    // Wakes at once on Stop(); otherwise waits one interval.
    prune_cv_.wait_for(lock, std::chrono::milliseconds(config_.store.prune_interval_ms),
                       [this] { return stopping_; });
  }
}

int CollectorService::port() const { return server_ ? server_->port() : 0; }

std::string CollectorService::listen_url() const {
  const bool tls = !config_.listen.tls_cert_file.empty();
  return std::string(tls ? "https://" : "http://") + config_.listen.host + ":" +
         std::to_string(port());
}

}  // namespace beacon::collector
