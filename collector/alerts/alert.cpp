// Alert identity (fingerprints) and the names of record outcomes.
#include "collector/alerts/alert.h"

#include "common/crypto/crypto.h"

namespace beacon::collector::alerts {

std::string Fingerprint(std::string_view source, std::string_view host, std::string_view kind,
                        std::string_view subject) {
  // '\x1f' (unit separator) cannot appear in sane names, so ("a", "bc") and ("ab", "c") differ.
  crypto::Sha256 hasher;
  hasher.Update(source);
  hasher.Update("\x1f");
  hasher.Update(host);
  hasher.Update("\x1f");
  hasher.Update(kind);
  hasher.Update("\x1f");
  hasher.Update(subject);
  const crypto::Digest256 digest = hasher.Final();
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
}

std::string_view RecordOutcomeName(RecordOutcome outcome) {
  switch (outcome) {
    case RecordOutcome::kNew:
      return "new";
    case RecordOutcome::kFolded:
      return "folded";
    case RecordOutcome::kResolved:
      return "resolved";
    case RecordOutcome::kDuplicate:
      return "duplicate";
    case RecordOutcome::kUnmatched:
      return "unmatched";
  }
  return "unknown";
}

}  // namespace beacon::collector::alerts
