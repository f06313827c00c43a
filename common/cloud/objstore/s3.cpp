// S3 ObjectStore backend: builds each request (path-style or virtual-host URL), signs it with
// SigV4 over the hashed payload, retries retryable failures with backoff and re-signs every try.
#include "common/cloud/objstore/s3.h"

#include <algorithm>
#include <ctime>

#include "common/cloud/objstore/xml.h"
#include "common/crypto/crypto.h"
#include "common/strings.h"
#include "common/url.h"

namespace beacon::objstore {
namespace {

using http::HttpResponse;

constexpr uint64_t kMinPartSize = 5 * 1024 * 1024;
constexpr size_t kMaxErrorMessage = 200;

std::string Md5Base64(std::string_view data) { return crypto::Base64Encode(crypto::Md5Raw(data)); }

std::string StripQuotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

// "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 7231 IMF-fixdate) -> Unix ms; 0 when unparsable.
int64_t ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// One S3 operation before signing: the object key ("" for bucket-level calls), raw query and
// the headers that are specific to the operation.
struct Call {
  std::string op;  // "PutObject", for error messages
  std::string method;
  std::string key;
  bool bucket_level = false;
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;
  std::string_view body;     // outlives Execute(); the caller owns the bytes
  std::string payload_hash;  // filled by Execute() once for every attempt
  // Statuses handed back as responses instead of errors (e.g. 409 for Restore).
  std::vector<int> pass_through;
  // CompleteMultipartUpload and CopyObject may answer 200 with an <Error> body.
  bool may_embed_error = false;
};

// x-amz-copy-source: "/bucket/key" URL-encoded. RFC 3986 sub-delimiters, ':' and '@' stay literal
// (S3 decodes them either way, and s3rver only decodes with decodeURI, which leaves %3A or %40
// alone); '+' is always encoded because S3 would read a literal '+' as a space.
std::string CopySource(const std::string& bucket, const std::string& key) {
  std::string encoded = PercentEncode("/" + bucket + "/" + key, "/");
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      int value = std::stoi(encoded.substr(i + 1, 2), nullptr, 16);
      if (std::string_view("!$&'()*,:;=@").find(static_cast<char>(value)) !=
          std::string_view::npos) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(encoded[i]);
  }
  return out;
}

Call MakeCall(std::string op, std::string method, std::string key) {
  Call call;
  call.op = std::move(op);
  call.method = std::move(method);
  call.key = std::move(key);
  return call;
}

class S3Store final : public ObjectStore {
 public:
  S3Store(StoreConfig config, std::shared_ptr<http::HttpClient> http, const Clock& clock)
      : config_(std::move(config)), http_(std::move(http)), clock_(clock) {
    if (config_.region.empty()) config_.region = "us-east-1";
    init_status_ = ParseEndpoint();
  }

  std::string_view kind() const override { return "s3"; }
  const std::string& name() const override { return config_.name; }
  uint64_t MinPartSize() const override { return kMinPartSize; }

  Result<ObjectInfo> Put(const std::string& key, std::string_view body,
                         const PutOptions& options) override {
    Call call = MakeCall("PutObject", "PUT", key);
    AddPutHeaders(options, call.headers);
    call.headers["Content-MD5"] = Md5Base64(body);
    call.body = body;
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    return PutResultInfo(key, body.size(), StripQuotes(response.headers.Get("etag")),
                         clock_.NowMs(), options);
  }

  Result<std::string> InitMultipart(const std::string& key, const PutOptions& options) override {
    Call call = MakeCall("CreateMultipartUpload", "POST", key);
    call.query = {{"uploads", ""}};
    AddPutHeaders(options, call.headers);
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseBody(call, response));
    std::string upload_id = root.ChildText("UploadId");
    if (upload_id.empty()) {
      return Status::Unavailable(Describe(call) + ": reply without an UploadId");
    }
    return upload_id;
  }

  Result<UploadedPart> UploadPart(const std::string& key, const std::string& upload_id,
                                  int part_number, std::string_view body) override {
    if (part_number < 1 || part_number > 10000) {
      return Status::InvalidArgument("S3 UploadPart: part number " + std::to_string(part_number) +
                                     " outside 1..10000");
    }
    Call call = MakeCall("UploadPart", "PUT", key);
    call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
    call.headers["Content-MD5"] = Md5Base64(body);
    call.body = body;
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    std::string etag = StripQuotes(response.headers.Get("etag"));
    if (etag.empty()) return Status::Unavailable(Describe(call) + ": reply without an ETag");
    return UploadedPart{part_number, etag};
  }

