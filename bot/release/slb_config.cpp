// ParseSlbConfig: the `bot.slb` keys; see slb_config.h.
#include "bot/release/slb_config.h"

#include <filesystem>
#include <set>

namespace beacon::bot::release {
namespace {

// Ids and aliases go into API parameters and chat words: letters, digits, '-', '_', '.'.
bool IsPlainName(const std::string& text) {
  if (text.empty() || text.size() > 128) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Reads `key` as a required plain name; records an error and returns "" when it is not one.
std::string PlainName(config::Node& node, const char* key) {
  std::string value;
  if (!node.Require(key)) return value;
  node.Get(key, &value);
  if (!IsPlainName(value)) {
    node.Error(key, "expected an id of letters, digits, '-', '_' or '.', got '" + value + "'");
    return "";
  }
  return value;
}

// Every id and friendly name must name one thing only, so a chat word is never ambiguous.
class UniqueNames {
 public:
  void Add(config::Node& node, const char* key, const std::string& name) {
    if (name.empty()) return;
    if (!seen_.insert(name).second) node.Error(key, "'" + name + "' names two things in bot.slb");
  }

 private:
  std::set<std::string> seen_;
};

// Everything but the client settings.
void ParseRest(config::Node slb, SlbConfig& c) {
  slb.Require("state_db");
  slb.Get("state_db", &c.state_db);
  if (!c.state_db.empty() && !slb.base_dir().empty() &&
      std::filesystem::path(c.state_db).is_relative()) {
    c.state_db = (std::filesystem::path(slb.base_dir()) / c.state_db).string();
  }
  UniqueNames names;
  slb.Require("production");
  for (config::Node& node : slb.Sequence("production")) {
    SlbLoadBalancerConfig lb;
    lb.id = PlainName(node, "id");
    names.Add(node, "id", lb.id);
    lb.name = lb.id;
    node.Get("name", &lb.name);
    if (lb.name != lb.id) names.Add(node, "name", lb.name);
    for (config::Node& group_node : node.Sequence("vserver_groups")) {
      SlbGroupConfig group;
      if (group_node.IsScalar()) {
        group.id = group_node.Scalar();
        if (!IsPlainName(group.id)) {
          node.Error("vserver_groups",
                     "expected a VServer group id or {id, name}, got '" + group.id + "'");
          group.id.clear();
        }
      } else {
        group.id = PlainName(group_node, "id");
        group_node.Get("name", &group.name);
      }
      if (group.id.empty()) continue;
      if (group.name.empty()) group.name = group.id;
      names.Add(group_node, "id", group.id);
      if (group.name != group.id) names.Add(group_node, "name", group.name);
      lb.vserver_groups.push_back(group);
    }
    if (!lb.id.empty()) c.production.push_back(std::move(lb));
  }
  if (slb.Has("production") && c.production.empty()) {
    slb.Error("production", "list at least one production load balancer");
  }
  config::Node gray = slb.Child("gray");
  if (!gray.IsNull()) {
    c.gray.id = PlainName(gray, "id");
    names.Add(gray, "id", c.gray.id);
    c.gray.name = c.gray.id;
    gray.Get("name", &c.gray.name);
    if (c.gray.name != c.gray.id) names.Add(gray, "name", c.gray.name);
    gray.Get("listener_port", &c.gray.listener_port, 1, 65535);
    gray.Get("weight", &c.gray.weight, 1, 100);
  }
  for (auto& [alias, node] : slb.Entries("servers")) {
    const std::string id = node.Scalar();
    const std::string key = "servers." + alias;
    if (!IsPlainName(alias) || !node.IsScalar() || !IsPlainName(id)) {
      slb.Error(key, "expected `alias: server-id` of letters, digits, '-', '_' or '.'");
      continue;
    }
    c.servers[alias] = id;
  }
}

}  // namespace

SlbConfig ParseSlbConfig(config::Node slb, const aliyun::EnvLookup& lookup) {
  SlbConfig c;
  c.client = aliyun::ReadRpcClientConfig(slb, lookup);
  ParseRest(slb, c);
  return c;
}

SlbConfig ParseSlbConfig(config::Node slb) {
  SlbConfig c;
  c.client = aliyun::ReadRpcClientConfig(slb);
  ParseRest(slb, c);
  return c;
}

Result<SlbConfig> LoadSlbConfigFromString(const std::string& yaml, const std::string& name,
                                          const aliyun::EnvLookup& lookup) {
  BEACON_ASSIGN_OR_RETURN(auto doc, config::Document::LoadString(yaml, name));
  SlbConfig c = ParseSlbConfig(doc->root().Child("bot").Child("slb"), lookup);
  BEACON_RETURN_IF_ERROR(doc->Finish());
  return c;
}

}  // namespace beacon::bot::release
