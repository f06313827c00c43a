// Reads agent.yaml into AgentConfig: defaults, ranges, cross-key rules and the per-input
// sections (generic `enabled`/`interval` here, the rest by each input's Init()).
#include "agent/config.h"

#include <unistd.h>

#include <climits>
#include <filesystem>

#include "common/config/common_sections.h"
#include "common/http/ip_network.h"
#include "common/strings.h"
#include "common/url.h"
#include "common/wire/wire.h"

namespace beacon::agent {
namespace {

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
  std::string name(buf);
  // Use the short name: "web-01.example.internal" -> "web-01" is what operators type.
  if (size_t dot = name.find('.'); dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

// The host of an http(s) URL: between "//" (and any "user@") and the port or path; without
// the brackets of an IPv6 literal.
std::string UrlHost(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  std::string authority = url.substr(start, url.find_first_of("/?#", start) - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    return close == std::string::npos ? authority : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.find(':'));
}

std::string KnownNames(const std::vector<inputs::InputFactory>& factories) {
  std::string out;
  for (const auto& f : factories) out += (out.empty() ? "" : ", ") + f.name;
  return out;
}

}  // namespace

bool SendsInClearOverTheNetwork(const std::string& url) {
  if (url.rfind("http://", 0) != 0) return false;
  const std::string host = Lower(UrlHost(url));
  if (host == "localhost") return false;
  static const std::vector<http::IpNetwork> kLoopback = {*http::ParseIpNetwork("127.0.0.0/8"),
                                                         *http::ParseIpNetwork("::1")};
  return !http::AddressAllowed(host, kLoopback);
}

std::string InsecureWarning(const AgentConfig& cfg) {
  if (!cfg.collector.insecure || !SendsInClearOverTheNetwork(cfg.collector.url)) return "";
  return "warning: collector.insecure is true: the agent token and every record go to " +
         cfg.collector.url +
         " unencrypted; anyone on the path can read them and act as this "
         "agent. Use https:// in collector.url";
}

Result<AgentConfig> LoadAgentConfigFromDocument(
    config::Document& doc, const std::vector<inputs::InputFactory>& factories) {
  AgentConfig cfg;
  cfg.source = doc.name();
  config::Node root = doc.root();

  config::Node agent = root.Child("agent");
  cfg.name = HostName();
  agent.Get("name", &cfg.name);
  if (!wire::IsValidAgentName(cfg.name)) {
    agent.Error("name", "'" + cfg.name +
                            "' is not a valid agent name (letters, digits, '_', '.', '-'; at "
                            "most 128; not starting with '.' or '-')");
  }
  agent.Get("data_dir", &cfg.data_dir);
  if (cfg.data_dir.empty()) agent.Error("data_dir", "must not be empty");
  cfg.data_dir = Resolve(doc.base_dir(), cfg.data_dir);

  config::Node collector = root.Child("collector");
  collector.Get("url", &cfg.collector.url);
  if (!IsHttpUrl(cfg.collector.url)) {
    collector.Error("url", "must start with http:// or https://");
  }
  while (!cfg.collector.url.empty() && cfg.collector.url.back() == '/') {
    cfg.collector.url.pop_back();
  }
  collector.GetSecret("token", &cfg.collector.token);
  collector.GetDurationMs("timeout", &cfg.collector.timeout_ms, 1000);
  collector.Get("tls_verify", &cfg.collector.tls_verify);
  collector.Get("ca_file", &cfg.collector.ca_file);
  cfg.collector.ca_file = Resolve(doc.base_dir(), cfg.collector.ca_file);
  collector.Get("tls_cert_file", &cfg.collector.tls_cert_file);
  collector.Get("tls_key_file", &cfg.collector.tls_key_file);
  if (cfg.collector.tls_cert_file.empty() != cfg.collector.tls_key_file.empty()) {
    collector.Error(cfg.collector.tls_cert_file.empty() ? "tls_key_file" : "tls_cert_file",
                    "collector.tls_cert_file and collector.tls_key_file go together (both or "
                    "neither)");
  }
  cfg.collector.tls_cert_file = Resolve(doc.base_dir(), cfg.collector.tls_cert_file);
  cfg.collector.tls_key_file = Resolve(doc.base_dir(), cfg.collector.tls_key_file);
  collector.Get("insecure", &cfg.collector.insecure);
  if (!cfg.collector.insecure && SendsInClearOverTheNetwork(cfg.collector.url)) {
    collector.Error("url", "'" + cfg.collector.url +
                               "' would send the agent token and every record unencrypted to a "
                               "host that is not loopback; use https://, or set "
                               "collector.insecure: true to allow it");
  }

  config::Node spool = root.Child("spool");
  spool.Get("path", &cfg.spool.path);
  cfg.spool.path = cfg.spool.path.empty()
                       ? (std::filesystem::path(cfg.data_dir) / "spool.db").string()
                       : Resolve(doc.base_dir(), cfg.spool.path);
  spool.GetBytes("max_bytes", &cfg.spool.max_bytes, int64_t{1} << 20);
  spool.GetBytes("max_event_bytes", &cfg.spool.max_event_bytes, int64_t{1} << 20);

  config::Node uplink = root.Child("uplink");
  uplink.Get("batch_max_records", &cfg.uplink.batch_max_records, 1, 10000);
  uplink.GetBytes("batch_max_bytes", &cfg.uplink.batch_max_bytes, 1024);
  uplink.GetDurationMs("flush_interval", &cfg.uplink.flush_interval_ms, 10);
  uplink.GetBytes("compress_threshold", &cfg.uplink.compress_threshold, 0);
  uplink.GetDurationMs("backoff_initial", &cfg.uplink.backoff_initial_ms, 10);
  uplink.GetDurationMs("backoff_max", &cfg.uplink.backoff_max_ms, 10);
  if (cfg.uplink.backoff_initial_ms > cfg.uplink.backoff_max_ms) {
    uplink.Error("backoff_initial", "must not be greater than uplink.backoff_max");
  }

  config::Node inputs_node = root.Child("inputs");
  for (const inputs::InputFactory& factory : factories) {
    config::Node node = inputs_node.Child(factory.name);
    InputSettings settings;
    settings.name = factory.name;
    settings.enabled = factory.default_enabled;
    settings.interval_ms = factory.default_interval_ms;
    node.Get("enabled", &settings.enabled);
    node.GetDurationMs("interval", &settings.interval_ms, factory.min_interval_ms);
    settings.input = factory.create();
    Status init = settings.input->Init(node);
    if (!init.ok()) inputs_node.Error(factory.name, init.message());
    cfg.inputs.push_back(std::move(settings));
  }
  std::vector<std::pair<std::string, config::Node>> entries;
  if (inputs_node.IsMap()) entries = root.Entries("inputs");
  for (auto& [name, node] : entries) {
    bool known = false;
    for (const auto& f : factories) known = known || f.name == name;
    if (!known) {
      inputs_node.Error(name,
                        "unknown input '" + name + "' (known: " + KnownNames(factories) + ")");
    }
  }

  cfg.backup = backup::ReadBackupConfig(root.Child("backup"), doc.base_dir());
  root.Child("restore").Get("allow_setid", &cfg.restore.allow_setid);
  cfg.zabbix = zabbix::ReadZabbixConfig(root.Child("zabbix"), cfg.name);

  config::ReadLogOptions(root.Child("log"), &cfg.log);

  BEACON_RETURN_IF_ERROR(doc.Finish());
  return cfg;
}

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<config::Document> doc, config::Document::LoadFile(path));
  return LoadAgentConfigFromDocument(*doc, inputs::BuiltinInputs());
}

Result<AgentConfig> LoadAgentConfigFromString(const std::string& text,
                                              const std::string& display_name) {
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<config::Document> doc,
                          config::Document::LoadString(text, display_name));
  return LoadAgentConfigFromDocument(*doc, inputs::BuiltinInputs());
}

}  // namespace beacon::agent
