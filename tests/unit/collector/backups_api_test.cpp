// The backup API over the real collector (port 0, curl client): backup.version events ingested
// through /api/v1/ingest become catalog entries (once, even when replayed), restores by id, time
// and newest (archived ones wait for the store), the agent long-poll and progress reports, bad
// inputs answered with 4xx JSON errors that store nothing, admin/agent token separation, the
// backups section of collector.yaml, and the backup.run / fim.accept commands queued through
// POST /api/v1/agents/{name}/commands or AgentCommands.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "collector/backups/catalog.h"
#include "collector/commands/agent_commands.h"
#include "collector/config.h"
#include "collector/service.h"
#include "common/clock.h"
#include "common/cloud/objstore/store_config.h"
#include "common/http/client.h"
#include "common/store/sqlite.h"
#include "common/wire/backup.h"
#include "common/wire/wire.h"

namespace beacon::collector {
namespace {

constexpr int64_t kT0 = 1'764'136'000'000;  // 2025-11-26T05:46:40Z
constexpr int64_t kDay = 24 * 3600 * 1000;
const char kAdminToken[] = "test-admin-token-0123456789abcdef";

std::string Sha(char c) { return std::string(64, c); }

wire::BackupVersion Version(const std::string& path, char sha, int64_t created_ms,
                            const std::string& storage_class = "standard") {
  wire::BackupVersion v;
  v.set = "app";
  v.path = path;
  v.size = 1234;
  v.mtime_ns = (created_ms - 1000) * 1'000'000;
  v.mode = 0640;
  v.uid = 1000;
  v.gid = 1000;
  v.owner = "app";
  v.group = "app";
  v.sha256 = Sha(sha);
  v.stored_size = 321;
  v.store = "local";
  v.key = wire::MakeObjectKey("beacon", "web-01", path, created_ms, v.sha256, false);
  v.storage_class = storage_class;
  v.created_ms = created_ms;
  return v;
}

wire::Record VersionRecord(uint64_t seq, const nlohmann::json& data) {
  wire::Record record;
  record.seq = seq;
  record.ts_ms = kT0;
  record.type = wire::RecordType::kEvent;
  record.event.kind = std::string(wire::kBackupVersionKind);
  record.event.subject = data.value("path", "");
  record.event.message = "backed up";
  record.event.data = data;
  return record;
}

wire::Batch VersionBatch(const std::string& agent, std::vector<wire::Record> records) {
  wire::Batch batch;
  batch.agent = agent;
  batch.agent_version = "0.1.0";
  batch.sent_at_ms = kT0;
  batch.records = std::move(records);
  return batch;
}

class BackupsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("backups_api_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    CollectorConfig config;
    config.listen.port = 0;
    config.store.path = (dir_ / "collector.db").string();
    config.api.admin_token = config::Secret(kAdminToken);
    config.backups.max_waiting_polls = 1;
    config.backups.stores["local"] = LocalStore();
    service_ = std::make_unique<CollectorService>(config, &clock_);
    Status started = service_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    base_ = "http://127.0.0.1:" + std::to_string(service_->port());
    client_ = http::NewCurlHttpClient();
    web01_ = CreateAgentToken("web-01");
    web02_ = CreateAgentToken("web-02");
  }

  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  objstore::StoreConfig LocalStore() const {
    objstore::StoreConfig store;
    store.name = "local";
    store.type = "local";
    store.path = (dir_ / "objects").string();
    return store;
  }

