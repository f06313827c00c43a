// AES-256-CBC without cipher padding on OpenSSL EVP, for protocols that pad on their own (the
// WeCom callback's 32-byte PKCS#7, bot/wecom/crypto.h). Pure functions; thread-safe. Keys never
// appear in errors.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::crypto {

inline constexpr size_t kAesCbcKeyBytes = 32;
inline constexpr size_t kAesBlockBytes = 16;

// Encrypts or decrypts `data`, whose length must be a multiple of 16 bytes (the caller padded
// it), with a 32-byte key and a 16-byte IV; the output has the input's length. InvalidArgument
// for a wrong key, IV or data length; Internal when OpenSSL fails.
Result<std::string> Aes256CbcEncryptNoPadding(std::string_view key, std::string_view iv,
                                              std::string_view data);
Result<std::string> Aes256CbcDecryptNoPadding(std::string_view key, std::string_view iv,
                                              std::string_view data);

}  // namespace beacon::crypto
