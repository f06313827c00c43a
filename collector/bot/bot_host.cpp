// The chat bot hosted by the collector; see bot_host.h.
#include "collector/bot/bot_host.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

#include "bot/report.h"
#include "common/clock.h"
#include "common/crypto/crypto.h"
#include "common/json/parse.h"
#include "common/strings.h"
#include "notifier/wecom/limits.h"
#include "notifier/wecom_robot/wecom_robot.h"

namespace beacon::collector::bot_host {
namespace {

http::ServerResponse JsonReply(int status, const nlohmann::json& body) {
  return http::ServerResponse::Json(status, body.dump());
}

std::string_view FormatName(bot::Reply::Format format) {
  return format == bot::Reply::Format::kMarkdown ? "markdown" : "text";
}

nlohmann::json AuditJson(const bot::AuditRecord& r) {
  return {{"id", r.id},
          {"time", FormatRfc3339(r.entry.time_ms)},
          {"user", r.entry.user},
          {"channel", r.entry.channel},
          {"command", r.entry.command},
          {"arguments", r.entry.arguments},
          {"preview", r.entry.preview},
          {"decision", r.entry.decision},
          {"result", r.entry.result},
          {"request_ids", r.entry.request_ids},
          {"prev_hash", r.prev_hash},
          {"hash", r.hash}};
}

// What a non-text message gets (an image, a voice note): the bot reads text only.
bot::Reply TextOnlyReply() {
  return {bot::Reply::Format::kText,
          "只能识别文字命令，发送 help 查看命令。\nOnly text commands are understood; send help."};
}

}  // namespace

Result<ChatRequestBody> ParseChatRequestBody(std::string_view text) {
  BEACON_ASSIGN_OR_RETURN(nlohmann::json body, ParseJsonBody(text));
  if (!body.is_object()) return Status::InvalidArgument("expected a JSON object {user, text}");
  for (const auto& [key, value] : body.items()) {
    if (key != "user" && key != "text") {
      return Status::InvalidArgument("unknown field '" + key + "' (known: user, text)");
    }
    if (!value.is_string()) return Status::InvalidArgument("'" + key + "' must be a string");
  }
  ChatRequestBody out{body.value("user", ""), body.value("text", "")};
  if (out.user.empty()) return Status::InvalidArgument("'user' is required");
  if (TrimWhitespace(out.text).empty()) return Status::InvalidArgument("'text' is required");
  return out;
}

BotHost::BotHost(const BotHostConfig& config, BotHostDeps deps)
    : config_(config), deps_(std::move(deps)), tz_(TimeZone::Load("UTC").value()) {}

BotHost::~BotHost() { Stop(); }

Result<std::unique_ptr<BotHost>> BotHost::Create(const BotHostConfig& config, BotHostDeps deps) {
  std::unique_ptr<BotHost> host(new BotHost(config, std::move(deps)));
  BotHost& h = *host;
  BEACON_ASSIGN_OR_RETURN(h.tz_, TimeZone::Load(config.bot.timezone));
  h.hosts_ = std::make_unique<HostStatusAdapter>(h.deps_.events, h.deps_.alerts, h.deps_.catalog,
                                                 h.deps_.stale_after_ms);
  h.alerts_ = std::make_unique<AlertsAdapter>(h.deps_.alerts);
  const Clock* clock = h.deps_.clock;
  h.backups_ = std::make_unique<BackupsAdapter>(h.deps_.catalog, h.deps_.events,
                                                h.deps_.on_archive_restore_requested,
                                                [clock] { return clock->NowMs(); });
  h.reports_ = std::make_unique<ReportsAdapter>(h.deps_.events, h.deps_.alerts, h.deps_.catalog);

  Result<std::unique_ptr<bot::AuditLog>> audit = bot::AuditLog::Open(h.deps_.audit_path);
  if (!audit.ok()) {
    return audit.status().WithContext("opening the bot audit log " + h.deps_.audit_path);
  }
  h.audit_ = std::move(*audit);
  Result<std::unique_ptr<ReplyQueue>> replies = ReplyQueue::Open(h.deps_.state_path);
  if (!replies.ok()) {
    return replies.status().WithContext("opening the bot reply queue " + h.deps_.state_path);
  }
  h.replies_ = std::move(*replies);
  if (h.deps_.catalog) {
    BotHost* hp = &h;
    h.followups_ = std::make_shared<CommandFollowUps>(h.replies_.get(), h.deps_.catalog, clock,
                                                      [hp] { hp->sender_->Wake(); });
  }

  h.confirmations_ = std::make_unique<bot::Confirmations>(
      config.bot.confirm_ttl_ms, [](size_t n) { return crypto::RandomBytes(n); });
  // One HTTP client (and so one connection pool) for every cloud API the bot calls.
  h.cloud_http_ = std::shared_ptr<http::HttpClient>(http::NewCurlHttpClient());
  if (config.slb) {
    aliyun::RpcClientDeps cloud_deps;
    cloud_deps.http = h.cloud_http_;
    cloud_deps.clock = clock;
    h.slb_client_ = std::make_unique<aliyun::RpcClient>(config.slb->client, std::move(cloud_deps));
    h.slb_api_ = std::make_unique<aliyun::slb::RpcApi>(*h.slb_client_);
    Result<std::unique_ptr<bot::release::WeightMemory>> memory =
        bot::release::WeightMemory::Open(config.slb->state_db);
    if (!memory.ok()) {
      return memory.status().WithContext("opening the SLB weight memory " + config.slb->state_db);
    }
    h.slb_memory_ = std::move(*memory);
    h.slb_ = std::make_unique<bot::release::SlbActions>(*config.slb, *h.slb_api_, *h.slb_memory_);
  }
  h.dns_ = std::make_unique<bot::dns::DnsZones>(
      config.bot.dns, bot::dns::DnsProviderDeps{clock, h.cloud_http_.get()});

  bot::EngineDeps engine_deps;
  engine_deps.ports =
      bot::Ports{h.hosts_.get(), h.alerts_.get(), h.backups_.get(),  h.reports_.get(),
                 h.slb_.get(),   h.dns_.get(),    h.followups_.get()};
  engine_deps.rbac = &h.config_.bot.rbac;
  engine_deps.confirmations = h.confirmations_.get();
  engine_deps.audit = h.audit_.get();
  engine_deps.tz = h.tz_;
  engine_deps.max_reply_bytes = static_cast<size_t>(config.bot.limits.max_reply_bytes);
  h.engine_ = std::make_unique<bot::Engine>(bot::Registry(bot::BuiltinCommands()), engine_deps);

  if (config.bot.wecom.app_enabled || config.bot.wecom.robot_enabled) {
    BEACON_ASSIGN_OR_RETURN(h.callback_, bot::wecom::CallbackHandler::Create(config.bot.wecom));
  }
  if (!config.reply.secret.empty() && !config.bot.wecom.corp_id.empty()) {
    h.tokens_ = notifier::wecom::SharedTokenCache(
        notifier::wecom::NormalizeApiUrl(config.reply.api_url), config.bot.wecom.corp_id,
        config.reply.secret, h.deps_.http, h.deps_.clock, config.reply.timeout_ms);
  }
  if (h.tokens_ && config.bot.rbac.UsesDirectory()) {
    notifier::wecom::DirectoryOptions directory;
    directory.api_url = notifier::wecom::NormalizeApiUrl(config.reply.api_url);
    directory.timeout_ms = config.reply.timeout_ms;
    directory.ttl_ms = config.bot.wecom.directory_ttl_ms;
    directory.wanted_tags = config.bot.rbac.GrantedTags();
    h.directory_ = std::make_unique<notifier::wecom::DirectoryClient>(
        std::move(directory), h.tokens_.get(), h.deps_.http, h.deps_.clock);
  }
  ReplySenderOptions sender;
  sender.agent_id = config.bot.wecom.agent_id;
  sender.api_url = notifier::wecom::NormalizeApiUrl(config.reply.api_url);
  sender.timeout_ms = config.reply.timeout_ms;
  sender.backoff = Backoff{config.reply.retry_initial_ms, config.reply.retry_max_ms};
  sender.give_up_after_ms = config.reply.give_up_after_ms;
  sender.group_robot = [receivers = h.deps_.receivers](const std::string& name,
                                                       const bot::Reply& reply, int parts_done) {
    auto it = receivers.find(name);
    auto* robot = it == receivers.end()
                      ? nullptr
                      : dynamic_cast<const notifier::WecomRobotNotifier*>(it->second);
    if (robot == nullptr) {
      return notifier::wecom::SendFailure(notifier::DeliveryOutcome::kPermanent,
                                          "no wecom_robot receiver named " + name);
    }
    return robot->SendMarkdown(reply.body, parts_done);
  };
  h.sender_ = std::make_unique<ReplySender>(h.replies_.get(), h.deps_.http, h.tokens_.get(),
                                            h.deps_.clock, sender);
  return host;
}

Status BotHost::Start() {
  sender_->Start();
  if (followups_) {
    deps_.catalog->commands().SetUpdateListener(
        [followups = std::weak_ptr<CommandFollowUps>(followups_)](int64_t id) {
          if (std::shared_ptr<CommandFollowUps> f = followups.lock()) f->CommandChanged(id);
        });
    followups_->Start();
  }
  bot::DispatcherOptions options;
  options.workers = config_.bot.limits.workers;
  options.queue = static_cast<size_t>(config_.bot.limits.queue);
  options.per_user_queue = static_cast<size_t>(config_.bot.limits.per_user_queue);
  dispatcher_ = std::make_unique<bot::Dispatcher>(
      [this](const bot::ChatRequest& request) { return engine_->Handle(WithDirectory(request)); },
      [this](const bot::ChatRequest& request, bot::Reply reply) {
        Deliver(request, std::move(reply));
      },
      options);
  if (callback_) {
    const ListenConfig& l = config_.listen;
    server_ = std::make_unique<http::HttpServer>(ToServerOptions(l, "bot.listen"));
    http::RouteOptions route;
    route.max_body_bytes = static_cast<int64_t>(bot::wecom::kMaxCallbackBodyBytes);
    for (const char* method : {"GET", "POST"}) {
      server_->Route(method, kCallbackPath, route,
                     http::MemberHandler(this, &BotHost::HandleCallback));
    }
    Status started = server_->Start();
    if (!started.ok()) {
      Stop();
      return started.WithContext("bot.listen on " + l.host + ":" + std::to_string(l.port));
    }
    spdlog::info("bot: WeCom callback on {}://{}:{}{}", l.tls_cert_file.empty() ? "http" : "https",
                 l.host, server_->port(), kCallbackPath);
  }
  if (!config_.bot.reports.empty()) {
    reports_loop_.StartPaced([this] { return RunReports(deps_.clock->NowMs()); });
  }
  spdlog::info("bot: audit log {}, reply queue {}, {} scheduled report(s)", deps_.audit_path,
               deps_.state_path, config_.bot.reports.size());
  if (directory_) {
    spdlog::info(
        "bot: departments and tags of bot.roles are read from WeCom's contact directory "
        "and kept {}",
        FormatDurationMs(config_.bot.wecom.directory_ttl_ms));
  }
  return Status::Ok();
}

void BotHost::Stop() {
  if (server_) server_->Stop();
  server_.reset();
  reports_loop_.Stop();
  // Queued commands still run; their replies land in the durable queue.
  if (dispatcher_) dispatcher_->Stop();
  dispatcher_.reset();
  if (followups_) {
    deps_.catalog->commands().SetUpdateListener(nullptr);
    followups_->Stop();
  }
  if (sender_) sender_->Stop();
}

Status BotHost::ReloadTls() {
  if (!server_ || config_.listen.tls_cert_file.empty()) return Status::Ok();
  return server_->ReloadTls();
}

int BotHost::callback_port() const { return server_ ? server_->port() : 0; }

void BotHost::Enqueue(const std::string& target_kind, const std::string& target,
                      const bot::Reply& reply) {
  Result<int64_t> id = replies_->Enqueue(target_kind, target, reply, deps_.clock->NowMs());
  if (!id.ok()) {
    // Nothing else can carry it: the sender's chat stays without an answer, the log says why.
    spdlog::error("bot: queuing a reply ({}) failed: {}", target_kind, id.status().ToString());
    return;
  }
  sender_->Wake();
}

void BotHost::Deliver(const bot::ChatRequest& request, bot::Reply reply) {
  DeliverReply(request, std::move(reply));
  // An agent command this request queued (confirmed through either channel, previewed in the
  // app) is followed from now on, after the reply that names it.
  if (followups_) followups_->Arm(kTargetAppUser, request.sender.user_id);
}

void BotHost::DeliverReply(const bot::ChatRequest& request, bot::Reply reply) {
  if (request.sender.channel == bot::kChannelWecomRobot) {
    std::string url;
    {
      MutexLock lock(mu_);
      auto it = response_urls_.find(request.message_id);
      if (it != response_urls_.end()) {
        url = std::move(it->second);
        response_urls_.erase(it);
      }
    }
    if (url.empty()) {
      spdlog::warn("bot: robot message {} from {} has no response_url; reply dropped",
                   request.message_id, request.sender.user_id);
      return;
    }
    Enqueue(kTargetResponseUrl, url, reply);
    return;
  }
  if (request.sender.channel == bot::kChannelWecomApp) {
    Enqueue(kTargetAppUser, request.sender.user_id, reply);
  }
}

bot::ChatRequest BotHost::WithDirectory(bot::ChatRequest request) {
  const std::string& channel = request.sender.channel;
  if (!directory_ || (channel != bot::kChannelWecomApp && channel != bot::kChannelWecomRobot)) {
    return request;
  }
  Result<notifier::wecom::DirectoryEntry> entry = directory_->Lookup(request.sender.user_id);
  if (entry.ok()) {
    request.sender.departments = std::move(entry->departments);
    request.sender.tags = std::move(entry->tags);
  }
  return request;
}

void BotHost::Accept(const bot::wecom::InboundMessage& message, int64_t now_ms) {
  using bot::wecom::Channel;
  using bot::wecom::MessageType;
  const bool robot = message.channel == Channel::kRobot;
  bot::ChatRequest request;
  request.sender.user_id = message.from_user;
  request.sender.channel = robot ? bot::kChannelWecomRobot : bot::kChannelWecomApp;
  request.sender.chat_id = message.chat_id;
  request.message_id = message.msg_id.empty() ? message.DedupKey() : message.msg_id;
  request.now_ms = now_ms;
  if (robot) {
    if (message.response_url.empty()) {
      spdlog::warn("bot: robot message {} from {} without response_url: not answered",
                   message.msg_id, message.from_user);
      return;
    }
    MutexLock lock(mu_);
    response_urls_[request.message_id] = message.response_url;
  }
  if (message.type == MessageType::kEvent) {
    // Entering the app, card buttons and the like: nothing to run. Robot events hold no URL use.
    spdlog::debug("bot: {} event '{}' from {} ignored", ChannelName(message.channel), message.event,
                  message.from_user);
    if (robot) {
      MutexLock lock(mu_);
      response_urls_.erase(request.message_id);
    }
    return;
  }
  if (message.type != MessageType::kText) {
    Deliver(request, TextOnlyReply());
    return;
  }
  request.text = message.content;
  Status submitted = dispatcher_ ? dispatcher_->Submit(request)
                                 : Status::FailedPrecondition("the bot is stopping");
  if (!submitted.ok()) {
    spdlog::warn("bot: command from {} refused: {}", message.from_user, submitted.ToString());
    Deliver(request, bot::Dispatcher::BusyReply());
  }
}

http::ServerResponse BotHost::HandleCallback(http::ServerRequest& request) {
  const int64_t now_ms = deps_.clock->NowMs();
  bot::wecom::CallbackReply reply =
      request.method == "GET" ? callback_->HandleGet(request.query)
                              : callback_->HandlePost(request.query, request.body, now_ms);
  // CallbackHandler logged every refusal with its reason.
  if (reply.message) Accept(*reply.message, now_ms);
  return http::ServerResponse::Text(reply.status, std::move(reply.body), reply.content_type);
}

// ---- Admin API ----

void BotHost::RegisterAdminRoutes(http::HttpServer& server) {
  server.Route("POST", "/api/v1/chat", deps_.auth->AdminRoute(kChatMaxBodyBytes),
               http::MemberHandler(this, &BotHost::Chat));
  server.Route("GET", "/api/v1/audit", deps_.auth->AdminRoute(),
               http::MemberHandler(this, &BotHost::Audit));
  server.Route("GET", "/api/v1/audit/verify", deps_.auth->AdminRoute(),
               http::MemberHandler(this, &BotHost::AuditVerify));
}

http::ServerResponse BotHost::Chat(http::ServerRequest& request) {
  Result<ChatRequestBody> body = ParseChatRequestBody(request.body);
  if (!body.ok()) return http::ErrorResponse(body.status());
  const std::string& user = body->user;
  const std::string& text = body->text;
  bot::ChatRequest chat;
  chat.sender.user_id = user;
  chat.sender.channel = bot::kChannelCli;
  if (!config_.bot.rbac.RoleOf(chat.sender)) {
    return http::ServerResponse::Error(
        403, "'" + user + "' is not a local user of the bot (bot.local_users in collector.yaml)");
  }
  chat.text = text;
  chat.now_ms = deps_.clock->NowMs();
  chat.message_id = "cli-" + crypto::HexEncode(crypto::RandomBytes(8));
  const bot::Reply reply = engine_->Handle(chat);
  spdlog::info("bot: chat from local user {} via {}", user, request.remote_addr);
  return JsonReply(200, {{"format", FormatName(reply.format)}, {"reply", reply.body}});
}

http::ServerResponse BotHost::Audit(http::ServerRequest& request) {
  bot::AuditQuery query;
  for (const auto& [key, value] : request.query) {
    if (key == "since") {
      Result<int64_t> since = ParseTimeOrAgo("since", value, deps_.clock->NowMs());
      if (!since.ok()) return http::ServerResponse::Error(400, since.status().message());
      query.since_ms = *since;
    } else if (key == "user") {
      query.user = value;
    } else if (key == "limit") {
      int limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || end != value.data() + value.size() || limit < 1 ||
          limit > kMaxAuditLimit) {
        return http::ServerResponse::Error(
            400, "limit: expected a number from 1 to " + std::to_string(kMaxAuditLimit));
      }
      query.limit = limit;
    } else {
      return http::ServerResponse::Error(
          400, "unknown parameter '" + key + "' (known: since, user, limit)");
    }
  }
  Result<std::vector<bot::AuditRecord>> rows = audit_->Query(query);
  if (!rows.ok()) {
    spdlog::error("bot: audit query failed: {}", rows.status().ToString());
    return http::ServerResponse::Error(503, "audit log unavailable");
  }
  nlohmann::json list = nlohmann::json::array();
  for (const bot::AuditRecord& r : *rows) list.push_back(AuditJson(r));
  return JsonReply(200, {{"entries", std::move(list)}});
}

