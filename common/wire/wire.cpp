// Strict JSON encoding/decoding of agent batches (docs/wire-protocol.md).
#include "common/wire/wire.h"

#include <algorithm>
#include <cmath>

#include "common/clock.h"
#include "common/json/parse.h"

namespace beacon::wire {
namespace {

using nlohmann::json;

bool IsNameChar(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || (allow_colon && c == ':');
}

std::string TypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

Status FieldError(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

// Reads a required string field with a length limit.
Status GetString(const json& obj, const char* key, const std::string& path, size_t max_len,
                 bool required, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return FieldError(path + "." + key, "required field is missing");
    return Status::Ok();
  }
  if (!it->is_string()) {
    return FieldError(path + "." + key, "expected a string, got " + TypeName(*it));
  }
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len) {
    return FieldError(path + "." + key, "longer than " + std::to_string(max_len) + " bytes");
  }
  *out = s;
  return Status::Ok();
}

Status GetTimestamp(const json& obj, const char* key, const std::string& path, int64_t* out) {
  std::string text;
  BEACON_RETURN_IF_ERROR(GetString(obj, key, path, 64, true, &text));
  auto ms = ParseRfc3339(text);
  if (!ms.ok())
    return FieldError(path + "." + key, "expected an RFC 3339 time, got '" + text + "'");
  *out = *ms;
  return Status::Ok();
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameChar(c, true); });
}

bool IsValidAgentName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.' || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameChar(c, false); });
}

static json RecordToJson(const Record& r) {
  json j;
  j["seq"] = r.seq;
  j["ts"] = FormatRfc3339(r.ts_ms);
  if (r.type == RecordType::kSample) {
    j["type"] = "sample";
    j["metric"] = r.sample.metric;
    j["value"] = r.sample.value;
    if (!r.sample.labels.empty()) j["labels"] = r.sample.labels;
  } else {
    j["type"] = "event";
    j["kind"] = r.event.kind;
    j["severity"] = r.event.severity;
    j["subject"] = r.event.subject;
    j["message"] = r.event.message;
    if (!r.event.data.is_null() && !r.event.data.empty()) j["data"] = r.event.data;
  }
  return j;
}

