// The Splunk HEC receiver: alerts as HEC events, batched, with HEC's reply codes mapped onto
// delivered / retry / permanent.
#include "notifier/splunk_hec/splunk_hec.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/json/parse.h"
#include "common/log/log.h"
#include "common/url.h"

namespace beacon::notifier {
namespace {

constexpr int kHecServerBusy = 9;
constexpr size_t kMaxErrorText = 200;  // of a reply body quoted in an error

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "1795658400.123": seconds with a millisecond fraction, as HEC's "time" takes it.
std::string EpochSeconds(int64_t unix_ms) {
  char buffer[32];
  const int64_t seconds = unix_ms / 1000;
  const int64_t millis = unix_ms % 1000;
  std::snprintf(buffer, sizeof(buffer), "%lld.%03lld", static_cast<long long>(seconds),
                static_cast<long long>(millis < 0 ? -millis : millis));
  return buffer;
}

std::string EventHost(const SplunkHecConfig& config, const AlertView& alert) {
  if (!config.host_field.empty()) {
    const auto tag = alert.tags.find(config.host_field);
    if (tag != alert.tags.end() && !tag->second.empty()) return tag->second;
  }
  return alert.host;
}

std::string Event(const SplunkHecConfig& config, const AlertView& alert) {
  nlohmann::json event;
  event["id"] = alert.id;
  event["status"] = std::string(AlertStatusName(alert.status));
  event["severity"] = std::string(SeverityName(alert.severity));
  event["title"] = alert.title;
  event["message"] = alert.message;
  event["tags"] = nlohmann::json::object();
  for (const auto& [key, value] : alert.tags) event["tags"][key] = value;
  event["url"] = alert.url;
  event["fingerprint"] = alert.fingerprint;
  event["source"] = alert.source;
  const int64_t time_ms =
      alert.status == AlertStatus::kResolved && alert.ends_ms > 0 ? alert.ends_ms : alert.starts_ms;
  // The envelope is written by hand so "time" keeps exactly three decimals.
  std::string out = "{\"time\":" + EpochSeconds(time_ms);
  const std::string host = EventHost(config, alert);
  if (!host.empty()) out += ",\"host\":" + Dump(host);
  if (!config.source.empty()) out += ",\"source\":" + Dump(config.source);
  out += ",\"sourcetype\":" + Dump(config.sourcetype);
  if (!config.index.empty()) out += ",\"index\":" + Dump(config.index);
  out += ",\"event\":" + Dump(event) + "}";
  return out;
}

std::string Shorten(std::string text) {
  if (text.size() > kMaxErrorText) text = text.substr(0, kMaxErrorText) + "...";
  return text;
}

// The outcome of one HEC request.
struct Reply {
  DeliveryOutcome outcome = DeliveryOutcome::kDelivered;
  std::string error;
};

Reply Classify(const Result<http::HttpResponse>& response) {
  if (!response.ok()) {
    return {DeliveryOutcome::kRetry, "HEC request failed: " + response.status().message()};
  }
  const int status = response->status;
  std::optional<int64_t> code;
  std::string text;
  Result<nlohmann::json> parsed = ParseJson(response->body);
  const nlohmann::json body = parsed.ok() ? std::move(*parsed) : nlohmann::json();
  if (body.is_object()) {
    if (body.contains("code") && body["code"].is_number_integer()) {
      code = body["code"].get<int64_t>();
    }
    if (body.contains("text") && body["text"].is_string()) text = body["text"].get<std::string>();
  }
  if (status == 200 && (!code || *code == 0)) return {};
  std::string what = code ? "HEC code " + std::to_string(*code) + ": " + text
                          : "HEC HTTP " + std::to_string(status) + ": " + Shorten(response->body);
  if (code && status != 200) what += " (HTTP " + std::to_string(status) + ")";
  // Codes 1-4 are token problems the operator must fix; say where.
  if (code && *code >= 1 && *code <= 4) what += "; check the receiver's token_file/token_env";
  const bool transient = status >= 500 || status == 429 || (code && *code == kHecServerBusy);
  return {transient ? DeliveryOutcome::kRetry : DeliveryOutcome::kPermanent, what};
}

}  // namespace

SplunkHecNotifier::SplunkHecNotifier(SplunkHecConfig config, http::HttpClient* http)
    : config_(std::move(config)), http_(http) {
  config_.batch_size = std::max(config_.batch_size, 1);  // the parser enforces 1..10000
  log::RegisterSecret(config_.token.value());
}

int SplunkHecNotifier::MessageCount(const Notification& notification) const {
  const auto alerts = static_cast<int64_t>(notification.alerts.size());
  const int64_t batches = (alerts + config_.batch_size - 1) / config_.batch_size;
  return batches > 1 ? static_cast<int>(batches) : 1;
}

std::string SplunkHecNotifier::BatchBody(const Notification& notification, int index) const {
  std::string body;
  const size_t begin = static_cast<size_t>(index) * static_cast<size_t>(config_.batch_size);
  for (size_t i = begin; i < notification.alerts.size() && i < begin + config_.batch_size; ++i) {
    body += Event(config_, notification.alerts[i]);
  }
  return body;
}

DeliveryResult SplunkHecNotifier::Deliver(const Notification& notification) {
  DeliveryResult result;
  result.parts_done = notification.parts_done;
  const auto alerts = static_cast<int64_t>(notification.alerts.size());
  const int batches = static_cast<int>((alerts + config_.batch_size - 1) / config_.batch_size);
  for (int i = std::max(notification.parts_done, 0); i < batches; ++i) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = config_.url;
    request.headers.Set("Authorization", "Splunk " + config_.token.value());
    request.headers.Set("Content-Type", "application/json");
    request.body = BatchBody(notification, i);
    request.timeout_ms = config_.timeout_ms;
    const Reply reply = Classify(http_->Send(request));
    if (reply.outcome != DeliveryOutcome::kDelivered) {
      result.outcome = reply.outcome;
      // HEC never echoes the token, but a proxy or transport message might.
      result.error = log::Redact(reply.error);
      return result;
    }
    result.parts_done = i + 1;
  }
  return result;
}

