"""Shared pieces of the backup integration tests: a collector + agent pair with backup sets,
the burst workload of issue 4, catalog queries and restores through the collector's API."""
import hashlib
import os
import random
import threading
import time
import urllib.parse

import harness
from harness import Agent, Collector, wait_for


def store_yaml_s3(name, server, bucket, secret_file, access_key, extra=""):
    return f"""    {name}:
      type: s3
      endpoint: http://127.0.0.1:{server.port}
      region: us-east-1
      bucket: {bucket}
      path_style: true
      access_key_id: {access_key}
      secret_access_key_file: {secret_file}
      timeout: 5s
      retry: {{attempts: 3, initial_backoff: 100ms, max_backoff: 500ms}}
{extra}"""


def store_yaml_local(name, path):
    return f"""    {name}:
      type: local
      path: {path}
"""


def write_secret(workdir, name, value):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return path


def start_set_and_fim_agent(workdir, host, collector, token, set_dir, fim_dir, restore_root):
    """Starts an agent with one backup set `app` over set_dir on a local store (debounce 1h: only
    `backup run` stores anything) and the fim input over fim_dir (every hour, no inotify: its
    next check is the one after the agent starts again), and waits for the fim baseline."""
    agent = Agent(workdir, host, collector.url, token, inputs_yaml=f"""  fim:
    enabled: true
    interval: 1h
    realtime: false
    paths: [{fim_dir}]
""", extra_yaml=f"""backup:
  stores:
    disk:
      type: local
      path: {os.path.join(workdir, "store")}
  sets:
    - name: app
      paths: [{set_dir}]
      store: disk
      debounce: 1h
  restore_roots: [{restore_root}]
""")
    agent.start()
    # The fim input's first gather builds the baseline (and reports fim.files).
    wait_for(lambda: collector.query(
        "SELECT COUNT(*) FROM samples WHERE agent = ? AND metric = 'fim.files'",
        (host,))[0][0] > 0, 60, f"the fim baseline\n{harness.tail(agent.log)}", interval=0.2)
    return agent


