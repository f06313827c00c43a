// HttpServer on Poco::Net::HTTPServer. Routing, authentication and the Content-Length check
// run in the handler factory, before Poco sends "100 Continue" and before any body byte is read.
#include "common/http/server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace beacon::http {
namespace {

using Clock = std::chrono::steady_clock;

struct RouteEntry {
  std::string method;
  std::vector<std::string> segments;  // literal, or "{name}"
  RouteOptions options;
  Handler handler;
};

using RouteTable = std::vector<RouteEntry>;

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view segment = path.substr(0, slash);
    if (!segment.empty()) segments.emplace_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Path segments use percent-encoding only; '+' is a literal plus there (unlike in queries).
std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool Match(const RouteEntry& route, const std::vector<std::string>& segments,
           std::map<std::string, std::string>* params) {
  if (route.segments.size() != segments.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& pattern = route.segments[i];
    if (IsParam(pattern)) {
      found[pattern.substr(1, pattern.size() - 2)] = PercentDecode(segments[i]);
    } else if (pattern != segments[i]) {
      return false;
    }
  }
  *params = std::move(found);
  return true;
}

std::string ErrorJson(std::string_view message) {
  // replace: a message with invalid UTF-8 must still produce a valid JSON body.
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

// Everything decided from the request line and headers, before the body.
struct Plan {
  Clock::time_point start;
  ServerRequest request;
  const RouteEntry* route = nullptr;    // null when `early` is set
  std::optional<ServerResponse> early;  // reply without reading the body
};

void SendResponse(Poco::Net::HTTPServerResponse& out, const ServerResponse& response) {
  out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
  for (const auto& [name, value] : response.headers.all()) out.add(name, value);
  out.setContentType(response.content_type);
  out.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
  out.sendBuffer(response.body.data(), response.body.size());
}

class RouteHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RouteHandler(Plan plan) : plan_(std::move(plan)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    ServerResponse response = Run(in, out);
    try {
      SendResponse(out, response);
    } catch (const std::exception& e) {
      // The client went away; nothing left to tell it.
      spdlog::debug("http: sending response to {} failed: {}", plan_.request.remote_addr, e.what());
    }
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - plan_.start);
    spdlog::debug("http: {} {} {} {}ms", plan_.request.method, plan_.request.path, response.status,
                  elapsed.count());
  }

 private:
  ServerResponse Run(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) {
    bool has_body =
        in.getChunkedTransferEncoding() || (in.hasContentLength() && in.getContentLength64() > 0);
    if (plan_.early) {
      // Unread body bytes would be parsed as the next request: close the connection instead.
      if (has_body) out.setKeepAlive(false);
      return *plan_.early;
    }
    if (has_body) {
      std::optional<ServerResponse> failure = ReadBody(in);
      if (failure) {
        out.setKeepAlive(false);
        return *failure;
      }
    }
    try {
      return plan_.route->handler(plan_.request);
    } catch (const std::exception& e) {
      spdlog::error("http: handler for {} {} threw: {}", plan_.request.method, plan_.request.path,
                    e.what());
    } catch (...) {
      spdlog::error("http: handler for {} {} threw a non-standard exception", plan_.request.method,
                    plan_.request.path);
    }
    return ServerResponse::Error(500, "internal error");
  }

  // Reads at most max_body_bytes; a larger body (chunked or with a lying length) stops at the
  // limit with 413 instead of being buffered whole.
  std::optional<ServerResponse> ReadBody(Poco::Net::HTTPServerRequest& in) {
    const int64_t limit = plan_.route->options.max_body_bytes;
    std::string& body = plan_.request.body;
    char buffer[16384];
    try {
      std::istream& stream = in.stream();
      // Poco reports socket errors and timeouts by throwing from the stream buffer; without
      // this the istream would swallow them and a truncated body would reach the handler.
      stream.exceptions(std::ios::badbit);
      while (stream) {
        stream.read(buffer, sizeof(buffer));
        std::streamsize got = stream.gcount();
        if (got <= 0) break;
        if (static_cast<int64_t>(body.size()) + got > limit) {
          body.clear();
          return ServerResponse::Error(413, "request body too large");
        }
        body.append(buffer, static_cast<size_t>(got));
      }
      if (in.hasContentLength() && static_cast<int64_t>(body.size()) != in.getContentLength64()) {
        body.clear();
        return ServerResponse::Error(400, "request body shorter than Content-Length");
      }
    } catch (const Poco::TimeoutException&) {
      body.clear();
      return ServerResponse::Error(408, "request timeout");
    } catch (const std::exception& e) {
      body.clear();
      spdlog::debug("http: reading body of {} {} failed: {}", plan_.request.method,
                    plan_.request.path, e.what());
      return ServerResponse::Error(400, "malformed request body");
    }
    return std::nullopt;
  }

  Plan plan_;
};

class RouterFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RouterFactory(std::shared_ptr<const RouteTable> routes) : routes_(std::move(routes)) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& in) override {
    Plan plan;
    plan.start = Clock::now();
    try {
      Prepare(in, &plan);
    } catch (const std::exception& e) {
      spdlog::error("http: preparing {} {} failed: {}", plan.request.method, plan.request.path,
                    e.what());
      plan.early = ServerResponse::Error(500, "internal error");
    }
    if (plan.early) {
      // A non-200 status here stops Poco from sending "100 Continue": the client should not
      // send a body we will not read.
      in.response().setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(plan.early->status));
    }
    return new RouteHandler(std::move(plan));
  }

 private:
  void Prepare(const Poco::Net::HTTPServerRequest& in, Plan* plan) {
    ServerRequest& request = plan->request;
    request.method = in.getMethod();
    const std::string& uri = in.getURI();
    size_t question = uri.find('?');
    request.path = uri.substr(0, question);
    if (question != std::string::npos) request.query = ParseQuery(uri.substr(question + 1));
    for (const auto& [name, value] : in) request.headers.Add(name, value);
    request.remote_addr = in.clientAddress().toString();

    std::vector<std::string> segments = SplitPath(request.path);
    std::vector<std::string> allowed;
    for (const RouteEntry& route : *routes_) {
      std::map<std::string, std::string> params;
      if (!Match(route, segments, &params)) continue;
      if (route.method != request.method) {
        allowed.push_back(route.method);
        continue;
      }
      request.path_params = std::move(params);
      plan->route = &route;
      break;
    }
    if (plan->route == nullptr) {
      if (allowed.empty()) {
        plan->early = ServerResponse::Error(404, "not found");
      } else {
        plan->early = ServerResponse::Error(405, "method not allowed");
        std::string allow;
        for (const std::string& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
        plan->early->headers.Set("Allow", allow);
      }
      return;
    }

    const RouteOptions& options = plan->route->options;
    if (options.auth) {
      Result<std::string> principal = options.auth(request);
      if (!principal.ok()) {
        // 401/403 for credential problems; anything else (a store that cannot be read) keeps
        // its own status so clients retry a 503 instead of giving up on their token.
        plan->early = ErrorResponse(principal.status());
        return;
      }
      request.principal = std::move(principal).value();
    }
    if (in.hasContentLength() && in.getContentLength64() > options.max_body_bytes) {
      plan->early = ServerResponse::Error(413, "request body too large");
    }
  }

  std::shared_ptr<const RouteTable> routes_;
};

void InitializeSslOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace

ServerResponse ServerResponse::Json(int status, const std::string& json_body) {
  ServerResponse response;
  response.status = status;
  response.body = json_body;
  return response;
}

ServerResponse ServerResponse::Error(int status, std::string_view message) {
  return Json(status, ErrorJson(message));
}

ServerResponse ServerResponse::Text(int status, std::string body, std::string content_type) {
  ServerResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

ServerResponse ErrorResponse(const Status& status) {
  return ServerResponse::Error(HttpStatusFor(status), status.message());
}

struct HttpServer::Impl {
  ServerOptions options;
  std::vector<RouteEntry> routes;
  int port = 0;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(std::string method, std::string pattern, RouteOptions options,
                       Handler handler) {
  // Routes are copied into the running server at Start(); later calls apply after a restart.
  impl_->routes.push_back(
      RouteEntry{std::move(method), SplitPath(pattern), std::move(options), std::move(handler)});
}

Status HttpServer::Start() {
  if (impl_->server) return Status::FailedPrecondition("HTTP server already started");
  const ServerOptions& options = impl_->options;
  const std::string where = options.host + ":" + std::to_string(options.port);
  bool tls = !options.tls_cert_file.empty() && !options.tls_key_file.empty();
  if (!options.tls_cert_file.empty() != !options.tls_key_file.empty()) {
    return Status::InvalidArgument("HTTPS needs both tls_cert_file and tls_key_file");
  }
  Poco::Net::Context::Ptr context;
  if (tls) {
    InitializeSslOnce();
    try {
      context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, options.tls_key_file,
                                       options.tls_cert_file, "", Poco::Net::Context::VERIFY_NONE);
      context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                                Poco::Net::Context::PROTO_TLSV1 |
                                Poco::Net::Context::PROTO_TLSV1_1);
    } catch (const Poco::Exception& e) {
      return Status::InvalidArgument("loading TLS certificate/key for " + where + ": " +
                                     e.displayText());
    }
  }
  try {
    Poco::Net::SocketAddress address(options.host, static_cast<Poco::UInt16>(options.port));
    Poco::Net::ServerSocket socket =
        tls ? Poco::Net::ServerSocket(Poco::Net::SecureServerSocket(context))
            : Poco::Net::ServerSocket();
    // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT (Poco's default): a second
    // daemon on the same port must fail to start instead of silently sharing the traffic.
    socket.bind(address, /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(64);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setTimeout(Poco::Timespan(options.request_timeout_ms * 1000));
    params->setMaxThreads(options.max_threads);
    params->setMaxQueued(options.max_queued);
    params->setKeepAlive(true);
    params->setSoftwareVersion("beacon");
    auto routes = std::make_shared<const RouteTable>(impl_->routes);
    impl_->pool = std::make_unique<Poco::ThreadPool>(1, std::max(1, options.max_threads));
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new RouterFactory(routes), *impl_->pool,
                                                            socket, params);
    impl_->server->start();
    impl_->port = socket.address().port();
  } catch (const Poco::Exception& e) {
    impl_->server.reset();
    impl_->pool.reset();
    return Status::Unavailable("HTTP server cannot listen on " + where + ": " + e.displayText());
  }
  spdlog::debug("http: listening on {}:{}{}", options.host, impl_->port, tls ? " (TLS)" : "");
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->server) return;
  // Graceful: in-flight requests finish, idle keep-alive connections close; then wait for the
  // worker threads so no handler runs after Stop() returns.
  impl_->server->stopAll(false);
  impl_->pool->joinAll();
  impl_->server.reset();
  impl_->pool.reset();
}

int HttpServer::port() const { return impl_->port; }

}  // namespace beacon::http
