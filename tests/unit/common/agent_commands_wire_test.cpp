// The backup.run and fim.accept argument formats (common/wire/agent_commands.h): round trips,
// and every malformed or hostile argument refused with the field named.
#include <gtest/gtest.h>

#include "common/wire/agent_commands.h"

namespace beacon::wire {
namespace {

using nlohmann::json;

TEST(AgentCommandsWireTest, ValidArgumentsRoundTrip) {
  auto run = BackupRunArgsFromJson(BackupRunArgsToJson({"app-config.v2_x"}));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->set, "app-config.v2_x");
  for (const std::string path : {"/", "/etc", "/etc/app/app.yaml", "/srv/数据/配置.yaml"}) {
    auto accept = FimAcceptArgsFromJson(FimAcceptArgsToJson({path}));
    ASSERT_TRUE(accept.ok()) << path << ": " << accept.status().ToString();
    EXPECT_EQ(accept->path, path);
  }
  // One trailing '/' is dropped: the path names the directory either way.
  EXPECT_EQ(FimAcceptArgsFromJson(json{{"path", "/etc/app/"}})->path, "/etc/app");
}

TEST(AgentCommandsWireTest, MalformedBackupRunArgumentsAreRefusedNamingTheField) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "backup.run arguments is not an object"},
      {json::object(), "set: required, a string"},
      {json{{"set", 1}}, "set: required, a string"},
      {json{{"set", nullptr}}, "set: required, a string"},
      {json{{"set", "app"}, {"path", "/"}},
       "path: unknown field (backup.run arguments take only "
       "\"set\")"},
      {json{{"set", ""}}, "set: not a backup set name (1 to 128 letters, digits, '_', '.', '-')"},
      {json{{"set", "a/b"}},
       "set: not a backup set name (1 to 128 letters, digits, '_', '.', '-')"},
      {json{{"set", "a b"}},
       "set: not a backup set name (1 to 128 letters, digits, '_', '.', '-')"},
      {json{{"set", std::string(129, 'a')}},
       "set: not a backup set name (1 to 128 letters, digits, '_', '.', '-')"},
  };
  for (const auto& [args, message] : cases) {
    auto parsed = BackupRunArgsFromJson(args);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << args.dump();
    EXPECT_EQ(parsed.status().message(), message) << args.dump();
  }
  EXPECT_TRUE(BackupRunArgsFromJson(json{{"set", std::string(128, 'a')}}).ok());
}

TEST(AgentCommandsWireTest, HostileFimAcceptPathsAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "path: must be an absolute path"},
      {"etc/app", "path: must be an absolute path"},
      {"/etc/../shadow", "path: must not contain empty, '.' or '..' segments"},
      {"/etc/./app", "path: must not contain empty, '.' or '..' segments"},
      {"/etc//app", "path: must not contain empty, '.' or '..' segments"},
      {"/..", "path: must not contain empty, '.' or '..' segments"},
      {"/etc/app//", "path: must not contain empty, '.' or '..' segments"},
      {std::string("/etc/\0x", 7), "path: contains a NUL byte"},
      {"/etc/\xff\xfe", "path: not valid UTF-8"},
      {"/etc/\xc0\xaf", "path: not valid UTF-8"},  // an overlong '/'
      {"/" + std::string(kMaxCommandPathBytes, 'a'), "path: longer than 4096 bytes"},
  };
  for (const auto& [path, message] : cases) {
    auto parsed = FimAcceptArgsFromJson(FimAcceptArgsToJson({path}));
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(parsed.status().message(), message) << path;
  }
  EXPECT_EQ(FimAcceptArgsFromJson(json{{"path", "/etc"}, {"set", "x"}}).status().message(),
            "set: unknown field (fim.accept arguments take only \"path\")");
  EXPECT_EQ(FimAcceptArgsFromJson(json{{"path", json::array({"/etc"})}}).status().message(),
            "path: required, a string");
  EXPECT_TRUE(FimAcceptArgsFromJson(json{{"path", "/" + std::string(4095, 'a')}}).ok());
}

}  // namespace
}  // namespace beacon::wire
