// RestoreHandler: "restore" commands decoded and routed to the named store, progress paced by
// the injected clock, the operator's result line, errors passed through; and end to end with
// the real RestoreVersion from an in-memory store into a temp restore root.
#include "agent/backup/restore_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/compress/zstd.h"
#include "common/crypto/crypto.h"
#include "tests/support/memory_object_store.h"

namespace beacon::agent::backup {
namespace {

namespace fs = std::filesystem;
constexpr uint64_t kMiB = 1024 * 1024;

wire::Command RestoreCommand(const wire::BackupVersion& version, const std::string& target) {
  wire::Command command;
  command.id = 12;
  command.kind = "restore";
  command.args = wire::RestoreArgsToJson({version, target});
  return command;
}

wire::BackupVersion Version(uint64_t size) {
  wire::BackupVersion version;
  version.set = "app";
  version.path = "/srv/app/app.yaml";
  version.size = size;
  version.mtime_ns = 1'700'000'000'000'000'000;
  version.mode = 0640;
  version.sha256 = std::string(64, 'a');
  version.store = "oss-main";
  version.key = "beacon/web-01/srv/app/app.yaml@20261126T055641Z-aaaaaaaaaaaa.zst";
  version.created_ms = 1'795'672'620'000;
  return version;
}

class RestoreHandlerTest : public testing::Test {
 protected:
  // Collects what the handler reports.
  CommandReportFn Recorder() {
    return [this](const wire::CommandUpdate& update) {
      reports_.push_back(update);
      return Status::Ok();
    };
  }

  FakeClock clock_;
  fakes::MemoryObjectStore store_{"oss-main"};
  std::vector<wire::CommandUpdate> reports_;
};

TEST_F(RestoreHandlerTest, ProgressIsPacedByTheClockAndTheResultLineNamesPathSizeAndTarget) {
  int calls = 0;
  RestoreFn fake = [&](const wire::RestoreArgs& args, objstore::ObjectStore& store,
                       const RestoreOptions& options, const RestoreProgressFn& progress) {
    ++calls;
    EXPECT_EQ(&store, &store_);
    EXPECT_EQ(args.target, "/restore/srv/app/app.yaml");
    EXPECT_EQ(options.roots, std::vector<std::string>{"/restore"});
    // Ten chunks, 200 ms apart.
    for (uint64_t i = 1; i <= 10; ++i) {
      progress({i * kMiB, 10 * kMiB});
      clock_.AdvanceMs(200);
    }
    return Status::Ok();
  };
  RestoreOptions options;
  options.roots = {"/restore"};
  RestoreHandler handler({{"oss-main", &store_}}, options, clock_, fake);
  Status status =
      handler.Handle(RestoreCommand(Version(10 * kMiB), "/restore/srv/app/app.yaml"), Recorder());
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(calls, 1);

  // Reports at t = 0 (the first), 600, 1200 and 1800 ms: never two within 500 ms.
  std::vector<uint64_t> done;
  for (const auto& r : reports_) {
    if (r.state == "running") {
      done.push_back(r.done_bytes / kMiB);
      EXPECT_EQ(r.total_bytes, 10 * kMiB);
    }
  }
  EXPECT_EQ(done, (std::vector<uint64_t>{1, 4, 7, 10}));
  ASSERT_FALSE(reports_.empty());
  const wire::CommandUpdate& last = reports_.back();
  EXPECT_EQ(last.state, "succeeded");
  EXPECT_EQ(last.message,
            "restored /srv/app/app.yaml (10.0 MiB) to /restore/srv/app/app.yaml, sha256 verified");
  EXPECT_EQ(last.done_bytes, 10 * kMiB);
  EXPECT_EQ(last.result["target"], "/restore/srv/app/app.yaml");
}

TEST_F(RestoreHandlerTest, UnknownStoreFailsNamingItWithoutRestoring) {
  bool called = false;
  RestoreFn fake = [&](const wire::RestoreArgs&, objstore::ObjectStore&, const RestoreOptions&,
                       const RestoreProgressFn&) {
    called = true;
    return Status::Ok();
  };
  RestoreHandler handler({{"oss-main", &store_}}, {}, clock_, fake);
  wire::BackupVersion version = Version(10);
  version.store = "s3-archive";
  Status status = handler.Handle(RestoreCommand(version, "/srv/app/app.yaml"), Recorder());
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("'s3-archive'"), std::string::npos) << status.message();
  EXPECT_FALSE(called);
  EXPECT_TRUE(reports_.empty());
}

TEST_F(RestoreHandlerTest, MalformedArgumentsAreRejected) {
  RestoreHandler handler({{"oss-main", &store_}}, {}, clock_);
  wire::Command command;
  command.id = 3;
  command.kind = "restore";
  command.args = {{"target", "/srv/x"}};
  Status status = handler.Handle(command, Recorder());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("bad restore arguments"), std::string::npos);
  EXPECT_NE(status.message().find("version"), std::string::npos) << status.message();
}

