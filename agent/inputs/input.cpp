// Emitter: timestamps records and filters out what the collector's strict decoder would refuse.
#include "agent/inputs/input.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace beacon::agent::inputs {
namespace {

const wire::DecodeLimits kLimits;

std::string CheckLabels(const std::map<std::string, std::string>& labels) {
  if (labels.size() > kLimits.max_labels) return "too many labels";
  for (const auto& [key, value] : labels) {
    if (!wire::IsValidMetricName(key)) return "invalid label key '" + key + "'";
    if (value.size() > kLimits.max_string_bytes) return "label '" + key + "' is too long";
  }
  return "";
}

}  // namespace

void Emitter::AddSample(const std::string& metric, double value,
                        std::map<std::string, std::string> labels) {
  if (!wire::IsValidMetricName(metric)) {
    rejected_.push_back("invalid metric name '" + metric + "'");
    return;
  }
  if (!std::isfinite(value)) {
    rejected_.push_back(metric + ": value is not finite");
    return;
  }
  if (std::string why = CheckLabels(labels); !why.empty()) {
    rejected_.push_back(metric + ": " + why);
    return;
  }
  wire::Record record;
  record.type = wire::RecordType::kSample;
  record.ts_ms = clock_.NowMs();
  record.sample.metric = metric;
  record.sample.value = value;
  record.sample.labels = std::move(labels);
  records_.push_back(std::move(record));
}

void Emitter::AddEvent(wire::Event event) {
  if (!wire::IsValidMetricName(event.kind)) {
    rejected_.push_back("invalid event kind '" + event.kind + "'");
    return;
  }
  const auto& severities = wire::Severities();
  if (std::find(severities.begin(), severities.end(), event.severity) == severities.end()) {
    rejected_.push_back(event.kind + ": unknown severity '" + event.severity + "'");
    return;
  }
  // Long text is cut rather than refused: an event must not be lost for a verbose message.
  for (std::string* text : {&event.subject, &event.message}) {
    text->resize(TruncateUtf8(*text, kLimits.max_string_bytes).size());
  }
  if (!event.data.is_object()) {
    rejected_.push_back(event.kind + ": data must be a JSON object");
    return;
  }
  if (event.data.dump().size() > kLimits.max_data_bytes) {
    rejected_.push_back(event.kind + ": data is too large");
    return;
  }
  wire::Record record;
  record.type = wire::RecordType::kEvent;
  record.ts_ms = clock_.NowMs();
  record.event = std::move(event);
  records_.push_back(std::move(record));
}

}  // namespace beacon::agent::inputs
