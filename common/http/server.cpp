// HttpServer on Boost.Beast: one I/O thread owns every socket and does all reading, writing and
// timing; a bounded worker pool runs authenticators and handlers. A connection that is idle,
// slow or waiting for an async reply costs a socket and a few KiB, never a thread.
//
// Per connection: [TLS handshake] -> wait for the first byte (idle_timeout) -> headers
// (request_timeout starts) -> route, then authenticate on a worker -> [100 Continue] -> body
// -> handler on a worker -> reply (request_timeout again) -> keep-alive or close. The deadline
// is a session timer that cancels the socket; Beast parses the HTTP/1.1 framing.
#include "common/http/server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "common/mutex.h"
#include "common/strings.h"
#include "common/url.h"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// ------------------------------------------------------------------ routing

struct RouteEntry {
  std::string method;
  std::vector<std::string> segments;  // literal, or "{name}"
  RouteOptions options;
  AsyncHandler handler;
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

bool Match(const RouteEntry& route, const std::vector<std::string>& segments,
           std::map<std::string, std::string>* params) {
  if (route.segments.size() != segments.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& pattern = route.segments[i];
    if (IsParam(pattern)) {
      // Path segments use percent-encoding only; '+' is a literal plus there (unlike in queries).
      found[pattern.substr(1, pattern.size() - 2)] =
          PercentDecodeLenient(segments[i], PlusSign::kLiteral);
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

// The client behind trusted proxies: X-Forwarded-For read from the right, skipping entries that
// are trusted proxies themselves; the first other entry is the client. A malformed entry ends
// the walk at the last address that is known good.
std::string ForwardedClient(const std::string& peer, const Headers& headers,
                            const std::vector<IpNetwork>& trusted) {
  if (trusted.empty() || !AddressAllowed(peer, trusted)) return peer;
  std::vector<std::string> hops;
  for (const auto& [name, value] : headers.all()) {
    if (name != "x-forwarded-for") continue;
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      std::string hop(Trim(std::string_view(value).substr(start, comma - start), kHttpSpace));
      if (!hop.empty()) hops.push_back(std::move(hop));
      start = comma + 1;
    }
  }
  std::string client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!ParseIpNetwork(*it).ok()) break;
    client = *it;
    if (!AddressAllowed(*it, trusted)) break;
  }
  return client;
}

std::string EndpointText(const tcp::endpoint& endpoint) {
  const asio::ip::address& address = endpoint.address();
  if (address.is_v6()) {
    asio::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
      return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string() + ":" +
             std::to_string(endpoint.port());
    }
    return "[" + v6.to_string() + "]:" + std::to_string(endpoint.port());
  }
  return address.to_string() + ":" + std::to_string(endpoint.port());
}

