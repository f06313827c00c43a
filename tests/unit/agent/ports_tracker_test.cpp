// Ports state machine through PortsInput with an injected listener snapshot: one event per
// appearance, nothing while open, nothing after a restart with saved state, port.closed once
// per outage of a required port, metrics per protocol, and a failed snapshot changing nothing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "agent/inputs/ports/ports.h"
#include "common/clock.h"
#include "common/config/config.h"

namespace beacon::agent::inputs {
namespace {

using ports::Listener;

Listener L(std::string proto, std::string address, int port, int64_t pid, std::string process) {
  Listener l;
  l.proto = std::move(proto);
  l.address = std::move(address);
  l.port = static_cast<uint16_t>(port);
  l.pid = pid;
  l.process = std::move(process);
  l.user = pid >= 0 ? "app" : "root";
  return l;
}

const std::string kPolicy = R"(inputs:
  ports:
    allowed:
      - 22
      - 8080: java
    required:
      - 22
)";

class PortsStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/beacon-ports-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    state_dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(state_dir_); }

  // A new agent process: the input is created, Init()ed from the YAML and started on the
  // same state dir.
  std::shared_ptr<Input> StartInput() {
    auto input = std::make_shared<PortsInput>([this]() -> Result<std::vector<Listener>> {
      if (!snapshot_error_.ok()) return snapshot_error_;
      return snapshot_;
    });
    auto doc = config::Document::LoadString(kPolicy, "agent.yaml");
    EXPECT_TRUE(doc.ok());
    EXPECT_TRUE(input->Init((*doc)->root().Child("inputs").Child("ports")).ok());
    Status finished = (*doc)->Finish();
    EXPECT_TRUE(finished.ok()) << finished.ToString();
    InputContext context;
    context.state_dir = state_dir_;
    context.clock = &clock_;
    Status started = input->Start(context, nullptr);
    EXPECT_TRUE(started.ok()) << started.ToString();
    return input;
  }

  std::vector<wire::Event> Gather(Input& input, std::vector<wire::Record>* samples = nullptr) {
    Emitter emitter(clock_);
    Status status = input.Gather(emitter);
    EXPECT_TRUE(status.ok()) << status.ToString();
    EXPECT_TRUE(emitter.rejected().empty());
    std::vector<wire::Event> events;
    for (auto& r : emitter.records()) {
      if (r.type == wire::RecordType::kEvent) {
        events.push_back(r.event);
      } else if (samples) {
        samples->push_back(r);
      }
    }
    return events;
  }

  std::string state_dir_;
  FakeClock clock_;
  std::vector<Listener> snapshot_;
  Status snapshot_error_;
};

TEST_F(PortsStateTest, UnexpectedListenerIsReportedOnceWhileOpen) {
  auto input = StartInput();
  snapshot_ = {L("tcp", "0.0.0.0", 22, 10, "sshd"), L("tcp", "0.0.0.0", 8080, 20, "java")};
  EXPECT_TRUE(Gather(*input).empty());

  snapshot_.push_back(L("tcp", "::", 8081, 4242, "python3"));
  // Two sockets on one address and port (SO_REUSEPORT) are one listener.
  snapshot_.push_back(L("udp", "0.0.0.0", 5353, 31, "avahi-daemon"));
  snapshot_.push_back(L("udp", "0.0.0.0", 5353, 31, "avahi-daemon"));
  auto events = Gather(*input);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "port.unexpected");
  EXPECT_EQ(events[0].severity, "warning");
  EXPECT_EQ(events[0].subject, "tcp/8081");
  EXPECT_EQ(events[0].message,
            "unexpected tcp listener on [::]:8081 by pid 4242 (python3), user app");
  EXPECT_EQ(events[0].data, (nlohmann::json{{"proto", "tcp"},
                                            {"address", "::"},
                                            {"port", 8081},
                                            {"pid", 4242},
                                            {"process", "python3"},
                                            {"user", "app"}}));
  EXPECT_EQ(events[1].subject, "udp/5353");

  // Still open: nothing new, on several gathers.
  EXPECT_TRUE(Gather(*input).empty());
  EXPECT_TRUE(Gather(*input).empty());

  // Closed, then opened again: a new appearance, reported again.
  snapshot_.pop_back();
  snapshot_.pop_back();
  EXPECT_TRUE(Gather(*input).empty());
  snapshot_.push_back(L("udp", "0.0.0.0", 5353, 32, "avahi-daemon"));
  events = Gather(*input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject, "udp/5353");
}

TEST_F(PortsStateTest, ProcessTiedPortIsUnexpectedForAnotherProcess) {
  auto input = StartInput();
  snapshot_ = {L("tcp", "0.0.0.0", 22, 10, "sshd"), L("tcp", "0.0.0.0", 8080, 20, "python3")};
  auto events = Gather(*input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject, "tcp/8080");
  // Owner not visible: reported without a pid.
  snapshot_.push_back(L("tcp", "127.0.0.1", 9999, -1, ""));
  events = Gather(*input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].data["pid"].is_null());
  EXPECT_NE(events[0].message.find("unknown process"), std::string::npos);
}

