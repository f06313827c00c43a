// The `file` receiver: appends one JSON line per notification (ids, counts and the rendered
// text) to a local file and fsyncs it, for audits and for tests that read what was sent.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/config/config.h"
#include "notifier/notifier.h"
#include "notifier/render/render.h"

namespace beacon::notifier {

// `alerts.receivers.<name>` with `type: file`.
struct FileConfig {
  std::string name;
  std::string path;                               // absolute (resolved against the config dir)
  render::Format format = render::Format::kText;  // `format: text|markdown`
  std::string language;                           // empty: NotifierDeps::language
  std::string timezone;                           // empty: NotifierDeps::timezone
};

// Each Deliver opens the file (O_APPEND, created 0640), writes the whole line in one write and
// fsyncs before reporting kDelivered. Thread-safe.
class FileNotifier final : public Notifier {
 public:
  FileNotifier(FileConfig config, const NotifierDeps& deps);
  // One line {"delivery_id","receiver","kind","total_alerts","alerts":[ids],"text"}; an
  // open/write/fsync failure is kRetry with the path and the errno text.
  DeliveryResult Deliver(const Notification& notification) override;
  int MessageCount(const Notification&) const override { return 1; }
  std::string type() const override { return "file"; }

  // The line Deliver appends (without the trailing newline).
  std::string Line(const Notification& notification) const;

 private:
  FileConfig config_;
  render::RenderOptions options_;
  std::mutex mutex_;  // one line at a time, so lines never interleave
};

// Keys: type, path (required; relative to the config file's directory), format (text|markdown),
// language (zh|en), timezone (IANA name). Errors are recorded on the node; an empty function is
// returned when any key is invalid.
NotifierFactory ParseFileReceiver(const std::string& name, config::Node node);

}  // namespace beacon::notifier
