// DNS records as the bot shows and sets them, and the checks on what a chat user types: the
// zone-relative or absolute name, the value for each record type. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::bot::dns {

enum class RecordType { kA, kAaaa, kCname, kTxt };

// "A", "AAAA", "CNAME", "TXT".
std::string_view RecordTypeName(RecordType type);
// Case-insensitive; InvalidArgument naming the supported types for anything else.
Result<RecordType> ParseRecordType(std::string_view text);
// Every type the bot reads and writes, in display order.
const std::vector<RecordType>& SupportedRecordTypes();

// One resource record. `name` is absolute, lower case, with the trailing dot
// ("www.example.com."); `value` is the normalised text: an address for A and AAAA, an absolute
// lower-case name with the trailing dot for CNAME, the raw text for TXT (character-strings
// joined).
struct DnsRecord {
  std::string name;
  RecordType type = RecordType::kA;
  std::string value;
  int64_t ttl = 0;
  bool operator==(const DnsRecord&) const = default;
};

// "www.example.com. 300 A 192.0.2.1"; TXT values are quoted.
std::string FormatRecord(const DnsRecord& record);
// The records joined with "; ", or "(none)".
std::string FormatRecords(const std::vector<DnsRecord>& records);

// TXT values longer than this are refused (a DNS UPDATE must fit one message; 2 KiB holds any
// SPF, DMARC or 2048-bit DKIM record).
constexpr size_t kMaxTxtBytes = 2048;

// "Example.COM." -> "example.com": lower case, no trailing dot, every label checked.
Result<std::string> NormalizeZoneName(std::string_view zone);

// The absolute name ("www.example.com.") that `name` means in `zone` (normalised, no trailing
// dot): "@" is the apex; a name ending in a dot is absolute; a name equal to the zone or ending
// in ".<zone>" is taken as absolute too; anything else is relative to the zone ("www",
// "api.v2"). InvalidArgument for a malformed name or an absolute name outside the zone.
Result<std::string> ResolveName(std::string_view zone, std::string_view name);

// The normalised value of a record of `type`, or InvalidArgument saying what is expected: A a
// dotted-quad IPv4 address, AAAA an IPv6 address (written back in its compressed form), CNAME a
// host name (taken as absolute), TXT 1..kMaxTxtBytes bytes of UTF-8 without control characters
// (taken as it is: quoting belongs to the command parser). Normalising a normalised value gives
// it back unchanged.
Result<std::string> NormalizeValue(RecordType type, std::string_view value);

}  // namespace beacon::bot::dns
