// AES-256-GCM over OpenSSL EVP_aes_256_gcm with 12-byte IVs and 16-byte tags.
// Error texts name the failing step only; key material never reaches a message.
#include "common/crypto/aead.h"

#include <openssl/evp.h>

#include <climits>

namespace beacon::crypto {
namespace {

struct CipherCtx {
  EVP_CIPHER_CTX* ctx = nullptr;
  bool initialised = false;
  bool finished = false;
  CipherCtx() : ctx(EVP_CIPHER_CTX_new()) {}
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};

Status CheckKeyIv(std::string_view key, std::string_view iv) {
  if (key.size() != kAesGcmKeyBytes) {
    return Status::InvalidArgument("AES-256-GCM key must be 32 bytes, got " +
                                   std::to_string(key.size()));
  }
  if (iv.size() != kAesGcmIvBytes) {
    return Status::InvalidArgument("AES-256-GCM IV must be 12 bytes, got " +
                                   std::to_string(iv.size()));
  }
  return Status::Ok();
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// EVP takes int lengths: feed large buffers in slices.
constexpr size_t kSlice = 1 << 30;

Status Init(CipherCtx& c, bool encrypt, std::string_view key, std::string_view iv,
            std::string_view aad) {
  BEACON_RETURN_IF_ERROR(CheckKeyIv(key, iv));
  if (c.ctx == nullptr) return Status::ResourceExhausted("cannot allocate cipher context");
  if (c.initialised) return Status::FailedPrecondition("AES-GCM context already initialised");
  const auto init = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  if (init(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) !=
          1 ||
      init(c.ctx, nullptr, nullptr, Bytes(key), Bytes(iv)) != 1) {
    return Status::Internal("AES-GCM initialisation failed");
  }
  for (size_t off = 0; off < aad.size(); off += kSlice) {
    const std::string_view part = aad.substr(off, kSlice);
    int len = 0;
    const auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
    if (update(c.ctx, nullptr, &len, Bytes(part), static_cast<int>(part.size())) != 1) {
      return Status::Internal("AES-GCM AAD update failed");
    }
  }
  c.initialised = true;
  return Status::Ok();
}

Status Update(CipherCtx& c, bool encrypt, std::string_view in, std::string* out) {
  if (!c.initialised || c.finished) {
    return Status::FailedPrecondition("AES-GCM Update outside Init..Final");
  }
  const size_t base = out->size();
  out->resize(base + in.size());
  size_t written = 0;
  for (size_t off = 0; off < in.size(); off += kSlice) {
    const std::string_view part = in.substr(off, kSlice);
    int len = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out->data() + base + written);
    const int rc =
        encrypt ? EVP_EncryptUpdate(c.ctx, dst, &len, Bytes(part), static_cast<int>(part.size()))
                : EVP_DecryptUpdate(c.ctx, dst, &len, Bytes(part), static_cast<int>(part.size()));
    if (rc != 1) {
      out->resize(base);
      return Status::Internal("AES-GCM update failed");
    }
    written += static_cast<size_t>(len);
  }
  // GCM is a stream mode: output length equals input length.
  out->resize(base + written);
  return Status::Ok();
}

}  // namespace

struct AesGcmEncryptor::Impl {
  CipherCtx c;
};
struct AesGcmDecryptor::Impl {
  CipherCtx c;
};

AesGcmEncryptor::AesGcmEncryptor() : impl_(std::make_unique<Impl>()) {}
AesGcmEncryptor::~AesGcmEncryptor() = default;

Status AesGcmEncryptor::Init(std::string_view key, std::string_view iv, std::string_view aad) {
  return crypto::Init(impl_->c, true, key, iv, aad);
}

Status AesGcmEncryptor::Update(std::string_view plaintext, std::string* out) {
  return crypto::Update(impl_->c, true, plaintext, out);
}

Result<std::string> AesGcmEncryptor::Final() {
  CipherCtx& c = impl_->c;
  if (!c.initialised || c.finished) return Status::FailedPrecondition("AES-GCM Final twice");
  unsigned char rest[32];
  int len = 0;
  if (EVP_EncryptFinal_ex(c.ctx, rest, &len) != 1) return Status::Internal("AES-GCM final failed");
  std::string tag(kAesGcmTagBytes, '\0');
  if (EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()), tag.data()) !=
      1) {
    return Status::Internal("AES-GCM tag retrieval failed");
  }
  c.finished = true;
  return tag;
}

AesGcmDecryptor::AesGcmDecryptor() : impl_(std::make_unique<Impl>()) {}
AesGcmDecryptor::~AesGcmDecryptor() = default;

Status AesGcmDecryptor::Init(std::string_view key, std::string_view iv, std::string_view aad) {
  return crypto::Init(impl_->c, false, key, iv, aad);
}

Status AesGcmDecryptor::Update(std::string_view ciphertext, std::string* out) {
  return crypto::Update(impl_->c, false, ciphertext, out);
}

Status AesGcmDecryptor::Final(std::string_view tag) {
  CipherCtx& c = impl_->c;
  if (!c.initialised || c.finished) return Status::FailedPrecondition("AES-GCM Final twice");
  if (tag.size() != kAesGcmTagBytes) {
    return Status::Corruption("AES-GCM tag must be 16 bytes, got " + std::to_string(tag.size()));
  }
  std::string tag_copy(tag);
  if (EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_copy.size()),
                          tag_copy.data()) != 1) {
    return Status::Internal("AES-GCM set tag failed");
  }
  unsigned char rest[32];
  int len = 0;
  c.finished = true;
  if (EVP_DecryptFinal_ex(c.ctx, rest, &len) != 1) {
    return Status::Corruption(
        "AES-GCM authentication failed (wrong key, or the data was altered or truncated)");
  }
  return Status::Ok();
}

Result<std::string> AesGcmSeal(std::string_view key, std::string_view iv,
                               std::string_view plaintext, std::string_view aad) {
  AesGcmEncryptor enc;
  BEACON_RETURN_IF_ERROR(enc.Init(key, iv, aad));
  std::string out;
  out.reserve(plaintext.size() + kAesGcmTagBytes);
  BEACON_RETURN_IF_ERROR(enc.Update(plaintext, &out));
  BEACON_ASSIGN_OR_RETURN(std::string tag, enc.Final());
  out += tag;
  return out;
}

Result<std::string> AesGcmOpen(std::string_view key, std::string_view iv, std::string_view sealed,
                               std::string_view aad) {
  if (sealed.size() < kAesGcmTagBytes) {
    return Status::Corruption("AES-GCM message shorter than its tag");
  }
  AesGcmDecryptor dec;
  BEACON_RETURN_IF_ERROR(dec.Init(key, iv, aad));
  std::string out;
  BEACON_RETURN_IF_ERROR(dec.Update(sealed.substr(0, sealed.size() - kAesGcmTagBytes), &out));
  BEACON_RETURN_IF_ERROR(dec.Final(sealed.substr(sealed.size() - kAesGcmTagBytes)));
  return out;
}

}  // namespace beacon::crypto
