#!/usr/bin/env python3
"""Soak with faults (issue 10, item 9): simulated agents and Zabbix webhooks against a real
beacon-collector that is SIGKILLed and restarted on a schedule, delivering to the fake WeCom app
and robot. Prints a summary table, writes a JSON report and exits 0 only when nothing was lost
or duplicated, every acknowledged alert was delivered exactly once per receiver and RSS stayed
flat. tests/soak/README.md explains every number. Standard library only.

Usage: tests/soak/run [--minutes 10] [--agents 200] [--kill-every 60] [--report PATH] ..."""
import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
sys.path.insert(0, HERE)

import alert_common  # noqa: E402
import harness  # noqa: E402
import loadgen  # noqa: E402
import verdict  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10, help="load duration (default 10)")
    ap.add_argument("--agents", type=int, default=200, help="simulated agents (default 200)")
    ap.add_argument("--kill-every", type=float, default=60,
                    help="seconds between collector SIGKILLs, 0: never (default 60)")
    ap.add_argument("--interval", type=float, default=2.0,
                    help="seconds between one agent's batches (default 2)")
    ap.add_argument("--events-per-batch", type=int, default=2)
    ap.add_argument("--samples-per-batch", type=int, default=3)
    ap.add_argument("--webhook-rate", type=float, default=1.0,
                    help="new Zabbix problems per second (default 1)")
    ap.add_argument("--hosts", type=int, default=8, help="Zabbix hosts (alert groups)")
    ap.add_argument("--resolve-fraction", type=float, default=0.5)
    ap.add_argument("--resolve-after", type=float, default=120.0,
                    help="seconds from a problem to its recovery (default 120, more than "
                         "group_wait + group_interval so the firing is announced first)")
    ap.add_argument("--replay-fraction", type=float, default=0.05)
    ap.add_argument("--rss-every", type=float, default=2.0, help="RSS sampling period (s)")
    ap.add_argument("--warmup", type=float, default=20.0,
                    help="seconds into each collector life before its RSS counts")
    ap.add_argument("--drain-timeout", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--bin-dir", default=os.path.join(SOURCE_DIR, "build"))
    ap.add_argument("--workdir", default=None, help="default: a new /tmp/beacon-soak-*")
    ap.add_argument("--report", default=None, help="JSON report (default WORKDIR/report.json)")
    return ap.parse_args(argv)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Supervisor:
    """Owns the collector process: SIGKILLs and restarts it every kill_every seconds until the
    deadline and samples its VmRSS. Runs on two threads of its own; `lives` and `rss` are only
    appended to, and read after join()."""

    def __init__(self, collector, t0, deadline, kill_every, rss_every):
        self.collector = collector
        self.t0 = t0
        self.deadline = deadline
        self.kill_every = kill_every
        self.rss_every = rss_every
        self.lives = []  # {"life", "spawned", "healthy", "killed", "pid"} (seconds since t0)
        self.rss = []  # (t, life, age, kib)
        self.error = None
        self.done = threading.Event()
        self.stop_sampling = threading.Event()
        self._threads = []

    def start_life(self):
        spawned = time.monotonic() - self.t0
        self.collector.start()
        self.lives.append({"life": len(self.lives), "spawned": round(spawned, 3),
                           "healthy": round(time.monotonic() - self.t0, 3),
                           "pid": self.collector.proc.pid, "killed": None})

    def run(self):
        self._threads = [threading.Thread(target=self._kill_loop, daemon=True),
                         threading.Thread(target=self._sample_loop, daemon=True)]
        for t in self._threads:
            t.start()

    def _kill_loop(self):
        try:
            k = 1
            while self.kill_every > 0 and self.t0 + k * self.kill_every < self.deadline:
                delay = self.t0 + k * self.kill_every - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.collector.kill()
                self.lives[-1]["killed"] = round(time.monotonic() - self.t0, 3)
                self.start_life()
                k += 1
        except Exception as e:  # reported in the verdict; the load stops early
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.done.set()

    def _sample_loop(self):
        while not self.stop_sampling.wait(self.rss_every):
            life = self.lives[-1]
            kib = rss_kib(life["pid"])
            if kib is not None:
                now = time.monotonic() - self.t0
                self.rss.append((round(now, 2), life["life"], round(now - life["spawned"], 2), kib))

    def join(self):
        self.done.wait()
        self.stop_sampling.set()
        for t in self._threads:
            t.join()


def collector_yaml(fake):
    """Receivers, one route to both and the outbox settings the checks rely on."""
    receivers = (alert_common.app_receiver("ops-app", fake) +
                 alert_common.robot_receiver("ops-robot", fake))
    routes = """  routes:
    - name: everything
      receivers: [ops-app, ops-robot]
      group_by: [source, host]
      group_wait: 10s
      group_interval: 1m
      repeat_interval: 0s
  outbox:
    summary_titles: 1000
"""
    return receivers, routes


async def drive(args, collector, tokens, supervisor, t0, deadline, rng):
    stats = loadgen.IngestStats()
    cfg = {"timeout": 10.0, "interval": args.interval, "events_per_batch": args.events_per_batch,
           "samples_per_batch": args.samples_per_batch, "batch_max_records": 1000,
           "backoff_initial": 0.5, "backoff_max": 60.0}
    agents = [loadgen.SimAgent(name, token, collector.port, cfg, stats,
                               random.Random(rng.random()),
                               f"127.0.{1 + i // 250}.{1 + i % 250}")
              for i, (name, token) in enumerate(tokens)]
    zabbix = loadgen.ZabbixSource(collector.port, collector.zabbix_token, {
        "timeout": 10.0, "rate": args.webhook_rate, "hosts": args.hosts,
        "resolve_fraction": args.resolve_fraction, "resolve_after": args.resolve_after,
        "replay_fraction": args.replay_fraction}, random.Random(rng.random()))
    ended = asyncio.Event()
    stop = asyncio.Event()
    agent_tasks = [asyncio.ensure_future(a.run(ended, stop)) for a in agents]
    zabbix_task = asyncio.ensure_future(zabbix.run(ended))

    while time.monotonic() < deadline and supervisor.error is None:
        await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    ended.set()
    await zabbix_task
    await asyncio.get_running_loop().run_in_executor(None, supervisor.join)
    ended_at = time.monotonic() - t0
    print(f"soak: load ended at {ended_at:.0f}s; draining agents and webhooks", flush=True)
    try:
        await asyncio.wait_for(asyncio.gather(*agent_tasks, zabbix.drain()), args.drain_timeout)
    except asyncio.TimeoutError:
        stop.set()
        await asyncio.gather(*agent_tasks, return_exceptions=True)
    return agents, zabbix, stats, ended_at


def alerts_drained(collector):
    con = sqlite3.connect(f"file:{collector.alerts_db}?mode=ro", uri=True, timeout=10)
    try:
        groups = con.execute(
            "SELECT COUNT(*) FROM alert_groups WHERE next_flush_ms IS NOT NULL").fetchone()[0]
        rows = con.execute("SELECT COUNT(*) FROM outbox_rows WHERE delivery_id IS NULL"
                           ).fetchone()[0]
        pending = con.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'"
                              ).fetchone()[0]
    finally:
        con.close()
    return (groups, rows, pending) == (0, 0, 0), {"groups_due": groups, "rows_queued": rows,
                                                   "deliveries_pending": pending}


