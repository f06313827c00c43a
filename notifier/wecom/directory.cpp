// DirectoryClient: user/get, department/simplelist, tag/list and tag/get with the app's token,
// cached, single-flight and stale-on-error; the reply parsers. See directory.h.
#include "notifier/wecom/directory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "common/json/parse.h"
#include "common/log/log.h"
#include "common/url.h"

namespace beacon::notifier::wecom {
namespace {

// Replies are bounded before a tree exists: the largest legitimate one (a big company's
// department list) stays far below these.
constexpr size_t kMaxDirectoryReplyBytes = size_t{32} * 1024 * 1024;
constexpr size_t kMaxDirectoryReplyValues = 2'000'000;

constexpr char kUnreachable[] = "unreachable";  // DirectoryClient::outage_ while WeCom is away

constexpr char kVisibleRangeAdvice[] =
    ": the app may read only the members and departments in its visible range (可见范围: admin "
    "console > 应用管理 > the app > 可见范围); include the departments and tags of bot.roles there";

// A non-negative integer id (department and tag ids are 32-bit in WeCom).
bool ReadId(const nlohmann::json& value, int64_t* out) {
  if (!value.is_number_integer()) return false;
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(value.get<uint64_t>());
    return true;
  }
  *out = value.get<int64_t>();
  return *out >= 0;
}

// reply[key] as an array; absent is an empty array when `optional`.
Result<const nlohmann::json*> ArrayField(const nlohmann::json& reply, const char* key,
                                         bool optional) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!reply.is_object()) return Status::InvalidArgument("the reply is not a JSON object");
  auto it = reply.find(key);
  if (it == reply.end()) {
    if (optional) return &kEmpty;
    return Status::InvalidArgument(std::string("no '") + key + "' in the reply");
  }
  if (!it->is_array()) return Status::InvalidArgument(std::string("'") + key + "' is not a list");
  return &*it;
}

}  // namespace

Result<std::vector<int64_t>> ParseUserDepartments(const nlohmann::json& reply) {
  BEACON_ASSIGN_OR_RETURN(const nlohmann::json* list, ArrayField(reply, "department", false));
  if (list->size() > kMaxUserDepartments) {
    return Status::InvalidArgument("'department' lists more than " +
                                   std::to_string(kMaxUserDepartments) + " ids");
  }
  std::vector<int64_t> out;
  for (const nlohmann::json& value : *list) {
    int64_t id = 0;
    if (!ReadId(value, &id)) {
      return Status::InvalidArgument("'department' holds something other than department ids");
    }
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

Result<std::map<int64_t, int64_t>> ParseDepartmentParents(const nlohmann::json& reply) {
  const char* key =
      reply.is_object() && reply.contains("department") ? "department" : "department_id";
  BEACON_ASSIGN_OR_RETURN(const nlohmann::json* list, ArrayField(reply, key, false));
  if (list->size() > kMaxDirectoryDepartments) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxDirectoryDepartments) +
                                   " departments");
  }
  std::map<int64_t, int64_t> parents;
  for (const nlohmann::json& entry : *list) {
    int64_t id = 0;
    int64_t parent = 0;
    if (!entry.is_object() || !entry.contains("id") || !ReadId(entry["id"], &id)) {
      return Status::InvalidArgument(std::string("a '") + key + "' entry without a valid id");
    }
    auto parent_it = entry.find("parentid");
    if (parent_it != entry.end() && !ReadId(*parent_it, &parent)) {
      return Status::InvalidArgument("department " + std::to_string(id) +
                                     " has an invalid parentid");
    }
    if (!parents.emplace(id, parent).second) {
      return Status::InvalidArgument("department " + std::to_string(id) + " is listed twice");
    }
  }
  return parents;
}

Result<std::map<std::string, int64_t>> ParseTagList(const nlohmann::json& reply) {
  BEACON_ASSIGN_OR_RETURN(const nlohmann::json* list, ArrayField(reply, "taglist", false));
  if (list->size() > kMaxDirectoryTags) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxDirectoryTags) + " tags");
  }
  std::map<std::string, int64_t> tags;
  for (const nlohmann::json& entry : *list) {
    int64_t id = 0;
    if (!entry.is_object() || !entry.contains("tagid") || !ReadId(entry["tagid"], &id) ||
        !entry.contains("tagname") || !entry["tagname"].is_string()) {
      return Status::InvalidArgument("a 'taglist' entry without an integer tagid and a tagname");
    }
    const std::string name = entry["tagname"].get<std::string>();
    if (name.empty()) return Status::InvalidArgument("tag " + std::to_string(id) + " has no name");
    if (!tags.emplace(name, id).second) {
      return Status::InvalidArgument("two tags are named '" + name + "'");
    }
  }
  return tags;
}

