// bot/wecom/crypto.h against every published WXBizMsgCrypt vector, and each of the SDK's
// rejections on damaged input.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "bot/wecom/crypto.h"
#include "common/crypto/aes_cbc.h"
#include "common/crypto/crypto.h"
#include "tests/unit/bot/wecom_vectors.h"

namespace beacon::bot::wecom {
namespace {

namespace v = vectors;

Crypto V1() {
  Result<Crypto> c = Crypto::Create(std::string(v::kV1Token), v::kV1Key, std::string(v::kV1CorpId));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

Crypto V2(std::string receive_id = std::string(v::kV2ReceiveId)) {
  Result<Crypto> c = Crypto::Create(std::string(v::kV2Token), v::kV2Key, std::move(receive_id));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

// Encrypts a hand-made plaintext (already padded to whole blocks) with V1's key, so the tests can
// put any bytes where the SDK's checks look.
std::string V1CipherOf(const std::string& plain) {
  const std::string key = crypto::HexDecode(v::kV1AesKeyHex).value();
  Result<std::string> cipher = crypto::Aes256CbcEncryptNoPadding(key, key.substr(0, 16), plain);
  EXPECT_TRUE(cipher.ok()) << cipher.status().ToString();
  return crypto::Base64Encode(cipher.value_or(""));
}

std::string Length(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
          static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

// random | len | msg | corp id, padded to 32-byte blocks with `pad_byte` in every pad position
// (a consistent pad when pad_byte equals the pad length).
std::string Plain(const std::string& msg, uint32_t length, int pad_length, int pad_byte) {
  std::string plain = std::string(16, 'r') + Length(length) + msg + std::string(v::kV1CorpId);
  plain.append(static_cast<size_t>(pad_length), static_cast<char>(pad_byte));
  return plain;
}

void ExpectError(const Status& status, CryptoError error) {
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(CryptoErrorOf(status), error) << status.ToString();
  // No secret or plaintext in any message.
  for (std::string_view secret : {v::kV1Token, v::kV1Key, v::kV2Token, v::kV2Key}) {
    EXPECT_EQ(status.message().find(secret), std::string::npos) << status.message();
  }
  EXPECT_EQ(status.message().find("ChenJiaShun"), std::string::npos);
}

TEST(WecomCryptoTest, V1UrlVerification) {
  Crypto c = V1();
  EXPECT_EQ(c.Signature(v::kV1UrlTimestamp, v::kV1UrlNonce, v::kV1UrlEchostr), v::kV1UrlSignature);
  Result<std::string> reply =
      c.VerifyAndDecrypt(v::kV1UrlSignature, v::kV1UrlTimestamp, v::kV1UrlNonce, v::kV1UrlEchostr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, v::kV1UrlReply);
}

TEST(WecomCryptoTest, V1MessageDecryptsAndReEncryptsByteForByte) {
  Crypto c = V1();
  EXPECT_EQ(c.Signature(v::kV1MsgTimestamp, v::kV1MsgNonce, v::kV1MsgEncrypt), v::kV1MsgSignature);
  Result<std::string> msg =
      c.VerifyAndDecrypt(v::kV1MsgSignature, v::kV1MsgTimestamp, v::kV1MsgNonce, v::kV1MsgEncrypt);
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(*msg, v::kV1MsgPlain);
  Result<Decrypted> decrypted = c.Decrypt(v::kV1MsgEncrypt);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(decrypted->random, v::kV1MsgRandom);
  EXPECT_EQ(decrypted->receive_id, v::kV1CorpId);
  Result<std::string> again = c.Encrypt(v::kV1MsgPlain, v::kV1MsgRandom);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, v::kV1MsgEncrypt);
}

TEST(WecomCryptoTest, V2UrlVerification) {
  Crypto c = V2();
  Result<std::string> reply =
      c.VerifyAndDecrypt(v::kV2UrlSignature, v::kV2UrlTimestamp, v::kV2UrlNonce, v::kV2UrlEchostr);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, v::kV2UrlReply);
}

TEST(WecomCryptoTest, V2XmlMessageDecryptsAndReEncryptsByteForByte) {
  Crypto c = V2();
  Result<std::string> msg =
      c.VerifyAndDecrypt(v::kV2XmlSignature, v::kV2MsgTimestamp, v::kV2MsgNonce, v::kV2XmlEncrypt);
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(*msg, v::kV2XmlPlain);
  Result<std::string> again = c.Encrypt(v::kV2XmlPlain, v::kV2XmlRandom);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, v::kV2XmlEncrypt);
}

TEST(WecomCryptoTest, V2JsonMessageDecryptsAndReEncryptsByteForByte) {
  Crypto c = V2();
  Result<std::string> msg = c.VerifyAndDecrypt(v::kV2JsonSignature, v::kV2MsgTimestamp,
                                               v::kV2MsgNonce, v::kV2JsonEncrypt);
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(*msg, v::kV2JsonPlain);
  Result<std::string> again = c.Encrypt(v::kV2JsonPlain, v::kV2JsonRandom);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, v::kV2JsonEncrypt);
}

TEST(WecomCryptoTest, EmptyReceiveIdRoundTripsForTheIntelligentRobot) {
  Crypto robot = V2("");
  Result<std::string> cipher = robot.Encrypt(R"({"msgid":"1"})", "0123456789abcdef");
  ASSERT_TRUE(cipher.ok());
  Result<Decrypted> back = robot.Decrypt(*cipher);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->msg, R"({"msgid":"1"})");
  EXPECT_EQ(back->receive_id, "");
  // The app's Crypto refuses what the robot was sent, and the other way round.
  ExpectError(V2().Decrypt(*cipher).status(), CryptoError::kValidateReceiveId);
  ExpectError(robot.Decrypt(v::kV2XmlEncrypt).status(), CryptoError::kValidateReceiveId);
}

