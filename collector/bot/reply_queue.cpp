// The bot's reply queue and its sender; see reply_queue.h.
#include "collector/bot/reply_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/log/log.h"
#include "notifier/notifier.h"
#include "notifier/render/render.h"
#include "notifier/wecom/app_send.h"
#include "notifier/wecom/limits.h"

namespace beacon::collector::bot_host {
namespace {

constexpr char kStatePending[] = "pending";
constexpr char kStateSent[] = "sent";
constexpr char kStateFailed[] = "failed";

const char kSchemaV1[] = R"sql(
CREATE TABLE replies(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  target_kind TEXT NOT NULL,
  target TEXT NOT NULL,
  format TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL,
  parts_done INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_try_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX replies_pending ON replies(id) WHERE state = 'pending';
CREATE INDEX replies_finished ON replies(finished_ms) WHERE state != 'pending';
)sql";

// Version 2: the agent commands followed for their requester (command_followups.h).
const char kSchemaV2[] = R"sql(
CREATE TABLE command_watches(
  command_id INTEGER PRIMARY KEY,
  target_kind TEXT NOT NULL,
  target TEXT NOT NULL,
  zh INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  told_started INTEGER NOT NULL DEFAULT 0,
  told_quarter INTEGER NOT NULL DEFAULT 0,
  told_ms INTEGER NOT NULL DEFAULT 0
);
)sql";

constexpr char kColumns[] =
    "id, target_kind, target, format, body, state, parts_done, attempts, next_try_ms, "
    "last_error, created_ms";

QueuedReply ReadRow(const store::Statement& s) {
  QueuedReply r;
  r.id = s.ColumnInt(0);
  r.target_kind = s.ColumnText(1);
  r.target = s.ColumnText(2);
  r.reply.format =
      s.ColumnText(3) == "markdown" ? bot::Reply::Format::kMarkdown : bot::Reply::Format::kText;
  r.reply.body = s.ColumnText(4);
  r.state = s.ColumnText(5);
  r.parts_done = static_cast<int>(s.ColumnInt(6));
  r.attempts = static_cast<int>(s.ColumnInt(7));
  r.next_try_ms = s.ColumnInt(8);
  r.last_error = s.ColumnText(9);
  r.created_ms = s.ColumnInt(10);
  return r;
}

bool IsMarkdown(const bot::Reply& reply) { return reply.format == bot::Reply::Format::kMarkdown; }

}  // namespace

// ---- ReplyQueue ----

Result<std::unique_ptr<ReplyQueue>> ReplyQueue::Open(const std::string& path) {
  static const std::vector<store::Migration> kMigrations = {{1, kSchemaV1}, {2, kSchemaV2}};
  BEACON_ASSIGN_OR_RETURN(std::unique_ptr<store::Database> db,
                          store::Database::OpenAndMigrate(path, kMigrations));
  return std::unique_ptr<ReplyQueue>(new ReplyQueue(std::move(db)));
}

Result<int64_t> ReplyQueue::Enqueue(const std::string& target_kind, const std::string& target,
                                    const bot::Reply& reply, int64_t now_ms) {
  MutexLock lock(mu_);
  return EnqueueLocked(target_kind, target, reply, now_ms);
}

Result<int64_t> ReplyQueue::EnqueueLocked(const std::string& target_kind, const std::string& target,
                                          const bot::Reply& reply, int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      db_->Cached("INSERT INTO replies(target_kind, target, format, body, state, next_try_ms, "
                  "created_ms) VALUES(?1, ?2, ?3, ?4, 'pending', ?5, ?5)"));
  s->Bind(1, target_kind).Bind(2, target).Bind(3, IsMarkdown(reply) ? "markdown" : "text");
  s->Bind(4, reply.body).Bind(5, now_ms);
  BEACON_RETURN_IF_ERROR(s->Run());
  return db_->LastInsertRowId();
}

Result<std::vector<QueuedReply>> ReplyQueue::Pending(int limit) {
  MutexLock lock(mu_);
  static const std::string sql = std::string("SELECT ") + kColumns +
                                 " FROM replies WHERE state = 'pending' ORDER BY id LIMIT ?1";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, db_->Cached(sql));
  s->Bind(1, limit);
  std::vector<QueuedReply> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadRow(*s));
  }
  return out;
}

