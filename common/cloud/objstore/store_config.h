// Object store configuration shared by agent.yaml (`backup.stores`) and collector.yaml
// (`backups.stores`), and the factory that builds a backend from it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/cloud/objstore/object_store.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "common/status.h"

namespace beacon::objstore {

// One store, e.g.
//   stores:
//     local:   {type: local, path: /var/lib/beacon-backup}
//     minio:   {type: s3, endpoint: https://s3.example.com, region: us-east-1, bucket: b,
//               path_style: true, access_key_id: AK, secret_access_key_file: /etc/beacon/sk}
//     oss:     {type: oss, endpoint: https://oss-cn-hangzhou.aliyuncs.com, region: cn-hangzhou,
//               bucket: b, signature: v4, access_key_id: AK, secret_access_key_env: OSS_SK}
struct StoreConfig {
  std::string name;
  std::string type = "local";  // local | s3 | oss
  std::string path;            // local: root directory (made absolute against the file)
  std::string endpoint;        // s3/oss: scheme://host[:port]
  std::string region;          // s3: us-east-1 default; oss: required for v4
  std::string bucket;
  bool path_style = false;       // s3: https://endpoint/bucket/key instead of bucket.endpoint
  std::string signature = "v4";  // oss: v4 | v1
  Credentials credentials;       // access_key_id plain; secret from *_file or *_env
  int64_t timeout_ms = 60000;    // per request
  bool tls_verify = true;
  std::string ca_file;
  StoreRetry retry;
  uint64_t part_size = 8 * 1024 * 1024;             // multipart part size
  uint64_t multipart_threshold = 16 * 1024 * 1024;  // compressed size above which multipart is used
};

// Reads every store under `node` (a mapping name -> store); errors are recorded on the document
// with their path and line. Secrets are read from *_file / *_env keys only.
std::map<std::string, StoreConfig> ReadStoreConfigs(config::Node node);

// Builds a backend. `http` may be null for local stores; s3/oss stores use it for every
// request (tests inject fakes).
Result<std::unique_ptr<ObjectStore>> NewObjectStore(const StoreConfig& config,
                                                    std::shared_ptr<http::HttpClient> http);
// As above with a libcurl client made from the config's timeout/TLS settings.
Result<std::unique_ptr<ObjectStore>> NewObjectStore(const StoreConfig& config);

}  // namespace beacon::objstore
