// vfs.fs.size, vfs.fs.discovery and the vfs.file.* items with zabbix_agentd 6.0's parameters,
// value formats and messages. Filesystems through statvfs (no child process); files are hashed
// in streaming reads through OpenSSL, never loaded whole, within the item's deadline.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "agent/zabbix/items.h"
#include "agent/zabbix/proc_parsers.h"
#include "common/posix.h"
#include "common/strings.h"

namespace beacon::agent::zabbix {
namespace {

constexpr size_t kReadChunk = 1 << 20;  // large reads keep hashing at disk/page-cache speed

ItemResult FsSize(const ItemKey& key, const ItemContext&) {
  ItemResult error;
  if (TooMany(key, 2, &error)) return error;
  const std::string& fs = key.Param(0);
  if (fs.empty()) return ItemResult::NotSupported("Filesystem name cannot be empty.");
  const std::string& mode = key.Param(1);
  if (!mode.empty() && mode != "total" && mode != "free" && mode != "used" && mode != "pfree" &&
      mode != "pused") {
    return InvalidParam(1);
  }
  struct statvfs s {};
  if (::statvfs(fs.c_str(), &s) != 0) {
    return ItemResult::NotSupported("Cannot obtain filesystem information: " + ZbxErrno(errno));
  }
  const uint64_t frsize = s.f_frsize;
  const uint64_t total = uint64_t(s.f_blocks) * frsize;
  const uint64_t free = uint64_t(s.f_bavail) * frsize;
  const uint64_t used = (uint64_t(s.f_blocks) - uint64_t(s.f_bfree)) * frsize;
  if (mode.empty() || mode == "total") return ItemResult::Value(std::to_string(total));
  if (mode == "free") return ItemResult::Value(std::to_string(free));
  if (mode == "used") return ItemResult::Value(std::to_string(used));
  // Percentages of what non-root users can have (used + available), like df.
  const uint64_t usable = uint64_t(s.f_blocks) - uint64_t(s.f_bfree) + uint64_t(s.f_bavail);
  const double pfree = usable == 0 ? 0.0 : 100.0 * double(s.f_bavail) / double(usable);
  const double pused = usable == 0 ? 0.0 : 100.0 - pfree;
  return ItemResult::Value(FormatFloat(mode == "pfree" ? pfree : pused));
}

// "\040" in /proc/mounts is a space.
std::string UnescapeMountField(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
        field[i + 2] >= '0' && field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7') {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(field[i]);
  }
  return out;
}

ItemResult FsDiscovery(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (RejectParams(key, &error)) return error;
  int err = 0;
  auto text = ReadSmallFile(context.proc_root + "/mounts", &err);
  if (!text) return ItemResult::NotSupported("Cannot open /proc/mounts: " + ZbxErrno(err));
  nlohmann::json rows = nlohmann::json::array();
  std::string_view rest = *text;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    auto fields = SplitWhitespace(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (fields.size() < 3) continue;
    rows.push_back({{"{#FSNAME}", UnescapeMountField(fields[1])},
                    {"{#FSTYPE}", UnescapeMountField(fields[2])}});
  }
  return ItemResult::Value(DiscoveryJson(rows));
}

// File type bits of vfs.file.exists.
enum FileTypeBit : unsigned {
  kTypeFile = 1,
  kTypeDir = 2,
  kTypeSym = 4,
  kTypeSock = 8,
  kTypeBdev = 16,
  kTypeCdev = 32,
  kTypeFifo = 64,
  kTypeAll = 127,
};

unsigned TypeOfMode(mode_t mode) {
  if (S_ISREG(mode)) return kTypeFile;
  if (S_ISDIR(mode)) return kTypeDir;
  if (S_ISLNK(mode)) return kTypeSym;
  if (S_ISSOCK(mode)) return kTypeSock;
  if (S_ISBLK(mode)) return kTypeBdev;
  if (S_ISCHR(mode)) return kTypeCdev;
  if (S_ISFIFO(mode)) return kTypeFifo;
  return 0;
}

// "file,dir" (or an array's elements) -> bits; an unknown name is `Invalid type "x".`
bool ParseTypes(const KeyParam& param, unsigned* bits, ItemResult* error) {
  std::vector<std::string> names = param.elements;
  if (!param.is_array) {
    std::string_view rest = param.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      names.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  static const std::pair<const char*, unsigned> kNames[] = {
      {"file", kTypeFile}, {"dir", kTypeDir},   {"sym", kTypeSym},   {"sock", kTypeSock},
      {"bdev", kTypeBdev}, {"cdev", kTypeCdev}, {"fifo", kTypeFifo}, {"dev", kTypeBdev | kTypeCdev},
      {"all", kTypeAll}};
  *bits = 0;
  for (const std::string& name : names) {
    bool known = false;
    for (const auto& [n, bit] : kNames) {
      if (name == n) {
        *bits |= bit;
        known = true;
      }
    }
    if (!known) {
      *error = ItemResult::NotSupported("Invalid type \"" + name + "\".");
      return false;
    }
  }
  return true;
}

ItemResult FileExists(const ItemKey& key, const ItemContext&) {
  ItemResult error;
  if (TooMany(key, 3, &error)) return error;
  const std::string& path = key.Param(0);
  if (path.empty()) return InvalidParam(0);
  unsigned include = 0, exclude = 0;
  static const KeyParam kNone;
  if (!ParseTypes(key.params.size() > 1 ? key.params[1] : kNone, &include, &error)) return error;
  if (!ParseTypes(key.params.size() > 2 ? key.params[2] : kNone, &exclude, &error)) return error;
  if (include == 0) include = exclude == 0 ? kTypeFile : kTypeAll;
  const unsigned wanted = include & ~exclude;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return ItemResult::Value("0");
  const unsigned type = TypeOfMode(st.st_mode);
  if (wanted & type) return ItemResult::Value("1");
  // A symbolic link counts by its target unless links are excluded.
  if (type == kTypeSym && !(exclude & kTypeSym) && ::stat(path.c_str(), &st) == 0 &&
      (wanted & TypeOfMode(st.st_mode))) {
    return ItemResult::Value("1");
  }
  return ItemResult::Value("0");
}

ItemResult Timeout() { return ItemResult::NotSupported("Timeout while processing item."); }

// Reads the whole file in chunks and hands each to `consume`; checks the deadline between
// chunks.
ItemResult ReadChunks(const std::string& path, const ItemContext& context,
                      const std::function<void(const char*, size_t)>& consume) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ItemResult::NotSupported("Cannot open file: " + ZbxErrno(errno));
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<char[]> buffer(new char[kReadChunk]);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.get(), kReadChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ItemResult::NotSupported("Cannot read from file.");
    if (n == 0) return ItemResult::Value("");
    consume(buffer.get(), static_cast<size_t>(n));
    if (context.deadline_ms > 0 && context.clock->MonotonicMs() > context.deadline_ms) {
      return Timeout();
    }
  }
}

