// Tests for the WeCom directory client (notifier/wecom/directory.h) against an in-memory WeCom
// behind a scripted HttpClient: reply parsing and hostile replies, ancestors (cycles and deep
// chains end), tags held directly and through a parent department, caching with a TTL, one
// request for concurrent lookups, the bounded cache, stale answers while WeCom is away (logged
// once), token refresh, and the errors that make the bot fall back to the UserID.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/http/http.h"
#include "notifier/wecom/directory.h"
#include "notifier/wecom/token_cache.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::notifier::wecom {
namespace {

using nlohmann::json;

constexpr char kDirectoryApi[] = "https://qyapi.example/cgi-bin/";
constexpr int64_t kDirectoryTtl = 600'000;

// A small WeCom: departments 1 > 2 > 3 > 5 and 1 > 4; zhangsan in 5, lisi in 4 and 2, wangwu in
// 1; tag "sre" holds zhangsan by name, tag "oncall" holds department 2 (so everyone below it),
// tag "other" is not wanted. Answers strictly: a valid token is required; faults are queued
// per endpoint.
class DirectoryWecom {
 public:
  DirectoryWecom()
      : http_([this](const http::HttpRequest& r) { return Answer(r); }),
        tokens_(kDirectoryApi, "wwcorp", config::Secret("app-secret-value"), &http_, &clock_) {}

  struct Fault {
    int http_status = 200;
    std::string body;        // used as is when not empty
    bool transport = false;  // a connection failure
  };

  Result<http::HttpResponse> Answer(const http::HttpRequest& request) {
    std::string path;
    std::map<std::string, std::string> query;
    Fault fault;
    bool faulty = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string rest = request.url.substr(std::string(kDirectoryApi).size());
      size_t q = rest.find('?');
      path = rest.substr(0, q);
      query = http::ParseQuery(q == std::string::npos ? "" : rest.substr(q + 1));
      ++calls_[path];
      auto it = faults_.find(path);
      if (it != faults_.end() && !it->second.empty()) {
        fault = it->second.front();
        it->second.erase(it->second.begin());
        faulty = true;
      }
      urls_.push_back(request.url);
    }
    if (hold_ms_ > 0 && path == "user/get") {
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms_));
    }
    if (faulty) {
      if (fault.transport) return Status::Unavailable("connection refused");
      return fakes::ScriptedHttpClient::Response(fault.http_status, fault.body);
    }
    if (path == "gettoken") {
      std::lock_guard<std::mutex> lock(mutex_);
      token_ = "tok-" + std::to_string(++tokens_issued_);
      return Ok({{"access_token", token_}, {"expires_in", 7200}});
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (query["access_token"] != token_) return Ok({{"errcode", 40014}, {"errmsg", "bad"}});
    }
    if (path == "user/get") {
      auto it = users_.find(query["userid"]);
      if (it == users_.end()) return Ok({{"errcode", 60111}, {"errmsg", "userid not found"}});
      return Ok({{"userid", it->first}, {"name", "x"}, {"department", it->second}});
    }
    if (path == "department/simplelist") {
      json list = json::array();
      for (auto [id, parent] : parents_) list.push_back({{"id", id}, {"parentid", parent}});
      return Ok({{"department_id", list}});
    }
    if (path == "tag/list") {
      return Ok({{"taglist",
                  {{{"tagid", 1}, {"tagname", "sre"}},
                   {{"tagid", 2}, {"tagname", "oncall"}},
                   {{"tagid", 3}, {"tagname", "other"}}}}});
    }
    if (path == "tag/get") {
      if (query["tagid"] == "1") {
        return Ok({{"tagname", "sre"}, {"userlist", {{{"userid", "zhangsan"}}}}});
      }
      if (query["tagid"] == "2") {
        return Ok({{"tagname", "oncall"}, {"userlist", json::array()}, {"partylist", {2}}});
      }
      return Ok({{"errcode", 40068}, {"errmsg", "invalid tagid"}});
    }
    return fakes::ScriptedHttpClient::Response(404, "no such endpoint");
  }

  static http::HttpResponse Ok(json body) {
    if (!body.contains("errcode")) {
      body["errcode"] = 0;
      body["errmsg"] = "ok";
    }
    return fakes::ScriptedHttpClient::Response(200, body.dump());
  }

  void Fail(const std::string& path, Fault fault, int times = 1) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < times; ++i) faults_[path].push_back(fault);
  }
  void FailErrcode(const std::string& path, int errcode, const std::string& errmsg = "err",
                   int times = 1) {
    Fail(path, {200, json{{"errcode", errcode}, {"errmsg", errmsg}}.dump()}, times);
  }
  void ClearFaults() {
    std::lock_guard<std::mutex> lock(mutex_);
    faults_.clear();
  }
  int calls(const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_[path];
  }
  int directory_calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    int n = 0;
    for (const auto& [path, count] : calls_) n += path == "gettoken" ? 0 : count;
    return n;
  }

  std::unique_ptr<DirectoryClient> Client(DirectoryOptions options = {}) {
    options.api_url = kDirectoryApi;
    options.ttl_ms = kDirectoryTtl;
    if (options.wanted_tags.empty()) options.wanted_tags = {"sre", "oncall", "ghost"};
    return std::make_unique<DirectoryClient>(options, &tokens_, &http_, &clock_);
  }

  FakeClock clock_;
  fakes::ScriptedHttpClient http_;
  TokenCache tokens_;
  std::map<std::string, std::vector<int64_t>> users_ = {
      {"zhangsan", {5}}, {"lisi", {4, 2}}, {"wangwu", {1}}};
  std::map<int64_t, int64_t> parents_ = {{1, 0}, {2, 1}, {3, 2}, {4, 1}, {5, 3}};
  std::atomic<int> hold_ms_{0};

 private:
  std::mutex mutex_;
  std::string token_;
  int tokens_issued_ = 0;
  std::map<std::string, int> calls_;
  std::map<std::string, std::vector<Fault>> faults_;
  std::vector<std::string> urls_;
};

