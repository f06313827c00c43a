// Confirmations: pending plans by principal, codes, expiry and attempts; see confirm.h.
#include "bot/confirm.h"

#include <cstring>

#include "common/crypto/crypto.h"

namespace beacon::bot {

Confirmations::Confirmations(int64_t ttl_ms, RandomBytes random_bytes)
    : ttl_ms_(ttl_ms), random_bytes_(std::move(random_bytes)) {}

std::string Confirmations::NewCode() {
  // Digits by rejection sampling of bytes (values >= 250 are redrawn), so each digit is uniform;
  // a code some pending plan already has is drawn again.
  while (true) {
    std::string code;
    while (code.size() < kConfirmCodeDigits) {
      for (unsigned char b : random_bytes_(kConfirmCodeDigits)) {
        if (b < 250 && code.size() < kConfirmCodeDigits) code += static_cast<char>('0' + b % 10);
      }
    }
    bool taken = false;
    for (const auto& [principal, p] : by_principal_) taken = taken || p.code == code;
    if (!taken) return code;
  }
}

void Confirmations::DropExpired(int64_t now_ms) {
  for (auto it = by_principal_.begin(); it != by_principal_.end();) {
    it = it->second.expires_ms <= now_ms ? by_principal_.erase(it) : std::next(it);
  }
}

Confirmations::Proposed Confirmations::Propose(PendingPlan pending, int64_t now_ms) {
  MutexLock lock(mu_);
  Proposed out;
  auto old = by_principal_.find(pending.principal);
  if (old != by_principal_.end()) {
    if (old->second.expires_ms > now_ms) out.replaced = std::move(old->second);
    by_principal_.erase(old);
  }
  DropExpired(now_ms);
  pending.code = NewCode();
  pending.expires_ms = now_ms + ttl_ms_;
  pending.attempts = 0;
  out.code = pending.code;
  out.expires_ms = pending.expires_ms;
  by_principal_[pending.principal] = std::move(pending);
  return out;
}

Confirmations::Taken Confirmations::Confirm(const std::string& principal, std::string_view code,
                                            int64_t now_ms) {
  MutexLock lock(mu_);
  Taken out;
  auto own = by_principal_.find(principal);
  if (own != by_principal_.end() && own->second.expires_ms <= now_ms) {
    out.outcome = Outcome::kExpired;
    out.plan = std::move(own->second);
    by_principal_.erase(own);
    return out;
  }
  if (own != by_principal_.end() && crypto::ConstantTimeEquals(own->second.code, code)) {
    out.outcome = Outcome::kConfirmed;
    out.plan = std::move(own->second);
    by_principal_.erase(own);
    return out;
  }
  for (const auto& [other, p] : by_principal_) {
    if (other != principal && p.expires_ms > now_ms && crypto::ConstantTimeEquals(p.code, code)) {
      out.outcome = Outcome::kOtherUsersCode;
      return out;
    }
  }
  if (own == by_principal_.end()) {
    out.outcome = Outcome::kNoPending;
    return out;
  }
  if (++own->second.attempts >= kMaxConfirmAttempts) {
    out.outcome = Outcome::kTooManyAttempts;
    out.plan = std::move(own->second);
    by_principal_.erase(own);
    return out;
  }
  out.outcome = Outcome::kWrongCode;
  return out;
}

std::optional<PendingPlan> Confirmations::Cancel(const std::string& principal) {
  MutexLock lock(mu_);
  auto it = by_principal_.find(principal);
  if (it == by_principal_.end()) return std::nullopt;
  PendingPlan p = std::move(it->second);
  by_principal_.erase(it);
  return p;
}

size_t Confirmations::PendingCount() {
  MutexLock lock(mu_);
  return by_principal_.size();
}

}  // namespace beacon::bot
