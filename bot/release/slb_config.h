// SlbConfig: the `bot.slb` section (docs/bot.md#slb-and-gray-release): the Alibaba Cloud client
// settings (common/cloud/aliyun/rpc.h ReadRpcClientConfig, read from the same mapping), the
// allow-list of production load balancers and their VServer groups, the gray load balancer, server
// aliases and the file that remembers drained weights. Parsed once at load; plain data after.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/cloud/aliyun/rpc.h"
#include "common/config/config.h"
#include "common/status.h"

namespace beacon::bot::release {

struct SlbGroupConfig {
  std::string id;    // "rsp-..."
  std::string name;  // friendly name; the id when not given
};

struct SlbLoadBalancerConfig {
  std::string id;                              // "lb-..."
  std::string name;                            // friendly name, unique across the section
  std::vector<SlbGroupConfig> vserver_groups;  // the groups the bot may change besides the default
};

struct SlbGrayConfig {
  std::string id;  // "" when no gray load balancer is configured
  std::string name;
  int listener_port = 0;  // 0: health of every listener
  int weight = 100;       // the weight `release gray` gives a server there
};

struct SlbConfig {
  aliyun::RpcClientConfig client;
  std::vector<SlbLoadBalancerConfig> production;
  SlbGrayConfig gray;
  std::map<std::string, std::string> servers;  // alias ("web-01") -> server id ("i-abc")
  std::string state_db;  // SQLite file of remembered weights; relative to the config's directory
};

// Reads `bot.slb` (the node of the slb mapping). Errors go to the node's document with their key
// paths ("bot.slb.production[1].id: a second entry for lb-1"). `lookup` reads the environment for
// the credentials (tests inject one).
SlbConfig ParseSlbConfig(config::Node slb, const aliyun::EnvLookup& lookup);
SlbConfig ParseSlbConfig(config::Node slb);

// A whole document whose root has only `bot: {slb: ...}`, for tests: InvalidArgument listing
// every error (Document::Finish).
Result<SlbConfig> LoadSlbConfigFromString(const std::string& yaml, const std::string& name,
                                          const aliyun::EnvLookup& lookup);

}  // namespace beacon::bot::release
