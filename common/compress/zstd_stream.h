// Streaming zstd compression (optionally multithreaded) and bounded streaming decompression,
// for files too big to hold in memory (backups). One object per stream, one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::compress {

// Init() once, Compress() any number of times (output appended to *out), Finish() once.
// With workers >= 1 zstd compresses in that many background threads; the output is the same
// for the same input, level and workers >= 1 whatever the input chunking (resumable uploads
// rely on this), but differs from workers = 0.
class ZstdStreamCompressor {
 public:
  ZstdStreamCompressor();
  ~ZstdStreamCompressor();
  ZstdStreamCompressor(const ZstdStreamCompressor&) = delete;
  ZstdStreamCompressor& operator=(const ZstdStreamCompressor&) = delete;

  // level is clamped to zstd's range. ResourceExhausted when a context cannot be allocated.
  Status Init(int level, int workers = 0);
  Status Compress(std::string_view data, std::string* out);
  Status Finish(std::string* out);
  // Compress(data) + Finish() in one step. On a fresh stream zstd then knows the input size:
  // it sizes its tables to it (much cheaper for small inputs) and records it in the frame.
  Status CompressAndFinish(std::string_view data, std::string* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decompress() any number of times (output appended to *out), Finish() once.
// InvalidArgument for a corrupt stream; ResourceExhausted once the output exceeds max_output;
// Finish() fails with InvalidArgument when the stream was cut short.
class ZstdStreamDecompressor {
 public:
  explicit ZstdStreamDecompressor(uint64_t max_output);
  ~ZstdStreamDecompressor();
  ZstdStreamDecompressor(const ZstdStreamDecompressor&) = delete;
  ZstdStreamDecompressor& operator=(const ZstdStreamDecompressor&) = delete;

  Status Decompress(std::string_view data, std::string* out);
  // As above, handing the output to `sink` in pieces of at most ZSTD_DStreamOutSize() (128 KiB),
  // so a highly compressed input never has to fit in memory. A sink error stops and is returned.
  using Sink = std::function<Status(std::string_view)>;
  Status Decompress(std::string_view data, const Sink& sink);
  Status Finish();
  uint64_t output_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::compress
