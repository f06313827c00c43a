// Alibaba OSS backend: V4/V1 request signing, the native object API over HttpClient, error
// mapping and retries (each attempt re-signed with a fresh date).
#include "common/cloud/objstore/oss.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <set>

#include "common/cloud/objstore/xml.h"
#include "common/crypto/crypto.h"
#include "common/strings.h"
#include "common/url.h"

namespace beacon::objstore {
namespace oss {
namespace {

// Lower-cased header name -> trimmed value, for the headers a signature covers.
std::map<std::string, std::string> LowerHeaders(const std::map<std::string, std::string>& in) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : in) out[Lower(name)] = TrimWhitespace(value);
  return out;
}

constexpr const char* kDayNames[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm UtcTm(int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

}  // namespace

bool IsV1SubResource(std::string_view name) {
  // The OSS V1 sub-resource list (official SDKs); only these take part in the V1 signature.
  static const std::set<std::string, std::less<>> kSubResources = {"acl",
                                                                   "append",
                                                                   "asyncFetch",
                                                                   "bucketInfo",
                                                                   "callback",
                                                                   "callback-var",
                                                                   "cname",
                                                                   "comp",
                                                                   "continuation-token",
                                                                   "cors",
                                                                   "delete",
                                                                   "encryption",
                                                                   "endTime",
                                                                   "inventory",
                                                                   "inventoryId",
                                                                   "lifecycle",
                                                                   "link",
                                                                   "live",
                                                                   "location",
                                                                   "logging",
                                                                   "objectMeta",
                                                                   "partNumber",
                                                                   "policy",
                                                                   "position",
                                                                   "qos",
                                                                   "qosInfo",
                                                                   "referer",
                                                                   "replication",
                                                                   "replicationLocation",
                                                                   "replicationProgress",
                                                                   "requestPayment",
                                                                   "response-cache-control",
                                                                   "response-content-disposition",
                                                                   "response-content-encoding",
                                                                   "response-content-language",
                                                                   "response-content-type",
                                                                   "response-expires",
                                                                   "restore",
                                                                   "security-token",
                                                                   "sequential",
                                                                   "startTime",
                                                                   "stat",
                                                                   "status",
                                                                   "style",
                                                                   "styleName",
                                                                   "symlink",
                                                                   "tagging",
                                                                   "transferAcceleration",
                                                                   "uploadId",
                                                                   "uploads",
                                                                   "versionId",
                                                                   "versioning",
                                                                   "versions",
                                                                   "vod",
                                                                   "website",
                                                                   "worm",
                                                                   "wormExtend",
                                                                   "wormId",
                                                                   "x-oss-process",
                                                                   "x-oss-request-payer",
                                                                   "x-oss-traffic-limit"};
  return kSubResources.count(name) > 0;
}

std::string CanonicalizedResourceV1(const SigningRequest& request) {
  std::string resource = "/";
  if (!request.bucket.empty()) resource += request.bucket + "/" + request.key;
  std::vector<std::pair<std::string, std::string>> sub;
  for (const auto& [name, value] : request.query) {
    if (IsV1SubResource(name)) sub.emplace_back(name, value);
  }
  std::sort(sub.begin(), sub.end());
  char separator = '?';
  for (const auto& [name, value] : sub) {
    resource += separator;
    resource += name;
    if (!value.empty()) resource += "=" + value;
    separator = '&';
  }
  return resource;
}

std::string StringToSignV1(const SigningRequest& request, std::string_view date) {
  std::map<std::string, std::string> headers = LowerHeaders(request.headers);
  auto get = [&](const std::string& name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  std::string x_oss_date = get("x-oss-date");
  std::string out = request.method + "\n" + get("content-md5") + "\n" + get("content-type") + "\n" +
                    (x_oss_date.empty() ? std::string(date) : x_oss_date) + "\n";
  for (const auto& [name, value] : headers) {  // std::map: already sorted
    if (name.rfind("x-oss-", 0) == 0) out += name + ":" + value + "\n";
  }
  out += CanonicalizedResourceV1(request);
  return out;
}

std::string SignV1(const SigningRequest& request, const Credentials& credentials,
                   std::string_view date) {
  std::string signature = crypto::Base64Encode(
      crypto::HmacSha1(credentials.secret_access_key, StringToSignV1(request, date)));
  return "OSS " + credentials.access_key_id + ":" + signature;
}

std::string CanonicalRequestV4(const SigningRequest& request) {
  std::string path = "/";
  if (!request.bucket.empty()) path += request.bucket + "/";
  path += request.key;

  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : request.query) {
    query.emplace_back(PercentEncode(name), PercentEncode(value));
  }
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [name, value] : query) {
    if (!canonical_query.empty()) canonical_query += "&";
    canonical_query += name;
    // OSS differs from AWS here: an empty value is the bare name, without '='.
    if (!value.empty()) canonical_query += "=" + value;
  }

  std::map<std::string, std::string> headers = LowerHeaders(request.headers);
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    if (name == "content-type" || name == "content-md5" || name.rfind("x-oss-", 0) == 0) {
      canonical_headers += name + ":" + value + "\n";
    }
  }
  auto payload = headers.find("x-oss-content-sha256");
  std::string payload_hash = payload == headers.end() ? "UNSIGNED-PAYLOAD" : payload->second;
  return request.method + "\n" + PercentEncode(path, "/") + "\n" + canonical_query + "\n" +
         canonical_headers + "\n" + "" + "\n" + payload_hash;
}

