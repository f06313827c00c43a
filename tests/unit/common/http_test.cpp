// Tests for common/http: Headers and URL helpers, and HttpServer exercised end to end through
// the curl HttpClient (routing, auth before body, size limits, errors, keep-alive, TLS).
#include "common/http/http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/http/client.h"
#include "common/http/server.h"
#include "common/mutex.h"

namespace beacon::http {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- Headers and URL helpers

TEST(HeadersTest, LookupIgnoresCase) {
  Headers headers;
  headers.Set("Content-Type", "application/json");
  EXPECT_EQ(headers.Get("content-type"), "application/json");
  EXPECT_EQ(headers.Get("CONTENT-TYPE"), "application/json");
  EXPECT_TRUE(headers.Has("Content-type"));
  EXPECT_FALSE(headers.Has("accept"));
  EXPECT_EQ(headers.Get("accept"), "");
  EXPECT_EQ(headers.all().begin()->first, "content-type");
}

TEST(HeadersTest, SetReplacesAndAddAppends) {
  Headers headers;
  headers.Add("Set-Cookie", "a=1");
  headers.Add("set-cookie", "b=2");
  EXPECT_EQ(headers.all().count("set-cookie"), 2u);
  headers.Set("SET-COOKIE", "c=3");
  EXPECT_EQ(headers.all().count("set-cookie"), 1u);
  EXPECT_EQ(headers.Get("set-cookie"), "c=3");
}

TEST(UrlTest, ParseQuery) {
  auto query = ParseQuery("a=1&b=x%20y&flag&a=2&&c=");
  EXPECT_EQ(query.size(), 4u);
  EXPECT_EQ(query["a"], "2");  // later duplicates win
  EXPECT_EQ(query["b"], "x y");
  EXPECT_EQ(query["flag"], "");
  EXPECT_EQ(query["c"], "");
  EXPECT_TRUE(ParseQuery("").empty());
  EXPECT_EQ(ParseQuery("?k=v").at("k"), "v");
}

TEST(StatusMappingTest, HttpStatusFor) {
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusFor(Status::Unauthenticated("x")), 401);
  EXPECT_EQ(HttpStatusFor(Status::PermissionDenied("x")), 403);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("x")), 404);
  EXPECT_EQ(HttpStatusFor(Status::AlreadyExists("x")), 409);
  EXPECT_EQ(HttpStatusFor(Status::ResourceExhausted("x")), 413);
  EXPECT_EQ(HttpStatusFor(Status::Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusFor(Status::Internal("x")), 500);
  EXPECT_EQ(HttpStatusFor(Status::IoError("x")), 500);
  EXPECT_EQ(HttpStatusFor(Status::DeadlineExceeded("x")), 500);
}

TEST(StatusMappingTest, ErrorResponseIsEscapedJson) {
  ServerResponse response = ErrorResponse(Status::NotFound("no host \"web\"\n\\ \x01 \xff"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  json body = json::parse(response.body);  // throws if the quote/control bytes leaked raw
  ASSERT_TRUE(body.contains("error"));
  EXPECT_EQ(body["error"].get<std::string>().substr(0, 14), "no host \"web\"\n");
}

// ---------------------------------------------------------------- server + client

// Sends raw bytes and returns everything the server answers until it closes the connection.
// half_close: shut down our sending side after the request, as a client that gave up would.
std::string RawExchange(int port, const std::string& request, bool half_close = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    if (half_close) ::shutdown(fd, SHUT_WR);
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) reply.append(buffer, n);
  }
  ::close(fd);
  return reply;
}

