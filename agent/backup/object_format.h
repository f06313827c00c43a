// The stored form of one backed-up file version: its object key, its object metadata and its
// body encoding (zstd, optionally AES-256-GCM). Pure helpers plus streaming body codecs.
//
// Object key:  <prefix>/<host>/<path without leading '/'>@<yyyymmddTHHMMSSZ>-<sha12>.zst
//              (".zst.enc" when encrypted); the timestamp is the UTC upload start and sha12 the
//              first 12 hex digits of the plaintext's SHA-256.
// Metadata:    beacon-sha256 (hex), beacon-size (decimal), beacon-mtime-ns (decimal),
//              beacon-mode (octal, e.g. "0644"), beacon-uid, beacon-gid (decimal),
//              beacon-path (percent-encoded UTF-8, '/' kept), beacon-host, beacon-set,
//              beacon-key-id ("" when not encrypted).
// Body:        plain:     a zstd stream of the file's bytes.
//              encrypted: "BCE1" | 12-byte random IV | AES-256-GCM(zstd stream) | 16-byte tag
//                         (no AAD). A restore verifies the tag, then the SHA-256 of the output.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/cloud/objstore/object_store.h"
#include "common/status.h"
#include "common/wire/backup.h"

namespace beacon::agent::backup {

inline constexpr std::string_view kEncryptedMagic = "BCE1";
inline constexpr size_t kEncryptedHeaderBytes = 4 + 12;  // magic + IV
inline constexpr size_t kEncryptedTrailerBytes = 16;     // GCM tag

// The key layout is shared with the collector, which checks that an agent only records keys
// of its own (common/wire/backup.h).
using wire::FormatKeyTimestamp;
using wire::MakeObjectKey;

// Key id recorded with encrypted versions: first 16 hex digits of SHA-256(key).
std::string EncryptionKeyId(std::string_view key);

// The beacon-path metadata value is PercentEncode(path, kPathKeptCharacters) (common/url.h):
// everything but [A-Za-z0-9-._~/] is %XX; PercentDecode reads it back.
inline constexpr std::string_view kPathKeptCharacters = "/";

// The object metadata of a version (version.set/path/size/mtime_ns/mode/uid/gid/sha256/key_id
// are used) plus the host name.
std::map<std::string, std::string> BuildObjectMetadata(const wire::BackupVersion& version,
                                                       std::string_view host);

// Rebuilds a version from a Head() of one object (catalog recovery): set, path, size, mtime,
// mode, uid, gid, sha256, key_id from the metadata; key, stored_size, storage_class and
// created_ms (last_modified) from the info; store from `store_name`. InvalidArgument naming
// the metadata key when one is missing or malformed. *host receives beacon-host when not null.
Result<wire::BackupVersion> VersionFromObject(const objstore::ObjectInfo& info,
                                              std::string_view store_name,
                                              std::string* host = nullptr);

// Streaming encoder plaintext -> stored body. Update() appends stored bytes to *out.
class BodyEncoder {
 public:
  BodyEncoder();
  ~BodyEncoder();
  BodyEncoder(const BodyEncoder&) = delete;
  BodyEncoder& operator=(const BodyEncoder&) = delete;

  // key empty: not encrypted; otherwise 32 bytes and iv 12 bytes (callers pass a fresh random
  // IV, or the IV recorded for a resumed upload of the same content). workers: zstd threads.
  Status Init(int zstd_level, int workers, std::string_view key, std::string_view iv);
  Status Update(std::string_view plaintext, std::string* out);
  Status Finish(std::string* out);
  // Update(plaintext) + Finish() for a body held in memory whole; faster for small inputs
  // (zstd sizes its tables to the input). Only valid as the first call after Init.
  Status EncodeAll(std::string_view plaintext, std::string* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Streaming decoder stored body -> plaintext. Plaintext appended by Update() is not
// authenticated until Finish() returns OK. Errors: Corruption (bad magic, tag mismatch, corrupt
// or truncated zstd, more output than max_plain_bytes).
class BodyDecoder {
 public:
  BodyDecoder();
  ~BodyDecoder();
  BodyDecoder(const BodyDecoder&) = delete;
  BodyDecoder& operator=(const BodyDecoder&) = delete;

  // key empty: the body is a plain zstd stream; otherwise a 32-byte key.
  Status Init(std::string_view key, uint64_t max_plain_bytes);
  Status Update(std::string_view stored, std::string* out);
  // As above, handing plaintext to `sink` in pieces of at most 128 KiB (restores of highly
  // compressible files never hold more than that in memory).
  using Sink = std::function<Status(std::string_view)>;
  Status Update(std::string_view stored, const Sink& sink);
  Status Finish(std::string* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::agent::backup
