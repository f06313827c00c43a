// Test helper: runs tests/fakes/wecom_server.py as a child process (port 0, read back from its
// first stdout line) and talks to its /__control and /__stats endpoints.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "common/http/client.h"

namespace beacon::notifier::testing {

class FakeWecom {
 public:
  explicit FakeWecom(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        BEACON_PYTHON, BEACON_SOURCE_DIR "/tests/fakes/wecom_server.py", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> args;
      for (std::string& arg : argv) args.push_back(arg.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    out_fd_ = fds[0];
    std::regex pattern("port (\\d+)");
    std::string buffer;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{out_fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, 200) <= 0) continue;
      char chunk[256];
      ssize_t n = read(out_fd_, chunk, sizeof(chunk));
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
      std::smatch match;
      if (std::regex_search(buffer, match, pattern)) {
        port_ = std::stoi(match[1].str());
        break;
      }
    }
  }
  ~FakeWecom() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  FakeWecom(const FakeWecom&) = delete;
  FakeWecom& operator=(const FakeWecom&) = delete;

  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
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
  std::unique_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
};

}  // namespace beacon::notifier::testing
