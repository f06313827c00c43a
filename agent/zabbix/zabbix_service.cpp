// ZabbixService: config -> item table, context, lanes, listener and active sessions.
#include "agent/zabbix/zabbix_service.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace beacon::agent::zabbix {

ZabbixService::ZabbixService(const ZabbixConfig& config,
                             std::map<std::string, std::string> metric_inputs)
    : config_(config),
      latest_(std::move(metric_inputs)),
      table_(StandardItemTable()),
      workers_(ItemWorkersOptions{2, config.workers, 64}) {
  table_status_ =
      AddUserParameters(&table_, config_.user_parameters, config_.unsafe_user_parameters);
}

ZabbixService::~ZabbixService() { Stop(); }

Status ZabbixService::Start(BeaconSources sources) {
  BEACON_RETURN_IF_ERROR(table_status_);
  ItemContext context;
  context.hostname = config_.hostname;
  context.timeout_ms = config_.timeout_ms;
  context.cpu = &cpu_;
  context.beacon = std::move(sources);
  context.beacon.latest = &latest_;
  workers_.Start();
  if (config_.listen_enabled) {
    PassiveListenerOptions options;
    options.address = config_.listen_address;
    options.port = config_.listen_port;
    options.allow = http::ParseIpNetworks(config_.allow, "zabbix.allow");
    options.allow_text = fmt::format("{}", fmt::join(config_.allow, ","));
    options.timeout_ms = config_.timeout_ms;
    listener_ = std::make_unique<PassiveListener>(options, table_, context, SystemClock::Instance(),
                                                  &workers_);
    if (Status started = listener_->Start(); !started.ok()) {
      listener_.reset();
      workers_.Stop();
      return started;
    }
    spdlog::info("zabbix passive checks on {}:{} for {} (timeout {} ms, {} slow-item workers)",
                 config_.listen_address, listener_->port(), options.allow_text, config_.timeout_ms,
                 config_.workers);
  }
  for (const ZabbixConfig::ActiveServer& server : config_.server_active) {
    ActiveChecksOptions options;
    options.server_host = server.host;
    options.server_port = server.port;
    options.request.host = config_.hostname;
    options.request.host_metadata = config_.host_metadata;
    if (config_.listen_enabled) {
      options.request.ip = config_.listen_address;
      options.request.port = config_.listen_port;
    }
    options.refresh_ms = config_.refresh_active_checks_ms;
    options.buffer_send_ms = config_.buffer_send_ms;
    options.buffer_size = static_cast<size_t>(config_.buffer_size);
    options.timeout_ms = config_.timeout_ms;
    active_.push_back(std::make_unique<ActiveChecks>(options, table_, context, &workers_));
    active_.back()->Start();
  }
  if (!config_.user_parameters.empty()) {
    spdlog::info("zabbix: {} UserParameter(s){}", config_.user_parameters.size(),
                 config_.unsafe_user_parameters ? " (unsafe_user_parameters on)" : "");
  }
  return Status::Ok();
}

void ZabbixService::Stop() {
  if (listener_) listener_->Stop();
  for (auto& session : active_) session->Stop();
  workers_.Stop();  // after the listener and sessions: their queued tasks point at them
  for (auto& session : active_) session->WaitIdle();
  cpu_.Stop();
}

}  // namespace beacon::agent::zabbix
