// CommandChannel against a fake collector (HttpServer on port 0, real curl client): commands
// run once with running...final updates in order, unknown kinds and handler errors fail,
// re-delivered ids are answered without re-running, 401 and transport failures back off, a
// lost final update is re-sent, and Stop() returns during a long-poll and during a backoff.
#include "agent/uplink/command_channel.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/http/server.h"

namespace beacon::agent {
namespace {

using nlohmann::json;

constexpr char kToken[] = "agent-tok-3f9a1c";

struct ScriptedReply {
  int status = 200;
  std::string body;
  std::string retry_after;  // header value, "" = none
};

struct PostedUpdate {
  std::string id;
  json body;
};

// The collector's two agent routes. Polls are answered from a script; with an empty script a
// poll is held (like a real long-poll) until Release().
class FakeCollector {
 public:
  FakeCollector() : server_(http::ServerOptions{}) {
    server_.Route("GET", "/api/v1/agent/commands", {}, [this](http::ServerRequest& request) {
      std::unique_lock lock(mu_);
      ++polls_;
      poll_auth_.push_back(request.headers.Get("Authorization"));
      poll_wait_.push_back(request.query.count("wait") ? request.query.at("wait") : "");
      cv_.notify_all();
      if (script_.empty()) {
        ++held_;
        cv_.notify_all();
        cv_.wait(lock, [this] { return released_; });
        return http::ServerResponse::Json(200, R"({"commands":[]})");
      }
      ScriptedReply reply = script_.front();
      script_.pop_front();
      http::ServerResponse response = http::ServerResponse::Json(reply.status, reply.body);
      if (!reply.retry_after.empty()) response.headers.Set("Retry-After", reply.retry_after);
      return response;
    });
    server_.Route("POST", "/api/v1/agent/commands/{id}", {}, [this](http::ServerRequest& request) {
      std::lock_guard lock(mu_);
      update_auth_.push_back(request.headers.Get("Authorization"));
      updates_.push_back({request.path_params["id"], json::parse(request.body, nullptr, false)});
      cv_.notify_all();
      if (!update_statuses_.empty()) {
        int status = update_statuses_.front();
        update_statuses_.pop_front();
        if (status != 200) return http::ServerResponse::Error(status, "scripted failure");
      }
      return http::ServerResponse::Json(200, "{}");
    });
    EXPECT_TRUE(server_.Start().ok());
  }
  ~FakeCollector() {
    Release();
    server_.Stop();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  void Script(int status, std::string body, std::string retry_after = "") {
    std::lock_guard lock(mu_);
    script_.push_back({status, std::move(body), std::move(retry_after)});
  }
  void Commands(const json& commands) { Script(200, json{{"commands", commands}}.dump()); }
  // Statuses for the next update POSTs (200 afterwards).
  void UpdateStatuses(std::initializer_list<int> statuses) {
    std::lock_guard lock(mu_);
    update_statuses_.insert(update_statuses_.end(), statuses);
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  void AwaitPolls(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return polls_ >= n; });
  }
  void AwaitHeldPoll() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return held_ > 0; });
  }

  int polls() {
    std::lock_guard lock(mu_);
    return polls_;
  }
  std::vector<PostedUpdate> updates() {
    std::lock_guard lock(mu_);
    return updates_;
  }
  std::vector<std::string> poll_auth() {
    std::lock_guard lock(mu_);
    return poll_auth_;
  }
  std::vector<std::string> update_auth() {
    std::lock_guard lock(mu_);
    return update_auth_;
  }
  std::vector<std::string> poll_wait() {
    std::lock_guard lock(mu_);
    return poll_wait_;
  }

 private:
  http::HttpServer server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ScriptedReply> script_;
  std::deque<int> update_statuses_;
  std::vector<PostedUpdate> updates_;
  std::vector<std::string> poll_auth_, update_auth_, poll_wait_;
  int polls_ = 0;
  int held_ = 0;
  bool released_ = false;
};

json RestoreCommand(int64_t id) {
  return {{"id", id}, {"kind", "restore"}, {"args", {{"target", "/srv/app/app.yaml"}}}};
}

class CommandChannelTest : public testing::Test {
 protected:
  CommandChannelTest() {
    options_.random01 = [] { return 1.0; };  // the top of each backoff range: deterministic
    options_.backoff_initial_ms = 1000;
    options_.backoff_max_ms = 60'000;
    options_.min_poll_interval_ms = 0;
    client_ = http::NewCurlHttpClient();
  }

