// The chat bot's command engine: one line from an identified sender in, one reply out. It
// resolves the sender's role (default deny), splits the line into words, finds the command in
// the table (bot/commands/registry.h), checks role and argument count, runs the handler, parks a
// mutating command's plan for `confirm CODE`, and audits every attempt. Thread-safe: Handle may
// run for many requests at once (the registry and roles are immutable; confirmations, the audit
// log and the ports are thread-safe); per-user ordering is the dispatcher's job.
#pragma once

#include <cstddef>

#include "bot/audit.h"
#include "bot/chat.h"
#include "bot/commands/registry.h"
#include "bot/confirm.h"
#include "bot/ports.h"
#include "bot/rbac.h"
#include "common/timezone.h"

namespace beacon::bot {

struct EngineDeps {
  Ports ports;
  const Rbac* rbac = nullptr;                   // required
  Confirmations* confirmations = nullptr;       // required
  AuditLog* audit = nullptr;                    // required
  TimeZone tz = TimeZone::Load("UTC").value();  // every time shown
  size_t max_reply_bytes = 2048;                // lists in replies are cut to fit
};

class Engine {
 public:
  Engine(Registry registry, EngineDeps deps);

  // Always answers: refusals and errors are replies too (in both languages where the request's
  // language is unknown). Never throws; a failing audit write makes a mutating command refuse
  // (nothing changes without its audit row) and is logged for read commands.
  Reply Handle(const ChatRequest& request);

  const Registry& registry() const { return registry_; }

 private:
  Registry registry_;
  EngineDeps deps_;
};

}  // namespace beacon::bot