def read_store(collector):
    events = collector.query("SELECT agent, seq, subject FROM events WHERE kind = 'soak.event'")
    samples = collector.query("SELECT agent, seq, value FROM samples WHERE metric = 'soak.value'")
    con = sqlite3.connect(f"file:{collector.alerts_db}?mode=ro", uri=True, timeout=10)
    try:
        receipts = dict(con.execute("SELECT receipt_key, alert_id FROM receipts"))
        alerts = dict(con.execute("SELECT id, status FROM alerts WHERE source = 'zabbix'"))
        deliveries = {f"{r}:{s}": n for r, s, n in con.execute(
            "SELECT receiver, state, COUNT(*) FROM deliveries GROUP BY receiver, state")}
        summaries = {}
        for delivery_id, receiver, notification in con.execute(
                "SELECT id, receiver, notification_json FROM deliveries WHERE kind = 'summary'"):
            entries = [(a["id"], a["status"]) for a in json.loads(notification)["alerts"]]
            summaries.setdefault(receiver, []).append((delivery_id, entries))
        queued = {}
        for receiver, alert_id, status in con.execute(
                "SELECT r.receiver, e.alert_id, e.status FROM outbox_entries e "
                "JOIN outbox_rows r ON r.id = e.row_id"):
            queued.setdefault(receiver, set()).add((alert_id, status))
    finally:
        con.close()
    return events, samples, receipts, alerts, deliveries, summaries, queued


def latency_summary(latencies, lives, settle=5.0):
    """Milliseconds; `steady` leaves out requests started within `settle` s of a restart."""
    all_ms = [s * 1000 for _, s in latencies]
    healthy = [life["healthy_wall"] for life in lives[1:]]
    steady = [s * 1000 for start, s in latencies
              if not any(h <= start < h + settle for h in healthy)]

    def r(x):
        return None if x is None else round(x, 1)

    return {"requests": len(all_ms), "p50_ms": r(verdict.percentile(all_ms, 50)),
            "p90_ms": r(verdict.percentile(all_ms, 90)),
            "p99_ms": r(verdict.percentile(all_ms, 99)), "max_ms": r(max(all_ms, default=None)),
            "steady_requests": len(steady), "steady_p99_ms": r(verdict.percentile(steady, 99))}


