// SlbActions: the SLB and gray-release changes behind `slb weight|drain|undrain` and
// `release gray|promote|abort` (docs/bot.md#slb-and-gray-release). A command is planned first
// (current weights and health read through slb::Api, the health guard evaluated, nothing
// changed), the plan is shown as a preview, and Apply re-plans, refuses when the load balancers
// changed since, remembers drained weights durably (WeightMemory), changes one server group at a
// time and reads every group back. Only the load balancers and VServer groups of bot.slb are
// ever touched. Thread-safe when the Api is (RpcApi is); the config is immutable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/release/slb_config.h"
#include "bot/release/weight_memory.h"
#include "common/cloud/aliyun/slb.h"
#include "common/status.h"

namespace beacon::bot::release {

// One server group the bot may change: a load balancer's default server group or one of its
// configured VServer groups.
struct SlbTarget {
  std::string lb_id;
  std::string lb_name;
  std::string group_id;  // "" for the default server group
  std::string group_name;
  bool production = true;  // false for the gray load balancer

  // "web (lb-1)" / "web (lb-1) / api (rsp-1)".
  std::string Label() const;
  // The word `slb weight` takes to name exactly this group: the group id, else the LB id.
  const std::string& Word() const { return group_id.empty() ? lb_id : group_id; }
  bool operator==(const SlbTarget& other) const = default;
};

// One member's change. kAdd attaches the server to the gray load balancer (before is -1),
// kRemove detaches it (after is -1).
struct MemberChange {
  enum class Kind { kWeight, kAdd, kRemove };
  Kind kind = Kind::kWeight;
  SlbTarget target;
  std::string server_id;
  int port = 0;      // VServer group members
  std::string type;  // "ecs" | "eni" | "eci" | "" as the API reported it
  int before = 0;
  int after = 0;
  bool operator==(const MemberChange& other) const = default;
};

// A planned change: what the preview shows and Apply does.
struct SlbPlan {
  std::string command;  // "slb weight", "slb drain", "slb undrain", "release gray|promote|abort"
  std::string server_id;
  std::string server_label;           // "web-01 (i-abc)" or the id
  std::string lb_word;                // `slb weight`'s LB word
  int weight = 0;                     // `slb weight`'s weight
  bool force = false;                 // --force given
  std::vector<MemberChange> changes;  // in the order they are applied
  // Production groups the change would leave without a healthy backend of weight > 0.
  std::vector<SlbTarget> breaches;
  std::vector<SlbTarget> already_zero;  // drain: groups where the server's weight is 0 already
  std::vector<SlbTarget> gone;          // restore: remembered groups no longer holding the server
  std::vector<RememberedWeight> remember;  // written before the first change
  std::vector<RememberedWeight> forget;    // dropped once their members are restored
};

// What Apply did.
struct SlbOutcome {
  struct Done {
    MemberChange change;
    std::optional<int> actual;  // the weight read back; nullopt: not attached (or unreadable)
    bool verified = false;      // read back as planned
  };
  std::vector<Done> done;                // sent and answered, with what reads back
  std::vector<MemberChange> not_done;    // not sent (an earlier step failed)
  std::string error;                     // "" when every change went through and reads back
  std::vector<std::string> request_ids;  // of every change call
  bool ok() const { return error.empty(); }
};

class SlbActions {
 public:
  // `api` and `memory` must outlive this.
  SlbActions(SlbConfig config, aliyun::slb::Api& api, WeightMemory& memory);

  // A server alias (bot.slb.servers) or id -> the id. InvalidArgument for a malformed word.
  Result<std::string> ResolveServer(std::string_view word) const;
  // "web-01 (i-abc)" when the id has an alias, else the id.
  std::string ServerLabel(const std::string& server_id) const;
  // An LB id or name -> its default group and configured VServer groups (production or gray);
  // a VServer group id or name -> that group. PermissionDenied naming the configured ones for
  // anything else.
  Result<std::vector<SlbTarget>> ResolveTargets(std::string_view word) const;

  // `slb show LB`: every member of the named groups with weight and health.
  Result<std::string> Show(std::string_view lb_word, bool zh);

  Result<SlbPlan> PlanWeight(std::string_view lb_word, std::string_view server, int weight,
                             bool force);
  Result<SlbPlan> PlanDrain(std::string_view server, bool force);
  Result<SlbPlan> PlanUndrain(std::string_view server);
  Result<SlbPlan> PlanGray(std::string_view server, bool force);
  // abort: same end state as promote, gray removal first (see docs/bot.md).
  Result<SlbPlan> PlanPromote(std::string_view server, bool abort);

  // Plans `plan`'s command again and refuses (FailedPrecondition) when the changes differ from
  // the confirmed ones or a new breach appeared without --force; then remembers, changes group
  // by group and reads each back, stopping at the first failure or mismatch.
  Result<SlbOutcome> Apply(const SlbPlan& plan, const std::string& by, int64_t now_ms);

  const SlbConfig& config() const { return config_; }

 private:
  struct Member {
    std::string server_id;
    int port = 0;
    int weight = 0;
    std::string type;
  };
  struct Snapshot {
    SlbTarget target;
    std::vector<Member> members;
    std::vector<std::string> request_ids;
  };
  std::vector<SlbTarget> ProductionTargets() const;
  std::optional<SlbTarget> GrayTarget() const;
  Result<Snapshot> Read(const SlbTarget& target);
  // Breaches of the production groups whose weights `changes` lower.
  Result<std::vector<SlbTarget>> Guard(const std::vector<Snapshot>& snapshots,
                                       const std::vector<MemberChange>& changes);
  // Drain changes for `server_id` over every production group (shared by drain and gray).
  Result<SlbPlan> PlanDrainFor(const std::string& command, const std::string& server_id,
                               bool force);
  // Restore changes from the memory (shared by undrain, promote and abort).
  Status PlanRestore(SlbPlan& plan);
  Result<SlbPlan> Replan(const SlbPlan& plan);
  // Sends one group's changes; returns the request ids.
  Result<std::vector<std::string>> Send(const SlbTarget& target,
                                        const std::vector<MemberChange>& changes);

  const SlbConfig config_;
  aliyun::slb::Api& api_;
  WeightMemory& memory_;
};

// The preview of a plan: every group, server and weight before -> after, the guard's verdict
// (forced or not), what is remembered or restored.
std::string FormatPreview(const SlbPlan& plan, bool zh);
// The guard's refusal: which groups would be left without a healthy backend, and --force.
std::string FormatRefusal(const SlbPlan& plan, bool zh);
// The reply after Apply: what each group reads back; on a failure, what changed, what did not,
// the error and the exact commands that undo it.
std::string FormatOutcome(const SlbPlan& plan, const SlbOutcome& outcome, bool zh);
// The commands that undo what `outcome` did ("slb undrain i-abc", "slb weight lb-1 i-abc 100").
std::vector<std::string> UndoCommands(const SlbPlan& plan, const SlbOutcome& outcome);

}  // namespace beacon::bot::release
