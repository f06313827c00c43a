// bot/dns/rfc2136: the messages it builds, and every kind of answer a server (or anyone on the
// path) can send back, built here with ldns: rcodes, TSIG errors, bad or missing signatures,
// truncated, oversized and malformed packets. The real-server test is
// tests/integration/dns/rfc2136_bind_test.cpp.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <string>
#include <vector>

#include "bot/dns/ldns.h"
#include "bot/dns/rfc2136.h"
#include "common/clock.h"

namespace beacon::bot::dns {
namespace {

constexpr char kServer[] = "127.0.0.1:53";
constexpr char kSecret[] = "c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwMTIzNDU2";

TsigKey Key(const std::string& secret = kSecret, const std::string& name = "beacon-test.",
            const std::string& algorithm = "hmac-sha256") {
  TsigKey key;
  key.name = name;
  key.algorithm = algorithm;
  key.secret = config::Secret(secret);
  return key;
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// How the fake server answers.
struct Reply {
  int rcode = LDNS_RCODE_NOERROR;
  std::vector<std::string> answers = {};  // zone-file lines
  bool sign = true;
  TsigKey key = Key();
  int tsig_error = 0;      // set after signing, as a server does on BADSIG / BADKEY
  int64_t time_shift = 0;  // moves the TSIG time after signing
  bool tc = false;
  bool qr = true;
  int id_delta = 0;
};

ldns_pkt* Parse(const std::string& wire) {
  ldns_pkt* pkt = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&pkt, reinterpret_cast<const uint8_t*>(wire.data()), wire.size()),
            LDNS_STATUS_OK);
  return pkt;
}

std::string Wire(const ldns_pkt* pkt) {
  uint8_t* data = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&data, pkt, &size), LDNS_STATUS_OK);
  std::string wire(reinterpret_cast<char*>(data), size);
  free(data);
  return wire;
}

// The answer a server would send to `request`.
std::string Answer(const rfc2136::Message& request, const Reply& reply) {
  ldns_pkt* pkt = Parse(request.wire);
  ldns_rr_free(ldns_pkt_tsig(pkt));
  ldns_pkt_set_tsig(pkt, nullptr);
  ldns_rr_list_deep_free(ldns_pkt_authority(pkt));  // an UPDATE's update section
  ldns_pkt_set_authority(pkt, ldns_rr_list_new());
  ldns_pkt_set_nscount(pkt, 0);
  ldns_pkt_set_qr(pkt, reply.qr);
  ldns_pkt_set_aa(pkt, true);
  ldns_pkt_set_tc(pkt, reply.tc);
  ldns_pkt_set_rcode(pkt, static_cast<uint8_t>(reply.rcode));
  ldns_pkt_set_id(pkt, static_cast<uint16_t>(request.id + reply.id_delta));
  for (const std::string& line : reply.answers) {
    ldns_rr* rr = nullptr;
    EXPECT_EQ(ldns_rr_new_frm_str(&rr, line.c_str(), 0, nullptr, nullptr), LDNS_STATUS_OK) << line;
    ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
  }
  if (reply.sign) {
    ldns_rdf* mac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request.request_mac.size(),
                                          request.request_mac.data());
    const std::string algorithm = reply.key.algorithm + ".";
    EXPECT_EQ(ldns_pkt_tsig_sign(pkt, reply.key.name.c_str(), reply.key.secret.value().c_str(), 300,
                                 algorithm.c_str(), mac),
              LDNS_STATUS_OK);
    ldns_rdf_deep_free(mac);
    ldns_rr* tsig = ldns_pkt_tsig(pkt);
    if (reply.tsig_error != 0) {
      ldns_rdf_deep_free(ldns_rr_set_rdf(
          tsig, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, static_cast<uint16_t>(reply.tsig_error)),
          5));
    }
    if (reply.time_shift != 0) {
      const uint64_t t = static_cast<uint64_t>(Now() + reply.time_shift);
      uint8_t bytes[6];
      for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(t >> (8 * (5 - i)));
      ldns_rdf_deep_free(
          ldns_rr_set_rdf(tsig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, 6, bytes), 1));
    }
  }
  std::string wire = Wire(pkt);
  ldns_pkt_free(pkt);
  return wire;
}

