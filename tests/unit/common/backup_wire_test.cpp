// Backup catalog records and command-channel messages: what the agent encodes is what the
// collector decodes, and a record missing a field or with a bad hash or path is refused by name.
#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "common/wire/backup.h"

namespace beacon::wire {
namespace {

BackupVersion MakeVersion() {
  BackupVersion v;
  v.set = "app-conf";
  v.path = "/srv/app/conf/app.yaml";
  v.size = 1234;
  v.mtime_ns = 1764136601123456789;
  v.mode = 0640;
  v.uid = 1000;
  v.gid = 1001;
  v.owner = "app";
  v.group = "app";
  v.sha256 = std::string(64, 'a');
  v.stored_size = 300;
  v.store = "oss";
  v.key = "beacon/web-01/srv/app/conf/app.yaml@20261126T092000Z-aaaaaaaaaaaa.zst";
  v.storage_class = "standard";
  v.key_id = "0123456789abcdef";
  v.created_ms = 1764136602000;
  return v;
}

TEST(BackupWireTest, VersionRoundTripsEveryField) {
  BackupVersion v = MakeVersion();
  auto decoded = BackupVersionFromJson(BackupVersionToJson(v));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(BackupVersionToJson(*decoded), BackupVersionToJson(v));
  EXPECT_EQ(decoded->mtime_ns, 1764136601123456789);
  EXPECT_EQ(decoded->mode, 0640u);
}

TEST(BackupWireTest, VersionRefusesMissingOrWrongFieldsByName) {
  struct Case {
    const char* field;
    nlohmann::json value;  // null: remove the field
    const char* expected;
  };
  const Case cases[] = {
      {"sha256", nullptr, "sha256: missing or not a string"},
      {"sha256", "ABC", "sha256: must be 64 lower-case hex digits"},
      {"size", -1, "size: missing or not a non-negative integer"},
      {"size", "12", "size: missing or not a non-negative integer"},
      {"mode", 1LL << 40, "mode: missing or not in range"},
      {"path", "relative/file", "path: must be absolute"},
      {"key", "", "set, store and key must not be empty"},
      {"created_ms", 1.5, "created_ms: missing or not an integer"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = BackupVersionToJson(MakeVersion());
    if (c.value.is_null()) {
      j.erase(c.field);
    } else {
      j[c.field] = c.value;
    }
    auto decoded = BackupVersionFromJson(j);
    ASSERT_FALSE(decoded.ok()) << c.field;
    EXPECT_EQ(decoded.status().message(), c.expected) << c.field;
  }
  EXPECT_FALSE(BackupVersionFromJson(nlohmann::json::array()).ok());
}

TEST(BackupWireTest, CommandsAndUpdatesRoundTrip) {
  RestoreArgs args{MakeVersion(), "/srv/restore/srv/app/conf/app.yaml"};
  Command command{42, "restore", RestoreArgsToJson(args)};
  auto decoded = CommandFromJson(CommandToJson(command));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->id, 42);
  auto decoded_args = RestoreArgsFromJson(decoded->args);
  ASSERT_TRUE(decoded_args.ok()) << decoded_args.status().ToString();
  EXPECT_EQ(decoded_args->target, args.target);
  EXPECT_EQ(decoded_args->version.key, args.version.key);

  CommandUpdate update{"running", 10, 20, "restoring", {{"note", 1}}};
  auto decoded_update = CommandUpdateFromJson(CommandUpdateToJson(update));
  ASSERT_TRUE(decoded_update.ok());
  EXPECT_EQ(decoded_update->done_bytes, 10u);
  EXPECT_EQ(decoded_update->result["note"], 1);
}

TEST(BackupWireTest, BadCommandsAndUpdatesAreRefused) {
  EXPECT_EQ(CommandUpdateFromJson(
                {{"state", "done"}, {"done_bytes", 0}, {"total_bytes", 0}, {"message", ""}})
                .status()
                .message(),
            "state: must be running, succeeded or failed");
  EXPECT_EQ(CommandUpdateFromJson({{"state", "failed"},
                                   {"done_bytes", 0},
                                   {"total_bytes", 0},
                                   {"message", std::string(5000, 'x')}})
                .status()
                .message(),
            "message: over 4096 bytes");
  EXPECT_FALSE(CommandFromJson({{"id", 1}, {"kind", "restore"}, {"args", "x"}}).ok());
  nlohmann::json args = RestoreArgsToJson({MakeVersion(), "/srv/x"});
  args["target"] = "srv/x";
  EXPECT_EQ(RestoreArgsFromJson(args).status().message(), "target: must be an absolute path");
  args["target"] = "/srv/x";
  args["version"].erase("store");
  EXPECT_EQ(RestoreArgsFromJson(args).status().message(),
            "version: store: missing or not a string");
}

}  // namespace
}  // namespace beacon::wire

