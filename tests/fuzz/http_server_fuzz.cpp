// Fuzzes the collector's HTTP server (common/http/server.*) with raw bytes on a real loopback
// connection: request framing (Beast), header caps, routing and path/query decoding,
// authentication before the body, body limits (Content-Length and chunked), 100-continue,
// pipelining and X-Forwarded-For from a trusted proxy. Every input is sent, the client half-closes,
// and whatever comes back must be a sequence of well-formed HTTP/1.1 replies; the server must
// stay up and keep answering a plain request afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/http/server.h"
#include "common/strings.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace beacon;

http::HttpServer& Server() {
  static std::unique_ptr<http::HttpServer> server = [] {
    fuzz::QuietLogs();
    http::ServerOptions options;
    options.request_timeout_ms = 2000;
    options.idle_timeout_ms = 2000;
    options.max_header_bytes = 4096;
    options.max_header_count = 32;
    // Every loopback address is a trusted proxy: X-Forwarded-For is read, and the per-address
    // connection cap does not apply to the harness's rotating source addresses.
    options.trusted_proxies = {*http::ParseIpNetwork("127.0.0.0/8")};
    auto s = std::make_unique<http::HttpServer>(options);
    s->Route("GET", "/api/v1/hosts/{name}", {}, [](http::ServerRequest& request) {
      return http::ServerResponse::Json(
          200, "{\"name_bytes\":" + std::to_string(request.path_params["name"].size()) +
                   ",\"client_bytes\":" + std::to_string(request.remote_addr.size()) + "}");
    });
    http::RouteOptions guarded;
    guarded.max_body_bytes = 1024;
    guarded.auth = [](const http::ServerRequest& request) -> Result<std::string> {
      if (request.headers.Get("authorization") == "Bearer fuzz-token") return std::string("a");
      return Status::Unauthenticated("missing or unknown token");
    };
    s->Route("POST", "/api/v1/ingest", guarded, [](http::ServerRequest& request) {
      return http::ServerResponse::Json(200,
                                        "{\"bytes\":" + std::to_string(request.body.size()) + "}");
    });
    s->RouteAsync("GET", "/api/v1/agent/commands", {},
                  [](http::ServerRequest&, http::Responder respond) {
                    http::ServerResponse later = http::ServerResponse::Json(200, "{}");
                    later.headers.Set("Retry-After", "5");
                    respond(std::move(later));
                  });
    FUZZ_CHECK(s->Start().ok());
    return s;
  }();
  return *server;
}

// Sends `request`, half-closes, and returns every byte the server sends until it closes.
std::string Exchange(int port, std::string_view request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(fd >= 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  // Each connection from the next of 65,536 loopback addresses: the server closes first, so its
  // TIME_WAIT entries would otherwise use up one address's ports to the server within a run.
  static uint32_t next_source = 0;
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | (next_source++ & 0xffffu));
  FUZZ_CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) == 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // libFuzzer's SIGALRM (the -timeout watchdog) interrupts blocking calls: EINTR is retried,
  // and an interrupted connect() is completed by waiting for the socket to become writable.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    FUZZ_CHECK(errno == EINTR);
    pollfd pending{fd, POLLOUT, 0};
    int ready;
    do {
      ready = ::poll(&pending, 1, 5000);
    } while (ready < 0 && errno == EINTR);
    int error = 0;
    socklen_t length = sizeof(error);
    FUZZ_CHECK(ready == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
               error == 0);
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server closed early (e.g. 431): fine
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[8192];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) reply.append(buffer, n);
  }
  // The server has closed; close with a reset so this side keeps no TIME_WAIT socket: a
  // million executions would otherwise use up the ephemeral ports and fail connect().
  linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  ::close(fd);
  return reply;
}

// Every reply starts with a status line and carries a Content-Length the body matches.
void CheckReplies(std::string_view replies) {
  while (!replies.empty()) {
    FUZZ_CHECK(replies.substr(0, 9) == "HTTP/1.1 ");
    size_t end = replies.find("\r\n\r\n");
    FUZZ_CHECK(end != std::string_view::npos);
    const std::string head = Lower(replies.substr(0, end));
    size_t at = head.find("\r\ncontent-length: ");
    if (head.substr(9, 3) == "100") {  // 100 Continue has no body
      replies.remove_prefix(end + 4);
      continue;
    }
    FUZZ_CHECK(at != std::string::npos);
    size_t length = std::stoul(head.substr(at + 18));
    FUZZ_CHECK(replies.size() >= end + 4 + length);
    replies.remove_prefix(end + 4 + length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::HttpServer& server = Server();
  CheckReplies(
      Exchange(server.port(), std::string_view(reinterpret_cast<const char*>(data), size)));
  // Still serving.
  std::string ok = Exchange(server.port(), "GET /api/v1/hosts/x HTTP/1.1\r\nHost: f\r\n\r\n");
  if (ok.substr(0, 15) != "HTTP/1.1 200 OK") {
    const http::ServerStats stats = server.stats();
    std::fprintf(stderr,
                 "plain request after the input got %zu bytes: '%s' (open %lld, refused %lld, "
                 "timed out %lld, rejected %lld)\n",
                 ok.size(), ok.substr(0, 200).c_str(),
                 static_cast<long long>(stats.open_connections),
                 static_cast<long long>(stats.refused_connections),
                 static_cast<long long>(stats.timed_out_requests),
                 static_cast<long long>(stats.rejected_requests));
  }
  FUZZ_CHECK(ok.substr(0, 15) == "HTTP/1.1 200 OK");
  // Both connections were closed by the server: it must hold none of them any more (a session
  // that never closes would, over many clients, fill listen.max_connections).
  for (int i = 0; i < 200 && server.stats().open_connections != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FUZZ_CHECK(server.stats().open_connections == 0);
  return 0;
}
