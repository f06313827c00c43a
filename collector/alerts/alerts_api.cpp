// Handlers of the alerts API (see alerts_api.h); JSON shapes are documented in docs/api.md.
#include "collector/alerts/alerts_api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <utility>

#include "collector/alerts/notification_json.h"
#include "collector/alerts/routing.h"
#include "collector/alerts/sources/splunk.h"
#include "collector/alerts/sources/zabbix.h"
#include "common/crypto/crypto.h"
#include "common/http/ip_network.h"
#include "common/json/parse.h"
#include "common/log/log.h"

namespace beacon::collector::alerts {
namespace {

using http::ServerResponse;

ServerResponse JsonOk(const nlohmann::json& body, int status = 200) {
  return ServerResponse::Json(status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::json OptionalTime(int64_t ms) {
  return ms > 0 ? nlohmann::json(FormatRfc3339(ms)) : nlohmann::json(nullptr);
}

TimeZone LoadZoneOrUtc(const std::string& name) {
  Result<TimeZone> zone = TimeZone::Load(name);
  if (zone.ok()) return *std::move(zone);
  spdlog::error("alerts: time zone '{}' cannot be loaded ({}); reading Zabbix dates as UTC", name,
                zone.status().message());
  return *TimeZone::Load("UTC");  // built in: cannot fail
}

// The body as a JSON object, or a 400 message.
Result<nlohmann::json> ParseObjectBody(const std::string& body) {
  if (body.empty()) return Status::InvalidArgument("empty body: expected a JSON object");
  BEACON_ASSIGN_OR_RETURN(nlohmann::json json, ParseJsonBody(body));
  if (!json.is_object()) return Status::InvalidArgument("body: expected a JSON object");
  return json;
}

Result<int> ParseLimit(const std::map<std::string, std::string>& query, int default_limit,
                       int max_limit) {
  auto it = query.find("limit");
  if (it == query.end() || it->second.empty()) return default_limit;
  const std::string& text = it->second;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > max_limit) {
    return Status::InvalidArgument("limit: expected an integer from 1 to " +
                                   std::to_string(max_limit) + ", got '" + text + "'");
  }
  return value;
}

Result<bool> ParseBool(const std::map<std::string, std::string>& query, const char* name) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return false;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  return Status::InvalidArgument(std::string(name) + ": expected true or false, got '" +
                                 it->second + "'");
}

Result<int64_t> ParseId(const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 1) {
    return Status::InvalidArgument("invalid id '" + text + "'");
  }
  return id;
}

nlohmann::json AlertJson(const StoredAlert& stored) {
  const AlertView& a = stored.alert;
  nlohmann::json deliveries = nlohmann::json::array();
  for (const AlertDelivery& d : stored.deliveries) {
    deliveries.push_back({{"receiver", d.receiver},
                          {"state", DeliveryStateName(d.state)},
                          {"attempts", d.attempts},
                          {"last_error", d.last_error},
                          {"delivered_at", OptionalTime(d.delivered_ms)},
                          {"status", d.status}});
  }
  return {{"id", a.id},
          {"source", a.source},
          {"status", notifier::AlertStatusName(a.status)},
          {"severity", notifier::SeverityName(a.severity)},
          {"host", a.host},
          {"title", a.title},
          {"message", a.message},
          {"tags", a.tags},
          {"url", a.url},
          {"fingerprint", a.fingerprint},
          {"external_id", a.external_id},
          {"starts_at", OptionalTime(a.starts_ms)},
          {"ends_at", OptionalTime(a.ends_ms)},
          {"occurrences", a.occurrences},
          {"received_at", OptionalTime(stored.received_ms)},
          {"updated_at", OptionalTime(stored.updated_ms)},
          {"deliveries", std::move(deliveries)}};
}

nlohmann::json SilenceJson(const Silence& s, int64_t now_ms) {
  nlohmann::json matchers = nlohmann::json::array();
  for (const Matcher& m : s.matchers) matchers.push_back(FormatMatcher(m));
  const char* state = SilenceActive(s, now_ms)                      ? "active"
                      : (s.expired_ms == 0 && now_ms < s.starts_ms) ? "pending"
                                                                    : "expired";
  return {{"id", s.id},
          {"matchers", std::move(matchers)},
          {"starts_at", FormatRfc3339(s.starts_ms)},
          {"ends_at", FormatRfc3339(s.ends_ms)},
          {"created_by", s.created_by},
          {"reason", s.reason},
          {"created_at", OptionalTime(s.created_ms)},
          {"expired_at", OptionalTime(s.expired_ms)},
          {"state", state}};
}

nlohmann::json DeliveryJson(const Delivery& d) {
  nlohmann::json alert_ids = nlohmann::json::array();
  for (const AlertView& a : d.notification.alerts) alert_ids.push_back(a.id);
  return {{"id", d.id},
          {"receiver", d.receiver},
          {"state", DeliveryStateName(d.state)},
          {"kind", NotificationKindName(d.notification.kind)},
          {"attempts", d.attempts},
          {"next_try_at", OptionalTime(d.next_try_ms)},
          {"last_error", d.last_error},
          {"created_at", OptionalTime(d.created_ms)},
          {"delivered_at", OptionalTime(d.delivered_ms)},
          {"rows", d.rows},
          {"total_alerts", d.notification.total_alerts},
          {"alert_ids", std::move(alert_ids)}};
}

// An RFC 3339 member of a JSON object; nullopt when absent or null.
Result<std::optional<int64_t>> TimeMember(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_string()) return Status::InvalidArgument(std::string(name) + ": expected RFC 3339");
  Result<int64_t> ms = ParseRfc3339(it->get<std::string>());
  if (!ms.ok()) {
    return Status::InvalidArgument(std::string(name) + ": expected an RFC 3339 time, got '" +
                                   it->get<std::string>() + "'");
  }
  return std::optional<int64_t>(*ms);
}

