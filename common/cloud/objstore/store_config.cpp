// Reads `stores:` sections (agent.yaml backup.stores, collector.yaml backups.stores) into
// StoreConfig with per-type rules, and builds the matching ObjectStore backend.
#include "common/cloud/objstore/store_config.h"

#include <filesystem>

#include "common/clock.h"
#include "common/cloud/objstore/local.h"
#include "common/cloud/objstore/oss.h"
#include "common/cloud/objstore/s3.h"
#include "common/log/log.h"
#include "common/url.h"

namespace beacon::objstore {
namespace {

constexpr int64_t kMaxPartSize = int64_t{5} << 30;  // S3 and OSS limit for one part

bool IsValidStoreName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || base_dir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

// The minimum part size of each backend, so a config cannot ask for parts the store refuses.
int64_t MinPartSizeFor(const std::string& type) {
  if (type == "s3") return int64_t{5} << 20;
  if (type == "oss") return 100 << 10;
  return 64 << 10;
}

void ReadRemote(config::Node& node, StoreConfig* store) {
  node.Require("endpoint");
  node.Get("endpoint", &store->endpoint);
  if (!store->endpoint.empty() && !IsHttpUrl(store->endpoint)) {
    node.Error("endpoint", "must start with http:// or https://");
  } else if (!store->endpoint.empty()) {
    std::string rest = store->endpoint.substr(store->endpoint.find("://") + 3);
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.empty() || rest.find('/') != std::string::npos) {
      node.Error("endpoint", "must be scheme://host[:port] without a path");
    }
  }
  node.Require("bucket");
  node.Get("bucket", &store->bucket);
  node.Get("region", &store->region);
  node.Get("path_style", &store->path_style);
  node.Require("access_key_id");
  node.Get("access_key_id", &store->credentials.access_key_id);
  config::Secret secret;
  node.GetSecret("secret_access_key", &secret);
  if (!node.Has("secret_access_key_file") && !node.Has("secret_access_key_env") &&
      !node.Has("secret_access_key")) {
    node.Error("secret_access_key_file",
               "required: set secret_access_key_file or secret_access_key_env");
  }
  if (!secret.empty()) {
    log::RegisterSecret(secret.value());
    store->credentials.secret_access_key = secret.value();
  }
  node.Get("tls_verify", &store->tls_verify);
  node.Get("ca_file", &store->ca_file);
  store->ca_file = Resolve(node.base_dir(), store->ca_file);
}

}  // namespace

std::map<std::string, StoreConfig> ReadStoreConfigs(config::Node node) {
  std::map<std::string, StoreConfig> stores;
  for (auto& [name, store_node] : node.MapEntries()) {
    if (!IsValidStoreName(name)) {
      node.Error(name, "store names use letters, digits, '-' and '_' (at most 64)");
      continue;
    }
    if (!store_node.IsMap()) {
      node.Error(name, "expected a mapping with at least `type`");
      continue;
    }
    StoreConfig store;
    store.name = name;
    store.type = "";
    if (store_node.Require("type")) store_node.GetEnum("type", &store.type, {"local", "s3", "oss"});
    if (store.type.empty()) {
      // Reported above; without a type the other keys cannot be judged, so they are not
      // reported as unknown on top.
      store_node.MapEntries();
      continue;
    }

    if (store.type == "local") {
      store_node.Require("path");
      store_node.Get("path", &store.path);
      store.path = Resolve(store_node.base_dir(), store.path);
    } else {
      ReadRemote(store_node, &store);
      if (store.type == "s3") {
        if (store.region.empty()) store.region = "us-east-1";
      } else {
        std::string signature;
        store_node.GetEnum("signature", &signature, {"v4", "v1"});
        bool signature_ok = !signature.empty() || !store_node.Has("signature");
        if (!signature.empty()) store.signature = signature;
        if (signature_ok && store.signature == "v4" && store.region.empty() &&
            store_node.Has("endpoint")) {
          store_node.Error("region", "required for signature v4 (e.g. cn-hangzhou)");
        }
      }
    }

    store_node.GetDurationMs("timeout", &store.timeout_ms, 100);
    config::Node retry = store_node.Child("retry");
    retry.Get("attempts", &store.retry.attempts, 1, 20);
    retry.GetDurationMs("initial_backoff", &store.retry.initial_backoff_ms, 0);
    retry.GetDurationMs("max_backoff", &store.retry.max_backoff_ms, 0);
    if (store.retry.max_backoff_ms < store.retry.initial_backoff_ms) {
      retry.Error("max_backoff", "must not be less than initial_backoff");
    }
    int64_t part_size = static_cast<int64_t>(store.part_size);
    store_node.GetBytes("part_size", &part_size, MinPartSizeFor(store.type));
    if (part_size > kMaxPartSize) store_node.Error("part_size", "must be at most 5GiB");
    store.part_size = static_cast<uint64_t>(part_size);
    int64_t threshold = static_cast<int64_t>(store.multipart_threshold);
    store_node.GetBytes("multipart_threshold", &threshold, 0);
    store.multipart_threshold = static_cast<uint64_t>(threshold);
    if (store.multipart_threshold < store.part_size) {
      store_node.Error(store_node.Has("multipart_threshold") ? "multipart_threshold" : "part_size",
                       "multipart_threshold must be at least part_size");
    }
    stores[name] = std::move(store);
  }
  return stores;
}

Result<std::unique_ptr<ObjectStore>> NewObjectStore(const StoreConfig& config,
                                                    std::shared_ptr<http::HttpClient> http) {
  if (config.type == "local") return NewLocalStore(config);
  if (config.type != "s3" && config.type != "oss") {
    return Status::InvalidArgument("store '" + config.name + "': unknown type '" + config.type +
                                   "' (expected local, s3 or oss)");
  }
  if (!http) {
    return Status::InvalidArgument("store '" + config.name + "': " + config.type +
                                   " needs an HTTP client");
  }
  if (config.type == "s3") return NewS3Store(config, std::move(http), SystemClock::Instance());
  return NewOssStore(config, std::move(http), SystemClock::Instance());
}

Result<std::unique_ptr<ObjectStore>> NewObjectStore(const StoreConfig& config) {
  if (config.type == "local") return NewLocalStore(config);
  http::CurlClientOptions options;
  options.timeout_ms = config.timeout_ms;
  options.connect_timeout_ms = std::min<int64_t>(config.timeout_ms, 10'000);
  options.verify_tls = config.tls_verify;
  options.ca_file = config.ca_file;
  // A part plus headroom: GET of a whole backup object is bounded by what the pipeline wrote.
  options.max_response_bytes = int64_t{8} << 30;
  return NewObjectStore(config, http::NewCurlHttpClient(options));
}

}  // namespace beacon::objstore
