// AWS Signature Version 4 for S3 requests as pure functions (header-based auth, hashed payload),
// checked against AWS's published vectors and botocore in tests/unit/common/s3_signer_test.cpp.
#include <algorithm>
#include <ctime>

#include "common/cloud/objstore/s3.h"
#include "common/crypto/crypto.h"
#include "common/strings.h"
#include "common/url.h"

namespace beacon::objstore::s3 {
namespace {

// SigV4 "Trimall": no leading/trailing whitespace, inner runs of spaces become one space.
std::string TrimAll(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// Signed headers by lower-case name; repeated names (different case in the input map) are
// joined with ',' as an HTTP list.
std::map<std::string, std::string> CanonicalHeaderMap(const SigningRequest& request) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : request.headers) {
    std::string lower = Lower(TrimAll(name));
    if (!IsSignedHeader(lower)) continue;
    auto [it, inserted] = out.emplace(lower, TrimAll(value));
    if (!inserted) {
      it->second.push_back(',');
      it->second.append(TrimAll(value));
    }
  }
  return out;
}

}  // namespace

bool IsSignedHeader(std::string_view lower_name) {
  return lower_name == "host" || lower_name.rfind("x-amz-", 0) == 0 ||
         lower_name == "content-md5" || lower_name == "content-type" || lower_name == "range";
}

std::string SignedHeaders(const SigningRequest& request) {
  std::string out;
  for (const auto& [name, value] : CanonicalHeaderMap(request)) {
    if (!out.empty()) out.push_back(';');
    out += name;
  }
  return out;
}

std::string CanonicalRequest(const SigningRequest& request) {
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [name, value] : request.query) {
    query.emplace_back(PercentEncode(name), PercentEncode(value));
  }
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [name, value] : query) {
    if (!canonical_query.empty()) canonical_query.push_back('&');
    canonical_query += name + "=" + value;
  }
  std::string canonical_headers;
  for (const auto& [name, value] : CanonicalHeaderMap(request)) {
    canonical_headers += name + ":" + value + "\n";
  }
  std::string path = request.path.empty() ? "/" : PercentEncode(request.path, "/");
  return request.method + "\n" + path + "\n" + canonical_query + "\n" + canonical_headers + "\n" +
         SignedHeaders(request) + "\n" + request.payload_hash;
}

std::string CredentialScope(std::string_view amz_date, std::string_view region,
                            std::string_view service) {
  return std::string(amz_date.substr(0, 8)) + "/" + std::string(region) + "/" +
         std::string(service) + "/aws4_request";
}

std::string StringToSign(std::string_view canonical_request, std::string_view amz_date,
                         std::string_view region, std::string_view service) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" +
         CredentialScope(amz_date, region, service) + "\n" + crypto::Sha256Hex(canonical_request);
}

std::string SignV4(const SigningRequest& request, const Credentials& credentials,
                   std::string_view region, std::string_view service, std::string_view amz_date) {
  std::string string_to_sign = StringToSign(CanonicalRequest(request), amz_date, region, service);
  std::string key =
      crypto::HmacSha256("AWS4" + credentials.secret_access_key, amz_date.substr(0, 8));
  key = crypto::HmacSha256(key, region);
  key = crypto::HmacSha256(key, service);
  key = crypto::HmacSha256(key, "aws4_request");
  std::string signature = crypto::HexEncode(crypto::HmacSha256(key, string_to_sign));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
         CredentialScope(amz_date, region, service) + ", SignedHeaders=" + SignedHeaders(request) +
         ", Signature=" + signature;
}

std::string AmzDate(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

std::string_view S3StorageClassName(StorageClass storage_class) {
  switch (storage_class) {
    case StorageClass::kStandard:
      return "STANDARD";
    case StorageClass::kInfrequent:
      return "STANDARD_IA";
    case StorageClass::kArchive:
      return "GLACIER";
    case StorageClass::kColdArchive:
      return "DEEP_ARCHIVE";
  }
  return "STANDARD";
}

StorageClass ParseS3StorageClass(std::string_view name) {
  if (name == "STANDARD_IA" || name == "ONEZONE_IA" || name == "GLACIER_IR" ||
      name == "INTELLIGENT_TIERING") {
    // Readable at once, billed like infrequent access: what kInfrequent means to callers.
    return StorageClass::kInfrequent;
  }
  if (name == "GLACIER") return StorageClass::kArchive;
  if (name == "DEEP_ARCHIVE") return StorageClass::kColdArchive;
  return StorageClass::kStandard;  // "", STANDARD, REDUCED_REDUNDANCY, vendor names
}

RestoreState ParseRestoreHeader(std::string_view header, StorageClass storage_class) {
  if (!IsArchiveClass(storage_class)) return RestoreState::kNotArchived;
  std::string compact;
  for (char c : header) {
    if (c != ' ' && c != '\t') compact.push_back(c);
  }
  compact = Lower(compact);
  if (compact.find("ongoing-request=\"true\"") != std::string::npos) {
    return RestoreState::kInProgress;
  }
  if (compact.find("ongoing-request=\"false\"") != std::string::npos) {
    return RestoreState::kRestored;
  }
  return RestoreState::kArchived;
}

}  // namespace beacon::objstore::s3
