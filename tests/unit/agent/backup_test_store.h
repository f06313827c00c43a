// Test doubles for the backup tests: an in-memory ObjectStore (counts calls per operation,
// fails the Nth call of an operation with Unavailable, runs a hook before each call, e.g. to
// modify the file being uploaded; thread-safe) and a unique temp directory per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/cloud/objstore/object_store.h"

namespace beacon::agent::backup::testing {

// A directory unique to this process and test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    std::string tmpl = (std::filesystem::temp_directory_path() /
                        ("beacon-" + name + "-" + std::to_string(getpid()) + "-XXXXXX"))
                           .string();
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    // Canonical, so tests comparing paths are not fooled by a symlinked /tmp.
    path_ = std::filesystem::canonical(tmpl).string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view rel) const { return path_ + "/" + std::string(rel); }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, std::string_view data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline void AppendFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Compressible but not trivially so: log-like lines with a pseudo-random field.
inline std::string LogText(size_t n, uint32_t seed = 1) {
  std::string s;
  uint32_t x = seed;
  while (s.size() < n) {
    x = x * 1103515245 + 12345;
    s += "2026-11-26 10:00:" + std::to_string(x % 60) + " INFO request id=" + std::to_string(x) +
         " took " + std::to_string((x >> 8) % 1000) + "ms\n";
  }
  s.resize(n);
  return s;
}

