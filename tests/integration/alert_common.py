"""Shared pieces of the alert integration tests and bench/alerts_vs_alertmanager.py: the fake
WeCom API, a collector with an `alerts:` section, Zabbix webhook parameters as captured from a
real Zabbix 6.0 server, and parsing of delivered messages."""
import json
import os
import re
import sqlite3

import harness

CORP_ID = "wwbeacon0test0corp"
CORP_SECRET = "app-secret-" + "s3cr3t" * 4
AGENT_ID = 1000002
ROBOT_KEY = "robot-key-0123456789abcdef"


def fake_wecom(workdir, *args):
    """tests/fakes/wecom_server.py with one app (CORP_ID/CORP_SECRET/AGENT_ID) and one robot."""
    return harness.Server(["python3", os.path.join(harness.SOURCE_DIR, "tests", "fakes",
                                                   "wecom_server.py"),
                           "--port", "0", "--corp-id", CORP_ID, "--secret", CORP_SECRET,
                           "--agent-id", str(AGENT_ID), "--robot-key", ROBOT_KEY,
                           "--users", "ops1,ops2", *args],
                          os.path.join(workdir, "fake-wecom.log")).start()


def app_receiver(name, wecom, secret_file=None, extra=""):
    return f"""    {name}:
      type: wecom_app
      api_url: {wecom.url}/cgi-bin/
      corp_id: {CORP_ID}
      agent_id: {AGENT_ID}
      secret_file: {secret_file or '__SECRET_FILE__'}
      to_user: "ops1|ops2"
      message_type: text
      language: en
{extra}"""


def robot_receiver(name, wecom, key_file=None, extra=""):
    return f"""    {name}:
      type: wecom_robot
      api_url: {wecom.url}/cgi-bin/
      key_file: {key_file or '__KEY_FILE__'}
      message_type: markdown
      language: en
{extra}"""


class AlertCollector(harness.Collector):
    """A collector with alerts: the Zabbix and Splunk sources on, the given receivers/routes."""

    def __init__(self, workdir, receivers, routes_yaml="", alerts_extra="", zabbix_extra=""):
        self.zabbix_token = "zbx-" + os.urandom(12).hex()
        self.splunk_token = "spl-" + os.urandom(12).hex()
        files = {}
        for name, value in (("zabbix.token", self.zabbix_token),
                            ("splunk.token", self.splunk_token),
                            ("wecom.secret", CORP_SECRET), ("robot.key", ROBOT_KEY)):
            path = os.path.join(workdir, name)
            with open(path, "w") as f:
                f.write(value + "\n")
            os.chmod(path, 0o600)
            files[name] = path
        receivers = receivers.replace("__SECRET_FILE__", files["wecom.secret"]).replace(
            "__KEY_FILE__", files["robot.key"])
        super().__init__(workdir, extra_yaml=f"""alerts:
  language: en
  zabbix:
    token_file: {files['zabbix.token']}
    event_url: "https://zabbix.example.test/tr_events.php?triggerid={{trigger_id}}&eventid={{event_id}}"
{zabbix_extra}  splunk:
    token_file: {files['splunk.token']}
  receivers:
{receivers}
{routes_yaml}
{alerts_extra}""")
        self.alerts_db = os.path.join(workdir, "alerts.db")

    def alert_count(self):
        con = sqlite3.connect(f"file:{self.alerts_db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        finally:
            con.close()

    def alerts(self, **query):
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        status, body = self.request("GET", "/api/v1/alerts" + (f"?{qs}" if qs else ""))
        assert status == 200, (status, body)
        return body["alerts"]

    def post_zabbix(self, params, token=None):
        return self.request("POST", "/api/v1/alerts/zabbix", params,
                            token=token or self.zabbix_token)


def alert_collector(workdir, wecom, receivers, routes_yaml="", alerts_extra=""):
    del wecom  # the receivers already point at it
    return AlertCollector(workdir, receivers, routes_yaml, alerts_extra)


def zabbix_params(event_id, value="1", host="testhost", trigger_id="23138", severity=4):
    """The webhook parameters exactly as Zabbix 6.0's alerter sends them for a trigger event
    (zabbix.md section 4); a recovery keeps the problem's EventID with EventValue 0."""
    names = ["Not classified", "Information", "Warning", "Average", "High", "Disaster"]
    problem = value == "1"
    return {
        "TriggerID": trigger_id, "To": "wecom-group-1",
        "Subject": (f"Problem: Trap too high on {host}: 500" if problem
                    else f"Resolved: Trap too high on {host}: 5"),
        "Message": f"Problem started at 03:20:40 on 2026.11.26\nHost: {host}",
        "EventID": str(event_id), "EventValue": value,
        "EventSeverity": names[severity], "EventNSeverity": str(severity),
        "HostName": host, "HostIP": "127.0.0.1",
        "TriggerStatus": "PROBLEM" if problem else "OK",
        "EventTags": "[{\"tag\":\"svc\",\"value\":\"demo\"}]",
        "EventDate": "2026.11.26 03:20:40",
        "EventRecoveryDate": "{EVENT.RECOVERY.DATE}" if problem else "2026.11.26 03:25:10",
        "ItemValue": "500" if problem else "5", "EventUpdateStatus": "0", "EventSource": "0",
    }


ALERT_ID = re.compile(r"#(\d+)\b")


def message_text(body):
    """The text of a WeCom request body (app or robot; text, markdown or textcard)."""
    if isinstance(body, str):
        body = json.loads(body)
    for kind in ("text", "markdown", "markdown_v2"):
        if kind in body:
            return body[kind]["content"]
    if "textcard" in body:
        return body["textcard"]["title"] + "\n" + body["textcard"]["description"]
    return ""


def alert_ids(body):
    return [int(x) for x in ALERT_ID.findall(message_text(body))]


SUMMARY = re.compile(r"Alert summary: (\d+) alerts")
GROUP = re.compile(r"(\d+) alerts \(\d+ firing, \d+ resolved\)")


def is_summary(text):
    return SUMMARY.search(text) is not None


def covered_count(text):
    """How many alerts one delivered message (English) accounts for: a storm summary's count,
    a group's count, or the one alert it names."""
    for pattern in (SUMMARY, GROUP):
        m = pattern.search(text)
        if m:
            return int(m.group(1))
    return len(set(ALERT_ID.findall(text)))
