// ReadListenConfig and ToServerOptions; see listen_config.h.
#include "collector/listen_config.h"

#include "common/config/common_sections.h"
#include "common/http/ip_network.h"

namespace beacon::collector {

void ReadListenConfig(config::Node listen, const std::string& section, ListenConfig* out) {
  ListenConfig& cfg = *out;
  listen.Get("host", &cfg.host);
  if (listen.Has("host") && cfg.host.empty()) listen.Error("host", "must not be empty");
  listen.Get("port", &cfg.port, 0, 65535);
  listen.Get("tls_cert_file", &cfg.tls_cert_file);
  listen.Get("tls_key_file", &cfg.tls_key_file);
  // A certificate without its key (or the reverse) is a half-configured TLS listener: refuse it
  // rather than silently serving plain HTTP.
  if (!cfg.tls_cert_file.empty() && cfg.tls_key_file.empty()) {
    listen.Error("tls_cert_file", section + ".tls_key_file must be set too (both or neither)");
  } else if (cfg.tls_cert_file.empty() && !cfg.tls_key_file.empty()) {
    listen.Error("tls_key_file", section + ".tls_cert_file must be set too (both or neither)");
  }
  listen.Get("tls_client_ca_file", &cfg.tls_client_ca_file);
  listen.GetEnum("tls_client_auth", &cfg.tls_client_auth, {"none", "optional", "required"});
  if (cfg.tls_client_auth != "none") {
    if (cfg.tls_cert_file.empty()) {
      listen.Error("tls_client_auth",
                   "client certificates need TLS: set " + section + ".tls_cert_file");
    }
    if (cfg.tls_client_ca_file.empty()) {
      listen.Error("tls_client_auth",
                   "set " + section + ".tls_client_ca_file to check client certificates");
    }
  }
  listen.GetDurationMs("request_timeout", &cfg.request_timeout_ms, 1000);
  listen.GetDurationMs("idle_timeout", &cfg.idle_timeout_ms, 1000);
  listen.Get("max_threads", &cfg.max_threads, 1, 1024);
  listen.Get("max_queued", &cfg.max_queued, 1, 1000000);
  listen.Get("max_connections", &cfg.max_connections, 16, 1000000);
  listen.Get("max_connections_per_address", &cfg.max_connections_per_address, 0, 1000000);
  listen.GetBytes("max_header_bytes", &cfg.max_header_bytes, 1024);
  listen.Get("max_header_count", &cfg.max_header_count, 8, 10000);
  cfg.trusted_proxies = config::ReadIpNetworkList(listen, "trusted_proxies");
}

http::ServerOptions ToServerOptions(const ListenConfig& listen, const std::string& section) {
  http::ServerOptions options;
  options.host = listen.host;
  options.port = listen.port;
  options.tls_cert_file = listen.tls_cert_file;
  options.tls_key_file = listen.tls_key_file;
  options.tls_client_ca_file = listen.tls_client_ca_file;
  options.tls_client_auth = listen.tls_client_auth == "required"   ? http::TlsClientAuth::kRequired
                            : listen.tls_client_auth == "optional" ? http::TlsClientAuth::kOptional
                                                                   : http::TlsClientAuth::kNone;
  options.request_timeout_ms = listen.request_timeout_ms;
  options.idle_timeout_ms = listen.idle_timeout_ms;
  options.max_threads = listen.max_threads;
  options.max_queued = listen.max_queued;
  options.max_connections = listen.max_connections;
  options.max_connections_per_address = listen.max_connections_per_address;
  options.max_header_bytes = listen.max_header_bytes;
  options.max_header_count = listen.max_header_count;
  options.trusted_proxies =
      http::ParseIpNetworks(listen.trusted_proxies, section + ".trusted_proxies");
  return options;
}

}  // namespace beacon::collector
