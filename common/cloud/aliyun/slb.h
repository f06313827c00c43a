// Typed Classic Load Balancer (SLB/CLB 2014-05-15) calls: the narrow `slb::Api` interface the bot
// fakes, its RPC-backed implementation over RpcClient, and the pure parsers of the answers.
// Every result keeps the RequestIds of the calls behind it (the audit log records them).
// RpcApi is thread-safe (RpcClient is); the parsers are pure.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/cloud/aliyun/rpc.h"
#include "common/status.h"

namespace beacon::aliyun::slb {

// Most servers one Set/Add/RemoveBackendServers or SetVServerGroupAttribute call takes; longer
// lists are sent in chunks of this size, in order.
inline constexpr size_t kMaxServersPerCall = 20;

struct LoadBalancer {
  std::string id;
  std::string name;
  std::string status;  // "active", "inactive", "locked"
  std::string address;
  std::string address_type;  // "internet" | "intranet"
  std::string network_type;  // "vpc" | "classic"
  std::string vpc_id;
  std::string region_id;
};

// A backend of a load balancer (port 0) or of a VServer group (its port).
struct BackendServer {
  std::string server_id;  // "i-..." (ECS), "eni-...", "eci-..."
  int weight = 100;       // 0..100; 0 takes no new traffic
  std::string type;       // "ecs" | "eni" | "eci"; "" leaves the API default (ecs)
  int port = 0;           // VServer group members only
  std::string server_ip;  // eni/eci only
  std::string description;
};

struct LoadBalancerList {
  std::vector<LoadBalancer> load_balancers;
  std::vector<std::string> request_ids;  // one per page
};

struct Listener {
  int port = 0;
  std::string protocol;  // "http", "https", "tcp", "udp"
};

struct LoadBalancerAttribute {
  std::string request_id;
  LoadBalancer load_balancer;
  std::vector<Listener> listeners;
  std::vector<BackendServer> backends;  // the default server group, with weights
};

struct BackendHealth {
  std::string server_id;
  int listener_port = 0;
  int port = 0;
  std::string protocol;
  std::string server_ip;
  std::string status;  // "normal", "abnormal", "unavailable"
};

struct HealthStatus {
  std::string request_id;
  std::vector<BackendHealth> backends;
};

// What a Set/Add/Remove (or SetVServerGroupAttribute) changed: the servers each answer listed,
// and one RequestId per call (per chunk of kMaxServersPerCall).
struct BackendChange {
  std::vector<BackendServer> backends;
  std::vector<std::string> request_ids;
};

struct VServerGroup {
  std::string request_id;
  std::string id;
  std::string name;
  std::string load_balancer_id;
  std::vector<BackendServer> backends;
};

struct DescribeLoadBalancersFilter {
  std::vector<std::string> load_balancer_ids;  // empty: all
  std::string server_id;                       // only LBs with this backend
};

// The SLB calls the bot needs. Errors are RpcClient::Call's Status (action, code, RequestId).
// A chunked change that fails part-way returns an error naming the servers already changed and
// their RequestIds, so the caller can report and undo exactly that.
class Api {
 public:
  virtual ~Api() = default;
  // Every page (PageSize 100) of DescribeLoadBalancers.
  virtual Result<LoadBalancerList> DescribeLoadBalancers(
      const DescribeLoadBalancersFilter& filter) = 0;
  virtual Result<LoadBalancerAttribute> DescribeLoadBalancerAttribute(const std::string& lb_id) = 0;
  // listener_port: only that listener's entries.
  virtual Result<HealthStatus> DescribeHealthStatus(const std::string& lb_id,
                                                    std::optional<int> listener_port) = 0;
  // Weights of servers already attached (others are ignored by the API).
  virtual Result<BackendChange> SetBackendServers(const std::string& lb_id,
                                                  const std::vector<BackendServer>& servers) = 0;
  // Attaching a server that is attached already is an API error.
  virtual Result<BackendChange> AddBackendServers(const std::string& lb_id,
                                                  const std::vector<BackendServer>& servers) = 0;
  virtual Result<BackendChange> RemoveBackendServers(const std::string& lb_id,
                                                     const std::vector<BackendServer>& servers) = 0;
  virtual Result<VServerGroup> DescribeVServerGroupAttribute(const std::string& group_id) = 0;
  // Weights (matched by server and port) of members already in the group.
  virtual Result<BackendChange> SetVServerGroupAttribute(
      const std::string& group_id, const std::vector<BackendServer>& servers) = 0;
};

// The Api over RpcClient (which must outlive it).
class RpcApi final : public Api {
 public:
  explicit RpcApi(const RpcClient& client) : client_(client) {}

  Result<LoadBalancerList> DescribeLoadBalancers(
      const DescribeLoadBalancersFilter& filter) override;
  Result<LoadBalancerAttribute> DescribeLoadBalancerAttribute(const std::string& lb_id) override;
  Result<HealthStatus> DescribeHealthStatus(const std::string& lb_id,
                                            std::optional<int> listener_port) override;
  Result<BackendChange> SetBackendServers(const std::string& lb_id,
                                          const std::vector<BackendServer>& servers) override;
  Result<BackendChange> AddBackendServers(const std::string& lb_id,
                                          const std::vector<BackendServer>& servers) override;
  Result<BackendChange> RemoveBackendServers(const std::string& lb_id,
                                             const std::vector<BackendServer>& servers) override;
  Result<VServerGroup> DescribeVServerGroupAttribute(const std::string& group_id) override;
  Result<BackendChange> SetVServerGroupAttribute(
      const std::string& group_id, const std::vector<BackendServer>& servers) override;

 private:
  Result<BackendChange> ChangeInChunks(std::string_view action, const std::string& id_param,
                                       const std::string& id,
                                       const std::vector<BackendServer>& servers,
                                       Idempotency idempotency);

  const RpcClient& client_;
};

// ------------------------------------------------ pure helpers (tested and fuzzed directly)

// The BackendServers parameter: a JSON array of {"ServerId","Weight" (a string),"Type",
// "Port","ServerIp","Description"} with only the fields that are set.
std::string EncodeBackendServers(const std::vector<BackendServer>& servers);

// Parsers of the answers' bodies. InvalidArgument naming the field for a wrong shape (a missing
// list is an empty list; numbers may come as JSON numbers or numeric strings, as the API mixes
// both).
Result<std::vector<LoadBalancer>> ParseLoadBalancers(const nlohmann::json& body);
Result<LoadBalancerAttribute> ParseLoadBalancerAttribute(const nlohmann::json& body);
Result<HealthStatus> ParseHealthStatus(const nlohmann::json& body);
Result<std::vector<BackendServer>> ParseBackendServers(const nlohmann::json& body);
Result<VServerGroup> ParseVServerGroup(const nlohmann::json& body);

}  // namespace beacon::aliyun::slb
