// Agent <-> collector messages (docs/wire-protocol.md). The agent spools each Record as its
// JSON text and a batch is those texts joined, so encoding is done once per record.
// Decoding is strict: unknown record types, wrong JSON types, non-finite values, bad names and
// seqs that do not strictly increase are InvalidArgument with the offending field named.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::wire {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kIngestPath = "/api/v1/ingest";
// Bodies larger than this are sent zstd-compressed (Content-Encoding: zstd) by default.
inline constexpr size_t kDefaultCompressThreshold = 4096;

enum class RecordType { kSample, kEvent };

// Zabbix's six severities, in order; agents and alerts share them.
inline const std::vector<std::string>& Severities() {
  static const std::vector<std::string> kSeverities = {"not_classified", "information", "warning",
                                                       "average",        "high",        "disaster"};
  return kSeverities;
}

struct Sample {
  std::string metric;                         // "system.cpu.util"
  double value = 0;                           // finite
  std::map<std::string, std::string> labels;  // {"mode": "user"}; may be empty
};

struct Event {
  std::string kind;  // "port.unexpected", "fim.changed", "agent.spool.dropped"
  std::string severity = "information";
  std::string subject;                             // what it is about: "tcp/8081", "/etc/passwd"
  std::string message;                             // one human line
  nlohmann::json data = nlohmann::json::object();  // structured details
};

struct Record {
  uint64_t seq = 0;   // per agent, strictly increasing, never reused
  int64_t ts_ms = 0;  // when observed (UTC ms)
  RecordType type = RecordType::kSample;
  Sample sample;  // when type == kSample
  Event event;    // when type == kEvent
};

struct Batch {
  std::string agent;  // agent name; must match the token's agent
  std::string agent_version;
  int64_t sent_at_ms = 0;
  std::vector<Record> records;
};

struct Ack {
  uint64_t acked_through = 0;  // every record with seq <= this is stored
  int64_t accepted = 0;        // newly stored
  int64_t duplicates = 0;      // already stored before (re-sent)
};

struct DecodeLimits {
  size_t max_records = 10000;
  size_t max_string_bytes = 4096;  // metric, kind, subject, label values, message
  size_t max_labels = 32;
  size_t max_data_bytes = 65536;  // serialized event.data
  // Values in the whole batch text (common/json/parse.h JsonLimits::max_values): bounds the
  // memory of the parsed tree, which can be ~30 times the text. Nesting is limited to
  // kDefaultJsonMaxDepth levels, the batch's own three (batch, records, record) included.
  size_t max_json_values = 1000000;
};

// Names: metrics, kinds and label keys match [A-Za-z0-9_.:-]{1,200}; agent names match
// [A-Za-z0-9_.-]{1,128} and do not start with '.' or '-'.
bool IsValidMetricName(std::string_view name);
bool IsValidAgentName(std::string_view name);

std::string EncodeRecord(const Record& record);
Result<Record> DecodeRecord(const nlohmann::json& json, const DecodeLimits& limits = {});
// As DecodeRecord, naming fields under `path` in errors ("records[3].value: ...").
Result<Record> DecodeRecordAt(const nlohmann::json& json, const DecodeLimits& limits,
                              const std::string& path);

// Joins already-encoded record texts into a batch body without re-encoding them.
std::string EncodeBatchFromEncodedRecords(std::string_view agent, std::string_view agent_version,
                                          int64_t sent_at_ms,
                                          const std::vector<std::string>& encoded_records);
std::string EncodeBatch(const Batch& batch);
Result<Batch> DecodeBatch(std::string_view body, const DecodeLimits& limits = {});

std::string EncodeAck(const Ack& ack);
Result<Ack> DecodeAck(std::string_view body);

}  // namespace beacon::wire
