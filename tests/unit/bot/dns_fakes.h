// Shared by the DNS tests of the bot: a provider held in memory (bot/dns/provider.h; not
// thread-safe, the tests call it from one thread) and the parser of a bot.dns test config.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bot/dns/builtin.h"
#include "bot/dns/provider.h"
#include "common/config/config.h"

namespace beacon::bot::testing {

// A provider over a map; `ignore_writes` plays a server that accepts a change and drops it.
class MemoryProvider final : public dns::DnsProvider {
 public:
  std::string Describe() const override { return "memory"; }
  Result<std::vector<dns::DnsRecord>> Show(const std::string& zone,
                                           const std::string& fqdn) override {
    shows.push_back(zone + " " + fqdn);
    if (!show_error.ok()) return show_error;
    std::vector<dns::DnsRecord> out;
    for (const dns::DnsRecord& r : records) {
      if (r.name == fqdn) out.push_back(r);
    }
    return out;
  }
  Result<std::vector<std::string>> Replace(const std::string& zone,
                                           const dns::DnsRecord& record) override {
    replaces.push_back(zone + " " + dns::FormatRecord(record));
    if (!replace_error.ok()) return replace_error;
    if (!ignore_writes) {
      std::erase_if(records, [&](const dns::DnsRecord& r) {
        return r.name == record.name && r.type == record.type;
      });
      records.push_back(record);
    }
    if (fail_show_after_replace) show_error = Status::Unavailable("server went away");
    return std::vector<std::string>{"req-1"};
  }

  std::vector<dns::DnsRecord> records;
  std::vector<std::string> shows;
  std::vector<std::string> replaces;
  Status show_error;
  Status replace_error;
  bool ignore_writes = false;
  bool fail_show_after_replace = false;
};

// Parses the `bot: dns:` mapping of `yaml` (display name collector.yaml) with the built-in
// providers; returns Finish()'s errors, "" when it is valid.
inline std::string ParseDnsSection(const std::string& yaml, dns::DnsZonesConfig* out = nullptr) {
  auto doc = config::Document::LoadString(yaml, "collector.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return "load failed";
  dns::DnsZonesConfig parsed =
      dns::ParseDnsZones((*doc)->root().Child("bot").Child("dns"), dns::BuiltinDnsProviders());
  Status finished = (*doc)->Finish();
  if (out != nullptr) *out = parsed;
  return finished.ok() ? "" : finished.message();
}

}  // namespace beacon::bot::testing
