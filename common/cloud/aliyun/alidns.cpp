// Alidns calls over RpcClient and the parser of DescribeDomainRecords (see alidns.h).
#include "common/cloud/aliyun/alidns.h"

#include "common/cloud/aliyun/fields.h"
#include "common/strings.h"

namespace beacon::aliyun::alidns {
namespace {

constexpr int kPageSize = 500;  // the API's maximum
constexpr int kMaxPages = 200;  // 100,000 records; a broken endpoint that keeps paging stops here

}  // namespace

Result<std::vector<Record>> ParseDomainRecords(const nlohmann::json& body) {
  BEACON_ASSIGN_OR_RETURN(auto objects, fields::NestedObjects(body, "DomainRecords", "Record"));
  std::vector<Record> out;
  for (const nlohmann::json* object : objects) {
    constexpr std::string_view kWhere = "Record";
    Record record;
    BEACON_ASSIGN_OR_RETURN(record.record_id, fields::String(*object, "RecordId", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.domain_name, fields::String(*object, "DomainName", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.rr, fields::String(*object, "RR", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.type, fields::String(*object, "Type", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.value, fields::String(*object, "Value", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.ttl, fields::Int(*object, "TTL", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.priority, fields::Int(*object, "Priority", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.line, fields::String(*object, "Line", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.status, fields::String(*object, "Status", kWhere));
    BEACON_ASSIGN_OR_RETURN(record.locked, fields::Bool(*object, "Locked", kWhere));
    if (record.record_id.empty()) return Status::InvalidArgument("Record.RecordId: missing");
    out.push_back(std::move(record));
  }
  return out;
}

Result<RecordList> RpcApi::DescribeDomainRecords(const std::string& domain_name,
                                                 const RecordFilter& filter) {
  RecordList out;
  for (int page = 1; page <= kMaxPages; ++page) {
    RpcParams params{{"DomainName", domain_name},
                     {"PageNumber", std::to_string(page)},
                     {"PageSize", std::to_string(kPageSize)}};
    if (!filter.rr_keyword.empty()) params["RRKeyWord"] = filter.rr_keyword;
    if (!filter.type_keyword.empty()) params["TypeKeyWord"] = filter.type_keyword;
    BEACON_ASSIGN_OR_RETURN(RpcResponse response,
                            client_.Call(kAlidns, "DescribeDomainRecords", std::move(params)));
    out.request_ids.push_back(response.request_id);
    const std::string context = "answer (RequestId " + response.request_id + ")";
    Result<std::vector<Record>> records = ParseDomainRecords(response.body);
    if (!records.ok()) return records.status().WithContext(context);
    Result<int64_t> total = fields::Int(response.body, "TotalCount", "answer", -1);
    if (!total.ok()) return total.status().WithContext(context);
    const size_t got = records->size();
    for (Record& record : *records) out.records.push_back(std::move(record));
    if (got < static_cast<size_t>(kPageSize) ||
        (*total >= 0 && out.records.size() >= static_cast<size_t>(*total))) {
      return out;
    }
  }
  return Status::ResourceExhausted("alidns DescribeDomainRecords: more than " +
                                   std::to_string(kMaxPages) + " pages");
}

Result<UpdateResult> RpcApi::UpdateDomainRecord(const RecordUpdate& update) {
  RpcParams params{{"RecordId", update.record_id},
                   {"RR", update.rr},
                   {"Type", update.type},
                   {"Value", update.value}};
  if (update.ttl) params["TTL"] = std::to_string(*update.ttl);
  if (update.line) params["Line"] = *update.line;
  if (update.priority) params["Priority"] = std::to_string(*update.priority);
  RpcError error;
  Result<RpcResponse> response = client_.Call(kAlidns, "UpdateDomainRecord", std::move(params),
                                              Idempotency::kIdempotent, &error);
  if (response.ok()) return UpdateResult{response->request_id, false};
  if (error.code != "DomainRecordDuplicate") return response.status();

  // The API refuses an update to the values a record already has; that is what was asked for,
  // once the record is seen to hold them.
  Result<RecordList> records =
      DescribeDomainRecords(update.domain_name, RecordFilter{update.rr, update.type});
  if (!records.ok()) {
    return records.status().WithContext("reading back after DomainRecordDuplicate");
  }
  for (const Record& record : records->records) {
    if (record.record_id == update.record_id && record.rr == update.rr &&
        Lower(record.type) == Lower(update.type) && record.value == update.value) {
      return UpdateResult{error.request_id, true};
    }
  }
  return Status(response.status().code(),
                response.status().message() + "; the record read back does not have these values");
}

}  // namespace beacon::aliyun::alidns
