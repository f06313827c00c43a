"""The chat bot end to end: a real beacon-collector with a `bot:` section, tests/fakes/
wecom_callback.py playing the WeCom server towards its callback listener (encrypted, signed
requests), the strict fake WeCom API (tests/fakes/wecom_server.py) taking the replies on
message/send, a local sink standing in for the intelligent robot's response_url, and beaconctl
chat / audit against the admin API."""
import http.server
import json
import os
import re
import socket
import sqlite3
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness
from bot_wecom import WecomRig

BURST_USERS = [f"u{i:02d}" for i in range(20)]


class ResponseUrlSink:
    """Plays the robot's response_url: records every POST body by path."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                bodies.append((self.path, json.loads(raw)))
                out = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        self.server.shutdown()


class BotEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wd = harness.workdir("bot-e2e")
        users = ["zhangsan", "lisi", "wangwu", "stranger"] + BURST_USERS
        cls.rig = WecomRig(cls.wd, users).start()
        cls.wecom, cls.app, cls.robot = cls.rig.wecom, cls.rig.app, cls.rig.robot
        cls.secrets, cls.callback = cls.rig.secrets, cls.rig.callback
        cls.sink = ResponseUrlSink()
        cls.collector = harness.Collector(cls.wd, extra_yaml=f"""hosts:
  stale_after: 1h
