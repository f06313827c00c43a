// SLB (CLB 2014-05-15) calls over RpcClient and the parsers of their answers (see slb.h).
#include "common/cloud/aliyun/slb.h"

#include <algorithm>

#include "common/cloud/aliyun/fields.h"

namespace beacon::aliyun::slb {
namespace {

constexpr int kPageSize = 100;  // the API's maximum
// A hostile or broken endpoint that never stops paging is cut off here (100,000 LBs).
constexpr int kMaxPages = 1000;

Result<BackendServer> ParseBackend(const nlohmann::json& object, std::string_view where) {
  BackendServer server;
  BEACON_ASSIGN_OR_RETURN(server.server_id, fields::String(object, "ServerId", where));
  BEACON_ASSIGN_OR_RETURN(int64_t weight, fields::Int(object, "Weight", where, 100));
  if (weight < 0 || weight > 100) {
    return Status::InvalidArgument(std::string(where) + ".Weight: out of range 0..100");
  }
  server.weight = static_cast<int>(weight);
  BEACON_ASSIGN_OR_RETURN(server.type, fields::String(object, "Type", where));
  BEACON_ASSIGN_OR_RETURN(int64_t port, fields::Int(object, "Port", where));
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument(std::string(where) + ".Port: out of range");
  }
  server.port = static_cast<int>(port);
  BEACON_ASSIGN_OR_RETURN(server.server_ip, fields::String(object, "ServerIp", where));
  BEACON_ASSIGN_OR_RETURN(server.description, fields::String(object, "Description", where));
  if (server.server_id.empty()) {
    return Status::InvalidArgument(std::string(where) + ".ServerId: missing");
  }
  return server;
}

Result<LoadBalancer> ParseLoadBalancerFields(const nlohmann::json& object, std::string_view where) {
  LoadBalancer lb;
  BEACON_ASSIGN_OR_RETURN(lb.id, fields::String(object, "LoadBalancerId", where));
  BEACON_ASSIGN_OR_RETURN(lb.name, fields::String(object, "LoadBalancerName", where));
  BEACON_ASSIGN_OR_RETURN(lb.status, fields::String(object, "LoadBalancerStatus", where));
  BEACON_ASSIGN_OR_RETURN(lb.address, fields::String(object, "Address", where));
  BEACON_ASSIGN_OR_RETURN(lb.address_type, fields::String(object, "AddressType", where));
  BEACON_ASSIGN_OR_RETURN(lb.network_type, fields::String(object, "NetworkType", where));
  BEACON_ASSIGN_OR_RETURN(lb.vpc_id, fields::String(object, "VpcId", where));
  BEACON_ASSIGN_OR_RETURN(lb.region_id, fields::String(object, "RegionId", where));
  if (lb.id.empty())
    return Status::InvalidArgument(std::string(where) + ".LoadBalancerId: missing");
  return lb;
}

Status WithRequestId(const Status& status, const std::string& request_id) {
  return status.WithContext("answer (RequestId " + request_id + ")");
}

std::string JoinIds(const std::vector<BackendServer>& servers, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (!out.empty()) out += ",";
    out += servers[i].server_id;
    if (servers[i].port != 0) {
      out += ':';
      out += std::to_string(servers[i].port);
    }
  }
  return out;
}

}  // namespace

std::string EncodeBackendServers(const std::vector<BackendServer>& servers) {
  nlohmann::json list = nlohmann::json::array();
  for (const BackendServer& server : servers) {
    nlohmann::json entry = {{"ServerId", server.server_id},
                            {"Weight", std::to_string(server.weight)}};
    if (!server.type.empty()) entry["Type"] = server.type;
    if (server.port != 0) entry["Port"] = std::to_string(server.port);
    if (!server.server_ip.empty()) entry["ServerIp"] = server.server_ip;
    if (!server.description.empty()) entry["Description"] = server.description;
    list.push_back(std::move(entry));
  }
  return list.dump();
}

Result<std::vector<LoadBalancer>> ParseLoadBalancers(const nlohmann::json& body) {
  BEACON_ASSIGN_OR_RETURN(auto objects,
                          fields::NestedObjects(body, "LoadBalancers", "LoadBalancer"));
  std::vector<LoadBalancer> out;
  for (const nlohmann::json* object : objects) {
    BEACON_ASSIGN_OR_RETURN(LoadBalancer lb, ParseLoadBalancerFields(*object, "LoadBalancer"));
    out.push_back(std::move(lb));
  }
  return out;
}

Result<std::vector<BackendServer>> ParseBackendServers(const nlohmann::json& body) {
  BEACON_ASSIGN_OR_RETURN(auto objects,
                          fields::NestedObjects(body, "BackendServers", "BackendServer"));
  std::vector<BackendServer> out;
  for (const nlohmann::json* object : objects) {
    BEACON_ASSIGN_OR_RETURN(BackendServer server, ParseBackend(*object, "BackendServer"));
    out.push_back(std::move(server));
  }
  return out;
}

