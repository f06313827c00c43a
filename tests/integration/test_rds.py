"""RDS monitoring against tests/fakes/aliyun_server.py (every request's signature checked):
`beaconctl zabbix rds.discovery|rds.perf|rds.usage` give the right values, an instance with all
its items costs one API call per action per interval however often and concurrently Zabbix
asks (the fake's /__stats), the agent's `rds` input delivers the same values as samples to a
real collector, hostile answers and a wrong secret give one clear error line without the
secret; and the collector-backed checks host.lastseen, backup.age, alerts.open."""
import concurrent.futures
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from alert_common import zabbix_params  # noqa: E402
from harness import (BEACONCTL, Agent, Collector, Server, wait_for,  # noqa: E402
                     workdir)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FAKE = os.path.join(ROOT, "tests", "fakes", "aliyun_server.py")
KEY_ID = "LTAI5tRdsTest"
SECRET = "rds-test-Secret+/=xyz"

# Every key of the old template (and the DetailedSpaceUsage values of its script): recent
# values, the last one the newest. MySQL_IOPS has no point; MySQL_COMDML lists newest first.
PERF = {
    "MySQL_NetworkTraffic": ("recv_k&sent_k", "KB", ["1&2", "10.5&20.25"]),
    "MySQL_QPSTPS": ("QPS&TPS", "", ["100&10", "120&12"]),
    "MySQL_Sessions": ("active_session&total_session", "", ["3&40"]),
    "MySQL_InnoDBBufferRatio": ("ibuf_read_hit&ibuf_use_ratio&ibuf_dirty_ratio", "%",
                                ["99.9&80&1.5"]),
    "MySQL_InnoDBDataReadWriten": ("inno_data_read&inno_data_written", "KB", ["5&6"]),
    "MySQL_InnoDBLogRequests": ("ibuf_request_r&ibuf_request_w", "", ["700&70"]),
    "MySQL_InnoDBLogWrites": ("Innodb_log_write_requests&Innodb_log_writes&Innodb_os_log_fsyncs",
                              "", ["9&8&7"]),
    "MySQL_TempDiskTableCreates": ("tb_tmp_disk", "", ["4"]),
    "MySQL_MyISAMKeyBufferRatio": ("Key_usage_ratio&Key_read_hit_ratio&Key_write_hit_ratio", "%",
                                   ["10&99&98"]),
    "MySQL_MyISAMKeyReadWrites": ("myisam_keyr_r&myisam_keyr_w&myisam_keyr&myisam_keyw", "",
                                  ["1&2&3&4"]),
    "MySQL_COMDML": ("com_delete&com_insert&com_insert_select&com_replace&com_replace_select&"
                     "com_select&com_update", "", ["0&0&0&0&0&0&0", "1&2&3&4&5&6&7"]),
    "MySQL_RowDML": ("inno_row_readed&inno_row_update&inno_row_delete&inno_row_insert&"
                     "Inno_log_writes", "", ["50&5&1&6&2"]),
    "MySQL_MemCpuUsage": ("cpuusage&memusage", "%", ["35.5&60.25"]),
    "MySQL_IOPS": ("io", "", []),
    "MySQL_DetailedSpaceUsage": ("ins_size&data_size&log_size&tmp_size&other_size", "MB",
                                 ["1000&800&100&50&50"]),
}


def instance(i):
    perf = {k: {"format": f, "unit": u, "values": v} for k, (f, u, v) in PERF.items()}
    perf["MySQL_COMDML"]["newest_first"] = True
    return {"id": "rm-%03d" % i, "description": "db%d" % i, "zone": "cn-hangzhou-h",
            "performance": perf,
            "usage": {"DiskUsed": 1073741824 + i, "DataSize": 536870912, "LogSize": 1048576,
                      "BackupSize": "2147483648"},
            "cloudmonitor": {"CpuUsage": 12.5 + i, "MemoryUsage": 40, "DiskUsage": 55.5,
                             "IOPSUsage": 3, "ConnectionUsage": 7.25,
                             "MySQL_SlowQueries": 0.5}}


# 105 instances: DescribeDBInstances needs two pages of 100.
STATE = {"rds_instances": [instance(i) for i in range(105)] +
         [{"id": "rm-other", "region": "cn-shanghai"}]}


class RdsChecksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = workdir("rds")
        state = os.path.join(cls.dir, "state.json")
        with open(state, "w") as f:
            json.dump(STATE, f)
        cls.fake = Server([sys.executable, FAKE, "--port", "0", "--access-key",
                           KEY_ID + ":" + SECRET, "--state", state],
                          os.path.join(cls.dir, "fake.log")).start()
        cls.config = cls.write_config("aliyun.yaml", SECRET)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    @classmethod
    def write_config(cls, name, secret, extra=""):
        credentials = os.path.join(cls.dir, name + ".credentials.yaml")
        with open(credentials, "w") as f:
            f.write(f"access_key_id: {KEY_ID}\naccess_key_secret: '{secret}'\n")
        os.chmod(credentials, 0o600)
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(f"""region: cn-hangzhou
credentials_file: {os.path.basename(credentials)}
endpoints: {{rds: "{cls.fake.url}", cms: "{cls.fake.url}"}}
timeout: 5s
retry: {{attempts: 2, initial_backoff: 10ms, max_backoff: 20ms}}
{extra}""")
        return path

    def setUp(self):
        self.fake.control(clear=True)
        self.state_dir = os.path.join(self.dir, "state-" + self._testMethodName)

    def check(self, *args, config=None, state_dir=None, via_symlink=False):
        argv = [BEACONCTL, "zabbix"]
        if via_symlink:
            link = os.path.join(self.dir, "externalscripts", "beacon_zabbix")
            os.makedirs(os.path.dirname(link), exist_ok=True)
            if not os.path.lexists(link):
                os.symlink(os.path.abspath(BEACONCTL), link)
            argv = [link]
        env = dict(os.environ, BEACON_ALIYUN_CONFIG=config or self.config,
                   BEACON_ZABBIX_STATE_DIR=state_dir or self.state_dir)
        return subprocess.run(argv + list(args), capture_output=True, text=True, env=env,
                              timeout=60)

    def value(self, *args, **kwargs):
        out = self.check(*args, **kwargs)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stderr, "")  # Zabbix would append it to the value
        return json.loads(out.stdout)

    def by_action(self):
        return self.fake.stats()["by_action"]

    def test_discovery_pages_and_names(self):
        lld = self.value("rds.discovery", via_symlink=True)
        ids = [row["{#DBINSTANCEID}"] for row in lld["data"]]
        self.assertEqual(len(ids), 105)  # two pages, only this region
        self.assertNotIn("rm-other", ids)
        first = lld["data"][0]
        self.assertEqual(first["{#DBINSTANCEDESCRIPTION}"], "db0")
        self.assertEqual(first["{#ENGINE}"], "MySQL")
        self.assertEqual(first["{#REGIONID}"], "cn-hangzhou")
        self.assertEqual(self.by_action(), {"DescribeDBInstances": 2})

    def test_every_item_has_its_value(self):
        perf = self.value("rds.perf", "rm-007")
        p = perf["performance"]
        self.assertEqual(perf["instance"], "rm-007")
        self.assertEqual(p["MySQL_NetworkTraffic"], {"recv_k": 10.5, "sent_k": 20.25})
        self.assertEqual(p["MySQL_QPSTPS"], {"QPS": 120, "TPS": 12})
        self.assertEqual(p["MySQL_Sessions"], {"active_session": 3, "total_session": 40})
        self.assertEqual(p["MySQL_InnoDBBufferRatio"],
                         {"ibuf_read_hit": 99.9, "ibuf_use_ratio": 80, "ibuf_dirty_ratio": 1.5})
        self.assertEqual(p["MySQL_InnoDBDataReadWriten"],
                         {"inno_data_read": 5, "inno_data_written": 6})
        self.assertEqual(p["MySQL_InnoDBLogRequests"], {"ibuf_request_r": 700, "ibuf_request_w": 70})
        self.assertEqual(p["MySQL_InnoDBLogWrites"],
                         {"Innodb_log_write_requests": 9, "Innodb_log_writes": 8,
                          "Innodb_os_log_fsyncs": 7})
        self.assertEqual(p["MySQL_TempDiskTableCreates"], {"tb_tmp_disk": 4})
        self.assertEqual(p["MySQL_MyISAMKeyBufferRatio"],
                         {"Key_usage_ratio": 10, "Key_read_hit_ratio": 99,
                          "Key_write_hit_ratio": 98})
        self.assertEqual(p["MySQL_MyISAMKeyReadWrites"],
                         {"myisam_keyr_r": 1, "myisam_keyr_w": 2, "myisam_keyr": 3,
                          "myisam_keyw": 4})
        # Listed newest first by the API: still the newest point, not the last listed.
        self.assertEqual(p["MySQL_COMDML"],
                         {"com_delete": 1, "com_insert": 2, "com_insert_select": 3,
                          "com_replace": 4, "com_replace_select": 5, "com_select": 6,
                          "com_update": 7})
        self.assertEqual(p["MySQL_RowDML"],
                         {"inno_row_readed": 50, "inno_row_update": 5, "inno_row_delete": 1,
                          "inno_row_insert": 6, "Inno_log_writes": 2})
        self.assertEqual(p["MySQL_MemCpuUsage"], {"cpuusage": 35.5, "memusage": 60.25})
        self.assertEqual(p["MySQL_DetailedSpaceUsage"],
                         {"ins_size": 1000, "data_size": 800, "log_size": 100, "tmp_size": 50,
                          "other_size": 50})
        self.assertNotIn("MySQL_IOPS", p)  # no point: absent, never 0
        self.assertEqual(perf["missing"], ["MySQL_IOPS"])
        self.assertEqual(perf["cloudmonitor"],
                         {"CpuUsage": 19.5, "MemoryUsage": 40, "DiskUsage": 55.5, "IOPSUsage": 3,
                          "ConnectionUsage": 7.25, "MySQL_SlowQueries": 0.5})
        # UTC: the newest point is the current minute, not 8 hours away.
        point = time.mktime(time.strptime(perf["time"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        self.assertLess(abs(point - time.time()), 120, perf["time"])
        request = [r for r in self.fake.stats()["requests"]
                   if r["action"] == "DescribeDBInstancePerformance"][0]
        self.assertEqual(len(request["params"]["Key"].split(",")), 15)
        end = time.mktime(time.strptime(request["params"]["EndTime"], "%Y-%m-%dT%H:%MZ")) - \
            time.timezone
        self.assertLess(abs(end - time.time()), 120, request["params"]["EndTime"])

        usage = self.value("rds.usage", "rm-007")
        self.assertEqual(usage["DiskUsed"], 1073741831)
        self.assertEqual(usage["DataSize"], 536870912)
        self.assertEqual(usage["LogSize"], 1048576)
        self.assertEqual(usage["BackupSize"], 2147483648)

    def test_one_call_per_instance_per_interval(self):
        # Zabbix's pollers ask for the master items of two instances and the usage items, some
        # at the same moment, several times within one interval.
        calls = [("rds.perf", "rm-001"), ("rds.perf", "rm-002"), ("rds.usage", "rm-001")] * 4
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            outs = list(pool.map(lambda a: self.check(*a), calls))
        for out in outs:
            self.assertEqual(out.returncode, 0, out.stdout)
            self.assertNotIn("error", json.loads(out.stdout))
        self.assertEqual(self.by_action(), {"DescribeDBInstancePerformance": 2,
                                            "DescribeResourceUsage": 1,
                                            "DescribeMetricLast": 6})
        # The next interval (cache_ttl passed): one call each again.
        short = self.write_config("short-ttl.yaml", SECRET, "cache_ttl: 1s\n")
        self.value("rds.perf", "rm-001", config=short)
        time.sleep(1.2)
        self.fake.control(clear=True)
        for _ in range(3):
            self.value("rds.perf", "rm-001", config=short)
        self.assertEqual(self.by_action(), {"DescribeDBInstancePerformance": 1,
                                            "DescribeMetricLast": 6})

    def test_errors_are_one_line_without_the_secret(self):
        wrong = self.write_config("wrong.yaml", "not-the-" + SECRET)
        for args in (("rds.perf", "rm-001"), ("rds.usage", "rm-001"), ("rds.discovery",)):
            out = self.check(*args, config=wrong)
            self.assertEqual(out.returncode, 1)
            self.assertEqual(out.stderr, "")
            self.assertEqual(out.stdout.count("\n"), 1, out.stdout)
            reason = json.loads(out.stdout)["error"]
            self.assertIn("SignatureDoesNotMatch", reason)
            self.assertNotIn(SECRET, out.stdout)
        for args, text in ((("rds.perf", "rm-nope"), "InvalidDBInstanceId.NotFound"),
                           (("rds.perf", "../../etc/passwd"), "INSTANCE must be"),
                           (("rds.perf",), "missing argument"),
                           (("rds.usage", "rm-001", "x"), "unexpected argument")):
            out = self.check(*args)
            self.assertEqual(out.returncode, 1)
            self.assertIn(text, json.loads(out.stdout)["error"])
        out = self.check("rds.perf", "rm-001", config=os.path.join(self.dir, "absent.yaml"))
        self.assertIn("absent.yaml", json.loads(out.stdout)["error"])

    def test_hostile_answers(self):
        answers = ['{"PerformanceKeys": {"PerformanceKey": [{"Key": "MySQL_IOPS", "Val',
                   '[' * 100000 + ']' * 100000,
                   '{"PerformanceKeys": {"PerformanceKey": [{"Key": "MySQL_IOPS", '
                   '"ValueFormat": "io", "Values": {"PerformanceValue": '
                   '[{"Date": "soon", "Value": "1"}]}}]}}',
                   ' ' * (9 * 1024 * 1024)]
        for body in answers:
            self.fake.control(fail_next=1, action="DescribeDBInstancePerformance", raw_body=body,
                              http_status=200)
            out = self.check("rds.perf", "rm-003", state_dir=os.path.join(self.dir, "hostile"))
            self.assertEqual(out.returncode, 1, out.stdout[:200])
            self.assertEqual(out.stdout.count("\n"), 1)
            self.assertIn("rds DescribeDBInstancePerformance", json.loads(out.stdout)["error"])
        # CloudMonitor's Datapoints string broken: the performance values still come, the
        # CloudMonitor items say why.
        self.fake.control(fail_next=1, action="DescribeMetricLast", http_status=200,
                          raw_body='{"Code": "200", "Datapoints": "[{\\"timestamp\\": 1,"}')
        perf = self.value("rds.perf", "rm-003", state_dir=os.path.join(self.dir, "hostile2"))
        self.assertEqual(perf["performance"]["MySQL_Sessions"]["total_session"], 40)
        self.assertNotIn("CpuUsage", perf["cloudmonitor"])
        self.assertIn("Datapoints", perf["errors"]["cloudmonitor.CpuUsage"])
        self.assertEqual(perf["cloudmonitor"]["MemoryUsage"], 40)


class RdsInputTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("rds-input")
        state = os.path.join(self.dir, "state.json")
        with open(state, "w") as f:
            json.dump({"rds_instances": [instance(1), instance(2)]}, f)
        self.fake = Server([sys.executable, FAKE, "--port", "0", "--access-key",
                            KEY_ID + ":" + SECRET, "--state", state],
                           os.path.join(self.dir, "fake.log")).start()
        self.collector = Collector(self.dir).start()
        credentials = os.path.join(self.dir, "aliyun-credentials.yaml")
        with open(credentials, "w") as f:
            f.write(f"access_key_id: {KEY_ID}\naccess_key_secret: '{SECRET}'\n")
        self.agent = Agent(self.dir, "rds-watcher", self.collector.url,
                           self.collector.create_token("rds-watcher"), inputs_yaml=f"""  rds:
    enabled: true
    interval: 10s
    aliyun:
      region: cn-hangzhou
      credentials_file: {credentials}
      endpoints: {{rds: "{self.fake.url}", cms: "{self.fake.url}"}}
      retry: {{attempts: 1}}
""")

    def tearDown(self):
        self.agent.stop()
        self.collector.stop()
        self.fake.stop()

    def metrics(self):
        status, body = self.collector.request("GET", "/api/v1/hosts/rds-watcher")
        if status != 200:
            return {}
        return {(m["metric"], m["labels"].get("instance")): m for m in body["metrics"]}

    def test_samples_reach_the_collector_with_one_call_per_interval(self):
        self.agent.start()
        want = [("rds.perf.MySQL_NetworkTraffic.recv_k", "rm-001"),
                ("rds.perf.MySQL_COMDML.com_select", "rm-002"),
                ("rds.usage.DiskUsed", "rm-002"),
                ("rds.cloudmonitor.ConnectionUsage", "rm-001")]
        metrics = wait_for(lambda: all(w in self.metrics() for w in want) and self.metrics(), 30,
                           "rds samples at the collector")
        self.assertEqual(metrics[want[0]]["value"], 10.5 * 1024)  # KB -> bytes
        self.assertEqual(metrics[want[1]]["value"], 6)
        self.assertEqual(metrics[want[2]]["value"], 1073741826)
        self.assertEqual(metrics[want[3]]["value"], 7.25)
        self.assertNotIn(("rds.perf.MySQL_IOPS.io", "rm-001"), metrics)
        stats = self.fake.stats()
        gathers = stats["by_action"]["DescribeDBInstancePerformance"] / 2
        self.assertGreaterEqual(gathers, 1)
        # Per gather: one performance and one usage call per instance, five CloudMonitor calls
        # for both, one listing of the instances in all.
        by_action = stats["by_action"]
        self.assertEqual(by_action["DescribeDBInstances"], 1)
        self.assertAlmostEqual(by_action["DescribeResourceUsage"] / 2, gathers, delta=1)
        self.assertAlmostEqual(by_action["DescribeMetricLast"] / 6, gathers, delta=1)
        self.assertEqual(stats["rejected"], {})
        with open(self.agent.log) as f:
            self.assertNotIn(SECRET, f.read())


class CollectorChecksTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("zabbix-checks")
        zabbix_token = os.path.join(self.dir, "zabbix.token")
        with open(zabbix_token, "w") as f:
            f.write("zabbix-source-token\n")
        self.collector = Collector(self.dir, extra_yaml=f"""alerts:
  zabbix:
    token_file: {zabbix_token}
""").start()
        self.agent_token = self.collector.create_token("web-01")

    def tearDown(self):
        self.collector.stop()

    def check(self, *args, token=True):
        argv = [BEACONCTL, "--url", self.collector.url]
        if token:
            argv += ["--token-file", self.collector.admin_token_file]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_TOKEN")}
        return subprocess.run(argv + ["zabbix", *args], capture_output=True, text=True, env=env,
                              timeout=30)

    def ingest(self, records):
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        batch = {"v": 1, "agent": "web-01", "agent_version": "test", "sent_at": now,
                 "records": records}
        status, body = self.collector.request("POST", "/api/v1/ingest", batch,
                                              token=self.agent_token)
        self.assertEqual(status, 200, body)

    def test_lastseen_backup_age_and_open_alerts(self):
        now = time.time()
        created_ms = int((now - 120) * 1000)
        version = {"set": "etc", "path": "/etc/app.conf", "size": 3, "mtime_ns": 1, "mode": 420,
                   "uid": 0, "gid": 0, "owner": "root", "group": "root", "sha256": "ab" * 32,
                   "stored_size": 3, "store": "local",
                   "key": f"beacon/web-01/etc/app.conf@19700101T000000Z-{'ab' * 6}.zst",
                   "storage_class": "", "key_id": "", "created_ms": created_ms}
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.ingest([{"seq": 1, "ts": ts, "type": "event", "kind": "backup.version",
                      "severity": "information", "subject": "/etc/app.conf", "message": "",
                      "data": version}])
        out = self.check("host.lastseen", "web-01")
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertLess(abs(int(out.stdout) - now), 30)
        out = self.check("backup.age", "web-01", "etc")
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertLess(abs(int(out.stdout) - 120), 30)

        self.assertEqual(self.check("alerts.open").stdout, "0\n")
        for event_id, host in ((1, "web-01"), (2, "web-01"), (3, "db-01")):
            status, body = self.collector.request("POST", "/api/v1/alerts/zabbix",
                                                  zabbix_params(event_id, host=host,
                                                                trigger_id=str(100 + event_id)),
                                                  token="zabbix-source-token")
            self.assertEqual(status, 200, body)
        self.assertEqual(self.check("alerts.open").stdout, "3\n")
        self.assertEqual(self.check("alerts.open", "web-01").stdout, "2\n")
        self.assertEqual(self.check("alerts.open", "").stdout, "3\n")  # Zabbix's empty parameter

    def test_errors_are_one_line(self):
        for args, text in ((("host.lastseen", "nope"), "unknown host 'nope'"),
                           (("backup.age", "web-01", "nope"), "no backup of set 'nope'"),
                           (("backup.age", "web-01"), "missing argument")):
            out = self.check(*args)
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertEqual(out.stderr, "")
            self.assertIn(text, json.loads(out.stdout)["error"])
        out = self.check("alerts.open", token=False)
        self.assertIn("no admin token", json.loads(out.stdout)["error"])


if __name__ == "__main__":
    unittest.main()
