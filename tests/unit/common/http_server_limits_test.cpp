// Tests for the HttpServer's defences against lazy and hostile clients (common/http/server.h):
// the total request deadline, the keep-alive idle timeout, connection caps in all and per
// address, header caps, async handlers that hold no thread, Retry-After closing the connection,
// X-Forwarded-For behind trusted proxies, and TLS (forward-secret ciphers, reload, client
// certificates).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/http/client.h"
#include "common/http/server.h"
#include "common/strings.h"

namespace beacon::http {
namespace {

// A blocking TCP client socket from a chosen loopback source address.
class RawConnection {
 public:
  RawConnection(int port, const char* source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // One response: headers and a Content-Length body. Empty when the server closed first.
  std::string ReadResponse() {
    while (true) {
      size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        size_t at = Lower(buffer_.substr(0, end)).find("content-length:");
        if (at != std::string::npos) length = std::stoul(buffer_.substr(at + 15));
        if (buffer_.size() >= end + 4 + length) {
          std::string response = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return response;
        }
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  // True when the server has closed the connection (EOF or reset) within the receive timeout.
  bool ClosedByServer() {
    char byte;
    ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
  void SetReceiveTimeout(int ms) {
    timeval timeout{ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

constexpr char kGet[] = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n";

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

std::string HeaderValue(const std::string& response, const std::string& name) {
  size_t at = response.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return response.substr(at, response.find("\r\n", at) - at);
}

class LimitsTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options) {
    server_ = std::make_unique<HttpServer>(std::move(options));
    server_->Route("GET", "/hello", {}, [](ServerRequest& request) {
      ServerResponse response = ServerResponse::Text(200, "hello");
      response.headers.Set("x-client", request.remote_addr);
      response.headers.Set("x-peer", request.peer_addr);
      return response;
    });
    server_->Route("GET", "/later", {}, [](ServerRequest&) {
      ServerResponse response = ServerResponse::Json(200, "{}");
      response.headers.Set("Retry-After", "5");
      return response;
    });
    server_->RouteAsync("GET", "/wait", {}, [this](ServerRequest&, Responder respond) {
      std::lock_guard<std::mutex> lock(mutex_);
      waiting_.push_back(std::move(respond));
    });
    server_->RouteAsync("GET", "/forget", {}, [](ServerRequest&, Responder) {});
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  size_t Waiting() {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_.size();
  }
  void AwaitWaiting(size_t n) {
    for (int i = 0; i < 5000 && Waiting() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_EQ(Waiting(), n);
  }

  std::unique_ptr<HttpServer> server_;
  std::mutex mutex_;
  std::vector<Responder> waiting_;
};

TEST_F(LimitsTest, ADrippingClientGetsNoMoreThanTheRequestDeadline) {
  ServerOptions options;
  options.request_timeout_ms = 500;
  Start(options);
  RawConnection slow(server_->port());
  ASSERT_TRUE(slow.connected());
  // 60 header bytes at one per 100 ms would take 6 s; every gap is far below the 500 ms
  // deadline, so only a total deadline (not a per-read timeout) stops it.
  const std::string header = "GET /hello HTTP/1.1\r\nHost: test\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaa";
  size_t sent = 0;
  for (; sent < header.size(); ++sent) {
    if (!slow.Send(header.substr(sent, 1))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (sent == 20) break;  // past the deadline: look at what the server said
  }
  std::string response = slow.ReadResponse();
  EXPECT_EQ(StatusLine(response), "HTTP/1.1 408 Request Timeout") << response;
  EXPECT_TRUE(slow.ClosedByServer());
  EXPECT_EQ(server_->stats().timed_out_requests, 1);
}

TEST_F(LimitsTest, IdleKeepAliveConnectionsAreClosedAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout_ms = 300;
  Start(options);
  RawConnection idle(server_->port());
  ASSERT_TRUE(idle.Send(kGet));
  EXPECT_EQ(StatusLine(idle.ReadResponse()), "HTTP/1.1 200 OK");
  EXPECT_TRUE(idle.ClosedByServer());
  // A connection that never sends a byte gets the same idle timeout.
  RawConnection silent(server_->port());
  EXPECT_TRUE(silent.ClosedByServer());
}

TEST_F(LimitsTest, IdleAndSlowConnectionsHoldNoWorkerThread) {
  ServerOptions options;
  options.max_threads = 2;
  Start(options);
  std::vector<std::unique_ptr<RawConnection>> hostile;
  for (int i = 0; i < 40; ++i) {
    auto idle = std::make_unique<RawConnection>(server_->port(), "127.0.0.2");
    ASSERT_TRUE(idle->Send(kGet));
    ASSERT_EQ(StatusLine(idle->ReadResponse()), "HTTP/1.1 200 OK");
    hostile.push_back(std::move(idle));
  }
  for (int i = 0; i < 40; ++i) {
    auto half = std::make_unique<RawConnection>(server_->port(), "127.0.0.3");
    ASSERT_TRUE(half->Send("GET /hello HTTP/1.1\r\nHost: te"));
    hostile.push_back(std::move(half));
  }
  RawConnection client(server_->port());
  ASSERT_TRUE(client.Send(kGet));
  EXPECT_EQ(StatusLine(client.ReadResponse()), "HTTP/1.1 200 OK");
}

TEST_F(LimitsTest, OneAddressCannotTakeMoreThanItsShareOfConnections) {
  ServerOptions options;
  options.max_connections_per_address = 3;
  Start(options);
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    auto connection = std::make_unique<RawConnection>(server_->port(), "127.0.0.2");
    ASSERT_TRUE(connection->Send(kGet));
    ASSERT_EQ(StatusLine(connection->ReadResponse()), "HTTP/1.1 200 OK");
    held.push_back(std::move(connection));
  }
  RawConnection fourth(server_->port(), "127.0.0.2");
  fourth.Send(kGet);
  EXPECT_EQ(fourth.ReadResponse(), "");
  EXPECT_GE(server_->stats().refused_connections, 1);
  RawConnection other(server_->port(), "127.0.0.4");
  ASSERT_TRUE(other.Send(kGet));
  EXPECT_EQ(StatusLine(other.ReadResponse()), "HTTP/1.1 200 OK");
  // The held connections still work.
  ASSERT_TRUE(held[0]->Send(kGet));
  EXPECT_EQ(StatusLine(held[0]->ReadResponse()), "HTTP/1.1 200 OK");
}

TEST_F(LimitsTest, AtTheConnectionCapAnIdleConnectionMakesRoom) {
  ServerOptions options;
  options.max_connections = 4;
  Start(options);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 4; ++i) {
    auto connection = std::make_unique<RawConnection>(server_->port());
    ASSERT_TRUE(connection->Send(kGet));
    ASSERT_EQ(StatusLine(connection->ReadResponse()), "HTTP/1.1 200 OK");
    idle.push_back(std::move(connection));
  }
  RawConnection fifth(server_->port());
  ASSERT_TRUE(fifth.Send(kGet));
  EXPECT_EQ(StatusLine(fifth.ReadResponse()), "HTTP/1.1 200 OK");
  int closed = 0;
  for (auto& connection : idle) {
    connection->SetReceiveTimeout(200);
    if (connection->ClosedByServer()) ++closed;
  }
  EXPECT_EQ(closed, 1);
}

TEST_F(LimitsTest, TooManyOrTooLargeHeadersAre431) {
  ServerOptions options;
  options.max_header_count = 10;
  options.max_header_bytes = 2048;
  Start(options);
  std::string many = "GET /hello HTTP/1.1\r\nHost: test\r\n";
  for (int i = 0; i < 11; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  RawConnection first(server_->port());
  ASSERT_TRUE(first.Send(many + "\r\n"));
  std::string response = first.ReadResponse();
  EXPECT_EQ(StatusLine(response), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_NE(response.find("{\"error\":\"too many request headers\"}"), std::string::npos);

  RawConnection second(server_->port());
  second.Send("GET /hello HTTP/1.1\r\nHost: test\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_EQ(StatusLine(second.ReadResponse()), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_F(LimitsTest, AsyncRequestsWaitWithoutAThreadAndAreAnsweredLater) {
  ServerOptions options;
  options.max_threads = 1;
  Start(options);
  std::vector<std::unique_ptr<RawConnection>> waiters;
  for (int i = 0; i < 5; ++i) {
    waiters.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(waiters.back()->Send("GET /wait HTTP/1.1\r\nHost: test\r\n\r\n"));
  }
  AwaitWaiting(5);
  // Five requests are waiting on a server with one worker thread, which is still free.
  RawConnection client(server_->port());
  ASSERT_TRUE(client.Send(kGet));
  EXPECT_EQ(StatusLine(client.ReadResponse()), "HTTP/1.1 200 OK");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < waiting_.size(); ++i) {
      waiting_[i](ServerResponse::Text(200, "done " + std::to_string(i)));
      waiting_[i](ServerResponse::Text(500, "a second answer is ignored"));
    }
  }
  for (auto& waiter : waiters) {
    std::string response = waiter->ReadResponse();
    EXPECT_EQ(StatusLine(response), "HTTP/1.1 200 OK");
    EXPECT_NE(response.find("done "), std::string::npos);
  }
}

TEST_F(LimitsTest, AnAsyncRequestWhoseResponderIsDroppedGets500) {
  Start(ServerOptions{});
  RawConnection client(server_->port());
  ASSERT_TRUE(client.Send("GET /forget HTTP/1.1\r\nHost: test\r\n\r\n"));
  EXPECT_EQ(StatusLine(client.ReadResponse()), "HTTP/1.1 500 Internal Server Error");
}

TEST_F(LimitsTest, StopAnswersNothingMoreAndReturnsWithRequestsWaiting) {
  Start(ServerOptions{});
  RawConnection waiter(server_->port());
  ASSERT_TRUE(waiter.Send("GET /wait HTTP/1.1\r\nHost: test\r\n\r\n"));
  AwaitWaiting(1);
  server_->Stop();
  EXPECT_TRUE(waiter.ClosedByServer());
  // A late answer after Stop() is ignored safely.
  std::lock_guard<std::mutex> lock(mutex_);
  waiting_[0](ServerResponse::Text(200, "too late"));
}

TEST_F(LimitsTest, ARetryAfterReplyClosesTheConnection) {
  Start(ServerOptions{});
  RawConnection client(server_->port());
  ASSERT_TRUE(client.Send("GET /later HTTP/1.1\r\nHost: test\r\n\r\n"));
  std::string response = client.ReadResponse();
  EXPECT_EQ(StatusLine(response), "HTTP/1.1 200 OK");
  EXPECT_NE(HeaderValue(response, "Connection"), "keep-alive") << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(LimitsTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  ServerOptions options;
  options.trusted_proxies = {*ParseIpNetwork("127.0.0.1"), *ParseIpNetwork("10.0.0.0/8")};
  Start(options);
  auto client_seen = [&](const char* source, const std::string& forwarded) {
    RawConnection connection(server_->port(), source);
    connection.Send("GET /hello HTTP/1.1\r\nHost: test\r\nX-Forwarded-For: " + forwarded +
                    "\r\n\r\n");
    return HeaderValue(connection.ReadResponse(), "x-client");
  };
  EXPECT_EQ(client_seen("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  // Read from the right: a client-supplied (spoofed) leftmost entry is not believed.
  EXPECT_EQ(client_seen("127.0.0.1", "198.51.100.1, 203.0.113.9, 10.1.1.1"), "203.0.113.9");
  // Not from a trusted proxy: the header is ignored.
  std::string untrusted = client_seen("127.0.0.5", "203.0.113.9");
  EXPECT_EQ(untrusted.substr(0, 10), "127.0.0.5:");
  // Garbage stops the walk at the last good hop.
  EXPECT_EQ(client_seen("127.0.0.1", "not-an-ip").substr(0, 10), "127.0.0.1:");
}

// ---------------------------------------------------------------- TLS

class TlsLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon_tls_limits_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    MakeCa("ca");
    MakeCert("server", "localhost", "ca");
    MakeCert("web-01", "web-01", "ca");
    MakeCa("other-ca");
    MakeCert("intruder", "web-01", "other-ca");
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::filesystem::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  void Run(const std::string& command) {
    ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
  }
  void MakeCa(const std::string& name) {
    Run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + name + " -keyout " +
        Path(name + ".key") + " -out " + Path(name + ".pem"));
  }
  void MakeCert(const std::string& name, const std::string& cn, const std::string& ca) {
    Run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + cn + " -keyout " + Path(name + ".key") +
        " -out " + Path(name + ".csr"));
    std::ofstream(Path(name + ".ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    Run("openssl x509 -req -days 1 -in " + Path(name + ".csr") + " -CA " + Path(ca + ".pem") +
        " -CAkey " + Path(ca + ".key") + " -CAcreateserial -extfile " + Path(name + ".ext") +
        " -out " + Path(name + ".pem"));
  }
  void Start(ServerOptions options) {
    options.tls_cert_file = Path("server.pem");
    options.tls_key_file = Path("server.key");
    server_ = std::make_unique<HttpServer>(options);
    server_->Route("GET", "/hello", {}, [](ServerRequest& request) {
      return ServerResponse::Text(200, "cn=" + request.client_cert_subject);
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  // openssl s_client as an independent TLS client; returns its output, exit status in *ok.
  std::string SClient(const std::string& args, bool* ok) {
    std::string out = Path("sclient.out");
    std::string command =
        "printf 'GET /hello HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: "
        "close\\r\\n\\r\\n' | timeout 10 openssl s_client -quiet -connect "
        "127.0.0.1:" +
        std::to_string(server_->port()) + " " + args + " >" + out + " 2>&1";
    *ok = std::system(command.c_str()) == 0;
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::filesystem::path dir_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsLimitsTest, OnlyForwardSecretCiphersAreOffered) {
  Start(ServerOptions{});
  bool ok = false;
  std::string out = SClient("-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256", &ok);
  EXPECT_NE(out.find("cn="), std::string::npos) << out;
  // Static RSA key exchange (no forward secrecy) and CBC suites are refused.
  out = SClient("-tls1_2 -cipher AES128-GCM-SHA256", &ok);
  EXPECT_EQ(out.find("cn="), std::string::npos) << out;
  out = SClient("-tls1_2 -cipher ECDHE-RSA-AES128-SHA", &ok);
  EXPECT_EQ(out.find("cn="), std::string::npos) << out;
  out = SClient("-tls1_1", &ok);
  EXPECT_EQ(out.find("cn="), std::string::npos) << out;
}

TEST_F(TlsLimitsTest, ReloadServesTheNewCertificateToNewConnections) {
  Start(ServerOptions{});
  CurlClientOptions trust_ca;
  trust_ca.ca_file = Path("ca.pem");
  HttpRequest request;
  request.method = "GET";
  request.url = "https://localhost:" + std::to_string(server_->port()) + "/hello";
  ASSERT_TRUE(NewCurlHttpClient(trust_ca)->Send(request).ok());
  // The operator replaces the certificate with one from another CA and sends SIGHUP.
  MakeCert("server", "localhost", "other-ca");
  ASSERT_TRUE(server_->ReloadTls().ok());
  EXPECT_FALSE(NewCurlHttpClient(trust_ca)->Send(request).ok());
  CurlClientOptions trust_other;
  trust_other.ca_file = Path("other-ca.pem");
  EXPECT_TRUE(NewCurlHttpClient(trust_other)->Send(request).ok());
  // A broken file keeps the certificate in use.
  std::ofstream(Path("server.pem")) << "not a certificate\n";
  Status broken = server_->ReloadTls();
  EXPECT_EQ(broken.code(), StatusCode::kInvalidArgument) << broken.ToString();
  EXPECT_TRUE(NewCurlHttpClient(trust_other)->Send(request).ok());
}

TEST_F(TlsLimitsTest, RequiredClientCertificatesAreVerifiedAndNamed) {
  ServerOptions options;
  options.tls_client_ca_file = Path("ca.pem");
  options.tls_client_auth = TlsClientAuth::kRequired;
  Start(options);
  bool ok = false;
  std::string out = SClient("-cert " + Path("web-01.pem") + " -key " + Path("web-01.key"), &ok);
  EXPECT_NE(out.find("cn=web-01"), std::string::npos) << out;
  out = SClient("", &ok);
  EXPECT_EQ(out.find("cn="), std::string::npos) << out;
  // Same CN, but signed by a CA the server does not trust.
  out = SClient("-cert " + Path("intruder.pem") + " -key " + Path("intruder.key"), &ok);
  EXPECT_EQ(out.find("cn="), std::string::npos) << out;
}

TEST_F(TlsLimitsTest, TheCurlClientPresentsItsCertificate) {
  ServerOptions options;
  options.tls_client_ca_file = Path("ca.pem");
  options.tls_client_auth = TlsClientAuth::kRequired;
  Start(options);
  HttpRequest request;
  request.method = "GET";
  request.url = "https://localhost:" + std::to_string(server_->port()) + "/hello";
  CurlClientOptions client;
  client.ca_file = Path("ca.pem");
  Result<HttpResponse> anonymous = NewCurlHttpClient(client)->Send(request);
  EXPECT_FALSE(anonymous.ok());
  client.client_cert_file = Path("web-01.pem");
  client.client_key_file = Path("web-01.key");
  Result<HttpResponse> named = NewCurlHttpClient(client)->Send(request);
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->body, "cn=web-01");
}

TEST_F(TlsLimitsTest, OptionalClientCertificatesLetOthersIn) {
  ServerOptions options;
  options.tls_client_ca_file = Path("ca.pem");
  options.tls_client_auth = TlsClientAuth::kOptional;
  Start(options);
  bool ok = false;
  std::string anonymous = SClient("", &ok);
  EXPECT_NE(anonymous.find("200 OK"), std::string::npos) << anonymous;
  EXPECT_EQ(anonymous.find("cn=web-01"), std::string::npos) << anonymous;
  std::string out = SClient("-cert " + Path("web-01.pem") + " -key " + Path("web-01.key"), &ok);
  EXPECT_NE(out.find("cn=web-01"), std::string::npos) << out;
}

}  // namespace
}  // namespace beacon::http
