// Fuzzes the Splunk webhook intake: AlertsApi::SplunkAlert (body -> JSON object ->
// ParseSplunkAlert: the built-in webhook and the custom action payloads) on the request body, with
// a sink that checks every accepted alert (webhook_sink.h). Any reply but 200, 400 or 413 (too
// many JSON values) is a failure.
#include <cstdint>
#include <string>

#include "collector/alerts/alerts_api.h"
#include "common/clock.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/webhook_sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  static beacon::FakeClock clock;
  static beacon::fuzz::CheckingAlertSink sink("splunk");
  static beacon::collector::alerts::AlertsApi api(&sink, /*store=*/nullptr, /*auth=*/nullptr,
                                                  &clock,
                                                  beacon::collector::alerts::AlertsConfig{});
  beacon::http::ServerRequest request;
  request.method = "POST";
  request.path = "/api/v1/alerts/splunk";
  request.remote_addr = "192.0.2.20";
  request.principal = "splunk";
  request.body.assign(reinterpret_cast<const char*>(data), size);
  const beacon::http::ServerResponse response = api.SplunkAlert(request);
  FUZZ_CHECK(response.status == 200 || response.status == 400 || response.status == 413);
  return 0;
}