  std::unique_ptr<CommandChannel> NewChannel(std::string url = "") {
    return std::make_unique<CommandChannel>(url.empty() ? collector_.url() : url, kToken, client_,
                                            clock_, options_);
  }

  // A restore handler that records its runs and reports progress, then succeeds.
  CommandHandler SucceedingHandler() {
    return [this](const wire::Command& command, CommandReportFn report) {
      runs_.push_back(command.id);
      EXPECT_EQ(command.args["target"], "/srv/app/app.yaml");
      wire::CommandUpdate progress;
      progress.state = "running";
      progress.done_bytes = 5;
      progress.total_bytes = 10;
      EXPECT_TRUE(report(progress).ok());
      wire::CommandUpdate done;
      done.state = "succeeded";
      done.done_bytes = 10;
      done.total_bytes = 10;
      done.message = "restored /srv/app/app.yaml (10 B) to /srv/app/app.yaml, sha256 verified";
      done.result = {{"target", "/srv/app/app.yaml"}};
      return report(done);
    };
  }

  FakeCollector collector_;
  FakeClock clock_;
  CommandChannelOptions options_;
  std::shared_ptr<http::HttpClient> client_;
  std::vector<int64_t> runs_;
};

TEST_F(CommandChannelTest, RestoreCommandRunsOnceWithRunningThenSucceededUpdates) {
  collector_.Commands(json::array({RestoreCommand(7)}));
  auto channel = NewChannel();
  channel->RegisterHandler("restore", SucceedingHandler());

  auto result = channel->PollOnce();
  EXPECT_EQ(result.outcome, CommandChannel::PollResult::Outcome::kHandled);
  EXPECT_EQ(result.commands, 1u);
  EXPECT_EQ(result.delay_ms, 0);
  EXPECT_EQ(runs_, std::vector<int64_t>{7});

  EXPECT_EQ(collector_.poll_wait(), std::vector<std::string>{"25s"});
  EXPECT_EQ(collector_.poll_auth(), std::vector<std::string>{std::string("Bearer ") + kToken});
  auto updates = collector_.updates();
  ASSERT_EQ(updates.size(), 3u);
  for (const auto& update : updates) EXPECT_EQ(update.id, "7");
  EXPECT_EQ(updates[0].body["state"], "running");
  EXPECT_EQ(updates[1].body["state"], "running");
  EXPECT_EQ(updates[1].body["done_bytes"], 5);
  EXPECT_EQ(updates[1].body["total_bytes"], 10);
  EXPECT_EQ(updates[2].body["state"], "succeeded");
  EXPECT_EQ(updates[2].body["message"],
            "restored /srv/app/app.yaml (10 B) to /srv/app/app.yaml, sha256 verified");
  EXPECT_EQ(updates[2].body["result"]["target"], "/srv/app/app.yaml");
  for (const auto& auth : collector_.update_auth()) {
    EXPECT_EQ(auth, std::string("Bearer ") + kToken);
  }
}

TEST_F(CommandChannelTest, UnknownKindIsReportedFailedWithoutRunningAnything) {
  collector_.Commands(json::array({{{"id", 9}, {"kind", "reboot"}, {"args", json::object()}}}));
  auto channel = NewChannel();
  channel->RegisterHandler("restore", SucceedingHandler());
  channel->PollOnce();
  EXPECT_TRUE(runs_.empty());
  auto updates = collector_.updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].id, "9");
  EXPECT_EQ(updates[0].body["state"], "failed");
  EXPECT_EQ(updates[0].body["message"], "unknown command kind reboot");
}

TEST_F(CommandChannelTest, HandlerErrorIsReportedFailedWithItsMessageAndLastProgress) {
  collector_.Commands(json::array({RestoreCommand(11)}));
  auto channel = NewChannel();
  channel->RegisterHandler("restore", [](const wire::Command&, CommandReportFn report) {
    wire::CommandUpdate progress;
    progress.state = "running";
    progress.done_bytes = 3;
    progress.total_bytes = 8;
    (void)report(progress);
    return Status::PermissionDenied("restore target /etc/shadow is outside the restore roots");
  });
  channel->PollOnce();
  auto updates = collector_.updates();
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[2].body["state"], "failed");
  EXPECT_EQ(updates[2].body["message"], "restore target /etc/shadow is outside the restore roots");
  EXPECT_EQ(updates[2].body["done_bytes"], 3);
  EXPECT_EQ(updates[2].body["total_bytes"], 8);
}

