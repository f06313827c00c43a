// Runs the engine off the callback thread: a fixed pool of workers handles many users' commands
// at once while each user's commands run one at a time, in arrival order (a user's second
// command may depend on the first: `backup restore …` then `confirm CODE`). Bounded: a full
// queue (overall or for one user) refuses the command at Submit, and the caller answers with
// BusyReply(). Each reply goes to the delivery callback (the collector's outbox). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bot/chat.h"
#include "common/mutex.h"
#include "common/status.h"

namespace beacon::bot {

struct DispatcherOptions {
  int workers = 4;
  size_t queue = 1000;         // waiting commands across all users
  size_t per_user_queue = 20;  // waiting commands of one user
};

class Dispatcher {
 public:
  using Handler = std::function<Reply(const ChatRequest&)>;
  using Deliver = std::function<void(const ChatRequest&, Reply)>;

  // Starts the workers. `handle` is Engine::Handle (or a test's); `deliver` is called on a
  // worker thread, once per submitted command, in each user's order.
  Dispatcher(Handler handle, Deliver deliver, DispatcherOptions options);
  ~Dispatcher();  // Stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Queues the command behind the sender's earlier ones. ResourceExhausted when the overall or
  // the sender's queue is full, FailedPrecondition after Stop; the command is not queued then.
  Status Submit(ChatRequest request);
  // Refuses new commands, lets the workers finish every queued one, joins them. Idempotent.
  void Stop();

  // What to answer a refused Submit with (both languages).
  static Reply BusyReply();

 private:
  struct UserQueue {
    std::deque<ChatRequest> waiting;
    bool running = false;  // a worker holds this user's current command
  };
  void Work();

  Handler handle_;
  Deliver deliver_;
  const DispatcherOptions options_;
  Mutex mu_;
  std::condition_variable_any wake_;
  std::map<std::string, UserQueue> users_ BEACON_GUARDED_BY(mu_);  // by principal
  std::deque<std::string> ready_ BEACON_GUARDED_BY(mu_);           // users with work and no runner
  size_t waiting_ BEACON_GUARDED_BY(mu_) = 0;
  bool stopping_ BEACON_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace beacon::bot
