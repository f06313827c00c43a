// Notifier: one configured receiver (a WeCom app, a WeCom group robot, Splunk HEC, the console,
// a file). The collector's outbox hands it one Notification at a time and acts on the
// DeliveryResult; a notifier never queues or drops anything itself. Implementations are
// thread-safe (the outbox may call Deliver for different notifications from several workers).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "common/status.h"
#include "notifier/alert_view.h"

namespace beacon::notifier {

enum class NotificationKind {
  kGroup,    // the alerts of one group that changed state since its last notification
  kRepeat,   // a group's alerts still firing after repeat_interval
  kSummary,  // several queued notifications merged because the receiver was behind
};

// What one message (or one numbered series of parts) is about. The outbox stores it as JSON
// and can rebuild it byte for byte, so a retry renders exactly the same request.
struct Notification {
  int64_t id = 0;        // the outbox delivery id (unique per receiver message)
  std::string receiver;  // the receiver's configured name
  NotificationKind kind = NotificationKind::kGroup;
  int64_t created_ms = 0;  // "now" for rendering (durations of firing alerts)
  // The alerts it covers. A summary may carry only the first alerts of a storm (the outbox
  // caps the list); total_alerts always counts them all.
  std::vector<AlertView> alerts;
  int64_t total_alerts = 0;
  // Summary only: how many of the covered alerts were firing / resolved, and counts by severity
  // name and by host (every covered alert, not only the listed ones).
  int64_t firing = 0;
  int64_t resolved = 0;
  std::vector<std::pair<std::string, int64_t>> by_severity;  // highest severity first
  std::vector<std::pair<std::string, int64_t>> by_host;      // most alerts first
  // The first `parts_done` parts of a split message were delivered by an earlier attempt; a
  // retry sends only the rest.
  int parts_done = 0;
};

enum class DeliveryOutcome {
  kDelivered,  // the receiver accepted every part
  kRetry,      // transient (network, 5xx, -1 busy, 45009, 45033, token refetch failed): retry
  kPermanent,  // will not succeed by retrying (60020, 81013, 93000, bad config): record it
};

struct DeliveryResult {
  DeliveryOutcome outcome = DeliveryOutcome::kDelivered;
  std::string error;           // for the operator: the API's errcode/errmsg and what to do
  int64_t retry_after_ms = 0;  // a minimum wait the receiver asked for (0: the outbox's backoff)
  int parts_done = 0;          // parts accepted so far (including the notification's parts_done)
};

// A local send-rate limit the outbox enforces for the receiver: at most `max_messages` HTTP
// messages in any `window_ms`. max_messages 0: unlimited.
struct RateLimit {
  int max_messages = 0;
  int64_t window_ms = 60 * 1000;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Sends the notification (all of its remaining parts). Never throws.
  virtual DeliveryResult Deliver(const Notification& notification) = 0;
  // How many HTTP messages Deliver will send for it (for the rate limit); at least 1.
  virtual int MessageCount(const Notification& notification) const = 0;
  virtual RateLimit rate_limit() const { return {}; }
  // "wecom_app", "wecom_robot", "splunk_hec", "console", "file".
  virtual std::string type() const = 0;
};

// Sends requests[parts_done..] in order with `send`, stopping at the first that is not
// delivered; that result comes back with parts_done set and "part i/n: " before its error.
// The shared loop of the notifiers whose messages may be split into numbered parts.
DeliveryResult SendParts(const std::vector<std::string>& requests, int parts_done,
                         const std::function<DeliveryResult(const std::string& request)>& send);

// What notifiers may use; owned by the caller and outliving every notifier.
struct NotifierDeps {
  http::HttpClient* http = nullptr;
  const Clock* clock = nullptr;
  // Default rendering options from collector.yaml alerts: (receivers may override).
  std::string language = "zh";             // "zh" | "en"
  std::string timezone = "Asia/Shanghai";  // IANA name
};

// A parsed `alerts.receivers.<name>` section that builds its notifier once the process has its
// HTTP client and clock. Parsing happens when the config is loaded (`beacon-collector check`
// reports receiver errors with key path and line); building never fails.
using NotifierFactory = std::function<std::unique_ptr<Notifier>(const NotifierDeps& deps)>;

// Parses one receiver section by its `type`, one of BuiltinNotifiers() (notifier/builtin.h).
// Errors are recorded on the node; an empty function is returned when it is invalid (any
// invalid or unknown key of the section). Each integration provides
// Parse<Type>Receiver(name, node) with the same contract.
NotifierFactory ParseReceiver(const std::string& name, config::Node node);

}  // namespace beacon::notifier