Result<TagMembers> ParseTagMembers(const nlohmann::json& reply) {
  BEACON_ASSIGN_OR_RETURN(const nlohmann::json* users, ArrayField(reply, "userlist", true));
  BEACON_ASSIGN_OR_RETURN(const nlohmann::json* parties, ArrayField(reply, "partylist", true));
  if (users->size() + parties->size() > kMaxDirectoryTagMembers) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxDirectoryTagMembers) +
                                   " tag members");
  }
  TagMembers members;
  for (const nlohmann::json& user : *users) {
    auto id = user.is_object() ? user.find("userid") : user.end();
    if (!user.is_object() || id == user.end() || !id->is_string() ||
        id->get_ref<const std::string&>().empty()) {
      return Status::InvalidArgument("a 'userlist' entry without a userid");
    }
    members.users.insert(id->get<std::string>());
  }
  for (const nlohmann::json& party : *parties) {
    int64_t id = 0;
    if (!ReadId(party, &id)) {
      return Status::InvalidArgument("'partylist' holds something other than department ids");
    }
    members.departments.insert(id);
  }
  return members;
}

std::vector<int64_t> DepartmentsWithAncestors(const std::vector<int64_t>& direct,
                                              const std::map<int64_t, int64_t>& parents) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t start : direct) {
    int64_t id = start;
    for (int depth = 0; id > 0 && depth <= kMaxDepartmentDepth; ++depth) {
      // Seen before: its ancestors were walked already (or this is a cycle).
      if (!seen.insert(id).second) break;
      out.push_back(id);
      auto parent = parents.find(id);
      if (parent == parents.end()) break;
      id = parent->second;
    }
  }
  return out;
}

DirectoryClient::DirectoryClient(DirectoryOptions options, TokenCache* tokens,
                                 http::HttpClient* http, const Clock* clock)
    : options_(std::move(options)), tokens_(tokens), http_(http), clock_(clock) {}

int64_t DirectoryClient::request_count() const {
  MutexLock lock(mutex_);
  return request_count_;
}

Result<nlohmann::json> DirectoryClient::Call(const std::string& path_query,
                                             const std::string& what) {
  for (int attempt = 0;; ++attempt) {
    Result<std::string> token = tokens_->Get();
    if (!token.ok()) return token.status();  // TokenCache's messages carry no secret
    http::HttpRequest request;
    request.method = "GET";
    request.url = NormalizeApiUrl(options_.api_url) + path_query +
                  (path_query.find('?') == std::string::npos ? "?" : "&") +
                  "access_token=" + PercentEncode(*token);
    request.timeout_ms = options_.timeout_ms;
    {
      MutexLock lock(mutex_);
      ++request_count_;
    }
    Result<http::HttpResponse> response = http_->Send(request);
    if (!response.ok()) {
      return Status(response.status().code(),
                    what + ": " + log::Redact(response.status().message()));
    }
    if (response->status != 200) {
      std::string message = what + ": HTTP " + std::to_string(response->status);
      if (response->status >= 500 || response->status == 429) return Status::Unavailable(message);
      return Status::InvalidArgument(message + " (check bot.reply.api_url)");
    }
    JsonLimits limits;
    limits.max_bytes = kMaxDirectoryReplyBytes;
    limits.max_values = kMaxDirectoryReplyValues;
    Result<nlohmann::json> parsed = ParseJson(response->body, limits);
    if (!parsed.ok()) {
      if (parsed.status().code() == StatusCode::kResourceExhausted) {
        return Status::InvalidArgument(what + ": reply too large: " + parsed.status().message());
      }
      // A proxy's error page rather than WeCom: worth asking again later.
      return Status::Unavailable(what + ": the reply is not JSON (" +
                                 std::to_string(response->body.size()) + " bytes)");
    }
    if (!parsed->is_object() || !parsed->contains("errcode") ||
        !(*parsed)["errcode"].is_number_integer()) {
      return Status::Unavailable(what + ": the reply has no errcode");
    }
    const int64_t errcode = (*parsed)["errcode"].get<int64_t>();
    auto errmsg_it = parsed->find("errmsg");
    const std::string errmsg = log::Redact(
        errmsg_it != parsed->end() && errmsg_it->is_string() ? errmsg_it->get<std::string>() : "");
    const std::string described =
        what + ": WeCom errcode " + std::to_string(errcode) + " (" + errmsg + ")";
    switch (errcode) {
      case 0:
        return std::move(*parsed);
      case 40001:
      case 40014:
      case 42001:
        // Revoked or expired early: evict it (only if nobody did yet) and ask once more.
        tokens_->Invalidate(*token);
        if (attempt == 0) continue;
        return Status::Unavailable(described + " again with a fresh access token");
      case -1:
      case 45009:
      case 45033:
        return Status::Unavailable(described);
      case 48002:
      case 48009:
      case 60011:
        return Status::PermissionDenied(described + kVisibleRangeAdvice);
      case 40003:
      case 60111:
        return Status::NotFound(described + ": no such UserID in WeCom");
      case 60020:
        return Status::FailedPrecondition(what + ": " + UntrustedIpAdvice(errmsg));
      default:
        return Status::InvalidArgument(described);
    }
  }
}