  http::HttpResponse Send(const std::string& method, const std::string& path,
                          const std::string& token, const std::string& body = "",
                          http::HttpClient* client = nullptr) {
    http::HttpRequest request;
    request.method = method;
    request.url = base_ + path;
    if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
    if (!body.empty() || method == "POST") {
      request.headers.Set("Content-Type", "application/json");
      request.body = body;
    }
    Result<http::HttpResponse> response = (client ? client : client_.get())->Send(request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::HttpResponse{};
  }

  nlohmann::json Json(const http::HttpResponse& response) {
    nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << response.body;
    return j;
  }

  std::string CreateAgentToken(const std::string& agent) {
    http::HttpResponse created =
        Send("POST", "/api/v1/admin/tokens", kAdminToken, nlohmann::json{{"agent", agent}}.dump());
    EXPECT_EQ(created.status, 201) << created.body;
    return Json(created).value("token", "");
  }

  http::HttpResponse Ingest(const std::string& token, const wire::Batch& batch) {
    return Send("POST", "/api/v1/ingest", token, wire::EncodeBatch(batch));
  }

  // Ingests one version per record (seq 1, 2, ...) for web-01; returns nothing, asserts 200.
  void IngestVersions(const std::vector<wire::BackupVersion>& versions, uint64_t first_seq = 1) {
    std::vector<wire::Record> records;
    for (size_t i = 0; i < versions.size(); ++i) {
      records.push_back(VersionRecord(first_seq + i, wire::BackupVersionToJson(versions[i])));
    }
    http::HttpResponse response = Ingest(web01_, VersionBatch("web-01", records));
    ASSERT_EQ(response.status, 200) << response.body;
  }

  nlohmann::json Backups(const std::string& query = "") {
    http::HttpResponse listed = Send("GET", "/api/v1/backups" + query, kAdminToken);
    EXPECT_EQ(listed.status, 200) << listed.body;
    return Json(listed)["versions"];
  }

  http::HttpResponse Restore(const nlohmann::json& body) {
    return Send("POST", "/api/v1/restores", kAdminToken, body.dump());
  }

  int64_t CommandCount() {
    Result<backups::Catalog::Counts> counts = service_->catalog()->GetCounts();
    EXPECT_TRUE(counts.ok());
    return counts.ok() ? counts->commands : -1;
  }

  // Blocks until `n` polls wait on the server. Polls an in-process counter: the server offers
  // no event to wait on, and a poll that never starts waiting fails the test (bounded).
  void AwaitWaitingPolls(int n) {
    for (int i = 0; i < 10000 && service_->commands_api()->waiting_polls() != n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(service_->commands_api()->waiting_polls(), n);
  }

  // A client whose timeout (20s) is well below the poll's wait (60s): a poll that is not woken
  // fails with a transport timeout instead of quietly succeeding late.
  static std::unique_ptr<http::HttpClient> PollClient() {
    http::CurlClientOptions options;
    options.timeout_ms = 20'000;
    return http::NewCurlHttpClient(options);
  }

  FakeClock clock_{kT0};
  std::filesystem::path dir_;
  std::unique_ptr<CollectorService> service_;
  std::unique_ptr<http::HttpClient> client_;
  std::string base_;
  std::string web01_;
  std::string web02_;
};

TEST_F(BackupsApiTest, IngestedVersionsAreListedOnceEvenWhenTheBatchIsReplayed) {
  wire::BackupVersion app_a = Version("/srv/app/conf/app.yaml", 'a', kT0 - 2 * kDay);
  wire::BackupVersion app_a_again = Version("/srv/app/conf/app.yaml", 'a', kT0 - kDay);
  wire::BackupVersion app_b = Version("/srv/app/conf/app.yaml", 'b', kT0);
  wire::BackupVersion log = Version("/var/log/app.log", 'c', kT0 - kDay);
  wire::Record sample;
  sample.seq = 5;
  sample.ts_ms = kT0;
  sample.sample.metric = "system.cpu.util";
  sample.sample.value = 1;
  wire::Batch batch =
      VersionBatch("web-01", {VersionRecord(1, wire::BackupVersionToJson(app_a)),
                              VersionRecord(2, wire::BackupVersionToJson(app_a_again)),
                              VersionRecord(3, wire::BackupVersionToJson(app_b)),
                              VersionRecord(4, wire::BackupVersionToJson(log)), sample});
  http::HttpResponse first = Ingest(web01_, batch);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Json(first)["acked_through"], 5);

  nlohmann::json versions = Backups();
  ASSERT_EQ(versions.size(), 3u) << versions.dump();  // the same-content re-upload is one entry
  const nlohmann::json& newest = versions[0];
  EXPECT_EQ(newest["host"], "web-01");
  EXPECT_EQ(newest["set"], "app");
  EXPECT_EQ(newest["path"], "/srv/app/conf/app.yaml");
  EXPECT_EQ(newest["size"], 1234);
  EXPECT_EQ(newest["mtime"], FormatRfc3339(kT0 - 1000));
  EXPECT_EQ(newest["mode"], 0640);
  EXPECT_EQ(newest["uid"], 1000);
  EXPECT_EQ(newest["owner"], "app");
  EXPECT_EQ(newest["group"], "app");
  EXPECT_EQ(newest["sha256"], Sha('b'));
  EXPECT_EQ(newest["stored_size"], 321);
  EXPECT_EQ(newest["store"], "local");
  EXPECT_EQ(newest["key"], app_b.key);
  EXPECT_EQ(newest["storage_class"], "standard");
  EXPECT_EQ(newest["key_id"], "");
  EXPECT_EQ(newest["created"], FormatRfc3339(kT0));
  EXPECT_EQ(newest["state"], "stored");
  EXPECT_EQ(newest["restore_state"], "none");
  EXPECT_TRUE(newest["id"].is_number_integer());
  EXPECT_EQ(versions[1]["path"], "/var/log/app.log");
  EXPECT_EQ(versions[2]["created"], FormatRfc3339(kT0 - 2 * kDay));

  // The agent re-sends the same batch (its ack was lost): nothing new anywhere.
  http::HttpResponse replay = Ingest(web01_, batch);
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Json(replay)["duplicates"], 5);
  EXPECT_EQ(Backups().size(), 3u);

