// zstd compression for wire bodies (Content-Encoding: zstd) and, later, backups.
// Decompression is bounded so a hostile frame cannot exhaust memory. Thread-safe (no state).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::compress {

std::string ZstdCompress(std::string_view data, int level = 3);
// Fails with InvalidArgument on a corrupt or truncated stream, ResourceExhausted when the
// output would exceed max_output bytes. Handles frames without a content size (streaming).
Result<std::string> ZstdDecompress(std::string_view data, size_t max_output);

// The InvalidArgument both decoders (this one and zstd_stream.h's) return for a corrupt stream.
Status ZstdCorrupt(std::string_view why);

}  // namespace beacon::compress
