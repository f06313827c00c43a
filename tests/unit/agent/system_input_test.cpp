// System input: the /proc parsers on fixture files, and a whole Gather() over a fixture /proc
// tree with a fake statvfs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/inputs/system/parsers.h"
#include "agent/inputs/system/system.h"

namespace beacon::agent::inputs {
namespace {

const std::string kProc = std::string(BEACON_FIXTURES_DIR) + "/agent/proc";

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ProcStat, ParsesAggregateCpuLine) {
  auto cpu = system::ParseProcStat(Read(kProc + "/stat"));
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  EXPECT_EQ(cpu->user, 10000u);
  EXPECT_EQ(cpu->nice, 500u);
  EXPECT_EQ(cpu->system, 3000u);
  EXPECT_EQ(cpu->idle, 80000u);
  EXPECT_EQ(cpu->iowait, 1000u);
  EXPECT_EQ(cpu->steal, 0u);
}

TEST(ProcStat, RejectsMissingOrBrokenCpuLine) {
  EXPECT_FALSE(system::ParseProcStat("intr 1 2 3\n").ok());
  EXPECT_FALSE(system::ParseProcStat("cpu  1 2 x 4 5\n").ok());
}

TEST(ProcStat, CpuPercentBetweenSnapshots) {
  auto a = system::ParseProcStat(Read(kProc + "/stat"));
  auto b = system::ParseProcStat(Read(kProc + "/stat.2"));
  ASSERT_TRUE(a.ok() && b.ok());
  // Deltas: user 600, system 300, idle 800, iowait 100, steal 200; 2000 in all.
  auto util = system::CpuUtilPercent(*a, *b);
  EXPECT_DOUBLE_EQ(util["user"], 30.0);
  EXPECT_DOUBLE_EQ(util["system"], 15.0);
  EXPECT_DOUBLE_EQ(util["iowait"], 5.0);
  EXPECT_DOUBLE_EQ(util["steal"], 10.0);
  EXPECT_DOUBLE_EQ(util["idle"], 40.0);
  EXPECT_DOUBLE_EQ(util["total"], 55.0);
  // No time elapsed or counters reset (reboot): nothing rather than nonsense.
  EXPECT_TRUE(system::CpuUtilPercent(*a, *a).empty());
  EXPECT_TRUE(system::CpuUtilPercent(*b, *a).empty());
}

TEST(LoadAvg, Parses) {
  auto load = system::ParseLoadAvg(Read(kProc + "/loadavg"));
  ASSERT_TRUE(load.ok()) << load.status().ToString();
  EXPECT_DOUBLE_EQ(load->load1, 0.52);
  EXPECT_DOUBLE_EQ(load->load5, 0.58);
  EXPECT_DOUBLE_EQ(load->load15, 1.59);
  EXPECT_EQ(load->runnable, 2);
  EXPECT_EQ(load->threads, 1234);
  EXPECT_FALSE(system::ParseLoadAvg("0.1 0.2\n").ok());
  EXPECT_FALSE(system::ParseLoadAvg("0.1 0.2 0.3 7 9\n").ok());
}

TEST(MemInfo, UsesMemAvailable) {
  auto mem = system::ParseMemInfo(Read(kProc + "/meminfo"));
  ASSERT_TRUE(mem.ok()) << mem.status().ToString();
  EXPECT_EQ(mem->total_bytes, 8'192'000'000);
  EXPECT_EQ(mem->available_bytes, 6'144'000'000);
  EXPECT_EQ(mem->used_bytes, 2'048'000'000);
  EXPECT_DOUBLE_EQ(mem->util_percent, 25.0);
  EXPECT_EQ(mem->swap_total_bytes, 2'048'000'000);
  EXPECT_EQ(mem->swap_used_bytes, 512'000'000);
}

TEST(MemInfo, OldKernelWithoutMemAvailable) {
  auto mem = system::ParseMemInfo(Read(kProc + "/meminfo.old_kernel"));
  ASSERT_TRUE(mem.ok()) << mem.status().ToString();
  EXPECT_EQ(mem->available_bytes, (500'000 + 100'000 + 2'000'000) * 1024LL);
  EXPECT_EQ(mem->used_bytes, 8'192'000'000 - 2'662'400'000);
  EXPECT_EQ(mem->swap_total_bytes, 0);
  EXPECT_FALSE(system::ParseMemInfo("MemFree: 1 kB\n").ok());
}

TEST(Uptime, Parses) {
  auto up = system::ParseUptime(Read(kProc + "/uptime"));
  ASSERT_TRUE(up.ok());
  EXPECT_DOUBLE_EQ(*up, 12345.67);
  EXPECT_FALSE(system::ParseUptime("soon\n").ok());
}

TEST(Processes, CountsNumericEntries) {
  EXPECT_EQ(system::CountPidEntries({"1", "42", "self", "stat", "4711", "1a", ""}), 3);
}

TEST(Mounts, KeepsDataFilesystemsOnce) {
  auto mounts = system::ParseMounts(Read(kProc + "/self/mounts"));
  std::vector<std::string> points;
  for (const auto& m : mounts) points.push_back(m.mount_point + " " + m.fs_type);
  // Pseudo filesystems, tmpfs and NFS skipped; /dev/vda1's bind mount reported once at "/";
  // "\040" decoded to a space.
  EXPECT_EQ(points, (std::vector<std::string>{"/ ext4", "/boot/efi vfat", "/data disk xfs",
                                              "/srv/btrfs btrfs"}));
}

TEST(Mounts, OverlayRootIsKept) {
  auto mounts = system::ParseMounts(
      "overlay / overlay rw,lowerdir=/a 0 0\n"
      "/dev/sda1 /etc/hosts ext4 rw 0 0\n");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].mount_point, "/");
  EXPECT_EQ(mounts[1].mount_point, "/etc/hosts");
}

TEST(FsUsage, ComputesLikeDf) {
  system::FsRaw raw;
  raw.fragment_size = 4096;
  raw.blocks = 1000;
  raw.blocks_free = 300;       // includes the root reserve
  raw.blocks_available = 250;  // what users can still write
  raw.files = 200;
  raw.files_free = 150;
  auto u = system::ComputeFsUsage(raw);
  EXPECT_EQ(u.size_bytes, 4'096'000);
  EXPECT_EQ(u.used_bytes, 700 * 4096);
  EXPECT_EQ(u.free_bytes, 250 * 4096);
  EXPECT_DOUBLE_EQ(u.util_percent, 100.0 * 700 / 950);
  EXPECT_TRUE(u.has_inodes);
  EXPECT_EQ(u.inodes_total, 200);
  EXPECT_EQ(u.inodes_used, 50);
  EXPECT_DOUBLE_EQ(u.inodes_util_percent, 25.0);
  raw.files = 0;  // btrfs reports no inode table
  EXPECT_FALSE(system::ComputeFsUsage(raw).has_inodes);
}

// Copies the fixture tree so the test can swap /proc/stat between gathers.
class SystemGather : public testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("beacon-proc-" + std::to_string(getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::copy(kProc, root_, std::filesystem::copy_options::recursive);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static Result<system::FsRaw> FakeStatFs(const std::string& mount) {
    if (mount == "/srv/btrfs") return Status::IoError("statvfs /srv/btrfs: Permission denied");
    system::FsRaw raw;
    raw.fragment_size = 1024;
    raw.blocks = 100;
    raw.blocks_free = 40;
    raw.blocks_available = 40;
    raw.files = mount == "/boot/efi" ? 0 : 10;
    raw.files_free = 5;
    return raw;
  }

  std::map<std::string, double> Values(const std::vector<wire::Record>& records) {
    std::map<std::string, double> out;
    for (const auto& r : records) {
      std::string key = r.sample.metric;
      for (const auto& [k, v] : r.sample.labels) key += "{" + k + "=" + v + "}";
      out[key] = r.sample.value;
    }
    return out;
  }

  std::filesystem::path root_;
};

TEST_F(SystemGather, EmitsEveryMetricAndReportsWhatFailed) {
  FakeClock clock;
  SystemInput input(root_.string(), FakeStatFs);
  Emitter first(clock);
  Status s = input.Gather(first);
  // One filesystem could not be read: reported, and everything else still emitted.
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(), "statvfs /srv/btrfs: Permission denied");
  auto v = Values(first.records());
  EXPECT_EQ(v.count("system.cpu.util"), 0u);  // needs two snapshots
  EXPECT_DOUBLE_EQ(v["system.load1"], 0.52);
  EXPECT_DOUBLE_EQ(v["system.load15"], 1.59);
  EXPECT_DOUBLE_EQ(v["system.processes"], 3);
  EXPECT_DOUBLE_EQ(v["system.mem.total"], 8'192'000'000.0);
  EXPECT_DOUBLE_EQ(v["system.mem.util"], 25.0);
  EXPECT_DOUBLE_EQ(v["system.swap.used"], 512'000'000.0);
  EXPECT_DOUBLE_EQ(v["system.uptime"], 12345.67);
  EXPECT_DOUBLE_EQ(v["system.fs.size{mount=/}"], 102'400.0);
  EXPECT_DOUBLE_EQ(v["system.fs.util{mount=/data disk}"], 60.0);
  EXPECT_DOUBLE_EQ(v["system.fs.inodes.util{mount=/}"], 50.0);
  EXPECT_EQ(v.count("system.fs.inodes.total{mount=/boot/efi}"), 0u);
  EXPECT_EQ(v.count("system.fs.size{mount=/srv/btrfs}"), 0u);
  for (const auto& r : first.records()) EXPECT_EQ(r.ts_ms, clock.NowMs());

  std::filesystem::copy_file(root_ / "stat.2", root_ / "stat",
                             std::filesystem::copy_options::overwrite_existing);
  Emitter second(clock);
  (void)input.Gather(second);
  auto v2 = Values(second.records());
  EXPECT_DOUBLE_EQ(v2["system.cpu.util"], 55.0);
  EXPECT_DOUBLE_EQ(v2["system.cpu.util{mode=user}"], 30.0);
  EXPECT_DOUBLE_EQ(v2["system.cpu.util{mode=steal}"], 10.0);
}

TEST_F(SystemGather, EveryEmittedMetricIsDeclared) {
  FakeClock clock;
  SystemInput input(root_.string(), FakeStatFs);
  Emitter a(clock), b(clock);
  (void)input.Gather(a);
  (void)input.Gather(b);
  std::set<std::string> declared;
  for (const auto& m : input.metrics()) declared.insert(m.name);
  for (const auto& r : b.records()) EXPECT_TRUE(declared.count(r.sample.metric)) << r.sample.metric;
}

TEST(SystemInputLive, GathersThisHost) {
  FakeClock clock;
  SystemInput input;  // the real /proc and statvfs
  Emitter a(clock), b(clock);
  (void)input.Gather(a);
  (void)input.Gather(b);
  std::set<std::string> seen;
  for (const auto& r : b.records()) seen.insert(r.sample.metric);
  for (const char* m : {"system.load1", "system.mem.total", "system.uptime", "system.processes"}) {
    EXPECT_TRUE(seen.count(m)) << m;
  }
}

}  // namespace
}  // namespace beacon::agent::inputs
