// bot/dns/records: names relative to a zone, values per type, hostile input.
#include <gtest/gtest.h>

#include <string>

#include "bot/dns/records.h"

namespace beacon::bot::dns {
namespace {

std::string Resolved(std::string_view name, std::string_view zone = "example.com") {
  auto fqdn = ResolveName(zone, name);
  return fqdn.ok() ? *fqdn : "error: " + fqdn.status().message();
}

std::string Value(RecordType type, std::string_view value) {
  auto normalized = NormalizeValue(type, value);
  return normalized.ok() ? *normalized : "error: " + normalized.status().message();
}

TEST(DnsRecordsTest, RecordTypesParseCaseInsensitively) {
  EXPECT_EQ(*ParseRecordType("a"), RecordType::kA);
  EXPECT_EQ(*ParseRecordType("AAAA"), RecordType::kAaaa);
  EXPECT_EQ(*ParseRecordType("Cname"), RecordType::kCname);
  EXPECT_EQ(*ParseRecordType("txt"), RecordType::kTxt);
  auto mx = ParseRecordType("MX");
  ASSERT_FALSE(mx.ok());
  EXPECT_EQ(mx.status().message(), "record type 'MX' is not supported (A, AAAA, CNAME, TXT)");
  for (RecordType type : SupportedRecordTypes()) {
    EXPECT_EQ(*ParseRecordType(RecordTypeName(type)), type);
  }
}

TEST(DnsRecordsTest, NamesResolveInsideTheZone) {
  EXPECT_EQ(Resolved("www"), "www.example.com.");
  EXPECT_EQ(Resolved("WWW"), "www.example.com.");
  EXPECT_EQ(Resolved("@"), "example.com.");
  EXPECT_EQ(Resolved("api.v2"), "api.v2.example.com.");
  EXPECT_EQ(Resolved("www.example.com"), "www.example.com.");
  EXPECT_EQ(Resolved("www.Example.com."), "www.example.com.");
  EXPECT_EQ(Resolved("example.com."), "example.com.");
  EXPECT_EQ(Resolved("_acme-challenge"), "_acme-challenge.example.com.");
  EXPECT_EQ(Resolved("*"), "*.example.com.");
  EXPECT_EQ(Resolved("*.dev"), "*.dev.example.com.");
}

TEST(DnsRecordsTest, AbsoluteNamesOutsideTheZoneAreRefused) {
  EXPECT_EQ(Resolved("www.example.org."),
            "error: name 'www.example.org.' is outside zone example.com");
  // "notexample.com." ends with the zone's text but not at a label boundary.
  EXPECT_EQ(Resolved("notexample.com."),
            "error: name 'notexample.com.' is outside zone example.com");
  EXPECT_EQ(Resolved("com."), "error: name 'com.' is outside zone example.com");
}

TEST(DnsRecordsTest, MalformedNamesAreRefused) {
  EXPECT_EQ(Resolved(""), "error: empty name");
  EXPECT_EQ(Resolved("a..b"), "error: name 'a..b.example.com' has an empty label");
  EXPECT_EQ(Resolved("-www"),
            "error: name '-www.example.com' has a label starting or ending with '-'");
  EXPECT_EQ(Resolved("w w"),
            "error: name 'w w.example.com' contains ' ' (letters, digits, '-' and '_' only)");
  EXPECT_EQ(Resolved("a\\.b"),
            "error: name 'a\\.b.example.com' contains '\\' (letters, digits, '-' and '_' only)");
  EXPECT_EQ(Resolved("www.*"),
            "error: name 'www.*.example.com' contains '*' (letters, digits, '-' and '_' only)");
  EXPECT_EQ(Resolved("bücher"),
            "error: name 'bücher.example.com' is not ASCII: write it in its xn-- (punycode) form");
  EXPECT_EQ(Resolved(std::string(64, 'a')), "error: name '" + std::string(64, 'a') +
                                                ".example.com' has a label longer than 63 bytes");
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "a.";
  deep += "b";  // 401 bytes: far beyond 253
  EXPECT_EQ(Resolved(deep).substr(0, 7), "error: ");
  EXPECT_NE(Resolved(deep).find("longer than 253 bytes"), std::string::npos);
  EXPECT_EQ(Resolved(std::string(1 << 20, 'a')).substr(0, 7), "error: ");
}

TEST(DnsRecordsTest, ZoneNamesNormalise) {
  EXPECT_EQ(*NormalizeZoneName(" Example.COM. "), "example.com");
  EXPECT_FALSE(NormalizeZoneName("").ok());
  EXPECT_FALSE(NormalizeZoneName(".").ok());
  EXPECT_FALSE(NormalizeZoneName("*.example.com").ok());
  EXPECT_EQ(NormalizeZoneName("exa mple.com").status().message(),
            "zone: name 'exa mple.com' contains ' ' (letters, digits, '-' and '_' only)");
}

TEST(DnsRecordsTest, AddressesAreCheckedAndNormalised) {
  EXPECT_EQ(Value(RecordType::kA, "192.0.2.10"), "192.0.2.10");
  EXPECT_EQ(Value(RecordType::kA, " 192.0.2.10 "), "192.0.2.10");
  EXPECT_EQ(Value(RecordType::kA, "192.0.2"),
            "error: an A record needs an IPv4 address, got '192.0.2'");
  EXPECT_EQ(Value(RecordType::kA, "192.0.2.256"),
            "error: an A record needs an IPv4 address, got '192.0.2.256'");
  EXPECT_EQ(Value(RecordType::kA, "2001:db8::1"),
            "error: an A record needs an IPv4 address, got '2001:db8::1'");
  EXPECT_EQ(Value(RecordType::kAaaa, "2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(Value(RecordType::kAaaa, "192.0.2.1"),
            "error: an AAAA record needs an IPv6 address, got '192.0.2.1'");
  EXPECT_EQ(Value(RecordType::kAaaa, std::string(100000, ':')).substr(0, 7), "error: ");
}

TEST(DnsRecordsTest, CnameTargetsAreAbsoluteNames) {
  EXPECT_EQ(Value(RecordType::kCname, "Web.Example.NET"), "web.example.net.");
  EXPECT_EQ(Value(RecordType::kCname, "web.example.net."), "web.example.net.");
  EXPECT_EQ(
      Value(RecordType::kCname, "*.example.net"),
      "error: CNAME target: name '*.example.net' contains '*' (letters, digits, '-' and '_' only)");
  EXPECT_EQ(Value(RecordType::kCname, "").substr(0, 7), "error: ");
}

TEST(DnsRecordsTest, TxtTextIsBoundedUtf8WithoutControls) {
  EXPECT_EQ(Value(RecordType::kTxt, "v=spf1 -all"), "v=spf1 -all");
  EXPECT_EQ(Value(RecordType::kTxt, "\"quoted\""), "\"quoted\"");  // quoting is the parser's
  EXPECT_EQ(Value(RecordType::kTxt, "验证 ok"), "验证 ok");
  EXPECT_EQ(Value(RecordType::kTxt, std::string(kMaxTxtBytes, 'x')),
            std::string(kMaxTxtBytes, 'x'));
  EXPECT_EQ(Value(RecordType::kTxt, std::string(kMaxTxtBytes + 1, 'x')),
            "error: TXT text is 2049 bytes, more than the 2048 allowed");
  EXPECT_EQ(Value(RecordType::kTxt, ""), "error: a TXT record needs a non-empty text");
  EXPECT_EQ(Value(RecordType::kTxt, "a\x01z"), "error: TXT text contains a control character");
  EXPECT_EQ(Value(RecordType::kTxt, "a\nz"), "error: TXT text contains a control character");
  EXPECT_EQ(Value(RecordType::kTxt, "a\xff"), "error: TXT text is not valid UTF-8");
  EXPECT_EQ(Value(RecordType::kTxt, "a\xe9\xaa"),
            "error: TXT text is not valid UTF-8");  // truncated
}

TEST(DnsRecordsTest, NormalisingANormalisedValueKeepsIt) {
  for (auto [type, value] :
       {std::pair{RecordType::kA, "192.0.2.1"}, std::pair{RecordType::kAaaa, "2001:DB8::0:1"},
        std::pair{RecordType::kCname, "A.b"}, std::pair{RecordType::kTxt, " x y "}}) {
    const std::string once = Value(type, value);
    EXPECT_EQ(Value(type, once), once) << value;
  }
}

TEST(DnsRecordsTest, RecordsFormatForChat) {
  DnsRecord a{"www.example.com.", RecordType::kA, "192.0.2.1", 300};
  DnsRecord txt{"example.com.", RecordType::kTxt, "v=spf1 -all", 600};
  EXPECT_EQ(FormatRecord(a), "www.example.com. 300 A 192.0.2.1");
  EXPECT_EQ(FormatRecords({a, txt}),
            "www.example.com. 300 A 192.0.2.1; example.com. 600 TXT \"v=spf1 -all\"");
  EXPECT_EQ(FormatRecords({}), "(none)");
}

}  // namespace
}  // namespace beacon::bot::dns
