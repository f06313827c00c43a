// The `splunk_hec` receiver: one HTTP Event Collector event per alert, sent in batches of
// concatenated JSON objects with "Authorization: Splunk <token>"; HEC's {"text","code"} reply
// decides between delivered, retry (5xx, code 9, transport) and permanent (other codes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/config/config.h"
#include "common/http/client.h"
#include "notifier/notifier.h"

namespace beacon::notifier {

// `alerts.receivers.<name>` with `type: splunk_hec`.
struct SplunkHecConfig {
  std::string name;
  std::string url;       // https://splunk:8088/services/collector/event
  config::Secret token;  // token_file | token_env
  std::string index;     // empty: the token's default index (field omitted)
  std::string source;    // empty: field omitted
  std::string sourcetype = "beacon:alert";
  // A tag whose value becomes the event's HEC host; the alert's host when empty or when the
  // alert lacks the tag. No host at all: the field is omitted.
  std::string host_field;
  int64_t timeout_ms = 10000;
  bool tls_verify = true;
  std::string ca_file;   // absolute (resolved against the config dir); empty: system
  int batch_size = 100;  // events per request
};

// Sends with the given client (owned by the caller). Thread-safe (no mutable state).
class SplunkHecNotifier final : public Notifier {
 public:
  SplunkHecNotifier(SplunkHecConfig config, http::HttpClient* http);
  // One event per listed alert (a summary sends the alerts it lists). Requests batches
  // parts_done.. in order; stops at the first failure with parts_done counting
  // the requests HEC accepted.
  DeliveryResult Deliver(const Notification& notification) override;
  // Requests needed: ceil(alerts / batch_size), at least 1.
  int MessageCount(const Notification& notification) const override;
  std::string type() const override { return "splunk_hec"; }

  // The request body of batch `index` (0-based): concatenated HEC event objects.
  std::string BatchBody(const Notification& notification, int index) const;

 private:
  SplunkHecConfig config_;
  http::HttpClient* http_;
};

// Keys: type, url (required, http(s) HEC endpoint), token_file | token_env (required), index,
// source, sourcetype, host_field, timeout (duration, default 10s), tls_verify (default true),
// ca_file, batch_size (1..10000, default 100). The factory uses NotifierDeps::http unless
// tls_verify is false or ca_file is set, which need a client of their own.
NotifierFactory ParseSplunkHecReceiver(const std::string& name, config::Node node);

}  // namespace beacon::notifier
