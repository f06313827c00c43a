"""FIM end to end on a generated tree of 20,000 files / ~1 GiB: a real agent (fim input, realtime
on, a 1 h interval so that only inotify can report in time) and collector. A one-byte change with
the mtime put back, chmod, chown, add, remove and replace-by-rename each give exactly one event of
the right kind with exactly the documented attribute list, within seconds; more new files than
fs.inotify.max_queued_events created while the agent is SIGSTOPped are each reported once after
SIGCONT; the one-shot `fim init` / `fim check --json` report the same attribute lists; and
`fim check --full` re-hashes a file whose metadata a normal check trusts."""
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import AGENT, Agent, Collector, tail, wait_for, workdir
from treegen import generate_tree, tree_file

AGENT_NAME = "itest-fim"
FILES = 20000
MIB = 1024
ALL_ATTRIBUTES = {"type", "mode", "uid", "gid", "size", "mtime", "ctime", "inode", "sha256"}
# A realtime event must arrive long before the 1 h schedule; a few seconds covers the 200 ms
# debounce, the uplink flush and a loaded 2-core machine.
REALTIME_BOUND_MS = 5000


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def apply_changes(root, base):
    """Applies the six change kinds to files picked from index `base` on; returns
    {name: (path, expected kind, expected attribute set)}."""
    byte, chmod, chown, remove, replace = (tree_file(root, base + k) for k in (0, 1, 2, 3, 4))
    added = os.path.join(os.path.dirname(tree_file(root, base + 5)), f"new-{base}.dat")

    # One byte changed, then the mtime put back to the nanosecond: the utimensat call that
    # `touch -r` makes, done in-process so the realtime debounce cannot fall between the two.
    st = os.stat(byte)
    with open(byte, "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0xFF]))
    os.utime(byte, ns=(st.st_atime_ns, st.st_mtime_ns))

    os.chmod(chmod, 0o600)
    os.chown(chown, 1234, 1234)
    os.unlink(remove)
    with open(added, "wb") as f:
        f.write(b"added by the fim e2e test\n")

    # Replaced by rename: same size, mode and mtime, other content, new inode.
    st = os.stat(replace)
    tmp = replace + ".tmp"
    with open(replace, "rb") as f:
        data = bytearray(f.read())
    data[-1] ^= 0xFF
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, st.st_mode & 0o7777)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.rename(tmp, replace)

    return {
        "byte": (byte, "fim.changed", {"ctime", "sha256"}),
        "chmod": (chmod, "fim.changed", {"mode", "ctime"}),
        "chown": (chown, "fim.changed", {"uid", "gid", "ctime"}),
        "remove": (remove, "fim.removed", ALL_ATTRIBUTES),
        "add": (added, "fim.added", ALL_ATTRIBUTES),
        "replace": (replace, "fim.changed", {"inode", "ctime", "sha256"}),
    }


class FimEndToEndTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("fim")
        self.tmp = tempfile.mkdtemp(prefix="beacon-fim-e2e-", dir="/var/tmp")
        self.tree = os.path.join(self.tmp, "tree")
        self.collector = None
        self.agent = None

    def tearDown(self):
        if self.agent:
            if self.agent.proc and self.agent.proc.poll() is None:
                self.agent.proc.send_signal(signal.SIGCONT)
            self.agent.stop()
        if self.collector:
            self.collector.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def events(self, kind=None):
        sql = "SELECT ts_ms, kind, severity, subject, data_json FROM events WHERE agent = ?"
        args = (AGENT_NAME,)
        if kind:
            sql += " AND kind = ?"
            args += (kind,)
        rows = self.collector.query(sql + " ORDER BY seq", args)
        return [{"ts_ms": r[0], "kind": r[1], "severity": r[2], "subject": r[3],
                 "data": json.loads(r[4])} for r in rows]

    def fim_events_for(self, path):
        return [e for e in self.events() if e["kind"].startswith("fim.") and e["subject"] == path]

    def fim_files_samples(self):
        return self.collector.query(
            "SELECT COUNT(*) FROM samples WHERE agent = ? AND metric = 'fim.files'",
            (AGENT_NAME,))[0][0]

    def assert_change(self, name, data, path, kind, attributes):
        self.assertEqual(data["kind"], kind, (name, data))
        self.assertEqual(data["path"], path, (name, data))
        self.assertEqual(data["type"], "regular", (name, data))
        if kind == "fim.changed":
            self.assertEqual(set(data["changes"]), attributes, (name, data))
            for key, (old, new) in data["changes"].items():
                self.assertNotEqual(old, new, (name, key))
        else:
            self.assertEqual(set(data["attributes"]), attributes, (name, data))

    def test_fim_realtime_overflow_and_check(self):
        started = time.monotonic()
        generate_tree(self.tree, FILES, MIB)
        generated = time.monotonic()
        total = sum(os.path.getsize(os.path.join(d, f))
                    for d, _, fs in os.walk(self.tree) for f in fs)
        self.assertGreater(total, 1000 * 1024 * 1024)
        burst_dir = os.path.join(self.tree, "burst")
        os.mkdir(burst_dir)

        self.collector = Collector(self.dir).start()
        token = self.collector.create_token(AGENT_NAME)
        inputs_yaml = f"""  fim:
    enabled: true
    interval: 1h
    realtime: true
    paths: [{self.tree}]
"""
        self.agent = Agent(self.dir, AGENT_NAME, self.collector.url, token,
                           inputs_yaml=inputs_yaml)
        self.agent.start()
        # The first gather builds the baseline silently, then reports fim.files.
        wait_for(self.fim_files_samples, 60, f"the fim baseline\n{tail(self.agent.log)}",
                 interval=0.2)
        baselined = time.monotonic()
        files = self.collector.query(
            "SELECT value FROM samples WHERE agent = ? AND metric = 'fim.files'",
            (AGENT_NAME,))[0][0]
        self.assertEqual(files, 1 + 100 + 2000 + FILES + 1)  # root, dirs, files, burst/
        self.assertEqual([e for e in self.events() if e["kind"].startswith("fim.")], [])

        # --- Realtime: each change kind, exactly one event with the documented attributes.
        changed_ms = int(time.time() * 1000)
        expected = apply_changes(self.tree, 1000)
        for name, (path, kind, attributes) in expected.items():
            wait_for(lambda: self.fim_events_for(path), 15,
                     f"a realtime event for {name} ({path})\n{tail(self.agent.log)}", interval=0.1)
        time.sleep(1.0)  # the debounce window twice over: a duplicate would have arrived
        for name, (path, kind, attributes) in expected.items():
            events = self.fim_events_for(path)
            self.assertEqual(len(events), 1, (name, events))
            self.assert_change(name, events[0]["data"], path, kind, attributes)
            self.assertEqual(events[0]["severity"], "warning" if kind == "fim.added" else "high")
            self.assertLess(events[0]["ts_ms"] - changed_ms, REALTIME_BOUND_MS, (name, events))
        self.assertEqual(self.events("fim.changed")[0]["data"]["changes"]["ctime"][1][-1], "Z")
        added = self.fim_events_for(expected["add"][0])[0]["data"]["attributes"]
        self.assertEqual(added["sha256"], sha256_of(expected["add"][0]))
        self.assertEqual(added["mode"], "0644")
        self.assertEqual(self.fim_files_samples(), 1, "no scheduled check ran")
        realtime_done = time.monotonic()

        # --- Overflow: more new files than the kernel queue holds while the agent is stopped.
        with open("/proc/sys/fs/inotify/max_queued_events") as f:
            max_queued = int(f.read())
        count = max_queued + max_queued // 5
        self.agent.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            for i in range(count):
                with open(os.path.join(burst_dir, f"b{i:06d}"), "wb") as f:
                    f.write(b"%d\n" % i)
        finally:
            self.agent.proc.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        prefix = burst_dir + "/"

        def burst_added():
            return self.collector.query(
                "SELECT COUNT(*), COUNT(DISTINCT subject) FROM events WHERE agent = ? "
                "AND kind = 'fim.added' AND substr(subject, 1, ?) = ?",
                (AGENT_NAME, len(prefix), prefix))[0]

        wait_for(lambda: burst_added()[0] >= count, 60,
                 f"{count} fim.added events under {burst_dir}\n{tail(self.agent.log)}",
                 interval=0.5)
        overflow_s = time.monotonic() - resumed
        time.sleep(1.0)
        self.assertEqual(burst_added(), (count, count))
        self.assertIn("overflowed", tail(self.agent.log, 400))
        self.agent.stop()
        self.agent = None

        # --- One-shot init / check on the same tree, own baseline, fresh files.
        config = os.path.join(self.dir, "fim-cli.yaml")
        data_dir = os.path.join(self.dir, "cli-data")
        os.makedirs(data_dir)
        with open(config, "w") as f:
            f.write(f"""agent:
  name: {AGENT_NAME}-cli
  data_dir: {data_dir}
inputs:
  system:
    enabled: false
  fim:
    paths: [{self.tree}]
    baseline: {os.path.join(self.dir, "cli-baseline.db")}
""")
        one_shot = time.monotonic()
        init = subprocess.run([AGENT, "fim", "init", "-c", config], capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(init.returncode, 0, init.stderr)
        clean = subprocess.run([AGENT, "fim", "check", "--json", "-c", config],
                               capture_output=True, text=True, timeout=120)
        self.assertEqual(clean.returncode, 0, clean.stdout + clean.stderr)
        expected = apply_changes(self.tree, 2000)
        check = subprocess.run([AGENT, "fim", "check", "--json", "-c", config],
                               capture_output=True, text=True, timeout=120)
        self.assertEqual(check.returncode, 1, check.stderr)
        report = json.loads(check.stdout)
        self.assertEqual(report["summary"]["errors"], 0, report["errors"])
        self.assertEqual(report["summary"]["added"], 1)
        self.assertEqual(report["summary"]["removed"], 1)
        for name, (path, kind, attributes) in expected.items():
            mine = [c for c in report["changes"] if c["path"] == path]
            self.assertEqual(len(mine), 1, (name, mine))
            self.assert_change(name, mine[0], path, kind, attributes)
        # Everything else reported is a directory touched by the add/remove/rename.
        paths = {p for p, _, _ in expected.values()}
        dirs = {os.path.dirname(p) for p in paths}
        for change in report["changes"]:
            if change["path"] not in paths:
                self.assertIn(change["path"], dirs, change)
                self.assertEqual(set(change["changes"]), {"mtime", "ctime"}, change)

        # --- check --full re-hashes what a normal check trusts the metadata for. A content
        # change that keeps size, mtime, ctime and inode cannot be made from user space (the
        # ctime moves), so the baseline is made to record another hash for an untouched file:
        # what an offline edit of the disk would leave behind.
        untouched = tree_file(self.tree, 3000)
        with sqlite3.connect(os.path.join(self.dir, "cli-baseline.db")) as db:
            updated = db.execute("UPDATE entries SET sha256 = ? WHERE path = ?",
                                 ("0" * 64, os.fsencode(untouched))).rowcount
        self.assertEqual(updated, 1)
        normal = subprocess.run([AGENT, "fim", "check", "--json", "-c", config],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(normal.returncode, 1, normal.stderr)
        self.assertEqual(json.loads(normal.stdout)["changes"], report["changes"])
        full = subprocess.run([AGENT, "fim", "check", "--full", "--json", "-c", config],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(full.returncode, 1, full.stderr)
        full_changes = json.loads(full.stdout)["changes"]
        rehashed = [c for c in full_changes if c["path"] == untouched]
        self.assertEqual(len(rehashed), 1, rehashed)
        self.assertEqual(rehashed[0]["changes"], {"sha256": ["0" * 64, sha256_of(untouched)]})
        self.assertEqual([c for c in full_changes if c["path"] != untouched], report["changes"])
        finished = time.monotonic()
        print(f"\nfim e2e: tree {total / 1048576:.0f} MiB / {FILES} files generated in "
              f"{generated - started:.1f}s, baseline {baselined - generated:.1f}s, realtime "
              f"{realtime_done - baselined:.1f}s, {count} files created while stopped in "
              f"{resumed - stopped:.1f}s and reported after SIGCONT in "
              f"{overflow_s:.1f}s, one-shot init+4 checks {finished - one_shot:.1f}s, "
              f"total {finished - started:.1f}s")


if __name__ == "__main__":
    unittest.main()
