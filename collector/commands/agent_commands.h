// AgentCommands: the operator commands an admin may queue for an agent directly, besides
// restores (which go through the backup catalog, collector/backups/backups_api): "backup.run"
// (back a set up now) and "fim.accept" (re-baseline a path). Validates the kind and its
// arguments (common/wire/agent_commands.h) before anything is queued, so a bad request is a
// clear 400 instead of a command the agent fails. The in-process API for the chat bot's
// adapters; POST /api/v1/agents/{name}/commands (CommandsApi) is the HTTP one. Progress and
// results are read back with CommandQueue::GetCommand. Thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "collector/commands/command_queue.h"
#include "common/clock.h"
#include "common/status.h"

namespace beacon::collector::commands {

class AgentCommands {
 public:
  // queue and clock must outlive the object.
  AgentCommands(CommandQueue* queue, const Clock* clock) : queue_(queue), clock_(clock) {}

  // Queues "backup.run" {set} for `agent` and returns the command id. InvalidArgument for an
  // invalid agent or set name (the agent itself says whether it has the set); the queue's
  // error when the catalog cannot be written.
  Result<int64_t> QueueBackupRun(const std::string& agent, const std::string& set);
  // Queues "fim.accept" {path}. InvalidArgument for an invalid agent name or a path that is not
  // absolute and plain (no empty, "." or ".." segment); whether the path lies under the agent's
  // fim paths is for the agent to decide.
  Result<int64_t> QueueFimAccept(const std::string& agent, const std::string& path);
  // Either of the above from a kind and its JSON arguments (the HTTP route's body).
  // InvalidArgument naming the field for an unknown kind ("restore" points to its own route)
  // or bad arguments.
  Result<int64_t> Queue(const std::string& agent, const std::string& kind,
                        const nlohmann::json& args);

 private:
  Result<int64_t> Create(const std::string& agent, const std::string& kind,
                         const nlohmann::json& args);

  CommandQueue* queue_;
  const Clock* clock_;
};

}  // namespace beacon::collector::commands
