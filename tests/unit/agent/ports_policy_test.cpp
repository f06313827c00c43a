// Ports policy: entry syntax, which listeners each entry allows, and the YAML section as the
// agent config loader reads it (bad entries reported with file:line).
#include <gtest/gtest.h>

#include "agent/config.h"
#include "agent/inputs/ports/ports.h"
#include "agent/inputs/ports/tracker.h"

namespace beacon::agent::inputs {
namespace {

using ports::Listener;
using ports::ParsePortSpec;
using ports::PortSpec;

TEST(PortSpecSyntax, AcceptsPortsRangesAndProtocols) {
  struct Case {
    const char* text;
    const char* proto;
    int first, last;
  };
  for (const Case& c :
       {Case{"22", "", 22, 22}, Case{"udp/53", "udp", 53, 53}, Case{"tcp/443", "tcp", 443, 443},
        Case{"8000-8100", "", 8000, 8100}, Case{"udp/5000-5010", "udp", 5000, 5010},
        Case{" 80 ", "", 80, 80}, Case{"1-65535", "", 1, 65535}}) {
    SCOPED_TRACE(c.text);
    auto spec = ParsePortSpec(c.text);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    EXPECT_EQ(spec->proto, c.proto);
    EXPECT_EQ(spec->first, c.first);
    EXPECT_EQ(spec->last, c.last);
  }
}

TEST(PortSpecSyntax, RejectsBadEntriesSayingWhy) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c :
       {Case{"70000", "'70000' is not a port (1-65535)"}, Case{"0", "'0' is not a port (1-65535)"},
        Case{"ssh", "'ssh' is not a port (1-65535)"},
        Case{"9000-8000", "range 9000-8000 is reversed"},
        Case{"sctp/22", "unknown protocol 'sctp' (expected tcp/ or udp/)"},
        Case{"udp/", "empty port"}, Case{"80-", "'' is not a port (1-65535)"}}) {
    SCOPED_TRACE(c.text);
    auto spec = ParsePortSpec(c.text);
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.status().message(), c.error);
  }
}

Listener L(std::string proto, int port, std::string process) {
  Listener l;
  l.proto = std::move(proto);
  l.address = "0.0.0.0";
  l.port = static_cast<uint16_t>(port);
  l.pid = 100;
  l.process = std::move(process);
  l.user = "root";
  return l;
}

TEST(PolicyMatching, Table) {
  ports::Policy policy;
  for (const char* text : {"22", "udp/53", "tcp/8000-8010"}) {
    policy.allowed.push_back(*ParsePortSpec(text));
  }
  PortSpec java = *ParsePortSpec("8080");
  java.process = "java";
  policy.allowed.push_back(java);
  PortSpec postgres = *ParsePortSpec("tcp/5432");
  postgres.process = "postgres";
  policy.required.push_back(postgres);

  struct Case {
    Listener listener;
    bool allowed;
  };
  for (const Case& c : {
           Case{L("tcp", 22, "sshd"), true},
           Case{L("udp", 22, "x"), true},  // no protocol prefix: both protocols
           Case{L("udp", 53, "named"), true},
           Case{L("tcp", 53, "named"), false},  // udp/53 does not allow tcp/53
           Case{L("tcp", 8000, "app"), true},   // range bounds are inclusive
           Case{L("tcp", 8010, "app"), true},
           Case{L("tcp", 8011, "app"), false},
           Case{L("udp", 8005, "app"), false},  // tcp/ range
           Case{L("tcp", 8080, "java"), true},
           Case{L("tcp", 8080, "python3"), false},  // tied to java
           Case{L("tcp", 8080, ""), false},         // owner unknown: not java
           Case{L("tcp", 23, "telnetd"), false},
           Case{L("tcp", 5432, "postgres"), true},  // required ports are expected too
           Case{L("tcp", 5432, "nc"), false},
           Case{L("udp", 5432, "postgres"), false},
       }) {
    SCOPED_TRACE(c.listener.proto + "/" + std::to_string(c.listener.port) + " " +
                 c.listener.process);
    EXPECT_EQ(policy.Allows(c.listener), c.allowed);
  }
}

const PortsInput* FindPorts(const AgentConfig& cfg) {
  for (const auto& in : cfg.inputs) {
    if (in.name == "ports") return dynamic_cast<const PortsInput*>(in.input.get());
  }
  return nullptr;
}

TEST(PortsConfig, ReadsAllowedAndRequired) {
  auto cfg = LoadAgentConfigFromString(R"(inputs:
  ports:
    enabled: true
    interval: 5s
    allowed:
      - 22
      - 8000-8100
      - udp/53
      - 8080: java
    required:
      - 22
      - udp/123
      - 5432: postgres
)",
                                       "agent.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const PortsInput* ports = FindPorts(*cfg);
  ASSERT_NE(ports, nullptr);
  std::vector<std::string> allowed, required;
  for (const auto& s : ports->policy().allowed) allowed.push_back(s.ToString());
  for (const auto& s : ports->policy().required) required.push_back(s.ToString());
  EXPECT_EQ(allowed, (std::vector<std::string>{"22", "8000-8100", "udp/53", "8080 (java)"}));
  // Required ports without a protocol are TCP.
  EXPECT_EQ(required, (std::vector<std::string>{"tcp/22", "udp/123", "tcp/5432 (postgres)"}));
}

TEST(PortsConfig, BadEntriesAreReportedWithFileAndLine) {
  auto cfg = LoadAgentConfigFromString(R"(inputs:
  ports:
    allowed:
      - 22
      - 70000
      - tcp/9000-8000
      - 8080: [java]
      - {80: nginx, 443: nginx}
    required:
      - 8000-8100
      - ssh
)",
                                       "agent.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.status().message();
  for (const char* expected : {
           "agent.yaml:5: inputs.ports.allowed[1]: '70000' is not a port (1-65535)",
           "agent.yaml:6: inputs.ports.allowed[2]: range 9000-8000 is reversed",
           "agent.yaml:7: inputs.ports.allowed[3].8080: expected a process name",
           "agent.yaml:8: inputs.ports.allowed[4]: expected one 'port: process' pair, got 2",
           "agent.yaml:10: inputs.ports.required[0]: a required port must be a single port, "
           "not the range 8000-8100",
           "agent.yaml:11: inputs.ports.required[1]: 'ssh' is not a port (1-65535)",
       }) {
    EXPECT_NE(m.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << m;
  }
}

TEST(PortsConfig, UnknownKeysAreRejected) {
  auto cfg = LoadAgentConfigFromString("inputs:\n  ports:\n    allow:\n      - 22\n", "a.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("a.yaml:3: inputs.ports.allow: unknown key"),
            std::string::npos)
      << cfg.status().message();
}

}  // namespace
}  // namespace beacon::agent::inputs