Result<Silence> ParseSilence(const nlohmann::json& body, const std::string& principal,
                             int64_t now_ms) {
  Silence silence;
  auto matchers = body.find("matchers");
  if (matchers == body.end() || !matchers->is_array() || matchers->empty()) {
    return Status::InvalidArgument("matchers: expected a non-empty list like [\"host=~db-*\"]");
  }
  for (size_t i = 0; i < matchers->size(); ++i) {
    const nlohmann::json& item = (*matchers)[i];
    const std::string where = "matchers[" + std::to_string(i) + "]";
    if (!item.is_string()) return Status::InvalidArgument(where + ": expected a string");
    Result<Matcher> matcher = ParseMatcher(item.get<std::string>());
    if (!matcher.ok()) return Status::InvalidArgument(where + ": " + matcher.status().message());
    silence.matchers.push_back(*std::move(matcher));
  }
  BEACON_ASSIGN_OR_RETURN(std::optional<int64_t> starts, TimeMember(body, "starts_at"));
  silence.starts_ms = starts.value_or(now_ms);
  BEACON_ASSIGN_OR_RETURN(std::optional<int64_t> ends, TimeMember(body, "ends_at"));
  auto duration = body.find("duration");
  const bool has_duration = duration != body.end() && !duration->is_null();
  if (has_duration == ends.has_value()) {
    return Status::InvalidArgument("give exactly one of duration (\"2h\") and ends_at");
  }
  if (has_duration) {
    if (!duration->is_string()) return Status::InvalidArgument("duration: expected like \"2h\"");
    Result<int64_t> ms = ParseDurationMs(duration->get<std::string>());
    if (!ms.ok() || *ms <= 0) {
      return Status::InvalidArgument("duration: expected a positive duration like 2h, got '" +
                                     duration->get<std::string>() + "'");
    }
    silence.ends_ms = silence.starts_ms + *ms;
  } else {
    silence.ends_ms = *ends;
  }
  if (silence.ends_ms <= silence.starts_ms) {
    return Status::InvalidArgument("ends_at: must be after starts_at");
  }
  if (silence.ends_ms <= now_ms) return Status::InvalidArgument("ends_at: already in the past");
  auto reason = body.find("reason");
  if (reason == body.end() || !reason->is_string() || reason->get<std::string>().empty()) {
    return Status::InvalidArgument("reason: required (why are these alerts silenced?)");
  }
  silence.reason = reason->get<std::string>();
  auto created_by = body.find("created_by");
  if (created_by != body.end() && !created_by->is_null()) {
    if (!created_by->is_string()) return Status::InvalidArgument("created_by: expected a string");
    silence.created_by = created_by->get<std::string>();
  }
  if (silence.created_by.empty()) silence.created_by = principal;
  return silence;
}

}  // namespace