TEST_F(RestoreHandlerTest, RestoreErrorIsPassedThroughAndNothingIsReportedAsSucceeded) {
  RestoreFn fake = [&](const wire::RestoreArgs&, objstore::ObjectStore&, const RestoreOptions&,
                       const RestoreProgressFn& progress) {
    progress({4, 10});
    return Status::Corruption("sha256 mismatch for /srv/app/app.yaml: the stored copy is damaged");
  };
  RestoreHandler handler({{"oss-main", &store_}}, {}, clock_, fake);
  Status status = handler.Handle(RestoreCommand(Version(10), "/srv/app/app.yaml"), Recorder());
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(status.message(), "sha256 mismatch for /srv/app/app.yaml: the stored copy is damaged");
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0].state, "running");
}

// End to end with the real RestoreVersion: compressed object in the store -> file on disk.
class RestoreHandlerEndToEndTest : public RestoreHandlerTest {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() / ("beacon-restore-handler-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    root_ = fs::canonical(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  wire::BackupVersion StoreContent(const std::string& content) {
    wire::BackupVersion version = Version(content.size());
    version.sha256 = crypto::Sha256Hex(content);
    std::string body = compress::ZstdCompress(content);
    version.stored_size = body.size();
    EXPECT_TRUE(store_.Put(version.key, body, {}).ok());
    return version;
  }

  fs::path root_;
};

TEST_F(RestoreHandlerEndToEndTest, WritesTheVerifiedFileBelowTheRoot) {
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + " of app.yaml\n";
  wire::BackupVersion version = StoreContent(content);
  RestoreOptions options;
  options.roots = {root_.string()};
  options.chunk_bytes = 64 * 1024;
  RestoreHandler handler({{"oss-main", &store_}}, options, clock_);
  const std::string target = (root_ / "srv/app/app.yaml").string();
  Status status = handler.Handle(RestoreCommand(version, target), Recorder());
  ASSERT_TRUE(status.ok()) << status.ToString();

  std::ifstream in(target, std::ios::binary);
  std::stringstream restored;
  restored << in.rdbuf();
  EXPECT_EQ(restored.str(), content);
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all, static_cast<fs::perms>(0640));
  ASSERT_FALSE(reports_.empty());
  EXPECT_EQ(reports_.back().state, "succeeded");
  EXPECT_EQ(reports_.back().message, "restored /srv/app/app.yaml (" +
                                         RestoreSizeText(content.size()) + ") to " + target +
                                         ", sha256 verified");
}

TEST_F(RestoreHandlerEndToEndTest, ASetIdFileIsRestoredWithoutItsSetIdBitsAndSaysSo) {
  wire::BackupVersion version = StoreContent("#!/bin/sh\nexec id\n");
  version.mode = 04755;
  RestoreOptions options;
  options.roots = {root_.string()};
  RestoreHandler handler({{"oss-main", &store_}}, options, clock_);
  const std::string target = (root_ / "bin/tool").string();
  ASSERT_TRUE(handler.Handle(RestoreCommand(version, target), Recorder()).ok());
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::mask, static_cast<fs::perms>(0755));
  ASSERT_FALSE(reports_.empty());
  EXPECT_NE(reports_.back().message.find(
                "; set-user-ID/set-group-ID bits removed (restore.allow_setid is off)"),
            std::string::npos)
      << reports_.back().message;
}

TEST_F(RestoreHandlerEndToEndTest, TargetOutsideTheRestoreRootsIsRefusedAndNotWritten) {
  wire::BackupVersion version = StoreContent("secret: 1\n");
  RestoreOptions options;
  options.roots = {(root_ / "allowed").string()};
  fs::create_directories(root_ / "allowed");
  RestoreHandler handler({{"oss-main", &store_}}, options, clock_);
  const std::string target = (root_ / "elsewhere/app.yaml").string();
  Status status = handler.Handle(RestoreCommand(version, target), Recorder());
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.ToString();
  EXPECT_FALSE(fs::exists(target));
  for (const auto& r : reports_) EXPECT_NE(r.state, "succeeded");
}

TEST(RestoreSizeTextTest, UsesBinaryUnitsWithOneDecimal) {
  EXPECT_EQ(RestoreSizeText(0), "0 B");
  EXPECT_EQ(RestoreSizeText(1023), "1023 B");
  EXPECT_EQ(RestoreSizeText(1536), "1.5 KiB");
  EXPECT_EQ(RestoreSizeText(12 * kMiB), "12.0 MiB");
}

}  // namespace
}  // namespace beacon::agent::backup
