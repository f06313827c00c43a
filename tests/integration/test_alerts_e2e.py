"""Alerts end to end: the real beacon-collector with its Zabbix and Splunk sources, agent-event
rules, routing, the durable outbox and the WeCom notifiers, against the strict fake WeCom API
(tests/fakes/wecom_server.py). The Zabbix media type's script runs under the real zabbix_js
(Debian zabbix-proxy-sqlite3) and the Splunk custom action's script as Splunk runs it."""
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

import harness
import alert_common as ac

TEMPLATES = os.path.join(harness.SOURCE_DIR, "templates")
WEBHOOK_JS = os.path.join(TEMPLATES, "zabbix", "beacon_webhook.js")
SPLUNK_SCRIPT = os.path.join(TEMPLATES, "splunk", "beacon_alert", "bin", "beacon_alert.py")

# The documented Splunk webhook body (Splunk docs, "Use a webhook alert action"), verbatim.
SPLUNK_WEBHOOK = """{
	"result": {
		"sourcetype" : "mongod",
		"count" : "8"
	},
	"sid" : "scheduler_admin_search_W2_at_14232356_132",
	"results_link" : "http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_W2_at_14232356_132",
	"search_name" : null,
	"owner" : "admin",
	"app" : "search"
}"""


def post_raw(url, body, headers=None):
    req = urllib.request.Request(url, data=body, method="POST")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def delivered_texts(wecom, path_part):
    return [ac.message_text(m["body"]) for m in wecom.stats()["messages"]
            if path_part in m["path"]]


