// Record types, formatting and the checks on names and values typed in chat.
#include "bot/dns/records.h"

#include <arpa/inet.h>

#include <array>
#include <utility>

#include "common/strings.h"

namespace beacon::bot::dns {
namespace {

constexpr size_t kMaxLabelBytes = 63;
constexpr size_t kMaxNameBytes = 253;  // without the trailing dot

// "name '<name>' <problem>" (appended piecewise: GCC 12 warns about `"'" + std::string(...)`
// at -O3, its bug 105329).
Status NameError(std::string_view name, std::string_view problem) {
  std::string message = "name '";
  message.append(name);
  message += "' ";
  message.append(problem);
  return Status::InvalidArgument(std::move(message));
}

// A host-name label as zones hold them: letters, digits, hyphens (not at either end) and
// underscores (service labels such as _dmarc and _acme-challenge). Already lower case.
Status CheckLabel(std::string_view label, std::string_view name) {
  if (label.empty()) return NameError(name, "has an empty label");
  if (label.size() > kMaxLabelBytes) return NameError(name, "has a label longer than 63 bytes");
  for (char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        return NameError(name, "is not ASCII: write it in its xn-- (punycode) form");
      }
      std::string problem = "contains '";
      problem += c;
      problem += "' (letters, digits, '-' and '_' only)";
      return NameError(name, problem);
    }
  }
  if (label.front() == '-' || label.back() == '-') {
    return NameError(name, "has a label starting or ending with '-'");
  }
  return Status::Ok();
}

// Checks a lower-case name without trailing dot; a leading "*" label when wildcard_ok.
Status CheckName(std::string_view name, bool wildcard_ok) {
  if (name.empty()) return Status::InvalidArgument("empty name");
  if (name.size() > kMaxNameBytes) {
    return NameError(name, "is longer than 253 bytes");
  }
  size_t start = 0;
  bool first = true;
  while (true) {
    const size_t dot = name.find('.', start);
    std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!(first && wildcard_ok && label == "*")) BEACON_RETURN_IF_ERROR(CheckLabel(label, name));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
    first = false;
  }
  return Status::Ok();
}

bool EndsWithLabel(std::string_view name, std::string_view zone) {
  return name.size() > zone.size() + 1 && name.ends_with(zone) &&
         name[name.size() - zone.size() - 1] == '.';
}

}  // namespace

std::string_view RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kA:
      return "A";
    case RecordType::kAaaa:
      return "AAAA";
    case RecordType::kCname:
      return "CNAME";
    case RecordType::kTxt:
      return "TXT";
  }
  return "?";
}

const std::vector<RecordType>& SupportedRecordTypes() {
  static const std::vector<RecordType> kTypes = {RecordType::kA, RecordType::kAaaa,
                                                 RecordType::kCname, RecordType::kTxt};
  return kTypes;
}

Result<RecordType> ParseRecordType(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  for (RecordType type : SupportedRecordTypes()) {
    if (upper == RecordTypeName(type)) return type;
  }
  return Status::InvalidArgument("record type '" + std::string(text) +
                                 "' is not supported (A, AAAA, CNAME, TXT)");
}

std::string FormatRecord(const DnsRecord& record) {
  std::string value = record.value;
  if (record.type == RecordType::kTxt) value = "\"" + value + "\"";
  return record.name + " " + std::to_string(record.ttl) + " " +
         std::string(RecordTypeName(record.type)) + " " + value;
}

std::string FormatRecords(const std::vector<DnsRecord>& records) {
  if (records.empty()) return "(none)";
  std::string out;
  for (const DnsRecord& record : records) {
    if (!out.empty()) out += "; ";
    out += FormatRecord(record);
  }
  return out;
}

Result<std::string> NormalizeZoneName(std::string_view zone) {
  std::string name = Lower(TrimWhitespace(zone));
  if (name.ends_with('.')) name.pop_back();
  if (name.empty()) return Status::InvalidArgument("empty zone name");
  Status checked = CheckName(name, /*wildcard_ok=*/false);
  if (!checked.ok()) return checked.WithContext("zone");
  return name;
}

Result<std::string> ResolveName(std::string_view zone, std::string_view name) {
  std::string text = Lower(TrimWhitespace(name));
  if (text.empty()) return Status::InvalidArgument("empty name");
  if (text == "@") return std::string(zone) + ".";
  std::string absolute;
  if (text.ends_with('.')) {
    text.pop_back();
    if (text != zone && !EndsWithLabel(text, zone)) {
      return NameError(TrimWhitespace(name), "is outside zone " + std::string(zone));
    }
    absolute = text;
  } else if (text == zone || EndsWithLabel(text, zone)) {
    absolute = text;
  } else {
    absolute = text + "." + std::string(zone);
  }
  BEACON_RETURN_IF_ERROR(CheckName(absolute, /*wildcard_ok=*/true));
  return absolute + ".";
}

Result<std::string> NormalizeValue(RecordType type, std::string_view value) {
  std::string_view text = TrimWhitespace(value);
  switch (type) {
    case RecordType::kA:
    case RecordType::kAaaa: {
      const bool v4 = type == RecordType::kA;
      std::array<unsigned char, 16> address{};
      std::array<char, INET6_ADDRSTRLEN> out{};
      const std::string copy(text);
      if (inet_pton(v4 ? AF_INET : AF_INET6, copy.c_str(), address.data()) != 1) {
        return Status::InvalidArgument(std::string(v4 ? "an A record needs an IPv4 address"
                                                      : "an AAAA record needs an IPv6 address") +
                                       ", got '" + copy + "'");
      }
      inet_ntop(v4 ? AF_INET : AF_INET6, address.data(), out.data(), out.size());
      return std::string(out.data());
    }
    case RecordType::kCname: {
      std::string target = Lower(text);
      if (target.ends_with('.')) target.pop_back();
      Status checked = CheckName(target, /*wildcard_ok=*/false);
      if (!checked.ok()) return checked.WithContext("CNAME target");
      return target + ".";
    }
    case RecordType::kTxt: {
      if (text.empty()) return Status::InvalidArgument("a TXT record needs a non-empty text");
      if (text.size() > kMaxTxtBytes) {
        return Status::InvalidArgument("TXT text is " + std::to_string(text.size()) +
                                       " bytes, more than the " + std::to_string(kMaxTxtBytes) +
                                       " allowed");
      }
      for (size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7f) {
          return Status::InvalidArgument("TXT text contains a control character");
        }
        const size_t length = Utf8SequenceLength(text, i);
        if (length == 0) return Status::InvalidArgument("TXT text is not valid UTF-8");
        i += length;
      }
      return std::string(text);
    }
  }
  return Status::InvalidArgument("unsupported record type");
}

}  // namespace beacon::bot::dns
