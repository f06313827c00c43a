// The engine's input and output: one chat line from an identified sender, one reply. Plain data,
// shared by the WeCom callback, `beaconctl chat` and the dispatcher; no logic beyond naming.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::bot {

// Where a line came from: the WeCom app callback, the intelligent robot in a group chat, or
// `beaconctl chat` as a configured local user.
inline constexpr char kChannelWecomApp[] = "wecom_app";
inline constexpr char kChannelWecomRobot[] = "wecom_robot";
inline constexpr char kChannelCli[] = "cli";

struct Sender {
  std::string user_id;                   // WeCom UserID, or the local user's name for "cli"
  std::string channel;                   // kChannelWecomApp | kChannelWecomRobot | kChannelCli
  std::vector<std::string> departments;  // WeCom department ids, as text
  std::vector<std::string> tags;         // WeCom tag names
  std::string chat_id;                   // group chat id for the robot; "" for a direct message

  // Who the roles, confirmations and audit rows are about: the WeCom UserID for both WeCom
  // channels (the same person through the app or the robot), "local:<name>" for the CLI, so a
  // local user never borrows a WeCom user's role.
  std::string Principal() const { return channel == kChannelCli ? "local:" + user_id : user_id; }
};

struct ChatRequest {
  Sender sender;
  std::string text;        // as typed, the robot's "@Name" prefix already stripped
  std::string message_id;  // WeCom MsgId or the CLI's request id; "" when none
  int64_t now_ms = 0;      // when it arrived (UTC ms): every expiry is judged against it
};

struct Reply {
  enum class Format { kText, kMarkdown };
  Format format = Format::kText;
  std::string body;
};

}  // namespace beacon::bot
