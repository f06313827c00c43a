"""Issue 10 items 3 and 4: an agent token can only touch its own data. Two real agents back up
to one shared local store; db-01's token then tries to catalogue web-01's newest object (with a
created_ms of 0, so its lifecycle policy would delete it at once). The collector refuses the
batch with 403 and stores nothing of it, clamps a created_ms of 0 on db-01's own version to the
receive time (reported once as a collector.clock_skew event), and a lifecycle run deletes only
web-01's superseded version, leaving every other object in the store."""
import os
import time
import unittest
import urllib.parse
from datetime import datetime, timezone

import harness
from backup_common import store_yaml_local
from harness import Agent, Collector, wait_for


def rfc3339_ms(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
               .replace(tzinfo=timezone.utc).timestamp() * 1000)


def now_rfc3339():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class AgentIsolationTest(unittest.TestCase):
    def setUp(self):
        self.dir = harness.workdir("agent-isolation")
        self.store = os.path.join(self.dir, "store")
        self.collector = Collector(self.dir, extra_yaml=f"""backups:
  stores:
{store_yaml_local("disk", self.store)}  lifecycle:
    interval: 0s
    policies:
      - set: app
        keep_newest: 1
        delete_after: 1s
""").start()
        self.tokens = {}
        self.agents = {}
        self.data = {}
        for name in ("web-01", "db-01"):
            home = os.path.join(self.dir, name)
            self.data[name] = os.path.join(home, "data")
            os.makedirs(self.data[name])
            self.tokens[name] = self.collector.create_token(name)
            self.agents[name] = Agent(home, name, self.collector.url, self.tokens[name],
                                      extra_yaml=f"""backup:
  stores:
{store_yaml_local("disk", self.store)}  sets:
    - name: app
      paths: [{self.data[name]}]
      store: disk
      debounce: 200ms
  restore_roots: [{home}]
""")

    def tearDown(self):
        for agent in self.agents.values():
            agent.stop()
        self.collector.stop()

    def versions(self, host, include_deleted=False):
        q = f"host={host}&limit=1000" + ("&include_deleted=true" if include_deleted else "")
        status, body = self.collector.request("GET", f"/api/v1/backups?{q}")
        self.assertEqual(status, 200, body)
        return body["versions"]

    def events(self, host, kind):
        q = urllib.parse.urlencode({"host": host, "kind": kind, "limit": 1000})
        status, body = self.collector.request("GET", f"/api/v1/events?{q}")
        self.assertEqual(status, 200, body)
        return body["events"]

    def write_and_wait(self, agent, name, content, count):
        with open(os.path.join(self.data[agent], name), "w") as f:
            f.write(content)
        return wait_for(lambda: len(self.versions(agent)) >= count and self.versions(agent), 30,
                        f"{count} catalogued versions of {agent}")

    def ingest(self, agent, records):
        batch = {"v": 1, "agent": agent, "agent_version": "hostile", "sent_at": now_rfc3339(),
                 "records": records}
        return self.collector.request("POST", "/api/v1/ingest", batch, token=self.tokens[agent])

    @staticmethod
    def version_record(seq, data):
        return {"seq": seq, "ts": now_rfc3339(), "type": "event", "kind": "backup.version",
                "severity": "information", "subject": data["path"], "message": "backed up",
                "data": data}

    def object_path(self, key):
        return os.path.join(self.store, "objects", key)

    def test_an_agent_touches_only_its_own_objects(self):
        for agent in self.agents.values():
            agent.start()
        # Real agents' keys pass the collector's check: web-01 has two versions of a.txt.
        self.write_and_wait("web-01", "a.txt", "one", 1)
        web = self.write_and_wait("web-01", "a.txt", "two", 2)
        self.write_and_wait("db-01", "b.txt", "db", 1)
        newest, older = web[0], web[1]
        for v in web + self.versions("db-01"):
            self.assertTrue(os.path.exists(self.object_path(v["key"])), v["key"])
        db_events = len(self.events("db-01", "backup.version"))

        # db-01 catalogues web-01's newest object as its own /etc/x, at created_ms 0, beside a
        # newer version of its own: without the check the lifecycle would delete web-01's object.
        stolen = {k: newest[k] for k in ("size", "mode", "uid", "gid", "owner", "group", "sha256",
                                         "stored_size", "store", "key", "storage_class", "key_id")}
        stolen.update({"set": "app", "path": "/etc/x", "mtime_ns": 0, "created_ms": 0})
        own = dict(stolen, sha256="b" * 64, created_ms=int(time.time() * 1000),
                   key="beacon/db-01/etc/x@20250101T000000Z-" + "b" * 12 + ".zst")
        status, body = self.ingest("db-01", [self.version_record(1, own),
                                             self.version_record(2, stolen)])
        self.assertEqual(status, 403, body)
        self.assertIn("records[1] (backup.version): key '" + newest["key"] +
                      "' is not an object of agent 'db-01'", body["error"])
        # Nothing of the batch was stored: no event, no catalog entry.
        self.assertEqual(len(self.events("db-01", "backup.version")), db_events)
        self.assertEqual([v["path"] for v in self.versions("db-01")], ["/" + os.path.relpath(
            os.path.join(self.data["db-01"], "b.txt"), "/")])
        self.assertEqual(self.collector.query(
            "SELECT count(*) FROM events WHERE agent = 'db-01' AND seq IN (1, 2)"), [(0,)])

        # Its own version with created_ms 0 is catalogued at the receive time.
        zero = dict(own, path="/etc/zero", sha256="c" * 64, created_ms=0,
                    key="beacon/db-01/etc/zero@19700101T000000Z-" + "c" * 12 + ".zst")
        before = int(time.time() * 1000)
        status, body = self.ingest("db-01", [self.version_record(3, zero)])
        self.assertEqual(status, 200, body)
        after = int(time.time() * 1000)
        catalogued = [v for v in self.versions("db-01") if v["path"] == "/etc/zero"]
        self.assertEqual(len(catalogued), 1)
        created = rfc3339_ms(catalogued[0]["created"])
        self.assertTrue(before - 1000 <= created <= after + 1000, (before, created, after))
        skew = self.events("db-01", "collector.clock_skew")
        self.assertEqual(len(skew), 1, skew)
        self.assertIn("agent db-01 sent 1 timestamps outside the accepted window", skew[0]["message"])
        status, metrics = self.collector.request("GET", "/metrics")
        self.assertIn('beacon_ingest_clamped_timestamps_total{field="created_ms"} 1\n', metrics)

        # The lifecycle deletes web-01's superseded version and nothing else.
        time.sleep(1.5)
        before_files = sorted(os.path.relpath(os.path.join(d, f), self.store)
                              for d, _, files in os.walk(os.path.join(self.store, "objects"))
                              for f in files)
        status, run = self.collector.request("POST", "/api/v1/backups/lifecycle")
        self.assertEqual(status, 200, run)
        self.assertEqual([(a["host"], a["version_id"], a["action"], a["state"])
                          for a in run["actions"]], [("web-01", older["id"], "delete", "done")])
        self.assertFalse(os.path.exists(self.object_path(older["key"])))
        self.assertTrue(os.path.exists(self.object_path(newest["key"])))
        after_files = sorted(os.path.relpath(os.path.join(d, f), self.store)
                             for d, _, files in os.walk(os.path.join(self.store, "objects"))
                             for f in files)
        self.assertEqual(after_files,
                         [f for f in before_files if f != os.path.join("objects", older["key"])])
        states = {v["id"]: v["state"] for v in self.versions("web-01", include_deleted=True)}
        self.assertEqual(states, {newest["id"]: "stored", older["id"]: "deleted"})


if __name__ == "__main__":
    unittest.main()