std::string AddressOnly(const tcp::endpoint& endpoint) {
  const asio::ip::address& address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// ------------------------------------------------------------------ worker pool

// Fixed threads over a bounded FIFO queue. Submit fails when the queue is full or stopping.
class WorkerPool {
 public:
  WorkerPool(int threads, int max_queued) : max_queued_(std::max(1, max_queued)) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() { StopAndJoin(); }

  bool Submit(std::function<void()> task) {
    {
      MutexLock lock(mutex_);
      if (stopping_ || static_cast<int>(queue_.size()) >= max_queued_) return false;
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

  // Runs what is queued, then joins. Tasks submitted afterwards are refused.
  void StopAndJoin() {
    {
      MutexLock lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  void Run() {
    while (true) {
      std::function<void()> task;
      {
        UniqueLock lock(mutex_);
        cv_.wait(lock, [this]() BEACON_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  const int max_queued_;
  Mutex mutex_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> queue_ BEACON_GUARDED_BY(mutex_);
  bool stopping_ BEACON_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

// ------------------------------------------------------------------ TLS

Result<std::shared_ptr<asio::ssl::context>> MakeTlsContext(const ServerOptions& options) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_RENEGOTIATION | SSL_OP_SINGLE_ECDH_USE);
  // TLS 1.2: ephemeral ECDHE key exchange with AEAD ciphers only (forward secrecy); TLS 1.3
  // suites are all forward-secret and keep OpenSSL's defaults.
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    return Status::Internal("OpenSSL rejected the cipher list");
  }
  boost::system::error_code ec;
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    return Status::InvalidArgument("TLS certificate " + options.tls_cert_file + ": " +
                                   ec.message());
  }
  context->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument("TLS key " + options.tls_key_file + ": " +
                                   (ec ? ec.message() : "does not match the certificate"));
  }
  if (options.tls_client_auth != TlsClientAuth::kNone) {
    if (options.tls_client_ca_file.empty()) {
      return Status::InvalidArgument("client certificates need a CA file (tls_client_ca_file)");
    }
    context->load_verify_file(options.tls_client_ca_file, ec);
    if (ec) {
      return Status::InvalidArgument("TLS client CA " + options.tls_client_ca_file + ": " +
                                     ec.message());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.tls_client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(native, names);
    asio::ssl::verify_mode mode = asio::ssl::verify_peer;
    if (options.tls_client_auth == TlsClientAuth::kRequired) {
      mode |= asio::ssl::verify_fail_if_no_peer_cert;
    }
    context->set_verify_mode(mode);
  }
  return context;
}

std::string PeerCertificateCn(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::string cn;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    char buffer[256] = {};
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer,
                                      sizeof(buffer));
    if (n > 0) cn.assign(buffer, static_cast<size_t>(n));
  }
  X509_free(cert);
  return cn;
}

// ------------------------------------------------------------------ core

class SessionBase;

// The server's state while it runs, owned by HttpServer. Sessions point to it; Responders reach
// the I/O thread only through the Gate, which Stop() closes before the Core goes away.
struct Gate {
  Mutex mutex;
  asio::io_context* io BEACON_GUARDED_BY(mutex) = nullptr;  // null once the server stopped

  template <typename Fn>
  void Post(Fn fn) {
    MutexLock lock(mutex);
    if (io != nullptr) asio::post(*io, std::move(fn));
  }
};

struct Core {
  ServerOptions options;
  std::shared_ptr<const RouteTable> routes;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::unique_ptr<asio::io_context> io = std::make_unique<asio::io_context>(1);
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<WorkerPool> pool;

  Mutex tls_mutex;
  std::shared_ptr<asio::ssl::context> tls BEACON_GUARDED_BY(tls_mutex);  // null: plain HTTP

  Mutex sessions_mutex;
  // Every open session, owned here from accept until it closes (a session waiting for its
  // Responder has no operation in flight to keep it alive).
  std::unordered_map<SessionBase*, std::shared_ptr<SessionBase>> sessions
      BEACON_GUARDED_BY(sessions_mutex);
  std::unordered_map<std::string, int> per_address BEACON_GUARDED_BY(sessions_mutex);
  std::atomic<bool> stopping{false};

  std::atomic<int64_t> open_connections{0};
  std::atomic<int64_t> refused_connections{0};
  std::atomic<int64_t> timed_out_requests{0};
  std::atomic<int64_t> rejected_requests{0};
  std::atomic<int64_t> last_refusal_log_ms{0};

  ~Core() {
    // Sockets before the io_context they belong to: the acceptor, the sessions still
    // registered, then the io_context, which destroys the handlers still queued and with them
    // the last sessions they hold.
    {
      MutexLock lock(gate->mutex);
      gate->io = nullptr;
    }
    acceptor.reset();
    std::unordered_map<SessionBase*, std::shared_ptr<SessionBase>> remaining;
    {
      MutexLock lock(sessions_mutex);
      remaining.swap(sessions);
    }
    remaining.clear();
    io.reset();
  }

  std::shared_ptr<asio::ssl::context> CurrentTls() {
    MutexLock lock(tls_mutex);
    return tls;
  }
};

// One connection, owned by the async operations in flight on it (and by a pending Responder).
// All members are touched on the I/O thread only.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  SessionBase(Core* core, std::string peer, std::string address, bool counted)
      : core_(core),
        peer_(std::move(peer)),
        address_(std::move(address)),
        counted_(counted),
        timer_(*core->io) {}

  virtual ~SessionBase() = default;

  virtual void Begin() = 0;
  // Closes the socket unless a reply is being written (Stop: after the workers drained).
  virtual void CloseIfIdle(bool even_if_waiting) = 0;
  // Called on the I/O thread with the reply of a Responder.
  virtual void Complete(ServerResponse response) = 0;
  // Whether the connection waits for its next request (may be evicted at the connection cap).
  virtual bool IsIdle() const = 0;
  virtual void Evict() = 0;

 protected:
  // Leaves the registry and the connection counts (at close, on the I/O thread). The registry's
  // reference is released on a later turn of the I/O thread, never under the caller's feet.
  void Unregister() {
    std::shared_ptr<SessionBase> keep;
    {
      MutexLock lock(core_->sessions_mutex);
      auto it = core_->sessions.find(this);
      if (it == core_->sessions.end()) return;
      keep = std::move(it->second);
      core_->sessions.erase(it);
      if (counted_) {
        auto count = core_->per_address.find(address_);
        if (count != core_->per_address.end() && --count->second <= 0) {
          core_->per_address.erase(count);
        }
      }
      core_->open_connections--;
    }
    asio::post(*core_->io, [keep = std::move(keep)] {});
  }

  Core* core_;
  std::string peer_;     // "ip:port"
  std::string address_;  // "ip"
  bool counted_;
  asio::steady_timer timer_;
};

}  // namespace

// The state behind every copy of one request's Responder.
struct Responder::State {
  std::weak_ptr<SessionBase> session;
  std::shared_ptr<Gate> gate;
  std::atomic<bool> done{false};

  void Finish(ServerResponse response) {
    if (done.exchange(true)) return;
    std::shared_ptr<SessionBase> target = session.lock();
    if (!target) return;
    gate->Post([target, response = std::move(response)]() mutable {
      target->Complete(std::move(response));
    });
  }

  ~State() {
    if (!done.load()) {
      spdlog::error("http: a request was dropped without a reply; answering 500");
      Finish(ServerResponse::Error(500, "internal error: request dropped"));
    }
  }
};

void Responder::operator()(ServerResponse response) const { state_->Finish(std::move(response)); }

namespace {

template <typename Stream>
class Session final : public SessionBase {
 public:
  Session(Core* core, Stream stream, std::string peer, std::string address, bool counted)
      : SessionBase(core, std::move(peer), std::move(address), counted),
        stream_(std::move(stream)) {}

  void Begin() override {
    if constexpr (kTls) {
      Arm(SteadyClock::now() + RequestTimeout(), Phase::kHandshake);
      auto self = Self();
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self](boost::system::error_code ec) { self->OnHandshake(ec); });
    } else {
      WaitForRequest();
    }
  }

  void CloseIfIdle(bool even_if_waiting) override {
    if (phase_ == Phase::kWriting) return;
    if (phase_ == Phase::kHandling && !even_if_waiting) return;
    Close();
  }

  bool IsIdle() const override { return phase_ == Phase::kIdle && !closed_; }
  void Evict() override { Close(); }

  void Complete(ServerResponse response) override {
    if (closed_ || phase_ != Phase::kHandling) return;
    Send(std::move(response), /*force_close=*/false);
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;
  enum class Phase { kHandshake, kIdle, kReading, kAuth, kHandling, kWriting, kLinger, kClosed };

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }
  SteadyClock::duration RequestTimeout() const {
    return std::chrono::milliseconds(std::max<int64_t>(1, core_->options.request_timeout_ms));
  }

  // The deadline of the current phase: when it passes, the socket's pending operation is
  // cancelled and its handler sees timed_out_.
  void Arm(SteadyClock::time_point deadline, Phase phase) {
    phase_ = phase;
    timed_out_ = false;
    timer_.expires_at(deadline);
    auto self = Self();
    timer_.async_wait([self](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      self->timed_out_ = true;
      boost::system::error_code ignored;
      self->Socket().cancel(ignored);
    });
  }
  void Disarm(Phase phase) {
    phase_ = phase;
    timer_.cancel();
  }

  void OnHandshake(boost::system::error_code ec) {
    if (ec) {
      spdlog::debug("http: TLS handshake with {} failed: {}", peer_,
                    timed_out_ ? "timed out" : ec.message());
      Close();
      return;
    }
    if constexpr (kTls) client_cert_cn_ = PeerCertificateCn(stream_.native_handle());
    WaitForRequest();
  }

  // Keep-alive: wait for the first byte of the next request (bytes already buffered from a
  // pipelining client count).
  void WaitForRequest() {
    if (core_->stopping) {
      Close();
      return;
    }
    if (buffer_.size() > 0) {
      ReadHeader();
      return;
    }
    Arm(SteadyClock::now() + std::chrono::milliseconds(core_->options.idle_timeout_ms),
        Phase::kIdle);
    auto self = Self();
    stream_.async_read_some(buffer_.prepare(4096), [self](boost::system::error_code ec, size_t n) {
      if (ec || n == 0) {
        self->Close();
        return;
      }
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    request_start_ = SteadyClock::now();
    Arm(request_start_ + RequestTimeout(), Phase::kReading);
    header_parser_.emplace();
    header_parser_->header_limit(
        static_cast<std::uint32_t>(std::max<int64_t>(256, core_->options.max_header_bytes)));
    // The body limit is the route's, checked once the route is known.
    header_parser_->body_limit(boost::none);
    auto self = Self();
    bhttp::async_read_header(stream_, buffer_, *header_parser_,
                             [self](boost::system::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(boost::system::error_code ec) {
    if (ec) {
      if (timed_out_) {
        core_->timed_out_requests++;
        Reject(408, "request timeout");
      } else if (ec == bhttp::error::header_limit) {
        Reject(431, "request headers too large");
      } else if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                 ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        Close();
      } else {
        Reject(400, "malformed request");
      }
      return;
    }
    const auto& header = header_parser_->get();
    int fields = 0;
    for (auto it = header.begin(); it != header.end(); ++it) ++fields;
    if (fields > core_->options.max_header_count) {
      Reject(431, "too many request headers");
      return;
    }
    keep_alive_ = header.keep_alive();
    has_body_ = !header_parser_->is_done();
    request_ = ServerRequest{};
    request_.method = std::string(header.method_string());
    std::string_view target(header.target().data(), header.target().size());
    size_t question = target.find('?');
    request_.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos)
      request_.query = ParseQuery(target.substr(question + 1));
    for (const auto& field : header) {
      request_.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    request_.peer_addr = peer_;
    request_.remote_addr = ForwardedClient(peer_, request_.headers, core_->options.trusted_proxies);
    request_.client_cert_subject = client_cert_cn_;

    route_ = nullptr;
    std::vector<std::string> segments = SplitPath(request_.path);
    std::vector<std::string> allowed;
    for (const RouteEntry& route : *core_->routes) {
      std::map<std::string, std::string> params;
      if (!Match(route, segments, &params)) continue;
      if (route.method != request_.method) {
        allowed.push_back(route.method);
        continue;
      }
      request_.path_params = std::move(params);
      route_ = &route;
      break;
    }
    if (route_ == nullptr) {
      ServerResponse response = allowed.empty() ? ServerResponse::Error(404, "not found")
                                                : ServerResponse::Error(405, "method not allowed");
      if (!allowed.empty()) {
        std::string allow;
        for (const std::string& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
        response.headers.Set("Allow", allow);
      }
      // Unread body bytes would be parsed as the next request: close instead.
      Send(std::move(response), has_body_);
      return;
    }
    if (!route_->options.auth) {
      AfterAuth(Result<std::string>(std::string()));
      return;
    }
    if (route_->options.auth_in_memory) {
      AfterAuth(Authenticate(route_->options.auth, request_));
      return;
    }
    // The authenticator may read a database: run it on a worker, not on the I/O thread. The
    // request deadline is suspended meanwhile (no socket operation is pending).
    Disarm(Phase::kAuth);
    auto self = Self();
    const Authenticator* auth = &route_->options.auth;
    ServerRequest* request = &request_;
    bool queued = core_->pool->Submit([self, auth, request] {
      Result<std::string> principal = Authenticate(*auth, *request);
      asio::post(*self->core_->io, [self, principal = std::move(principal)]() mutable {
        self->AfterAuth(std::move(principal));
      });
    });
    if (!queued) Busy();
  }

  // The authenticator's verdict; one that throws refuses the request.
  static Result<std::string> Authenticate(const Authenticator& auth, const ServerRequest& request) {
    try {
      return auth(request);
    } catch (const std::exception& e) {
      spdlog::error("http: authenticating {} {} threw: {}", request.method, request.path, e.what());
    }
    return Status::Internal("authenticator threw");
  }

  void AfterAuth(Result<std::string> principal) {
    if (closed_) return;
    if (!principal.ok()) {
      // 401/403 for credential problems; anything else (a store that cannot be read) keeps
      // its own status so clients retry a 503 instead of giving up on their token.
      Send(ErrorResponse(principal.status()), has_body_);
      return;
    }
    request_.principal = std::move(principal).value();
    const auto& header = header_parser_->get();
    const int64_t limit = route_->options.max_body_bytes;
    if (header_parser_->content_length() &&
        static_cast<int64_t>(*header_parser_->content_length()) > limit) {
      core_->rejected_requests++;
      Send(ServerResponse::Error(413, "request body too large"), true);
      return;
    }
    if (!has_body_) {
      Dispatch();
      return;
    }
    auto expect = header.find(bhttp::field::expect);
    const bool send_continue =
        expect != header.end() && beast::iequals(expect->value(), "100-continue");
    Arm(request_start_ + RequestTimeout(), Phase::kReading);
    try {
      body_parser_.emplace(std::move(*header_parser_));
    } catch (const std::exception& e) {
      // Beast refuses to convert a header parser that already started on the body; the request
      // cannot be read safely any more.
      spdlog::debug("http: body of {} {} from {}: {}", request_.method, request_.path, peer_,
                    e.what());
      Reject(400, "malformed request");
      return;
    }
    body_parser_->body_limit(static_cast<std::uint64_t>(std::max<int64_t>(0, limit)));
    if (send_continue) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      auto self = Self();
      asio::async_write(stream_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                        [self](boost::system::error_code ec, size_t) {
                          if (ec) {
                            self->Close();
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    auto self = Self();
    bhttp::async_read(stream_, buffer_, *body_parser_,
                      [self](boost::system::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(boost::system::error_code ec) {
    if (ec) {
      if (timed_out_) {
        core_->timed_out_requests++;
        Reject(408, "request timeout");
      } else if (ec == bhttp::error::body_limit) {
        Reject(413, "request body too large");
      } else if (ec == bhttp::error::partial_message || ec == asio::error::eof ||
                 ec == bhttp::error::end_of_stream) {
        Reject(400, "request body shorter than Content-Length");
      } else {
        spdlog::debug("http: reading body of {} {} from {} failed: {}", request_.method,
                      request_.path, peer_, ec.message());
        Reject(400, "malformed request body");
      }
      return;
    }
    request_.body = std::move(body_parser_->get().body());
    Dispatch();
  }

  void Dispatch() {
    Disarm(Phase::kHandling);
    auto state = std::make_shared<Responder::State>();
    state->session = weak_from_this();
    state->gate = core_->gate;
    const AsyncHandler* handler = &route_->handler;
    ServerRequest* request = &request_;
    if (static_cast<int64_t>(request_.body.size()) < route_->options.io_thread_body_limit) {
      RunHandler(state, *handler, *request);
      return;
    }
    auto self = Self();
    bool queued = core_->pool->Submit(
        [self, state, handler, request] { RunHandler(state, *handler, *request); });
    if (!queued) {
      state->done = true;
      Busy();
    }
  }

  // Runs the handler; one that throws is answered 500.
  static void RunHandler(const std::shared_ptr<Responder::State>& state,
                         const AsyncHandler& handler, ServerRequest& request) {
    try {
      handler(request, Responder(state));
      return;
    } catch (const std::exception& e) {
      spdlog::error("http: handler for {} {} threw: {}", request.method, request.path, e.what());
    } catch (...) {
      spdlog::error("http: handler for {} {} threw a non-standard exception", request.method,
                    request.path);
    }
    state->Finish(ServerResponse::Error(500, "internal error"));
  }

  void Busy() {
    core_->rejected_requests++;
    ServerResponse response = ServerResponse::Error(503, "server busy, retry later");
    response.headers.Set("Retry-After", "1");
    Send(std::move(response), true);
  }

  // An error before any handler ran: reply, then close (the stream is out of step).
  void Reject(int status, std::string_view message) {
    core_->rejected_requests++;
    keep_alive_ = false;
    Send(ServerResponse::Error(status, message), true);
  }

  void Send(ServerResponse response, bool force_close) {
    if (closed_) return;
    const bool keep = keep_alive_ && !force_close && !response.close_connection &&
                      !response.headers.Has("Retry-After") && !core_->stopping;
    response_.emplace();
    response_->version(11);
    response_->result(static_cast<unsigned>(response.status));
    response_->set(bhttp::field::server, "beacon");
    for (const auto& [name, value] : response.headers.all()) response_->insert(name, value);
    response_->set(bhttp::field::content_type, response.content_type);
    response_->body() = std::move(response.body);
    response_->keep_alive(keep);
    response_->prepare_payload();
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - request_start_);
    spdlog::debug("http: {} {} {} {}ms from {}", request_.method, request_.path, response.status,
                  elapsed.count(), request_.remote_addr.empty() ? peer_ : request_.remote_addr);
    Arm(SteadyClock::now() + RequestTimeout(), Phase::kWriting);
    auto self = Self();
    bhttp::async_write(stream_, *response_, [self, keep](boost::system::error_code ec, size_t) {
      self->response_.reset();
      if (ec) {
        self->Close();
        return;
      }
      if (!keep) {
        self->Shutdown();
        return;
      }
      self->header_parser_.reset();
      self->body_parser_.reset();
      self->WaitForRequest();
    });
  }

  // Closes after the reply has been sent: a TLS close_notify, or a half-close and a short drain
  // of what the client still sends, so the kernel does not answer unread bytes with a reset
  // that could destroy the reply before the client reads it.
  void Shutdown() {
    Arm(SteadyClock::now() + std::chrono::seconds(2), Phase::kLinger);
    auto self = Self();
    if constexpr (kTls) {
      stream_.async_shutdown([self](boost::system::error_code) { self->Close(); });
    } else {
      boost::system::error_code ignored;
      stream_.shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }

  void Drain() {
    auto self = Self();
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self](boost::system::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || n == 0 || self->drained_ > (1 << 20)) {
                                self->Close();
                                return;
                              }
                              self->Drain();
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    phase_ = Phase::kClosed;
    timer_.cancel();
    boost::system::error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_both, ignored);
    Socket().close(ignored);
    Unregister();
  }

  Stream stream_;
  beast::flat_buffer buffer_{static_cast<size_t>(1) << 20};
  std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> body_parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  ServerRequest request_;
  const RouteEntry* route_ = nullptr;
  SteadyClock::time_point request_start_ = SteadyClock::now();
  Phase phase_ = Phase::kIdle;
  bool timed_out_ = false;
  bool keep_alive_ = true;
  bool has_body_ = false;
  bool closed_ = false;
  std::string client_cert_cn_;
  size_t drained_ = 0;
  char drain_buffer_[4096];
};

// Each connection is a file descriptor: raise the soft RLIMIT_NOFILE (often 1024) towards the
// hard one so max_connections can be reached, and say so when it cannot.
void RaiseOpenFileLimit(int max_connections) {
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + 256;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = std::min(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) raised.rlim_cur = limit.rlim_cur;
  if (raised.rlim_cur < wanted) {
    spdlog::warn(
        "http: the open-file limit ({}) is below max_connections + 256 ({}); connections beyond "
        "it are refused by the kernel (raise LimitNOFILE)",
        raised.rlim_cur, wanted);
  }
}

void LogRefusal(Core& core, const std::string& address, std::string_view why) {
  core.refused_connections++;
  // At most one line per second: a flood must not become a flood of log lines.
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch())
          .count();
  int64_t last = core.last_refusal_log_ms.load();
  if (now_ms - last >= 1000 && core.last_refusal_log_ms.compare_exchange_strong(last, now_ms)) {
    spdlog::warn("http: refusing connections from {}: {} ({} refused so far)", address, why,
                 core.refused_connections.load());
  }
}

void Accept(Core* core) {
  core->acceptor->async_accept([core](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !core->acceptor->is_open()) return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning on the error.
      spdlog::warn("http: accept failed: {}", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(*core->io, std::chrono::milliseconds(100));
      timer->async_wait([core, timer](boost::system::error_code) { Accept(core); });
      return;
    }
    boost::system::error_code peer_ec;
    tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    if (peer_ec) {
      Accept(core);
      return;
    }
    const std::string address = AddressOnly(peer);
    const ServerOptions& options = core->options;
    const bool exempt =
        !options.trusted_proxies.empty() && AddressAllowed(address, options.trusted_proxies);
    std::shared_ptr<asio::ssl::context> tls = core->CurrentTls();
    if (core->open_connections.load() >= options.max_connections) {
      // Like a browser's pool, idle keep-alive connections are the first to give way: a client
      // with a request to make gets the slot of one that has nothing to say.
      std::shared_ptr<SessionBase> victim;
      {
        MutexLock lock(core->sessions_mutex);
        for (auto& [raw, open] : core->sessions) {
          if (open->IsIdle()) {
            victim = open;
            break;
          }
        }
      }
      if (victim) victim->Evict();
    }
    std::shared_ptr<SessionBase> session;
    {
      MutexLock lock(core->sessions_mutex);
      auto count = core->per_address.find(address);
      const int from_address = count == core->per_address.end() ? 0 : count->second;
      if (core->open_connections.load() >= options.max_connections) {
        LogRefusal(*core, address, "listen.max_connections reached");
      } else if (!exempt && options.max_connections_per_address > 0 &&
                 from_address >= options.max_connections_per_address) {
        LogRefusal(*core, address, "listen.max_connections_per_address reached");
      } else {
        core->per_address[address]++;
        core->open_connections++;
        if (tls) {
          session = std::make_shared<Session<asio::ssl::stream<tcp::socket>>>(
              core, asio::ssl::stream<tcp::socket>(std::move(socket), *tls), EndpointText(peer),
              address, true);
        } else {
          session = std::make_shared<Session<tcp::socket>>(core, std::move(socket),
                                                           EndpointText(peer), address, true);
        }
        core->sessions[session.get()] = session;
      }
    }
    if (session) {
      session->Begin();
    } else {
      boost::system::error_code ignored;
      socket.close(ignored);
    }
    Accept(core);
  });
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
  std::unique_ptr<Core> core;
  std::thread io_thread;
};

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(std::string method, std::string pattern, RouteOptions options,
                       Handler handler) {
  RouteAsync(std::move(method), std::move(pattern), std::move(options),
             [handler = std::move(handler)](ServerRequest& request, Responder respond) {
               respond(handler(request));
             });
}

void HttpServer::RouteAsync(std::string method, std::string pattern, RouteOptions options,
                            AsyncHandler handler) {
  // Routes are copied into the running server at Start(); later calls apply after a restart.
  impl_->routes.push_back(
      RouteEntry{std::move(method), SplitPath(pattern), std::move(options), std::move(handler)});
}

Status HttpServer::Start() {
  if (impl_->core) return Status::FailedPrecondition("HTTP server already started");
  const ServerOptions& options = impl_->options;
  const std::string where = options.host + ":" + std::to_string(options.port);
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Status::InvalidArgument("HTTPS needs both tls_cert_file and tls_key_file");
  }
  auto core = std::make_unique<Core>();
  {
    MutexLock lock(core->gate->mutex);  // uncontended: no other thread sees the core yet
    core->gate->io = core->io.get();
  }
  core->options = options;
  core->routes = std::make_shared<const RouteTable>(impl_->routes);
  if (!options.tls_cert_file.empty()) {
    Result<std::shared_ptr<asio::ssl::context>> tls = MakeTlsContext(options);
    if (!tls.ok()) return tls.status().WithContext("loading TLS for " + where);
    MutexLock lock(core->tls_mutex);
    core->tls = *tls;
  }
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) {
    // A host name: resolve it once.
    tcp::resolver resolver(*core->io);
    auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("HTTP server cannot resolve " + options.host + ": " +
                                     ec.message());
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  core->acceptor.emplace(*core->io);
  core->acceptor->open(endpoint.protocol(), ec);
  // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second daemon on the same port
  // must fail to start instead of silently sharing the traffic.
  if (!ec) core->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) core->acceptor->bind(endpoint, ec);
  if (!ec) core->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("HTTP server cannot listen on " + where + ": " + ec.message());
  }
  impl_->port = core->acceptor->local_endpoint().port();
  RaiseOpenFileLimit(options.max_connections);
  core->pool = std::make_unique<WorkerPool>(options.max_threads, options.max_queued);
  Accept(core.get());
  const bool tls = !options.tls_cert_file.empty();  // else Start returned above
  impl_->core = std::move(core);
  asio::io_context* io = impl_->core->io.get();
  impl_->io_thread = std::thread([io] {
    // Handlers of the I/O thread report errors as error_codes; should one throw all the same,
    // the loop goes on (the connection concerned is abandoned) rather than the whole server
    // going deaf, and the log says so.
    auto work = asio::make_work_guard(*io);
    while (true) {
      try {
        io->run();
        return;
      } catch (const std::exception& e) {
        spdlog::critical("http: a handler of the I/O thread threw (the server goes on): {}",
                         e.what());
      }
    }
  });
  spdlog::debug("http: listening on {}:{}{}", options.host, impl_->port, tls ? " (TLS)" : "");
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->core) return;
  Core* core = impl_->core.get();
  core->stopping = true;
  // Runs on the I/O thread and waits for it: closes the acceptor and every session that is not
  // writing a reply (nor, unless even_if_waiting, waiting for its handler).
  auto close_sessions = [core](bool even_if_waiting) {
    std::promise<void> done;
    asio::post(*core->io, [core, even_if_waiting, &done] {
      boost::system::error_code ignored;
      core->acceptor->close(ignored);
      std::vector<std::shared_ptr<SessionBase>> live;
      {
        MutexLock lock(core->sessions_mutex);
        for (auto& [raw, session] : core->sessions) live.push_back(session);
      }
      for (auto& session : live) session->CloseIfIdle(even_if_waiting);
      done.set_value();
    });
    done.get_future().wait();
  };
  // Idle and half-read connections go first; handlers in progress finish and their replies
  // are written (a stopping server closes each connection after its reply).
  close_sessions(false);
  core->pool->StopAndJoin();
  auto deadline = SteadyClock::now() + std::chrono::seconds(2);
  while (core->open_connections.load() > 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    close_sessions(false);
  }
  // Async requests still waiting get no reply: their Responders find the session closed.
  close_sessions(true);
  {
    MutexLock lock(core->gate->mutex);
    core->gate->io = nullptr;
  }
  core->io->stop();
  if (impl_->io_thread.joinable()) impl_->io_thread.join();
  impl_->core.reset();
}

Status HttpServer::ReloadTls() {
  if (!impl_->core) return Status::Ok();
  {
    MutexLock lock(impl_->core->tls_mutex);
    if (!impl_->core->tls) return Status::Ok();  // plain HTTP stays plain
  }
  Result<std::shared_ptr<asio::ssl::context>> tls = MakeTlsContext(impl_->options);
  if (!tls.ok()) return tls.status().WithContext("reloading TLS (the old certificate stays)");
  MutexLock lock(impl_->core->tls_mutex);
  impl_->core->tls = *tls;
  return Status::Ok();
}

int HttpServer::port() const { return impl_->port; }

ServerStats HttpServer::stats() const {
  ServerStats stats;
  if (!impl_->core) return stats;
  stats.open_connections = impl_->core->open_connections.load();
  stats.refused_connections = impl_->core->refused_connections.load();
  stats.timed_out_requests = impl_->core->timed_out_requests.load();
  stats.rejected_requests = impl_->core->rejected_requests.load();
  return stats;
}

}  // namespace beacon::http
