// Hashing, MACs, encodings and secure randomness, all through OpenSSL EVP.
// Pure functions; Sha256 is a streaming hasher owned by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::crypto {

using Digest256 = std::array<uint8_t, 32>;

// Streaming SHA-256: Update() any number of times, then Final() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  void Update(const void* data, size_t size);
  Digest256 Final();
  std::string FinalHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view data);
Digest256 Sha256Digest(std::string_view data);
std::string Sha1Raw(std::string_view data);
// MD5 for protocol checksums only (Content-MD5, S3/OSS ETags), never for security.
std::string Md5Raw(std::string_view data);
// Raw (binary) MAC bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha1(std::string_view key, std::string_view data);

std::string HexEncode(std::string_view bytes);  // lower case
Result<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);         // standard alphabet, padded, no newlines
Result<std::string> Base64Decode(std::string_view text);  // rejects invalid characters
std::string Base64UrlEncode(std::string_view bytes);      // URL-safe alphabet, no padding

// Cryptographically secure random bytes (RAND_bytes); aborts only if the CSPRNG is broken.
std::string RandomBytes(size_t n);
// Random token suitable for bearer credentials: 32 random bytes, URL-safe base64.
std::string RandomToken();
// Compares in time independent of where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace beacon::crypto
