// Zabbix active checks: the protocol's JSON against the 6.0 captures, the schedule and the
// bounded buffer, hostile server replies, and whole sessions against a scripted in-test ZBXD
// server (item list -> values with ids, clocks and keys; server away -> buffered -> delivered;
// the list changing on refresh; malformed, oversized, truncated and stalled replies).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/zabbix/active_checks.h"
#include "agent/zabbix/active_protocol.h"
#include "agent/zabbix/zbxd.h"
#include "common/mutex.h"
#include "common/posix.h"

namespace beacon::agent::zabbix {
namespace {

using nlohmann::json;

TEST(ZabbixActiveProtocol, RequestIsTheCapturedOne) {
  ActiveChecksRequest request;
  request.host = "testhost";
  request.host_metadata = "linux-meta";
  request.ip = "127.0.0.1";
  request.port = 20050;
  EXPECT_EQ(EncodeActiveChecksRequest(request),
            R"({"request":"active checks","host":"testhost","host_metadata":"linux-meta",)"
            R"("ip":"127.0.0.1","port":20050})");
  ActiveChecksRequest plain;
  plain.host = "h";
  EXPECT_EQ(EncodeActiveChecksRequest(plain), R"({"request":"active checks","host":"h"})");
}

TEST(ZabbixActiveProtocol, AgentDataIsTheCapturedShape) {
  ActiveValue ok{"testhost", "agent.ping", "1", false, 1, 1795663247, 677807512};
  ActiveValue bad{"testhost", "bogus", "Unsupported item key.", true, 2, 1795663248, 5};
  EXPECT_EQ(EncodeAgentData("652037680fad4a70898e932b823f6d6d", {ok, bad}, 1795663249, 677858818),
            R"({"request":"agent data","session":"652037680fad4a70898e932b823f6d6d","data":[)"
            R"({"host":"testhost","key":"agent.ping","value":"1","id":1,"clock":1795663247,)"
            R"("ns":677807512},{"host":"testhost","key":"bogus","value":"Unsupported item key.",)"
            R"("state":1,"id":2,"clock":1795663248,"ns":5}],"clock":1795663249,"ns":677858818})");
}

TEST(ZabbixActiveProtocol, ParsesTheItemList) {
  auto reply = ParseActiveChecksReply(
      R"({"response":"success","data":[{"key":"agent.ping","delay":10,"lastlogsize":0,)"
      R"("mtime":0},{"key":"x","itemid":1,"delay":"1m"},{"key":"agent.ping","delay":5},)"
      R"({"key":"flex","delay":"10s;50s/1-5,09:00-18:00"},{"key":"zero","delay":0},)"
      R"({"delay":3},{"key":"neg","delay":-1},7]})");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->checks.size(), 2u);
  EXPECT_EQ(reply->checks[0].key, "agent.ping");
  EXPECT_EQ(reply->checks[0].delay_s, 10);
  EXPECT_EQ(reply->checks[1].key, "x");
  EXPECT_EQ(reply->checks[1].delay_s, 60);
  EXPECT_EQ(reply->skipped.size(), 5u);  // flex, zero, no key, negative, not an object
  auto none = ParseActiveChecksReply(R"({"response":"success"})");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->checks.empty());
}

