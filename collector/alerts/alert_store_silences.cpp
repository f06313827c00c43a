// AlertStore silences: create, list, expire.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {
namespace {

constexpr char kSilenceColumns[] =
    "id, matchers_json, starts_ms, ends_ms, created_by, reason, created_ms, expired_ms";

nlohmann::json MatchersToJson(const std::vector<Matcher>& matchers) {
  nlohmann::json out = nlohmann::json::array();
  for (const Matcher& m : matchers) {
    out.push_back({{"field", m.field}, {"op", m.op}, {"value", m.value}});
  }
  return out;
}

std::vector<Matcher> MatchersFromJson(const nlohmann::json& j) {
  std::vector<Matcher> out;
  if (!j.is_array()) return out;
  for (const nlohmann::json& m : j) {
    if (!m.is_object()) continue;
    Matcher matcher;
    matcher.field = m.value("field", "");
    matcher.op = m.value("op", "=");
    matcher.value = m.value("value", "");
    out.push_back(std::move(matcher));
  }
  return out;
}

Silence ReadSilence(const store::Statement& s) {
  Silence silence;
  silence.id = s.ColumnInt(0);
  silence.matchers = MatchersFromJson(ParseStoredJson(s.ColumnText(1)));
  silence.starts_ms = s.ColumnInt(2);
  silence.ends_ms = s.ColumnInt(3);
  silence.created_by = s.ColumnText(4);
  silence.reason = s.ColumnText(5);
  silence.created_ms = s.ColumnInt(6);
  silence.expired_ms = s.ColumnInt(7);
  return silence;
}

}  // namespace

Result<Silence> AlertStore::CreateSilence(const Silence& silence) {
  if (silence.matchers.empty()) {
    return Status::InvalidArgument("a silence needs at least one matcher");
  }
  if (silence.ends_ms <= silence.starts_ms) {
    return Status::InvalidArgument("a silence must end after it starts");
  }
  MutexLock lock(impl_->mu);
  Silence created = silence;
  created.expired_ms = 0;
  // The caller's clock when it sets created_ms (tests, the API); else the wall clock.
  if (created.created_ms == 0) {
    created.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  }
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      impl_->Stmt("INSERT INTO silences(matchers_json, starts_ms, ends_ms, created_by, reason, "
                  "created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  s->Bind(1, Dump(MatchersToJson(created.matchers))).Bind(2, created.starts_ms);
  s->Bind(3, created.ends_ms).Bind(4, created.created_by).Bind(5, created.reason);
  s->Bind(6, created.created_ms);
  BEACON_RETURN_IF_ERROR(s->Run());
  created.id = impl_->db->LastInsertRowId();
  return created;
}

Result<std::vector<Silence>> AlertStore::ListSilences(int64_t now_ms, bool include_expired) {
  MutexLock lock(impl_->mu);
  static const std::string sql = std::string("SELECT ") + kSilenceColumns +
                                 " FROM silences WHERE ?2 != 0 OR (ends_ms > ?1 AND "
                                 "expired_ms = 0) ORDER BY id DESC";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, impl_->Stmt(sql.c_str()));
  s->Bind(1, now_ms).Bind(2, include_expired ? 1 : 0);
  std::vector<Silence> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadSilence(*s));
  }
  return out;
}

Status AlertStore::ExpireSilence(int64_t id, int64_t now_ms) {
  MutexLock lock(impl_->mu);
  store::Transaction tx(*impl_->db);
  BEACON_RETURN_IF_ERROR(tx.status());
  {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            impl_->Stmt("SELECT ends_ms, expired_ms FROM silences WHERE id = ?1"));
    s->Bind(1, id);
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::NotFound("no silence " + std::to_string(id));
    if (s->ColumnInt(0) <= now_ms || s->ColumnInt(1) != 0) return Status::Ok();
  }
  {
    // ends_ms moves to now so every "starts <= now < ends" check sees it ended.
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        impl_->Stmt("UPDATE silences SET expired_ms = ?2, ends_ms = ?2 WHERE id = ?1"));
    s->Bind(1, id).Bind(2, now_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  return tx.Commit();
}

}  // namespace beacon::collector::alerts
