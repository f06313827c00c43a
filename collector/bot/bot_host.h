// BotHost: the chat bot inside the collector. It owns the bot's parts — the adapters over the
// collector's stores (adapters.h), the audit log, confirmations, the engine and its per-user
// dispatcher, the WeCom callback handler on its own listener (bot.listen, path kCallbackPath),
// the durable reply queue and its sender, and the scheduled reports — and adds the admin API
// routes POST /api/v1/chat, GET /api/v1/audit and GET /api/v1/audit/verify to the collector's
// listener. Flow of a WeCom message: listener thread → CallbackHandler (verify, decrypt, replay
// checks) → immediate empty 200 → Dispatcher::Submit (busy: BusyReply) → a dispatcher worker runs
// Engine::Handle → the reply is written to the reply queue → the sender thread delivers it. An
// agent command confirmed in the app is followed (command_followups.h): the command queue's
// update hook wakes the follow-up thread, which queues its follow-ups on the same reply queue.
// Start/Stop from one thread; the handlers are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "bot/audit.h"
#include "bot/confirm.h"
#include "bot/dispatcher.h"
#include "bot/dns/provider.h"
#include "bot/engine.h"
#include "bot/release/slb_actions.h"
#include "bot/release/weight_memory.h"
#include "bot/wecom/callback.h"
#include "collector/alerts/alert_store.h"
#include "collector/api/token_auth.h"
#include "collector/backups/catalog.h"
#include "collector/bot/adapters.h"
#include "collector/bot/bot_host_config.h"
#include "collector/bot/command_followups.h"
#include "collector/bot/reply_queue.h"
#include "collector/store/event_store.h"
#include "common/clock.h"
#include "common/cloud/aliyun/rpc.h"
#include "common/cloud/aliyun/slb.h"
#include "common/http/client.h"
#include "common/http/server.h"
#include "common/mutex.h"
#include "common/periodic_loop.h"
#include "notifier/wecom/directory.h"
#include "notifier/wecom/token_cache.h"

namespace beacon::collector::bot_host {

// What the host uses of the collector; everything outlives the BotHost.
struct BotHostDeps {
  EventStore* events = nullptr;
  alerts::AlertStore* alerts = nullptr;
  backups::Catalog* catalog = nullptr;
  const TokenAuth* auth = nullptr;
  const Clock* clock = nullptr;
  http::HttpClient* http = nullptr;  // outgoing WeCom calls
  // alerts.receivers by name (outliving the host): bot.reports' to_robots go to the
  // wecom_robot ones.
  std::map<std::string, notifier::Notifier*> receivers;
  std::function<void()> on_archive_restore_requested;  // may be empty
  int64_t stale_after_ms = 2 * 60'000;                 // hosts.stale_after
  std::string audit_path;                              // BotAuditPath()
  std::string state_path;                              // BotStatePath()
};

// Admin API bodies are small: {user, text}.
inline constexpr int64_t kChatMaxBodyBytes = 16 * 1024;

// The body of POST /api/v1/chat: exactly the string fields user and text, both non-empty
// (text not only whitespace). InvalidArgument naming the field, ResourceExhausted for a body
// over the JSON limits. Pure; fuzzed by tests/fuzz/chat_request_fuzz.cpp.
struct ChatRequestBody {
  std::string user;
  std::string text;
};
Result<ChatRequestBody> ParseChatRequestBody(std::string_view body);
inline constexpr int kMaxAuditLimit = 10000;
// Sent and failed replies are kept this long (to look into a complaint), then pruned.
inline constexpr int64_t kReplyRetentionMs = int64_t{7} * 24 * 3600 * 1000;

class BotHost {
 public:
  // Opens the audit log and the reply queue, builds the engine and (when bot.wecom is set) the
  // callback handler. Errors name the file or key at fault. Nothing runs yet.
  static Result<std::unique_ptr<BotHost>> Create(const BotHostConfig& config, BotHostDeps deps);
  ~BotHost();  // Stop()
  BotHost(const BotHost&) = delete;
  BotHost& operator=(const BotHost&) = delete;

  // Starts the reply sender, the dispatcher's workers, the report schedule and, when WeCom is
  // configured, the callback listener. On failure nothing keeps running.
  Status Start();
  // Closes the listener, lets queued commands finish (their replies are queued durably), stops
  // the sender and the schedule. Idempotent.
  void Stop();
  Status ReloadTls();

