#!/usr/bin/env python3
"""Benchmark: persisted alert-webhook ingest of beacon-collector vs Prometheus Alertmanager, and
webhook-to-WeCom latency through the whole pipeline (route, group, outbox, wecom_app notifier)
against the fake WeCom API (tests/fakes/wecom_server.py).

Both servers get the same number of distinct alerts, one alert per HTTP request, from the same
client (--threads keep-alive connections), with the same grouping (every alert its own group,
group_wait 30s, so notifications start after the measurement): beacon on
POST /api/v1/alerts/zabbix (each alert committed to SQLite with fsync before the 200),
Alertmanager 0.25 (Debian prometheus-alertmanager) on POST /api/v2/alerts (kept in memory; its
snapshot to disk is periodic). beacon is measured a second time with group_wait 0s, delivering
every alert to the fake WeCom while they arrive. Then --latency alerts are posted one at a time,
50 ms apart, and the time from each 200 to the fake WeCom receiving the message that names the
alert is measured.

Usage: bench/alerts_vs_alertmanager.py [--alerts 5000] [--threads 8] [--latency 200] [--bin-dir build]
Prints one JSON object. Not part of the test suite (see bench/README.md)."""
import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import alert_common  # noqa: E402


def post_all(port, path, bodies, headers, threads):
    """POSTs every body (one request each) over `threads` keep-alive connections; returns the
    elapsed seconds from the first request to the last reply. Any non-2xx aborts."""
    lock = threading.Lock()
    queue = list(reversed(bodies))
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue or errors:
                    break
                body = queue.pop()
            conn.request("POST", path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            if r.status // 100 != 2:
                with lock:
                    errors.append(f"{r.status} {data[:200]!r}")
        conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{path}: {len(errors)} requests failed, first: {errors[0]}")
    return elapsed


def zabbix_body(event_id):
    p = alert_common.zabbix_params(event_id, host=f"bench-{event_id % 50:02d}",
                                   trigger_id=str(100000 + event_id))
    return json.dumps(p).encode()


def beacon_routes(group_wait):
    return f"""  routes:
    - name: all
      receivers: [ops-app]
      group_by: [fingerprint]
      group_wait: {group_wait}
      group_interval: 1s
  outbox:
    workers: 4
    summary_after: 1000000
"""


def run_beacon(args, wd, group_wait, latency):
    """Posts args.alerts alerts; with group_wait 30s (Alertmanager's default, also used for it)
    notifications start after the measurement, with 0s the whole pipeline delivers to the fake
    WeCom while the alerts arrive. Optionally measures webhook-to-WeCom latency afterwards."""
    run_dir = os.path.join(wd, f"beacon-{group_wait}")
    os.makedirs(run_dir)
    wecom = alert_common.fake_wecom(run_dir)
    collector = alert_common.alert_collector(
        run_dir, wecom, receivers=alert_common.app_receiver("ops-app", wecom),
        routes_yaml=beacon_routes(group_wait)).start()
    try:
        headers = {"Authorization": f"Bearer {collector.zabbix_token}",
                   "Content-Type": "application/json"}
        bodies = [zabbix_body(i) for i in range(1, args.alerts + 1)]
        elapsed = post_all(collector.port, "/api/v1/alerts/zabbix", bodies, headers, args.threads)
        stored = collector.alert_count()
        assert stored == args.alerts, (stored, args.alerts)
        result = {"alerts": args.alerts, "group_wait": group_wait,
                  "seconds": round(elapsed, 3), "alerts_per_s": round(args.alerts / elapsed, 1)}
        if latency:
            # Let the storm drain so the latency phase measures an idle pipeline.
            harness.wait_for(lambda: wecom.stats()["sends"] >= args.alerts, 600,
                             "the ingest storm delivered")
            result["latency_ms"] = measure_latency(args, collector, wecom, headers)
        return result
    finally:
        collector.stop()
        wecom.stop()


def measure_latency(args, collector, wecom, headers):
    conn = http.client.HTTPConnection("127.0.0.1", collector.port, timeout=30)
    acked = {}
    base = 10_000_000
    for i in range(args.latency):
        conn.request("POST", "/api/v1/alerts/zabbix", body=zabbix_body(base + i), headers=headers)
        r = conn.getresponse()
        reply = json.loads(r.read())
        assert r.status == 200, reply
        acked[reply["alert_id"]] = time.time()
        time.sleep(0.05)
    harness.wait_for(lambda: wecom.stats()["sends"] >= args.alerts + args.latency, 120,
                     "latency alerts delivered")
    seen = {}
    for m in wecom.stats()["messages"]:
        for alert_id in alert_common.alert_ids(m["body"]):
            if alert_id in acked and alert_id not in seen:
                seen[alert_id] = m["ts"]
    lat = sorted((seen[a] - acked[a]) * 1000 for a in acked if a in seen)
    assert len(lat) == len(acked), (len(lat), len(acked))
    return {"p50": round(statistics.median(lat), 2),
            "p99": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
            "max": round(lat[-1], 2), "n": len(lat)}


def run_alertmanager(args, wd):
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not binary:
        raise SystemExit("prometheus-alertmanager is missing: run scripts/bootstrap")
    port = harness.free_port()
    config = os.path.join(wd, "alertmanager.yml")
    with open(config, "w") as f:
        f.write("route:\n  receiver: blackhole\n  group_by: ['...']\n  group_wait: 30s\n"
                "receivers:\n  - name: blackhole\n")
    log = open(os.path.join(wd, "alertmanager.log"), "wb")
    proc = subprocess.Popen([binary, f"--config.file={config}",
                             f"--storage.path={os.path.join(wd, 'am-data')}",
                             f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address="], stdout=log, stderr=log)
    try:
        harness.wait_for(lambda: _am_ready(port), 30, "alertmanager ready")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        bodies = [json.dumps([{
            "labels": {"alertname": "Trap too high", "instance": f"bench-{i % 50:02d}",
                       "eventid": str(i), "severity": "high", "trigger": str(100000 + i)},
            "annotations": {"summary": f"Problem: Trap too high on bench-{i % 50:02d}: {i}",
                            "description": "Problem started at 03:20:40 on 2026.11.26"},
            "startsAt": now}]).encode() for i in range(1, args.alerts + 1)]
        elapsed = post_all(port, "/api/v2/alerts", bodies, {"Content-Type": "application/json"},
                           args.threads)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/v2/alerts?active=true&silenced=true&inhibited=true")
        held = len(json.loads(conn.getresponse().read()))
        assert held == args.alerts, (held, args.alerts)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True)
        first = (version.stdout or version.stderr).splitlines()[0]
        return {"alerts": args.alerts, "seconds": round(elapsed, 3),
                "alerts_per_s": round(args.alerts / elapsed, 1), "version": first}
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _am_ready(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/-/ready")
        return conn.getresponse().status == 200
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--latency", type=int, default=200)
    ap.add_argument("--bin-dir", default=os.path.join(HERE, "..", "build"))
    args = ap.parse_args()
    harness.COLLECTOR = os.path.join(args.bin_dir, "collector", "beacon-collector")
    wd = harness.workdir("bench-alerts")
    try:
        beacon = run_beacon(args, wd, "30s", latency=False)
        beacon_delivering = run_beacon(args, wd, "0s", latency=True)
        am = run_alertmanager(args, wd)
    finally:
        shutil.rmtree(wd, ignore_errors=True)
    print(json.dumps({"beacon": beacon, "beacon_while_delivering": beacon_delivering,
                      "alertmanager": am,
                      "ingest_ratio_beacon_vs_alertmanager":
                          round(beacon["alerts_per_s"] / am["alerts_per_s"], 2)}, indent=2))


if __name__ == "__main__":
    main()