  // Filters.
  EXPECT_EQ(Backups("?path=/srv/app/*").size(), 2u);
  EXPECT_EQ(Backups("?path=/srv/app/conf/app.yaml&limit=1")[0]["sha256"], Sha('b'));
  EXPECT_EQ(Backups("?since=" + FormatRfc3339(kT0 - kDay)).size(), 2u);
  EXPECT_EQ(Backups("?since=1h").size(), 1u);
  EXPECT_EQ(Backups("?until=" + FormatRfc3339(kT0 - kDay)).size(), 2u);
  EXPECT_EQ(Backups("?host=web-02").size(), 0u);
  EXPECT_EQ(Backups("?set=app").size(), 3u);
  EXPECT_EQ(Backups("?set=other").size(), 0u);
}

TEST_F(BackupsApiTest, AMalformedRecordIsKeptAsAnEventButNotCatalogued) {
  nlohmann::json bad = wire::BackupVersionToJson(Version("/etc/a", 'a', kT0));
  bad["sha256"] = "not-hex";
  nlohmann::json good = wire::BackupVersionToJson(Version("/etc/b", 'b', kT0));
  http::HttpResponse response =
      Ingest(web01_, VersionBatch("web-01", {VersionRecord(1, bad), VersionRecord(2, good)}));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Json(response)["accepted"], 2);
  nlohmann::json versions = Backups();
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0]["path"], "/etc/b");
  http::HttpResponse events = Send("GET", "/api/v1/events?kind=backup.version", kAdminToken);
  EXPECT_EQ(Json(events)["events"].size(), 2u);
  EXPECT_EQ(service_->metrics().catalog_rejected(), 1);
  http::HttpResponse metrics = Send("GET", "/metrics", "");
  EXPECT_NE(metrics.body.find("beacon_catalog_rejected_total 1\n"), std::string::npos);
}

TEST_F(BackupsApiTest, ACatalogFailureIsNotAcknowledgedAndTheResendRepairsIt) {
  // Break the catalog behind the service's back (as a full or corrupt disk would).
  const std::string catalog_path = (dir_ / "catalog.db").string();
  {
    Result<std::unique_ptr<store::Database>> db = store::Database::Open(catalog_path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("ALTER TABLE version_seqs RENAME TO version_seqs_moved").ok());
  }
  wire::Batch batch = VersionBatch(
      "web-01", {VersionRecord(1, wire::BackupVersionToJson(Version("/etc/a", 'a', kT0)))});
  http::HttpResponse failed = Ingest(web01_, batch);
  EXPECT_EQ(failed.status, 503) << failed.body;
  EXPECT_EQ(Json(failed)["error"], "backup catalog unavailable");
  {
    Result<std::unique_ptr<store::Database>> db = store::Database::Open(catalog_path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("ALTER TABLE version_seqs_moved RENAME TO version_seqs").ok());
  }
  // The event itself was stored by the first attempt; the re-send is a duplicate for the event
  // store and still lands in the catalog.
  http::HttpResponse resent = Ingest(web01_, batch);
  ASSERT_EQ(resent.status, 200) << resent.body;
  EXPECT_EQ(Json(resent)["duplicates"], 1);
  nlohmann::json versions = Backups();
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0]["path"], "/etc/a");
}

TEST_F(BackupsApiTest, RestoreByIdByTimeAndNewestQueuesTheRightVersion) {
  IngestVersions({Version("/etc/app.yaml", 'a', kT0 - 2 * kDay),
                  Version("/etc/app.yaml", 'b', kT0 - kDay), Version("/etc/app.yaml", 'c', kT0)});
  nlohmann::json versions = Backups();
  ASSERT_EQ(versions.size(), 3u);
  const int64_t oldest_id = versions[2]["id"];

  http::HttpResponse newest = Restore({{"host", "web-01"}, {"path", "/etc/app.yaml"}});
  ASSERT_EQ(newest.status, 202) << newest.body;
  nlohmann::json command = Json(newest)["command"];
  EXPECT_EQ(command["host"], "web-01");
  EXPECT_EQ(command["kind"], "restore");
  EXPECT_EQ(command["state"], "queued");
  EXPECT_EQ(command["args"]["target"], "/etc/app.yaml");
  EXPECT_EQ(command["args"]["version"]["sha256"], Sha('c'));
  EXPECT_EQ(Json(newest)["version"]["sha256"], Sha('c'));
  Result<wire::RestoreArgs> args = wire::RestoreArgsFromJson(command["args"]);
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ(args->version.key, Version("/etc/app.yaml", 'c', kT0).key);

  http::HttpResponse at = Restore(
      {{"host", "web-01"}, {"path", "/etc/app.yaml"}, {"at", FormatRfc3339(kT0 - kDay + 5)}});
  ASSERT_EQ(at.status, 202) << at.body;
  EXPECT_EQ(Json(at)["command"]["args"]["version"]["sha256"], Sha('b'));

  http::HttpResponse by_id = Restore(
      {{"host", "web-01"}, {"path", "/etc/app.yaml"}, {"version", oldest_id}, {"to", "/tmp/r/"}});
  ASSERT_EQ(by_id.status, 202) << by_id.body;
  nlohmann::json by_id_command = Json(by_id)["command"];
  EXPECT_EQ(by_id_command["args"]["version"]["sha256"], Sha('a'));
  EXPECT_EQ(by_id_command["args"]["target"], "/tmp/r/etc/app.yaml");
  EXPECT_EQ(by_id_command["version_id"], oldest_id);

  http::HttpResponse got = Send(
      "GET", "/api/v1/commands/" + std::to_string(by_id_command["id"].get<int64_t>()), kAdminToken);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Json(got), by_id_command);
  http::HttpResponse queued = Send("GET", "/api/v1/commands?state=queued", kAdminToken);
  ASSERT_EQ(queued.status, 200);
  ASSERT_EQ(Json(queued)["commands"].size(), 3u);
  EXPECT_EQ(Json(queued)["commands"][0]["id"], by_id_command["id"]);  // newest first
  EXPECT_EQ(Json(Send("GET", "/api/v1/commands?state=failed", kAdminToken))["commands"].size(), 0u);
}