Result<LoadBalancerAttribute> ParseLoadBalancerAttribute(const nlohmann::json& body) {
  LoadBalancerAttribute out;
  BEACON_ASSIGN_OR_RETURN(out.request_id, fields::String(body, "RequestId", "answer"));
  BEACON_ASSIGN_OR_RETURN(out.load_balancer, ParseLoadBalancerFields(body, "answer"));
  BEACON_ASSIGN_OR_RETURN(auto listeners, fields::NestedObjects(body, "ListenerPortsAndProtocol",
                                                                "ListenerPortAndProtocol"));
  for (const nlohmann::json* object : listeners) {
    Listener listener;
    BEACON_ASSIGN_OR_RETURN(int64_t port, fields::Int(*object, "ListenerPort", "listener"));
    listener.port = static_cast<int>(std::clamp<int64_t>(port, 0, 65535));
    BEACON_ASSIGN_OR_RETURN(listener.protocol,
                            fields::String(*object, "ListenerProtocol", "listener"));
    out.listeners.push_back(std::move(listener));
  }
  BEACON_ASSIGN_OR_RETURN(out.backends, ParseBackendServers(body));
  return out;
}

Result<HealthStatus> ParseHealthStatus(const nlohmann::json& body) {
  HealthStatus out;
  BEACON_ASSIGN_OR_RETURN(out.request_id, fields::String(body, "RequestId", "answer"));
  BEACON_ASSIGN_OR_RETURN(auto objects,
                          fields::NestedObjects(body, "BackendServers", "BackendServer"));
  for (const nlohmann::json* object : objects) {
    BackendHealth health;
    constexpr std::string_view kWhere = "BackendServer";
    BEACON_ASSIGN_OR_RETURN(health.server_id, fields::String(*object, "ServerId", kWhere));
    BEACON_ASSIGN_OR_RETURN(int64_t listener_port, fields::Int(*object, "ListenerPort", kWhere));
    BEACON_ASSIGN_OR_RETURN(int64_t port, fields::Int(*object, "Port", kWhere));
    health.listener_port = static_cast<int>(std::clamp<int64_t>(listener_port, 0, 65535));
    health.port = static_cast<int>(std::clamp<int64_t>(port, 0, 65535));
    BEACON_ASSIGN_OR_RETURN(health.protocol, fields::String(*object, "Protocol", kWhere));
    BEACON_ASSIGN_OR_RETURN(health.server_ip, fields::String(*object, "ServerIp", kWhere));
    BEACON_ASSIGN_OR_RETURN(health.status, fields::String(*object, "ServerHealthStatus", kWhere));
    out.backends.push_back(std::move(health));
  }
  return out;
}

Result<VServerGroup> ParseVServerGroup(const nlohmann::json& body) {
  VServerGroup out;
  BEACON_ASSIGN_OR_RETURN(out.request_id, fields::String(body, "RequestId", "answer"));
  BEACON_ASSIGN_OR_RETURN(out.id, fields::String(body, "VServerGroupId", "answer"));
  BEACON_ASSIGN_OR_RETURN(out.name, fields::String(body, "VServerGroupName", "answer"));
  BEACON_ASSIGN_OR_RETURN(out.load_balancer_id, fields::String(body, "LoadBalancerId", "answer"));
  BEACON_ASSIGN_OR_RETURN(out.backends, ParseBackendServers(body));
  return out;
}

Result<LoadBalancerList> RpcApi::DescribeLoadBalancers(const DescribeLoadBalancersFilter& filter) {
  LoadBalancerList out;
  for (int page = 1; page <= kMaxPages; ++page) {
    RpcParams params{{"PageNumber", std::to_string(page)}, {"PageSize", std::to_string(kPageSize)}};
    if (!filter.load_balancer_ids.empty()) {
      std::string ids;
      for (const std::string& id : filter.load_balancer_ids) {
        if (!ids.empty()) ids += ',';
        ids += id;
      }
      params["LoadBalancerId"] = ids;
    }
    if (!filter.server_id.empty()) params["ServerId"] = filter.server_id;
    BEACON_ASSIGN_OR_RETURN(RpcResponse response,
                            client_.Call(kSlb, "DescribeLoadBalancers", std::move(params)));
    out.request_ids.push_back(response.request_id);
    Result<std::vector<LoadBalancer>> lbs = ParseLoadBalancers(response.body);
    if (!lbs.ok()) return WithRequestId(lbs.status(), response.request_id);
    Result<int64_t> total = fields::Int(response.body, "TotalCount", "answer", -1);
    if (!total.ok()) return WithRequestId(total.status(), response.request_id);
    const size_t got = lbs->size();
    for (LoadBalancer& lb : *lbs) out.load_balancers.push_back(std::move(lb));
    // The last page: a short one, or everything the total promised.
    if (got < static_cast<size_t>(kPageSize) ||
        (*total >= 0 && out.load_balancers.size() >= static_cast<size_t>(*total))) {
      return out;
    }
  }
  return Status::ResourceExhausted("slb DescribeLoadBalancers: more than " +
                                   std::to_string(kMaxPages) + " pages");
}

