// Streaming zstd on ZSTD_compressStream2 / ZSTD_decompressStream. The decompressor counts its
// output and stops at the caller's bound, so a hostile stream cannot exhaust memory or disk.
#include "common/compress/zstd_stream.h"

#include <zstd.h>

#include <algorithm>

#include "common/compress/zstd.h"

namespace beacon::compress {
namespace {

Status ZstdError(std::string_view what, size_t code) {
  return Status::Internal(std::string(what) + ": " + ZSTD_getErrorName(code));
}

}  // namespace

struct ZstdStreamCompressor::Impl {
  ZSTD_CCtx* ctx = nullptr;
  bool finished = false;
  ~Impl() { ZSTD_freeCCtx(ctx); }

  Status Drive(std::string_view data, ZSTD_EndDirective mode, std::string* out) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    const size_t chunk = ZSTD_CStreamOutSize();
    while (true) {
      const size_t base = out->size();
      out->resize(base + chunk);
      ZSTD_outBuffer buf{out->data() + base, chunk, 0};
      const size_t remaining = ZSTD_compressStream2(ctx, &buf, &in, mode);
      out->resize(base + buf.pos);
      if (ZSTD_isError(remaining)) return ZstdError("zstd compression failed", remaining);
      if (mode == ZSTD_e_continue) {
        if (in.pos == in.size) return Status::Ok();
      } else if (remaining == 0) {
        return Status::Ok();
      }
    }
  }
};

ZstdStreamCompressor::ZstdStreamCompressor() : impl_(std::make_unique<Impl>()) {}
ZstdStreamCompressor::~ZstdStreamCompressor() = default;

Status ZstdStreamCompressor::Init(int level, int workers) {
  if (impl_->ctx != nullptr)
    return Status::FailedPrecondition("zstd compressor already initialised");
  impl_->ctx = ZSTD_createCCtx();
  if (impl_->ctx == nullptr) return Status::ResourceExhausted("cannot allocate zstd context");
  level = std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel());
  size_t rc = ZSTD_CCtx_setParameter(impl_->ctx, ZSTD_c_compressionLevel, level);
  if (ZSTD_isError(rc)) return ZstdError("zstd level", rc);
  rc = ZSTD_CCtx_setParameter(impl_->ctx, ZSTD_c_checksumFlag, 1);
  if (ZSTD_isError(rc)) return ZstdError("zstd checksum flag", rc);
  if (workers > 0) {
    // A libzstd built without threads rejects this; compressing single-threaded is still right.
    (void)ZSTD_CCtx_setParameter(impl_->ctx, ZSTD_c_nbWorkers, workers);
  }
  return Status::Ok();
}

Status ZstdStreamCompressor::Compress(std::string_view data, std::string* out) {
  if (impl_->ctx == nullptr || impl_->finished) {
    return Status::FailedPrecondition("zstd Compress outside Init..Finish");
  }
  if (data.empty()) return Status::Ok();
  return impl_->Drive(data, ZSTD_e_continue, out);
}

Status ZstdStreamCompressor::Finish(std::string* out) {
  if (impl_->ctx == nullptr || impl_->finished) {
    return Status::FailedPrecondition("zstd Finish outside Init..Finish");
  }
  impl_->finished = true;
  return impl_->Drive({}, ZSTD_e_end, out);
}

Status ZstdStreamCompressor::CompressAndFinish(std::string_view data, std::string* out) {
  if (impl_->ctx == nullptr || impl_->finished) {
    return Status::FailedPrecondition("zstd Finish outside Init..Finish");
  }
  impl_->finished = true;
  return impl_->Drive(data, ZSTD_e_end, out);
}

struct ZstdStreamDecompressor::Impl {
  ZSTD_DCtx* ctx = nullptr;
  uint64_t max_output = 0;
  uint64_t produced = 0;
  uint64_t consumed = 0;
  size_t last_hint = 1;  // 0 once a frame is complete and nothing more is expected
  Status failed;
  ~Impl() { ZSTD_freeDCtx(ctx); }
};

ZstdStreamDecompressor::ZstdStreamDecompressor(uint64_t max_output)
    : impl_(std::make_unique<Impl>()) {
  impl_->ctx = ZSTD_createDCtx();
  impl_->max_output = max_output;
}
ZstdStreamDecompressor::~ZstdStreamDecompressor() = default;

uint64_t ZstdStreamDecompressor::output_bytes() const { return impl_->produced; }

Status ZstdStreamDecompressor::Decompress(std::string_view data, std::string* out) {
  return Decompress(data, [out](std::string_view piece) {
    out->append(piece);
    return Status::Ok();
  });
}

Status ZstdStreamDecompressor::Decompress(std::string_view data, const Sink& sink) {
  Impl& d = *impl_;
  if (d.ctx == nullptr) return Status::ResourceExhausted("cannot allocate zstd context");
  if (!d.failed.ok()) return d.failed;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  while (true) {
    ZSTD_outBuffer buf{chunk.data(), chunk.size(), 0};
    const size_t in_before = in.pos;
    const size_t hint = ZSTD_decompressStream(d.ctx, &buf, &in);
    if (ZSTD_isError(hint)) {
      d.failed = ZstdCorrupt(ZSTD_getErrorName(hint));
      return d.failed;
    }
    // A call without progress after a completed frame reports the next frame's header size.
    if (buf.pos > 0 || in.pos != in_before) d.last_hint = hint;
    d.produced += buf.pos;
    if (d.produced > d.max_output) {
      d.failed = Status::ResourceExhausted("zstd stream decompresses to more than " +
                                           std::to_string(d.max_output) + " bytes");
      return d.failed;
    }
    if (buf.pos > 0) {
      Status s = sink(std::string_view(chunk.data(), buf.pos));
      if (!s.ok()) {
        d.failed = s;
        return s;
      }
    }
    // Everything consumed and either the frame is complete and flushed (hint 0, even when the
    // output exactly filled the buffer) or the output was not filled (all flushed that can be).
    if (in.pos == in.size && (hint == 0 || buf.pos < buf.size)) break;
  }
  d.consumed += data.size();
  return Status::Ok();
}

Status ZstdStreamDecompressor::Finish() {
  Impl& d = *impl_;
  if (!d.failed.ok()) return d.failed;
  if (d.consumed == 0) return ZstdCorrupt("empty input");
  if (d.last_hint != 0) return ZstdCorrupt("truncated input");
  return Status::Ok();
}

}  // namespace beacon::compress
