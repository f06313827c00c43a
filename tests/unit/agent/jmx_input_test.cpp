// The jmx input end to end against fakes on port 0: a Jolokia agent and a JMXProxyServlet
// (common/http/server.h) serving the documented bodies, a Zabbix Java gateway speaking ZBXD
// over TCP, and targets that return garbage or hang. Also its configuration errors.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/inputs/jmx/jmx.h"
#include "agent/zabbix/zbxd.h"
#include "common/clock.h"
#include "common/config/config.h"
#include "common/crypto/crypto.h"
#include "common/http/server.h"

namespace beacon::agent::inputs {
namespace {

using nlohmann::json;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(BEACON_FIXTURES_DIR) + "/agent/jmx/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fake Zabbix Java gateway: one request per connection, as the real one. `answer` maps the
// request JSON to the response JSON. A `silent` gateway accepts and never answers.
class FakeGateway {
 public:
  explicit FakeGateway(std::function<json(const json&)> answer, bool silent = false,
                       std::string raw_reply = "")
      : answer_(std::move(answer)), silent_(silent), raw_reply_(std::move(raw_reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeGateway() {
    stop_ = true;
    thread_.join();
    for (int c : held_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }
  std::vector<json> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;  // re-check stop_
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      if (silent_) {
        held_.push_back(c);  // keep it open, say nothing
        continue;
      }
      std::string buffer;
      char chunk[4096];
      std::optional<zabbix::ZbxdFrame> frame;
      while (!frame) {
        ssize_t n = ::recv(c, chunk, sizeof(chunk), 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
        auto decoded = zabbix::DecodeZbxd(buffer);
        if (!decoded.ok()) break;
        frame = *decoded;
      }
      if (frame) {
        json request = json::parse(frame->data, nullptr, false);
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(request);
        }
        std::string reply =
            raw_reply_.empty() ? *zabbix::EncodeZbxd(answer_(request).dump()) : raw_reply_;
        (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  std::function<json(const json&)> answer_;
  bool silent_;
  std::string raw_reply_;  // sent instead of a ZBXD answer when set
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int> held_;
  std::mutex mu_;
  std::vector<json> requests_;
};

// Answers like the Java gateway for a JVM with two G1 collectors and, optionally, a queue MBean.
json GatewayAnswer(const json& request) {
  const std::map<std::string, std::string> values = {
      {R"(jmx["java.lang:type=Threading",ThreadCount])", "11"},
      {R"(jmx["java.lang:type=Memory","HeapMemoryUsage.used"])", "12718592"},
      {R"(jmx["java.lang:type=Memory","HeapMemoryUsage.committed"])", "16777216"},
      {R"(jmx["java.lang:type=Memory","HeapMemoryUsage.max"])", "268435456"},
      {R"(jmx["java.lang:type=Memory","NonHeapMemoryUsage.used"])", "9000000"},
      {R"(jmx["java.lang:type=Memory","NonHeapMemoryUsage.committed"])", "10000000"},
      {R"(jmx["java.lang:name=G1 Young Generation,type=GarbageCollector",CollectionCount])", "4"},
      {R"(jmx["java.lang:name=G1 Young Generation,type=GarbageCollector",CollectionTime])", "35"},
      {R"(jmx["java.lang:name=G1 Old Generation,type=GarbageCollector",CollectionCount])", "0"},
      {R"(jmx["java.lang:name=G1 Old Generation,type=GarbageCollector",CollectionTime])", "0"},
      {R"(jmx["com.example:type=Queue,name=orders",Size])", "12"},
      {R"(jmx["com.example:type=Queue,name=mail",Size])", "3"},
  };
  json data = json::array();
  for (const std::string key : request["keys"]) {
    if (key == R"(jmx.discovery[beans,"java.lang:type=GarbageCollector,name=*"])") {
      json rows = {{"data",
                    {{{"{#JMXOBJ}", "java.lang:name=G1 Young Generation,type=GarbageCollector"}},
                     {{"{#JMXOBJ}", "java.lang:name=G1 Old Generation,type=GarbageCollector"}}}}};
      data.push_back({{"value", rows.dump()}});
    } else if (key == R"(jmx.discovery[beans,"com.example:type=Queue,name=*"])") {
      json rows = {{"data",
                    {{{"{#JMXOBJ}", "com.example:type=Queue,name=orders"}},
                     {{"{#JMXOBJ}", "com.example:type=Queue,name=mail"}}}}};
      data.push_back({{"value", rows.dump()}});
    } else if (key.starts_with("jmx.discovery[")) {
      data.push_back({{"value", R"({"data":[]})"}});  // no Tomcat in this JVM
    } else if (auto it = values.find(key); it != values.end()) {
      data.push_back({{"value", it->second}});
    } else {
      data.push_back({{"error", "Object or attribute not found: " + key}});
    }
  }
  return {{"response", "success"}, {"data", data}};
}

struct Loaded {
  std::unique_ptr<config::Document> doc;
  Status init;
  Status finish;
};

Loaded InitFromYaml(JmxInput& input, const std::string& yaml) {
  Loaded out;
  auto doc = config::Document::LoadString(yaml, "test.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  out.doc = std::move(*doc);
  out.init = input.Init(out.doc->root().Child("jmx"));
  out.finish = out.doc->Finish();
  return out;
}

using Values = std::map<std::string, double>;
Values ToValues(std::vector<wire::Record>& records) {
  Values out;
  for (const auto& r : records) {
    std::string key = r.sample.metric;
    for (const auto& [k, v] : r.sample.labels) key += "{" + k + "=" + v + "}";
    out[key] = r.sample.value;
  }
  return out;
}

class JmxInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("BEACON_JMX_TEST_PASSWORD", "s3cret-pw", 1);
    server_ = std::make_unique<http::HttpServer>(http::ServerOptions{});
    const std::string auth = "Basic " + crypto::Base64Encode("monitor:s3cret-pw");
    server_->Route("POST", "/jolokia", {}, [this, auth](http::ServerRequest& request) {
      if (request.headers.Get("Authorization") != auth) {
        return http::ServerResponse::Error(401, "unauthorized");
      }
      json body = json::parse(request.body, nullptr, false);
      {
        std::lock_guard<std::mutex> lock(mu_);
        jolokia_bodies_.push_back(body);
      }
      return http::ServerResponse::Json(200, Fixture("jolokia_tomcat_bulk.json"));
    });
    server_->Route("GET", "/manager/jmxproxy", {}, [auth](http::ServerRequest& request) {
      if (request.headers.Get("Authorization") != auth) {
        return http::ServerResponse::Text(401, "401 Unauthorized");
      }
      const std::string qry = request.query["qry"];
      std::string body = "OK - Number of results: 0\r\n\r\n";
      if (qry == "java.lang:type=Memory") body = Fixture("jmxproxy_memory.txt");
      if (qry == "Catalina:type=ThreadPool,name=*") body = Fixture("jmxproxy_threadpool.txt");
      if (qry == "java.lang:type=Threading") {
        body =
            "OK - Number of results: 1\r\n\r\nName: java.lang:type=Threading\r\n"
            "modelerType: sun.management.ThreadImpl\r\nThreadCount: 25\r\n\r\n";
      }
      return http::ServerResponse::Text(200, body);
    });
    server_->Route("POST", "/garbage", {}, [](http::ServerRequest&) {
      return http::ServerResponse::Text(200, "<html><body>It works!</body></html>", "text/html");
    });
    server_->Route("POST", "/hang", {}, [this](http::ServerRequest&) {
      release_.wait();  // until the test ends: the client's timeout must give up first
      return http::ServerResponse::Json(200, "[]");
    });
    ASSERT_TRUE(server_->Start().ok());
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    release_promise_.set_value();
    server_->Stop();
  }

  std::unique_ptr<http::HttpServer> server_;
  std::string base_;
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
  std::mutex mu_;
  std::vector<json> jolokia_bodies_;
};

TEST_F(JmxInputTest, ReadsEveryTransportAndReportsEachBadTargetOnce) {
  FakeGateway gateway(GatewayAnswer);
  FakeGateway silent_gateway(GatewayAnswer, /*silent=*/true);
  const std::string yaml =
      "jmx:\n"
      "  timeout: 2s\n"
      "  targets:\n"
      "    - name: tc-jolokia\n"
      "      url: " +
      base_ +
      "/jolokia\n"
      "      username: monitor\n"
      "      password_env: BEACON_JMX_TEST_PASSWORD\n"
      "    - name: tc-manager\n"
      "      transport: jmxproxy\n"
      "      url: " +
      base_ +
      "/manager/jmxproxy\n"
      "      username: monitor\n"
      "      password_env: BEACON_JMX_TEST_PASSWORD\n"
      "    - name: bad-json\n"
      "      url: " +
      base_ +
      "/garbage\n"
      "    - name: hung\n"
      "      url: " +
      base_ +
      "/hang\n"
      "      timeout: 300ms\n"
      "    - name: jvm-gw\n"
      "      transport: zabbix_gateway\n"
      "      gateway: 127.0.0.1:" +
      std::to_string(gateway.port()) +
      "\n"
      "      host: 127.0.0.1\n"
      "      port: 20099\n"
      "      username: monitor\n"
      "      password_env: BEACON_JMX_TEST_PASSWORD\n"
      "    - name: hung-gw\n"
      "      transport: zabbix_gateway\n"
      "      gateway: 127.0.0.1:" +
      std::to_string(silent_gateway.port()) +
      "\n"
      "      jmx_endpoint: service:jmx:rmi:///jndi/rmi://127.0.0.1:20098/jmxrmi\n"
      "      timeout: 300ms\n";
  JmxInput input(std::shared_ptr<http::HttpClient>(http::NewCurlHttpClient()));
  Loaded loaded = InitFromYaml(input, yaml);
  ASSERT_TRUE(loaded.init.ok()) << loaded.init.ToString();
  ASSERT_TRUE(loaded.finish.ok()) << loaded.finish.ToString();

  FakeClock clock;
  Emitter emitter(clock);
  Status status = input.Gather(emitter);
  EXPECT_TRUE(emitter.rejected().empty()) << emitter.rejected()[0];

  // One error naming each bad target, none for the good ones, and never the password.
  ASSERT_FALSE(status.ok());
  const std::string& message = status.message();
  for (const char* bad : {"target bad-json: ", "target hung: ", "target hung-gw: "}) {
    EXPECT_NE(message.find(bad), std::string::npos) << bad << " in " << message;
  }
  for (const char* good : {"tc-jolokia", "tc-manager", "jvm-gw:"}) {
    EXPECT_EQ(message.find(good), std::string::npos) << good << " in " << message;
  }
  EXPECT_NE(message.find("not JSON"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret-pw"), std::string::npos);

  Values v = ToValues(emitter.records());
  EXPECT_EQ(v["jmx.target.up{target=tc-jolokia}"], 1);
  EXPECT_EQ(v["jmx.target.up{target=tc-manager}"], 1);
  EXPECT_EQ(v["jmx.target.up{target=jvm-gw}"], 1);
  EXPECT_EQ(v.at("jmx.target.up{target=bad-json}"), 0);
  EXPECT_EQ(v.at("jmx.target.up{target=hung}"), 0);
  EXPECT_EQ(v.at("jmx.target.up{target=hung-gw}"), 0);

  // Jolokia: the full Tomcat set.
  EXPECT_EQ(v["jmx.heap.used{target=tc-jolokia}"], 26214400);
  EXPECT_EQ(v["jmx.threads.count{target=tc-jolokia}"], 42);
  EXPECT_EQ(v["jmx.requests.count{connector=http-nio-8080}{target=tc-jolokia}"], 1234);
  EXPECT_EQ(v["jmx.sessions.active{context=/shop}{target=tc-jolokia}"], 7);
  EXPECT_DOUBLE_EQ(v["jmx.gc.time{collector=G1 Young Generation}{target=tc-jolokia}"], 0.23);
  // JMXProxyServlet: composites from the text listing, connectors from the pattern listing.
  EXPECT_EQ(v["jmx.heap.used{target=tc-manager}"], 26214400);
  EXPECT_EQ(v["jmx.heap.max{target=tc-manager}"], 4202692608.0);
  EXPECT_EQ(v["jmx.threads.count{target=tc-manager}"], 25);
  EXPECT_EQ(v["jmx.threadpool.max{connector=http-nio-8080}{target=tc-manager}"], 200);
  // Java gateway: discovered collectors, composite keys.
  EXPECT_EQ(v["jmx.threads.count{target=jvm-gw}"], 11);
  EXPECT_EQ(v["jmx.heap.used{target=jvm-gw}"], 12718592);
  EXPECT_EQ(v["jmx.gc.count{collector=G1 Young Generation}{target=jvm-gw}"], 4);
  EXPECT_DOUBLE_EQ(v["jmx.gc.time{collector=G1 Young Generation}{target=jvm-gw}"], 0.035);
  EXPECT_EQ(v.count("jmx.heap.used{target=bad-json}"), 0u);

  // The gateway saw the 6.0 request shape: discovery first, then the values.
  auto requests = gateway.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0]["request"], "java gateway jmx");
  EXPECT_EQ(requests[0]["jmx_endpoint"], "service:jmx:rmi:///jndi/rmi://127.0.0.1:20099/jmxrmi");
  EXPECT_EQ(requests[0]["username"], "monitor");
  EXPECT_EQ(requests[0]["password"], "s3cret-pw");
  EXPECT_EQ(requests[0]["keys"].size(), 4u);            // four patterns in the default set
  EXPECT_EQ(requests[1]["keys"].size(), 5u + 1u + 4u);  // memory, threads, two collectors x 2
  // Jolokia got one bulk POST of the six default reads.
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(jolokia_bodies_.size(), 1u);
  EXPECT_EQ(jolokia_bodies_[0].size(), 6u);
}

TEST_F(JmxInputTest, WrongCredentialsAreOneErrorWithoutTheSecret) {
  ::setenv("BEACON_JMX_TEST_WRONG", "wrong-pw", 1);
  JmxInput input(std::shared_ptr<http::HttpClient>(http::NewCurlHttpClient()));
  Loaded loaded = InitFromYaml(input, "jmx:\n  targets:\n    - name: tc\n      url: " + base_ +
                                          "/jolokia\n      username: monitor\n"
                                          "      password_env: BEACON_JMX_TEST_WRONG\n");
  ASSERT_TRUE(loaded.finish.ok()) << loaded.finish.ToString();
  FakeClock clock;
  Emitter emitter(clock);
  Status status = input.Gather(emitter);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("HTTP 401"), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find("wrong-pw"), std::string::npos);
}

TEST(JmxInput, ConfiguredMBeansWithWildcardsBecomeMetrics) {
  FakeGateway gateway(GatewayAnswer);
  JmxInput input;
  Loaded loaded = InitFromYaml(input,
                               "jmx:\n"
                               "  default_metrics: false\n"
                               "  mbeans:\n"
                               "    - name: app.queue\n"
                               "      mbean: com.example:type=Queue,name=*\n"
                               "      attributes: [Size]\n"
                               "  targets:\n"
                               "    - name: app\n"
                               "      transport: zabbix_gateway\n"
                               "      gateway: 127.0.0.1:" +
                                   std::to_string(gateway.port()) +
                                   "\n"
                                   "      host: 127.0.0.1\n"
                                   "      port: 20099\n");
  ASSERT_TRUE(loaded.finish.ok()) << loaded.finish.ToString();
  FakeClock clock;
  Emitter emitter(clock);
  Status status = input.Gather(emitter);
  ASSERT_TRUE(status.ok()) << status.ToString();
  Values v = ToValues(emitter.records());
  EXPECT_EQ(v["jmx.app.queue.Size{name=orders}{target=app}"], 12);
  EXPECT_EQ(v["jmx.app.queue.Size{name=mail}{target=app}"], 3);
  EXPECT_EQ(v.count("jmx.heap.used{target=app}"), 0u);  // default set switched off
  auto requests = gateway.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0].contains("password"));  // none configured: none sent
}

TEST(JmxInput, PerKeyGatewayErrorsAreReportedWithTheGoodValues) {
  FakeGateway gateway(GatewayAnswer);
  JmxInput input;
  Loaded loaded =
      InitFromYaml(input,
                   "jmx:\n"
                   "  default_metrics: false\n"
                   "  mbeans:\n"
                   "    - name: rt\n"
                   "      mbean: java.lang:type=Threading\n"
                   "      attributes: [ThreadCount, NoSuchAttribute]\n"
                   "  targets:\n"
                   "    - {name: jvm, transport: zabbix_gateway, gateway: '127.0.0.1:" +
                       std::to_string(gateway.port()) + "', host: 127.0.0.1, port: 20099}\n");
  ASSERT_TRUE(loaded.finish.ok()) << loaded.finish.ToString();
  FakeClock clock;
  Emitter emitter(clock);
  Status status = input.Gather(emitter);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Object or attribute not found"), std::string::npos);
  Values v = ToValues(emitter.records());
  EXPECT_EQ(v["jmx.rt.ThreadCount{target=jvm}"], 11);
  EXPECT_EQ(v["jmx.target.up{target=jvm}"], 1);
}

TEST(JmxInput, NonZbxdGatewayRepliesAndRefusedConnectionsAreTargetErrors) {
  FakeGateway http_speaker(GatewayAnswer, false, "HTTP/1.1 400 Bad Request\r\n\r\n");
  FakeGateway good(GatewayAnswer);
  int closed_port = 0;
  {
    // A port that was just free: nothing listens there.
    FakeGateway gone(GatewayAnswer);
    closed_port = gone.port();
  }
  auto target = [](const std::string& name, int port) {
    return "    - {name: " + name +
           ", transport: zabbix_gateway, gateway: '127.0.0.1:" + std::to_string(port) +
           "', host: 127.0.0.1, port: 20099}\n";
  };
  JmxInput input;
  Loaded loaded =
      InitFromYaml(input, "jmx:\n  targets:\n" + target("liar", http_speaker.port()) +
                              target("refused", closed_port) + target("good", good.port()));
  ASSERT_TRUE(loaded.finish.ok()) << loaded.finish.ToString();
  FakeClock clock;
  Emitter emitter(clock);
  Status status = input.Gather(emitter);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("target liar: "), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("ZBXD"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("target refused: "), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find("target good"), std::string::npos) << status.message();
  Values v = ToValues(emitter.records());
  EXPECT_EQ(v.at("jmx.target.up{target=liar}"), 0);
  EXPECT_EQ(v.at("jmx.target.up{target=refused}"), 0);
  EXPECT_EQ(v.at("jmx.target.up{target=good}"), 1);
  EXPECT_EQ(v["jmx.threads.count{target=good}"], 11);
}

TEST(JmxInput, ConfigErrorsNameTheKey) {
  JmxInput input;
  Loaded loaded = InitFromYaml(input,
                               "jmx:\n"
                               "  targets:\n"
                               "    - name: a\n"
                               "      transport: rmi\n"
                               "      url: http://x/jolokia\n"
                               "    - name: a\n"
                               "      url: ftp://x\n"
                               "      password: inline\n"
                               "    - name: gw\n"
                               "      transport: zabbix_gateway\n"
                               "      url: http://x\n"
                               "    - name: j\n"
                               "      url: http://x/jolokia\n"
                               "      port: 9999\n"
                               "  mbeans:\n"
                               "    - name: bad name\n"
                               "      mbean: nocolon\n"
                               "      attributes: [X]\n");
  ASSERT_FALSE(loaded.finish.ok());
  const std::string& m = loaded.finish.message();
  for (const char* want :
       {"jmx.targets[0].transport", "jmx.targets[1].name: duplicate",
        "jmx.targets[1].url: must start with http", "jmx.targets[1].password",
        "jmx.targets[2].jmx_endpoint", "jmx.targets[2].url: not used",
        "jmx.targets[3].port: only used", "jmx.mbeans[0].name", "jmx.mbeans[0].mbean"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  }
}

}  // namespace
}  // namespace beacon::agent::inputs