rfc2136::Message Query(const std::string& fqdn = "www.example.com.",
                       RecordType type = RecordType::kA) {
  auto query = rfc2136::BuildQuery(fqdn, type, 0x1234, Key());
  EXPECT_TRUE(query.ok()) << query.status().ToString();
  return query.ok() ? *query : rfc2136::Message{};
}

rfc2136::Message Update(const DnsRecord& record = {"www.example.com.", RecordType::kA, "192.0.2.9",
                                                   120}) {
  auto update = rfc2136::BuildUpdate("example.com", record, 0x4321, Key());
  EXPECT_TRUE(update.ok()) << update.status().ToString();
  return update.ok() ? *update : rfc2136::Message{};
}

Result<rfc2136::Answer> Check(const rfc2136::Message& request, const std::string& wire,
                              bool is_update = false, int64_t now = Now()) {
  return rfc2136::CheckResponse(wire, request, Key(), now, kServer, "example.com", is_update);
}

std::string Rr(const ldns_rr* rr) {
  char* text = ldns_rr2str(rr);
  std::string out = text;
  free(text);
  while (!out.empty() && (out.back() == '\n')) out.pop_back();
  return out;
}

TEST(Rfc2136MessageTest, QueryAsksTheServerItselfAndIsSigned) {
  rfc2136::Message query = Query("www.example.com.", RecordType::kTxt);
  EXPECT_EQ(query.id, 0x1234);
  EXPECT_FALSE(query.request_mac.empty());
  ldns_pkt* pkt = Parse(query.wire);
  EXPECT_EQ(ldns_pkt_get_opcode(pkt), LDNS_PACKET_QUERY);
  EXPECT_FALSE(ldns_pkt_rd(pkt));
  EXPECT_EQ(ldns_pkt_id(pkt), 0x1234);
  ASSERT_EQ(ldns_pkt_qdcount(pkt), 1);
  EXPECT_EQ(Rr(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)), "www.example.com.\tIN\tTXT");
  ASSERT_NE(ldns_pkt_tsig(pkt), nullptr);
  char* signer = ldns_rdf2str(ldns_rr_owner(ldns_pkt_tsig(pkt)));
  EXPECT_STREQ(signer, "beacon-test.");
  free(signer);
  ldns_pkt_free(pkt);
}

TEST(Rfc2136MessageTest, UpdateDeletesTheRrsetThenAddsTheRecord) {
  rfc2136::Message update = Update();
  ldns_pkt* pkt = Parse(update.wire);
  EXPECT_EQ(ldns_pkt_get_opcode(pkt), LDNS_PACKET_UPDATE);
  EXPECT_FALSE(ldns_pkt_rd(pkt));
  EXPECT_EQ(Rr(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)), "example.com.\tIN\tSOA");
  EXPECT_EQ(ldns_pkt_ancount(pkt), 0);  // no prerequisites
  const ldns_rr_list* section = ldns_pkt_authority(pkt);
  ASSERT_EQ(ldns_rr_list_rr_count(section), 2u);
  const ldns_rr* remove = ldns_rr_list_rr(section, 0);
  EXPECT_EQ(ldns_rr_get_class(remove), LDNS_RR_CLASS_ANY);
  EXPECT_EQ(ldns_rr_get_type(remove), LDNS_RR_TYPE_A);
  EXPECT_EQ(ldns_rr_ttl(remove), 0u);
  EXPECT_EQ(ldns_rr_rd_count(remove), 0u);
  EXPECT_EQ(Rr(ldns_rr_list_rr(section, 1)), "www.example.com.\t120\tIN\tA\t192.0.2.9");
  EXPECT_NE(ldns_pkt_tsig(pkt), nullptr);
  ldns_pkt_free(pkt);
}

