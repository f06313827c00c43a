// The alerts REST API: webhook intake from Zabbix (bearer token) and Splunk (?token= plus an
// address allow list), alert and delivery queries, silences and delivery retry for operators
// (admin token). Intake replies 2xx only after the sink persisted the alert. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/alerts/alert.h"
#include "collector/alerts/alert_store.h"
#include "collector/alerts/alerts_config.h"
#include "collector/api/token_auth.h"
#include "common/clock.h"
#include "common/http/ip_network.h"
#include "common/http/server.h"
#include "common/timezone.h"

namespace beacon::collector::alerts {

inline constexpr int kDefaultAlertLimit = 100;
inline constexpr int kMaxAlertLimit = 1000;
inline constexpr int64_t kSilenceMaxBodyBytes = int64_t{64} * 1024;
// Webhooks with a shorter body are handled on the HTTP I/O thread (RouteOptions::
// io_thread_body_limit): a Zabbix or Splunk alert is 1-4 KiB; parsing 16 KiB of JSON takes
// well under a millisecond.
inline constexpr int64_t kInlineWebhookBytes = int64_t{16} * 1024;

using http::AddressAllowed;
using http::IpNetwork;
using http::ParseIpNetwork;

class AlertsApi {
 public:
  // The sink, store, auth and clock must outlive the API and the server's routes. Tokens are
  // registered as log secrets here. The Zabbix dates are read in config.timezone.
  AlertsApi(AlertSink* sink, AlertStore* store, TokenAuth* auth, const Clock* clock,
            const AlertsConfig& config);

  void Register(http::HttpServer& server);

  // The webhooks reply once the alert is committed, through `reply`, called from the alert
  // store's writer thread (with the pipeline as sink): no worker thread waits for the commit.
  using Reply = std::function<void(http::ServerResponse)>;
  void ZabbixAlert(http::ServerRequest& request, Reply reply);
  void SplunkAlert(http::ServerRequest& request, Reply reply);
  // The same, returning the reply once it exists (fuzzers).
  http::ServerResponse ZabbixAlert(http::ServerRequest& request);
  http::ServerResponse SplunkAlert(http::ServerRequest& request);
  http::ServerResponse ListAlerts(http::ServerRequest& request);
  http::ServerResponse GetAlert(http::ServerRequest& request);
  http::ServerResponse ListSilences(http::ServerRequest& request);
  http::ServerResponse CreateSilence(http::ServerRequest& request);
  http::ServerResponse ExpireSilence(http::ServerRequest& request);
  http::ServerResponse ListDeliveries(http::ServerRequest& request);
  http::ServerResponse RetryDeliveries(http::ServerRequest& request);

  // Who may post (decided from the headers and query alone, before the body is read):
  // NotFound when the source has no token configured, Unauthenticated for a missing or wrong
  // token, PermissionDenied for a Splunk client outside allow_from.
  Result<std::string> AuthenticateZabbix(const http::ServerRequest& request) const;
  Result<std::string> AuthenticateSplunk(const http::ServerRequest& request) const;

 private:
  void Submit(const http::ServerRequest& request, const AlertInput& input, Reply reply);
  http::ServerResponse Await(void (AlertsApi::*handler)(http::ServerRequest&, Reply),
                             http::ServerRequest& request);
  http::ServerResponse Rejected(const http::ServerRequest& request, std::string_view source,
                                const Status& status);
  http::ServerResponse StoreError(const http::ServerRequest& request, const Status& status);

  AlertSink* sink_;
  AlertStore* store_;
  TokenAuth* auth_;
  const Clock* clock_;
  ZabbixSourceConfig zabbix_;
  SplunkSourceConfig splunk_;
  std::vector<IpNetwork> splunk_networks_;
  int64_t max_body_bytes_;
  std::vector<std::string> receivers_;
  TimeZone zabbix_tz_;
};

}  // namespace beacon::collector::alerts
