// A listener's configuration, shared by the API's `listen` section and the chat bot's callback
// listener (`bot.listen`): the typed keys, their reader with the TLS pairing rules, and the
// http::ServerOptions they become. Plain data and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/http/server.h"

namespace beacon::collector {

// A listener's keys (common/http/server.h ServerOptions says what each limit bounds). The
// defaults are the API listener's; the bot's listener starts from its own.
struct ListenConfig {
  std::string host = "127.0.0.1";
  int port = 8470;
  std::string tls_cert_file;  // both or neither; relative paths are resolved against the file
  std::string tls_key_file;
  std::string tls_client_ca_file;          // client certificates are checked against it
  std::string tls_client_auth = "none";    // none | optional | required
  int64_t request_timeout_ms = 30 * 1000;  // total per request, headers and body
  int64_t idle_timeout_ms = 60 * 1000;     // keep-alive wait for the next request
  int max_threads = 16;
  int max_queued = 256;
  int max_connections = 4096;
  int max_connections_per_address = 64;
  int64_t max_header_bytes = 16 * 1024;
  int max_header_count = 64;
  std::vector<std::string> trusted_proxies;  // addresses/CIDRs whose X-Forwarded-For counts
};

// Reads the keys under `node` over the defaults already in *out; errors go to the node's
// document. `section` is the key path used in messages ("listen", "bot.listen").
void ReadListenConfig(config::Node node, const std::string& section, ListenConfig* out);

// The server options of a listener; `section` names trusted_proxies in its error.
http::ServerOptions ToServerOptions(const ListenConfig& listen, const std::string& section);

}  // namespace beacon::collector
