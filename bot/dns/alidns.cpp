// The alidns provider and its bot.dns.zones keys; see alidns.h.
#include "bot/dns/alidns.h"

#include <utility>

#include "common/cloud/aliyun/rpc.h"
#include "common/http/client.h"
#include "common/strings.h"

namespace beacon::bot::dns {
namespace {

namespace alidns = aliyun::alidns;

// alidns::RpcApi over an RpcClient it owns (RpcApi only borrows its client).
class OwningRpcApi final : public alidns::Api {
 public:
  explicit OwningRpcApi(std::unique_ptr<aliyun::RpcClient> client)
      : client_(std::move(client)), api_(*client_) {}
  Result<alidns::RecordList> DescribeDomainRecords(const std::string& domain_name,
                                                   const alidns::RecordFilter& filter) override {
    return api_.DescribeDomainRecords(domain_name, filter);
  }
  Result<alidns::UpdateResult> UpdateDomainRecord(const alidns::RecordUpdate& update) override {
    return api_.UpdateDomainRecord(update);
  }

 private:
  std::unique_ptr<aliyun::RpcClient> client_;
  alidns::RpcApi api_;
};

bool ValidLine(const std::string& line) {
  if (line.empty() || line.size() > 64) return false;
  for (char c : line) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string DescribeRecords(const std::vector<alidns::Record>& records) {
  std::string out;
  for (const alidns::Record& r : records) {
    out += (out.empty() ? "" : "; ") + alidns_rr::DescribeRecord(r);
  }
  return out;
}

}  // namespace

namespace alidns_rr {

Result<std::string> RrOf(const std::string& domain, const std::string& fqdn) {
  const std::string apex = domain + ".";
  if (fqdn == apex) return std::string("@");
  const std::string suffix = "." + apex;
  if (fqdn.size() > suffix.size() && fqdn.ends_with(suffix)) {
    return fqdn.substr(0, fqdn.size() - suffix.size());
  }
  return Status::InvalidArgument("name " + fqdn + " is not inside Alidns domain " + domain);
}

std::optional<DnsRecord> ToDnsRecord(const std::string& fqdn, const alidns::Record& record) {
  Result<RecordType> type = ParseRecordType(record.type);
  if (!type.ok() || record.status == "DISABLE") return std::nullopt;
  DnsRecord out;
  out.name = fqdn;
  out.type = *type;
  Result<std::string> value = NormalizeValue(*type, record.value);
  out.value = value.ok() ? *value : record.value;
  out.ttl = record.ttl;
  return out;
}

std::string DescribeRecord(const alidns::Record& record) {
  std::string out = "RecordId " + record.record_id + " " + record.rr + " " + record.type + " " +
                    record.value + " TTL " + std::to_string(record.ttl) + " line " + record.line;
  if (record.status == "DISABLE") out += " DISABLE";
  if (record.locked) out += " locked";
  return out;
}

}  // namespace alidns_rr

AlidnsProvider::AlidnsProvider(AlidnsSettings settings, std::shared_ptr<alidns::Api> api)
    : settings_(std::move(settings)), api_(std::move(api)) {}

std::string AlidnsProvider::Describe() const {
  return "alidns domain " + settings_.domain +
         (settings_.region.empty() ? "" : " (" + settings_.region + ")");
}

Result<std::vector<alidns::Record>> AlidnsProvider::Lookup(const std::string& fqdn,
                                                           const std::string& type) const {
  BEACON_ASSIGN_OR_RETURN(std::string rr, alidns_rr::RrOf(settings_.domain, fqdn));
  // RRKeyWord matches substrings ("www" finds "www2" too): keep the exact RR only.
  BEACON_ASSIGN_OR_RETURN(alidns::RecordList list,
                          api_->DescribeDomainRecords(settings_.domain, {rr, type}));
  std::vector<alidns::Record> out;
  for (alidns::Record& r : list.records) {
    if (Lower(r.rr) != rr) continue;
    if (!type.empty() && Lower(r.type) != Lower(type)) continue;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<DnsRecord>> AlidnsProvider::Show(const std::string& /*zone*/,
                                                    const std::string& fqdn) {
  BEACON_ASSIGN_OR_RETURN(std::vector<alidns::Record> records, Lookup(fqdn, ""));
  std::vector<DnsRecord> out;
  for (RecordType type : SupportedRecordTypes()) {
    for (const alidns::Record& r : records) {
      std::optional<DnsRecord> record = alidns_rr::ToDnsRecord(fqdn, r);
      if (record && record->type == type) out.push_back(std::move(*record));
    }
  }
  return out;
}

Result<std::vector<std::string>> AlidnsProvider::Replace(const std::string& /*zone*/,
                                                         const DnsRecord& record) {
  const std::string type(RecordTypeName(record.type));
  const std::string what = record.name + " " + type;
  BEACON_ASSIGN_OR_RETURN(std::vector<alidns::Record> found, Lookup(record.name, type));
  if (found.empty()) {
    return Status::FailedPrecondition(
        Describe() + " has no " + what +
        " record to change; the bot only updates existing records (add it in the Alidns "
        "console first)");
  }
  if (found.size() > 1) {
    return Status::FailedPrecondition(Describe() + " has " + std::to_string(found.size()) + " " +
                                      what + " records (" + DescribeRecords(found) +
                                      "); the bot changes a name and type only when it has "
                                      "exactly one record");
  }
  const alidns::Record& current = found.front();
  if (current.line != settings_.line) {
    return Status::FailedPrecondition(Describe() + ": the " + what + " record is on line '" +
                                      current.line + "', not the configured line '" +
                                      settings_.line + "' (" + alidns_rr::DescribeRecord(current) +
                                      ")");
  }
  if (current.status == "DISABLE") {
    return Status::FailedPrecondition(
        Describe() + ": the " + what +
        " record is disabled; enable it in the Alidns console first (" +
        alidns_rr::DescribeRecord(current) + ")");
  }
  if (current.locked) {
    return Status::FailedPrecondition(Describe() + ": the " + what +
                                      " record is locked in Alidns (" +
                                      alidns_rr::DescribeRecord(current) + ")");
  }
  alidns::RecordUpdate update;
  update.domain_name = settings_.domain;
  update.record_id = current.record_id;
  update.rr = current.rr;
  update.type = type;
  // Alidns holds host names without the trailing dot.
  update.value = record.type == RecordType::kCname && record.value.ends_with('.')
                     ? record.value.substr(0, record.value.size() - 1)
                     : record.value;
  update.ttl = record.ttl;
  update.line = settings_.line;
  BEACON_ASSIGN_OR_RETURN(alidns::UpdateResult result, api_->UpdateDomainRecord(update));
  return std::vector<std::string>{result.request_id};
}

DnsProviderFactory ParseAlidnsZone(const DnsZoneConfig& zone, config::Node node) {
  const size_t errors_before = node.error_count();
  AlidnsSettings settings;
  settings.zone = zone.zone;
  settings.domain = zone.zone;
  std::string domain;
  node.Get("domain", &domain);
  if (!domain.empty()) {
    Result<std::string> normalized = NormalizeZoneName(domain);
    if (!normalized.ok()) {
      node.Error("domain", normalized.status().message());
    } else if (!zone.zone.empty() && *normalized != zone.zone &&
               !zone.zone.ends_with("." + *normalized)) {
      node.Error("domain", "Alidns domain " + *normalized + " does not hold zone " + zone.zone +
                               " (it must be the zone or a parent of it)");
    } else {
      settings.domain = *normalized;
    }
  }
  node.Get("line", &settings.line);
  if (!ValidLine(settings.line)) {
    node.Error("line", "expected an Alidns line code such as default, telecom, unicom, got '" +
                           settings.line + "'");
  }
  aliyun::RpcClientConfig client = aliyun::ReadRpcClientConfig(node);
  settings.region = client.region;
  if (node.error_count() != errors_before) return {};
  return [settings, client](const DnsProviderDeps& deps) -> std::unique_ptr<DnsProvider> {
    aliyun::RpcClientDeps rpc;
    if (deps.http != nullptr) {
      // Borrowed: the collector's HTTP client outlives the zones.
      rpc.http = std::shared_ptr<http::HttpClient>(std::shared_ptr<void>(), deps.http);
    } else {
      rpc.http = http::NewCurlHttpClient();
    }
    if (deps.clock != nullptr) rpc.clock = deps.clock;
    auto api = std::make_shared<OwningRpcApi>(std::make_unique<aliyun::RpcClient>(client, rpc));
    return std::make_unique<AlidnsProvider>(settings, std::move(api));
  };
}

}  // namespace beacon::bot::dns