// Collects what the client logs while it lives.
class DirectoryLogs {
 public:
  DirectoryLogs()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200)),
        previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("directory-test", sink_));
  }
  ~DirectoryLogs() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> Lines() { return sink_->last_formatted(); }
  // Neither the app secret nor an access token in any line.
  void ExpectNoSecret() {
    for (const std::string& line : Lines()) {
      EXPECT_EQ(line.find("app-secret-value"), std::string::npos) << line;
      EXPECT_EQ(line.find("tok-"), std::string::npos) << line;
    }
  }
  int Count(const std::string& needle) {
    int n = 0;
    for (const std::string& line : Lines()) n += line.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

std::vector<std::string> Ids(std::initializer_list<const char*> items) {
  return std::vector<std::string>(items.begin(), items.end());
}

// ---- parsers ----

TEST(DirectoryParsers, ReadTheDocumentedShapes) {
  auto departments = ParseUserDepartments(json::parse(R"({"userid":"a","department":[5,2,5]})"));
  ASSERT_TRUE(departments.ok()) << departments.status().ToString();
  EXPECT_EQ(*departments, (std::vector<int64_t>{5, 2}));

  auto simple = ParseDepartmentParents(json::parse(
      R"({"department_id":[{"id":1,"parentid":0,"order":1},{"id":2,"parentid":1,"order":10}]})"));
  ASSERT_TRUE(simple.ok()) << simple.status().ToString();
  EXPECT_EQ(*simple, (std::map<int64_t, int64_t>{{1, 0}, {2, 1}}));
  auto full = ParseDepartmentParents(
      json::parse(R"({"department":[{"id":2,"name":"研发","parentid":1,"order":10}]})"));
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(*full, (std::map<int64_t, int64_t>{{2, 1}}));

  auto tags = ParseTagList(json::parse(R"({"taglist":[{"tagid":7,"tagname":"运维"}]})"));
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(tags->at("运维"), 7);

  auto members = ParseTagMembers(json::parse(
      R"({"tagname":"t","userlist":[{"userid":"zhangsan","name":"李四"}],"partylist":[2]})"));
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  EXPECT_EQ(members->users, (std::set<std::string>{"zhangsan"}));
  EXPECT_EQ(members->departments, (std::set<int64_t>{2}));
  // A tag of departments only, or of nobody visible.
  EXPECT_TRUE(ParseTagMembers(json::parse(R"({"tagname":"t","partylist":[3]})")).ok());
  EXPECT_TRUE(ParseTagMembers(json::parse(R"({"tagname":"t"})")).ok());
}

TEST(DirectoryParsers, RefuseHostileReplies) {
  for (const char* text :
       {R"([])", R"({"department":"5"})", R"({"department":[-1]})", R"({"department":[1.5]})",
        R"({"department":["5"]})", R"({"department":[18446744073709551615]})", R"({})"}) {
    auto r = ParseUserDepartments(json::parse(text));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  }
  for (const char* text :
       {R"({"department_id":[{"parentid":1}]})", R"({"department_id":[{"id":2,"parentid":"1"}]})",
        R"({"department_id":[{"id":2,"parentid":1},{"id":2,"parentid":3}]})",
        R"({"department_id":[7]})", R"({"department_id":{}})", R"("x")"}) {
    EXPECT_FALSE(ParseDepartmentParents(json::parse(text)).ok()) << text;
  }
  for (const char* text :
       {R"({"taglist":[{"tagid":"1","tagname":"a"}]})", R"({"taglist":[{"tagid":1}]})",
        R"({"taglist":[{"tagid":1,"tagname":""}]})",
        R"({"taglist":[{"tagid":1,"tagname":"a"},{"tagid":2,"tagname":"a"}]})"}) {
    EXPECT_FALSE(ParseTagList(json::parse(text)).ok()) << text;
  }
  for (const char* text : {R"({"userlist":[{"userid":""}]})", R"({"userlist":["zhangsan"]})",
                           R"({"partylist":["2"]})", R"({"userlist":{}})"}) {
    EXPECT_FALSE(ParseTagMembers(json::parse(text)).ok()) << text;
  }
  // Oversized lists are refused whole, not cut.
  json many = json::array();
  for (size_t i = 0; i <= kMaxUserDepartments; ++i) many.push_back(i + 1);
  EXPECT_FALSE(ParseUserDepartments(json{{"department", many}}).ok());
  json departments = json::array();
  for (size_t i = 0; i <= kMaxDirectoryDepartments; ++i) {
    departments.push_back({{"id", i + 1}, {"parentid", 1}});
  }
  auto huge = ParseDepartmentParents(json{{"department_id", departments}});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("more than"), std::string::npos);
  json members = json::array();
  for (size_t i = 0; i <= kMaxDirectoryTagMembers; ++i) members.push_back(i + 1);
  EXPECT_FALSE(ParseTagMembers(json{{"partylist", members}}).ok());
}