TEST(Rfc2136MessageTest, LongTxtIsSplitInto255ByteStrings) {
  const std::string text(600, 'x');
  rfc2136::Message update = Update({"t.example.com.", RecordType::kTxt, text, 60});
  ldns_pkt* pkt = Parse(update.wire);
  const ldns_rr* add = ldns_rr_list_rr(ldns_pkt_authority(pkt), 1);
  ASSERT_EQ(ldns_rr_rd_count(add), 3u);
  EXPECT_EQ(ldns_rdf_size(ldns_rr_rdf(add, 0)), 256u);
  EXPECT_EQ(ldns_rdf_size(ldns_rr_rdf(add, 1)), 256u);
  EXPECT_EQ(ldns_rdf_size(ldns_rr_rdf(add, 2)), 91u);
  ldns_pkt_free(pkt);
  // What a server sends back for it reads as the same text.
  rfc2136::Message query = Query("t.example.com.", RecordType::kTxt);
  std::string line = "t.example.com. 60 IN TXT";
  for (int i = 0; i < 3; ++i) line += " \"" + text.substr(i * 255, 255) + "\"";
  auto answer = Check(query, Answer(query, {.answers = {line}}));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_EQ(answer->records.size(), 1u);
  EXPECT_EQ(answer->records[0].value, text);
}

TEST(Rfc2136MessageTest, EverySupportedAlgorithmSigns) {
  for (const char* algorithm : {"hmac-sha256", "hmac-sha512", "hmac-sha1"}) {
    TsigKey key = Key(kSecret, "beacon-test.", algorithm);
    auto query = rfc2136::BuildQuery("www.example.com.", RecordType::kA, 7, key);
    ASSERT_TRUE(query.ok()) << algorithm;
    Reply reply;
    reply.key = key;
    reply.answers = {"www.example.com. 300 IN A 192.0.2.1"};
    auto answer = rfc2136::CheckResponse(Answer(*query, reply), *query, key, Now(), kServer,
                                         "example.com", false);
    EXPECT_TRUE(answer.ok()) << algorithm << ": " << answer.status().ToString();
  }
}

TEST(Rfc2136ResponseTest, SignedAnswerGivesItsRecords) {
  rfc2136::Message query = Query();
  auto answer = Check(query, Answer(query, {.answers = {
                                                "www.example.com. 300 IN CNAME Web.Example.NET.",
                                                "web.example.net. 60 IN A 192.0.2.1",
                                                "www.example.com. 300 IN AAAA 2001:db8:0::1",
                                                "www.example.com. 300 IN MX 10 mail.example.com.",
                                            }}));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_FALSE(answer->truncated);
  EXPECT_EQ(FormatRecords(answer->records),
            "www.example.com. 300 CNAME web.example.net.; web.example.net. 60 A 192.0.2.1; "
            "www.example.com. 300 AAAA 2001:db8::1");
}

TEST(Rfc2136ResponseTest, NxdomainIsAnEmptyAnswerToAQueryOnly) {
  rfc2136::Message query = Query();
  auto answer = Check(query, Answer(query, {.rcode = LDNS_RCODE_NXDOMAIN}));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_TRUE(answer->records.empty());
  rfc2136::Message update = Update();
  auto refused = Check(update, Answer(update, {.rcode = LDNS_RCODE_NXDOMAIN}), true);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      refused.status().message(),
      "127.0.0.1:53 refused the update of zone example.com: a prerequisite failed (NXDOMAIN)");
}