  Result<ObjectInfo> CompleteMultipart(const std::string& key, const std::string& upload_id,
                                       const std::vector<UploadedPart>& parts) override {
    if (parts.empty()) {
      return Status::InvalidArgument("S3 CompleteMultipartUpload: no parts");
    }
    std::string body = "<CompleteMultipartUpload>";
    for (const UploadedPart& part : parts) {
      body += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>\"" +
              EscapeMarkup(part.etag) + "\"</ETag></Part>";
    }
    body += "</CompleteMultipartUpload>";
    Call call = MakeCall("CompleteMultipartUpload", "POST", key);
    call.query = {{"uploadId", upload_id}};
    call.headers["Content-Type"] = "application/xml";
    call.body = body;
    call.may_embed_error = true;
    Result<HttpResponse> response = Execute(call);
    if (!response.ok() && response.status().code() == StatusCode::kNotFound) {
      // An earlier attempt (ours, or libcurl's silent resend on a dead keep-alive connection)
      // may have completed the upload and only its reply was lost: S3 then forgets the upload
      // id. The object is there if it carries a multipart ETag "-<parts>". Keys name one
      // version, so an object found here is this upload's.
      Result<ObjectInfo> existing = Head(key);
      std::string suffix = "-" + std::to_string(parts.size());
      if (existing.ok() && existing->etag.size() > suffix.size() &&
          existing->etag.compare(existing->etag.size() - suffix.size(), suffix.size(), suffix) ==
              0) {
        return existing;
      }
    }
    if (!response.ok()) return response.status();
    // The reply has the ETag but not the size or class: read them back from the object.
    return Head(key);
  }

  Status AbortMultipart(const std::string& key, const std::string& upload_id) override {
    Call call = MakeCall("AbortMultipartUpload", "DELETE", key);
    call.query = {{"uploadId", upload_id}};
    return Execute(call).status();
  }

  Result<std::string> Get(const std::string& key, std::optional<ByteRange> range) override {
    Call call = MakeCall("GetObject", "GET", key);
    if (range.has_value()) {
      std::string spec = "bytes=" + std::to_string(range->offset) + "-";
      if (range->length > 0) spec += std::to_string(range->offset + range->length - 1);
      call.headers["Range"] = spec;
    }
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    return std::move(response.body);
  }

  Result<ObjectInfo> Head(const std::string& key) override {
    Call call = MakeCall("HeadObject", "HEAD", key);
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    ObjectInfo info;
    info.key = key;
    try {
      info.size = std::stoull(response.headers.Get("content-length"));
    } catch (const std::exception&) {
      return Status::Unavailable(Describe(call) + ": reply without a valid Content-Length");
    }
    info.etag = StripQuotes(response.headers.Get("etag"));
    info.last_modified_ms = ParseHttpDate(response.headers.Get("last-modified"));
    info.storage_class = s3::ParseS3StorageClass(response.headers.Get("x-amz-storage-class"));
    info.restore_state =
        s3::ParseRestoreHeader(response.headers.Get("x-amz-restore"), info.storage_class);
    constexpr std::string_view kMetaPrefix = "x-amz-meta-";
    for (const auto& [name, value] : response.headers.all()) {
      if (name.rfind(kMetaPrefix, 0) == 0) info.metadata[name.substr(kMetaPrefix.size())] = value;
    }
    return info;
  }

  Result<ListPage> List(const std::string& prefix, const std::string& page_token,
                        int max_keys) override {
    Call call = MakeCall("ListObjectsV2", "GET", "");
    call.bucket_level = true;
    call.query = {{"list-type", "2"},
                  {"prefix", prefix},
                  {"max-keys", std::to_string(std::clamp(max_keys, 1, 1000))}};
    if (!page_token.empty()) call.query.emplace_back("continuation-token", page_token);
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    BEACON_ASSIGN_OR_RETURN(XmlElement root, ParseBody(call, response));
    ListPage page;
    for (const XmlElement* contents : root.Children("Contents")) {
      ObjectInfo info;
      info.key = contents->ChildText("Key");
      try {
        info.size = std::stoull(contents->ChildText("Size"));
      } catch (const std::exception&) {
        return Status::Unavailable(Describe(call) + ": entry without a valid Size");
      }
      info.etag = StripQuotes(contents->ChildText("ETag"));
      Result<int64_t> modified = ParseRfc3339(contents->ChildText("LastModified"));
      info.last_modified_ms = modified.ok() ? *modified : 0;
      info.storage_class = s3::ParseS3StorageClass(contents->ChildText("StorageClass"));
      // Listings do not say whether a restored copy exists; Head does.
      info.restore_state =
          IsArchiveClass(info.storage_class) ? RestoreState::kArchived : RestoreState::kNotArchived;
      page.objects.push_back(std::move(info));
    }
    if (root.ChildText("IsTruncated") == "true") {
      page.next_token = root.ChildText("NextContinuationToken");
      if (page.next_token.empty()) {
        return Status::Unavailable(Describe(call) + ": truncated listing without a token");
      }
    }
    return page;
  }

