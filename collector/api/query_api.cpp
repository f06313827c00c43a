// Handlers of the query and admin API; JSON shapes follow docs/api.md exactly.
#include "collector/api/query_api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <utility>

#include "common/crypto/crypto.h"
#include "common/json/parse.h"
#include "common/wire/wire.h"

namespace beacon::collector {
namespace {

nlohmann::json OptionalTime(const std::optional<int64_t>& ms) {
  return ms ? nlohmann::json(FormatRfc3339(*ms)) : nlohmann::json(nullptr);
}

nlohmann::json EventJson(const StoredEvent& e) {
  return {{"host", e.agent},      {"seq", e.seq},           {"ts", FormatRfc3339(e.ts_ms)},
          {"kind", e.kind},       {"severity", e.severity}, {"subject", e.subject},
          {"message", e.message}, {"data", e.data}};
}

nlohmann::json TokenJson(const TokenInfo& t) {
  return {{"id", t.id},
          {"agent", t.agent},
          {"created", FormatRfc3339(t.created_ms)},
          {"last_used", OptionalTime(t.last_used_ms)},
          {"revoked", OptionalTime(t.revoked_ms)}};
}

http::ServerResponse JsonOk(const nlohmann::json& body, int status = 200) {
  return http::ServerResponse::Json(status, body.dump());
}

}  // namespace

Result<EventQuery> ParseEventQuery(const std::map<std::string, std::string>& params,
                                   int64_t now_ms) {
  EventQuery query;
  query.limit = kDefaultEventLimit;
  auto param = [&](const char* name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const std::string* host = param("host")) {
    if (!wire::IsValidAgentName(*host)) {
      return Status::InvalidArgument("host: invalid host name '" + *host + "'");
    }
    query.agent = *host;
  }
  if (const std::string* kind = param("kind")) {
    std::string_view name = *kind;
    if (name.back() == '*') name.remove_suffix(1);
    if (!name.empty() && !wire::IsValidMetricName(name)) {
      return Status::InvalidArgument("kind: invalid kind '" + *kind +
                                     "' (exact kind or prefix ending in '*')");
    }
    query.kind = *kind;
  }
  if (const std::string* since = param("since")) {
    BEACON_ASSIGN_OR_RETURN(query.since_ms, ParseTimeOrAgo("since", *since, now_ms));
  }
  if (const std::string* until = param("until")) {
    BEACON_ASSIGN_OR_RETURN(query.until_ms, ParseTimeOrAgo("until", *until, now_ms));
  }
  if (const std::string* limit = param("limit")) {
    int value = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc() || end != limit->data() + limit->size() || value < 1 ||
        value > kMaxEventLimit) {
      return Status::InvalidArgument("limit: expected an integer from 1 to " +
                                     std::to_string(kMaxEventLimit) + ", got '" + *limit + "'");
    }
    query.limit = value;
  }
  return query;
}

void QueryApi::Register(http::HttpServer& server) {
  http::RouteOptions open;
  open.max_body_bytes = TokenAuth::kNoBody;  // these routes take no body
  const http::RouteOptions admin = auth_->AdminRoute();
  const http::RouteOptions admin_with_body = auth_->AdminRoute(kAdminMaxBodyBytes);
  auto bind = [this](http::ServerResponse (QueryApi::*method)(http::ServerRequest&)) {
    return http::MemberHandler(this, method);
  };
  server.Route("GET", "/healthz", open, bind(&QueryApi::Healthz));
  server.Route("GET", "/metrics", open, bind(&QueryApi::Metrics));
  server.Route("GET", "/api/v1/hosts", admin, bind(&QueryApi::Hosts));
  server.Route("GET", "/api/v1/hosts/{name}", admin, bind(&QueryApi::Host));
  server.Route("GET", "/api/v1/events", admin, bind(&QueryApi::Events));
  server.Route("POST", "/api/v1/admin/tokens", admin_with_body, bind(&QueryApi::CreateToken));
  server.Route("GET", "/api/v1/admin/tokens", admin, bind(&QueryApi::ListTokens));
  server.Route("DELETE", "/api/v1/admin/tokens/{agent}", admin, bind(&QueryApi::RevokeTokens));
}

http::ServerResponse QueryApi::StoreError(const http::ServerRequest& request,
                                          const Status& status) {
  spdlog::error("{} {}: store error: {}", request.method, request.path, status.ToString());
  return http::ServerResponse::Error(503, "store unavailable");
}

nlohmann::json QueryApi::HostJson(const AgentInfo& a, int64_t now_ms) const {
  const int64_t age_ms = now_ms - a.last_seen_ms;
  return {{"name", a.name},
          {"agent_version", a.agent_version},
          {"first_seen", FormatRfc3339(a.first_seen_ms)},
          {"last_seen", FormatRfc3339(a.last_seen_ms)},
          {"last_seen_age_seconds", static_cast<double>(age_ms) / 1000.0},
          {"state", age_ms > stale_after_ms_ ? "stale" : "up"},
          {"last_seq", a.last_seq},
          {"events_total", a.events_total},
          {"samples_total", a.samples_total}};
}

http::ServerResponse QueryApi::Healthz(http::ServerRequest& /*request*/) {
  Status ping = store_->Ping();
  if (!ping.ok()) {
    spdlog::error("health check: store unreadable: {}", ping.ToString());
    return JsonOk({{"status", "unavailable"}, {"error", "store unavailable"}}, 503);
  }
  return JsonOk({{"status", "ok"}, {"version", BEACON_VERSION}});
}

