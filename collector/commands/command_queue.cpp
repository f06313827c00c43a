// SQLite implementation of the agent command queue (the catalog's `commands` table) and the
// per-agent wake-up generations the command long-poll waits on.
#include "collector/commands/command_queue.h"

#include <utility>

namespace beacon::collector::commands {

const char kCommandsSchemaV1[] = R"sql(
CREATE TABLE commands(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  agent TEXT NOT NULL,
  kind TEXT NOT NULL,
  args_json TEXT NOT NULL,
  version_id INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  done_bytes INTEGER NOT NULL DEFAULT 0,
  total_bytes INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  result_json TEXT NOT NULL DEFAULT '{}',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  delivered_ms INTEGER NOT NULL DEFAULT 0,
  deliveries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX commands_agent_state ON commands(agent, state);
CREATE INDEX commands_state ON commands(state);
)sql";

const char kCommandsSchemaV2[] = R"sql(
CREATE INDEX commands_finished_updated ON commands(updated_ms)
  WHERE state IN ('succeeded', 'failed');
CREATE INDEX commands_version ON commands(version_id, state);
)sql";

namespace {

constexpr char kCommandColumns[] =
    "id, agent, kind, args_json, version_id, state, done_bytes, total_bytes, message, "
    "result_json, created_ms, updated_ms, delivered_ms, deliveries";

nlohmann::json ParseStoredJson(const std::string& text) {
  // Written by this file from valid JSON; an unreadable value (hand-edited DB) becomes {}.
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

StoredCommand ReadCommand(const store::Statement& s) {
  StoredCommand c;
  c.id = s.ColumnInt(0);
  c.agent = s.ColumnText(1);
  c.kind = s.ColumnText(2);
  c.args = ParseStoredJson(s.ColumnText(3));
  c.version_id = s.ColumnInt(4);
  c.state = s.ColumnText(5);
  c.done_bytes = static_cast<uint64_t>(s.ColumnInt(6));
  c.total_bytes = static_cast<uint64_t>(s.ColumnInt(7));
  c.message = s.ColumnText(8);
  c.result = ParseStoredJson(s.ColumnText(9));
  c.created_ms = s.ColumnInt(10);
  c.updated_ms = s.ColumnInt(11);
  c.delivered_ms = s.ColumnInt(12);
  c.deliveries = static_cast<int>(s.ColumnInt(13));
  return c;
}

Result<std::vector<StoredCommand>> CollectCommands(store::Statement& stmt) {
  std::vector<StoredCommand> out;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadCommand(stmt));
  }
  return out;
}

}  // namespace

bool IsTerminalCommandState(const std::string& state) {
  return state == kCommandSucceeded || state == kCommandFailed;
}

bool IsKnownCommandState(const std::string& state) {
  return state == kCommandWaitingArchiveRestore || state == kCommandQueued ||
         state == kCommandDelivered || state == kCommandRunning || IsTerminalCommandState(state);
}

CommandQueue::CommandQueue(store::Database* db, Mutex* mutex) : mutex_(*mutex), db_(db) {}

CommandQueue::~CommandQueue() { WakeAllWaiters(); }

Result<int64_t> CommandQueue::CreateCommand(const std::string& agent, const std::string& kind,
                                            const nlohmann::json& args,
                                            const std::string& initial_state, int64_t version_id,
                                            int64_t now_ms) {
  if (initial_state != kCommandQueued && initial_state != kCommandWaitingArchiveRestore) {
    return Status::InvalidArgument("a command starts queued or waiting_archive_restore, not '" +
                                   initial_state + "'");
  }
  int64_t id = 0;
  {
    MutexLock lock(mutex_);
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement stmt,
        db_->Cached("INSERT INTO commands(agent, kind, args_json, version_id, state, created_ms, "
                    "updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)"));
    stmt->Bind(1, agent)
        .Bind(2, kind)
        .Bind(3, args.dump())
        .Bind(4, version_id)
        .Bind(5, initial_state)
        .Bind(6, now_ms);
    BEACON_RETURN_IF_ERROR(stmt->Run());
    id = db_->LastInsertRowId();
  }
  if (initial_state == kCommandQueued) NotifyAgent(agent);
  return id;
}

