// WeCom's documented message limits, shared by the app and group-robot notifiers and the bot's
// replies. Byte counts are of the UTF-8 text.
#pragma once

#include <cstddef>
#include <cstdint>

namespace beacon::notifier::wecom {

inline constexpr size_t kTextMaxBytes = 2048;            // text.content, app and robot
inline constexpr size_t kAppMarkdownMaxBytes = 2048;     // app message/send markdown
inline constexpr size_t kRobotMarkdownMaxBytes = 4096;   // group robot webhook markdown
inline constexpr size_t kCardTitleMaxBytes = 128;        // textcard title
inline constexpr size_t kCardDescriptionMaxBytes = 512;  // textcard description
inline constexpr size_t kCardUrlMaxBytes = 2048;         // textcard url
inline constexpr int64_t kThrottleBlockMs = 60 * 1000;   // a throttled caller waits a minute

}  // namespace beacon::notifier::wecom
