// Object keys, metadata and the body codecs of stored backup versions (see object_format.h).
#include "agent/backup/object_format.h"

#include <zstd.h>

#include <algorithm>
#include <charconv>

#include "common/compress/zstd_stream.h"
#include "common/crypto/aead.h"
#include "common/crypto/crypto.h"
#include "common/url.h"

namespace beacon::agent::backup {
namespace {

template <typename T>
bool ParseNumber(std::string_view text, T* out, int base = 10) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Status Malformed(std::string_view key, std::string_view why) {
  return Status::InvalidArgument("object metadata " + std::string(key) + " " + std::string(why));
}

}  // namespace

std::string EncryptionKeyId(std::string_view key) { return crypto::Sha256Hex(key).substr(0, 16); }

std::map<std::string, std::string> BuildObjectMetadata(const wire::BackupVersion& version,
                                                       std::string_view host) {
  char mode[16];
  snprintf(mode, sizeof(mode), "%04o", version.mode & 07777);
  return {
      {"beacon-sha256", version.sha256},
      {"beacon-size", std::to_string(version.size)},
      {"beacon-mtime-ns", std::to_string(version.mtime_ns)},
      {"beacon-mode", mode},
      {"beacon-uid", std::to_string(version.uid)},
      {"beacon-gid", std::to_string(version.gid)},
      {"beacon-path", PercentEncode(version.path, kPathKeptCharacters)},
      {"beacon-host", std::string(host)},
      {"beacon-set", version.set},
      {"beacon-key-id", version.key_id},
  };
}

Result<wire::BackupVersion> VersionFromObject(const objstore::ObjectInfo& info,
                                              std::string_view store_name, std::string* host) {
  const auto& md = info.metadata;
  auto get = [&](const char* key) -> Result<std::string> {
    auto it = md.find(key);
    if (it == md.end()) return Malformed(key, "is missing");
    return it->second;
  };
  wire::BackupVersion v;
  BEACON_ASSIGN_OR_RETURN(v.sha256, get("beacon-sha256"));
  if (v.sha256.size() != 64) return Malformed("beacon-sha256", "is not a SHA-256 hex digest");
  BEACON_ASSIGN_OR_RETURN(std::string size, get("beacon-size"));
  if (!ParseNumber(size, &v.size)) return Malformed("beacon-size", "is not a number");
  BEACON_ASSIGN_OR_RETURN(std::string mtime, get("beacon-mtime-ns"));
  if (!ParseNumber(mtime, &v.mtime_ns)) return Malformed("beacon-mtime-ns", "is not a number");
  BEACON_ASSIGN_OR_RETURN(std::string mode, get("beacon-mode"));
  if (!ParseNumber(mode, &v.mode, 8) || v.mode > 07777) {
    return Malformed("beacon-mode", "is not an octal mode");
  }
  BEACON_ASSIGN_OR_RETURN(std::string uid, get("beacon-uid"));
  if (!ParseNumber(uid, &v.uid)) return Malformed("beacon-uid", "is not a number");
  BEACON_ASSIGN_OR_RETURN(std::string gid, get("beacon-gid"));
  if (!ParseNumber(gid, &v.gid)) return Malformed("beacon-gid", "is not a number");
  BEACON_ASSIGN_OR_RETURN(std::string path, get("beacon-path"));
  auto decoded = PercentDecode(path);
  if (!decoded.ok()) return Malformed("beacon-path", decoded.status().message());
  v.path = std::move(decoded).value();
  BEACON_ASSIGN_OR_RETURN(v.set, get("beacon-set"));
  auto key_id = md.find("beacon-key-id");
  if (key_id != md.end()) v.key_id = key_id->second;
  if (host != nullptr) {
    BEACON_ASSIGN_OR_RETURN(*host, get("beacon-host"));
  }
  v.key = info.key;
  v.stored_size = info.size;
  v.storage_class = std::string(objstore::StorageClassName(info.storage_class));
  v.store = std::string(store_name);
  v.created_ms = info.last_modified_ms;
  return v;
}

// ---- BodyEncoder ----

namespace {

// One zstd context per thread for whole small bodies: creating a context (and its tables) per
// file cost as much as compressing a few-KiB file. A reset keeps the allocation.
class ThreadCompressor {
 public:
  ThreadCompressor() : ctx_(ZSTD_createCCtx()) {}
  ~ThreadCompressor() { ZSTD_freeCCtx(ctx_); }
  ThreadCompressor(const ThreadCompressor&) = delete;
  ThreadCompressor& operator=(const ThreadCompressor&) = delete;

