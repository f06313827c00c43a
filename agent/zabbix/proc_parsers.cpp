// Parsers of proc_parsers.h.
#include "agent/zabbix/proc_parsers.h"

#include <charconv>

#include "common/strings.h"

namespace beacon::agent::zabbix {
namespace {

std::optional<uint64_t> ToU64(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i << 24;
      for (int k = 0; k < 8; ++k) c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

}  // namespace

std::map<std::string, uint64_t> ParseMeminfo(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (std::string_view line : Lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto fields = SplitWhitespace(line.substr(colon + 1));
    if (fields.empty()) continue;
    auto value = ToU64(fields[0]);
    if (!value) continue;
    uint64_t bytes = *value;
    if (fields.size() > 1 && fields[1] == "kB") bytes *= 1024;
    out[std::string(line.substr(0, colon))] = bytes;
  }
  return out;
}

std::optional<CpuStat> ParseCpuStat(std::string_view text) {
  CpuStat stat;
  bool seen_all = false;
  for (std::string_view line : Lines(text)) {
    if (line.substr(0, 3) != "cpu") continue;
    auto fields = SplitWhitespace(line);
    if (fields.empty()) continue;
    CpuCounters counters{};
    for (size_t i = 1; i < fields.size() && i <= counters.size(); ++i) {
      auto v = ToU64(fields[i]);
      if (!v) return std::nullopt;
      counters[i - 1] = *v;
    }
    if (fields[0] == "cpu") {
      stat.all = counters;
      seen_all = true;
      continue;
    }
    auto index = ToU64(fields[0].substr(3));
    if (!index || *index > 1'000'000) return std::nullopt;
    stat.cpus[static_cast<int>(*index)] = counters;
  }
  if (!seen_all) return std::nullopt;
  return stat;
}

std::vector<std::pair<std::string, NetDevCounters>> ParseNetDev(std::string_view text) {
  std::vector<std::pair<std::string, NetDevCounters>> out;
  for (std::string_view line : Lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = TrimWhitespace(line.substr(0, colon));
    auto fields = SplitWhitespace(line.substr(colon + 1));
    if (name.empty() || fields.size() < 16) continue;  // the two header lines have no ':'
    NetDevCounters counters;
    bool ok = true;
    for (size_t i = 0; i < 16 && ok; ++i) {
      auto v = ToU64(fields[i]);
      ok = v.has_value();
      if (ok) (i < 8 ? counters.rx[i] : counters.tx[i - 8]) = *v;
    }
    if (ok) out.emplace_back(std::string(name), counters);
  }
  return out;
}

ProcStatus ParseProcStatus(std::string_view text) {
  ProcStatus status;
  for (std::string_view line : Lines(text)) {
    if (line.substr(0, 5) == "Name:") {
      std::string_view name = line.substr(5);
      while (!name.empty() && (name.front() == '\t' || name.front() == ' ')) name.remove_prefix(1);
      status.name.assign(name);
    } else if (line.substr(0, 6) == "State:") {
      std::string_view state = TrimWhitespace(line.substr(6));
      if (!state.empty()) status.state = state.front();
    } else if (line.substr(0, 4) == "Uid:") {
      auto fields = SplitWhitespace(line.substr(4));
      if (fields.size() >= 2) {
        if (auto uid = ToU64(fields[1])) status.euid = static_cast<int64_t>(*uid);
      }
    }
  }
  return status;
}

std::string JoinCmdline(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string out(raw);
  for (char& c : out) {
    if (c == '\0') c = ' ';
  }
  return out;
}

void PosixCksum::Update(const void* data, size_t size) {
  const auto& table = CrcTable();
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t crc = crc_;
  for (size_t i = 0; i < size; ++i) crc = (crc << 8) ^ table[(crc >> 24) ^ p[i]];
  crc_ = crc;
  length_ += size;
}

uint32_t PosixCksum::Final() {
  const auto& table = CrcTable();
  uint32_t crc = crc_;
  for (uint64_t n = length_; n != 0; n >>= 8) {
    crc = (crc << 8) ^ table[(crc >> 24) ^ static_cast<uint8_t>(n & 0xff)];
  }
  return ~crc;
}

}  // namespace beacon::agent::zabbix
