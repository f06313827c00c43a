// Fuzzes the WeCom directory replies the bot reads for department and tag grants
// (notifier/wecom/directory.h): the bounded JSON read of the client, then every reply parser
// on the same value and the ancestor walk over what they accepted. Nothing may crash or loop;
// accepted lists stay within their bounds, and the ancestors of a user's departments are
// distinct, start with the user's own and stop within kMaxDepartmentDepth per department.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/json/parse.h"
#include "notifier/wecom/directory.h"
#include "tests/fuzz/fuzz_check.h"

namespace wecom = beacon::notifier::wecom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  const std::string text(reinterpret_cast<const char*>(data), size);
  beacon::Result<nlohmann::json> parsed = beacon::ParseJson(text);
  if (!parsed.ok()) return 0;
  const nlohmann::json& reply = *parsed;

  auto user = wecom::ParseUserDepartments(reply);
  if (user.ok()) FUZZ_CHECK(user->size() <= wecom::kMaxUserDepartments);
  auto parents = wecom::ParseDepartmentParents(reply);
  if (parents.ok()) FUZZ_CHECK(parents->size() <= wecom::kMaxDirectoryDepartments);
  auto tags = wecom::ParseTagList(reply);
  if (tags.ok()) {
    FUZZ_CHECK(tags->size() <= wecom::kMaxDirectoryTags);
    for (const auto& [name, id] : *tags) FUZZ_CHECK(!name.empty() && id >= 0);
  }
  auto members = wecom::ParseTagMembers(reply);
  if (members.ok()) {
    FUZZ_CHECK(members->users.size() + members->departments.size() <=
               wecom::kMaxDirectoryTagMembers);
    for (const std::string& id : members->users) FUZZ_CHECK(!id.empty());
  }

  if (user.ok() && parents.ok()) {
    const std::vector<int64_t> all = wecom::DepartmentsWithAncestors(*user, *parents);
    FUZZ_CHECK(std::set<int64_t>(all.begin(), all.end()).size() == all.size());
    FUZZ_CHECK(all.size() <= user->size() * (wecom::kMaxDepartmentDepth + 1));
    for (int64_t id : *user) {
      if (id > 0) FUZZ_CHECK(std::set<int64_t>(all.begin(), all.end()).count(id) == 1);
    }
  }
  return 0;
}