  // The same frame ZstdStreamCompressor::CompressAndFinish writes: content size and checksum.
  Status Compress(int level, std::string_view data, std::string* out) {
    if (ctx_ == nullptr) return Status::ResourceExhausted("cannot allocate zstd context");
    ZSTD_CCtx_reset(ctx_, ZSTD_reset_session_and_parameters);
    level = std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel());
    size_t rc = ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(rc)) rc = ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(rc)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(rc));
    const size_t base = out->size();
    out->resize(base + ZSTD_compressBound(data.size()));
    const size_t n =
        ZSTD_compress2(ctx_, out->data() + base, out->size() - base, data.data(), data.size());
    if (ZSTD_isError(n)) {
      out->resize(base);
      return Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
    }
    out->resize(base + n);
    return Status::Ok();
  }

 private:
  ZSTD_CCtx* ctx_;
};

ThreadCompressor& CompressorOfThisThread() {
  thread_local ThreadCompressor compressor;
  return compressor;
}

}  // namespace

struct BodyEncoder::Impl {
  // Created by the first Update(): EncodeAll never needs it.
  compress::ZstdStreamCompressor zstd;
  bool streaming = false;
  int level = 3;
  int workers = 0;
  std::unique_ptr<crypto::AesGcmEncryptor> aead;  // null: not encrypted
  std::string header;  // magic + IV, written before the first ciphertext byte
  std::string scratch;
  bool initialised = false;
  bool finished = false;

  void EmitHeader(std::string* out) {
    out->append(header);
    header.clear();
  }

  Status Emit(std::string* out) {
    if (aead) {
      BEACON_RETURN_IF_ERROR(aead->Update(scratch, out));
    } else {
      out->append(scratch);
    }
    scratch.clear();
    return Status::Ok();
  }
};

BodyEncoder::BodyEncoder() : impl_(std::make_unique<Impl>()) {}
BodyEncoder::~BodyEncoder() = default;

Status BodyEncoder::Init(int zstd_level, int workers, std::string_view key, std::string_view iv) {
  if (impl_->initialised) return Status::FailedPrecondition("body encoder already initialised");
  impl_->level = zstd_level;
  impl_->workers = workers;
  impl_->initialised = true;
  if (!key.empty()) {
    impl_->aead = std::make_unique<crypto::AesGcmEncryptor>();
    BEACON_RETURN_IF_ERROR(impl_->aead->Init(key, iv));
    impl_->header.append(kEncryptedMagic);
    impl_->header.append(iv);
  }
  return Status::Ok();
}

Status BodyEncoder::Update(std::string_view plaintext, std::string* out) {
  Impl& e = *impl_;
  if (!e.initialised || e.finished) return Status::FailedPrecondition("encoder not active");
  if (!e.streaming) {
    BEACON_RETURN_IF_ERROR(e.zstd.Init(e.level, e.workers));
    e.streaming = true;
  }
  e.EmitHeader(out);
  BEACON_RETURN_IF_ERROR(e.zstd.Compress(plaintext, &e.scratch));
  return e.Emit(out);
}

Status BodyEncoder::Finish(std::string* out) {
  Impl& e = *impl_;
  if (!e.initialised || e.finished) return Status::FailedPrecondition("encoder not active");
  e.finished = true;
  if (!e.streaming) {  // Finish() without Update(): an empty body
    BEACON_RETURN_IF_ERROR(e.zstd.Init(e.level, e.workers));
    e.streaming = true;
  }
  e.EmitHeader(out);
  BEACON_RETURN_IF_ERROR(e.zstd.Finish(&e.scratch));
  BEACON_RETURN_IF_ERROR(e.Emit(out));
  if (e.aead) {
    BEACON_ASSIGN_OR_RETURN(std::string tag, e.aead->Final());
    out->append(tag);
  }
  return Status::Ok();
}

Status BodyEncoder::EncodeAll(std::string_view plaintext, std::string* out) {
  Impl& e = *impl_;
  if (!e.initialised || e.finished) return Status::FailedPrecondition("encoder not active");
  e.finished = true;
  if (e.streaming) return Status::FailedPrecondition("EncodeAll after Update");
  e.EmitHeader(out);
  if (e.aead) {
    BEACON_RETURN_IF_ERROR(CompressorOfThisThread().Compress(e.level, plaintext, &e.scratch));
  } else {
    // Straight into the output: no copy of the compressed body.
    return CompressorOfThisThread().Compress(e.level, plaintext, out);
  }
  BEACON_RETURN_IF_ERROR(e.Emit(out));
  if (e.aead) {
    BEACON_ASSIGN_OR_RETURN(std::string tag, e.aead->Final());
    out->append(tag);
  }
  return Status::Ok();
}

// ---- BodyDecoder ----

