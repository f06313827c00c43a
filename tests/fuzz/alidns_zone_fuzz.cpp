// Fuzzes the alidns DNS provider (bot/dns/alidns) with what Alibaba Cloud answers to
// DescribeDomainRecords: ParseDomainRecords, then the provider's RR matching, type and value
// normalisation (Show) and its choice of the one record to update (Replace). Input: byte 0 bit 0
// Show or Replace, bits 1-2 the record type of Replace (A, AAAA, CNAME, TXT); rest: the answer
// body. Invariants: Show returns only records of the asked name and of supported types, with
// normalised values where they normalise; Replace updates only when exactly one enabled,
// unlocked record of that name, type and the configured line exists, that record, with a CNAME
// target sent without its trailing dot.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bot/dns/alidns.h"
#include "common/json/parse.h"
#include "common/strings.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace beacon;            // NOLINT(google-build-using-namespace)
using namespace beacon::bot::dns;  // NOLINT(google-build-using-namespace)
namespace alidns = beacon::aliyun::alidns;

// Answers every DescribeDomainRecords with the fuzzed body; records what was updated.
class Api final : public alidns::Api {
 public:
  explicit Api(std::string_view body) : body_(body) {}
  Result<alidns::RecordList> DescribeDomainRecords(const std::string&,
                                                   const alidns::RecordFilter&) override {
    BEACON_ASSIGN_OR_RETURN(nlohmann::json json, ParseJson(body_));
    alidns::RecordList list;
    BEACON_ASSIGN_OR_RETURN(list.records, alidns::ParseDomainRecords(json));
    parsed = list.records;
    return list;
  }
  Result<alidns::UpdateResult> UpdateDomainRecord(const alidns::RecordUpdate& update) override {
    updates.push_back(update);
    return alidns::UpdateResult{"req-1", false};
  }
  std::vector<alidns::Record> parsed;
  std::vector<alidns::RecordUpdate> updates;

 private:
  std::string_view body_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto api = std::make_shared<Api>(body);
  AlidnsProvider provider(AlidnsSettings{"example.com", "example.com", "default", "cn-hangzhou"},
                          api);
  const std::string fqdn = "www.example.com.";
  if ((data[0] & 1) == 0) {
    auto shown = provider.Show("example.com", fqdn);
    if (!shown.ok()) return 0;
    for (const DnsRecord& r : *shown) {
      FUZZ_CHECK(r.name == fqdn);
      auto normalized = NormalizeValue(r.type, r.value);
      if (normalized.ok()) FUZZ_CHECK(*normalized == r.value);
    }
    return 0;
  }
  static constexpr RecordType kTypes[] = {RecordType::kA, RecordType::kAaaa, RecordType::kCname,
                                          RecordType::kTxt};
  static constexpr const char* kValues[] = {"192.0.2.7", "2001:db8::7", "lb.example.net.",
                                            "v=spf1 -all"};
  const int t = (data[0] >> 1) & 3;
  const DnsRecord record{fqdn, kTypes[t], kValues[t], 600};
  auto sent = provider.Replace("example.com", record);
  int candidates = 0;
  for (const alidns::Record& r : api->parsed) {
    if (Lower(r.rr) == "www" && Lower(r.type) == Lower(RecordTypeName(record.type))) ++candidates;
  }
  if (sent.ok()) {
    FUZZ_CHECK(candidates == 1);
    FUZZ_CHECK(api->updates.size() == 1);
    const alidns::RecordUpdate& u = api->updates[0];
    FUZZ_CHECK(u.line == "default" && u.ttl == 600 && u.type == RecordTypeName(record.type));
    FUZZ_CHECK(u.value == (record.type == RecordType::kCname ? "lb.example.net" : record.value));
    bool matches_one = false;
    for (const alidns::Record& r : api->parsed) {
      if (r.record_id == u.record_id && r.line == "default" && r.status != "DISABLE" && !r.locked) {
        matches_one = true;
      }
    }
    FUZZ_CHECK(matches_one);
  } else {
    FUZZ_CHECK(api->updates.empty());
  }
  return 0;
}
