// HttpClient: an interface so tests and callers can inject fakes; CurlHttpClient implements it
// on libcurl with connection reuse (one easy handle per thread, kept alive), connect and total
// timeouts, and TLS verification on by default. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/http/http.h"
#include "common/status.h"

namespace beacon::http {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  int64_t timeout_ms = 0;  // 0: the client's default
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a successful Result; transport failures (DNS, connect, TLS, timeout)
  // are kUnavailable / kDeadlineExceeded with a message that never contains header values.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct CurlClientOptions {
  int64_t connect_timeout_ms = 5000;
  int64_t timeout_ms = 30000;
  bool verify_tls = true;  // never switched off silently: config must say so
  std::string ca_file;     // empty: system bundle
  // A PEM client certificate (chain) and its key for servers that ask for one (mutual TLS);
  // both or neither.
  std::string client_cert_file;
  std::string client_key_file;
  std::string user_agent = "beacon";
  int64_t max_response_bytes = 64 * 1024 * 1024;
};

std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlClientOptions& options = {});

}  // namespace beacon::http