Result<std::vector<int64_t>> DirectoryClient::FetchUser(const std::string& user_id) {
  BEACON_ASSIGN_OR_RETURN(nlohmann::json reply,
                          Call("user/get?userid=" + PercentEncode(user_id), "user/get"));
  Result<std::vector<int64_t>> departments = ParseUserDepartments(reply);
  if (!departments.ok()) return departments.status().WithContext("user/get");
  return departments;
}

Result<DirectoryClient::SnapshotPtr> DirectoryClient::FetchSnapshot() {
  auto snapshot = std::make_shared<Snapshot>();
  BEACON_ASSIGN_OR_RETURN(nlohmann::json departments,
                          Call("department/simplelist", "department/simplelist"));
  Result<std::map<int64_t, int64_t>> parents = ParseDepartmentParents(departments);
  if (!parents.ok()) return parents.status().WithContext("department/simplelist");
  snapshot->parents = std::move(*parents);
  if (options_.wanted_tags.empty()) return SnapshotPtr(std::move(snapshot));

  BEACON_ASSIGN_OR_RETURN(nlohmann::json list, Call("tag/list", "tag/list"));
  Result<std::map<std::string, int64_t>> tags = ParseTagList(list);
  if (!tags.ok()) return tags.status().WithContext("tag/list");
  for (const std::string& name : options_.wanted_tags) {
    auto tag = tags->find(name);
    if (tag == tags->end()) {
      spdlog::debug("bot directory: tag '{}' of bot.roles is not in WeCom's tag/list", name);
      continue;
    }
    const std::string what = "tag/get (tag '" + name + "')";
    BEACON_ASSIGN_OR_RETURN(nlohmann::json members,
                            Call("tag/get?tagid=" + std::to_string(tag->second), what));
    Result<TagMembers> parsed = ParseTagMembers(members);
    if (!parsed.ok()) return parsed.status().WithContext(what);
    snapshot->tags.emplace(name, std::move(*parsed));
  }
  return SnapshotPtr(std::move(snapshot));
}

template <typename T>
Result<T> DirectoryClient::Settle(Cached<T>& cached, Result<T> fetched) {
  const int64_t now = clock_->MonotonicMs();
  cached.flight.reset();
  if (fetched.ok()) {
    cached.has_value = true;
    cached.value = *fetched;
    cached.failure = Status::Ok();
    cached.next_fetch_ms = now + options_.ttl_ms;
    return fetched;
  }
  cached.failure = fetched.status();
  cached.next_fetch_ms = now + std::min(options_.ttl_ms, options_.retry_after_failure_ms);
  if (fetched.status().IsTransient()) {
    if (cached.has_value) return cached.value;
    return fetched.status();
  }
  // WeCom answered: the user is gone or hidden now, so an older answer must not be used.
  cached.has_value = false;
  cached.value = T{};
  return fetched.status();
}

void DirectoryClient::Touch(UserSlot& slot) { lru_.splice(lru_.begin(), lru_, slot.lru); }

void DirectoryClient::EvictIfFull() {
  auto victim = lru_.end();
  while (users_.size() >= std::max<size_t>(options_.max_users, 1) && victim != lru_.begin()) {
    --victim;
    auto it = users_.find(*victim);
    if (it->second.cached.flight) continue;  // someone waits for it
    users_.erase(it);
    victim = lru_.erase(victim);
  }
}

