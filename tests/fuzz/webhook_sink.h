// The AlertSink the webhook fuzz targets hand to the real AlertsApi: instead of routing and
// storing, it checks what every accepted alert must satisfy before it reaches the alert store
// and the notifiers (identity present, text that is valid UTF-8, no secret in the stored raw
// payload). Single-threaded.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "collector/alerts/alert.h"
#include "common/strings.h"
#include "tests/fuzz/fuzz_check.h"

namespace beacon::fuzz {

class CheckingAlertSink final : public collector::alerts::AlertSink {
 public:
  explicit CheckingAlertSink(std::string source) : source_(std::move(source)) {}

  Result<collector::alerts::RecordResult> Submit(
      const collector::alerts::AlertInput& input) override {
    FUZZ_CHECK(input.source == source_);
    FUZZ_CHECK(!input.receipt_key.empty() && !input.external_id.empty());
    FUZZ_CHECK(!input.fingerprint.empty());
    FUZZ_CHECK(input.raw.is_object());
    for (const std::string* text : {&input.host, &input.title, &input.message, &input.url}) {
      FUZZ_CHECK(IsValidUtf8(*text));
    }
    for (const auto& [name, value] : input.tags) {
      FUZZ_CHECK(IsValidUtf8(name) && IsValidUtf8(value));
    }
    if (source_ == "zabbix") {
      // zabbix.h: Message is stored with LF line ends only (CRLF and CR become LF).
      FUZZ_CHECK(input.message.find('\r') == std::string::npos);
    }
    if (source_ == "splunk") {
      // splunk.h: the stored payload never carries the session key or a configuration value
      // whose name says token, password or secret.
      FUZZ_CHECK(!input.raw.contains("session_key"));
      auto configuration = input.raw.find("configuration");
      if (configuration != input.raw.end() && configuration->is_object()) {
        for (const auto& [name, value] : configuration->items()) {
          const std::string lower = Lower(name);
          FUZZ_CHECK(lower.find("token") == std::string::npos &&
                     lower.find("password") == std::string::npos &&
                     lower.find("secret") == std::string::npos);
        }
      }
    }
    collector::alerts::RecordResult result;
    result.alert_id = ++submitted_;
    return result;
  }

 private:
  std::string source_;
  int64_t submitted_ = 0;
};

}  // namespace beacon::fuzz
