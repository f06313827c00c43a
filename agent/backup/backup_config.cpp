// Reads and validates the `backup:` section of agent.yaml (stores, sets, restore roots).
#include "agent/backup/backup_config.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "common/cloud/objstore/object_store.h"
#include "common/crypto/crypto.h"
#include "common/posix.h"
#include "common/wire/agent_commands.h"
#include "common/wire/backup.h"

namespace beacon::agent::backup {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (!p.is_absolute() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  return p.lexically_normal().string();
}

// Trailing '/' removed so prefix checks and relative paths are uniform ("/" stays "/").
std::string StripSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string KnownStores(const std::map<std::string, objstore::StoreConfig>& stores) {
  std::string out;
  for (const auto& [name, store] : stores) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none configured under backup.stores" : "known: " + out;
}

// Loads the key into *encryption; the message of an error never contains key material.
void ReadKey(config::Node node, EncryptionConfig* encryption, const std::string& base_dir) {
  node.Get("enabled", &encryption->enabled);
  node.Get("key_file", &encryption->key_file);
  if (!node.IsNull() && !node.Has("enabled")) encryption->enabled = true;
  if (!encryption->enabled) return;
  if (encryption->key_file.empty()) {
    node.Require("key_file");
    return;
  }
  encryption->key_file = Resolve(base_dir, encryption->key_file);
  std::ifstream in(encryption->key_file, std::ios::binary);
  if (!in) {
    node.Error("key_file", "cannot read " + encryption->key_file + ": " + ErrnoText(errno));
    return;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string key;
  if (bytes.size() == 32) {
    key = bytes;
  } else {
    std::string hex = bytes;
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
    if (hex.size() == 64) {
      auto decoded = crypto::HexDecode(hex);
      if (decoded.ok()) key = *decoded;
    }
  }
  if (key.size() != 32) {
    node.Error("key_file", encryption->key_file +
                               " must hold a 32-byte key: 32 raw bytes or 64 hex characters (it "
                               "has " +
                               std::to_string(bytes.size()) + " bytes)");
    return;
  }
  encryption->key = key;
  encryption->key_id = crypto::Sha256Hex(key).substr(0, 16);
}

void CheckPathExists(config::Node& set_node, const std::string& key, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    set_node.Error(key, "cannot use " + path + ": " + ErrnoText(errno));
  } else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
    set_node.Error(key, path + " is neither a directory nor a regular file");
  }
}

BackupSetConfig ReadSet(config::Node node, const BackupConfig& config,
                        const std::string& base_dir) {
  BackupSetConfig set;
  if (node.Require("name")) {
    node.Get("name", &set.name);
    if (!wire::IsValidBackupSetName(set.name)) {
      node.Error("name", "'" + set.name +
                             "' is not a valid set name (letters, digits, '_', '.', '-'; at "
                             "most 128)");
    }
  }
  std::vector<std::string> paths;
  if (node.Require("paths")) {
    node.Get("paths", &paths);
    if (paths.empty() && node.Has("paths")) node.Error("paths", "must list at least one path");
  }
  for (const std::string& raw : paths) {
    const std::string path = StripSlash(Resolve(base_dir, raw));
    if (!std::filesystem::path(path).is_absolute()) {
      node.Error("paths", "'" + raw + "' is not an absolute path");
      continue;
    }
    CheckPathExists(node, "paths", path);
    set.paths.push_back(path);
  }
  node.Get("include", &set.include);
  node.Get("exclude", &set.exclude);
  if (node.Require("store")) {
    node.Get("store", &set.store);
    if (!config.stores.count(set.store)) {
      node.Error("store", "unknown store '" + set.store + "' (" + KnownStores(config.stores) + ")");
    }
  }
  node.Get("key_prefix", &set.key_prefix);
  while (!set.key_prefix.empty() && set.key_prefix.back() == '/') set.key_prefix.pop_back();
  while (!set.key_prefix.empty() && set.key_prefix.front() == '/') set.key_prefix.erase(0, 1);
  if (set.key_prefix.empty() && node.Has("key_prefix")) {
    node.Error("key_prefix", "must not be empty");
  } else if (!wire::IsValidKeyPrefix(set.key_prefix)) {
    // The collector tells whose object a key is by its second segment (docs/backup.md, Objects).
    node.Error(
        "key_prefix",
        "'" + set.key_prefix + "' must be one segment of letters, digits, '_', '.', '-' (no '/')");
  }
  node.Get("zstd_level", &set.zstd_level, 1, 19);
  node.GetDurationMs("debounce", &set.debounce_ms, 0);
  node.GetBytes("max_file_size", &set.max_file_size, 0);
  node.GetDurationMs("max_age", &set.max_age_ms, 0);
  node.Get("storage_class", &set.storage_class);
  if (auto parsed = objstore::ParseStorageClass(set.storage_class); !parsed.ok()) {
    node.Error("storage_class", parsed.status().message());
  }
  ReadKey(node.Child("encryption"), &set.encryption, base_dir);
  return set;
}

}  // namespace

Result<size_t> FindBackupSet(const BackupConfig& config, const std::string& name) {
  std::string known;
  for (size_t i = 0; i < config.sets.size(); ++i) {
    if (config.sets[i].name == name) return i;
    known += (known.empty() ? "" : ", ") + config.sets[i].name;
  }
  return Status::InvalidArgument("unknown backup set '" + name +
                                 "' (known: " + (known.empty() ? "none" : known) + ")");
}

BackupConfig ReadBackupConfig(config::Node node, const std::string& base_dir) {
  BackupConfig config;
  if (node.IsNull()) return config;
  config.stores = objstore::ReadStoreConfigs(node.Child("stores"));
  node.Get("concurrency", &config.concurrency, 1, 64);
  node.GetBytes("bandwidth_limit", &config.bandwidth_limit, 0);
  node.GetDurationMs("reconcile_interval", &config.reconcile_interval_ms, 1000);
  node.GetDurationMs("retry_initial", &config.retry_initial_ms, 1);
  node.GetDurationMs("retry_max", &config.retry_max_ms, 1);
  if (config.retry_initial_ms > config.retry_max_ms) {
    node.Error("retry_initial", "must not be greater than backup.retry_max");
  }
  node.Get("max_attempts", &config.max_attempts, 1, 1000);

  std::vector<std::string> roots;
  node.Get("restore_roots", &roots);
  for (const std::string& raw : roots) {
    const std::string root = StripSlash(Resolve(base_dir, raw));
    if (!std::filesystem::path(root).is_absolute()) {
      node.Error("restore_roots", "'" + raw + "' is not an absolute path");
      continue;
    }
    config.restore_roots.push_back(root);
  }

  std::set<std::string> names;
  for (config::Node set_node : node.Sequence("sets")) {
    BackupSetConfig set = ReadSet(set_node, config, base_dir);
    if (!set.name.empty() && !names.insert(set.name).second) {
      set_node.Error("name", "duplicate set name '" + set.name + "'");
    }
    config.sets.push_back(std::move(set));
  }
  config.enabled = !config.sets.empty();
  return config;
}

}  // namespace beacon::agent::backup
