// The agent command queue on a real SQLite file (the backup catalog's, where its table lives):
// the command state machine with re-delivery and per-agent isolation, and the wake-up a
// long-poll waits on.
#include "collector/commands/command_queue.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collector/backups/catalog.h"

namespace beacon::collector::commands {
namespace {

constexpr int64_t kT0 = 1'764'136'000'000;  // 2025-11-26T05:46:40Z

std::string Sha(char c) { return std::string(64, c); }

class CommandQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("command_queue_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Result<std::unique_ptr<backups::Catalog>> opened =
        backups::Catalog::Open((dir_ / "catalog.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = std::move(*opened);
    queue_ = &catalog_->commands();
  }
  void TearDown() override {
    catalog_.reset();
    std::filesystem::remove_all(dir_);
  }
  int64_t Queued(const std::string& agent) {
    Result<int64_t> id =
        queue_->CreateCommand(agent, "restore", {{"target", "/x"}}, kCommandQueued, 0, kT0);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  std::filesystem::path dir_;
  std::unique_ptr<backups::Catalog> catalog_;
  CommandQueue* queue_ = nullptr;
};

TEST_F(CommandQueueTest, CommandsAreClaimedOnceThenRedeliveredWhenTheAgentStaysSilent) {
  const int64_t id = Queued("web-01");
  Result<std::vector<StoredCommand>> first = queue_->ClaimCommands("web-01", kT0, 10);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].id, id);
  EXPECT_EQ((*first)[0].args["target"], "/x");
  EXPECT_EQ((*first)[0].state, kCommandDelivered);
  // Another agent never sees it; a second poll soon after gets nothing.
  EXPECT_TRUE(queue_->ClaimCommands("web-02", kT0, 10)->empty());
  EXPECT_TRUE(queue_->ClaimCommands("web-01", kT0 + kCommandRedeliverAfterMs - 1, 10)->empty());
  // No update for two minutes: delivered again.
  Result<std::vector<StoredCommand>> again =
      queue_->ClaimCommands("web-01", kT0 + kCommandRedeliverAfterMs, 10);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].deliveries, 2);

  // While the agent reports progress, it is not re-delivered.
  wire::CommandUpdate running{"running", 10, 100, "", nlohmann::json::object()};
  const int64_t reported = kT0 + 3 * 60000;
  ASSERT_TRUE(queue_->UpdateCommand("web-01", id, running, reported).ok());
  EXPECT_TRUE(
      queue_->ClaimCommands("web-01", reported + kCommandRedeliverAfterMs - 1, 10)->empty());
  Result<StoredCommand> got = queue_->GetCommand(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, kCommandRunning);
  EXPECT_EQ(got->done_bytes, 10u);
  EXPECT_EQ(got->total_bytes, 100u);
  // A running command that falls silent (the agent restarted mid-restore) is delivered again;
  // restores are idempotent, and a live agent answers a repeated id with its final update.
  Result<std::vector<StoredCommand>> resumed =
      queue_->ClaimCommands("web-01", reported + kCommandRedeliverAfterMs, 10);
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->size(), 1u);
  EXPECT_EQ((*resumed)[0].deliveries, 3);
  // A final state is never delivered again.
  wire::CommandUpdate done{"succeeded", 100, 100, "ok", nlohmann::json::object()};
  ASSERT_TRUE(queue_->UpdateCommand("web-01", id, done, reported + 200000).ok());
  EXPECT_TRUE(queue_->ClaimCommands("web-01", reported + 3600000, 10)->empty());
}

