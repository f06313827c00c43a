// Load generator for bench/zabbix_vs_agentd.sh: Zabbix passive-check requests, one per TCP
// connection, as a Zabbix server or zabbix_get sends them.
//
//   zbx_load load HOST PORT KEY CONNECTIONS SECONDS SERVER_PID
//     CONNECTIONS threads, each looping for SECONDS: connect, send one ZBXD frame
//     ("ZBXD\x01", u32le length, u32le 0, key), read the reply until the server closes, count.
//     Prints one line of key=value: requests, errors, seconds, rps, the CPU seconds (utime +
//     stime + cutime + cstime from /proc/PID/stat) the server process SERVER_PID and all its
//     descendants used over the run, the client's own CPU seconds, and the first reply.
//   zbx_load once HOST PORT KEY
//     One request; prints the milliseconds it took and the reply.
//
// A reply that is not a ZBXD frame, or is ZBX_NOTSUPPORTED, counts as an error.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string Frame(const std::string& key) {
  std::string f = "ZBXD\x01";
  const uint32_t len = static_cast<uint32_t>(key.size());
  for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  f.append(4, '\0');
  f += key;
  return f;
}

// One request; returns the reply's data, or false on a connection or framing error.
bool Request(const sockaddr_in& addr, const std::string& frame, std::string* value) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = false;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    size_t off = 0;
    while (off < frame.size()) {
      const ssize_t n = send(fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    if (off == frame.size()) {
      std::string reply;
      char buf[65536];
      for (;;) {
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
          ok = n == 0;
          break;
        }
        reply.append(buf, static_cast<size_t>(n));
      }
      if (ok && reply.size() >= 13 && reply.compare(0, 4, "ZBXD") == 0) {
        *value = reply.substr(13);
      } else {
        ok = false;
      }
    }
  }
  // The server closed first (it holds the TIME_WAIT); a reset here keeps the client's
  // ephemeral ports free for the next connections.
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
  return ok;
}

// utime + stime + cutime + cstime (clock ticks) of pid, or -1 when it is gone.
long long ProcTicks(int pid, int* ppid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(in, s)) return -1;
  const size_t close_paren = s.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream rest(s.substr(close_paren + 2));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  std::string tok;
  while (rest >> tok) f.push_back(tok);
  if (f.size() < 15) return -1;
  *ppid = std::atoi(f[1].c_str());
  return std::atoll(f[11].c_str()) + std::atoll(f[12].c_str()) + std::atoll(f[13].c_str()) +
         std::atoll(f[14].c_str());
}

// CPU ticks of root and all its descendants (threads are counted in their process).
long long TreeTicks(int root) {
  std::map<int, std::pair<int, long long>> procs;  // pid -> (ppid, ticks)
  DIR* d = opendir("/proc");
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    int ppid = 0;
    const long long t = ProcTicks(pid, &ppid);
    if (t >= 0) procs[pid] = {ppid, t};
  }
  closedir(d);
  long long total = 0;
  std::vector<int> todo{root};
  while (!todo.empty()) {
    const int p = todo.back();
    todo.pop_back();
    auto it = procs.find(p);
    if (it == procs.end()) continue;
    total += it->second.second;
    for (const auto& [pid, v] : procs)
      if (v.first == p) todo.push_back(pid);
  }
  return total;
}

double SelfCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int Usage() {
  std::fprintf(stderr,
               "usage: zbx_load load HOST PORT KEY CONNECTIONS SECONDS SERVER_PID\n"
               "       zbx_load once HOST PORT KEY\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return Usage();
  const std::string mode = argv[1];
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[3])));
  if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) return Usage();
  const std::string frame = Frame(argv[4]);

  if (mode == "once" && argc == 5) {
    std::string value;
    const auto t0 = Clock::now();
    const bool ok = Request(addr, frame, &value);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    for (char& c : value)
      if (c == '\0') c = ':';
    std::printf("ms=%.3f ok=%d value=%s\n", ms, ok ? 1 : 0, value.c_str());
    return ok ? 0 : 1;
  }
  if (mode != "load" || argc != 8) return Usage();
  const int conns = std::atoi(argv[5]);
  const double seconds = std::atof(argv[6]);
  const int server = std::atoi(argv[7]);
  if (conns < 1 || seconds <= 0 || server <= 0) return Usage();

  std::atomic<bool> stop{false};
  std::atomic<long long> requests{0}, errors{0};
  std::string first;
  std::mutex first_mu;
  const double cpu0 = SelfCpu();
  const long long ticks0 = TreeTicks(server);
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < conns; ++i) {
    threads.emplace_back([&] {
      std::string value;
      long long ok = 0, bad = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (Request(addr, frame, &value) && value.rfind("ZBX_NOTSUPPORTED", 0) != 0) {
          ++ok;
        } else {
          ++bad;
        }
        if (ok + bad == 1) {
          std::lock_guard<std::mutex> lock(first_mu);
          if (first.empty()) first = value;
        }
      }
      requests += ok;
      errors += bad;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const long long ticks1 = TreeTicks(server);
  const double client_cpu = SelfCpu() - cpu0;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (char& c : first)
    if (c == '\0' || c == ' ') c = '_';
  std::printf(
      "requests=%lld errors=%lld seconds=%.3f rps=%.1f server_cpu=%.3f client_cpu=%.3f "
      "first=%s\n",
      requests.load(), errors.load(), elapsed, requests.load() / elapsed, (ticks1 - ticks0) / hz,
      client_cpu, first.c_str());
  return 0;
}
