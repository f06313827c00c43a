// Policy and state machine of the ports input: which listeners are allowed, which ports are
// required, and which events a new snapshot of listeners raises. Pure logic (no I/O); the state
// round-trips through JSON so a restarted agent raises nothing it already raised.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/status.h"
#include "common/wire/wire.h"

namespace beacon::agent::inputs::ports {

// A listening socket with its owner, as the snapshot source reports it.
struct Listener {
  std::string proto;    // "tcp" or "udp"
  std::string address;  // "0.0.0.0", "::1"
  uint16_t port = 0;
  int64_t pid = -1;     // -1: no process found (another netns, or no permission)
  std::string process;  // /proc/<pid>/comm; empty when pid is -1
  std::string user;     // user name of the process (its uid in decimal if unnamed)
};

// One policy entry: "22", "8000-8100", "udp/53", "tcp/8000-8100", optionally tied to a
// process name (YAML `- 8080: java`).
struct PortSpec {
  std::string proto;  // "tcp", "udp", or "" (allowed: both; required: tcp)
  uint16_t first = 0;
  uint16_t last = 0;
  std::string process;  // "" = any process
  bool Matches(const Listener& listener) const;
  // "tcp/22", "udp/53", "8000-8100", "tcp/8080 (java)": how messages and the state name it.
  std::string ToString() const;
};

// Parses the text of an entry (without the process part). Errors say what is wrong:
// "'70000' is not a port (1-65535)", "range 9000-8000 is reversed", "unknown protocol 'sctp'".
Result<PortSpec> ParsePortSpec(std::string_view text);

struct Policy {
  std::vector<PortSpec> allowed;
  std::vector<PortSpec> required;  // single ports; proto "" was normalised to "tcp"
  // True when an `allowed` or a `required` entry matches (a port that must listen is expected).
  bool Allows(const Listener& listener) const;
};

// Tracks reported unexpected listeners and the status of required ports across snapshots.
// Not thread-safe (used from the input's gather thread only).
class PortTracker {
 public:
  explicit PortTracker(Policy policy) : policy_(std::move(policy)) {}

  // Replaces the state with one written by SaveState(). On error the state is unchanged.
  Status RestoreState(std::string_view json_text);
  std::string SaveState() const;
  // True when Update() changed the state since the last MarkSaved().
  bool dirty() const { return dirty_; }
  void MarkSaved() { dirty_ = false; }

  // Compares a complete snapshot with the state and returns the events it raises:
  // port.unexpected once per listener that the policy does not allow (again only after it was
  // gone for a snapshot), port.closed when a required port is not listening (once per
  // outage; also when it is missing the first time it is checked).
  std::vector<wire::Event> Update(const std::vector<Listener>& snapshot);

  // Distinct listeners per protocol ("tcp", "udp") and unexpected ones in the last snapshot.
  const std::map<std::string, int64_t>& listening_counts() const { return listening_counts_; }
  int64_t unexpected_count() const { return unexpected_count_; }

 private:
  using Key = std::tuple<std::string, std::string, uint16_t>;  // proto, address, port
  Policy policy_;
  std::set<Key> reported_;                   // unexpected listeners already reported, still open
  std::map<std::string, bool> required_up_;  // PortSpec::ToString() -> listening at last check
  std::map<std::string, int64_t> listening_counts_;
  int64_t unexpected_count_ = 0;
  bool dirty_ = false;
};

}  // namespace beacon::agent::inputs::ports