TEST(Rfc2136ResponseTest, EveryRcodeIsAClearError) {
  rfc2136::Message update = Update();
  struct Case {
    int rcode;
    StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {LDNS_RCODE_REFUSED, StatusCode::kPermissionDenied,
       "127.0.0.1:53 refused the update of zone example.com (REFUSED: key beacon-test. may not "
       "change this name; check allow-update or update-policy there)"},
      {LDNS_RCODE_NOTAUTH, StatusCode::kFailedPrecondition,
       "127.0.0.1:53 is not authoritative for zone example.com (NOTAUTH)"},
      {LDNS_RCODE_NOTZONE, StatusCode::kInvalidArgument,
       "127.0.0.1:53 says the name is not inside zone example.com (NOTZONE)"},
      {LDNS_RCODE_SERVFAIL, StatusCode::kUnavailable,
       "127.0.0.1:53 failed to process the update of zone example.com (SERVFAIL: is the zone "
       "loaded and, for an update, its journal writable?)"},
      {LDNS_RCODE_FORMERR, StatusCode::kInternal,
       "127.0.0.1:53 could not parse the update of zone example.com (FORMERR)"},
      {LDNS_RCODE_NOTIMPL, StatusCode::kFailedPrecondition,
       "127.0.0.1:53 does not implement DNS UPDATE (NOTIMP)"},
      {LDNS_RCODE_YXRRSET, StatusCode::kFailedPrecondition,
       "127.0.0.1:53 refused the update of zone example.com: a prerequisite failed (YXRRSET)"},
      {12, StatusCode::kUnavailable,
       "127.0.0.1:53 answered the update of zone example.com with RCODE 12"},
  };
  for (const Case& c : cases) {
    auto result = Check(update, Answer(update, {.rcode = c.rcode}), true);
    ASSERT_FALSE(result.ok()) << c.rcode;
    EXPECT_EQ(result.status().code(), c.code) << c.rcode;
    EXPECT_EQ(result.status().message(), c.message) << c.rcode;
  }
  rfc2136::Message query = Query();
  EXPECT_EQ(Check(query, Answer(query, {.rcode = LDNS_RCODE_REFUSED})).status().message(),
            "127.0.0.1:53 refused a query in zone example.com (REFUSED: check allow-query for key "
            "beacon-test. there)");
}

TEST(Rfc2136ResponseTest, TsigErrorsSayTheKeyWasRejected) {
  rfc2136::Message update = Update();
  const std::vector<std::pair<int, std::string>> cases = {
      {16,
       "TSIG key rejected by 127.0.0.1:53: NOTAUTH/BADSIG (the server's secret for key "
       "beacon-test. is not ours)"},
      {17,
       "TSIG key rejected by 127.0.0.1:53: NOTAUTH/BADKEY (the server has no key beacon-test. "
       "with algorithm hmac-sha256)"},
      {18,
       "TSIG key rejected by 127.0.0.1:53: NOTAUTH/BADTIME (this host's clock and the "
       "server's differ by more than 300 s)"},
      {22,
       "TSIG key rejected by 127.0.0.1:53: NOTAUTH/BADTRUNC (the server did not accept our "
       "signature)"},
  };
  for (const auto& [error, message] : cases) {
    auto result =
        Check(update, Answer(update, {.rcode = LDNS_RCODE_NOTAUTH, .tsig_error = error}), true);
    EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated) << error;
    EXPECT_EQ(result.status().message(), message) << error;
  }
  auto unsigned_notauth =
      Check(update, Answer(update, {.rcode = LDNS_RCODE_NOTAUTH, .sign = false}), true);
  EXPECT_EQ(unsigned_notauth.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(unsigned_notauth.status().message(),
            "TSIG key rejected by 127.0.0.1:53: NOTAUTH without a signed answer (the server did "
            "not accept key beacon-test., or is not authoritative for zone example.com)");
}

