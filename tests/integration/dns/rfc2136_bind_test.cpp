// The rfc2136 DNS provider against a real BIND 9: named (Debian bind9) runs as the current user
// from a temporary directory on a free loopback port, with TSIG keys and test zones; the bot's
// DnsZones (configured from YAML as in collector.yaml) changes records that dig then sees.
// Exits 77 (ctest: skipped) when named is not installed; dig (bind9-dnsutils) is required.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bot/dns/builtin.h"
#include "bot/dns/provider.h"
#include "bot/dns/rfc2136.h"
#include "common/clock.h"
#include "common/config/config.h"

namespace beacon::bot::dns {
namespace {

namespace fs = std::filesystem;

// base64 of 32 fixed bytes each: the test keys.
constexpr char kSecret256[] = "dGVzdC1rZXktZm9yLWJlYWNvbi1ib3QtZG5zLTAwMDE=";
constexpr char kSecret512[] = "c2Vjb25kLWtleS1mb3ItYmVhY29uLWJvdC1kbnMtMDI=";
constexpr char kWrongSecret[] = "d3Jvbmcta2V5LWZvci1iZWFjb24tYm90LWRucy0wMDM=";

// The first executable called `name` on PATH or in the sbin directories (named lives in
// /usr/sbin, which a non-root PATH often lacks); "" when none.
std::string FindProgram(const std::string& name) {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/local/sbin";
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// A loopback port free for both UDP and TCP right now.
int FreePort() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(tcp, reinterpret_cast<sockaddr*>(&address), &length);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    const bool udp_free = bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    const int port = ntohs(address.sin_port);
    close(udp);
    close(tcp);
    if (udp_free) return port;
  }
  return 0;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The output of a command run by the shell (arguments here are all ours, nothing quoted).
std::string RunCommand(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe.get())) > 0) out.append(buffer, n);
  return out;
}

// The provider settings for the test server with key beacon-test. and `secret`.
Rfc2136Config LocalConfig(int port, const std::string& secret, int64_t timeout_ms = 2000) {
  Rfc2136Config config;
  config.server = "127.0.0.1";
  config.port = port;
  config.key.name = "beacon-test.";
  config.key.secret = config::Secret(secret);
  config.timeout_ms = timeout_ms;
  return config;
}

