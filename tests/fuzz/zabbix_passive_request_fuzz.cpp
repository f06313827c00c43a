// Fuzzes the passive listener's request reader (agent/zabbix/passive_request.h) with whatever a
// client may send: every prefix of the input gives a consistent state (once refused or ready,
// more bytes never change the outcome), a ready key is within the size limit and has no NUL,
// and the reply to it is one well-formed frame.
#include <cstdint>
#include <string_view>

#include "agent/zabbix/passive_request.h"
#include "agent/zabbix/zbxd.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace beacon::agent::zabbix;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kLimit = 4096;
  const PassiveRequest whole = ParsePassiveRequest(bytes, kLimit);
  // A stream reader sees prefixes first: the first decided prefix decides for good.
  for (size_t n = 0; n <= size; n += 1 + n / 8) {
    const PassiveRequest prefix = ParsePassiveRequest(bytes.substr(0, n), kLimit);
    if (prefix.state == PassiveRequest::State::kNeedMore) continue;
    FUZZ_CHECK(prefix.state == whole.state);
    FUZZ_CHECK(prefix.key == whole.key);
    break;
  }
  if (whole.state != PassiveRequest::State::kReady) return 0;
  FUZZ_CHECK(whole.key.size() <= kLimit);
  FUZZ_CHECK(whole.key.find('\0') == std::string::npos);
  for (bool supported : {true, false}) {
    const std::string reply = EncodePassiveReply({supported, whole.key});
    auto frame = DecodeZbxd(reply);
    FUZZ_CHECK(frame.ok() && frame->has_value() && (*frame)->consumed == reply.size());
  }
  return 0;
}
