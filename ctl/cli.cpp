// beaconctl: command dispatch with injected dependencies.
#include "ctl/cli.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/posix.h"
#include "common/strings.h"
#include "common/timezone.h"
#include "ctl/agent_commands.h"
#include "ctl/alert_commands.h"
#include "ctl/api.h"
#include "ctl/bot_commands.h"
#include "ctl/commands.h"
#include "ctl/zabbix_checks.h"

#ifndef BEACON_VERSION
#define BEACON_VERSION "0.0.0"
#endif

namespace beacon::ctl {
namespace {

constexpr size_t kMaxTokenBytes = 4096;

int UsageFailure(const Environment& env, const std::string& message) {
  *env.err << "beaconctl: " << message << "\n";
  return kExitUsage;
}

// The admin token from --token-file / BEACON_TOKEN_FILE, else BEACON_TOKEN; the error says
// what to do.
Result<std::string> AdminToken(const GlobalOptions& global) {
  if (!global.token_file.empty()) {
    auto read = ReadTokenFile(global.token_file);
    if (!read.ok()) {
      return Status::InvalidArgument(read.status().message() +
                                     "\n  hint: --token-file / BEACON_TOKEN_FILE must name the "
                                     "file with the collector's admin token");
    }
    return read;
  }
  if (!global.env_token.empty()) return global.env_token;
  return Status::InvalidArgument(
      "no admin token\n  hint: pass --token-file FILE, or set "
      "BEACON_TOKEN_FILE (or BEACON_TOKEN); the collector's token is in the "
      "file its api.admin_token_file names");
}

}  // namespace

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return Status::InvalidArgument("cannot read token file " + path + ": " + ErrnoText(errno));
  }
  std::string content;
  char buffer[1024];
  while (file.read(buffer, sizeof(buffer)) || file.gcount() > 0) {
    content.append(buffer, static_cast<size_t>(file.gcount()));
    if (content.size() > kMaxTokenBytes) {
      return Status::InvalidArgument("token file " + path +
                                     " is larger than 4 KiB; it should "
                                     "hold only the token");
    }
  }
  const std::string_view token = TrimWhitespace(content);
  if (token.empty()) return Status::InvalidArgument("token file " + path + " is empty");
  return std::string(token);
}

int Run(const std::vector<std::string>& args, const Environment& env) {
  auto parsed = ParseArgs(args, env.getenv);
  if (!parsed.ok()) {
    // Zabbix shows stdout as the reason an alert script failed and expects exit 1.
    if (IsZabbixAlertInvocation(args)) {
      *env.out << "beaconctl: " << parsed.status().message() << "\n";
      return kExitCollectorError;
    }
    // An external check's output is the item's value: one error line on stdout.
    if (IsZabbixCheckInvocation(args))
      return ZabbixCheckFailure(*env.out, parsed.status().message());
    return UsageFailure(env, parsed.status().message());
  }
  const Invocation& inv = *parsed;
  if (inv.help) {
    *env.out << HelpText(inv.command);
    return kExitOk;
  }
  const std::string command = CommandName(inv.command);
  if (command == "version") {
    if (inv.global.json) {
      *env.out << "{\"version\":\"" BEACON_VERSION "\"}\n";
    } else {
      *env.out << "beaconctl " BEACON_VERSION "\n";
    }
    return kExitOk;
  }

  // Runs with the Zabbix source token, not the admin token.
  if (command == "zabbix alert") return RunZabbixAlert(*env.http, inv, env.getenv, *env.out);

  auto tz = TimeZone::Load(inv.global.tz);
  if (!tz.ok()) return UsageFailure(env, "--tz: " + tz.status().message());

  Result<std::string> admin_token = AdminToken(inv.global);
  // External checks: the rds.* ones need no token; the others report its absence as their value.
  if (IsZabbixCheck(command)) {
    const std::string token_error =
        admin_token.ok()
            ? ""
            : admin_token.status().message().substr(0, admin_token.status().message().find('\n'));
    return RunZabbixCheck(*env.http, *env.clock, inv, env.getenv,
                          admin_token.ok() ? *admin_token : "", token_error, *env.out);
  }
  if (!admin_token.ok()) return UsageFailure(env, admin_token.status().message());
  const std::string token = std::move(admin_token).value();

  CollectorApi api(*env.http, inv.global.url, token, inv.global.timeout_ms);
  CommandContext ctx{api, *tz, *env.clock, inv.global.json, *env.out, *env.err, env.sleep_ms};
  if (command == "status") {
    return inv.args.empty() ? RunStatus(ctx) : RunHostStatus(ctx, inv.args[0]);
  }
  if (command == "events") return RunEvents(ctx, inv.options);
  if (command == "token create") return RunTokenCreate(ctx, inv.args[0]);
  if (command == "token list") return RunTokenList(ctx);
  if (command == "token revoke") return RunTokenRevoke(ctx, inv.args[0]);
  if (command == "backups list") return RunBackupsList(ctx, inv.options);
  if (command == "backups lifecycle") return RunBackupsLifecycle(ctx, inv.options);
  if (command == "restore") return RunRestore(ctx, inv.args[0], inv.args[1], inv.options);
  if (command == "backup run") return RunBackupRun(ctx, inv.args[0], inv.args[1], inv.options);
  if (command == "fim accept") return RunFimAccept(ctx, inv.args[0], inv.args[1], inv.options);
  if (command == "alerts") return RunAlerts(ctx, inv.options);
  if (command == "alerts show") return RunAlertShow(ctx, inv.args[0]);
  if (command == "silence add") {
    auto user = env.getenv("USER");
    if (!user || user->empty()) user = env.getenv("LOGNAME");
    std::string by = user && !user->empty() ? *user : "beaconctl";
    return RunSilenceAdd(ctx, inv.args, inv.options, by);
  }
  if (command == "silence list") return RunSilenceList(ctx, inv.options);
  if (command == "silence expire") return RunSilenceExpire(ctx, inv.args[0]);
  if (command == "deliveries") return RunDeliveries(ctx, inv.options);
  if (command == "deliveries retry") return RunDeliveriesRetry(ctx, inv.args[0]);
  if (command == "chat") {
    Result<std::string> user = ChatUser(inv.options, env.getenv);
    if (!user.ok()) return UsageFailure(env, user.status().message());
    std::string text;
    for (const std::string& word : inv.args) text += (text.empty() ? "" : " ") + word;
    return RunChat(ctx, *user, text);
  }
  if (command == "audit") return RunAudit(ctx, inv.options);
  if (command == "audit verify") return RunAuditVerify(ctx);
  return UsageFailure(env, "unknown command '" + command + "'");
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Installed as <ExternalScripts>/beacon_zabbix (a symlink), Zabbix runs
  // "beacon_zabbix 'rds.perf' 'rm-1'": the same as "beaconctl zabbix rds.perf rm-1".
  if (argc > 0 && std::filesystem::path(argv[0]).filename() == kZabbixCheckProgram) {
    args.insert(args.begin(), "zabbix");
  }
  http::CurlClientOptions options;
  options.user_agent = "beaconctl/" BEACON_VERSION;
  std::unique_ptr<http::HttpClient> client = http::NewCurlHttpClient(options);
  Environment env;
  env.http = client.get();
  env.clock = &SystemClock::Instance();
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.out = &std::cout;
  env.err = &std::cerr;
  int code = Run(args, env);
  std::cout.flush();
  return code;
}

}  // namespace beacon::ctl
