"""Collector away for long: the agent keeps spooling on disk with flat RSS; at the spool cap it
drops the oldest samples first, never events, and once the collector is back it reports how
many it dropped (an agent.spool.dropped event and the agent.spool.dropped_samples_total metric)."""
import json
import sqlite3
import time
import unittest

from harness import Agent, Collector, tail, wait_for, workdir

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


if __name__ == "__main__":
    unittest.main()
