// The stored form of a backup version: documented object keys, metadata that rebuilds the
// catalog record, and the body codecs (plain zstd, or BCE1 + IV + AES-256-GCM) including the
// refusals a restore relies on (wrong key, altered byte, truncation, decompression bomb).
#include <gtest/gtest.h>

#include "agent/backup/object_format.h"
#include "backup_test_store.h"
#include "common/compress/zstd.h"
#include "common/compress/zstd_stream.h"
#include "common/crypto/crypto.h"
#include "common/url.h"

namespace beacon::agent::backup {
namespace {

using testing::LogText;
using testing::NoiseBytes;

TEST(ObjectFormatTest, KeyFollowsTheDocumentedLayout) {
  const std::string sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  // 2026-11-26T05:25:01.999Z
  const int64_t ms = 1795670701999;
  EXPECT_EQ(FormatKeyTimestamp(ms), "20261126T052501Z");
  EXPECT_EQ(MakeObjectKey("beacon", "web-01", "/srv/app/conf/app.yaml", ms, sha, false),
            "beacon/web-01/srv/app/conf/app.yaml@20261126T052501Z-0123456789ab.zst");
  EXPECT_EQ(MakeObjectKey("backups/", "db", "/etc/my.cnf", ms, sha, true),
            "backups/db/etc/my.cnf@20261126T052501Z-0123456789ab.zst.enc");
  EXPECT_EQ(MakeObjectKey("", "db", "/a", ms, sha, false),
            "db/a@20261126T052501Z-0123456789ab.zst");
}

TEST(ObjectFormatTest, KeyIdIsSha256Prefix) {
  const std::string key(32, 'K');
  EXPECT_EQ(EncryptionKeyId(key), crypto::Sha256Hex(key).substr(0, 16));
  EXPECT_EQ(EncryptionKeyId(key).size(), 16u);
  EXPECT_NE(EncryptionKeyId(key), EncryptionKeyId(std::string(32, 'L')));
}

TEST(ObjectFormatTest, PercentEncodingRoundTripsAnyPath) {
  const std::string path = "/srv/données/a b%c?&=+\x01\xff.txt";
  const std::string enc = PercentEncode(path, kPathKeptCharacters);
  for (char c : enc) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || strchr("-._~/%", c) != nullptr) << c;
  }
  EXPECT_EQ(PercentEncode("/srv/app/x-1_2.~", kPathKeptCharacters), "/srv/app/x-1_2.~");
  EXPECT_EQ(PercentEncode("a b", kPathKeptCharacters), "a%20b");
  EXPECT_EQ(*PercentDecode(enc), path);
  EXPECT_FALSE(PercentDecode("%G1").ok());
  EXPECT_FALSE(PercentDecode("abc%2").ok());
}

wire::BackupVersion SampleVersion() {
  wire::BackupVersion v;
  v.set = "configs";
  v.path = "/srv/app/conf/app settings.yaml";
  v.size = 1234;
  v.mtime_ns = 1'700'000'000'123'456'789;
  v.mode = 0640;
  v.uid = 1001;
  v.gid = 50;
  v.sha256 = std::string(64, 'a');
  v.key_id = "00112233aabbccdd";
  return v;
}

TEST(ObjectFormatTest, MetadataRebuildsTheVersion) {
  const wire::BackupVersion v = SampleVersion();
  auto md = BuildObjectMetadata(v, "web-01");
  EXPECT_EQ(md["beacon-mode"], "0640");
  EXPECT_EQ(md["beacon-path"], "/srv/app/conf/app%20settings.yaml");
  EXPECT_EQ(md["beacon-mtime-ns"], "1700000000123456789");
  for (const auto& [k, value] : md) {
    for (char c : k) EXPECT_TRUE(islower(c) || isdigit(c) || c == '-') << k;
    for (char c : value) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << k;
  }
  objstore::ObjectInfo info;
  info.key = "beacon/web-01/x";
  info.size = 99;
  info.last_modified_ms = 1'700'000'000'000;
  info.storage_class = objstore::StorageClass::kInfrequent;
  info.metadata = md;
  std::string host;
  auto back = VersionFromObject(info, "oss-backup", &host);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(host, "web-01");
  EXPECT_EQ(back->set, v.set);
  EXPECT_EQ(back->path, v.path);
  EXPECT_EQ(back->size, v.size);
  EXPECT_EQ(back->mtime_ns, v.mtime_ns);
  EXPECT_EQ(back->mode, v.mode);
  EXPECT_EQ(back->uid, v.uid);
  EXPECT_EQ(back->gid, v.gid);
  EXPECT_EQ(back->sha256, v.sha256);
  EXPECT_EQ(back->key_id, v.key_id);
  EXPECT_EQ(back->key, info.key);
  EXPECT_EQ(back->stored_size, 99u);
  EXPECT_EQ(back->storage_class, "infrequent");
  EXPECT_EQ(back->store, "oss-backup");
}

