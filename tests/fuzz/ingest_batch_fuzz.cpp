// Fuzzes the collector's ingest decoding as the daemon runs it: IngestHandler::Handle on a body
// that is plain, a valid zstd frame of the input, raw bytes claimed to be zstd, or in an
// unsupported encoding, then wire::DecodeBatch, the seq checks and the backup catalog records
// (real SQLite stores in memory). Input: byte 0 picks the encoding (low two bits), the rest is
// the body. The agent is always "web-01", the name the seeds use.
#include <cstdint>
#include <memory>
#include <string>

#include "collector/backups/catalog.h"
#include "collector/backups/catalog_consumer.h"
#include "collector/config.h"
#include "collector/ingest/ingest_handler.h"
#include "collector/metrics.h"
#include "collector/store/sqlite_event_store.h"
#include "common/clock.h"
#include "common/compress/zstd.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using beacon::collector::IngestHandler;

constexpr int kRunsPerStore = 2000;  // fresh in-memory stores this often, so memory stays flat
// 2026-11-26T06:00:00Z, minutes after the seeds' timestamps, so a seed's records fall inside the
// accepted window and mutations of them fall on either side of it.
constexpr int64_t kNowMs = 1764136800000;

struct Stores {
  std::unique_ptr<beacon::collector::SqliteEventStore> events;
  std::unique_ptr<beacon::collector::backups::Catalog> catalog;
  std::unique_ptr<beacon::collector::backups::CatalogConsumer> cataloguer;
};

Stores OpenStores() {
  Stores stores;
  auto events = beacon::collector::SqliteEventStore::Open(":memory:");
  FUZZ_CHECK(events.ok());
  auto catalog = beacon::collector::backups::Catalog::Open(":memory:");
  FUZZ_CHECK(catalog.ok());
  stores.events = std::move(*events);
  stores.catalog = std::move(*catalog);
  stores.cataloguer =
      std::make_unique<beacon::collector::backups::CatalogConsumer>(stores.catalog.get());
  return stores;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 1) return 0;
  static beacon::FakeClock clock(kNowMs);
  static beacon::collector::CollectorMetrics metrics;
  static Stores stores = OpenStores();
  static int runs = 0;
  if (++runs % kRunsPerStore == 0) stores = OpenStores();

  // The limits collector/service.cpp builds from a default configuration.
  static const beacon::collector::IngestLimits limits = [] {
    const beacon::collector::CollectorConfig config;
    beacon::collector::IngestLimits l;
    l.max_body_bytes = config.ingest.max_body_bytes;
    l.max_decompressed_bytes = config.ingest.max_decompressed_bytes;
    l.max_records = config.ingest.max_records;
    l.max_json_values = config.ingest.max_json_values;
    l.samples_retention_ms = config.store.retention.samples_ms;
    l.events_retention_ms = config.store.retention.events_ms;
    return l;
  }();
  IngestHandler handler(stores.events.get(), /*auth=*/nullptr, &metrics, &clock, limits,
                        {stores.cataloguer.get()});
  beacon::http::ServerRequest request;
  request.method = "POST";
  request.path = "/api/v1/ingest";
  request.remote_addr = "192.0.2.10";
  request.principal = "web-01";
  const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0:
      request.body = payload;
      break;
    case 1:  // what the agent sends above its compression threshold
      request.headers.Set("Content-Encoding", "zstd");
      request.body = beacon::compress::ZstdCompress(payload, 1);
      break;
    case 2:
      request.headers.Set("Content-Encoding", "zstd");
      request.body = payload;
      break;
    default:
      request.headers.Set("Content-Encoding", "gzip");
      request.body = payload;
      break;
  }
  const beacon::http::ServerResponse response = handler.Handle(request);
  // Whatever the body, the agent gets a definite answer: stored (200) or a rejection it cannot
  // fix by resending (400, 403, 413, 415). A 5xx here would mean a batch the decoder accepted but
  // the store could not take, which an agent would resend forever.
  FUZZ_CHECK(response.status == 200 || response.status == 400 || response.status == 403 ||
             response.status == 413 || response.status == 415);
  if ((data[0] & 3) == 3) FUZZ_CHECK(response.status == 415);
  return 0;
}