http::ServerResponse QueryApi::Metrics(http::ServerRequest& /*request*/) {
  return http::ServerResponse::Text(200, metrics_->Render(*store_, clock_->NowMs()),
                                    "text/plain; version=0.0.4; charset=utf-8");
}

http::ServerResponse QueryApi::Hosts(http::ServerRequest& request) {
  Result<std::vector<AgentInfo>> agents = store_->ListAgents();
  if (!agents.ok()) return StoreError(request, agents.status());
  const int64_t now_ms = clock_->NowMs();
  nlohmann::json hosts = nlohmann::json::array();
  for (const AgentInfo& a : *agents) hosts.push_back(HostJson(a, now_ms));
  return JsonOk({{"hosts", std::move(hosts)}});
}

http::ServerResponse QueryApi::Host(http::ServerRequest& request) {
  const std::string& name = request.path_params["name"];
  if (!wire::IsValidAgentName(name)) {
    return http::ServerResponse::Error(400, "invalid host name '" + name + "'");
  }
  Result<AgentInfo> agent = store_->GetAgent(name);
  if (!agent.ok()) {
    if (agent.status().code() == StatusCode::kNotFound) {
      return http::ServerResponse::Error(404, "no such host '" + name + "'");
    }
    return StoreError(request, agent.status());
  }
  Result<std::vector<LatestValue>> latest = store_->LatestValues(name);
  if (!latest.ok()) return StoreError(request, latest.status());
  EventQuery recent;
  recent.agent = name;
  recent.limit = kRecentEventsPerHost;
  Result<std::vector<StoredEvent>> events = store_->QueryEvents(recent);
  if (!events.ok()) return StoreError(request, events.status());

  nlohmann::json host = HostJson(*agent, clock_->NowMs());
  nlohmann::json metrics = nlohmann::json::array();
  for (const LatestValue& v : *latest) {
    metrics.push_back({{"metric", v.metric},
                       {"labels", nlohmann::json(v.labels)},
                       {"value", v.value},
                       {"ts", FormatRfc3339(v.ts_ms)}});
  }
  nlohmann::json recent_events = nlohmann::json::array();
  for (const StoredEvent& e : *events) recent_events.push_back(EventJson(e));
  host["metrics"] = std::move(metrics);
  host["recent_events"] = std::move(recent_events);
  return JsonOk(host);
}

http::ServerResponse QueryApi::Events(http::ServerRequest& request) {
  Result<EventQuery> query = ParseEventQuery(request.query, clock_->NowMs());
  if (!query.ok()) return http::ServerResponse::Error(400, query.status().message());
  Result<std::vector<StoredEvent>> events = store_->QueryEvents(*query);
  if (!events.ok()) return StoreError(request, events.status());
  nlohmann::json list = nlohmann::json::array();
  for (const StoredEvent& e : *events) list.push_back(EventJson(e));
  return JsonOk({{"events", std::move(list)}});
}

http::ServerResponse QueryApi::CreateToken(http::ServerRequest& request) {
  Result<nlohmann::json> parsed = ParseJsonBody(request.body);
  if (!parsed.ok()) return http::ErrorResponse(parsed.status());
  const nlohmann::json& body = *parsed;
  if (!body.is_object()) return http::ServerResponse::Error(400, "body: expected an object");
  auto it = body.find("agent");
  if (it == body.end()) return http::ServerResponse::Error(400, "agent: required");
  if (!it->is_string()) return http::ServerResponse::Error(400, "agent: expected a string");
  const std::string agent = it->get<std::string>();
  if (!wire::IsValidAgentName(agent)) {
    return http::ServerResponse::Error(400, "agent: invalid agent name '" + agent + "'");
  }
  const std::string token = crypto::RandomToken();
  Result<TokenInfo> info = store_->CreateToken(agent, crypto::Sha256Hex(token), clock_->NowMs());
  if (!info.ok()) return StoreError(request, info.status());
  spdlog::info("token {} created for agent {} (from {})", info->id, agent, request.remote_addr);
  return JsonOk({{"id", info->id},
                 {"agent", info->agent},
                 {"token", token},
                 {"created", FormatRfc3339(info->created_ms)}},
                201);
}

http::ServerResponse QueryApi::ListTokens(http::ServerRequest& request) {
  Result<std::vector<TokenInfo>> tokens = store_->ListTokens();
  if (!tokens.ok()) return StoreError(request, tokens.status());
  nlohmann::json list = nlohmann::json::array();
  for (const TokenInfo& t : *tokens) list.push_back(TokenJson(t));
  return JsonOk({{"tokens", std::move(list)}});
}

http::ServerResponse QueryApi::RevokeTokens(http::ServerRequest& request) {
  const std::string& agent = request.path_params["agent"];
  if (!wire::IsValidAgentName(agent)) {
    return http::ServerResponse::Error(400, "invalid agent name '" + agent + "'");
  }
  Result<int64_t> revoked = store_->RevokeTokens(agent, clock_->NowMs());
  if (!revoked.ok()) return StoreError(request, revoked.status());
  spdlog::info("{} token(s) of agent {} revoked (from {})", *revoked, agent, request.remote_addr);
  return JsonOk({{"agent", agent}, {"revoked", *revoked}});
}

}  // namespace beacon::collector
