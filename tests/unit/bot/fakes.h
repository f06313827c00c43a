// In-memory fakes of the bot's ports (bot/ports.h) shared by the bot's unit tests, and a
// fixture-style harness that builds an Engine over them with a temporary audit log. Each fake
// records what it was asked and can be told to fail; all are thread-safe like the real
// adapters must be.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bot/audit.h"
#include "bot/commands/registry.h"
#include "bot/confirm.h"
#include "bot/dns/provider.h"
#include "bot/engine.h"
#include "bot/ports.h"
#include "bot/rbac.h"
#include "common/mutex.h"

namespace beacon::bot::testing {

class FakeHosts final : public HostStatusPort {
 public:
  Result<std::vector<HostSummary>> ListHosts(int64_t) override {
    MutexLock lock(mu_);
    if (!fail.ok()) return fail;
    return hosts;
  }
  Result<HostSummary> GetHost(const std::string& name, int64_t) override {
    MutexLock lock(mu_);
    if (!fail.ok()) return fail;
    for (const HostSummary& h : hosts) {
      if (h.name == name) return h;
    }
    return Status::NotFound("no host '" + name + "'");
  }
  Result<std::vector<HostGroup>> ListGroups() override {
    MutexLock lock(mu_);
    return groups;
  }

  std::vector<HostSummary> hosts;
  std::vector<HostGroup> groups;
  Status fail;

 private:
  Mutex mu_;
};

class FakeAlerts final : public AlertsPort {
 public:
  Result<std::vector<AlertItem>> ListAlerts(const AlertFilter& filter) override {
    MutexLock lock(mu_);
    last_filter = filter;
    std::vector<AlertItem> out;
    for (const AlertItem& a : alerts) {
      if (filter.host && a.host != *filter.host) continue;
      if (filter.min_severity && a.severity < *filter.min_severity) continue;
      out.push_back(a);
    }
    return out;
  }
  Status Ack(int64_t id, const std::string& by, int64_t now_ms) override {
    MutexLock lock(mu_);
    for (AlertItem& a : alerts) {
      if (a.id != id) continue;
      a.acked_by = by;
      a.acked_ms = now_ms;
      return Status::Ok();
    }
    return Status::NotFound("no alert #" + std::to_string(id));
  }
  Result<SilenceItem> CreateSilence(const SilenceRequest& request) override {
    MutexLock lock(mu_);
    SilenceItem s{next_silence_id++, request.matchers,   request.starts_ms,
                  request.ends_ms,   request.created_by, request.reason};
    silences.push_back(s);
    return s;
  }
  Status ExpireSilence(int64_t id, int64_t now_ms) override {
    MutexLock lock(mu_);
    for (SilenceItem& s : silences) {
      if (s.id != id) continue;
      s.ends_ms = now_ms;
      return Status::Ok();
    }
    return Status::NotFound("no silence #" + std::to_string(id));
  }

  std::vector<AlertItem> alerts;
  std::vector<SilenceItem> silences;
  AlertFilter last_filter;
  int64_t next_silence_id = 1;

 private:
  Mutex mu_;
};

// The backup catalog and the agent command channel: versions by (host, path), and every
// requested command kept in order with its arguments.
class FakeBackups final : public BackupsPort {
 public:
  struct Request {
    std::string kind, host, arg, by;
    int64_t version_id = 0;
  };

  Result<std::vector<BackupVersionItem>> ListVersions(const std::string& host,
                                                      const std::string& path, int limit) override {
    MutexLock lock(mu_);
    std::vector<BackupVersionItem> out;
    for (const auto& [key, v] : versions) {
      if (key == host && v.path == path && static_cast<int>(out.size()) < limit) {
        out.push_back(v);
      }
    }
    return out;
  }
  Result<int64_t> RequestBackupRun(const std::string& host, const std::string& set,
                                   const std::string& by) override {
    return Add({kAgentCommandBackupRun, host, set, by, 0});
  }
  Result<int64_t> RequestRestore(const std::string& host, const std::string& path,
                                 int64_t version_id, const std::string& by) override {
    return Add({kAgentCommandRestore, host, path, by, version_id});
  }
  Result<int64_t> RequestFimAccept(const std::string& host, const std::string& path,
                                   const std::string& by) override {
    return Add({kAgentCommandFimAccept, host, path, by, 0});
  }
  Result<AgentCommandProgress> GetCommand(int64_t id) override {
    MutexLock lock(mu_);
    if (id < 1 || id > static_cast<int64_t>(requests.size())) {
      return Status::NotFound("no command #" + std::to_string(id));
    }
    const Request& r = requests[id - 1];
    AgentCommandProgress p;
    p.id = id;
    p.host = r.host;
    p.kind = r.kind;
    p.state = "running";
    p.done_bytes = 512;
    p.total_bytes = 2048;
    p.message = "restoring";
    return p;
  }

  // Versions newest first per (host, path), as the catalog returns them.
  std::vector<std::pair<std::string, BackupVersionItem>> versions;
  std::vector<Request> requests;
  Status fail_requests;

