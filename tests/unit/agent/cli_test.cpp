// beacon-agent CLI: check's output and exit codes, emit (single and --stdin) appending durable
// events to the spool, and the --stdin line format.
#include "agent/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/spool/spool.h"

namespace beacon::agent {
namespace {

class CliTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon-cli-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_ = (dir_ / "agent.yaml").string();
    std::ofstream(config_) << "agent:\n  name: cli-test\n  data_dir: data\nlog:\n  level: warn\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Run(std::vector<std::string> args, const std::string& input = "") {
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    return RunCli(args, in, out_, err_);
  }

  std::vector<wire::Record> Spooled() {
    FakeClock clock;
    auto spool = Spool::Open({(dir_ / "data" / "spool.db").string()}, clock);
    EXPECT_TRUE(spool.ok());
    std::vector<wire::Record> out;
    auto all = (*spool)->Peek(100000, int64_t{1} << 40);
    for (const auto& r : *all) out.push_back(*wire::DecodeRecord(nlohmann::json::parse(r.payload)));
    return out;
  }

  std::filesystem::path dir_;
  std::string config_;
  std::ostringstream out_, err_;
};

TEST_F(CliTest, CheckAcceptsValidAndExplainsInvalid) {
  EXPECT_EQ(Run({"check", "-c", config_}), 0);
  EXPECT_EQ(out_.str(), "config OK: " + config_ + "\n");
  EXPECT_NE(err_.str().find("needs a token"), std::string::npos);  // a hint, not an error

  const std::string bad = std::string(BEACON_FIXTURES_DIR) + "/config/agent/bad_url_scheme.yaml";
  EXPECT_EQ(Run({"check", "-c", bad}), 2);
  EXPECT_EQ(err_.str(), bad + ":2: collector.url: must start with http:// or https://\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CliTest, RunRefusesToStartWithoutToken) {
  EXPECT_EQ(Run({"run", "-c", config_}), 2);
  EXPECT_NE(err_.str().find("collector.token_file or collector.token_env is required"),
            std::string::npos);
}

TEST_F(CliTest, UsageVersionAndHelp) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_NE(err_.str().find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(Run({"version"}), 0);
  EXPECT_EQ(out_.str(), std::string("beacon-agent ") + BEACON_VERSION + " (wire protocol 1)\n");
  for (const char* cmd : {"run", "check", "emit"}) {
    EXPECT_EQ(Run({cmd, "--help"}), 0);
    EXPECT_NE(out_.str().find(std::string("usage: beacon-agent ") + cmd), std::string::npos);
  }
}

TEST_F(CliTest, EmitOneEvent) {
  EXPECT_EQ(
      Run({"emit", "-c", config_, "--kind", "deploy.finished", "--severity", "warning", "--subject",
           "shop-api", "--message", "v2 rolled out", "--data", R"({"version":"2.0"})"}),
      0)
      << err_.str();
  auto records = Spooled();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].type, wire::RecordType::kEvent);
  EXPECT_EQ(records[0].event.kind, "deploy.finished");
  EXPECT_EQ(records[0].event.severity, "warning");
  EXPECT_EQ(records[0].event.subject, "shop-api");
  EXPECT_EQ(records[0].event.message, "v2 rolled out");
  EXPECT_EQ(records[0].event.data["version"], "2.0");

  EXPECT_EQ(Run({"emit", "-c", config_, "--kind", "x", "--severity", "urgent"}), 2);
  EXPECT_NE(err_.str().find("severity 'urgent' is not one of"), std::string::npos);
  EXPECT_EQ(Run({"emit", "-c", config_, "--kind", "x", "--data", "[1]"}), 2);
  // Deep nesting is refused while parsing (common/json/parse.h), before anything dumps it.
  const std::string deep = "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  err_.str("");
  EXPECT_EQ(Run({"emit", "-c", config_, "--kind", "x", "--data", deep}), 2);
  EXPECT_EQ(err_.str(),
            "emit: --data is not valid JSON: JSON nested deeper than 64 levels at byte 68\n");
  EXPECT_EQ(Spooled().size(), 1u);
}

TEST_F(CliTest, EmitStdinAppendsEveryGoodLineAndNamesBadOnes) {
  std::string input;
  for (int i = 0; i < 2500; ++i) {
    input += R"({"kind":"load.test","subject":"n)" + std::to_string(i) + R"(","data":{"i":)" +
             std::to_string(i) + "}}\n";
    if (i == 1200) input += "{not json}\n";
  }
  EXPECT_EQ(Run({"emit", "-c", config_, "--stdin"}, input), 1);
  const std::string errors = err_.str();
  EXPECT_EQ(errors.rfind("stdin:1202: not valid JSON: invalid JSON at byte 2: ", 0), 0u) << errors;
  EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), 1);
  EXPECT_NE(out_.str().find("spooled 2500 records"), std::string::npos);
  auto records = Spooled();
  ASSERT_EQ(records.size(), 2500u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].event.subject, std::string("n").append(std::to_string(i)));
    if (i > 0) {
      EXPECT_EQ(records[i].seq, records[i - 1].seq + 1);
    }
  }
}

