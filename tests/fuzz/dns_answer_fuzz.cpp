// Fuzzes how the rfc2136 DNS provider reads a server's answer (bot/dns/rfc2136.cpp:
// rfc2136::CheckResponse: the TSIG walk, ldns_wire2pkt, id/opcode checks, TSIG errors, rcodes,
// TSIG verification and the record extraction). Input: byte 0 bit 0 picks a query or an UPDATE
// as the request, bit 1 puts the request's id and QR into the answer, bit 2 signs the parsed
// answer with the key (so records behind a valid TSIG are reached); the rest is the answer.
// Invariants: no error message carries the secret; an accepted answer's addresses and names
// are in their normalised form.

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

#include "bot/dns/ldns.h"
#include "bot/dns/rfc2136.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace beacon::bot::dns;

constexpr char kSecret[] = "ZnV6ei1zZWNyZXQtZm9yLXRoZS1kbnMtYW5zd2Vycw==";

TsigKey Key() {
  TsigKey key;
  key.name = "fuzz-key.";
  key.secret = beacon::config::Secret(kSecret);
  return key;
}

// The answer parsed and signed as the server would, or the input unchanged if ldns rejects it.
std::string Signed(const std::string& wire, const rfc2136::Message& request) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, reinterpret_cast<const uint8_t*>(wire.data()), wire.size()) !=
      LDNS_STATUS_OK) {
    return wire;
  }
  ldns_rr_free(ldns_pkt_tsig(pkt));
  ldns_pkt_set_tsig(pkt, nullptr);
  ldns_rdf* mac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request.request_mac.size(),
                                        request.request_mac.data());
  std::string out = wire;
  if (ldns_pkt_tsig_sign(pkt, "fuzz-key.", kSecret, 300, "hmac-sha256.", mac) == LDNS_STATUS_OK) {
    uint8_t* data = nullptr;
    size_t size = 0;
    if (ldns_pkt2wire(&data, pkt, &size) == LDNS_STATUS_OK) {
      out.assign(reinterpret_cast<const char*>(data), size);
    }
    std::free(data);
  }
  ldns_rdf_deep_free(mac);
  ldns_pkt_free(pkt);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const bool is_update = (mode & 1) != 0;
  static const rfc2136::Message kQuery =
      *rfc2136::BuildQuery("www.example.com.", RecordType::kA, 0x5a5a, Key());
  static const rfc2136::Message kUpdate = *rfc2136::BuildUpdate(
      "example.com", {"www.example.com.", RecordType::kA, "192.0.2.1", 60}, 0xa5a5, Key());
  const rfc2136::Message& request = is_update ? kUpdate : kQuery;

  std::string wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((mode & 2) != 0 && wire.size() >= 3) {
    wire[0] = static_cast<char>(request.id >> 8);
    wire[1] = static_cast<char>(request.id & 0xff);
    wire[2] = static_cast<char>(wire[2] | 0x80);
  }
  if ((mode & 4) != 0 && wire.size() <= rfc2136::kMaxAnswerBytes) wire = Signed(wire, request);

  auto answer = rfc2136::CheckResponse(wire, request, Key(), std::time(nullptr), "127.0.0.1:53",
                                       "example.com", is_update);
  if (!answer.ok()) {
    FUZZ_CHECK(answer.status().message().find(kSecret) == std::string::npos);
    return 0;
  }
  if (answer->truncated) FUZZ_CHECK(answer->records.empty());
  for (const DnsRecord& record : answer->records) {
    FUZZ_CHECK(!record.name.empty());
    if (record.type == RecordType::kA || record.type == RecordType::kAaaa) {
      auto normalized = NormalizeValue(record.type, record.value);
      FUZZ_CHECK(normalized.ok() && *normalized == record.value);
    }
  }
  return 0;
}
