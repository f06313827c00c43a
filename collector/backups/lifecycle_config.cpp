// Reads `backups.lifecycle` of collector.yaml into LifecycleConfig, recording every problem
// with its key path and line on the document.
#include "collector/backups/lifecycle_config.h"

#include <set>
#include <utility>

#include "collector/config.h"
#include "common/clock.h"

namespace beacon::collector::backups {
namespace {

// OSS accepts 1..365 days for a restored copy (S3 has no lower ceiling worth enforcing).
constexpr int kMaxRestoreDays = 365;
constexpr int64_t kMinRestorePollMs = 100;

ThinRule ReadThinRule(config::Node node) {
  ThinRule rule;
  if (!node.IsMap()) {
    node.Error("", "expected a mapping like {after: 7d, keep_one_per: 1d}");
    return rule;
  }
  if (node.Require("after")) node.GetDurationMs("after", &rule.after_ms, kSecondMs);
  if (node.Require("keep_one_per")) {
    node.GetDurationMs("keep_one_per", &rule.keep_one_per_ms, kSecondMs);
  }
  return rule;
}

LifecyclePolicy ReadPolicy(config::Node node) {
  LifecyclePolicy policy;
  if (!node.IsMap()) {
    node.Error("", "expected a mapping with set, archive_after, thin, delete_after, keep_newest");
    return policy;
  }
  if (node.Require("set")) {
    node.Get("set", &policy.set);
    if (node.Has("set") && policy.set.empty()) node.Error("set", "must not be empty");
  }
  node.GetDurationMs("archive_after", &policy.archive_after_ms, kSecondMs);
  node.GetEnum("archive_class", &policy.archive_class, {"archive", "cold_archive", "infrequent"});
  std::vector<config::Node> thin = node.Sequence("thin");
  for (size_t i = 0; i < thin.size(); ++i) {
    ThinRule rule = ReadThinRule(thin[i]);
    if (!policy.thin.empty() && rule.after_ms != 0 &&
        rule.after_ms <= policy.thin.back().after_ms) {
      thin[i].Error("after", "thin rules must be in ascending order of after, got " +
                                 FormatDurationMs(rule.after_ms) + " after " +
                                 FormatDurationMs(policy.thin.back().after_ms));
    }
    policy.thin.push_back(rule);
  }
  node.GetDurationMs("delete_after", &policy.delete_after_ms, kSecondMs);
  if (policy.delete_after_ms > 0 && policy.archive_after_ms > 0 &&
      policy.delete_after_ms <= policy.archive_after_ms) {
    node.Error("delete_after", "must be longer than archive_after (" +
                                   FormatDurationMs(policy.archive_after_ms) + "), got " +
                                   FormatDurationMs(policy.delete_after_ms));
  }
  node.Get("keep_newest", &policy.keep_newest, 1);
  return policy;
}

}  // namespace

LifecycleConfig ReadLifecycleConfig(config::Node backups_node) {
  LifecycleConfig cfg;
  config::Node node = backups_node.Child("lifecycle");
  node.GetDurationMs("interval", &cfg.interval_ms, 0);
  node.Get("restore_days", &cfg.restore_days, 1, kMaxRestoreDays);
  // Sub-second polls are for tests against a fake store; real restores take minutes to hours.
  node.GetDurationMs("restore_poll", &cfg.restore_poll_ms, kMinRestorePollMs);
  node.GetDurationMs("retry_initial", &cfg.retry_initial_ms, kSecondMs);
  node.GetDurationMs("retry_max", &cfg.retry_max_ms, kSecondMs);
  if (cfg.retry_max_ms < cfg.retry_initial_ms) {
    node.Error("retry_max", "must be at least retry_initial (" +
                                FormatDurationMs(cfg.retry_initial_ms) + "), got " +
                                FormatDurationMs(cfg.retry_max_ms));
  }
  std::set<std::string> seen_sets;
  for (config::Node policy_node : node.Sequence("policies")) {
    LifecyclePolicy policy = ReadPolicy(policy_node);
    if (!policy.set.empty() && !seen_sets.insert(policy.set).second) {
      policy_node.Error("set", "a policy for set '" + policy.set + "' is already defined");
    }
    cfg.policies.push_back(std::move(policy));
  }
  return cfg;
}

}  // namespace beacon::collector::backups
