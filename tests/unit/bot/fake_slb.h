// An in-memory slb::Api (common/cloud/aliyun/slb.h) for the bot's SLB tests: load balancers with
// default-group backends and health, VServer groups, and the documented semantics the bot relies
// on (Set* changes only attached members, Add refuses an attached server, Remove ignores absent
// ones). Every call is recorded; a call can be made to fail, and a member can be made "sticky"
// (the API answers success but the weight does not change) to test the read-back. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/cloud/aliyun/slb.h"
#include "common/mutex.h"

namespace beacon::bot::testing {

class FakeSlbApi final : public aliyun::slb::Api {
 public:
  struct Lb {
    std::vector<aliyun::slb::BackendServer> backends;  // the default server group
    std::map<std::string, std::string> health;         // server id -> "normal" | "abnormal"
  };
  struct Group {
    std::string lb_id;
    std::vector<aliyun::slb::BackendServer> members;  // with ports
  };

  static aliyun::slb::BackendServer Member(std::string id, int weight, int port = 0) {
    aliyun::slb::BackendServer b;
    b.server_id = std::move(id);
    b.weight = weight;
    b.port = port;
    b.type = "ecs";
    return b;
  }

  Result<aliyun::slb::LoadBalancerList> DescribeLoadBalancers(
      const aliyun::slb::DescribeLoadBalancersFilter&) override {
    return Status::Internal("not used by the bot");
  }
  Result<aliyun::slb::LoadBalancerAttribute> DescribeLoadBalancerAttribute(
      const std::string& lb_id) override {
    MutexLock lock(mu_);
    BEACON_RETURN_IF_ERROR(Begin("DescribeLoadBalancerAttribute", lb_id));
    aliyun::slb::LoadBalancerAttribute out;
    out.request_id = NextId();
    out.load_balancer.id = lb_id;
    out.backends = lbs[lb_id].backends;
    return out;
  }
  Result<aliyun::slb::HealthStatus> DescribeHealthStatus(const std::string& lb_id,
                                                         std::optional<int>) override {
    MutexLock lock(mu_);
    BEACON_RETURN_IF_ERROR(Begin("DescribeHealthStatus", lb_id));
    aliyun::slb::HealthStatus out;
    out.request_id = NextId();
    const Lb& lb = lbs[lb_id];
    auto status = [&](const std::string& id) {
      auto it = lb.health.find(id);
      return it == lb.health.end() ? std::string("normal") : it->second;
    };
    for (const auto& b : lb.backends) out.backends.push_back(Health(b.server_id, 80, status));
    for (const auto& [group_id, group] : groups) {
      if (group.lb_id != lb_id) continue;
      for (const auto& m : group.members)
        out.backends.push_back(Health(m.server_id, m.port, status));
    }
    return out;
  }
  Result<aliyun::slb::BackendChange> SetBackendServers(
      const std::string& lb_id, const std::vector<aliyun::slb::BackendServer>& servers) override {
    MutexLock lock(mu_);
    BEACON_RETURN_IF_ERROR(Begin("SetBackendServers", lb_id));
    aliyun::slb::BackendChange out;
    for (const auto& s : servers) {
      for (auto& b : lbs[lb_id].backends) {
        if (b.server_id == s.server_id && !sticky.count(lb_id + "/" + s.server_id)) {
          b.weight = s.weight;
        }
      }
    }
    out.backends = lbs[lb_id].backends;
    out.request_ids.push_back(NextId());
    return out;
  }
  Result<aliyun::slb::BackendChange> AddBackendServers(
      const std::string& lb_id, const std::vector<aliyun::slb::BackendServer>& servers) override {
    MutexLock lock(mu_);
    BEACON_RETURN_IF_ERROR(Begin("AddBackendServers", lb_id));
    for (const auto& s : servers) {
      for (const auto& b : lbs[lb_id].backends) {
        if (b.server_id == s.server_id) {
          return Status::InvalidArgument("slb AddBackendServers: InvalidParameter: attached");
        }
      }
    }
    aliyun::slb::BackendChange out;
    for (const auto& s : servers) lbs[lb_id].backends.push_back(Member(s.server_id, s.weight));
    out.backends = servers;
    out.request_ids.push_back(NextId());
    return out;
  }
  Result<aliyun::slb::BackendChange> RemoveBackendServers(
      const std::string& lb_id, const std::vector<aliyun::slb::BackendServer>& servers) override {
    MutexLock lock(mu_);
    BEACON_RETURN_IF_ERROR(Begin("RemoveBackendServers", lb_id));
    auto& backends = lbs[lb_id].backends;
    for (const auto& s : servers) {
      std::erase_if(backends, [&](const auto& b) { return b.server_id == s.server_id; });
    }
    aliyun::slb::BackendChange out;
    out.backends = backends;
    out.request_ids.push_back(NextId());
    return out;
  }
  Result<aliyun::slb::VServerGroup> DescribeVServerGroupAttribute(
      const std::string& group_id) override {
    MutexLock lock(mu_);
    BEACON_RETURN_IF_ERROR(Begin("DescribeVServerGroupAttribute", group_id));
    auto it = groups.find(group_id);
    if (it == groups.end()) return Status::NotFound("no group " + group_id);
    aliyun::slb::VServerGroup out;
    out.request_id = NextId();
    out.id = group_id;
    out.load_balancer_id = it->second.lb_id;
    out.backends = it->second.members;
    return out;
  }
  Result<aliyun::slb::BackendChange> SetVServerGroupAttribute(
      const std::string& group_id,
      const std::vector<aliyun::slb::BackendServer>& servers) override {
    MutexLock lock(mu_);
    BEACON_RETURN_IF_ERROR(Begin("SetVServerGroupAttribute", group_id));
    for (const auto& s : servers) {
      for (auto& m : groups[group_id].members) {
        if (m.server_id == s.server_id && m.port == s.port) m.weight = s.weight;
      }
    }
    aliyun::slb::BackendChange out;
    out.backends = groups[group_id].members;
    out.request_ids.push_back(NextId());
    return out;
  }

  // "Action id" of every call, in order.
  std::vector<std::string> Calls() {
    MutexLock lock(mu_);
    return calls;
  }
  // Calls that change something ("SetBackendServers lb-1"), in order.
  std::vector<std::string> Changes() {
    MutexLock lock(mu_);
    std::vector<std::string> out;
    for (const std::string& c : calls) {
      if (!c.starts_with("Describe")) out.push_back(c);
    }
    return out;
  }

  // State, set up by the test before the bot runs (and compared after).
  std::map<std::string, Lb> lbs;
  std::map<std::string, Group> groups;
  std::set<std::string> sticky;  // "lb-id/server-id": Set* answers success but keeps the weight
  // "Action id" -> the error its next call returns.
  std::map<std::string, Status> fail;
  std::vector<std::string> calls;

 private:
  Status Begin(const std::string& action, const std::string& id) {
    const std::string call = action + " " + id;
    calls.push_back(call);
    auto it = fail.find(call);
    if (it == fail.end()) return Status::Ok();
    Status s = it->second;
    fail.erase(it);
    return s;
  }
  template <typename StatusOf>
  static aliyun::slb::BackendHealth Health(const std::string& id, int port, StatusOf status) {
    aliyun::slb::BackendHealth h;
    h.server_id = id;
    h.listener_port = 80;
    h.port = port;
    h.status = status(id);
    return h;
  }
  std::string NextId() { return "req-" + std::to_string(++request_ids_); }

  Mutex mu_;
  int request_ids_ = 0;
};

}  // namespace beacon::bot::testing