  Status Delete(const std::string& key) override {
    Call call = MakeCall("DeleteObject", "DELETE", key);
    call.pass_through = {404};
    return Execute(call).status();
  }

  Result<ObjectInfo> Copy(const std::string& from, const std::string& to,
                          StorageClass storage_class) override {
    Call call = MakeCall("CopyObject", "PUT", to);
    call.headers["x-amz-copy-source"] = CopySource(config_.bucket, from);
    call.headers["x-amz-metadata-directive"] = "COPY";
    call.headers["x-amz-storage-class"] = std::string(s3::S3StorageClassName(storage_class));
    call.may_embed_error = true;
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    // CopyObjectResult carries only ETag and LastModified.
    return Head(to);
  }

  Result<RestoreRequestResult> Restore(const std::string& key, int days) override {
    if (days < 1) return Status::InvalidArgument("S3 RestoreObject: days must be at least 1");
    Call call = MakeCall("RestoreObject", "POST", key);
    call.query = {{"restore", ""}};
    const std::string body =
        "<RestoreRequest><Days>" + std::to_string(days) + "</Days></RestoreRequest>";
    call.body = body;
    call.headers["Content-Type"] = "application/xml";
    call.headers["Content-MD5"] = Md5Base64(body);
    call.pass_through = {409};
    BEACON_ASSIGN_OR_RETURN(HttpResponse response, Execute(call));
    if (response.status == 202) return RestoreRequestResult::kAccepted;
    if (response.status == 409) {
      std::string code = ErrorCode(response);
      if (code == "RestoreAlreadyInProgress") return RestoreRequestResult::kAlreadyInProgress;
      return Status::InvalidArgument(Describe(call) + ": 409 " + code);
    }
    return RestoreRequestResult::kAlreadyRestored;
  }

 private:
  Status ParseEndpoint() {
    std::string endpoint = config_.endpoint;
    size_t scheme_end = endpoint.find("://");
    if (scheme_end == std::string::npos) {
      return Status::InvalidArgument("S3 store '" + config_.name +
                                     "': endpoint needs scheme://host[:port]");
    }
    scheme_ = endpoint.substr(0, scheme_end);
    if (scheme_ != "http" && scheme_ != "https") {
      return Status::InvalidArgument("S3 store '" + config_.name +
                                     "': endpoint scheme must be "
                                     "http or https");
    }
    authority_ = endpoint.substr(scheme_end + 3);
    while (!authority_.empty() && authority_.back() == '/') authority_.pop_back();
    if (authority_.empty() || authority_.find_first_of("/?#@") != std::string::npos) {
      return Status::InvalidArgument("S3 store '" + config_.name +
                                     "': endpoint must be scheme://host[:port] without a path");
    }
    // curl omits a default port from Host; the signed host must match what is sent.
    std::string default_port = scheme_ == "https" ? ":443" : ":80";
    if (authority_.size() > default_port.size() &&
        authority_.compare(authority_.size() - default_port.size(), default_port.size(),
                           default_port) == 0) {
      authority_.resize(authority_.size() - default_port.size());
    }
    if (config_.bucket.empty()) {
      return Status::InvalidArgument("S3 store '" + config_.name + "': bucket is empty");
    }
    return Status::Ok();
  }

  static void AddPutHeaders(const PutOptions& options, std::map<std::string, std::string>& out) {
    out["Content-Type"] =
        options.content_type.empty() ? "application/octet-stream" : options.content_type;
    if (options.storage_class != StorageClass::kStandard) {
      out["x-amz-storage-class"] = std::string(s3::S3StorageClassName(options.storage_class));
    }
    for (const auto& [name, value] : options.metadata) out["x-amz-meta-" + name] = value;
  }

  std::string Describe(const Call& call) const {
    return "S3 " + call.op + " " + (call.bucket_level ? config_.bucket : call.key);
  }

  static std::string ErrorCode(const HttpResponse& response) {
    if (response.body.empty()) return "";
    Result<XmlElement> root = ParseXml(response.body);
    if (!root.ok() || root->name != "Error") return "";
    return root->ChildText("Code");
  }

  Result<XmlElement> ParseBody(const Call& call, const HttpResponse& response) const {
    Result<XmlElement> root = ParseXml(response.body);
    if (!root.ok()) {
      return Status::Unavailable(Describe(call) +
                                 ": unreadable XML reply: " + root.status().message());
    }
    return root;
  }