TEST(DirectoryAncestors, FollowParentsAndEndOnCyclesDeepChainsAndUnknownIds) {
  const std::map<int64_t, int64_t> tree = {{1, 0}, {2, 1}, {3, 2}, {4, 1}, {5, 3}};
  EXPECT_EQ(DepartmentsWithAncestors({5, 4}, tree), (std::vector<int64_t>{5, 3, 2, 1, 4}));
  EXPECT_EQ(DepartmentsWithAncestors({9}, tree), (std::vector<int64_t>{9}));  // unknown: itself
  EXPECT_TRUE(DepartmentsWithAncestors({0}, tree).empty());
  // A cycle and a self-loop end.
  EXPECT_EQ(DepartmentsWithAncestors({10}, {{10, 11}, {11, 10}}), (std::vector<int64_t>{10, 11}));
  EXPECT_EQ(DepartmentsWithAncestors({7}, {{7, 7}}), (std::vector<int64_t>{7}));
  // A chain 100,000 deep is cut at kMaxDepartmentDepth ancestors.
  std::map<int64_t, int64_t> chain;
  for (int64_t i = 1; i <= 100'000; ++i) chain[i] = i + 1;
  EXPECT_EQ(DepartmentsWithAncestors({1}, chain).size(), size_t{kMaxDepartmentDepth} + 1);
}

// ---- the client ----

TEST(DirectoryClient, ResolvesAncestorsAndTagsDirectAndThroughAParentDepartment) {
  DirectoryWecom wecom;
  auto client = wecom.Client();
  auto zhangsan = client->Lookup("zhangsan");
  ASSERT_TRUE(zhangsan.ok()) << zhangsan.status().ToString();
  EXPECT_EQ(zhangsan->departments, Ids({"5", "3", "2", "1"}));
  // sre by name, oncall through department 2 (an ancestor of 5); "ghost" does not exist.
  EXPECT_EQ(zhangsan->tags, Ids({"oncall", "sre"}));
  EXPECT_FALSE(zhangsan->stale);

  auto lisi = client->Lookup("lisi");
  ASSERT_TRUE(lisi.ok());
  EXPECT_EQ(lisi->departments, Ids({"4", "1", "2"}));
  EXPECT_EQ(lisi->tags, Ids({"oncall"}));
  auto wangwu = client->Lookup("wangwu");
  ASSERT_TRUE(wangwu.ok());
  EXPECT_EQ(wangwu->departments, Ids({"1"}));
  EXPECT_TRUE(wangwu->tags.empty());  // department 1 is above the tagged one, not below

  // Only wanted tags are read: the "other" tag is never asked for.
  EXPECT_EQ(wecom.calls("tag/get"), 2);
  EXPECT_EQ(wecom.calls("department/simplelist"), 1);
  EXPECT_EQ(wecom.calls("user/get"), 3);
  EXPECT_EQ(client->request_count(), wecom.directory_calls());
}

TEST(DirectoryClient, WithoutWantedTagsNoTagEndpointIsCalled) {
  DirectoryWecom wecom;
  DirectoryOptions options;
  options.wanted_tags = {};
  options.api_url = kDirectoryApi;
  options.ttl_ms = kDirectoryTtl;
  DirectoryClient client(options, &wecom.tokens_, &wecom.http_, &wecom.clock_);
  auto entry = client.Lookup("zhangsan");
  ASSERT_TRUE(entry.ok());
  EXPECT_TRUE(entry->tags.empty());
  EXPECT_EQ(wecom.calls("tag/list"), 0);
  EXPECT_EQ(wecom.calls("tag/get"), 0);
}

TEST(DirectoryClient, AnswersAreCachedForTheTtlThenAskedAgain) {
  DirectoryWecom wecom;
  auto client = wecom.Client();
  ASSERT_TRUE(client->Lookup("zhangsan").ok());
  const int after_first = wecom.directory_calls();
  wecom.clock_.AdvanceMs(kDirectoryTtl - 1);
  ASSERT_TRUE(client->Lookup("zhangsan").ok());
  EXPECT_EQ(wecom.directory_calls(), after_first);
  // Moved to department 4 meanwhile: seen once the TTL is over.
  wecom.users_["zhangsan"] = {4};
  wecom.clock_.AdvanceMs(1);
  auto moved = client->Lookup("zhangsan");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->departments, Ids({"4", "1"}));
  EXPECT_EQ(moved->tags, Ids({"sre"}));
  EXPECT_EQ(wecom.calls("user/get"), 2);
  EXPECT_EQ(wecom.calls("department/simplelist"), 2);
}