std::string StringToSignV4(std::string_view canonical_request, std::string_view oss_date,
                           std::string_view region) {
  return "OSS4-HMAC-SHA256\n" + std::string(oss_date) + "\n" + std::string(oss_date.substr(0, 8)) +
         "/" + std::string(region) + "/oss/aliyun_v4_request\n" +
         crypto::Sha256Hex(canonical_request);
}

std::string SignV4(const SigningRequest& request, const Credentials& credentials,
                   std::string_view region, std::string_view oss_date) {
  std::string day(oss_date.substr(0, 8));
  std::string key = crypto::HmacSha256("aliyun_v4" + credentials.secret_access_key, day);
  key = crypto::HmacSha256(key, region);
  key = crypto::HmacSha256(key, "oss");
  key = crypto::HmacSha256(key, "aliyun_v4_request");
  std::string string_to_sign = StringToSignV4(CanonicalRequestV4(request), oss_date, region);
  std::string signature = crypto::HexEncode(crypto::HmacSha256(key, string_to_sign));
  return "OSS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + day + "/" +
         std::string(region) + "/oss/aliyun_v4_request,Signature=" + signature;
}

std::string OssDate(int64_t unix_ms) {
  std::tm tm = UtcTm(unix_ms);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string HttpDate(int64_t unix_ms) {
  // Formatted by hand: strftime's %a/%b follow the process locale, HTTP wants English.
  std::tm tm = UtcTm(unix_ms);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDayNames[tm.tm_wday],
                tm.tm_mday, kMonthNames[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

Result<int64_t> ParseHttpDate(std::string_view text) {
  // "Sat, 16 Dec 2023 16:20:57 GMT"
  char day_name[4] = {0}, month_name[4] = {0}, zone[4] = {0};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", day_name, &day, month_name, &year,
                  &hour, &minute, &second, zone) != 8 ||
      std::string_view(zone) != "GMT") {
    return Status::InvalidArgument("malformed HTTP date '" + copy + "'");
  }
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (std::string_view(month_name) == kMonthNames[i]) month = i;
  }
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return Status::InvalidArgument("malformed HTTP date '" + copy + "'");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string_view OssStorageClassName(StorageClass storage_class) {
  switch (storage_class) {
    case StorageClass::kStandard:
      return "Standard";
    case StorageClass::kInfrequent:
      return "IA";
    case StorageClass::kArchive:
      return "Archive";
    case StorageClass::kColdArchive:
      return "ColdArchive";
  }
  return "Standard";
}

StorageClass ParseOssStorageClass(std::string_view name) {
  if (name == "IA") return StorageClass::kInfrequent;
  if (name == "Archive") return StorageClass::kArchive;
  if (name == "ColdArchive" || name == "DeepColdArchive") return StorageClass::kColdArchive;
  return StorageClass::kStandard;
}

RestoreState ParseRestoreHeader(std::string_view header, StorageClass storage_class) {
  if (!IsArchiveClass(storage_class)) return RestoreState::kNotArchived;
  if (header.find("ongoing-request=\"true\"") != std::string_view::npos) {
    return RestoreState::kInProgress;
  }
  if (header.find("ongoing-request=\"false\"") != std::string_view::npos) {
    return RestoreState::kRestored;
  }
  return RestoreState::kArchived;
}

}  // namespace oss