TEST(WecomCryptoTest, WrongSignatureIsValidateSignatureError) {
  Crypto c = V1();
  std::string bad(v::kV1MsgSignature);
  bad[0] = bad[0] == '0' ? '1' : '0';
  ExpectError(
      c.VerifyAndDecrypt(bad, v::kV1MsgTimestamp, v::kV1MsgNonce, v::kV1MsgEncrypt).status(),
      CryptoError::kValidateSignature);
  // Upper-case hex is a different string: the SDK compares exactly.
  std::string upper(v::kV1MsgSignature);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  ExpectError(
      c.VerifyAndDecrypt(upper, v::kV1MsgTimestamp, v::kV1MsgNonce, v::kV1MsgEncrypt).status(),
      CryptoError::kValidateSignature);
  // Another timestamp, or the V2 token, breaks the signature too.
  ExpectError(c.VerifyAndDecrypt(v::kV1MsgSignature, "1476422780", v::kV1MsgNonce, v::kV1MsgEncrypt)
                  .status(),
              CryptoError::kValidateSignature);
  ExpectError(V2().VerifyAndDecrypt(v::kV1MsgSignature, v::kV1MsgTimestamp, v::kV1MsgNonce,
                                    v::kV1MsgEncrypt)
                  .status(),
              CryptoError::kValidateSignature);
}

TEST(WecomCryptoTest, WrongReceiveIdIsValidateCorpidError) {
  Result<Crypto> other = Crypto::Create(std::string(v::kV1Token), v::kV1Key, "wwanothercorp0000");
  ASSERT_TRUE(other.ok());
  ExpectError(other
                  ->VerifyAndDecrypt(v::kV1MsgSignature, v::kV1MsgTimestamp, v::kV1MsgNonce,
                                     v::kV1MsgEncrypt)
                  .status(),
              CryptoError::kValidateReceiveId);
}

TEST(WecomCryptoTest, WrongKeyIsIllegalAesKey) {
  std::string key(v::kV1Key);
  ExpectError(Crypto::Create("t", key.substr(0, 42), "").status(), CryptoError::kIllegalAesKey);
  ExpectError(Crypto::Create("t", key + "A", "").status(), CryptoError::kIllegalAesKey);
  ExpectError(Crypto::Create("t", "", "").status(), CryptoError::kIllegalAesKey);
  std::string bad_char = key;
  bad_char[10] = '*';
  ExpectError(Crypto::Create("t", bad_char, "").status(), CryptoError::kIllegalAesKey);
  std::string bad_last = key;
  bad_last.back() = '=';
  ExpectError(Crypto::Create("t", bad_last, "").status(), CryptoError::kIllegalAesKey);
}

TEST(WecomCryptoTest, AnotherValidKeyFailsToDecryptWithoutCrashing) {
  Result<Crypto> other =
      Crypto::Create(std::string(v::kV1Token), v::kV2Key, std::string(v::kV1CorpId));
  ASSERT_TRUE(other.ok());
  Result<Decrypted> out = other->Decrypt(v::kV1MsgEncrypt);
  ASSERT_FALSE(out.ok());
  const CryptoError error = CryptoErrorOf(out.status());
  EXPECT_TRUE(error == CryptoError::kDecryptAes || error == CryptoError::kIllegalBuffer ||
              error == CryptoError::kValidateReceiveId)
      << out.status().ToString();
}

