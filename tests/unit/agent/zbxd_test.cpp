// ZBXD framing against the bytes captured from the Debian 6.0.14 binaries
// of Zabbix: zabbix_get's request, the agent's replies, compression.
#include "agent/zabbix/zbxd.h"

#include <gtest/gtest.h>

namespace beacon::agent::zabbix {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(Zbxd, EncodesZabbixGetRequestExactly) {
  // zabbix_get -k agent.ping, captured on the wire.
  const std::string expected =
      Bytes({0x5a, 0x42, 0x58, 0x44, 0x01, 0x0a, 0, 0, 0, 0, 0, 0, 0}) + "agent.ping";
  auto frame = EncodeZbxd("agent.ping");
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(*frame, expected);
}

TEST(Zbxd, DecodesAgentNotSupportedReply) {
  const std::string payload = std::string("ZBX_NOTSUPPORTED") + '\0' + "Unsupported item key.";
  ASSERT_EQ(payload.size(), 0x26u);
  const std::string wire =
      Bytes({0x5a, 0x42, 0x58, 0x44, 0x01, 0x26, 0, 0, 0, 0, 0, 0, 0}) + payload;
  auto frame = DecodeZbxd(wire);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  ASSERT_TRUE(frame->has_value());
  EXPECT_EQ((*frame)->data, payload);
  EXPECT_EQ((*frame)->flags, kZbxdFlagProtocol);
  EXPECT_EQ((*frame)->consumed, wire.size());
}

TEST(Zbxd, AsksForMoreBytesUntilTheFrameIsComplete) {
  const std::string wire = *EncodeZbxd("{\"response\":\"success\"}");
  for (size_t n = 0; n < wire.size(); ++n) {
    auto partial = DecodeZbxd(std::string_view(wire).substr(0, n));
    ASSERT_TRUE(partial.ok()) << n << ": " << partial.status().ToString();
    EXPECT_FALSE(partial->has_value()) << n;
  }
  auto size = ZbxdFrameSize(std::string_view(wire).substr(0, kZbxdHeaderSize));
  ASSERT_TRUE(size.ok());
  ASSERT_TRUE(size->has_value());
  EXPECT_EQ(**size, wire.size());
  // A second frame behind the first is left for the next call.
  auto both = DecodeZbxd(wire + wire);
  ASSERT_TRUE(both.ok() && both->has_value());
  EXPECT_EQ((*both)->consumed, wire.size());
}

TEST(Zbxd, CompressedRoundTripUsesFlag3AndUncompressedLengthInReserved) {
  const std::string data(5000, 'x');
  auto wire = EncodeZbxd(data, {.compress = true});
  ASSERT_TRUE(wire.ok()) << wire.status().ToString();
  EXPECT_EQ(static_cast<uint8_t>((*wire)[4]), 0x03);
  EXPECT_EQ(static_cast<uint8_t>((*wire)[9]), 5000 & 0xff);
  EXPECT_EQ(static_cast<uint8_t>((*wire)[10]), 5000 >> 8);
  EXPECT_LT(wire->size(), data.size());
  auto frame = DecodeZbxd(*wire);
  ASSERT_TRUE(frame.ok() && frame->has_value()) << frame.status().ToString();
  EXPECT_EQ((*frame)->data, data);
  EXPECT_EQ((*frame)->flags, 0x03);
}

TEST(Zbxd, RejectsCorruptCompressedData) {
  std::string wire = Bytes({'Z', 'B', 'X', 'D', 0x03, 4, 0, 0, 0, 100, 0, 0, 0}) + "junk";
  auto frame = DecodeZbxd(wire);
  ASSERT_FALSE(frame.ok());
  EXPECT_NE(frame.status().message().find("corrupt"), std::string::npos);
}

TEST(Zbxd, RejectsMissingHeaderBadFlagsAndLargeFrames) {
  auto unframed = DecodeZbxd("agent.ping");
  ASSERT_FALSE(unframed.ok());
  EXPECT_NE(unframed.status().message().find("ZBXD"), std::string::npos);
  // Even a short prefix that cannot become "ZBXD" is rejected at once.
  EXPECT_FALSE(DecodeZbxd("ZX").ok());

  auto no_protocol = DecodeZbxd(Bytes({'Z', 'B', 'X', 'D', 0x00, 0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_FALSE(no_protocol.ok());
  EXPECT_NE(no_protocol.status().message().find("0x00"), std::string::npos);

  auto large = DecodeZbxd(Bytes({'Z', 'B', 'X', 'D', 0x05, 0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_FALSE(large.ok());
  EXPECT_NE(large.status().message().find("large"), std::string::npos);
}

TEST(Zbxd, EnforcesTheSizeLimitFromTheHeaderAlone) {
  // Declares 2 GiB: rejected before any data byte arrives.
  auto huge = DecodeZbxd(Bytes({'Z', 'B', 'X', 'D', 0x01, 0, 0, 0, 0x80, 0, 0, 0, 0}));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("exceeds the limit"), std::string::npos);

  ZbxdOptions small{.compress = false, .max_data_size = 10};
  EXPECT_FALSE(EncodeZbxd(std::string(11, 'a'), small).ok());
  EXPECT_TRUE(EncodeZbxd(std::string(10, 'a'), small).ok());
  auto over = DecodeZbxd(*EncodeZbxd(std::string(11, 'a')), small);
  EXPECT_FALSE(over.ok());
  // A compressed frame whose uncompressed size is above the limit is refused too.
  auto bomb = DecodeZbxd(*EncodeZbxd(std::string(100, 'a'), {.compress = true}), small);
  EXPECT_FALSE(bomb.ok());
}

}  // namespace
}  // namespace beacon::agent::zabbix
