"""The bot's cloud actions end to end, the way staff use them: a test playing the WeCom server
(tests/integration/bot_wecom.py) sends encrypted, signed callbacks to a real beacon-collector
whose `bot.slb` points at the strict fake Alibaba Cloud API (tests/fakes/aliyun_server.py, which
checks every request's signature the way the official SDK signs), and reads the bot's answers
off the fake WeCom message/send. Covers status, drain with preview and `confirm CODE`, the
weights the fake then holds, undrain, the health guard, gray release then promote, and the
audit log; one test drives the same engine through `beaconctl chat`."""
import json
import os
import re
import time
import unittest
import urllib.request

import harness
from bot_wecom import WecomRig

KEY_ID, SECRET = "LTAI5tBotCloudTest", "bot-cloud/secret=x"
# i-abc sits behind two production LBs, each with another healthy backend: it can be drained.
# i-ghi is the only backend of lb-solo: draining it would leave lb-solo without traffic.
STATE = {"load_balancers": [
    {"id": "lb-web", "name": "web", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}],
     "backends": [{"server_id": "i-abc", "weight": 100}, {"server_id": "i-def", "weight": 80}]},
    {"id": "lb-api", "name": "api", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}],
     "backends": [{"server_id": "i-abc", "weight": 100}, {"server_id": "i-ghi", "weight": 50}]},
    {"id": "lb-solo", "name": "solo", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}],
     "backends": [{"server_id": "i-ghi", "weight": 100}]},
    {"id": "lb-gray", "name": "gray", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}], "backends": []}]}
BEFORE = {"lb-web": {"i-abc": 100, "i-def": 80}, "lb-api": {"i-abc": 100, "i-ghi": 50},
          "lb-solo": {"i-ghi": 100}, "lb-gray": {}}


class BotCloudEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wd = harness.workdir("bot-cloud")
        cls.fake = harness.Server(
            ["python3", os.path.join(harness.SOURCE_DIR, "tests", "fakes", "aliyun_server.py"),
             "--port", "0", "--access-key", f"{KEY_ID}:{SECRET}", "--state-json",
             json.dumps(STATE)], os.path.join(cls.wd, "fake-aliyun.log")).start()
        cls.rig = WecomRig(cls.wd, ["zhangsan", "lisi", "wangwu"]).start()
        creds = os.path.join(cls.wd, "aliyun.yaml")
        with open(creds, "w") as f:
            f.write(f"access_key_id: {KEY_ID}\naccess_key_secret: \"{SECRET}\"\n")
        os.chmod(creds, 0o600)
        cls.collector = harness.Collector(cls.wd, extra_yaml=f"""hosts:
  stale_after: 1h
bot:
  timezone: UTC
  roles:
    admin: {{users: [zhangsan]}}
    operator: {{users: [lisi]}}
    viewer: {{users: [wangwu]}}
  local_users:
    alice: admin
{cls.rig.yaml()}
  slb:
    region: cn-hangzhou
    credentials_file: {creds}
    endpoints: {{slb: {cls.fake.url}}}
    retry: {{attempts: 2, initial_backoff: 100ms, max_backoff: 200ms}}
    state_db: {os.path.join(cls.wd, "slb-state.db")}
    production:
      - {{id: lb-web, name: web}}
      - {{id: lb-api, name: api}}
      - {{id: lb-solo, name: solo}}
    gray: {{id: lb-gray, name: gray, weight: 100}}
    servers: {{web-01: i-abc, web-02: i-def, api-01: i-ghi}}
""").start()
        # web-01 reports once, so `status web-01` has something to show.
        token = cls.collector.create_token("web-01")
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        status, reply = cls.collector.request("POST", "/api/v1/ingest", {
            "v": 1, "agent": "web-01", "agent_version": "test", "sent_at": now, "records": [
                {"seq": 1, "ts": now, "type": "sample", "metric": "system.cpu.util",
                 "value": 42.5, "labels": {}}]}, token=token)
        assert status == 200, (status, reply)

    @classmethod
    def tearDownClass(cls):
        cls.collector.stop()
        cls.rig.stop()
        cls.fake.stop()

    def ask(self, user, text, containing):
        return self.rig.ask(self, user, text, containing)

    def confirm(self, user, text):
        return self.rig.confirm(self, user, text, " done")

    def weights(self):
        with urllib.request.urlopen(self.fake.url + "/__state", timeout=5) as r:
            state = json.loads(r.read())
        return {lb["id"]: {b["server_id"]: int(b["weight"]) for b in lb.get("backends", [])}
                for lb in state["load_balancers"]}

    def reset(self):
        self.fake.control(state=STATE)
        self.assertEqual(self.weights(), BEFORE)

    def assert_every_request_was_signed_correctly(self):
        self.assertEqual(self.fake.stats().get("rejected", {}), {})

    def test_status_then_drain_with_confirmation_then_undrain(self):
        self.reset()
        status = self.ask("zhangsan", "status web-01", "web-01")
        self.assertIn("42.5", status)
        preview = self.ask("zhangsan", "slb drain i-abc", "confirm ")
        # The preview names both load balancers and the weights about to be zeroed.
        self.assertIn("lb-web", preview)
        self.assertIn("lb-api", preview)
        self.assertIn("100 → 0", preview)
        self.assertEqual(self.weights(), BEFORE)  # nothing changes before the confirmation
        code = re.search(r"confirm (\d{6})", preview).group(1)
        done = self.ask("zhangsan", "confirm " + code, " done")
        self.assertEqual(self.weights(), {**BEFORE, "lb-web": {"i-abc": 0, "i-def": 80},
                                          "lb-api": {"i-abc": 0, "i-ghi": 50}}, done)
        # The reply reports what the load balancers read back, and how to undo.
        self.assertIn("read back", done)
        self.assertIn("slb undrain i-abc", done)
        _, done = self.confirm("zhangsan", "slb undrain i-abc")
        self.assertEqual(self.weights(), BEFORE, done)
        self.assert_every_request_was_signed_correctly()

    def test_a_drain_that_would_empty_a_load_balancer_is_refused(self):
        self.reset()
        refused = self.ask("zhangsan", "slb drain i-ghi", "lb-solo")
        self.assertNotRegex(refused, r"confirm \d{6}")
        # An operator cannot force past the guard either; only an admin may.
        refused = self.ask("lisi", "slb drain api-01 --force", "admin")
        self.assertNotRegex(refused, r"confirm \d{6}")
        self.assertEqual(self.weights(), BEFORE)

    def test_a_viewer_cannot_change_a_load_balancer(self):
        self.reset()
        refused = self.ask("wangwu", "slb weight lb-web i-def 10", "operator")
        self.assertNotRegex(refused, r"confirm \d{6}")
        self.assertEqual(self.weights(), BEFORE)

    def test_gray_then_promote_leaves_the_load_balancers_as_before(self):
        self.reset()
        _, done = self.confirm("zhangsan", "release gray web-02")
        after_gray = self.weights()
        self.assertEqual(after_gray["lb-web"]["i-def"], 0, done)
        self.assertEqual(after_gray["lb-gray"], {"i-def": 100}, done)
        self.assertIn("release promote i-def", done)
        _, done = self.confirm("zhangsan", "release promote web-02")
        self.assertEqual(self.weights(), BEFORE, done)
        self.assert_every_request_was_signed_correctly()

    def test_beaconctl_chat_reaches_the_same_engine(self):
        self.reset()
        out = harness.beaconctl(self.collector, "chat", "--as", "alice", "slb show lb-web")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("i-abc", out.stdout)
        self.assertIn("weight 100", out.stdout)

    def test_z_every_change_is_in_the_audit_log(self):
        out = harness.beaconctl(self.collector, "audit", "--user", "zhangsan")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("slb drain", out.stdout)
        self.assertIn("release promote", out.stdout)
        out = harness.beaconctl(self.collector, "audit", "verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_z_no_secret_in_the_log(self):
        with open(self.collector.log, errors="replace") as f:
            log = f.read()
        for secret in self.rig.secrets + [SECRET]:
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