  // The policy of object_store.h: status + S3 error code -> Status; the message names the
  // operation, the key and the S3 code, never a header value.
  Status ErrorStatus(const Call& call, const HttpResponse& response) const {
    std::string code;
    std::string detail;
    if (!response.body.empty()) {
      Result<XmlElement> root = ParseXml(response.body);
      if (root.ok() && root->name == "Error") {
        code = root->ChildText("Code");
        detail = root->ChildText("Message");
        if (detail.size() > kMaxErrorMessage) detail = detail.substr(0, kMaxErrorMessage) + "...";
      }
    }
    std::string message = Describe(call) + ": HTTP " + std::to_string(response.status);
    if (!code.empty()) message += " " + code;
    if (!detail.empty()) message += ": " + detail;
    int status = response.status;
    if (code == "InvalidObjectState") return Status::FailedPrecondition(std::move(message));
    if (code == "RequestTimeout" || status == 408) {
      return Status::DeadlineExceeded(std::move(message));
    }
    if (code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" ||
        status == 429 || status >= 500) {
      return Status::Unavailable(std::move(message));
    }
    if (code == "NoSuchKey" || code == "NoSuchUpload" || code == "NoSuchBucket" || status == 404) {
      return Status::NotFound(std::move(message));
    }
    if (status == 401 || status == 403) return Status::PermissionDenied(std::move(message));
    if (status >= 200 && status < 300) {
      // A 200 carrying <Error>: S3 failed after it started answering.
      return Status::Unavailable(std::move(message));
    }
    return Status::InvalidArgument(std::move(message));
  }

  http::HttpRequest BuildRequest(const Call& call) const {
    std::string host = config_.path_style ? authority_ : config_.bucket + "." + authority_;
    std::string path = "/";
    if (config_.path_style) {
      path += config_.bucket;
      if (!call.bucket_level) path += "/";
    }
    if (!call.bucket_level) path += call.key;
    const std::string amz_date = s3::AmzDate(clock_.NowMs());
    s3::SigningRequest signing;
    signing.method = call.method;
    signing.path = path;
    signing.query = call.query;
    signing.headers = call.headers;
    signing.headers["host"] = host;
    signing.headers["x-amz-date"] = amz_date;
    signing.payload_hash = call.payload_hash;
    signing.headers["x-amz-content-sha256"] = signing.payload_hash;
    if (!config_.credentials.session_token.empty()) {
      signing.headers["x-amz-security-token"] = config_.credentials.session_token;
    }

    http::HttpRequest request;
    request.method = call.method;
    request.url = scheme_ + "://" + host + PercentEncode(path, "/");
    std::string query;
    for (const auto& [name, value] : call.query) {
      query.push_back(query.empty() ? '?' : '&');
      query += PercentEncode(name);
      query.push_back('=');
      query += PercentEncode(value);
    }
    request.url += query;
    for (const auto& [name, value] : signing.headers) request.headers.Set(name, value);
    request.headers.Set("Authorization",
                        s3::SignV4(signing, config_.credentials, config_.region, "s3", amz_date));
    request.body = std::string(call.body);
    request.timeout_ms = config_.timeout_ms;
    return request;
  }

  // Sends the call, re-signed for every attempt, until it succeeds, fails for good or the
  // configured attempts are used up. 2xx and pass_through statuses are returned as responses.
  Result<HttpResponse> Execute(Call& call) {
    BEACON_RETURN_IF_ERROR(init_status_);
    if (!call.bucket_level && call.key.empty()) {
      return Status::InvalidArgument("S3 " + call.op + ": empty object key");
    }
    if (http_ == nullptr) return Status::Internal("S3 store '" + config_.name + "': no client");
    const int attempts = std::max(config_.retry.attempts, 1);
    Status last;
    call.payload_hash = crypto::Sha256Hex(call.body);
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      if (attempt > 1) SleepBeforeRetry(config_.retry, attempt - 1);
      Result<HttpResponse> sent = http_->Send(BuildRequest(call));
      if (!sent.ok()) {
        last = sent.status().WithContext(Describe(call));
        if (last.IsTransient()) continue;
        return last;
      }
      HttpResponse& response = *sent;
      bool success = response.status >= 200 && response.status < 300;
      if (success && call.may_embed_error && ErrorCode(response) != "") success = false;
      if (success || std::find(call.pass_through.begin(), call.pass_through.end(),
                               response.status) != call.pass_through.end()) {
        return std::move(response);
      }
      last = ErrorStatus(call, response);
      if (!last.IsTransient()) return last;
    }
    return Status(last.code(),
                  last.message() + " (after " + std::to_string(attempts) + " attempts)");
  }

  StoreConfig config_;
  std::shared_ptr<http::HttpClient> http_;
  const Clock& clock_;
  Status init_status_;
  std::string scheme_;
  std::string authority_;  // host[:port] of the endpoint
};

}  // namespace

std::unique_ptr<ObjectStore> NewS3Store(const StoreConfig& config,
                                        std::shared_ptr<http::HttpClient> http,
                                        const Clock& clock) {
  return std::make_unique<S3Store>(config, std::move(http), clock);
}

}  // namespace beacon::objstore
