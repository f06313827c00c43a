// Fuzzes both ends of an operator's backup.run / fim.accept command: the body of
// POST /api/v1/agents/{name}/commands as the collector reads it (ParseJsonBody, then
// wire::BackupRunArgsFromJson / FimAcceptArgsFromJson on "args"), and the agent's handlers
// (BackupRunHandler, FimAcceptHandler) on the same arguments, with the backup run and the
// baseline replaced by checks of what reaches them. Input: the request body.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/backup/backup_run_handler.h"
#include "agent/inputs/fim/accept_handler.h"
#include "common/json/parse.h"
#include "common/wire/agent_commands.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using beacon::Result;
using beacon::Status;
namespace wire = beacon::wire;
namespace backup = beacon::agent::backup;
namespace fim = beacon::agent::fim;

// What the agent may hand on: a set name the configuration could hold, a plain absolute path.
void CheckPath(const std::string& path) {
  FUZZ_CHECK(!path.empty() && path[0] == '/');
  FUZZ_CHECK(path.size() <= wire::kMaxCommandPathBytes);
  FUZZ_CHECK(path.find('\0') == std::string::npos);
  FUZZ_CHECK(path.find("/../") == std::string::npos && path.find("/./") == std::string::npos);
  FUZZ_CHECK(path.find("//") == std::string::npos);
  FUZZ_CHECK(path == "/" ||
             (path.back() != '/' && !path.ends_with("/..") && !path.ends_with("/.")));
  FUZZ_CHECK(beacon::fuzz::IsValidUtf8(path));
}

void CheckUpdate(const wire::CommandUpdate& update) {
  // What the agent would post must be something the collector accepts.
  const std::string body = wire::CommandUpdateToJson(update).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  Result<nlohmann::json> parsed = beacon::ParseJsonBody(body);
  FUZZ_CHECK(parsed.ok());
  FUZZ_CHECK(wire::CommandUpdateFromJson(*parsed).ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  Result<nlohmann::json> body =
      beacon::ParseJsonBody(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!body.ok() || !body->is_object()) return 0;
  auto args = body->find("args");
  if (args == body->end()) return 0;

  // The collector's checks, and a round trip of what they accept.
  if (auto run = wire::BackupRunArgsFromJson(*args); run.ok()) {
    FUZZ_CHECK(wire::IsValidBackupSetName(run->set));
    auto again = wire::BackupRunArgsFromJson(wire::BackupRunArgsToJson(*run));
    FUZZ_CHECK(again.ok() && again->set == run->set);
  }
  if (auto accept = wire::FimAcceptArgsFromJson(*args); accept.ok()) {
    CheckPath(accept->path);
    auto again = wire::FimAcceptArgsFromJson(wire::FimAcceptArgsToJson(*accept));
    FUZZ_CHECK(again.ok() && again->path == accept->path);
  }

  // The agent's handlers on the same arguments.
  wire::Command command;
  command.id = 1;
  command.args = *args;
  auto report = [](const wire::CommandUpdate& update) {
    CheckUpdate(update);
    return Status::Ok();
  };
  backup::BackupRunHandler run_handler(
      [](const std::string& set, const std::function<void(const backup::OnceProgress&)>& progress)
          -> Result<backup::OnceSetSummary> {
        FUZZ_CHECK(wire::IsValidBackupSetName(set));
        progress({set, 1, 1, 1, 1, true});
        backup::OnceSetSummary summary;
        summary.set = set;
        return summary;
      });
  command.kind = std::string(wire::kBackupRunCommandKind);
  Status ran = run_handler.Handle(command, report);
  if (!ran.ok()) CheckUpdate({"failed", 0, 0, ran.message(), nlohmann::json::object()});

  fim::FimAcceptHandler accept_handler([](const std::string& path) -> Result<fim::CheckReport> {
    CheckPath(path);
    fim::CheckReport report;
    fim::Change change;
    change.kind = fim::ChangeKind::kAdded;
    change.path = path + "/\xff";  // a name that is not UTF-8 on disk
    report.changes.push_back(change);
    return report;
  });
  command.kind = std::string(wire::kFimAcceptCommandKind);
  Status accepted = accept_handler.Handle(command, report);
  if (!accepted.ok()) {
    CheckUpdate({"failed", 0, 0, std::string(beacon::agent::CommandMessage(accepted.message())),
                 nlohmann::json::object()});
  }
  return 0;
}
