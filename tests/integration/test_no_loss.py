"""No loss, no duplicates: 20,000 events go through a running agent while the collector is
SIGKILLed twice and the agent once with a batch stored but not acknowledged. Afterwards the
collector holds each event exactly once (by agent + seq) and the agent's spool is empty."""
import threading
import time
import unittest

from harness import Agent, Collector, HoldingProxy, tail, wait_for, workdir

N = 20_000
CHUNK = 1_000
AGENT_NAME = "itest-noloss"


class NoLossTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("noloss")
        self.collector = Collector(self.dir).start()
        token = self.collector.create_token(AGENT_NAME)
        self.proxy = HoldingProxy(self.collector.port)
        self.agent = Agent(self.dir, AGENT_NAME, f"http://127.0.0.1:{self.proxy.port}", token)
        self.agent.start()

    def tearDown(self):
        self.agent.stop()
        self.collector.stop()
        self.proxy.close()

    def stored(self):
        return self.collector.query(
            "SELECT COUNT(*) FROM events WHERE agent = ? AND kind = 'test.load'", (AGENT_NAME,))[0][0]

    def test_kills_lose_nothing_and_duplicate_nothing(self):
        errors = []

        def produce():
            try:
                for start in range(0, N, CHUNK):
                    self.agent.emit_lines(
                        {"kind": "test.load", "severity": "information", "subject": f"e{i}",
                         "message": f"load event {i}", "data": {"i": i}}
                        for i in range(start, start + CHUNK))
                    time.sleep(0.15)
            except Exception as e:  # surfaced in the main thread
                errors.append(e)

        producer = threading.Thread(target=produce)
        producer.start()

        # 1. Collector killed while batches are flowing.
        wait_for(lambda: self.stored() >= 3_000, 60, "3,000 events stored")
        self.collector.kill()
        time.sleep(1.0)
        self.collector.start()

        # 2. The agent is killed after the collector stored a batch but before the agent got
        #    the acknowledgement: on restart it re-sends, and the collector must not duplicate.
        wait_for(lambda: self.stored() >= 8_000, 60, "8,000 events stored")
        self.proxy.hold.set()
        wait_for(lambda: self.proxy.held_responses >= 1, 30, "a swallowed acknowledgement")
        self.agent.kill()
        self.proxy.hold.clear()
        self.agent.start()

        # 3. Collector killed a second time.
        wait_for(lambda: self.stored() >= 13_000, 60, "13,000 events stored")
        self.collector.kill()
        time.sleep(1.0)
        self.collector.start()

        producer.join(180)
        self.assertFalse(producer.is_alive(), "producer did not finish")
        self.assertEqual(errors, [])
        wait_for(lambda: self.stored() >= N and self.agent.spool_pending() == 0, 120,
                 f"all {N} events stored and the spool empty\n{tail(self.agent.log)}")
        # Give a late duplicate a chance to show up before counting.
        time.sleep(1.0)

        total, distinct_seq, distinct_subject = self.collector.query(
            "SELECT COUNT(*), COUNT(DISTINCT seq), COUNT(DISTINCT subject) FROM events "
            "WHERE agent = ? AND kind = 'test.load'", (AGENT_NAME,))[0]
        self.assertEqual(total, N)
        self.assertEqual(distinct_seq, N)
        self.assertEqual(distinct_subject, N)
        self.assertEqual(self.agent.spool_pending(), 0)
        self.assertGreaterEqual(self.proxy.held_responses, 1)

        # The collector's own API agrees.
        status, host = self.collector.request("GET", f"/api/v1/hosts/{AGENT_NAME}")
        self.assertEqual(status, 200, host)
        self.assertEqual(host["name"], AGENT_NAME)
        self.assertGreaterEqual(host["events_total"], N)


if __name__ == "__main__":
    unittest.main()