ItemResult Digest(const std::string& path, const EVP_MD* md, const ItemContext& context) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return ItemResult::NotSupported("Cannot initialize the hash.");
  }
  ItemResult read = ReadChunks(path, context, [&ctx](const char* data, size_t size) {
    EVP_DigestUpdate(ctx.get(), data, size);
  });
  if (!read.supported) return read;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return ItemResult::Value(std::move(hex));
}

ItemResult FileCksum(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 2, &error)) return error;
  const std::string& path = key.Param(0);
  if (path.empty()) return InvalidParam(0);
  const std::string& mode = key.Param(1);
  if (mode == "md5") return Digest(path, EVP_md5(), context);
  if (mode == "sha256") return Digest(path, EVP_sha256(), context);
  if (!mode.empty() && mode != "crc32") return InvalidParam(1);
  PosixCksum crc;
  ItemResult read =
      ReadChunks(path, context, [&crc](const char* data, size_t size) { crc.Update(data, size); });
  if (!read.supported) return read;
  return ItemResult::Value(std::to_string(crc.Final()));
}

ItemResult FileMd5sum(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 1, &error)) return error;
  if (key.Param(0).empty()) return InvalidParam(0);
  return Digest(key.Param(0), EVP_md5(), context);
}

ItemResult FileSize(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 2, &error)) return error;
  const std::string& path = key.Param(0);
  if (path.empty()) return InvalidParam(0);
  const std::string& mode = key.Param(1);
  if (!mode.empty() && mode != "bytes" && mode != "lines") return InvalidParam(1);
  if (mode == "lines") {
    uint64_t lines = 0;
    ItemResult read = ReadChunks(path, context, [&lines](const char* data, size_t size) {
      for (const char* p = data; (p = static_cast<const char*>(memchr(p, '\n', data + size - p)));
           ++p) {
        ++lines;
      }
    });
    if (!read.supported) return read;
    return ItemResult::Value(std::to_string(lines));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return ItemResult::NotSupported("Cannot obtain file information: " + ZbxErrno(errno));
  }
  return ItemResult::Value(std::to_string(st.st_size));
}

ItemResult FileTime(const ItemKey& key, const ItemContext&) {
  ItemResult error;
  if (TooMany(key, 2, &error)) return error;
  const std::string& path = key.Param(0);
  if (path.empty()) return InvalidParam(0);
  const std::string& mode = key.Param(1);
  if (!mode.empty() && mode != "modify" && mode != "access" && mode != "change") {
    return InvalidParam(1);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return ItemResult::NotSupported("Cannot obtain file information: " + ZbxErrno(errno));
  }
  const time_t t = mode == "access" ? st.st_atime : mode == "change" ? st.st_ctime : st.st_mtime;
  return ItemResult::Value(std::to_string(static_cast<int64_t>(t)));
}

}  // namespace

void AddVfsItems(ItemTable* table) {
  table->Add({"vfs.fs.size", ItemCost::kSlow, FsSize});
  table->Add({"vfs.fs.discovery", ItemCost::kCheap, FsDiscovery});
  table->Add({"vfs.file.exists", ItemCost::kSlow, FileExists});
  table->Add({"vfs.file.size", ItemCost::kSlow, FileSize});
  table->Add({"vfs.file.time", ItemCost::kSlow, FileTime});
  table->Add({"vfs.file.cksum", ItemCost::kSlow, FileCksum});
  table->Add({"vfs.file.md5sum", ItemCost::kSlow, FileMd5sum});
}

}  // namespace beacon::agent::zabbix