AlertsApi::AlertsApi(AlertSink* sink, AlertStore* store, TokenAuth* auth, const Clock* clock,
                     const AlertsConfig& config)
    : sink_(sink),
      store_(store),
      auth_(auth),
      clock_(clock),
      zabbix_(config.zabbix),
      splunk_(config.splunk),
      max_body_bytes_(config.max_body_bytes),
      zabbix_tz_(LoadZoneOrUtc(config.zabbix.timezone.empty() ? config.timezone
                                                              : config.zabbix.timezone)) {
  log::RegisterSecret(zabbix_.token.value());
  log::RegisterSecret(splunk_.token.value());
  splunk_networks_ = http::ParseIpNetworks(splunk_.allow_from, "alerts.splunk.allow_from");
  for (const auto& [name, factory] : config.receivers) receivers_.push_back(name);
}

void AlertsApi::Register(http::HttpServer& server) {
  auto bind = [this](ServerResponse (AlertsApi::*method)(http::ServerRequest&)) {
    return http::MemberHandler(this, method);
  };
  http::RouteOptions zabbix;
  zabbix.max_body_bytes = max_body_bytes_;
  zabbix.auth = [this](const http::ServerRequest& r) { return AuthenticateZabbix(r); };
  zabbix.auth_in_memory = true;  // a constant-time compare with the configured token
  // The handler parses, routes and queues the alert for the store's writer thread: a webhook
  // of a few KiB is cheaper to handle on the I/O thread than to hand to a worker.
  zabbix.io_thread_body_limit = kInlineWebhookBytes;
  http::RouteOptions splunk;
  splunk.max_body_bytes = max_body_bytes_;
  splunk.auth = [this](const http::ServerRequest& r) { return AuthenticateSplunk(r); };
  splunk.auth_in_memory = true;  // an address list and a constant-time token compare
  splunk.io_thread_body_limit = kInlineWebhookBytes;
  const http::RouteOptions admin = auth_->AdminRoute();
  const http::RouteOptions admin_with_body = auth_->AdminRoute(kSilenceMaxBodyBytes);

  auto bind_async = [this](void (AlertsApi::*method)(http::ServerRequest&, Reply)) {
    return [this, method](http::ServerRequest& request, http::Responder respond) {
      (this->*method)(request, std::move(respond));
    };
  };
  server.RouteAsync("POST", "/api/v1/alerts/zabbix", zabbix, bind_async(&AlertsApi::ZabbixAlert));
  server.RouteAsync("POST", "/api/v1/alerts/splunk", splunk, bind_async(&AlertsApi::SplunkAlert));
  server.Route("GET", "/api/v1/alerts", admin, bind(&AlertsApi::ListAlerts));
  server.Route("GET", "/api/v1/alerts/{id}", admin, bind(&AlertsApi::GetAlert));
  server.Route("GET", "/api/v1/silences", admin, bind(&AlertsApi::ListSilences));
  server.Route("POST", "/api/v1/silences", admin_with_body, bind(&AlertsApi::CreateSilence));
  server.Route("DELETE", "/api/v1/silences/{id}", admin, bind(&AlertsApi::ExpireSilence));
  server.Route("GET", "/api/v1/deliveries", admin, bind(&AlertsApi::ListDeliveries));
  server.Route("POST", "/api/v1/deliveries/retry", admin, bind(&AlertsApi::RetryDeliveries));
}

