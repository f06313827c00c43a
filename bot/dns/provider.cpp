// DnsProvider::Set (before, change, read-back), the bot.dns section parser and the zone registry
// with its checks on what a chat command asks for.
#include "bot/dns/provider.h"

#include <set>
#include <utility>

namespace beacon::bot::dns {
namespace {

constexpr int64_t kMaxTtl = 2147483647;  // RFC 2181 section 8

std::string JoinRequestIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

}  // namespace

Result<DnsChange> DnsProvider::Set(const std::string& zone, const DnsRecord& record) {
  DnsChange change;
  change.zone = zone;
  change.requested = record;
  const std::string what = record.name + " " + std::string(RecordTypeName(record.type));
  auto before = Show(zone, record.name);
  if (!before.ok()) return before.status().WithContext("reading " + what + " before the change");
  change.before = std::move(before).value();
  auto sent = Replace(zone, record);
  if (!sent.ok()) return sent.status().WithContext("changing " + what);
  change.request_ids = std::move(sent).value();
  const std::string ids =
      change.request_ids.empty() ? "" : " (request ids " + JoinRequestIds(change.request_ids) + ")";
  auto after = Show(zone, record.name);
  if (!after.ok()) {
    return after.status().WithContext("the change of " + what + " was sent" + ids +
                                      " but reading it back failed");
  }
  change.after = std::move(after).value();
  std::vector<DnsRecord> of_type;
  for (const DnsRecord& r : change.after) {
    if (r.type == record.type) of_type.push_back(r);
  }
  if (of_type != std::vector<DnsRecord>{record}) {
    return Status::FailedPrecondition(Describe() + " accepted the change of " + what + ids +
                                      " but reads back " + FormatRecords(of_type) + " instead of " +
                                      FormatRecord(record) +
                                      "; the name now has: " + FormatRecords(change.after) +
                                      "; before it had: " + FormatRecords(change.before));
  }
  return change;
}

DnsZonesConfig ParseDnsZones(config::Node dns, const std::vector<DnsProviderType>& providers) {
  DnsZonesConfig out;
  std::vector<std::string> names;
  for (const DnsProviderType& type : providers) names.push_back(type.name);
  std::set<std::string> seen;
  for (config::Node entry : dns.Sequence("zones")) {
    const size_t errors_before = entry.error_count();
    if (!entry.IsMap()) {
      entry.Error("zone", "each zone must be a map with zone and provider");
      continue;
    }
    DnsZoneConfig zone;
    std::string zone_text;
    if (entry.Require("zone")) entry.Get("zone", &zone_text);
    if (entry.Require("provider")) entry.GetEnum("provider", &zone.provider, names);
    entry.Get("default_ttl", &zone.default_ttl, 1, kMaxTtl);
    entry.Get("min_ttl", &zone.min_ttl, 1, kMaxTtl);
    entry.Get("max_ttl", &zone.max_ttl, 1, kMaxTtl);
    if (!zone_text.empty()) {
      auto normalized = NormalizeZoneName(zone_text);
      if (!normalized.ok()) {
        entry.Error("zone", normalized.status().message());
      } else if (!seen.insert(*normalized).second) {
        entry.Error("zone", "zone " + *normalized + " is listed twice");
      } else {
        zone.zone = *normalized;
      }
    }
    if (zone.min_ttl > zone.max_ttl) {
      entry.Error("min_ttl", "min_ttl " + std::to_string(zone.min_ttl) + " is above max_ttl " +
                                 std::to_string(zone.max_ttl));
    } else if (zone.default_ttl < zone.min_ttl || zone.default_ttl > zone.max_ttl) {
      entry.Error("default_ttl", "default_ttl " + std::to_string(zone.default_ttl) +
                                     " is outside min_ttl..max_ttl (" +
                                     std::to_string(zone.min_ttl) + ".." +
                                     std::to_string(zone.max_ttl) + ")");
    }
    DnsProviderFactory factory;
    for (const DnsProviderType& type : providers) {
      if (type.name == zone.provider) factory = type.parse(zone, entry);
    }
    if (entry.error_count() != errors_before || !factory || zone.zone.empty()) continue;
    out.zones.push_back({std::move(zone), std::move(factory)});
  }
  return out;
}

DnsZones::DnsZones(const DnsZonesConfig& config, const DnsProviderDeps& deps) {
  for (const DnsZonesConfig::Entry& entry : config.zones) Add(entry.zone, entry.factory(deps));
}

void DnsZones::Add(DnsZoneConfig zone, std::unique_ptr<DnsProvider> provider) {
  std::string name = zone.zone;
  zones_[name] = Zone{std::move(zone), std::move(provider)};
}

std::vector<std::string> DnsZones::zone_names() const {
  std::vector<std::string> names;
  for (const auto& [name, zone] : zones_) names.push_back(name);
  return names;
}

Result<const DnsZones::Zone*> DnsZones::Find(std::string_view zone) const {
  auto normalized = NormalizeZoneName(zone);
  if (normalized.ok()) {
    auto it = zones_.find(*normalized);
    if (it != zones_.end()) return &it->second;
  }
  std::string configured;
  for (const auto& [name, z] : zones_) configured += (configured.empty() ? "" : ", ") + name;
  return Status::PermissionDenied(
      "zone '" + std::string(zone) + "' is not in bot.dns.zones, so the bot may not touch it" +
      (configured.empty() ? " (no zone is configured)" : " (configured: " + configured + ")"));
}

Result<std::string> DnsZones::NameIn(const Zone& zone, std::string_view name) const {
  BEACON_ASSIGN_OR_RETURN(std::string fqdn, ResolveName(zone.config.zone, name));
  const std::string bare = fqdn.substr(0, fqdn.size() - 1);
  for (const auto& [other, z] : zones_) {
    if (other.size() <= zone.config.zone.size()) continue;
    if (bare == other || bare.ends_with("." + other)) {
      return Status::InvalidArgument("name " + fqdn + " belongs to the configured zone " + other +
                                     ", not " + zone.config.zone + ": use that zone");
    }
  }
  return fqdn;
}

Result<DnsRecord> DnsZones::Prepare(std::string_view zone, std::string_view name,
                                    std::string_view type, std::string_view value,
                                    std::optional<int64_t> ttl) const {
  BEACON_ASSIGN_OR_RETURN(const Zone* z, Find(zone));
  DnsRecord record;
  BEACON_ASSIGN_OR_RETURN(record.name, NameIn(*z, name));
  BEACON_ASSIGN_OR_RETURN(record.type, ParseRecordType(type));
  BEACON_ASSIGN_OR_RETURN(record.value, NormalizeValue(record.type, value));
  if (record.type == RecordType::kCname && record.name == z->config.zone + ".") {
    return Status::InvalidArgument("a CNAME cannot be at the zone apex " + record.name +
                                   " (the apex has SOA and NS records)");
  }
  record.ttl = ttl.value_or(z->config.default_ttl);
  if (record.ttl < z->config.min_ttl || record.ttl > z->config.max_ttl) {
    return Status::InvalidArgument(
        "TTL " + std::to_string(record.ttl) + " is outside " + std::to_string(z->config.min_ttl) +
        ".." + std::to_string(z->config.max_ttl) + " for zone " + z->config.zone);
  }
  return record;
}

Result<std::vector<DnsRecord>> DnsZones::Show(std::string_view zone, std::string_view name) const {
  BEACON_ASSIGN_OR_RETURN(const Zone* z, Find(zone));
  BEACON_ASSIGN_OR_RETURN(std::string fqdn, NameIn(*z, name));
  return z->provider->Show(z->config.zone, fqdn);
}

Result<DnsChange> DnsZones::Set(std::string_view zone, const DnsRecord& record) const {
  BEACON_ASSIGN_OR_RETURN(DnsRecord checked, Prepare(zone, record.name, RecordTypeName(record.type),
                                                     record.value, record.ttl));
  if (checked != record) {
    return Status::InvalidArgument(
        "record " + FormatRecord(record) +
        " is not the one DnsZones::Prepare returns for it: " + FormatRecord(checked));
  }
  BEACON_ASSIGN_OR_RETURN(const Zone* z, Find(zone));
  return z->provider->Set(z->config.zone, checked);
}

Result<DnsChange> DnsZones::Set(std::string_view zone, std::string_view name, std::string_view type,
                                std::string_view value, std::optional<int64_t> ttl) const {
  BEACON_ASSIGN_OR_RETURN(DnsRecord record, Prepare(zone, name, type, value, ttl));
  return Set(zone, record);
}

}  // namespace beacon::bot::dns
