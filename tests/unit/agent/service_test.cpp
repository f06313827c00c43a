// AgentService wiring: a running service spools what its backup pipeline stores (the collector
// is unreachable, so the uplink keeps the records) and records the state only after that; a
// spool or backup state that cannot be opened fails Start with nothing left running.
#include "agent/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/cloud/objstore/store_config.h"
#include "common/wire/backup.h"

namespace beacon::agent {
namespace {

namespace fs = std::filesystem;

class AgentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("beacon-agent-service-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "files");
    std::ofstream(dir_ / "token") << "agent-token\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Port 1 on loopback: nothing listens, so every record stays in the spool.
  Result<AgentConfig> Config(const std::string& data_dir) {
    const std::string yaml =
        "agent:\n  name: svc-test\n  data_dir: " + data_dir +
        "\ncollector:\n  url: http://127.0.0.1:1\n  token_file: " + (dir_ / "token").string() +
        "\ninputs:\n  system:\n    enabled: false\n"
        "log:\n  level: warn\n"
        "backup:\n  stores:\n    disk:\n      type: local\n      path: " +
        (dir_ / "store").string() + "\n  sets:\n    - name: files\n" + "      paths: [" +
        (dir_ / "files").string() + "]\n" + "      store: disk\n      debounce: 20ms\n";
    return LoadAgentConfigFromString(yaml, "service_test.yaml");
  }

  // The backup.version records in the spool.
  static std::vector<wire::BackupVersion> SpooledVersions(Spool& spool) {
    std::vector<wire::BackupVersion> out;
    auto records = spool.Peek(100000, int64_t{1} << 40);
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    if (!records.ok()) return out;
    for (const SpooledRecord& r : *records) {
      auto record = wire::DecodeRecord(nlohmann::json::parse(r.payload));
      if (!record.ok() || record->type != wire::RecordType::kEvent ||
          record->event.kind != wire::kBackupVersionKind) {
        continue;
      }
      auto version = wire::BackupVersionFromJson(record->event.data);
      EXPECT_TRUE(version.ok()) << version.status().ToString();
      if (version.ok()) out.push_back(*version);
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(AgentServiceTest, BackedUpFilesAreSpooledThenRecorded) {
  auto cfg = Config((dir_ / "data").string());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const std::string path = (dir_ / "files" / "app.conf").string();
  std::ofstream(path) << "listen 8080\n";
  std::vector<wire::BackupVersion> versions;
  {
    AgentService service(*cfg, SystemClock::Instance());
    ASSERT_TRUE(service.Start().ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (versions.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      versions = SpooledVersions(*service.spool());
    }
    service.Stop();
    service.Stop();  // idempotent
  }
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].path, path);
  EXPECT_EQ(versions[0].set, "files");
  EXPECT_EQ(versions[0].store, "disk");
  // The state row follows the spooled record, and the object is in the store.
  auto state = backup::BackupState::Open((dir_ / "data" / "backup" / "state.db").string());
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  auto file = (*state)->GetFile("files", path);
  ASSERT_TRUE(file.ok() && file->has_value());
  EXPECT_EQ((*file)->key, versions[0].key);
  auto store = objstore::NewObjectStore(cfg->backup.stores.at("disk"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto head = (*store)->Head(versions[0].key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, versions[0].stored_size);
}

TEST_F(AgentServiceTest, BackupStateThatCannotBeOpenedFailsTheStart) {
  fs::create_directories(dir_ / "data");
  std::ofstream(dir_ / "data" / "backup") << "a file where the backup directory belongs\n";
  auto cfg = Config((dir_ / "data").string());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  AgentService service(*cfg, SystemClock::Instance());
  Status started = service.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.message().rfind("cannot start backups: ", 0), 0u) << started.message();
  EXPECT_NE(started.message().find("state.db"), std::string::npos) << started.message();
  service.Stop();  // nothing was left running
}

TEST_F(AgentServiceTest, SpoolThatCannotBeOpenedFailsTheStart) {
  std::ofstream(dir_ / "not-a-dir") << "x\n";
  auto cfg = Config((dir_ / "not-a-dir" / "data").string());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  AgentService service(*cfg, SystemClock::Instance());
  Status started = service.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.message().rfind("cannot open the spool: ", 0), 0u) << started.message();
}

}  // namespace
}  // namespace beacon::agent
