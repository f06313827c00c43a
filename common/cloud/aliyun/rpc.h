// Alibaba Cloud RPC ("POP") API client: the V1 signature (HMAC-SHA1, SignatureVersion 1.0) as pure
// functions, credentials, endpoints, and RpcClient, which signs, sends, parses JSON errors and
// retries throttling and busy answers with backoff. Pure functions are thread-safe; RpcClient is
// thread-safe once built (it holds no mutable state; the injected clock, nonce source and sleeper
// must be thread-safe). docs/aliyun.md describes credentials, endpoints and the retry policy.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "common/status.h"

namespace beacon::aliyun {

// Request parameters by name (sorted by name, as the signature needs them).
using RpcParams = std::map<std::string, std::string>;

// ---------------------------------------------------------------- signature V1 (pure functions)

// Names and values are encoded with common/url.h PercentEncode (RFC 3986: A-Z a-z 0-9 - _ . ~
// stay, every other UTF-8 byte becomes %XX in upper-case hex: space %20, '*' %2A, '/' %2F), which
// is exactly the encoding the signature needs.

// Every parameter except "Signature", sorted by name, as encode(name)=encode(value) joined by '&'.
std::string RpcCanonicalQuery(const RpcParams& params);
// method + "&%2F&" + encode(RpcCanonicalQuery(params)): the pairs' '&' become %26.
std::string RpcStringToSign(const RpcParams& params, std::string_view method);
// Base64(HMAC-SHA1(access_key_secret + "&", RpcStringToSign(params, method))).
std::string SignRpcV1(const RpcParams& params, std::string_view method,
                      std::string_view access_key_secret);
// "2016-02-23T12:46:24Z": the Timestamp parameter (UTC, whole seconds).
std::string FormatRpcTimestamp(int64_t unix_ms);

// ---------------------------------------------------------------- products and endpoints

// An RPC product: its short name (the key of endpoint overrides) and API version.
struct Product {
  std::string_view name;
  std::string_view version;
};
inline constexpr Product kSlb{"slb", "2014-05-15"};  // Classic Load Balancer (CLB)
inline constexpr Product kAlidns{"alidns", "2015-01-09"};
inline constexpr Product kRds{"rds", "2014-08-15"};  // ApsaraDB RDS
inline constexpr Product kCms{"cms", "2019-01-01"};  // CloudMonitor

// The public endpoint of `product` in `region`, "https://host": SLB is slb.aliyuncs.com in the
// regions the SDKs map there (cn-hangzhou, cn-shanghai, cn-beijing, cn-shenzhen, cn-qingdao,
// cn-hongkong, ap-southeast-1, us-east-1, us-west-1) and slb.<region>.aliyuncs.com elsewhere;
// Alidns is alidns.aliyuncs.com and RDS rds.aliyuncs.com everywhere; CloudMonitor is
// metrics.<region>.aliyuncs.com; another product is <name>.<region>.aliyuncs.com.
std::string DefaultEndpoint(const Product& product, std::string_view region);

// ---------------------------------------------------------------- credentials

// An AccessKey pair, optionally with an STS token (sent as SecurityToken). The secret never
// appears in a message or a log line (the loaders register it with the log redactor).
struct Credentials {
  std::string access_key_id;
  std::string access_key_secret;
  std::string security_token;
};

// A YAML file of `access_key_id: ...`, `access_key_secret: ...` and optionally
// `security_token: ...` (nothing else). InvalidArgument naming the file and the key for a
// missing key, an unknown key or bad YAML; the message never holds a value.
Result<Credentials> LoadCredentialsFile(const std::string& path);

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
// ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, optional
// ALIBABA_CLOUD_SECURITY_TOKEN. NotFound when the pair is not (completely) set.
Result<Credentials> CredentialsFromEnvironment(const EnvLookup& lookup);
Result<Credentials> CredentialsFromEnvironment();
// The file when `credentials_file` is not empty, else the environment (the errors above).
Result<Credentials> LoadCredentials(const std::string& credentials_file, const EnvLookup& lookup);

// ---------------------------------------------------------------- client

struct RpcClientConfig {
  std::string region;  // RegionId of every request, e.g. "cn-hangzhou"
  Credentials credentials;
  // Product name -> "scheme://host[:port]" used instead of DefaultEndpoint (tests, private or
  // VPC endpoints).
  std::map<std::string, std::string> endpoints;
  int max_attempts = 4;                                // 1 = no retry
  Backoff backoff{.initial_ms = 500, .max_ms = 8000};  // between attempts, with jitter
  int64_t timeout_ms = 15000;                          // per HTTP request
};

// The `cloud.aliyun`-style section, e.g.
//   region: cn-hangzhou
//   credentials_file: /etc/beacon/aliyun-credentials.yaml   # absent: the environment variables
//   endpoints: {slb: https://slb-vpc.cn-hangzhou.aliyuncs.com, alidns: http://127.0.0.1:8080}
//   timeout: 15s
//   retry: {attempts: 4, initial_backoff: 500ms, max_backoff: 8s}
// Errors (bad values, an unreadable credentials file, no credentials at all) are recorded on the
// node's document with their key path. `lookup` reads the environment (tests inject one).
RpcClientConfig ReadRpcClientConfig(config::Node node, const EnvLookup& lookup);
RpcClientConfig ReadRpcClientConfig(config::Node node);
// The same section without loading the credentials (left empty): `credentials_file` receives
// the file resolved against the config's directory, "" for the environment. For a daemon that
// loads them with LoadCredentials when it starts (and again after a failure), so a config check
// needs no secret.
RpcClientConfig ReadRpcClientConfigDeferred(config::Node node, std::string* credentials_file);

// A successful (HTTP 2xx) answer.
struct RpcResponse {
  nlohmann::json body;     // the JSON object the API returned
  std::string request_id;  // its RequestId ("" when absent)
  int attempts = 1;        // requests sent, retries included
};

// An API error answer, after retries.
struct RpcError {
  int http_status = 0;
  std::string code;  // "Throttling", "DomainRecordDuplicate", ...; "" when the body had none
  std::string message;
  std::string request_id;
};

// The error codes worth another attempt: Throttling*, ServiceUnavailable, InternalError, the SLB
// busy codes (SystemBusy, OperationBusy, ServiceIsStopping, BackendServer.configuring,
// ServiceIsConfiguring, OperationFailed.TokenIsProcessing); any HTTP 5xx is retried too.
bool IsRetryableRpcError(const RpcError& error);

// Parses an error body {"Code","Message","RequestId",...} (pure). A body that is not a JSON
// object still gives an RpcError with the status and an empty code.
RpcError ParseRpcError(int http_status, std::string_view body);

// Whether a failed call may be sent again after a transport failure (no answer at all): an
// action that changes something and is not idempotent (AddBackendServers) must not be.
enum class Idempotency { kIdempotent, kNotIdempotent };

struct RpcClientDeps {
  std::shared_ptr<http::HttpClient> http;
  const Clock* clock = &SystemClock::Instance();
  // A fresh SignatureNonce per request; default 16 random bytes in hex.
  std::function<std::string()> nonce;
  // Sleeps between attempts; default std::this_thread::sleep_for. Tests record instead.
  std::function<void(int64_t ms)> sleep;
  // Jitter in [0, 1] for the backoff; default RandomUnit().
  std::function<double()> random01;
};

class RpcClient {
 public:
  RpcClient(RpcClientConfig config, RpcClientDeps deps);

