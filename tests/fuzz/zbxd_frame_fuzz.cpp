// Fuzzes ZBXD frame decoding (agent/zabbix) with the limits the jmx input's Java-gateway
// transport applies to a reply (agent/inputs/jmx/transports.cpp): a decoded frame re-encodes to
// a frame that decodes to the same data, and ZbxdFrameSize agrees with what DecodeZbxd consumed.
#include <cstdint>
#include <string_view>

#include "agent/zabbix/zbxd.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace beacon::agent::zabbix;
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);
  ZbxdOptions limits;
  limits.max_data_size = 16 * 1024 * 1024;  // GatewayTargetOptions' default reply bound

  auto frame_size = ZbxdFrameSize(buffer, limits);
  auto decoded = DecodeZbxd(buffer, limits);
  FUZZ_CHECK(frame_size.ok() || !decoded.ok());  // a bad header fails both the same way
  if (!decoded.ok() || !decoded->has_value()) return 0;
  const ZbxdFrame& frame = **decoded;
  FUZZ_CHECK(frame_size.ok() && frame_size->has_value() && **frame_size == frame.consumed);
  FUZZ_CHECK(frame.consumed <= buffer.size());
  FUZZ_CHECK(frame.data.size() <= limits.max_data_size);

  for (bool compress : {false, true}) {
    ZbxdOptions options = limits;
    options.compress = compress;
    auto encoded = EncodeZbxd(frame.data, options);
    FUZZ_CHECK(encoded.ok());
    auto again = DecodeZbxd(*encoded, options);
    FUZZ_CHECK(again.ok() && again->has_value());
    FUZZ_CHECK((*again)->data == frame.data && (*again)->consumed == encoded->size());
  }
  return 0;
}
