"""Active checks side by side: Debian's zabbix_agentd (package zabbix-agent) and beacon-agent
both pointed (ServerActive= / zabbix.server_active) at a fake Zabbix 6.0 server speaking the
captured active protocol (zabbix_fake_server.py). Both must ask for their item list with
requests of the same shape, then send values for the listed keys in "agent data" batches of the
same shape (session, increasing ids, clock/ns, state 1 for unsupported keys). beacon-agent's
values gathered while the server is away arrive once it answers again. Skipped when the
packages are absent (scripts/bootstrap installs them)."""
import os
import time
import unittest

from harness import tail, wait_for, workdir
from zabbix_agents import (ZABBIX_AGENTD, start_beacon_agent, start_zabbix_agentd, stop,
                           wait_until_both_ready)
from zabbix_fake_server import FakeZabbixServer

HAVE_ZABBIX = os.access(ZABBIX_AGENTD, os.X_OK)

ITEMS = [("agent.ping", 1), ("agent.hostname", 1), ("system.uptime", 1),
         ("vfs.file.exists[/etc/passwd]", 1), ("bogus.key", 1), ("up.echo[hello]", 1)]


@unittest.skipUnless(HAVE_ZABBIX, "zabbix-agent not installed (scripts/bootstrap)")
class ZabbixActiveSideBySide(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = workdir("zbxactive")
        cls.zserver = FakeZabbixServer(ITEMS)
        cls.bserver = FakeZabbixServer(ITEMS)
        include = os.path.join(cls.dir, "zabbix_agentd.d")
        os.makedirs(include, exist_ok=True)
        with open(os.path.join(include, "echo.conf"), "w") as f:
            f.write("UserParameter=up.echo[*],echo $1\n")
        cls.zabbix, cls.zport, cls.zlog = start_zabbix_agentd(cls.dir, f"""ServerActive=127.0.0.1:{cls.zserver.port}
HostMetadata=linux-meta
RefreshActiveChecks=60
BufferSend=1
Include={include}/*.conf
""")
        cls.beacon, cls.bport, cls.blog = start_beacon_agent(cls.dir, f"""  server_active: ["127.0.0.1:{cls.bserver.port}"]
  host_metadata: linux-meta
  refresh_active_checks: 1s
  buffer_send: 1s
  buffer_size: 1000
  include: [{include}]
""")
        wait_until_both_ready(cls, ((cls.zserver, cls.zlog), (cls.bserver, cls.blog)),
                              lambda server: len({v["key"] for v in server.values()}) >= len(ITEMS),
                              "values of every item from both agents", 30)

    @classmethod
    def tearDownClass(cls):
        stop(cls.zabbix)
        stop(cls.beacon)
        cls.zserver.close()
        cls.bserver.close()

    def test_item_list_requests_have_the_same_shape(self):
        z = self.zserver.of("active checks")[0]
        b = self.bserver.of("active checks")[0]
        self.assertEqual(list(z), list(b))  # same fields in the same order
        self.assertEqual(z["request"], "active checks")
        self.assertEqual(b["host"], z["host"])
        self.assertEqual(b["host_metadata"], z["host_metadata"])
        self.assertEqual(b["ip"], "127.0.0.1")
        self.assertEqual(z["ip"], "127.0.0.1")
        self.assertEqual(b["port"], self.bport)
        self.assertEqual(z["port"], self.zport)

    def test_agent_data_has_the_same_shape_and_values(self):
        z_batch = self.zserver.of("agent data")[0]
        b_batch = self.bserver.of("agent data")[0]
        self.assertEqual(list(z_batch), list(b_batch))  # request, session, data, clock, ns
        for batch in (z_batch, b_batch):
            self.assertRegex(batch["session"], r"^[0-9a-f]{32}$")
            self.assertIsInstance(batch["clock"], int)
            self.assertIsInstance(batch["ns"], int)
        z = {v["key"]: v for v in self.zserver.values()}
        b = {v["key"]: v for v in self.bserver.values()}
        for key in ("agent.ping", "agent.hostname", "vfs.file.exists[/etc/passwd]",
                    "up.echo[hello]", "bogus.key"):
            self.assertEqual(list(z[key]), list(b[key]), key)  # the same fields, same order
            self.assertEqual(z[key]["value"], b[key]["value"], key)
            self.assertEqual(z[key].get("state"), b[key].get("state"), key)
        self.assertEqual(b["bogus.key"]["state"], 1)
        self.assertEqual(b["up.echo[hello]"]["value"], "hello")
        self.assertRegex(b["system.uptime"]["value"], r"^[0-9]+$")
        now = time.time()
        for v in self.bserver.values():
            self.assertLessEqual(abs(v["clock"] - now), 120)
            self.assertLess(v["ns"], 10**9)

    def test_ids_increase_within_one_session(self):
        for server in (self.zserver, self.bserver):
            batches = server.of("agent data")
            self.assertEqual(len({b["session"] for b in batches}), 1)
            ids = [v["id"] for b in batches for v in b["data"]]
            self.assertEqual(ids, sorted(ids))
            self.assertEqual(len(ids), len(set(ids)))

    def test_values_gathered_while_the_server_is_away_arrive_after(self):
        self.bserver.up = False
        away_since = time.time()
        time.sleep(4)
        self.bserver.up = True
        wait_for(lambda: any(away_since < v["clock"] < away_since + 3 and v["key"] == "agent.ping"
                             for v in self.bserver.values()), 20,
                 f"values gathered while away\n{tail(self.blog)}", interval=0.2)
        with open(self.blog) as f:
            self.assertIn("zabbix active checks: cannot", f.read())


if __name__ == "__main__":
    unittest.main()
