// The bot's durable reply queue: every reply and scheduled report is written to SQLite before it
// is sent, then a ReplySender thread delivers it — to a WeCom app user through message/send
// (split on line boundaries under WeCom's byte limits), to the intelligent robot's one-use
// response_url, or (scheduled reports) to a group robot of alerts.receivers by its name — retrying
// transient failures with backoff, in order per recipient, until it is sent, fails permanently, or
// outlives give_up_after. A reply survives a collector restart and is sent again from its first
// unsent part. The same database keeps the watches of the agent commands whose follow-ups are still
// due. ReplyQueue and ReplySender are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bot/chat.h"
#include "common/backoff.h"
#include "common/clock.h"
#include "common/http/client.h"
#include "common/mutex.h"
#include "common/periodic_loop.h"
#include "common/status.h"
#include "common/store/sqlite.h"
#include "notifier/notifier.h"
#include "notifier/wecom/token_cache.h"

namespace beacon::collector::bot_host {

// Where a reply goes.
inline constexpr char kTargetAppUser[] = "app_user";          // target: a WeCom UserID
inline constexpr char kTargetResponseUrl[] = "response_url";  // target: the robot's URL
inline constexpr char kTargetGroupRobot[] = "group_robot";    // target: a wecom_robot receiver

struct QueuedReply {
  int64_t id = 0;
  std::string target_kind;  // kTarget*
  std::string target;
  bot::Reply reply;
  int parts_done = 0;  // parts already accepted (a retry sends the rest)
  int attempts = 0;
  int64_t next_try_ms = 0;
  int64_t created_ms = 0;
  std::string state;  // pending | sent | failed
  std::string last_error;
};

// An agent command the bot follows for the person who queued it (collector/bot/
// command_followups.h): where to tell them, in which language, until when, and what they were
// told so far. Kept in the reply queue's database, so a restarted collector still follows it.
struct CommandWatch {
  int64_t command_id = 0;
  std::string target_kind;  // kTarget*
  std::string target;
  bool zh = false;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // then a last "no result" note ends the watch
  bool told_started = false;
  int told_quarter = 0;  // progress told, in quarters (1..3)
  int64_t told_ms = 0;   // when the last start or progress follow-up was queued
};

struct ReplyQueueCounts {
  int64_t pending = 0;
  int64_t sent = 0;
  int64_t failed = 0;
};

class ReplyQueue {
 public:
  static Result<std::unique_ptr<ReplyQueue>> Open(const std::string& path);

  // Writes the reply (durably) and returns its id.
  Result<int64_t> Enqueue(const std::string& target_kind, const std::string& target,
                          const bot::Reply& reply, int64_t now_ms);
  // Pending replies, oldest first, at most `limit`.
  Result<std::vector<QueuedReply>> Pending(int limit);
  Status MarkSent(int64_t id, int64_t now_ms);
  Status MarkRetry(int64_t id, int64_t next_try_ms, const std::string& error, int parts_done);
  Status MarkFailed(int64_t id, int64_t now_ms, const std::string& error, int parts_done);
  Result<QueuedReply> Get(int64_t id);  // NotFound
  Result<ReplyQueueCounts> Counts();
  // Deletes sent and failed replies finished before cutoff_ms; returns how many.
  Result<int64_t> Prune(int64_t cutoff_ms);

  // ---- Watches of agent commands ----
  // Stores (or replaces) the watch of watch.command_id.
  Status AddWatch(const CommandWatch& watch);
  // Every watch, by command id.
  Result<std::vector<CommandWatch>> Watches();
  // In one transaction: queues `reply` (if any) to the watch's target and then updates the
  // watch's told_* fields, or deletes it when `finished`. Returns the reply's id (0: none).
  Result<int64_t> AdvanceWatch(const CommandWatch& watch, const std::optional<bot::Reply>& reply,
                               bool finished, int64_t now_ms);

 private:
  explicit ReplyQueue(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  Status Mark(const char* sql, const std::function<void(store::Statement&)>& bind);
  Result<int64_t> EnqueueLocked(const std::string& target_kind, const std::string& target,
                                const bot::Reply& reply, int64_t now_ms) BEACON_REQUIRES(mu_);
  Mutex mu_;
  std::unique_ptr<store::Database> db_ BEACON_GUARDED_BY(mu_);
};

// The message/send request bodies of a reply to an app user, in order: text or markdown parts of
// at most WeCom's byte limit each, split on line boundaries and never inside a character. Pure.
std::vector<std::string> AppReplyRequests(const std::string& user, int64_t agent_id,
                                          const bot::Reply& reply);
// The one JSON body posted to a robot's response_url (markdown or text, cut to the limit). Pure.
std::string ResponseUrlBody(const bot::Reply& reply);

// Sends a reply (from its part `parts_done` on) to the group robot receiver `name`; an unknown
// name is a permanent failure.
using GroupRobotSend = std::function<notifier::DeliveryResult(
    const std::string& name, const bot::Reply& reply, int parts_done)>;

struct ReplySenderOptions {
  int64_t agent_id = 0;        // the app replies are sent as
  GroupRobotSend group_robot;  // empty: no group robots (their replies fail permanently)
  std::string api_url = "https://qyapi.weixin.qq.com/cgi-bin/";
  int64_t timeout_ms = 10'000;
  Backoff backoff{2'000, 5 * 60'000};
  int64_t give_up_after_ms = 24 * 3600'000;
};

class ReplySender {
 public:
  // tokens may be null when no app is configured (app replies then fail permanently, which
  // configuration validation prevents). Everything outlives the sender.
  ReplySender(ReplyQueue* queue, http::HttpClient* http, notifier::wecom::TokenCache* tokens,
              const Clock* clock, ReplySenderOptions options);
  ~ReplySender();  // Stop()

  void Start();
  void Stop();
  // A reply was queued: the sender looks now.
  void Wake();

  // One pass: sends every due pending reply whose recipient has no earlier reply still waiting.
  // Returns how long until the earliest retry (ms), or a minute when nothing waits.
  int64_t RunOnce();

 private:
  // Sends what is left of `reply`; returns the outcome with parts_done set.
  struct Outcome {
    bool sent = false;
    bool permanent = false;
    std::string error;
    int64_t retry_after_ms = 0;
    int parts_done = 0;
  };
  Outcome Send(const QueuedReply& reply);

  ReplyQueue* queue_;
  http::HttpClient* http_;
  notifier::wecom::TokenCache* tokens_;
  const Clock* clock_;
  const ReplySenderOptions options_;
  PeriodicLoop loop_;
};

}  // namespace beacon::collector::bot_host
