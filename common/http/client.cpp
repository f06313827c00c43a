// CurlHttpClient: HttpClient on libcurl. Easy handles are pooled per client and reused so
// keep-alive connections survive between requests; errors never echo query strings or headers.
#include "common/http/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <string_view>
#include <vector>

#include "common/strings.h"

namespace beacon::http {
namespace {

// Idle handles kept per client; more threads than this just create and drop extra handles.
constexpr size_t kMaxPooledHandles = 8;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// "scheme://host:port/path" for error messages: no user info, query or fragment, which may
// carry credentials or tokens.
std::string RedactedUrl(const std::string& url) {
  CURLU* handle = curl_url();
  std::string out = "<invalid URL>";
  if (handle != nullptr && curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    char* path = nullptr;
    curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(handle, CURLUPART_HOST, &host, 0);
    curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    curl_url_get(handle, CURLUPART_PATH, &path, 0);
    out = std::string(scheme ? scheme : "") + "://" + (host ? host : "") + ":" +
          (port ? port : "") + (path ? path : "/");
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
  }
  curl_url_cleanup(handle);
  return out;
}

struct Transfer {
  HttpResponse response;
  int64_t max_bytes = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (static_cast<int64_t>(transfer->response.body.size() + bytes) > transfer->max_bytes) {
    transfer->too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after "100 Continue" for instance): earlier headers were interim.
    transfer->response.headers = Headers();
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    transfer->response.headers.Add(Trim(line.substr(0, colon), kAsciiSpace),
                                   std::string(Trim(line.substr(colon + 1), kAsciiSpace)));
  }
  return bytes;
}

Status MapCurlError(CURLcode code, bool too_large, const std::string& prefix,
                    const std::string& detail) {
  std::string message = prefix + " failed: " + detail;
  if (too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return Status::ResourceExhausted(prefix + " failed: response body exceeds the size limit");
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status::DeadlineExceeded(std::move(message));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::InvalidArgument(std::move(message));
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return Status::Internal(std::move(message));
    default:
      // DNS, connect, TLS, send and receive failures, and anything else on the wire:
      // transient from the caller's point of view.
      return Status::Unavailable(std::move(message));
  }
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlClientOptions options) : options_(std::move(options)) {
    GlobalInitOnce();
  }

  ~CurlHttpClient() override {
    for (CURL* handle : pool_) curl_easy_cleanup(handle);
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    CURL* handle = Acquire();
    if (handle == nullptr) return Status::Internal("curl_easy_init failed");
    Result<HttpResponse> result = Perform(handle, request);
    Release(handle);
    return result;
  }

 private:
  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!pool_.empty()) {
        CURL* handle = pool_.back();
        pool_.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pool_.size() < kMaxPooledHandles) {
      pool_.push_back(handle);
    } else {
      curl_easy_cleanup(handle);
    }
  }

  Result<HttpResponse> Perform(CURL* handle, const HttpRequest& request) {
    // Reset drops the previous request's options but keeps the connection cache.
    curl_easy_reset(handle);
    const std::string prefix = request.method + " " + RedactedUrl(request.url);
    Transfer transfer;
    transfer.max_bytes = options_.max_response_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout_ms));
    int64_t timeout_ms = request.timeout_ms > 0 ? request.timeout_ms : options_.timeout_ms;
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_file.empty())
      curl_easy_setopt(handle, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (!options_.client_cert_file.empty()) {
      curl_easy_setopt(handle, CURLOPT_SSLCERT, options_.client_cert_file.c_str());
      curl_easy_setopt(handle, CURLOPT_SSLKEY, options_.client_key_file.c_str());
    }
    curl_easy_setopt(handle, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(options_.max_response_bytes));
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);

    if (request.method == "HEAD") {
      curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET" || !request.body.empty()) {
      // The body is sent as-is (no copy); it outlives curl_easy_perform.
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
      if (request.method != "POST") {
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    }

    curl_slist* header_list = nullptr;
    for (const auto& [name, value] : request.headers.all()) {
      // "Name;" is curl's way to send a header with an empty value.
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      header_list = curl_slist_append(header_list, line.c_str());
    }
    if (!request.headers.Has("content-type")) {
      // Suppress curl's default form content type: callers say what they send.
      header_list = curl_slist_append(header_list, "Content-Type:");
    }
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list);

    CURLcode code = curl_easy_perform(handle);
    curl_slist_free_all(header_list);
    // The handle goes back to the pool; it must not point at this stack frame.
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);

    if (code != CURLE_OK) {
      std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
      size_t query_start = request.url.find('?');
      if (query_start != std::string::npos &&
          detail.find(request.url.substr(query_start + 1)) != std::string::npos) {
        detail = curl_easy_strerror(code);  // never echo a query string
      }
      return MapCurlError(code, transfer.too_large, prefix, detail);
    }
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    transfer.response.status = static_cast<int>(status);
    return std::move(transfer.response);
  }

  const CurlClientOptions options_;
  std::mutex mutex_;
  std::vector<CURL*> pool_;  // idle handles, guarded by mutex_
};

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient(const CurlClientOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace beacon::http