  // Calls `action` of `product` with `params` (Action, Version, RegionId, Format=JSON, the
  // AccessKeyId, SignatureMethod/Version, a fresh SignatureNonce and Timestamp and the Signature
  // are added; a caller's RegionId wins) as a signed POST form to the product's endpoint.
  // Retries retryable errors and, for idempotent calls, transport failures, at most
  // max_attempts times in all with backoff, re-signing each attempt. On success the body; on an
  // API error a Status whose message reads
  //   "slb SetBackendServers: Throttling: <Message> (HTTP 400, RequestId <id>, 3 attempts)"
  // with the code: kUnavailable (retryable, attempts exhausted), kUnauthenticated (AccessKey or
  // signature), kPermissionDenied (Forbidden*), kNotFound (*.NotFound / *.NoExist),
  // kInvalidArgument (other 4xx), kInternal (5xx). `error` (optional) receives the structured
  // error. A non-JSON 2xx body is kCorruption. The secret and the signature never appear.
  Result<RpcResponse> Call(const Product& product, std::string_view action, RpcParams params,
                           Idempotency idempotency = Idempotency::kIdempotent,
                           RpcError* error = nullptr) const;

  const RpcClientConfig& config() const { return config_; }

  // The signed form body of one attempt (pure apart from the clock and nonce it is given); what
  // Call sends. Exposed for tests and the fake server's checks.
  static RpcParams SignedParams(const RpcClientConfig& config, const Product& product,
                                std::string_view action, RpcParams params, std::string_view method,
                                int64_t now_ms, std::string nonce);

 private:
  std::string EndpointFor(const Product& product) const;

  RpcClientConfig config_;
  RpcClientDeps deps_;
};

// Encodes params as an application/x-www-form-urlencoded body (RFC 3986 escapes, sorted).
std::string EncodeRpcForm(const RpcParams& params);

}  // namespace beacon::aliyun
