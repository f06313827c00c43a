// AES-256-CBC over EVP_aes_256_cbc with EVP padding switched off.
#include "common/crypto/aes_cbc.h"

#include <openssl/evp.h>

#include <climits>
#include <memory>

namespace beacon::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

Result<std::string> Run(bool encrypt, std::string_view key, std::string_view iv,
                        std::string_view data) {
  if (key.size() != kAesCbcKeyBytes) {
    return Status::InvalidArgument("AES-256-CBC key must be 32 bytes, got " +
                                   std::to_string(key.size()));
  }
  if (iv.size() != kAesBlockBytes) {
    return Status::InvalidArgument("AES-256-CBC IV must be 16 bytes, got " +
                                   std::to_string(iv.size()));
  }
  if (data.size() % kAesBlockBytes != 0) {
    return Status::InvalidArgument(
        "AES-256-CBC without padding needs a multiple of 16 bytes, got " +
        std::to_string(data.size()));
  }
  if (data.size() > static_cast<size_t>(INT_MAX - kAesBlockBytes)) {
    return Status::ResourceExhausted("AES-256-CBC input too large");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status::ResourceExhausted("cannot allocate cipher context");
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  const auto* iv_bytes = reinterpret_cast<const unsigned char*>(iv.data());
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key_bytes, iv_bytes,
                        encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return Status::Internal("AES-256-CBC initialisation failed");
  }
  std::string out(data.size() + kAesBlockBytes, '\0');
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  int len = 0;
  int final_len = 0;
  if (EVP_CipherUpdate(ctx.get(), out_bytes, &len,
                       reinterpret_cast<const unsigned char*>(data.data()),
                       static_cast<int>(data.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out_bytes + len, &final_len) != 1) {
    return Status::Internal(encrypt ? "AES-256-CBC encryption failed"
                                    : "AES-256-CBC decryption failed");
  }
  out.resize(static_cast<size_t>(len + final_len));
  return out;
}

}  // namespace

Result<std::string> Aes256CbcEncryptNoPadding(std::string_view key, std::string_view iv,
                                              std::string_view data) {
  return Run(true, key, iv, data);
}

Result<std::string> Aes256CbcDecryptNoPadding(std::string_view key, std::string_view iv,
                                              std::string_view data) {
  return Run(false, key, iv, data);
}

}  // namespace beacon::crypto
