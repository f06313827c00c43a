// Fuzzes how the Alibaba Cloud clients read answers (common/cloud/aliyun: ParseRpcError, the
// JSON checks of RpcClient::Call and the SLB and Alidns parsers on top) by answering every
// request with the input as the body. Input: byte 0 bits 0-2 pick the call, bits 3-5 the HTTP
// status; the rest is the body. Errors must never carry the secret or a signature.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/cloud/aliyun/alidns.h"
#include "common/cloud/aliyun/rpc.h"
#include "common/cloud/aliyun/slb.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using beacon::Result;
using beacon::Status;
namespace aliyun = beacon::aliyun;
namespace http = beacon::http;

constexpr char kSecret[] = "fuzz-aliyun-secret-0123456789";
constexpr int kStatuses[] = {200, 200, 200, 400, 403, 404, 500, 503};

// Answers every request with the same reply; remembers the last Signature it was sent.
class SameReply final : public http::HttpClient {
 public:
  explicit SameReply(http::HttpResponse reply) : reply_(std::move(reply)) {}
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    last_signature = http::ParseQuery(request.body)["Signature"];
    return reply_;
  }
  std::string last_signature;

 private:
  http::HttpResponse reply_;
};

void CheckNoSecret(const Status& status, std::string_view body, const std::string& signature) {
  if (status.ok()) return;
  if (body.find(kSecret) == std::string_view::npos) {
    FUZZ_CHECK(status.message().find(kSecret) == std::string::npos);
  }
  if (!signature.empty() && body.find(signature) == std::string_view::npos) {
    FUZZ_CHECK(status.message().find(signature) == std::string::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 1) return 0;
  static beacon::FakeClock clock;
  const int call = data[0] & 7;
  http::HttpResponse reply;
  reply.status = kStatuses[(data[0] >> 3) & 7];
  reply.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto http_client = std::make_shared<SameReply>(reply);

  aliyun::RpcClientConfig config;
  config.region = "cn-hangzhou";
  config.credentials = {"LTAI5tFuzzKey", kSecret, ""};
  config.max_attempts = 2;
  aliyun::RpcClientDeps deps;
  deps.http = http_client;
  deps.clock = &clock;
  deps.sleep = [](int64_t) {};
  aliyun::RpcClient client(config, std::move(deps));
  aliyun::slb::RpcApi slb(client);
  aliyun::alidns::RpcApi dns(client);
  aliyun::slb::BackendServer server;
  server.server_id = "i-fuzz";

  Status status;
  switch (call) {
    case 0:
      status = slb.DescribeLoadBalancers({}).status();
      break;
    case 1:
      status = slb.DescribeLoadBalancerAttribute("lb-1").status();
      break;
    case 2:
      status = slb.DescribeHealthStatus("lb-1", 80).status();
      break;
    case 3:
      status = slb.SetBackendServers("lb-1", {server}).status();
      break;
    case 4:
      status = slb.DescribeVServerGroupAttribute("rsp-1").status();
      break;
    case 5:
      status = dns.DescribeDomainRecords("example.com", {}).status();
      break;
    case 6: {
      aliyun::alidns::RecordUpdate update;
      update.domain_name = "example.com";
      update.record_id = "1";
      update.rr = "www";
      update.type = "A";
      update.value = "192.0.2.1";
      status = dns.UpdateDomainRecord(update).status();
      break;
    }
    default: {
      aliyun::RpcError error = aliyun::ParseRpcError(reply.status, reply.body);
      FUZZ_CHECK(error.message.size() <= 300);
      break;
    }
  }
  CheckNoSecret(status, reply.body, http_client->last_signature);
  return 0;
}
