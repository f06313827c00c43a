// Builders shared by the Alibaba Cloud client tests (aliyun_apis_test, aliyun_fake_test): GCC 12
// warns about designated initializers that leave members out, so the tests build values here.
// Also the calls to the control endpoints of tests/fakes/aliyun_server.py (aliyun_fake_test,
// tests/unit/bot/dns_alidns_fake_test).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/cloud/aliyun/alidns.h"
#include "common/cloud/aliyun/slb.h"
#include "common/http/client.h"

namespace beacon::aliyun::testing {

inline slb::BackendServer Server(std::string id, int weight = 100, int port = 0) {
  slb::BackendServer server;
  server.server_id = std::move(id);
  server.weight = weight;
  server.port = port;
  return server;
}

inline alidns::RecordUpdate Update(std::string record_id, std::string value) {
  alidns::RecordUpdate update;
  update.domain_name = "example.com";
  update.record_id = std::move(record_id);
  update.rr = "www";
  update.type = "A";
  update.value = std::move(value);
  return update;
}

inline slb::DescribeLoadBalancersFilter ByServer(std::string server_id) {
  slb::DescribeLoadBalancersFilter filter;
  filter.server_id = std::move(server_id);
  return filter;
}

// An RpcClient with the test key over `http` (a scripted peer) and `clock`, sending each product
// to its entry of `endpoints`, never sleeping between attempts.
inline std::unique_ptr<RpcClient> ScriptedRpcClient(std::shared_ptr<http::HttpClient> http,
                                                    const Clock& clock,
                                                    std::map<std::string, std::string> endpoints,
                                                    int max_attempts = 2,
                                                    std::string region = "cn-hangzhou") {
  RpcClientConfig config;
  config.region = std::move(region);
  config.credentials = {"LTAI5tTestKey", "unit-test-secret", ""};
  config.endpoints = std::move(endpoints);
  config.max_attempts = max_attempts;
  RpcClientDeps deps;
  deps.http = std::move(http);
  deps.clock = &clock;
  deps.sleep = [](int64_t) {};
  return std::make_unique<RpcClient>(std::move(config), std::move(deps));
}

// GET `path` (/__state, /__stats) of the fake at `base` ("http://127.0.0.1:PORT"): its JSON, an
// empty object on any failure.
inline nlohmann::json FakeGet(http::HttpClient& http, const std::string& base,
                              const std::string& path) {
  http::HttpRequest request;
  request.url = base + path;
  auto response = http.Send(request);
  if (!response.ok() || response->status != 200) return nlohmann::json::object();
  return nlohmann::json::parse(response->body);
}

// POST /__control with `body`; true when the fake answered 200.
inline bool FakeControl(http::HttpClient& http, const std::string& base,
                        const nlohmann::json& body) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = base + "/__control";
  request.body = body.dump();
  request.headers.Set("Content-Type", "application/json");
  auto response = http.Send(request);
  return response.ok() && response->status == 200;
}

}  // namespace beacon::aliyun::testing
