"""The bot's cloud actions end to end: a real beacon-collector with `bot.slb` pointed at the
strict fake Alibaba Cloud API (tests/fakes/aliyun_server.py, which checks every request's
signature), driven through `beaconctl chat` as a local admin: preview, `confirm CODE`, the
weights the fake then holds, undrain, the health guard, and gray release then promote."""
import json
import os
import re
import unittest
import urllib.request

import harness

KEY_ID, SECRET = "LTAI5tBotCloudTest", "bot-cloud/secret=x"
STATE = {"load_balancers": [
    {"id": "lb-web", "name": "web", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}],
     "backends": [{"server_id": "i-abc", "weight": 100}, {"server_id": "i-def", "weight": 80}]},
    {"id": "lb-solo", "name": "solo", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}],
     "backends": [{"server_id": "i-abc", "weight": 100}]},
    {"id": "lb-gray", "name": "gray", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}], "backends": []}]}


class BotCloudEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wd = harness.workdir("bot-cloud")
        cls.fake = harness.Server(
            ["python3", os.path.join(harness.SOURCE_DIR, "tests", "fakes", "aliyun_server.py"),
             "--port", "0", "--access-key", f"{KEY_ID}:{SECRET}", "--state-json",
             json.dumps(STATE)], os.path.join(cls.wd, "fake-aliyun.log")).start()
        creds = os.path.join(cls.wd, "aliyun.yaml")
        with open(creds, "w") as f:
            f.write(f"access_key_id: {KEY_ID}\naccess_key_secret: \"{SECRET}\"\n")
        os.chmod(creds, 0o600)
        cls.collector = harness.Collector(cls.wd, extra_yaml=f"""bot:
  timezone: UTC
  local_users:
    alice: admin
    olga: operator
  slb:
    region: cn-hangzhou
    credentials_file: {creds}
    endpoints: {{slb: {cls.fake.url}}}
    retry: {{attempts: 2, initial_backoff: 100ms, max_backoff: 200ms}}
    state_db: {os.path.join(cls.wd, "slb-state.db")}
    production:
      - {{id: lb-web, name: web}}
      - {{id: lb-solo, name: solo}}
    gray: {{id: lb-gray, name: gray, weight: 100}}
    servers: {{web-01: i-abc, web-02: i-def}}
""").start()

    @classmethod
    def tearDownClass(cls):
        cls.collector.stop()
        cls.fake.stop()

    def chat(self, user, text):
        out = harness.beaconctl(self.collector, "chat", "--as", user, text)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def confirm(self, user, text):
        preview = self.chat(user, text)
        code = re.search(r"confirm (\d{6})", preview)
        self.assertIsNotNone(code, preview)
        return preview, self.chat(user, "confirm " + code.group(1))

    def weights(self):
        with urllib.request.urlopen(self.fake.url + "/__state", timeout=5) as r:
            state = json.loads(r.read())
        return {lb["id"]: {b["server_id"]: int(b["weight"]) for b in lb.get("backends", [])}
                for lb in state["load_balancers"]}

    def reset(self):
        self.fake.control(state=STATE)

    def test_drain_needs_confirmation_then_undrain_restores_the_weights(self):
        self.reset()
        # The guard: draining web-01 would leave lb-solo without a backend taking traffic.
        refused = self.chat("alice", "slb drain web-01")
        self.assertIn("lb-solo", refused)
        self.assertEqual(self.weights(), {"lb-web": {"i-abc": 100, "i-def": 80},
                                          "lb-solo": {"i-abc": 100}, "lb-gray": {}})
        # web-02 only sits behind lb-web, next to a healthy web-01: preview, then confirm.
        preview = self.chat("alice", "slb drain web-02")
        self.assertIn("80", preview)
        self.assertEqual(self.weights()["lb-web"]["i-def"], 80)  # nothing before confirm
        _, done = self.confirm("alice", "slb drain web-02")
        self.assertEqual(self.weights()["lb-web"], {"i-abc": 100, "i-def": 0}, done)
        _, done = self.confirm("alice", "slb undrain web-02")
        self.assertEqual(self.weights()["lb-web"], {"i-abc": 100, "i-def": 80}, done)
        # Every request the collector made was signed correctly: the fake rejected none.
        self.assertEqual(self.fake.stats().get("rejected", {}), {})

    def test_an_operator_cannot_force_past_the_guard(self):
        self.reset()
        out = self.chat("olga", "slb drain web-01 --force")
        self.assertNotRegex(out, r"confirm \d{6}")
        self.assertEqual(self.weights()["lb-solo"], {"i-abc": 100})

    def test_gray_then_promote_leaves_the_load_balancers_as_before(self):
        self.reset()
        before = self.weights()
        _, done = self.confirm("alice", "release gray web-02")
        after_gray = self.weights()
        self.assertEqual(after_gray["lb-web"]["i-def"], 0, done)
        self.assertEqual(after_gray["lb-gray"], {"i-def": 100}, done)
        _, done = self.confirm("alice", "release promote web-02")
        self.assertEqual(self.weights(), before, done)

    def test_z_every_change_is_in_the_audit_log(self):
        out = harness.beaconctl(self.collector, "audit", "--user", "local:alice")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("slb drain", out.stdout)
        out = harness.beaconctl(self.collector, "audit", "verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