Result<std::vector<StoredCommand>> CommandQueue::ClaimCommands(const std::string& agent,
                                                               int64_t now_ms, int max) {
  MutexLock lock(mutex_);
  store::Transaction tx(*db_);
  BEACON_RETURN_IF_ERROR(tx.status());
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement select,
                          db_->Cached(std::string("SELECT ") + kCommandColumns +
                                      " FROM commands WHERE agent = ?1 AND (state = 'queued' OR "
                                      "(state IN ('delivered', 'running') AND updated_ms <= ?2)) "
                                      "ORDER BY id LIMIT ?3"));
  select->Bind(1, agent).Bind(2, now_ms - kCommandRedeliverAfterMs).Bind(3, max);
  BEACON_ASSIGN_OR_RETURN(std::vector<StoredCommand> claimed, CollectCommands(*select));
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement mark,
      db_->Cached("UPDATE commands SET state = 'delivered', delivered_ms = ?2, updated_ms = ?2, "
                  "deliveries = deliveries + 1 WHERE id = ?1"));
  for (StoredCommand& command : claimed) {
    mark->Reset();
    mark->Bind(1, command.id).Bind(2, now_ms);
    BEACON_RETURN_IF_ERROR(mark->Run());
    command.state = kCommandDelivered;
    command.delivered_ms = now_ms;
    command.updated_ms = now_ms;
    command.deliveries += 1;
  }
  BEACON_RETURN_IF_ERROR(tx.Commit());
  return claimed;
}

Result<StoredCommand> CommandQueue::GetCommandLocked(int64_t id) {
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached(std::string("SELECT ") + kCommandColumns + " FROM commands WHERE id = ?1"));
  stmt->Bind(1, id);
  BEACON_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return Status::NotFound("no command " + std::to_string(id));
  return ReadCommand(*stmt);
}

Result<StoredCommand> CommandQueue::UpdateCommand(const std::string& agent, int64_t id,
                                                  const wire::CommandUpdate& update,
                                                  int64_t now_ms) {
  Result<StoredCommand> updated = RecordUpdate(agent, id, update, now_ms);
  if (updated.ok()) NotifyUpdated(id);
  return updated;
}

Result<StoredCommand> CommandQueue::RecordUpdate(const std::string& agent, int64_t id,
                                                 const wire::CommandUpdate& update,
                                                 int64_t now_ms) {
  if (update.state != kCommandRunning && update.state != kCommandSucceeded &&
      update.state != kCommandFailed) {
    return Status::InvalidArgument("state: expected running, succeeded or failed, got '" +
                                   update.state + "'");
  }
  MutexLock lock(mutex_);
  Result<StoredCommand> current = GetCommandLocked(id);
  // Another agent's command is reported exactly like a missing one: no agent learns about
  // commands that are not its own.
  if (!current.ok() || current->agent != agent) {
    if (!current.ok() && current.status().code() != StatusCode::kNotFound) return current.status();
    return Status::NotFound("no command " + std::to_string(id) + " for agent " + agent);
  }
  if (IsTerminalCommandState(current->state)) {
    if (current->state == update.state) return *current;  // a retried final report
    return Status::FailedPrecondition("command " + std::to_string(id) + " already " +
                                      current->state);
  }
  if (current->state != kCommandDelivered && current->state != kCommandRunning) {
    return Status::FailedPrecondition("command " + std::to_string(id) + " is " + current->state +
                                      ", not delivered");
  }
  BEACON_ASSIGN_OR_RETURN(
      store::CachedStatement stmt,
      db_->Cached("UPDATE commands SET state = ?2, done_bytes = ?3, total_bytes = ?4, "
                  "message = ?5, result_json = ?6, updated_ms = ?7 WHERE id = ?1"));
  stmt->Bind(1, id)
      .Bind(2, update.state)
      .Bind(3, static_cast<int64_t>(update.done_bytes))
      .Bind(4, static_cast<int64_t>(update.total_bytes))
      .Bind(5, update.message)
      .Bind(6, update.result.dump())
      .Bind(7, now_ms);
  BEACON_RETURN_IF_ERROR(stmt->Run());
  return GetCommandLocked(id);
}

Result<StoredCommand> CommandQueue::GetCommand(int64_t id) {
  MutexLock lock(mutex_);
  return GetCommandLocked(id);
}

