"""A real Zabbix 6.0 server (tests/integration/zabbix_server.py: Debian's zabbix_server and
frontend on a private PostgreSQL): every export in templates/zabbix/ imports through the API's
configuration.import and reads back as written; the server's passive pollers get agent.ping and
a UserParameter item from Debian's zabbix_agentd into history, and its trapper takes the same
agent's active checks. The generated host templates (scripts/zabbix-templates): their UUIDs are
the frontend's generateUuidV4 and none is stock; a real beacon-agent is polled through "Beacon
agent by Zabbix agent"; the active variant's items are offered in "active checks", and a real
beacon-agent with server_active sends them and a UserParameter (active and passive) into history; "Beacon RDS
MySQL by external check" runs beaconctl against tests/fakes/aliyun_server.py and fills every
dependent item. One server for the class (about 35 s in all); its start-up and the class's wall
time are printed. scripts/bootstrap installs and unpacks what it needs."""
import glob
import gzip
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

import yaml

from harness import AGENT, BEACONCTL, Server, free_low_port, tail, wait_for, workdir
from zabbix_server import (ITEM_TYPE_EXTERNAL, ITEM_TYPE_ZABBIX_ACTIVE, VALUE_CHAR,
                           VALUE_UNSIGNED, ZabbixAgentd, ZabbixServer, zbxd_request)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATES = sorted(glob.glob(os.path.join(ROOT, "templates", "zabbix", "*.yaml")))
MEDIA_TYPE_CODES = {"EMAIL": "0", "SCRIPT": "1", "SMS": "2", "WEBHOOK": "4"}
_LOADER = importlib.machinery.SourceFileLoader(
    "zabbix_templates", os.path.join(ROOT, "scripts", "zabbix-templates"))
GENERATOR = importlib.util.module_from_spec(importlib.util.spec_from_loader(_LOADER.name, _LOADER))
_LOADER.exec_module(GENERATOR)
FAKE_ALIYUN = os.path.join(ROOT, "tests", "fakes", "aliyun_server.py")


def nested(template, field):
    """The template's items' (or prototypes') nested triggers, counted."""
    return sum(len(i.get(field, [])) for i in template)


def normalized(text):
    """Zabbix stores imported text with CRLF line ends and without the final newline."""
    return text.replace("\r\n", "\n").rstrip("\n")


class ZabbixServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.dir = workdir("zbxserver")
        cls.zbx = ZabbixServer(cls.dir)
        cls.zbx.start()

    @classmethod
    def tearDownClass(cls):
        left = cls.zbx.stop()
        sys.stderr.write(f"test_zabbix_server: {time.monotonic() - cls.t0:.1f}s wall time\n")
        shutil.rmtree(cls.dir, ignore_errors=True)
        if left:
            raise AssertionError(f"processes left after stop: {left}")

    def stop_agent(self, agent):
        left = agent.stop()
        self.assertEqual(left, [], "agent processes left after stop")

    def dir_for(self, name):
        path = os.path.join(self.dir, name)
        os.makedirs(path, exist_ok=True)
        return path

    def assert_value(self, host, key, expected, timeout=30):
        """The item's newest value in the server's history becomes `expected`."""
        self.assertEqual(self.zbx.wait_value(host, key, lambda v: v == expected, timeout),
                         expected)

    def test_templates_import_and_read_back(self):
        self.assertTrue(TEMPLATES, "no YAML in templates/zabbix")
        for path in TEMPLATES:
            with self.subTest(template=os.path.basename(path)):
                with open(path) as f:
                    export = yaml.safe_load(f)["zabbix_export"]
                self.assertIs(self.zbx.import_yaml(path), True)
                for media in export.get("media_types", []):
                    self.check_media_type(media)
                for template in export.get("templates", []):
                    self.check_template(template)

    def check_media_type(self, media):
        found = self.zbx.api("mediatype.get", {
            "filter": {"name": media["name"]}, "output": "extend",
            "selectMessageTemplates": "extend"})
        self.assertEqual(len(found), 1, media["name"])
        got = found[0]
        self.assertEqual(got["type"], MEDIA_TYPE_CODES[media["type"]])
        if media["type"] == "WEBHOOK":
            self.assertEqual(normalized(got["script"]), normalized(media["script"]))
            self.assertEqual({p["name"]: p["value"] for p in got["parameters"]},
                             {p["name"]: str(p.get("value", "")) for p in media["parameters"]})
        if media["type"] == "SCRIPT":
            self.assertEqual(got["exec_path"], media["script_name"])
            self.assertEqual(got["exec_params"].splitlines(), media["parameters"])
        self.assertEqual(len(got["message_templates"]), len(media.get("message_templates", [])))
        for want in media.get("message_templates", []):
            self.assertIn(normalized(want["message"]),
                          [normalized(t["message"]) for t in got["message_templates"]])

    def check_template(self, template):
        found = self.zbx.api("template.get", {
            "filter": {"host": template["template"]}, "output": ["host", "uuid"],
            "selectItems": ["key_"], "selectDiscoveries": ["key_"]})
        self.assertEqual(len(found), 1, template["template"])
        self.assertEqual(found[0]["uuid"], template["uuid"].lower())
        self.assertEqual(sorted(i["key_"] for i in found[0]["items"]),
                         sorted(i["key"] for i in template.get("items", [])))
        self.assertEqual(sorted(d["key_"] for d in found[0]["discoveries"]),
                         sorted(d["key"] for d in template.get("discovery_rules", [])))
        self.check_template_parts(template)

    def check_template_parts(self, template):
        """Macros, triggers, discovery rules' prototypes and dashboards read back as exported."""
        templateid = self.zbx.api("template.get", {"filter": {"host": template["template"]},
                                                   "output": ["templateid"]})[0]["templateid"]
        got = self.zbx.api("template.get", {"templateids": templateid, "output": ["host"],
                                            "selectMacros": ["macro", "value"],
                                            "selectTriggers": ["description"]})[0]
        self.assertEqual({m["macro"]: m["value"] for m in got["macros"]},
                         {m["macro"]: m.get("value", "") for m in template.get("macros", [])})
        self.assertEqual(sorted(t["description"] for t in got["triggers"]),
                         sorted(t["name"] for i in template.get("items", [])
                                for t in i.get("triggers", [])))
        for rule in template.get("discovery_rules", []):
            found = self.zbx.api("discoveryrule.get", {
                "templateids": templateid, "filter": {"key_": rule["key"]}, "output": ["key_"],
                "selectItems": ["key_"], "selectTriggers": ["description"],
                "selectGraphs": ["name"]})
            self.assertEqual(len(found), 1, rule["key"])
            self.assertEqual(sorted(i["key_"] for i in found[0]["items"]),
                             sorted(p["key"] for p in rule.get("item_prototypes", [])))
            self.assertEqual(len(found[0]["triggers"]),
                             nested(rule.get("item_prototypes", []), "trigger_prototypes"))
            self.assertEqual(sorted(g["name"] for g in found[0]["graphs"]),
                             sorted(g["name"] for g in rule.get("graph_prototypes", [])))
        dashboards = self.zbx.api("templatedashboard.get", {
            "templateids": templateid, "output": ["name"], "selectPages": "extend"})
        self.assertEqual(sorted(d["name"] for d in dashboards),
                         sorted(d["name"] for d in template.get("dashboards", [])))
        for want in template.get("dashboards", []):
            have = [d for d in dashboards if d["name"] == want["name"]][0]
            self.assertEqual(len(have["pages"][0]["widgets"]),
                             len(want["pages"][0]["widgets"]))

    def test_generated_uuids_are_the_frontends_and_none_is_stock(self):
        """scripts/zabbix-templates derives UUIDs like the frontend's generateUuidV4($seed),
        and none of them is a UUID of the stock data (templates, groups, items...)."""
        with open(os.path.join(self.zbx.frontend, "include", "func.inc.php")) as f:
            source = re.search(r"function generateUuidV4\(.*?\n\}\n", f.read(), re.S).group(0)
        seeds = ["template/Beacon agent by Zabbix agent", "Beacon RDS MySQL/item/x[1,\"a b\"]"]
        php = source + "foreach (array_slice($argv, 1) as $s) echo generateUuidV4($s), \"\\n\";"
        out = subprocess.run(["php", "-r", php, "--"] + ["beacon/" + s for s in seeds],
                             capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(out, [GENERATOR.uuid4(s) for s in seeds])
        with gzip.open(os.path.join(self.zbx.sql_dir, "data.sql.gz"), "rt") as f:
            stock = set(re.findall(r"'([0-9a-f]{32})'", f.read()))
        self.assertGreater(len(stock), 1000)
        ours = set()
        for path in TEMPLATES:
            with open(path) as f:
                ours |= set(re.findall(r"uuid: '?([0-9a-f]{32})", f.read()))
        self.assertGreater(len(ours), 100)
        self.assertEqual(ours & stock, set())

    def test_zabbix_agentd_passive_and_active_values_reach_history(self):
        hostname = "agentd-side"
        agent_dir = self.dir_for(hostname)
        agentd = ZabbixAgentd(agent_dir, hostname,
                              server_active=f"127.0.0.1:{self.zbx.trapper_port}",
                              user_parameters=[("beacon.test.echo[*]", 'echo "$1"')])
        hostid = self.zbx.add_agent_host(agentd)
        self.zbx.create_item(hostid, "beacon.test.echo[active]", value_type=VALUE_CHAR,
                             type=ITEM_TYPE_ZABBIX_ACTIVE)
        # zabbix_agentd asks for its active items at start-up, then only every 60 s.
        self.zbx.wait_active_checks(hostname, ["beacon.test.echo[active]"])
        self.addCleanup(self.stop_agent, agentd)
        agentd.start()
        # Passive items made once the agent listens: a poll of an agent that is not up yet
        # marks the interface unavailable for a few seconds.
        self.zbx.create_item(hostid, "agent.ping", value_type=VALUE_UNSIGNED)
        self.zbx.create_item(hostid, "beacon.test.echo[passive]", value_type=VALUE_CHAR)
        self.assert_value(hostname, "beacon.test.echo[active]", "active")
        self.assert_value(hostname, "agent.ping", "1")
        self.assert_value(hostname, "beacon.test.echo[passive]", "passive")

    def test_external_check_value_reaches_history(self):
        script = os.path.join(self.dir_for("external"), "beacon_echo.sh")
        with open(script, "w") as f:
            f.write('#!/bin/sh\necho "$1-$2"\n')
        os.chmod(script, 0o755)
        self.zbx.add_external_script("beacon_echo.sh", script)
        hostid = self.zbx.create_host("external-side", "127.0.0.1", 10050)
        self.zbx.create_item(hostid, 'beacon_echo.sh["{HOST.CONN}",x]', value_type=VALUE_CHAR,
                             type=ITEM_TYPE_EXTERNAL)
        self.assert_value("external-side", 'beacon_echo.sh["{HOST.CONN}",x]', "127.0.0.1-x")


    def linked_item_ids(self, host, keys):
        found = self.zbx.api("item.get", {"host": host, "filter": {"key_": list(keys)},
                                          "output": ["itemid", "key_"]})
        self.assertEqual(sorted(i["key_"] for i in found), sorted(keys))
        return [i["itemid"] for i in found]

    def lld_rule_ids(self, hostid, keys):
        found = self.zbx.api("discoveryrule.get", {"hostids": hostid,
                                                   "filter": {"key_": list(keys)},
                                                   "output": ["itemid"]})
        self.assertEqual(len(found), len(keys))
        return [r["itemid"] for r in found]

    def start_beacon_agent(self, hostname, port, zabbix_extra=""):
        """A real beacon-agent answering Zabbix on `port` (the system input every second; its
        collector unreachable, so the spool fills), stopped at the test's end."""
        d = self.dir_for(hostname)
        with open(os.path.join(d, "token"), "w") as f:
            f.write("unused\n")
        config = os.path.join(d, "agent.yaml")
        log = os.path.join(d, "agent.log")
        with open(config, "w") as f:
            f.write(f"""agent:
  name: {hostname}
  data_dir: {d}/data
collector:
  url: http://127.0.0.1:9
  token_file: {d}/token
inputs:
  system:
    enabled: true
    interval: 1s
zabbix:
  listen: 127.0.0.1:{port}
  allow: [127.0.0.1]
  hostname: {hostname}
{zabbix_extra}log:
  file: {log}
""")
        agent = subprocess.Popen([AGENT, "run", "-c", config], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)

        def stop():
            agent.terminate()
            agent.wait(timeout=20)
        self.addCleanup(stop)
        wait_for(lambda: agent.poll() is None and _answers(port), 20,
                 f"beacon-agent on {port}\n{tail(log)}", interval=0.2)

    def test_beacon_agent_polled_through_the_passive_template(self):
        """A real beacon-agent (zabbix.listen) on a host linked to "Beacon agent by Zabbix
        agent": the server polls agent.ping, beacon.spool.size (the collector is unreachable,
        so the spool holds the system input's samples) and a filesystem the template's
        discovery found."""
        self.zbx.import_yaml(os.path.join(ROOT, "templates", "zabbix", "beacon_agent.yaml"))
        hostname = "beacon-passive"
        port = free_low_port()
        self.start_beacon_agent(hostname, port)
        hostid = self.zbx.create_host(hostname, "127.0.0.1", port,
                                      templates=["Beacon agent by Zabbix agent"])
        # Runs before the agent stops: the other tests' pollers need not retry a dead agent.
        self.addCleanup(self.zbx.api, "host.update", {"hostid": hostid, "status": 1})
        # The root filesystem of a container is often overlay, which the default type filter
        # leaves out.
        self.zbx.api("usermacro.create", {"hostid": hostid,
                                          "macro": "{$BEACON.VFS.FS.FSTYPE.MATCHES}",
                                          "value": ".*"})
        items = self.linked_item_ids(hostname, ["agent.ping", "beacon.spool.size"])
        rules = self.lld_rule_ids(hostid, ["vfs.fs.discovery"])

        def polled():
            self.zbx.check_now(items + rules)
            return (self.zbx.history(hostname, "agent.ping", 1) and
                    self.zbx.history(hostname, "beacon.spool.size", 1))
        wait_for(polled, 60, "agent.ping and beacon.spool.size from the template", interval=3)
        self.assertEqual(self.zbx.history(hostname, "agent.ping", 1)[0][1], "1")
        self.assertGreater(int(self.zbx.history(hostname, "beacon.spool.size", 1)[0][1]), 0)
        pused = "vfs.fs.size[/,pused]"

        def discovered():
            found = self.zbx.api("item.get", {"host": hostname, "filter": {"key_": pused},
                                              "output": ["itemid"]})
            if not found:
                self.zbx.check_now(rules)
                return None
            self.zbx.check_now([found[0]["itemid"]])
            return self.zbx.history(hostname, pused, 1)
        value = wait_for(discovered, 60, f"{pused} discovered and polled", interval=3)[0][1]
        self.assertTrue(0 <= float(value) <= 100, value)

    def test_active_template_items_are_offered_to_the_agent(self):
        """The active variant's items and discovery rules are what the server offers a host in
        its reply to "active checks" (beacon-agent's active side is tested with it elsewhere)."""
        path = os.path.join(ROOT, "templates", "zabbix", "beacon_agent_active.yaml")
        self.zbx.import_yaml(path)
        with open(path) as f:
            template = yaml.safe_load(f)["zabbix_export"]["templates"][0]
        keys = [i["key"] for i in template["items"]] + [r["key"] for r in
                                                        template["discovery_rules"]]
        self.zbx.create_host("beacon-active", "127.0.0.1", 10050,
                             templates=[template["template"]])
        self.zbx.wait_active_checks("beacon-active", keys)

    def test_beacon_agent_active_checks_and_user_parameters_reach_history(self):
        """A real beacon-agent with zabbix.server_active pointing at the server's trapper, on a
        host linked to "Beacon agent by Zabbix agent active": it asks for its active items and
        sends agent.ping and beacon.spool.size; a UserParameter (no shell, `[*]` with $1)
        reaches history both as an active item and polled passively."""
        self.zbx.import_yaml(os.path.join(ROOT, "templates", "zabbix",
                                          "beacon_agent_active.yaml"))
        hostname = "beacon-active-e2e"
        port = free_low_port()
        hostid = self.zbx.create_host(hostname, "127.0.0.1", port,
                                      templates=["Beacon agent by Zabbix agent active"])
        self.zbx.create_item(hostid, "beacon.test.up[active]", value_type=VALUE_CHAR,
                             type=ITEM_TYPE_ZABBIX_ACTIVE)
        self.zbx.wait_active_checks(hostname, ["agent.ping", "beacon.spool.size",
                                               "beacon.test.up[active]"])
        self.start_beacon_agent(hostname, port, f"""  server_active: ["127.0.0.1:{self.zbx.trapper_port}"]
  refresh_active_checks: 5s
  buffer_send: 1s
  user_parameters:
    - {{key: "beacon.test.up[*]", command: "/bin/echo up-$1"}}
""")
        # Runs before the agent stops: the other tests' pollers need not retry a dead agent.
        self.addCleanup(self.zbx.api, "host.update", {"hostid": hostid, "status": 1})
        self.assert_value(hostname, "beacon.test.up[active]", "up-active", timeout=60)
        self.assert_value(hostname, "agent.ping", "1", timeout=60)
        spool = self.zbx.wait_value(hostname, "beacon.spool.size", lambda v: int(v) > 0, 60)
        self.assertGreater(int(spool), 0)
        # The same UserParameter polled passively by the server.
        self.zbx.create_item(hostid, "beacon.test.up[passive]", value_type=VALUE_CHAR)
        self.assert_value(hostname, "beacon.test.up[passive]", "up-passive", timeout=60)

    def test_rds_template_discovers_instances_and_fills_dependent_items(self):
        """The RDS template on a host whose external check beacon_zabbix runs beaconctl against
        the fake Alibaba Cloud API (signatures checked): discovery makes every instance's items
        and the dependent items get the values of one rds.perf and one rds.usage each."""
        from test_rds import KEY_ID, SECRET, instance
        self.zbx.import_yaml(os.path.join(ROOT, "templates", "zabbix", "beacon_rds_mysql.yaml"))
        d = self.dir_for("rds")
        state = os.path.join(d, "state.json")
        with open(state, "w") as f:
            json.dump({"rds_instances": [instance(1), instance(2)]}, f)
        fake = Server([sys.executable, FAKE_ALIYUN, "--port", "0", "--access-key",
                       KEY_ID + ":" + SECRET, "--state", state],
                      os.path.join(d, "fake.log")).start()
        self.addCleanup(fake.stop)
        with open(os.path.join(d, "credentials.yaml"), "w") as f:
            f.write(f"access_key_id: {KEY_ID}\naccess_key_secret: '{SECRET}'\n")
        os.chmod(os.path.join(d, "credentials.yaml"), 0o600)
        with open(os.path.join(d, "aliyun.yaml"), "w") as f:
            f.write(f"""region: cn-hangzhou
credentials_file: credentials.yaml
endpoints: {{rds: "{fake.url}", cms: "{fake.url}"}}
timeout: 2s
retry: {{attempts: 1}}
cache_ttl: 4s
""")
        # What docs/zabbix.md shows for the collector-backed checks: a wrapper of the same name
        # that sets the environment, since Zabbix passes only its own.
        wrapper = os.path.join(d, "beacon_zabbix")
        with open(wrapper, "w") as f:
            f.write(f"""#!/bin/sh
export BEACON_ALIYUN_CONFIG={d}/aliyun.yaml
export BEACON_ZABBIX_STATE_DIR={d}/cache
exec {os.path.abspath(BEACONCTL)} zabbix "$@"
""")
        os.chmod(wrapper, 0o755)
        self.zbx.add_external_script("beacon_zabbix", wrapper)
        host = "rds-checks"
        hostid = self.zbx.create_host(host, "127.0.0.1", 10050,
                                      templates=["Beacon RDS MySQL by external check"])
        for macro in ("{$BEACON.RDS.INTERVAL}", "{$BEACON.RDS.USAGE.INTERVAL}",
                      "{$BEACON.RDS.DISCOVERY.INTERVAL}"):
            self.zbx.api("usermacro.create", {"hostid": hostid, "macro": macro, "value": "5s"})
        rules = self.lld_rule_ids(hostid, ["beacon_zabbix[rds.discovery]"])
        with open(os.path.join(ROOT, "templates", "zabbix", "beacon_rds_mysql.yaml")) as f:
            export = yaml.safe_load(f)
        prototypes = export["zabbix_export"]["templates"][0]["discovery_rules"][0]["item_prototypes"]
        want = {p["key"].replace("{#DBINSTANCEID}", i) for p in prototypes
                for i in ("rm-001", "rm-002")}
        # No point for MySQL_IOPS and no SQLSize or ColdBackupSize in the fake's answers: those
        # items discard their value, never store 0.
        served_usage = instance(1)["usage"]
        no_point = {k for k in want if "MySQL_IOPS" in k or (
            k.startswith("beacon.rds.usage[") and k[:-1].split(",")[1] not in served_usage)}
        self.assertEqual(len(no_point), 2 * 3)
        dependent = {k for k in want if k.startswith("beacon.rds.")}

        last = {}

        def filled():
            items = self.zbx.api("item.get", {"hostids": hostid, "output": ["key_", "lastclock",
                                                                          "lastvalue", "state",
                                                                          "error"],
                                              "search": {"key_": "beacon"}})
            got = {i["key_"]: i for i in items if i["key_"] in want}
            if set(got) != want:
                self.zbx.check_now(rules)
                last["state"] = self.zbx.api("discoveryrule.get", {
                    "itemids": rules, "output": ["state", "error"]})
                return None
            empty = [k for k in dependent - no_point if got[k]["lastclock"] == "0"]
            last["state"] = [got[k] for k in sorted(empty)[:5]]
            return None if empty else got
        try:
            got = wait_for(filled, 90, "the RDS items discovered and filled", interval=2)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{last}\n{tail(self.zbx.server_log, 30)}\n"
                                 f"{tail(os.path.join(d, 'fake.log'), 10)}") from None
        self.assertEqual({k: got[k]["lastclock"] for k in no_point}, dict.fromkeys(no_point, "0"))
        value = {k: float(v["lastvalue"]) for k, v in got.items() if k in dependent - no_point}
        self.assertEqual(value["beacon.rds.perf[rm-001,MySQL_MemCpuUsage,cpuusage]"], 35.5)
        self.assertEqual(value["beacon.rds.perf[rm-002,MySQL_NetworkTraffic,recv_k]"],
                         10.5 * 1024)
        self.assertEqual(value["beacon.rds.perf[rm-001,MySQL_COMDML,com_update]"], 7)
        self.assertEqual(value["beacon.rds.perf[rm-001,MySQL_DetailedSpaceUsage,data_size]"],
                         800 * 1048576)
        self.assertEqual(value["beacon.rds.cms[rm-002,CpuUsage]"], 14.5)
        self.assertEqual(value["beacon.rds.cms[rm-001,MySQL_SlowQueries]"], 0.5)
        self.assertEqual(value["beacon.rds.usage[rm-001,DiskUsed]"], 1073741825)
        self.assertEqual(value["beacon.rds.usage[rm-002,BackupSize]"], 2147483648)
        names = {i["name"] for i in self.zbx.api("item.get", {"hostids": hostid,
                                                              "output": ["name"]})}
        self.assertIn("db1: CPU usage", names)


def _answers(port):
    try:
        return zbxd_request(port, b"agent.ping") == b"1"
    except OSError:
        return False

if __name__ == "__main__":
    unittest.main()
