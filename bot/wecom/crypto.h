// The WeCom callback cipher (WXBizMsgCrypt): SHA-1 message signatures and AES-256-CBC with the
// 32-byte PKCS#7 block over `random(16) | msg_len (u32 big-endian) | msg | receive_id`, with the
// C++ SDK's strict checks. Pure functions (randomness is passed in); a Crypto is immutable and
// safe to share between threads. No error message carries the key, the token or the plaintext.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::bot::wecom {

// The SDK's error codes (WXBizMsgCrypt's ierror), so a log line can be matched against WeCom's
// documentation. Every error Crypto returns has a message starting with
// "WXBizMsgCrypt <code> <name>: <text>"; CryptoErrorOf reads the code back.
enum class CryptoError : int {
  kOk = 0,
  kValidateSignature = -40001,
  kParseXml = -40002,
  kComputeSignature = -40003,
  kIllegalAesKey = -40004,
  kValidateReceiveId = -40005,
  kEncryptAes = -40006,
  kDecryptAes = -40007,
  kIllegalBuffer = -40008,
  kEncodeBase64 = -40009,
  kDecodeBase64 = -40010,
  kGenReturnXml = -40011,
};

// "ValidateSignature_Error" (the SDK's name) and a sentence saying what it means.
std::string_view CryptoErrorName(CryptoError error);
std::string_view CryptoErrorText(CryptoError error);
// A Status for `error` (its StatusCode chosen so the HTTP mapping is right: signature
// Unauthenticated, receive id PermissionDenied, bad input InvalidArgument, our own failures
// Internal); `detail` is appended and must not contain secrets or plaintext.
Status CryptoStatus(CryptoError error, std::string_view detail = {});
// The code of a Status made by CryptoStatus (context added with WithContext allowed); kOk for
// OK, kIllegalBuffer for any other Status.
CryptoError CryptoErrorOf(const Status& status);

inline constexpr size_t kEncodingAesKeyChars = 43;
inline constexpr size_t kRandomBytes = 16;
// The SDK pads to 32-byte blocks (its key size), not AES's 16.
inline constexpr size_t kPadBlockBytes = 32;

struct Decrypted {
  std::string msg;
  std::string receive_id;
  std::string random;  // the 16 leading bytes, so a test can re-encrypt byte for byte
};

class Crypto {
 public:
  // IllegalAesKey unless `encoding_aes_key` is 43 base64 characters decoding to 32 bytes.
  // `receive_id` is the CorpID for a self-built app and "" for the intelligent robot.
  static Result<Crypto> Create(std::string token, std::string_view encoding_aes_key,
                               std::string receive_id);

  // lowercase_hex(SHA1(concat(sort([token, timestamp, nonce, encrypt])))).
  std::string Signature(std::string_view timestamp, std::string_view nonce,
                        std::string_view encrypt) const;
  // True when `signature` equals Signature(...) exactly (compared in constant time).
  bool VerifySignature(std::string_view signature, std::string_view timestamp,
                       std::string_view nonce, std::string_view encrypt) const;
  // Base64 of AES(random16 | len | msg | receive_id | pad). EncryptAES_Error unless `random16`
  // is 16 bytes or when msg is larger than 4 GiB.
  Result<std::string> Encrypt(std::string_view msg, std::string_view random16) const;
  // The inverse, with the SDK's checks: DecodeBase64_Error for bad base64; DecryptAES_Error
  // when the ciphertext is shorter than 32 bytes, not a multiple of 32, or its padding is not
  // 1..32 equal bytes; IllegalBuffer when msg_len does not fit; ValidateCorpid_Error when the
  // trailing receive id is not this Crypto's.
  Result<Decrypted> Decrypt(std::string_view encrypt) const;
  // VerifySignature (ValidateSignature_Error) then Decrypt; returns the message.
  Result<std::string> VerifyAndDecrypt(std::string_view signature, std::string_view timestamp,
                                       std::string_view nonce, std::string_view encrypt) const;

  const std::string& receive_id() const { return receive_id_; }

 private:
  Crypto(std::string token, std::string aes_key, std::string receive_id)
      : token_(std::move(token)),
        aes_key_(std::move(aes_key)),
        receive_id_(std::move(receive_id)) {}

  std::string token_;
  std::string aes_key_;  // 32 bytes; the IV is its first 16
  std::string receive_id_;
};

}  // namespace beacon::bot::wecom
