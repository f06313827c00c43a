// Port policy matching and the unexpected/closed state machine (see tracker.h).
#include "agent/inputs/ports/tracker.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/json/parse.h"
#include "common/strings.h"

namespace beacon::agent::inputs::ports {
namespace {

constexpr int kStateVersion = 1;

// Around a port spec and either end of a range: spaces and tabs.
constexpr std::string_view kSpecSpace = " \t";

Result<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
      value > 65535) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a port (1-65535)");
  }
  return static_cast<uint16_t>(value);
}

std::string Endpoint(const std::string& address, uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

wire::Event UnexpectedEvent(const Listener& listener) {
  wire::Event event;
  event.kind = "port.unexpected";
  event.severity = "warning";
  event.subject = listener.proto + "/" + std::to_string(listener.port);
  event.message =
      "unexpected " + listener.proto + " listener on " + Endpoint(listener.address, listener.port);
  if (listener.pid >= 0) {
    event.message += " by pid " + std::to_string(listener.pid) + " (" + listener.process +
                     "), user " + listener.user;
  } else {
    event.message += " by an unknown process (not visible to the agent)";
  }
  event.data = {{"proto", listener.proto},
                {"address", listener.address},
                {"port", listener.port},
                {"pid", listener.pid >= 0 ? nlohmann::json(listener.pid) : nlohmann::json()},
                {"process", listener.process},
                {"user", listener.user}};
  return event;
}

wire::Event ClosedEvent(const PortSpec& spec, bool was_listening) {
  wire::Event event;
  event.kind = "port.closed";
  event.severity = "high";
  event.subject = spec.proto + "/" + std::to_string(spec.first);
  event.message = "required port " + spec.ToString() +
                  (was_listening ? " stopped listening" : " is not listening");
  event.data = {{"proto", spec.proto},
                {"port", spec.first},
                {"process", spec.process},
                {"was_listening", was_listening}};
  return event;
}

}  // namespace

bool PortSpec::Matches(const Listener& listener) const {
  if (!proto.empty() && proto != listener.proto) return false;
  if (listener.port < first || listener.port > last) return false;
  return process.empty() || process == listener.process;
}

std::string PortSpec::ToString() const {
  std::string out = proto.empty() ? "" : proto + "/";
  out += std::to_string(first);
  if (last != first) out += "-" + std::to_string(last);
  if (!process.empty()) out += " (" + process + ")";
  return out;
}

Result<PortSpec> ParsePortSpec(std::string_view text) {
  text = Trim(text, kSpecSpace);
  PortSpec spec;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view proto = text.substr(0, slash);
    if (proto != "tcp" && proto != "udp") {
      return Status::InvalidArgument("unknown protocol '" + std::string(proto) +
                                     "' (expected tcp/ or udp/)");
    }
    spec.proto = std::string(proto);
    text = text.substr(slash + 1);
  }
  if (text.empty()) return Status::InvalidArgument("empty port");
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    BEACON_ASSIGN_OR_RETURN(spec.first, ParsePort(Trim(text.substr(0, dash), kSpecSpace)));
    BEACON_ASSIGN_OR_RETURN(spec.last, ParsePort(Trim(text.substr(dash + 1), kSpecSpace)));
    if (spec.last < spec.first) {
      return Status::InvalidArgument("range " + std::string(text) + " is reversed");
    }
  } else {
    BEACON_ASSIGN_OR_RETURN(spec.first, ParsePort(text));
    spec.last = spec.first;
  }
  return spec;
}

bool Policy::Allows(const Listener& listener) const {
  auto matches = [&](const PortSpec& spec) { return spec.Matches(listener); };
  return std::any_of(allowed.begin(), allowed.end(), matches) ||
         std::any_of(required.begin(), required.end(), matches);
}

std::vector<wire::Event> PortTracker::Update(const std::vector<Listener>& snapshot) {
  std::vector<wire::Event> events;
  listening_counts_ = {{"tcp", 0}, {"udp", 0}};
  std::set<Key> seen;
  std::set<Key> unexpected;
  for (const Listener& listener : snapshot) {
    Key key{listener.proto, listener.address, listener.port};
    // Several sockets on one address (SO_REUSEPORT workers) are one listener.
    if (!seen.insert(key).second) continue;
    ++listening_counts_[listener.proto];
    if (policy_.Allows(listener)) continue;
    unexpected.insert(key);
    if (reported_.count(key) == 0) events.push_back(UnexpectedEvent(listener));
  }
  unexpected_count_ = static_cast<int64_t>(unexpected.size());
  // Listeners that closed (or became allowed) leave the set, so they raise again if they
  // come back unexpected.
  if (unexpected != reported_) {
    reported_ = std::move(unexpected);
    dirty_ = true;
  }

  std::map<std::string, bool> required_up;
  for (const PortSpec& spec : policy_.required) {
    const bool up = std::any_of(snapshot.begin(), snapshot.end(),
                                [&](const Listener& l) { return spec.Matches(l); });
    const std::string name = spec.ToString();
    auto previous = required_up_.find(name);
    const bool known = previous != required_up_.end();
    if (!up && (!known || previous->second)) events.push_back(ClosedEvent(spec, known));
    required_up[name] = up;
  }
  // Entries of ports no longer required are dropped with the rest of the old map.
  if (required_up != required_up_) {
    required_up_ = std::move(required_up);
    dirty_ = true;
  }
  return events;
}

std::string PortTracker::SaveState() const {
  nlohmann::json reported = nlohmann::json::array();
  for (const auto& [proto, address, port] : reported_) {
    reported.push_back({{"proto", proto}, {"address", address}, {"port", port}});
  }
  nlohmann::json required = nlohmann::json::object();
  for (const auto& [name, up] : required_up_) required[name] = up;
  return nlohmann::json{{"version", kStateVersion}, {"reported", reported}, {"required", required}}
      .dump();
}

Status PortTracker::RestoreState(std::string_view json_text) {
  Result<nlohmann::json> parsed = ParseJson(json_text);
  if (!parsed.ok() || !parsed->is_object()) {
    return Status::Corruption("ports state is not a JSON object");
  }
  const nlohmann::json& state = *parsed;
  if (state.value("version", 0) != kStateVersion) {
    return Status::Corruption("ports state has an unknown version");
  }
  std::set<Key> reported;
  std::map<std::string, bool> required_up;
  const auto reported_it = state.find("reported");
  const auto required_it = state.find("required");
  if (reported_it == state.end() || !reported_it->is_array() || required_it == state.end() ||
      !required_it->is_object()) {
    return Status::Corruption("ports state lacks 'reported' or 'required'");
  }
  for (const auto& item : *reported_it) {
    if (!item.is_object() || !item.contains("proto") || !item["proto"].is_string() ||
        !item.contains("address") || !item["address"].is_string() || !item.contains("port") ||
        !item["port"].is_number_unsigned() || item["port"].get<uint64_t>() > 65535) {
      return Status::Corruption("ports state has a bad 'reported' entry: " + item.dump());
    }
    reported.emplace(item["proto"].get<std::string>(), item["address"].get<std::string>(),
                     item["port"].get<uint16_t>());
  }
  for (const auto& [name, up] : required_it->items()) {
    if (!up.is_boolean()) return Status::Corruption("ports state: '" + name + "' is not a bool");
    required_up[name] = up.get<bool>();
  }
  reported_ = std::move(reported);
  required_up_ = std::move(required_up);
  dirty_ = false;
  return Status::Ok();
}

}  // namespace beacon::agent::inputs::ports