Result<std::string> AlertsApi::AuthenticateZabbix(const http::ServerRequest& request) const {
  if (zabbix_.token.empty()) {
    return Status::NotFound("the zabbix source is not configured (alerts.zabbix.token_file)");
  }
  const std::string token = TokenAuth::BearerToken(request.headers);
  if (token.empty()) return Status::Unauthenticated("missing bearer token");
  if (!crypto::ConstantTimeEquals(token, zabbix_.token.value())) {
    return Status::Unauthenticated("wrong token for the zabbix source");
  }
  return std::string("zabbix");
}

Result<std::string> AlertsApi::AuthenticateSplunk(const http::ServerRequest& request) const {
  if (splunk_.token.empty()) {
    return Status::NotFound("the splunk source is not configured (alerts.splunk.token_file)");
  }
  // The address first: clients outside the allow list learn nothing about the token.
  if (!splunk_.allow_from.empty() && !AddressAllowed(request.remote_addr, splunk_networks_)) {
    return Status::PermissionDenied("client address not in alerts.splunk.allow_from");
  }
  auto token = request.query.find("token");
  if (token == request.query.end() || token->second.empty()) {
    return Status::Unauthenticated("missing ?token= parameter");
  }
  if (!crypto::ConstantTimeEquals(token->second, splunk_.token.value())) {
    return Status::Unauthenticated("wrong token for the splunk source");
  }
  return std::string("splunk");
}

namespace {

ServerResponse StoreErrorOf(std::string_view method, std::string_view path, const Status& status) {
  spdlog::error("{} {}: alert store error: {}", method, path, status.ToString());
  return ServerResponse::Error(503, "alert store unavailable; retry later");
}

}  // namespace

ServerResponse AlertsApi::StoreError(const http::ServerRequest& request, const Status& status) {
  return StoreErrorOf(request.method, request.path, status);
}

ServerResponse AlertsApi::Rejected(const http::ServerRequest& request, std::string_view source,
                                   const Status& status) {
  // The sender (a Zabbix media type, a Splunk action) rarely shows our reply to anyone: the
  // collector's log is where a misconfigured template gets noticed.
  spdlog::warn("alerts: rejected {} webhook from {}: {}", source, request.remote_addr,
               status.message());
  return ServerResponse::Error(status.code() == StatusCode::kResourceExhausted ? 413 : 400,
                               status.message());
}

void AlertsApi::Submit(const http::ServerRequest& request, const AlertInput& input, Reply reply) {
  sink_->SubmitAsync(
      input, [respond = std::move(reply), method = request.method, path = request.path,
              source = input.source, external_id = input.external_id, status = input.status,
              host = input.host](Result<RecordResult> recorded) {
        if (!recorded.ok()) {
          if (recorded.status().code() == StatusCode::kInvalidArgument) {
            respond(ServerResponse::Error(400, recorded.status().message()));
          } else {
            respond(StoreErrorOf(method, path, recorded.status()));
          }
          return;
        }
        spdlog::info("alerts: {} {} ({}, host '{}') -> {} #{}", source, external_id,
                     notifier::AlertStatusName(status), host, RecordOutcomeName(recorded->outcome),
                     recorded->alert_id);
        respond(JsonOk(
            {{"alert_id", recorded->alert_id}, {"outcome", RecordOutcomeName(recorded->outcome)}}));
      });
}

ServerResponse AlertsApi::Await(void (AlertsApi::*handler)(http::ServerRequest&, Reply),
                                http::ServerRequest& request) {
  std::promise<ServerResponse> reply;
  std::future<ServerResponse> response = reply.get_future();
  (this->*handler)(request, [&reply](ServerResponse r) { reply.set_value(std::move(r)); });
  return response.get();
}

ServerResponse AlertsApi::ZabbixAlert(http::ServerRequest& request) {
  return Await(&AlertsApi::ZabbixAlert, request);
}

ServerResponse AlertsApi::SplunkAlert(http::ServerRequest& request) {
  return Await(&AlertsApi::SplunkAlert, request);
}