def table(report):
    ev, sa, ing = report["events"], report["samples"], report["ingest"]
    wh, rss = report["webhooks"], report["rss"]
    lines = [
        f"soak: {report['config']['agents']} agents, {report['config']['minutes']} min, "
        f"{len(report['kills'])} SIGKILLs, workdir {report['workdir']}",
        "",
        f"{'':24}{'sent':>10}{'acked':>10}{'stored':>10}{'lost':>8}{'dup':>8}{'extra':>8}",
        f"{'events':24}{ev['sent']:>10}{ev['acked']:>10}{ev['stored']:>10}{ev['lost']:>8}"
        f"{ev['duplicated']:>8}{ev['unexpected']:>8}",
        f"{'samples':24}{sa['sent']:>10}{sa['acked']:>10}{sa['stored']:>10}{sa['lost']:>8}"
        f"{sa['duplicated']:>8}{sa['unexpected']:>8}",
        "",
        f"ingest: {ing['requests']} acked batches, latency p50 {ing['p50_ms']} ms, "
        f"p90 {ing['p90_ms']} ms, p99 {ing['p99_ms']} ms, max {ing['max_ms']} ms "
        f"(p99 outside 5 s after restarts: {ing['steady_p99_ms']} ms); errors "
        f"{dict(report['ingest_errors'])}",
        f"webhooks: {wh['posted']} posted, {wh['acked']} acked ({wh['problems']} problems, "
        f"{wh['recoveries']} recoveries, {wh['replays']} replays), {wh['alerts_stored']} alerts "
        f"stored; outcomes {wh['outcomes']}",
        "",
        f"{'announcements':24}{'expected':>10}{'once':>10}{'missing':>10}{'dup':>8}{'extra':>8}"
        f"{'msgs':>8}",
    ]
    for name, d in report["deliveries"].items():
        lines.append(f"{name:24}{d['expected']:>10}{d['exactly_once']:>10}{d['missing']:>10}"
                     f"{d['duplicated']:>8}{d['unexpected']:>8}{d['messages']:>8}")
    for name, d in report["deliveries"].items():
        lines.append(f"  {name}: {d['summaries_credited']} truncated summaries credited from the "
                     f"store ({d['credited_by_store']} alerts), {d['summaries_unmatched']} "
                     f"unmatched; {d['resolved_before_notified']} alerts resolved before their "
                     "first notification (announced by neither state, by design)")
    lines += ["", "collector RSS (median KiB per life, ages "
              f"{report['config']['warmup']:.0f}..{report['config']['kill_every'] - 5:.0f} s): " +
              ", ".join(str(m["median_kib"]) for m in rss["per_life"]),
              f"RSS spread {rss['spread_pct']} %, first→last {rss['growth_pct']} %, "
              f"max {rss['max_kib']} KiB",
              "",
              "PASS" if report["pass"] else "FAIL: " + "; ".join(report["failures"])]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    harness.COLLECTOR = os.environ.get(
        "BEACON_COLLECTOR", os.path.join(args.bin_dir, "collector", "beacon-collector"))
    if not os.access(harness.COLLECTOR, os.X_OK):
        sys.exit(f"soak: no collector at {harness.COLLECTOR} (build it: ./scripts/build "
                 "beacon-collector, or pass --bin-dir / BEACON_COLLECTOR)")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    wd = args.workdir or harness.workdir("soak")
    os.makedirs(wd, exist_ok=True)
    report_path = args.report or os.path.join(wd, "report.json")

    fake = alert_common.fake_wecom(wd)
    receivers, routes = collector_yaml(fake)
    collector = alert_common.AlertCollector(wd, receivers, routes)
    collector.start()
    tokens = [(f"soak-{i:03d}", collector.create_token(f"soak-{i:03d}"))
              for i in range(args.agents)]
    print(f"soak: collector on {collector.url}, {args.agents} agents, {args.minutes} min, "
          f"SIGKILL every {args.kill_every} s, workdir {wd}", flush=True)

    t0 = time.monotonic()
    wall0 = time.time()
    deadline = t0 + args.minutes * 60
    supervisor = Supervisor(collector, t0, deadline, args.kill_every, args.rss_every)
    supervisor.lives.append({"life": 0, "spawned": 0.0, "healthy": 0.0,
                             "pid": collector.proc.pid, "killed": None})
    supervisor.run()
    try:
        agents, zabbix, stats, ended_at = asyncio.run(
            drive(args, collector, tokens, supervisor, t0, deadline, rng))
        drain_deadline = time.monotonic() + args.drain_timeout
        while True:
            drained, backlog = alerts_drained(collector)
            if drained or time.monotonic() > drain_deadline:
                break
            time.sleep(2)
        settled_at = time.monotonic() - t0
        rss_samples = list(supervisor.rss)
        collector.stop()
        fake_stats = fake.stats()
        with open(os.path.join(wd, "wecom-messages.json"), "w") as f:
            json.dump(fake_stats["messages"], f, ensure_ascii=False, indent=1)
    finally:
        collector.stop()
        fake.stop()

    (events_rows, samples_rows, receipts, alerts, deliveries_by_state, summaries,
     queued) = read_store(collector)
    events = verdict.check_records({a.name: a.events for a in agents}, events_rows,
                                   {a.name: a.acked_through for a in agents})
    samples = verdict.check_records({a.name: a.samples for a in agents}, samples_rows,
                                    {a.name: a.acked_through for a in agents})
    webhooks, webhook_problems = verdict.check_webhooks(zabbix.posts, receipts, alerts)
    expected = verdict.expected_announcements(zabbix.posts)
    deliveries = {}
    for receiver, path in (("ops-app", "/cgi-bin/message/send"),
                           ("ops-robot", "/cgi-bin/webhook/send")):
        bodies = [m["body"] for m in fake_stats["messages"] if m["path"] == path]
        counts, info = verdict.delivery_counts(bodies, summaries.get(receiver, []))
        unannounced = verdict.resolved_before_notified(expected, queued.get(receiver, set()))
        d = verdict.check_deliveries(expected - unannounced, counts)
        d["resolved_before_notified"] = len(unannounced) // 2
        d.update(messages=len(bodies), **info)
        deliveries[receiver] = d
    for life in supervisor.lives:
        life["healthy_wall"] = wall0 + life["healthy"]
    ingest = latency_summary(stats.latencies, supervisor.lives)
    rss = verdict.rss_flatness(rss_samples, args.kill_every or args.minutes * 60, args.warmup)

    failures = []
    if supervisor.error:
        failures.append(f"collector restart failed: {supervisor.error}")
    for name, r in (("events", events), ("samples", samples)):
        if r["lost"] or r["duplicated"] or r["unexpected"] or r["acked"] != r["sent"]:
            failures.append(f"{name}: {r['sent'] - r['acked']} unacked, {r['lost']} lost, "
                            f"{r['duplicated']} duplicated, {r['unexpected']} unexpected")
    failures += webhook_problems[:20]
    if not drained:
        failures.append(f"outbox not drained after {args.drain_timeout:.0f} s: {backlog}")
    for name, d in deliveries.items():
        if d["missing"] or d["duplicated"] or d["unexpected"]:
            failures.append(f"{name}: {d['missing']} missing, {d['duplicated']} duplicated, "
                            f"{d['unexpected']} unexpected announcements")
    if rss["spread_pct"] is not None and rss["spread_pct"] > 10.0:
        failures.append(f"RSS not flat: spread {rss['spread_pct']} % over "
                        f"{rss['lives_compared']} lives")
    for life in supervisor.lives:
        del life["healthy_wall"]

    report = {
        "config": {k: v for k, v in vars(args).items() if k not in ("workdir", "report")},
        "seed": seed, "workdir": wd, "collector": harness.COLLECTOR,
        "load_ended_s": round(ended_at, 1), "settled_s": round(settled_at, 1),
        "kills": [{"at_s": life["killed"], "down_s": round(nxt["healthy"] - life["killed"], 3)}
                  for life, nxt in zip(supervisor.lives, supervisor.lives[1:])],
        "lives": supervisor.lives,
        "events": events, "samples": samples,
        "ingest": ingest, "ingest_errors": dict(stats.errors),
        "acks": {"accepted": stats.accepted, "duplicates": stats.duplicates},
        "webhooks": webhooks, "webhook_problems": webhook_problems,
        "deliveries": deliveries, "deliveries_by_state": deliveries_by_state,
        "fake_wecom": {"sends": fake_stats["sends"], "duplicates_suppressed":
                       fake_stats["duplicates"], "rejected": fake_stats["rejected"],
                       "gettoken": fake_stats["gettoken"]},
        "rss": rss, "rss_samples": rss_samples,
        "pass": not failures, "failures": failures,
    }
    with open(report_path, "w") as f:
        json.dump(report, f, indent=1)
    print(table(report))
    print(f"soak: report {report_path}")
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
