// AlertStore notification groups: joining and scheduling, due groups, flushing a group into
// an outbox row, and the firing alerts inhibition looks at.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {
namespace {

using notifier::NotificationKind;

}  // namespace

Status AlertStore::Impl::JoinGroup(int64_t alert_id, const GroupRef& ref, int64_t now_ms) {
  int64_t group_id = 0;
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("SELECT id FROM alert_groups WHERE receiver = ?1 AND route = ?2 AND group_key = ?3"));
    s->Bind(1, ref.receiver).Bind(2, ref.route).Bind(3, ref.group_key);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) group_id = s->ColumnInt(0);
  }
  if (group_id == 0) {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("INSERT INTO alert_groups(route, receiver, group_key, wait_ms, interval_ms, "
             "repeat_ms, created_ms, next_flush_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    s->Bind(1, ref.route).Bind(2, ref.receiver).Bind(3, ref.group_key);
    s->Bind(4, ref.timing.wait_ms).Bind(5, ref.timing.interval_ms).Bind(6, ref.timing.repeat_ms);
    s->Bind(7, now_ms).Bind(8, now_ms + ref.timing.wait_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
    group_id = db->LastInsertRowId();
    NoteScheduled(now_ms + ref.timing.wait_ms);
  } else {
    // A reloaded configuration's timing applies from now on.
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("UPDATE alert_groups SET wait_ms = ?2, interval_ms = ?3, repeat_ms = ?4 "
             "WHERE id = ?1"));
    s->Bind(1, group_id).Bind(2, ref.timing.wait_ms).Bind(3, ref.timing.interval_ms);
    s->Bind(4, ref.timing.repeat_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        Stmt("INSERT OR IGNORE INTO group_members(group_id, alert_id) VALUES(?1, ?2)"));
    s->Bind(1, group_id).Bind(2, alert_id);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  return Reschedule(group_id, now_ms);
}

Result<std::optional<GroupRow>> AlertStore::Impl::LoadGroup(int64_t group_id) {
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      Stmt("SELECT id, receiver, interval_ms, repeat_ms, last_flush_ms, last_notified_ms, "
           "next_flush_ms, wait_ms FROM alert_groups WHERE id = ?1"));
  s->Bind(1, group_id);
  BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<GroupRow>();
  GroupRow g;
  g.id = s->ColumnInt(0);
  g.receiver = s->ColumnText(1);
  g.interval_ms = s->ColumnInt(2);
  g.repeat_ms = s->ColumnInt(3);
  if (!s->ColumnIsNull(4)) g.last_flush_ms = s->ColumnInt(4);
  g.last_notified_ms = s->ColumnInt(5);
  if (!s->ColumnIsNull(6)) g.next_flush_ms = s->ColumnInt(6);
  return std::optional<GroupRow>(std::move(g));
}

// A group with a changed member flushes at max(now, last_flush + interval), or keeps an earlier
// schedule; a group never flushed keeps its group_wait schedule.
Status AlertStore::Impl::Reschedule(int64_t group_id, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(std::optional<GroupRow> group, LoadGroup(group_id));
  if (!group) return Status::Ok();
  int64_t next = 0;
  if (!group->last_flush_ms) {
    if (group->next_flush_ms) return Status::Ok();
    next = now_ms;
  } else {
    next = std::max(now_ms, *group->last_flush_ms + group->interval_ms);
    if (group->next_flush_ms) next = std::min(next, *group->next_flush_ms);
  }
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                          Stmt("UPDATE alert_groups SET next_flush_ms = ?2 WHERE id = ?1"));
  s->Bind(1, group_id).Bind(2, next);
  BEACON_RETURN_IF_ERROR(s->Run());
  NoteScheduled(next);
  return Status::Ok();
}

Result<std::vector<int64_t>> AlertStore::DueGroups(int64_t now_ms, int limit) {
  MutexLock lock(impl_->mu);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT id FROM alert_groups WHERE next_flush_ms IS NOT NULL AND "
                  "next_flush_ms <= ?1 ORDER BY next_flush_ms, id LIMIT ?2"));
  s->Bind(1, now_ms).Bind(2, limit);
  return FirstColumnIds(*s);
}

Result<std::optional<int64_t>> AlertStore::NextGroupFlushMs() {
  MutexLock lock(impl_->mu);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("SELECT next_flush_ms FROM alert_groups WHERE next_flush_ms IS NOT NULL "
                  "ORDER BY next_flush_ms LIMIT 1"));
  BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s->ColumnInt(0));
}

Result<std::vector<Member>> AlertStore::Impl::LoadMembers(int64_t group_id) {
  static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                 ", m.notified_status FROM group_members m JOIN alerts a ON "
                                 "a.id = m.alert_id WHERE m.group_id = ?1 ORDER BY a.id";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, Stmt(sql.c_str()));
  s->Bind(1, group_id);
  std::vector<Member> members;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    members.push_back({ReadAlert(*s), s->ColumnText(kAlertColumnCount)});
  }
  return members;
}