http::ServerResponse BotHost::AuditVerify(http::ServerRequest& request) {
  if (!request.query.empty()) {
    return http::ServerResponse::Error(400, "audit/verify takes no parameters");
  }
  Result<bot::AuditVerifyReport> report = audit_->Verify();
  if (!report.ok()) {
    spdlog::error("bot: audit verification could not run: {}", report.status().ToString());
    return http::ServerResponse::Error(503, "audit log unavailable");
  }
  Result<std::pair<int64_t, std::string>> head = audit_->Head();
  nlohmann::json out = {{"ok", report->ok},
                        {"rows", report->rows},
                        {"first_bad_id", report->first_bad_id},
                        {"problem", report->problem}};
  if (head.ok()) out["head"] = {{"id", head->first}, {"hash", head->second}};
  return JsonReply(200, out);
}

// ---- Scheduled reports ----

int64_t BotHost::RunReports(int64_t now_ms) {
  constexpr int64_t kRetryMs = 60'000;
  int64_t wait_ms = 3600'000;
  for (const bot::ReportSchedule& schedule : config_.bot.reports) {
    int64_t next = 0;
    {
      MutexLock lock(mu_);
      auto it = next_report_ms_.find(schedule.name);
      if (it == next_report_ms_.end()) {
        Result<int64_t> first = bot::NextReportRun(schedule, now_ms, tz_);
        if (!first.ok()) {
          spdlog::warn("bot report {}: {}", schedule.name, first.status().ToString());
          continue;
        }
        it = next_report_ms_.emplace(schedule.name, *first).first;
      }
      next = it->second;
    }
    if (next > now_ms) {
      wait_ms = std::min(wait_ms, next - now_ms);
      continue;
    }
    Result<std::pair<int64_t, int64_t>> window = bot::ReportWindow(schedule.period, now_ms, tz_);
    Result<bot::ReportData> data =
        window.ok() ? reports_->Collect(window->first, window->second) : window.status();
    if (!data.ok()) {
      // Tried again in a minute; the report goes out late rather than not at all.
      spdlog::warn("bot report {}: collecting the figures failed: {}", schedule.name,
                   data.status().ToString());
      wait_ms = std::min(wait_ms, kRetryMs);
      continue;
    }
    bot::Reply reply{bot::Reply::Format::kMarkdown,
                     bot::RenderReport(*data, schedule.period, tz_, schedule.zh,
                                       notifier::wecom::kAppMarkdownMaxBytes)};
    for (const std::string& user : schedule.to_users) Enqueue(kTargetAppUser, user, reply);
    for (const std::string& robot : schedule.to_robots) Enqueue(kTargetGroupRobot, robot, reply);
    spdlog::info("bot report {} queued for {} user(s) and {} group robot(s)", schedule.name,
                 schedule.to_users.size(), schedule.to_robots.size());
    Result<int64_t> after = bot::NextReportRun(schedule, now_ms, tz_);
    MutexLock lock(mu_);
    next_report_ms_[schedule.name] = after.ok() ? *after : now_ms + 24 * 3600'000;
    wait_ms = std::min(wait_ms, next_report_ms_[schedule.name] - now_ms);
  }
  return std::max<int64_t>(wait_ms, 1000);
}

}  // namespace beacon::collector::bot_host
