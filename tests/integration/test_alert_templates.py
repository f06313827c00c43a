"""The Zabbix and Splunk integration artefacts, independent of the collector: the media type
exports follow the Zabbix 6.0 rules (UUIDv4, required fields, version), the webhook script runs
under the real zabbix_js and posts every event parameter to a recording HTTP server, the script
media type's templates + beaconctl post the same event, and the Splunk alert action posts its
stdin payload and exits with Splunk's codes. stdlib + /usr/bin/python3's yaml."""
import configparser
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import zoneinfo

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
import fake_http  # noqa: E402  (tests/fakes/fake_http.py: the fake peers' HTTP plumbing)

ZABBIX_DIR = os.path.join(ROOT, "templates", "zabbix")
WEBHOOK_JS = os.path.join(ZABBIX_DIR, "beacon_webhook.js")
WEBHOOK_YAML = os.path.join(ZABBIX_DIR, "beacon_media_webhook.yaml")
SCRIPT_YAML = os.path.join(ZABBIX_DIR, "beacon_media_script.yaml")
SPLUNK_APP = os.path.join(ROOT, "templates", "splunk", "beacon_alert")
SPLUNK_SCRIPT = os.path.join(SPLUNK_APP, "bin", "beacon_alert.py")
ZABBIX_JS = shutil.which("zabbix_js") or "/usr/bin/zabbix_js"
BEACONCTL = os.environ.get("BEACONCTL", os.path.join(ROOT, "build", "ctl", "beaconctl"))

TOKEN = "zbx-s3cr3t-token-0f9e8d"
STOCK_TEMPLATES_GROUP_UUID = "7df96b18c230490a9a0a9e2307226338"

# The parameters the alerter passed on a problem (reference zabbix.md section 4), and on its
# recovery (same EventID, EventValue 0, TriggerStatus OK, recovery date filled in).
CAPTURED_PROBLEM = {
    "TriggerID": "23138", "To": "wecom-group-1",
    "Subject": "Problem: Trap too high on testhost: 500",
    "Message": "Problem started at 03:20:40 on 2026.11.26\nHost: testhost",
    "EventID": "24", "EventValue": "1", "EventSeverity": "High", "EventNSeverity": "4",
    "HostName": "testhost", "HostIP": "127.0.0.1", "TriggerStatus": "PROBLEM",
    "EventTags": "[{\"tag\":\"svc\",\"value\":\"demo\"}]", "EventDate": "2026.11.26 03:20:40",
    "EventRecoveryDate": "{EVENT.RECOVERY.DATE}", "ItemValue": "500", "EventUpdateStatus": "0",
    "EventSource": "0",
}
CAPTURED_RECOVERY = dict(CAPTURED_PROBLEM, EventValue="0", TriggerStatus="OK",
                         Subject="Resolved in 4m 30s: Trap too high on testhost: 500",
                         EventRecoveryDate="2026.11.26 03:25:10")

# Parameter name -> macro, as the brief of issue 5 fixes them for the webhook media type.
WEBHOOK_EVENT_PARAMS = {
    "EventID": "{EVENT.ID}", "EventValue": "{EVENT.VALUE}", "EventSeverity": "{EVENT.SEVERITY}",
    "EventNSeverity": "{EVENT.NSEVERITY}", "HostName": "{HOST.NAME}", "HostIP": "{HOST.IP}",
    "TriggerID": "{TRIGGER.ID}", "TriggerStatus": "{TRIGGER.STATUS}",
    "EventTags": "{EVENT.TAGSJSON}", "Subject": "{ALERT.SUBJECT}", "Message": "{ALERT.MESSAGE}",
    "EventDate": "{EVENT.DATE} {EVENT.TIME}",
    "EventRecoveryDate": "{EVENT.RECOVERY.DATE} {EVENT.RECOVERY.TIME}",
    "ItemValue": "{ITEM.VALUE}", "EventUpdateStatus": "{EVENT.UPDATE.STATUS}",
    "EventSource": "{EVENT.SOURCE}",
}

# The "Key: value" lines beaconctl zabbix alert reads from the script media type's message.
SCRIPT_MESSAGE_LINES = [
    "Event ID: {EVENT.ID}", "Event value: {EVENT.VALUE}", "Severity: {EVENT.NSEVERITY}",
    "Host: {HOST.NAME}", "Host IP: {HOST.IP}", "Trigger ID: {TRIGGER.ID}",
    "Trigger status: {TRIGGER.STATUS}", "Event tags: {EVENT.TAGSJSON}",
    "Event date: {EVENT.DATE} {EVENT.TIME}",
    "Recovery date: {EVENT.RECOVERY.DATE} {EVENT.RECOVERY.TIME}", "Item value: {ITEM.VALUE}",
]


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def zabbix_yaml_files():
    return sorted(os.path.join(ZABBIX_DIR, name) for name in os.listdir(ZABBIX_DIR)
                  if name.endswith((".yaml", ".yml")))