TEST_F(BackupsApiTest, AnArchivedVersionIsRestoredInTheStoreBeforeTheAgentGetsIt) {
  // The object really is in the collector's "local" store, in the archive class.
  const wire::BackupVersion cold = Version("/etc/cold.yaml", 'a', kT0 - 90 * kDay, "archive");
  {
    Result<std::unique_ptr<objstore::ObjectStore>> store = objstore::NewObjectStore(LocalStore());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    objstore::PutOptions options;
    options.storage_class = objstore::StorageClass::kArchive;
    ASSERT_TRUE((*store)->Put(cold.key, "compressed bytes", options).ok());
  }
  IngestVersions({cold});
  http::HttpResponse restore = Restore({{"host", "web-01"}, {"path", "/etc/cold.yaml"}});
  ASSERT_EQ(restore.status, 202) << restore.body;
  nlohmann::json command = Json(restore)["command"];
  EXPECT_EQ(command["state"], "waiting_archive_restore");
  EXPECT_EQ(Json(restore)["version"]["restore_state"], "requested");

  // The archive restorer asks the store, sees the copy readable and queues the command; the
  // agent's poll gets it then.
  std::unique_ptr<http::HttpClient> poll_client = PollClient();
  http::HttpResponse polled =
      Send("GET", "/api/v1/agent/commands?wait=60s", web01_, "", poll_client.get());
  ASSERT_EQ(polled.status, 200) << polled.body;
  ASSERT_EQ(Json(polled)["commands"].size(), 1u);
  EXPECT_EQ(Json(polled)["commands"][0]["id"], command["id"]);
  nlohmann::json version = Backups()[0];
  EXPECT_EQ(version["restore_state"], "ready");
  EXPECT_TRUE(version["restore_expiry"].is_string());

  // While the restored copy lasts, a new restore goes straight to the agent ...
  http::HttpResponse again = Restore({{"host", "web-01"}, {"path", "/etc/cold.yaml"}});
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(Json(again)["command"]["state"], "queued");
  // ... and after it expires, a restore waits for the store again.
  clock_.AdvanceMs(30 * kDay);
  http::HttpResponse expired = Restore({{"host", "web-01"}, {"path", "/etc/cold.yaml"}});
  ASSERT_EQ(expired.status, 202) << expired.body;
  EXPECT_EQ(Json(expired)["command"]["state"], "waiting_archive_restore");
}

