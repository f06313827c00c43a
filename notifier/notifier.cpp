// Helpers shared by the Notifier implementations.
#include "notifier/notifier.h"

#include <algorithm>

namespace beacon::notifier {

DeliveryResult SendParts(const std::vector<std::string>& requests, int parts_done,
                         const std::function<DeliveryResult(const std::string& request)>& send) {
  const int total = static_cast<int>(requests.size());
  for (int done = std::clamp(parts_done, 0, total); done < total; ++done) {
    DeliveryResult result = send(requests[static_cast<size_t>(done)]);
    if (result.outcome != DeliveryOutcome::kDelivered) {
      if (total > 1) {
        result.error =
            "part " + std::to_string(done + 1) + "/" + std::to_string(total) + ": " + result.error;
      }
      result.parts_done = done;
      return result;
    }
  }
  DeliveryResult delivered;
  delivered.parts_done = total;
  return delivered;
}

}  // namespace beacon::notifier