TEST_F(CommandChannelTest, RedeliveredCommandIsNotRunAgainButItsOutcomeIsResent) {
  collector_.Commands(json::array({RestoreCommand(7)}));
  collector_.Commands(json::array({RestoreCommand(7)}));
  auto channel = NewChannel();
  channel->RegisterHandler("restore", SucceedingHandler());
  channel->PollOnce();
  channel->PollOnce();
  EXPECT_EQ(runs_, std::vector<int64_t>{7});
  auto updates = collector_.updates();
  ASSERT_EQ(updates.size(), 4u);
  EXPECT_EQ(updates[3].id, "7");
  EXPECT_EQ(updates[3].body, updates[2].body);
  EXPECT_EQ(updates[3].body["state"], "succeeded");
}

TEST_F(CommandChannelTest, CommandsOfOnePollRunOneAtATimeInOrder) {
  collector_.Commands(json::array({RestoreCommand(3), RestoreCommand(4)}));
  auto channel = NewChannel();
  channel->RegisterHandler("restore", SucceedingHandler());
  channel->PollOnce();
  EXPECT_EQ(runs_, (std::vector<int64_t>{3, 4}));
  std::vector<std::string> sequence;
  for (const auto& u : collector_.updates()) {
    sequence.push_back(u.id + ":" + u.body["state"].get<std::string>());
  }
  EXPECT_EQ(sequence, (std::vector<std::string>{"3:running", "3:running", "3:succeeded",
                                                "4:running", "4:running", "4:succeeded"}));
}

TEST_F(CommandChannelTest, LostFinalUpdateIsSentAgainBeforeTheNextPoll) {
  options_.final_update_attempts = 1;
  collector_.Commands(json::array({RestoreCommand(5)}));
  collector_.Script(200, R"({"commands":[]})");
  // running, running (progress) accepted; the final one answered 503.
  collector_.UpdateStatuses({200, 200, 503});
  auto channel = NewChannel();
  channel->RegisterHandler("restore", SucceedingHandler());
  channel->PollOnce();
  ASSERT_EQ(collector_.updates().size(), 3u);
  EXPECT_EQ(collector_.polls(), 1);
  channel->PollOnce();
  auto updates = collector_.updates();
  ASSERT_EQ(updates.size(), 4u);
  EXPECT_EQ(updates[3].id, "5");
  EXPECT_EQ(updates[3].body["state"], "succeeded");
  EXPECT_EQ(runs_.size(), 1u);
}

TEST_F(CommandChannelTest, UnauthorizedBacksOffWithGrowingDelaysAndLogsWithoutTheToken) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  for (int i = 0; i < 3; ++i) collector_.Script(401, R"({"error":"unknown token"})");
  auto channel = NewChannel();
  std::vector<int64_t> delays;
  for (int i = 0; i < 3; ++i) {
    auto result = channel->PollOnce();
    EXPECT_EQ(result.outcome, CommandChannel::PollResult::Outcome::kFailed);
    delays.push_back(result.delay_ms);
  }
  spdlog::set_default_logger(previous);
  // One request per PollOnce: the channel itself never retries in a loop.
  EXPECT_EQ(collector_.polls(), 3);
  // random01 = 1: the top of [initial, initial * 2^failures].
  EXPECT_EQ(delays, (std::vector<int64_t>{2000, 4000, 8000}));

  std::string logs;
  for (const auto& line : sink->last_formatted()) logs += line;
  EXPECT_NE(logs.find("rejected the agent token (401)"), std::string::npos) << logs;
  EXPECT_EQ(logs.find(kToken), std::string::npos) << logs;
}

TEST_F(CommandChannelTest, SuccessAfterFailuresResetsTheBackoff) {
  collector_.Script(503, R"({"error":"store busy"})");
  collector_.Script(503, R"({"error":"store busy"})");
  collector_.Script(200, R"({"commands":[]})");
  collector_.Script(503, R"({"error":"store busy"})");
  auto channel = NewChannel();
  EXPECT_EQ(channel->PollOnce().delay_ms, 2000);
  EXPECT_EQ(channel->PollOnce().delay_ms, 4000);
  EXPECT_EQ(channel->PollOnce().outcome, CommandChannel::PollResult::Outcome::kEmpty);
  EXPECT_EQ(channel->PollOnce().delay_ms, 2000);
}

TEST_F(CommandChannelTest, UnreachableCollectorBacksOffWithJitterInRange) {
  options_.random01 = [] { return 0.5; };
  // Port 1 on loopback: nothing listens there, the connection is refused.
  auto channel = NewChannel("http://127.0.0.1:1");
  auto result = channel->PollOnce();
  EXPECT_EQ(result.outcome, CommandChannel::PollResult::Outcome::kFailed);
  // Halfway between initial (1000) and initial * 2 (2000).
  EXPECT_EQ(result.delay_ms, 1500);
}

