// WXBizMsgCrypt on common/crypto (SHA-1, base64, AES-256-CBC without EVP padding).
#include "bot/wecom/crypto.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "common/crypto/aes_cbc.h"
#include "common/crypto/crypto.h"

namespace beacon::bot::wecom {
namespace {

constexpr std::string_view kPrefix = "WXBizMsgCrypt ";
constexpr size_t kLengthBytes = 4;

struct ErrorInfo {
  CryptoError error;
  std::string_view name;
  std::string_view text;
  StatusCode code;
};

constexpr std::array<ErrorInfo, 12> kErrors = {{
    {CryptoError::kOk, "OK", "success", StatusCode::kOk},
    {CryptoError::kValidateSignature, "ValidateSignature_Error",
     "msg_signature does not match the token, timestamp, nonce and ciphertext",
     StatusCode::kUnauthenticated},
    {CryptoError::kParseXml, "ParseXml_Error", "the request body is not a callback envelope",
     StatusCode::kInvalidArgument},
    {CryptoError::kComputeSignature, "ComputeSignature_Error", "cannot compute the signature",
     StatusCode::kInternal},
    {CryptoError::kIllegalAesKey, "IllegalAesKey",
     "EncodingAESKey must be 43 base64 characters decoding to 32 bytes",
     StatusCode::kInvalidArgument},
    {CryptoError::kValidateReceiveId, "ValidateCorpid_Error",
     "the message is for another receive id (CorpID, or empty for the intelligent robot)",
     StatusCode::kPermissionDenied},
    {CryptoError::kEncryptAes, "EncryptAES_Error", "cannot encrypt the message",
     StatusCode::kInternal},
    {CryptoError::kDecryptAes, "DecryptAES_Error",
     "the ciphertext does not decrypt to a padded message (wrong key or damaged data)",
     StatusCode::kInvalidArgument},
    {CryptoError::kIllegalBuffer, "IllegalBuffer",
     "the decrypted message is shorter than its length field says", StatusCode::kInvalidArgument},
    {CryptoError::kEncodeBase64, "EncodeBase64_Error", "cannot encode the ciphertext",
     StatusCode::kInternal},
    {CryptoError::kDecodeBase64, "DecodeBase64_Error", "the ciphertext is not valid base64",
     StatusCode::kInvalidArgument},
    {CryptoError::kGenReturnXml, "GenReturnXml_Error", "cannot build the encrypted reply",
     StatusCode::kInternal},
}};

const ErrorInfo& Info(CryptoError error) {
  for (const ErrorInfo& info : kErrors) {
    if (info.error == error) return info;
  }
  return kErrors[8];  // IllegalBuffer: not reachable for a value of the enum
}

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string_view CryptoErrorName(CryptoError error) { return Info(error).name; }
std::string_view CryptoErrorText(CryptoError error) { return Info(error).text; }

Status CryptoStatus(CryptoError error, std::string_view detail) {
  const ErrorInfo& info = Info(error);
  if (info.code == StatusCode::kOk) return Status::Ok();
  std::string message(kPrefix);
  message += std::to_string(static_cast<int>(error));
  message += ' ';
  message += info.name;
  message += ": ";
  message += info.text;
  if (!detail.empty()) {
    message += " (";
    message += detail;
    message += ')';
  }
  return Status(info.code, std::move(message));
}

CryptoError CryptoErrorOf(const Status& status) {
  if (status.ok()) return CryptoError::kOk;
  std::string_view message = status.message();
  // Found after any context a caller added (Status::WithContext).
  if (const size_t at = message.find(kPrefix); at != std::string_view::npos) {
    message.remove_prefix(at + kPrefix.size());
    for (const ErrorInfo& info : kErrors) {
      const std::string code = std::to_string(static_cast<int>(info.error)) + " ";
      if (info.code != StatusCode::kOk && message.substr(0, code.size()) == code) {
        return info.error;
      }
    }
  }
  return CryptoError::kIllegalBuffer;
}

Result<Crypto> Crypto::Create(std::string token, std::string_view encoding_aes_key,
                              std::string receive_id) {
  if (encoding_aes_key.size() != kEncodingAesKeyChars) {
    return CryptoStatus(CryptoError::kIllegalAesKey,
                        "got " + std::to_string(encoding_aes_key.size()) + " characters");
  }
  // 43 characters carry 258 bits: the SDKs' decoders ignore the last two, and keys WeCom
  // issues do not always have them zero, so clear them before the strict decoder sees them.
  std::string padded(encoding_aes_key);
  const size_t last = kAlphabet.find(padded.back());
  if (last == std::string_view::npos) {
    return CryptoStatus(CryptoError::kIllegalAesKey, "not base64");
  }
  padded.back() = kAlphabet[last & ~size_t{3}];
  padded += '=';
  Result<std::string> key = crypto::Base64Decode(padded);
  if (!key.ok()) return CryptoStatus(CryptoError::kIllegalAesKey, "not base64");
  if (key->size() != crypto::kAesCbcKeyBytes) {
    return CryptoStatus(CryptoError::kIllegalAesKey, "does not decode to 32 bytes");
  }
  return Crypto(std::move(token), std::move(key).value(), std::move(receive_id));
}

std::string Crypto::Signature(std::string_view timestamp, std::string_view nonce,
                              std::string_view encrypt) const {
  std::array<std::string_view, 4> parts = {token_, timestamp, nonce, encrypt};
  std::sort(parts.begin(), parts.end());
  std::string joined;
  joined.reserve(token_.size() + timestamp.size() + nonce.size() + encrypt.size());
  for (std::string_view part : parts) joined += part;
  return crypto::HexEncode(crypto::Sha1Raw(joined));
}

bool Crypto::VerifySignature(std::string_view signature, std::string_view timestamp,
                             std::string_view nonce, std::string_view encrypt) const {
  return crypto::ConstantTimeEquals(signature, Signature(timestamp, nonce, encrypt));
}

Result<std::string> Crypto::Encrypt(std::string_view msg, std::string_view random16) const {
  if (random16.size() != kRandomBytes) {
    return CryptoStatus(CryptoError::kEncryptAes, "the random prefix must be 16 bytes");
  }
  if (msg.size() > UINT32_MAX) return CryptoStatus(CryptoError::kEncryptAes, "message too long");
  const auto length = static_cast<uint32_t>(msg.size());
  std::string plain;
  const size_t unpadded = kRandomBytes + kLengthBytes + msg.size() + receive_id_.size();
  const size_t pad = kPadBlockBytes - unpadded % kPadBlockBytes;
  plain.reserve(unpadded + pad);
  plain += random16;
  plain += static_cast<char>((length >> 24) & 0xff);
  plain += static_cast<char>((length >> 16) & 0xff);
  plain += static_cast<char>((length >> 8) & 0xff);
  plain += static_cast<char>(length & 0xff);
  plain += msg;
  plain += receive_id_;
  plain.append(pad, static_cast<char>(pad));
  Result<std::string> cipher = crypto::Aes256CbcEncryptNoPadding(
      aes_key_, std::string_view(aes_key_).substr(0, crypto::kAesBlockBytes), plain);
  if (!cipher.ok()) return CryptoStatus(CryptoError::kEncryptAes);
  return crypto::Base64Encode(*cipher);
}

Result<Decrypted> Crypto::Decrypt(std::string_view encrypt) const {
  Result<std::string> cipher = crypto::Base64Decode(encrypt);
  if (!cipher.ok()) return CryptoStatus(CryptoError::kDecodeBase64, cipher.status().message());
  if (cipher->size() < kPadBlockBytes || cipher->size() % kPadBlockBytes != 0) {
    return CryptoStatus(
        CryptoError::kDecryptAes,
        "ciphertext of " + std::to_string(cipher->size()) + " bytes is not whole 32-byte blocks");
  }
  Result<std::string> plain = crypto::Aes256CbcDecryptNoPadding(
      aes_key_, std::string_view(aes_key_).substr(0, crypto::kAesBlockBytes), *cipher);
  if (!plain.ok()) return CryptoStatus(CryptoError::kDecryptAes);
  std::string& text = *plain;
  const size_t pad = static_cast<unsigned char>(text.back());
  if (pad < 1 || pad > kPadBlockBytes) {
    return CryptoStatus(CryptoError::kDecryptAes, "padding byte out of 1..32");
  }
  // Every pad byte equal: a wrong key fails here rather than as a garbled message.
  for (size_t i = text.size() - pad; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) != pad) {
      return CryptoStatus(CryptoError::kDecryptAes, "inconsistent padding");
    }
  }
  text.resize(text.size() - pad);
  if (text.size() <= kRandomBytes + kLengthBytes) {
    return CryptoStatus(CryptoError::kIllegalBuffer, "no room for the length field");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data()) + kRandomBytes;
  const uint64_t length = (uint64_t{bytes[0]} << 24) | (uint64_t{bytes[1]} << 16) |
                          (uint64_t{bytes[2]} << 8) | uint64_t{bytes[3]};
  const size_t header = kRandomBytes + kLengthBytes;
  if (length > text.size() - header) {
    return CryptoStatus(CryptoError::kIllegalBuffer,
                        "msg_len " + std::to_string(length) + " exceeds the " +
                            std::to_string(text.size() - header) + " bytes left");
  }
  Decrypted out;
  out.random = text.substr(0, kRandomBytes);
  out.msg = text.substr(header, static_cast<size_t>(length));
  out.receive_id = text.substr(header + static_cast<size_t>(length));
  if (out.receive_id != receive_id_) {
    // Receive ids are not secret (CorpIDs appear in every message), but the one sent may be
    // garbage from a wrong key: give only its length.
    return CryptoStatus(CryptoError::kValidateReceiveId,
                        "got " + std::to_string(out.receive_id.size()) + " bytes");
  }
  return out;
}

Result<std::string> Crypto::VerifyAndDecrypt(std::string_view signature, std::string_view timestamp,
                                             std::string_view nonce,
                                             std::string_view encrypt) const {
  if (!VerifySignature(signature, timestamp, nonce, encrypt)) {
    return CryptoStatus(CryptoError::kValidateSignature);
  }
  BEACON_ASSIGN_OR_RETURN(Decrypted decrypted, Decrypt(encrypt));
  return std::move(decrypted.msg);
}

}  // namespace beacon::bot::wecom
