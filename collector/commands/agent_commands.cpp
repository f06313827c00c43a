// Validation and queuing of the backup.run and fim.accept commands.
#include "collector/commands/agent_commands.h"

#include <spdlog/spdlog.h>

#include "common/wire/agent_commands.h"
#include "common/wire/wire.h"

namespace beacon::collector::commands {

Result<int64_t> AgentCommands::QueueBackupRun(const std::string& agent, const std::string& set) {
  return Queue(agent, std::string(wire::kBackupRunCommandKind), wire::BackupRunArgsToJson({set}));
}

Result<int64_t> AgentCommands::QueueFimAccept(const std::string& agent, const std::string& path) {
  return Queue(agent, std::string(wire::kFimAcceptCommandKind), wire::FimAcceptArgsToJson({path}));
}

Result<int64_t> AgentCommands::Queue(const std::string& agent, const std::string& kind,
                                     const nlohmann::json& args) {
  if (!wire::IsValidAgentName(agent)) {
    return Status::InvalidArgument("host: not a valid host name");
  }
  if (kind == wire::kBackupRunCommandKind) {
    auto parsed = wire::BackupRunArgsFromJson(args);
    if (!parsed.ok()) return parsed.status().WithContext("args");
    return Create(agent, kind, wire::BackupRunArgsToJson(*parsed));
  }
  if (kind == wire::kFimAcceptCommandKind) {
    auto parsed = wire::FimAcceptArgsFromJson(args);
    if (!parsed.ok()) return parsed.status().WithContext("args");
    return Create(agent, kind, wire::FimAcceptArgsToJson(*parsed));
  }
  if (kind == "restore") {
    return Status::InvalidArgument(
        "kind: restores are asked for with POST /api/v1/restores (they need a catalog version)");
  }
  return Status::InvalidArgument("kind: unknown command kind (backup.run, fim.accept)");
}

Result<int64_t> AgentCommands::Create(const std::string& agent, const std::string& kind,
                                      const nlohmann::json& args) {
  BEACON_ASSIGN_OR_RETURN(int64_t id, queue_->CreateCommand(agent, kind, args, kCommandQueued,
                                                            /*version_id=*/0, clock_->NowMs()));
  spdlog::info("{} command {} queued for agent {}: {}", kind, id, agent,
               args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return id;
}

}  // namespace beacon::collector::commands