TEST(ObjectFormatTest, MalformedMetadataNamesTheKey) {
  objstore::ObjectInfo info;
  info.metadata = BuildObjectMetadata(SampleVersion(), "h");
  info.metadata.erase("beacon-size");
  auto r = VersionFromObject(info, "s");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("beacon-size"), std::string::npos);
  info.metadata = BuildObjectMetadata(SampleVersion(), "h");
  info.metadata["beacon-mode"] = "0999";
  r = VersionFromObject(info, "s");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("beacon-mode"), std::string::npos);
}

std::string Encode(std::string_view plain, std::string_view key, std::string_view iv,
                   int workers = 0, size_t slice = 4096) {
  BodyEncoder enc;
  EXPECT_TRUE(enc.Init(3, workers, key, iv).ok());
  std::string out;
  for (size_t i = 0; i < plain.size(); i += slice) {
    EXPECT_TRUE(enc.Update(plain.substr(i, slice), &out).ok());
  }
  EXPECT_TRUE(enc.Finish(&out).ok());
  return out;
}

Result<std::string> Decode(std::string_view body, std::string_view key, uint64_t max,
                           size_t slice = 1000) {
  BodyDecoder dec;
  BEACON_RETURN_IF_ERROR(dec.Init(key, max));
  std::string out;
  for (size_t i = 0; i < body.size(); i += slice) {
    BEACON_RETURN_IF_ERROR(dec.Update(body.substr(i, slice), &out));
  }
  BEACON_RETURN_IF_ERROR(dec.Finish(&out));
  return out;
}

TEST(ObjectFormatTest, PlainBodyIsAStandardZstdStream) {
  const std::string plain = LogText(300 * 1024);
  const std::string body = Encode(plain, "", "");
  EXPECT_LT(body.size(), plain.size() / 3);
  // Any zstd tool can read it (boto3 + zstd in the acceptance test does the same).
  EXPECT_EQ(*compress::ZstdDecompress(body, plain.size()), plain);
  EXPECT_EQ(*Decode(body, "", plain.size()), plain);
}

TEST(ObjectFormatTest, EncryptedBodyLayoutAndRoundTrip) {
  const std::string plain = LogText(200 * 1024, 3);
  const std::string key(32, 'k');
  const std::string iv = "0123456789ab";
  const std::string body = Encode(plain, key, iv);
  ASSERT_GT(body.size(), 32u);
  EXPECT_EQ(body.substr(0, 4), "BCE1");
  EXPECT_EQ(body.substr(4, 12), iv);
  // The zstd stream is inside the ciphertext: same length as the plain body's stream.
  EXPECT_EQ(body.size(), 4 + 12 + Encode(plain, "", "").size() + 16);
  for (size_t slice : {1, 7, 16, 17, 1000, 1 << 20}) {
    auto back = Decode(body, key, plain.size(), slice);
    ASSERT_TRUE(back.ok()) << slice << " " << back.status().ToString();
    EXPECT_EQ(*back, plain);
  }
}

TEST(ObjectFormatTest, EncryptedBodyRefusesWrongKeyTamperingAndTruncation) {
  const std::string plain = LogText(64 * 1024, 5);
  const std::string key(32, 'k');
  const std::string body = Encode(plain, key, "0123456789ab");

  auto wrong = Decode(body, std::string(32, 'j'), plain.size());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kCorruption);
  EXPECT_NE(wrong.status().message().find("authentication"), std::string::npos)
      << wrong.status().message();

  for (size_t pos : {size_t{20}, body.size() / 2, body.size() - 1}) {
    std::string bad = body;
    bad[pos] ^= 0x04;
    auto r = Decode(bad, key, plain.size());
    ASSERT_FALSE(r.ok()) << pos;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
  auto cut = Decode(body.substr(0, body.size() - 5), key, plain.size());
  EXPECT_EQ(cut.status().code(), StatusCode::kCorruption);
  auto not_encrypted = Decode(Encode(plain, "", ""), key, plain.size());
  EXPECT_EQ(not_encrypted.status().code(), StatusCode::kCorruption);
}

TEST(ObjectFormatTest, PlainBodyRefusesCorruptionAndOversizedOutput) {
  const std::string plain = LogText(64 * 1024, 9);
  const std::string body = Encode(plain, "", "");
  std::string bad = body;
  bad[bad.size() / 2] ^= 0x55;
  EXPECT_FALSE(Decode(bad, "", plain.size()).ok());
  EXPECT_EQ(Decode(body.substr(0, body.size() - 3), "", plain.size()).status().code(),
            StatusCode::kCorruption);
  // A version that claims fewer bytes than the stream yields is refused (bomb guard).
  EXPECT_EQ(Decode(body, "", plain.size() - 1).status().code(), StatusCode::kCorruption);
}