TEST(ZabbixActiveProtocol, RefusedAndHostileLists) {
  auto unknown = ParseActiveChecksReply(R"({"response":"failed","info":"host [x] not found"})");
  ASSERT_EQ(unknown.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(unknown.status().message().find("host [x] not found"), std::string::npos);
  for (const char* text : {"", "{", "[]", "null", R"({"response":1})", R"({"data":[]})",
                           R"({"response":"success","data":{}})", "\xff\xfe"}) {
    EXPECT_FALSE(ParseActiveChecksReply(text).ok()) << text;
  }
  EXPECT_FALSE(ParseActiveChecksReply(std::string(100000, '[')).ok());
  std::string many = R"({"response":"success","data":[)";
  for (size_t i = 0; i <= kMaxActiveChecks; ++i) {
    many += (i ? "," : "") + std::string(R"({"key":"k)") + std::to_string(i) + R"(","delay":1})";
  }
  EXPECT_FALSE(ParseActiveChecksReply(many + "]}").ok());
  std::string long_key =
      R"({"response":"success","data":[{"key":")" + std::string(5000, 'a') + R"(","delay":1}]})";
  auto skipped = ParseActiveChecksReply(long_key);
  ASSERT_TRUE(skipped.ok());
  EXPECT_TRUE(skipped->checks.empty());
}

TEST(ZabbixActiveProtocol, Delays) {
  EXPECT_EQ(*ParseActiveDelay("30"), 30);
  EXPECT_EQ(*ParseActiveDelay("5m"), 300);
  EXPECT_EQ(*ParseActiveDelay("1h"), 3600);
  EXPECT_EQ(*ParseActiveDelay("1d"), 86400);
  for (const char* bad : {"", "0", "0s", "2d", "1w", "s", "10x", "1.5", "md1",
                          "10s;1m/1-5,9:00-17:00", "99999999999999999999"}) {
    EXPECT_FALSE(ParseActiveDelay(bad).ok()) << bad;
  }
}

TEST(ZabbixActiveProtocol, DataReplies) {
  auto reply = ParseAgentDataReply(
      R"({"response":"success","info":"processed: 3; failed: 1; total: 4; seconds spent: 0.000130"})");
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->success);
  EXPECT_EQ(reply->processed, 3);
  EXPECT_EQ(reply->failed, 1);
  EXPECT_EQ(reply->total, 4);
  auto odd = ParseAgentDataReply(R"({"response":"failed","info":"processed: x"})");
  ASSERT_TRUE(odd.ok());
  EXPECT_FALSE(odd->success);
  EXPECT_EQ(odd->processed, -1);
  for (const char* text : {"", "OK", "[1]", R"({"info":"processed: 1"})"}) {
    EXPECT_FALSE(ParseAgentDataReply(text).ok()) << text;
  }
  EXPECT_EQ(ActiveSessionToken(std::string(16, '\x01')), "01010101010101010101010101010101");
}

TEST(ZabbixActiveSchedule, KeepsTimesOfUnchangedItemsAndRunsNewOnesAtOnce) {
  ActiveSchedule schedule;
  schedule.SetChecks({{"a", 10}, {"b", 5}}, 1000);
  EXPECT_EQ(schedule.TakeDue(1000), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(schedule.TakeDue(1000).empty());  // running
  EXPECT_EQ(schedule.NextDueMs(), INT64_MAX);
  schedule.Finished("a", 1100);
  schedule.Finished("b", 1100);
  EXPECT_EQ(schedule.NextDueMs(), 6100);
  schedule.SetChecks({{"a", 10}, {"b", 7}, {"c", 1}}, 2000);  // b's delay changed, c is new
  EXPECT_EQ(schedule.TakeDue(2000), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(schedule.TakeDue(11100), (std::vector<std::string>{"a"}));
  schedule.SetChecks({{"c", 1}}, 12000);
  EXPECT_EQ(schedule.size(), 1u);
  schedule.Finished("a", 12000);  // a run of a forgotten item: ignored
  EXPECT_EQ(schedule.size(), 1u);
}

TEST(ZabbixActiveBuffer, DropsTheOldestOfTheSameItemElseTheOldest) {
  ActiveBuffer buffer(3);
  EXPECT_FALSE(buffer.Add({"h", "a", "1"}));
  EXPECT_FALSE(buffer.Add({"h", "b", "2"}));
  EXPECT_FALSE(buffer.Add({"h", "a", "3"}));
  EXPECT_TRUE(buffer.full());
  EXPECT_TRUE(buffer.Add({"h", "b", "4"}));  // drops b=2
  std::vector<std::string> values;
  for (const ActiveValue& v : buffer.values()) values.push_back(v.key + v.value);
  EXPECT_EQ(values, (std::vector<std::string>{"a1", "a3", "b4"}));
  EXPECT_TRUE(buffer.Add({"h", "c", "5"}));  // no other c: drops the oldest, a1
  EXPECT_EQ(buffer.values().front().value, "3");
  EXPECT_EQ(buffer.values().back().id, 5u);
  buffer.Delivered(2);
  EXPECT_EQ(buffer.size(), 1u);
  EXPECT_EQ(buffer.values().front().id, 5u);
}

TEST(ZabbixActiveConfig, ServerActiveEntries) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(ParseServerActive("zabbix.example", &host, &port));
  EXPECT_EQ(host, "zabbix.example");
  EXPECT_EQ(port, 10051);
  ASSERT_TRUE(ParseServerActive("192.0.2.1:20051", &host, &port));
  EXPECT_EQ(port, 20051);
  ASSERT_TRUE(ParseServerActive("[2001:db8::1]:30051", &host, &port));
  EXPECT_EQ(host, "2001:db8::1");
  EXPECT_EQ(port, 30051);
  ASSERT_TRUE(ParseServerActive("::1", &host, &port));
  EXPECT_EQ(host, "::1");
  for (const char* bad :
       {"", ":10051", "h:", "h:0", "h:65536", "h:x", "a:1;b:2", "[::1", "[]:1", "a b"}) {
    EXPECT_FALSE(ParseServerActive(bad, &host, &port)) << bad;
  }
}

// A scripted Zabbix server on loopback: each connection's request frame is recorded and
// answered by `reply` (nullopt: close without a reply; "" with stall: keep it open).
class FakeServer {
 public:
  using Reply = std::function<std::string(const json& request)>;
  explicit FakeServer(Reply reply) : reply_(std::move(reply)) {
    fd_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    const int one = 1;
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_.get(), 16);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<json> requests() {
    MutexLock lock(mu_);
    return requests_;
  }
  std::vector<json> data() {
    std::vector<json> values;
    for (const json& r : requests()) {
      if (r.value("request", "") == "agent data") {
        for (const json& v : r["data"]) values.push_back(v);
      }
    }
    return values;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.valid()) continue;
      std::string buffer;
      char chunk[4096];
      std::optional<ZbxdFrame> frame;
      while (!frame) {
        pollfd c{conn.get(), POLLIN, 0};
        if (::poll(&c, 1, 2000) <= 0) break;
        const ssize_t n = ::recv(conn.get(), chunk, sizeof(chunk), 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
        auto decoded = DecodeZbxd(buffer);
        if (!decoded.ok()) break;
        frame = *decoded;
      }
      if (!frame) continue;
      json request = json::parse(frame->data, nullptr, false);
      {
        MutexLock lock(mu_);
        requests_.push_back(request);
      }
      const std::string out = reply_(request);
      if (out == "stall") {
        for (int i = 0; i < 100 && !stop_; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      (void)!::send(conn.get(), out.data(), out.size(), MSG_NOSIGNAL);
    }
  }

  UniqueFd fd_;
  uint16_t port_ = 0;
  Reply reply_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Mutex mu_;
  std::vector<json> requests_ BEACON_GUARDED_BY(mu_);
};

std::string Frame(const std::string& data) { return *EncodeZbxd(data); }

std::string Processed(const json& request) {
  const size_t n = request.contains("data") ? request["data"].size() : 0;
  return Frame(R"({"response":"success","info":"processed: )" + std::to_string(n) +
               R"(; failed: 0; total: )" + std::to_string(n) + R"(; seconds spent: 0.000100"})");
}

// Lists test.counter every second; agent data is answered by `data`.
FakeServer::Reply CounterServer(std::function<std::string(const json&)> data) {
  return [data](const json& request) {
    if (request.value("request", "") == "active checks") {
      return Frame(R"({"response":"success","data":[{"key":"test.counter","delay":1}]})");
    }
    return data(request);
  };
}

bool WaitUntil(const std::function<bool()>& done, int ms = 8000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class ZabbixActiveSession : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = StandardItemTable();
    table_.Add({"test.counter", ItemCost::kCheap, [this](const ItemKey&, const ItemContext&) {
                  return ItemResult::Value(std::to_string(++counter_));
                }});
    table_.Add({"test.slow", ItemCost::kSlow, [this](const ItemKey&, const ItemContext& c) {
                  while (!release_ && c.clock->MonotonicMs() < c.deadline_ms) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                  }
                  return ItemResult::Value("slow");
                }});
    workers_.Start();
  }
  void TearDown() override {
    release_ = true;
    if (session_) session_->Stop();
    workers_.Stop();
  }
  void StartSession(int port, size_t buffer_size = 100, int64_t buffer_send_ms = 200,
                    int64_t refresh_ms = 300, int64_t timeout_ms = 1000) {
    ActiveChecksOptions options;
    options.server_host = "127.0.0.1";
    options.server_port = port;
    options.request.host = "web-01";
    options.request.host_metadata = "linux";
    options.refresh_ms = refresh_ms;
    options.buffer_send_ms = buffer_send_ms;
    options.buffer_size = buffer_size;
    options.timeout_ms = timeout_ms;
    ItemContext context;
    context.hostname = "web-01";
    session_ = std::make_unique<ActiveChecks>(options, table_, context, &workers_);
    session_->Start();
  }

  ItemTable table_;
  ItemWorkers workers_{ItemWorkersOptions{1, 1, 8}};
  std::atomic<int> counter_{0};
  std::atomic<bool> release_{false};
  std::unique_ptr<ActiveChecks> session_;
};