std::string Chunked(const std::string& body, size_t chunk) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += chunk) {
    std::string part = body.substr(i, chunk);
    char size[32];
    snprintf(size, sizeof(size), "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

HttpRequest MakeRequest(std::string method, std::string url, std::string body = "") {
  HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  return request;
}

std::string ErrorOf(const std::string& body) {
  return json::parse(body).at("error").get<std::string>();
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(ServerOptions{});
    server_->Route("GET", "/api/v1/hosts/{name}/items/{item}", {}, [](ServerRequest& request) {
      json out = {{"name", request.path_params["name"]},
                  {"item", request.path_params["item"]},
                  {"path", request.path},
                  {"query", request.query}};
      return ServerResponse::Json(200, out.dump());
    });
    server_->Route("GET", "/api/v1/hosts", {},
                   [](ServerRequest&) { return ServerResponse::Text(200, "list"); });
    server_->Route("POST", "/echo", {}, [](ServerRequest& request) {
      ServerResponse response = ServerResponse::Text(201, request.body, "application/octet-stream");
      response.headers.Set("X-Remote", request.remote_addr);
      response.headers.Set("X-Seen-Content-Type", request.headers.Get("content-type"));
      return response;
    });
    RouteOptions secured;
    secured.max_body_bytes = 64;
    secured.auth = [this](const ServerRequest& request) -> Result<std::string> {
      auth_saw_body_ = auth_saw_body_ || !request.body.empty();
      std::string token = request.headers.Get("authorization");
      if (token == "Bearer agent-token") return std::string("agent-1");
      if (token == "Bearer viewer-token")
        return Status::PermissionDenied("role viewer may not ingest");
      if (token == "Bearer store-down") return Status::Unavailable("store unavailable");
      return Status::Unauthenticated("missing or unknown token");
    };
    auto ingest = [this](ServerRequest& request) {
      handler_calls_++;
      return ServerResponse::Json(
          200, json{{"principal", request.principal}, {"bytes", request.body.size()}}.dump());
    };
    server_->Route("POST", "/ingest", secured, ingest);
    // The same authenticator on the I/O thread: every outcome must be the same.
    secured.auth_in_memory = true;
    server_->Route("POST", "/ingest-in-memory", secured, ingest);
    // Bodies under 8 bytes are handled on the I/O thread, longer ones on a worker; the
    // authenticator always runs on the I/O thread, so it tells which thread that is.
    RouteOptions on_io;
    on_io.io_thread_body_limit = 8;
    on_io.auth_in_memory = true;
    on_io.auth = [this](const ServerRequest&) -> Result<std::string> {
      MutexLock lock(threads_mutex_);
      io_thread_ = std::this_thread::get_id();
      return std::string("anyone");
    };
    server_->RouteAsync("POST", "/on-io", on_io, [this](ServerRequest& request, Responder respond) {
      {
        MutexLock lock(threads_mutex_);
        handler_threads_.push_back(std::this_thread::get_id());
      }
      if (request.body == "throw") throw std::runtime_error("handler bug");
      respond(ServerResponse::Text(200, request.body));
    });
    RouteOptions small;
    small.max_body_bytes = 16;
    server_->Route("POST", "/small", small, [this](ServerRequest& request) {
      handler_calls_++;
      return ServerResponse::Text(200, request.body);
    });
    server_->Route("GET", "/boom", {}, [](ServerRequest&) -> ServerResponse {
      throw std::runtime_error("handler bug");
    });
    server_->Route("GET", "/status/{code}", {}, [](ServerRequest& request) {
      return ErrorResponse(Status(static_cast<StatusCode>(std::stoi(request.path_params["code"])),
                                  "mapped \"error\""));
    });
    server_->Route("GET", "/big", {}, [](ServerRequest&) {
      ServerResponse response = ServerResponse::Text(200, std::string(10000, 'x'));
      response.headers.Set("X-Custom", "custom value");
      return response;
    });
    server_->Route("GET", "/slow", {}, [this](ServerRequest&) {
      release_slow_.wait_for(std::chrono::seconds(20));
      return ServerResponse::Text(200, "late");
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    client_ = NewCurlHttpClient();
  }

  void TearDown() override {
    release_promise_.set_value();
    server_->Stop();
  }

  std::string Url(const std::string& path_and_query) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path_and_query;
  }

  HttpResponse Get(const std::string& path) {
    Result<HttpResponse> response = client_->Send(MakeRequest("GET", Url(path)));
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : HttpResponse{};
  }

  HttpResponse Post(const std::string& path, std::string body, Headers headers = {}) {
    HttpRequest request = MakeRequest("POST", Url(path), std::move(body));
    request.headers = std::move(headers);
    Result<HttpResponse> response = client_->Send(request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : HttpResponse{};
  }

  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<HttpClient> client_;
  std::atomic<int> handler_calls_{0};
  std::atomic<bool> auth_saw_body_{false};
  Mutex threads_mutex_;
  std::vector<std::thread::id> handler_threads_ BEACON_GUARDED_BY(threads_mutex_);
  std::thread::id io_thread_ BEACON_GUARDED_BY(threads_mutex_);
  std::promise<void> release_promise_;
  std::shared_future<void> release_slow_ = release_promise_.get_future().share();
};

TEST_F(HttpServerTest, RoutesWithDecodedPathParamsAndQuery) {
  HttpResponse response = Get("/api/v1/hosts/web%2001/items/cpu+load?a=1&b=x%20y&a=3");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.Get("content-type"), "application/json");
  json body = json::parse(response.body);
  EXPECT_EQ(body["name"], "web 01");
  EXPECT_EQ(body["item"], "cpu+load");  // '+' is literal in a path
  EXPECT_EQ(body["path"], "/api/v1/hosts/web%2001/items/cpu+load");
  EXPECT_EQ(body["query"], (json{{"a", "3"}, {"b", "x y"}}));

  HttpResponse list = Get("/api/v1/hosts");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body, "list");
  EXPECT_EQ(list.headers.Get("Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405) {
  HttpResponse missing = Get("/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorOf(missing.body), "not found");
  // A known prefix with extra segments is still unknown.
  EXPECT_EQ(Get("/api/v1/hosts/a/items/b/c").status, 404);

  HttpResponse wrong = Post("/api/v1/hosts", "{}");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers.Get("allow"), "GET");
  EXPECT_FALSE(ErrorOf(wrong.body).empty());
}

TEST_F(HttpServerTest, PostBodyAndHeadersReachHandler) {
  std::string payload("binary\0\xff payload", 16);
  Headers headers;
  headers.Set("Content-Type", "application/zstd");
  HttpResponse response = Post("/echo", payload, headers);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, payload);
  EXPECT_EQ(response.headers.Get("x-seen-content-type"), "application/zstd");
}

TEST_F(HttpServerTest, AuthFailuresAre401Or403WithoutReachingHandler) {
  // On a worker (/ingest) and on the I/O thread (/ingest-in-memory, RouteOptions::auth_in_memory).
  for (const std::string path : {"/ingest", "/ingest-in-memory"}) {
    SCOPED_TRACE(path);
    handler_calls_ = 0;
    HttpResponse anonymous = Post(path, "payload");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(ErrorOf(anonymous.body), "missing or unknown token");

    auto refused = [&](const std::string& token, int status, const std::string& error) {
      Headers headers;
      headers.Set("Authorization", "Bearer " + token);
      HttpResponse response = Post(path, "payload", headers);
      EXPECT_EQ(response.status, status);
      EXPECT_EQ(ErrorOf(response.body), error);
      EXPECT_EQ(handler_calls_.load(), 0);
    };
    refused("viewer-token", 403, "role viewer may not ingest");
    // An authenticator that cannot decide (its store is down) is a 503 the client retries,
    // not a 401 that tells the operator the token is wrong.
    refused("store-down", 503, "store unavailable");

    // Auth comes before the size check: an anonymous oversized body gets 401, not 413.
    EXPECT_EQ(Post(path, std::string(1000, 'x')).status, 401);

    Headers agent;
    agent.Set("Authorization", "Bearer agent-token");
    HttpResponse ok = Post(path, "payload", agent);
    ASSERT_EQ(ok.status, 200);
    EXPECT_EQ(json::parse(ok.body), (json{{"principal", "agent-1"}, {"bytes", 7}}));
    EXPECT_EQ(handler_calls_.load(), 1);
    EXPECT_FALSE(auth_saw_body_.load()) << "the authenticator ran after the body was read";
  }
}

TEST_F(HttpServerTest, ShortBodiesOfAnIoThreadRouteSkipTheWorkers) {
  // Every short request runs on the I/O thread (where the authenticator ran), a long one on a
  // worker.
  for (int i = 0; i < 4; ++i) {
    HttpResponse response = Post("/on-io", "short");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "short");
  }
  HttpResponse thrown = Post("/on-io", "throw");  // a handler that throws there is still a 500
  EXPECT_EQ(thrown.status, 500);
  HttpResponse long_body = Post("/on-io", "a longer body");
  ASSERT_EQ(long_body.status, 200);
  EXPECT_EQ(long_body.body, "a longer body");
  MutexLock lock(threads_mutex_);
  ASSERT_EQ(handler_threads_.size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(handler_threads_[i], io_thread_) << i;
  EXPECT_NE(handler_threads_[5], io_thread_);
}

TEST_F(HttpServerTest, BodyOverLimitByContentLengthIs413) {
  HttpResponse response = Post("/small", std::string(17, 'x'));
  EXPECT_EQ(response.status, 413);
  EXPECT_FALSE(ErrorOf(response.body).empty());
  EXPECT_EQ(handler_calls_.load(), 0);
  // Exactly at the limit is accepted.
  HttpResponse at_limit = Post("/small", std::string(16, 'y'));
  EXPECT_EQ(at_limit.status, 200);
  EXPECT_EQ(at_limit.body, std::string(16, 'y'));
}

TEST_F(HttpServerTest, ChunkedBodyIsCappedWhileReading) {
  const std::string head =
      "POST /small HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n";
  std::string within = RawExchange(server_->port(), head + Chunked("0123456789abcdef", 5));
  EXPECT_EQ(within.substr(0, 12), "HTTP/1.1 200") << within;
  EXPECT_NE(within.find("\r\n\r\n0123456789abcdef"), std::string::npos) << within;

  std::string over = RawExchange(server_->port(), head + Chunked(std::string(200, 'z'), 10));
  EXPECT_EQ(over.substr(0, 12), "HTTP/1.1 413") << over;
  size_t body_start = over.find("\r\n\r\n");
  ASSERT_NE(body_start, std::string::npos);
  EXPECT_FALSE(ErrorOf(over.substr(body_start + 4)).empty());
  EXPECT_EQ(handler_calls_.load(), 1);  // only the request within the limit
}

TEST_F(HttpServerTest, HandlerExceptionIs500WithJsonBody) {
  HttpResponse response = Get("/boom");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ErrorOf(response.body), "internal error");
  // The server keeps serving after a handler failure.
  EXPECT_EQ(Get("/api/v1/hosts").status, 200);
}

TEST_F(HttpServerTest, ErrorResponsesCarryMappedStatus) {
  HttpResponse response =
      Get("/status/" + std::to_string(static_cast<int>(StatusCode::kAlreadyExists)));
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(ErrorOf(response.body), "mapped \"error\"");
}

TEST_F(HttpServerTest, KeepAliveReusesOneConnection) {
  HttpResponse first = Post("/echo", "one");
  HttpResponse second = Post("/echo", "two");
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  EXPECT_EQ(second.body, "two");
  // Same client address and port: the second request rode the first one's connection.
  EXPECT_FALSE(first.headers.Get("x-remote").empty());
  EXPECT_EQ(first.headers.Get("x-remote"), second.headers.Get("x-remote"));
}

TEST_F(HttpServerTest, ResponseHeadersAndSizeLimit) {
  HttpResponse big = Get("/big");
  EXPECT_EQ(big.body.size(), 10000u);
  EXPECT_EQ(big.headers.Get("X-Custom"), "custom value");
  EXPECT_EQ(big.headers.Get("content-length"), "10000");

  CurlClientOptions options;
  options.max_response_bytes = 1000;
  auto limited = NewCurlHttpClient(options);
  Result<HttpResponse> response = limited->Send(MakeRequest("GET", Url("/big")));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(HttpServerTest, ClientTimeoutIsDeadlineExceeded) {
  HttpRequest request = MakeRequest("GET", Url("/slow?token=do-not-log-me"));
  request.timeout_ms = 200;
  request.headers.Set("Authorization", "Bearer header-secret");
  Result<HttpResponse> response = client_->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded);
  const std::string& message = response.status().message();
  EXPECT_EQ(message.find("do-not-log-me"), std::string::npos) << message;
  EXPECT_EQ(message.find("token"), std::string::npos) << message;
  EXPECT_EQ(message.find("header-secret"), std::string::npos) << message;
  EXPECT_EQ(message.rfind(
                "GET http://127.0.0.1:" + std::to_string(server_->port()) + "/slow failed: ", 0),
            0u)
      << message;
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailableWithoutQuery) {
  HttpServer server(ServerOptions{});
  ASSERT_TRUE(server.Start().ok());
  int port = server.port();
  server.Stop();  // nothing listens on the port any more

  auto client = NewCurlHttpClient();
  HttpRequest request = MakeRequest("POST",
                                    "http://user:pw@127.0.0.1:" + std::to_string(port) +
                                        "/api/v1/alerts/splunk?token=splunk-secret#frag",
                                    "{}");
  Result<HttpResponse> response = client->Send(request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  const std::string& message = response.status().message();
  EXPECT_EQ(
      message.rfind(
          "POST http://127.0.0.1:" + std::to_string(port) + "/api/v1/alerts/splunk failed: ", 0),
      0u)
      << message;
  EXPECT_EQ(message.find("splunk-secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("pw"), std::string::npos) << message;
}

TEST(HttpClientTest, UnresolvableHostIsUnavailable) {
  auto client = NewCurlHttpClient();
  Result<HttpResponse> response =
      client->Send(MakeRequest("GET", "http://beacon-no-such-host.invalid/x"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
}

TEST(HttpServerStartTest, BusyPortAndHalfTlsConfigFail) {
  HttpServer first(ServerOptions{});
  ASSERT_TRUE(first.Start().ok());
  ServerOptions same;
  same.port = first.port();
  HttpServer second(same);
  Status status = second.Start();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();

  ServerOptions half;
  half.tls_cert_file = "/nonexistent/cert.pem";
  EXPECT_EQ(HttpServer(half).Start().code(), StatusCode::kInvalidArgument);
  half.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(HttpServer(half).Start().code(), StatusCode::kInvalidArgument);
}

TEST(HttpServerTimeoutTest, StalledBodyGets408AndHandlerIsSkipped) {
  ServerOptions options;
  options.request_timeout_ms = 200;
  HttpServer server(options);
  std::atomic<int> calls{0};
  server.Route("POST", "/upload", {}, [&calls](ServerRequest&) {
    calls++;
    return ServerResponse::Text(200, "stored");
  });
  ASSERT_TRUE(server.Start().ok());
  // Promises 100 bytes, sends 10, then waits: the server must give up rather than hang.
  std::string reply = RawExchange(server.port(),
                                  "POST /upload HTTP/1.1\r\nHost: localhost\r\n"
                                  "Content-Length: 100\r\n\r\n0123456789");
  EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 408") << reply;
  EXPECT_EQ(calls.load(), 0);

  // A client that closes mid-body must not hand a truncated body to the handler either.
  std::string truncated = RawExchange(server.port(),
                                      "POST /upload HTTP/1.1\r\nHost: localhost\r\n"
                                      "Content-Length: 100\r\n\r\n0123456789",
                                      /*half_close=*/true);
  EXPECT_EQ(truncated.substr(0, 12), "HTTP/1.1 400") << truncated;
  EXPECT_EQ(calls.load(), 0);
  server.Stop();
}

// ---------------------------------------------------------------- TLS

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("beacon_http_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        key_ + "' -out '" + cert_ + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << "openssl CLI failed";
    ServerOptions options;
    options.tls_cert_file = cert_;
    options.tls_key_file = key_;
    server_ = std::make_unique<HttpServer>(options);
    server_->Route("GET", "/hello", {},
                   [](ServerRequest&) { return ServerResponse::Text(200, "secure hello"); });
    ASSERT_TRUE(server_->Start().ok());
  }

  void TearDown() override {
    server_->Stop();
    std::filesystem::remove_all(dir_);
  }

  std::string Url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(server_->port()) + "/hello";
  }

  std::filesystem::path dir_;
  std::string cert_;
  std::string key_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpsTest, ClientTrustingTheCaSucceeds) {
  CurlClientOptions options;
  options.ca_file = cert_;
  auto client = NewCurlHttpClient(options);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    Result<HttpResponse> response = client->Send(MakeRequest("GET", Url(host)));
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "secure hello");
  }
}

TEST_F(HttpsTest, ClientWithoutTheCaFailsVerification) {
  auto client = NewCurlHttpClient();
  Result<HttpResponse> response =
      client->Send(MakeRequest("GET", Url("127.0.0.1") + "?token=abc123"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(response.status().message().find("abc123"), std::string::npos);
}

TEST_F(HttpsTest, PlainHttpToTlsPortDoesNotReachHandler) {
  auto client = NewCurlHttpClient();
  Result<HttpResponse> response = client->Send(
      MakeRequest("GET", "http://127.0.0.1:" + std::to_string(server_->port()) + "/hello"));
  EXPECT_TRUE(!response.ok() || response->body != "secure hello");
}

TEST_F(HttpsTest, VerificationOffIsExplicitOptIn) {
  CurlClientOptions options;
  options.verify_tls = false;
  auto client = NewCurlHttpClient(options);
  Result<HttpResponse> response = client->Send(MakeRequest("GET", Url("127.0.0.1")));
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->body, "secure hello");
}

}  // namespace
}  // namespace beacon::http
