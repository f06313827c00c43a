// FimAcceptHandler: runs "fim.accept" commands from the command channel: decodes
// wire::FimAcceptArgs and re-baselines the path through inputs::FimInput::AcceptPath (refused
// outside inputs.fim.paths, through a symlink or into an excluded part), reporting what the
// baseline took: entries updated, added and removed. Runs on the channel's thread.
#pragma once

#include <functional>
#include <string>

#include "agent/inputs/fim/engine.h"
#include "agent/uplink/command_channel.h"
#include "common/status.h"
#include "common/wire/agent_commands.h"

namespace beacon::agent::fim {

// Accepts one path into the baseline: FimInput::AcceptPath in production, a fake in tests.
using AcceptPathFn = std::function<Result<CheckReport>(const std::string& path)>;

class FimAcceptHandler {
 public:
  explicit FimAcceptHandler(AcceptPathFn accept);

  // Handles one "fim.accept" command: OK with the final update "accepted PATH into the fim
  // baseline: U updated, A added, R removed" (or "PATH already matches the fim baseline"),
  // plus "; N entries could not be read: ..." when some were unreadable (they stay unknown to
  // the baseline), and the result {"path", "updated", "added", "removed", "changes":
  // [{"kind": "updated|added|removed", "path"}], "changes_omitted", "errors": [{"path",
  // "message"}]} with bounded lists. Errors (the command fails with their message): bad
  // arguments, a path fim::CheckAcceptPath refuses, no baseline, the baseline failing.
  Status Handle(const wire::Command& command, const CommandReportFn& report);

  // Handle() as a CommandChannel handler; the handler must outlive the channel's Run().
  CommandHandler AsCommandHandler();

 private:
  AcceptPathFn accept_;
};

}  // namespace beacon::agent::fim
