// The DNS providers compiled into the bot: the `provider:` values of bot.dns.zones. Adding one
// is a folder-free file pair in bot/dns/ plus one line in builtin.cpp.
#pragma once

#include <vector>

#include "bot/dns/provider.h"

namespace beacon::bot::dns {

const std::vector<DnsProviderType>& BuiltinDnsProviders();

}  // namespace beacon::bot::dns