Result<QueuedReply> ReplyQueue::Get(int64_t id) {
  MutexLock lock(mu_);
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM replies WHERE id = ?1";
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, db_->Cached(sql));
  s->Bind(1, id);
  BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Status::NotFound("no reply " + std::to_string(id));
  return ReadRow(*s);
}

Status ReplyQueue::Mark(const char* sql, const std::function<void(store::Statement&)>& bind) {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s, db_->Cached(sql));
  bind(*s);
  return s->Run();
}

Status ReplyQueue::MarkSent(int64_t id, int64_t now_ms) {
  return Mark(
      "UPDATE replies SET state = 'sent', attempts = attempts + 1, finished_ms = ?2, "
      "last_error = '' WHERE id = ?1",
      [&](store::Statement& s) { s.Bind(1, id).Bind(2, now_ms); });
}

Status ReplyQueue::MarkRetry(int64_t id, int64_t next_try_ms, const std::string& error,
                             int parts_done) {
  return Mark(
      "UPDATE replies SET attempts = attempts + 1, next_try_ms = ?2, last_error = ?3, "
      "parts_done = ?4 WHERE id = ?1",
      [&](store::Statement& s) {
        s.Bind(1, id).Bind(2, next_try_ms).Bind(3, error).Bind(4, parts_done);
      });
}

Status ReplyQueue::MarkFailed(int64_t id, int64_t now_ms, const std::string& error,
                              int parts_done) {
  return Mark(
      "UPDATE replies SET state = 'failed', attempts = attempts + 1, finished_ms = ?2, "
      "last_error = ?3, parts_done = ?4 WHERE id = ?1",
      [&](store::Statement& s) {
        s.Bind(1, id).Bind(2, now_ms).Bind(3, error).Bind(4, parts_done);
      });
}

Result<ReplyQueueCounts> ReplyQueue::Counts() {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                          db_->Cached("SELECT state, COUNT(*) FROM replies GROUP BY state"));
  ReplyQueueCounts counts;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    const std::string state = s->ColumnText(0);
    if (state == kStatePending) counts.pending = s->ColumnInt(1);
    if (state == kStateSent) counts.sent = s->ColumnInt(1);
    if (state == kStateFailed) counts.failed = s->ColumnInt(1);
  }
  return counts;
}

Result<int64_t> ReplyQueue::Prune(int64_t cutoff_ms) {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      db_->Cached("DELETE FROM replies WHERE state != 'pending' AND finished_ms < ?1"));
  s->Bind(1, cutoff_ms);
  BEACON_RETURN_IF_ERROR(s->Run());
  return db_->Changes();
}

// ---- Watches ----

Status ReplyQueue::AddWatch(const CommandWatch& w) {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      db_->Cached("INSERT OR REPLACE INTO command_watches(command_id, target_kind, target, zh, "
                  "created_ms, expires_ms, told_started, told_quarter, told_ms) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  s->Bind(1, w.command_id).Bind(2, w.target_kind).Bind(3, w.target).Bind(4, w.zh ? 1 : 0);
  s->Bind(5, w.created_ms).Bind(6, w.expires_ms).Bind(7, w.told_started ? 1 : 0);
  s->Bind(8, w.told_quarter).Bind(9, w.told_ms);
  return s->Run();
}

Result<std::vector<CommandWatch>> ReplyQueue::Watches() {
  MutexLock lock(mu_);
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement s,
      db_->Cached("SELECT command_id, target_kind, target, zh, created_ms, expires_ms, "
                  "told_started, told_quarter, told_ms FROM command_watches ORDER BY command_id"));
  std::vector<CommandWatch> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    CommandWatch& w = out.emplace_back();
    w.command_id = s->ColumnInt(0);
    w.target_kind = s->ColumnText(1);
    w.target = s->ColumnText(2);
    w.zh = s->ColumnInt(3) != 0;
    w.created_ms = s->ColumnInt(4);
    w.expires_ms = s->ColumnInt(5);
    w.told_started = s->ColumnInt(6) != 0;
    w.told_quarter = static_cast<int>(s->ColumnInt(7));
    w.told_ms = s->ColumnInt(8);
  }
  return out;
}