Result<std::vector<StoredCommand>> CommandQueue::ListCommands(const std::string& state, int limit) {
  std::string sql = std::string("SELECT ") + kCommandColumns + " FROM commands";
  if (!state.empty()) sql += " WHERE state = ?1";
  sql += " ORDER BY id DESC LIMIT " + std::to_string(limit);
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt, db_->Cached(sql));
  if (!state.empty()) stmt->Bind(1, state);
  return CollectCommands(*stmt);
}

Result<std::vector<StoredCommand>> CommandQueue::ListCommandsForVersion(int64_t version_id,
                                                                        const std::string& state) {
  MutexLock lock(mutex_);
  BEACON_ASSIGN_OR_RETURN(store::CachedStatement stmt,
                          db_->Cached(std::string("SELECT ") + kCommandColumns +
                                      " FROM commands WHERE version_id = ?1 AND state = ?2 "
                                      "ORDER BY id"));
  stmt->Bind(1, version_id).Bind(2, state);
  return CollectCommands(*stmt);
}

Status CommandQueue::SetCommandState(int64_t id, const std::string& state,
                                     const std::string& message, int64_t now_ms) {
  if (!IsKnownCommandState(state)) {
    return Status::InvalidArgument("unknown command state '" + state + "'");
  }
  std::string agent;
  {
    MutexLock lock(mutex_);
    BEACON_ASSIGN_OR_RETURN(StoredCommand current, GetCommandLocked(id));
    if (IsTerminalCommandState(current.state)) {
      return Status::FailedPrecondition("command " + std::to_string(id) + " already " +
                                        current.state);
    }
    BEACON_ASSIGN_OR_RETURN(
        store::CachedStatement stmt,
        db_->Cached("UPDATE commands SET state = ?2, message = ?3, updated_ms = ?4 WHERE id = ?1"));
    stmt->Bind(1, id).Bind(2, state).Bind(3, message).Bind(4, now_ms);
    BEACON_RETURN_IF_ERROR(stmt->Run());
    agent = current.agent;
  }
  if (state == kCommandQueued) NotifyAgent(agent);
  NotifyUpdated(id);
  return Status::Ok();
}

// ---- Waiting ----

void CommandQueue::NotifyAgent(const std::string& agent) {
  std::function<void()> listener;
  {
    MutexLock lock(wait_mutex_);
    ++generations_[agent];
    listener = listener_;
  }
  wait_cv_.notify_all();
  if (listener) listener();
}

void CommandQueue::NotifyUpdated(int64_t id) {
  std::function<void(int64_t)> listener;
  {
    MutexLock lock(wait_mutex_);
    listener = update_listener_;
  }
  if (listener) listener(id);
}

void CommandQueue::SetUpdateListener(std::function<void(int64_t id)> listener) {
  MutexLock lock(wait_mutex_);
  update_listener_ = std::move(listener);
}

void CommandQueue::SetCommandListener(std::function<void()> listener) {
  MutexLock lock(wait_mutex_);
  listener_ = std::move(listener);
}

uint64_t CommandQueue::CommandGeneration(const std::string& agent) {
  MutexLock lock(wait_mutex_);
  auto it = generations_.find(agent);
  return it == generations_.end() ? 0 : it->second;
}

CommandQueue::WaitOutcome CommandQueue::WaitForCommands(const std::string& agent, uint64_t seen,
                                                        std::chrono::milliseconds timeout) {
  UniqueLock lock(wait_mutex_);
  auto changed = [&]() BEACON_REQUIRES(wait_mutex_) {
    auto it = generations_.find(agent);
    return (it == generations_.end() ? 0 : it->second) != seen;
  };
  wait_cv_.wait_for(lock, timeout,
                    [&]() BEACON_REQUIRES(wait_mutex_) { return shut_down_ || changed(); });
  if (changed()) return WaitOutcome::kChanged;
  return shut_down_ ? WaitOutcome::kShutDown : WaitOutcome::kTimedOut;
}

void CommandQueue::WakeAllWaiters() {
  std::function<void()> listener;
  {
    MutexLock lock(wait_mutex_);
    shut_down_ = true;
    listener = listener_;
  }
  wait_cv_.notify_all();
  if (listener) listener();
}

}  // namespace beacon::collector::commands
