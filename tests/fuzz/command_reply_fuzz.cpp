// Fuzzes the agent's handling of the collector's reply to a command poll: CommandChannel::
// PollOnce with a scripted HttpClient (status, optional Retry-After, body from the input), the
// real "restore" handler (RestoreHandler: wire::RestoreArgsFromJson, store lookup, target check)
// whose download step is replaced by CheckRestoreTarget alone, so nothing is written. Input:
// byte 0 bits 0-2 pick the HTTP status, bit 3 says the first line of the rest is a Retry-After
// value; the rest is the body. Every update the agent posts must be one the collector can read.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/backup/restore.h"
#include "agent/backup/restore_handler.h"
#include "agent/uplink/command_channel.h"
#include "common/clock.h"
#include "common/cloud/objstore/s3.h"
#include "common/wire/backup.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using beacon::Result;
using beacon::Status;
namespace http = beacon::http;

constexpr int kStatuses[] = {200, 200, 200, 401, 403, 404, 500, 503};
constexpr std::string_view kCollector = "http://collector.test:8470";

// Answers the poll from the input and every update POST with 200, keeping the update bodies.
class ScriptedCollector final : public http::HttpClient {
 public:
  explicit ScriptedCollector(http::HttpResponse poll_reply) : poll_reply_(std::move(poll_reply)) {}

  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    std::lock_guard lock(mu_);
    if (request.method == "GET") return poll_reply_;
    posts_.push_back(request);
    http::HttpResponse ok;
    ok.status = 200;
    ok.body = "{}";
    return ok;
  }
  std::vector<http::HttpRequest> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }

 private:
  std::mutex mu_;
  http::HttpResponse poll_reply_;
  std::vector<http::HttpRequest> posts_;
};

// The store the restore handler looks up; never called (the restore step below does no I/O).
class NoNetwork final : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest&) override {
    return Status::Unavailable("no network in the fuzz target");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 1) return 0;
  static beacon::FakeClock clock;
  static std::unique_ptr<beacon::objstore::ObjectStore> store = [] {
    beacon::objstore::StoreConfig config;
    config.name = "primary";
    config.type = "s3";
    config.endpoint = "http://s3.test:9000";
    config.bucket = "backups";
    config.retry.attempts = 1;
    return beacon::objstore::NewS3Store(config, std::make_shared<NoNetwork>(), clock);
  }();

  http::HttpResponse reply;
  reply.status = kStatuses[data[0] & 7];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 8) {
    const size_t newline = rest.find('\n');
    reply.headers.Set("Retry-After", std::string(rest.substr(0, newline)));
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  }
  reply.body = std::string(rest);
  auto collector = std::make_shared<ScriptedCollector>(std::move(reply));

  beacon::agent::CommandChannelOptions options;
  options.random01 = [] { return 0.5; };
  beacon::agent::CommandChannel channel(std::string(kCollector), "agent-token-fuzz", collector,
                                        clock, options);
  beacon::agent::backup::RestoreOptions restore_options;
  restore_options.roots = {"/srv/beacon-fuzz-restore"};  // absent: the check only lstat()s
  beacon::agent::backup::RestoreHandler restore(
      {{"primary", store.get()}}, restore_options, clock,
      [](const beacon::wire::RestoreArgs& args, beacon::objstore::ObjectStore&,
         const beacon::agent::backup::RestoreOptions& options,
         const beacon::agent::backup::RestoreProgressFn&) -> Status {
        Status allowed = beacon::agent::backup::CheckRestoreTarget(args.target, options.roots);
        if (allowed.ok()) {
          // restore.h: only absolute paths below a root, without '.' or '..' components.
          FUZZ_CHECK(args.target.rfind("/srv/beacon-fuzz-restore/", 0) == 0);
          FUZZ_CHECK(args.target.find("/../") == std::string::npos &&
                     args.target.find("/./") == std::string::npos);
        }
        return allowed;
      });
  channel.RegisterHandler("restore", restore.AsCommandHandler());

  const auto result = channel.PollOnce();
  using Outcome = beacon::agent::CommandChannel::PollResult::Outcome;
  FUZZ_CHECK(result.outcome != Outcome::kStopped);
  FUZZ_CHECK(result.delay_ms >= 0 && result.delay_ms <= options.backoff_max_ms);
  const std::string updates_url = std::string(kCollector) + "/api/v1/agent/commands/";
  for (const http::HttpRequest& post : collector->posts()) {
    FUZZ_CHECK(post.url.rfind(updates_url, 0) == 0);
    const nlohmann::json body = nlohmann::json::parse(post.body, nullptr, false);
    FUZZ_CHECK(!body.is_discarded());
    FUZZ_CHECK(beacon::wire::CommandUpdateFromJson(body).ok());
  }
  return 0;
}
