// What the SLB and release command files share (bot/commands/slb.cpp, release.cpp): the
// not-configured answer, the --force flag, and turning a planned SLB change into the engine's
// Plan (preview, guard refusal, apply with read-back). Pure glue; thread-safe like SlbActions.
#pragma once

#include <string>
#include <vector>

#include "bot/commands/registry.h"
#include "bot/release/slb_actions.h"

namespace beacon::bot {

// FailedPrecondition "SLB commands are not configured here (bot.slb)".
Status SlbNotConfigured(const CommandContext& ctx);
// Removes every "--force" from args; true when one was there. PermissionDenied when the sender
// is not an admin.
Result<bool> TakeForce(const CommandContext& ctx, std::vector<std::string>& args);
// A plan the guard refuses becomes FailedPrecondition with the refusal; one with nothing to do a
// plain reply; anything else a Plan whose apply runs SlbActions::Apply and reports what reads
// back (ApplyResult::failed when it partly failed).
Result<CommandOutcome> SlbPlanOutcome(CommandContext& ctx, release::SlbActions* slb,
                                      Result<release::SlbPlan> planned);

}  // namespace beacon::bot
