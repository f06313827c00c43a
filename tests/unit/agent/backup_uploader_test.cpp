// Uploader: real files in temp dirs against an in-memory store. Small and multipart files
// restore byte-identical with mode and mtime; unchanged content is not uploaded again; a file
// changed during its upload leaves nothing behind; a failed multipart resumes with only the
// missing parts; encryption; the bandwidth limiter.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "agent/backup/object_format.h"
#include "agent/backup/restore.h"
#include "agent/backup/uploader.h"
#include "backup_test_store.h"
#include "common/cloud/objstore/store_config.h"
#include "common/crypto/crypto.h"

namespace beacon::agent::backup {
namespace {

using testing::AppendFile;
using testing::LogText;
using testing::MemoryStore;
using testing::NoiseBytes;
using testing::Op;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr uint64_t kKiB = 1024;

class UploaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = BackupState::Open(dir_ / "data/backup/state.db");
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(state).value();
    options_.multipart_threshold = 256 * kKiB;
    options_.part_size = 256 * kKiB;
    options_.read_chunk = 64 * kKiB;
    set_.name = "app";
    set_.paths = {dir_ / "src"};
    set_.store = "memory";
    set_.key_prefix = "beacon";
    uploader_ = std::make_unique<Uploader>(store_, *state_, clock_, "web-01", nullptr, options_);
    std::filesystem::create_directories(dir_ / "restore");  // roots exist; below them is made
  }

  std::string Src(std::string_view rel) { return dir_ / ("src/" + std::string(rel)); }

  void EnableEncryption(std::string key) {
    set_.encryption.enabled = true;
    set_.encryption.key = std::move(key);
    set_.encryption.key_id = EncryptionKeyId(set_.encryption.key);
  }

  // Backs `path` up through `uploader` and, for a stored version, records it in the state as
  // CommitVersions does once the catalog record is spooled.
  Result<UploadOutcome> BackupAndRecord(Uploader& uploader, const std::string& path) {
    auto r = uploader.BackupDeferRecord(set_, path);
    if (r.ok() && r->kind == UploadOutcome::kStored) {
      BEACON_RETURN_IF_ERROR(state_->RecordStored(set_.name, path, r->record, clock_.NowMs()));
    }
    return r;
  }
  Result<UploadOutcome> BackupAndRecord(const std::string& path) {
    return BackupAndRecord(*uploader_, path);
  }