  // Adds POST /api/v1/chat, GET /api/v1/audit and GET /api/v1/audit/verify (admin token).
  void RegisterAdminRoutes(http::HttpServer& server);

  int callback_port() const;  // 0 when no listener
  // The WeCom callback, transport side (for the listener and tests).
  http::ServerResponse HandleCallback(http::ServerRequest& request);
  http::ServerResponse Chat(http::ServerRequest& request);
  http::ServerResponse Audit(http::ServerRequest& request);
  http::ServerResponse AuditVerify(http::ServerRequest& request);

  // Sends the reports of `bot.reports` that are due at now_ms; returns how long until the next
  // one is due (ms). The schedule thread calls it; tests call it with their clock.
  int64_t RunReports(int64_t now_ms);

  // Deletes sent and failed replies finished kReplyRetentionMs before now_ms (the collector's
  // retention pass); returns how many.
  Result<int64_t> PruneReplies(int64_t now_ms) {
    return replies_->Prune(now_ms - kReplyRetentionMs);
  }

  ReplyQueue& replies() { return *replies_; }
  CommandFollowUps* followups() { return followups_.get(); }
  bot::AuditLog& audit() { return *audit_; }
  bot::Engine& engine() { return *engine_; }

 private:
  BotHost(const BotHostConfig& config, BotHostDeps deps);
  // The dispatcher's delivery: queues the reply for the request's channel (DeliverReply), then
  // arms the follow-ups of the commands it queued.
  void Deliver(const bot::ChatRequest& request, bot::Reply reply);
  void DeliverReply(const bot::ChatRequest& request, bot::Reply reply);
  void Enqueue(const std::string& target_kind, const std::string& target, const bot::Reply& reply);
  // The request with the WeCom sender's departments and tags from the directory, when a role
  // is granted to departments or tags; unchanged for local users, and when the lookup fails
  // (the directory logged why), so the UserID alone decides.
  bot::ChatRequest WithDirectory(bot::ChatRequest request);
  // Turns an accepted callback message into a ChatRequest and submits it.
  void Accept(const bot::wecom::InboundMessage& message, int64_t now_ms);

  const BotHostConfig config_;
  BotHostDeps deps_;
  TimeZone tz_;
  std::unique_ptr<HostStatusAdapter> hosts_;
  std::unique_ptr<AlertsAdapter> alerts_;
  std::unique_ptr<BackupsAdapter> backups_;
  std::unique_ptr<ReportsAdapter> reports_;
  std::unique_ptr<bot::AuditLog> audit_;
  // Cloud actions, each only when configured: the SLB client and its weight memory (bot.slb),
  // the DNS zones (bot.dns); one HTTP client serves the SLB client and the DNS API providers.
  std::shared_ptr<http::HttpClient> cloud_http_;
  std::unique_ptr<aliyun::RpcClient> slb_client_;
  std::unique_ptr<aliyun::slb::RpcApi> slb_api_;
  std::unique_ptr<bot::release::WeightMemory> slb_memory_;
  std::unique_ptr<bot::release::SlbActions> slb_;
  std::unique_ptr<bot::dns::DnsZones> dns_;
  std::unique_ptr<bot::Confirmations> confirmations_;
  std::unique_ptr<bot::Engine> engine_;
  std::unique_ptr<bot::wecom::CallbackHandler> callback_;
  std::unique_ptr<ReplyQueue> replies_;
  // Shared with the command queue's update hook, which holds it only weakly (CommandChanged).
  std::shared_ptr<CommandFollowUps> followups_;
  std::shared_ptr<notifier::wecom::TokenCache> tokens_;
  std::unique_ptr<notifier::wecom::DirectoryClient> directory_;  // only with such grants
  std::unique_ptr<ReplySender> sender_;
  std::unique_ptr<bot::Dispatcher> dispatcher_;
  std::unique_ptr<http::HttpServer> server_;
  PeriodicLoop reports_loop_;

  Mutex mu_;
  // Robot messages in flight: message id -> response_url (taken by Deliver).
  std::map<std::string, std::string> response_urls_ BEACON_GUARDED_BY(mu_);
  // Next run of each scheduled report, by name.
  std::map<std::string, int64_t> next_report_ms_ BEACON_GUARDED_BY(mu_);
};

}  // namespace beacon::collector::bot_host
