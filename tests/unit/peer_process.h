// Test helper shared by the unit tests that run a peer as a child process (the strict fakes in
// tests/fakes/, s3rver): starts it, reads its stdout until a line gives its port, and stops it
// (SIGTERM, then waits) in the destructor.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

namespace beacon::testing {

class PeerProcess {
 public:
  // port_pattern: a regex whose first group is the port ("port (\\d+)" for tests/fakes/*.py).
  // stderr goes to /dev/null. port() stays 0 when the peer did not report one within 15 s.
  PeerProcess(std::vector<std::string> argv, const std::string& port_pattern = "port (\\d+)") {
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
    std::regex pattern(port_pattern);
    std::string buffer;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd poll_fd{out_fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, 200) <= 0) continue;
      char chunk[512];
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
  ~PeerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
};

}  // namespace beacon::testing
