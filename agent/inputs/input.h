// The input interface: an input declares what it emits (metrics with units, event kinds) and
// gathers on demand; the Scheduler owns timing, spooling and error handling (as in telegraf).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config/config.h"
#include "common/status.h"
#include "common/wire/wire.h"

namespace beacon::agent::inputs {

enum class MetricType { kGauge, kCounter };

struct MetricSpec {
  std::string name;         // "system.cpu.util"
  std::string unit;         // "percent", "bytes", "seconds", "count", "" (dimensionless)
  std::string description;  // one line, shown in docs
  MetricType type = MetricType::kGauge;
  std::vector<std::string> labels;  // label keys the metric may carry ("mode", "mount")
};

struct EventSpec {
  std::string kind;
  std::string description;
};

// Collects what one Gather() produces. Samples that the collector would reject (non-finite
// values, invalid names) are dropped here and counted, so one bad value never poisons a batch.
// Not thread-safe: one Emitter per gather.
class Emitter {
 public:
  explicit Emitter(const Clock& clock) : clock_(clock) {}
  void AddSample(const std::string& metric, double value,
                 std::map<std::string, std::string> labels = {});
  void AddEvent(wire::Event event);

  std::vector<wire::Record>& records() { return records_; }
  // Human reasons for every dropped record ("system.fs.util: value is not finite").
  const std::vector<std::string>& rejected() const { return rejected_; }

 private:
  const Clock& clock_;
  std::vector<wire::Record> records_;
  std::vector<std::string> rejected_;
};

// Receives records from a gather or from a long-running input's own thread; thread-safe
// (the agent appends them to the spool).
using RecordSink = std::function<Status(std::vector<wire::Record> records)>;

// What the framework gives an input when it starts.
struct InputContext {
  std::string state_dir;  // <agent.data_dir>/inputs/<name>, created; state that survives restarts
  const Clock* clock = nullptr;
};

// A polled input. Init() runs once at config load (it reads the input's own keys from its
// YAML node and records errors there); Gather() runs on the input's own scheduler thread, so an
// input needs no locking. Gather() may emit records and still return an error: both count.
class Input {
 public:
  virtual ~Input() = default;
  virtual std::string name() const = 0;
  virtual std::vector<MetricSpec> metrics() const = 0;
  virtual std::vector<EventSpec> events() const { return {}; }
  virtual Status Init(config::Node node) = 0;
  virtual Status Gather(Emitter& emitter) = 0;
  // Called once after Init() and before the first Gather(). Inputs with state open it here;
  // long-running inputs (inotify watchers) start their own thread and hand records to `sink`.
  // An error is reported like a failed gather; Gather() is still called on schedule.
  virtual Status Start(const InputContext& context, RecordSink sink) {
    (void)context;
    (void)sink;
    return Status::Ok();
  }
  // Stops what Start() started; called after the last Gather().
  virtual void Stop() {}
};

}  // namespace beacon::agent::inputs
