// The file receiver: one fsynced JSON line per notification.
#include "notifier/file/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/posix.h"

namespace beacon::notifier {
namespace {

// A file line holds the whole text; this only bounds a runaway body.
constexpr size_t kFileMaxBytes = 1 << 20;

std::string_view KindName(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::kRepeat:
      return "repeat";
    case NotificationKind::kSummary:
      return "summary";
    case NotificationKind::kGroup:
      break;
  }
  return "group";
}

std::string IoFailure(const std::string& what, const std::string& path, int error) {
  return what + " " + path + ": " + ErrnoText(error);
}

}  // namespace

FileNotifier::FileNotifier(FileConfig config, const NotifierDeps& deps)
    : config_(std::move(config)) {
  options_.language = config_.language.empty() ? deps.language : config_.language;
  options_.timezone = config_.timezone.empty() ? deps.timezone : config_.timezone;
  options_.format = config_.format;
  options_.max_bytes = kFileMaxBytes;
  options_.overflow = render::Overflow::kTruncate;
}

std::string FileNotifier::Line(const Notification& notification) const {
  nlohmann::ordered_json line;
  line["delivery_id"] = notification.id;
  line["receiver"] = notification.receiver;
  line["kind"] = KindName(notification.kind);
  line["total_alerts"] = notification.total_alerts;
  nlohmann::json ids = nlohmann::json::array();
  for (const AlertView& alert : notification.alerts) ids.push_back(alert.id);
  line["alerts"] = std::move(ids);
  line["text"] = render::RenderMessage(notification, options_).front();
  // The receiver name is config text and the render output is valid UTF-8; replace anyway so a
  // bad byte can never throw here.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

DeliveryResult FileNotifier::Deliver(const Notification& notification) {
  const std::string line = Line(notification) + "\n";
  DeliveryResult result;
  std::lock_guard<std::mutex> lock(mutex_);
  const UniqueFd fd(::open(config_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) {
    result.outcome = DeliveryOutcome::kRetry;
    result.error = IoFailure("open", config_.path, errno);
    return result;
  }
  if (Status written = WriteAll(fd.get(), line, "write " + config_.path); !written.ok()) {
    result.outcome = DeliveryOutcome::kRetry;
    result.error = written.message();
    return result;
  }
  // /dev/null and pipes cannot be synced; that is no reason to deliver again.
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EROFS) {
    result.outcome = DeliveryOutcome::kRetry;
    result.error = IoFailure("fsync", config_.path, errno);
    return result;
  }
  result.parts_done = 1;
  return result;
}

NotifierFactory ParseFileReceiver(const std::string& name, config::Node node) {
  const size_t errors_before = node.error_count();
  node.KnownEntries({"type", "path", "format", "language", "timezone"});
  FileConfig config;
  config.name = name;
  std::string type = "file";
  node.Get("type", &type);
  node.Get("path", &config.path);
  if (!node.Has("path")) {
    node.Error("path", "required key is missing (the file to append alert lines to)");
  } else if (config.path.empty()) {
    if (node.error_count() == errors_before) node.Error("path", "must not be empty");
  } else if (config.path.front() != '/' && !node.base_dir().empty()) {
    config.path = node.base_dir() + "/" + config.path;
  }
  std::string format = "text";
  node.GetEnum("format", &format, {"text", "markdown"});
  config.format = format == "markdown" ? render::Format::kMarkdown : render::Format::kText;
  node.GetEnum("language", &config.language, {"zh", "en"});
  node.GetTimeZone("timezone", &config.timezone);
  if (node.error_count() != errors_before) return {};
  return [config](const NotifierDeps& deps) -> std::unique_ptr<Notifier> {
    return std::make_unique<FileNotifier>(config, deps);
  };
}

}  // namespace beacon::notifier