TEST_F(CliTest, EmitIntoASpoolFullOfEventsFailsSayingWhy) {
  std::ofstream(config_) << "agent:\n  name: cli-test\n  data_dir: data\nlog:\n  level: warn\n"
                            "spool:\n  max_event_bytes: 1MiB\n";
  const std::string message(4000, 'm');
  // 50 events of about 4KB per run: the runs succeed until about 1MiB of events is waiting.
  int runs = 0;
  int code = 0;
  for (; runs < 20; ++runs) {
    std::string input;
    for (int i = 0; i < 50; ++i) {
      input += R"({"kind":"load.test","subject":"n)" + std::to_string(runs * 50 + i) +
               R"(","message":")" + message + "\"}\n";
    }
    code = Run({"emit", "-c", config_, "--stdin"}, input);
    if (code != 0) break;
  }
  EXPECT_EQ(code, 1);
  EXPECT_EQ(runs, 5);  // 250 events fit in 1MiB, 300 do not
  const size_t spooled = Spooled().size();
  EXPECT_EQ(spooled, 250u);
  EXPECT_EQ(
      err_.str().rfind("emit: spool " + (dir_ / "data" / "spool.db").string() + " is full: ", 0),
      0u)
      << err_.str();
  EXPECT_NE(err_.str().find(" bytes of events are waiting for the collector and "
                            "spool.max_event_bytes is 1048576"),
            std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("(0 records were spooled before this)"), std::string::npos)
      << err_.str();

  // About 23KB are left: an event with 40KB of data does not fit.
  const std::string data = R"({"blob":")" + std::string(40000, 'b') + "\"}";
  EXPECT_EQ(Run({"emit", "-c", config_, "--kind", "deploy.finished", "--data", data}), 1);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("emit: spool "), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("nothing was stored"), std::string::npos) << err_.str();
  EXPECT_EQ(Spooled().size(), spooled);
}

TEST_F(CliTest, CheckWarnsWhenCollectorInsecureIsUsed) {
  std::ofstream(config_) << "agent:\n  name: cli-test\ncollector:\n  url: http://10.1.2.3:8470\n"
                            "  insecure: true\n";
  EXPECT_EQ(Run({"check", "-c", config_}), 0);
  EXPECT_NE(err_.str().find("warning: collector.insecure is true: the agent token and every "
                            "record go to http://10.1.2.3:8470 unencrypted"),
            std::string::npos)
      << err_.str();
  // Where it changes nothing, nothing is said.
  std::ofstream(config_) << "agent:\n  name: cli-test\ncollector:\n  url: https://10.1.2.3:8470\n"
                            "  insecure: true\n";
  EXPECT_EQ(Run({"check", "-c", config_}), 0);
  EXPECT_EQ(err_.str().find("warning"), std::string::npos) << err_.str();
}

TEST(ParseEventLine, AcceptsTheDocumentedShapeOnly) {
  auto e = ParseEventLine(R"({"kind":"a.b","severity":"high","message":"m","data":{"k":1}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->kind, "a.b");
  EXPECT_EQ(e->severity, "high");
  EXPECT_EQ(e->subject, "");
  EXPECT_EQ(e->data["k"], 1);
  EXPECT_EQ(ParseEventLine(R"({"kind":"a"})")->severity, "information");
  EXPECT_EQ(ParseEventLine(R"({"severity":"high"})").status().message(),
            "field 'kind' is required");
  EXPECT_EQ(ParseEventLine(R"({"kind":"a","sevrity":"high"})").status().message(),
            "unknown field 'sevrity' (known: kind, severity, subject, message, data)");
  EXPECT_EQ(ParseEventLine(R"({"kind":"a","message":5})").status().message(),
            "field 'message' must be a string");
  EXPECT_EQ(ParseEventLine(R"({"kind":"a b"})").status().message(),
            "kind 'a b' is invalid (use [A-Za-z0-9_.:-], 1 to 200 characters)");
  EXPECT_EQ(ParseEventLine(R"({"kind":"a","data":[1]})").status().message(),
            "data must be a JSON object");
  EXPECT_EQ(ParseEventLine("[]").status().message(), "expected a JSON object");
  EXPECT_EQ(ParseEventLine(R"({"kind":"a","data":{"x":)" + std::string(100000, '[') +
                           std::string(100000, ']') + "}}")
                .status()
                .message(),
            "not valid JSON: JSON nested deeper than 64 levels at byte 86");
}

}  // namespace
}  // namespace beacon::agent

namespace beacon::agent {
namespace {

TEST(ParseStdinLine, SamplesAndEventsShareTheStream) {
  FakeClock clock(1764136601000);
  auto s =
      ParseStdinLine(R"({"metric":"app.queue.depth","value":12.5,"labels":{"q":"orders"}})", clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->type, wire::RecordType::kSample);
  EXPECT_EQ(s->sample.metric, "app.queue.depth");
  EXPECT_DOUBLE_EQ(s->sample.value, 12.5);
  EXPECT_EQ(s->sample.labels.at("q"), "orders");
  EXPECT_EQ(s->ts_ms, 1764136601000);

  // "metric" as a value, not a key, is still an event.
  auto e = ParseStdinLine(R"({"kind":"deploy.done","subject":"metric"})", clock);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, wire::RecordType::kEvent);
  EXPECT_EQ(e->event.subject, "metric");

  EXPECT_EQ(ParseStdinLine(R"({"metric":"m"})", clock).status().message(),
            "field 'value' is required");
  EXPECT_EQ(ParseStdinLine(R"({"metric":"m","value":"3"})", clock).status().message(),
            "field 'value' must be a number");
  EXPECT_EQ(ParseStdinLine(R"({"metric":"m","value":1,"unit":"s"})", clock).status().message(),
            "unknown field 'unit' (known: metric, value, labels)");
  EXPECT_EQ(
      ParseStdinLine(R"({"metric":"m","value":1,"labels":{"k":2}})", clock).status().message(),
      "label 'k' needs a name of [A-Za-z0-9_.:-] and a string value");
}

}  // namespace
}  // namespace beacon::agent
