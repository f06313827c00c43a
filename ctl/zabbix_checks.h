// `beaconctl zabbix rds.discovery | rds.perf ID | rds.usage ID | host.lastseen HOST |
// backup.age HOST SET | alerts.open [HOST]`: Zabbix external checks. The rds.* ones call Alibaba
// Cloud (RDS and CloudMonitor) with the credentials of an aliyun config file and share an
// on-disk cache (ctl/check_cache.h), so one interval costs one call per instance and action;
// the others ask the collector's admin API. Zabbix stores an external check's stdout (and
// stderr) as the value and ignores the exit code, so a failure is one line
// {"error":"<reason>"} on stdout (exit 1): a numeric item cannot take it and a JSON item's
// "Check for error in JSON" step shows the reason; nothing goes to stderr and no secret is
// printed. docs/zabbix.md#rds.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/http/client.h"
#include "ctl/args.h"

namespace beacon::ctl {

inline constexpr char kDefaultAliyunConfig[] = "/etc/beacon/aliyun.yaml";
inline constexpr char kDefaultZabbixStateDir[] = "/var/cache/beacon-zabbix";
// The name of the ExternalScripts symlink to beaconctl that means "beaconctl zabbix ...".
inline constexpr char kZabbixCheckProgram[] = "beacon_zabbix";

// True for "zabbix rds.perf" and the other check commands (CommandName form).
bool IsZabbixCheck(const std::string& command);
// True when argv names one of them, so even a usage error is printed the Zabbix way.
bool IsZabbixCheckInvocation(const std::vector<std::string>& argv);

// Runs the check `inv` names; writes only to `out`. `admin_token` is needed by the collector
// checks only (an error text when it could not be read, passed in `token_error`).
int RunZabbixCheck(http::HttpClient& http, const Clock& clock, const Invocation& inv,
                   const Getenv& getenv, const std::string& admin_token,
                   const std::string& token_error, std::ostream& out);

// Prints the failure line {"error": reason} and returns exit code 1.
int ZabbixCheckFailure(std::ostream& out, const std::string& reason);

}  // namespace beacon::ctl
