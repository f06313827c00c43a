// The console receiver: rendered notifications on stdout/stderr, one separator line each.
#include "notifier/console/console.h"

#include <algorithm>
#include <iostream>
#include <utility>

namespace beacon::notifier {
namespace {

// A terminal has no message size limit worth splitting at; this only bounds a runaway body.
constexpr size_t kConsoleMaxBytes = 1 << 20;

std::string Separator(const ConsoleConfig& config, const Notification& notification) {
  return "===== " + config.name + " · delivery " + std::to_string(notification.id) + " =====";
}

}  // namespace

ConsoleNotifier::ConsoleNotifier(ConsoleConfig config, const NotifierDeps& deps, std::ostream* out)
    : config_(std::move(config)), out_(out) {
  options_.language = config_.language.empty() ? deps.language : config_.language;
  options_.timezone = config_.timezone.empty() ? deps.timezone : config_.timezone;
  options_.format = config_.format;
  options_.max_bytes = kConsoleMaxBytes;
}

std::vector<std::string> ConsoleNotifier::Render(const Notification& notification) const {
  return render::RenderMessage(notification, options_);
}

int ConsoleNotifier::MessageCount(const Notification& notification) const {
  const int parts = static_cast<int>(Render(notification).size()) - notification.parts_done;
  return parts > 1 ? parts : 1;
}

DeliveryResult ConsoleNotifier::Deliver(const Notification& notification) {
  const std::vector<std::string> parts = Render(notification);
  DeliveryResult result;
  result.parts_done = notification.parts_done;
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = static_cast<size_t>(std::max(notification.parts_done, 0)); i < parts.size();
       ++i) {
    *out_ << Separator(config_, notification) << '\n' << parts[i] << '\n';
    out_->flush();
    if (!*out_) {
      out_->clear();
      result.outcome = DeliveryOutcome::kRetry;
      result.error =
          std::string("writing to ") + (config_.to_stderr ? "stderr" : "stdout") + " failed";
      return result;
    }
    result.parts_done = static_cast<int>(i) + 1;
  }
  return result;
}

NotifierFactory ParseConsoleReceiver(const std::string& name, config::Node node) {
  const size_t errors_before = node.error_count();
  node.KnownEntries({"type", "format", "language", "timezone", "stream"});
  ConsoleConfig config;
  config.name = name;
  std::string type = "console";
  node.Get("type", &type);
  std::string format = "text";
  node.GetEnum("format", &format, {"text", "markdown"});
  config.format = format == "markdown" ? render::Format::kMarkdown : render::Format::kText;
  node.GetEnum("language", &config.language, {"zh", "en"});
  node.GetTimeZone("timezone", &config.timezone);
  std::string stream = "stdout";
  node.GetEnum("stream", &stream, {"stdout", "stderr"});
  config.to_stderr = stream == "stderr";
  if (node.error_count() != errors_before) return {};
  return [config](const NotifierDeps& deps) -> std::unique_ptr<Notifier> {
    return std::make_unique<ConsoleNotifier>(config, deps,
                                             config.to_stderr ? &std::cerr : &std::cout);
  };
}

}  // namespace beacon::notifier
