// HttpServer: an event-driven HTTP/1.1 server (Boost.Beast on one I/O thread) with routes and
// path parameters, per-route body limits (413 before the body is read when Content-Length says
// so, and while reading otherwise), authentication before the body is read, a total deadline
// per request, a keep-alive idle timeout, connection caps (in all and per client address),
// header caps, optional TLS (forward-secret ciphers, reload, client certificates) and JSON error
// bodies {"error": "..."}. Idle and slow connections hold no thread: only handlers run on the
// worker pool (ServerOptions::max_threads), and an async handler (RouteAsync) holds no thread
// while it waits. Handlers must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/http/http.h"
#include "common/http/ip_network.h"
#include "common/status.h"

namespace beacon::http {

struct ServerRequest {
  std::string method;
  std::string path;                                // without the query string
  std::map<std::string, std::string> path_params;  // from "{name}" segments
  std::map<std::string, std::string> query;
  Headers headers;
  std::string body;  // empty until after authentication
  // The client: the socket peer ("192.0.2.7:51234"), or, when the peer is one of
  // ServerOptions::trusted_proxies, the address it forwarded in X-Forwarded-For (bare address).
  std::string remote_addr;
  std::string peer_addr;            // the socket peer ("192.0.2.7:51234"), always
  std::string client_cert_subject;  // CN of a verified TLS client certificate; empty if none
  std::string principal;            // set by the route's Authenticator (e.g. the agent name)
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;

  static ServerResponse Json(int status, const std::string& json_body);
  // {"error": message} with the given status.
  static ServerResponse Error(int status, std::string_view message);
  static ServerResponse Text(int status, std::string body,
                             std::string content_type = "text/plain; charset=utf-8");

  // A reply that tells the client to come back later (a Retry-After header) always closes the
  // connection, so a waiting client holds no connection slot while it waits.
  bool close_connection = false;
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

// Completes one request of an async handler, from any thread, at most once (later calls and
// calls after the server stopped or the client left are ignored). Copyable; a Responder that is
// destroyed without being called answers 500, so a request is never left hanging.
class Responder {
 public:
  struct State;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  void operator()(ServerResponse response) const;

 private:
  std::shared_ptr<State> state_;
};
// Runs on a worker thread like a Handler but may return before the reply exists, handing the
// Responder to whatever completes the request later (e.g. a long-poll waiting for work): no
// thread is held in between.
using AsyncHandler = std::function<void(ServerRequest& request, Responder respond)>;

// A Handler calling a member function of an object that outlives the server's routes.
template <typename T>
Handler MemberHandler(T* object, ServerResponse (T::*method)(ServerRequest&)) {
  return [object, method](ServerRequest& request) { return (object->*method)(request); };
}

struct RouteOptions {
  int64_t max_body_bytes = 1 << 20;
  Authenticator auth;  // empty: no authentication
  // The authenticator only compares in memory (a token held by the route, a client address):
  // it runs on the I/O thread instead of a worker, saving two thread hand-offs per request.
  // Leave false for one that may block (reads a database).
  bool auth_in_memory = false;
  // For an async handler that never blocks (it parses the request and hands it on): requests
  // whose body is shorter than this run it on the I/O thread, saving the hand-off to a worker
  // and the wake-up that brings the reply back; longer bodies (parsing them would hold up
  // every connection) and every request when 0 go to a worker.
  int64_t io_thread_body_limit = 0;
};

enum class TlsClientAuth { kNone, kOptional, kRequired };

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;               // 0: pick a free port (read it back with port())
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
  // PEM CA bundle for client certificates; with kOptional a presented certificate must verify,
  // with kRequired a client without one fails the handshake.
  std::string tls_client_ca_file;
  TlsClientAuth tls_client_auth = TlsClientAuth::kNone;
  // Total time for one request: from its first byte until headers and body are read (then 408),
  // and again for sending the reply. Not a per-read timeout: a client dripping bytes gets no
  // more time than one that sends nothing. Also bounds the TLS handshake.
  int64_t request_timeout_ms = 30000;
  // How long a connection may wait for its next request (a new one: for its first byte).
  int64_t idle_timeout_ms = 60000;
  int max_threads = 16;                  // worker threads that run handlers
  int max_queued = 256;                  // requests waiting for a worker; more get 503
  int max_connections = 1024;            // open connections in all; more are closed at accept
  int max_connections_per_address = 64;  // per client IP; 0: no cap (trusted proxies: none)
  int64_t max_header_bytes = 16384;      // request line and headers together; more: 431
  int max_header_count = 64;             // more header fields: 431
  // Peers whose X-Forwarded-For is believed (see ServerRequest::remote_addr).
  std::vector<IpNetwork> trusted_proxies;
};

// Counters since Start(), for /metrics and logs. Thread-safe snapshot.
struct ServerStats {
  int64_t open_connections = 0;
  int64_t refused_connections = 0;  // over max_connections or max_connections_per_address
  int64_t timed_out_requests = 0;   // request_timeout or idle_timeout while a request was read
  int64_t rejected_requests =
      0;  // 400/408/413/431 before a handler, and 503 when the queue is full
};

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options);
  ~HttpServer();  // stops if running
  // Pattern segments: literal or "{name}"; e.g. "/api/v1/hosts/{name}".
  void Route(std::string method, std::string pattern, RouteOptions options, Handler handler);
  void RouteAsync(std::string method, std::string pattern, RouteOptions options,
                  AsyncHandler handler);
  Status Start();
  // Stops accepting, lets handlers in progress finish and their replies go out (waiting async
  // requests are answered 503), closes every connection and joins every thread. No handler
  // runs after Stop() returns.
  void Stop();
  // Reloads the TLS certificate, key and client CA from their files for new connections (e.g. on
  // SIGHUP). On failure the old ones stay in use and the error says why. No-op without TLS.
  Status ReloadTls();
  int port() const;  // the bound port after Start()
  ServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::http
