// Wire protocol: what the agent sends is exactly what the collector decodes, and every kind of
// malformed batch is rejected with the offending field named.
#include "common/wire/wire.h"

#include <gtest/gtest.h>

namespace beacon::wire {
namespace {

Record MakeSample(uint64_t seq, std::string metric, double value) {
  Record r;
  r.seq = seq;
  r.ts_ms = 1764136601123;
  r.type = RecordType::kSample;
  r.sample.metric = std::move(metric);
  r.sample.value = value;
  return r;
}

Record MakeEvent(uint64_t seq, std::string kind) {
  Record r;
  r.seq = seq;
  r.ts_ms = 1764136602000;
  r.type = RecordType::kEvent;
  r.event.kind = std::move(kind);
  r.event.severity = "warning";
  r.event.subject = "tcp/8081";
  r.event.message = "unexpected listener on 0.0.0.0:8081 (pid 42, nc)";
  r.event.data = {{"pid", 42}, {"process", "nc"}};
  return r;
}

TEST(WireTest, BatchRoundTripKeepsEveryField) {
  Batch b;
  b.agent = "web-01";
  b.agent_version = "0.1.0";
  b.sent_at_ms = 1764136603000;
  auto s = MakeSample(10, "system.fs.util", 42.5);
  s.sample.labels = {{"mount", "/var"}};
  b.records = {s, MakeEvent(11, "port.unexpected")};

  auto decoded = DecodeBatch(EncodeBatch(b));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->agent, "web-01");
  EXPECT_EQ(decoded->agent_version, "0.1.0");
  EXPECT_EQ(decoded->sent_at_ms, 1764136603000);
  ASSERT_EQ(decoded->records.size(), 2u);
  const auto& d0 = decoded->records[0];
  EXPECT_EQ(d0.seq, 10u);
  EXPECT_EQ(d0.ts_ms, 1764136601123);
  EXPECT_EQ(d0.type, RecordType::kSample);
  EXPECT_EQ(d0.sample.metric, "system.fs.util");
  EXPECT_DOUBLE_EQ(d0.sample.value, 42.5);
  EXPECT_EQ(d0.sample.labels.at("mount"), "/var");
  const auto& d1 = decoded->records[1];
  EXPECT_EQ(d1.type, RecordType::kEvent);
  EXPECT_EQ(d1.event.kind, "port.unexpected");
  EXPECT_EQ(d1.event.severity, "warning");
  EXPECT_EQ(d1.event.subject, "tcp/8081");
  EXPECT_EQ(d1.event.data["pid"], 42);
}

TEST(WireTest, PreEncodedRecordsMakeTheSameBatch) {
  std::vector<std::string> encoded = {EncodeRecord(MakeSample(1, "a", 1)),
                                      EncodeRecord(MakeEvent(2, "b.c"))};
  auto body = EncodeBatchFromEncodedRecords("h", "v", 1764136603000, encoded);
  auto decoded = DecodeBatch(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->records.size(), 2u);
  EXPECT_EQ(decoded->records[1].event.kind, "b.c");
  // An empty batch is valid (the agent never sends one, but it must not break the collector).
  EXPECT_TRUE(DecodeBatch(EncodeBatchFromEncodedRecords("h", "v", 1, {})).ok());
}

TEST(WireTest, InvalidUtf8IsReplacedNotThrown) {
  auto e = MakeEvent(1, "fim.changed");
  e.event.subject = std::string("/etc/bad\xff\xfe") + "name";
  auto text = EncodeRecord(e);
  auto j = nlohmann::json::parse(text);
  EXPECT_NE(j["subject"].get<std::string>().find("name"), std::string::npos);
}

struct BadCase {
  const char* name;
  const char* body;
  const char* expected;  // substring of the error message
};

class WireRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(WireRejectTest, RejectsWithFieldNamed) {
  auto r = DecodeBatch(GetParam().body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(GetParam().expected), std::string::npos)
      << r.status().message();
}

#define TS "\"ts\":\"2026-11-26T05:56:41Z\""
INSTANTIATE_TEST_SUITE_P(
    Cases, WireRejectTest,
    ::testing::Values(
        BadCase{"NotJson", "{\"agent\":", "malformed JSON body: invalid JSON at byte 9"},
        // The batch's own three levels count: 62 more in a record reach 65.
        BadCase{
            "TooDeep",
            "{\"agent\":\"a\",\"records\":[{\"data\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
            "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}",
            "malformed JSON body: JSON nested deeper than 64 levels at byte 93"},
        BadCase{"NotObject", "[1,2]", "batch: expected an object, got an array"},
        BadCase{"MissingAgent", "{\"records\":[]}", "batch.agent: required field is missing"},
        BadCase{"AgentWrongType", "{\"agent\":5,\"records\":[]}",
                "batch.agent: expected a string, got a number"},
        BadCase{"BadAgentName", "{\"agent\":\"../etc\",\"records\":[]}", "invalid agent name"},
        BadCase{"RecordsNotArray", "{\"agent\":\"a\",\"records\":{}}",
                "batch.records: expected an array"},
        BadCase{"MissingSeq",
                "{\"agent\":\"a\",\"records\":[{" TS
                ",\"type\":\"sample\",\"metric\":\"m\",\"value\":1}]}",
                "records[0].seq: required field is missing"},
        BadCase{"NegativeSeq",
                "{\"agent\":\"a\",\"records\":[{\"seq\":-3," TS
                ",\"type\":\"sample\",\"metric\":\"m\",\"value\":1}]}",
                "records[0].seq: expected a positive integer"},
        BadCase{"StringSeq",
                "{\"agent\":\"a\",\"records\":[{\"seq\":\"1\"," TS
                ",\"type\":\"sample\",\"metric\":\"m\",\"value\":1}]}",
                "records[0].seq: expected a positive integer, got a string"},
        BadCase{"BadTs",
                "{\"agent\":\"a\",\"records\":[{\"seq\":1,\"ts\":\"yesterday\",\"type\":\"sample\","
                "\"metric\":\"m\",\"value\":1}]}",
                "records[0].ts: expected an RFC 3339 time"},
        BadCase{"ValueString",
                "{\"agent\":\"a\",\"records\":[{\"seq\":1," TS
                ",\"type\":\"sample\",\"metric\":\"m\",\"value\":\"1\"}]}",
                "records[0].value: expected a number, got a string"},
        BadCase{"BadMetric",
                "{\"agent\":\"a\",\"records\":[{\"seq\":1," TS
                ",\"type\":\"sample\",\"metric\":\"m m\",\"value\":1}]}",
                "records[0].metric: invalid metric name"},
        BadCase{"LabelNotString",
                "{\"agent\":\"a\",\"records\":[{\"seq\":1," TS
                ",\"type\":\"sample\",\"metric\":\"m\",\"value\":1,\"labels\":{\"x\":1}}]}",
                "records[0].labels.x: expected a string"},
        BadCase{"UnknownType",
                "{\"agent\":\"a\",\"records\":[{\"seq\":1," TS ",\"type\":\"log\"}]}",
                "records[0].type: unknown record type 'log'"},
        BadCase{"BadSeverity",
                "{\"agent\":\"a\",\"records\":[{\"seq\":1," TS
                ",\"type\":\"event\",\"kind\":\"k\",\"severity\":\"critical\"}]}",
                "records[0].severity: unknown severity 'critical'"},
        BadCase{"DataNotObject",
                "{\"agent\":\"a\",\"records\":[{\"seq\":1," TS
                ",\"type\":\"event\",\"kind\":\"k\",\"data\":[1]}]}",
                "records[0].data: expected an object"},
        BadCase{"SeqNotIncreasing",
                "{\"agent\":\"a\",\"records\":[{\"seq\":5," TS
                ",\"type\":\"event\",\"kind\":\"k\"},{\"seq\":5," TS
                ",\"type\":\"event\",\"kind\":\"k\"}]}",
                "records[1].seq: seq 5 does not increase (previous 5)"},
        BadCase{"WrongVersion", "{\"v\":2,\"agent\":\"a\",\"records\":[]}",
                "unsupported protocol version 2"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(WireTest, TooManyRecordsIsResourceExhausted) {
  std::vector<std::string> encoded;
  for (uint64_t i = 1; i <= 11; ++i) encoded.push_back(EncodeRecord(MakeSample(i, "m", 1)));
  DecodeLimits limits;
  limits.max_records = 10;
  auto r = DecodeBatch(EncodeBatchFromEncodedRecords("a", "v", 1, encoded), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(WireTest, OversizedStringsAreRejected) {
  auto e = MakeEvent(1, "k");
  e.event.message = std::string(5000, 'x');
  auto r = DecodeBatch(EncodeBatchFromEncodedRecords("a", "v", 1, {EncodeRecord(e)}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("records[0].message: longer than 4096 bytes"),
            std::string::npos);
}

TEST(WireTest, AgentNames) {
  EXPECT_TRUE(IsValidAgentName("web-01.prod_cn"));
  EXPECT_FALSE(IsValidAgentName(""));
  EXPECT_FALSE(IsValidAgentName("-x"));
  EXPECT_FALSE(IsValidAgentName(".hidden"));
  EXPECT_FALSE(IsValidAgentName("a/b"));
  EXPECT_FALSE(IsValidAgentName(std::string(129, 'a')));
}

TEST(WireTest, AckRoundTripAndValidation) {
  auto a = DecodeAck(EncodeAck({123, 10, 2}));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->acked_through, 123u);
  EXPECT_EQ(a->accepted, 10);
  EXPECT_EQ(a->duplicates, 2);
  EXPECT_FALSE(DecodeAck("{\"acked_through\":-1}").ok());
  EXPECT_FALSE(DecodeAck("{}").ok());
  EXPECT_FALSE(DecodeAck("<html>").ok());
}

}  // namespace
}  // namespace beacon::wire
