// ZBXD framing of the Zabbix 6.0 protocol (agent, sender, trapper, Java gateway): a 13-byte
// header "ZBXD" | flags | u32le data length | u32le reserved, then the data. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::agent::zabbix {

inline constexpr uint8_t kZbxdFlagProtocol = 0x01;  // must always be set
inline constexpr uint8_t kZbxdFlagCompress = 0x02;  // zlib; reserved = uncompressed length
inline constexpr uint8_t kZbxdFlagLarge = 0x04;     // 64-bit lengths; not accepted by 6.0 peers
inline constexpr size_t kZbxdHeaderSize = 13;
// The limit the 6.0 agent listener and server poller apply (1 GiB).
inline constexpr uint64_t kZbxdMaxDataSize = uint64_t{1} << 30;

struct ZbxdOptions {
  bool compress = false;                      // zlib-compress the data (flag 0x02)
  uint64_t max_data_size = kZbxdMaxDataSize;  // for data on the wire and after decompression
};

// Frames `data`. InvalidArgument when it exceeds max_data_size.
Result<std::string> EncodeZbxd(std::string_view data, const ZbxdOptions& options = {});

struct ZbxdFrame {
  uint8_t flags = kZbxdFlagProtocol;
  std::string data;     // decompressed
  size_t consumed = 0;  // bytes of the input the frame took (header + wire data)
};

// Decodes the frame at the start of `buffer`. nullopt: more bytes are needed (a stream reader
// calls again after reading more). InvalidArgument for a missing "ZBXD" signature, a flags
// byte without 0x01 or with unknown or LARGE bits, a length above max_data_size (named in the
// message, before the data is read) or corrupt compressed data.
Result<std::optional<ZbxdFrame>> DecodeZbxd(std::string_view buffer,
                                            const ZbxdOptions& options = {});

// Bytes needed for the whole frame once at least the header is in `buffer`; nullopt while
// the header is incomplete. Same header errors as DecodeZbxd.
Result<std::optional<size_t>> ZbxdFrameSize(std::string_view buffer,
                                            const ZbxdOptions& options = {});

}  // namespace beacon::agent::zabbix
