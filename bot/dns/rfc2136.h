// The rfc2136 DNS provider: BIND, or any server that speaks DNS UPDATE (RFC 2136), with TSIG
// (RFC 8945), through ldns. Replace sends one UPDATE without prerequisites that deletes the
// name's RRset of the type and adds the new record (the server applies it atomically); Show is
// one TSIG-signed query per record type to the same server, over UDP with a TCP retry when the
// answer is truncated. Every answer must carry a valid TSIG of the same key. The secret never
// reaches a log or a message. Thread-safe: no mutable state; every exchange has its own socket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bot/dns/provider.h"
#include "bot/dns/records.h"
#include "common/clock.h"
#include "common/config/config.h"
#include "common/status.h"

namespace beacon::bot::dns {

struct TsigKey {
  std::string name;                       // absolute, lower case: "beacon-update."
  std::string algorithm = "hmac-sha256";  // hmac-sha256 | hmac-sha512 | hmac-sha1
  config::Secret secret;                  // base64, as in BIND's key statement
};

struct Rfc2136Config {
  std::string server;  // host name or IP address
  int port = 53;
  TsigKey key;
  int64_t timeout_ms = 5000;  // for each answer awaited (UDP, then TCP when truncated)
};

// Parses the rfc2136 keys of a bot.dns.zones entry: server (required), port, tsig_key
// (required), tsig_algorithm, tsig_secret_file | tsig_secret_env (required, base64), timeout
// (100ms..60s). Errors are recorded on the node; an empty factory when invalid.
DnsProviderFactory ParseRfc2136Zone(const DnsZoneConfig& zone, config::Node node);

namespace rfc2136 {

// A signed request as sent, with what its answer is checked against.
struct Message {
  std::string wire;
  uint16_t id = 0;
  std::string request_mac;  // the request's TSIG MAC, which the answer's MAC covers
};

// TSIG fudge of requests: how far the server's clock may differ from ours (RFC 8945 advises 300).
constexpr uint16_t kFudgeSeconds = 300;
// Answers longer than this are refused before parsing (a 2 KiB TXT answer is far below it).
constexpr size_t kMaxAnswerBytes = 32 * 1024;

// A query for fqdn/type (RD clear: the server answers from its own zones), signed with `key`.
// `id` is the message id (random outside tests). ldns stamps the TSIG with the current time.
Result<Message> BuildQuery(const std::string& fqdn, RecordType type, uint16_t id,
                           const TsigKey& key);
// An UPDATE of `zone` (normalised, no trailing dot): delete the RRset of record.name and
// record.type, then add `record`; no prerequisites. Signed with `key`.
Result<Message> BuildUpdate(const std::string& zone, const DnsRecord& record, uint16_t id,
                            const TsigKey& key);

// What a checked answer says.
struct Answer {
  bool truncated = false;          // TC set: ask again over TCP (nothing else was checked)
  std::vector<DnsRecord> records;  // answer-section records of the supported types
};

// Checks the answer `wire` to `request` from `server` (for messages) and maps every failure to
// a clear Status: malformed or oversized (Corruption), a different id or not a response
// (Corruption), a TSIG error (Unauthenticated "TSIG key rejected by SERVER: BADSIG ..."), an
// rcode (REFUSED PermissionDenied, NOTAUTH, NOTZONE, SERVFAIL Unavailable, ...; NXDOMAIN is an
// empty answer for a query), then the answer's own TSIG (Unauthenticated when absent, of another
// key or algorithm, more than the fudge away from now_s, or not verifying). `is_update` selects
// the rcode wording; `zone` names the zone in messages.
Result<Answer> CheckResponse(std::string_view wire, const Message& request, const TsigKey& key,
                             int64_t now_s, const std::string& server, const std::string& zone,
                             bool is_update);

// "NOERROR", "REFUSED", ..., "RCODE 12" for the unnamed.
std::string RcodeName(int rcode);

}  // namespace rfc2136

class Rfc2136Provider final : public DnsProvider {
 public:
  // `clock` checks the time in answers' TSIG against the fudge; it must outlive the provider.
  Rfc2136Provider(Rfc2136Config config, const Clock* clock);

  std::string Describe() const override;
  Result<std::vector<DnsRecord>> Show(const std::string& zone, const std::string& fqdn) override;
  Result<std::vector<std::string>> Replace(const std::string& zone,
                                           const DnsRecord& record) override;

 private:
  // Sends a signed message over UDP (TCP when the answer is truncated) and returns the checked
  // answer's records (rfc2136::CheckResponse).
  Result<std::vector<DnsRecord>> Exchange(const std::string& zone, bool is_update,
                                          const rfc2136::Message& message) const;

  const Rfc2136Config config_;
  const Clock* const clock_;
  const std::string server_text_;  // "127.0.0.1:53", "[::1]:53"
};

}  // namespace beacon::bot::dns