void AlertsApi::ZabbixAlert(http::ServerRequest& request, Reply respond) {
  Result<nlohmann::json> body = ParseObjectBody(request.body);
  if (!body.ok()) return respond(Rejected(request, "zabbix", body.status()));
  Result<AlertInput> input = ParseZabbixAlert(*body, zabbix_, zabbix_tz_);
  if (!input.ok()) {
    if (input.status().code() == StatusCode::kFailedPrecondition) {
      return respond(
          JsonOk({{"alert_id", 0}, {"outcome", "ignored"}, {"reason", input.status().message()}}));
    }
    return respond(Rejected(request, "zabbix", input.status()));
  }
  Submit(request, *input, std::move(respond));
}

void AlertsApi::SplunkAlert(http::ServerRequest& request, Reply respond) {
  Result<nlohmann::json> body = ParseObjectBody(request.body);
  if (!body.ok()) return respond(Rejected(request, "splunk", body.status()));
  Result<AlertInput> input = ParseSplunkAlert(*body, splunk_);
  if (!input.ok()) return respond(Rejected(request, "splunk", input.status()));
  Submit(request, *input, std::move(respond));
}

ServerResponse AlertsApi::ListAlerts(http::ServerRequest& request) {
  const auto& params = request.query;
  auto param = [&](const char* name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() || it->second.empty() ? nullptr : &it->second;
  };
  AlertQuery query;
  if (const std::string* status = param("status")) {
    if (*status == "firing") {
      query.status = AlertStatus::kFiring;
    } else if (*status == "resolved") {
      query.status = AlertStatus::kResolved;
    } else {
      return ServerResponse::Error(400,
                                   "status: expected firing or resolved, got '" + *status + "'");
    }
  }
  if (const std::string* source = param("source")) query.source = *source;
  if (const std::string* host = param("host")) query.host = *host;
  if (const std::string* since = param("since")) {
    Result<int64_t> ms = ParseTimeOrAgo("since", *since, clock_->NowMs());
    if (!ms.ok()) return ServerResponse::Error(400, ms.status().message());
    query.since_ms = *ms;
  }
  Result<bool> undelivered = ParseBool(params, "undelivered");
  if (!undelivered.ok()) return ServerResponse::Error(400, undelivered.status().message());
  query.undelivered_only = *undelivered;
  Result<int> limit = ParseLimit(params, kDefaultAlertLimit, kMaxAlertLimit);
  if (!limit.ok()) return ServerResponse::Error(400, limit.status().message());
  query.limit = *limit;

  Result<std::vector<StoredAlert>> alerts = store_->ListAlerts(query);
  if (!alerts.ok()) return StoreError(request, alerts.status());
  nlohmann::json list = nlohmann::json::array();
  for (const StoredAlert& alert : *alerts) list.push_back(AlertJson(alert));
  return JsonOk({{"alerts", std::move(list)}});
}

ServerResponse AlertsApi::GetAlert(http::ServerRequest& request) {
  Result<int64_t> id = ParseId(request.path_params["id"]);
  if (!id.ok()) return ServerResponse::Error(400, id.status().message());
  Result<StoredAlert> alert = store_->GetAlert(*id);
  if (!alert.ok()) {
    if (alert.status().code() == StatusCode::kNotFound) {
      return ServerResponse::Error(404, "no such alert " + std::to_string(*id));
    }
    return StoreError(request, alert.status());
  }
  return JsonOk(AlertJson(*alert));
}

ServerResponse AlertsApi::ListSilences(http::ServerRequest& request) {
  Result<bool> all = ParseBool(request.query, "all");
  if (!all.ok()) return ServerResponse::Error(400, all.status().message());
  const int64_t now_ms = clock_->NowMs();
  Result<std::vector<Silence>> silences = store_->ListSilences(now_ms, *all);
  if (!silences.ok()) return StoreError(request, silences.status());
  nlohmann::json list = nlohmann::json::array();
  for (const Silence& s : *silences) list.push_back(SilenceJson(s, now_ms));
  return JsonOk({{"silences", std::move(list)}});
}

