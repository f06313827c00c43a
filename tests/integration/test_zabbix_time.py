"""Zabbix event times whatever the Zabbix server's and the collector's zones are: the webhook
script runs under the real zabbix_js with the Zabbix server's TZ, the collector displays another
zone, and the alert's starts_at and the FIRING message (file receiver) must show the real event
time and a duration of seconds. The script media type (beaconctl, dates only) relies on
alerts.zabbix.timezone. Messages arrive with CRLF, as from media types imported from YAML."""
import datetime
import json
import os
import re
import subprocess
import time
import unittest
import zoneinfo

import harness
import alert_common as ac

WEBHOOK_JS = os.path.join(harness.SOURCE_DIR, "templates", "zabbix", "beacon_webhook.js")


def zabbix_date(unix_seconds, zone):
    """{EVENT.DATE} {EVENT.TIME} as a Zabbix server in `zone` writes them."""
    local = datetime.datetime.fromtimestamp(unix_seconds, zoneinfo.ZoneInfo(zone))
    return local.strftime("%Y.%m.%d %H:%M:%S")


def rfc3339(unix_seconds):
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def displayed(unix_seconds, zone):
    """A time as the messages show it: "2026-11-26 13:56:41 CST"."""
    local = datetime.datetime.fromtimestamp(unix_seconds, zoneinfo.ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


class ZabbixTimeZoneTest(unittest.TestCase):

    def start_collector(self, display_zone, zabbix_zone=None):
        wd = harness.workdir("zbx-tz")
        self.file = os.path.join(wd, "alerts.jsonl")
        receivers = f"""    zfile:
      type: file
      path: {self.file}
"""
        routes = """  routes:
    - receivers: [zfile]
      group_by: [fingerprint]
      group_wait: 0s
"""
        collector = ac.AlertCollector(
            wd, receivers, routes_yaml=routes, alerts_extra=f"  timezone: {display_zone}\n",
            zabbix_extra=f"    timezone: {zabbix_zone}\n" if zabbix_zone else "").start()
        self.addCleanup(collector.stop)
        return collector

    def firing_text(self, alert_id):
        def line():
            if not os.path.exists(self.file):
                return None
            with open(self.file, encoding="utf-8") as f:
                for raw in f:
                    entry = json.loads(raw)
                    if alert_id in entry["alerts"] and "FIRING" in entry["text"]:
                        return entry["text"]
            return None
        return harness.wait_for(line, 20, f"FIRING message of alert #{alert_id} in {self.file}")

    def run_webhook(self, collector, params, server_zone):
        params = dict(params, BeaconURL=collector.url, BeaconToken=collector.zabbix_token)
        run = subprocess.run(["zabbix_js", "-s", WEBHOOK_JS, "-p", json.dumps(params), "-t", "10"],
                             capture_output=True, text=True, timeout=30,
                             env={**os.environ, "TZ": server_zone})
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def check_firing(self, collector, host, event_time, display_zone):
        alerts = collector.alerts(host=host)
        self.assertEqual(len(alerts), 1, alerts)
        alert = alerts[0]
        self.assertEqual(alert["starts_at"], rfc3339(event_time))
        text = self.firing_text(alert["id"])
        self.assertIn("Started: " + displayed(event_time, display_zone) + "\n", text)
        duration = re.search(r"^Duration: (.*)$", text, re.M)
        self.assertIsNotNone(duration, text)
        seconds = re.fullmatch(r"(\d+)s", duration.group(1))
        self.assertIsNotNone(seconds, f"duration '{duration.group(1)}' is not seconds:\n{text}")
        self.assertLess(int(seconds.group(1)), 60, text)
        self.assertNotIn("\r", text)
        return alert

    def check_webhook(self, server_zone, display_zone, event_id, host):
        collector = self.start_collector(display_zone)
        started = int(time.time()) - 3
        problem = ac.zabbix_params(event_id, host=host, trigger_id=str(event_id))
        problem["EventDate"] = zabbix_date(started, server_zone)
        date, clock = problem["EventDate"].split(" ")
        # The media type's message template as imported from YAML: CRLF line ends.
        problem["Message"] = f"Problem started at {clock} on {date}\r\nHost: {host}\r\n"
        self.run_webhook(collector, problem, server_zone)
        alert = self.check_firing(collector, host, started, display_zone)
        status, full = collector.request("GET", f"/api/v1/alerts/{alert['id']}")
        self.assertEqual(status, 200, full)
        self.assertEqual(full["message"], f"Problem started at {clock} on {date}\nHost: {host}")

        recovered = started + 2
        recovery = ac.zabbix_params(event_id, value="0", host=host, trigger_id=str(event_id))
        recovery["EventDate"] = problem["EventDate"]
        recovery["EventRecoveryDate"] = zabbix_date(recovered, server_zone)
        self.run_webhook(collector, recovery, server_zone)
        alert = collector.alerts(host=host)[0]
        self.assertEqual(alert["status"], "resolved")
        self.assertEqual(alert["starts_at"], rfc3339(started))
        self.assertEqual(alert["ends_at"], rfc3339(recovered))

    def test_zabbix_in_utc_collector_displaying_shanghai(self):
        self.check_webhook("UTC", "Asia/Shanghai", 8101, "zbx-utc")

    def test_zabbix_in_shanghai_collector_displaying_utc(self):
        self.check_webhook("Asia/Shanghai", "UTC", 8102, "zbx-cst")

    def test_script_media_type_dates_read_in_alerts_zabbix_timezone(self):
        # beaconctl forwards the dates as Zabbix wrote them; the collector displays
        # Asia/Shanghai and reads Zabbix dates in UTC, the Zabbix server's zone.
        collector = self.start_collector("Asia/Shanghai", zabbix_zone="UTC")
        started = int(time.time()) - 3
        token_file = os.path.join(collector.dir, "zabbix.token")
        message = ("Event ID: 8103\r\nEvent value: 1\r\nSeverity: 4\r\nHost: zbx-script\r\n"
                   "Trigger ID: 8103\r\nEvent date: " + zabbix_date(started, "UTC") + "\r\n"
                   "Recovery date: {EVENT.RECOVERY.DATE} {EVENT.RECOVERY.TIME}\r\n\r\n"
                   "Problem name: Trap too high\r\n")
        run = subprocess.run([harness.BEACONCTL, "--url", collector.url, "zabbix", "alert",
                              "ops", "Problem: Trap too high", message],
                             capture_output=True, text=True, timeout=30,
                             env={**os.environ, "BEACON_ZABBIX_TOKEN_FILE": token_file})
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.check_firing(collector, "zbx-script", started, "Asia/Shanghai")


if __name__ == "__main__":
    unittest.main()
