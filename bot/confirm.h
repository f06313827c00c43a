// Confirmations of mutating commands: a command's handler returns a Plan (an exact preview and
// the function that applies it); the engine parks it here under a short random code, and only
// `confirm CODE` from the same principal before the TTL runs out takes it back to apply. One
// pending plan per principal (a new one replaces the old). Time is passed in; randomness is
// injected. Thread-safe (one mutex; the apply function never runs under it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"

namespace beacon::bot {

// What applying a plan did: the reply text and the ids of what it started (agent command ids,
// cloud request ids), which go into the audit row.
struct ApplyResult {
  std::string text;
  std::vector<std::string> request_ids;
  // The change failed part-way: `text` says what changed and how to undo it; audited as failed,
  // with the request ids of what did change.
  bool failed = false;
};

// A mutating command's proposal. `preview` states exactly what will change; `apply` does it
// and may fail (its Status text is shown and audited). `apply` must be safe to call from any
// thread after the handler returned (capture values, not references to the request).
struct Plan {
  std::string preview;
  std::function<Result<ApplyResult>()> apply;
};

struct PendingPlan {
  std::string principal;
  std::string channel;
  std::string command;  // the command's name
  std::vector<std::string> arguments;
  Plan plan;
  std::string code;
  int64_t expires_ms = 0;
  int attempts = 0;  // wrong codes tried by the principal
};

inline constexpr int64_t kDefaultConfirmTtlMs = 120 * 1000;
// Wrong codes a principal may try before the pending plan is dropped (a 6-digit code and five
// tries give a guesser 1 chance in 200,000).
inline constexpr int kMaxConfirmAttempts = 5;
inline constexpr size_t kConfirmCodeDigits = 6;

class Confirmations {
 public:
  using RandomBytes = std::function<std::string(size_t)>;
  // random_bytes(n) returns n uniformly random bytes (crypto::RandomBytes in production).
  Confirmations(int64_t ttl_ms, RandomBytes random_bytes);

  struct Proposed {
    std::string code;
    int64_t expires_ms = 0;
    std::optional<PendingPlan> replaced;  // the principal's earlier plan, now dropped
  };
  // Parks `pending` (code and expiry are set here) for pending.principal.
  Proposed Propose(PendingPlan pending, int64_t now_ms);

  enum class Outcome {
    kConfirmed,        // plan returned: apply it
    kNoPending,        // the principal has nothing pending (and the code is nobody's)
    kWrongCode,        // the principal has a plan under another code; it stays (attempts + 1)
    kOtherUsersCode,   // the code belongs to another principal's plan; that plan stays
    kExpired,          // the principal's plan outlived the TTL: dropped, returned for the audit
    kTooManyAttempts,  // kMaxConfirmAttempts wrong codes: dropped, returned for the audit
  };
  struct Taken {
    Outcome outcome = Outcome::kNoPending;
    std::optional<PendingPlan> plan;
  };
  Taken Confirm(const std::string& principal, std::string_view code, int64_t now_ms);

  // Drops the principal's pending plan and returns it (nullopt when there was none).
  std::optional<PendingPlan> Cancel(const std::string& principal);

  size_t PendingCount();
  int64_t ttl_ms() const { return ttl_ms_; }

 private:
  std::string NewCode() BEACON_REQUIRES(mu_);
  void DropExpired(int64_t now_ms) BEACON_REQUIRES(mu_);

  const int64_t ttl_ms_;
  RandomBytes random_bytes_;
  Mutex mu_;
  std::map<std::string, PendingPlan> by_principal_ BEACON_GUARDED_BY(mu_);
};

}  // namespace beacon::bot