NotifierFactory ParseSplunkHecReceiver(const std::string& name, config::Node node) {
  const size_t errors_before = node.error_count();
  node.KnownEntries({"type", "url", "token", "token_file", "token_env", "index", "source",
                     "sourcetype", "host_field", "timeout", "tls_verify", "ca_file", "batch_size"});
  SplunkHecConfig config;
  config.name = name;
  std::string type = "splunk_hec";
  node.Get("type", &type);
  node.Get("url", &config.url);
  if (!node.Has("url")) {
    node.Error("url",
               "required key is missing (e.g. https://splunk:8088/services/collector/event)");
  } else if (!IsHttpUrl(config.url)) {
    node.Error("url", "expected an http:// or https:// URL of the HEC event endpoint");
  } else if (config.url.find("/services/collector") == std::string::npos) {
    node.Error("url", "expected the HEC event endpoint .../services/collector/event");
  }
  node.GetSecret("token", &config.token);
  if (!node.Has("token_file") && !node.Has("token_env") && !node.Has("token")) {
    node.Error("token_file", "required: the HEC token in token_file or token_env");
  }
  node.Get("index", &config.index);
  node.Get("source", &config.source);
  node.Get("sourcetype", &config.sourcetype);
  if (config.sourcetype.empty() && node.error_count() == errors_before) {
    node.Error("sourcetype", "must not be empty");
  }
  node.Get("host_field", &config.host_field);
  node.GetDurationMs("timeout", &config.timeout_ms, 100, 5 * 60 * 1000);
  node.Get("tls_verify", &config.tls_verify);
  node.Get("ca_file", &config.ca_file);
  if (!config.ca_file.empty()) {
    if (config.ca_file.front() != '/' && !node.base_dir().empty()) {
      config.ca_file = node.base_dir() + "/" + config.ca_file;
    }
    if (::access(config.ca_file.c_str(), R_OK) != 0) {
      node.Error("ca_file", "cannot read " + config.ca_file);
    }
  }
  node.Get("batch_size", &config.batch_size, 1, 10000);
  if (node.error_count() != errors_before) return {};
  return [config](const NotifierDeps& deps) -> std::unique_ptr<Notifier> {
    if (config.tls_verify && config.ca_file.empty()) {
      return std::make_unique<SplunkHecNotifier>(config, deps.http);
    }
    // Per-receiver TLS settings need a client of their own; the notifier owns it.
    class OwningNotifier final : public Notifier {
     public:
      OwningNotifier(const SplunkHecConfig& config, std::unique_ptr<http::HttpClient> http)
          : http_(std::move(http)), inner_(config, http_.get()) {}
      DeliveryResult Deliver(const Notification& n) override { return inner_.Deliver(n); }
      int MessageCount(const Notification& n) const override { return inner_.MessageCount(n); }
      std::string type() const override { return inner_.type(); }

     private:
      std::unique_ptr<http::HttpClient> http_;
      SplunkHecNotifier inner_;
    };
    http::CurlClientOptions options;
    options.verify_tls = config.tls_verify;
    options.ca_file = config.ca_file;
    options.timeout_ms = config.timeout_ms;
    return std::make_unique<OwningNotifier>(config, http::NewCurlHttpClient(options));
  };
}

}  // namespace beacon::notifier