TEST_F(BackupsApiTest, BadRestoreRequestsAreRefusedAndStoreNothing) {
  IngestVersions({Version("/etc/app.yaml", 'a', kT0), Version("/etc/other.yaml", 'b', kT0)});
  const int64_t other_id = Backups("?path=/etc/other.yaml")[0]["id"];
  const std::vector<std::pair<std::string, int>> cases = {
      {"{", 400},
      {"[]", 400},
      {R"({"path":"/etc/app.yaml"})", 400},
      {R"({"host":"bad host!","path":"/etc/app.yaml"})", 400},
      {R"({"host":"web-01","path":"etc/app.yaml"})", 400},
      {R"({"host":"web-01","path":"/etc/app.yaml","version":"1"})", 400},
      {R"({"host":"web-01","path":"/etc/app.yaml","version":0})", 400},
      {R"({"host":"web-01","path":"/etc/app.yaml","at":"yesterday"})", 400},
      {R"({"host":"web-01","path":"/etc/app.yaml","version":1,"at":"2025-01-01T00:00:00Z"})", 400},
      {R"({"host":"web-01","path":"/etc/app.yaml","to":"tmp"})", 400},
      {R"({"host":"web-01","path":"/etc/app.yaml","to":"/tmp/../etc"})", 400},
      {R"({"host":"web-01","path":"/etc/app.yaml","force":true})", 400},
      {R"({"host":"web-02","path":"/etc/app.yaml"})", 404},
      {R"({"host":"web-01","path":"/etc/missing.yaml"})", 404},
      {R"({"host":"web-01","path":"/etc/app.yaml","at":"2020-01-01T00:00:00Z"})", 404},
      {R"({"host":"web-01","path":"/etc/app.yaml","version":)" + std::to_string(other_id) + "}",
       404},
      {R"({"host":"web-01","path":"/etc/app.yaml","version":999999})", 404},
  };
  for (const auto& [body, status] : cases) {
    http::HttpResponse response = Send("POST", "/api/v1/restores", kAdminToken, body);
    EXPECT_EQ(response.status, status) << body << " -> " << response.body;
    EXPECT_TRUE(Json(response)["error"].is_string()) << body;
  }
  EXPECT_EQ(CommandCount(), 0);

  for (const std::string query : {"?limit=0", "?since=yesterday", "?host=bad%20host", "?path=etc",
                                  "?include_deleted=maybe"}) {
    http::HttpResponse response = Send("GET", "/api/v1/backups" + query, kAdminToken);
    EXPECT_EQ(response.status, 400) << query << " -> " << response.body;
    EXPECT_TRUE(Json(response)["error"].is_string());
  }
  EXPECT_EQ(Send("GET", "/api/v1/commands/abc", kAdminToken).status, 400);
  EXPECT_EQ(Send("GET", "/api/v1/commands/12345", kAdminToken).status, 404);
  EXPECT_EQ(Send("GET", "/api/v1/commands?state=bogus", kAdminToken).status, 400);
  EXPECT_EQ(Send("GET", "/api/v1/agent/commands?wait=61s", web01_).status, 400);
  EXPECT_EQ(Send("GET", "/api/v1/agent/commands?wait=soon", web01_).status, 400);
  // An oversized restore body is refused before it is parsed.
  http::HttpResponse huge = Send("POST", "/api/v1/restores", kAdminToken,
                                 R"({"host":"web-01","path":"/)" + std::string(70000, 'a') + "\"}");
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(CommandCount(), 0);
}

