// Builders shared by the Alibaba Cloud client tests (aliyun_apis_test, aliyun_fake_test): GCC 12
// warns about designated initializers that leave members out, so the tests build values here.
#pragma once

#include <string>

#include "common/cloud/aliyun/alidns.h"
#include "common/cloud/aliyun/slb.h"

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

}  // namespace beacon::aliyun::testing
