// The collector process without its CLI: store, HTTP routes and the retention pruner.
#include "collector/service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace beacon::collector {

CollectorService::CollectorService(CollectorConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock) {}

CollectorService::~CollectorService() { Stop(); }

Status CollectorService::Start() {
  BEACON_ASSIGN_OR_RETURN(store_, SqliteEventStore::Open(config_.store.path));
  auth_ = std::make_unique<TokenAuth>(store_.get(), clock_, config_.api.admin_token.value());
  IngestLimits limits;
  limits.max_body_bytes = config_.ingest.max_body_bytes;
  limits.max_decompressed_bytes = config_.ingest.max_decompressed_bytes;
  limits.max_records = config_.ingest.max_records;
  ingest_ = std::make_unique<IngestHandler>(store_.get(), auth_.get(), &metrics_, clock_, limits);
  query_ = std::make_unique<QueryApi>(store_.get(), auth_.get(), &metrics_, clock_,
                                      config_.hosts.stale_after_ms);

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
  Status started = server_->Start();
  if (!started.ok()) {
    server_.reset();
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
  if (server_) server_->Stop();
  server_.reset();
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