TEST(Rfc2136ResponseTest, AnswersMustBeSignedByOurKeyRecentlyAndCorrectly) {
  rfc2136::Message query = Query();
  const std::vector<std::string> a = {"www.example.com. 300 IN A 192.0.2.1"};
  EXPECT_EQ(Check(query, Answer(query, {.answers = a, .sign = false})).status().message(),
            "the answer from 127.0.0.1:53 is not TSIG-signed, so it cannot be trusted");
  EXPECT_EQ(Check(query, Answer(query, {.answers = a, .key = Key("b3RoZXItc2VjcmV0")}))
                .status()
                .message(),
            "the TSIG signature of the answer from 127.0.0.1:53 does not verify with key "
            "beacon-test.");
  EXPECT_EQ(Check(query, Answer(query, {.answers = a, .key = Key(kSecret, "intruder.")}))
                .status()
                .message(),
            "the answer from 127.0.0.1:53 is signed with key intruder. (hmac-sha256.), not "
            "beacon-test. (hmac-sha256)");
  EXPECT_EQ(
      Check(query, Answer(query, {.answers = a, .key = Key(kSecret, "beacon-test.", "hmac-sha1")}))
          .status()
          .message(),
      "the answer from 127.0.0.1:53 is signed with key beacon-test. (hmac-sha1.), not "
      "beacon-test. (hmac-sha256)");
  auto stale = Check(query, Answer(query, {.answers = a, .time_shift = -301}));
  EXPECT_EQ(stale.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(stale.status().message().find("more than 300 s away from this host's clock"),
            std::string::npos)
      << stale.status().message();
  // Our clock (injected) far from the server's.
  auto skewed = Check(query, Answer(query, {.answers = a}), false, Now() + 3600);
  EXPECT_EQ(skewed.status().code(), StatusCode::kUnauthenticated);
  // An answer to another request: its MAC covers the other request's MAC.
  rfc2136::Message other = Query("www.example.com.", RecordType::kAaaa);
  EXPECT_EQ(Check(query, Answer(other, {.answers = a})).status().code(),
            StatusCode::kUnauthenticated);
}

TEST(Rfc2136ResponseTest, ForeignOrTruncatedAnswersAreRecognised) {
  rfc2136::Message query = Query();
  EXPECT_EQ(Check(query, Answer(query, {.id_delta = 1})).status().message(),
            "the answer from 127.0.0.1:53 is not a response to our request (id 4661, expected "
            "4660)");
  EXPECT_EQ(Check(query, Answer(query, {.qr = false})).status().code(), StatusCode::kCorruption);
  rfc2136::Message update = Update();
  EXPECT_EQ(Check(query, Answer(update, {})).status().code(), StatusCode::kCorruption);
  auto truncated = Check(query, Answer(query, {.sign = false, .tc = true}));
  ASSERT_TRUE(truncated.ok());
  EXPECT_TRUE(truncated->truncated);
}

TEST(Rfc2136HostileTest, EveryPrefixOfAnAnswerIsRefusedWithoutACrash) {
  rfc2136::Message query = Query();
  const std::string wire = Answer(query, {.answers = {"www.example.com. 300 IN A 192.0.2.1",
                                                      "www.example.com. 300 IN TXT \"a\" \"b\""}});
  ASSERT_TRUE(Check(query, wire).ok());
  for (size_t n = 0; n < wire.size(); ++n) {
    auto result = Check(query, wire.substr(0, n));
    EXPECT_FALSE(result.ok()) << n;
    EXPECT_EQ(result.status().code(), StatusCode::kCorruption) << n;
  }
}

TEST(Rfc2136HostileTest, OversizedAndLoopingAnswersAreRefused) {
  rfc2136::Message query = Query();
  std::string big = Answer(query, {});
  big.resize(rfc2136::kMaxAnswerBytes + 1, '\0');
  EXPECT_EQ(Check(query, big).status().message(),
            "the answer from 127.0.0.1:53 is 32769 bytes, more than the 32768 accepted");
  // A question whose name is a compression pointer to itself.
  std::string loop = query.wire.substr(0, 12);
  loop[2] = static_cast<char>(0x80);  // QR
  loop[6] = loop[7] = loop[8] = loop[9] = loop[10] = loop[11] = 0;
  loop += std::string("\xc0\x0c\x00\x01\x00\x01", 6);
  auto looped = Check(query, loop);
  EXPECT_EQ(looped.status().code(), StatusCode::kCorruption);
  EXPECT_NE(looped.status().message().find("malformed answer from 127.0.0.1:53"),
            std::string::npos);
  // Answer counts far beyond what the bytes hold.
  std::string counts = Answer(query, {.sign = false});
  counts[6] = counts[7] = static_cast<char>(0xff);
  EXPECT_EQ(Check(query, counts).status().code(), StatusCode::kCorruption);
}

TEST(Rfc2136HostileTest, ATsigThatIsNotLastOrTwoTsigsAreRefused) {
  rfc2136::Message query = Query();
  const std::string signed_answer = Answer(query, {.answers = {"a.example.com. 1 IN A 192.0.2.1"}});
  ldns_pkt* pkt = Parse(signed_answer);
  ldns_rr* tsig = ldns_rr_clone(ldns_pkt_tsig(pkt));
  // Put a copy of the TSIG into the additional section too: two TSIG records.
  ldns_pkt_push_rr(pkt, LDNS_SECTION_ADDITIONAL, tsig);
  auto two = Check(query, Wire(pkt));
  EXPECT_EQ(two.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(two.status().message(),
            "malformed answer from 127.0.0.1:53: a TSIG record that is not the last record");
  ldns_pkt_free(pkt);
}

TEST(Rfc2136HostileTest, FlippedBytesNeverYieldOtherRecords) {
  rfc2136::Message query = Query();
  const std::string original = Answer(query, {.answers = {"www.example.com. 300 IN A 192.0.2.1"}});
  uint32_t state = 12345;
  int rejected = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string wire = original;
    for (int flips = 0; flips < 4; ++flips) {
      state = state * 1103515245 + 12345;
      wire[(state >> 8) % wire.size()] = static_cast<char>(state >> 24);
    }
    auto result = Check(query, wire);
    if (!result.ok()) {
      ++rejected;
      continue;
    }
    // Only a flip of the TC bit (retried over TCP) or one that changed nothing gets through:
    // everything else is covered by the id check or the MAC.
    if (!result->truncated) {
      EXPECT_EQ(FormatRecords(result->records), "www.example.com. 300 A 192.0.2.1");
    }
  }
  EXPECT_GT(rejected, 1900);
}

// A UDP socket on loopback that never answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(Rfc2136ProviderTest, NoAnswerIsATimeoutNamingTheServer) {
  SilentServer server;
  Rfc2136Config config;
  config.server = "127.0.0.1";
  config.port = server.port();
  config.key = Key();
  config.timeout_ms = 200;
  FakeClock clock;
  Rfc2136Provider provider(config, &clock);
  EXPECT_EQ(provider.Describe(), "rfc2136 server 127.0.0.1:" + std::to_string(server.port()));
  const int64_t start = SystemClock::Instance().MonotonicMs();
  auto shown = provider.Show("example.com", "www.example.com.");
  const int64_t elapsed = SystemClock::Instance().MonotonicMs() - start;
  ASSERT_FALSE(shown.ok());
  EXPECT_EQ(shown.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(shown.status().message(),
            "no answer from 127.0.0.1:" + std::to_string(server.port()) + " over UDP within 200ms");
  EXPECT_GE(elapsed, 190);
  EXPECT_LT(elapsed, 5000);
  auto set = provider.Set("example.com", {"www.example.com.", RecordType::kA, "192.0.2.1", 60});
  EXPECT_EQ(set.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(Rfc2136ProviderTest, AnUnresolvableServerIsUnavailable) {
  Rfc2136Config config;
  config.server = "no-such-host.invalid";
  config.key = Key();
  FakeClock clock;
  Rfc2136Provider provider(config, &clock);
  auto shown = provider.Show("example.com", "www.example.com.");
  EXPECT_EQ(shown.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(shown.status().message().find("cannot resolve DNS server no-such-host.invalid"),
            std::string::npos);
}

TEST(Rfc2136ProviderTest, TheSecretNeverAppearsInMessages) {
  rfc2136::Message query = Query();
  for (int rcode : {1, 2, 4, 5, 9, 10}) {
    auto result = Check(query, Answer(query, {.rcode = rcode, .tsig_error = rcode == 9 ? 16 : 0}));
    EXPECT_EQ(result.status().message().find(kSecret), std::string::npos);
  }
}

}  // namespace
}  // namespace beacon::bot::dns