Result<int64_t> ReplyQueue::AdvanceWatch(const CommandWatch& w,
                                         const std::optional<bot::Reply>& reply, bool finished,
                                         int64_t now_ms) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  int64_t reply_id = 0;
  if (reply) {
    BEACON_ASSIGN_OR_RETURN(reply_id, EnqueueLocked(w.target_kind, w.target, *reply, now_ms));
  }
  if (finished) {
    BEACON_ASSIGN_OR_RETURN(store::CachedStatement s,
                            db_->Cached("DELETE FROM command_watches WHERE command_id = ?1"));
    s->Bind(1, w.command_id);
    BEACON_RETURN_IF_ERROR(s->Run());
  } else {
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement s,
        db_->Cached("UPDATE command_watches SET told_started = ?2, told_quarter = ?3, "
                    "told_ms = ?4 WHERE command_id = ?1"));
    s->Bind(1, w.command_id).Bind(2, w.told_started ? 1 : 0).Bind(3, w.told_quarter);
    s->Bind(4, w.told_ms);
    BEACON_RETURN_IF_ERROR(s->Run());
  }
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return reply_id;
}

// ---- Request bodies ----

std::vector<std::string> AppReplyRequests(const std::string& user, int64_t agent_id,
                                          const bot::Reply& reply) {
  const bool markdown = IsMarkdown(reply);
  const size_t limit =
      markdown ? notifier::wecom::kAppMarkdownMaxBytes : notifier::wecom::kTextMaxBytes;
  std::vector<std::string> out;
  for (const std::string& part : notifier::render::Utf8Split(reply.body, limit)) {
    nlohmann::ordered_json j;
    j["touser"] = user;
    j["msgtype"] = markdown ? "markdown" : "text";
    j["agentid"] = agent_id;
    j[markdown ? "markdown" : "text"] = {{"content", part}};
    out.push_back(j.dump());
  }
  if (out.empty()) out.push_back(AppReplyRequests(user, agent_id, {reply.format, " "})[0]);
  return out;
}

std::string ResponseUrlBody(const bot::Reply& reply) {
  const bool markdown = IsMarkdown(reply);
  const size_t limit =
      markdown ? notifier::wecom::kRobotMarkdownMaxBytes : notifier::wecom::kTextMaxBytes;
  nlohmann::ordered_json j;
  j["msgtype"] = markdown ? "markdown" : "text";
  j[markdown ? "markdown" : "text"] = {
      {"content", notifier::render::Utf8Truncate(reply.body, limit)}};
  return j.dump();
}

// ---- ReplySender ----

ReplySender::ReplySender(ReplyQueue* queue, http::HttpClient* http,
                         notifier::wecom::TokenCache* tokens, const Clock* clock,
                         ReplySenderOptions options)
    : queue_(queue), http_(http), tokens_(tokens), clock_(clock), options_(std::move(options)) {}

ReplySender::~ReplySender() { Stop(); }

void ReplySender::Start() {
  loop_.StartPaced([this] { return RunOnce(); });
}
void ReplySender::Stop() { loop_.Stop(); }
void ReplySender::Wake() { loop_.Wake(); }

