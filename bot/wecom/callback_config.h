// The `bot.wecom` section of collector.yaml: the callback's token and EncodingAESKey for the
// self-built app (receive id = corp_id) and, under `robot`, for the intelligent robot (its own
// token and key, or the app's when it has none; receive id ""), and the replay window. Secrets
// come from `<key>_file` or `<key>_env` (config::Node::GetSecret) and never appear in errors or
// logs. Not thread-safe; used while loading the configuration.
#pragma once

#include <cstdint>

#include "common/config/config.h"

namespace beacon::bot::wecom {

struct CallbackConfig {
  bool app_enabled = false;  // corp_id is set
  std::string corp_id;       // the receive id of app callbacks
  int64_t agent_id = 0;      // 0 when not given
  config::Secret token;
  config::Secret encoding_aes_key;

  bool robot_enabled = false;  // a `robot` mapping is present
  config::Secret robot_token;
  config::Secret robot_encoding_aes_key;

  int64_t max_clock_skew_ms = 300'000;  // 0 disables the timestamp window

  // How long a sender's departments and tags read from WeCom's directory are used before they
  // are read again (only when bot.roles grants departments or tags); 10s .. 24h.
  int64_t directory_ttl_ms = 10 * 60'000;
};

// Reads `node` (the `bot.wecom` mapping; absent: nothing enabled, no error). Errors are recorded
// in the document at their key path (bot.wecom.encoding_aes_key_file: "IllegalAesKey: ...");
// the caller reports them with Document::Finish. The keys are checked with Crypto::Create, so a
// configuration that loads builds a CallbackHandler.
CallbackConfig ParseCallbackConfig(config::Node node);

}  // namespace beacon::bot::wecom