Result<DirectoryClient::SnapshotPtr> DirectoryClient::GetSnapshot() {
  UniqueLock lock(mutex_);
  if (snapshot_.flight) {
    std::shared_ptr<Flight<SnapshotPtr>> flight = snapshot_.flight;
    done_cv_.wait(lock, [&flight]() { return flight->done; });
    return flight->result;
  }
  if (clock_->MonotonicMs() < snapshot_.next_fetch_ms) {
    if (snapshot_.has_value) return snapshot_.value;
    return snapshot_.failure;
  }
  auto flight = std::make_shared<Flight<SnapshotPtr>>();
  snapshot_.flight = flight;
  lock.unlock();
  Result<SnapshotPtr> fetched = FetchSnapshot();
  lock.lock();
  Result<SnapshotPtr> out = Settle(snapshot_, std::move(fetched));
  if (!out.ok() && !out.status().IsTransient()) {
    const std::string key = "snapshot " + std::string(StatusCodeName(out.status().code()));
    if (outage_ != key) {
      spdlog::warn(
          "bot directory: reading WeCom's departments and tags failed: {}; department and tag "
          "grants of bot.roles do not apply until it works (UserID grants still do)",
          out.status().message());
      outage_ = key;
    }
  } else {
    NoteOutcome(snapshot_.failure, /*snapshot=*/true);
  }
  flight->result = out;
  flight->done = true;
  done_cv_.notify_all();
  return out;
}

Result<std::vector<int64_t>> DirectoryClient::GetUser(const std::string& user_id) {
  UniqueLock lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end()) {
    EvictIfFull();
    lru_.push_front(user_id);
    it = users_.emplace(user_id, UserSlot{}).first;
    it->second.lru = lru_.begin();
  } else {
    Touch(it->second);
  }
  Cached<std::vector<int64_t>>& cached = it->second.cached;
  if (cached.flight) {
    std::shared_ptr<Flight<std::vector<int64_t>>> flight = cached.flight;
    done_cv_.wait(lock, [&flight]() { return flight->done; });
    return flight->result;
  }
  if (clock_->MonotonicMs() < cached.next_fetch_ms) {
    if (cached.has_value) return cached.value;
    return cached.failure;
  }
  auto flight = std::make_shared<Flight<std::vector<int64_t>>>();
  cached.flight = flight;
  lock.unlock();
  Result<std::vector<int64_t>> fetched = FetchUser(user_id);
  lock.lock();
  // The slot was kept while its flight ran (EvictIfFull skips it).
  it = users_.find(user_id);
  Result<std::vector<int64_t>> out = Settle(it->second.cached, std::move(fetched));
  if (!out.ok() && !out.status().IsTransient()) {
    // About this user only, and not again until the next request for them (after the retry
    // interval) fails differently.
    const std::string key = std::string(StatusCodeName(out.status().code()));
    if (it->second.logged != key) {
      spdlog::warn(
          "bot directory: no departments or tags for '{}': {}; department and tag grants do not "
          "apply to them, their UserID alone decides their role",
          user_id, out.status().message());
      it->second.logged = key;
    }
  } else {
    if (it->second.cached.failure.ok()) it->second.logged.clear();
    NoteOutcome(it->second.cached.failure, /*snapshot=*/false);
  }
  flight->result = out;
  flight->done = true;
  done_cv_.notify_all();
  return out;
}

void DirectoryClient::NoteOutcome(const Status& status, bool snapshot) {
  if (status.ok()) {
    // A user's answer ends an outage of reachability; only the snapshot's own success ends a
    // refusal of the department and tag calls.
    if (outage_ == kUnreachable || (snapshot && !outage_.empty())) {
      spdlog::info("bot directory: WeCom answers directory requests again");
      outage_.clear();
    }
    return;
  }
  if (outage_ == kUnreachable) return;
  spdlog::warn(
      "bot directory: WeCom's contact directory is unreachable ({}); users looked up before keep "
      "their last known departments and tags, others are matched on their UserID only, until it "
      "answers again",
      status.message());
  outage_ = kUnreachable;
}

Result<DirectoryEntry> DirectoryClient::Lookup(const std::string& user_id) {
  BEACON_ASSIGN_OR_RETURN(std::vector<int64_t> direct, GetUser(user_id));
  BEACON_ASSIGN_OR_RETURN(SnapshotPtr snapshot, GetSnapshot());
  DirectoryEntry entry;
  {
    MutexLock lock(mutex_);
    auto it = users_.find(user_id);
    entry.stale =
        (it != users_.end() && !it->second.cached.failure.ok()) || !snapshot_.failure.ok();
  }
  const std::vector<int64_t> departments = DepartmentsWithAncestors(direct, snapshot->parents);
  for (int64_t id : departments) entry.departments.push_back(std::to_string(id));
  for (const auto& [name, members] : snapshot->tags) {
    bool has = members.users.count(user_id) > 0;
    for (size_t i = 0; !has && i < departments.size(); ++i) {
      has = members.departments.count(departments[i]) > 0;
    }
    if (has) entry.tags.push_back(name);
  }
  return entry;
}

}  // namespace beacon::notifier::wecom
