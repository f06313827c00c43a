// WeCom contact-directory lookups for the chat bot's department and tag grants: which
// departments a UserID belongs to, every ancestor included (user/get for the direct ones,
// department/simplelist for the parent ids), and which of the wanted tags it holds, directly or
// through a department or one of its parents (tag/list for id -> name, tag/get for userlist and
// partylist). Calls are made with the app's cached access token (token_cache.h). Answers are
// cached for the configured TTL in a bounded cache; concurrent lookups of one user (and of the
// shared department/tag snapshot) wait for one request; while WeCom is unreachable the last
// good answer is used, and the outage is logged once. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/http/client.h"
#include "common/mutex.h"
#include "common/status.h"
#include "notifier/wecom/token_cache.h"

namespace beacon::notifier::wecom {

// Bounds on what the directory replies may hold; more is refused as a malformed reply rather
// than cut (a cut list could silently drop a grant).
inline constexpr size_t kMaxDirectoryDepartments = 200'000;  // department/simplelist entries
inline constexpr size_t kMaxDirectoryTags = 10'000;          // tag/list entries
inline constexpr size_t kMaxDirectoryTagMembers = 200'000;   // tag/get userlist + partylist
inline constexpr size_t kMaxUserDepartments = 1'000;         // user/get department ids
// Ancestors followed above one department; WeCom allows 15 levels, so more means a broken or
// cyclic parent chain, which is cut here instead of being followed forever.
inline constexpr int kMaxDepartmentDepth = 64;

// ---- Pure parsers of the replies (errcode 0 already checked), for the client and the fuzzer.
// Each refuses a reply of the wrong shape with InvalidArgument naming the field, never throws.

// user/get: the "department" ids of the user.
Result<std::vector<int64_t>> ParseUserDepartments(const nlohmann::json& reply);
// department/simplelist ("department_id": [{id, parentid}]) or department/list
// ("department": [{id, parentid}]): id -> parent id (0 for the root).
Result<std::map<int64_t, int64_t>> ParseDepartmentParents(const nlohmann::json& reply);
// tag/list: tag name -> tag id.
Result<std::map<std::string, int64_t>> ParseTagList(const nlohmann::json& reply);
// tag/get: the UserIDs ("userlist": [{userid}]) and department ids ("partylist") of a tag.
struct TagMembers {
  std::set<std::string> users;
  std::set<int64_t> departments;
};
Result<TagMembers> ParseTagMembers(const nlohmann::json& reply);

// `direct` and every ancestor of each, in first-seen order without repeats. A parent chain
// stops at the root (0), an id the map does not know, a cycle, or kMaxDepartmentDepth.
std::vector<int64_t> DepartmentsWithAncestors(const std::vector<int64_t>& direct,
                                              const std::map<int64_t, int64_t>& parents);

// What the directory says about one UserID.
struct DirectoryEntry {
  std::vector<std::string> departments;  // ids as text, each with its ancestors
  std::vector<std::string> tags;         // names of the wanted tags the user holds
  bool stale = false;                    // WeCom was unreachable: the last good answer
};

struct DirectoryOptions {
  std::string api_url = "https://qyapi.weixin.qq.com/cgi-bin/";  // ends with '/'
  int64_t timeout_ms = 10'000;
  int64_t ttl_ms = 10 * 60'000;  // how long an answer is used before it is asked again
  // After WeCom failed transiently, how long to wait before asking again (min with ttl_ms);
  // meanwhile lookups answer at once from the last good answer or with the failure.
  int64_t retry_after_failure_ms = 30'000;
  size_t max_users = 10'000;  // cached users; the least recently used goes first
  // Tag names whose members matter (the ones roles are granted to); empty: no tag calls.
  std::set<std::string> wanted_tags;
};

class DirectoryClient {
 public:
  // tokens, http and clock outlive the client.
  DirectoryClient(DirectoryOptions options, TokenCache* tokens, http::HttpClient* http,
                  const Clock* clock);

  // The user's departments (with ancestors) and wanted tags. Errors, each logged by the
  // client once per outage or once per user and TTL (never per message), without secrets:
  // kNotFound (60111: no such UserID), kPermissionDenied (60011, 48002, 48009: the user or
  // the contacts are outside the app's visible range), kFailedPrecondition (60020: egress IP
  // not trusted), kUnavailable / kDeadlineExceeded (WeCom unreachable and no earlier answer),
  // kInvalidArgument (any other errcode, or a malformed reply). A revoked token (40001, 40014,
  // 42001) is refreshed once and the call repeated.
  Result<DirectoryEntry> Lookup(const std::string& user_id);

  // Requests sent to WeCom's directory endpoints (not gettoken), for tests.
  int64_t request_count() const;

 private:
  // A lookup in progress that others wait for.
  template <typename T>
  struct Flight {
    bool done = false;
    Result<T> result = Status::Unavailable("lookup in progress");
  };
  // The departments' parents and the wanted tags' members, shared by every user.
  struct Snapshot {
    std::map<int64_t, int64_t> parents;
    std::map<std::string, TagMembers> tags;  // wanted tags that exist
  };
  using SnapshotPtr = std::shared_ptr<const Snapshot>;
  // One cached answer: the last good value, or the failure when there is none to use.
  template <typename T>
  struct Cached {
    bool has_value = false;
    T value{};
    Status failure;                     // ok when the last request succeeded
    int64_t next_fetch_ms = 0;          // monotonic: asked again from then on
    std::shared_ptr<Flight<T>> flight;  // a request in progress
  };
  struct UserSlot {
    Cached<std::vector<int64_t>> cached;
    std::list<std::string>::iterator lru;
    std::string logged;  // the kind of this user's failure logged last; "" after a success
  };

  // GET <api_url><path_query>&access_token=… and the reply's JSON object when errcode is 0.
  Result<nlohmann::json> Call(const std::string& path_query, const std::string& what);
  Result<std::vector<int64_t>> FetchUser(const std::string& user_id);
  Result<SnapshotPtr> FetchSnapshot();
  Result<SnapshotPtr> GetSnapshot();
  Result<std::vector<int64_t>> GetUser(const std::string& user_id);
  // Records the outcome of a fetch into `cached` and ends its flight; returns what the caller
  // gets: the fetched value, the last good one after a transient failure, or the failure.
  template <typename T>
  Result<T> Settle(Cached<T>& cached, Result<T> fetched) BEACON_REQUIRES(mutex_);
  // Logs a transient failure once per outage, and the recovery (by the thread that made the
  // request; `snapshot`: the department and tag calls rather than one user's).
  void NoteOutcome(const Status& status, bool snapshot) BEACON_REQUIRES(mutex_);
  void Touch(UserSlot& slot) BEACON_REQUIRES(mutex_);
  void EvictIfFull() BEACON_REQUIRES(mutex_);

  const DirectoryOptions options_;
  TokenCache* const tokens_;
  http::HttpClient* const http_;
  const Clock* const clock_;

  mutable Mutex mutex_;
  std::condition_variable_any done_cv_;
  Cached<SnapshotPtr> snapshot_ BEACON_GUARDED_BY(mutex_);
  std::unordered_map<std::string, UserSlot> users_ BEACON_GUARDED_BY(mutex_);
  std::list<std::string> lru_ BEACON_GUARDED_BY(mutex_);  // most recent first
  std::string outage_ BEACON_GUARDED_BY(mutex_);          // what the open outage is; "" none
  int64_t request_count_ BEACON_GUARDED_BY(mutex_) = 0;
};

}  // namespace beacon::notifier::wecom
