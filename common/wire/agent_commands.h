// The command kinds an operator (beaconctl, the chat bot) asks an agent to run through the
// command channel besides "restore": "backup.run" (back a set up now) and "fim.accept"
// (re-baseline a path), with their strictly decoded arguments. Shared by the collector, which
// refuses bad arguments with a 400 before queuing, and the agent, which checks them again.
// Pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::wire {

inline constexpr std::string_view kBackupRunCommandKind = "backup.run";
inline constexpr std::string_view kFimAcceptCommandKind = "fim.accept";

// Longest path a fim.accept names (PATH_MAX).
inline constexpr size_t kMaxCommandPathBytes = 4096;

// A backup set name: [A-Za-z0-9_.-]{1,128} (the rule of backup.sets[].name in agent.yaml).
bool IsValidBackupSetName(std::string_view name);

// Arguments of "backup.run": which set of the agent's backup.sets to back up now.
struct BackupRunArgs {
  std::string set;
};
nlohmann::json BackupRunArgsToJson(const BackupRunArgs& args);
// Strict: an object with exactly "set", a valid set name; InvalidArgument names the field.
Result<BackupRunArgs> BackupRunArgsFromJson(const nlohmann::json& json);

// Arguments of "fim.accept": the file or directory (with its subtree) to re-baseline.
struct FimAcceptArgs {
  std::string path;
};
nlohmann::json FimAcceptArgsToJson(const FimAcceptArgs& args);
// Strict: an object with exactly "path": absolute, at most kMaxCommandPathBytes, no NUL byte,
// no empty (except one trailing '/'), "." or ".." segment; InvalidArgument names the field.
Result<FimAcceptArgs> FimAcceptArgsFromJson(const nlohmann::json& json);

}  // namespace beacon::wire
