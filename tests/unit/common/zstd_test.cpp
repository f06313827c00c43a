// zstd round trips, streaming frames without a content size, and the hostile-input guarantees
// the collector relies on: corrupt/truncated bodies are InvalidArgument, bombs are bounded.
#include "common/compress/zstd.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <memory>

namespace beacon::compress {
namespace {

std::string SampleText(size_t n) {
  std::string s;
  uint32_t x = 12345;
  while (s.size() < n) {
    x = x * 1103515245 + 12345;
    s += "metric cpu.usage host=web-" + std::to_string((x >> 16) % 50) +
         " value=" + std::to_string(x % 1000) + "\n";
  }
  s.resize(n);
  return s;
}

// Compresses with the streaming API, which does not write the content size into the frame.
std::string StreamCompress(std::string_view data) {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  EXPECT_FALSE(ZSTD_isError(ZSTD_initCStream(cctx.get(), 3)));
  std::string out;
  std::string buf(ZSTD_CStreamOutSize(), '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    EXPECT_FALSE(ZSTD_isError(ZSTD_compressStream(cctx.get(), &o, &in)));
    out.append(buf.data(), o.pos);
  }
  size_t remaining;
  do {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    remaining = ZSTD_endStream(cctx.get(), &o);
    EXPECT_FALSE(ZSTD_isError(remaining));
    out.append(buf.data(), o.pos);
  } while (remaining != 0);
  return out;
}

TEST(ZstdTest, RoundTripsSmallAndLargeInputs) {
  for (size_t n : {size_t{1}, size_t{100}, size_t{200'000}, size_t{3'000'000}}) {
    const std::string data = SampleText(n);
    const std::string packed = ZstdCompress(data);
    EXPECT_LT(packed.size(), data.size() / 2 + 64) << n;
    Result<std::string> back = ZstdDecompress(packed, data.size());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data);
  }
}

TEST(ZstdTest, RoundTripsEmptyPayloadAndBinary) {
  Result<std::string> empty = ZstdDecompress(ZstdCompress(""), 0);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "");
  std::string binary;
  for (int i = 0; i < 70'000; ++i) binary += static_cast<char>((i * 7919) & 0xff);
  EXPECT_EQ(ZstdDecompress(ZstdCompress(binary, 19), binary.size()).value(), binary);
  // Out-of-range levels are clamped rather than failing.
  EXPECT_EQ(ZstdDecompress(ZstdCompress(binary, 1000), binary.size()).value(), binary);
}

TEST(ZstdTest, DecodesStreamingFrameWithoutContentSize) {
  const std::string data = SampleText(500'000);
  const std::string packed = StreamCompress(data);
  ASSERT_EQ(ZSTD_getFrameContentSize(packed.data(), packed.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  Result<std::string> back = ZstdDecompress(packed, 1 << 20);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, data);
}

TEST(ZstdTest, DecodesConcatenatedFrames) {
  const std::string a = SampleText(1000), b = SampleText(300'000);
  Result<std::string> back = ZstdDecompress(ZstdCompress(a) + StreamCompress(b), 1 << 20);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, a + b);
}

TEST(ZstdTest, RejectsEmptyAndGarbageInput) {
  Result<std::string> empty = ZstdDecompress("", 100);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);

  Result<std::string> garbage = ZstdDecompress("{\"this\": \"is json, not zstd\"}", 1 << 20);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(garbage.status().message().rfind("corrupt zstd stream: ", 0), 0u)
      << garbage.status().message();
}

TEST(ZstdTest, RejectsCorruptedFrames) {
  const std::string data = SampleText(100'000);
  std::string bad_magic = ZstdCompress(data);
  bad_magic[0] ^= 0x5a;
  Result<std::string> r = ZstdDecompress(bad_magic, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  // Trailing garbage after a valid frame is not a valid second frame.
  r = ZstdDecompress(ZstdCompress(data) + "garbage!", 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  // Overwriting the block data with noise breaks the entropy decoding.
  std::string smashed = ZstdCompress(data);
  for (size_t i = 20; i < smashed.size(); i += 3) smashed[i] = static_cast<char>(0xff);
  r = ZstdDecompress(smashed, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(ZstdTest, RejectsTruncatedStreams) {
  const std::string data = SampleText(200'000);
  for (const std::string& packed : {ZstdCompress(data), StreamCompress(data)}) {
    for (size_t cut : {size_t{1}, size_t{4}, packed.size() / 2, packed.size() - 4}) {
      Result<std::string> r = ZstdDecompress(std::string_view(packed).substr(0, cut), 1 << 20);
      ASSERT_FALSE(r.ok()) << "cut at " << cut;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
      EXPECT_NE(r.status().message().find("corrupt zstd stream"), std::string::npos);
    }
  }
}

TEST(ZstdTest, BoundsOutputAgainstDecompressionBombs) {
  const std::string zeros(64 << 20, '\0');
  for (const std::string& bomb : {ZstdCompress(zeros), StreamCompress(zeros)}) {
    ASSERT_LT(bomb.size(), 16u << 10);  // tiny on the wire
    Result<std::string> r = ZstdDecompress(bomb, 1 << 20);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  }
}

TEST(ZstdTest, LimitIsInclusive) {
  const std::string data = SampleText(10'000);
  const std::string packed = ZstdCompress(data);
  EXPECT_TRUE(ZstdDecompress(packed, data.size()).ok());
  Result<std::string> over = ZstdDecompress(packed, data.size() - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
}

// The decoder's output buffer is ZSTD_DStreamOutSize() (128 KiB): an output that fills it
// exactly on the last call once made the loop ask for more and report "truncated input".
TEST(ZstdTest, RoundTripsOutputsThatAreExactMultiplesOfTheBuffer) {
  for (size_t size : {ZSTD_DStreamOutSize(), 8 * ZSTD_DStreamOutSize()}) {
    std::string zeros(size, '\0');
    auto out = ZstdDecompress(ZstdCompress(zeros), size);
    ASSERT_TRUE(out.ok()) << size << ": " << out.status().ToString();
    EXPECT_EQ(*out, zeros);
  }
}

}  // namespace
}  // namespace beacon::compress