TEST(WecomCryptoTest, BadPaddingIsDecryptAesError) {
  Crypto c = V1();
  // "hello" + 16 + 4 + 18 = 43 bytes: 21 pad bytes make 64.
  ASSERT_TRUE(c.Decrypt(V1CipherOf(Plain("hello", 5, 21, 21))).ok());
  ExpectError(c.Decrypt(V1CipherOf(Plain("hello", 5, 21, 0))).status(), CryptoError::kDecryptAes);
  ExpectError(c.Decrypt(V1CipherOf(Plain("hello", 5, 21, 33))).status(), CryptoError::kDecryptAes);
  ExpectError(c.Decrypt(V1CipherOf(Plain("hello", 5, 21, 0xff))).status(),
              CryptoError::kDecryptAes);
  // Last byte says 21 but the bytes before it disagree.
  std::string inconsistent = Plain("hello", 5, 21, 21);
  inconsistent[inconsistent.size() - 5] = 20;
  ExpectError(c.Decrypt(V1CipherOf(inconsistent)).status(), CryptoError::kDecryptAes);
  // 26 + 16 + 4 + 18 = 64 bytes: the pad is a whole 32-byte block, which is valid.
  ASSERT_TRUE(c.Decrypt(V1CipherOf(Plain(std::string(26, 'x'), 26, 32, 32))).ok());
}

TEST(WecomCryptoTest, TruncatedOrInvalidBase64IsDecodeBase64Error) {
  Crypto c = V1();
  std::string_view encrypt = v::kV1MsgEncrypt;
  ExpectError(c.Decrypt(encrypt.substr(0, encrypt.size() - 1)).status(),
              CryptoError::kDecodeBase64);
  ExpectError(c.Decrypt(encrypt.substr(0, 101)).status(), CryptoError::kDecodeBase64);
  std::string spaced(encrypt);
  spaced[20] = ' ';
  ExpectError(c.Decrypt(spaced).status(), CryptoError::kDecodeBase64);
}

TEST(WecomCryptoTest, CiphertextNotWholeBlocksIsDecryptAesError) {
  Crypto c = V1();
  ExpectError(c.Decrypt("").status(), CryptoError::kDecryptAes);
  ExpectError(c.Decrypt(crypto::Base64Encode(std::string(16, 'a'))).status(),
              CryptoError::kDecryptAes);
  ExpectError(c.Decrypt(crypto::Base64Encode(std::string(48, 'a'))).status(),
              CryptoError::kDecryptAes);
  // Truncated to a multiple of four characters but not of 32 bytes.
  ExpectError(c.Decrypt(v::kV1MsgEncrypt.substr(0, 40)).status(), CryptoError::kDecryptAes);
}

TEST(WecomCryptoTest, MsgLenBeyondTheBufferIsIllegalBuffer) {
  Crypto c = V1();
  ExpectError(c.Decrypt(V1CipherOf(Plain("hello", 0xffffffffu, 21, 21))).status(),
              CryptoError::kIllegalBuffer);
  ExpectError(c.Decrypt(V1CipherOf(Plain("hello", 24, 21, 21))).status(),
              CryptoError::kIllegalBuffer);
  // msg_len covering the receive id leaves the wrong receive id.
  ExpectError(c.Decrypt(V1CipherOf(Plain("hello", 23, 21, 21))).status(),
              CryptoError::kValidateReceiveId);
  // Nothing after the random and length: 20 bytes + 12 pad.
  std::string short_plain = std::string(16, 'r') + Length(0) + std::string(12, '\x0c');
  ExpectError(c.Decrypt(V1CipherOf(short_plain)).status(), CryptoError::kIllegalBuffer);
}

TEST(WecomCryptoTest, EncryptNeedsSixteenRandomBytes) {
  ExpectError(V1().Encrypt("hi", "short").status(), CryptoError::kEncryptAes);
}

TEST(WecomCryptoTest, ErrorsCarryTheSdkCodeAndName) {
  Status s = CryptoStatus(CryptoError::kValidateSignature);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("-40001 ValidateSignature_Error"), std::string::npos);
  EXPECT_EQ(CryptoStatus(CryptoError::kValidateReceiveId).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(CryptoErrorOf(Status::Ok()), CryptoError::kOk);
  for (int code = -40011; code <= -40001; ++code) {
    const auto error = static_cast<CryptoError>(code);
    EXPECT_EQ(CryptoErrorOf(CryptoStatus(error, "x")), error);
    EXPECT_FALSE(CryptoErrorText(error).empty());
  }
}

}  // namespace
}  // namespace beacon::bot::wecom