  UploadOutcome MustBackup(const std::string& path) {
    auto r = BackupAndRecord(path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : UploadOutcome{};
  }

  // Restores `version` below <dir>/restore and returns the restored path.
  Result<std::string> RestoreTo(const wire::BackupVersion& version, std::string_view rel,
                                std::map<std::string, std::string> keys = {}) {
    wire::RestoreArgs args;
    args.version = version;
    args.target = dir_ / ("restore/" + std::string(rel));
    RestoreOptions options;
    options.roots = {dir_ / "restore"};
    options.keys_by_id = std::move(keys);
    options.chunk_bytes = 100 * kKiB;
    BEACON_RETURN_IF_ERROR(RestoreVersion(args, store_, options, nullptr));
    return args.target;
  }

  static void SetMtime(const std::string& path, int64_t sec, int64_t nsec) {
    struct timespec times[2] = {{0, UTIME_OMIT}, {sec, nsec}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  TempDir dir_;
  MemoryStore store_{"memory", 64 * kKiB};
  FakeClock clock_{1795670701000};
  std::unique_ptr<BackupState> state_;
  UploaderOptions options_;
  BackupSetConfig set_;
  std::unique_ptr<Uploader> uploader_;
};

TEST_F(UploaderTest, SmallFileIsStoredWithCatalogRecordAndRestoresIdentically) {
  const std::string path = Src("conf/app.yaml");
  const std::string content = LogText(100 * kKiB);
  WriteFile(path, content);
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  SetMtime(path, 1'700'000'000, 123'456'789);

  UploadOutcome out = MustBackup(path);
  ASSERT_EQ(out.kind, UploadOutcome::kStored) << out.detail;
  const wire::BackupVersion& v = out.version;
  EXPECT_EQ(v.set, "app");
  EXPECT_EQ(v.path, path);
  EXPECT_EQ(v.size, content.size());
  EXPECT_EQ(v.sha256, crypto::Sha256Hex(content));
  EXPECT_EQ(v.mode, 0640u);
  EXPECT_EQ(v.mtime_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(v.uid, getuid());
  EXPECT_EQ(v.gid, getgid());
  if (const struct passwd* pw = getpwuid(getuid())) {
    EXPECT_EQ(v.owner, pw->pw_name);
  }
  if (const struct group* gr = getgrgid(getgid())) {
    EXPECT_EQ(v.group, gr->gr_name);
  }
  EXPECT_EQ(v.store, "memory");
  EXPECT_EQ(v.storage_class, "standard");
  EXPECT_EQ(v.key_id, "");
  EXPECT_EQ(v.created_ms, clock_.NowMs());
  EXPECT_EQ(v.key, "beacon/web-01" + path + "@20261126T052501Z-" + v.sha256.substr(0, 12) + ".zst");
  auto objects = store_.Objects();
  ASSERT_EQ(objects.size(), 1u);
  const auto& object = objects.at(v.key);
  EXPECT_EQ(v.stored_size, object.body.size());
  EXPECT_LT(object.body.size(), content.size() / 2);  // compressed
  EXPECT_EQ(object.info.metadata.at("beacon-sha256"), v.sha256);
  EXPECT_EQ(object.info.metadata.at("beacon-host"), "web-01");
  EXPECT_EQ(store_.Calls(Op::kPut), 1);
  EXPECT_EQ(store_.Calls(Op::kInit), 0);
  EXPECT_EQ(**state_->LastSuccessMs("app"), clock_.NowMs());

  auto restored = RestoreTo(v, "conf/app.yaml");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadFile(*restored), content);
  struct stat st {};
  ASSERT_EQ(stat(restored->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'700'000'000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123'456'789);
}

TEST_F(UploaderTest, EmptyFileRoundTrips) {
  const std::string path = Src("empty");
  WriteFile(path, "");
  UploadOutcome out = MustBackup(path);
  ASSERT_EQ(out.kind, UploadOutcome::kStored) << out.detail;
  EXPECT_EQ(out.version.size, 0u);
  EXPECT_EQ(out.version.sha256, crypto::Sha256Hex(""));
  WriteFile(dir_ / "restore/empty", "not empty yet");
  auto restored = RestoreTo(out.version, "empty");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadFile(*restored), "");
}

TEST_F(UploaderTest, UnchangedContentIsNotUploadedAgain) {
  const std::string path = Src("a.txt");
  WriteFile(path, "version one\n");
  ASSERT_EQ(MustBackup(path).kind, UploadOutcome::kStored);
  EXPECT_EQ(MustBackup(path).kind, UploadOutcome::kUnchanged);
  // Rewritten with the same bytes (new mtime): still no upload.
  WriteFile(path, "version one\n");
  SetMtime(path, 1'800'000'000, 0);
  EXPECT_EQ(MustBackup(path).kind, UploadOutcome::kUnchanged);
  EXPECT_EQ(store_.Calls(Op::kPut), 1);
  EXPECT_EQ((*state_->GetFile("app", path))->mtime_ns, 1'800'000'000LL * 1'000'000'000);

  WriteFile(path, "version two\n");
  clock_.AdvanceMs(1000);
  UploadOutcome two = MustBackup(path);
  ASSERT_EQ(two.kind, UploadOutcome::kStored);
  EXPECT_EQ(store_.Calls(Op::kPut), 2);
  EXPECT_EQ(store_.Objects().size(), 2u);  // both versions kept
  EXPECT_EQ((*state_->GetFile("app", path))->key, two.version.key);
}

TEST_F(UploaderTest, DeferredRecordLeavesTheStateToTheCaller) {
  const std::string small = Src("small.txt");
  const std::string big = Src("big.log");
  WriteFile(small, "small content\n");
  WriteFile(big, NoiseBytes(600 * kKiB, 7));  // multipart
  for (const std::string& path : {small, big}) {
    auto stored = uploader_->BackupDeferRecord(set_, path);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    ASSERT_EQ(stored->kind, UploadOutcome::kStored) << path;
    // Stored, but until the caller records it the state does not know: a crash before the
    // catalog record is spooled makes the next run store the file again.
    EXPECT_FALSE((*state_->GetFile("app", path)).has_value()) << path;
    EXPECT_EQ(stored->record.key, stored->version.key);
    EXPECT_EQ(stored->record.sha256, stored->version.sha256);
    EXPECT_EQ(stored->record.size, stored->version.size);
    EXPECT_EQ(stored->record.mtime_ns, stored->version.mtime_ns);
    ASSERT_TRUE(state_->RecordStoredBatch("app", {{path, stored->record}}, clock_.NowMs()).ok());
    auto again = uploader_->BackupDeferRecord(set_, path);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->kind, UploadOutcome::kUnchanged) << path;
  }
  EXPECT_FALSE(state_->GetUpload("app", big)->has_value()) << "the recorded upload is done";
  EXPECT_EQ(store_.Calls(Op::kPut), 1);
}

TEST_F(UploaderTest, MultipartFileRoundTripsAndIsNotReuploadedWhenUnchanged) {
  const std::string path = Src("data/big.bin");
  const std::string content = NoiseBytes(1500 * kKiB) + LogText(300 * kKiB);
  WriteFile(path, content);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  SetMtime(path, 1'650'000'000, 5);

  UploadOutcome out = MustBackup(path);
  ASSERT_EQ(out.kind, UploadOutcome::kStored) << out.detail;
  EXPECT_EQ(store_.Calls(Op::kPut), 0);
  EXPECT_EQ(store_.Calls(Op::kInit), 1);
  EXPECT_EQ(store_.Calls(Op::kComplete), 1);
  const int parts = store_.Calls(Op::kPart);
  EXPECT_GE(parts, 6);
  EXPECT_EQ(static_cast<uint64_t>(parts),
            (out.version.stored_size + options_.part_size - 1) / options_.part_size);
  EXPECT_EQ(store_.Objects().at(out.version.key).body.size(), out.version.stored_size);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_TRUE(state_->ListUploads()->empty());

  auto restored = RestoreTo(out.version, "big.bin");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadFile(*restored), content);
  struct stat st {};
  ASSERT_EQ(stat(restored->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'650'000'000);

  EXPECT_EQ(MustBackup(path).kind, UploadOutcome::kUnchanged);
  EXPECT_EQ(store_.Calls(Op::kInit), 1);
  EXPECT_EQ(store_.Calls(Op::kPart), parts);
}

TEST_F(UploaderTest, EncryptedVersionsRestoreOnlyWithTheRightKey) {
  EnableEncryption(std::string(32, '\x5a'));
  const std::string small = Src("secret.env");
  const std::string big = Src("secret.db");
  WriteFile(small, "DB_PASSWORD=hunter2\n");
  const std::string big_content = NoiseBytes(700 * kKiB, 99);
  WriteFile(big, big_content);

  for (const auto& [path, content] : std::vector<std::pair<std::string, std::string>>{
           {small, "DB_PASSWORD=hunter2\n"}, {big, big_content}}) {
    SCOPED_TRACE(path);
    UploadOutcome out = MustBackup(path);
    ASSERT_EQ(out.kind, UploadOutcome::kStored) << out.detail;
    EXPECT_EQ(out.version.key_id, set_.encryption.key_id);
    EXPECT_TRUE(out.version.key.ends_with(".zst.enc")) << out.version.key;
    const std::string body = store_.Objects().at(out.version.key).body;
    EXPECT_EQ(body.substr(0, 4), "BCE1");
    EXPECT_EQ(body.find("hunter2"), std::string::npos);
    EXPECT_EQ(store_.Objects().at(out.version.key).info.metadata.at("beacon-key-id"),
              set_.encryption.key_id);

    const std::string name = std::filesystem::path(path).filename();
    auto ok = RestoreTo(out.version, name, {{set_.encryption.key_id, set_.encryption.key}});
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(ReadFile(*ok), content);

    // A wrong key under the right id: refused, the existing target untouched.
    WriteFile(*ok, "current contents");
    auto wrong = RestoreTo(out.version, name, {{set_.encryption.key_id, std::string(32, 'x')}});
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.status().code(), StatusCode::kCorruption);
    EXPECT_NE(wrong.status().message().find("authentication"), std::string::npos)
        << wrong.status().message();
    EXPECT_EQ(ReadFile(*ok), "current contents");

    auto missing = RestoreTo(out.version, name, {});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(missing.status().message().find(set_.encryption.key_id), std::string::npos);
    EXPECT_EQ(ReadFile(*ok), "current contents");
  }
  // No temp files were left beside the targets.
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "restore")) {
    EXPECT_EQ(entry.path().filename().string().find(".beacon-restore-"), std::string::npos)
        << entry.path();
  }
}

TEST_F(UploaderTest, TamperedEncryptedObjectIsRefusedAndTargetUntouched) {
  EnableEncryption(std::string(32, '\x11'));
  const std::string path = Src("x.conf");
  WriteFile(path, LogText(10 * kKiB));
  UploadOutcome out = MustBackup(path);
  ASSERT_EQ(out.kind, UploadOutcome::kStored);
  store_.FlipByte(out.version.key, 40);
  WriteFile(dir_ / "restore/x.conf", "keep me");
  auto r = RestoreTo(out.version, "x.conf", {{set_.encryption.key_id, set_.encryption.key}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ReadFile(dir_ / "restore/x.conf"), "keep me");
}

TEST_F(UploaderTest, SmallFileAppendedDuringPutIsDiscarded) {
  const std::string path = Src("app.log");
  WriteFile(path, LogText(20 * kKiB));
  store_.SetHook([&](Op op, int) {
    if (op == Op::kPut) AppendFile(path, "one more line\n");
  });
  UploadOutcome out = MustBackup(path);
  EXPECT_EQ(out.kind, UploadOutcome::kChanged) << out.detail;
  EXPECT_TRUE(store_.Objects().empty());
  EXPECT_EQ(store_.Calls(Op::kDelete), 1);
  EXPECT_FALSE(state_->GetFile("app", path)->has_value());
  EXPECT_FALSE(state_->LastSuccessMs("app")->has_value());

  store_.SetHook(nullptr);
  UploadOutcome retry = MustBackup(path);
  ASSERT_EQ(retry.kind, UploadOutcome::kStored);
  EXPECT_EQ(retry.version.sha256, crypto::Sha256Hex(ReadFile(path)));
}

TEST_F(UploaderTest, BigFileAppendedDuringMultipartIsAbortedAndNothingRecorded) {
  const std::string path = Src("growing.log");
  WriteFile(path, NoiseBytes(900 * kKiB));
  store_.SetHook([&](Op op, int n) {
    if (op == Op::kPart && n == 1) AppendFile(path, "appended while uploading\n");
  });
  UploadOutcome out = MustBackup(path);
  EXPECT_EQ(out.kind, UploadOutcome::kChanged) << out.detail;
  EXPECT_TRUE(store_.Objects().empty());
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_FALSE(state_->GetFile("app", path)->has_value());
  EXPECT_TRUE(state_->ListUploads()->empty());
}

TEST_F(UploaderTest, FileReplacedAfterMultipartCompleteIsDeleted) {
  const std::string path = Src("swapped.bin");
  WriteFile(path, NoiseBytes(600 * kKiB));
  store_.SetHook([&](Op op, int) {
    if (op == Op::kComplete) {
      WriteFile(path + ".new", "replacement");
      std::filesystem::rename(path + ".new", path);
    }
  });
  UploadOutcome out = MustBackup(path);
  EXPECT_EQ(out.kind, UploadOutcome::kChanged) << out.detail;
  EXPECT_TRUE(store_.Objects().empty());
  EXPECT_FALSE(state_->GetFile("app", path)->has_value());
}

TEST_F(UploaderTest, FailedMultipartResumesWithOnlyTheMissingParts) {
  EnableEncryption(std::string(32, '\x42'));  // the IV must be reused for the resumed stream
  const std::string path = Src("resume.bin");
  const std::string content = NoiseBytes(1800 * kKiB, 5);
  WriteFile(path, content);
  store_.FailNth(Op::kPart, 3);
  auto failed = BackupAndRecord(path);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().IsTransient()) << failed.status().ToString();
  EXPECT_EQ(store_.Calls(Op::kPart), 3);
  auto pending = state_->ListUploads();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].parts.size(), 2u);
  EXPECT_EQ(store_.OpenUploads(), 1u);

  // An agent restart: new state connection, new Uploader, later clock.
  state_.reset();
  state_ = std::move(BackupState::Open(dir_ / "data/backup/state.db")).value();
  clock_.AdvanceMs(60'000);
  Uploader restarted(store_, *state_, clock_, "web-01", nullptr, options_);
  auto out = BackupAndRecord(restarted, path);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->kind, UploadOutcome::kStored) << out->detail;
  const uint64_t total_parts =
      (out->version.stored_size + options_.part_size - 1) / options_.part_size;
  EXPECT_GE(total_parts, 7u);
  // 3 calls before (the third failed), then only parts 3..N.
  EXPECT_EQ(static_cast<uint64_t>(store_.Calls(Op::kPart)), 3 + (total_parts - 2));
  EXPECT_EQ(store_.Calls(Op::kInit), 1);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_TRUE(state_->ListUploads()->empty());
  // The key keeps the first attempt's timestamp.
  EXPECT_NE(out->version.key.find("@20261126T052501Z-"), std::string::npos) << out->version.key;

  auto restored =
      RestoreTo(out->version, "resume.bin", {{set_.encryption.key_id, set_.encryption.key}});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadFile(*restored), content);
}

TEST_F(UploaderTest, ResumeStartsOverWhenTheStoreForgotTheUpload) {
  const std::string path = Src("forgotten.bin");
  const std::string content = NoiseBytes(900 * kKiB, 8);
  WriteFile(path, content);
  store_.FailNth(Op::kPart, 3);
  ASSERT_FALSE(BackupAndRecord(path).ok());
  auto pending = state_->ListUploads();
  ASSERT_EQ(pending->size(), 1u);
  // The bucket's lifecycle rule (or an operator) aborted it meanwhile.
  ASSERT_TRUE(store_.AbortMultipart((*pending)[0].key, (*pending)[0].upload_id).ok());
  UploadOutcome out = MustBackup(path);
  ASSERT_EQ(out.kind, UploadOutcome::kStored) << out.detail;
  EXPECT_EQ(store_.Calls(Op::kInit), 2);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  auto restored = RestoreTo(out.version, "forgotten.bin");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadFile(*restored), content);
}