class AlertSourcesTest(unittest.TestCase):
    """Zabbix (webhook media type under zabbix_js, and beaconctl for script media types),
    Splunk (built-in webhook and the custom action), agent events; bad input."""

    @classmethod
    def setUpClass(cls):
        cls.wd = harness.workdir("alerts-src")
        cls.wecom = ac.fake_wecom(cls.wd)
        cls.collector = ac.AlertCollector(
            cls.wd, receivers=ac.robot_receiver("ops-robot", cls.wecom),
            routes_yaml="""  routes:
    - name: everything
      receivers: [ops-robot]
      group_by: [fingerprint]
      group_wait: 0s
      group_interval: 1s
  agent_rules:
    - kind: "port.unexpected"
      resolved_by: "port.closed"
""").start()

    @classmethod
    def tearDownClass(cls):
        cls.collector.stop()
        cls.wecom.stop()

    def robot_texts(self):
        return delivered_texts(self.wecom, "/webhook/send")

    def test_zabbix_js_problem_then_recovery(self):
        c = self.collector
        for value in ("1", "0"):
            params = ac.zabbix_params(7001, value=value, host="zbx-host", trigger_id="31001")
            params.update({"BeaconURL": c.url, "BeaconToken": c.zabbix_token})
            run = subprocess.run(["zabbix_js", "-s", WEBHOOK_JS, "-p", json.dumps(params),
                                  "-t", "10"], capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        alerts = [a for a in c.alerts(host="zbx-host")]
        self.assertEqual(len(alerts), 1, alerts)
        alert = alerts[0]
        self.assertEqual(alert["status"], "resolved")
        self.assertEqual(alert["severity"], "high")
        self.assertEqual(alert["external_id"], "7001")
        self.assertEqual(alert["tags"].get("svc"), "demo")
        self.assertIn("eventid=7001", alert["url"])
        # Delivered twice: the problem, then the recovery with its duration (03:20:40 to 03:25:10).
        texts = harness.wait_for(
            lambda: [t for t in self.robot_texts() if f"#{alert['id']}" in t]
            if len([t for t in self.robot_texts() if f"#{alert['id']}" in t]) >= 2 else None,
            20, "problem and recovery delivered")
        self.assertEqual(len(texts), 2, texts)
        self.assertIn("Trap too high", texts[0])
        self.assertIn("RESOLVED", texts[1].upper())
        self.assertIn("Duration: <font color=\"comment\">4m30s</font>", texts[1])
        # A replay of the same problem event is a duplicate and changes nothing.
        status, reply = c.post_zabbix(ac.zabbix_params(7001, host="zbx-host", trigger_id="31001"))
        self.assertEqual((status, reply["outcome"]), (200, "duplicate"), reply)

    def test_zabbix_js_reports_a_refused_token(self):
        params = ac.zabbix_params(7002, host="zbx-host2")
        params.update({"BeaconURL": self.collector.url, "BeaconToken": "wrong-token-value"})
        run = subprocess.run(["zabbix_js", "-s", WEBHOOK_JS, "-p", json.dumps(params)],
                             capture_output=True, text=True, timeout=30)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("401", run.stdout + run.stderr)
        self.assertNotIn("wrong-token-value", run.stdout + run.stderr)
        self.assertEqual(self.collector.alerts(host="zbx-host2"), [])

    def test_beaconctl_zabbix_alert_for_script_media_types(self):
        c = self.collector
        token_file = os.path.join(self.wd, "zabbix.token")
        message = ("Event ID: 7003\nEvent value: 1\nSeverity: 5\nHost: script-host\n"
                   "Host IP: 10.0.0.5\nTrigger ID: 31003\nTrigger status: PROBLEM\n"
                   "Event tags: [{\"tag\":\"svc\",\"value\":\"pay\"}]\n"
                   "Event date: 2026.11.26 03:20:40\n"
                   "Recovery date: {EVENT.RECOVERY.DATE} {EVENT.RECOVERY.TIME}\n"
                   "Item value: 0\n\nPayment gateway is down")
        run = subprocess.run([harness.BEACONCTL, "--url", c.url, "zabbix", "alert",
                              "ops@example.test", "Problem: payment gateway down", message],
                             capture_output=True, text=True, timeout=30,
                             env={**os.environ, "BEACON_ZABBIX_TOKEN_FILE": token_file})
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        alerts = c.alerts(host="script-host")
        self.assertEqual(len(alerts), 1, alerts)
        self.assertEqual(alerts[0]["severity"], "disaster")
        self.assertEqual(alerts[0]["title"], "Problem: payment gateway down")

    def test_silence_through_beaconctl_holds_and_releases_an_alert(self):
        c = self.collector
        run = harness.beaconctl(c, "silence", "add", "host=silenced-host", "--for", "1h",
                                "--reason", "maintenance window", "--json")
        self.assertEqual(run.returncode, 0, run.stderr)
        silence_id = json.loads(run.stdout)["id"]
        listed = harness.beaconctl(c, "silence", "list")
        self.assertIn("maintenance window", listed.stdout)
        status, reply = c.post_zabbix(ac.zabbix_params(7200, host="silenced-host",
                                                       trigger_id="31200"))
        self.assertEqual(status, 200, reply)
        alert_id = reply["alert_id"]
        time.sleep(2.5)  # two group intervals: a muted alert is looked at again each interval
        self.assertFalse([t for t in self.robot_texts() if f"#{alert_id}" in t])
        shown = harness.beaconctl(c, "alerts", "show", str(alert_id))
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("Trap too high on silenced-host", shown.stdout)
        expired = harness.beaconctl(c, "silence", "expire", str(silence_id))
        self.assertEqual(expired.returncode, 0, expired.stderr)
        harness.wait_for(lambda: [t for t in self.robot_texts() if f"#{alert_id}" in t], 10,
                         "the alert delivered once its silence ended")

    def test_splunk_webhook_and_custom_action(self):
        c = self.collector
        url = f"{c.url}/api/v1/alerts/splunk?token={c.splunk_token}"
        status, reply = post_raw(url, SPLUNK_WEBHOOK.encode(),
                                 {"Content-Type": "application/json", "User-Agent": "Splunk"})
        self.assertEqual((status, reply.get("outcome")), (200, "new"), reply)
        status, replay = post_raw(url, SPLUNK_WEBHOOK.encode(),
                                  {"Content-Type": "application/json"})
        self.assertEqual((status, replay.get("outcome")), (200, "duplicate"), replay)
        splunk = c.alerts(source="splunk")
        self.assertEqual(
            len([a for a in splunk
                 if a["external_id"] == "scheduler_admin_search_W2_at_14232356_132"]), 1)

        payload = json.loads(SPLUNK_WEBHOOK)
        payload.update({"sid": "scheduler_admin_custom_at_1764127240_77",
                        "search_name": "Payment errors > 100/min",
                        "session_key": "splunkd-session-key-must-not-leak",
                        "server_uri": "https://127.0.0.1:8089",
                        "configuration": {"collector_url": c.url, "token": c.splunk_token,
                                          "severity": "5", "recipients": "dba"}})
        run = subprocess.run([sys.executable, SPLUNK_SCRIPT, "--execute"],
                             input=json.dumps(payload), capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn(c.splunk_token, run.stderr)
        custom = [a for a in c.alerts(source="splunk")
                  if a["external_id"] == "scheduler_admin_custom_at_1764127240_77"]
        self.assertEqual(len(custom), 1, custom)
        self.assertEqual(custom[0]["title"], "Payment errors > 100/min")
        self.assertEqual(custom[0]["severity"], "high")
        with open(c.log, errors="replace") as f:
            self.assertNotIn("splunkd-session-key-must-not-leak", f.read())

    def test_agent_events_raise_and_resolve_alerts(self):
        c = self.collector
        token = c.create_token("web-07")
        body = {"v": 1, "agent": "web-07", "agent_version": "test",
                "sent_at": "2026-11-26T06:00:00.000Z", "records": [
                    {"seq": 1, "ts": "2026-11-26T06:00:00.000Z", "type": "event",
                     "kind": "port.unexpected", "severity": "high", "subject": "tcp/8081",
                     "message": "unexpected listener on tcp/8081 (java, pid 4242)", "data": {}},
                    {"seq": 2, "ts": "2026-11-26T06:00:00.000Z", "type": "event",
                     "kind": "fim.changed", "severity": "warning", "subject": "/etc/hosts",
                     "message": "changed", "data": {}}]}
        status, reply = c.request("POST", "/api/v1/ingest", body, token=token)
        self.assertEqual(status, 200, reply)
        alerts = c.alerts(source="agent", host="web-07")
        # Only the kind with a rule became an alert.
        self.assertEqual([a["title"] for a in alerts if a["status"] == "firing"],
                         [alerts[0]["title"]])
        self.assertIn("tcp/8081", alerts[0]["title"])
        body["records"] = [{"seq": 3, "ts": "2026-11-26T06:05:00.000Z", "type": "event",
                            "kind": "port.closed", "severity": "information",
                            "subject": "tcp/8081", "message": "listener gone", "data": {}}]
        status, reply = c.request("POST", "/api/v1/ingest", body, token=token)
        self.assertEqual(status, 200, reply)
        self.assertEqual([a["status"] for a in c.alerts(source="agent", host="web-07")],
                         ["resolved"])

    def test_bad_input_is_refused_and_nothing_is_stored(self):
        c = self.collector
        before = c.alert_count()
        zurl = f"{c.url}/api/v1/alerts/zabbix"
        good = json.dumps(ac.zabbix_params(7100, host="bad-input")).encode()
        cases = [
            (zurl, good, {"Authorization": "Bearer not-the-token"}, 401),
            (zurl, good, {}, 401),
            (zurl, b"{not json", {"Authorization": f"Bearer {c.zabbix_token}"}, 400),
            (zurl, b"[1,2,3]", {"Authorization": f"Bearer {c.zabbix_token}"}, 400),
            (zurl, json.dumps({"HostName": "x"}).encode(),
             {"Authorization": f"Bearer {c.zabbix_token}"}, 400),
            (zurl, b"{\"EventID\": \"" + b"x" * (300 * 1024) + b"\"}",
             {"Authorization": f"Bearer {c.zabbix_token}"}, 413),
            (f"{c.url}/api/v1/alerts/splunk?token=wrong", SPLUNK_WEBHOOK.encode(), {}, 401),
            (f"{c.url}/api/v1/alerts/splunk", SPLUNK_WEBHOOK.encode(), {}, 401),
            (f"{c.url}/api/v1/alerts/splunk?token={c.splunk_token}", b"\x00\xff", {}, 400),
        ]
        for url, body, headers, want in cases:
            with self.subTest(url=url.split("?")[0], want=want, body=body[:20]):
                status, reply = post_raw(url, body, {"Content-Type": "application/json",
                                                     **headers})
                self.assertEqual(status, want, reply)
                self.assertIsInstance(reply, dict, reply)
                self.assertIn("error", reply)
        self.assertEqual(c.alert_count(), before)


class StormTest(unittest.TestCase):
    """A 1,000-alert storm in 10 s to one group robot: at most 20 messages in any minute, and
    the messages together account for every alert."""

    def test_storm_to_one_robot(self):
        wd = harness.workdir("alerts-storm")
        wecom = ac.fake_wecom(wd)
        c = ac.AlertCollector(wd, receivers=ac.robot_receiver("ops-robot", wecom),
                              routes_yaml="""  routes:
    - name: everything
      receivers: [ops-robot]
      group_by: [fingerprint]
      group_wait: 0s
      group_interval: 1s
""").start()
        try:
            start = time.time()
            acked = set()
            for i in range(1000):
                status, reply = c.post_zabbix(ac.zabbix_params(
                    50000 + i, host=f"db-{i % 40:02d}", trigger_id=str(60000 + i),
                    severity=2 + i % 4))
                self.assertEqual(status, 200, reply)
                acked.add(reply["alert_id"])
                # 1,000 alerts spread over 10 s.
                delay = start + (i + 1) * 0.01 - time.time()
                if delay > 0:
                    time.sleep(delay)
            self.assertEqual(len(acked), 1000)

            def covered():
                total = 0
                for text in delivered_texts(wecom, "/webhook/send"):
                    total += ac.covered_count(text)
                return total if total >= 1000 else None

            harness.wait_for(covered, 150, "every storm alert accounted for")
            messages = [m for m in wecom.stats()["messages"] if "/webhook/send" in m["path"]]
            times = sorted(m["ts"] for m in messages)
            for i, t in enumerate(times):
                in_window = sum(1 for u in times[i:] if u < t + 60)
                self.assertLessEqual(in_window, 20, f"{in_window} messages in 60 s from {t}")
            self.assertEqual(sum(ac.covered_count(ac.message_text(m["body"]))
                                 for m in messages), 1000)
            self.assertGreater(len([m for m in messages
                                    if ac.is_summary(ac.message_text(m["body"]))]), 0)
            self.assertEqual(wecom.stats()["rejected"].get("45009", 0), 0)
            # Every alert shows its robot delivery as delivered. The dispatcher records a
            # delivery after the robot's answer, so the last rows may lag the messages above.
            harness.wait_for(lambda: c.alerts(undelivered="true", limit=1000) == [], 30,
                             "every storm alert's robot delivery recorded as delivered")
        finally:
            c.stop()
            wecom.stop()


class CrashTest(unittest.TestCase):
    """SIGKILL the collector during a storm: every alert that got a 2xx is delivered exactly once
    per receiver after the restart."""

    def test_sigkill_during_storm_delivers_each_acked_alert_once(self):
        wd = harness.workdir("alerts-crash")
        wecom = ac.fake_wecom(wd)
        c = ac.AlertCollector(
            wd, receivers=ac.app_receiver("ops-app", wecom),
            routes_yaml="""  routes:
    - name: everything
      receivers: [ops-app]
      group_by: [fingerprint]
      group_wait: 0s
      group_interval: 1s
  outbox:
    summary_after: 100000
""").start()
        acked = set()
        lock = threading.Lock()
        stop = threading.Event()

        def poster(offset):
            i = 0
            while not stop.is_set():
                try:
                    status, reply = c.post_zabbix(ac.zabbix_params(
                        80000 + offset * 100000 + i, host=f"app-{i % 20:02d}",
                        trigger_id=str(90000 + offset * 100000 + i)))
                except OSError:
                    return
                if status != 200:
                    return
                with lock:
                    acked.add(reply["alert_id"])
                i += 1

        threads = [threading.Thread(target=poster, args=(k,)) for k in range(4)]
        try:
            for t in threads:
                t.start()
            harness.wait_for(lambda: len(acked) >= 300, 60, "300 alerts acknowledged")
            c.kill()
            stop.set()
            for t in threads:
                t.join(30)
            c.start()
            want = set(acked)

            def all_delivered():
                seen = {}
                for m in wecom.stats()["messages"]:
                    for alert_id in ac.alert_ids(m["body"]):
                        seen[alert_id] = seen.get(alert_id, 0) + 1
                return seen if want <= set(seen) else None

            seen = harness.wait_for(all_delivered, 120, f"{len(want)} acked alerts delivered")
            twice = {a: n for a, n in seen.items() if n != 1}
            self.assertEqual(twice, {}, "alerts delivered more than once")
        finally:
            stop.set()
            c.stop()
            wecom.stop()


if __name__ == "__main__":
    unittest.main()
