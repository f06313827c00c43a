// Dispatcher: per-user FIFO queues served round-robin by a worker pool; see dispatcher.h.
#include "bot/dispatcher.h"

namespace beacon::bot {

Dispatcher::Dispatcher(Handler handle, Deliver deliver, DispatcherOptions options)
    : handle_(std::move(handle)), deliver_(std::move(deliver)), options_(options) {
  const int n = options_.workers < 1 ? 1 : options_.workers;
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { Work(); });
}

Dispatcher::~Dispatcher() { Stop(); }

Status Dispatcher::Submit(ChatRequest request) {
  const std::string principal = request.sender.Principal();
  {
    MutexLock lock(mu_);
    if (stopping_) return Status::FailedPrecondition("the bot is shutting down");
    if (waiting_ >= options_.queue) {
      return Status::ResourceExhausted("the bot's queue is full (" +
                                       std::to_string(options_.queue) + " commands)");
    }
    UserQueue& user = users_[principal];
    if (user.waiting.size() >= options_.per_user_queue) {
      return Status::ResourceExhausted("you have " + std::to_string(user.waiting.size()) +
                                       " commands waiting");
    }
    user.waiting.push_back(std::move(request));
    ++waiting_;
    // A user already running or already in ready_ is picked up again when its command ends.
    if (!user.running && user.waiting.size() == 1) ready_.push_back(principal);
  }
  wake_.notify_one();
  return Status::Ok();
}

void Dispatcher::Work() {
  while (true) {
    std::string principal;
    ChatRequest request;
    {
      UniqueLock lock(mu_);
      wake_.wait(lock, [this]() BEACON_REQUIRES(mu_) { return stopping_ || !ready_.empty(); });
      if (ready_.empty()) return;  // stopping and nothing left
      principal = std::move(ready_.front());
      ready_.pop_front();
      UserQueue& user = users_[principal];
      request = std::move(user.waiting.front());
      user.waiting.pop_front();
      user.running = true;
      --waiting_;
    }
    Reply reply = handle_(request);
    deliver_(request, std::move(reply));
    bool more = false;
    {
      MutexLock lock(mu_);
      UserQueue& user = users_[principal];
      user.running = false;
      if (user.waiting.empty()) {
        users_.erase(principal);
      } else {
        ready_.push_back(principal);  // behind the other users: round-robin
        more = true;
      }
    }
    if (more) wake_.notify_one();
  }
}

void Dispatcher::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

Reply Dispatcher::BusyReply() {
  return Reply{Reply::Format::kText,
               "The bot is busy; please send the command again in a minute. / "
               "机器人正忙，请稍后重新发送命令。"};
}

}  // namespace beacon::bot
