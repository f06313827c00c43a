// Alibaba Cloud RPC signing, credentials, endpoints and the retrying client (see rpc.h).
#include "common/cloud/aliyun/rpc.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/crypto/crypto.h"
#include "common/json/parse.h"
#include "common/log/log.h"
#include "common/strings.h"
#include "common/url.h"

namespace beacon::aliyun {
namespace {

// Regions whose SLB endpoint is the central slb.aliyuncs.com (the SDKs' endpoint table).
constexpr std::array<std::string_view, 9> kCentralSlbRegions = {
    "cn-hangzhou", "cn-shanghai",    "cn-beijing", "cn-shenzhen", "cn-qingdao",
    "cn-hongkong", "ap-southeast-1", "us-east-1",  "us-west-1"};

// Products whose endpoint the `endpoints` map may override.
constexpr std::array<std::string_view, 4> kKnownProducts = {kSlb.name, kAlidns.name, kRds.name,
                                                            kCms.name};

// Error codes that mean "not done, try again": throttling, overload and the SLB busy states.
constexpr std::array<std::string_view, 8> kRetryableCodes = {
    "ServiceUnavailable",   "InternalError",
    "SystemBusy",           "OperationBusy",
    "ServiceIsStopping",    "BackendServer.configuring",
    "ServiceIsConfiguring", "OperationFailed.TokenIsProcessing"};

// Error messages are quoted into Status messages and chat replies: bounded.
constexpr size_t kMaxMessageBytes = 300;
// Largest API answer parsed (paged lists stay far below this).
constexpr size_t kMaxBodyBytes = 8 * 1024 * 1024;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

StatusCode CodeFor(const RpcError& error, bool retryable) {
  const std::string& code = error.code;
  if (retryable) return StatusCode::kUnavailable;
  if (code.starts_with("InvalidAccessKeyId") || code == "SignatureDoesNotMatch" ||
      code == "IncompleteSignature" || code.starts_with("InvalidSecurityToken")) {
    return StatusCode::kUnauthenticated;
  }
  if (code.starts_with("Forbidden") || error.http_status == 403) {
    return StatusCode::kPermissionDenied;
  }
  if (EndsWith(code, ".NotFound") || EndsWith(code, ".NoExist") || error.http_status == 404) {
    return StatusCode::kNotFound;
  }
  if (error.http_status >= 500) return StatusCode::kInternal;
  return StatusCode::kInvalidArgument;
}

std::string StringField(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string DefaultNonce() { return crypto::HexEncode(crypto::RandomBytes(16)); }

void DefaultSleep(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::optional<std::string> ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void RegisterCredentials(const Credentials& credentials) {
  log::RegisterSecret(credentials.access_key_secret);
  if (!credentials.security_token.empty()) log::RegisterSecret(credentials.security_token);
}

}  // namespace

std::string RpcCanonicalQuery(const RpcParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    if (!out.empty()) out += '&';
    out += PercentEncode(name);
    out += '=';
    out += PercentEncode(value);
  }
  return out;
}

std::string RpcStringToSign(const RpcParams& params, std::string_view method) {
  return std::string(method) + "&" + PercentEncode("/") + "&" +
         PercentEncode(RpcCanonicalQuery(params));
}

std::string SignRpcV1(const RpcParams& params, std::string_view method,
                      std::string_view access_key_secret) {
  const std::string key = std::string(access_key_secret) + "&";
  return crypto::Base64Encode(crypto::HmacSha1(key, RpcStringToSign(params, method)));
}

std::string FormatRpcTimestamp(int64_t unix_ms) {
  // FormatRfc3339 without the milliseconds: "2016-02-23T12:46:24.999Z" -> "...:24Z".
  std::string text = FormatRfc3339(unix_ms);
  return text.substr(0, text.find('.')) + "Z";
}

std::string DefaultEndpoint(const Product& product, std::string_view region) {
  if (product.name == kAlidns.name) return "https://alidns.aliyuncs.com";
  if (product.name == kRds.name) return "https://rds.aliyuncs.com";
  if (product.name == kCms.name) return "https://metrics." + std::string(region) + ".aliyuncs.com";
  if (product.name == kSlb.name) {
    for (std::string_view central : kCentralSlbRegions) {
      if (region == central) return "https://slb.aliyuncs.com";
    }
  }
  return "https://" + std::string(product.name) + "." + std::string(region) + ".aliyuncs.com";
}

Result<Credentials> LoadCredentialsFile(const std::string& path) {
  BEACON_ASSIGN_OR_RETURN(auto doc, config::Document::LoadFile(path));
  config::Node root = doc->root();
  Credentials credentials;
  root.Require("access_key_id");
  root.Require("access_key_secret");
  root.Get("access_key_id", &credentials.access_key_id);
  root.Get("access_key_secret", &credentials.access_key_secret);
  root.Get("security_token", &credentials.security_token);
  if (root.Has("access_key_id") && credentials.access_key_id.empty()) {
    root.Error("access_key_id", "must not be empty");
  }
  if (root.Has("access_key_secret") && credentials.access_key_secret.empty()) {
    root.Error("access_key_secret", "must not be empty");
  }
  // Register before Finish: an error message must never be the first to see the secret.
  RegisterCredentials(credentials);
  BEACON_RETURN_IF_ERROR(doc->Finish());
  return credentials;
}

Result<Credentials> CredentialsFromEnvironment(const EnvLookup& lookup) {
  std::optional<std::string> id = lookup("ALIBABA_CLOUD_ACCESS_KEY_ID");
  std::optional<std::string> secret = lookup("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  if (!id || id->empty() || !secret || secret->empty()) {
    return Status::NotFound(
        "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not both set");
  }
  Credentials credentials{*id, *secret, lookup("ALIBABA_CLOUD_SECURITY_TOKEN").value_or("")};
  RegisterCredentials(credentials);
  return credentials;
}

Result<Credentials> CredentialsFromEnvironment() { return CredentialsFromEnvironment(ProcessEnv); }

Result<Credentials> LoadCredentials(const std::string& credentials_file, const EnvLookup& lookup) {
  if (!credentials_file.empty()) return LoadCredentialsFile(credentials_file);
  return CredentialsFromEnvironment(lookup);
}

RpcClientConfig ReadRpcClientConfigDeferred(config::Node node, std::string* credentials_file) {
  RpcClientConfig config;
  node.Require("region");
  node.Get("region", &config.region);
  std::string file;
  node.Get("credentials_file", &file);
  *credentials_file = Resolve(node.base_dir(), file);
  for (auto& [product, value] : node.Entries("endpoints")) {
    std::string endpoint = value.Scalar();
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    const std::string key = "endpoints." + product;
    if (std::find(kKnownProducts.begin(), kKnownProducts.end(), product) == kKnownProducts.end()) {
      node.Error(key, "unknown product (known: slb, alidns, rds, cms)");
    } else if (!IsHttpUrl(endpoint) ||
               endpoint.find('/', endpoint.find("://") + 3) != std::string::npos) {
      node.Error(key, "must be http(s)://host[:port] without a path");
    } else {
      config.endpoints[product] = endpoint;
    }
  }
  node.GetDurationMs("timeout", &config.timeout_ms, 100, 600'000);
  config::Node retry = node.Child("retry");
  retry.Get("attempts", &config.max_attempts, 1, 10);
  retry.GetDurationMs("initial_backoff", &config.backoff.initial_ms, 0, 600'000);
  retry.GetDurationMs("max_backoff", &config.backoff.max_ms, 0, 600'000);
  if (config.backoff.max_ms < config.backoff.initial_ms) {
    retry.Error("max_backoff", "must not be less than initial_backoff");
  }
  return config;
}

RpcClientConfig ReadRpcClientConfig(config::Node node, const EnvLookup& lookup) {
  std::string credentials_file;
  RpcClientConfig config = ReadRpcClientConfigDeferred(node, &credentials_file);
  Result<Credentials> credentials = LoadCredentials(credentials_file, lookup);
  if (credentials.ok()) {
    config.credentials = *credentials;
  } else if (!credentials_file.empty()) {
    node.Error("credentials_file", credentials.status().message());
  } else {
    node.Error("credentials_file",
               "required unless ALIBABA_CLOUD_ACCESS_KEY_ID and "
               "ALIBABA_CLOUD_ACCESS_KEY_SECRET are set");
  }
  return config;
}

RpcClientConfig ReadRpcClientConfig(config::Node node) {
  return ReadRpcClientConfig(node, ProcessEnv);
}

bool IsRetryableRpcError(const RpcError& error) {
  if (error.http_status >= 500) return true;
  if (error.code.starts_with("Throttling")) return true;
  for (std::string_view code : kRetryableCodes) {
    if (error.code == code) return true;
  }
  return false;
}

RpcError ParseRpcError(int http_status, std::string_view body) {
  RpcError error;
  error.http_status = http_status;
  Result<nlohmann::json> parsed = ParseJson(
      body, JsonLimits{.max_depth = 16, .max_bytes = kMaxBodyBytes, .max_values = 100'000});
  if (!parsed.ok() || !parsed->is_object()) return error;
  error.code = StringField(*parsed, "Code");
  error.message = std::string(TruncateUtf8(StringField(*parsed, "Message"), kMaxMessageBytes));
  error.request_id = StringField(*parsed, "RequestId");
  return error;
}

std::string EncodeRpcForm(const RpcParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += PercentEncode(name);
    out += '=';
    out += PercentEncode(value);
  }
  return out;
}

RpcClient::RpcClient(RpcClientConfig config, RpcClientDeps deps)
    : config_(std::move(config)), deps_(std::move(deps)) {
  if (!deps_.nonce) deps_.nonce = DefaultNonce;
  if (!deps_.sleep) deps_.sleep = DefaultSleep;
  if (!deps_.random01) deps_.random01 = RandomUnit;
  if (deps_.clock == nullptr) deps_.clock = &SystemClock::Instance();
  if (config_.max_attempts < 1) config_.max_attempts = 1;
}

RpcParams RpcClient::SignedParams(const RpcClientConfig& config, const Product& product,
                                  std::string_view action, RpcParams params,
                                  std::string_view method, int64_t now_ms, std::string nonce) {
  params["Action"] = std::string(action);
  params["Version"] = std::string(product.version);
  params["Format"] = "JSON";
  params["AccessKeyId"] = config.credentials.access_key_id;
  params["SignatureMethod"] = "HMAC-SHA1";
  params["SignatureVersion"] = "1.0";
  params["SignatureNonce"] = std::move(nonce);
  params["Timestamp"] = FormatRpcTimestamp(now_ms);
  if (!config.region.empty() && !params.contains("RegionId")) params["RegionId"] = config.region;
  if (!config.credentials.security_token.empty()) {
    params["SecurityToken"] = config.credentials.security_token;
  }
  params.erase("Signature");
  params["Signature"] = SignRpcV1(params, method, config.credentials.access_key_secret);
  return params;
}

std::string RpcClient::EndpointFor(const Product& product) const {
  auto it = config_.endpoints.find(std::string(product.name));
  if (it != config_.endpoints.end()) return it->second;
  return DefaultEndpoint(product, config_.region);
}

Result<RpcResponse> RpcClient::Call(const Product& product, std::string_view action,
                                    RpcParams params, Idempotency idempotency,
                                    RpcError* error_out) const {
  const std::string what = std::string(product.name) + " " + std::string(action);
  http::HttpRequest request;
  request.method = "POST";
  request.url = EndpointFor(product) + "/";
  request.timeout_ms = config_.timeout_ms;
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.Set("Accept", "application/json");

  for (int attempt = 1;; ++attempt) {
    // A new nonce and timestamp every attempt: a resent nonce is refused as SignatureNonceUsed.
    request.body = EncodeRpcForm(SignedParams(config_, product, action, params, "POST",
                                              deps_.clock->NowMs(), deps_.nonce()));
    Result<http::HttpResponse> response = deps_.http->Send(request);
    const bool last = attempt >= config_.max_attempts;
    const std::string attempts =
        std::to_string(attempt) + (attempt == 1 ? " attempt" : " attempts");
    if (!response.ok()) {
      const bool retry =
          response.status().IsTransient() && idempotency == Idempotency::kIdempotent && !last;
      if (!retry) {
        return Status(response.status().code(),
                      what + ": " + response.status().message() + " (" + attempts + ")");
      }
    } else if (response->status >= 200 && response->status < 300) {
      Result<nlohmann::json> body = ParseJson(
          response->body,
          JsonLimits{.max_depth = 32, .max_bytes = kMaxBodyBytes, .max_values = 1'000'000});
      if (!body.ok() || !body->is_object()) {
        return Status::Corruption(what + ": answer is not a JSON object" +
                                  (body.ok() ? "" : ": " + body.status().message()));
      }
      RpcResponse out;
      out.request_id = StringField(*body, "RequestId");
      out.body = std::move(body).value();
      out.attempts = attempt;
      return out;
    } else {
      RpcError error = ParseRpcError(response->status, response->body);
      const bool retryable = IsRetryableRpcError(error);
      if (!retryable || last) {
        if (error_out != nullptr) *error_out = error;
        std::string message = what + ": " + (error.code.empty() ? "error" : error.code);
        if (!error.message.empty()) message += ": " + error.message;
        message += " (HTTP " + std::to_string(error.http_status) + ", RequestId " +
                   (error.request_id.empty() ? "none" : error.request_id) + ", " + attempts + ")";
        return Status(CodeFor(error, retryable), std::move(message));
      }
    }
    deps_.sleep(config_.backoff.DelayMs(attempt, deps_.random01()));
  }
}

}  // namespace beacon::aliyun
