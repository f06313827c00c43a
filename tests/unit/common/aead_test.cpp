// AES-256-GCM: the published GCM spec vectors (McGrew/Viega test cases 13-16, as used by
// NIST CAVP), streaming equals one-shot, and any altered byte, tag or key is refused.
#include "common/crypto/aead.h"

#include <gtest/gtest.h>

#include "common/crypto/crypto.h"

namespace beacon::crypto {
namespace {

std::string Unhex(std::string_view hex) {
  auto r = HexDecode(hex);
  EXPECT_TRUE(r.ok()) << hex;
  return r.ok() ? *r : std::string();
}

struct Vector {
  const char* name;
  const char* key;
  const char* iv;
  const char* aad;
  const char* plaintext;
  const char* ciphertext;
  const char* tag;
};

const Vector kVectors[] = {
    {"case13_empty", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case14_one_block", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case15_four_blocks", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"case16_aad", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AesGcmTest, PublishedVectorsEncrypt) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    auto sealed = AesGcmSeal(Unhex(v.key), Unhex(v.iv), Unhex(v.plaintext), Unhex(v.aad));
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_EQ(HexEncode(*sealed), std::string(v.ciphertext) + v.tag);
  }
}

TEST(AesGcmTest, PublishedVectorsDecryptInOddSlices) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    AesGcmDecryptor dec;
    ASSERT_TRUE(dec.Init(Unhex(v.key), Unhex(v.iv), Unhex(v.aad)).ok());
    const std::string ct = Unhex(v.ciphertext);
    std::string out;
    for (size_t i = 0; i < ct.size(); i += 7) {
      ASSERT_TRUE(dec.Update(std::string_view(ct).substr(i, 7), &out).ok());
    }
    ASSERT_TRUE(dec.Final(Unhex(v.tag)).ok());
    EXPECT_EQ(HexEncode(out), v.plaintext);
  }
}

TEST(AesGcmTest, StreamingEncryptEqualsOneShot) {
  const std::string key(32, 'k');
  const std::string iv(12, 'i');
  std::string plain;
  for (int i = 0; i < 5000; ++i) plain += std::to_string(i * 7919) + ",";
  AesGcmEncryptor enc;
  ASSERT_TRUE(enc.Init(key, iv).ok());
  std::string out;
  for (size_t i = 0; i < plain.size(); i += 1000) {
    ASSERT_TRUE(enc.Update(std::string_view(plain).substr(i, 1000), &out).ok());
  }
  auto tag = enc.Final();
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(out + *tag, *AesGcmSeal(key, iv, plain));
  EXPECT_EQ(*AesGcmOpen(key, iv, out + *tag), plain);
}

TEST(AesGcmTest, TamperedCiphertextTagOrWrongKeyIsCorruption) {
  const std::string key(32, 'k');
  const std::string iv(12, 'i');
  const std::string sealed = *AesGcmSeal(key, iv, "the configuration file");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x20;
    auto r = AesGcmOpen(key, iv, bad);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
  std::string other_key = key;
  other_key[31] = 'x';
  auto wrong = AesGcmOpen(other_key, iv, sealed);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(wrong.status().message().find(other_key), std::string::npos);
  auto truncated = AesGcmOpen(key, iv, sealed.substr(0, sealed.size() - 1));
  EXPECT_EQ(truncated.status().code(), StatusCode::kCorruption);
}

TEST(AesGcmTest, RejectsBadKeyAndIvLengths) {
  AesGcmEncryptor enc;
  EXPECT_EQ(enc.Init(std::string(16, 'k'), std::string(12, 'i')).code(),
            StatusCode::kInvalidArgument);
  AesGcmEncryptor enc2;
  EXPECT_EQ(enc2.Init(std::string(32, 'k'), std::string(16, 'i')).code(),
            StatusCode::kInvalidArgument);
  AesGcmEncryptor enc3;
  std::string out;
  EXPECT_EQ(enc3.Update("x", &out).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace beacon::crypto