ServerResponse AlertsApi::CreateSilence(http::ServerRequest& request) {
  Result<nlohmann::json> body = ParseObjectBody(request.body);
  if (!body.ok()) return ServerResponse::Error(400, body.status().message());
  const int64_t now_ms = clock_->NowMs();
  Result<Silence> silence = ParseSilence(*body, request.principal, now_ms);
  if (!silence.ok()) return ServerResponse::Error(400, silence.status().message());
  Result<Silence> created = store_->CreateSilence(*silence);
  if (!created.ok()) {
    if (created.status().code() == StatusCode::kInvalidArgument) {
      return ServerResponse::Error(400, created.status().message());
    }
    return StoreError(request, created.status());
  }
  spdlog::info("alerts: silence #{} by '{}' until {}: {}", created->id, created->created_by,
               FormatRfc3339(created->ends_ms), created->reason);
  return JsonOk(SilenceJson(*created, now_ms), 201);
}

ServerResponse AlertsApi::ExpireSilence(http::ServerRequest& request) {
  Result<int64_t> id = ParseId(request.path_params["id"]);
  if (!id.ok()) return ServerResponse::Error(400, id.status().message());
  const int64_t now_ms = clock_->NowMs();
  Status expired = store_->ExpireSilence(*id, now_ms);
  if (!expired.ok()) {
    if (expired.code() == StatusCode::kNotFound) {
      return ServerResponse::Error(404, "no such silence " + std::to_string(*id));
    }
    return StoreError(request, expired);
  }
  spdlog::info("alerts: silence #{} expired by '{}'", *id, request.principal);
  Result<std::vector<Silence>> silences = store_->ListSilences(now_ms, true);
  if (!silences.ok()) return StoreError(request, silences.status());
  for (const Silence& s : *silences) {
    if (s.id == *id) return JsonOk(SilenceJson(s, now_ms));
  }
  return JsonOk({{"id", *id}, {"state", "expired"}});
}

ServerResponse AlertsApi::ListDeliveries(http::ServerRequest& request) {
  std::optional<DeliveryState> state;
  auto it = request.query.find("state");
  if (it != request.query.end() && !it->second.empty()) {
    if (it->second == "pending") {
      state = DeliveryState::kPending;
    } else if (it->second == "failed") {
      state = DeliveryState::kFailed;
    } else if (it->second == "delivered") {
      state = DeliveryState::kDelivered;
    } else {
      return ServerResponse::Error(
          400, "state: expected pending, failed or delivered, got '" + it->second + "'");
    }
  }
  Result<int> limit = ParseLimit(request.query, kDefaultAlertLimit, kMaxAlertLimit);
  if (!limit.ok()) return ServerResponse::Error(400, limit.status().message());
  Result<std::vector<Delivery>> deliveries = store_->ListDeliveries(state, *limit);
  if (!deliveries.ok()) return StoreError(request, deliveries.status());
  nlohmann::json list = nlohmann::json::array();
  for (const Delivery& d : *deliveries) list.push_back(DeliveryJson(d));
  return JsonOk({{"deliveries", std::move(list)}});
}

ServerResponse AlertsApi::RetryDeliveries(http::ServerRequest& request) {
  auto it = request.query.find("receiver");
  if (it == request.query.end() || it->second.empty()) {
    return ServerResponse::Error(400, "receiver: required (?receiver=NAME)");
  }
  const std::string& receiver = it->second;
  if (std::find(receivers_.begin(), receivers_.end(), receiver) == receivers_.end()) {
    return ServerResponse::Error(404, "no such receiver '" + receiver + "'");
  }
  Result<int64_t> retried = store_->RetryFailed(receiver, clock_->NowMs());
  if (!retried.ok()) return StoreError(request, retried.status());
  spdlog::info("alerts: {} failed deliveries to '{}' back to pending by '{}'", *retried, receiver,
               request.principal);
  return JsonOk({{"receiver", receiver}, {"retried", *retried}});
}

}  // namespace beacon::collector::alerts