def walk_uuids(node, where="zabbix_export"):
    """Yields (where, value, identity) for every 'uuid' key in the document; identity is the
    group name for a top-level group (the same group may appear in several exports), else None."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uuid":
                shared = re.search(r"\.groups\[\d+\]$", where) and ".templates[" not in where
                yield where, value, ("group", node.get("name")) if shared else None
            else:
                yield from walk_uuids(value, where + "." + str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk_uuids(value, "%s[%d]" % (where, i))


def uuid_problems(documents):
    """Zabbix 6.0 UUID rules over {file: document}: a list of readable problems."""
    problems, seen = [], {}
    for name, doc in documents.items():
        for where, value, identity in walk_uuids(doc):
            label = "%s: %s" % (name, where)
            if not isinstance(value, str):
                problems.append("%s: uuid %r is not a string (quote all-digit UUIDs)"
                                % (label, value))
                continue
            if not re.fullmatch(r"[0-9a-f]{32}", value):
                problems.append("%s: uuid %r is not 32 lowercase hex characters" % (label, value))
            elif value[12] != "4" or value[16] not in "89ab":
                problems.append("%s: uuid %s is not a UUIDv4" % (label, value))
            if value == STOCK_TEMPLATES_GROUP_UUID:
                problems.append("%s: uuid %s is the stock Templates group's" % (label, value))
            if value in seen and (identity is None or seen[value][1] != identity):
                problems.append("%s: uuid %s also used at %s" % (label, value, seen[value][0]))
            seen[value] = (label, identity)
    return problems


REQUIRED = {
    "groups": ("uuid", "name"), "templates": ("uuid", "template", "groups"),
    "items": ("uuid", "name", "key"), "item_prototypes": ("uuid", "name", "key"),
    "triggers": ("uuid", "expression", "name"),
    "trigger_prototypes": ("uuid", "expression", "name"),
    "discovery_rules": ("uuid", "name", "key"), "valuemaps": ("uuid", "name", "mappings"),
    "macros": ("macro",), "media_types": ("name", "type"),
    "message_templates": ("event_source", "operation_mode"),
}
ENUMS = {
    ("items", "type"): {"ZABBIX_PASSIVE", "TRAP", "SIMPLE", "INTERNAL", "ZABBIX_ACTIVE",
                        "EXTERNAL", "ODBC", "IPMI", "SSH", "TELNET", "CALCULATED", "JMX",
                        "SNMP_TRAP", "DEPENDENT", "HTTP_AGENT", "SNMP_AGENT", "SCRIPT"},
    ("items", "value_type"): {"FLOAT", "CHAR", "LOG", "UNSIGNED", "TEXT"},
    ("triggers", "priority"): {"NOT_CLASSIFIED", "INFO", "WARNING", "AVERAGE", "HIGH",
                               "DISASTER"},
    ("media_types", "type"): {"EMAIL", "SMS", "SCRIPT", "WEBHOOK"},
    ("message_templates", "event_source"): {"TRIGGERS", "DISCOVERY", "AUTOREGISTRATION",
                                            "INTERNAL", "SERVICE"},
    ("message_templates", "operation_mode"): {"PROBLEM", "RECOVERY", "UPDATE"},
}


def field_problems(node, where="zabbix_export", section=None):
    """Required fields and enums of zabbix.md section 5 (plus media types) over a document."""
    problems = []
    if isinstance(node, dict):
        if section in REQUIRED:
            for field in REQUIRED[section]:
                if node.get(field) in (None, "", []):
                    problems.append("%s: missing required %s" % (where, field))
            if section == "valuemaps":
                for i, mapping in enumerate(node.get("mappings") or []):
                    if "newvalue" not in mapping:
                        problems.append("%s.mappings[%d]: missing newvalue" % (where, i))
        base = {"item_prototypes": "items", "trigger_prototypes": "triggers"}.get(section, section)
        for (enum_section, field), allowed in ENUMS.items():
            if base == enum_section and field in node and node[field] not in allowed:
                problems.append("%s: %s %r is not one of %s"
                                % (where, field, node[field], sorted(allowed)))
        if section == "media_types":
            kind = node.get("type")
            if kind == "WEBHOOK":
                if not node.get("script"):
                    problems.append("%s: a WEBHOOK needs a script" % where)
                for i, param in enumerate(node.get("parameters") or []):
                    if not isinstance(param, dict) or not param.get("name"):
                        problems.append("%s.parameters[%d]: needs a name" % (where, i))
            if kind == "SCRIPT":
                if not node.get("script_name"):
                    problems.append("%s: a SCRIPT needs a script_name" % where)
                if not all(isinstance(p, str) for p in node.get("parameters") or []):
                    problems.append("%s: SCRIPT parameters are a list of strings" % where)
        for key, value in node.items():
            if section == "media_types" and key == "parameters":
                continue
            # A template's `groups` name existing groups ({name}); they carry no uuid.
            child = "group_links" if (section, key) == ("templates", "groups") else key
            problems += field_problems(value, where + "." + str(key), child)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            problems += field_problems(value, "%s[%d]" % (where, i), section)
    return problems


class Recorder:
    """A local HTTP server that records each request and answers from a queue of
    (status, body) replies (default 200 {"alert_id":1,"outcome":"new"})."""

    def __init__(self):
        self.requests = []
        self.replies = []
        recorder = self

        class Handler(fake_http.QuietHandler):
            def do_POST(self):
                body = self.read_body()
                url = urllib.parse.urlsplit(self.path)
                recorder.requests.append({
                    "method": "POST", "path": url.path,
                    "query": urllib.parse.parse_qs(url.query), "raw_path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                status, reply = (recorder.replies.pop(0) if recorder.replies
                                 else (200, '{"alert_id":1,"outcome":"new"}'))
                data = reply.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.peer = fake_http.ServerThread(Handler)
        self.server = self.peer.server
        self.url = self.peer.url

    def close(self):
        self.peer.close()


class ZabbixExportTest(unittest.TestCase):
    def test_every_export_is_version_6_0_with_required_fields(self):
        files = zabbix_yaml_files()
        self.assertIn(WEBHOOK_YAML, files)
        self.assertIn(SCRIPT_YAML, files)
        for path in files:
            doc = load_yaml(path)
            self.assertEqual(doc["zabbix_export"]["version"], "6.0", path)
            self.assertEqual(field_problems(doc["zabbix_export"]), [], path)

    def test_every_uuid_is_a_unique_lowercase_uuid_v4(self):
        documents = {os.path.basename(p): load_yaml(p) for p in zabbix_yaml_files()}
        self.assertEqual(uuid_problems(documents), [])

    def test_the_checks_catch_what_zabbix_rejects(self):
        good = "0fabb27c89634ccfbf7adf1bbdaee555"
        bad = {"a.yaml": {"groups": [{"uuid": good, "name": "g"},
                                     {"uuid": good.upper(), "name": "h"},
                                     {"uuid": "0fabb27c8963" + "3" + "ccfbf7adf1bbdaee555",
                                      "name": "v3"},
                                     {"uuid": 12345678901234567890123456789012, "name": "n"},
                                     {"uuid": STOCK_TEMPLATES_GROUP_UUID, "name": "stock"}]},
               "b.yaml": {"templates": [{"uuid": good}]}}
        problems = "\n".join(uuid_problems(bad))
        for expected in ("not 32 lowercase hex", "not a UUIDv4", "is not a string",
                         "stock Templates group", "also used at a.yaml"):
            self.assertIn(expected, problems)
        fields = "\n".join(field_problems({"templates": [{"uuid": good, "template": "t"}],
                                           "media_types": [{"name": "m", "type": "WEBHOOK"}]}))
        self.assertIn("missing required groups", fields)
        self.assertIn("a WEBHOOK needs a script", fields)

    def test_one_group_may_appear_in_several_exports_under_one_name(self):
        group = "1cbe621324c743a3ba71788a54381776"
        doc = {"zabbix_export": {"groups": [{"uuid": group, "name": "Templates/Beacon"}],
                                 "templates": [{"uuid": "0fabb27c89634ccfbf7adf1bbdaee555",
                                                "template": "t",
                                                "groups": [{"name": "Templates/Beacon"}]}]}}
        self.assertEqual(uuid_problems({"a.yaml": doc, "b.yaml": {"zabbix_export": {
            "groups": [{"uuid": group, "name": "Templates/Beacon"}]}}}), [])
        self.assertEqual(field_problems(doc["zabbix_export"]), [])
        renamed = uuid_problems({"a.yaml": doc, "b.yaml": {"zabbix_export": {
            "groups": [{"uuid": group, "name": "Templates/Other"}]}}})
        self.assertEqual(len(renamed), 1)
        self.assertIn("also used at a.yaml", renamed[0])

    def test_webhook_media_type_carries_every_event_parameter_and_the_script(self):
        media = load_yaml(WEBHOOK_YAML)["zabbix_export"]["media_types"]
        self.assertEqual(len(media), 1)
        media = media[0]
        self.assertEqual(media["type"], "WEBHOOK")
        with open(WEBHOOK_JS, encoding="utf-8") as f:
            self.assertEqual(media["script"], f.read())
        params = {p["name"]: p["value"] for p in media["parameters"]}
        self.assertEqual(len(params), len(media["parameters"]), "duplicate parameter names")
        self.assertEqual(params, dict(WEBHOOK_EVENT_PARAMS,
                                      BeaconURL="https://beacon-collector:8470",
                                      BeaconToken="<zabbix source token>"))
        self.assertEqual(media["timeout"], "10s")
        modes = [(t["event_source"], t["operation_mode"]) for t in media["message_templates"]]
        self.assertEqual(modes, [("TRIGGERS", "PROBLEM"), ("TRIGGERS", "RECOVERY"),
                                 ("TRIGGERS", "UPDATE")])

    def test_webhook_script_is_es5(self):
        with open(WEBHOOK_JS, encoding="utf-8") as f:
            code = f.read()
        for modern in (re.compile(r"\blet\s"), re.compile(r"\bconst\s"), re.compile(r"=>"),
                       re.compile(r"`")):
            self.assertIsNone(modern.search(code), modern.pattern)
        self.assertIn("JSON.parse(value)", code)

    def test_script_media_type_runs_beaconctl_zabbix_alert(self):
        media = load_yaml(SCRIPT_YAML)["zabbix_export"]["media_types"][0]
        self.assertEqual(media["type"], "SCRIPT")
        self.assertEqual(media["script_name"], "beaconctl")
        params = media["parameters"]
        self.assertEqual(params[-3:], ["{ALERT.SENDTO}", "{ALERT.SUBJECT}", "{ALERT.MESSAGE}"])
        self.assertEqual(params[-4], "--", "values starting with '-' must stay positional")
        self.assertEqual([p for p in params if not p.startswith("-")][:2], ["zabbix", "alert"])
        modes = [(t["event_source"], t["operation_mode"]) for t in media["message_templates"]]
        self.assertEqual(modes, [("TRIGGERS", "PROBLEM"), ("TRIGGERS", "RECOVERY"),
                                 ("TRIGGERS", "UPDATE")])
        for template in media["message_templates"]:
            lines = template["message"].splitlines()
            for line in SCRIPT_MESSAGE_LINES:
                self.assertIn(line, lines, template["operation_mode"])


class WebhookScriptTest(unittest.TestCase):
    """beacon_webhook.js under the real zabbix_js (Debian zabbix-proxy-sqlite3 6.0)."""

    def setUp(self):
        if not os.access(ZABBIX_JS, os.X_OK):
            self.fail("zabbix_js is not installed (apt-get install zabbix-proxy-sqlite3)")
        self.server = Recorder()
        self.addCleanup(self.server.close)

    def run_js(self, params, server_zone="UTC"):
        # -l 4: the script's own debug lines (Zabbix.log(4, ...)) are shown too. TZ is the
        # Zabbix server's zone: the script runs inside the server process.
        return subprocess.run([ZABBIX_JS, "-s", WEBHOOK_JS, "-p", json.dumps(params), "-l", "4",
                               "-t", "10"], capture_output=True, text=True, timeout=30,
                              env=dict(os.environ, TZ=server_zone))

    def assert_token_not_logged(self, output):
        # At debug level 4 Zabbix's engine itself logs the whole parameter object (stock
        # behaviour, README.md warns); no other line, and none of the script's, has the token.
        lines = [line for line in output.splitlines() if TOKEN in line]
        self.assertTrue(all("In zbx_es_execute() param:" in line for line in lines), lines)
        self.assertIn("[ Beacon webhook ]", output)

    def check_forwarded(self, captured, added):
        params = dict(captured, BeaconURL=self.server.url + "/", BeaconToken=TOKEN)
        r = self.run_js(params)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.strip().splitlines()[-1], "OK")
        self.assertEqual(len(self.server.requests), 1)
        request = self.server.requests[0]
        self.assertEqual(request["path"], "/api/v1/alerts/zabbix")
        self.assertEqual(request["raw_path"], "/api/v1/alerts/zabbix")
        self.assertEqual(request["headers"]["authorization"], "Bearer " + TOKEN)
        self.assertEqual(request["headers"]["content-type"], "application/json")
        self.assertNotIn(TOKEN.encode(), request["body"])
        # Every parameter as it arrived, plus the instants of the dates (server in UTC here).
        self.assertEqual(json.loads(request["body"]), dict(captured, **added))
        self.assert_token_not_logged(r.stdout + r.stderr)

    def test_problem_posts_every_captured_parameter(self):
        # 2026-11-26T03:20:40Z; the recovery date is a literal macro: no recovery timestamp.
        self.check_forwarded(CAPTURED_PROBLEM, {"EventTimestamp": "1795663240"})

    def test_recovery_posts_every_captured_parameter(self):
        self.check_forwarded(CAPTURED_RECOVERY, {"EventTimestamp": "1795663240",
                                                 "EventRecoveryTimestamp": "1795663510"})

    def posted_times(self, params, server_zone):
        """The EventTimestamp / EventRecoveryTimestamp the script posted (None when absent)."""
        self.server.requests.clear()
        r = self.run_js(dict(params, BeaconURL=self.server.url, BeaconToken=TOKEN), server_zone)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        body = json.loads(self.server.requests[-1]["body"])
        return body.get("EventTimestamp"), body.get("EventRecoveryTimestamp")

    def test_timestamps_are_the_dates_read_in_the_server_zone(self):
        dates = ["2026.11.26 03:20:40", "2026.07.01 12:00:00", "2026-03-29 01:59:59"]
        for zone in ("UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York"):
            for date in dates:
                wall = datetime.datetime.strptime(date.replace("-", "."), "%Y.%m.%d %H:%M:%S")
                expected = str(int(wall.replace(tzinfo=zoneinfo.ZoneInfo(zone)).timestamp()))
                params = dict(CAPTURED_RECOVERY, EventDate=date, EventRecoveryDate=date)
                self.assertEqual(self.posted_times(params, zone), (expected, expected),
                                 (zone, date))
        # {EVENT.DATE} and {EVENT.TIME} in separate parameters.
        params = dict(CAPTURED_PROBLEM, EventDate="2026.11.26", EventTime="03:20:40")
        self.assertEqual(self.posted_times(params, "Asia/Shanghai"), ("1795634440", None))
        # A timestamp the media type already sends is kept.
        params = dict(CAPTURED_PROBLEM, EventTimestamp="1700000000")
        self.assertEqual(self.posted_times(params, "UTC"), ("1700000000", None))
        # Nothing that is not a real date becomes a time: the collector judges the date itself.
        for bad in ("{EVENT.DATE} {EVENT.TIME}", "2026.02.30 00:00:00", "2026.11.26 24:00:00",
                    "26.11.2026 03:20:40", ""):
            self.assertEqual(self.posted_times(dict(CAPTURED_PROBLEM, EventDate=bad), "UTC"),
                             (None, None), bad)

    def test_collector_error_fails_the_alert_with_status_and_body(self):
        self.server.replies.append((500, '{"error":"alert store unavailable"}'))
        params = dict(CAPTURED_PROBLEM, BeaconURL=self.server.url, BeaconToken=TOKEN)
        r = self.run_js(params)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        output = r.stdout + r.stderr
        self.assertIn("cannot execute script: Sending to Beacon failed: beacon-collector "
                      "answered HTTP 500: {\"error\":\"alert store unavailable\"}", output)
        self.assert_token_not_logged(output)

    def test_unedited_placeholder_token_is_refused_before_sending(self):
        params = dict(CAPTURED_PROBLEM, BeaconURL=self.server.url,
                      BeaconToken="<zabbix source token>")
        r = self.run_js(params)
        self.assertEqual(r.returncode, 1)
        self.assertIn("BeaconToken must be the Zabbix source token", r.stdout + r.stderr)
        self.assertEqual(self.server.requests, [])


def expand(template, values):
    """Zabbix-like macro expansion for the tests: known macros replaced, others left literal."""
    return re.sub(r"\{[A-Z.]+\}", lambda m: values.get(m.group(0), m.group(0)), template)


class ScriptMediaTypeTest(unittest.TestCase):
    """The script media type as zabbix_server runs it: its parameters with the ALERT macros
    expanded from its own message templates, executed as beaconctl."""

    def setUp(self):
        if not os.access(BEACONCTL, os.X_OK):
            self.skipTest("beaconctl not built at %s (set BEACONCTL)" % BEACONCTL)
        self.server = Recorder()
        self.addCleanup(self.server.close)
        self.dir = tempfile.mkdtemp(prefix="alert_templates_%d_" % os.getpid())
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.token_file = os.path.join(self.dir, "zabbix.token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        self.media = load_yaml(SCRIPT_YAML)["zabbix_export"]["media_types"][0]

    def run_media(self, mode, macros):
        template = next(t for t in self.media["message_templates"]
                        if t["operation_mode"] == mode)
        alert = {"{ALERT.SENDTO}": "ops-team",
                 "{ALERT.SUBJECT}": expand(template["subject"], macros),
                 "{ALERT.MESSAGE}": expand(template["message"], macros)}
        argv = []
        for param in self.media["parameters"]:
            if param.startswith("--url="):
                param = "--url=" + self.server.url
            elif param.startswith("--zabbix-token-file="):
                param = "--zabbix-token-file=" + self.token_file
            argv.append(alert.get(param, param))
        env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
        return subprocess.run([BEACONCTL] + argv, capture_output=True, text=True, timeout=30,
                              env=env)

    def macros(self, captured, recovery):
        date, time = captured["EventDate"].split(" ")
        values = {
            "{EVENT.ID}": captured["EventID"], "{EVENT.VALUE}": captured["EventValue"],
            "{EVENT.NSEVERITY}": captured["EventNSeverity"],
            "{EVENT.SEVERITY}": captured["EventSeverity"], "{HOST.NAME}": captured["HostName"],
            "{HOST.IP}": captured["HostIP"], "{TRIGGER.ID}": captured["TriggerID"],
            "{TRIGGER.STATUS}": captured["TriggerStatus"],
            "{EVENT.TAGSJSON}": captured["EventTags"], "{EVENT.DATE}": date,
            "{EVENT.TIME}": time, "{ITEM.VALUE}": captured["ItemValue"],
            "{EVENT.UPDATE.STATUS}": "0", "{EVENT.SOURCE}": "0",
            "{EVENT.NAME}": "Trap too high on testhost: 500", "{EVENT.DURATION}": "4m 30s",
        }
        if recovery:
            rdate, rtime = captured["EventRecoveryDate"].split(" ")
            values.update({"{EVENT.RECOVERY.DATE}": rdate, "{EVENT.RECOVERY.TIME}": rtime})
        return values

    def check(self, mode, captured, outcome):
        self.server.replies.append((200, json.dumps({"alert_id": 7, "outcome": outcome})))
        r = self.run_media(mode, self.macros(captured, mode == "RECOVERY"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "beaconctl: event 24 -> alert #7 %s\n" % outcome)
        self.assertEqual(len(self.server.requests), 1)
        request = self.server.requests[0]
        self.assertEqual(request["raw_path"], "/api/v1/alerts/zabbix")
        self.assertEqual(request["headers"]["authorization"], "Bearer " + TOKEN)
        body = json.loads(request["body"])
        # The same event fields as the webhook media type sends for this event.
        for name in ("EventID", "EventValue", "EventSeverity", "EventNSeverity", "HostName",
                     "HostIP", "TriggerID", "TriggerStatus", "EventDate", "ItemValue",
                     "EventUpdateStatus", "EventSource"):
            self.assertEqual(body[name], captured[name], name)
        self.assertEqual(json.loads(body["EventTags"]),
                         json.loads(captured["EventTags"]) + [{"tag": "sendto",
                                                               "value": "ops-team"}])
        return body

    def test_problem_through_beaconctl(self):
        body = self.check("PROBLEM", CAPTURED_PROBLEM, "new")
        self.assertEqual(body["Subject"], "Problem: Trap too high on testhost: 500")
        self.assertEqual(body["EventRecoveryDate"], "{EVENT.RECOVERY.DATE} {EVENT.RECOVERY.TIME}")
        self.assertTrue(body["Message"].startswith("Problem started at 03:20:40 on 2026.11.26"),
                        body["Message"])

    def test_recovery_through_beaconctl(self):
        body = self.check("RECOVERY", CAPTURED_RECOVERY, "resolved")
        self.assertEqual(body["EventRecoveryDate"], "2026.11.26 03:25:10")
        self.assertTrue(body["Message"].startswith("Problem has been resolved in 4m 30s"))

    def test_collector_refusal_is_one_line_and_exit_1(self):
        self.server.replies.append((401, '{"error":"invalid token"}'))
        r = self.run_media("PROBLEM", self.macros(CAPTURED_PROBLEM, False))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stdout.splitlines()), 1, r.stdout)
        self.assertIn("invalid token (HTTP 401 Unauthorized)", r.stdout)
        self.assertNotIn(TOKEN, r.stdout + r.stderr)


SPLUNK_TOKEN = "spl-s3cr3t/token+value"


def splunk_payload(url, **configuration):
    """The custom alert action's stdin payload (reference section 5: sid, search_name, app,
    owner, results_link, result, configuration, plus the session key and server fields)."""
    config = {"collector_url": url, "token": SPLUNK_TOKEN, "severity": "high",
              "recipients": "zhangsan, lisi"}
    config.update(configuration)
    return {
        "sid": "scheduler_admin_search_W2_at_14232356_132",
        "search_name": "Failed logins",
        "app": "search", "owner": "admin",
        "results_link": "http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_"
                        "W2_at_14232356_132",
        "result": {"host": "web-01", "count": "8", "sourcetype": "linux_secure"},
        "session_key": "splunkd-session-key-must-not-leave",
        "server_uri": "https://127.0.0.1:8089", "server_host": "splunk-01",
        "results_file": "/opt/splunk/var/run/splunk/dispatch/x/results.csv.gz",
        "configuration": config,
    }


GENERATOR = os.path.join(ROOT, "scripts", "zabbix-templates")
GENERATED = ("beacon_rds_mysql.yaml", "beacon_agent.yaml", "beacon_agent_active.yaml")
RDS_TEMPLATE = "Beacon RDS MySQL by external check"
# Every item key of the RDS template Beacon replaces (its 39 Performance and 4 Disk items).
OLD_RDS_KEYS = (
    "MySQL_NetworkTraffic_In MySQL_NetworkTraffic_Out MySQL_QPS MySQL_TPS MySQL_Sessions_Active "
    "MySQL_Sessions_Totle ibuf_read_hit ibuf_use_ratio ibuf_dirty_ratio inno_data_read "
    "inno_data_written ibuf_request_r ibuf_request_w Innodb_log_write_requests Innodb_log_writes "
    "Innodb_os_log_fsyncs tb_tmp_disk Key_usage_ratio Key_read_hit_ratio Key_write_hit_ratio "
    "myisam_keyr_r myisam_keyr_w myisam_keyr myisam_keyw com_delete com_insert com_insert_select "
    "com_replace com_replace_select com_select com_update inno_row_readed inno_row_update "
    "inno_row_delete inno_row_insert Inno_log_writes cpuusage memusage io "
    "BackupSize DataSize DiskUsed LogSize").split()


def generated(name):
    return load_yaml(os.path.join(ZABBIX_DIR, name))["zabbix_export"]


def all_items(template):
    """Items, discovery rules and item prototypes of a template export, each once."""
    out = list(template.get("items", []))
    for rule in template.get("discovery_rules", []):
        out.append(rule)
        out += rule.get("item_prototypes", [])
    return out


def expression_refs(expression, keys):
    """(host, key) of every function argument /host/key in a 6.0 trigger expression, the key
    being the longest of `keys` that follows (keys hold commas and brackets); key None when
    none does."""
    refs = []
    for m in re.finditer(r"\(/([^/]+)/", expression):
        rest = expression[m.end():]
        found = [k for k in keys if rest.startswith(k) and rest[len(k):len(k) + 1] in (",", ")")]
        refs.append((m.group(1), max(found, key=len) if found else None))
    return refs


def all_triggers(template):
    return [t for i in all_items(template)
            for t in i.get("triggers", []) + i.get("trigger_prototypes", [])]


class ZabbixTemplateGeneratorTest(unittest.TestCase):
    """scripts/zabbix-templates and the host templates it writes, checked without a server
    (tests/integration/test_zabbix_server.py imports them into a real one)."""

    def run_generator(self, *args):
        return subprocess.run([sys.executable, GENERATOR, *args], capture_output=True, text=True,
                              timeout=60)

    def test_committed_templates_are_the_generator_output(self):
        out = self.run_generator("--check")
        self.assertEqual(out.returncode, 0, out.stderr)
        for name in GENERATED:
            self.assertIn(os.path.join(ZABBIX_DIR, name), zabbix_yaml_files())

    def test_check_names_a_file_that_differs_and_output_is_stable(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(self.run_generator("--out", d).returncode, 0)
            def texts():
                out = {}
                for n in GENERATED:
                    with open(os.path.join(d, n)) as f:
                        out[n] = f.read()
                return out
            first = texts()
            self.assertEqual(self.run_generator("--out", d).returncode, 0)
            self.assertEqual(texts(), first)
            with open(os.path.join(d, "beacon_agent.yaml"), "a") as f:
                f.write("# edited by hand\n")
            out = self.run_generator("--check", "--out", d)
            self.assertEqual(out.returncode, 1)
            self.assertIn("beacon_agent.yaml", out.stderr)
            self.assertNotIn("beacon_rds_mysql.yaml", out.stderr)

    def test_triggers_refer_to_their_own_template_and_defined_macros(self):
        for name in GENERATED:
            for template in generated(name)["templates"]:
                keys = {i["key"] for i in all_items(template)}
                macros = {m["macro"] for m in template["macros"]}
                text = json.dumps(template)
                for used in re.findall(r"\{\$[A-Z0-9_.]+", text):
                    self.assertIn(used + "}", macros, f"{name}: {used} has no default")
                for trigger in all_triggers(template):
                    refs = expression_refs(trigger["expression"], keys)
                    self.assertTrue(refs, trigger["expression"])
                    for host, key in refs:
                        self.assertEqual(host, template["template"], trigger["expression"])
                        self.assertIsNotNone(key, trigger["expression"])

    def test_rds_template_reads_every_value_the_checks_print(self):
        with open(os.path.join(ROOT, "common", "cloud", "aliyun", "rds.cpp")) as f:
            declared = re.findall(r'\{"(MySQL_\w+)",\s*"([^"]+(?:"\s*"[^"]+)*)"', f.read())
        with open(os.path.join(ROOT, "common", "cloud", "aliyun", "cms.cpp")) as f:
            metrics = re.search(r"RdsDashboardMetrics\(\) \{(.*?)\}", f.read(), re.S).group(1)
        with open(os.path.join(ROOT, "docs", "zabbix.md")) as f:
            usage = re.search(r"`beacon_zabbix\[rds\.usage,\{#DBINSTANCEID\}\]` \| `\{([^}]*)\}`",
                              f.read()).group(1)
        want = {f"$.performance.{key}.{field}"
                for key, fmt in declared for field in re.sub(r'"\s*"', "", fmt).split("&")}
        want |= {f"$.cloudmonitor.{m}" for m in re.findall(r'"(\w+)"', metrics)}
        want |= {f"$.{f}" for f in re.findall(r'"(\w+)"', usage) if f not in ("instance", "engine")}
        self.assertEqual(len([p for p in want if ".performance." in p]), 44)
        template = generated("beacon_rds_mysql.yaml")["templates"][0]
        self.assertEqual(template["template"], RDS_TEMPLATE)
        rule = template["discovery_rules"][0]
        self.assertEqual(rule["key"], "beacon_zabbix[rds.discovery]")
        self.assertEqual(rule["type"], "EXTERNAL")
        masters = {p["key"]: p for p in rule["item_prototypes"] if p.get("type") == "EXTERNAL"}
        self.assertEqual(set(masters), {"beacon_zabbix[rds.perf,{#DBINSTANCEID}]",
                                        "beacon_zabbix[rds.usage,{#DBINSTANCEID}]"})
        for master in list(masters.values()) + [rule]:
            self.assertEqual(master["preprocessing"][0],
                             {"type": "CHECK_JSON_ERROR", "parameters": ["$.error"]})
        paths = {}
        for p in rule["item_prototypes"]:
            if p.get("type") != "DEPENDENT":
                continue
            self.assertIn(p["master_item"]["key"], masters)
            step = p["preprocessing"][0]
            self.assertEqual((step["type"], step["error_handler"]), ("JSONPATH", "DISCARD_VALUE"))
            self.assertEqual(p["master_item"]["key"].split(",")[0].split("[")[1],
                             "rds.usage" if step["parameters"][0].count(".") == 1 else "rds.perf")
            paths[step["parameters"][0]] = p
        self.assertEqual(set(paths), want)
        # Every key of the old template is a field of the new one or named in its description.
        names = {path.rsplit(".", 1)[1] for path in paths}
        notes = " ".join(p.get("description", "") for p in paths.values())
        for old in OLD_RDS_KEYS:
            self.assertTrue(old in names or f"old template: {old})" in notes, old)
        # KB and MB values become bytes.
        for path, unit, factor in (("$.performance.MySQL_NetworkTraffic.recv_k", "Bps", "1024"),
                                   ("$.performance.MySQL_DetailedSpaceUsage.data_size", "B",
                                    "1048576")):
            self.assertEqual(paths[path]["units"], unit)
            self.assertEqual(paths[path]["preprocessing"][1],
                             {"type": "MULTIPLIER", "parameters": [factor]})
        keys = [i["key"] for i in all_items(template)]
        triggered = {key for t in all_triggers(template)
                     for _, key in expression_refs(t["expression"], keys)}
        for field in ("MySQL_MemCpuUsage,cpuusage", "MySQL_MemCpuUsage,memusage",
                      "MySQL_Sessions,active_session", "MySQL_InnoDBBufferRatio,ibuf_read_hit",
                      "MySQL_TempDiskTableCreates,tb_tmp_disk"):
            self.assertIn("beacon.rds.perf[{#DBINSTANCEID},%s]" % field, triggered)
        for metric in ("DiskUsage", "IOPSUsage", "ConnectionUsage"):
            self.assertIn("beacon.rds.cms[{#DBINSTANCEID},%s]" % metric, triggered)
        graph_keys = {g["item"]["key"] for gp in rule["graph_prototypes"]
                      for g in gp["graph_items"]}
        self.assertEqual(graph_keys, {p["key"] for p in paths.values()})
        widgets = template["dashboards"][0]["pages"][0]["widgets"]
        graphs = {g["name"] for g in rule["graph_prototypes"]}
        for widget in widgets:
            ref = [f["value"] for f in widget["fields"] if f["name"] == "graphid"][0]
            self.assertEqual(ref["host"], RDS_TEMPLATE)
            self.assertIn(ref["name"], graphs)

    def test_agent_templates_serve_the_same_keys_passive_and_active(self):
        served = set()
        for source in glob.glob(os.path.join(ROOT, "agent", "zabbix", "items_*.cpp")):
            with open(source) as f:
                served |= set(re.findall(r'table->Add\(\s*\{\s*"([\w.]+)"', f.read()))
        self.assertIn("beacon.spool.size", served)
        passive = generated("beacon_agent.yaml")["templates"][0]
        active = generated("beacon_agent_active.yaml")["templates"][0]
        self.assertEqual(passive["template"], "Beacon agent by Zabbix agent")
        self.assertEqual(active["template"], "Beacon agent by Zabbix agent active")
        keys = [i["key"] for i in all_items(passive)]
        self.assertEqual(keys, [i["key"] for i in all_items(active)])
        for key in keys:
            self.assertIn(key.split("[")[0], served, key)
        for want in ("agent.ping", "agent.version", "system.uptime", "vfs.fs.discovery",
                     "vfs.fs.size[{#FSNAME},pused]", "net.if.discovery", "net.if.in[{#IFNAME}]",
                     "net.if.out[{#IFNAME}]", "beacon.fim.changes", "beacon.ports.unexpected",
                     "beacon.discovery[backup]", "beacon.backup.age[{#LABEL.SET}]",
                     "beacon.spool.size"):
            self.assertIn(want, keys)
        self.assertTrue(all("type" not in i for i in all_items(passive)))
        self.assertTrue(all(i["type"] == "ZABBIX_ACTIVE" for i in all_items(active)))
        for template in (passive, active):
            triggered = {key for t in all_triggers(template)
                         for _, key in expression_refs(t["expression"], keys)}
            for key in ("agent.ping", "beacon.fim.changes", "beacon.ports.unexpected",
                        "beacon.spool.size", "beacon.backup.age[{#LABEL.SET}]",
                        "vfs.fs.size[{#FSNAME},pused]"):
                self.assertIn(key, triggered)
            backup = [t for t in all_triggers(template) if "beacon.backup.age" in t["expression"]]
            self.assertIn('{$BEACON.BACKUP.MAX_AGE:"{#LABEL.SET}"}', backup[0]["expression"])


class SplunkAlertActionTest(unittest.TestCase):
    def setUp(self):
        self.server = Recorder()
        self.addCleanup(self.server.close)

    def run_action(self, payload, args=("--execute",)):
        return subprocess.run([sys.executable, SPLUNK_SCRIPT] + list(args),
                              input=json.dumps(payload), capture_output=True, text=True,
                              timeout=60)

    def test_posts_the_payload_with_severity_and_recipients(self):
        payload = splunk_payload(self.server.url + "/")
        r = self.run_action(payload)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.server.requests), 1)
        request = self.server.requests[0]
        self.assertEqual(request["path"], "/api/v1/alerts/splunk")
        self.assertEqual(request["query"], {"token": [SPLUNK_TOKEN]})
        self.assertEqual(request["headers"]["content-type"], "application/json")
        body = json.loads(request["body"])
        for key in ("sid", "search_name", "app", "owner", "results_link", "result"):
            self.assertEqual(body[key], payload[key], key)
        self.assertEqual(body["severity"], "high")
        self.assertEqual(body["recipients"], ["zhangsan", "lisi"])
        self.assertNotIn("session_key", body)
        self.assertNotIn("token", body["configuration"])
        self.assertNotIn(SPLUNK_TOKEN.encode(), request["body"])
        self.assertNotIn(b"splunkd-session-key", request["body"])
        self.assertNotIn(SPLUNK_TOKEN, r.stderr)
        self.assertNotIn(urllib.parse.quote_plus(SPLUNK_TOKEN), r.stderr)
        self.assertIn("HTTP 200", r.stderr)

    def test_null_search_name_and_no_recipients_are_passed_as_they_are(self):
        payload = splunk_payload(self.server.url, recipients="", severity="")
        payload["search_name"] = None
        r = self.run_action(payload)
        self.assertEqual(r.returncode, 0, r.stderr)
        body = json.loads(self.server.requests[0]["body"])
        self.assertIsNone(body["search_name"])
        self.assertNotIn("recipients", body)
        self.assertNotIn("severity", body)

    def test_http_401_exits_2_without_retrying(self):
        self.server.replies.append((401, '{"error":"invalid token"}'))
        r = self.run_action(splunk_payload(self.server.url))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(self.server.requests), 1)
        self.assertIn("HTTP 401", r.stderr)
        self.assertIn("invalid token", r.stderr)
        self.assertNotIn(SPLUNK_TOKEN, r.stderr)
        self.assertNotIn(urllib.parse.quote_plus(SPLUNK_TOKEN), r.stderr)

    def test_5xx_is_retried_then_sent(self):
        self.server.replies.append((503, '{"error":"busy"}'))
        r = self.run_action(splunk_payload(self.server.url))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.server.requests), 2)
        self.assertEqual(self.server.requests[0]["body"], self.server.requests[1]["body"])

    def test_unreachable_collector_exits_2_and_bad_settings_exit_3(self):
        port = self.server.server.server_address[1]
        self.server.close()
        # Connection refused on every try (backoff 1+2+4 s): exit 2 as Splunk's webhook does.
        r = self.run_action(splunk_payload("http://127.0.0.1:%d" % port))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("cannot reach"), 4, r.stderr)
        r = self.run_action(splunk_payload("http://127.0.0.1:%d" % port, token=""))
        self.assertEqual(r.returncode, 3)
        self.assertIn("param.token is empty", r.stderr)
        r = self.run_action(splunk_payload("ftp://x"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("param.collector_url", r.stderr)
        self.assertNotIn(SPLUNK_TOKEN, r.stderr)
        r = self.run_action({}, args=())
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--execute", r.stderr)

    def test_app_declares_the_custom_action(self):
        conf = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
        conf.read(os.path.join(SPLUNK_APP, "default", "alert_actions.conf"))
        stanza = conf["beacon_alert"]
        self.assertEqual(stanza["is_custom"], "1")
        self.assertEqual(stanza["payload_format"], "json")
        for key in ("label", "description", "maxtime", "param.collector_url", "param.token",
                    "param.severity", "param.recipients"):
            self.assertIn(key, stanza)
        with open(os.path.join(SPLUNK_APP, "README", "alert_actions.conf.spec")) as f:
            spec = f.read()
        with open(os.path.join(SPLUNK_APP, "default", "data", "ui", "alerts",
                               "beacon_alert.html")) as f:
            form = f.read()
        for param in ("collector_url", "token", "severity", "recipients"):
            self.assertIn("param.%s = <string>" % param, spec)
        for param in ("severity", "recipients"):
            self.assertIn('name="action.beacon_alert.param.%s"' % param, form)
        self.assertTrue(os.access(SPLUNK_SCRIPT, os.X_OK))
        app = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
        app.read(os.path.join(SPLUNK_APP, "default", "app.conf"))
        self.assertEqual(app["package"]["id"], "beacon_alert")


if __name__ == "__main__":
    unittest.main()