TEST_F(UploaderTest, ResumeStartsOverWhenARecreatedPartDiffers) {
  EnableEncryption(std::string(32, '\x33'));
  const std::string path = Src("diverged.bin");
  const std::string content = NoiseBytes(900 * kKiB, 9);
  WriteFile(path, content);
  store_.FailNth(Op::kPart, 3);
  ASSERT_FALSE(BackupAndRecord(path).ok());
  // Pretend part 2 was made from a different stream: continuing would reuse the IV.
  ASSERT_TRUE(state_->AddPart("app", path, {2, "etag-x", "not-the-digest", 1}).ok());
  UploadOutcome out = MustBackup(path);
  ASSERT_EQ(out.kind, UploadOutcome::kStored) << out.detail;
  EXPECT_EQ(store_.Calls(Op::kInit), 2);
  EXPECT_EQ(store_.Calls(Op::kAbort), 1);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  auto restored =
      RestoreTo(out.version, "diverged.bin", {{set_.encryption.key_id, set_.encryption.key}});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadFile(*restored), content);
}

TEST_F(UploaderTest, ChangedFileAbandonsTheStaleResumableUpload) {
  const std::string path = Src("stale.bin");
  WriteFile(path, NoiseBytes(800 * kKiB, 1));
  store_.FailNth(Op::kPart, 2);
  ASSERT_FALSE(BackupAndRecord(path).ok());
  ASSERT_EQ(store_.OpenUploads(), 1u);
  const std::string content = NoiseBytes(800 * kKiB, 2);
  WriteFile(path, content);
  UploadOutcome out = MustBackup(path);
  ASSERT_EQ(out.kind, UploadOutcome::kStored);
  EXPECT_EQ(store_.Calls(Op::kAbort), 1);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_EQ(store_.Calls(Op::kInit), 2);
  auto restored = RestoreTo(out.version, "stale.bin");
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadFile(*restored), content);
}