// Incompressible bytes (zstd output about as big as the input), for many-part uploads.
inline std::string NoiseBytes(size_t n, uint32_t seed = 7) {
  std::string s(n, '\0');
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

enum class Op { kPut, kInit, kPart, kComplete, kAbort, kGet, kHead, kList, kDelete };

class MemoryStore final : public objstore::ObjectStore {
 public:
  struct Object {
    std::string body;
    objstore::ObjectInfo info;
  };
  struct Upload {
    std::string key;
    objstore::PutOptions options;
    std::map<int, std::string> parts;
  };
  using Hook = std::function<void(Op op, int call_number)>;

  explicit MemoryStore(uint64_t min_part_size = 0) : min_part_size_(min_part_size) {}

  std::string_view kind() const override { return "memory"; }
  const std::string& name() const override { return name_; }

  // The `nth` (1-based) future call of `op` fails with Unavailable.
  void FailNth(Op op, int nth) {
    std::lock_guard lock(mu_);
    fail_at_[op] = calls_[op] + nth;
  }
  void SetHook(Hook hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }
  int Calls(Op op) {
    std::lock_guard lock(mu_);
    return calls_[op];
  }
  std::map<std::string, Object> Objects() {
    std::lock_guard lock(mu_);
    return objects_;
  }
  size_t OpenUploads() {
    std::lock_guard lock(mu_);
    return uploads_.size();
  }
  // Replaces one byte of a stored object (tests of corruption).
  void FlipByte(const std::string& key, size_t offset) {
    std::lock_guard lock(mu_);
    objects_[key].body[offset] ^= 0x01;
  }
  void SetBody(const std::string& key, std::string body) {
    std::lock_guard lock(mu_);
    objects_[key].body = std::move(body);
    objects_[key].info.size = objects_[key].body.size();
  }

  Result<objstore::ObjectInfo> Put(const std::string& key, std::string_view body,
                                   const objstore::PutOptions& options) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kPut));
    std::lock_guard lock(mu_);
    return Store(key, std::string(body), options);
  }

  Result<std::string> InitMultipart(const std::string& key,
                                    const objstore::PutOptions& options) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kInit));
    std::lock_guard lock(mu_);
    const std::string id = "upload-" + std::to_string(++next_upload_);
    uploads_[id] = Upload{key, options, {}};
    return id;
  }

  Result<objstore::UploadedPart> UploadPart(const std::string& key, const std::string& upload_id,
                                            int part_number, std::string_view body) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kPart));
    std::lock_guard lock(mu_);
    auto it = uploads_.find(upload_id);
    if (it == uploads_.end() || it->second.key != key) {
      return Status::NotFound("NoSuchUpload " + upload_id);
    }
    it->second.parts[part_number] = std::string(body);
    return objstore::UploadedPart{
        part_number, "etag-" + std::to_string(part_number) + "-" + std::to_string(body.size())};
  }

  Result<objstore::ObjectInfo> CompleteMultipart(
      const std::string& key, const std::string& upload_id,
      const std::vector<objstore::UploadedPart>& parts) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kComplete));
    std::lock_guard lock(mu_);
    auto it = uploads_.find(upload_id);
    if (it == uploads_.end() || it->second.key != key) {
      return Status::NotFound("NoSuchUpload " + upload_id);
    }
    std::string body;
    int expect = 1;
    for (const auto& p : parts) {
      auto part = it->second.parts.find(p.number);
      if (p.number != expect++ || part == it->second.parts.end()) {
        return Status::InvalidArgument("InvalidPart " + std::to_string(p.number));
      }
      if (&p != &parts.back() && part->second.size() < min_part_size_) {
        return Status::InvalidArgument("EntityTooSmall");
      }
      body += part->second;
    }
    auto options = it->second.options;
    uploads_.erase(it);
    return Store(key, std::move(body), options);
  }

  Status AbortMultipart(const std::string& key, const std::string& upload_id) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kAbort));
    std::lock_guard lock(mu_);
    auto it = uploads_.find(upload_id);
    if (it == uploads_.end() || it->second.key != key) {
      return Status::NotFound("NoSuchUpload " + upload_id);
    }
    uploads_.erase(it);
    return Status::Ok();
  }

  uint64_t MinPartSize() const override { return min_part_size_; }

  Result<std::string> Get(const std::string& key,
                          std::optional<objstore::ByteRange> range) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kGet));
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound("NoSuchKey " + key);
    const std::string& body = it->second.body;
    if (!range) return body;
    if (range->offset >= body.size()) return Status::InvalidArgument("InvalidRange");
    const uint64_t len = range->length == 0 ? body.size() - range->offset : range->length;
    return body.substr(range->offset, len);
  }

  Result<objstore::ObjectInfo> Head(const std::string& key) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kHead));
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return Status::NotFound("NoSuchKey " + key);
    return it->second.info;
  }

  Result<objstore::ListPage> List(const std::string& prefix, const std::string& page_token,
                                  int max_keys) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kList));
    std::lock_guard lock(mu_);
    objstore::ListPage page;
    for (auto it = objects_.lower_bound(std::max(prefix, page_token)); it != objects_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (!page_token.empty() && it->first == page_token) continue;
      if (static_cast<int>(page.objects.size()) == max_keys) {
        page.next_token = page.objects.back().key;
        break;
      }
      objstore::ObjectInfo info = it->second.info;
      info.metadata.clear();
      page.objects.push_back(std::move(info));
    }
    return page;
  }

  Status Delete(const std::string& key) override {
    BEACON_RETURN_IF_ERROR(Enter(Op::kDelete));
    std::lock_guard lock(mu_);
    objects_.erase(key);
    return Status::Ok();
  }

  Result<objstore::ObjectInfo> Copy(const std::string& from, const std::string& to,
                                    objstore::StorageClass storage_class) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(from);
    if (it == objects_.end()) return Status::NotFound("NoSuchKey " + from);
    Object copy = it->second;
    copy.info.key = to;
    copy.info.storage_class = storage_class;
    objects_[to] = copy;
    return copy.info;
  }

  Result<objstore::RestoreRequestResult> Restore(const std::string&, int) override {
    return objstore::RestoreRequestResult::kAlreadyRestored;
  }

 private:
  // Counts the call, runs the hook (unlocked, so it may touch files or the store) and applies
  // an injected failure.
  Status Enter(Op op) {
    Hook hook;
    int n = 0;
    bool fail = false;
    {
      std::lock_guard lock(mu_);
      n = ++calls_[op];
      hook = hook_;
      auto it = fail_at_.find(op);
      fail = it != fail_at_.end() && it->second == n;
    }
    if (hook) hook(op, n);
    if (fail) return Status::Unavailable("injected failure of call " + std::to_string(n));
    return Status::Ok();
  }

  objstore::ObjectInfo Store(const std::string& key, std::string body,
                             const objstore::PutOptions& options) {
    Object& o = objects_[key];
    o.body = std::move(body);
    o.info.key = key;
    o.info.size = o.body.size();
    o.info.etag = "etag-" + std::to_string(o.body.size());
    o.info.last_modified_ms = 1'700'000'000'000;
    o.info.storage_class = options.storage_class;
    o.info.metadata = options.metadata;
    return o.info;
  }

  const std::string name_ = "memory";
  const uint64_t min_part_size_;
  std::mutex mu_;
  std::map<std::string, Object> objects_;
  std::map<std::string, Upload> uploads_;
  std::map<Op, int> calls_;
  std::map<Op, int> fail_at_;
  Hook hook_;
  int next_upload_ = 0;
};

}  // namespace beacon::agent::backup::testing
