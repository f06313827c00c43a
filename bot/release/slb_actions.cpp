// SlbActions: planning, the health guard, applying with read-back, and the texts; see
// slb_actions.h.
#include "bot/release/slb_actions.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

namespace beacon::bot::release {
namespace {

using aliyun::slb::BackendHealth;
using aliyun::slb::BackendServer;

constexpr char kWeight[] = "slb weight";
constexpr char kDrain[] = "slb drain";
constexpr char kUndrain[] = "slb undrain";
constexpr char kGray[] = "release gray";
constexpr char kPromote[] = "release promote";
constexpr char kAbort[] = "release abort";

bool IsPlainWord(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// The health entries of one member: in a VServer group matched by server and port, in the
// default group by server.
std::vector<const BackendHealth*> HealthOf(const std::vector<BackendHealth>& health,
                                           const SlbTarget& target, const std::string& server_id,
                                           int port) {
  std::vector<const BackendHealth*> out;
  for (const BackendHealth& h : health) {
    if (h.server_id != server_id) continue;
    if (!target.group_id.empty() && h.port != port) continue;
    out.push_back(&h);
  }
  return out;
}

// Healthy: at least one health check of the member, and every one says "normal".
bool Healthy(const std::vector<const BackendHealth*>& entries) {
  if (entries.empty()) return false;
  return std::all_of(entries.begin(), entries.end(),
                     [](const BackendHealth* h) { return h->status == "normal"; });
}

std::string HealthWord(const std::vector<const BackendHealth*>& entries) {
  if (entries.empty()) return "no health check";
  for (const BackendHealth* h : entries) {
    if (h->status != "normal") {
      return h->status + " (listener " + std::to_string(h->listener_port) + ")";
    }
  }
  return "normal";
}

bool SameMember(const RememberedWeight& r, const MemberChange& c) {
  return r.lb_id == c.target.lb_id && r.group_id == c.target.group_id &&
         r.server_id == c.server_id && r.port == c.port;
}

std::string PortSuffix(const SlbTarget& target, int port) {
  return target.group_id.empty() ? std::string() : ":" + std::to_string(port);
}

}  // namespace

std::string SlbTarget::Label() const {
  std::string out = lb_name == lb_id ? lb_id : lb_name + " (" + lb_id + ")";
  if (!group_id.empty()) {
    out += " / " + (group_name == group_id ? group_id : group_name + " (" + group_id + ")");
  }
  return out;
}

SlbActions::SlbActions(SlbConfig config, aliyun::slb::Api& api, WeightMemory& memory)
    : config_(std::move(config)), api_(api), memory_(memory) {}

Result<std::string> SlbActions::ResolveServer(std::string_view word) const {
  auto alias = config_.servers.find(std::string(word));
  if (alias != config_.servers.end()) return alias->second;
  if (!IsPlainWord(word)) {
    return Status::InvalidArgument(
        "SERVER: expected a server id (i-...) or an alias from "
        "bot.slb.servers, got '" +
        std::string(word.substr(0, 64)) + "'");
  }
  return std::string(word);
}

std::string SlbActions::ServerLabel(const std::string& server_id) const {
  for (const auto& [alias, id] : config_.servers) {
    if (id == server_id) return alias + " (" + id + ")";
  }
  return server_id;
}

std::vector<SlbTarget> SlbActions::ProductionTargets() const {
  std::vector<SlbTarget> out;
  for (const SlbLoadBalancerConfig& lb : config_.production) {
    out.push_back(SlbTarget{lb.id, lb.name, "", "", true});
    for (const SlbGroupConfig& g : lb.vserver_groups) {
      out.push_back(SlbTarget{lb.id, lb.name, g.id, g.name, true});
    }
  }
  return out;
}

std::optional<SlbTarget> SlbActions::GrayTarget() const {
  if (config_.gray.id.empty()) return std::nullopt;
  return SlbTarget{config_.gray.id, config_.gray.name, "", "", false};
}

Result<std::vector<SlbTarget>> SlbActions::ResolveTargets(std::string_view word) const {
  std::vector<SlbTarget> all = ProductionTargets();
  if (std::optional<SlbTarget> gray = GrayTarget()) all.push_back(*gray);
  std::vector<SlbTarget> out;
  for (const SlbTarget& t : all) {
    const bool lb_named = word == t.lb_id || word == t.lb_name;
    const bool group_named = !t.group_id.empty() && (word == t.group_id || word == t.group_name);
    if (lb_named || group_named) out.push_back(t);
  }
  if (!out.empty()) return out;
  std::vector<std::string> labels;
  for (const SlbTarget& t : all) labels.push_back(t.Label());
  std::string list;
  for (size_t i = 0; i < labels.size(); ++i) list += (i ? ", " : "") + labels[i];
  return Status::PermissionDenied("'" + std::string(word.substr(0, 64)) +
                                  "' is not a load balancer or VServer group listed in bot.slb, "
                                  "so the bot will not touch it; listed: " +
                                  list);
}

Result<SlbActions::Snapshot> SlbActions::Read(const SlbTarget& target) {
  Snapshot s;
  s.target = target;
  if (target.group_id.empty()) {
    BEACON_ASSIGN_OR_RETURN(aliyun::slb::LoadBalancerAttribute attr,
                            api_.DescribeLoadBalancerAttribute(target.lb_id));
    for (const BackendServer& b : attr.backends) {
      s.members.push_back(Member{b.server_id, 0, b.weight, b.type});
    }
    s.request_ids.push_back(attr.request_id);
    return s;
  }
  BEACON_ASSIGN_OR_RETURN(aliyun::slb::VServerGroup group,
                          api_.DescribeVServerGroupAttribute(target.group_id));
  if (!group.load_balancer_id.empty() && group.load_balancer_id != target.lb_id) {
    return Status::FailedPrecondition("VServer group " + target.group_id + " belongs to " +
                                      group.load_balancer_id + ", not to " + target.lb_id +
                                      " as bot.slb says: fix the configuration");
  }
  for (const BackendServer& b : group.backends) {
    s.members.push_back(Member{b.server_id, b.port, b.weight, b.type});
  }
  s.request_ids.push_back(group.request_id);
  return s;
}

Result<std::vector<SlbTarget>> SlbActions::Guard(const std::vector<Snapshot>& snapshots,
                                                 const std::vector<MemberChange>& changes) {
  std::vector<SlbTarget> breaches;
  std::map<std::string, std::vector<BackendHealth>> health_by_lb;
  for (const Snapshot& s : snapshots) {
    if (!s.target.production) continue;
    bool lowers = false;
    for (const MemberChange& c : changes) {
      lowers = lowers || (c.target == s.target && c.after < c.before);
    }
    if (!lowers) continue;
    auto cached = health_by_lb.find(s.target.lb_id);
    if (cached == health_by_lb.end()) {
      BEACON_ASSIGN_OR_RETURN(aliyun::slb::HealthStatus health,
                              api_.DescribeHealthStatus(s.target.lb_id, std::nullopt));
      cached = health_by_lb.emplace(s.target.lb_id, std::move(health.backends)).first;
    }
    int healthy = 0;
    for (const Member& m : s.members) {
      int weight = m.weight;
      for (const MemberChange& c : changes) {
        if (c.target == s.target && c.server_id == m.server_id && c.port == m.port) {
          weight = c.after;
        }
      }
      if (weight > 0 && Healthy(HealthOf(cached->second, s.target, m.server_id, m.port))) {
        ++healthy;
      }
    }
    if (healthy == 0) breaches.push_back(s.target);
  }
  return breaches;
}

Result<std::string> SlbActions::Show(std::string_view lb_word, bool zh) {
  BEACON_ASSIGN_OR_RETURN(std::vector<SlbTarget> targets, ResolveTargets(lb_word));
  std::map<std::string, std::vector<BackendHealth>> health_by_lb;
  std::string out;
  for (const SlbTarget& t : targets) {
    BEACON_ASSIGN_OR_RETURN(Snapshot s, Read(t));
    auto cached = health_by_lb.find(t.lb_id);
    if (cached == health_by_lb.end()) {
      std::optional<int> port;
      if (!t.production && config_.gray.listener_port) port = config_.gray.listener_port;
      BEACON_ASSIGN_OR_RETURN(aliyun::slb::HealthStatus health,
                              api_.DescribeHealthStatus(t.lb_id, port));
      cached = health_by_lb.emplace(t.lb_id, std::move(health.backends)).first;
    }
    int healthy = 0;
    std::string lines;
    for (const Member& m : s.members) {
      auto entries = HealthOf(cached->second, t, m.server_id, m.port);
      if (m.weight > 0 && Healthy(entries)) ++healthy;
      lines += "\n• " + ServerLabel(m.server_id) + PortSuffix(t, m.port) +
               (zh ? " 权重 " : " weight ") + std::to_string(m.weight) + ", " + HealthWord(entries);
    }
    if (!out.empty()) out += "\n\n";
    out += t.Label() +
           (t.production ? ""
            : zh         ? "（灰度）"
                         : " (gray)") +
           ": " + std::to_string(s.members.size()) + (zh ? " 个后端，" : " backends, ") +
           std::to_string(healthy) + (zh ? " 个健康且权重 > 0" : " healthy with weight > 0") +
           lines;
  }
  return out;
}

Result<SlbPlan> SlbActions::PlanWeight(std::string_view lb_word, std::string_view server,
                                       int weight, bool force) {
  SlbPlan plan;
  plan.command = kWeight;
  plan.lb_word = std::string(lb_word);
  plan.weight = weight;
  plan.force = force;
  BEACON_ASSIGN_OR_RETURN(plan.server_id, ResolveServer(server));
  plan.server_label = ServerLabel(plan.server_id);
  BEACON_ASSIGN_OR_RETURN(std::vector<SlbTarget> targets, ResolveTargets(lb_word));
  std::vector<Snapshot> snapshots;
  bool found = false;
  for (const SlbTarget& t : targets) {
    BEACON_ASSIGN_OR_RETURN(Snapshot s, Read(t));
    for (const Member& m : s.members) {
      if (m.server_id != plan.server_id) continue;
      found = true;
      if (m.weight == weight) continue;
      plan.changes.push_back(MemberChange{MemberChange::Kind::kWeight, t, m.server_id, m.port,
                                          m.type, m.weight, weight});
    }
    snapshots.push_back(std::move(s));
  }
  if (!found) {
    return Status::NotFound(plan.server_label + " is not a backend of " + targets.front().Label() +
                            (targets.size() > 1 ? " or its VServer groups in bot.slb" : ""));
  }
  BEACON_ASSIGN_OR_RETURN(plan.breaches, Guard(snapshots, plan.changes));
  return plan;
}

Result<SlbPlan> SlbActions::PlanDrainFor(const std::string& command, const std::string& server_id,
                                         bool force) {
  SlbPlan plan;
  plan.command = command;
  plan.server_id = server_id;
  plan.server_label = ServerLabel(server_id);
  plan.force = force;
  std::vector<Snapshot> snapshots;
  for (const SlbTarget& t : ProductionTargets()) {
    BEACON_ASSIGN_OR_RETURN(Snapshot s, Read(t));
    bool zero = false;
    for (const Member& m : s.members) {
      if (m.server_id != server_id) continue;
      if (m.weight == 0) {
        zero = true;
        continue;
      }
      plan.changes.push_back(
          MemberChange{MemberChange::Kind::kWeight, t, m.server_id, m.port, m.type, m.weight, 0});
      RememberedWeight r;
      r.server_id = server_id;
      r.lb_id = t.lb_id;
      r.group_id = t.group_id;
      r.port = m.port;
      r.weight = m.weight;
      r.command = command;
      plan.remember.push_back(std::move(r));
    }
    if (zero) plan.already_zero.push_back(t);
    snapshots.push_back(std::move(s));
  }
  BEACON_ASSIGN_OR_RETURN(plan.breaches, Guard(snapshots, plan.changes));
  return plan;
}

Result<SlbPlan> SlbActions::PlanDrain(std::string_view server, bool force) {
  BEACON_ASSIGN_OR_RETURN(std::string id, ResolveServer(server));
  BEACON_ASSIGN_OR_RETURN(SlbPlan plan, PlanDrainFor(kDrain, id, force));
  if (plan.changes.empty() && plan.already_zero.empty()) {
    return Status::NotFound(plan.server_label +
                            " is not a backend of any production load balancer in bot.slb");
  }
  return plan;
}

Status SlbActions::PlanRestore(SlbPlan& plan) {
  BEACON_ASSIGN_OR_RETURN(std::vector<RememberedWeight> rows, memory_.Recall(plan.server_id));
  plan.forget = rows;
  const std::vector<SlbTarget> targets = ProductionTargets();
  // In the order of bot.slb, like a drain, so the preview reads the same both ways.
  for (const SlbTarget& target : targets) {
    std::optional<Snapshot> snap;
    for (const RememberedWeight& r : rows) {
      if (r.lb_id != target.lb_id || r.group_id != target.group_id) continue;
      if (!snap) {
        BEACON_ASSIGN_OR_RETURN(snap, Read(target));
      }
      auto member = std::find_if(snap->members.begin(), snap->members.end(), [&](const Member& m) {
        return m.server_id == r.server_id && m.port == r.port;
      });
      if (member == snap->members.end()) {
        plan.gone.push_back(target);
      } else if (member->weight != r.weight) {
        plan.changes.push_back(MemberChange{MemberChange::Kind::kWeight, target, r.server_id,
                                            r.port, member->type, member->weight, r.weight});
      }
    }
  }
  // Rows of groups no longer listed in bot.slb: not ours to touch any more, only forgotten.
  for (const RememberedWeight& r : rows) {
    if (std::none_of(targets.begin(), targets.end(), [&](const SlbTarget& t) {
          return t.lb_id == r.lb_id && t.group_id == r.group_id;
        })) {
      plan.gone.push_back(SlbTarget{r.lb_id, r.lb_id, r.group_id, r.group_id, true});
    }
  }
  return Status::Ok();
}

Result<SlbPlan> SlbActions::PlanUndrain(std::string_view server) {
  SlbPlan plan;
  plan.command = kUndrain;
  BEACON_ASSIGN_OR_RETURN(plan.server_id, ResolveServer(server));
  plan.server_label = ServerLabel(plan.server_id);
  BEACON_RETURN_IF_ERROR(PlanRestore(plan));
  if (plan.forget.empty()) {
    return Status::NotFound("no drained weights are remembered for " + plan.server_label +
                            " (only `slb drain` and `release gray` remember them; `slb weight` "
                            "sets one directly)");
  }
  return plan;
}

Result<SlbPlan> SlbActions::PlanGray(std::string_view server, bool force) {
  std::optional<SlbTarget> gray = GrayTarget();
  if (!gray)
    return Status::FailedPrecondition("no gray load balancer is configured (bot.slb.gray)");
  BEACON_ASSIGN_OR_RETURN(std::string id, ResolveServer(server));
  BEACON_ASSIGN_OR_RETURN(SlbPlan plan, PlanDrainFor(kGray, id, force));
  if (plan.changes.empty() && plan.already_zero.empty()) {
    return Status::NotFound(plan.server_label +
                            " is not a backend of any production load balancer in bot.slb");
  }
  BEACON_ASSIGN_OR_RETURN(Snapshot s, Read(*gray));
  const std::string type = plan.changes.empty() ? "" : plan.changes.front().type;
  auto member = std::find_if(s.members.begin(), s.members.end(),
                             [&](const Member& m) { return m.server_id == id; });
  if (member == s.members.end()) {
    plan.changes.push_back(
        MemberChange{MemberChange::Kind::kAdd, *gray, id, 0, type, -1, config_.gray.weight});
  } else if (member->weight != config_.gray.weight) {
    plan.changes.push_back(MemberChange{MemberChange::Kind::kWeight, *gray, id, 0, member->type,
                                        member->weight, config_.gray.weight});
  }
  return plan;
}

Result<SlbPlan> SlbActions::PlanPromote(std::string_view server, bool abort) {
  std::optional<SlbTarget> gray = GrayTarget();
  if (!gray)
    return Status::FailedPrecondition("no gray load balancer is configured (bot.slb.gray)");
  SlbPlan plan;
  plan.command = abort ? kAbort : kPromote;
  BEACON_ASSIGN_OR_RETURN(plan.server_id, ResolveServer(server));
  plan.server_label = ServerLabel(plan.server_id);
  BEACON_RETURN_IF_ERROR(PlanRestore(plan));
  BEACON_ASSIGN_OR_RETURN(Snapshot s, Read(*gray));
  auto member = std::find_if(s.members.begin(), s.members.end(),
                             [&](const Member& m) { return m.server_id == plan.server_id; });
  if (member != s.members.end()) {
    MemberChange remove{
        MemberChange::Kind::kRemove, *gray, plan.server_id, 0, member->type, member->weight, -1};
    // promote: production first, so the server never serves nobody; abort: out of the gray
    // load balancer first, so the version under test stops taking gray traffic at once.
    if (abort) {
      plan.changes.insert(plan.changes.begin(), remove);
    } else {
      plan.changes.push_back(remove);
    }
  }
  if (plan.forget.empty() && member == s.members.end()) {
    return Status::NotFound(plan.server_label +
                            " is not in a gray release: no weights are "
                            "remembered for it and " +
                            gray->Label() + " does not hold it");
  }
  return plan;
}

Result<SlbPlan> SlbActions::Replan(const SlbPlan& plan) {
  if (plan.command == kWeight) {
    return PlanWeight(plan.lb_word, plan.server_id, plan.weight, plan.force);
  }
  if (plan.command == kDrain) return PlanDrain(plan.server_id, plan.force);
  if (plan.command == kUndrain) return PlanUndrain(plan.server_id);
  if (plan.command == kGray) return PlanGray(plan.server_id, plan.force);
  if (plan.command == kPromote || plan.command == kAbort) {
    return PlanPromote(plan.server_id, plan.command == kAbort);
  }
  return Status::Internal("unknown SLB command '" + plan.command + "'");
}

Result<std::vector<std::string>> SlbActions::Send(const SlbTarget& target,
                                                  const std::vector<MemberChange>& changes) {
  std::vector<BackendServer> servers;
  for (const MemberChange& c : changes) {
    BackendServer b;
    b.server_id = c.server_id;
    b.weight = c.kind == MemberChange::Kind::kRemove ? 0 : c.after;
    b.type = c.type;
    b.port = c.port;
    servers.push_back(std::move(b));
  }
  Result<aliyun::slb::BackendChange> answer = Status::Internal("no change");
  switch (changes.front().kind) {
    case MemberChange::Kind::kWeight:
      answer = target.group_id.empty() ? api_.SetBackendServers(target.lb_id, servers)
                                       : api_.SetVServerGroupAttribute(target.group_id, servers);
      break;
    case MemberChange::Kind::kAdd:
      answer = api_.AddBackendServers(target.lb_id, servers);
      break;
    case MemberChange::Kind::kRemove:
      answer = api_.RemoveBackendServers(target.lb_id, servers);
      break;
  }
  if (!answer.ok()) return answer.status();
  return answer->request_ids;
}

Result<SlbOutcome> SlbActions::Apply(const SlbPlan& plan, const std::string& by, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(SlbPlan fresh, Replan(plan));
  if (fresh.changes != plan.changes) {
    return Status::FailedPrecondition(
        "the load balancers changed since the preview, so nothing was changed: send `" +
        plan.command + "` again to see what it would do now");
  }
  if (!fresh.breaches.empty() && !plan.force) {
    return Status::FailedPrecondition(
        "the health guard refuses it now (" + fresh.breaches.front().Label() +
        " would be left without a healthy backend of weight > 0), so nothing was changed");
  }
  std::vector<RememberedWeight> remember = fresh.remember;
  for (RememberedWeight& r : remember) {
    r.by = by;
    r.since_ms = now_ms;
  }
  if (!remember.empty()) BEACON_RETURN_IF_ERROR(memory_.Remember(remember));

  SlbOutcome out;
  size_t i = 0;
  while (i < plan.changes.size() && out.ok()) {
    // One call per server group (and kind): the consecutive changes of the same target.
    size_t end = i;
    while (end < plan.changes.size() && plan.changes[end].target == plan.changes[i].target &&
           plan.changes[end].kind == plan.changes[i].kind) {
      ++end;
    }
    const std::vector<MemberChange> group(plan.changes.begin() + static_cast<ptrdiff_t>(i),
                                          plan.changes.begin() + static_cast<ptrdiff_t>(end));
    const SlbTarget& target = group.front().target;
    Result<std::vector<std::string>> sent = Send(target, group);
    if (!sent.ok()) {
      out.error = sent.status().ToString();
      break;
    }
    out.request_ids.insert(out.request_ids.end(), sent->begin(), sent->end());
    Result<Snapshot> back = Read(target);
    for (const MemberChange& c : group) {
      SlbOutcome::Done done{c, std::nullopt, false};
      if (back.ok()) {
        for (const Member& m : back->members) {
          if (m.server_id == c.server_id && m.port == c.port) done.actual = m.weight;
        }
        done.verified = c.kind == MemberChange::Kind::kRemove
                            ? !done.actual.has_value()
                            : done.actual.has_value() && *done.actual == c.after;
        if (!done.verified && out.ok()) {
          out.error = target.Label() + " reads back " +
                      (done.actual ? "weight " + std::to_string(*done.actual) : "no such member") +
                      " for " + c.server_id + PortSuffix(target, c.port) + ", expected " +
                      (c.kind == MemberChange::Kind::kRemove ? "it gone"
                                                             : "weight " + std::to_string(c.after));
        }
      } else if (out.ok()) {
        out.error = "the change of " + target.Label() +
                    " was sent, but reading it back failed: " + back.status().ToString();
      }
      out.done.push_back(std::move(done));
    }
    i = end;
  }
  for (size_t j = out.done.size(); j < plan.changes.size(); ++j) {
    out.not_done.push_back(plan.changes[j]);
  }

  // Forget what was restored (or can no longer be): a row whose change did not read back as
  // planned stays, so `slb undrain` can try again.
  std::vector<RememberedWeight> forget;
  for (const RememberedWeight& r : fresh.forget) {
    bool planned = false, verified = false;
    for (const MemberChange& c : plan.changes) planned = planned || SameMember(r, c);
    for (const SlbOutcome::Done& d : out.done)
      verified = verified || (SameMember(r, d.change) && d.verified);
    if (!planned || verified) forget.push_back(r);
  }
  if (!forget.empty()) {
    Status forgotten = memory_.Forget(forget);
    if (!forgotten.ok()) {
      spdlog::warn("bot slb: restored weights of {} stay remembered: {}", plan.server_id,
                   forgotten.ToString());
    }
  }
  return out;
}

// ---------------------------------------------------------------- texts

namespace {

std::string ChangeLine(const MemberChange& c, bool zh) {
  const std::string who = c.server_id + PortSuffix(c.target, c.port);
  std::string what;
  switch (c.kind) {
    case MemberChange::Kind::kWeight:
      what = who + (zh ? " 权重 " : " weight ") + std::to_string(c.before) + " → " +
             std::to_string(c.after);
      break;
    case MemberChange::Kind::kAdd:
      what = (zh ? "加入 " : "add ") + who + (zh ? "，权重 " : " with weight ") +
             std::to_string(c.after);
      break;
    case MemberChange::Kind::kRemove:
      what = (zh ? "移出 " : "remove ") + who + (zh ? "（当前权重 " : " (weight now ") +
             std::to_string(c.before) + (zh ? "）" : ")");
      break;
  }
  return "• " + c.target.Label() + ": " + what;
}

std::string Labels(const std::vector<SlbTarget>& targets) {
  std::string out;
  for (size_t i = 0; i < targets.size(); ++i) out += (i ? ", " : "") + targets[i].Label();
  return out;
}

}  // namespace

std::string FormatPreview(const SlbPlan& plan, bool zh) {
  std::string out = plan.command + " " + plan.server_label + (zh ? "：" : ":");
  for (const MemberChange& c : plan.changes) out += "\n" + ChangeLine(c, zh);
  if (plan.changes.empty()) out += zh ? "\n（负载均衡无需更改）" : "\n(no load balancer changes)";
  if (!plan.already_zero.empty()) {
    out += (zh ? "\n权重已是 0：" : "\nweight already 0 in: ") + Labels(plan.already_zero);
  }
  if (!plan.gone.empty()) {
    out += (zh ? "\n已不在（或不再配置）：" : "\nno longer holds it (or no longer listed): ") +
           Labels(plan.gone) + (zh ? "，记忆的权重将丢弃" : "; its remembered weight is dropped");
  }
  if (!plan.remember.empty()) {
    out += zh ? "\n原权重会持久记录，`slb undrain " + plan.server_id +
                    "` 或 `release promote` 可恢复。"
              : "\nThe weights before are remembered durably: `slb undrain " + plan.server_id +
                    "` (or `release promote`) restores them.";
  }
  if (!plan.breaches.empty()) {
    out += zh ? "\n⚠ 已强制（--force）：" + Labels(plan.breaches) + " 将没有权重 > 0 的健康后端。"
              : "\n⚠ FORCED (--force): " + Labels(plan.breaches) +
                    " will be left without a healthy backend of weight > 0.";
  } else if (std::any_of(plan.changes.begin(), plan.changes.end(), [](const MemberChange& c) {
               return c.target.production && c.after < c.before;
             })) {
    out += zh ? "\n健康检查：每个生产负载均衡/服务器组仍有权重 > 0 的健康后端。"
              : "\nhealth guard: every production load balancer and group keeps a healthy "
                "backend of weight > 0.";
  }
  return out;
}

std::string FormatRefusal(const SlbPlan& plan, bool zh) {
  return zh ? "拒绝执行 " + plan.command + " " + plan.server_label + "：" + Labels(plan.breaches) +
                  " 将没有权重 > 0 的健康后端（DescribeHealthStatus normal）。管理员可加 --force "
                  "强制执行。"
            : "Refused " + plan.command + " " + plan.server_label + ": " + Labels(plan.breaches) +
                  " would be left without a healthy backend (DescribeHealthStatus normal) of "
                  "weight > 0. An admin may add --force.";
}

std::vector<std::string> UndoCommands(const SlbPlan& plan, const SlbOutcome& outcome) {
  std::vector<std::string> out;
  if (outcome.done.empty()) return out;
  const std::string& s = plan.server_id;
  if (plan.command == kDrain) out.push_back("slb undrain " + s);
  if (plan.command == kGray) out.push_back("release abort " + s);
  if (plan.command == kPromote || plan.command == kAbort) out.push_back("release gray " + s);
  if (plan.command == kGray || plan.command == kPromote || plan.command == kAbort) return out;
  std::set<std::string> seen;
  for (const SlbOutcome::Done& d : outcome.done) {
    if (d.change.kind != MemberChange::Kind::kWeight) continue;
    std::string line =
        "slb weight " + d.change.target.Word() + " " + s + " " + std::to_string(d.change.before);
    if (seen.insert(line).second) out.push_back(line);
  }
  return out;
}

std::string FormatOutcome(const SlbPlan& plan, const SlbOutcome& outcome, bool zh) {
  auto read_back = [&](const SlbOutcome::Done& d) {
    std::string now;
    if (d.actual) {
      now = (zh ? "权重 " : "weight ") + std::to_string(*d.actual);
    } else {
      now = zh ? "未挂载" : "not attached";
    }
    return "• " + d.change.target.Label() + ": " + d.change.server_id +
           PortSuffix(d.change.target, d.change.port) + (zh ? " 现为 " : " now ") + now +
           (d.verified ? ""
            : zh       ? "（与预期不符）"
                       : " (NOT as planned)");
  };
  std::string out;
  if (outcome.ok()) {
    out = "✅ " + plan.command + " " + plan.server_label +
          (zh ? " 完成，负载均衡读回：" : " done; the load balancers read back:");
    for (const SlbOutcome::Done& d : outcome.done) out += "\n" + read_back(d);
    if (outcome.done.empty()) out += zh ? "\n（无需更改）" : "\n(nothing needed changing)";
    if (plan.command == kDrain) {
      out += zh ? "\n恢复：slb undrain " + plan.server_id
                : "\nto restore: slb undrain " + plan.server_id;
    } else if (plan.command == kGray) {
      out += zh ? "\n灰度通过：release promote " + plan.server_id + "；回滚：release abort " +
                      plan.server_id
                : "\nwhen it is good: release promote " + plan.server_id +
                      "; to roll back: release abort " + plan.server_id;
    }
    return out;
  }
  if (outcome.done.empty()) {
    return "❌ " + plan.command + " " + plan.server_label +
           (zh ? " 失败，未做任何更改：" : " failed; nothing was changed: ") + outcome.error;
  }
  out = "❌ " + plan.command + " " + plan.server_label + (zh ? " 部分失败：" : " partly failed: ") +
        outcome.error;
  out += zh ? "\n已更改（读回）：" : "\nchanged (as read back):";
  for (const SlbOutcome::Done& d : outcome.done) out += "\n" + read_back(d);
  if (!outcome.not_done.empty()) {
    out += zh ? "\n未更改：" : "\nnot changed:";
    for (const MemberChange& c : outcome.not_done) out += "\n" + ChangeLine(c, zh);
  }
  const std::vector<std::string> undo = UndoCommands(plan, outcome);
  for (size_t i = 0; i < undo.size(); ++i) {
    out += (i == 0 ? (zh ? "\n撤销：" : "\nto undo: ") : (zh ? "\n或：" : "\n  or: ")) + undo[i];
  }
  return out;
}

}  // namespace beacon::bot::release