namespace {

constexpr uint64_t kOssMinPartSize = 100 * 1024;

using Query = std::vector<std::pair<std::string, std::string>>;

// One logical OSS call; Execute signs and sends it, once per attempt.
struct OssCall {
  std::string method;
  std::string key;  // empty: bucket-level
  Query query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::string StripQuotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string ContentMd5(std::string_view body) { return crypto::Base64Encode(crypto::Md5Raw(body)); }

class OssStore final : public ObjectStore {
 public:
  OssStore(const StoreConfig& config, std::shared_ptr<http::HttpClient> http, const Clock& clock)
      : config_(config), http_(std::move(http)), clock_(clock) {
    std::string endpoint = config.endpoint;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    size_t scheme_end = endpoint.find("://");
    if (scheme_end != std::string::npos) {
      scheme_ = endpoint.substr(0, scheme_end);
      authority_ = endpoint.substr(scheme_end + 3);
    }
    if (scheme_ != "http" && scheme_ != "https") {
      endpoint_error_ = "endpoint '" + config.endpoint + "' must be http(s)://host[:port]";
    } else if (authority_.empty() || authority_.find('/') != std::string::npos) {
      endpoint_error_ = "endpoint '" + config.endpoint + "' must be http(s)://host[:port]";
    }
    if (config.bucket.empty()) endpoint_error_ = "no bucket configured";
    if (config.signature == "v4" && config.region.empty()) {
      endpoint_error_ = "signature v4 needs a region";
    }
  }

  std::string_view kind() const override { return "oss"; }
  const std::string& name() const override { return config_.name; }
  uint64_t MinPartSize() const override { return kOssMinPartSize; }

  Result<ObjectInfo> Put(const std::string& key, std::string_view body,
                         const PutOptions& options) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    OssCall call{"PUT", key, {}, ObjectHeaders(options), std::string(body)};
    call.headers["content-md5"] = ContentMd5(body);
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200) return ErrorFor(call, response);
    return PutResultInfo(key, body.size(), StripQuotes(response.headers.Get("etag")),
                         clock_.NowMs(), options);
  }

