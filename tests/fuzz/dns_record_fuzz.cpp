// Fuzzes the checks on what a chat user types for `dns set` (bot/dns: DnsZones::Prepare with
// ResolveName and NormalizeValue) and what the rfc2136 provider builds from an accepted record
// (rfc2136::BuildUpdate through ldns). Input: byte 0 bits 0-1 the record type, bit 2 a TTL from
// byte 1; the rest is NAME, a NUL, then VALUE. Invariants: an accepted record lies inside the
// zone, normalising its value again changes nothing, and ldns encodes every record we accept.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bot/dns/provider.h"
#include "bot/dns/rfc2136.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace beacon::bot::dns;
using beacon::Result;

class NoProvider final : public DnsProvider {
 public:
  std::string Describe() const override { return "none"; }
  Result<std::vector<DnsRecord>> Show(const std::string&, const std::string&) override {
    return std::vector<DnsRecord>{};
  }
  Result<std::vector<std::string>> Replace(const std::string&, const DnsRecord&) override {
    return std::vector<std::string>{};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 2) return 0;
  static const DnsZones* const kZones = [] {
    auto* zones = new DnsZones();
    zones->Add({"example.com", "none", 600, 1, 2147483647}, std::make_unique<NoProvider>());
    zones->Add({"sub.example.com", "none", 600, 1, 2147483647}, std::make_unique<NoProvider>());
    return zones;
  }();
  const RecordType type = SupportedRecordTypes()[data[0] & 3];
  const std::optional<int64_t> ttl =
      (data[0] & 4) != 0 ? std::optional<int64_t>(data[1]) : std::nullopt;
  const std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t nul = rest.find('\0');
  const std::string name = rest.substr(0, nul);
  const std::string value = nul == std::string::npos ? "" : rest.substr(nul + 1);

  auto record = kZones->Prepare("example.com", name, RecordTypeName(type), value, ttl);
  if (!record.ok()) return 0;
  FUZZ_CHECK(record->name == "example.com." || record->name.ends_with(".example.com."));
  FUZZ_CHECK(!record->name.ends_with(".sub.example.com.") && record->name != "sub.example.com.");
  auto again = NormalizeValue(record->type, record->value);
  FUZZ_CHECK(again.ok() && *again == record->value);
  FUZZ_CHECK(
      kZones->Prepare("example.com", record->name, RecordTypeName(type), record->value, record->ttl)
          .ok());
  TsigKey key;
  key.name = "fuzz-key.";
  key.secret = beacon::config::Secret("ZnV6ei1zZWNyZXQ=");
  FUZZ_CHECK(rfc2136::BuildUpdate("example.com", *record, 1, key).ok());
  return 0;
}
