// DNS providers behind one interface, and the zones collector.yaml lets the bot touch
// (`bot.dns.zones`, docs/bot.md#dns): each zone names its provider (rfc2136 or alidns; the table is
// bot/dns/builtin.cpp). DnsZones is the only way in: it refuses unconfigured zones and checks
// names, values and TTLs before a provider sees them. Thread-safety: DnsZones is immutable after
// construction and safe to share when its providers are (rfc2136 is).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/dns/records.h"
#include "common/clock.h"
#include "common/config/config.h"
#include "common/status.h"

namespace beacon::http {
class HttpClient;
}

namespace beacon::bot::dns {

// What a Set did: the records of the name before, the records read back after, and the
// provider's request ids (Alibaba Cloud's RequestId; none for DNS UPDATE).
struct DnsChange {
  std::string zone;
  DnsRecord requested;
  std::vector<DnsRecord> before;  // every supported record of the name before the change
  std::vector<DnsRecord> after;   // every supported record of the name read back afterwards
  std::vector<std::string> request_ids;
};

class DnsProvider {
 public:
  virtual ~DnsProvider() = default;
  // For messages: "rfc2136 server 127.0.0.1:53".
  virtual std::string Describe() const = 0;
  // Every A, AAAA, CNAME and TXT record whose owner is `fqdn` (absolute, inside `zone`); empty
  // when it has none. Errors say what the provider answered.
  virtual Result<std::vector<DnsRecord>> Show(const std::string& zone, const std::string& fqdn) = 0;
  // Makes `record` the only record of its name and type, in one change. Returns the provider's
  // request ids (possibly none).
  virtual Result<std::vector<std::string>> Replace(const std::string& zone,
                                                   const DnsRecord& record) = 0;

  // Show, Replace, then Show again: OK only when the read-back holds exactly `record` for its
  // name and type (value and TTL). A provider that accepted the change but reads back anything
  // else gives FailedPrecondition with both record lists; a failed read-back after a sent
  // change says the change was sent. `record` must come from DnsZones::Prepare.
  Result<DnsChange> Set(const std::string& zone, const DnsRecord& record);
};

// What a provider may need besides its own configuration; the collector fills it.
struct DnsProviderDeps {
  const Clock* clock = nullptr;      // required
  http::HttpClient* http = nullptr;  // for HTTP API providers
};
using DnsProviderFactory = std::function<std::unique_ptr<DnsProvider>(const DnsProviderDeps&)>;

// The provider-independent keys of a `bot.dns.zones` entry.
struct DnsZoneConfig {
  std::string zone;      // "example.com": lower case, no trailing dot
  std::string provider;  // "rfc2136", ...
  int64_t default_ttl = 600;
  int64_t min_ttl = 60;
  int64_t max_ttl = 86400;
};

// One provider kind: its `provider:` name and the parser of its own keys of a zone entry, which
// records errors on the node and returns an empty factory when they are invalid.
struct DnsProviderType {
  std::string name;
  DnsProviderFactory (*parse)(const DnsZoneConfig& zone, config::Node node);
};

// The parsed `bot.dns` section.
struct DnsZonesConfig {
  struct Entry {
    DnsZoneConfig zone;
    DnsProviderFactory factory;
  };
  std::vector<Entry> zones;
};

// Parses `bot.dns` (the node of the dns mapping): `zones`, a list of {zone, provider,
// default_ttl, min_ttl, max_ttl, and the provider's keys}. Errors go to the document with their
// key paths ("bot.dns.zones[1].provider: expected one of: rfc2136"); an invalid entry is left
// out. `providers` is BuiltinDnsProviders() (bot/dns/builtin.h) outside tests.
DnsZonesConfig ParseDnsZones(config::Node dns, const std::vector<DnsProviderType>& providers);

class DnsZones {
 public:
  DnsZones() = default;
  // Builds every zone's provider.
  DnsZones(const DnsZonesConfig& config, const DnsProviderDeps& deps);
  // Adds a zone served by `provider` (tests, and the constructor). `zone.zone` must be
  // normalised (NormalizeZoneName).
  void Add(DnsZoneConfig zone, std::unique_ptr<DnsProvider> provider);

  bool empty() const { return zones_.empty(); }
  std::vector<std::string> zone_names() const;

  // Checks a change without I/O and returns the record it would set: the zone must be
  // configured (PermissionDenied otherwise, naming the configured zones), the name inside it
  // and not inside another configured zone, the type supported, the value valid for it, no
  // CNAME at the apex, the TTL (the zone's default_ttl when absent) within min_ttl..max_ttl
  // (InvalidArgument for the rest). The preview of a mutating command shows this record.
  Result<DnsRecord> Prepare(std::string_view zone, std::string_view name, std::string_view type,
                            std::string_view value, std::optional<int64_t> ttl) const;
  // The records of `name` in `zone`, after the same zone and name checks as Prepare.
  Result<std::vector<DnsRecord>> Show(std::string_view zone, std::string_view name) const;
  // Sets a record that Prepare returned (checked again, since a confirmation may come later),
  // through the zone's provider (DnsProvider::Set: before, change, read-back).
  Result<DnsChange> Set(std::string_view zone, const DnsRecord& record) const;
  // Prepare then Set.
  Result<DnsChange> Set(std::string_view zone, std::string_view name, std::string_view type,
                        std::string_view value, std::optional<int64_t> ttl) const;

 private:
  struct Zone {
    DnsZoneConfig config;
    std::unique_ptr<DnsProvider> provider;
  };
  Result<const Zone*> Find(std::string_view zone) const;
  // The absolute name of `name` in zone, refused when a more specific configured zone holds it.
  Result<std::string> NameIn(const Zone& zone, std::string_view name) const;

  std::map<std::string, Zone> zones_;  // by DnsZoneConfig::zone
};

}  // namespace beacon::bot::dns