namespace beacon::wire {
namespace {

TEST(BackupKeyOwnerTest, AKeyBelongsToTheAgentNamedInItsSecondSegment) {
  EXPECT_TRUE(CheckObjectKeyOwner("web-01", "beacon/web-01/srv/a@x").ok());
  EXPECT_TRUE(CheckObjectKeyOwner("web-01", "other_prefix/web-01/a").ok());
  const std::pair<const char*, const char*> refused[] = {
      {"beacon/web-02/srv/a@x", "the segment after the key_prefix is not the agent's name"},
      {"beacon/web-011/srv/a", "the segment after the key_prefix is not the agent's name"},
      {"beacon/web-0/srv/a", "the segment after the key_prefix is not the agent's name"},
      {"beacon/web-01", "the segment after the key_prefix is not the agent's name"},
      {"beacon/web-01/", "the segment after the key_prefix is not the agent's name"},
      {"web-01/srv/a", "the segment after the key_prefix is not the agent's name"},
      {"web-01", "no key_prefix segment"},
      {"beacon/web-02/web-01/a", "the segment after the key_prefix is not the agent's name"},
      {"a/b/web-01/x", "the segment after the key_prefix is not the agent's name"},
      {"/web-01/a", "the key_prefix is not one segment"},
      {"../web-01/a", "the key_prefix is not one segment"},
      {"beacon/web-01/../web-02/a", "it has an empty, '.' or '..' segment"},
      {"beacon/web-01//a", "it has an empty, '.' or '..' segment"},
      {"beacon/web-01/./a", "it has an empty, '.' or '..' segment"},
      {"beacon/web-01/a/", "it has an empty, '.' or '..' segment"},
  };
  for (const auto& [key, why] : refused) {
    Status s = CheckObjectKeyOwner("web-01", key);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << key;
    EXPECT_NE(s.message().find(why), std::string::npos) << key << ": " << s.message();
    EXPECT_NE(s.message().find(std::string("key '") + key + "'"), std::string::npos) << s.message();
  }
}

BackupVersion OwnVersion(bool encrypted) {
  BackupVersion v;
  v.set = "app";
  v.path = "/srv/app/v@2/app.yaml";  // an '@' in the path is allowed
  v.sha256 = "0123456789ab" + std::string(52, 'f');
  v.store = "oss";
  v.key_id = encrypted ? "0123456789abcdef" : "";
  v.key = MakeObjectKey("beacon", "web-01", v.path, 1764136602000, v.sha256, encrypted);
  v.created_ms = 1764136602000;
  return v;
}

TEST(BackupKeyOwnerTest, TheVersionKeyIsExactlyTheOneTheAgentForms) {
  for (bool encrypted : {false, true}) {
    BackupVersion v = OwnVersion(encrypted);
    EXPECT_TRUE(CheckVersionKey("web-01", v).ok()) << CheckVersionKey("web-01", v).ToString();
    EXPECT_EQ(CheckVersionKey("web-02", v).code(), StatusCode::kPermissionDenied);
  }
  struct Case {
    std::function<void(BackupVersion&)> change;
    const char* why;
  };
  const Case cases[] = {
      {[](BackupVersion& v) { v.path = "/srv/app/v@2/other.yaml"; },
       "does not end in the version's path"},
      {[](BackupVersion& v) { v.path = "/srv/app/v@2/app.yamx"; },
       "does not name the version's path"},
      {[](BackupVersion& v) { v.sha256 = std::string(64, 'e'); }, "its hash is not the version's"},
      {[](BackupVersion& v) { v.key_id = "0123456789abcdef"; }, "does not end in"},
      {[](BackupVersion& v) { v.key[v.key.rfind('@') + 9] = 'X'; }, "no @<yyyymmddTHHMMSSZ>-"},
      {[](BackupVersion& v) {
         v.key = "beacon/web-02/srv/app/v@2/app.yaml" + v.key.substr(v.key.rfind('@'));
       },
       "the segment after the key_prefix is not the agent's name"},
  };
  for (const Case& c : cases) {
    BackupVersion v = OwnVersion(false);
    c.change(v);
    Status s = CheckVersionKey("web-01", v);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << c.why;
    EXPECT_NE(s.message().find(c.why), std::string::npos) << s.message();
  }
}

TEST(BackupKeyOwnerTest, KeyPrefixesAreSingleSegments) {
  EXPECT_TRUE(IsValidKeyPrefix("beacon"));
  EXPECT_TRUE(IsValidKeyPrefix("Backups_2024.prod-x"));
  for (const char* bad : {"", "a/b", ".", "..", ".hidden", "-x", "a b"}) {
    EXPECT_FALSE(IsValidKeyPrefix(bad)) << bad;
  }
}

}  // namespace
}  // namespace beacon::wire
