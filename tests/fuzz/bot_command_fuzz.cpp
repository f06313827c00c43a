// Fuzzes the bot's command engine with the line a chat user types: Tokenize (quotes, full-width
// spaces, UTF-8 and size bounds), command lookup by name and alias, argument checks and every
// handler's argument parsing (ids, severities, matchers, durations, report periods, SLB load
// balancer and server words, --force, DNS zones, names, types, values and TTLs), with ports that
// answer with fixed data (SLB: the in-memory slb::Api of tests/unit/bot/fake_slb.h; DNS: a zone
// held in memory) and an in-memory audit log. Input: byte 0 bits 0-1 pick the sender's role
// (unknown, viewer, operator, admin); the rest is the chat line. Invariants: every line gets a
// non-empty reply, and the audit chain still verifies after it.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bot/audit.h"
#include "bot/confirm.h"
#include "bot/dns/provider.h"
#include "bot/engine.h"
#include "bot/release/slb_actions.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/unit/bot/fake_slb.h"

namespace {

using namespace beacon;       // NOLINT(google-build-using-namespace)
using namespace beacon::bot;  // NOLINT(google-build-using-namespace)

constexpr int64_t kNow = 1795672601000;  // 2026-11-26T05:56:41Z

class Hosts final : public HostStatusPort {
 public:
  Result<std::vector<HostSummary>> ListHosts(int64_t now) override {
    return std::vector<HostSummary>{GetHost("web-01", now).value()};
  }
  Result<HostSummary> GetHost(const std::string& name, int64_t now) override {
    if (name != "web-01") return Status::NotFound("no host '" + name + "'");
    HostSummary h;
    h.name = name;
    h.up = true;
    h.last_seen_ms = now - 1000;
    h.key_metrics = {{"cpu.usage", 12.5, "percent"}};
    h.findings = {{"web-01", "fim.changed", "/etc/passwd", now}};
    return h;
  }
  Result<std::vector<HostGroup>> ListGroups() override {
    return std::vector<HostGroup>{{"web", {"web-01", "web-02"}}};
  }
};

class Alerts final : public AlertsPort {
 public:
  Result<std::vector<AlertItem>> ListAlerts(const AlertFilter&) override {
    AlertItem a;
    a.id = 1;
    a.host = "web-01";
    a.title = "disk full";
    return std::vector<AlertItem>{a};
  }
  Status Ack(int64_t id, const std::string&, int64_t) override {
    return id == 1 ? Status::Ok() : Status::NotFound("no alert");
  }
  Result<SilenceItem> CreateSilence(const SilenceRequest& r) override {
    return SilenceItem{1, r.matchers, r.starts_ms, r.ends_ms, r.created_by, r.reason};
  }
  Status ExpireSilence(int64_t, int64_t) override { return Status::Ok(); }
};

class Backups final : public BackupsPort {
 public:
  Result<std::vector<BackupVersionItem>> ListVersions(const std::string&, const std::string& path,
                                                      int) override {
    BackupVersionItem v;
    v.id = 12;
    v.path = path;
    v.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    return std::vector<BackupVersionItem>{v};
  }
  Result<int64_t> RequestBackupRun(const std::string&, const std::string&,
                                   const std::string&) override {
    return 1;
  }
  Result<int64_t> RequestRestore(const std::string&, const std::string&, int64_t,
                                 const std::string&) override {
    return 2;
  }
  Result<int64_t> RequestFimAccept(const std::string&, const std::string&,
                                   const std::string&) override {
    return 3;
  }
  Result<AgentCommandProgress> GetCommand(int64_t id) override {
    AgentCommandProgress p;
    p.id = id;
    p.state = "running";
    p.total_bytes = 10;
    return p;
  }
};

class Reports final : public ReportsPort {
 public:
  Result<ReportData> Collect(int64_t from, int64_t to) override {
    ReportData d;
    d.from_ms = from;
    d.to_ms = to;
    d.alerts_by_severity = {{"high", 2}};
    return d;
  }
};

// A zone's records in memory (bounded: a long run sets many names).
class Dns final : public dns::DnsProvider {
 public:
  std::string Describe() const override { return "memory"; }
  Result<std::vector<dns::DnsRecord>> Show(const std::string&, const std::string& fqdn) override {
    std::vector<dns::DnsRecord> out;
    for (const dns::DnsRecord& r : records_) {
      if (r.name == fqdn) out.push_back(r);
    }
    return out;
  }
  Result<std::vector<std::string>> Replace(const std::string&,
                                           const dns::DnsRecord& record) override {
    if (records_.size() > 64) records_.clear();
    std::erase_if(records_, [&](const dns::DnsRecord& r) {
      return r.name == record.name && r.type == record.type;
    });
    records_.push_back(record);
    return std::vector<std::string>{"req-1"};
  }

