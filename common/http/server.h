// HttpServer on Poco::Net: routes with path parameters, per-route body limits (413 before the
// body is read when Content-Length says so, and while reading otherwise), authentication
// before the body is read, request timeouts, optional TLS, JSON error bodies
// {"error": "..."}. Handlers run on the server's worker threads and must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http/http.h"
#include "common/status.h"

namespace beacon::http {

struct ServerRequest {
  std::string method;
  std::string path;                                  // without the query string
  std::map<std::string, std::string> path_params;    // from "{name}" segments
  std::map<std::string, std::string> query;
  Headers headers;
  std::string body;                                  // empty until after authentication
  std::string remote_addr;
  std::string principal;  // set by the route's Authenticator (e.g. the agent name)
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;

  static ServerResponse Json(int status, const std::string& json_body);
  // {"error": message} with the given status.
  static ServerResponse Error(int status, std::string_view message);
  static ServerResponse Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

// The HTTP status a Status maps to (InvalidArgument 400, Unauthenticated 401,
// PermissionDenied 403, NotFound 404, AlreadyExists 409, ResourceExhausted 413,
// Unavailable 503, others 500).
int HttpStatusFor(const Status& status);
ServerResponse ErrorResponse(const Status& status);

// Decides from the headers alone (before any body byte is read). Returns the principal name,
// or Unauthenticated (401) / PermissionDenied (403).
using Authenticator = std::function<Result<std::string>(const ServerRequest& request)>;
using Handler = std::function<ServerResponse(ServerRequest& request)>;

// A Handler calling a member function of an object that outlives the server's routes.
template <typename T>
Handler MemberHandler(T* object, ServerResponse (T::*method)(ServerRequest&)) {
  return [object, method](ServerRequest& request) { return (object->*method)(request); };
}

struct RouteOptions {
  int64_t max_body_bytes = 1 << 20;
  Authenticator auth;  // empty: no authentication
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                      // 0: pick a free port (read it back with port())
  std::string tls_cert_file;         // both set: HTTPS
  std::string tls_key_file;
  int64_t request_timeout_ms = 30000;
  int max_threads = 16;
  int max_queued = 256;
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();  // stops if running
  // Pattern segments: literal or "{name}"; e.g. "/api/v1/hosts/{name}".
  void Route(std::string method, std::string pattern, RouteOptions options, Handler handler);
  Status Start();
  void Stop();
  int port() const;  // the bound port after Start()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::http