TEST_F(CommandQueueTest, UpdatesFromAnotherAgentOrAfterTheEndAreRefused) {
  const int64_t id = Queued("web-01");
  wire::CommandUpdate running{"running", 0, 100, "", nlohmann::json::object()};
  // Not delivered yet.
  EXPECT_EQ(queue_->UpdateCommand("web-01", id, running, kT0).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_EQ(queue_->ClaimCommands("web-01", kT0, 10)->size(), 1u);
  // Another agent's command looks like no command at all.
  EXPECT_EQ(queue_->UpdateCommand("web-02", id, running, kT0).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(queue_->UpdateCommand("web-01", id + 50, running, kT0).status().code(),
            StatusCode::kNotFound);
  wire::CommandUpdate bogus = running;
  bogus.state = "delivered";
  EXPECT_EQ(queue_->UpdateCommand("web-01", id, bogus, kT0).status().code(),
            StatusCode::kInvalidArgument);

  wire::CommandUpdate done{"succeeded", 100, 100, "restored to /x", {{"sha256", Sha('a')}}};
  Result<StoredCommand> finished = queue_->UpdateCommand("web-01", id, done, kT0 + 1);
  ASSERT_TRUE(finished.ok());
  EXPECT_EQ(finished->state, kCommandSucceeded);
  EXPECT_EQ(finished->result["sha256"], Sha('a'));
  // A retried final report is harmless; a different state is refused and changes nothing.
  EXPECT_TRUE(queue_->UpdateCommand("web-01", id, done, kT0 + 2).ok());
  wire::CommandUpdate failed{"failed", 0, 0, "late failure", nlohmann::json::object()};
  EXPECT_EQ(queue_->UpdateCommand("web-01", id, failed, kT0 + 3).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_->SetCommandState(id, kCommandQueued, "", kT0 + 4).code(),
            StatusCode::kFailedPrecondition);
  Result<StoredCommand> final_state = queue_->GetCommand(id);
  ASSERT_TRUE(final_state.ok());
  EXPECT_EQ(final_state->state, kCommandSucceeded);
  EXPECT_EQ(final_state->message, "restored to /x");
  EXPECT_EQ(final_state->updated_ms, kT0 + 1);
}

TEST_F(CommandQueueTest, WaitingArchiveRestoreCommandsAreHeldUntilQueued) {
  Result<int64_t> id = queue_->CreateCommand("web-01", "restore", nlohmann::json::object(),
                                             kCommandWaitingArchiveRestore, 42, kT0);
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(queue_->ClaimCommands("web-01", kT0, 10)->empty());
  Result<std::vector<StoredCommand>> waiting =
      queue_->ListCommandsForVersion(42, kCommandWaitingArchiveRestore);
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->size(), 1u);
  const uint64_t generation = queue_->CommandGeneration("web-01");
  ASSERT_TRUE(queue_->SetCommandState(*id, kCommandQueued, "archive copy ready", kT0 + 1).ok());
  EXPECT_NE(queue_->CommandGeneration("web-01"), generation);
  ASSERT_EQ(queue_->ClaimCommands("web-01", kT0 + 2, 10)->size(), 1u);
  EXPECT_EQ(queue_->CreateCommand("web-01", "restore", {}, kCommandRunning, 0, kT0).status().code(),
            StatusCode::kInvalidArgument);
  Result<std::vector<StoredCommand>> listed = queue_->ListCommands(kCommandDelivered);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(CommandQueueTest, TheUpdateListenerHearsEveryRecordedChangeAndNothingRefused) {
  std::vector<int64_t> heard;
  queue_->SetUpdateListener([&heard](int64_t id) { heard.push_back(id); });
  const int64_t id = Queued("web-01");
  const int64_t waiting = *queue_->CreateCommand("web-01", "restore", {{"target", "/y"}},
                                                 kCommandWaitingArchiveRestore, 7, kT0);
  EXPECT_TRUE(heard.empty());  // queuing and claiming are no progress
  ASSERT_EQ(queue_->ClaimCommands("web-01", kT0, 10)->size(), 1u);
  EXPECT_TRUE(heard.empty());
  wire::CommandUpdate running{"running", 10, 100, "", nlohmann::json::object()};
  ASSERT_TRUE(queue_->UpdateCommand("web-01", id, running, kT0 + 1).ok());
  // A refused report (another agent's) records nothing and is not heard.
  EXPECT_FALSE(queue_->UpdateCommand("web-02", id, running, kT0 + 2).ok());
  ASSERT_TRUE(queue_->SetCommandState(waiting, kCommandFailed, "archive gone", kT0 + 3).ok());
  wire::CommandUpdate done{"succeeded", 100, 100, "ok", nlohmann::json::object()};
  ASSERT_TRUE(queue_->UpdateCommand("web-01", id, done, kT0 + 4).ok());
  EXPECT_EQ(heard, (std::vector<int64_t>{id, waiting, id}));
  queue_->SetUpdateListener(nullptr);
  EXPECT_TRUE(queue_->UpdateCommand("web-01", id, done, kT0 + 5).ok());  // a retried report
  EXPECT_EQ(heard.size(), 3u);
}

TEST_F(CommandQueueTest, AWaiterWakesForItsAgentAndOnShutdown) {
  const uint64_t seen = queue_->CommandGeneration("web-01");
  CommandQueue::WaitOutcome outcome = CommandQueue::WaitOutcome::kTimedOut;
  std::thread waiter(
      [&] { outcome = queue_->WaitForCommands("web-01", seen, std::chrono::minutes(10)); });
  Queued("web-02");  // another agent's command does not end the wait ...
  Queued("web-01");  // ... this one does (and would even if it came before the wait began)
  waiter.join();
  EXPECT_EQ(outcome, CommandQueue::WaitOutcome::kChanged);

  const uint64_t now_seen = queue_->CommandGeneration("web-01");
  EXPECT_EQ(queue_->WaitForCommands("web-01", now_seen, std::chrono::milliseconds(1)),
            CommandQueue::WaitOutcome::kTimedOut);
  std::thread shut(
      [&] { outcome = queue_->WaitForCommands("web-01", now_seen, std::chrono::minutes(10)); });
  queue_->WakeAllWaiters();
  shut.join();
  EXPECT_EQ(outcome, CommandQueue::WaitOutcome::kShutDown);
}

}  // namespace
}  // namespace beacon::collector::commands
