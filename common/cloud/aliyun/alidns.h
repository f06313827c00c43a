// Typed Alidns (2015-01-09) calls: the narrow `alidns::Api` interface the bot fakes, its
// RPC-backed implementation over RpcClient, and the pure parser of DescribeDomainRecords.
// Results keep the RequestIds behind them (the audit log records them). RpcApi is thread-safe
// (RpcClient is); the parser is pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/cloud/aliyun/rpc.h"
#include "common/status.h"

namespace beacon::aliyun::alidns {

struct Record {
  std::string record_id;
  std::string domain_name;
  std::string rr;     // "www", "@"
  std::string type;   // "A", "CNAME", ...
  std::string value;  // "192.0.2.1"
  int64_t ttl = 0;
  int64_t priority = 0;  // MX only
  std::string line;      // "default"
  std::string status;    // "ENABLE" | "DISABLE"
  bool locked = false;
};

struct RecordFilter {
  std::string rr_keyword;    // RRKeyWord: Alidns matches it as a substring of the RR
  std::string type_keyword;  // TypeKeyWord: "A", "CNAME", ...
};

struct RecordList {
  std::vector<Record> records;
  std::vector<std::string> request_ids;  // one per page
};

struct RecordUpdate {
  std::string domain_name;  // to read the record back; not sent with UpdateDomainRecord
  std::string record_id;
  std::string rr;
  std::string type;
  std::string value;
  std::optional<int64_t> ttl;       // absent: the API default (600)
  std::optional<std::string> line;  // absent: "default"
  std::optional<int64_t> priority;  // MX only
};

struct UpdateResult {
  std::string request_id;  // of UpdateDomainRecord (also when it answered DomainRecordDuplicate)
  // True when the record already had these values (DomainRecordDuplicate, confirmed by reading
  // the record back).
  bool unchanged = false;
};

class Api {
 public:
  virtual ~Api() = default;
  // Every page (PageSize 500) of the domain's records matching the filter.
  virtual Result<RecordList> DescribeDomainRecords(const std::string& domain_name,
                                                   const RecordFilter& filter) = 0;
  // Changes one record. DomainRecordDuplicate (the record already has these values) is success
  // with `unchanged` once a read-back shows the record with exactly the requested RR, type and
  // value; otherwise it is the API error.
  virtual Result<UpdateResult> UpdateDomainRecord(const RecordUpdate& update) = 0;
};

// The Api over RpcClient (which must outlive it).
class RpcApi final : public Api {
 public:
  explicit RpcApi(const RpcClient& client) : client_(client) {}
  Result<RecordList> DescribeDomainRecords(const std::string& domain_name,
                                           const RecordFilter& filter) override;
  Result<UpdateResult> UpdateDomainRecord(const RecordUpdate& update) override;

 private:
  const RpcClient& client_;
};

// The records of one DescribeDomainRecords answer. InvalidArgument naming the field for a wrong
// shape.
Result<std::vector<Record>> ParseDomainRecords(const nlohmann::json& body);

}  // namespace beacon::aliyun::alidns
