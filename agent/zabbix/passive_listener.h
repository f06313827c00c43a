// PassiveListener: zabbix_agentd's passive-check port on beacon-agent. One I/O thread accepts
// connections, refuses sources outside the allow list (closed with nothing sent, like
// zabbix_agentd), reads each request within the timeout (a client that stalls or sends garbage
// is closed; it never holds a worker) and hands the complete request to one of the two bounded
// lanes of ItemWorkers (its own, or ones it shares with the active checks): cheap items (a few
// /proc lines) and slow ones (file hashes, connects, process scans, UserParameters), so slow
// items cannot hold up cheap ones; a full lane answers "ZBX_NOTSUPPORTED" at once. One request
// per connection, then close.
// Start/Stop from one thread; stats() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/zabbix/item_workers.h"
#include "agent/zabbix/items.h"
#include "agent/zabbix/passive_request.h"
#include "common/clock.h"
#include "common/http/ip_network.h"
#include "common/mutex.h"
#include "common/posix.h"
#include "common/status.h"

namespace beacon::agent::zabbix {

struct PassiveListenerOptions {
  std::string address = "127.0.0.1";   // an IP literal; "0.0.0.0" or "::" for every address
  uint16_t port = 10050;               // 0: any free port (tests; read it back with port())
  std::vector<http::IpNetwork> allow;  // sources allowed to connect; empty allows none
  std::string allow_text;              // the list as configured, for the refusal log line
  int64_t timeout_ms = 3000;           // to send the request; each item's deadline after that
  // The listener's own lanes, when it is not given shared ones.
  int slow_workers = 3;
  int cheap_workers = 2;
  size_t lane_queue = 64;    // requests waiting per lane; beyond: "busy" reply
  size_t max_pending = 256;  // connections still sending; beyond: the oldest is closed
  uint64_t max_request_bytes = kMaxPassiveRequestSize;
};

struct PassiveListenerStats {
  int64_t accepted = 0;
  int64_t refused_source = 0;   // outside the allow list
  int64_t refused_request = 0;  // not a frame, LARGE, oversized, corrupt, closed early
  int64_t timed_out = 0;        // no complete request within the timeout (or evicted)
  int64_t busy = 0;             // lane queue full
  int64_t answered = 0;
};

class PassiveListener {
 public:
  // `table`, `clock` and `workers` must outlive the listener; `context` is copied into every
  // request (with its deadline set). Without `workers` the listener runs lanes of its own
  // (started and stopped with it); shared ones are started and stopped by their owner.
  PassiveListener(PassiveListenerOptions options, const ItemTable& table, ItemContext context,
                  const Clock& clock = SystemClock::Instance(), ItemWorkers* workers = nullptr);
  ~PassiveListener();  // Stop()s
  PassiveListener(const PassiveListener&) = delete;
  PassiveListener& operator=(const PassiveListener&) = delete;

  // Binds and listens, then starts the I/O thread and the workers. IoError naming the address
  // when the socket cannot be bound; nothing runs then.
  Status Start();
  // Closes the port and every connection still sending; with its own lanes, lets each worker
  // finish the item in progress and answer it, drops what waits in the lanes (closed
  // unanswered) and joins. Idempotent.
  void Stop();

  uint16_t port() const { return bound_port_; }
  PassiveListenerStats stats() const;

 private:
  struct Job {
    UniqueFd fd;
    std::string key;
    int64_t deadline_ms = 0;  // monotonic
  };
  struct Pending;

  void IoLoop();
  void AcceptAll(std::vector<Pending>* pending);
  // Reads what is there; true when the connection is finished with (handed off or closed).
  bool ReadRequest(Pending* conn);
  void Dispatch(UniqueFd fd, std::string key);
  // Runs the item and sends the reply, giving the send until send_deadline_ms.
  void Answer(Job* job, int64_t send_deadline_ms);
  // How long the I/O thread may spend sending an instant item's reply.
  static constexpr int64_t kInstantSendMs = 100;

  const PassiveListenerOptions options_;
  const ItemTable& table_;
  const ItemContext context_;
  const Clock& clock_;
  UniqueFd listen_fd_;
  UniqueFd wake_fd_;  // eventfd: Stop() ends the I/O thread's poll
  uint16_t bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread io_thread_;
  std::unique_ptr<ItemWorkers> own_workers_;  // without shared ones
  ItemWorkers* workers_;
  int64_t last_refusal_log_ms_ = 0;  // I/O thread only

  std::atomic<int64_t> accepted_{0}, refused_source_{0}, refused_request_{0}, timed_out_{0},
      busy_{0}, answered_{0};
};

}  // namespace beacon::agent::zabbix
