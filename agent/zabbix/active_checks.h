// Zabbix active checks like zabbix_agentd 6.0: per server_active entry one session (its own
// random session token, value ids and buffer) asks the server for this host's item list every
// refresh interval, runs each item every `delay` seconds through the item table on the shared
// worker lanes (the session thread never runs an item itself), and sends the values in batches.
// The agent only connects out, so it works behind NAT. While the server is away the values
// wait in a bounded in-memory buffer (BufferSize): beyond it the oldest value of the same item
// is dropped, else the oldest value, and counted. ActiveSchedule and ActiveBuffer are the
// session's single-threaded parts; ActiveChecks runs them on one thread (Start/Stop from one
// thread, stats() from any).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "agent/zabbix/active_protocol.h"
#include "agent/zabbix/item_workers.h"
#include "agent/zabbix/items.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace beacon::agent::zabbix {

// Which items are due. Not thread-safe.
class ActiveSchedule {
 public:
  // Replaces the item list: an item whose key and delay did not change keeps its next time,
  // a new one or one with a new delay is due at once (as in zabbix_agentd); an item no longer
  // listed is forgotten (a run in progress still delivers its value).
  void SetChecks(const std::vector<ActiveCheck>& checks, int64_t now_ms);
  // Keys due at now_ms that are not running; they are marked running.
  std::vector<std::string> TakeDue(int64_t now_ms);
  // A run ended (or could not start): the item is next due `after_ms` later.
  void Finished(const std::string& key, int64_t now_ms, int64_t after_ms = -1);
  // The next time an item that is not running is due; INT64_MAX when none.
  int64_t NextDueMs() const;
  size_t size() const { return items_.size(); }
  std::vector<ActiveCheck> checks() const;

 private:
  struct Entry {
    int64_t delay_s = 0;
    int64_t next_ms = 0;
    bool running = false;
  };
  std::map<std::string, Entry> items_;
};

// The values waiting for the server, in the order gathered, each with its id. Not thread-safe.
class ActiveBuffer {
 public:
  explicit ActiveBuffer(size_t capacity) : capacity_(capacity < 2 ? 2 : capacity) {}
  // Gives the value the next id and keeps it. When full, drops the oldest value of the same
  // key, or else the oldest value; true when one was dropped.
  bool Add(ActiveValue value);
  // The values to send, oldest first.
  const std::deque<ActiveValue>& values() const { return values_; }
  // The first `count` values were delivered.
  void Delivered(size_t count);
  bool full() const { return values_.size() >= capacity_; }
  size_t size() const { return values_.size(); }
  uint64_t last_id() const { return last_id_; }

 private:
  const size_t capacity_;
  std::deque<ActiveValue> values_;
  uint64_t last_id_ = 0;
};

struct ActiveChecksOptions {
  std::string server_host;  // a server_active entry
  int server_port = 10051;
  ActiveChecksRequest request;    // host, host_metadata, ip, port
  int64_t refresh_ms = 120000;    // RefreshActiveChecks
  int64_t buffer_send_ms = 5000;  // BufferSend: the longest a value waits to be sent
  size_t buffer_size = 100;       // BufferSize
  int64_t timeout_ms = 3000;      // each exchange with the server; each item's deadline
  int64_t busy_retry_ms = 1000;   // an item whose lane was full is tried again after this
  std::string session;            // empty: 32 random hex digits
};

struct ActiveChecksStats {
  int64_t refreshes = 0;         // item lists received
  int64_t refresh_failures = 0;  // server away, refused or garbled the list
  int64_t gathered = 0;          // values put in the buffer
  int64_t sent = 0;              // values the server acknowledged
  int64_t send_failures = 0;
  int64_t dropped = 0;                // values pushed out of a full buffer
  int64_t processed = 0, failed = 0;  // as the server's replies counted them
  int64_t busy = 0;                   // runs put off because the lane was full
  int64_t buffered = 0;
  int64_t items = 0;
};

class ActiveChecks {
 public:
  // `table`, `workers` and `clock` must outlive this; `context` is copied into every run.
  ActiveChecks(ActiveChecksOptions options, const ItemTable& table, ItemContext context,
               ItemWorkers* workers, const Clock& clock = SystemClock::Instance());
  ~ActiveChecks();  // Stop()s
  ActiveChecks(const ActiveChecks&) = delete;
  ActiveChecks& operator=(const ActiveChecks&) = delete;

  void Start();
  // Ends the session thread after the exchange in progress (at most the timeout). Values still
  // in the buffer are lost, as with zabbix_agentd. Idempotent.
  void Stop();
  // Waits until runs submitted to the workers have reported back (call after the workers have
  // stopped or drained, before destroying the session).
  void WaitIdle();

  ActiveChecksStats stats() const;
  const std::string& session() const { return options_.session; }
  std::string server() const;

 private:
  struct Done {
    std::string key;
    ItemResult result;
    int64_t wall_ms = 0;
  };
  void Run();
  void Refresh(int64_t now_ms);
  void Dispatch(int64_t now_ms);
  void Collect(int64_t now_ms);
  void Send(int64_t now_ms);
  void Publish();

  ActiveChecksOptions options_;
  const ItemTable& table_;
  const ItemContext context_;
  ItemWorkers* workers_;
  const Clock& clock_;

  // The session thread's own state.
  ActiveSchedule schedule_;
  ActiveBuffer buffer_;
  int64_t next_refresh_ms_ = 0;
  int64_t last_send_ms_ = 0;
  int64_t last_drop_log_ms_ = -1;
  bool server_away_ = false;

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  bool stopping_ BEACON_GUARDED_BY(mu_) = false;
  std::vector<Done> done_ BEACON_GUARDED_BY(mu_);  // results back from the workers
  int in_flight_ BEACON_GUARDED_BY(mu_) = 0;
  ActiveChecksStats stats_ BEACON_GUARDED_BY(mu_);
  std::thread thread_;
};

// "zabbix.example:10051", "192.0.2.1", "[2001:db8::1]:10051", "[::1]" -> host and port
// (10051 when absent). False for an empty host, a bad port or a ';' (HA cluster lists of
// 6.x are not supported).
bool ParseServerActive(const std::string& text, std::string* host, int* port);

}  // namespace beacon::agent::zabbix
