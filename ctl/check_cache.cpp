// On-disk TTL cache with per-entry lock files (see check_cache.h).
#include "ctl/check_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/json/parse.h"
#include "common/posix.h"

namespace beacon::ctl {
namespace {

constexpr size_t kMaxEntryBytes = 8 * 1024 * 1024;

bool IsValidEntryName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

Status WriteAtomically(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::IoError("cannot write " + temp + ": " + ErrnoText(errno));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = ErrnoText(errno);
      ::unlink(temp.c_str());
      return Status::IoError("cannot write " + temp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  fd.reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = ErrnoText(errno);
    ::unlink(temp.c_str());
    return Status::IoError("cannot rename " + temp + ": " + why);
  }
  return Status::Ok();
}

}  // namespace

CheckCache::CheckCache(std::string dir, int64_t ttl_ms, const Clock& clock)
    : dir_(std::move(dir)), ttl_ms_(ttl_ms), clock_(clock) {}

Result<nlohmann::json> CheckCache::ReadFresh(const std::string& path) const {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("no entry");
  std::ostringstream content;
  content << file.rdbuf();
  if (content.str().size() > kMaxEntryBytes) return Status::NotFound("oversized entry");
  Result<nlohmann::json> entry = ParseJson(content.str());
  if (!entry.ok() || !entry->is_object() || !entry->contains("value")) {
    return Status::NotFound("unreadable entry");
  }
  auto fetched = entry->find("fetched_ms");
  if (fetched == entry->end() || !fetched->is_number_integer()) {
    return Status::NotFound("unreadable entry");
  }
  const int64_t age = clock_.NowMs() - fetched->get<int64_t>();
  // A time in the future (clock stepped back) is not trusted either.
  if (age < 0 || age >= ttl_ms_) return Status::NotFound("stale entry");
  return (*entry)["value"];
}

Result<nlohmann::json> CheckCache::GetOrFetch(
    const std::string& name, const std::function<Result<nlohmann::json>()>& fetch) {
  if (!IsValidEntryName(name)) return Status::InvalidArgument("bad cache entry name");
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IoError("cannot create state directory " + dir_ + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  const std::string path = dir_ + "/" + name + ".json";
  if (Result<nlohmann::json> cached = ReadFresh(path); cached.ok()) return cached;

  const std::string lock_path = dir_ + "/" + name + ".lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid()) {
    return Status::IoError("cannot open lock file " + lock_path + ": " + ErrnoText(errno));
  }
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return Status::IoError("cannot lock " + lock_path + ": " + ErrnoText(errno));
    }
  }
  // Whoever held the lock may have just stored it.
  if (Result<nlohmann::json> cached = ReadFresh(path); cached.ok()) return cached;
  Result<nlohmann::json> value = fetch();
  if (!value.ok()) return value;
  nlohmann::json entry = {{"fetched_ms", clock_.NowMs()}, {"value", *value}};
  BEACON_RETURN_IF_ERROR(WriteAtomically(path, entry.dump()));
  return value;  // the lock is released when `lock` closes
}

}  // namespace beacon::ctl