TEST(DirectoryClient, ConcurrentLookupsOfOneUserMakeOneRequest) {
  DirectoryWecom wecom;
  auto client = wecom.Client();
  wecom.hold_ms_ = 100;  // every user/get takes a while, so the others arrive meanwhile
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto entry = client->Lookup("zhangsan");
      if (entry.ok() && entry->departments == Ids({"5", "3", "2", "1"})) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(wecom.calls("user/get"), 1);
  EXPECT_EQ(wecom.calls("department/simplelist"), 1);
  EXPECT_EQ(wecom.calls("tag/list"), 1);
}

TEST(DirectoryClient, CacheIsBoundedLeastRecentlyUsedFirst) {
  DirectoryWecom wecom;
  for (int i = 0; i < 5; ++i) wecom.users_["u" + std::to_string(i)] = {1};
  DirectoryOptions options;
  options.max_users = 3;
  auto client = wecom.Client(options);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->Lookup("u" + std::to_string(i)).ok());
  EXPECT_EQ(wecom.calls("user/get"), 5);
  ASSERT_TRUE(client->Lookup("u4").ok());  // still cached
  EXPECT_EQ(wecom.calls("user/get"), 5);
  ASSERT_TRUE(client->Lookup("u0").ok());  // evicted: asked again
  EXPECT_EQ(wecom.calls("user/get"), 6);
}

