// CollectorService lifecycle: start on port 0, a bind failure leaves nothing running, and Stop
// returns promptly even when the next prune is ten minutes away.
#include "collector/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "common/http/client.h"

namespace beacon::collector {
namespace {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("collector_service_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    config_.listen.port = 0;
    config_.store.path = (dir_ / "collector.db").string();
    config_.store.prune_interval_ms = 10 * kMinuteMs;
    config_.api.admin_token = config::Secret("service-test-admin-token-0123");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  CollectorConfig config_;
  FakeClock clock_;
};

TEST_F(ServiceTest, StartsServesAndStops) {
  CollectorService service(config_, &clock_);
  ASSERT_TRUE(service.Start().ok());
  ASSERT_GT(service.port(), 0);
  EXPECT_EQ(service.listen_url(), "http://127.0.0.1:" + std::to_string(service.port()));
  auto client = http::NewCurlHttpClient();
  http::HttpRequest request;
  request.url = service.listen_url() + "/healthz";
  Result<http::HttpResponse> response = client->Send(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  // The pruner is waiting out its 10 minute interval; Stop must wake it instead.
  service.Stop();
  service.Stop();  // idempotent
  // Nothing listens any more: a fresh client cannot connect.
  Result<http::HttpResponse> after = http::NewCurlHttpClient()->Send(request);
  EXPECT_FALSE(after.ok());
}

TEST_F(ServiceTest, PortInUseFailsStartAndLeavesNothingRunning) {
  CollectorService first(config_, &clock_);
  ASSERT_TRUE(first.Start().ok());
  CollectorConfig clash = config_;
  clash.listen.port = first.port();
  clash.store.path = (dir_ / "other.db").string();
  CollectorService second(clash, &clock_);
  Status started = second.Start();
  EXPECT_FALSE(started.ok());
  EXPECT_NE(started.message().find("listening on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << started.ToString();
  EXPECT_EQ(second.port(), 0);
  second.Stop();
}

TEST_F(ServiceTest, UnwritableStorePathFailsStart) {
  config_.store.path = "/proc/beacon-cannot-exist/collector.db";
  CollectorService service(config_, &clock_);
  EXPECT_FALSE(service.Start().ok());
}

}  // namespace
}  // namespace beacon::collector
