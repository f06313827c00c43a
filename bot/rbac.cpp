// Rbac: parsing `bot.roles` / `bot.local_users` and resolving a sender's role; see rbac.h.
#include "bot/rbac.h"

#include <map>
#include <vector>

namespace beacon::bot {
namespace {

constexpr Role kRoles[] = {Role::kViewer, Role::kOperator, Role::kAdmin};

std::set<std::string> ReadSet(config::Node& node, std::string_view key) {
  std::vector<std::string> values;
  node.Get(key, &values);
  std::set<std::string> out;
  for (std::string& v : values) {
    if (v.empty()) {
      node.Error(key, "empty entry");
      continue;
    }
    out.insert(std::move(v));
  }
  return out;
}

bool AnyIn(const std::vector<std::string>& values, const std::set<std::string>& allowed) {
  for (const std::string& v : values) {
    if (allowed.count(v)) return true;
  }
  return false;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::string_view RoleNameZh(Role role) {
  switch (role) {
    case Role::kViewer:
      return "只读";
    case Role::kOperator:
      return "操作员";
    case Role::kAdmin:
      return "管理员";
  }
  return "只读";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

Rbac Rbac::Parse(config::Node bot) {
  Rbac rbac;
  config::Node roles = bot.Child("roles");
  std::map<std::string, Role> user_role;
  for (Role role : kRoles) {
    const std::string name(RoleName(role));
    config::Node grant_node = roles.Child(name);
    RoleGrant grant;
    grant.users = ReadSet(grant_node, "users");
    grant.departments = ReadSet(grant_node, "departments");
    grant.tags = ReadSet(grant_node, "tags");
    for (const std::string& user : grant.users) {
      auto [it, inserted] = user_role.emplace(user, role);
      if (!inserted) {
        grant_node.Error("users", "user '" + user + "' is also listed under " +
                                      std::string(RoleName(it->second)) +
                                      " (give each user one role)");
      }
    }
    rbac.grants_[static_cast<int>(role) - 1] = std::move(grant);
  }
  for (auto& [name, node] : bot.Entries("local_users")) {
    if (!node.IsScalar()) {
      bot.Child("local_users").Error(name, "expected a role: viewer, operator or admin");
      continue;
    }
    std::optional<Role> role = ParseRole(node.Scalar());
    if (!role) {
      bot.Child("local_users")
          .Error(name, "unknown role '" + node.Scalar() + "' (expected viewer, operator or admin)");
      continue;
    }
    rbac.local_users_[name] = *role;
  }
  return rbac;
}

std::optional<Role> Rbac::RoleOf(const Sender& sender) const {
  if (sender.user_id.empty()) return std::nullopt;
  if (sender.channel == kChannelCli) {
    auto it = local_users_.find(sender.user_id);
    if (it == local_users_.end()) return std::nullopt;
    return it->second;
  }
  if (sender.channel != kChannelWecomApp && sender.channel != kChannelWecomRobot) {
    return std::nullopt;
  }
  for (Role role : {Role::kAdmin, Role::kOperator, Role::kViewer}) {
    const RoleGrant& g = grants_[static_cast<int>(role) - 1];
    if (g.users.count(sender.user_id) || AnyIn(sender.departments, g.departments) ||
        AnyIn(sender.tags, g.tags)) {
      return role;
    }
  }
  return std::nullopt;
}

bool Rbac::UsesDirectory() const {
  for (const RoleGrant& g : grants_) {
    if (!g.departments.empty() || !g.tags.empty()) return true;
  }
  return false;
}

std::set<std::string> Rbac::GrantedTags() const {
  std::set<std::string> tags;
  for (const RoleGrant& g : grants_) tags.insert(g.tags.begin(), g.tags.end());
  return tags;
}

void Rbac::Grant(Role role, RoleGrant grant) {
  grants_[static_cast<int>(role) - 1] = std::move(grant);
}

void Rbac::GrantLocal(const std::string& name, Role role) { local_users_[name] = role; }

}  // namespace beacon::bot