TEST(ObjectFormatTest, EncodeAllMatchesTheStreamingFormat) {
  const std::string plain = LogText(40 * 1024, 21);
  const std::string key(32, 'q');
  for (const std::string& k : {std::string(), key}) {
    BodyEncoder enc;
    ASSERT_TRUE(enc.Init(3, 0, k, k.empty() ? "" : "0123456789ab").ok());
    std::string body;
    ASSERT_TRUE(enc.EncodeAll(plain, &body).ok());
    EXPECT_EQ(body.substr(0, 4) == "BCE1", !k.empty());
    auto back = Decode(body, k, plain.size(), 333);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, plain);
    EXPECT_FALSE(enc.Update("more", &body).ok());  // the body is finished
  }
}

TEST(ObjectFormatTest, HighlyCompressedBodyIsHandedOutInBoundedPieces) {
  // 32 MiB of zeros compress to a few KiB: a restore must not inflate it in one buffer.
  const std::string zeros(32 << 20, '\0');
  const std::string key(32, 'z');
  const std::string body = Encode(zeros, key, "0123456789ab", 0, 1 << 20);
  ASSERT_LT(body.size(), 64u * 1024);
  BodyDecoder dec;
  ASSERT_TRUE(dec.Init(key, zeros.size()).ok());
  size_t total = 0;
  size_t largest = 0;
  bool all_zero = true;
  ASSERT_TRUE(dec.Update(body,
                         [&](std::string_view piece) {
                           total += piece.size();
                           largest = std::max(largest, piece.size());
                           all_zero =
                               all_zero && piece.find_first_not_of('\0') == std::string::npos;
                           return Status::Ok();
                         })
                  .ok());
  std::string rest;
  Status finished = dec.Finish(&rest);
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  EXPECT_EQ(total + rest.size(), zeros.size());
  EXPECT_LE(largest, 128u * 1024);
  EXPECT_TRUE(all_zero);

  // A sink error (disk full) stops decoding and comes back unchanged.
  BodyDecoder failing;
  ASSERT_TRUE(failing.Init("", zeros.size()).ok());
  Status s = failing.Update(Encode(zeros, "", "", 0, 1 << 20), [](std::string_view) {
    return Status::IoError("No space left on device");
  });
  EXPECT_EQ(s.code(), StatusCode::kIoError);
}

TEST(ObjectFormatTest, MultithreadedStreamIsDeterministicAcrossChunkings) {
  // Resumed multipart uploads re-create the stream and compare part digests.
  const std::string plain = LogText(3 * 1024 * 1024, 11) + NoiseBytes(1024 * 1024);
  const std::string a = Encode(plain, "", "", 2, 1 << 20);
  const std::string b = Encode(plain, "", "", 2, 1 << 20);
  const std::string c = Encode(plain, "", "", 2, 65536);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_EQ(*Decode(a, "", plain.size(), 1 << 16), plain);
}

TEST(ZstdStreamTest, OutputOfExactMultiplesOfTheBufferSizeIsComplete) {
  // zstd reports the end of the frame on the call that fills the last output buffer; a further
  // call would start the next frame. Files of 128 KiB, 1 MiB... must not look truncated.
  for (size_t size : {size_t{128} << 10, size_t{1} << 20, (size_t{1} << 20) + 1}) {
    SCOPED_TRACE(size);
    const std::string plain = NoiseBytes(size, 3);
    compress::ZstdStreamCompressor c;
    ASSERT_TRUE(c.Init(3, 0).ok());
    std::string z;
    ASSERT_TRUE(c.Compress(plain, &z).ok());
    ASSERT_TRUE(c.Finish(&z).ok());
    compress::ZstdStreamDecompressor d(size);
    std::string out;
    ASSERT_TRUE(d.Decompress(z, &out).ok());
    Status finished = d.Finish();
    EXPECT_TRUE(finished.ok()) << finished.ToString();
    EXPECT_EQ(out, plain);
  }
}

TEST(ZstdStreamTest, DecompressorReportsTruncationAtFinish) {
  compress::ZstdStreamCompressor c;
  ASSERT_TRUE(c.Init(3, 0).ok());
  std::string z;
  ASSERT_TRUE(c.Compress("hello hello hello", &z).ok());
  ASSERT_TRUE(c.Finish(&z).ok());
  compress::ZstdStreamDecompressor full(100);
  std::string out;
  ASSERT_TRUE(full.Decompress(z, &out).ok());
  EXPECT_TRUE(full.Finish().ok());
  EXPECT_EQ(out, "hello hello hello");
  compress::ZstdStreamDecompressor cut(100);
  out.clear();
  ASSERT_TRUE(cut.Decompress(std::string_view(z).substr(0, z.size() - 2), &out).ok());
  EXPECT_EQ(cut.Finish().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace beacon::agent::backup
