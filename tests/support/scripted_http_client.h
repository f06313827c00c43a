// A scripted HttpClient for unit tests: records every request and answers with the queued
// replies in order; once the queue is empty it answers as the test chose (by default with an
// Internal error naming the unexpected request, which the test then sees). Thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/http/client.h"

namespace beacon::fakes {

class ScriptedHttpClient : public http::HttpClient {
 public:
  using Handler = std::function<Result<http::HttpResponse>(const http::HttpRequest&)>;

  ScriptedHttpClient() = default;
  // `when_empty` answers every request that finds no queued reply (called without the lock).
  explicit ScriptedHttpClient(Handler when_empty);

  Result<http::HttpResponse> Send(const http::HttpRequest& request) override;

  // Queues a reply, or a transport failure.
  void Reply(int status, std::string body = "",
             const std::map<std::string, std::string>& headers = {});
  void Fail(Status status);
  // From now on an empty queue repeats the last reply sent (a peer that keeps failing).
  void RepeatLastReply();
  // Runs under the lock at the start of every Send, e.g. to advance a fake clock.
  void OnSend(std::function<void(const http::HttpRequest&)> hook);
  size_t RequestCount();

  static http::HttpResponse Response(int status, std::string body,
                                     const std::map<std::string, std::string>& headers = {});

  // Every request sent, in order; read it once the code under test has stopped sending.
  std::vector<http::HttpRequest> requests;
  // The replies not sent yet, in order.
  std::deque<Result<http::HttpResponse>> replies;

 private:
  std::mutex mutex_;
  Handler when_empty_;
  std::function<void(const http::HttpRequest&)> on_send_;
  bool repeat_last_ = false;
  std::optional<Result<http::HttpResponse>> last_;
};

}  // namespace beacon::fakes
