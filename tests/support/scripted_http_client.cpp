// See scripted_http_client.h.
#include "tests/support/scripted_http_client.h"

#include <utility>

namespace beacon::fakes {

ScriptedHttpClient::ScriptedHttpClient(Handler when_empty) : when_empty_(std::move(when_empty)) {}

Result<http::HttpResponse> ScriptedHttpClient::Send(const http::HttpRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests.push_back(request);
    if (on_send_) on_send_(request);
    if (!replies.empty()) {
      last_ = std::move(replies.front());
      replies.pop_front();
      return *last_;
    }
    if (repeat_last_ && last_) return *last_;
  }
  if (when_empty_) return when_empty_(request);
  return Status::Internal("unexpected request " + request.url);
}

void ScriptedHttpClient::Reply(int status, std::string body,
                               const std::map<std::string, std::string>& headers) {
  std::lock_guard<std::mutex> lock(mutex_);
  replies.push_back(Response(status, std::move(body), headers));
}

void ScriptedHttpClient::Fail(Status status) {
  std::lock_guard<std::mutex> lock(mutex_);
  replies.push_back(std::move(status));
}

void ScriptedHttpClient::RepeatLastReply() {
  std::lock_guard<std::mutex> lock(mutex_);
  repeat_last_ = true;
}

void ScriptedHttpClient::OnSend(std::function<void(const http::HttpRequest&)> hook) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_send_ = std::move(hook);
}

size_t ScriptedHttpClient::RequestCount() {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests.size();
}

http::HttpResponse ScriptedHttpClient::Response(int status, std::string body,
                                                const std::map<std::string, std::string>& headers) {
  http::HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  for (const auto& [name, value] : headers) response.headers.Set(name, value);
  return response;
}

}  // namespace beacon::fakes
