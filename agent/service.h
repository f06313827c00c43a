// AgentService: wires an AgentConfig into a running agent — the spool, the uplink (own thread),
// the input scheduler (a thread per input), the backup pipeline and the command channel
// (restore, backup.run and fim.accept commands, own thread) — like collector/service.h for the
// collector. RunAgent is the `run` composition root around it: the stop signals and the test-only
// fault point. Start and Stop are called from one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/backup/backup_run_handler.h"
#include "agent/backup/backup_service.h"
#include "agent/backup/rate_limiter.h"
#include "agent/backup/restore_handler.h"
#include "agent/backup/state.h"
#include "agent/backup/uploader.h"
#include "agent/config.h"
#include "agent/inputs/fim/accept_handler.h"
#include "agent/inputs/fim/fim.h"
#include "agent/inputs/scheduler.h"
#include "agent/spool/spool.h"
#include "agent/uplink/command_channel.h"
#include "agent/uplink/uplink.h"
#include "agent/zabbix/zabbix_service.h"
#include "common/clock.h"
#include "common/cloud/objstore/object_store.h"
#include "common/http/client.h"
#include "common/status.h"

namespace beacon::agent {

// The spool of the configuration: `run`, `emit` and `backup once` open the same file.
SpoolOptions SpoolOptionsOf(const AgentConfig& cfg);

// What the backup pipeline needs at run time: the stores, the state database and one Uploader
// per store that a set uses.
struct BackupRuntime {
  std::unique_ptr<backup::BackupState> state;
  std::unique_ptr<backup::RateLimiter> limiter;
  std::map<std::string, std::unique_ptr<objstore::ObjectStore>> stores;
  std::vector<std::unique_ptr<backup::Uploader>> owned_uploaders;
  std::map<std::string, backup::Uploader*> uploaders;  // by store name
};
// Opens <data_dir>/backup/state.db, every configured store (a restore may name a store no set
// uses any more) and the uploaders. Errors name the state file or the store.
Result<std::unique_ptr<BackupRuntime>> OpenBackupRuntime(const AgentConfig& cfg,
                                                         const Clock& clock);

struct AgentServiceOptions {
  // Called after a backup version is stored and before its catalog record is spooled: the
  // fault point `backup.before_spool` (RunAgent). Empty in normal runs.
  std::function<void()> backup_before_spool;
};

class AgentService {
 public:
  // The clock must outlive the service.
  explicit AgentService(AgentConfig config, const Clock& clock = SystemClock::Instance(),
                        AgentServiceOptions options = {});
  ~AgentService();  // Stop()s
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Opens the spool and, when backups are configured, the backup runtime, then starts the
  // uplink, the inputs, the backup service and the command channel (when backups or the fim
  // paths are configured). Fails, with nothing left
  // running, when the spool or the backup runtime cannot be opened (the message says which);
  // a backup service that does not start is logged and the rest runs.
  Status Start();
  // Stops the command channel (a backup.run in progress is cut short by the backups' stop, a
  // restore or fim.accept finishes), the backups and the inputs, then the uplink after the
  // send in progress. Idempotent.
  void Stop();

  // After Start(): the open spool.
  Spool* spool() { return spool_.get(); }

 private:
  // The fim input when inputs.fim.paths is configured (enabled or not), else null.
  inputs::FimInput* ConfiguredFimInput();
  void StartCommandChannel(const http::CurlClientOptions& http_options, inputs::FimInput* fim);
  // What the beacon.* Zabbix items read: the spool and, with backups, their state.
  zabbix::BeaconSources ZabbixSources();

  AgentConfig config_;
  const Clock& clock_;
  AgentServiceOptions options_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<http::HttpClient> uplink_http_;
  std::unique_ptr<Uplink> uplink_;
  std::thread uplink_thread_;
  std::unique_ptr<inputs::Scheduler> scheduler_;
  bool scheduler_started_ = false;
  std::unique_ptr<BackupRuntime> backup_runtime_;
  std::unique_ptr<backup::BackupService> backup_service_;
  std::unique_ptr<backup::RestoreHandler> restore_handler_;
  std::unique_ptr<backup::BackupRunHandler> backup_run_handler_;
  std::unique_ptr<fim::FimAcceptHandler> fim_accept_handler_;
  std::unique_ptr<CommandChannel> command_channel_;
  std::thread command_thread_;
  std::unique_ptr<zabbix::ZabbixService> zabbix_;  // zabbix.listen or server_active set
};

// `beacon-agent run` once the configuration is loaded and logging is set up: blocks SIGTERM and
// SIGINT in every thread, ignores SIGPIPE, reads BEACON_AGENT_FAULT_POINT once, starts the
// service and stops it at the first stop signal. Returns the exit code: 0, or 1 when the agent
// cannot start.
int RunAgent(AgentConfig config);

}  // namespace beacon::agent
