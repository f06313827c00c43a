// zstd one-shot compression and bounded streaming decompression.
// Decompression never trusts the frame's declared content size: it streams and stops at
// max_output, so a small hostile body cannot allocate gigabytes.
#include "common/compress/zstd.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <new>

namespace beacon::compress {
namespace {

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

}  // namespace

Status ZstdCorrupt(std::string_view why) {
  return Status::InvalidArgument("corrupt zstd stream: " + std::string(why));
}

std::string ZstdCompress(std::string_view data, int level) {
  level = std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel());
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  // With a clamped level and a bound-sized buffer the only possible failure is allocation.
  if (ZSTD_isError(n)) throw std::bad_alloc();
  out.resize(n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view data, size_t max_output) {
  if (data.empty()) return ZstdCorrupt("empty input");
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  if (!ctx) return Status::ResourceExhausted("cannot allocate zstd decompression context");

  std::string out;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t last = 0;
  while (true) {
    ZSTD_outBuffer buf{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(ctx.get(), &buf, &in);
    if (ZSTD_isError(last)) return ZstdCorrupt(ZSTD_getErrorName(last));
    if (buf.pos > max_output - out.size()) {
      return Status::ResourceExhausted("zstd stream decompresses to more than " +
                                       std::to_string(max_output) + " bytes");
    }
    out.append(chunk.data(), buf.pos);
    // All input consumed and either the frame is complete and flushed (0), or the output
    // buffer was not filled: nothing more will come. Checking 0 first matters when the output
    // is an exact multiple of the buffer: another call would read the next frame's header hint.
    if (in.pos == in.size && (last == 0 || buf.pos < buf.size)) break;
  }
  // A non-zero hint means the current frame still expects input: the body was cut short.
  if (last != 0) return ZstdCorrupt("truncated input");
  return out;
}

}  // namespace beacon::compress