 private:
  Result<int64_t> Add(Request r) {
    MutexLock lock(mu_);
    if (!fail_requests.ok()) return fail_requests;
    requests.push_back(std::move(r));
    return static_cast<int64_t>(requests.size());
  }
  Mutex mu_;
};

class FakeReports final : public ReportsPort {
 public:
  Result<ReportData> Collect(int64_t from_ms, int64_t to_ms) override {
    MutexLock lock(mu_);
    windows.emplace_back(from_ms, to_ms);
    ReportData d = data;
    d.from_ms = from_ms;
    d.to_ms = to_ms;
    return d;
  }
  ReportData data;
  std::vector<std::pair<int64_t, int64_t>> windows;

 private:
  Mutex mu_;
};

inline AlertItem MakeAlert(int64_t id, std::string host, std::string title,
                           alerting::Severity severity = alerting::Severity::kHigh,
                           int64_t starts_ms = 0) {
  AlertItem a;
  a.id = id;
  a.source = "zabbix";
  a.host = std::move(host);
  a.title = std::move(title);
  a.severity = severity;
  a.starts_ms = starts_ms;
  return a;
}

inline BackupVersionItem MakeVersion(int64_t id, std::string path, int64_t created_ms = 0,
                                     uint64_t size = 1536) {
  BackupVersionItem v;
  v.id = id;
  v.set = "etc";
  v.path = std::move(path);
  v.size = size;
  v.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  v.storage_class = "standard";
  v.created_ms = created_ms;
  return v;
}

// 2026-11-26 05:56:41 UTC, 13:56:41 in Asia/Shanghai.
inline constexpr int64_t kNow = 1795672601000;

// An Engine over the fakes with the built-in commands, a fresh audit log in a temporary
// directory, fixed random bytes (codes are predictable) and these users:
// WeCom "viewer1" viewer, "op1" and "op2" operators, "admin1" admin, department "42" operator,
// tag "sre" admin, local "alice" admin and "bob" viewer.
class BotHarness {
 public:
  BotHarness() {
    dir_ = std::filesystem::temp_directory_path() /
           ("bot_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    auto opened = AuditLog::Open((dir_ / "audit.db").string());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    audit = std::move(opened).value();
    rbac.Grant(Role::kViewer, RoleGrant{{"viewer1"}, {}, {}});
    rbac.Grant(Role::kOperator, RoleGrant{{"op1", "op2"}, {"42"}, {}});
    rbac.Grant(Role::kAdmin, RoleGrant{{"admin1"}, {}, {"sre"}});
    rbac.GrantLocal("alice", Role::kAdmin);
    rbac.GrantLocal("bob", Role::kViewer);
    confirmations = std::make_unique<Confirmations>(kDefaultConfirmTtlMs, [this](size_t n) {
      // Each code draws the next digit string: 100001, 100002, ...
      std::string bytes;
      const std::string digits = std::to_string(100000 + ++codes_drawn_);
      for (size_t i = 0; i < n; ++i) bytes += static_cast<char>(digits[i % digits.size()] - '0');
      return bytes;
    });
    EngineDeps deps;
    deps.ports = Ports{&hosts, &alerts, &backups, &reports, nullptr, &dns_zones};
    deps.rbac = &rbac;
    deps.confirmations = confirmations.get();
    deps.audit = audit.get();
    deps.tz = TimeZone::Load("Asia/Shanghai").value();
    deps.max_reply_bytes = 2048;
    engine = std::make_unique<Engine>(Registry(BuiltinCommands()), std::move(deps));
  }
  ~BotHarness() {
    engine.reset();
    audit.reset();
    std::filesystem::remove_all(dir_);
  }

  Reply Say(const std::string& user, const std::string& text, int64_t at = kNow,
            const std::string& channel = kChannelWecomApp) {
    ChatRequest r;
    r.sender.user_id = user;
    r.sender.channel = channel;
    r.text = text;
    r.now_ms = at;
    return engine->Handle(r);
  }
  // The newest audit rows first.
  std::vector<AuditRecord> AuditRows(int limit = 100) {
    AuditQuery q;
    q.limit = limit;
    auto rows = audit->Query(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<AuditRecord>{};
  }
  // The code a preview reply asks for ("confirm 123456").
  static std::string CodeIn(const Reply& reply) {
    for (const char* marker : {"confirm ", "确认 "}) {
      size_t at = reply.body.find(marker);
      if (at != std::string::npos) return reply.body.substr(at + std::strlen(marker), 6);
    }
    return "";
  }
  const std::filesystem::path& dir() const { return dir_; }

  FakeHosts hosts;
  FakeAlerts alerts;
  FakeBackups backups;
  FakeReports reports;
  dns::DnsZones dns_zones;  // none configured; tests Add() theirs
  Rbac rbac;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Confirmations> confirmations;
  std::unique_ptr<Engine> engine;

 private:
  static inline int counter_ = 0;
  int codes_drawn_ = 0;
  std::filesystem::path dir_;
};

}  // namespace beacon::bot::testing
