// Severity and status names of the shared alert vocabulary.
#include "common/alerting/severity.h"

#include <algorithm>
#include <array>
#include <string>

#include "common/strings.h"

namespace beacon::alerting {
namespace {

constexpr std::array<std::string_view, 6> kNames = {"not_classified", "information", "warning",
                                                    "average",        "high",        "disaster"};

// "Not Classified" -> "not_classified": lower case, spaces as underscores.
std::string NameKey(std::string_view text) {
  std::string out = Lower(text);
  std::replace(out.begin(), out.end(), ' ', '_');
  return out;
}

}  // namespace

std::string_view SeverityName(Severity severity) { return kNames[static_cast<size_t>(severity)]; }

std::optional<Severity> ParseSeverity(std::string_view text) {
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '5') {
    return static_cast<Severity>(text[0] - '0');
  }
  const std::string lower = NameKey(text);
  if (lower == "info") return Severity::kInformation;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (lower == kNames[i]) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

std::string_view AlertStatusName(AlertStatus status) {
  return status == AlertStatus::kFiring ? "firing" : "resolved";
}

}  // namespace beacon::alerting
