// Cataloguing the backup.version records of stored agent batches.
#include "collector/backups/catalog_consumer.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace beacon::collector::backups {

Status CatalogConsumer::Consume(const StoredBatch& stored) {
  const std::string& agent = stored.batch.agent;
  const auto& versions = stored.backup_versions;
  if (catalog_ == nullptr || versions.empty()) return Status::Ok();
  // One transaction for the whole batch: a burst of 1,000 files costs one fsync, not 1,000.
  BEACON_ASSIGN_OR_RETURN(std::vector<AddVersionResult> added,
                          catalog_->AddVersions(agent, versions, stored.now_ms));
  for (size_t i = 0; i < added.size(); ++i) {
    if (added[i].outcome == AddOutcome::kAdded) {
      spdlog::debug("catalog: {}:{} version {} ({})", agent, versions[i].second.path, added[i].id,
                    versions[i].second.sha256.substr(0, 12));
    }
  }
  return Status::Ok();
}

}  // namespace beacon::collector::backups