std::string EncodeRecord(const Record& record) {
  // Replace invalid UTF-8 rather than throw: an input may report a file name that is not UTF-8.
  return RecordToJson(record).dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Record> DecodeRecord(const json& j, const DecodeLimits& limits) {
  return DecodeRecordAt(j, limits, "record");
}

Result<Record> DecodeRecordAt(const json& j, const DecodeLimits& limits, const std::string& path) {
  if (!j.is_object()) return FieldError(path, "expected an object, got " + TypeName(j));
  Record r;
  auto seq = j.find("seq");
  if (seq == j.end()) return FieldError(path + ".seq", "required field is missing");
  if (!seq->is_number_unsigned() && !(seq->is_number_integer() && seq->get<int64_t>() > 0)) {
    return FieldError(path + ".seq", "expected a positive integer, got " +
                                         (seq->is_number() ? seq->dump() : TypeName(*seq)));
  }
  r.seq = seq->get<uint64_t>();
  if (r.seq == 0) return FieldError(path + ".seq", "expected a positive integer, got 0");
  BEACON_RETURN_IF_ERROR(GetTimestamp(j, "ts", path, &r.ts_ms));
  std::string type;
  BEACON_RETURN_IF_ERROR(GetString(j, "type", path, 16, true, &type));
  if (type == "sample") {
    r.type = RecordType::kSample;
    BEACON_RETURN_IF_ERROR(GetString(j, "metric", path, 200, true, &r.sample.metric));
    if (!IsValidMetricName(r.sample.metric)) {
      return FieldError(path + ".metric", "invalid metric name '" + r.sample.metric +
                                              "' (allowed: letters, digits, _ . : -)");
    }
    auto v = j.find("value");
    if (v == j.end()) return FieldError(path + ".value", "required field is missing");
    if (!v->is_number())
      return FieldError(path + ".value", "expected a number, got " + TypeName(*v));
    r.sample.value = v->get<double>();
    if (!std::isfinite(r.sample.value)) return FieldError(path + ".value", "must be finite");
    auto labels = j.find("labels");
    if (labels != j.end() && !labels->is_null()) {
      if (!labels->is_object()) {
        return FieldError(path + ".labels", "expected an object, got " + TypeName(*labels));
      }
      if (labels->size() > limits.max_labels) {
        return FieldError(path + ".labels",
                          "more than " + std::to_string(limits.max_labels) + " labels");
      }
      for (const auto& [k, val] : labels->items()) {
        if (!IsValidMetricName(k))
          return FieldError(path + ".labels", "invalid label name '" + k + "'");
        if (!val.is_string()) {
          return FieldError(path + ".labels." + k, "expected a string, got " + TypeName(val));
        }
        const auto& s = val.get_ref<const std::string&>();
        if (s.size() > limits.max_string_bytes) {
          return FieldError(path + ".labels." + k,
                            "longer than " + std::to_string(limits.max_string_bytes) + " bytes");
        }
        r.sample.labels.emplace(k, s);
      }
    }
  } else if (type == "event") {
    r.type = RecordType::kEvent;
    BEACON_RETURN_IF_ERROR(GetString(j, "kind", path, 200, true, &r.event.kind));
    if (!IsValidMetricName(r.event.kind)) {
      return FieldError(path + ".kind", "invalid event kind '" + r.event.kind + "'");
    }
    BEACON_RETURN_IF_ERROR(GetString(j, "severity", path, 32, false, &r.event.severity));
    const auto& sev = Severities();
    if (std::find(sev.begin(), sev.end(), r.event.severity) == sev.end()) {
      return FieldError(path + ".severity", "unknown severity '" + r.event.severity +
                                                "' (expected one of: not_classified, information, "
                                                "warning, average, high, disaster)");
    }
    BEACON_RETURN_IF_ERROR(
        GetString(j, "subject", path, limits.max_string_bytes, false, &r.event.subject));
    BEACON_RETURN_IF_ERROR(
        GetString(j, "message", path, limits.max_string_bytes, false, &r.event.message));
    auto data = j.find("data");
    if (data != j.end() && !data->is_null()) {
      if (!data->is_object())
        return FieldError(path + ".data", "expected an object, got " + TypeName(*data));
      if (data->dump(-1, ' ', false, json::error_handler_t::replace).size() >
          limits.max_data_bytes) {
        return FieldError(path + ".data",
                          "larger than " + std::to_string(limits.max_data_bytes) + " bytes");
      }
      r.event.data = *data;
    }
  } else {
    return FieldError(path + ".type",
                      "unknown record type '" + type + "' (expected sample or event)");
  }
  return r;
}

std::string EncodeBatchFromEncodedRecords(std::string_view agent, std::string_view agent_version,
                                          int64_t sent_at_ms,
                                          const std::vector<std::string>& encoded_records) {
  json head;
  head["v"] = kProtocolVersion;
  head["agent"] = agent;
  head["agent_version"] = agent_version;
  head["sent_at"] = FormatRfc3339(sent_at_ms);
  std::string out = head.dump();
  out.pop_back();  // '}'
  size_t total = out.size() + 16;
  for (const auto& r : encoded_records) total += r.size() + 1;
  out.reserve(total);
  out += ",\"records\":[";
  for (size_t i = 0; i < encoded_records.size(); ++i) {
    if (i) out += ',';
    out += encoded_records[i];
  }
  out += "]}";
  return out;
}

std::string EncodeBatch(const Batch& batch) {
  std::vector<std::string> encoded;
  encoded.reserve(batch.records.size());
  for (const auto& r : batch.records) encoded.push_back(EncodeRecord(r));
  return EncodeBatchFromEncodedRecords(batch.agent, batch.agent_version, batch.sent_at_ms, encoded);
}

Result<Batch> DecodeBatch(std::string_view body, const DecodeLimits& limits) {
  // The body was already bounded in bytes by the caller (the collector's ingest limits).
  JsonLimits json_limits;
  json_limits.max_bytes = body.size();
  json_limits.max_values = limits.max_json_values;
  BEACON_ASSIGN_OR_RETURN(json j, ParseJsonBody(body, json_limits));
  if (!j.is_object()) return FieldError("batch", "expected an object, got " + TypeName(j));
  auto v = j.find("v");
  if (v != j.end() && !(v->is_number_integer() && v->get<int64_t>() == kProtocolVersion)) {
    return FieldError("v", "unsupported protocol version " + v->dump() +
                               " (this collector speaks " + std::to_string(kProtocolVersion) + ")");
  }
  Batch b;
  BEACON_RETURN_IF_ERROR(GetString(j, "agent", "batch", 128, true, &b.agent));
  if (!IsValidAgentName(b.agent))
    return FieldError("batch.agent", "invalid agent name '" + b.agent + "'");
  BEACON_RETURN_IF_ERROR(GetString(j, "agent_version", "batch", 64, false, &b.agent_version));
  if (j.contains("sent_at"))
    BEACON_RETURN_IF_ERROR(GetTimestamp(j, "sent_at", "batch", &b.sent_at_ms));
  auto recs = j.find("records");
  if (recs == j.end()) return FieldError("batch.records", "required field is missing");
  if (!recs->is_array())
    return FieldError("batch.records", "expected an array, got " + TypeName(*recs));
  if (recs->size() > limits.max_records) {
    return Status::ResourceExhausted("batch.records: " + std::to_string(recs->size()) +
                                     " records, more than the limit of " +
                                     std::to_string(limits.max_records));
  }
  b.records.reserve(recs->size());
  uint64_t last_seq = 0;
  for (size_t i = 0; i < recs->size(); ++i) {
    std::string path = "records[" + std::to_string(i) + "]";
    BEACON_ASSIGN_OR_RETURN(Record r, DecodeRecordAt((*recs)[i], limits, path));
    if (r.seq <= last_seq) {
      return FieldError(path + ".seq", "seq " + std::to_string(r.seq) +
                                           " does not increase (previous " +
                                           std::to_string(last_seq) + ")");
    }
    last_seq = r.seq;
    b.records.push_back(std::move(r));
  }
  return b;
}

std::string EncodeAck(const Ack& ack) {
  json j;
  j["acked_through"] = ack.acked_through;
  j["accepted"] = ack.accepted;
  j["duplicates"] = ack.duplicates;
  return j.dump();
}

Result<Ack> DecodeAck(std::string_view body) {
  Result<json> parsed = ParseJson(body);
  if (!parsed.ok()) return parsed.status().WithContext("ack");
  json j = std::move(*parsed);
  if (!j.is_object()) return Status::InvalidArgument("ack is not a JSON object");
  auto at = j.find("acked_through");
  if (at == j.end() || !at->is_number_unsigned()) {
    if (!(at != j.end() && at->is_number_integer() && at->get<int64_t>() >= 0)) {
      return Status::InvalidArgument("ack.acked_through: expected a non-negative integer");
    }
  }
  Ack a;
  a.acked_through = at->get<uint64_t>();
  if (auto it = j.find("accepted"); it != j.end() && it->is_number_integer())
    a.accepted = it->get<int64_t>();
  if (auto it = j.find("duplicates"); it != j.end() && it->is_number_integer())
    a.duplicates = it->get<int64_t>();
  return a;
}

}  // namespace beacon::wire
