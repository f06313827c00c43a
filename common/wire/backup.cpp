// JSON forms of the backup catalog record and command-channel messages, strictly decoded.
#include "common/wire/backup.h"

#include <ctime>
#include <limits>

#include "common/wire/wire.h"

namespace beacon::wire {
namespace {

using nlohmann::json;

Status Missing(const std::string& field, const char* type) {
  return Status::InvalidArgument(field + ": missing or not " + type);
}

Status ReadString(const json& object, const char* key, std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return Missing(key, "a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

template <typename T>
Status ReadUnsigned(const json& object, const char* key, T* out) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer() ||
      (it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0)) {
    return Missing(key, "a non-negative integer");
  }
  uint64_t value = it->get<uint64_t>();
  if (value > std::numeric_limits<T>::max()) return Missing(key, "in range");
  *out = static_cast<T>(value);
  return Status::Ok();
}

Status ReadSigned(const json& object, const char* key, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return Missing(key, "an integer");
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status RequireObject(const json& value, const char* what) {
  if (!value.is_object()) return Status::InvalidArgument(std::string(what) + " is not an object");
  return Status::Ok();
}

// Every '/'-separated segment non-empty and neither "." nor "..".
bool HasOnlyPlainSegments(std::string_view key) {
  size_t start = 0;
  while (true) {
    const size_t end = key.find('/', start);
    const std::string_view segment =
        key.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

Status NotOwned(std::string_view agent, std::string_view key, const std::string& why) {
  return Status::PermissionDenied("key '" + std::string(key) + "' is not an object of agent '" +
                                  std::string(agent) + "' (expected <key_prefix>/" +
                                  std::string(agent) +
                                  "/<path>@<time>-<sha256[0:12]>.zst): " + why);
}

bool IsKeyTimestamp(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && (text[i] < '0' || text[i] > '9')) return false;
  }
  return true;
}

}  // namespace

std::string FormatKeyTimestamp(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  if (unix_ms < 0 && unix_ms % 1000 != 0) --secs;
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string MakeObjectKey(std::string_view prefix, std::string_view host, std::string_view path,
                          int64_t unix_ms, std::string_view sha256_hex, bool encrypted) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  std::string key;
  if (!prefix.empty()) {
    key += prefix;
    key += '/';
  }
  key += host;
  key += '/';
  key += path;
  key += '@';
  key += FormatKeyTimestamp(unix_ms);
  key += '-';
  key += sha256_hex.substr(0, 12);
  key += encrypted ? ".zst.enc" : ".zst";
  return key;
}

bool IsValidKeyPrefix(std::string_view prefix) { return IsValidAgentName(prefix); }

Status CheckObjectKeyOwner(std::string_view agent, std::string_view key) {
  const size_t first = key.find('/');
  if (first == std::string_view::npos) return NotOwned(agent, key, "no key_prefix segment");
  if (!IsValidKeyPrefix(key.substr(0, first))) {
    return NotOwned(agent, key,
                    "the key_prefix is not one segment of letters, digits, '_', '.', '-'");
  }
  const std::string_view after_prefix = key.substr(first + 1);
  if (after_prefix.size() <= agent.size() + 1 || after_prefix.substr(0, agent.size()) != agent ||
      after_prefix[agent.size()] != '/') {
    return NotOwned(agent, key, "the segment after the key_prefix is not the agent's name");
  }
  if (!HasOnlyPlainSegments(key)) {
    return NotOwned(agent, key, "it has an empty, '.' or '..' segment");
  }
  return Status::Ok();
}

Status CheckVersionKey(std::string_view agent, const BackupVersion& version) {
  const std::string_view key = version.key;
  BEACON_RETURN_IF_ERROR(CheckObjectKeyOwner(agent, key));
  // <prefix>/<agent>/ is followed by the path, '@', 16 timestamp characters, '-', 12 hex digits
  // and the extension; the path may itself contain '@', so the tail is taken from the end.
  const std::string_view extension = version.key_id.empty() ? ".zst" : ".zst.enc";
  const size_t tail = 1 + 16 + 1 + 12 + extension.size();
  const size_t path_start = key.find('/') + 1 + agent.size() + 1;
  std::string_view path = version.path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (key.size() != path_start + path.size() + tail) {
    return NotOwned(agent, key, "it does not end in the version's path, time, hash and extension");
  }
  if (key.substr(path_start, path.size()) != path) {
    return NotOwned(agent, key, "it does not name the version's path " + version.path);
  }
  const std::string_view suffix = key.substr(path_start + path.size());
  if (suffix[0] != '@' || !IsKeyTimestamp(suffix.substr(1, 16)) || suffix[17] != '-') {
    return NotOwned(agent, key, "no @<yyyymmddTHHMMSSZ>- after the path");
  }
  if (suffix.substr(18, 12) != std::string_view(version.sha256).substr(0, 12)) {
    return NotOwned(agent, key, "its hash is not the version's sha256");
  }
  if (suffix.substr(30) != extension) {
    return NotOwned(agent, key,
                    "it does not end in " + std::string(extension) +
                        (version.key_id.empty() ? " (not encrypted)" : " (encrypted)"));
  }
  return Status::Ok();
}

json BackupVersionToJson(const BackupVersion& v) {
  return json{{"set", v.set},
              {"path", v.path},
              {"size", v.size},
              {"mtime_ns", v.mtime_ns},
              {"mode", v.mode},
              {"uid", v.uid},
              {"gid", v.gid},
              {"owner", v.owner},
              {"group", v.group},
              {"sha256", v.sha256},
              {"stored_size", v.stored_size},
              {"store", v.store},
              {"key", v.key},
              {"storage_class", v.storage_class},
              {"key_id", v.key_id},
              {"created_ms", v.created_ms}};
}

Result<BackupVersion> BackupVersionFromJson(const json& j) {
  BEACON_RETURN_IF_ERROR(RequireObject(j, "backup version"));
  BackupVersion v;
  BEACON_RETURN_IF_ERROR(ReadString(j, "set", &v.set));
  BEACON_RETURN_IF_ERROR(ReadString(j, "path", &v.path));
  BEACON_RETURN_IF_ERROR(ReadUnsigned(j, "size", &v.size));
  BEACON_RETURN_IF_ERROR(ReadSigned(j, "mtime_ns", &v.mtime_ns));
  BEACON_RETURN_IF_ERROR(ReadUnsigned(j, "mode", &v.mode));
  BEACON_RETURN_IF_ERROR(ReadUnsigned(j, "uid", &v.uid));
  BEACON_RETURN_IF_ERROR(ReadUnsigned(j, "gid", &v.gid));
  BEACON_RETURN_IF_ERROR(ReadString(j, "owner", &v.owner));
  BEACON_RETURN_IF_ERROR(ReadString(j, "group", &v.group));
  BEACON_RETURN_IF_ERROR(ReadString(j, "sha256", &v.sha256));
  BEACON_RETURN_IF_ERROR(ReadUnsigned(j, "stored_size", &v.stored_size));
  BEACON_RETURN_IF_ERROR(ReadString(j, "store", &v.store));
  BEACON_RETURN_IF_ERROR(ReadString(j, "key", &v.key));
  BEACON_RETURN_IF_ERROR(ReadString(j, "storage_class", &v.storage_class));
  BEACON_RETURN_IF_ERROR(ReadString(j, "key_id", &v.key_id));
  BEACON_RETURN_IF_ERROR(ReadSigned(j, "created_ms", &v.created_ms));
  if (v.path.empty() || v.path[0] != '/') {
    return Status::InvalidArgument("path: must be absolute");
  }
  if (v.sha256.size() != 64 ||
      v.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument("sha256: must be 64 lower-case hex digits");
  }
  if (v.set.empty() || v.store.empty() || v.key.empty()) {
    return Status::InvalidArgument("set, store and key must not be empty");
  }
  return v;
}

json CommandToJson(const Command& command) {
  return json{{"id", command.id}, {"kind", command.kind}, {"args", command.args}};
}

Result<Command> CommandFromJson(const json& j) {
  BEACON_RETURN_IF_ERROR(RequireObject(j, "command"));
  Command command;
  BEACON_RETURN_IF_ERROR(ReadSigned(j, "id", &command.id));
  BEACON_RETURN_IF_ERROR(ReadString(j, "kind", &command.kind));
  auto args = j.find("args");
  if (args == j.end() || !args->is_object()) return Missing("args", "an object");
  command.args = *args;
  return command;
}

json CommandUpdateToJson(const CommandUpdate& update) {
  return json{{"state", update.state},
              {"done_bytes", update.done_bytes},
              {"total_bytes", update.total_bytes},
              {"message", update.message},
              {"result", update.result}};
}

Result<CommandUpdate> CommandUpdateFromJson(const json& j) {
  BEACON_RETURN_IF_ERROR(RequireObject(j, "command update"));
  CommandUpdate update;
  BEACON_RETURN_IF_ERROR(ReadString(j, "state", &update.state));
  if (update.state != "running" && update.state != "succeeded" && update.state != "failed") {
    return Status::InvalidArgument("state: must be running, succeeded or failed");
  }
  BEACON_RETURN_IF_ERROR(ReadUnsigned(j, "done_bytes", &update.done_bytes));
  BEACON_RETURN_IF_ERROR(ReadUnsigned(j, "total_bytes", &update.total_bytes));
  BEACON_RETURN_IF_ERROR(ReadString(j, "message", &update.message));
  if (update.message.size() > 4096) return Status::InvalidArgument("message: over 4096 bytes");
  auto result = j.find("result");
  if (result != j.end()) {
    if (!result->is_object()) return Missing("result", "an object");
    update.result = *result;
  }
  return update;
}

json RestoreArgsToJson(const RestoreArgs& args) {
  return json{{"version", BackupVersionToJson(args.version)}, {"target", args.target}};
}

Result<RestoreArgs> RestoreArgsFromJson(const json& j) {
  BEACON_RETURN_IF_ERROR(RequireObject(j, "restore args"));
  RestoreArgs args;
  auto version = j.find("version");
  if (version == j.end()) return Missing("version", "an object");
  auto decoded = BackupVersionFromJson(*version);
  if (!decoded.ok()) return decoded.status().WithContext("version");
  args.version = std::move(decoded).value();
  BEACON_RETURN_IF_ERROR(ReadString(j, "target", &args.target));
  if (args.target.empty() || args.target[0] != '/') {
    return Status::InvalidArgument("target: must be an absolute path");
  }
  return args;
}

}  // namespace beacon::wire
