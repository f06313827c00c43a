#!/usr/bin/env python3
"""Benchmark: beacon-agent CPU % and RSS at idle with the `system` input every 10 s,
reporting to a real collector. Measures utime+stime from /proc/<pid>/stat over the window.

Usage: bench/agent_idle.py [--seconds 120] [--bin-dir build]"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--bin-dir", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    args = ap.parse_args()
    harness.COLLECTOR = os.path.join(args.bin_dir, "collector", "beacon-collector")
    harness.AGENT = os.path.join(args.bin_dir, "agent", "beacon-agent")
    wd = harness.workdir("bench-idle")
    c = harness.Collector(wd).start()
    a = None
    try:
        token = c.create_token("bench-idle")
        a = harness.Agent(wd, "bench-idle", c.url, token, system=True)
        # system every 10 s, as shipped
        with open(a.config) as f:
            cfg = f.read().replace("interval: 1s", "interval: 10s")
        with open(a.config, "w") as f:
            f.write(cfg)
        a.start()
        time.sleep(5)  # start-up settles
        hz = os.sysconf("SC_CLK_TCK")
        t0, c0 = time.monotonic(), cpu_ticks(a.proc.pid)
        rss = []
        while time.monotonic() - t0 < args.seconds:
            time.sleep(5)
            rss.append(a.rss_kib())
        t1, c1 = time.monotonic(), cpu_ticks(a.proc.pid)
        samples = c.query("SELECT COUNT(*) FROM samples WHERE agent='bench-idle'")[0][0]
        print(json.dumps({
            "benchmark": "agent_idle_system_10s",
            "window_seconds": round(t1 - t0, 1),
            "cpu_percent": round((c1 - c0) / hz / (t1 - t0) * 100, 3),
            "rss_kib_min": min(rss), "rss_kib_max": max(rss),
            "samples_stored": samples,
        }, indent=2))
    finally:
        if a:
            a.stop()
        c.stop()


if __name__ == "__main__":
    main()
