// Test helper: runs tests/fakes/wecom_server.py as a child process (port 0, read back from its
// first stdout line) and talks to its /__control and /__stats endpoints.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http/client.h"
#include "tests/unit/peer_process.h"

namespace beacon::notifier::testing {

class FakeWecom {
 public:
  explicit FakeWecom(std::vector<std::string> extra = {}) : peer_(Argv(std::move(extra))) {}
  FakeWecom(const FakeWecom&) = delete;
  FakeWecom& operator=(const FakeWecom&) = delete;

  int port() const { return peer_.port(); }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::string api_url() const { return base() + "/cgi-bin/"; }

  nlohmann::json Control(const nlohmann::json& request) {
    http::HttpRequest post;
    post.method = "POST";
    post.url = base() + "/__control";
    post.body = request.dump();
    post.headers.Set("Content-Type", "application/json");
    Result<http::HttpResponse> response = http_->Send(post);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? nlohmann::json::parse(response->body, nullptr, false) : nlohmann::json();
  }
  // Key order of the request bodies is kept (the server echoes them in the order received).
  nlohmann::ordered_json Stats() {
    http::HttpRequest get;
    get.url = base() + "/__stats";
    Result<http::HttpResponse> response = http_->Send(get);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? nlohmann::ordered_json::parse(response->body, nullptr, false)
                         : nlohmann::ordered_json();
  }
  int64_t Rejected(const std::string& errcode) {
    return Stats()["rejected"].value(errcode, int64_t{0});
  }

 private:
  static std::vector<std::string> Argv(std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        BEACON_PYTHON, BEACON_SOURCE_DIR "/tests/fakes/wecom_server.py", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  std::unique_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
  beacon::testing::PeerProcess peer_;
};

}  // namespace beacon::notifier::testing