ReplySender::Outcome ReplySender::Send(const QueuedReply& reply) {
  using notifier::DeliveryOutcome;
  using notifier::DeliveryResult;
  DeliveryResult result;
  if (reply.target_kind == kTargetAppUser) {
    if (tokens_ == nullptr) {
      return Outcome{false, true, "no WeCom app configured to send replies (bot.reply)", 0,
                     reply.parts_done};
    }
    result = notifier::SendParts(AppReplyRequests(reply.target, options_.agent_id, reply.reply),
                                 reply.parts_done, [this](const std::string& body) {
                                   return notifier::wecom::SendAppMessage(
                                       *http_, *tokens_, options_.api_url, body,
                                       options_.timeout_ms, "bot reply");
                                 });
  } else if (reply.target_kind == kTargetResponseUrl) {
    notifier::wecom::PostOutcome posted =
        notifier::wecom::PostJson(*http_, reply.target, ResponseUrlBody(reply.reply),
                                  options_.timeout_ms, "response_url", "the robot's reply URL");
    if (!posted.reply) {
      result = posted.failure;
    } else if (posted.reply->errcode != 0) {
      // A response_url answers once: any errcode means it will not take this reply.
      result = notifier::wecom::SendFailure(
          posted.reply->errcode == -1 ? DeliveryOutcome::kRetry : DeliveryOutcome::kPermanent,
          "response_url: WeCom errcode " + std::to_string(posted.reply->errcode) + " (" +
              log::Redact(posted.reply->errmsg) + ")");
    } else {
      result.parts_done = 1;
    }
  } else if (reply.target_kind == kTargetGroupRobot) {
    if (!options_.group_robot) {
      return Outcome{false, true, "no group robots configured (alerts.receivers)", 0,
                     reply.parts_done};
    }
    result = options_.group_robot(reply.target, reply.reply, reply.parts_done);
  } else {
    return Outcome{false, true, "unknown reply target kind " + reply.target_kind, 0,
                   reply.parts_done};
  }
  Outcome out;
  out.sent = result.outcome == DeliveryOutcome::kDelivered;
  out.permanent = result.outcome == DeliveryOutcome::kPermanent;
  out.error = result.error;
  out.retry_after_ms = result.retry_after_ms;
  out.parts_done = std::max(result.parts_done, reply.parts_done);
  return out;
}

int64_t ReplySender::RunOnce() {
  constexpr int64_t kIdleWaitMs = 60'000;
  Result<std::vector<QueuedReply>> pending = queue_->Pending(1000);
  if (!pending.ok()) {
    spdlog::warn("bot replies: reading the queue failed: {}", pending.status().ToString());
    return 5'000;
  }
  // A full page: more may be waiting behind it, look again at once.
  int64_t wait_ms = pending->size() == 1000 ? 0 : kIdleWaitMs;
  // A recipient whose earlier reply still waits gets nothing newer this pass: in order.
  std::set<std::string> blocked;
  for (const QueuedReply& reply : *pending) {
    const std::string recipient = reply.target_kind + ":" + reply.target;
    if (blocked.count(recipient) != 0) continue;
    const int64_t now_ms = clock_->NowMs();
    if (reply.next_try_ms > now_ms) {
      blocked.insert(recipient);
      wait_ms = std::min(wait_ms, reply.next_try_ms - now_ms);
      continue;
    }
    if (now_ms - reply.created_ms > options_.give_up_after_ms) {
      Status marked = queue_->MarkFailed(
          reply.id, now_ms,
          "gave up: not sent within bot.reply.give_up_after (" + reply.last_error + ")",
          reply.parts_done);
      if (!marked.ok()) spdlog::warn("bot replies: {}", marked.ToString());
      spdlog::warn("bot reply {} to {} given up after {} attempts: {}", reply.id, reply.target_kind,
                   reply.attempts, reply.last_error);
      continue;
    }
    Outcome outcome = Send(reply);
    Status marked;
    if (outcome.sent) {
      marked = queue_->MarkSent(reply.id, clock_->NowMs());
    } else if (outcome.permanent) {
      spdlog::warn("bot reply {} to {} failed: {}", reply.id, reply.target_kind, outcome.error);
      marked = queue_->MarkFailed(reply.id, clock_->NowMs(), outcome.error, outcome.parts_done);
    } else {
      const int64_t delay = std::max(options_.backoff.DelayMs(reply.attempts + 1, RandomUnit()),
                                     outcome.retry_after_ms);
      spdlog::info("bot reply {} to {}: retry in {} ms: {}", reply.id, reply.target_kind, delay,
                   outcome.error);
      marked =
          queue_->MarkRetry(reply.id, clock_->NowMs() + delay, outcome.error, outcome.parts_done);
      blocked.insert(recipient);
      wait_ms = std::min(wait_ms, delay);
    }
    if (!marked.ok()) {
      // The outcome is unknown to the queue: the reply is sent again later (at least once).
      spdlog::warn("bot replies: recording reply {} failed: {}", reply.id, marked.ToString());
      blocked.insert(recipient);
      wait_ms = std::min<int64_t>(wait_ms, 5'000);
    }
  }
  return wait_ms;
}

}  // namespace beacon::collector::bot_host
