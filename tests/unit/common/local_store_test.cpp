// Tests for the local ObjectStore backend: every operation, the on-disk layout (metadata in
// the user.beacon xattr, or a sidecar where xattrs are off), hostile keys, multipart integrity
// checks and concurrent writers.
#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/cloud/objstore/local.h"
#include "common/crypto/crypto.h"

namespace beacon::objstore {
namespace {

namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) /
            ("local_store_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    store_ = Open();
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<ObjectStore> Open(bool use_xattrs = true) {
    StoreConfig config;
    config.name = "local-test";
    config.type = "local";
    config.path = root_.string();
    LocalStoreOptions options;
    options.use_xattrs = use_xattrs;
    auto store = NewLocalStore(config, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Whether the filesystem under root_ keeps user xattrs (the sidecar layout otherwise).
  bool XattrsWork() {
    const fs::path probe = root_ / "xattr-probe";
    std::ofstream(probe) << "x";
    const bool ok = ::setxattr(probe.c_str(), "user.probe", "1", 1, 0) == 0;
    fs::remove(probe);
    return ok;
  }

  // The JSON metadata in an object file's user.beacon xattr ("" when there is none).
  std::string MetaXattr(const std::string& key) {
    char buf[8192];
    const ssize_t n =
        ::getxattr((root_ / "objects" / key).c_str(), "user.beacon", buf, sizeof(buf));
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

  // Every regular file under root, relative paths.
  std::vector<std::string> FilesUnder(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::exists(dir)) return out;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), dir).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_;
  std::unique_ptr<ObjectStore> store_;
};

std::string Md5Hex(std::string_view data) { return crypto::HexEncode(crypto::Md5Raw(data)); }

TEST_F(LocalStoreTest, PutHeadGetAndLayout) {
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->kind(), "local");
  EXPECT_EQ(store_->name(), "local-test");
  PutOptions options;
  options.storage_class = StorageClass::kArchive;
  options.metadata = {{"sha256", "abcd"}, {"mode", "0644"}};
  const std::string key = "host/web 01/var/log/数据.log@20261126T000000Z-abcd.zst";
  auto put = store_->Put(key, "compressed bytes", options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, Md5Hex("compressed bytes"));
  EXPECT_EQ(put->size, 16u);

  EXPECT_TRUE(fs::is_regular_file(root_ / "objects" / key));
  EXPECT_TRUE(FilesUnder(root_ / "tmp").empty()) << "no temp file is left behind";
  if (XattrsWork()) {
    // One file per object: the metadata travels in the object's xattr, no sidecar.
    EXPECT_TRUE(FilesUnder(root_ / "meta").empty());
    EXPECT_NE(MetaXattr(key).find("\"sha256\":\"abcd\""), std::string::npos) << MetaXattr(key);
  } else {
    EXPECT_EQ(FilesUnder(root_ / "meta").size(), 1u);
  }
  EXPECT_EQ(FilesUnder(root_ / "objects").size(), 1u) << "temp files are renamed into place";

  auto head = store_->Head(key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 16u);
  EXPECT_EQ(head->etag, put->etag);
  EXPECT_EQ(head->storage_class, StorageClass::kArchive);
  // Archive classes are readable locally: nothing to restore.
  EXPECT_EQ(head->restore_state, RestoreState::kNotArchived);
  EXPECT_EQ(head->metadata, options.metadata);

  auto whole = store_->Get(key);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, "compressed bytes");
  auto range = store_->Get(key, ByteRange{11, 3});
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range, "byt");
  auto tail = store_->Get(key, ByteRange{11, 0});
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, "bytes");
  auto clipped = store_->Get(key, ByteRange{14, 100});
  ASSERT_TRUE(clipped.ok());
  EXPECT_EQ(*clipped, "es");
  EXPECT_EQ(store_->Get(key, ByteRange{16, 1}).status().code(), StatusCode::kInvalidArgument);

  auto restore = store_->Restore(key, 1);
  ASSERT_TRUE(restore.ok());
  EXPECT_EQ(*restore, RestoreRequestResult::kAlreadyRestored);
  EXPECT_EQ(store_->Restore("missing", 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("missing").status().code(), StatusCode::kNotFound);

  // A second store on the same directory sees the same object (nothing lives only in memory).
  auto reopened = Open();
  auto again = reopened->Head(key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->metadata, options.metadata);
}

