// The passive-check request reader and reply encoder, against the bytes zabbix_get sends and
// zabbix_agentd 6.0.14 answers (agent/zabbix/passive_request.h).
#include <gtest/gtest.h>

#include "agent/zabbix/passive_request.h"
#include "agent/zabbix/zbxd.h"

namespace beacon::agent::zabbix {
namespace {

std::string ZbxRaw(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(ZabbixPassiveRequest, ReadsZabbixGetRequestByteByByte) {
  const std::string wire =
      ZbxRaw({0x5a, 0x42, 0x58, 0x44, 0x01, 0x0a, 0, 0, 0, 0, 0, 0, 0}) + "agent.ping";
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(ParsePassiveRequest(wire.substr(0, n)).state, PassiveRequest::State::kNeedMore) << n;
  }
  PassiveRequest request = ParsePassiveRequest(wire + "trailing bytes are ignored");
  ASSERT_EQ(request.state, PassiveRequest::State::kReady);
  EXPECT_EQ(request.key, "agent.ping");
}

TEST(ZabbixPassiveRequest, TrimsTrailingNewlinesAndStopsAtNul) {
  EXPECT_EQ(ParsePassiveRequest(*EncodeZbxd("agent.ping\r\n")).key, "agent.ping");
  EXPECT_EQ(ParsePassiveRequest(*EncodeZbxd(std::string("agent.ping\0junk", 15))).key,
            "agent.ping");
}

TEST(ZabbixPassiveRequest, AcceptsCompressedRequests) {
  PassiveRequest request = ParsePassiveRequest(*EncodeZbxd("vfs.fs.size[/]", {.compress = true}));
  ASSERT_EQ(request.state, PassiveRequest::State::kReady);
  EXPECT_EQ(request.key, "vfs.fs.size[/]");
}

TEST(ZabbixPassiveRequest, RefusesWhat6Refuses) {
  // Unframed text (6.0 answers nothing: the header is mandatory).
  EXPECT_EQ(ParsePassiveRequest("agent.ping\n").state, PassiveRequest::State::kRefused);
  EXPECT_EQ(ParsePassiveRequest("Z").state, PassiveRequest::State::kNeedMore);
  EXPECT_EQ(ParsePassiveRequest("ZBXx").state, PassiveRequest::State::kRefused);
  // LARGE (0x05) and a frame without the protocol bit.
  EXPECT_EQ(ParsePassiveRequest(ZbxRaw({'Z', 'B', 'X', 'D', 0x05, 1, 0, 0, 0, 0, 0, 0, 0})).state,
            PassiveRequest::State::kRefused);
  EXPECT_EQ(ParsePassiveRequest(ZbxRaw({'Z', 'B', 'X', 'D', 0x00, 1, 0, 0, 0, 0, 0, 0, 0})).state,
            PassiveRequest::State::kRefused);
}

TEST(ZabbixPassiveRequest, RefusesOversizedFramesFromTheHeaderAlone) {
  // 1 MiB announced: refused before any of the data arrives.
  const std::string header = ZbxRaw({'Z', 'B', 'X', 'D', 0x01, 0, 0, 0x10, 0, 0, 0, 0, 0});
  PassiveRequest request = ParsePassiveRequest(header);
  EXPECT_EQ(request.state, PassiveRequest::State::kRefused);
  EXPECT_NE(request.reason.find("exceeds"), std::string::npos) << request.reason;
  // A compressed frame whose uncompressed size is over the limit, too.
  const std::string bomb = *EncodeZbxd(std::string(kMaxPassiveRequestSize + 1, 'a'),
                                       {.compress = true, .max_data_size = 1 << 30});
  EXPECT_EQ(ParsePassiveRequest(bomb).state, PassiveRequest::State::kRefused);
  // Corrupt compressed data.
  std::string corrupt = *EncodeZbxd("agent.ping", {.compress = true});
  corrupt[kZbxdHeaderSize] ^= 0x5a;
  EXPECT_EQ(ParsePassiveRequest(corrupt).state, PassiveRequest::State::kRefused);
}

TEST(ZabbixPassiveRequest, RepliesExactlyLikeZabbixAgentd) {
  EXPECT_EQ(EncodePassiveReply(ItemResult::Value("1")),
            ZbxRaw({0x5a, 0x42, 0x58, 0x44, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 0}) + "1");
  const std::string payload = std::string("ZBX_NOTSUPPORTED") + '\0' + "Unsupported item key.";
  EXPECT_EQ(EncodePassiveReply(ItemResult::NotSupported("Unsupported item key.")),
            ZbxRaw({0x5a, 0x42, 0x58, 0x44, 0x01, 0x26, 0, 0, 0, 0, 0, 0, 0}) + payload);
}

}  // namespace
}  // namespace beacon::agent::zabbix
