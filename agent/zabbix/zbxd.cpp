// ZBXD encode/decode, with zlib for the compressed flag (compress2 / uncompress).
#include "agent/zabbix/zbxd.h"

#include <zlib.h>

namespace beacon::agent::zabbix {
namespace {

void PutU32Le(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetU32Le(std::string_view in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string Hex(uint8_t b) {
  static const char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xf];
}

struct Header {
  uint8_t flags;
  uint32_t wire_len;
  uint32_t reserved;
};

Result<std::optional<Header>> ParseHeader(std::string_view buffer, const ZbxdOptions& options) {
  // Reject a wrong signature as soon as the bytes we have contradict it.
  const std::string_view kSig = "ZBXD";
  const size_t have = std::min(buffer.size(), kSig.size());
  if (buffer.substr(0, have) != kSig.substr(0, have)) {
    return Status::InvalidArgument("not a ZBXD frame (missing \"ZBXD\" header)");
  }
  if (buffer.size() < kZbxdHeaderSize) return std::optional<Header>();
  Header h{static_cast<uint8_t>(buffer[4]), GetU32Le(buffer.substr(5, 4)),
           GetU32Le(buffer.substr(9, 4))};
  if (!(h.flags & kZbxdFlagProtocol)) {
    return Status::InvalidArgument("ZBXD flags " + Hex(h.flags) + " lack the protocol bit 0x01");
  }
  if (h.flags & kZbxdFlagLarge) {
    return Status::InvalidArgument("ZBXD flags " + Hex(h.flags) +
                                   ": large (0x04) frames are not supported");
  }
  if (h.flags & ~(kZbxdFlagProtocol | kZbxdFlagCompress)) {
    return Status::InvalidArgument("ZBXD flags " + Hex(h.flags) + " has unknown bits");
  }
  if (h.wire_len > options.max_data_size) {
    return Status::InvalidArgument("ZBXD data length " + std::to_string(h.wire_len) +
                                   " exceeds the limit of " +
                                   std::to_string(options.max_data_size) + " bytes");
  }
  if ((h.flags & kZbxdFlagCompress) && h.reserved > options.max_data_size) {
    return Status::InvalidArgument("ZBXD uncompressed length " + std::to_string(h.reserved) +
                                   " exceeds the limit of " +
                                   std::to_string(options.max_data_size) + " bytes");
  }
  return std::optional<Header>(h);
}

}  // namespace

Result<std::string> EncodeZbxd(std::string_view data, const ZbxdOptions& options) {
  if (data.size() > options.max_data_size || data.size() > UINT32_MAX) {
    return Status::InvalidArgument("ZBXD data of " + std::to_string(data.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(options.max_data_size) + " bytes");
  }
  std::string out = "ZBXD";
  if (!options.compress) {
    out.push_back(static_cast<char>(kZbxdFlagProtocol));
    PutU32Le(out, static_cast<uint32_t>(data.size()));
    PutU32Le(out, 0);
    out.append(data);
    return out;
  }
  uLongf bound = compressBound(static_cast<uLong>(data.size()));
  std::string packed(bound, '\0');
  int rc = compress2(reinterpret_cast<Bytef*>(packed.data()), &bound,
                     reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                     Z_DEFAULT_COMPRESSION);
  if (rc != Z_OK) return Status::Internal("zlib compress2 failed: " + std::to_string(rc));
  packed.resize(bound);
  if (packed.size() > UINT32_MAX) return Status::InvalidArgument("compressed ZBXD data too large");
  out.push_back(static_cast<char>(kZbxdFlagProtocol | kZbxdFlagCompress));
  PutU32Le(out, static_cast<uint32_t>(packed.size()));
  PutU32Le(out, static_cast<uint32_t>(data.size()));
  out.append(packed);
  return out;
}

Result<std::optional<size_t>> ZbxdFrameSize(std::string_view buffer, const ZbxdOptions& options) {
  BEACON_ASSIGN_OR_RETURN(std::optional<Header> header, ParseHeader(buffer, options));
  if (!header) return std::optional<size_t>();
  return std::optional<size_t>(kZbxdHeaderSize + header->wire_len);
}

Result<std::optional<ZbxdFrame>> DecodeZbxd(std::string_view buffer, const ZbxdOptions& options) {
  BEACON_ASSIGN_OR_RETURN(std::optional<Header> header, ParseHeader(buffer, options));
  if (!header || buffer.size() < kZbxdHeaderSize + header->wire_len) {
    return std::optional<ZbxdFrame>();
  }
  ZbxdFrame frame;
  frame.flags = header->flags;
  frame.consumed = kZbxdHeaderSize + header->wire_len;
  std::string_view wire = buffer.substr(kZbxdHeaderSize, header->wire_len);
  if (!(header->flags & kZbxdFlagCompress)) {
    frame.data.assign(wire);
    return std::optional<ZbxdFrame>(std::move(frame));
  }
  frame.data.assign(header->reserved, '\0');
  uLongf out_len = header->reserved;
  int rc = uncompress(reinterpret_cast<Bytef*>(frame.data.data()), &out_len,
                      reinterpret_cast<const Bytef*>(wire.data()), static_cast<uLong>(wire.size()));
  if (rc != Z_OK || out_len != header->reserved) {
    return Status::InvalidArgument(
        "ZBXD compressed data is corrupt or does not match the declared length " +
        std::to_string(header->reserved));
  }
  return std::optional<ZbxdFrame>(std::move(frame));
}

}  // namespace beacon::agent::zabbix