TEST_F(CommandChannelTest, EarlyEmptyReplyWithRetryAfterIsHonoured) {
  collector_.Script(200, R"({"commands":[]})", "5");
  auto channel = NewChannel();
  auto result = channel->PollOnce();
  EXPECT_EQ(result.outcome, CommandChannel::PollResult::Outcome::kEmpty);
  EXPECT_EQ(result.delay_ms, 5000);
}

// Found while writing tests/fuzz/command_reply_fuzz.cpp: seconds * 1000 overflowed int64 (UB),
// and a huge Retry-After wrapped around to a short pause (here 384 ms) instead of the longest.
TEST_F(CommandChannelTest, HugeRetryAfterWaitsTheMaximumBackoffWithoutOverflow) {
  collector_.Script(200, R"({"commands":[]})", "18446744073709552");
  collector_.Script(200, R"({"commands":[]})", "9223372036854775807");
  collector_.Script(200, R"({"commands":[]})", "-9223372036854775807");
  auto channel = NewChannel();
  EXPECT_EQ(channel->PollOnce().delay_ms, 60'000);
  EXPECT_EQ(channel->PollOnce().delay_ms, 60'000);
  EXPECT_EQ(channel->PollOnce().delay_ms, 0);  // a negative value asks for no pause
}

TEST_F(CommandChannelTest, EmptyPollThatReturnsAtOnceStillPausesTheMinimumInterval) {
  options_.min_poll_interval_ms = 1000;
  collector_.Script(200, R"({"commands":[]})");
  auto channel = NewChannel();
  // The FakeClock does not move: the poll "took" 0 ms, so the whole interval is left to wait.
  EXPECT_EQ(channel->PollOnce().delay_ms, 1000);
}

TEST_F(CommandChannelTest, MalformedReplyIsAFailureNotACrash) {
  collector_.Script(200, R"({"unexpected":true})");
  collector_.Commands(json::array({{{"id", 12}, {"kind", 5}}}));
  auto channel = NewChannel();
  EXPECT_EQ(channel->PollOnce().outcome, CommandChannel::PollResult::Outcome::kFailed);
  channel->PollOnce();
  auto updates = collector_.updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].id, "12");
  EXPECT_EQ(updates[0].body["state"], "failed");
  EXPECT_NE(updates[0].body["message"].get<std::string>().find("malformed command"),
            std::string::npos);
}

TEST_F(CommandChannelTest, DeeplyNestedReplyIsAFailureNotACrash) {
  collector_.Script(200, R"({"commands":[{"id":12,"kind":"restore","args":{"x":)" +
                             std::string(100000, '[') + std::string(100000, ']') + "}}]}");
  auto channel = NewChannel();
  EXPECT_EQ(channel->PollOnce().outcome, CommandChannel::PollResult::Outcome::kFailed);
  EXPECT_TRUE(collector_.updates().empty());
}

TEST_F(CommandChannelTest, StopDuringALongPollReturnsWithoutWaitingForTheCollector) {
  auto channel = NewChannel();
  std::thread runner([&] { channel->Run(); });
  collector_.AwaitHeldPoll();  // the collector holds the poll for up to 25 s
  channel->Stop();
  runner.join();  // returns before the collector answers
  EXPECT_EQ(collector_.polls(), 1);
  collector_.Release();
}

TEST_F(CommandChannelTest, StopDuringABackoffReturnsAndNoPollIsRepeatedMeanwhile) {
  options_.backoff_initial_ms = 60'000;  // a tight loop would poll again at once
  collector_.Script(401, R"({"error":"unknown token"})");
  collector_.Script(401, R"({"error":"unknown token"})");
  auto channel = NewChannel();
  std::thread runner([&] { channel->Run(); });
  collector_.AwaitPolls(1);
  channel->Stop();
  runner.join();
  EXPECT_EQ(collector_.polls(), 1);
}

TEST_F(CommandChannelTest, RunHandlesCommandsUntilStopped) {
  collector_.Commands(json::array({RestoreCommand(21)}));
  auto channel = NewChannel();
  channel->RegisterHandler("restore", SucceedingHandler());
  std::thread runner([&] { channel->Run(); });
  collector_.AwaitHeldPoll();  // the second poll: the command was handled before it
  channel->Stop();
  runner.join();
  EXPECT_EQ(runs_, std::vector<int64_t>{21});
  auto updates = collector_.updates();
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates.back().body["state"], "succeeded");
  collector_.Release();
}

}  // namespace
}  // namespace beacon::agent
