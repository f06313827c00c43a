// Fuzzes the parsers of the RDS monitoring answers (common/cloud/aliyun/rds, cms, rds_report):
// byte 0 picks the parser, the rest is the answer body. DescribeMetricLast's Datapoints string
// is fuzzed both inside an answer and alone (it is parsed a second time). Nothing may crash,
// every value kept must be finite, and an instance id kept must be a plain one.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/cloud/aliyun/cms.h"
#include "common/cloud/aliyun/rds.h"
#include "common/cloud/aliyun/rds_report.h"
#include "common/json/parse.h"
#include "tests/fuzz/fuzz_check.h"

namespace aliyun = beacon::aliyun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 1) return 0;
  const int which = data[0] % 5;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (which == 4) {
    auto points = aliyun::cms::ParseDatapoints(text);
    if (points.ok()) {
      for (const auto& point : *points) {
        FUZZ_CHECK(!point.average || std::isfinite(*point.average));
      }
      (void)aliyun::cms::NewestByInstance(*points);
    }
    return 0;
  }
  auto body = beacon::ParseJson(text, beacon::JsonLimits{.max_depth = 32});
  if (!body.ok()) return 0;
  switch (which) {
    case 0: {
      auto page = aliyun::rds::ParseDbInstances(*body);
      if (page.ok()) {
        for (const auto& instance : page->instances) {
          FUZZ_CHECK(aliyun::rds::IsValidInstanceId(instance.id));
        }
        (void)aliyun::rds::DiscoveryJson(page->instances).dump();
      }
      break;
    }
    case 1: {
      auto perf = aliyun::rds::ParsePerformance(*body, aliyun::rds::PerformanceKeyNames());
      if (perf.ok()) {
        for (const auto& value : perf->values) FUZZ_CHECK(std::isfinite(value.value));
        (void)aliyun::rds::PerfJson("rm-1", *perf, {{"CpuUsage", 1.0}}).dump();
      }
      break;
    }
    case 2: {
      auto usage = aliyun::rds::ParseResourceUsage(*body);
      if (usage.ok()) {
        for (const auto& [name, value] : usage->values) FUZZ_CHECK(std::isfinite(value));
        (void)aliyun::rds::UsageJson(*usage).dump();
      }
      break;
    }
    default: {
      auto page = aliyun::cms::ParseMetricLast(*body);
      if (page.ok()) (void)aliyun::rds::NewestAverages({{"CpuUsage", page->datapoints}}, "rm-1");
      break;
    }
  }
  return 0;
}