class BackupRig:
    """Collector + agent whose `backup:` section has the given stores and sets."""

    def __init__(self, workdir, stores_yaml, sets_yaml, collector_yaml="", backup_extra=""):
        self.dir = workdir
        self.restore_root = os.path.join(workdir, "restore")
        os.makedirs(self.restore_root, exist_ok=True)
        self.collector = Collector(workdir, extra_yaml=collector_yaml).start()
        token = self.collector.create_token("bk-host")
        self.agent = Agent(workdir, "bk-host", self.collector.url, token, extra_yaml=f"""backup:
  stores:
{stores_yaml}  sets:
{sets_yaml}  restore_roots: [{self.restore_root}]
  concurrency: 2
  retry_initial: 100ms
  retry_max: 1s
{backup_extra}""")

    def close(self):
        self.agent.stop()
        self.collector.stop()

    def versions(self, **query):
        """Every matching version: pages of 10,000 (the API's limit), walking back with
        `until` (inclusive, so the boundary millisecond is fetched twice and deduplicated)."""
        seen = {}
        until = None
        while True:
            q = dict({"limit": 10000}, **query, **({"until": until} if until else {}))
            qs = "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in q.items())
            status, body = self.collector.request("GET", f"/api/v1/backups?{qs}")
            assert status == 200, (status, body)
            page = body["versions"]
            new = [v for v in page if v["id"] not in seen]
            for v in new:
                seen[v["id"]] = v
            if len(page) < q["limit"] or "limit" in query or not new:
                return sorted(seen.values(), key=lambda v: -v["id"])
            until = min(v["created"] for v in page)

    def restore(self, version, to=None):
        body = {"host": version["host"], "path": version["path"], "version": version["id"]}
        if to:
            body["to"] = to
        status, reply = self.collector.request("POST", "/api/v1/restores", body)
        assert status == 202, (status, reply)
        return reply["command"]["id"]

    def command(self, command_id):
        status, body = self.collector.request("GET", f"/api/v1/commands/{command_id}")
        assert status == 200, (status, body)
        return body.get("command", body)

    def wait_commands(self, ids, timeout=120):
        pending = set(ids)
        results = {}

        def done():
            for cid in list(pending):
                c = self.command(cid)
                if c["state"] in ("succeeded", "failed"):
                    results[cid] = c
                    pending.discard(cid)
            return not pending

        wait_for(done, timeout, f"{len(pending)} restore commands to finish", interval=0.2)
        return results


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Workload:
    """Issue 4's burst: files written directly, renamed into place, appended to after their
    first close (while the first upload may be running), one deleted before its upload starts,
    and files in directories created during the burst. Remembers every content each path ever
    had, and the final one."""

    def __init__(self, root, seed):
        self.root = root
        self.rng = random.Random(seed)
        self.history = {}   # path -> [sha of every content it had]
        self.final = {}     # path -> sha of its content now (absent: deleted)
        self.deleted = []
        self.lock = threading.Lock()
        self.timers = []

    def _content(self, i):
        n = self.rng.randint(1, 40) * 512 + self.rng.randint(0, 511)
        line = f"{self.root} file {i} {self.rng.random()}\n".encode()
        return (line * (n // len(line) + 1))[:n]

    def _record(self, path, data):
        with self.lock:
            self.history.setdefault(path, []).append(sha(data))
            self.final[path] = sha(data)

    def _append(self, path, extra):
        # Every content the file ever has is remembered; the catalog may hold any of them
        # (each at most once) and must hold the last.
        with self.lock, open(path, "ab") as f:
            f.write(extra)
            f.flush()
            with open(path, "rb") as r:
                data = r.read()
            self.history.setdefault(path, []).append(sha(data))
            self.final[path] = sha(data)

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self._record(path, data)

    def run(self, files, burst=50, pause=0.05):
        appended = []
        for i in range(files):
            kind = i % 10
            if kind == 7:  # a directory created during the burst
                path = os.path.join(self.root, f"new{i // burst}", "a", "b", f"f{i:04d}.log")
            else:
                path = os.path.join(self.root, f"d{i % 7}", f"f{i:04d}.log")
            data = self._content(i)
            if kind == 3:  # renamed into place (rsync-style temp name is excluded)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.Ab12Cd")
                with open(tmp, "wb") as f:
                    f.write(data)
                os.rename(tmp, path)
                self._record(path, data)
            else:
                self.write(path, data)
            if kind == 5:
                appended.append(path)
            if i % burst == burst - 1:
                time.sleep(pause)
                for p in appended:
                    # Appended to after the close, around the end of the debounce, when its
                    # first version may be being read or uploaded.
                    extra = f"appended {self.rng.random()}\n".encode() * 50
                    t = threading.Timer(self.rng.uniform(0.15, 0.6), self._append, (p, extra))
                    t.start()
                    self.timers.append(t)
                appended = []
        for t in self.timers:
            t.join()
        self.timers = []
        # One file deleted before its upload can start (well inside the debounce).
        gone = os.path.join(self.root, "d0", "deleted-before-upload.log")
        with open(gone, "wb") as f:
            f.write(b"short-lived\n" * 100)
        os.unlink(gone)
        self.deleted.append(gone)


def assert_catalog_matches(test, versions, workload):
    """Every final content is in the catalog, each (path, sha) exactly once, every entry is a
    content the file really had, and deleted files never appear."""
    by_path = {}
    for v in versions:
        by_path.setdefault(v["path"], []).append(v["sha256"])
    for path, shas in by_path.items():
        test.assertEqual(len(shas), len(set(shas)), f"{path}: a content is catalogued twice")
        test.assertIn(path, workload.history, f"{path}: catalogued but never written")
        for s in shas:
            test.assertIn(s, workload.history[path], f"{path}: {s} is not a content it had")
    for path, final in workload.final.items():
        test.assertIn(final, by_path.get(path, []), f"{path}: final content not catalogued")
    for path in workload.deleted:
        test.assertNotIn(path, by_path)


def wait_catalog_complete(rig, workload, timeout=90, **query):
    def complete():
        versions = rig.versions(path=workload.root + "/*", **query)
        have = {(v["path"], v["sha256"]) for v in versions}
        missing = [p for p, s in workload.final.items() if (p, s) not in have]
        return versions if not missing else None
    return wait_for(complete, timeout, "every final content in the catalog", interval=0.5)


def restore_all_and_compare(test, rig, versions, workload):
    ids = {}
    for v in versions:
        to = os.path.join(rig.restore_root, f"v{v['id']}")
        ids[rig.restore(v, to=to)] = (v, to)
    results = rig.wait_commands(list(ids), timeout=180)
    for cid, (v, to) in ids.items():
        c = results[cid]
        test.assertEqual(c["state"], "succeeded", c)
        restored = to + v["path"]
        test.assertEqual(harness.sha256_file(restored), v["sha256"], restored)
        test.assertIn(v["sha256"], workload.history[v["path"]])
        test.assertEqual(os.stat(restored).st_mode & 0o7777, v["mode"])
