// Backup messages between agent and collector: the catalog record of one stored version
// (carried through the spool as the data of a `backup.version` event, so it shares the spool's
// durability and the collector's (agent, seq) idempotency) and the command channel's
// commands and updates (docs/wire-protocol.md, docs/api.md). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::wire {

inline constexpr std::string_view kBackupVersionKind = "backup.version";

// One stored version of one file.
struct BackupVersion {
  std::string set;       // backup set name from agent.yaml
  std::string path;      // absolute path on the host
  uint64_t size = 0;     // plaintext bytes
  int64_t mtime_ns = 0;  // of the file when read
  uint32_t mode = 0;     // permission bits (st_mode & 07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string owner;         // user name, "" when unknown
  std::string group;         // group name, "" when unknown
  std::string sha256;        // hex of the plaintext
  uint64_t stored_size = 0;  // bytes in the object store (compressed, maybe encrypted)
  std::string store;         // store name from agent.yaml
  std::string key;           // object key
  std::string storage_class = "standard";  // objstore::StorageClassName
  std::string key_id;                      // encryption key id ("" = not encrypted)
  int64_t created_ms = 0;                  // when the upload completed
};

// ---- Object keys ----
// An agent's objects are <key_prefix>/<agent>/<path without leading '/'>@<yyyymmddTHHMMSSZ>-
// <first 12 hex of sha256>.zst (".zst.enc" when encrypted): the second segment names the owner,
// so the collector can tell whose object a key is without knowing the agent's configuration.

// "20261126T052501Z" for a Unix time in ms (UTC, seconds precision).
std::string FormatKeyTimestamp(int64_t unix_ms);

// <prefix>/<host>/<path>@<timestamp>-<sha12>.zst[.enc]. Leading '/' of path and trailing '/' of
// prefix are dropped; an empty prefix gives <host>/... . sha256_hex must be at least 12 long.
std::string MakeObjectKey(std::string_view prefix, std::string_view host, std::string_view path,
                          int64_t unix_ms, std::string_view sha256_hex, bool encrypted);

// A key_prefix the collector can attribute: one segment of [A-Za-z0-9_.-], 1 to 128 characters,
// not starting with '.' or '-' (the rule for agent names).
bool IsValidKeyPrefix(std::string_view prefix);

// OK when `key` is in `agent`'s part of a store: <one valid prefix segment>/<agent>/<rest> with
// a non-empty rest and no empty, "." or ".." segment anywhere. PermissionDenied otherwise,
// naming the key and the expected form. This is what lets the collector act on a key with its
// own credentials (lifecycle, archive restores).
Status CheckObjectKeyOwner(std::string_view agent, std::string_view key);

// CheckObjectKeyOwner, and the key is exactly the one the agent forms for this version:
// <prefix>/<agent>/<version.path>@<timestamp>-<sha256[0:12]>.zst, ".zst.enc" when key_id is set.
// PermissionDenied naming the mismatch otherwise.
Status CheckVersionKey(std::string_view agent, const BackupVersion& version);

nlohmann::json BackupVersionToJson(const BackupVersion& version);
// Strict: every field present with its type; InvalidArgument names the field.
Result<BackupVersion> BackupVersionFromJson(const nlohmann::json& json);

// A command for an agent (collector -> agent over GET /api/v1/agent/commands).
struct Command {
  int64_t id = 0;
  std::string kind;  // "restore"
  nlohmann::json args = nlohmann::json::object();
};

// What the agent reports about a command (agent -> collector, POST /api/v1/agent/commands/{id}).
struct CommandUpdate {
  std::string state;  // "running" | "succeeded" | "failed"
  uint64_t done_bytes = 0;
  uint64_t total_bytes = 0;
  std::string message;  // human line: "restored to /srv/app/conf/app.yaml" or the error
  nlohmann::json result = nlohmann::json::object();
};

nlohmann::json CommandToJson(const Command& command);
Result<Command> CommandFromJson(const nlohmann::json& json);
nlohmann::json CommandUpdateToJson(const CommandUpdate& update);
Result<CommandUpdate> CommandUpdateFromJson(const nlohmann::json& json);

// Arguments of a "restore" command: which version, and where to write it.
struct RestoreArgs {
  BackupVersion version;
  std::string target;  // absolute path of the file to write (the original path or under --to)
};

nlohmann::json RestoreArgsToJson(const RestoreArgs& args);
Result<RestoreArgs> RestoreArgsFromJson(const nlohmann::json& json);

}  // namespace beacon::wire
