// Reads the `zabbix:` section.
#include "agent/zabbix/zabbix_config.h"

#include <arpa/inet.h>
#include <glob.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "agent/zabbix/active_checks.h"
#include "agent/zabbix/items.h"
#include "common/config/common_sections.h"

namespace beacon::agent::zabbix {
namespace {

// The files a zabbix.include entry names: a file, every file of a directory (as Include= reads
// it) or a glob(3) pattern, sorted.
std::vector<std::string> IncludeFiles(const std::string& pattern, std::string* error) {
  struct stat st {};
  std::string expanded = pattern;
  if (::stat(pattern.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    expanded = pattern + (pattern.back() == '/' ? "*" : "/*");
  }
  glob_t found{};
  const int rc = ::glob(expanded.c_str(), GLOB_ERR, nullptr, &found);
  std::vector<std::string> files;
  if (rc == 0) {
    for (size_t i = 0; i < found.gl_pathc; ++i) {
      struct stat file {};
      if (::stat(found.gl_pathv[i], &file) == 0 && S_ISREG(file.st_mode)) {
        files.emplace_back(found.gl_pathv[i]);
      }
    }
  }
  ::globfree(&found);
  // An empty directory or a pattern that matches nothing is fine (zabbix_agentd.d often is);
  // a path that does not exist at all is not.
  if (rc != 0 && rc != GLOB_NOMATCH) *error = "cannot read '" + pattern + "'";
  if (rc == GLOB_NOMATCH && expanded == pattern &&
      pattern.find_first_of("*?[") == std::string::npos) {
    *error = "'" + pattern + "' does not exist";
  }
  return files;
}

void ReadUserParameters(config::Node& node, ZabbixConfig* cfg) {
  node.Get("unsafe_user_parameters", &cfg->unsafe_user_parameters);
  std::vector<config::Node> entries = node.Sequence("user_parameters");
  for (size_t i = 0; i < entries.size(); ++i) {
    config::Node& entry = entries[i];
    const std::string where = "user_parameters[" + std::to_string(i) + "]";
    Result<UserParameter> parameter = Status::InvalidArgument("");
    if (entry.IsScalar()) {
      parameter = ParseUserParameter(entry.Scalar(), false);
    } else {
      std::string key, command;
      bool shell = false;
      entry.Require("key");
      entry.Require("command");
      entry.Get("key", &key);
      entry.Get("command", &command);
      entry.Get("shell", &shell);
      if (key.empty() || command.empty()) continue;
      parameter = MakeUserParameter(key, command, shell);
    }
    if (!parameter.ok()) {
      node.Error(where, parameter.status().message());
      continue;
    }
    parameter->origin = "zabbix." + where;
    cfg->user_parameters.push_back(std::move(*parameter));
  }
  std::vector<config::Node> includes = node.Sequence("include");
  for (size_t i = 0; i < includes.size(); ++i) {
    config::Node& entry = includes[i];
    const std::string where = "include[" + std::to_string(i) + "]";
    std::string path;
    bool shell = false;
    if (entry.IsScalar()) {
      path = entry.Scalar();
    } else {
      entry.Require("path");
      entry.Get("path", &path);
      entry.Get("shell", &shell);
    }
    if (path.empty()) continue;
    if (path.front() != '/' && !node.base_dir().empty()) path = node.base_dir() + "/" + path;
    std::string error;
    for (const std::string& file : IncludeFiles(path, &error)) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in.good() && !in.eof()) {
        node.Error(where, "cannot read '" + file + "'");
        continue;
      }
      IncludedParameters found = ParseUserParameterFile(text.str(), file, shell);
      for (const std::string& bad : found.errors) node.Error(where, bad);
      for (UserParameter& p : found.parameters) cfg->user_parameters.push_back(std::move(p));
    }
    if (!error.empty()) node.Error(where, error);
  }
  std::set<std::string> names;
  const ItemTable builtin = StandardItemTable();
  for (const UserParameter& p : cfg->user_parameters) {
    if (builtin.Find(p.name) != nullptr) {
      node.Error("user_parameters", p.origin + ": " + p.name + " is a built-in item");
    } else if (!names.insert(p.name).second) {
      node.Error("user_parameters", p.origin + ": " + p.name + " is defined twice");
    }
  }
}

void ReadActive(config::Node& node, ZabbixConfig* cfg) {
  std::vector<std::string> servers;
  node.Get("server_active", &servers);
  for (const std::string& text : servers) {
    ZabbixConfig::ActiveServer server;
    if (!ParseServerActive(text, &server.host, &server.port)) {
      node.Error("server_active", "'" + text +
                                      "' is not a host or address with an optional port like "
                                      "zabbix.example:10051 or [2001:db8::1]:10051");
      continue;
    }
    cfg->server_active.push_back(server);
  }
  node.GetDurationMs("refresh_active_checks", &cfg->refresh_active_checks_ms, 1000, 3'600'000);
  node.Get("host_metadata", &cfg->host_metadata);
  if (cfg->host_metadata.size() > 255) {
    node.Error("host_metadata", "is longer than 255 characters");
  }
  node.GetDurationMs("buffer_send", &cfg->buffer_send_ms, 1000, 3'600'000);
  node.Get("buffer_size", &cfg->buffer_size, 2, 65535);
}

}  // namespace

bool ParseListenAddress(const std::string& text, std::string* address, uint16_t* port) {
  std::string host, port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return false;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int value = std::stoi(port_text);
  if (value > 65535) return false;
  unsigned char buffer[16];
  if (::inet_pton(AF_INET, host.c_str(), buffer) != 1 &&
      ::inet_pton(AF_INET6, host.c_str(), buffer) != 1) {
    return false;
  }
  *address = host;
  *port = static_cast<uint16_t>(value);
  return true;
}

ZabbixConfig ReadZabbixConfig(config::Node node, const std::string& agent_name) {
  ZabbixConfig cfg;
  cfg.hostname = agent_name;
  std::string listen;
  node.Get("listen", &listen);
  if (!listen.empty()) {
    cfg.listen_enabled = ParseListenAddress(listen, &cfg.listen_address, &cfg.listen_port);
    if (!cfg.listen_enabled) {
      node.Error("listen", "'" + listen +
                               "' is not an IP address and port like 0.0.0.0:10050 or "
                               "[::1]:10050");
    }
  }
  cfg.allow = config::ReadIpNetworkList(node, "allow");
  if (!listen.empty() && cfg.allow.empty() && !node.Has("allow")) {
    node.Error("allow",
               "is required with zabbix.listen: the Zabbix server and proxy addresses that may "
               "ask (zabbix_agentd's Server=)");
  }
  node.GetDurationMs("timeout", &cfg.timeout_ms, 1000, 30'000);
  node.Get("workers", &cfg.workers, 1, 100);
  node.Get("hostname", &cfg.hostname);
  if (cfg.hostname.empty()) node.Error("hostname", "must not be empty");
  ReadActive(node, &cfg);
  ReadUserParameters(node, &cfg);
  return cfg;
}

}  // namespace beacon::agent::zabbix
