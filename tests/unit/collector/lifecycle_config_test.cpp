// backups.lifecycle in collector.yaml: defaults, every key, and one case per validation rule
// with its exact message, key path and line.
#include "collector/backups/lifecycle_config.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace beacon::collector::backups {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

struct Loaded {
  LifecycleConfig config;
  Status status;
};

Loaded Load(const std::string& yaml) {
  Result<std::unique_ptr<config::Document>> doc =
      config::Document::LoadString(yaml, "collector.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return {};
  Loaded loaded;
  loaded.config = ReadLifecycleConfig((*doc)->root().Child("backups"));
  loaded.status = (*doc)->Finish();
  return loaded;
}

TEST(LifecycleConfigTest, AbsentSectionGivesDefaultsAndNoPolicies) {
  Loaded loaded = Load("backups: {}\n");
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString();
  EXPECT_TRUE(loaded.config.policies.empty());
  EXPECT_EQ(loaded.config.interval_ms, kHour);
  EXPECT_EQ(loaded.config.restore_days, 2);
  EXPECT_EQ(loaded.config.restore_poll_ms, kMinute);
  EXPECT_EQ(loaded.config.retry_initial_ms, kMinute);
  EXPECT_EQ(loaded.config.retry_max_ms, kHour);
}

TEST(LifecycleConfigTest, EveryKeyIsRead) {
  Loaded loaded = Load(R"(backups:
  lifecycle:
    interval: 30m
    restore_days: 5
    restore_poll: 2m
    retry_initial: 30s
    retry_max: 2h
    policies:
      - set: app-logs
        archive_after: 30d
        archive_class: cold_archive
        thin:
          - {after: 7d, keep_one_per: 1d}
          - {after: 30d, keep_one_per: 7d}
        delete_after: 365d
        keep_newest: 4
      - set: "*"
        delete_after: 90d
)");
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString();
  const LifecycleConfig& c = loaded.config;
  EXPECT_EQ(c.interval_ms, 30 * kMinute);
  EXPECT_EQ(c.restore_days, 5);
  EXPECT_EQ(c.restore_poll_ms, 2 * kMinute);
  EXPECT_EQ(c.retry_initial_ms, 30 * 1000);
  EXPECT_EQ(c.retry_max_ms, 2 * kHour);
  ASSERT_EQ(c.policies.size(), 2u);
  const LifecyclePolicy& p = c.policies[0];
  EXPECT_EQ(p.set, "app-logs");
  EXPECT_EQ(p.archive_after_ms, 30 * kDay);
  EXPECT_EQ(p.archive_class, "cold_archive");
  ASSERT_EQ(p.thin.size(), 2u);
  EXPECT_EQ(p.thin[0].after_ms, 7 * kDay);
  EXPECT_EQ(p.thin[0].keep_one_per_ms, kDay);
  EXPECT_EQ(p.thin[1].after_ms, 30 * kDay);
  EXPECT_EQ(p.thin[1].keep_one_per_ms, 7 * kDay);
  EXPECT_EQ(p.delete_after_ms, 365 * kDay);
  EXPECT_EQ(p.keep_newest, 4);
  const LifecyclePolicy& star = c.policies[1];
  EXPECT_EQ(star.set, "*");
  EXPECT_EQ(star.archive_after_ms, 0);
  EXPECT_EQ(star.archive_class, "archive");
  EXPECT_TRUE(star.thin.empty());
  EXPECT_EQ(star.delete_after_ms, 90 * kDay);
  EXPECT_EQ(star.keep_newest, 3);
}

TEST(LifecycleConfigTest, IntervalZeroMeansOnDemandOnly) {
  Loaded loaded = Load("backups:\n  lifecycle:\n    interval: 0s\n");
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString();
  EXPECT_EQ(loaded.config.interval_ms, 0);
}

struct BadCase {
  std::string name;
  std::string yaml;
  std::string message;  // the exact error line
};

TEST(LifecycleConfigTest, EachRuleHasItsOwnMessage) {
  const std::string head = "backups:\n  lifecycle:\n    policies:\n      - set: logs\n";
  const BadCase cases[] = {
      {"DeleteNotAfterArchive", head + "        archive_after: 30d\n        delete_after: 30d\n",
       "collector.yaml:6: backups.lifecycle.policies[0].delete_after: must be longer than "
       "archive_after (30d), got 30d"},
      {"KeepNewestBelowOne", head + "        keep_newest: 0\n",
       "collector.yaml:5: backups.lifecycle.policies[0].keep_newest: must be at least 1, got 0"},
      {"UnknownClass", head + "        archive_class: glacier\n",
       "collector.yaml:5: backups.lifecycle.policies[0].archive_class: expected one of: "
       "archive, cold_archive, infrequent, got 'glacier'"},
      {"BadDuration", head + "        archive_after: soon\n",
       "collector.yaml:5: backups.lifecycle.policies[0].archive_after: expected a duration "
       "like 30s, 5m, 1h, got 'soon'"},
      {"UnknownKey", head + "        archive_afer: 30d\n",
       "collector.yaml:5: backups.lifecycle.policies[0].archive_afer: unknown key (known here: "
       "archive_after, archive_class, delete_after, keep_newest, set, thin)"},
      {"MissingSet", "backups:\n  lifecycle:\n    policies:\n      - delete_after: 30d\n",
       "collector.yaml:4: backups.lifecycle.policies[0].set: required key is missing"},
      {"DuplicateSet", head + "      - set: logs\n",
       "collector.yaml:5: backups.lifecycle.policies[1].set: a policy for set 'logs' is "
       "already defined"},
      {"ThinOutOfOrder",
       head + "        thin:\n          - {after: 30d, keep_one_per: 7d}\n"
              "          - {after: 7d, keep_one_per: 1d}\n",
       "collector.yaml:7: backups.lifecycle.policies[0].thin[1].after: thin rules must be in "
       "ascending order of after, got 7d after 30d"},
      {"ThinMissingWindow", head + "        thin:\n          - {after: 7d}\n",
       "collector.yaml:6: backups.lifecycle.policies[0].thin[0].keep_one_per: required key is "
       "missing"},
      {"RetryMaxBelowInitial",
       "backups:\n  lifecycle:\n    retry_initial: 10m\n    retry_max: 1m\n",
       "collector.yaml:4: backups.lifecycle.retry_max: must be at least retry_initial (10m), "
       "got 1m"},
      {"RestorePollTooShort", "backups:\n  lifecycle:\n    restore_poll: 10ms\n",
       "collector.yaml:3: backups.lifecycle.restore_poll: must be at least 100ms, got '10ms'"},
      {"RestoreDaysZero", "backups:\n  lifecycle:\n    restore_days: 0\n",
       "collector.yaml:3: backups.lifecycle.restore_days: must be between 1 and 365, got 0"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    Loaded loaded = Load(c.yaml);
    ASSERT_FALSE(loaded.status.ok());
    EXPECT_EQ(loaded.status.message(), c.message);
  }
}

}  // namespace
}  // namespace beacon::collector::backups
