// ActiveChecks: one thread per server that refreshes, dispatches, collects and sends; the items
// run on the worker lanes and report back through done_.
#include "agent/zabbix/active_checks.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "agent/zabbix/zbxd_client.h"
#include "common/crypto/crypto.h"

namespace beacon::agent::zabbix {

void ActiveSchedule::SetChecks(const std::vector<ActiveCheck>& checks, int64_t now_ms) {
  std::map<std::string, Entry> next;
  for (const ActiveCheck& check : checks) {
    Entry entry;
    entry.delay_s = check.delay_s;
    entry.next_ms = now_ms;
    if (auto it = items_.find(check.key); it != items_.end()) {
      entry.running = it->second.running;
      if (it->second.delay_s == check.delay_s) entry.next_ms = it->second.next_ms;
    }
    next[check.key] = entry;
  }
  items_ = std::move(next);
}

std::vector<std::string> ActiveSchedule::TakeDue(int64_t now_ms) {
  std::vector<std::string> due;
  for (auto& [key, entry] : items_) {
    if (entry.running || entry.next_ms > now_ms) continue;
    entry.running = true;
    due.push_back(key);
  }
  return due;
}

void ActiveSchedule::Finished(const std::string& key, int64_t now_ms, int64_t after_ms) {
  auto it = items_.find(key);
  if (it == items_.end()) return;
  it->second.running = false;
  it->second.next_ms = now_ms + (after_ms >= 0 ? after_ms : it->second.delay_s * 1000);
}

int64_t ActiveSchedule::NextDueMs() const {
  int64_t next = INT64_MAX;
  for (const auto& [key, entry] : items_) {
    if (!entry.running) next = std::min(next, entry.next_ms);
  }
  return next;
}

std::vector<ActiveCheck> ActiveSchedule::checks() const {
  std::vector<ActiveCheck> out;
  for (const auto& [key, entry] : items_) out.push_back({key, entry.delay_s});
  return out;
}

bool ActiveBuffer::Add(ActiveValue value) {
  value.id = ++last_id_;
  bool dropped = false;
  if (values_.size() >= capacity_) {
    auto same = std::find_if(values_.begin(), values_.end(), [&](const ActiveValue& v) {
      return v.key == value.key && v.host == value.host;
    });
    values_.erase(same != values_.end() ? same : values_.begin());
    dropped = true;
  }
  values_.push_back(std::move(value));
  return dropped;
}

void ActiveBuffer::Delivered(size_t count) {
  values_.erase(values_.begin(),
                values_.begin() + static_cast<ptrdiff_t>(std::min(count, values_.size())));
}

bool ParseServerActive(const std::string& text, std::string* host, int* port) {
  if (text.empty() || text.find(';') != std::string::npos ||
      text.find_first_of(" \t,") != std::string::npos) {
    return false;
  }
  std::string h, p;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close == 1) return false;
    h = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return false;
      p = text.substr(close + 2);
      if (p.empty()) return false;
    }
  } else {
    const size_t colon = text.find(':');
    if (colon != std::string::npos && text.find(':', colon + 1) != std::string::npos) {
      h = text;  // a bare IPv6 address
    } else if (colon != std::string::npos) {
      h = text.substr(0, colon);
      p = text.substr(colon + 1);
      if (p.empty()) return false;
    } else {
      h = text;
    }
  }
  if (h.empty()) return false;
  int value = 10051;
  if (!p.empty()) {
    if (p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
    value = std::stoi(p);
    if (value < 1 || value > 65535) return false;
  }
  *host = h;
  *port = value;
  return true;
}

ActiveChecks::ActiveChecks(ActiveChecksOptions options, const ItemTable& table, ItemContext context,
                           ItemWorkers* workers, const Clock& clock)
    : options_(std::move(options)),
      table_(table),
      context_(std::move(context)),
      workers_(workers),
      clock_(clock),
      buffer_(options_.buffer_size) {
  if (options_.session.empty()) options_.session = ActiveSessionToken(crypto::RandomBytes(16));
}

ActiveChecks::~ActiveChecks() {
  Stop();
  WaitIdle();
}

