// The passive items, one group per test suite: values and not-supported texts as zabbix_agentd
// 6.0.14 gives them (seen through zabbix_get), on fixture /proc trees, temporary files and
// loopback sockets.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "agent/zabbix/cpu_util.h"
#include "agent/zabbix/items.h"
#include "agent/zabbix/latest_values.h"
#include "agent/zabbix/proc_parsers.h"
#include "common/posix.h"
#include "tests/unit/agent/backup_test_store.h"

namespace beacon::agent::zabbix {
namespace {

using backup::testing::TempDir;

class ZabbixItems : public ::testing::Test {
 protected:
  ZabbixItems() : table_(StandardItemTable()) { context_.hostname = "web-01"; }

  std::string Value(const std::string& key) {
    ItemResult r = table_.Run(key, context_);
    EXPECT_TRUE(r.supported) << key << ": " << r.text;
    return r.text;
  }
  std::string Error(const std::string& key) {
    ItemResult r = table_.Run(key, context_);
    EXPECT_FALSE(r.supported) << key << " gave " << r.text;
    return r.text;
  }
  static void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  ItemTable table_;
  ItemContext context_;
};

bool IsUnsigned(const std::string& v) { return std::regex_match(v, std::regex("[0-9]+")); }
bool IsFloat6(const std::string& v) { return std::regex_match(v, std::regex("[0-9]+\\.[0-9]{6}")); }

TEST_F(ZabbixItems, Table) {
  for (const char* key :
       {"agent.ping",        "agent.version",    "agent.hostname",     "system.uptime",
        "system.cpu.load",   "system.cpu.util",  "vm.memory.size",     "vfs.fs.size",
        "vfs.fs.discovery",  "net.tcp.listen",   "net.tcp.port",       "net.if.discovery",
        "net.if.in",         "net.if.out",       "vfs.file.exists",    "vfs.file.size",
        "vfs.file.time",     "vfs.file.cksum",   "vfs.file.md5sum",    "proc.num",
        "beacon.metric",     "beacon.discovery", "beacon.fim.changes", "beacon.ports.unexpected",
        "beacon.backup.age", "beacon.spool.size"}) {
    EXPECT_NE(table_.Find(key), nullptr) << key;
  }
  EXPECT_EQ(Error("bogus.key"), "Unsupported item key.");
  EXPECT_EQ(Error("bad key"), "Invalid item key format.");
  EXPECT_EQ(table_.Find("vfs.file.cksum")->cost, ItemCost::kSlow);
  EXPECT_EQ(table_.Find("agent.ping")->cost, ItemCost::kInstant);
  EXPECT_EQ(table_.Find("net.tcp.listen")->cost, ItemCost::kInstant);
  EXPECT_EQ(table_.Find("system.uptime")->cost, ItemCost::kCheap);
}

TEST_F(ZabbixItems, AgentAndSystem) {
  EXPECT_EQ(Value("agent.ping"), "1");
  EXPECT_EQ(Value("agent.version"), "6.0.14");
  EXPECT_EQ(Value("agent.hostname"), "web-01");
  EXPECT_EQ(Error("agent.ping[]"), "Item does not allow parameters.");
  EXPECT_EQ(Error("agent.hostname[x]"), "Item does not allow parameters.");
  EXPECT_TRUE(IsUnsigned(Value("system.uptime")));
  EXPECT_EQ(Error("system.uptime[x]"), "Item does not allow parameters.");
  EXPECT_TRUE(IsFloat6(Value("system.cpu.load")));
  EXPECT_TRUE(IsFloat6(Value("system.cpu.load[percpu,avg5]")));
  EXPECT_TRUE(IsFloat6(Value("system.cpu.load[all,avg15]")));
  EXPECT_EQ(Error("system.cpu.load[bogus]"), "Invalid first parameter.");
  EXPECT_EQ(Error("system.cpu.load[,bogus]"), "Invalid second parameter.");
  EXPECT_EQ(Error("system.cpu.load[a,b,c]"), "Too many parameters.");
}

TEST_F(ZabbixItems, CpuUtilFromTheCollectorHistory) {
  CpuUtilCollector cpu("/nonexistent");
  context_.cpu = &cpu;
  EXPECT_EQ(Error("system.cpu.util[x]"), "Invalid first parameter.");
  EXPECT_EQ(Error("system.cpu.util[,bogus]"), "Invalid second parameter.");
  EXPECT_EQ(Error("system.cpu.util[,,avg99]"), "Invalid third parameter.");
  EXPECT_EQ(Error("system.cpu.util[all,user,avg1,logical]"), "Too many parameters.");
  EXPECT_EQ(Value("system.cpu.util"), "0.000000");  // no history yet, like a fresh agentd
  // 61 samples one second apart: user grows 30 of every 100 jiffies, guest (inside user) 10.
  for (int i = 0; i <= 60; ++i) {
    CpuStat stat;
    const uint64_t t = static_cast<uint64_t>(i) * 100;
    stat.all = {t * 30 / 100, 0, t * 20 / 100, t * 50 / 100, 0, 0, 0, 0, t * 10 / 100, 0};
    stat.cpus[0] = stat.all;
    cpu.AddSample(stat);
  }
  // user without the guest time it includes: 20 of 100; the types add up to 100.
  EXPECT_EQ(Value("system.cpu.util"), "20.000000");
  EXPECT_EQ(Value("system.cpu.util[all,guest]"), "10.000000");
  EXPECT_EQ(Value("system.cpu.util[0,idle,avg5]"), "50.000000");
  EXPECT_EQ(Error("system.cpu.util[99]"), "Cannot obtain CPU information.");
}

TEST_F(ZabbixItems, MemoryFromMeminfo) {
  TempDir dir;
  context_.proc_root = dir.path();
  Write(dir / "meminfo",
        "MemTotal:        1000 kB\nMemFree:          250 kB\nMemAvailable:     600 kB\n"
        "Buffers:           10 kB\nCached:           200 kB\nActive:           300 kB\n"
        "Inactive:         100 kB\nAnonPages:         50 kB\nSlab:              40 kB\n");
  EXPECT_EQ(Value("vm.memory.size"), "1024000");
  EXPECT_EQ(Value("vm.memory.size[free]"), "256000");
  EXPECT_EQ(Value("vm.memory.size[used]"), "768000");
  EXPECT_EQ(Value("vm.memory.size[pused]"), "75.000000");
  EXPECT_EQ(Value("vm.memory.size[available]"), "614400");
  EXPECT_EQ(Value("vm.memory.size[pavailable]"), "60.000000");
  EXPECT_EQ(Value("vm.memory.size[cached]"), "204800");
  EXPECT_EQ(Value("vm.memory.size[slab]"), "40960");
  EXPECT_EQ(Value("vm.memory.size[anon]"), "51200");
  EXPECT_EQ(Error("vm.memory.size[shared]"), "Supported for Linux 2.4 only.");
  EXPECT_EQ(Error("vm.memory.size[bogus]"), "Invalid first parameter.");
  EXPECT_EQ(Error("vm.memory.size[total,x]"), "Too many parameters.");
  // Without MemAvailable (kernels before 3.14): free + buffers + cached.
  Write(dir / "meminfo", "MemTotal: 1000 kB\nMemFree: 250 kB\nBuffers: 10 kB\nCached: 200 kB\n");
  EXPECT_EQ(Value("vm.memory.size[available]"), std::to_string(460 * 1024));
}

TEST_F(ZabbixItems, ProcNumOnAFixtureTree) {
  TempDir dir;
  context_.proc_root = dir.path();
  auto proc = [&](int pid, const std::string& name, char state, int uid,
                  const std::string& cmdline) {
    const std::string base = dir / std::to_string(pid);
    Write(base + "/status", "Name:\t" + name + "\nState:\t" + state + " (x)\nUid:\t" +
                                std::to_string(uid) + "\t" + std::to_string(uid) + "\t0\t0\n");
    Write(base + "/cmdline", cmdline);
  };
  proc(1, "systemd", 'S', 0, std::string("/sbin/init\0splash\0", 18));
  proc(20, "nginx", 'S', 0, std::string("nginx: master\0", 14));
  proc(21, "nginx", 'R', 33, std::string("nginx: worker\0", 14));
  proc(30, "python3", 'Z', 0, std::string("/usr/bin/srv-agent\0--port\0081\0", 29));
  Write(dir / "self/status", "Name:\tignored\n");
  EXPECT_EQ(Value("proc.num[]"), "4");
  EXPECT_EQ(Value("proc.num[nginx]"), "2");
  EXPECT_EQ(Value("proc.num[srv-agent]"), "1");  // basename of argv[0]
  EXPECT_EQ(Value("proc.num[,root]"), "3");
  EXPECT_EQ(Value("proc.num[,no-such-user-here]"), "0");
  EXPECT_EQ(Value("proc.num[,,run]"), "1");
  EXPECT_EQ(Value("proc.num[,,zomb]"), "1");
  EXPECT_EQ(Value("proc.num[,,sleep]"), "2");
  EXPECT_EQ(Value("proc.num[,,,\"--port 8\"]"), "1");
  EXPECT_EQ(Value("proc.num[,,,\"[\"]"), "0");  // a bad pattern matches nothing
  EXPECT_EQ(Error("proc.num[,root,bogus]"), "Invalid third parameter.");
  EXPECT_EQ(Error("proc.num[a,b,c,d,e]"), "Too many parameters.");
}

TEST_F(ZabbixItems, FileChecksums) {
  TempDir dir;
  Write(dir / "digits", "123456789");
  Write(dir / "empty", "");
  EXPECT_EQ(Value("vfs.file.cksum[" + dir / "digits" + "]"), "930766865");  // cksum(1)
  EXPECT_EQ(Value("vfs.file.cksum[" + dir / "digits" + ",crc32]"), "930766865");
  EXPECT_EQ(Value("vfs.file.cksum[" + dir / "empty" + "]"), "4294967295");
  EXPECT_EQ(Value("vfs.file.cksum[" + dir / "digits" + ",md5]"),
            "25f9e794323b453885f5181f1b624d0b");
  EXPECT_EQ(Value("vfs.file.md5sum[" + dir / "digits" + "]"), "25f9e794323b453885f5181f1b624d0b");
  EXPECT_EQ(Value("vfs.file.cksum[" + dir / "digits" + ",sha256]"),
            "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225");
  EXPECT_EQ(Error("vfs.file.cksum[" + dir / "digits" + ",sha1]"), "Invalid second parameter.");
  EXPECT_EQ(Error("vfs.file.cksum[]"), "Invalid first parameter.");
  EXPECT_EQ(Error("vfs.file.cksum[/nope/x]"), "Cannot open file: [2] No such file or directory");
  EXPECT_EQ(Error("vfs.file.cksum[" + dir.path() + ",md5]"), "Cannot read from file.");
  EXPECT_EQ(Error("vfs.file.md5sum[/a,x]"), "Too many parameters.");
  // A file larger than one read chunk hashes the same as in one piece.
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131);
  Write(dir / "big", big);
  PosixCksum crc;
  crc.Update(big.data(), big.size());
  EXPECT_EQ(Value("vfs.file.cksum[" + dir / "big" + "]"), std::to_string(crc.Final()));
}

TEST_F(ZabbixItems, FileChecksumStopsAtTheDeadline) {
  TempDir dir;
  Write(dir / "big", std::string(4 * 1024 * 1024, 'x'));
  context_.deadline_ms = context_.clock->MonotonicMs() - 1;  // already over
  EXPECT_EQ(Error("vfs.file.cksum[" + dir / "big" + ",sha256]"), "Timeout while processing item.");
}

TEST_F(ZabbixItems, FileExistsSizeTime) {
  TempDir dir;
  Write(dir / "file", "a\nb\nc");
  ASSERT_EQ(::symlink((dir / "file").c_str(), (dir / "lnk").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(Value("vfs.file.exists[" + dir / "file" + "]"), "1");
  EXPECT_EQ(Value("vfs.file.exists[" + dir.path() + "]"), "0");
  EXPECT_EQ(Value("vfs.file.exists[" + dir.path() + ",dir]"), "1");
  EXPECT_EQ(Value("vfs.file.exists[" + dir.path() + ",,dir]"), "0");
  EXPECT_EQ(Value("vfs.file.exists[" + dir / "lnk" + "]"), "1");
  EXPECT_EQ(Value("vfs.file.exists[" + dir / "lnk" + ",,sym]"), "0");
  EXPECT_EQ(Value("vfs.file.exists[" + dir / "lnk" + ",sym]"), "1");
  EXPECT_EQ(Value("vfs.file.exists[" + dir / "fifo" + "]"), "0");
  EXPECT_EQ(Value("vfs.file.exists[" + dir / "fifo" + ",fifo]"), "1");
  EXPECT_EQ(Value("vfs.file.exists[" + dir / "nope" + "]"), "0");
  EXPECT_EQ(Value("vfs.file.exists[/dev/null,dev]"), "1");
  EXPECT_EQ(Value("vfs.file.exists[" + dir.path() + ",\"dir,file\"]"), "1");
  EXPECT_EQ(Value("vfs.file.exists[" + dir.path() + ",[file,dir]]"), "1");
  EXPECT_EQ(Error("vfs.file.exists[" + dir.path() + ",bogus]"), "Invalid type \"bogus\".");

  EXPECT_EQ(Value("vfs.file.size[" + dir / "file" + "]"), "5");
  EXPECT_EQ(Value("vfs.file.size[" + dir / "file" + ",lines]"), "2");
  EXPECT_EQ(Error("vfs.file.size[" + dir / "file" + ",bogus]"), "Invalid second parameter.");
  EXPECT_EQ(Error("vfs.file.size"), "Invalid first parameter.");
  EXPECT_EQ(Error("vfs.file.size[/nope/x]"),
            "Cannot obtain file information: [2] No such file or directory");

  struct stat st {};
  ASSERT_EQ(::stat((dir / "file").c_str(), &st), 0);
  EXPECT_EQ(Value("vfs.file.time[" + dir / "file" + "]"), std::to_string(st.st_mtime));
  EXPECT_EQ(Value("vfs.file.time[" + dir / "file" + ",change]"), std::to_string(st.st_ctime));
  EXPECT_EQ(Error("vfs.file.time[" + dir / "file" + ",bogus]"), "Invalid second parameter.");
}

TEST_F(ZabbixItems, FsSizeAndDiscovery) {
  struct statvfs s {};
  ASSERT_EQ(::statvfs("/", &s), 0);
  EXPECT_EQ(Value("vfs.fs.size[/]"), std::to_string(uint64_t(s.f_blocks) * s.f_frsize));
  EXPECT_TRUE(IsUnsigned(Value("vfs.fs.size[/,free]")));
  EXPECT_TRUE(IsUnsigned(Value("vfs.fs.size[/,used]")));
  EXPECT_TRUE(IsFloat6(Value("vfs.fs.size[/,pfree]")));
  EXPECT_TRUE(IsFloat6(Value("vfs.fs.size[/,pused]")));
  EXPECT_EQ(Value("vfs.fs.size[/proc,pfree]"), "0.000000");
  EXPECT_EQ(Error("vfs.fs.size"), "Filesystem name cannot be empty.");
  EXPECT_EQ(Error("vfs.fs.size[/,bogus]"), "Invalid second parameter.");
  EXPECT_EQ(Error("vfs.fs.size[/nonexist]"),
            "Cannot obtain filesystem information: [2] No such file or directory");

  TempDir dir;
  context_.proc_root = dir.path();
  Write(dir / "mounts",
        "proc /proc proc rw 0 0\n/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /mnt/my\\040disk xfs rw 0 0\n");
  EXPECT_EQ(Value("vfs.fs.discovery"),
            R"([{"{#FSNAME}":"/proc","{#FSTYPE}":"proc"},{"{#FSNAME}":"/","{#FSTYPE}":"ext4"},)"
            R"({"{#FSNAME}":"/mnt/my disk","{#FSTYPE}":"xfs"}])");
  EXPECT_EQ(Error("vfs.fs.discovery[x]"), "Item does not allow parameters.");
}

TEST_F(ZabbixItems, NetInterfaces) {
  TempDir dir;
  context_.proc_root = dir.path();
  Write(dir / "net/dev",
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
        "drop fifo colls carrier compressed\n"
        "    lo: 100 2 3 4 5 6 7 8 200 20 30 40 50 60 70 80\n"
        "  eth0: 1 1 0 0 0 0 0 0 2 2 0 0 0 0 0 0\n");
  EXPECT_EQ(Value("net.if.discovery"), R"([{"{#IFNAME}":"lo"},{"{#IFNAME}":"eth0"}])");
  EXPECT_EQ(Value("net.if.in[lo]"), "100");
  EXPECT_EQ(Value("net.if.in[lo,packets]"), "2");
  EXPECT_EQ(Value("net.if.in[lo,errors]"), "3");
  EXPECT_EQ(Value("net.if.in[lo,dropped]"), "4");
  EXPECT_EQ(Value("net.if.in[lo,multicast]"), "8");
  EXPECT_EQ(Value("net.if.out[lo]"), "200");
  EXPECT_EQ(Value("net.if.out[lo,dropped]"), "40");
  EXPECT_EQ(Value("net.if.out[lo,collisions]"), "60");
  EXPECT_EQ(Error("net.if.in[lo,bogus]"), "Invalid second parameter.");
  EXPECT_EQ(Error("net.if.in[]"), "Network interface name cannot be empty.");
  EXPECT_EQ(Error("net.if.in[lo,bytes,x]"), "Too many parameters.");
  EXPECT_EQ(Error("net.if.in[nope]"),
            "Cannot find information for this network interface in /proc/net/dev.");
}

TEST_F(ZabbixItems, TcpListenAndPort) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  EXPECT_EQ(Value("net.tcp.listen[" + port + "]"), "0");  // bound, not listening
  ASSERT_EQ(::listen(fd.get(), 4), 0);
  EXPECT_EQ(Value("net.tcp.listen[" + port + "]"), "1");
  context_.deadline_ms = context_.clock->MonotonicMs() + 2000;
  EXPECT_EQ(Value("net.tcp.port[," + port + "]"), "1");
  EXPECT_EQ(Value("net.tcp.port[localhost," + port + "]"), "1");
  fd.reset();
  EXPECT_EQ(Value("net.tcp.port[127.0.0.1," + port + "]"), "0");
  EXPECT_EQ(Value("net.tcp.port[nonexistent.invalid,80]"), "0");
  EXPECT_EQ(Error("net.tcp.listen"), "Invalid first parameter.");
  EXPECT_EQ(Error("net.tcp.listen[70000]"), "Invalid first parameter.");
  EXPECT_EQ(Error("net.tcp.listen[1,2]"), "Too many parameters.");
  EXPECT_EQ(Error("net.tcp.port[,]"), "Invalid second parameter.");
  EXPECT_EQ(Error("net.tcp.port[,abc]"), "Invalid second parameter.");
}

wire::Record ZbxSample(const std::string& metric, double value,
                       std::map<std::string, std::string> labels = {}, int64_t ts = 1000) {
  wire::Record r;
  r.type = wire::RecordType::kSample;
  r.ts_ms = ts;
  r.sample.metric = metric;
  r.sample.value = value;
  r.sample.labels = std::move(labels);
  return r;
}

TEST_F(ZabbixItems, BeaconItems) {
  EXPECT_EQ(Error("beacon.metric[system,system.cpu.util]"), "Beacon metrics are not available.");
  LatestValues latest({{"system.fs.util", "system"}, {"fim.changes", "fim"}});
  context_.beacon.latest = &latest;
  latest.Observe({ZbxSample("system.fs.util", 41.5, {{"mount", "/"}}),
                  ZbxSample("system.fs.util", 7, {{"mount", "/data"}}),
                  ZbxSample("system.fs.util", 99, {{"mount", "/"}}, 500),  // older: ignored
                  ZbxSample("fim.changes", 3), ZbxSample("ports.unexpected", 2)});
  EXPECT_EQ(Value("beacon.metric[system,system.fs.util,mount=/]"), "41.5");
  EXPECT_EQ(Value("beacon.metric[system,system.fs.util,\"mount=/data\"]"), "7");
  EXPECT_EQ(Value("beacon.fim.changes"), "3");
  EXPECT_EQ(Value("beacon.ports.unexpected"), "2");  // not declared: input by name prefix
  EXPECT_NE(Error("beacon.metric[system,system.nope]").find("No value of \"system.nope\""),
            std::string::npos);
  EXPECT_EQ(Error("beacon.metric[system]"), "Invalid second parameter.");
  EXPECT_EQ(Error("beacon.metric[system,system.fs.util,nolabel]"), "Invalid third parameter.");
  auto rows = nlohmann::json::parse(Value("beacon.discovery[system]"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["{#METRIC}"], "system.fs.util");
  EXPECT_EQ(rows[0]["{#LABEL.MOUNT}"], "/");
  EXPECT_EQ(rows[0]["{#LABELS}"], "\"mount=/\"");
  EXPECT_EQ(nlohmann::json::parse(Value("beacon.discovery")).size(), 4u);

  EXPECT_EQ(Error("beacon.spool.size"), "The spool is not open.");
  context_.beacon.spool_pending_bytes = [] { return Result<int64_t>(4096); };
  EXPECT_EQ(Value("beacon.spool.size"), "4096");
  EXPECT_EQ(Error("beacon.backup.age[etc]"), "Backups are not configured.");
  const int64_t now = context_.clock->NowMs();
  context_.beacon.backup_last_success_ms =
      [now](const std::string& set) -> Result<std::optional<int64_t>> {
    if (set == "etc") return std::optional<int64_t>(now - 90'500);
    if (set == "new") return std::optional<int64_t>();
    return Status::NotFound("No backup set \"" + set + "\" is configured.");
  };
  const int64_t age = std::stoll(Value("beacon.backup.age[etc]"));
  EXPECT_GE(age, 90);
  EXPECT_LE(age, 92);
  EXPECT_EQ(Error("beacon.backup.age[new]"), "Backup set \"new\" has not completed yet.");
  EXPECT_EQ(Error("beacon.backup.age[x]"), "No backup set \"x\" is configured.");
}

TEST(ZabbixProcParsers, CksumAndNetDevAndStat) {
  PosixCksum crc;
  crc.Update("123456789", 9);
  EXPECT_EQ(crc.Final(), 930766865u);
  auto stat = ParseCpuStat("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1\ncpu1 2 2 2 2\nintr 5\n");
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->all[9], 10u);
  EXPECT_EQ(stat->cpus.size(), 2u);
  EXPECT_FALSE(ParseCpuStat("intr 5\n").has_value());
  EXPECT_FALSE(ParseCpuStat("cpu x\n").has_value());
  EXPECT_TRUE(ParseNetDev("garbage\n  x: 1 2\n").empty());
  EXPECT_EQ(JoinCmdline(std::string("a\0b\0\0", 5)), "a b");
}

}  // namespace
}  // namespace beacon::agent::zabbix
