// RestoreHandler: runs "restore" commands from the command channel: decodes wire::RestoreArgs,
// picks the object store by name, calls RestoreVersion and reports throttled progress and the
// operator-facing outcome. Thread-safe as long as the stores are (one command at a time anyway).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "agent/backup/restore.h"
#include "agent/uplink/command_channel.h"
#include "common/clock.h"
#include "common/cloud/objstore/object_store.h"
#include "common/status.h"
#include "common/wire/backup.h"

namespace beacon::agent::backup {

inline constexpr std::string_view kRestoreCommandKind = "restore";

// The restore itself; RestoreVersion in production, a fake in tests of the reporting.
using RestoreFn =
    std::function<Status(const wire::RestoreArgs& args, objstore::ObjectStore& store,
                         const RestoreOptions& options, const RestoreProgressFn& progress)>;

class RestoreHandler {
 public:
  // `stores` maps the store names of agent.yaml to stores owned by the caller (they must
  // outlive the handler). `clock` paces progress reports; `restore` defaults to RestoreVersion.
  RestoreHandler(std::map<std::string, objstore::ObjectStore*> stores, RestoreOptions options,
                 const Clock& clock = SystemClock::Instance(), RestoreFn restore = nullptr,
                 int64_t progress_interval_ms = 500);

  // Handles one "restore" command: "running" with done/total at most every
  // progress_interval_ms (the first at once), then OK with the final update
  // "restored <path> (<size>) to <target>, sha256 verified" reported, or the error (bad
  // arguments, unknown store naming it, or RestoreVersion's message).
  Status Handle(const wire::Command& command, const CommandReportFn& report);

  // Handle() as a CommandChannel handler; the handler must outlive the channel's Run().
  CommandHandler AsCommandHandler();

 private:
  std::map<std::string, objstore::ObjectStore*> stores_;
  RestoreOptions options_;
  const Clock& clock_;
  RestoreFn restore_;
  int64_t progress_interval_ms_;
};

// "512 B", "1.5 KiB", "12.0 MiB" (1024-based, as beaconctl shows sizes).
std::string RestoreSizeText(uint64_t bytes);

}  // namespace beacon::agent::backup