class BindServer {
 public:
  // Starts named and waits until it answers; ok() tells whether it did (error() says why not).
  explicit BindServer(const std::string& named) {
    char pattern[] = "/tmp/beacon-bind-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = pattern;
    WriteZone("example.test", "www IN A 192.0.2.1\nmail IN A 192.0.2.25\n");
    WriteZone("readonly.test", "www IN A 192.0.2.2\n");
    std::ofstream(dir_ / "tsig.key") << kSecret256 << "\n";
    std::ofstream(dir_ / "tsig512.key") << kSecret512 << "\n";
    std::ofstream(dir_ / "wrong.key") << kWrongSecret << "\n";
    // named binds its ports only after reading the configuration: a port another process took
    // in between shows as a server that never answers, so a few ports are tried.
    for (int attempt = 0; attempt < 3 && !ok(); ++attempt) Start(named);
  }
  ~BindServer() {
    Stop();
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  bool ok() const { return ready_; }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  const fs::path& dir() const { return dir_; }
  std::string log() const { return ReadFile(dir_ / "named.log"); }

 private:
  void WriteZone(const std::string& zone, const std::string& records) {
    std::ofstream(dir_ / (zone + ".db")) << "$TTL 300\n"
                                         << "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                         << "@ IN NS ns1\n"
                                         << "ns1 IN A 127.0.0.1\n"
                                         << records;
  }

  void Start(const std::string& named) {
    Stop();
    port_ = FreePort();
    const std::string d = dir_.string();
    // Everything named writes (pid file, session key, managed keys, journals) stays in the
    // temporary directory, so it runs unprivileged; no rndc control channel.
    std::ofstream(dir_ / "named.conf")
        << "options {\n"
        << "  directory \"" << d << "\";\n"
        << "  pid-file \"" << d << "/named.pid\";\n"
        << "  session-keyfile \"" << d << "/session.key\";\n"
        << "  managed-keys-directory \"" << d << "\";\n"
        << "  listen-on port " << port_ << " { 127.0.0.1; };\n"
        << "  listen-on-v6 { none; };\n"
        << "  recursion no;\n"
        << "  dnssec-validation no;\n"
        << "  notify no;\n"
        << "};\n"
        << "controls { };\n"
        << "key \"beacon-test.\" { algorithm hmac-sha256; secret \"" << kSecret256 << "\"; };\n"
        << "key \"beacon-512.\" { algorithm hmac-sha512; secret \"" << kSecret512 << "\"; };\n"
        << "zone \"example.test\" { type primary; file \"example.test.db\";\n"
        << "  allow-update { key \"beacon-test.\"; key \"beacon-512.\"; }; };\n"
        << "zone \"readonly.test\" { type primary; file \"readonly.test.db\"; };\n";
    const std::string conf = (dir_ / "named.conf").string();
    const std::string log = (dir_ / "named.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      // -g: foreground, log to stderr; -n 1: one worker thread (a shared 2-core machine).
      execl(named.c_str(), named.c_str(), "-g", "-c", conf.c_str(), "-n", "1",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready when a signed query for the zone apex is answered.
    Rfc2136Provider probe(LocalConfig(port_, kSecret256, 300), &SystemClock::Instance());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "named exited: " + log_tail();
        return;
      }
      if (probe.Show("example.test", "ns1.example.test.").ok()) {
        ready_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    error_ = "named did not answer on port " + std::to_string(port_) + ": " + log_tail();
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

  std::string log_tail() const {
    const std::string text = log();
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool ready_ = false;
  std::string error_;
};

std::string g_named;  // set by main

class Rfc2136BindTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new BindServer(g_named);
    dig_ = FindProgram("dig");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(server_->ok()) << server_->error();
    ASSERT_FALSE(dig_.empty()) << "dig not found: scripts/bootstrap installs bind9-dnsutils";
  }

  // DnsZones from a bot.dns section as collector.yaml would hold it.
  DnsZones Zones(const std::string& key_name = "beacon-test",
                 const std::string& secret_file = "tsig.key",
                 const std::string& algorithm = "hmac-sha256") {
    std::string zones;
    for (const char* zone : {"example.test", "readonly.test", "absent.test"}) {
      zones += "      - zone: " + std::string(zone) +
               "\n"
               "        provider: rfc2136\n"
               "        server: 127.0.0.1\n"
               "        port: " +
               std::to_string(server_->port()) +
               "\n"
               "        tsig_key: " +
               key_name +
               "\n"
               "        tsig_algorithm: " +
               algorithm +
               "\n"
               "        tsig_secret_file: " +
               (server_->dir() / secret_file).string() +
               "\n"
               "        timeout: 2s\n"
               "        min_ttl: 30\n";
    }
    auto doc = config::Document::LoadString("bot:\n  dns:\n    zones:\n" + zones, "test.yaml");
    EXPECT_TRUE(doc.ok());
    DnsZonesConfig config =
        ParseDnsZones((*doc)->root().Child("bot").Child("dns"), BuiltinDnsProviders());
    Status finished = (*doc)->Finish();
    EXPECT_TRUE(finished.ok()) << finished.ToString();
    return DnsZones(config, DnsProviderDeps{&SystemClock::Instance(), nullptr});
  }

  // dig's view: "+short" values, or the full answer lines.
  std::string Dig(const std::string& name, const std::string& type, bool full = false) {
    return RunCommand(dig_ + " @127.0.0.1 -p " + std::to_string(server_->port()) +
                      " +norecurse +tcp " + (full ? "+noall +answer " : "+short ") + name + " " +
                      type);
  }

  std::string Server() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  static BindServer* server_;
  static std::string dig_;
};

BindServer* Rfc2136BindTest::server_ = nullptr;
std::string Rfc2136BindTest::dig_;

TEST_F(Rfc2136BindTest, SetChangesTheRecordDigSeesItAndShowReadsItBack) {
  DnsZones zones = Zones();
  auto change = zones.Set("example.test", "www", "A", "192.0.2.10", 120);
  ASSERT_TRUE(change.ok()) << change.status().ToString() << "\n" << server_->log();
  EXPECT_EQ(FormatRecords(change->before), "www.example.test. 300 A 192.0.2.1");
  EXPECT_EQ(FormatRecords(change->after), "www.example.test. 120 A 192.0.2.10");
  EXPECT_TRUE(change->request_ids.empty());
  EXPECT_EQ(Dig("www.example.test", "A"), "192.0.2.10\n");
  auto shown = zones.Show("example.test", "www.example.test.");
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_EQ(FormatRecords(*shown), "www.example.test. 120 A 192.0.2.10");
  // Other names are untouched.
  EXPECT_EQ(Dig("mail.example.test", "A"), "192.0.2.25\n");
}

TEST_F(Rfc2136BindTest, TtlChangeWorks) {
  DnsZones zones = Zones();
  ASSERT_TRUE(zones.Set("example.test", "ttl", "A", "192.0.2.30", 600).ok());
  EXPECT_NE(Dig("ttl.example.test", "A", true).find("\t600\tIN\tA\t192.0.2.30"), std::string::npos);
  auto change = zones.Set("example.test", "ttl", "A", "192.0.2.30", 45);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(FormatRecords(change->before), "ttl.example.test. 600 A 192.0.2.30");
  EXPECT_EQ(FormatRecords(change->after), "ttl.example.test. 45 A 192.0.2.30");
  EXPECT_NE(Dig("ttl.example.test", "A", true).find("\t45\tIN\tA\t192.0.2.30"), std::string::npos)
      << Dig("ttl.example.test", "A", true);
}

TEST_F(Rfc2136BindTest, EveryRecordTypeRoundTrips) {
  DnsZones zones = Zones();
  ASSERT_TRUE(zones.Set("example.test", "v6", "AAAA", "2001:DB8:0::7", 300).ok());
  EXPECT_EQ(Dig("v6.example.test", "AAAA"), "2001:db8::7\n");
  ASSERT_TRUE(zones.Set("example.test", "alias", "CNAME", "www.example.test", 300).ok());
  EXPECT_EQ(Dig("alias.example.test", "CNAME"), "www.example.test.\n");
  ASSERT_TRUE(zones.Set("example.test", "_dmarc", "TXT", "v=DMARC1; p=none", 300).ok());
  EXPECT_EQ(Dig("_dmarc.example.test", "TXT"), "\"v=DMARC1; p=none\"\n");
  // 1500 bytes: several character-strings, an UPDATE sent over TCP, and answers that do not fit
  // 512 bytes of UDP, so every read-back is retried over TCP.
  std::string text;
  while (text.size() < 1500) text += "beacon-" + std::to_string(text.size()) + " ";
  text.resize(1500);
  auto big = zones.Set("example.test", "big", "TXT", text, 300);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  ASSERT_EQ(big->after.size(), 1u);
  EXPECT_EQ(big->after[0].value, text);
  EXPECT_NE(server_->log().find("big.example.test"), std::string::npos);  // BIND logged it
  auto shown = zones.Show("example.test", "alias");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(FormatRecords(*shown), "alias.example.test. 300 CNAME www.example.test.");
}

TEST_F(Rfc2136BindTest, ASha512KeyWorks) {
  DnsZones zones = Zones("beacon-512", "tsig512.key", "hmac-sha512");
  auto change = zones.Set("example.test", "sha512", "A", "192.0.2.51", 300);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(Dig("sha512.example.test", "A"), "192.0.2.51\n");
}

TEST_F(Rfc2136BindTest, AWrongSecretGivesAClearErrorAndChangesNothing) {
  DnsZones zones = Zones("beacon-test", "wrong.key");
  auto set = zones.Set("example.test", "mail", "A", "192.0.2.99", 300);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(set.status().message().find("TSIG key rejected by " + Server() +
                                        ": NOTAUTH/BADSIG (the server's secret for key "
                                        "beacon-test. is not ours)"),
            std::string::npos)
      << set.status().message();
  // The UPDATE itself, not only the read before it, is rejected.
  Rfc2136Provider provider(LocalConfig(server_->port(), kWrongSecret), &SystemClock::Instance());
  auto replaced =
      provider.Replace("example.test", {"mail.example.test.", RecordType::kA, "192.0.2.99", 300});
  ASSERT_FALSE(replaced.ok());
  EXPECT_EQ(replaced.status().message(), "TSIG key rejected by " + Server() +
                                             ": NOTAUTH/BADSIG (the server's secret for key "
                                             "beacon-test. is not ours)");
  EXPECT_EQ(set.status().message().find(kWrongSecret), std::string::npos);
  EXPECT_EQ(Dig("mail.example.test", "A"), "192.0.2.25\n");
}

TEST_F(Rfc2136BindTest, AnUnknownKeyNameGivesBadkey) {
  DnsZones zones = Zones("nobody");
  auto set = zones.Set("example.test", "mail", "A", "192.0.2.99", 300);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("TSIG key rejected by " + Server() +
                                        ": NOTAUTH/BADKEY (the server has no key nobody. with "
                                        "algorithm hmac-sha256)"),
            std::string::npos)
      << set.status().message();
  EXPECT_EQ(Dig("mail.example.test", "A"), "192.0.2.25\n");
}

TEST_F(Rfc2136BindTest, NamesOutsideTheZoneAndUnconfiguredZonesAreRefused) {
  DnsZones zones = Zones();
  auto outside = zones.Set("example.test", "www.readonly.test.", "A", "192.0.2.99", 300);
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outside.status().message(), "name 'www.readonly.test.' is outside zone example.test");
  auto unconfigured = zones.Show("other.test", "www");
  EXPECT_EQ(unconfigured.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Dig("www.readonly.test", "A"), "192.0.2.2\n");
}

TEST_F(Rfc2136BindTest, ServerRefusalsAreMappedClearly) {
  DnsZones zones = Zones();
  // BIND serves readonly.test but allows no updates.
  auto readonly = zones.Set("readonly.test", "www", "A", "192.0.2.99", 300);
  EXPECT_EQ(readonly.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(readonly.status().message(),
            "changing www.readonly.test. A: " + Server() +
                " refused the update of zone readonly.test (REFUSED: key beacon-test. may not "
                "change this name; check allow-update or update-policy there)");
  // absent.test is configured for the bot but BIND does not serve it.
  auto absent = zones.Show("absent.test", "www");
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find(Server()), std::string::npos)
      << absent.status().message();
  Rfc2136Provider provider(LocalConfig(server_->port(), kSecret256), &SystemClock::Instance());
  auto notauth =
      provider.Replace("absent.test", {"www.absent.test.", RecordType::kA, "192.0.2.1", 300});
  EXPECT_EQ(notauth.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(notauth.status().message(),
            Server() + " is not authoritative for zone absent.test (NOTAUTH)");
}

TEST_F(Rfc2136BindTest, AChangeTheServerIgnoresIsCaughtByTheReadBack) {
  // RFC 2136 3.4.2.2: a CNAME added where other records exist is silently ignored.
  DnsZones zones = Zones();
  auto change = zones.Set("example.test", "mail", "CNAME", "www.example.test", 300);
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(change.status().message(),
            "rfc2136 server " + Server() +
                " accepted the change of mail.example.test. CNAME but reads back (none) instead "
                "of mail.example.test. 300 CNAME www.example.test.; the name now has: "
                "mail.example.test. 300 A 192.0.2.25; before it had: mail.example.test. 300 A "
                "192.0.2.25");
  EXPECT_EQ(Dig("mail.example.test", "A"), "192.0.2.25\n");
}

}  // namespace
}  // namespace beacon::bot::dns

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* configured = getenv("BEACON_NAMED");
  beacon::bot::dns::g_named =
      configured != nullptr ? configured : beacon::bot::dns::FindProgram("named");
  if (beacon::bot::dns::g_named.empty()) {
    std::cout << "SKIPPED: named (Debian bind9) is not installed; scripts/bootstrap installs it\n";
    return 77;
  }
  return RUN_ALL_TESTS();
}
