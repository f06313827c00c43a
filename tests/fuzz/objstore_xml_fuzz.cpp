// Fuzzes how the S3 and OSS stores read XML replies (common/cloud/objstore: ParseXml and the
// list, multipart, copy, restore and error mapping on top of it) by answering one store call
// with the input as the body. Input: byte 0 bit 0 picks S3 or OSS, bits 1-3 the call, bits 4-6
// the HTTP status; the rest is the reply body. Errors must never carry the secret key.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/cloud/objstore/oss.h"
#include "common/cloud/objstore/s3.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using beacon::Result;
using beacon::Status;
namespace http = beacon::http;
namespace objstore = beacon::objstore;

constexpr char kSecret[] = "fuzz-secret-access-key-0123456789";
constexpr int kStatuses[] = {200, 200, 202, 400, 403, 404, 409, 503};

class OneReply final : public http::HttpClient {
 public:
  explicit OneReply(http::HttpResponse reply) : reply_(std::move(reply)) {}
  Result<http::HttpResponse> Send(const http::HttpRequest&) override { return reply_; }

 private:
  http::HttpResponse reply_;
};

// The secret is only ever used to sign; an error may quote the reply, so the check applies when
// the reply itself did not contain the secret.
void CheckNoSecret(const Status& status, std::string_view reply_body) {
  if (reply_body.find(kSecret) != std::string_view::npos) return;
  FUZZ_CHECK(status.message().find(kSecret) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 1) return 0;
  static beacon::FakeClock clock;
  const bool oss = data[0] & 1;
  const int call = (data[0] >> 1) & 7;
  http::HttpResponse reply;
  reply.status = kStatuses[(data[0] >> 4) & 7];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  reply.body = std::string(body);
  reply.headers.Set("ETag", "\"9b2cf535f27731c974343645a3985328\"");
  auto client = std::make_shared<OneReply>(std::move(reply));

  objstore::StoreConfig config;
  config.name = oss ? "oss-fuzz" : "s3-fuzz";
  config.type = oss ? "oss" : "s3";
  config.endpoint = oss ? "https://oss-cn-hangzhou.aliyuncs.com" : "http://s3.test:9000";
  config.region = oss ? "cn-hangzhou" : "us-east-1";
  config.bucket = "backups";
  config.path_style = !oss;
  config.credentials = {"AKIDFUZZ", kSecret, ""};
  config.retry.attempts = 1;  // one reply per call; no backoff sleeps
  std::unique_ptr<objstore::ObjectStore> store = oss ? objstore::NewOssStore(config, client, clock)
                                                     : objstore::NewS3Store(config, client, clock);
  const std::string key = "web-01/etc/app.yaml/v1";
  switch (call) {
    case 0: {
      auto page = store->List("web-01/", "", 1000);
      if (!page.ok()) CheckNoSecret(page.status(), body);
      break;
    }
    case 1: {
      auto upload = store->InitMultipart(key, {});
      if (upload.ok()) FUZZ_CHECK(!upload->empty());
      if (!upload.ok()) CheckNoSecret(upload.status(), body);
      break;
    }
    case 2: {
      auto info = store->CompleteMultipart(key, "upload-1", {{1, "etag-1"}, {2, "etag-2"}});
      if (!info.ok()) CheckNoSecret(info.status(), body);
      break;
    }
    case 3: {
      auto info = store->Copy(key, key, objstore::StorageClass::kArchive);
      if (!info.ok()) CheckNoSecret(info.status(), body);
      break;
    }
    case 4: {
      auto restored = store->Restore(key, 3);
      if (!restored.ok()) CheckNoSecret(restored.status(), body);
      break;
    }
    case 5: {
      auto object = store->Get(key);
      if (!object.ok()) CheckNoSecret(object.status(), body);
      break;
    }
    case 6: {
      auto info = store->Put(key, "content", {});
      if (!info.ok()) CheckNoSecret(info.status(), body);
      break;
    }
    default: {
      auto part = store->UploadPart(key, "upload-1", 1, "part");
      if (!part.ok()) CheckNoSecret(part.status(), body);
      break;
    }
  }
  return 0;
}