TEST(DirectoryClient, StaleAnswerWhileWecomIsUnreachableLoggedOncePerOutage) {
  DirectoryWecom wecom;
  DirectoryLogs logs;
  auto client = wecom.Client();
  ASSERT_TRUE(client->Lookup("zhangsan").ok());
  wecom.clock_.AdvanceMs(kDirectoryTtl);
  wecom.Fail("user/get", {0, "", true}, 10);
  wecom.Fail("department/simplelist", {502, "<html>bad gateway</html>"}, 10);
  auto stale = client->Lookup("zhangsan");
  ASSERT_TRUE(stale.ok()) << stale.status().ToString();
  EXPECT_TRUE(stale->stale);
  EXPECT_EQ(stale->departments, Ids({"5", "3", "2", "1"}));
  EXPECT_EQ(stale->tags, Ids({"oncall", "sre"}));
  // Within the retry interval nothing is asked; a user never seen fails without a request.
  const int calls = wecom.directory_calls();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(client->Lookup("zhangsan").ok());
  EXPECT_EQ(wecom.directory_calls(), calls);
  // After it, asked again: still away, still the stale answer, still one log line.
  wecom.clock_.AdvanceMs(30'000);
  EXPECT_TRUE(client->Lookup("zhangsan")->stale);
  auto fresh_user = client->Lookup("lisi");
  ASSERT_FALSE(fresh_user.ok());
  EXPECT_TRUE(fresh_user.status().IsTransient());
  EXPECT_EQ(logs.Count("unreachable"), 1);
  // Back: fresh answers, and the recovery is logged.
  wecom.ClearFaults();
  wecom.clock_.AdvanceMs(30'000);
  auto back = client->Lookup("zhangsan");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->stale);
  EXPECT_EQ(logs.Count("unreachable"), 1);
  EXPECT_EQ(logs.Count("answers directory requests again"), 1);
  logs.ExpectNoSecret();
}

TEST(DirectoryClient, ExpiredTokenIsRefreshedOnceAndTheCallRepeated) {
  DirectoryWecom wecom;
  auto client = wecom.Client();
  wecom.FailErrcode("user/get", 42001, "access_token expired");
  auto entry = client->Lookup("zhangsan");
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(wecom.calls("gettoken"), 2);
  EXPECT_EQ(wecom.calls("user/get"), 2);

  // Refused again with the fresh token: a transient failure, not a loop.
  wecom.clock_.AdvanceMs(kDirectoryTtl);
  wecom.FailErrcode("user/get", 40014, "invalid access_token", 2);
  const int tokens = wecom.calls("gettoken");
  auto again = client->Lookup("zhangsan");
  ASSERT_TRUE(again.ok());  // the stale answer
  EXPECT_TRUE(again->stale);
  // One refresh for the repeated call; the refused fresh token is dropped as well, so the
  // department list that follows fetches another.
  EXPECT_EQ(wecom.calls("gettoken"), tokens + 2);
  EXPECT_EQ(wecom.calls("user/get"), 4);
  auto unseen = client->Lookup("lisi");
  EXPECT_TRUE(unseen.ok()) << unseen.status().ToString();  // a fresh token works for the next
}

TEST(DirectoryClient, RefusalsAreClearErrorsWithoutSecretsAndDropTheOldAnswer) {
  DirectoryWecom wecom;
  DirectoryLogs logs;
  auto client = wecom.Client();
  // Not visible to the app.
  wecom.FailErrcode("user/get", 60011,
                    "no privilege to access/modify contact/party/agent , hint: [1], from ip: "
                    "1.2.3.4");
  auto hidden = client->Lookup("zhangsan");
  ASSERT_FALSE(hidden.ok());
  EXPECT_EQ(hidden.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(hidden.status().message().find("60011"), std::string::npos);
  EXPECT_NE(hidden.status().message().find("可见范围"), std::string::npos);
  // Asked again within the retry interval: the same answer, no request, no second log line.
  const int calls = wecom.directory_calls();
  EXPECT_EQ(client->Lookup("zhangsan").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(wecom.directory_calls(), calls);
  EXPECT_EQ(logs.Count("no departments or tags for 'zhangsan'"), 1);

  // Known, then deleted from WeCom: the old answer is not used.
  ASSERT_TRUE(client->Lookup("lisi").ok());
  wecom.users_.erase("lisi");
  wecom.clock_.AdvanceMs(kDirectoryTtl);
  auto gone = client->Lookup("lisi");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client->Lookup("nobody").status().code(), StatusCode::kNotFound);

  // The untrusted-IP refusal names the fix; the department list refused is one log line.
  wecom.clock_.AdvanceMs(kDirectoryTtl);
  wecom.FailErrcode("department/simplelist", 60020,
                    "not allow to access from your ip, from ip: 9.9.9.9", 3);
  auto ip = client->Lookup("wangwu");
  ASSERT_FALSE(ip.ok());
  EXPECT_EQ(ip.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(ip.status().message().find("9.9.9.9"), std::string::npos);
  wecom.clock_.AdvanceMs(30'000);
  wecom.users_["lisi"] = {4};
  EXPECT_FALSE(client->Lookup("lisi").ok());
  EXPECT_EQ(logs.Count("reading WeCom's departments and tags failed"), 1);
  logs.ExpectNoSecret();
}

TEST(DirectoryClient, MalformedAndOversizedRepliesFailWithoutHarm) {
  DirectoryWecom wecom;
  auto client = wecom.Client();
  wecom.Fail("user/get", {200, "<html>proxy error</html>"});
  auto page = client->Lookup("zhangsan");
  ASSERT_FALSE(page.ok());
  EXPECT_TRUE(page.status().IsTransient());  // a proxy's page: asked again later

  wecom.clock_.AdvanceMs(kDirectoryTtl);
  wecom.Fail("user/get", {200, R"({"errcode":0,"errmsg":"ok","department":"five"})"});
  auto shape = client->Lookup("zhangsan");
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(shape.status().message().find("user/get"), std::string::npos);

  wecom.clock_.AdvanceMs(kDirectoryTtl);
  wecom.Fail("user/get", {200, std::string(100'000, '[')});
  EXPECT_FALSE(client->Lookup("zhangsan").ok());

  // A department list with a parent cycle still answers.
  wecom.clock_.AdvanceMs(kDirectoryTtl);
  wecom.parents_ = {{5, 3}, {3, 5}};
  auto cyclic = client->Lookup("zhangsan");
  ASSERT_TRUE(cyclic.ok()) << cyclic.status().ToString();
  EXPECT_EQ(cyclic->departments, Ids({"5", "3"}));

  wecom.clock_.AdvanceMs(kDirectoryTtl);
  wecom.Fail("user/get", {404, "not found"});
  auto wrong_url = client->Lookup("zhangsan");
  ASSERT_FALSE(wrong_url.ok());
  EXPECT_EQ(wrong_url.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_url.status().message().find("api_url"), std::string::npos);
}

}  // namespace
}  // namespace beacon::notifier::wecom
