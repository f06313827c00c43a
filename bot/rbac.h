// Roles of the chat bot: viewer < operator < admin, granted to WeCom UserIDs, departments or
// tags, and to the local users of `beaconctl chat`. Default deny: a sender no rule names has no
// role. Parsed once from the `bot.roles` and `bot.local_users` config nodes; immutable after, so
// thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "bot/chat.h"
#include "common/config/config.h"

namespace beacon::bot {

enum class Role { kViewer = 1, kOperator = 2, kAdmin = 3 };

std::string_view RoleName(Role role);    // "viewer" | "operator" | "admin"
std::string_view RoleNameZh(Role role);  // "只读" | "操作员" | "管理员"
std::optional<Role> ParseRole(std::string_view name);

// Who holds one role in WeCom.
struct RoleGrant {
  std::set<std::string> users;        // WeCom UserIDs (case-sensitive, as WeCom sends them)
  std::set<std::string> departments;  // department ids
  std::set<std::string> tags;         // tag names
};

class Rbac {
 public:
  // Reads `roles` ({viewer|operator|admin: {users, departments, tags}}) and `local_users`
  // ({name: role}) under `bot`; errors go to the node's document with their key paths (a
  // UserID listed under two roles, an unknown role name). Absent keys: nobody has a role.
  static Rbac Parse(config::Node bot);

  // The highest role any rule grants the sender, nullopt when none does. WeCom senders are
  // matched on UserID, departments and tags; "cli" senders only against local_users.
  std::optional<Role> RoleOf(const Sender& sender) const;

  // Whether any role is granted to departments or tags: only then does a WeCom sender's
  // departments and tags need looking up (Sender.departments / tags, filled by the host).
  bool UsesDirectory() const;
  // Every tag name some role is granted to.
  std::set<std::string> GrantedTags() const;

  void Grant(Role role, RoleGrant grant);               // replaces that role's grant (tests)
  void GrantLocal(const std::string& name, Role role);  // (tests)

 private:
  RoleGrant grants_[3];  // indexed by Role - 1
  std::map<std::string, Role> local_users_;
};

}  // namespace beacon::bot
