// beacon-agent configuration: typed struct with defaults, loaded from one YAML file through
// common/config (errors carry file:line: key.path). Every key is documented in config/agent.yaml.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/backup/backup_config.h"
#include "agent/inputs/builtin.h"
#include "agent/inputs/input.h"
#include "agent/zabbix/zabbix_config.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/status.h"

namespace beacon::agent {

struct CollectorConfig {
  std::string url = "http://127.0.0.1:8470";  // no trailing slash
  config::Secret token;                       // empty when not configured; `run` requires it
  int64_t timeout_ms = 10'000;
  bool tls_verify = true;
  std::string ca_file;
  // Client certificate and key presented to a collector with listen.tls_client_auth (its CN
  // must be the agent name); both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Allows an http:// url whose host is not loopback (the token and every record then cross
  // the network in clear); `check` warns when it is used.
  bool insecure = false;
};

struct SpoolConfig {
  std::string path;                        // default <data_dir>/spool.db
  int64_t max_bytes = int64_t{256} << 20;  // at least 1MiB
  // Hard cap on events waiting for the collector (events are never dropped by max_bytes).
  int64_t max_event_bytes = int64_t{1} << 30;  // at least 1MiB
};

struct RestoreConfig {
  bool allow_setid = false;  // keep set-user-ID / set-group-ID bits on restored files
};

struct UplinkConfig {
  int batch_max_records = 1000;  // 1..10000 (the collector's batch limit)
  int64_t batch_max_bytes = int64_t{1} << 20;
  int64_t flush_interval_ms = 1000;
  int64_t compress_threshold = 4096;
  int64_t backoff_initial_ms = 500;
  int64_t backoff_max_ms = 60'000;
};

// One input of the built-in list with the framework's keys; `input` has already been Init()ed
// with its YAML section.
struct InputSettings {
  std::string name;
  bool enabled = true;
  int64_t interval_ms = 10'000;
  std::shared_ptr<inputs::Input> input;
};

struct AgentConfig {
  std::string source;  // the file it was loaded from (for messages)
  std::string name;    // default: the host name
  std::string data_dir = "/var/lib/beacon-agent";
  CollectorConfig collector;
  SpoolConfig spool;
  UplinkConfig uplink;
  std::vector<InputSettings> inputs;  // every built-in input, enabled or not, in list order
  backup::BackupConfig backup;        // `backup:`; enabled when at least one set is configured
  RestoreConfig restore;
  zabbix::ZabbixConfig zabbix;  // `zabbix:`: passive and active checks, UserParameters
  log::LogOptions log;
};

// Whether the url is http:// to a host that is not loopback (127.0.0.0/8, ::1, localhost):
// what collector.insecure must allow.
bool SendsInClearOverTheNetwork(const std::string& url);
// "warning: collector.insecure is true: ..." when that setting is what lets the agent talk to
// the collector (check prints it, run logs it); empty otherwise.
std::string InsecureWarning(const AgentConfig& cfg);

// Loads and validates; InvalidArgument lists every error ("<file>:<line>: <path>: <message>"),
// one per line. Relative paths (data_dir, spool.path, ca_file, *_file) are relative to the
// directory of the file.
Result<AgentConfig> LoadAgentConfig(const std::string& path);
// Same from text (tests, docs samples), with the built-in input list.
Result<AgentConfig> LoadAgentConfigFromString(const std::string& text,
                                              const std::string& display_name);
// With an explicit input list (tests).
Result<AgentConfig> LoadAgentConfigFromDocument(config::Document& doc,
                                                const std::vector<inputs::InputFactory>& factories);

}  // namespace beacon::agent
