// The `console` receiver: writes each rendered notification to stdout or stderr under a separator
// line. The collector's default receiver when none is configured, and handy while testing routes.
#pragma once

#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "notifier/notifier.h"
#include "notifier/render/render.h"

namespace beacon::notifier {

// `alerts.receivers.<name>` with `type: console`.
struct ConsoleConfig {
  std::string name;
  render::Format format = render::Format::kText;  // `format: text|markdown`
  std::string language;                           // empty: NotifierDeps::language
  std::string timezone;                           // empty: NotifierDeps::timezone
  bool to_stderr = false;                         // `stream: stdout|stderr`
};

// Writes to `out` (owned by the caller, outliving the notifier). Thread-safe: messages of
// concurrent deliveries never interleave.
class ConsoleNotifier final : public Notifier {
 public:
  ConsoleNotifier(ConsoleConfig config, const NotifierDeps& deps, std::ostream* out);
  // Writes every remaining part; kRetry when the stream reports a write failure.
  DeliveryResult Deliver(const Notification& notification) override;
  int MessageCount(const Notification& notification) const override;
  std::string type() const override { return "console"; }

 private:
  std::vector<std::string> Render(const Notification& notification) const;
  ConsoleConfig config_;
  render::RenderOptions options_;
  std::mutex mutex_;
  std::ostream* out_;  // guarded by mutex_
};

// Keys: type, format (text|markdown, default text), language (zh|en), timezone (IANA name),
// stream (stdout|stderr, default stdout). Errors are recorded on the node; an empty function
// is returned when any key is invalid.
NotifierFactory ParseConsoleReceiver(const std::string& name, config::Node node);

}  // namespace beacon::notifier