Result<LoadBalancerAttribute> RpcApi::DescribeLoadBalancerAttribute(const std::string& lb_id) {
  BEACON_ASSIGN_OR_RETURN(RpcResponse response, client_.Call(kSlb, "DescribeLoadBalancerAttribute",
                                                             {{"LoadBalancerId", lb_id}}));
  Result<LoadBalancerAttribute> out = ParseLoadBalancerAttribute(response.body);
  if (!out.ok()) return WithRequestId(out.status(), response.request_id);
  return out;
}

Result<HealthStatus> RpcApi::DescribeHealthStatus(const std::string& lb_id,
                                                  std::optional<int> listener_port) {
  RpcParams params{{"LoadBalancerId", lb_id}};
  if (listener_port) params["ListenerPort"] = std::to_string(*listener_port);
  BEACON_ASSIGN_OR_RETURN(RpcResponse response,
                          client_.Call(kSlb, "DescribeHealthStatus", std::move(params)));
  Result<HealthStatus> out = ParseHealthStatus(response.body);
  if (!out.ok()) return WithRequestId(out.status(), response.request_id);
  return out;
}

Result<BackendChange> RpcApi::ChangeInChunks(std::string_view action, const std::string& id_param,
                                             const std::string& id,
                                             const std::vector<BackendServer>& servers,
                                             Idempotency idempotency) {
  if (servers.empty()) {
    return Status::InvalidArgument("slb " + std::string(action) + " " + id + ": no servers");
  }
  BackendChange change;
  for (size_t begin = 0; begin < servers.size(); begin += kMaxServersPerCall) {
    const size_t end = std::min(servers.size(), begin + kMaxServersPerCall);
    std::vector<BackendServer> chunk(servers.begin() + static_cast<ptrdiff_t>(begin),
                                     servers.begin() + static_cast<ptrdiff_t>(end));
    RpcParams params{{id_param, id}, {"BackendServers", EncodeBackendServers(chunk)}};
    Result<RpcResponse> response = client_.Call(kSlb, action, std::move(params), idempotency);
    Status failure = response.ok() ? Status::Ok() : response.status();
    if (response.ok()) {
      change.request_ids.push_back(response->request_id);
      Result<std::vector<BackendServer>> listed = ParseBackendServers(response->body);
      if (listed.ok()) {
        for (BackendServer& server : *listed) change.backends.push_back(std::move(server));
      } else {
        failure = WithRequestId(listed.status(), response->request_id);
      }
    }
    if (!failure.ok()) {
      if (begin == 0) return failure;
      std::string done = "already applied to " + JoinIds(servers, 0, begin) + " (RequestId";
      for (const std::string& request_id : change.request_ids) done += " " + request_id;
      done += "); not to " + JoinIds(servers, begin, servers.size());
      return Status(failure.code(), failure.message() + "; " + done);
    }
  }
  return change;
}

Result<BackendChange> RpcApi::SetBackendServers(const std::string& lb_id,
                                                const std::vector<BackendServer>& servers) {
  return ChangeInChunks("SetBackendServers", "LoadBalancerId", lb_id, servers,
                        Idempotency::kIdempotent);
}

Result<BackendChange> RpcApi::AddBackendServers(const std::string& lb_id,
                                                const std::vector<BackendServer>& servers) {
  return ChangeInChunks("AddBackendServers", "LoadBalancerId", lb_id, servers,
                        Idempotency::kNotIdempotent);
}

Result<BackendChange> RpcApi::RemoveBackendServers(const std::string& lb_id,
                                                   const std::vector<BackendServer>& servers) {
  return ChangeInChunks("RemoveBackendServers", "LoadBalancerId", lb_id, servers,
                        Idempotency::kNotIdempotent);
}

Result<VServerGroup> RpcApi::DescribeVServerGroupAttribute(const std::string& group_id) {
  BEACON_ASSIGN_OR_RETURN(RpcResponse response, client_.Call(kSlb, "DescribeVServerGroupAttribute",
                                                             {{"VServerGroupId", group_id}}));
  Result<VServerGroup> out = ParseVServerGroup(response.body);
  if (!out.ok()) return WithRequestId(out.status(), response.request_id);
  return out;
}

Result<BackendChange> RpcApi::SetVServerGroupAttribute(const std::string& group_id,
                                                       const std::vector<BackendServer>& servers) {
  return ChangeInChunks("SetVServerGroupAttribute", "VServerGroupId", group_id, servers,
                        Idempotency::kIdempotent);
}

}  // namespace beacon::aliyun::slb
