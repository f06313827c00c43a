// The table of DNS providers ParseDnsZones chooses from by `provider:`.
#include "bot/dns/builtin.h"

#include "bot/dns/alidns.h"
#include "bot/dns/rfc2136.h"

namespace beacon::bot::dns {

const std::vector<DnsProviderType>& BuiltinDnsProviders() {
  static const std::vector<DnsProviderType> kProviders = {
      {"rfc2136", ParseRfc2136Zone},
      {"alidns", ParseAlidnsZone},
  };
  return kProviders;
}

}  // namespace beacon::bot::dns