bot:
  confirm_ttl: 10s
  timezone: UTC
  roles:
    admin: {{users: [zhangsan]}}
    operator: {{users: [lisi]}}
    viewer: {{users: [wangwu, {", ".join(BURST_USERS)}]}}
  local_users:
    alice: admin
    bob: viewer
{cls.rig.yaml()}
""").start()
        # web-01 reports once, so status and agent commands have a host.
        token = cls.collector.create_token("web-01")
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        status, reply = cls.collector.request("POST", "/api/v1/ingest", {
            "v": 1, "agent": "web-01", "agent_version": "test", "sent_at": now, "records": [
                {"seq": 1, "ts": now, "type": "sample", "metric": "system.cpu.util",
                 "value": 37.5, "labels": {}},
                {"seq": 2, "ts": now, "type": "event", "kind": "fim.changed",
                 "severity": "warning", "subject": "/etc/hosts", "message": "changed",
                 "data": {}}]}, token=token)
        assert status == 200, (status, reply)

    @classmethod
    def tearDownClass(cls):
        cls.collector.stop()
        cls.rig.stop()
        cls.sink.stop()

    # --- helpers ------------------------------------------------------------------------------

    def post(self, peer, plaintext, json_envelope=False, **kwargs):
        return self.rig.post(peer, plaintext, json_envelope=json_envelope, **kwargs)

    def say(self, user, text, **kwargs):
        self.rig.say(self, user, text, **kwargs)

    def replies(self, user):
        return self.rig.replies(user)

    def wait_reply(self, user, containing, timeout=20):
        return self.rig.wait_reply(user, containing, timeout)

    def ctl(self, *args):
        return harness.beaconctl(self.collector, *args)

    # --- tests --------------------------------------------------------------------------------

    def test_url_verification_answers_the_echostr(self):
        query = self.app.url_verification("echo-1288432023552776189")
        with urllib.request.urlopen(self.callback + "?" + urllib.parse.urlencode(query),
                                    timeout=10) as r:
            self.assertEqual(r.read(), b"echo-1288432023552776189")

    def test_status_reply_arrives_on_message_send(self):
        self.say("zhangsan", "status web-01")
        reply = self.wait_reply("zhangsan", "web-01")
        self.assertIn("37", reply)  # the cpu sample

    def test_same_msgid_twice_runs_once(self):
        text = self.app.app_text("zhangsan", "status dup-host-1", msg_id="77001")
        for _ in range(2):
            status, body = self.post(self.app, text)
            self.assertEqual((status, body), (200, b""))
        self.wait_reply("zhangsan", "dup-host-1")
        time.sleep(1.5)
        self.assertEqual(len([r for r in self.replies("zhangsan") if "dup-host-1" in r]), 1)
        rows = self.collector_audit(user="zhangsan")
        self.assertEqual(len([r for r in rows if r["arguments"] == ["dup-host-1"]]), 1)

    def test_stale_timestamp_is_rejected(self):
        status, _ = self.post(self.app, self.app.app_text("zhangsan", "status stale-host"),
                              timestamp=int(time.time()) - 3600)
        self.assertEqual(status, 403)
        time.sleep(1)
        self.assertFalse([r for r in self.replies("zhangsan") if "stale-host" in r])

    def test_bad_signature_is_refused(self):
        query, body = self.app.post(self.app.app_text("zhangsan", "status x"))
        query["msg_signature"] = "0" * 40
        req = urllib.request.Request(self.callback + "?" + urllib.parse.urlencode(query),
                                     data=body, method="POST")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(e.exception.code, 401)

    def test_unknown_user_is_refused_politely(self):
        self.say("stranger", "status web-01")
        reply = self.wait_reply("stranger", "Sorry")
        self.assertIn("抱歉", reply)

    def test_viewer_cannot_run_a_mutating_command(self):
        self.say("wangwu", "fim accept web-01 /etc/hosts")
        reply = self.wait_reply("wangwu", "operator")
        self.assertNotIn("confirm", reply.lower())
        rows = self.collector_audit(user="wangwu")
        self.assertEqual(rows[0]["decision"], "refused")

    def test_confirmation_by_another_user_or_after_expiry_is_refused(self):
        self.say("lisi", "fim accept web-01 /etc/hosts")
        preview = self.wait_reply("lisi", "confirm")
        code = re.search(r"confirm (\d{6})", preview).group(1)
        self.say("zhangsan", f"confirm {code}")
        # zhangsan's confirm does not apply lisi's plan.
        harness.wait_for(
            lambda: [e for e in self.collector_audit(user="zhangsan")[:1] if e["command"] == "confirm"], 20,
            "zhangsan's confirm in the audit log")
        self.assertEqual(self.collector_audit(user="zhangsan")[0]["decision"], "refused")
        # After the TTL lisi's own code is refused too.
        time.sleep(10.5)
        self.say("lisi", f"confirm {code}")
        harness.wait_for(lambda: [e for e in self.collector_audit(user="lisi")[:1] if e["decision"] == "expired"], 20,
                         "an expired confirmation in the audit log")
        # Proposed again and confirmed in time: the agent command is queued.
        old_code = code
        self.say("lisi", "fim accept web-01 /etc/hosts")

        def new_code():
            codes = [m.group(1) for r in self.replies("lisi")
                     for m in [re.search(r"confirm (\d{6})", r)] if m]
            return [c for c in codes if c != old_code]
        harness.wait_for(new_code, 20, "a second preview with a new code")
        code = new_code()[-1]
        self.say("lisi", f"confirm {code}")
        harness.wait_for(lambda: [e for e in self.collector_audit(user="lisi")[:1] if e["decision"] == "executed"],
                         20, "an executed fim accept")
        catalog = os.path.join(self.wd, "catalog.db")
        con = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT agent, args_json FROM commands WHERE kind = 'fim.accept'")
            rows = rows.fetchall()
        finally:
            con.close()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], "web-01")
        self.assertEqual(json.loads(rows[0][1])["path"], "/etc/hosts")

    def test_robot_json_path_replies_through_response_url(self):
        url = self.sink.url + "/cgi-bin/aibot/response?response_code=RC1"
        text = self.robot.robot_text("zhangsan", "@Beacon status web-01", chat_type="group",
                                     chat_id="wrchat1", response_url=url)
        status, body = self.post(self.robot, text, json_envelope=True)
        self.assertEqual((status, body), (200, b""))
        harness.wait_for(lambda: self.sink.bodies, 20, "a POST to the response_url")
        path, reply = self.sink.bodies[0]
        self.assertIn("response_code=RC1", path)
        self.assertIn(reply["msgtype"], ("text", "markdown"))
        self.assertIn("web-01", reply[reply["msgtype"]]["content"])

    def test_burst_of_200_from_20_users_answered_completely_in_order(self):
        def send(user):
            for n in range(10):
                self.say(user, f"status burst-{user}-{n}")
        threads = [threading.Thread(target=send, args=(u,)) for u in BURST_USERS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        def complete():
            return all(len([r for r in self.replies(u) if f"burst-{u}-" in r]) == 10
                       for u in BURST_USERS)
        harness.wait_for(complete, 120, "200 replies")
        for u in BURST_USERS:
            got = [int(re.search(rf"burst-{u}-(\d+)", r).group(1))
                   for r in self.replies(u) if f"burst-{u}-" in r]
            self.assertEqual(got, list(range(10)), u)

    def test_stalled_and_oversized_clients_do_not_block_the_callback(self):
        """bot.listen faces the internet: clients that stall mid-headers or mid-body, and bodies
        over the callback limit, must neither take the listener's workers nor get past it."""
        stalled = []
        for n in range(30):  # slowloris: headers that never end
            s = socket.create_connection(("127.0.0.1", self.rig.bot_port), timeout=5)
            s.sendall(b"POST /wecom/callback?msg_signature=x HTTP/1.1\r\nHost: b\r\nX-A: ")
            stalled.append(s)
        body_staller = socket.create_connection(("127.0.0.1", self.rig.bot_port), timeout=5)
        body_staller.sendall(b"POST /wecom/callback HTTP/1.1\r\nHost: b\r\n"
                             b"Content-Length: 5000\r\n\r\n<xml><Encrypt>")
        stalled.append(body_staller)
        try:
            # Meanwhile a real callback is answered and its command runs.
            self.say("zhangsan", "status stalled-probe")
            self.wait_reply("zhangsan", "stalled-probe")
            # A body over the limit is refused before any decryption.
            oversized = b"<xml><Encrypt>" + b"A" * (65 * 1024) + b"</Encrypt></xml>"
            status, _ = self.post_raw(oversized)
            self.assertEqual(status, 413)
            # bot.listen's request timeout (10 s by default) ends the stalled requests.
            body_staller.settimeout(20)
            answer = b""
            try:
                while True:
                    chunk = body_staller.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
            except ConnectionResetError:
                pass
            self.assertTrue(answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:80])
        finally:
            for s in stalled:
                s.close()

    def post_raw(self, body):
        return self.rig.post_body({"msg_signature": "x", "timestamp": "1", "nonce": "n"}, body)

    # --- beaconctl ----------------------------------------------------------------------------

    def collector_audit(self, **query):
        status, body = self.collector.request(
            "GET", "/api/v1/audit?" + urllib.parse.urlencode(query))
        self.assertEqual(status, 200, body)
        return body["entries"]

    def test_beaconctl_chat_roles_and_confirmation(self):
        out = self.ctl("chat", "--as", "alice", "whoami")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("admin", out.stdout)
        out = self.ctl("chat", "--as", "alice", "status", "web-01")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("web-01", out.stdout)
        out = self.ctl("chat", "--as", "bob", "fim accept web-01 /etc/passwd")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotRegex(out.stdout, r"confirm \d{6}")
        # Not a local user: the collector refuses with 403, beaconctl exits 1.
        out = self.ctl("chat", "--as", "zhangsan", "whoami")
        self.assertEqual(out.returncode, 1)
        self.assertIn("bot.local_users", out.stderr)

    def test_z_beaconctl_audit_and_verify_detects_an_edited_row(self):
        self.assertEqual(self.ctl("chat", "--as", "alice", "help").returncode, 0)
        out = self.ctl("audit", "--user", "local:alice", "--since", "1h")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("local:alice", out.stdout)
        self.assertIn("DECISION", out.stdout)
        out = self.ctl("audit", "verify")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("intact", out.stdout)
        con = sqlite3.connect(os.path.join(self.wd, "bot-audit.db"), timeout=10)
        try:
            with con:
                con.execute("UPDATE audit SET user = 'local:mallory' WHERE id = 2")
        finally:
            con.close()
        out = self.ctl("audit", "verify")
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("BROKEN at row 2", out.stdout)

    def test_z_no_secret_in_the_log(self):
        with open(self.collector.log, errors="replace") as f:
            log = f.read()
        self.assertIn("/wecom/callback", log)
        for secret in self.secrets:
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
