// CatalogConsumer: the ingest consumer that adds the backup.version records of every stored
// batch to the backup catalog. Thread-safe (the catalog is).
#pragma once

#include <string_view>

#include "collector/backups/catalog.h"
#include "collector/ingest/ingest_consumer.h"

namespace beacon::collector::backups {

class CatalogConsumer : public IngestConsumer {
 public:
  explicit CatalogConsumer(Catalog* catalog) : catalog_(catalog) {}  // must outlive it

  // One transaction for the whole batch; runs for duplicate events too, so a crash between the
  // event store's write and this one is repaired by the agent's re-send.
  Status Consume(const StoredBatch& stored) override;
  std::string_view unavailable() const override { return "backup catalog"; }
  std::string_view reject_reason() const override { return "catalog_unavailable"; }

 private:
  Catalog* catalog_;
};

}  // namespace beacon::collector::backups