TEST_F(PortsStateTest, RestartWithSavedStateRaisesNothingNew) {
  snapshot_ = {L("tcp", "0.0.0.0", 22, 10, "sshd"), L("tcp", "0.0.0.0", 8081, 40, "nc")};
  {
    auto first = StartInput();
    EXPECT_EQ(Gather(*first).size(), 1u);
    first->Stop();
  }
  EXPECT_TRUE(std::filesystem::exists(state_dir_ + "/ports-state.json"));
  // A restarted agent (new input object, same state dir): the open listener is known.
  auto second = StartInput();
  EXPECT_TRUE(Gather(*second).empty());
  // A different new one still raises.
  snapshot_.push_back(L("udp", "::", 6000, 41, "x"));
  EXPECT_EQ(Gather(*second).size(), 1u);

  // Required port 22 went away before a restart: raised once, not again after the restart.
  snapshot_ = {L("tcp", "0.0.0.0", 8081, 40, "nc"), L("udp", "::", 6000, 41, "x")};
  auto events = Gather(*second);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "port.closed");
  auto third = StartInput();
  EXPECT_TRUE(Gather(*third).empty());
}

TEST_F(PortsStateTest, RequiredPortClosedOncePerOutage) {
  auto input = StartInput();
  snapshot_ = {L("tcp", "0.0.0.0", 22, 10, "sshd")};
  EXPECT_TRUE(Gather(*input).empty());

  snapshot_.clear();
  auto events = Gather(*input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "port.closed");
  EXPECT_EQ(events[0].severity, "high");
  EXPECT_EQ(events[0].subject, "tcp/22");
  EXPECT_EQ(events[0].message, "required port tcp/22 stopped listening");
  EXPECT_EQ(events[0].data["was_listening"], true);
  EXPECT_TRUE(Gather(*input).empty());  // still closed: nothing more

  // A UDP socket on 22 does not satisfy tcp/22.
  snapshot_ = {L("udp", "0.0.0.0", 22, 11, "x")};
  EXPECT_TRUE(Gather(*input).empty());

  snapshot_ = {L("tcp", "::", 22, 12, "sshd")};  // back (on v6): no event
  EXPECT_TRUE(Gather(*input).empty());
  snapshot_.clear();  // gone again: raised again
  events = Gather(*input);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "port.closed");
}

TEST_F(PortsStateTest, RequiredPortMissingAtFirstCheckIsRaisedOnce) {
  auto input = StartInput();
  snapshot_ = {L("tcp", "0.0.0.0", 2222, 10, "sshd")};
  auto events = Gather(*input);
  ASSERT_EQ(events.size(), 2u);  // unexpected 2222 and required 22 missing
  EXPECT_EQ(events[1].kind, "port.closed");
  EXPECT_EQ(events[1].message, "required port tcp/22 is not listening");
  EXPECT_TRUE(Gather(*input).empty());
}

TEST_F(PortsStateTest, FailedSnapshotChangesNothing) {
  auto input = StartInput();
  snapshot_ = {L("tcp", "0.0.0.0", 22, 10, "sshd"), L("tcp", "0.0.0.0", 8081, 40, "nc")};
  EXPECT_EQ(Gather(*input).size(), 1u);
  snapshot_error_ = Status::IoError("cannot read /proc/net/tcp");
  Emitter emitter(clock_);
  Status status = input->Gather(emitter);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(emitter.records().empty());  // in particular no port.closed for 22
  snapshot_error_ = Status::Ok();
  EXPECT_TRUE(Gather(*input).empty());
}

TEST_F(PortsStateTest, EmitsListeningAndUnexpectedCounts) {
  auto input = StartInput();
  snapshot_ = {L("tcp", "0.0.0.0", 22, 10, "sshd"), L("tcp", "::", 22, 10, "sshd"),
               L("tcp", "0.0.0.0", 8081, 40, "nc"), L("udp", "0.0.0.0", 68, 5, "dhclient")};
  std::vector<wire::Record> samples;
  Gather(*input, &samples);
  std::map<std::string, double> values;
  for (const auto& r : samples) {
    std::string key = r.sample.metric;
    for (const auto& [k, v] : r.sample.labels) key += "{" + k + "=" + v + "}";
    values[key] = r.sample.value;
  }
  EXPECT_EQ(values, (std::map<std::string, double>{{"ports.listening{proto=tcp}", 3},
                                                   {"ports.listening{proto=udp}", 1},
                                                   {"ports.unexpected", 2}}));
}

TEST_F(PortsStateTest, CorruptStateIsReportedAndIgnored) {
  {
    std::ofstream out(state_dir_ + "/ports-state.json");
    out << "{not json";
  }
  auto doc = config::Document::LoadString(kPolicy, "agent.yaml");
  ASSERT_TRUE(doc.ok());
  PortsInput input([this]() -> Result<std::vector<Listener>> { return snapshot_; });
  ASSERT_TRUE(input.Init((*doc)->root().Child("inputs").Child("ports")).ok());
  InputContext context;
  context.state_dir = state_dir_;
  context.clock = &clock_;
  Status started = input.Start(context, nullptr);
  EXPECT_FALSE(started.ok());
  EXPECT_NE(started.message().find("ports-state.json"), std::string::npos);
  // It still works, from an empty state, and replaces the bad file.
  snapshot_ = {L("tcp", "0.0.0.0", 22, 10, "sshd"), L("tcp", "0.0.0.0", 8081, 40, "nc")};
  EXPECT_EQ(Gather(input).size(), 1u);
  auto restarted = StartInput();
  EXPECT_TRUE(Gather(*restarted).empty());
}

}  // namespace
}  // namespace beacon::agent::inputs
