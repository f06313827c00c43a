// Hashes, MACs and codecs checked against published test vectors (FIPS 180, RFC 4231,
// RFC 2202, RFC 4648), plus strict rejection of malformed encodings.
#include "common/crypto/crypto.h"

#include <gtest/gtest.h>

#include <set>

namespace beacon::crypto {
namespace {

std::string Hex(std::string_view raw) { return HexEncode(raw); }

TEST(Sha256Test, PublishedVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, DigestMatchesHex) {
  const Digest256 d = Sha256Digest("abc");
  EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())),
            Sha256Hex("abc"));
}

TEST(Sha256Test, StreamingInPiecesEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 10'000; ++i) data += static_cast<char>(i * 31 + 7);
  for (size_t piece : {size_t{1}, size_t{3}, size_t{64}, size_t{1000}, size_t{7777}}) {
    Sha256 h;
    for (size_t off = 0; off < data.size(); off += piece) {
      const std::string_view part = std::string_view(data).substr(off, piece);
      if (piece == 3) {
        h.Update(part.data(), part.size());  // exercise the pointer overload too
      } else {
        h.Update(part);
      }
    }
    h.Update("");  // empty updates change nothing
    EXPECT_EQ(h.FinalHex(), Sha256Hex(data)) << "piece " << piece;
  }
  Sha256 empty;
  EXPECT_EQ(empty.FinalHex(), Sha256Hex(""));
  Sha256 abc;
  abc.Update("a");
  abc.Update("bc");
  const Digest256 d = abc.Final();
  EXPECT_EQ(d, Sha256Digest("abc"));
}

TEST(Sha1Test, PublishedVector) {
  EXPECT_EQ(Hex(Sha1Raw("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Raw("abc").size(), 20u);
}

TEST(HmacTest, Sha256Rfc4231) {
  // Test case 1.
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2.
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: key longer than the block size is hashed first.
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacTest, Sha1Rfc2202) {
  EXPECT_EQ(Hex(HmacSha1(std::string(20, '\x0b'), "Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(Hex(HmacSha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(HmacTest, EmptyKeyAndDataStillProduceAFullMac) {
  EXPECT_EQ(HmacSha256("", "").size(), 32u);
  EXPECT_NE(HmacSha256("", "x"), HmacSha256("k", "x"));
}

TEST(HexTest, EncodesLowerCaseAndRoundTrips) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(HexDecode(HexEncode(all)).value(), all);
  EXPECT_EQ(HexDecode("ABff").value(), std::string("\xab\xff", 2));
}

TEST(HexTest, RejectsOddLengthAndNonHex) {
  for (const char* bad : {"a", "abc", "zz", "0g", " 0", "0x00"}) {
    Result<std::string> r = HexDecode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kVectors[] = {{"", ""},
                                                          {"f", "Zg=="},
                                                          {"fo", "Zm8="},
                                                          {"foo", "Zm9v"},
                                                          {"foob", "Zm9vYg=="},
                                                          {"fooba", "Zm9vYmE="},
                                                          {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    Result<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, BinaryRoundTripAndUrlAlphabet) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(255 - i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)).value(), all);
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
}

TEST(Base64Test, RejectsInvalidCharactersAndBadPadding) {
  for (const char* bad : {"Zg=", "Zg===", "Z===", "====", "=Zm9", "Zm=v", "Zg==Zg==", "Zm9v\n",
                          "Zm9*", "Zm9-", "Zm 9", "Zh==", "Zm9=" /* non-zero bits */}) {
    Result<std::string> r = Base64Decode(bad);
    ASSERT_FALSE(r.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(RandomTest, BytesHaveRequestedLengthAndDiffer) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(17).size(), 17u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

TEST(RandomTest, TokensAreUrlSafeAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = RandomToken();
    EXPECT_EQ(t.size(), 43u);  // 32 bytes, unpadded base64
    EXPECT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << t;
    EXPECT_TRUE(seen.insert(t).second);
  }
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret-token", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", "secret-tokeN"));
  EXPECT_FALSE(ConstantTimeEquals("Secret-token", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace beacon::crypto
