// JSON forms of the backup.run and fim.accept command arguments, strictly decoded.
#include "common/wire/agent_commands.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace beacon::wire {
namespace {

using nlohmann::json;

// The object has exactly the one field `key`, a string.
Result<std::string> OnlyStringField(const json& j, const char* what, const char* key) {
  if (!j.is_object()) return Status::InvalidArgument(std::string(what) + " is not an object");
  for (const auto& [name, value] : j.items()) {
    if (name != key) {
      return Status::InvalidArgument(name + ": unknown field (" + what + " take only \"" + key +
                                     "\")");
    }
  }
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return Status::InvalidArgument(std::string(key) + ": required, a string");
  }
  return it->get<std::string>();
}

}  // namespace

bool IsValidBackupSetName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

json BackupRunArgsToJson(const BackupRunArgs& args) { return json{{"set", args.set}}; }

Result<BackupRunArgs> BackupRunArgsFromJson(const json& j) {
  BEACON_ASSIGN_OR_RETURN(std::string set, OnlyStringField(j, "backup.run arguments", "set"));
  if (!IsValidBackupSetName(set)) {
    // Not echoed: it may be anything, of any length.
    return Status::InvalidArgument(
        "set: not a backup set name (1 to 128 letters, digits, '_', '.', '-')");
  }
  return BackupRunArgs{std::move(set)};
}

json FimAcceptArgsToJson(const FimAcceptArgs& args) { return json{{"path", args.path}}; }

Result<FimAcceptArgs> FimAcceptArgsFromJson(const json& j) {
  BEACON_ASSIGN_OR_RETURN(std::string path, OnlyStringField(j, "fim.accept arguments", "path"));
  if (path.size() > kMaxCommandPathBytes) {
    return Status::InvalidArgument("path: longer than " + std::to_string(kMaxCommandPathBytes) +
                                   " bytes");
  }
  if (path.find('\0') != std::string::npos) {
    return Status::InvalidArgument("path: contains a NUL byte");
  }
  // A JSON text decodes to UTF-8 only, but a caller in process (the bot) may build the value
  // from any bytes, and the queue stores the arguments as JSON text.
  for (size_t i = 0; i < path.size();) {
    const size_t length = Utf8SequenceLength(path, i);
    if (length == 0) return Status::InvalidArgument("path: not valid UTF-8");
    i += length;
  }
  if (path.empty() || path[0] != '/') {
    return Status::InvalidArgument("path: must be an absolute path");
  }
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  // Segments are checked, not normalised away: "/etc/app/../shadow" is refused, never turned
  // into another path than the operator typed.
  for (size_t start = 1; path.size() > 1;) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment(path.data() + start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Status::InvalidArgument("path: must not contain empty, '.' or '..' segments");
    }
    if (end == path.size()) break;
    start = end + 1;
  }
  return FimAcceptArgs{std::move(path)};
}

}  // namespace beacon::wire