TEST_F(BackupsApiTest, ALongPollGetsACommandCreatedWhileItWaitsAndReportsProgress) {
  IngestVersions({Version("/etc/app.yaml", 'a', kT0)});
  std::unique_ptr<http::HttpClient> poll_client = PollClient();
  http::HttpResponse polled;
  std::thread poller([&] {
    polled = Send("GET", "/api/v1/agent/commands?wait=60s", web01_, "", poll_client.get());
  });
  AwaitWaitingPolls(1);
  http::HttpResponse created = Restore({{"host", "web-01"}, {"path", "/etc/app.yaml"}});
  poller.join();
  ASSERT_EQ(created.status, 202) << created.body;
  const int64_t id = Json(created)["command"]["id"];
  ASSERT_EQ(polled.status, 200) << polled.body;
  nlohmann::json commands = Json(polled)["commands"];
  ASSERT_EQ(commands.size(), 1u);
  Result<wire::Command> command = wire::CommandFromJson(commands[0]);
  ASSERT_TRUE(command.ok()) << command.status().ToString();
  EXPECT_EQ(command->id, id);
  EXPECT_EQ(command->kind, "restore");
  EXPECT_EQ(command->args["version"]["sha256"], Sha('a'));
  EXPECT_EQ(Json(Send("GET", "/api/v1/commands/" + std::to_string(id), kAdminToken))["state"],
            "delivered");
  // Delivered once: the next poll is empty.
  EXPECT_EQ(Json(Send("GET", "/api/v1/agent/commands?wait=0", web01_))["commands"].size(), 0u);

  const std::string update_path = "/api/v1/agent/commands/" + std::to_string(id);
  wire::CommandUpdate running{"running", 512, 1234, "", nlohmann::json::object()};
  http::HttpResponse progress =
      Send("POST", update_path, web01_, wire::CommandUpdateToJson(running).dump());
  ASSERT_EQ(progress.status, 200) << progress.body;
  EXPECT_EQ(Json(progress), nlohmann::json::object());
  nlohmann::json status = Json(Send("GET", "/api/v1/commands/" + std::to_string(id), kAdminToken));
  EXPECT_EQ(status["state"], "running");
  EXPECT_EQ(status["done_bytes"], 512);
  EXPECT_EQ(status["total_bytes"], 1234);

  // Another agent cannot touch it; bad updates change nothing.
  EXPECT_EQ(Send("POST", update_path, web02_, wire::CommandUpdateToJson(running).dump()).status,
            404);
  EXPECT_EQ(Send("POST", update_path, web01_, "{").status, 400);
  EXPECT_EQ(Send("POST", update_path, web01_, R"({"state":"done"})").status, 400);

  wire::CommandUpdate done{
      "succeeded", 1234, 1234, "restored to /etc/app.yaml", {{"sha256", Sha('a')}}};
  ASSERT_EQ(Send("POST", update_path, web01_, wire::CommandUpdateToJson(done).dump()).status, 200);
  // A retried final report is fine; a contradicting one is a conflict.
  EXPECT_EQ(Send("POST", update_path, web01_, wire::CommandUpdateToJson(done).dump()).status, 200);
  wire::CommandUpdate failed{"failed", 0, 0, "oops", nlohmann::json::object()};
  http::HttpResponse conflict =
      Send("POST", update_path, web01_, wire::CommandUpdateToJson(failed).dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_TRUE(Json(conflict)["error"].is_string());
  status = Json(Send("GET", "/api/v1/commands/" + std::to_string(id), kAdminToken));
  EXPECT_EQ(status["state"], "succeeded");
  EXPECT_EQ(status["message"], "restored to /etc/app.yaml");
  EXPECT_EQ(status["result"]["sha256"], Sha('a'));
  EXPECT_EQ(status["created"], FormatRfc3339(kT0));
}

TEST_F(BackupsApiTest, ADeeplyNestedCommandUpdateIsRefusedAndChangesNothing) {
  IngestVersions({Version("/etc/app.yaml", 'a', kT0)});
  http::HttpResponse created = Restore({{"host", "web-01"}, {"path", "/etc/app.yaml"}});
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = std::to_string(Json(created)["command"]["id"].get<int64_t>());
  ASSERT_EQ(Json(Send("GET", "/api/v1/agent/commands?wait=0", web01_))["commands"].size(), 1u);

  // As deep as the agent routes' 64 KiB allow; the result was copied and dumped recursively.
  const std::string deep = R"({"state":"running","done_bytes":1,"total_bytes":2,"message":"",)"
                           R"("result":{"x":)" +
                           std::string(32000, '[') + std::string(32000, ']') + "}}";
  http::HttpResponse refused = Send("POST", "/api/v1/agent/commands/" + id, web01_, deep);
  EXPECT_EQ(refused.status, 400) << refused.body.substr(0, 200);
  EXPECT_EQ(Json(refused)["error"],
            "malformed JSON body: JSON nested deeper than 64 levels at byte 139");
  nlohmann::json command = Json(Send("GET", "/api/v1/commands/" + id, kAdminToken));
  EXPECT_EQ(command["state"], "delivered");
  EXPECT_EQ(command["done_bytes"], 0);
  EXPECT_EQ(command["result"], nlohmann::json::object());

  wire::CommandUpdate running{"running", 1, 2, "", {{"x", {{{1}}}}}};
  EXPECT_EQ(Send("POST", "/api/v1/agent/commands/" + id, web01_,
                 wire::CommandUpdateToJson(running).dump())
                .status,
            200);
}

TEST_F(BackupsApiTest, PollsOverTheCapAndAtShutdownAreAnsweredAtOnce) {
  std::unique_ptr<http::HttpClient> poll_client = PollClient();
  http::HttpResponse first;
  std::thread poller([&] {
    first = Send("GET", "/api/v1/agent/commands?wait=60s", web01_, "", poll_client.get());
  });
  AwaitWaitingPolls(1);
  // max_waiting_polls is 1: a second poll is told to come back later.
  std::unique_ptr<http::HttpClient> second_client = PollClient();
  http::HttpResponse second =
      Send("GET", "/api/v1/agent/commands?wait=60s", web02_, "", second_client.get());
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(Json(second)["commands"].size(), 0u);
  EXPECT_EQ(second.headers.Get("retry-after"), "5");
  // Stopping the collector ends the waiting poll instead of waiting out its minute.
  service_->Stop();
  poller.join();
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Json(first)["commands"].size(), 0u);
  EXPECT_EQ(first.headers.Get("retry-after"), "5");
}

TEST_F(BackupsApiTest, AgentAndAdminTokensStayOnTheirOwnRoutes) {
  IngestVersions({Version("/etc/app.yaml", 'a', kT0)});
  for (const std::string path : {"/api/v1/backups", "/api/v1/commands", "/api/v1/commands/1"}) {
    EXPECT_EQ(Send("GET", path, web01_).status, 403) << path;
    EXPECT_EQ(Send("GET", path, "").status, 401) << path;
  }
  EXPECT_EQ(Send("POST", "/api/v1/restores", web01_,
                 nlohmann::json{{"host", "web-01"}, {"path", "/etc/app.yaml"}}.dump())
                .status,
            403);
  EXPECT_EQ(CommandCount(), 0);
  http::HttpResponse admin_poll = Send("GET", "/api/v1/agent/commands", kAdminToken);
  EXPECT_EQ(admin_poll.status, 403);
  EXPECT_TRUE(Json(admin_poll)["error"].is_string());
  EXPECT_EQ(Send("POST", "/api/v1/agent/commands/1", kAdminToken,
                 wire::CommandUpdateToJson({"running", 0, 0, "", nlohmann::json::object()}).dump())
                .status,
            403);
  EXPECT_EQ(Send("GET", "/api/v1/agent/commands", "unknown-token-0123456789").status, 401);
}

}  // namespace
}  // namespace beacon::collector

