// PassiveListener on loopback: replies byte-exact, the allow list, hostile frames, a stalled
// client, and slow items that fill their lane while cheap ones are still answered.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "agent/zabbix/passive_listener.h"
#include "agent/zabbix/zbxd.h"

namespace beacon::agent::zabbix {
namespace {

std::string ZbxNotSupported(const std::string& reason) {
  return *EncodeZbxd(std::string("ZBX_NOTSUPPORTED") + '\0' + reason);
}

class ZabbixListener : public ::testing::Test {
 protected:
  void StartListener(std::vector<std::string> allow = {"127.0.0.1"}, int64_t timeout_ms = 3000) {
    table_ = StandardItemTable();
    // A slow item that waits until released (or its deadline): fills the slow lane.
    table_.Add({"test.slow", ItemCost::kSlow, [this](const ItemKey&, const ItemContext& c) {
                  ++slow_started_;
                  while (!release_ && c.clock->MonotonicMs() < c.deadline_ms) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                  }
                  return ItemResult::Value("slow");
                }});
    PassiveListenerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    for (const auto& a : allow) options.allow.push_back(*http::ParseIpNetwork(a));
    options.timeout_ms = timeout_ms;
    options.slow_workers = 2;
    options.cheap_workers = 1;
    options.lane_queue = 2;
    ItemContext context;
    context.hostname = "web-01";
    listener_ = std::make_unique<PassiveListener>(options, table_, context);
    ASSERT_TRUE(listener_->Start().ok());
  }
  void TearDown() override {
    release_ = true;
    if (listener_) listener_->Stop();
  }

  int Connect(const char* from = "127.0.0.1") {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(listener_->port());
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    return fd;
  }
  // Everything the listener sends until it closes, or what came within `wait_ms`.
  static std::string ReadAll(int fd, int wait_ms = 5000) {
    std::string out;
    char buffer[4096];
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            end - std::chrono::steady_clock::now())
                                            .count());
      pollfd p{fd, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, left) <= 0) break;
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }
  std::string Ask(const std::string& bytes, const char* from = "127.0.0.1") {
    int fd = Connect(from);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string reply = ReadAll(fd);
    ::close(fd);
    return reply;
  }
  std::string AskKey(const std::string& key) { return Ask(*EncodeZbxd(key)); }

  ItemTable table_;
  std::unique_ptr<PassiveListener> listener_;
  std::atomic<bool> release_{false};
  std::atomic<int> slow_started_{0};
};

TEST_F(ZabbixListener, AnswersOneRequestPerConnectionByteExact) {
  StartListener();
  EXPECT_EQ(AskKey("agent.ping"), *EncodeZbxd("1"));
  EXPECT_EQ(AskKey("agent.hostname"), *EncodeZbxd("web-01"));
  EXPECT_EQ(AskKey("bogus.key"), ZbxNotSupported("Unsupported item key."));
  EXPECT_EQ(AskKey("agent.ping[x]"), ZbxNotSupported("Item does not allow parameters."));
  EXPECT_EQ(AskKey("a[b"), ZbxNotSupported("Invalid item key format."));
  EXPECT_EQ(Ask(*EncodeZbxd("agent.ping", {.compress = true})), *EncodeZbxd("1"));
  // Two frames on one connection: only the first is answered, then the connection closes.
  EXPECT_EQ(Ask(*EncodeZbxd("agent.ping") + *EncodeZbxd("agent.version")), *EncodeZbxd("1"));
  EXPECT_EQ(listener_->stats().answered, 7);
}

TEST_F(ZabbixListener, SourceOutsideTheAllowListGetsNothing) {
  StartListener({"127.0.0.2", "10.0.0.0/8"});
  EXPECT_EQ(AskKey("agent.ping"), "");
  EXPECT_EQ(Ask(*EncodeZbxd("agent.ping"), "127.0.0.2"), *EncodeZbxd("1"));
  EXPECT_EQ(listener_->stats().refused_source, 1);
}

TEST_F(ZabbixListener, HostileFramesAreClosedWithoutReplyAndDoNotStopTheListener) {
  StartListener();
  const std::string header_1mib = std::string("ZBXD\x01\x00\x00\x10\x00\x00\x00\x00\x00", 13);
  EXPECT_EQ(Ask("agent.ping\n"), "");                                  // unframed
  EXPECT_EQ(Ask(std::string("ZBXD\x05\x01\0\0\0\0\0\0\0x", 14)), "");  // LARGE
  EXPECT_EQ(Ask(header_1mib + std::string(70'000, 'a')), "");          // oversized
  EXPECT_EQ(Ask(std::string(100'000, '\xff')), "");                    // garbage
  // Truncated: the client closes after half a frame.
  const std::string frame = *EncodeZbxd("agent.ping");
  EXPECT_EQ(Ask(frame.substr(0, 15)), "");
  EXPECT_EQ(AskKey("agent.ping"), *EncodeZbxd("1"));
  EXPECT_GE(listener_->stats().refused_request, 4);
}

TEST_F(ZabbixListener, StalledClientIsClosedAtTheTimeoutAndHoldsNoWorker) {
  StartListener({"127.0.0.1"}, /*timeout_ms=*/1000);
  std::vector<int> stalled;
  for (int i = 0; i < 20; ++i) {
    stalled.push_back(Connect());
    const std::string half = EncodeZbxd("agent.ping")->substr(0, 8);
    if (i % 2) ::send(stalled.back(), half.data(), half.size(), MSG_NOSIGNAL);
  }
  // Far more stalled clients than workers: requests still go through at once.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(AskKey("agent.ping"), *EncodeZbxd("1"));
  EXPECT_EQ(AskKey("vfs.file.exists[/]"), *EncodeZbxd("0"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  for (int fd : stalled) {
    EXPECT_EQ(ReadAll(fd, 3000), "");  // closed after the timeout, nothing sent
    ::close(fd);
  }
  EXPECT_EQ(listener_->stats().timed_out, 20);
}

TEST_F(ZabbixListener, SlowItemsFillTheirLaneWithoutBlockingCheapOnes) {
  StartListener({"127.0.0.1"}, /*timeout_ms=*/5000);
  // 2 slow workers busy and 2 queued: the lane is full.
  std::vector<std::thread> clients;
  std::vector<std::string> replies(4);
  auto ask_slow = [this, &clients, &replies](int i) {
    clients.emplace_back([this, i, &replies] { replies[i] = AskKey("test.slow"); });
  };
  ask_slow(0);
  ask_slow(1);
  for (int i = 0; i < 400 && slow_started_ < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(slow_started_, 2);
  ask_slow(2);
  ask_slow(3);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the other two are queued
  EXPECT_EQ(slow_started_, 2);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(AskKey("agent.ping"), *EncodeZbxd("1"));
  EXPECT_EQ(AskKey("system.cpu.load[all,avg1]").substr(0, 4), "ZBXD");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  // One more slow request finds the lane full and is told so at once.
  EXPECT_EQ(AskKey("test.slow"),
            ZbxNotSupported("Too many requests in progress, try again later."));
  EXPECT_EQ(listener_->stats().busy, 1);
  release_ = true;
  for (auto& t : clients) t.join();
  for (const auto& reply : replies) EXPECT_EQ(reply, *EncodeZbxd("slow"));
}

TEST_F(ZabbixListener, RefusesToStartOnABusyPort) {
  StartListener();
  PassiveListenerOptions options;
  options.port = listener_->port();
  PassiveListener second(options, table_, ItemContext{});
  Status started = second.Start();
  EXPECT_FALSE(started.ok());
  EXPECT_NE(started.message().find("cannot listen on 127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace beacon::agent::zabbix
