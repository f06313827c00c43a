// tests/fakes/aliyun_server.py as a child process for a test suite (started with one access key
// and a state, stopped when destroyed), with its control endpoints: GET /__state and /__stats,
// POST /__control. For the tests that run Alibaba Cloud clients against the strict fake.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/http/client.h"
#include "tests/unit/common/aliyun_test_util.h"
#include "tests/unit/peer_process.h"

namespace beacon::testing {

class AliyunFakePeer {
 public:
  AliyunFakePeer(const std::string& key_id, const std::string& secret, const std::string& state)
      : peer_({"python3", std::string(BEACON_SOURCE_DIR) + "/tests/fakes/aliyun_server.py",
               "--port", "0", "--access-key", key_id + ":" + secret, "--state-json", state}) {}

  int port() const { return peer_.port(); }
  std::string Base() const { return "http://127.0.0.1:" + std::to_string(peer_.port()); }

  // The JSON body of GET `path`; an empty object when the request fails.
  nlohmann::json Get(const std::string& path) {
    return aliyun::testing::FakeGet(*http_, Base(), path);
  }
  // POST /__control; true when the fake answered 200.
  bool Control(const nlohmann::json& body) {
    return aliyun::testing::FakeControl(*http_, Base(), body);
  }
  const std::shared_ptr<http::HttpClient>& http() const { return http_; }

 private:
  PeerProcess peer_;
  std::shared_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
};

}  // namespace beacon::testing