TEST_F(LocalStoreTest, OverwriteReplacesBytesAndMetadata) {
  PutOptions first;
  first.metadata = {{"v", "1"}};
  ASSERT_TRUE(store_->Put("k", "first version", first).ok());
  PutOptions second;
  second.metadata = {{"v", "2"}};
  second.storage_class = StorageClass::kInfrequent;
  ASSERT_TRUE(store_->Put("k", "second", second).ok());
  auto head = store_->Head("k");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 6u);
  EXPECT_EQ(head->etag, Md5Hex("second"));
  EXPECT_EQ(head->metadata, second.metadata);
  EXPECT_EQ(head->storage_class, StorageClass::kInfrequent);
  EXPECT_EQ(*store_->Get("k"), "second");
}

TEST_F(LocalStoreTest, ListIsLexicalWithPagesAndPrefix) {
  for (const char* key : {"b/2", "a/1", "b/10", "b/1", "c", "bb"}) {
    PutOptions options;
    options.metadata = {{"k", key}};
    ASSERT_TRUE(store_->Put(key, key, options).ok());
  }
  std::vector<std::string> keys;
  std::string token;
  int pages = 0;
  do {
    auto page = store_->List("b", token, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const ObjectInfo& info : page->objects) {
      keys.push_back(info.key);
      EXPECT_TRUE(info.metadata.empty()) << "listings carry no metadata";
      EXPECT_EQ(info.size, info.key.size());
    }
    token = page->next_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(keys, (std::vector<std::string>{"b/1", "b/10", "b/2", "bb"}));
  EXPECT_EQ(pages, 2);

  auto all = store_->List("", "", 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->objects.size(), 6u);
  EXPECT_TRUE(all->next_token.empty());
  EXPECT_EQ(all->objects.front().key, "a/1");
  EXPECT_EQ(all->objects.back().key, "c");
}

TEST_F(LocalStoreTest, KeyThatIsAnotherKeysDirectoryIsRefused) {
  ASSERT_TRUE(store_->Put("d/file", "x", {}).ok());
  EXPECT_EQ(store_->Put("d", "y", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Put("d/file/sub", "z", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(FilesUnder(root_ / "tmp").empty());
  EXPECT_EQ(*store_->Get("d/file"), "x");
}

TEST_F(LocalStoreTest, DeleteRemovesObjectSidecarAndEmptyDirectories) {
  ASSERT_TRUE(store_->Put("x/y/z", "data", {}).ok());
  ASSERT_TRUE(store_->Put("x/keep", "data", {}).ok());
  ASSERT_TRUE(store_->Delete("x/y/z").ok());
  EXPECT_EQ(store_->Head("x/y/z").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(root_ / "objects" / "x" / "y"));
  EXPECT_TRUE(fs::exists(root_ / "objects" / "x" / "keep"));
  EXPECT_EQ(FilesUnder(root_ / "meta").size(), XattrsWork() ? 0u : 1u);
  EXPECT_TRUE(store_->Delete("x/y/z").ok()) << "deleting a missing key succeeds";
  EXPECT_TRUE(store_->Delete("never/was").ok());
}

TEST_F(LocalStoreTest, CopyChangesClassAndKeepsMetadata) {
  PutOptions options;
  options.metadata = {{"owner", "root"}};
  ASSERT_TRUE(store_->Put("src", "payload", options).ok());
  auto copy = store_->Copy("src", "dst/copy", StorageClass::kColdArchive);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->storage_class, StorageClass::kColdArchive);
  EXPECT_EQ(copy->metadata, options.metadata);
  EXPECT_EQ(*store_->Get("dst/copy"), "payload");
  auto in_place = store_->Copy("src", "src", StorageClass::kArchive);
  ASSERT_TRUE(in_place.ok());
  auto head = store_->Head("src");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->storage_class, StorageClass::kArchive);
  EXPECT_EQ(head->metadata, options.metadata);
  EXPECT_EQ(*store_->Get("src"), "payload");
  EXPECT_EQ(store_->Copy("nope", "x", StorageClass::kStandard).status().code(),
            StatusCode::kNotFound);
}

TEST_F(LocalStoreTest, HostileKeysAreRefused) {
  const std::vector<std::string> hostile = {
      "",  "/etc/passwd", "../escape", "a/../../b", "..",
      ".", "a/./b",       "a//b",      "a/",        std::string("a\0b", 3)};
  for (const std::string& key : hostile) {
    SCOPED_TRACE("key '" + key + "'");
    EXPECT_EQ(store_->Put(key, "x", {}).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Get(key).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Delete(key).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->InitMultipart(key, {}).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Copy("ok", key, StorageClass::kStandard).status().code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(fs::exists(root_.parent_path() / "escape"));
  EXPECT_TRUE(FilesUnder(root_ / "objects").empty());
  EXPECT_TRUE(ValidateLocalKey("a/..b/c..").ok()) << "dots inside a segment are fine";
}

TEST_F(LocalStoreTest, MultipartAssemblesPartsInOrder) {
  PutOptions options;
  options.storage_class = StorageClass::kInfrequent;
  options.metadata = {{"sha256", "ff"}};
  auto id = store_->InitMultipart("big", options);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  const uint64_t min = store_->MinPartSize();
  std::string a(min, 'a'), b(min, 'b'), c = "tail";
  // Uploaded out of order and one part re-sent (a retried part replaces the first attempt).
  auto p2 = store_->UploadPart("big", *id, 2, "wrong first attempt");
  ASSERT_TRUE(p2.ok());
  p2 = store_->UploadPart("big", *id, 2, b);
  auto p3 = store_->UploadPart("big", *id, 3, c);
  auto p1 = store_->UploadPart("big", *id, 1, a);
  ASSERT_TRUE(p1.ok() && p2.ok() && p3.ok());
  auto first_attempt = store_->UploadPart("big", *id, 2, "another attempt");
  ASSERT_TRUE(first_attempt.ok());
  EXPECT_NE(first_attempt->etag, p2->etag) << "each upload of a part has its own etag";
  EXPECT_EQ(store_->Head("big").status().code(), StatusCode::kNotFound) << "not visible yet";
  auto done = store_->CompleteMultipart("big", *id, {*p1, *p2, *p3});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->size, 2 * min + 4);
  EXPECT_EQ(done->storage_class, StorageClass::kInfrequent);
  EXPECT_EQ(done->metadata, options.metadata);
  EXPECT_EQ(*store_->Get("big"), a + b + c);
  EXPECT_TRUE(FilesUnder(root_ / "uploads").empty()) << "parts are removed after Complete";
  EXPECT_EQ(store_->UploadPart("big", *id, 4, "late").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalStoreTest, MultipartRefusesWrongEtagsMissingAndSmallParts) {
  const uint64_t min = store_->MinPartSize();
  auto id = store_->InitMultipart("m", {});
  ASSERT_TRUE(id.ok());
  auto p1 = store_->UploadPart("m", *id, 1, std::string(min, 'x'));
  auto p2 = store_->UploadPart("m", *id, 2, "end");
  ASSERT_TRUE(p1.ok() && p2.ok());

  UploadedPart wrong = *p2;
  wrong.etag = Md5Hex("something else");
  auto refused = store_->CompleteMultipart("m", *id, {*p1, wrong});
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("etag"), std::string::npos);
  EXPECT_EQ(store_->Head("m").status().code(), StatusCode::kNotFound) << "nothing stored";

  EXPECT_EQ(store_->CompleteMultipart("m", *id, {*p2, *p1}).status().code(),
            StatusCode::kInvalidArgument)
      << "parts out of order";
  EXPECT_EQ(store_->CompleteMultipart("m", *id, {*p1, {5, p2->etag}}).status().code(),
            StatusCode::kInvalidArgument)
      << "a part that was never uploaded";
  auto small = store_->UploadPart("m", *id, 3, "tiny");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(store_->CompleteMultipart("m", *id, {*p1, *small, *p2}).status().code(),
            StatusCode::kInvalidArgument)
      << "a part below the minimum that is not the last";
  EXPECT_EQ(store_->CompleteMultipart("other", *id, {*p1, *p2}).status().code(),
            StatusCode::kInvalidArgument)
      << "the upload belongs to another key";
  EXPECT_EQ(store_->UploadPart("m", "../../objects", 1, "x").status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(FilesUnder(root_ / "tmp").empty());

  // After the failures the upload is intact and completes.
  auto done = store_->CompleteMultipart("m", *id, {*p1, *p2});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->size, min + 3);
}

// Objects are flushed by Sync() (one syncfs per batch), not per write: Sync must succeed on a
// healthy store and report, not hide, a store whose directory is gone.
TEST_F(LocalStoreTest, SyncFlushesAndReportsAMissingRoot) {
  ASSERT_TRUE(store_->Put("a/b", "bytes", {}).ok());
  EXPECT_TRUE(store_->Sync().ok());
  EXPECT_EQ(*store_->Get("a/b"), "bytes");
  fs::remove_all(root_);
  Status gone = store_->Sync();
  EXPECT_EQ(gone.code(), StatusCode::kIoError);
  EXPECT_NE(gone.message().find(root_.string()), std::string::npos) << gone.message();
}

// Temp files live beside the objects while they are written; listings never show them and
// keys may not use their prefix.
TEST_F(LocalStoreTest, TempFilesAreNeitherListedNorUsableAsKeys) {
  ASSERT_TRUE(store_->Put("dir/obj", "x", {}).ok());
  std::ofstream(root_ / "objects" / "dir" / ".beacon-tmp-0123456789abcdef") << "partial";
  auto page = store_->List("dir/", "", 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "dir/obj");
  EXPECT_EQ(store_->Put("dir/.beacon-tmp-x", "y", {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(LocalStoreTest, AbortDropsTheUpload) {
  auto id = store_->InitMultipart("a", {});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store_->UploadPart("a", *id, 1, "data").ok());
  ASSERT_TRUE(store_->AbortMultipart("a", *id).ok());
  EXPECT_TRUE(FilesUnder(root_ / "uploads").empty());
  EXPECT_EQ(store_->UploadPart("a", *id, 2, "more").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->AbortMultipart("a", *id).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("a").status().code(), StatusCode::kNotFound);
}

TEST_F(LocalStoreTest, ConcurrentPutsKeepObjectAndSidecarConsistent) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string body = "thread " + std::to_string(t) + " write " + std::to_string(i) +
                           std::string(static_cast<size_t>(t * 100 + i), 'x');
        PutOptions options;
        options.metadata = {{"writer", std::to_string(t)}};
        if (!store_->Put("shared/key", body, options).ok()) ++failures;
        if (!store_->Put("own/" + std::to_string(t) + "/" + std::to_string(i), body, options)
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto list = store_->List("own/", "", 1000);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->objects.size(), static_cast<size_t>(kThreads * kPerThread));
  // The shared key's sidecar describes exactly the bytes that won the race.
  auto head = store_->Head("shared/key");
  auto data = store_->Get("shared/key");
  ASSERT_TRUE(head.ok() && data.ok());
  EXPECT_EQ(head->etag, Md5Hex(*data));
  EXPECT_EQ(head->size, data->size());
  EXPECT_EQ(head->metadata.at("writer"), data->substr(7, data->find(' ', 7) - 7));
  EXPECT_TRUE(FilesUnder(root_ / "tmp").empty());
}

TEST_F(LocalStoreTest, SidecarAndXattrObjectsReadTheSameFromEitherStore) {
  // A store on a filesystem without user xattrs (or an older version) writes sidecars; a
  // store with xattrs reads those and writes xattrs; both read both.
  auto sidecar_store = Open(/*use_xattrs=*/false);
  ASSERT_NE(sidecar_store, nullptr);
  PutOptions old_options;
  old_options.storage_class = StorageClass::kInfrequent;
  old_options.metadata = {{"beacon-sha256", "aa"}, {"beacon-path", "/etc/old"}};
  auto old_put = sidecar_store->Put("h/etc/old@1.zst", "old body", old_options);
  ASSERT_TRUE(old_put.ok()) << old_put.status().ToString();
  EXPECT_EQ(FilesUnder(root_ / "meta").size(), 1u);
  EXPECT_EQ(MetaXattr("h/etc/old@1.zst"), "");

  PutOptions new_options;
  new_options.metadata = {{"beacon-sha256", "bb"}, {"beacon-path", "/etc/new"}};
  ASSERT_TRUE(store_->Put("h/etc/new@2.zst", "newer body", new_options).ok());
  EXPECT_EQ(FilesUnder(root_ / "meta").size(), XattrsWork() ? 1u : 2u);

  for (ObjectStore* store : {store_.get(), sidecar_store.get()}) {
    auto old_head = store->Head("h/etc/old@1.zst");
    ASSERT_TRUE(old_head.ok()) << old_head.status().ToString();
    EXPECT_EQ(old_head->metadata, old_options.metadata);
    EXPECT_EQ(old_head->storage_class, StorageClass::kInfrequent);
    EXPECT_EQ(old_head->etag, Md5Hex("old body"));
    auto new_head = store->Head("h/etc/new@2.zst");
    ASSERT_TRUE(new_head.ok()) << new_head.status().ToString();
    EXPECT_EQ(new_head->metadata, new_options.metadata);
    EXPECT_EQ(new_head->size, 10u);
    auto list = store->List("h/", "", 10);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->objects.size(), 2u);
    EXPECT_EQ(list->objects[0].key, "h/etc/new@2.zst");
    EXPECT_EQ(list->objects[0].etag, Md5Hex("newer body"));
    EXPECT_EQ(list->objects[1].key, "h/etc/old@1.zst");
    EXPECT_EQ(list->objects[1].storage_class, StorageClass::kInfrequent);
  }

  // Changing the class in place rewrites the metadata where it lives, for either kind.
  ASSERT_TRUE(store_->Copy("h/etc/old@1.zst", "h/etc/old@1.zst", StorageClass::kArchive).ok());
  ASSERT_TRUE(
      sidecar_store->Copy("h/etc/new@2.zst", "h/etc/new@2.zst", StorageClass::kArchive).ok());
  for (const char* key : {"h/etc/old@1.zst", "h/etc/new@2.zst"}) {
    auto head = sidecar_store->Head(key);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->storage_class, StorageClass::kArchive) << key;
    EXPECT_FALSE(head->metadata.empty()) << key;
  }
  // Overwriting a sidecar'd object with an xattr'd one: the new metadata wins.
  PutOptions replaced;
  replaced.metadata = {{"beacon-sha256", "cc"}};
  ASSERT_TRUE(store_->Put("h/etc/old@1.zst", "replaced", replaced).ok());
  EXPECT_EQ(sidecar_store->Head("h/etc/old@1.zst")->metadata, replaced.metadata);
  // Deleting removes the object and any sidecar.
  ASSERT_TRUE(store_->Delete("h/etc/old@1.zst").ok());
  ASSERT_TRUE(store_->Delete("h/etc/new@2.zst").ok());
  EXPECT_TRUE(FilesUnder(root_ / "meta").empty());
  EXPECT_TRUE(FilesUnder(root_ / "objects").empty());
}

TEST_F(LocalStoreTest, KeysAndMetadataNeedingJsonEscapesRoundTrip) {
  const std::string key = "dir \"q\"/back\\slash/tab\there/ü.zst";
  PutOptions options;
  options.metadata = {{"quote", "say \"hi\""},
                      {"ctl", std::string("a\x01b\nc", 5)},
                      {"empty", ""},
                      {"utf8", "数据"}};
  options.content_type = "text/plain; charset=\"utf-8\"";
  ASSERT_TRUE(store_->Put(key, "x", options).ok());
  for (bool xattrs : {true, false}) {
    auto store = Open(xattrs);
    auto head = store->Head(key);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->key, key);
    EXPECT_EQ(head->metadata, options.metadata);
  }
  auto sidecar_store = Open(false);
  ASSERT_TRUE(sidecar_store->Put(key + "2", "y", options).ok());
  auto head = store_->Head(key + "2");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->metadata, options.metadata);
}

TEST_F(LocalStoreTest, MetadataTooBigForAnXattrRoundTrips) {
  PutOptions options;
  options.metadata = {{"big", std::string(6000, 'm')}, {"small", "s"}};
  auto put = store_->Put("big/meta", "body", options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto head = store_->Head("big/meta");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->metadata, options.metadata);
  auto list = store_->List("big/", "", 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->objects.size(), 1u);
  EXPECT_EQ(list->objects[0].etag, Md5Hex("body"));
  // A multipart object's metadata is stored the same way.
  auto id = store_->InitMultipart("mp/object", options);
  ASSERT_TRUE(id.ok());
  auto part = store_->UploadPart("mp/object", *id, 1, "only part");
  ASSERT_TRUE(part.ok());
  ASSERT_TRUE(store_->CompleteMultipart("mp/object", *id, {*part}).ok());
  auto mp = store_->Head("mp/object");
  ASSERT_TRUE(mp.ok()) << mp.status().ToString();
  EXPECT_EQ(mp->metadata, options.metadata);
  EXPECT_EQ(mp->size, 9u);
}

TEST(LocalStoreConfigTest, MissingPathIsInvalidArgument) {
  StoreConfig config;
  config.name = "nopath";
  EXPECT_EQ(NewLocalStore(config).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace beacon::objstore