namespace beacon::collector {
namespace {

TEST(BackupsConfigTest, TheBackupsSectionIsReadWithItsDefaults) {
  const std::string head =
      "api: {admin_token_env: BACKUPS_TEST_TOKEN}\nstore: {path: /data/c.db}\n";
  ::setenv("BACKUPS_TEST_TOKEN", "backups-test-token-0123456789", 1);
  Result<CollectorConfig> defaults = LoadCollectorConfigFromString(head, "collector.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(CatalogPath(*defaults), "/data/catalog.db");
  // Half of the 4096 default connections: a waiting poll holds a connection, not a thread.
  EXPECT_EQ(MaxWaitingPolls(*defaults), 2048);
  EXPECT_TRUE(defaults->backups.stores.empty());
  EXPECT_TRUE(defaults->backups.lifecycle.policies.empty());

  Result<CollectorConfig> full = LoadCollectorConfigFromString(head + R"(backups:
  catalog_path: /data/backups/cat.db
  max_waiting_polls: 50
  stores:
    local: {type: local, path: /srv/backup}
  lifecycle:
    policies:
      - {set: logs, delete_after: 30d}
)",
                                                               "collector.yaml");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(CatalogPath(*full), "/data/backups/cat.db");
  EXPECT_EQ(MaxWaitingPolls(*full), 50);
  ASSERT_EQ(full->backups.stores.count("local"), 1u);
  EXPECT_EQ(full->backups.stores.at("local").path, "/srv/backup");
  ASSERT_EQ(full->backups.lifecycle.policies.size(), 1u);
  EXPECT_EQ(full->backups.lifecycle.policies[0].set, "logs");

  Result<CollectorConfig> unknown =
      LoadCollectorConfigFromString(head + "backups:\n  catalog: /x\n", "collector.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("collector.yaml:4: backups.catalog: unknown key"),
            std::string::npos)
      << unknown.status().message();
  Result<CollectorConfig> zero =
      LoadCollectorConfigFromString(head + "backups:\n  max_waiting_polls: 0\n", "collector.yaml");
  EXPECT_FALSE(zero.ok());
  ::unsetenv("BACKUPS_TEST_TOKEN");
}

}  // namespace
}  // namespace beacon::collector

