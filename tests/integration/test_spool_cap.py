"""Collector away for long: the agent keeps spooling on disk with flat RSS; at the spool cap it
drops the oldest samples first, never events, and once the collector is back it reports how
many it dropped (an agent.spool.dropped event and the agent.spool.dropped_samples_total metric).
At spool.max_event_bytes the events stop too: `emit` fails saying the spool is full, and the
events inputs raise are dropped and counted (agent.spool.dropped_events_total), so the host's
disk never fills."""
import json
import os
import sqlite3
import subprocess
import time
import unittest

from harness import AGENT, Agent, Collector, tail, wait_for, workdir

AGENT_NAME = "itest-spoolcap"
SAMPLES = 60_000
EVENTS = 600
CAP = 4 * 1024 * 1024


class SpoolCapTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("spoolcap")
        self.collector = Collector(self.dir).start()
        token = self.collector.create_token(AGENT_NAME)
        self.collector.stop()  # the collector is away from here on
        self.agent = Agent(self.dir, AGENT_NAME, self.collector.url, token, spool_max="4MiB")
        self.agent.start()

    def tearDown(self):
        self.agent.stop()
        self.collector.stop()

    def spool_stats(self):
        con = sqlite3.connect(f"file:{self.agent.spool}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(
                "SELECT COALESCE(SUM(bytes), 0), COUNT(*), "
                "COALESCE(SUM(CASE WHEN payload LIKE '%\"type\":\"event\"%' THEN 1 ELSE 0 END), 0) "
                "FROM records").fetchone()
        finally:
            con.close()

    def test_cap_drops_samples_never_events_and_reports(self):
        rss = []
        per_round = SAMPLES // 10
        for rnd in range(10):
            lines = []
            for i in range(per_round):
                n = rnd * per_round + i
                lines.append({"metric": "test.sample", "value": n, "labels": {"n": str(n % 50)}})
                if i % (per_round // (EVENTS // 10)) == 0:
                    lines.append({"kind": "test.keep", "severity": "warning",
                                  "subject": f"ev{rnd}-{i}", "message": "must survive the cap"})
            self.agent.emit_lines(lines)
            rss.append(self.agent.rss_kib())
            time.sleep(0.3)

        spool_bytes, pending, events = self.spool_stats()
        self.assertLessEqual(spool_bytes, CAP, "spool grew past its cap")
        self.assertEqual(events, EVENTS, "an event was dropped at the cap")
        self.assertLess(pending, SAMPLES + EVENTS, "nothing was dropped")
        # Flat RSS: the agent does not hold the backlog in memory while the collector is away.
        self.assertLess(max(rss) - min(rss), 8 * 1024, f"agent RSS grew: {rss} KiB")

        self.collector.start()
        wait_for(lambda: self.agent.spool_pending() == 0, 90,
                 f"spool drained\n{tail(self.agent.log)}")

        kept = self.collector.query(
            "SELECT COUNT(*) FROM events WHERE agent = ? AND kind = 'test.keep'", (AGENT_NAME,))[0][0]
        self.assertEqual(kept, EVENTS)
        delivered = self.collector.query(
            "SELECT COUNT(*) FROM samples WHERE agent = ? AND metric = 'test.sample'",
            (AGENT_NAME,))[0][0]
        self.assertLess(delivered, SAMPLES)
        # The oldest samples went first: what survived is the newest part of the stream.
        oldest_kept = self.collector.query(
            "SELECT MIN(value) FROM samples WHERE agent = ? AND metric = 'test.sample'",
            (AGENT_NAME,))[0][0]
        self.assertGreaterEqual(oldest_kept, SAMPLES - delivered)

        def dropped_event():
            rows = self.collector.query(
                "SELECT data_json FROM events WHERE agent = ? AND kind = 'agent.spool.dropped'",
                (AGENT_NAME,))
            return rows[0][0] if rows else None

        data = json.loads(wait_for(dropped_event, 30, "agent.spool.dropped event"))
        self.assertGreaterEqual(data["total"], SAMPLES - delivered)
        self.assertGreater(data["dropped_samples"], 0)
        metric = wait_for(lambda: self.collector.query(
            "SELECT MAX(value) FROM samples WHERE agent = ? AND metric = "
            "'agent.spool.dropped_samples_total'", (AGENT_NAME,))[0][0], 30,
            "agent.spool.dropped_samples_total sample")
        self.assertGreaterEqual(metric, SAMPLES - delivered)


EVENT_CAP = 1024 * 1024
NEW_FILES = 6000
EVENT_AGENT = "itest-eventcap"


class EventCapTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("eventcap")
        self.tree = os.path.join(self.dir, "watched")
        os.makedirs(self.tree)
        self.collector = Collector(self.dir).start()
        token = self.collector.create_token(EVENT_AGENT)
        self.collector.stop()  # away from here on
        inputs_yaml = f"""  fim:
    enabled: true
    interval: 1h
    realtime: true
    paths: [{self.tree}]
"""
        self.agent = Agent(self.dir, EVENT_AGENT, self.collector.url, token, spool_max="4MiB",
                           inputs_yaml=inputs_yaml)
        with open(self.agent.config) as f:
            config = f.read()
        with open(self.agent.config, "w") as f:
            f.write(config.replace("  max_bytes: 4MiB\n",
                                   f"  max_bytes: 4MiB\n  max_event_bytes: {EVENT_CAP}\n"))
        self.agent.start()

    def tearDown(self):
        self.agent.stop()
        self.collector.stop()

    def spool(self, sql):
        con = sqlite3.connect(f"file:{self.agent.spool}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql).fetchone()
        finally:
            con.close()

    def emit(self, *args):
        return subprocess.run([AGENT, "emit", "-c", self.agent.config, *args],
                              capture_output=True, text=True, timeout=60)

    def test_events_stop_at_the_cap_emit_says_so_and_drops_are_reported(self):
        # The first fim check builds the baseline silently; it is done once fim.files is spooled.
        wait_for(lambda: self.spool(
            "SELECT COUNT(*) FROM records WHERE payload LIKE '%\"fim.files\"%'")[0] > 0, 60,
            f"the fim baseline\n{tail(self.agent.log)}")
        for i in range(NEW_FILES):  # one fim.added event each, far beyond 1MiB of events
            with open(os.path.join(self.tree, f"f{i:05d}.conf"), "w") as f:
                f.write(f"setting = {i}\n")

        def dropped_events():
            row = self.spool("SELECT value FROM meta WHERE key = 'dropped_events_total'")
            return row[0] if row and row[0] > 0 else None

        wait_for(dropped_events, 60, f"events dropped at the cap\n{tail(self.agent.log)}")
        # Quiet: the realtime checks are done once the count stops moving.
        previous = -1
        while previous != dropped_events():
            previous = dropped_events()
            time.sleep(2)
        event_bytes, events = self.spool(
            "SELECT COALESCE(SUM(bytes), 0), COUNT(*) FROM records WHERE type = 1")
        self.assertLessEqual(event_bytes, EVENT_CAP, "events grew past spool.max_event_bytes")
        self.assertGreater(events, 0)
        self.assertEqual(
            self.spool("SELECT value FROM meta WHERE key = 'pending_event_bytes'")[0], event_bytes)

        # emit is refused with a clear error and stores nothing.
        pending = self.agent.spool_pending()
        r = self.emit("--kind", "deploy.finished", "--message", "x" * 4000)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"emit: spool {self.agent.spool} is full: ", r.stderr)
        self.assertIn(f"spool.max_event_bytes is {EVENT_CAP}", r.stderr)
        self.assertIn("nothing was stored", r.stderr)
        self.assertEqual(self.agent.spool_pending(), pending)

        self.collector.start()
        wait_for(lambda: self.agent.spool_pending() == 0, 90,
                 f"spool drained\n{tail(self.agent.log)}")
        # With room again, emit works.
        r = self.emit("--kind", "deploy.finished", "--subject", "after")
        self.assertEqual(r.returncode, 0, r.stderr)

        def report():
            rows = self.collector.query(
                "SELECT data_json FROM events WHERE agent = ? AND kind = 'agent.spool.dropped'",
                (EVENT_AGENT,))
            return json.loads(rows[0][0]) if rows else None

        data = wait_for(report, 30, f"agent.spool.dropped event\n{tail(self.agent.log)}")
        total = dropped_events()
        self.assertEqual(data["events_total"], total)
        self.assertEqual(data["dropped_events"], total)
        added = self.collector.query(
            "SELECT COUNT(*) FROM events WHERE agent = ? AND kind = 'fim.added'",
            (EVENT_AGENT,))[0][0]
        self.assertLess(added, NEW_FILES)
        # Every new file is either delivered or counted (the directory's own change events are
        # counted too, hence at least).
        self.assertGreaterEqual(added + total, NEW_FILES)
        metric = wait_for(lambda: self.collector.query(
            "SELECT MAX(value) FROM samples WHERE agent = ? AND metric = "
            "'agent.spool.dropped_events_total'", (EVENT_AGENT,))[0][0], 30,
            "agent.spool.dropped_events_total sample")
        self.assertEqual(metric, total)
        wait_for(lambda: self.collector.query(
            "SELECT COUNT(*) FROM events WHERE agent = ? AND kind = 'deploy.finished' AND "
            "subject = 'after'", (EVENT_AGENT,))[0][0] == 1, 30, "the emitted event")


if __name__ == "__main__":
    unittest.main()
