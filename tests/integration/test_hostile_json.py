"""Hostile JSON cannot crash or bloat the collector (issue 10, item 2). ~200 KB of nesting sent
to the ingest endpoint (with a valid agent token) and to the Splunk webhook, and as much nesting
as the agent routes' 64 KiB allow to a command update, is answered 400 with a JSON error; an
ingest body with more than ingest.max_json_values values is 413. After each, the same collector
answers /healthz and stores a normal batch. On the base commit (before common/json/parse.h) the
ingest and Splunk requests killed the collector with SIGSEGV (stack overflow in nlohmann's
recursive dump/copy) and the command update was accepted and stored."""
import json
import os
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from harness import Collector, workdir

AGENT_NAME = "itest-hostile"
SPLUNK_TOKEN = "spl-" + "0123456789abcdef" * 2


def nested(levels, leaf="1"):
    return "[" * levels + leaf + "]" * levels


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def batch(records_json):
    return (f'{{"v":1,"agent":"{AGENT_NAME}","agent_version":"itest","sent_at":"{now_rfc3339()}",'
            f'"records":[{records_json}]}}').encode()


def event_record(seq, data_json='{"ok":true}'):
    return (f'{{"seq":{seq},"ts":"{now_rfc3339()}","type":"event","kind":"itest.hostile",'
            f'"severity":"information","subject":"s","message":"m","data":{data_json}}}')


class HostileJsonTest(unittest.TestCase):
    # A fresh collector per test, so each endpoint shows on its own that it survives.
    def setUp(self):
        self.dir = workdir("hostile-json")
        token_file = os.path.join(self.dir, "splunk.token")
        with open(token_file, "w") as f:
            f.write(SPLUNK_TOKEN + "\n")
        os.chmod(token_file, 0o600)
        self.collector = Collector(self.dir, extra_yaml=f"""alerts:
  splunk:
    token_file: {token_file}
""").start()
        self.agent_token = self.collector.create_token(AGENT_NAME)
        self.seq = 100

    def tearDown(self):
        self.collector.stop()

    def post(self, path, body, token=None):
        req = urllib.request.Request(self.collector.url + path, data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def assert_rejected_and_alive(self, path, body, token=None, status=400):
        try:
            got, reply = self.post(path, body, token)
        except (urllib.error.URLError, ConnectionError) as e:
            try:
                self.collector.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self.fail(f"POST {path} with {len(body)} bytes: no reply ({e}); collector exit code "
                      f"{self.collector.proc.poll()}")
        self.assertEqual(got, status, reply)
        self.assertIsInstance(reply.get("error"), str, reply)
        self.assertIsNone(self.collector.proc.poll(), "collector exited")
        with urllib.request.urlopen(self.collector.url + "/healthz", timeout=5) as r:
            self.assertEqual(r.status, 200)
        self.assert_stores_normal_batch()
        return reply

    def assert_stores_normal_batch(self):
        self.seq += 1
        status, ack = self.post("/api/v1/ingest", batch(event_record(self.seq)), self.agent_token)
        self.assertEqual(status, 200, ack)
        self.assertEqual((ack["acked_through"], ack["accepted"]), (self.seq, 1))
        rows = self.collector.query("SELECT seq FROM events WHERE agent = ? AND kind = ?",
                                    (AGENT_NAME, "itest.hostile"))
        self.assertIn((self.seq,), rows)

    def test_1_ingest_deep_event_data(self):
        body = batch(event_record(1, '{"x":' + nested(100_000) + "}"))
        self.assertGreater(len(body), 200_000)
        reply = self.assert_rejected_and_alive("/api/v1/ingest", body, self.agent_token)
        self.assertIn("nested deeper than 64 levels", reply["error"])

    def test_2_ingest_deep_top_level(self):
        reply = self.assert_rejected_and_alive("/api/v1/ingest", nested(100_000).encode(),
                                               self.agent_token)
        self.assertIn("nested deeper than 64 levels", reply["error"])

    def delivered_command(self):
        """A restore command delivered to the agent, so an update reaches the catalog."""
        version = {"set": "etc", "path": "/etc/app.conf", "size": 3, "mtime_ns": 1, "mode": 420,
                   "uid": 0, "gid": 0, "owner": "root", "group": "root", "sha256": "ab" * 32,
                   "stored_size": 3, "store": "local", "key": "k/1", "storage_class": "",
                   "key_id": "", "created_ms": 1}
        record = (f'{{"seq":1,"ts":"{now_rfc3339()}","type":"event","kind":"backup.version",'
                  f'"severity":"information","subject":"/etc/app.conf","message":"",'
                  f'"data":{json.dumps(version)}}}')
        status, ack = self.post("/api/v1/ingest", batch(record), self.agent_token)
        self.assertEqual(status, 200, ack)
        status, command = self.collector.request(
            "POST", "/api/v1/restores", {"host": AGENT_NAME, "path": "/etc/app.conf"})
        self.assertEqual(status, 202, command)
        command = command["command"]
        status, polled = self.collector.request("GET", "/api/v1/agent/commands",
                                                token=self.agent_token)
        self.assertEqual(status, 200, polled)
        self.assertEqual([c["id"] for c in polled["commands"]], [command["id"]])
        return command["id"]

    def test_3_command_update(self):
        command_id = self.delivered_command()
        # The agent routes take at most 64 KiB, so this is as deep as a command update gets.
        body = ('{"state":"running","done_bytes":0,"total_bytes":0,"message":"","result":{"x":' + nested(32_000) + "}}").encode()
        self.assertLess(len(body), 64 * 1024)
        reply = self.assert_rejected_and_alive(f"/api/v1/agent/commands/{command_id}", body,
                                               self.agent_token)
        self.assertIn("nested deeper than 64 levels", reply["error"])
        # A bigger body never reaches the parser.
        self.assert_rejected_and_alive(f"/api/v1/agent/commands/{command_id}",
                                       ('{"result":' + nested(100_000) + "}").encode(),
                                       self.agent_token, status=413)

    def test_4_splunk_webhook(self):
        body = ('{"sid":"hostile","search_name":"deep","result":{"field":'
                + nested(100_000) + "}}").encode()
        self.assertGreater(len(body), 200_000)
        reply = self.assert_rejected_and_alive(f"/api/v1/alerts/splunk?token={SPLUNK_TOKEN}",
                                               body)
        self.assertIn("nested deeper than 64 levels", reply["error"])

    def test_5_too_many_values_is_413(self):
        # 1,100,000 values in 2.2 MB, over the default ingest.max_json_values of 1,000,000.
        body = batch(event_record(1, '{"x":[' + ",".join(["0"] * 1_100_000) + "]}"))
        reply = self.assert_rejected_and_alive("/api/v1/ingest", body, self.agent_token,
                                               status=413)
        self.assertIn("more than 1000000 values", reply["error"])


if __name__ == "__main__":
    unittest.main()