Result<std::optional<int64_t>> AlertStore::FlushGroup(
    int64_t group_id, int64_t now_ms, const std::function<bool(const AlertView&)>& muted) {
  MutexLock lock(impl_->mu);
  Impl& im = *impl_;
  RelaxedSync relaxed(*im.db);
  store::Transaction tx(*im.db);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(std::optional<GroupRow> group, im.LoadGroup(group_id));
  if (!group) return std::optional<int64_t>();
  BEACON_ASSIGN_OR_RETURN(std::vector<Member> members, im.LoadMembers(group_id));

  std::vector<std::pair<int64_t, AlertStatus>> changed;  // into a kGroup row
  std::vector<int64_t> leaving;                          // notified (or never) resolved
  std::vector<int64_t> notified_firing;                  // unmuted, notified firing, unchanged
  bool muted_changes = false;
  bool firing_remains = false;
  for (const Member& m : members) {
    const std::string_view status = StatusName(m.alert.status);
    const bool is_muted = muted && muted(m.alert);
    if (status == m.notified_status) {
      if (m.alert.status == AlertStatus::kFiring) {
        firing_remains = true;
        if (!is_muted) notified_firing.push_back(m.alert.id);
      }
      continue;
    }
    if (m.alert.status == AlertStatus::kResolved && m.notified_status.empty()) {
      // Resolved before anyone was told it fired: nothing to say.
      leaving.push_back(m.alert.id);
      continue;
    }
    if (is_muted) {
      muted_changes = true;
      if (m.alert.status == AlertStatus::kFiring) firing_remains = true;
      continue;
    }
    changed.emplace_back(m.alert.id, m.alert.status);
    if (m.alert.status == AlertStatus::kResolved) {
      leaving.push_back(m.alert.id);
    } else {
      firing_remains = true;
    }
  }

  std::optional<int64_t> row_id;
  if (!changed.empty()) {
    BEACON_ASSIGN_OR_RETURN(int64_t id,
                            im.AddRow(*group, NotificationKind::kGroup, changed, now_ms));
    row_id = id;
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("UPDATE group_members SET notified_status = ?3 WHERE group_id = ?1 AND "
                "alert_id = ?2"));
    for (const auto& [alert_id, status] : changed) {
      s->Bind(1, group_id).Bind(2, alert_id).Bind(3, StatusName(status));
      BEACON_RETURN_IF_ERROR(s->Run());
    }
  } else if (group->repeat_ms > 0 && group->last_notified_ms > 0 && !notified_firing.empty() &&
             now_ms >= group->last_notified_ms + group->repeat_ms) {
    std::vector<std::pair<int64_t, AlertStatus>> entries;
    for (int64_t id : notified_firing) entries.emplace_back(id, AlertStatus::kFiring);
    BEACON_ASSIGN_OR_RETURN(int64_t id,
                            im.AddRow(*group, NotificationKind::kRepeat, entries, now_ms));
    row_id = id;
  }
  int64_t last_notified_ms = row_id ? now_ms : group->last_notified_ms;

  {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("DELETE FROM group_members WHERE group_id = ?1 AND alert_id = ?2"));
    for (int64_t alert_id : leaving) {
      s->Bind(1, group_id).Bind(2, alert_id);
      BEACON_RETURN_IF_ERROR(s->Run());
    }
  }
  if (leaving.size() == members.size()) {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            im.Stmt("DELETE FROM alert_groups WHERE id = ?1"));
    s->Bind(1, group_id);
    BEACON_RETURN_IF_ERROR(s->Run());
  } else {
    std::optional<int64_t> next;
    if (muted_changes) {
      next = now_ms + group->interval_ms;
    } else if (firing_remains && group->repeat_ms > 0 && last_notified_ms > 0) {
      next = std::max(now_ms, last_notified_ms + group->repeat_ms);
    }
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        im.Stmt("UPDATE alert_groups SET last_flush_ms = ?2, last_notified_ms = ?3, "
                "next_flush_ms = ?4 WHERE id = ?1"));
    s->Bind(1, group_id).Bind(2, now_ms).Bind(3, last_notified_ms);
    if (next) {
      s->Bind(4, *next);
    } else {
      s->BindNull(4);
    }
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return row_id;
}

Result<std::vector<AlertView>> AlertStore::FiringAlerts(Severity min_severity) {
  MutexLock lock(impl_->mu);
  // No ORDER BY: the partial index of firing alerts serves the scan; sorted below.
  static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                 " FROM alerts a WHERE a.status = 'firing' AND a.severity >= ?1";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
  s->Bind(1, static_cast<int>(min_severity));
  std::vector<AlertView> alerts;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    alerts.push_back(ReadAlert(*s));
  }
  std::sort(alerts.begin(), alerts.end(),
            [](const AlertView& a, const AlertView& b) { return a.id < b.id; });
  return alerts;
}

}  // namespace beacon::collector::alerts