 private:
  std::vector<dns::DnsRecord> records_{{"www.example.com.", dns::RecordType::kA, "192.0.2.1", 600}};
};

struct Bot {
  Bot() {
    zones.Add(dns::DnsZoneConfig{"example.com", "memory", 600, 60, 86400}, std::make_unique<Dns>());
    audit = AuditLog::Open(":memory:").value();
    rbac.Grant(Role::kViewer, RoleGrant{{"viewer"}, {}, {}});
    rbac.Grant(Role::kOperator, RoleGrant{{"operator"}, {}, {}});
    rbac.Grant(Role::kAdmin, RoleGrant{{"admin"}, {}, {}});
    confirmations = std::make_unique<Confirmations>(
        kDefaultConfirmTtlMs, [](size_t n) { return std::string(n, '\x01'); });
    EngineDeps deps;
    slb_api.lbs["lb-web"].backends = {testing::FakeSlbApi::Member("i-abc", 100),
                                      testing::FakeSlbApi::Member("i-def", 50)};
    slb_api.lbs["lb-gray"];
    slb_memory = release::WeightMemory::Open(":memory:").value();
    release::SlbConfig slb_config;
    slb_config.production = {{"lb-web", "web", {}}};
    slb_config.gray = {"lb-gray", "gray", 0, 100};
    slb_config.servers = {{"web-01", "i-abc"}};
    slb = std::make_unique<release::SlbActions>(slb_config, slb_api, *slb_memory);
    deps.ports = Ports{&hosts, &alerts, &backups, &reports, slb.get(), &zones};
    deps.rbac = &rbac;
    deps.confirmations = confirmations.get();
    deps.audit = audit.get();
    deps.tz = TimeZone::Load("Asia/Shanghai").value();
    engine = std::make_unique<Engine>(Registry(BuiltinCommands()), std::move(deps));
  }
  Hosts hosts;
  Alerts alerts;
  Backups backups;
  Reports reports;
  testing::FakeSlbApi slb_api;
  std::unique_ptr<release::WeightMemory> slb_memory;
  std::unique_ptr<release::SlbActions> slb;
  dns::DnsZones zones;
  Rbac rbac;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Confirmations> confirmations;
  std::unique_ptr<Engine> engine;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  static Bot* bot = new Bot();  // one audit log for the run: the chain must hold across inputs
  if (size == 0) return 0;
  static constexpr const char* kUsers[] = {"stranger", "viewer", "operator", "admin"};
  ChatRequest request;
  request.sender.user_id = kUsers[data[0] & 3];
  request.sender.channel = kChannelWecomApp;
  request.text.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  request.now_ms = kNow;
  Reply reply = bot->engine->Handle(request);
  FUZZ_CHECK(!reply.body.empty());
  // The code of a preview is always confirmable by its owner (exercises apply and the audit).
  if (size_t at = reply.body.find("confirm 111111"); at != std::string::npos) {
    request.text = "confirm 111111";
    FUZZ_CHECK(!bot->engine->Handle(request).body.empty());
  }
  auto verified = bot->audit->Verify();
  FUZZ_CHECK(verified.ok() && verified->ok);
  return 0;
}
