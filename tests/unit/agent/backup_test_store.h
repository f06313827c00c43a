// Test helpers for the backup tests: a unique temp directory per test, file helpers and test
// data, and the in-memory ObjectStore every backup test uses (tests/support/memory_object_store.h:
// counts calls per operation, fails the Nth call of an operation with Unavailable, runs a hook
// before each call, e.g. to modify the file being uploaded; thread-safe).
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

#include "tests/support/memory_object_store.h"

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

// The shared in-memory store (tests/support/memory_object_store.h) under the backup tests' names.
using MemoryStore = fakes::MemoryObjectStore;
using Op = fakes::MemoryObjectStore::Op;

}  // namespace beacon::agent::backup::testing
