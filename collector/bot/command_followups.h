// CommandFollowUps: the chat bot's follow-ups on the agent commands it queued (backup run,
// restore, fim accept). When a WeCom app user confirms such a command, the bot stores a watch
// (CommandWatch, in the reply queue's database) and this class tells that user, through the
// durable reply queue and in the command's language: that the agent started it, its progress
// (at most one message per FollowUpOptions::progress_every_ms, and only when another quarter is
// done), and its result or error; a watch without a result after FollowUpOptions::watch_for_ms
// ends with a note naming `progress ID`. The robot's response_url answers once and `beaconctl
// chat` is one request and one answer, so those channels are not followed.
// It learns of changes from the command queue's update hook (CommandQueue::SetUpdateListener:
// CommandChanged marks the command and wakes the thread), never by polling; its one thread also
// looks at every watch once when it starts (a restarted collector) and ends expired watches.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "bot/ports.h"
#include "collector/backups/catalog.h"
#include "collector/bot/reply_queue.h"
#include "collector/commands/command_queue.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/periodic_loop.h"

namespace beacon::collector::bot_host {

struct FollowUpOptions {
  int64_t watch_for_ms = 6 * 3600'000;  // long restores of archived versions included
  int64_t progress_every_ms = 10'000;   // progress follow-ups at most this often
  // A backup run's result waits up to this long (after the agent reported it) for the catalog
  // to have its versions, so the follow-up can name their ids; looked at every recheck_ms.
  int64_t catalog_wait_ms = 10'000;
  int64_t recheck_ms = 1'000;
};

// Catalog ids of the versions a backup.run stored, by VersionKey(path, sha256); versions the
// catalog does not have yet (they travel through the spool) are absent.
using VersionIds = std::map<std::string, int64_t>;
std::string VersionKey(const std::string& path, const std::string& sha256);

// What to do about a watch now that its command is `command`: the follow-up to send (if any),
// whether the watch is over, and the watch with its told_* fields advanced. The expiry note when
// now_ms is past watch.expires_ms and the command has not ended. A backup run whose versions
// are not all in `versions` yet is held (recheck_after_ms) within catalog_wait_ms. Pure.
struct FollowUpStep {
  std::optional<bot::Reply> reply;
  bool finished = false;
  CommandWatch watch;
  int64_t recheck_after_ms = 0;  // > 0: nothing now, look again after this long
};
FollowUpStep NextFollowUp(const CommandWatch& watch, const commands::StoredCommand& command,
                          const VersionIds& versions, int64_t now_ms,
                          const FollowUpOptions& options);
// The last follow-up of a watch whose command the collector no longer has. Pure.
bot::Reply CommandGoneFollowUp(const CommandWatch& watch);

class CommandFollowUps final : public bot::FollowUpsPort {
 public:
  // replies holds the watches and takes the follow-ups; catalog has the commands and the
  // versions; on_reply_queued wakes the reply sender. All outlive this object.
  CommandFollowUps(ReplyQueue* replies, backups::Catalog* catalog, const Clock* clock,
                   std::function<void()> on_reply_queued, FollowUpOptions options = {});
  ~CommandFollowUps() override;  // Stop()

  // Only the WeCom app channel is followed (false for the others, see above). The watch is
  // stored at once but acted on only after Arm() for the requester, so the reply naming the
  // command (queued after the apply step that calls this) comes before its follow-ups.
  Result<bool> Follow(int64_t command_id, const bot::Sender& requester, bool zh) override;
  // A reply was queued for (target_kind, target): their new watches may speak now.
  void Arm(const std::string& target_kind, const std::string& target);
  // The command queue's update hook: the command's state or progress changed.
  void CommandChanged(int64_t command_id);

  // The thread: its first pass looks at every stored watch.
  void Start();
  void Stop();
  // One pass at now_ms: every changed, and (first pass) every stored, armed watch gets its
  // follow-up; expired ones end. Returns how long until the next expiry (ms).
  int64_t RunOnce(int64_t now_ms);

 private:
  VersionIds CatalogVersionIds(const commands::StoredCommand& command);

  ReplyQueue* replies_;
  backups::Catalog* catalog_;
  const Clock* clock_;
  std::function<void()> on_reply_queued_;
  const FollowUpOptions options_;
  PeriodicLoop loop_;

  Mutex mu_;
  bool check_all_ BEACON_GUARDED_BY(mu_) = true;
  std::set<int64_t> changed_ BEACON_GUARDED_BY(mu_);
  // Watches stored by Follow and not armed yet, by target ("kind:target") -> command ids.
  std::map<std::string, std::set<int64_t>> unarmed_ BEACON_GUARDED_BY(mu_);
};

}  // namespace beacon::collector::bot_host