struct BodyDecoder::Impl {
  using Sink = BodyDecoder::Sink;
  std::unique_ptr<compress::ZstdStreamDecompressor> zstd;
  std::unique_ptr<crypto::AesGcmDecryptor> aead;
  std::string key;
  std::string header;    // magic + IV being collected
  std::string holdback;  // the last up-to-16 bytes seen: the tag once the body ends
  std::string scratch;
  bool initialised = false;
  bool finished = false;
  Status failed;

  Status Fail(Status s) {
    failed = s;
    return s;
  }

  // With a wrong key or a tampered ciphertext the zstd stream is garbage; the operator should
  // hear "authentication failed", so for encrypted bodies a zstd error is held until the tag
  // has been checked in Finish().
  Status zstd_error;
  Status sink_error;
  Status Inflate(std::string_view zstd_bytes, const Sink& sink) {
    if (!zstd_error.ok()) return Status::Ok();
    Status s = zstd->Decompress(zstd_bytes, [&](std::string_view piece) -> Status {
      Status written = sink(piece);
      // A failing sink (disk full) is not corruption: keep its status apart.
      if (!written.ok()) sink_error = written;
      return written;
    });
    if (!sink_error.ok()) return Fail(sink_error);
    if (s.ok()) return s;
    s = Status::Corruption("backup object is corrupt: " + s.message());
    if (aead) {
      zstd_error = s;
      return Status::Ok();
    }
    return Fail(s);
  }
};

BodyDecoder::BodyDecoder() : impl_(std::make_unique<Impl>()) {}
BodyDecoder::~BodyDecoder() = default;

Status BodyDecoder::Init(std::string_view key, uint64_t max_plain_bytes) {
  if (impl_->initialised) return Status::FailedPrecondition("body decoder already initialised");
  if (!key.empty() && key.size() != crypto::kAesGcmKeyBytes) {
    return Status::InvalidArgument("encryption key must be 32 bytes");
  }
  impl_->key = std::string(key);
  impl_->zstd = std::make_unique<compress::ZstdStreamDecompressor>(max_plain_bytes);
  impl_->initialised = true;
  return Status::Ok();
}

Status BodyDecoder::Update(std::string_view stored, std::string* out) {
  return Update(stored, [out](std::string_view piece) {
    out->append(piece);
    return Status::Ok();
  });
}

Status BodyDecoder::Update(std::string_view stored, const Sink& out) {
  Impl& d = *impl_;
  if (!d.initialised || d.finished) return Status::FailedPrecondition("decoder not active");
  if (!d.failed.ok()) return d.failed;
  if (d.key.empty()) return d.Inflate(stored, out);

  if (!d.aead) {
    const size_t want = kEncryptedHeaderBytes - d.header.size();
    d.header.append(stored.substr(0, want));
    stored.remove_prefix(std::min(want, stored.size()));
    if (d.header.size() < kEncryptedHeaderBytes) return Status::Ok();
    if (std::string_view(d.header).substr(0, 4) != kEncryptedMagic) {
      return d.Fail(Status::Corruption("backup object is not an encrypted Beacon object"));
    }
    d.aead = std::make_unique<crypto::AesGcmDecryptor>();
    BEACON_RETURN_IF_ERROR(d.aead->Init(d.key, std::string_view(d.header).substr(4)));
  }
  // Keep the last 16 bytes back: they are the tag if the body ends here.
  std::string joined;
  std::string_view data;
  if (d.holdback.empty()) {
    data = stored;
  } else {
    joined = d.holdback + std::string(stored);
    data = joined;
  }
  if (data.size() <= kEncryptedTrailerBytes) {
    d.holdback = std::string(data);
    return Status::Ok();
  }
  const size_t body = data.size() - kEncryptedTrailerBytes;
  d.scratch.clear();
  BEACON_RETURN_IF_ERROR(d.aead->Update(data.substr(0, body), &d.scratch));
  d.holdback = std::string(data.substr(body));
  return d.Inflate(d.scratch, out);
}

Status BodyDecoder::Finish(std::string* out) {
  (void)out;
  Impl& d = *impl_;
  if (!d.initialised || d.finished) return Status::FailedPrecondition("decoder not active");
  d.finished = true;
  if (!d.failed.ok()) return d.failed;
  if (!d.key.empty()) {
    if (!d.aead || d.holdback.size() != kEncryptedTrailerBytes) {
      return d.Fail(Status::Corruption("encrypted backup object is truncated"));
    }
    Status s = d.aead->Final(d.holdback);
    if (!s.ok()) {
      return d.Fail(Status::Corruption(
          "backup object failed authentication: wrong key, or the object was altered"));
    }
  }
  if (!d.zstd_error.ok()) return d.Fail(d.zstd_error);
  Status s = d.zstd->Finish();
  if (!s.ok()) return d.Fail(Status::Corruption("backup object is corrupt: " + s.message()));
  return Status::Ok();
}

}  // namespace beacon::agent::backup
