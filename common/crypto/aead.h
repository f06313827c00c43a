// AES-256-GCM streaming authenticated encryption on OpenSSL EVP (client-side backup
// encryption). One object per message; owned by one thread at a time. Keys never appear in errors.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::crypto {

inline constexpr size_t kAesGcmKeyBytes = 32;
inline constexpr size_t kAesGcmIvBytes = 12;
inline constexpr size_t kAesGcmTagBytes = 16;

// Init(key, iv) once, Update() any number of times (ciphertext is appended to *out, same
// length as the input), Final() once: returns the 16-byte tag.
class AesGcmEncryptor {
 public:
  AesGcmEncryptor();
  ~AesGcmEncryptor();
  AesGcmEncryptor(const AesGcmEncryptor&) = delete;
  AesGcmEncryptor& operator=(const AesGcmEncryptor&) = delete;

  // InvalidArgument unless key is 32 bytes and iv 12 bytes. `aad` is authenticated, not encrypted.
  Status Init(std::string_view key, std::string_view iv, std::string_view aad = {});
  Status Update(std::string_view plaintext, std::string* out);
  Result<std::string> Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Init(key, iv), Update() (plaintext appended to *out; NOT authenticated until Final
// succeeds, so callers must not publish it before), Final(tag): Corruption when the tag does
// not verify (wrong key, tampered or truncated data).
class AesGcmDecryptor {
 public:
  AesGcmDecryptor();
  ~AesGcmDecryptor();
  AesGcmDecryptor(const AesGcmDecryptor&) = delete;
  AesGcmDecryptor& operator=(const AesGcmDecryptor&) = delete;

  Status Init(std::string_view key, std::string_view iv, std::string_view aad = {});
  Status Update(std::string_view ciphertext, std::string* out);
  Status Final(std::string_view tag);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot helpers: ciphertext || tag, and its inverse (Corruption on a bad tag).
Result<std::string> AesGcmSeal(std::string_view key, std::string_view iv,
                               std::string_view plaintext, std::string_view aad = {});
Result<std::string> AesGcmOpen(std::string_view key, std::string_view iv, std::string_view sealed,
                               std::string_view aad = {});

}  // namespace beacon::crypto
