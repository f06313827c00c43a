// bot/wecom/callback_config.h: the bot.wecom section, its errors at key paths, secrets kept out
// of messages, and a handler built from a loaded section.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "bot/wecom/callback.h"
#include "bot/wecom/callback_config.h"
#include "common/config/config.h"
#include "tests/unit/bot/wecom_vectors.h"

namespace beacon::bot::wecom {
namespace {

namespace v = vectors;

class WecomCallbackConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("BEACON_TEST_WECOM_TOKEN", std::string(v::kV1Token).c_str(), 1);
    setenv("BEACON_TEST_WECOM_KEY", std::string(v::kV1Key).c_str(), 1);
    setenv("BEACON_TEST_WECOM_SHORT_KEY", "c2hvcnQ", 1);
  }

  // Parses `yaml` (the whole file); returns Finish's status and the config.
  Status Load(const std::string& yaml, CallbackConfig* out) {
    Result<std::unique_ptr<config::Document>> doc =
        config::Document::LoadString(yaml, "collector.yaml");
    if (!doc.ok()) return doc.status();
    *out = ParseCallbackConfig((*doc)->root().Child("bot").Child("wecom"));
    return (*doc)->Finish();
  }
};

TEST_F(WecomCallbackConfigTest, AppSectionBuildsAWorkingHandler) {
  CallbackConfig config;
  ASSERT_TRUE(Load("bot:\n  wecom:\n    corp_id: ww1436e0e65a779aee\n    agent_id: 1000002\n"
                   "    token_env: BEACON_TEST_WECOM_TOKEN\n"
                   "    encoding_aes_key_env: BEACON_TEST_WECOM_KEY\n"
                   "    max_clock_skew: 10m\n",
                   &config)
                  .ok());
  EXPECT_TRUE(config.app_enabled);
  EXPECT_FALSE(config.robot_enabled);
  EXPECT_EQ(config.agent_id, 1000002);
  EXPECT_EQ(config.max_clock_skew_ms, 600'000);
  Result<std::unique_ptr<CallbackHandler>> handler = CallbackHandler::Create(config);
  ASSERT_TRUE(handler.ok()) << handler.status().ToString();
  std::map<std::string, std::string> q = {{"msg_signature", std::string(v::kV1UrlSignature)},
                                          {"timestamp", std::string(v::kV1UrlTimestamp)},
                                          {"nonce", std::string(v::kV1UrlNonce)},
                                          {"echostr", std::string(v::kV1UrlEchostr)}};
  EXPECT_EQ((*handler)->HandleGet(q).body, v::kV1UrlReply);
}

TEST_F(WecomCallbackConfigTest, DefaultsAndTheRobotInheritingTheAppsSecrets) {
  CallbackConfig config;
  ASSERT_TRUE(Load("bot:\n  wecom:\n    corp_id: ww1\n    token_env: BEACON_TEST_WECOM_TOKEN\n"
                   "    encoding_aes_key_env: BEACON_TEST_WECOM_KEY\n    robot: {}\n",
                   &config)
                  .ok());
  EXPECT_EQ(config.max_clock_skew_ms, 300'000);
  EXPECT_TRUE(config.robot_enabled);
  EXPECT_TRUE(config.robot_token.empty());
  EXPECT_TRUE(CallbackHandler::Create(config).ok());
  ASSERT_TRUE(Load("bot:\n  wecom:\n    max_clock_skew: 0\n    robot:\n"
                   "      token_env: BEACON_TEST_WECOM_TOKEN\n"
                   "      encoding_aes_key_env: BEACON_TEST_WECOM_KEY\n",
                   &config)
                  .ok());
  EXPECT_FALSE(config.app_enabled);
  EXPECT_EQ(config.max_clock_skew_ms, 0);
  EXPECT_EQ(config.robot_token.value(), v::kV1Token);
  EXPECT_TRUE(CallbackHandler::Create(config).ok());
}

TEST_F(WecomCallbackConfigTest, DirectoryTtlDefaultsToTenMinutesWithinItsRange) {
  const std::string app =
      "bot:\n  wecom:\n    corp_id: ww1\n    token_env: BEACON_TEST_WECOM_TOKEN\n"
      "    encoding_aes_key_env: BEACON_TEST_WECOM_KEY\n";
  CallbackConfig config;
  ASSERT_TRUE(Load(app, &config).ok());
  EXPECT_EQ(config.directory_ttl_ms, 600'000);
  ASSERT_TRUE(Load(app + "    directory_ttl: 1h\n", &config).ok());
  EXPECT_EQ(config.directory_ttl_ms, 3600'000);
  for (const char* bad : {"5s", "2d", "soon"}) {
    Status s = Load(app + "    directory_ttl: " + bad + "\n", &config);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("bot.wecom.directory_ttl"), std::string::npos) << s.message();
  }
}

TEST_F(WecomCallbackConfigTest, ErrorsNameTheKeyAndNeverTheSecret) {
  CallbackConfig config;
  Status s = Load(
      "bot:\n  wecom:\n    corp_id: ww1\n    token_env: BEACON_TEST_WECOM_TOKEN\n"
      "    encoding_aes_key_env: BEACON_TEST_WECOM_SHORT_KEY\n",
      &config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bot.wecom.encoding_aes_key_file: IllegalAesKey"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("env BEACON_TEST_WECOM_SHORT_KEY"), std::string::npos);
  EXPECT_EQ(s.message().find("c2hvcnQ"), std::string::npos);

  s = Load("bot:\n  wecom:\n    corp_id: ww1\n    token: inline-secret-token\n", &config);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("inline-secret-token"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("bot.wecom.encoding_aes_key_file: required"), std::string::npos);

  s = Load("bot:\n  wecom:\n    max_clock_skew: 5m\n", &config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bot.wecom.corp_id: set corp_id"), std::string::npos) << s.message();

  s = Load("bot:\n  wecom:\n    robot:\n      token_env: BEACON_TEST_WECOM_TOKEN\n", &config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bot.wecom.robot.encoding_aes_key_file: required"), std::string::npos)
      << s.message();

  s = Load(
      "bot:\n  wecom:\n    corp_id: ww1\n    token_env: BEACON_TEST_WECOM_TOKEN\n"
      "    encoding_aes_key_env: BEACON_TEST_WECOM_KEY\n    max_clock_skew: -1s\n"
      "    tokne_file: /x\n",
      &config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bot.wecom.max_clock_skew"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("tokne_file"), std::string::npos) << s.message();
}

TEST_F(WecomCallbackConfigTest, AbsentSectionEnablesNothing) {
  Result<std::unique_ptr<config::Document>> doc = config::Document::LoadString("{}", "c.yaml");
  ASSERT_TRUE(doc.ok());
  CallbackConfig config = ParseCallbackConfig((*doc)->root().Child("bot").Child("wecom"));
  EXPECT_FALSE(config.app_enabled);
  EXPECT_FALSE(config.robot_enabled);
  EXPECT_TRUE((*doc)->Finish().ok());
  EXPECT_FALSE(CallbackHandler::Create(config).ok());
}

}  // namespace
}  // namespace beacon::bot::wecom