TEST_F(ZabbixActiveSession, ItemListThenValuesWithIdsClocksAndKeys) {
  const int64_t before = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  FakeServer server([](const json& request) {
    if (request.value("request", "") == "active checks") {
      return Frame(R"({"response":"success","data":[{"key":"test.counter","delay":1,)"
                   R"("lastlogsize":0,"mtime":0},{"key":"agent.hostname","delay":1},)"
                   R"({"key":"bogus.key","delay":1}]})");
    }
    return Processed(request);
  });
  StartSession(server.port());
  ASSERT_TRUE(WaitUntil([&] { return server.data().size() >= 6; }));
  const std::vector<json> requests = server.requests();
  EXPECT_EQ(requests[0], json::parse(R"({"request":"active checks","host":"web-01",)"
                                     R"("host_metadata":"linux"})"));
  std::string session;
  uint64_t last_id = 0;
  std::map<std::string, std::vector<std::string>> by_key;
  for (const json& r : requests) {
    if (r["request"] != "agent data") continue;
    if (session.empty()) session = r["session"];
    EXPECT_EQ(r["session"], session);  // one session per server and run
    EXPECT_GE(r["clock"].get<int64_t>(), before);
    for (const json& v : r["data"]) {
      EXPECT_EQ(v["host"], "web-01");
      EXPECT_EQ(v["id"].get<uint64_t>(), last_id + 1);  // increasing without gaps
      last_id = v["id"];
      EXPECT_GE(v["clock"].get<int64_t>(), before);
      EXPECT_LE(v["clock"].get<int64_t>(), r["clock"].get<int64_t>());
      EXPECT_LT(v["ns"].get<int64_t>(), 1'000'000'000);
      by_key[v["key"]].push_back(v["value"]);
      EXPECT_EQ(v.contains("state"), v["key"] == "bogus.key") << v.dump();
    }
  }
  EXPECT_EQ(session.size(), 32u);
  EXPECT_EQ(session, session_->session());
  EXPECT_EQ(by_key["agent.hostname"].front(), "web-01");
  EXPECT_EQ(by_key["bogus.key"].front(), "Unsupported item key.");
  ASSERT_GE(by_key["test.counter"].size(), 1u);
  EXPECT_EQ(by_key["test.counter"].front(), "1");
  EXPECT_GE(session_->stats().processed, 3);
}

TEST_F(ZabbixActiveSession, ServerComesBackAndGetsWhatWasGatheredMeanwhile) {
  std::atomic<bool> up{false};
  FakeServer server(
      CounterServer([&](const json& request) { return up ? Processed(request) : std::string(); }));
  StartSession(server.port(), 100, 200);
  ASSERT_TRUE(WaitUntil([&] { return session_->stats().gathered >= 3; }));
  EXPECT_EQ(session_->stats().sent, 0);
  up = true;
  ASSERT_TRUE(WaitUntil([&] { return session_->stats().sent >= 3; }));
  const std::vector<json> all = server.data();
  ASSERT_GE(all.size(), 3u);
  // Every attempt resent the same values with the same ids, oldest first.
  EXPECT_EQ(all[0]["id"], 1);
  EXPECT_EQ(all[0]["value"], "1");
  EXPECT_EQ(session_->stats().dropped, 0);
  EXPECT_EQ(session_->stats().buffered, 0);
}

TEST_F(ZabbixActiveSession, BufferBoundDropsOldestWhileAwayAndKeepsTheNewest) {
  std::atomic<bool> up{false};
  FakeServer server(CounterServer([&](const json& request) {
    return up ? Processed(request) : Frame(R"({"response":"failed","info":"busy"})");
  }));
  StartSession(server.port(), 3, 200);
  ASSERT_TRUE(WaitUntil([&] { return session_->stats().gathered >= 5; }, 12000));
  EXPECT_GE(session_->stats().dropped, 2);
  EXPECT_EQ(session_->stats().buffered, 3);
  up = true;
  ASSERT_TRUE(WaitUntil([&] { return session_->stats().sent >= 3; }));
  // The batches hold the newest three values: once the oldest were dropped, no batch starts at
  // id 1 any more, and the ids stay increasing within each.
  bool found_dropped_start = false;
  for (const json& r : server.requests()) {
    if (r["request"] != "agent data") continue;
    EXPECT_LE(r["data"].size(), 3u);
    for (size_t i = 1; i < r["data"].size(); ++i) {
      EXPECT_GT(r["data"][i]["id"].get<int>(), r["data"][i - 1]["id"].get<int>());
    }
    if (r["data"].size() == 3 && r["data"][0]["id"].get<int>() > 1) found_dropped_start = true;
  }
  EXPECT_TRUE(found_dropped_start);
}

TEST_F(ZabbixActiveSession, ItemListChangesOnRefresh) {
  std::atomic<int> version{0};
  FakeServer server([&](const json& request) {
    if (request.value("request", "") == "active checks") {
      return version == 0
                 ? Frame(R"({"response":"success","data":[{"key":"agent.ping","delay":1}]})")
                 : Frame(R"({"response":"success","data":[{"key":"agent.hostname","delay":1}]})");
    }
    return Processed(request);
  });
  StartSession(server.port());
  ASSERT_TRUE(WaitUntil([&] {
    for (const json& v : server.data()) {
      if (v["key"] == "agent.ping") return true;
    }
    return false;
  }));
  version = 1;
  ASSERT_TRUE(WaitUntil([&] {
    for (const json& v : server.data()) {
      if (v["key"] == "agent.hostname") return true;
    }
    return false;
  }));
  // Once the new list is in, agent.ping is no longer sent.
  const size_t seen = server.data().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::vector<json> data = server.data();
  for (size_t i = seen; i < data.size(); ++i) EXPECT_EQ(data[i]["key"], "agent.hostname");
  EXPECT_GE(session_->stats().refreshes, 2);
}

TEST_F(ZabbixActiveSession, HostileRepliesNeitherCrashNorStall) {
  std::atomic<int> calls{0};
  const std::vector<std::string> replies = {
      "garbage, not a frame",
      Frame("not json"),
      Frame(std::string(200000, '[')),
      std::string("ZBXD\x01\xff\xff\xff\x7f\0\0\0\0", 13),  // 2 GiB declared
      Frame(R"({"response":"success","data":[{"key":"agent.ping","delay":1}]})").substr(0, 20),
      "stall",
      Frame(R"({"response":"success","data":"x"})"),
      std::string("ZBXD\x05\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0x", 22),  // LARGE
  };
  FakeServer server([&](const json& request) {
    const int n = calls++;
    if (request.value("request", "") == "active checks" && n < static_cast<int>(replies.size())) {
      return replies[static_cast<size_t>(n)];
    }
    if (request.value("request", "") == "active checks") {
      return Frame(R"({"response":"success","data":[{"key":"agent.ping","delay":1}]})");
    }
    return Processed(request);
  });
  StartSession(server.port(), 100, 200, 100, 300);
  ASSERT_TRUE(WaitUntil([&] { return session_->stats().sent >= 1; }, 15000));
  EXPECT_GE(session_->stats().refresh_failures, static_cast<int64_t>(replies.size()));
}

TEST_F(ZabbixActiveSession, SlowItemsRunOnTheLanesNotTheSender) {
  FakeServer server([](const json& request) {
    if (request.value("request", "") == "active checks") {
      return Frame(R"({"response":"success","data":[{"key":"test.slow","delay":1},)"
                   R"({"key":"test.counter","delay":1}]})");
    }
    return Processed(request);
  });
  StartSession(server.port(), 100, 200, 300, 5000);
  // test.slow holds the slow lane for 5 s; test.counter's values still flow.
  ASSERT_TRUE(WaitUntil(
      [&] {
        int counters = 0;
        for (const json& v : server.data()) counters += v["key"] == "test.counter";
        return counters >= 2;
      },
      4000));
  for (const json& v : server.data()) EXPECT_NE(v["key"], "test.slow");
  release_ = true;
  ASSERT_TRUE(WaitUntil([&] {
    for (const json& v : server.data()) {
      if (v["key"] == "test.slow") return true;
    }
    return false;
  }));
}

}  // namespace
}  // namespace beacon::agent::zabbix
