// ParseCallbackConfig: the bot.wecom keys, with every key checked where it is written.
#include "bot/wecom/callback_config.h"

#include "bot/wecom/crypto.h"

namespace beacon::bot::wecom {
namespace {

// Records an error at `<key>_file` when the decoded key is not an EncodingAESKey; the message
// names the rule, never the value.
void CheckKey(config::Node& node, const config::Secret& key) {
  if (key.empty()) return;
  Result<Crypto> crypto = Crypto::Create("", key.value(), "");
  if (!crypto.ok()) {
    node.Error("encoding_aes_key_file",
               std::string(CryptoErrorName(CryptoError::kIllegalAesKey)) + ": " +
                   std::string(CryptoErrorText(CryptoError::kIllegalAesKey)) + " (the value of " +
                   key.source + ")");
  }
}

bool HasSecret(config::Node& node, const std::string& key) {
  return node.Has(key) || node.Has(key + "_file") || node.Has(key + "_env");
}

}  // namespace

CallbackConfig ParseCallbackConfig(config::Node node) {
  CallbackConfig config;
  if (node.IsNull()) return config;
  node.KnownEntries({"corp_id", "agent_id", "token", "token_file", "token_env", "encoding_aes_key",
                     "encoding_aes_key_file", "encoding_aes_key_env", "max_clock_skew",
                     "directory_ttl", "robot"});
  node.Get("corp_id", &config.corp_id);
  node.Get("agent_id", &config.agent_id, 1, INT32_MAX);
  node.GetSecret("token", &config.token);
  node.GetSecret("encoding_aes_key", &config.encoding_aes_key);
  CheckKey(node, config.encoding_aes_key);
  node.GetDurationMs("max_clock_skew", &config.max_clock_skew_ms, 0, 24 * 3600 * 1000);
  node.GetDurationMs("directory_ttl", &config.directory_ttl_ms, 10 * 1000, 24 * 3600 * 1000);

  config.app_enabled = node.Has("corp_id");
  if (config.app_enabled) {
    if (config.corp_id.empty()) node.Error("corp_id", "must not be empty");
    if (!HasSecret(node, "token")) {
      node.Error("token_file",
                 "required with corp_id: the callback Token, from token_file or "
                 "token_env");
    }
    if (!HasSecret(node, "encoding_aes_key")) {
      node.Error("encoding_aes_key_file",
                 "required with corp_id: the callback EncodingAESKey, from "
                 "encoding_aes_key_file or encoding_aes_key_env");
    }
  }

  config.robot_enabled = node.Has("robot");
  if (config.robot_enabled) {
    config::Node robot = node.Child("robot");
    robot.KnownEntries({"token", "token_file", "token_env", "encoding_aes_key",
                        "encoding_aes_key_file", "encoding_aes_key_env"});
    robot.GetSecret("token", &config.robot_token);
    robot.GetSecret("encoding_aes_key", &config.robot_encoding_aes_key);
    CheckKey(robot, config.robot_encoding_aes_key);
    if (!HasSecret(robot, "token") && !HasSecret(node, "token")) {
      robot.Error("token_file",
                  "required: the robot's callback Token (token_file or token_env here, or the "
                  "app's under bot.wecom)");
    }
    if (!HasSecret(robot, "encoding_aes_key") && !HasSecret(node, "encoding_aes_key")) {
      robot.Error("encoding_aes_key_file",
                  "required: the robot's EncodingAESKey (encoding_aes_key_file or "
                  "encoding_aes_key_env here, or the app's under bot.wecom)");
    }
  }
  if (!config.app_enabled && !config.robot_enabled) {
    node.Error("corp_id", "set corp_id (the app's callback) or robot (the intelligent robot's)");
  }
  return config;
}

}  // namespace beacon::bot::wecom