// backup.run and fim.accept: queued with POST /api/v1/agents/{name}/commands (validated per
// kind), delivered by the long-poll with their arguments, progress and result visible through
// the command status routes; AgentCommands is the same queue for in-process callers (the bot).
namespace beacon::collector {
namespace {

TEST_F(BackupsApiTest, BackupRunAndFimAcceptAreQueuedDeliveredAndReportedBack) {
  http::HttpResponse created = Send("POST", "/api/v1/agents/web-01/commands", kAdminToken,
                                    R"({"kind":"backup.run","args":{"set":"app-config"}})");
  ASSERT_EQ(created.status, 202) << created.body;
  nlohmann::json command = Json(created)["command"];
  const int64_t id = command["id"];
  EXPECT_EQ(command["host"], "web-01");
  EXPECT_EQ(command["kind"], "backup.run");
  EXPECT_EQ(command["state"], "queued");
  EXPECT_EQ(command["args"], (nlohmann::json{{"set", "app-config"}}));
  EXPECT_EQ(command["version_id"], 0);

  commands::AgentCommands in_process(&service_->catalog()->commands(), &clock_);
  Result<int64_t> accept = in_process.QueueFimAccept("web-01", "/etc/app/");
  ASSERT_TRUE(accept.ok()) << accept.status().ToString();

  // web-02 gets nothing; web-01 gets both, oldest first, with their arguments.
  EXPECT_EQ(Json(Send("GET", "/api/v1/agent/commands?wait=0", web02_))["commands"].size(), 0u);
  nlohmann::json polled = Json(Send("GET", "/api/v1/agent/commands?wait=0", web01_))["commands"];
  ASSERT_EQ(polled.size(), 2u) << polled.dump();
  EXPECT_EQ(polled[0], (nlohmann::json{
                           {"id", id}, {"kind", "backup.run"}, {"args", {{"set", "app-config"}}}}));
  EXPECT_EQ(
      polled[1],
      (nlohmann::json{{"id", *accept}, {"kind", "fim.accept"}, {"args", {{"path", "/etc/app"}}}}));

  const std::string update_path = "/api/v1/agent/commands/" + std::to_string(id);
  wire::CommandUpdate running{"running",
                              100,
                              400,
                              "backing up set app-config: 1/4 files",
                              {{"files_done", 1}, {"files_total", 4}}};
  ASSERT_EQ(Send("POST", update_path, web01_, wire::CommandUpdateToJson(running).dump()).status,
            200);
  nlohmann::json status = Json(Send("GET", "/api/v1/commands/" + std::to_string(id), kAdminToken));
  EXPECT_EQ(status["state"], "running");
  EXPECT_EQ(status["message"], "backing up set app-config: 1/4 files");
  EXPECT_EQ(status["done_bytes"], 100);
  wire::CommandUpdate done{"succeeded",
                           400,
                           400,
                           "set app-config: 1 version stored (400 B), 3 unchanged",
                           {{"stored", 1}, {"versions", {{{"path", "/etc/app/app.yaml"}}}}}};
  ASSERT_EQ(Send("POST", update_path, web01_, wire::CommandUpdateToJson(done).dump()).status, 200);
  Result<commands::StoredCommand> stored = service_->catalog()->commands().GetCommand(id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, "succeeded");
  EXPECT_EQ(stored->result["versions"][0]["path"], "/etc/app/app.yaml");
}

TEST_F(BackupsApiTest, BadAgentCommandRequestsAreRefusedAndQueueNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"web-01", "{"},
      {"web-01", "[]"},
      {"web-01", R"({"args":{"set":"app"}})"},
      {"web-01", R"({"kind":"backup.run"})"},
      {"web-01", R"({"kind":"backup.run","args":[]})"},
      {"web-01", R"({"kind":"backup.run","args":{"set":"app"},"force":true})"},
      {"web-01", R"({"kind":"backup.run","args":{}})"},
      {"web-01", R"({"kind":"backup.run","args":{"set":"a/b"}})"},
      {"web-01", R"({"kind":"backup.run","args":{"set":"app","extra":1}})"},
      {"web-01", R"({"kind":"backup.run","args":{"set":")" + std::string(129, 'a') + "\"}}"},
      {"web-01", R"({"kind":"fim.accept","args":{"path":"etc/app"}})"},
      {"web-01", R"({"kind":"fim.accept","args":{"path":"/etc/../shadow"}})"},
      {"web-01", R"({"kind":"fim.accept","args":{"path":"/etc//app"}})"},
      {"web-01", R"({"kind":"fim.accept","args":{"path":"/etc/\u0000x"}})"},
      {"web-01", R"({"kind":"fim.accept","args":{"path":7}})"},
      {"web-01", R"({"kind":"restore","args":{}})"},
      {"web-01", R"({"kind":"shell","args":{"cmd":"rm -rf /"}})"},
      {"-bad", R"({"kind":"backup.run","args":{"set":"app"}})"},
  };
  for (const auto& [host, body] : cases) {
    http::HttpResponse response =
        Send("POST", "/api/v1/agents/" + host + "/commands", kAdminToken, body);
    EXPECT_EQ(response.status, 400) << host << " " << body << " -> " << response.body;
    EXPECT_TRUE(Json(response)["error"].is_string()) << body;
  }
  EXPECT_EQ(Json(Send("POST", "/api/v1/agents/web-01/commands", kAdminToken,
                      R"({"kind":"restore","args":{}})"))["error"],
            "kind: restores are asked for with POST /api/v1/restores (they need a catalog "
            "version)");
  EXPECT_EQ(Json(Send("POST", "/api/v1/agents/web-01/commands", kAdminToken,
                      R"({"kind":"backup.run","args":{"set":"a/b"}})"))["error"],
            "args: set: not a backup set name (1 to 128 letters, digits, '_', '.', '-')");
  // Deeply nested and oversized bodies are refused before anything looks at them.
  EXPECT_EQ(
      Send("POST", "/api/v1/agents/web-01/commands", kAdminToken,
           R"({"kind":"fim.accept","args":)" + std::string(100, '[') + std::string(100, ']') + "}")
          .status,
      400);
  EXPECT_EQ(Send("POST", "/api/v1/agents/web-01/commands", kAdminToken,
                 R"({"kind":"fim.accept","args":{"path":"/)" + std::string(70000, 'a') + "\"}}")
                .status,
            413);
  // Only the admin token may queue commands.
  EXPECT_EQ(Send("POST", "/api/v1/agents/web-01/commands", web01_,
                 R"({"kind":"backup.run","args":{"set":"app"}})")
                .status,
            403);
  EXPECT_EQ(CommandCount(), 0);

  commands::AgentCommands in_process(&service_->catalog()->commands(), &clock_);
  EXPECT_EQ(in_process.QueueBackupRun("web-01", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(in_process.QueueFimAccept("web-01", "/etc/\xff").status().message(),
            "args: path: not valid UTF-8");
  EXPECT_EQ(in_process.QueueFimAccept("bad host", "/etc").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CommandCount(), 0);
}

}  // namespace
}  // namespace beacon::collector
