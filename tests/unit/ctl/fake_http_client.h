// A scripted HttpClient for beaconctl tests: records every request and answers with the queued
// replies in order (an unexpected request is an Internal error the test sees).
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "common/http/client.h"

namespace beacon::ctl {

class FakeHttpClient : public http::HttpClient {
 public:
  Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    requests.push_back(request);
    if (replies.empty()) return Status::Internal("unexpected request " + request.url);
    auto reply = replies.front();
    replies.pop_front();
    return reply;
  }
  void Reply(int status, std::string body) {
    http::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    replies.push_back(response);
  }
  void Fail(Status status) { replies.push_back(std::move(status)); }

  std::vector<http::HttpRequest> requests;
  std::deque<Result<http::HttpResponse>> replies;
};

}  // namespace beacon::ctl
