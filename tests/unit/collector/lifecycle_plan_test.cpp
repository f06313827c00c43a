// PlanLifecycle with explicit timestamps: which versions a policy archives, thins and deletes,
// named by id, and that the newest K of every file are never touched.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "collector/backups/lifecycle.h"

namespace beacon::collector::backups {
namespace {

using objstore::StorageClass;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;
// Day 20000 since the epoch (2024-10-04) starts at UTC midnight; "now" is noon that day.
constexpr int64_t kDay0 = 20000 * kDay;
constexpr int64_t kNow = kDay0 + 12 * kHour;

// Created at `hour` o'clock UTC on day 20000 + day_offset.
int64_t At(int day_offset, int hour) { return kDay0 + day_offset * kDay + hour * kHour; }

VersionView V(int64_t id, int64_t created_ms, StorageClass storage_class = StorageClass::kStandard,
              std::string path = "/var/log/app.log", std::string agent = "web-01",
              std::string set = "app-logs") {
  VersionView v;
  v.id = id;
  v.set = std::move(set);
  v.agent = std::move(agent);
  v.path = std::move(path);
  v.created_ms = created_ms;
  v.storage_class = storage_class;
  return v;
}

std::set<int64_t> Ids(const std::vector<PlannedAction>& actions, LifecycleActionKind kind) {
  std::set<int64_t> ids;
  for (const PlannedAction& a : actions) {
    if (a.action == kind) ids.insert(a.version_id);
  }
  return ids;
}

std::set<int64_t> Survivors(const std::vector<VersionView>& versions,
                            const std::vector<PlannedAction>& actions) {
  std::set<int64_t> deleted = Ids(actions, LifecycleActionKind::kDelete);
  std::set<int64_t> left;
  for (const VersionView& v : versions) {
    if (!deleted.count(v.id)) left.insert(v.id);
  }
  return left;
}

const PlannedAction* Find(const std::vector<PlannedAction>& actions, int64_t id) {
  auto it = std::find_if(actions.begin(), actions.end(),
                         [id](const PlannedAction& a) { return a.version_id == id; });
  return it == actions.end() ? nullptr : &*it;
}

struct PlanCase {
  std::string name;
  LifecyclePolicy policy;
  std::vector<VersionView> versions;
  std::set<int64_t> transitioned;
  std::set<int64_t> deleted;
};

LifecyclePolicy Policy(int keep_newest, int64_t archive_after, int64_t delete_after,
                       std::vector<ThinRule> thin = {}, std::string archive_class = "archive") {
  LifecyclePolicy p;
  p.set = "app-logs";
  p.keep_newest = keep_newest;
  p.archive_after_ms = archive_after;
  p.delete_after_ms = delete_after;
  p.thin = std::move(thin);
  p.archive_class = std::move(archive_class);
  return p;
}

std::vector<PlanCase> Cases() {
  return {
      {"ArchiveAfter30dSkipsYoungerAndAlreadyColdVersions",
       Policy(1, 30 * kDay, 0),
       {V(1, At(0, 1)), V(2, At(-29, 12)), V(3, At(-31, 12)),
        V(4, At(-40, 0), StorageClass::kArchive), V(5, At(-50, 0), StorageClass::kColdArchive),
        V(6, At(-45, 0), StorageClass::kInfrequent)},
       {3, 6},
       {}},
      {"ExactlyThirtyDaysOldIsNotOlderThan30d",
       Policy(1, 30 * kDay, 0),
       {V(1, At(0, 1)), V(2, kNow - 30 * kDay), V(3, kNow - 30 * kDay - 1)},
       {3},
       {}},
      {"ColdArchiveClassAlsoMovesArchiveVersions",
       Policy(1, 30 * kDay, 0, {}, "cold_archive"),
       {V(1, At(0, 1)), V(2, At(-40, 0), StorageClass::kArchive),
        V(3, At(-41, 0), StorageClass::kColdArchive)},
       {2},
       {}},
      {"DeleteAfter365dKeepsTheNewestThree",
       Policy(3, 0, 365 * kDay),
       {V(1, At(-1, 0)), V(2, At(-2, 0)), V(3, At(-3, 0)), V(4, At(-366, 0)), V(5, At(-400, 0)),
        V(6, At(-200, 0))},
       {},
       {4, 5}},
      {"NewestThreeSurviveEvenWhenAllAreAncient",
       Policy(3, 30 * kDay, 365 * kDay),
       {V(10, At(-500, 0)), V(11, At(-501, 0)), V(12, At(-502, 0)), V(13, At(-503, 0)),
        V(14, At(-504, 0))},
       {},
       {13, 14}},
      {"DeleteWinsOverTransition",
       Policy(1, 30 * kDay, 90 * kDay),
       {V(1, At(0, 1)), V(2, At(-60, 0)), V(3, At(-91, 0))},
       {2},
       {3}},
      {"NewestKAreNotArchivedEither",
       Policy(2, 30 * kDay, 0),
       {V(1, At(-60, 0)), V(2, At(-61, 0)), V(3, At(-62, 0))},
       {3},
       {}},
      {"DeletedVersionsDoNotCountTowardsKeepNewest",
       Policy(1, 0, 10 * kDay),
       {[] {
          VersionView v = V(1, At(0, 1));
          v.deleted = true;
          return v;
        }(),
        V(2, At(-20, 0)), V(3, At(-21, 0))},
       {},
       {3}},
  };
}

TEST(LifecyclePlanTest, TableOfPolicies) {
  for (const PlanCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    std::vector<PlannedAction> actions = PlanLifecycle(c.versions, c.policy, kNow);
    EXPECT_EQ(Ids(actions, LifecycleActionKind::kTransition), c.transitioned);
    EXPECT_EQ(Ids(actions, LifecycleActionKind::kDelete), c.deleted);
    std::set<int64_t> once;
    for (const PlannedAction& a : actions) {
      EXPECT_TRUE(once.insert(a.version_id).second) << "two actions for " << a.version_id;
    }
  }
}

TEST(LifecyclePlanTest, TransitionAndDeleteCarryClassAndReason) {
  LifecyclePolicy policy = Policy(1, 30 * kDay, 365 * kDay, {}, "cold_archive");
  std::vector<VersionView> versions = {V(1, At(0, 1)), V(2, At(-31, 0)), V(3, At(-366, 0))};
  std::vector<PlannedAction> actions = PlanLifecycle(versions, policy, kNow);
  ASSERT_EQ(actions.size(), 2u);
  const PlannedAction* transition = Find(actions, 2);
  ASSERT_NE(transition, nullptr);
  EXPECT_EQ(transition->action, LifecycleActionKind::kTransition);
  EXPECT_EQ(transition->target_class, StorageClass::kColdArchive);
  EXPECT_EQ(transition->reason, "older than 30d");
  const PlannedAction* deletion = Find(actions, 3);
  ASSERT_NE(deletion, nullptr);
  EXPECT_EQ(deletion->action, LifecycleActionKind::kDelete);
  EXPECT_EQ(deletion->reason, "older than 365d");
}

// One per day after 7 days, one per week after 30 days. Day windows are UTC days; week windows
// are multiples of 7 days since the epoch (day 19964 starts one, day 19957 the one before).
TEST(LifecyclePlanTest, ThinsToOnePerDayAfter7dAndOnePerWeekAfter30d) {
  LifecyclePolicy policy = Policy(1, 0, 0, {{7 * kDay, 1 * kDay}, {30 * kDay, 7 * kDay}});
  std::vector<VersionView> versions = {
      V(1, kNow - kHour),  // newest: protected
      V(2, At(-3, 10)),    // younger than 7d: no rule, kept
      V(3, At(-3, 8)),     // same day as 2 but younger than 7d: kept
      V(4, At(-8, 20)),    // newest of day -8: kept
      V(5, At(-8, 9)),     // day -8 again: thinned
      V(6, At(-8, 1)),     // day -8 again: thinned
      V(7, At(-9, 23)),    // day -9: kept
      V(8, At(-10, 12)),   // day -10: kept (same week as 7, but only the daily rule applies)
      V(9, At(-35, 12)),   // day 19965, week 19964..19970: kept
      V(10, At(-36, 6)),   // day 19964, same week: thinned
      V(11, At(-37, 12)),  // day 19963, week 19957..19963: kept
      V(12, At(-42, 0)),   // day 19958, same week as 11: thinned
  };
  std::vector<PlannedAction> actions = PlanLifecycle(versions, policy, kNow);
  EXPECT_EQ(Survivors(versions, actions), (std::set<int64_t>{1, 2, 3, 4, 7, 8, 9, 11}));
  EXPECT_EQ(Ids(actions, LifecycleActionKind::kDelete), (std::set<int64_t>{5, 6, 10, 12}));
  EXPECT_EQ(Find(actions, 5)->reason, "thinned: keeps one per 1d after 7d");
  EXPECT_EQ(Find(actions, 10)->reason, "thinned: keeps one per 7d after 30d");
  EXPECT_EQ(Find(actions, 12)->reason, "thinned: keeps one per 7d after 30d");
}

TEST(LifecyclePlanTest, ThinningKeepsTheProtectedVersionsWindowsInMind) {
  // Newest two protected, both on day -8; the third, same day, is thinned against them even
  // though it is itself the newest unprotected one.
  LifecyclePolicy policy = Policy(2, 0, 0, {{7 * kDay, kDay}});
  std::vector<VersionView> versions = {V(1, At(-8, 22)), V(2, At(-8, 21)), V(3, At(-8, 20)),
                                       V(4, At(-9, 20))};
  std::vector<PlannedAction> actions = PlanLifecycle(versions, policy, kNow);
  EXPECT_EQ(Survivors(versions, actions), (std::set<int64_t>{1, 2, 4}));
}

TEST(LifecyclePlanTest, ThinnedVersionsAreDeletedNotArchived) {
  LifecyclePolicy policy = Policy(1, 30 * kDay, 0, {{7 * kDay, 7 * kDay}});
  std::vector<VersionView> versions = {V(1, At(0, 1)), V(2, At(-35, 12)), V(3, At(-36, 6))};
  std::vector<PlannedAction> actions = PlanLifecycle(versions, policy, kNow);
  EXPECT_EQ(Ids(actions, LifecycleActionKind::kTransition), (std::set<int64_t>{2}));
  EXPECT_EQ(Ids(actions, LifecycleActionKind::kDelete), (std::set<int64_t>{3}));
}

TEST(LifecyclePlanTest, FilesAreIndependent) {
  LifecyclePolicy policy = Policy(2, 0, 100 * kDay);
  std::vector<VersionView> versions = {
      V(1, At(-200, 0), StorageClass::kStandard, "/a"),
      V(2, At(-201, 0), StorageClass::kStandard, "/a"),
      V(3, At(-202, 0), StorageClass::kStandard, "/a"),
      V(4, At(-300, 0), StorageClass::kStandard, "/b"),
      V(5, At(-301, 0), StorageClass::kStandard, "/b"),
      V(6, At(-200, 0), StorageClass::kStandard, "/a", "web-02"),
      V(7, At(-203, 0), StorageClass::kStandard, "/a", "web-02"),
      V(8, At(-204, 0), StorageClass::kStandard, "/a", "web-02"),
  };
  std::vector<PlannedAction> actions = PlanLifecycle(versions, policy, kNow);
  // Each file keeps its own newest two: /b on web-01 loses nothing, the others their oldest.
  EXPECT_EQ(Ids(actions, LifecycleActionKind::kDelete), (std::set<int64_t>{3, 8}));
}

TEST(LifecyclePlanTest, SetPolicyWinsThenStarFallbackThenNothing) {
  LifecyclePolicy db = Policy(1, 0, 10 * kDay);
  db.set = "db";
  LifecyclePolicy star = Policy(1, 0, 100 * kDay);
  star.set = "*";
  std::vector<LifecyclePolicy> policies = {star, db};
  EXPECT_EQ(SelectPolicy(policies, "db"), &policies[1]);
  EXPECT_EQ(SelectPolicy(policies, "logs"), &policies[0]);
  EXPECT_EQ(SelectPolicy({db}, "logs"), nullptr);

  std::vector<VersionView> versions = {
      V(1, At(0, 1), StorageClass::kStandard, "/db/dump", "db-01", "db"),
      V(2, At(-20, 0), StorageClass::kStandard, "/db/dump", "db-01", "db"),
      V(3, At(0, 1), StorageClass::kStandard, "/var/log/x", "web-01", "logs"),
      V(4, At(-20, 0), StorageClass::kStandard, "/var/log/x", "web-01", "logs"),
      V(5, At(-150, 0), StorageClass::kStandard, "/var/log/x", "web-01", "logs"),
  };
  EXPECT_EQ(Ids(PlanLifecycleAll(versions, policies, kNow), LifecycleActionKind::kDelete),
            (std::set<int64_t>{2, 5}));
  EXPECT_TRUE(PlanLifecycleAll(versions, {db}, kNow).size() == 1u);
  EXPECT_TRUE(PlanLifecycleAll(versions, {}, kNow).empty());
}

TEST(LifecyclePlanTest, ApplyingThePlanLeavesNothingToDo) {
  LifecyclePolicy policy = Policy(1, 30 * kDay, 365 * kDay, {{7 * kDay, kDay}});
  std::vector<VersionView> versions = {V(1, At(0, 1)), V(2, At(-40, 3)), V(3, At(-40, 2)),
                                       V(4, At(-41, 1)), V(5, At(-400, 0))};
  std::vector<PlannedAction> first = PlanLifecycle(versions, policy, kNow);
  ASSERT_FALSE(first.empty());
  std::vector<VersionView> after;
  for (VersionView v : versions) {
    const PlannedAction* a = Find(first, v.id);
    if (a != nullptr && a->action == LifecycleActionKind::kDelete) continue;
    if (a != nullptr) v.storage_class = a->target_class;
    after.push_back(v);
  }
  EXPECT_TRUE(PlanLifecycle(after, policy, kNow).empty());
  // A day later the same holds: nothing is transitioned twice.
  EXPECT_TRUE(PlanLifecycle(after, policy, kNow + kDay).empty());
}

}  // namespace
}  // namespace beacon::collector::backups
