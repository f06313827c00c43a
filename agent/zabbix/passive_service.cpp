// ZabbixPassive: config -> item table, context and listener.
#include "agent/zabbix/passive_service.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

namespace beacon::agent::zabbix {

ZabbixPassive::ZabbixPassive(const ZabbixConfig& config,
                             std::map<std::string, std::string> metric_inputs)
    : config_(config), latest_(std::move(metric_inputs)), table_(StandardItemTable()) {}

ZabbixPassive::~ZabbixPassive() { Stop(); }

Status ZabbixPassive::Start(BeaconSources sources) {
  PassiveListenerOptions options;
  options.address = config_.listen_address;
  options.port = config_.listen_port;
  options.allow = http::ParseIpNetworks(config_.allow, "zabbix.allow");
  options.allow_text = fmt::format("{}", fmt::join(config_.allow, ","));
  options.timeout_ms = config_.timeout_ms;
  options.slow_workers = config_.workers;
  ItemContext context;
  context.hostname = config_.hostname;
  context.timeout_ms = config_.timeout_ms;
  context.cpu = &cpu_;
  context.beacon = std::move(sources);
  context.beacon.latest = &latest_;
  listener_ = std::make_unique<PassiveListener>(options, table_, std::move(context));
  if (Status started = listener_->Start(); !started.ok()) {
    listener_.reset();
    return started;
  }
  spdlog::info("zabbix passive checks on {}:{} for {} (timeout {} ms, {} slow-item workers)",
               config_.listen_address, listener_->port(), options.allow_text, config_.timeout_ms,
               config_.workers);
  return Status::Ok();
}

void ZabbixPassive::Stop() {
  if (listener_) listener_->Stop();
  cpu_.Stop();
}

}  // namespace beacon::agent::zabbix
