// Dispatcher: a burst of 200 commands from 20 users is answered completely and in order per
// user, one command per user at a time; full queues refuse at Submit; Stop drains.
#include "bot/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

ChatRequest Line(const std::string& user, const std::string& text) {
  ChatRequest r;
  r.sender.user_id = user;
  r.sender.channel = kChannelWecomApp;
  r.text = text;
  r.message_id = user + ":" + text;
  r.now_ms = testing::kNow;
  return r;
}

// A gate the test opens: handlers wait on it, so queues fill deterministically.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(Dispatcher, ABurstFromTwentyUsersIsAnsweredCompletelyInOrderPerUser) {
  std::mutex mu;
  std::map<std::string, std::vector<int>> delivered;
  std::set<std::string> running;
  std::atomic<bool> overlapped{false};
  std::atomic<int> max_parallel{0}, parallel{0};
  std::condition_variable all_done;
  int count = 0;

  Dispatcher d(
      [&](const ChatRequest& r) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!running.insert(r.sender.user_id).second) overlapped = true;
        }
        int now = ++parallel;
        int seen = max_parallel.load();
        while (now > seen && !max_parallel.compare_exchange_weak(seen, now)) {
        }
        // Uneven work so workers interleave users differently on every run.
        std::this_thread::sleep_for(
            std::chrono::microseconds(std::hash<std::string>{}(r.text) % 500));
        --parallel;
        {
          std::lock_guard<std::mutex> lock(mu);
          running.erase(r.sender.user_id);
        }
        return Reply{Reply::Format::kText, r.text};
      },
      [&](const ChatRequest& r, Reply reply) {
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_EQ(reply.body, r.text);
        delivered[r.sender.user_id].push_back(std::stoi(r.text));
        if (++count == 200) all_done.notify_all();
      },
      DispatcherOptions{4, 1000, 20});

  for (int i = 0; i < 10; ++i) {
    for (int u = 0; u < 20; ++u) {
      ASSERT_TRUE(d.Submit(Line("user" + std::to_string(u), std::to_string(i))).ok());
    }
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(30), [&] { return count == 200; }));
  }
  d.Stop();
  ASSERT_EQ(delivered.size(), 20u);
  for (const auto& [user, seq] : delivered) {
    EXPECT_EQ(seq, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})) << user;
  }
  EXPECT_FALSE(overlapped) << "two commands of one user ran at once";
  EXPECT_GT(max_parallel.load(), 1) << "users were not served concurrently";
}

TEST(Dispatcher, RunsTheRealEngineForManyUsersWithOneAuditRowEach) {
  testing::BotHarness h;
  for (int u = 0; u < 20; ++u) h.rbac.GrantLocal("user" + std::to_string(u), Role::kViewer);
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> replies;
  std::atomic<int> count{0};
  {
    Dispatcher d([&](const ChatRequest& r) { return h.engine->Handle(r); },
                 [&](const ChatRequest& r, Reply reply) {
                   std::lock_guard<std::mutex> lock(mu);
                   replies[r.sender.user_id].push_back(reply.body);
                   ++count;
                 },
                 DispatcherOptions{4, 1000, 20});
    for (int i = 0; i < 10; ++i) {
      for (int u = 0; u < 20; ++u) {
        ChatRequest r = Line("user" + std::to_string(u), i % 2 ? "whoami" : "help whoami");
        r.sender.channel = kChannelCli;
        ASSERT_TRUE(d.Submit(r).ok());
      }
    }
    d.Stop();  // drains: every queued command is answered first
  }
  EXPECT_EQ(count.load(), 200);
  for (const auto& [user, bodies] : replies) {
    ASSERT_EQ(bodies.size(), 10u) << user;
    for (size_t i = 0; i < bodies.size(); ++i) {
      EXPECT_NE(bodies[i].find(i % 2 ? "role: viewer" : "show your user"), std::string::npos)
          << user << " reply " << i << ": " << bodies[i];
    }
  }
  EXPECT_EQ(h.AuditRows(1000).size(), 200u);
  auto verified = h.audit->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
}

TEST(Dispatcher, FullQueuesRefuseAtSubmit) {
  Gate gate, started;
  std::atomic<int> handled{0};
  Dispatcher d(
      [&](const ChatRequest&) {
        started.Open();
        gate.Wait();
        ++handled;
        return Reply{};
      },
      [](const ChatRequest&, Reply) {}, DispatcherOptions{1, 5, 3});
  // a1 runs (blocked at the gate), a2..a4 wait: a's queue holds 3.
  ASSERT_TRUE(d.Submit(Line("a", "1")).ok());
  started.Wait();  // the worker holds a1
  for (int i = 2; i <= 4; ++i) ASSERT_TRUE(d.Submit(Line("a", std::to_string(i))).ok()) << i;
  Status per_user = d.Submit(Line("a", "5"));
  EXPECT_EQ(per_user.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(per_user.message().find("you have 3 commands waiting"), std::string::npos);
  // Overall: 3 waiting + 2 of b = 5, the sixth is refused whoever sends it.
  ASSERT_TRUE(d.Submit(Line("b", "1")).ok());
  ASSERT_TRUE(d.Submit(Line("b", "2")).ok());
  Status full = d.Submit(Line("c", "1"));
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("queue is full"), std::string::npos);
  EXPECT_NE(Dispatcher::BusyReply().body.find("机器人正忙"), std::string::npos);
  gate.Open();
  d.Stop();
  EXPECT_EQ(handled.load(), 6);
  EXPECT_EQ(d.Submit(Line("a", "6")).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace beacon::bot
