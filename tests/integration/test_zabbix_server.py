"""A real Zabbix 6.0 server (tests/integration/zabbix_server.py: Debian's zabbix_server and
frontend on a private PostgreSQL): every export in templates/zabbix/ imports through the API's
configuration.import and reads back as written; the server's passive pollers get agent.ping and
a UserParameter item from Debian's zabbix_agentd into history, and its trapper takes the same
agent's active checks. One server for the class; its start-up and the class's wall time are
printed. scripts/bootstrap installs and unpacks what it needs."""
import glob
import os
import shutil
import sys
import time
import unittest

import yaml

from harness import workdir
from zabbix_server import (ITEM_TYPE_EXTERNAL, ITEM_TYPE_ZABBIX_ACTIVE, VALUE_CHAR,
                           VALUE_UNSIGNED, ZabbixAgentd, ZabbixServer)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATES = sorted(glob.glob(os.path.join(ROOT, "templates", "zabbix", "*.yaml")))
MEDIA_TYPE_CODES = {"EMAIL": "0", "SCRIPT": "1", "SMS": "2", "WEBHOOK": "4"}


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


if __name__ == "__main__":
    unittest.main()