std::string ActiveChecks::server() const {
  const bool v6 = options_.server_host.find(':') != std::string::npos;
  return (v6 ? "[" + options_.server_host + "]" : options_.server_host) + ":" +
         std::to_string(options_.server_port);
}

void ActiveChecks::Start() {
  if (thread_.joinable()) return;
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void ActiveChecks::Stop() {
  if (!thread_.joinable()) return;
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ActiveChecks::WaitIdle() {
  UniqueLock lock(mu_);
  cv_.wait(lock, [this]() BEACON_REQUIRES(mu_) { return in_flight_ == 0; });
}

ActiveChecksStats ActiveChecks::stats() const {
  MutexLock lock(mu_);
  return stats_;
}

void ActiveChecks::Publish() {
  MutexLock lock(mu_);
  stats_.buffered = static_cast<int64_t>(buffer_.size());
  stats_.items = static_cast<int64_t>(schedule_.size());
}

void ActiveChecks::Run() {
  spdlog::info("zabbix active checks: server {} for host \"{}\" (session {})", server(),
               options_.request.host, options_.session);
  next_refresh_ms_ = clock_.MonotonicMs();
  last_send_ms_ = clock_.MonotonicMs();
  for (;;) {
    int64_t now = clock_.MonotonicMs();
    if (now >= next_refresh_ms_) {
      Refresh(now);
      now = clock_.MonotonicMs();
    }
    Collect(now);
    Dispatch(now);
    // Send when the buffer is full or its oldest send is due (BufferSend).
    if (buffer_.size() > 0 && (buffer_.full() || now - last_send_ms_ >= options_.buffer_send_ms)) {
      Send(now);
      now = clock_.MonotonicMs();
    }
    Publish();
    int64_t wake = std::min(next_refresh_ms_, schedule_.NextDueMs());
    if (buffer_.size() > 0) wake = std::min(wake, last_send_ms_ + options_.buffer_send_ms);
    const int64_t wait_ms = std::clamp<int64_t>(wake - now, 0, 1000);
    UniqueLock lock(mu_);
    if (stopping_) return;
    if (done_.empty() && wait_ms > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [this]() BEACON_REQUIRES(mu_) { return stopping_ || !done_.empty(); });
    }
    if (stopping_) return;
  }
}

void ActiveChecks::Refresh(int64_t now_ms) {
  next_refresh_ms_ = now_ms + options_.refresh_ms;
  const std::string where = server();
  auto body = ZbxdExchange(options_.server_host, options_.server_port,
                           EncodeActiveChecksRequest(options_.request), options_.timeout_ms,
                           kMaxActiveReplyBytes);
  Result<ActiveChecksReply> reply =
      body.ok() ? ParseActiveChecksReply(*body) : Result<ActiveChecksReply>(body.status());
  if (!reply.ok()) {
    {
      MutexLock lock(mu_);
      ++stats_.refresh_failures;
    }
    // Once per outage; the items already known keep running and their values are buffered.
    if (!server_away_) {
      spdlog::warn("zabbix active checks: cannot get the item list from {}: {} (retrying every {})",
                   where, reply.status().ToString(), FormatDurationMs(options_.refresh_ms));
    }
    server_away_ = true;
    return;
  }
  if (server_away_) spdlog::info("zabbix active checks: {} answers again", where);
  server_away_ = false;
  for (const std::string& skipped : reply->skipped) {
    spdlog::warn("zabbix active checks: item from {} not scheduled: {}", where, skipped);
  }
  const size_t before = schedule_.size();
  schedule_.SetChecks(reply->checks, clock_.MonotonicMs());
  if (schedule_.size() != before) {
    spdlog::info("zabbix active checks: {} item(s) from {}", schedule_.size(), where);
  }
  MutexLock lock(mu_);
  ++stats_.refreshes;
}

void ActiveChecks::Dispatch(int64_t now_ms) {
  for (const std::string& key : schedule_.TakeDue(now_ms)) {
    // Counts the run until the task is destroyed, whether it ran or was dropped unrun by a
    // stopping or full lane, so WaitIdle() cannot wait for a run that never happens.
    struct InFlight {
      explicit InFlight(ActiveChecks* s) : self(s) {
        MutexLock lock(self->mu_);
        ++self->in_flight_;
      }
      ~InFlight() {
        {
          MutexLock lock(self->mu_);
          --self->in_flight_;
        }
        self->cv_.notify_all();
      }
      InFlight(const InFlight&) = delete;
      InFlight& operator=(const InFlight&) = delete;
      ActiveChecks* self;
    };
    auto in_flight = std::make_shared<InFlight>(this);
    auto task = [this, key, in_flight] {
      ItemContext context = context_;
      context.deadline_ms = clock_.MonotonicMs() + options_.timeout_ms;
      const int64_t started_wall_ms = clock_.NowMs();
      ItemResult result = table_.Run(key, context);
      {
        MutexLock lock(mu_);
        done_.push_back({key, std::move(result), started_wall_ms});
      }
      cv_.notify_all();
    };
    if (workers_->Submit(ItemWorkers::CostOf(table_, key), std::move(task))) continue;
    {
      MutexLock lock(mu_);
      ++stats_.busy;
    }
    schedule_.Finished(key, now_ms, options_.busy_retry_ms);
  }
}

void ActiveChecks::Collect(int64_t now_ms) {
  std::vector<Done> done;
  {
    MutexLock lock(mu_);
    done.swap(done_);
  }
  int64_t dropped = 0;
  for (Done& d : done) {
    schedule_.Finished(d.key, now_ms);
    ActiveValue value;
    value.host = options_.request.host;
    value.key = d.key;
    value.value = std::move(d.result.text);
    value.not_supported = !d.result.supported;
    value.clock = d.wall_ms / 1000;
    value.ns = static_cast<int32_t>((d.wall_ms % 1000) * 1'000'000);
    if (buffer_.Add(std::move(value))) ++dropped;
  }
  if (done.empty()) return;
  MutexLock lock(mu_);
  stats_.gathered += static_cast<int64_t>(done.size());
  stats_.dropped += dropped;
  if (dropped > 0 && (last_drop_log_ms_ < 0 || now_ms - last_drop_log_ms_ >= 60'000)) {
    last_drop_log_ms_ = now_ms;
    spdlog::warn(
        "zabbix active checks: buffer for {} full ({} values): oldest values dropped, {} so far",
        server(), buffer_.size(), stats_.dropped);
  }
}

void ActiveChecks::Send(int64_t now_ms) {
  last_send_ms_ = now_ms;
  const std::vector<ActiveValue> batch(buffer_.values().begin(), buffer_.values().end());
  const int64_t wall = clock_.NowMs();
  auto body = ZbxdExchange(options_.server_host, options_.server_port,
                           EncodeAgentData(options_.session, batch, wall / 1000,
                                           static_cast<int32_t>((wall % 1000) * 1'000'000)),
                           options_.timeout_ms, kMaxActiveReplyBytes);
  Result<AgentDataReply> reply =
      body.ok() ? ParseAgentDataReply(*body) : Result<AgentDataReply>(body.status());
  if (reply.ok() && !reply->success) {
    reply = Status::FailedPrecondition("server answered \"" + reply->info + "\"");
  }
  if (!reply.ok()) {
    {
      MutexLock lock(mu_);
      ++stats_.send_failures;
    }
    // The values stay (with their ids, so a server that did take them drops the repeats).
    if (!server_away_) {
      spdlog::warn("zabbix active checks: cannot send {} value(s) to {}: {}", batch.size(),
                   server(), reply.status().ToString());
    }
    server_away_ = true;
    return;
  }
  if (server_away_) spdlog::info("zabbix active checks: {} answers again", server());
  server_away_ = false;
  buffer_.Delivered(batch.size());
  MutexLock lock(mu_);
  stats_.sent += static_cast<int64_t>(batch.size());
  if (reply->processed > 0) stats_.processed += reply->processed;
  if (reply->failed > 0) stats_.failed += reply->failed;
}

}  // namespace beacon::agent::zabbix