TEST_F(UploaderTest, NonRegularMissingAndOversizedFilesAreNotRead) {
  EXPECT_EQ(MustBackup(Src("nope")).kind, UploadOutcome::kVanished);
  std::filesystem::create_directories(Src("dir"));
  EXPECT_EQ(MustBackup(Src("dir")).kind, UploadOutcome::kNotRegular);
  WriteFile(Src("real"), "x");
  std::filesystem::create_symlink(Src("real"), Src("link"));
  EXPECT_EQ(MustBackup(Src("link")).kind, UploadOutcome::kNotRegular);
  ASSERT_EQ(mkfifo(Src("fifo").c_str(), 0600), 0);
  EXPECT_EQ(MustBackup(Src("fifo")).kind, UploadOutcome::kNotRegular);  // and does not hang
  set_.max_file_size = 10;
  WriteFile(Src("big"), "eleven byte");
  UploadOutcome too_large = MustBackup(Src("big"));
  EXPECT_EQ(too_large.kind, UploadOutcome::kTooLarge);
  EXPECT_NE(too_large.detail.find("max_file_size"), std::string::npos);
  EXPECT_EQ(store_.Calls(Op::kPut), 0);
}

TEST_F(UploaderTest, RetryableStoreErrorIsReturnedAndNothingRecorded) {
  const std::string path = Src("r.txt");
  WriteFile(path, "hello");
  store_.FailNth(Op::kPut, 1);
  auto r = BackupAndRecord(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(state_->GetFile("app", path)->has_value());
  EXPECT_EQ(MustBackup(path).kind, UploadOutcome::kStored);
}

TEST_F(UploaderTest, BadSetConfigIsInvalidArgument) {
  WriteFile(Src("f"), "x");
  set_.storage_class = "platinum";
  EXPECT_EQ(BackupAndRecord(Src("f")).status().code(), StatusCode::kInvalidArgument);
  set_.storage_class = "infrequent";
  set_.encryption.enabled = true;
  set_.encryption.key = "short";
  EXPECT_EQ(BackupAndRecord(Src("f")).status().code(), StatusCode::kInvalidArgument);
  set_.encryption.enabled = false;
  UploadOutcome out = MustBackup(Src("f"));
  EXPECT_EQ(out.version.storage_class, "infrequent");
  EXPECT_EQ(store_.Objects().begin()->second.info.storage_class,
            objstore::StorageClass::kInfrequent);
}

TEST_F(UploaderTest, BandwidthLimiterThrottlesUploadedBytes) {
  int64_t slept_ms = 0;
  RateLimiter limiter(100 * kKiB, clock_, [&](int64_t ms) {
    slept_ms += ms;
    clock_.AdvanceMs(ms);
  });
  Uploader limited(store_, *state_, clock_, "web-01", &limiter, options_);
  const std::string path = Src("noise.bin");
  WriteFile(path, NoiseBytes(1000 * kKiB, 3));
  auto out = BackupAndRecord(limited, path);
  ASSERT_TRUE(out.ok() && out->kind == UploadOutcome::kStored);
  // The first 100 KiB are the initial burst; the rest go at 100 KiB/s.
  const double expect_ms =
      (static_cast<double>(out->version.stored_size) - 100 * kKiB) / (100 * kKiB) * 1000;
  EXPECT_NEAR(static_cast<double>(slept_ms), expect_ms, 20);
}

// The same flow against the real local backend (files under a directory), as `backup once`
// to the embedded default store does.
TEST_F(UploaderTest, RoundTripsThroughTheLocalStore) {
  objstore::StoreConfig config;
  config.name = "local";
  config.type = "local";
  config.path = dir_ / "store";
  config.part_size = 256 * kKiB;
  config.multipart_threshold = 256 * kKiB;
  auto local = objstore::NewObjectStore(config);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  UploaderOptions options = UploaderOptionsFor(config);
  EXPECT_EQ(options.part_size, 256 * kKiB);
  Uploader uploader(**local, *state_, clock_, "web-01", nullptr, options);
  EnableEncryption(std::string(32, '\x21'));
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"small.txt", LogText(10 * kKiB)}, {"big.bin", NoiseBytes(1200 * kKiB, 4)}}) {
    SCOPED_TRACE(name);
    WriteFile(Src(name), content);
    auto out = BackupAndRecord(uploader, Src(name));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->kind, UploadOutcome::kStored) << out->detail;
    auto head = (*local)->Head(out->version.key);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->size, out->version.stored_size);
    EXPECT_EQ(head->metadata.at("beacon-sha256"), out->version.sha256);
    wire::RestoreArgs args{out->version, dir_ / ("restore/" + name)};
    RestoreOptions restore_options;
    restore_options.roots = {dir_ / "restore"};
    restore_options.keys_by_id = {{set_.encryption.key_id, set_.encryption.key}};
    restore_options.chunk_bytes = 100 * kKiB;
    Status s = RestoreVersion(args, **local, restore_options, nullptr);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(ReadFile(args.target), content);
  }
}

TEST(RateLimiterTest, BurstThenSteadyRateSharedByCallers) {
  FakeClock clock;
  std::vector<int64_t> sleeps;
  RateLimiter limiter(1000, clock, [&](int64_t ms) {
    sleeps.push_back(ms);
    clock.AdvanceMs(ms);
  });
  EXPECT_EQ(limiter.Acquire(1000), 0);     // the full bucket
  EXPECT_EQ(limiter.Acquire(500), 500);    // half a second of debt
  EXPECT_EQ(limiter.Acquire(2000), 2000);  // bigger than the bucket: allowed, paid for
  clock.AdvanceMs(10'000);                 // idle: refills only up to one second
  EXPECT_EQ(limiter.Acquire(1000), 0);
  EXPECT_EQ(limiter.Acquire(100), 100);
  EXPECT_EQ(sleeps, (std::vector<int64_t>{500, 2000, 100}));
}

}  // namespace
}  // namespace beacon::agent::backup
