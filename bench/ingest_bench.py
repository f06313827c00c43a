#!/usr/bin/env python3
"""Benchmark: batched event ingest into a real beacon-collector with durable commits
(SQLite WAL, synchronous=FULL). Prints events/s and per-batch latency percentiles.

Usage: bench/ingest_bench.py [--batches 200] [--batch-size 1000] [--bin-dir build]
Not part of the test suite (see bench/README.md)."""
import argparse
import http.client
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--bin-dir", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    args = ap.parse_args()
    harness.COLLECTOR = os.path.join(args.bin_dir, "collector", "beacon-collector")

    wd = harness.workdir("bench-ingest")
    c = harness.Collector(wd).start()
    try:
        token = c.create_token("bench-agent")
        bodies = []
        seq = 1
        for b in range(args.batches):
            recs = []
            for i in range(args.batch_size):
                recs.append({"seq": seq, "ts": "2026-11-26T06:00:00.000Z", "type": "event",
                             "kind": "bench.event", "severity": "warning",
                             "subject": f"subject-{seq % 997}",
                             "message": f"benchmark event {seq} with a realistic message length",
                             "data": {"pid": seq % 65536, "process": "java"}})
                seq += 1
            bodies.append(json.dumps({"v": 1, "agent": "bench-agent", "agent_version": "bench",
                                      "sent_at": "2026-11-26T06:00:00.000Z",
                                      "records": recs}).encode())
        conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        lat = []
        t0 = time.perf_counter()
        for body in bodies:
            s = time.perf_counter()
            conn.request("POST", "/api/v1/ingest", body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit(f"ingest failed: {r.status}")
            lat.append(time.perf_counter() - s)
        elapsed = time.perf_counter() - t0
        total = args.batches * args.batch_size
        stored = c.query("SELECT COUNT(*) FROM events WHERE agent='bench-agent'")[0][0]
        assert stored == total, (stored, total)
        lat.sort()
        print(json.dumps({
            "benchmark": "collector_ingest_events",
            "events": total, "batch_size": args.batch_size, "seconds": round(elapsed, 3),
            "events_per_second": round(total / elapsed),
            "batch_latency_ms_p50": round(statistics.median(lat) * 1000, 2),
            "batch_latency_ms_p99": round(lat[int(len(lat) * 0.99) - 1] * 1000, 2),
            "durability": "SQLite WAL, synchronous=FULL, one transaction per batch",
        }, indent=2))
    finally:
        c.stop()


if __name__ == "__main__":
    main()
