// The alidns DNS provider: a zone hosted by Alibaba Cloud DNS (Alidns), through the typed calls of
// common/cloud/aliyun/alidns.h. Show lists the name's records with DescribeDomainRecords; Replace
// changes the one record of that name and type with UpdateDomainRecord. It never creates or
// deletes records (the client has no AddDomainRecord): a name+type without a record, with several
// records (e.g. per resolution line), or whose record is disabled or locked is refused with what
// Alidns holds. Thread-safe: no mutable state (the RPC client is thread-safe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bot/dns/provider.h"
#include "bot/dns/records.h"
#include "common/cloud/aliyun/alidns.h"
#include "common/config/config.h"
#include "common/status.h"

namespace beacon::bot::dns {

struct AlidnsSettings {
  std::string zone;              // the bot.dns zone, normalised ("dev.example.com")
  std::string domain;            // the Alidns domain holding it: the zone or a parent of it
  std::string line = "default";  // the resolution line (解析线路) the bot changes
  std::string region;            // for messages
};

// Parses the alidns keys of a bot.dns.zones entry: the Alibaba Cloud client's keys (region,
// credentials_file, endpoints, timeout, retry: aliyun::ReadRpcClientConfig, docs/aliyun.md),
// domain (default: the zone; must be the zone or a parent of it) and line (default "default").
// Errors are recorded on the node; an empty factory when invalid. The factory uses deps.http
// (a curl client of its own when null) and deps.clock.
DnsProviderFactory ParseAlidnsZone(const DnsZoneConfig& zone, config::Node node);

namespace alidns_rr {

// The RR (host record) of `fqdn` ("www.dev.example.com.") in Alidns domain `domain`
// ("example.com"): "www.dev"; "@" for the domain itself. InvalidArgument outside the domain.
Result<std::string> RrOf(const std::string& domain, const std::string& fqdn);

// The record as the bot shows it, or nullopt for a type the bot does not handle (MX, NS, SRV,
// ...) or a disabled record (resolvers do not see it). The value is normalised (NormalizeValue);
// one that does not normalise is kept as Alidns gave it.
std::optional<DnsRecord> ToDnsRecord(const std::string& fqdn, const aliyun::alidns::Record& record);

// "RecordId 1001 www A 192.0.2.1 TTL 600 line default" (+ " DISABLE", " locked").
std::string DescribeRecord(const aliyun::alidns::Record& record);

}  // namespace alidns_rr

class AlidnsProvider final : public DnsProvider {
 public:
  AlidnsProvider(AlidnsSettings settings, std::shared_ptr<aliyun::alidns::Api> api);

  std::string Describe() const override;
  Result<std::vector<DnsRecord>> Show(const std::string& zone, const std::string& fqdn) override;
  // Finds the one record of record.name and record.type (any line), refuses when there is none,
  // more than one, or it is on another line, disabled or locked, then updates it in place.
  // Returns the UpdateDomainRecord RequestId.
  Result<std::vector<std::string>> Replace(const std::string& zone,
                                           const DnsRecord& record) override;

 private:
  // Every record of fqdn's RR (exact, case-insensitive), optionally of one type.
  Result<std::vector<aliyun::alidns::Record>> Lookup(const std::string& fqdn,
                                                     const std::string& type) const;

  const AlidnsSettings settings_;
  const std::shared_ptr<aliyun::alidns::Api> api_;
};

}  // namespace beacon::bot::dns
