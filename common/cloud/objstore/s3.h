// S3 backend of ObjectStore (any S3-compatible endpoint, path-style or virtual-host style) and
// its pure AWS Signature Version 4 signer. The store is thread-safe; the signer has no state.
#pragma once

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

// An S3 store talking to config.endpoint through `http`; `clock` dates the signatures and must
// outlive the store. Never fails: a bad endpoint shows up as InvalidArgument on the first call.
std::unique_ptr<ObjectStore> NewS3Store(const StoreConfig& config,
                                        std::shared_ptr<http::HttpClient> http, const Clock& clock);

namespace s3 {

// What SigV4 covers of one request. Everything raw (un-encoded); the signer encodes.
struct SigningRequest {
  std::string method;  // "GET"
  std::string path;    // "/bucket/my key+1.txt"; each segment encoded once, '/' kept
  std::vector<std::pair<std::string, std::string>> query;  // any order; "uploads" -> {"uploads",""}
  std::map<std::string, std::string> headers;              // any case; unsigned ones are skipped
  std::string payload_hash;  // hex SHA-256 of the body (what x-amz-content-sha256 carries)
};

// True for the headers S3 requests sign: host, x-amz-*, content-md5, content-type, range.
bool IsSignedHeader(std::string_view lower_name);
// "host;range;x-amz-content-sha256;x-amz-date".
std::string SignedHeaders(const SigningRequest& request);
// METHOD \n path \n sorted query \n canonical headers \n \n signed headers \n payload hash.
std::string CanonicalRequest(const SigningRequest& request);
// "20150830/us-east-1/service/aws4_request".
std::string CredentialScope(std::string_view amz_date, std::string_view region,
                            std::string_view service);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view canonical_request, std::string_view amz_date,
                         std::string_view region, std::string_view service);
// The full Authorization header value:
// "AWS4-HMAC-SHA256 Credential=AK/<scope>, SignedHeaders=a;b, Signature=<hex>".
// `amz_date` is "20150830T123600Z" and must equal the request's x-amz-date header.
std::string SignV4(const SigningRequest& request, const Credentials& credentials,
                   std::string_view region, std::string_view service, std::string_view amz_date);
// "20150830T123600Z" for a Unix time in milliseconds (UTC).
std::string AmzDate(int64_t unix_ms);

// S3 names of Beacon's classes ("STANDARD", "STANDARD_IA", "GLACIER", "DEEP_ARCHIVE"), and back;
// an absent header means STANDARD, unknown names (e.g. "GLACIER_IR") map to the nearest class.
std::string_view S3StorageClassName(StorageClass storage_class);
StorageClass ParseS3StorageClass(std::string_view name);
// x-amz-restore header ("ongoing-request=\"true\"") -> state, given the object's class.
RestoreState ParseRestoreHeader(std::string_view header, StorageClass storage_class);

}  // namespace s3
}  // namespace beacon::objstore
