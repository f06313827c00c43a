// Alibaba Cloud OSS backend of ObjectStore (native API, virtual-host or path-style addressing)
// and its pure request signers, OSS4-HMAC-SHA256 (V4, the default) and HMAC-SHA1 (V1).
// The store is thread-safe; the signers have no state and take the time as a parameter.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/cloud/objstore/object_store.h"
#include "common/cloud/objstore/store_config.h"
#include "common/http/client.h"
#include "common/status.h"

namespace beacon::objstore {

// An OSS store talking to config.endpoint through `http`; `clock` dates the signatures and must
// outlive the store. Never fails: a bad endpoint shows up as InvalidArgument on the first call.
std::unique_ptr<ObjectStore> NewOssStore(const StoreConfig& config,
                                         std::shared_ptr<http::HttpClient> http,
                                         const Clock& clock);

namespace oss {

// What a signature covers of one request. Everything raw (un-encoded); the signers encode.
struct SigningRequest {
  std::string method;  // "PUT"
  std::string bucket;  // empty for service-level requests
  std::string key;     // raw object key ("a b/ü+1.txt"); empty for bucket-level requests
  // Query parameters in any order; a parameter without a value ("uploads") has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;  // any case; unsigned ones are skipped
};

// True for the query parameters V1 signs (OSS "sub-resources": uploads, uploadId, partNumber,
// restore, acl, continuation-token, response-*, ...). Others (prefix, max-keys) are unsigned.
bool IsV1SubResource(std::string_view name);
// "/bucket/key?partNumber=1&uploadId=ID" (raw key, sorted sub-resources, bare names without
// a value), "/bucket/" for a bucket, "/" for the service.
std::string CanonicalizedResourceV1(const SigningRequest& request);
// VERB \n Content-MD5 \n Content-Type \n Date \n x-oss-* headers (sorted, "k:v\n") + resource.
// `date` is the RFC 1123 Date header value; an x-oss-date header takes its place when present.
std::string StringToSignV1(const SigningRequest& request, std::string_view date);
// "OSS <AccessKeyId>:<base64 HMAC-SHA1>".
std::string SignV1(const SigningRequest& request, const Credentials& credentials,
                   std::string_view date);

// VERB \n /bucket/key (encoded, '/' kept) \n sorted encoded query (bare key when the value is
// empty) \n canonical headers (content-type, content-md5, x-oss-*) \n \n UNSIGNED-PAYLOAD.
std::string CanonicalRequestV4(const SigningRequest& request);
// "OSS4-HMAC-SHA256\n<oss_date>\n<yyyymmdd>/<region>/oss/aliyun_v4_request\n<hex sha256>".
std::string StringToSignV4(std::string_view canonical_request, std::string_view oss_date,
                           std::string_view region);
// "OSS4-HMAC-SHA256 Credential=AK/<yyyymmdd>/<region>/oss/aliyun_v4_request,Signature=<hex>".
// `oss_date` is "20231216T162057Z" and must equal the request's x-oss-date header; the request
// must carry x-oss-content-sha256: UNSIGNED-PAYLOAD.
std::string SignV4(const SigningRequest& request, const Credentials& credentials,
                   std::string_view region, std::string_view oss_date);

// "20231216T162057Z" and "Sat, 16 Dec 2023 16:20:57 GMT" for a Unix time in milliseconds.
std::string OssDate(int64_t unix_ms);
std::string HttpDate(int64_t unix_ms);
// RFC 1123 date -> Unix milliseconds; InvalidArgument when malformed.
Result<int64_t> ParseHttpDate(std::string_view text);

// OSS names of Beacon's classes ("Standard", "IA", "Archive", "ColdArchive") and back; an absent
// header means Standard, DeepColdArchive maps to ColdArchive.
std::string_view OssStorageClassName(StorageClass storage_class);
StorageClass ParseOssStorageClass(std::string_view name);
// x-oss-restore header -> state, given the object's class.
RestoreState ParseRestoreHeader(std::string_view header, StorageClass storage_class);

}  // namespace oss
}  // namespace beacon::objstore