  Result<std::string> InitMultipart(const std::string& key, const PutOptions& options) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    OssCall call{"POST", key, {{"uploads", ""}}, ObjectHeaders(options), ""};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200) return ErrorFor(call, response);
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseReply(call, response));
    std::string upload_id = root.ChildText("UploadId");
    if (upload_id.empty()) return Malformed(call, "InitiateMultipartUploadResult has no UploadId");
    return upload_id;
  }

  Result<UploadedPart> UploadPart(const std::string& key, const std::string& upload_id,
                                  int part_number, std::string_view body) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    if (part_number < 1 || part_number > 10000) {
      return Status::InvalidArgument("part number must be between 1 and 10000, got " +
                                     std::to_string(part_number));
    }
    OssCall call{"PUT",
                 key,
                 {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
                 {{"content-md5", ContentMd5(body)}},
                 std::string(body)};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200) return ErrorFor(call, response);
    UploadedPart part{part_number, StripQuotes(response.headers.Get("etag"))};
    if (part.etag.empty()) return Malformed(call, "UploadPart answered without an ETag");
    return part;
  }

  Result<ObjectInfo> CompleteMultipart(const std::string& key, const std::string& upload_id,
                                       const std::vector<UploadedPart>& parts) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    if (parts.empty()) return Status::InvalidArgument("CompleteMultipart needs at least one part");
    std::string xml = "<CompleteMultipartUpload>";
    for (const UploadedPart& part : parts) {
      xml += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>\"" +
             EscapeMarkup(part.etag) + "\"</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    OssCall call{"POST",
                 key,
                 {{"uploadId", upload_id}},
                 {{"content-type", "application/xml"}, {"content-md5", ContentMd5(xml)}},
                 xml};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200) return ErrorFor(call, response);
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseReply(call, response));
    if (root.name == "Error") return ErrorFor(call, response);  // 200 with an error body
    return Head(key);
  }

  Status AbortMultipart(const std::string& key, const std::string& upload_id) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    OssCall call{"DELETE", key, {{"uploadId", upload_id}}, {}, ""};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 204 && response.status != 200) return ErrorFor(call, response);
    return Status::Ok();
  }

  Result<std::string> Get(const std::string& key, std::optional<ByteRange> range) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    OssCall call{"GET", key, {}, {}, ""};
    if (range) {
      std::string value = "bytes=" + std::to_string(range->offset) + "-";
      if (range->length > 0) value += std::to_string(range->offset + range->length - 1);
      call.headers["range"] = value;
    }
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200 && response.status != 206) return ErrorFor(call, response);
    return std::move(response.body);
  }

  Result<ObjectInfo> Head(const std::string& key) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    OssCall call{"HEAD", key, {}, {}, ""};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200) return ErrorFor(call, response);
    ObjectInfo info;
    info.key = key;
    info.size = std::strtoull(response.headers.Get("content-length").c_str(), nullptr, 10);
    info.etag = StripQuotes(response.headers.Get("etag"));
    if (auto modified = oss::ParseHttpDate(response.headers.Get("last-modified")); modified.ok()) {
      info.last_modified_ms = *modified;
    }
    info.storage_class = oss::ParseOssStorageClass(response.headers.Get("x-oss-storage-class"));
    info.restore_state =
        oss::ParseRestoreHeader(response.headers.Get("x-oss-restore"), info.storage_class);
    for (const auto& [name, value] : response.headers.all()) {
      if (name.rfind("x-oss-meta-", 0) == 0) info.metadata[name.substr(11)] = value;
    }
    return info;
  }

  Result<ListPage> List(const std::string& prefix, const std::string& page_token,
                        int max_keys) override {
    if (max_keys < 1 || max_keys > 1000) {
      return Status::InvalidArgument("max_keys must be between 1 and 1000, got " +
                                     std::to_string(max_keys));
    }
    OssCall call{"GET", "", {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}}, {}, ""};
    if (!prefix.empty()) call.query.emplace_back("prefix", prefix);
    if (!page_token.empty()) call.query.emplace_back("continuation-token", page_token);
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200) return ErrorFor(call, response);
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseReply(call, response));
    if (root.name != "ListBucketResult") return Malformed(call, "expected ListBucketResult");
    ListPage page;
    for (const XmlElement* contents : root.Children("Contents")) {
      ObjectInfo info;
      info.key = contents->ChildText("Key");
      info.size = std::strtoull(contents->ChildText("Size").c_str(), nullptr, 10);
      info.etag = StripQuotes(contents->ChildText("ETag"));
      if (auto modified = ParseRfc3339(contents->ChildText("LastModified")); modified.ok()) {
        info.last_modified_ms = *modified;
      }
      info.storage_class = oss::ParseOssStorageClass(contents->ChildText("StorageClass"));
      info.restore_state =
          IsArchiveClass(info.storage_class) ? RestoreState::kArchived : RestoreState::kNotArchived;
      page.objects.push_back(std::move(info));
    }
    if (root.ChildText("IsTruncated") == "true") {
      page.next_token = root.ChildText("NextContinuationToken");
      if (page.next_token.empty()) return Malformed(call, "truncated listing without a token");
    }
    return page;
  }

  Status Delete(const std::string& key) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    OssCall call{"DELETE", key, {}, {}, ""};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status == 204 || response.status == 200 || response.status == 404) {
      return Status::Ok();
    }
    return ErrorFor(call, response);
  }

  Result<ObjectInfo> Copy(const std::string& from, const std::string& to,
                          StorageClass storage_class) override {
    BEACON_RETURN_IF_ERROR(CheckKey(from));
    BEACON_RETURN_IF_ERROR(CheckKey(to));
    OssCall call{"PUT",
                 to,
                 {},
                 {{"x-oss-copy-source", "/" + config_.bucket + "/" + PercentEncode(from, "/")},
                  {"x-oss-metadata-directive", "COPY"},
                  {"x-oss-storage-class", std::string(oss::OssStorageClassName(storage_class))}},
                 ""};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status != 200) return ErrorFor(call, response);
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseReply(call, response));
    if (root.name == "Error") return ErrorFor(call, response);
    return Head(to);
  }

  Result<RestoreRequestResult> Restore(const std::string& key, int days) override {
    BEACON_RETURN_IF_ERROR(CheckKey(key));
    if (days < 1 || days > 365) {
      return Status::InvalidArgument("restore days must be between 1 and 365, got " +
                                     std::to_string(days));
    }
    std::string xml = "<RestoreRequest><Days>" + std::to_string(days) + "</Days></RestoreRequest>";
    OssCall call{"POST",
                 key,
                 {{"restore", ""}},
                 {{"content-type", "application/xml"}, {"content-md5", ContentMd5(xml)}},
                 xml};
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, Execute(call));
    if (response.status == 202) return RestoreRequestResult::kAccepted;
    if (response.status == 200) return RestoreRequestResult::kAlreadyRestored;
    if (response.status == 409 && ErrorCode(response) == "RestoreAlreadyInProgress") {
      return RestoreRequestResult::kAlreadyInProgress;
    }
    return ErrorFor(call, response);
  }

 private:
  Status CheckKey(const std::string& key) const {
    if (key.empty()) return Status::InvalidArgument("object key must not be empty");
    if (key.size() > 1023) return Status::InvalidArgument("object key longer than 1023 bytes");
    if (key.find('\0') != std::string::npos) {
      return Status::InvalidArgument("object key contains a NUL byte");
    }
    return Status::Ok();
  }

  std::map<std::string, std::string> ObjectHeaders(const PutOptions& options) const {
    std::map<std::string, std::string> headers;
    headers["content-type"] = options.content_type;
    headers["x-oss-storage-class"] = std::string(oss::OssStorageClassName(options.storage_class));
    for (const auto& [name, value] : options.metadata) headers["x-oss-meta-" + name] = value;
    return headers;
  }

  std::string Url(const OssCall& call) const {
    std::string url = scheme_ + "://";
    if (config_.path_style) {
      url += authority_ + "/" + config_.bucket + "/";
    } else {
      url += config_.bucket + "." + authority_ + "/";
    }
    url += PercentEncode(call.key, "/");
    char separator = '?';
    for (const auto& [name, value] : call.query) {
      url += separator + PercentEncode(name);
      if (!value.empty()) url += "=" + PercentEncode(value);
      separator = '&';
    }
    return url;
  }

  http::HttpRequest Sign(const OssCall& call) const {
    oss::SigningRequest signing{call.method, config_.bucket, call.key, call.query, call.headers};
    int64_t now_ms = clock_.NowMs();
    if (!config_.credentials.session_token.empty()) {
      signing.headers["x-oss-security-token"] = config_.credentials.session_token;
    }
    std::string authorization;
    if (config_.signature == "v1") {
      std::string date = oss::HttpDate(now_ms);
      signing.headers["date"] = date;
      authorization = oss::SignV1(signing, config_.credentials, date);
    } else {
      std::string oss_date = oss::OssDate(now_ms);
      signing.headers["x-oss-date"] = oss_date;
      signing.headers["x-oss-content-sha256"] = "UNSIGNED-PAYLOAD";
      authorization = oss::SignV4(signing, config_.credentials, config_.region, oss_date);
    }
    http::HttpRequest request;
    request.method = call.method;
    request.url = Url(call);
    for (const auto& [name, value] : signing.headers) request.headers.Set(name, value);
    request.headers.Set("authorization", authorization);
    request.body = call.body;
    request.timeout_ms = config_.timeout_ms;
    return request;
  }

  // Sends with retries on transport failures and 5xx; other answers are returned as they are.
  Result<http::HttpResponse> Execute(const OssCall& call) {
    if (!endpoint_error_.empty()) {
      return Status::InvalidArgument(Prefix(call) + endpoint_error_);
    }
    if (!http_) return Status::InvalidArgument(Prefix(call) + "no HTTP client");
    int attempts = std::max(1, config_.retry.attempts);
    Status last;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      if (attempt > 1) SleepBeforeRetry(config_.retry, attempt - 1);
      Result<http::HttpResponse> response = http_->Send(Sign(call));
      if (!response.ok()) {
        last = response.status().WithContext(Prefix(call));
        if (!response.status().IsTransient()) return last;
        continue;
      }
      if (response->status >= 500) {
        last = ErrorFor(call, *response);
        continue;
      }
      return response;
    }
    return last;
  }

  std::string Prefix(const OssCall& call) const {
    return "oss store '" + config_.name + "': " + call.method + " " +
           (call.key.empty() ? "/" : call.key) + ": ";
  }

  static std::string ErrorCode(const http::HttpResponse& response) {
    auto root = ParseXml(response.body);
    if (!root.ok() || root->name != "Error") return "";
    return root->ChildText("Code");
  }

  Status ErrorFor(const OssCall& call, const http::HttpResponse& response) const {
    std::string code;
    std::string message;
    if (auto root = ParseXml(response.body); root.ok() && root->name == "Error") {
      code = root->ChildText("Code");
      message = root->ChildText("Message");
      if (message.size() > 200) message = message.substr(0, 200) + "...";
    }
    std::string text = Prefix(call) + "HTTP " + std::to_string(response.status);
    if (!code.empty()) text += " " + code;
    if (!message.empty()) text += ": " + message;
    if (code == "InvalidObjectState") return Status::FailedPrecondition(text);
    if (response.status == 404 || code == "NoSuchKey" || code == "NoSuchUpload") {
      return Status::NotFound(text);
    }
    if (response.status == 401 || response.status == 403) return Status::PermissionDenied(text);
    if (response.status == 408) return Status::DeadlineExceeded(text);
    if (response.status >= 500 || code == "SlowDown") return Status::Unavailable(text);
    return Status::InvalidArgument(text);
  }

  Result<XmlElement> ParseReply(const OssCall& call, const http::HttpResponse& response) const {
    auto root = ParseXml(response.body);
    if (!root.ok()) return Status::Unavailable(Prefix(call) + root.status().message());
    return root;
  }

  Status Malformed(const OssCall& call, std::string_view what) const {
    return Status::Unavailable(Prefix(call) + "malformed reply: " + std::string(what));
  }

  const StoreConfig config_;
  const std::shared_ptr<http::HttpClient> http_;
  const Clock& clock_;
  std::string scheme_;
  std::string authority_;
  std::string endpoint_error_;
};

}  // namespace

std::unique_ptr<ObjectStore> NewOssStore(const StoreConfig& config,
                                         std::shared_ptr<http::HttpClient> http,
                                         const Clock& clock) {
  return std::make_unique<OssStore>(config, std::move(http), clock);
}

}  // namespace beacon::objstore
