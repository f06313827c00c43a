"""The soak's checks as pure functions over what the load generator sent and what the collector
stored and the fake WeCom received (tests/soak/README.md defines each number). Tested by
tests/soak/test_verdict.py without any process."""
import re
import statistics

# A line announcing one alert: an optional "(i/n) " part prefix, the alert's marker (severity,
# or ✅ once resolved; notifier/render/render.cpp SeverityMarker, kResolvedMarker), then its
# "#<id>" in the heading or the summary's title line.
ANNOUNCE = re.compile(r"^(?:\(\d+/\d+\) )?(🔴|🟠|🟡|🔵|⚪|✅) [^#\n]*#(\d+)\b", re.M)
RESOLVED_MARKER = "✅"
# A summary that names fewer alerts than it covers ("… and K more: ...").
MORE = re.compile(r"… and \d+ more|…另有 \d+ 条")


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


def message_text(body):
    """The text of a WeCom app or robot request body (text, markdown or textcard)."""
    for kind in ("text", "markdown", "markdown_v2"):
        if kind in body:
            return body[kind]["content"]
    if "textcard" in body:
        return body["textcard"]["title"] + "\n" + body["textcard"]["description"]
    return ""


def announcements(text):
    """[(alert_id, "firing"|"resolved")] announced by one delivered message, in order."""
    return [(int(m.group(2)), "resolved" if m.group(1) == RESOLVED_MARKER else "firing")
            for m in ANNOUNCE.finditer(text)]


def delivery_counts(messages, summaries=()):
    """Counts of (alert_id, status) announced by delivered messages.

    A storm summary names at most 10 of its alerts (notifier/render/render.cpp) and ends with
    "… and K more". Such a message is matched to the summary delivery in the collector's store
    that covers every alert it names (`summaries`: [(delivery_id, [(alert_id, status)])]), and
    is counted as announcing all of that delivery's alerts. Returns (counts, info) where info
    counts the summaries credited this way and those that matched no delivery."""
    counts = {}
    info = {"summaries_credited": 0, "summaries_unmatched": 0, "credited_by_store": 0}
    for body in messages:
        text = message_text(body)
        named = announcements(text)
        if MORE.search(text):
            named_set = set(named)
            match = [entries for _, entries in summaries if named_set <= set(entries)]
            if len(match) == 1:
                info["summaries_credited"] += 1
                info["credited_by_store"] += len(match[0]) - len(named_set)
                named = match[0]
            else:
                info["summaries_unmatched"] += 1
        for key in named:
            counts[key] = counts.get(key, 0) + 1
    return counts, info


def check_deliveries(expected, counts, limit=20):
    """expected: set of (alert_id, status) that must each be announced exactly once."""
    missing = sorted(k for k in expected if counts.get(k, 0) == 0)
    duplicated = {f"{a}:{s}": n for (a, s), n in sorted(counts.items())
                  if n > 1 and (a, s) in expected}
    unexpected = sorted(k for k in counts if k not in expected)
    return {
        "expected": len(expected),
        "exactly_once": sum(1 for k in expected if counts.get(k, 0) == 1),
        "missing": len(missing),
        "duplicated": len(duplicated),
        "unexpected": len(unexpected),
        "missing_examples": [f"{a}:{s}" for a, s in missing[:limit]],
        "duplicated_examples": dict(list(duplicated.items())[:limit]),
        "unexpected_examples": [f"{a}:{s}" for a, s in unexpected[:limit]],
    }


def check_records(sent, stored, acked_through):
    """sent: {agent: {seq: key}}; stored: iterable of (agent, seq, key); acked_through:
    {agent: seq}. `key` identifies the logical record independently of its seq (an event's
    subject), so a record stored twice under two seqs shows as a duplicate.
    lost: acknowledged (seq <= acked_through) but not stored with its key."""
    stored_keys = {}
    per_key = {}
    unexpected = 0
    total = 0
    for agent, seq, key in stored:
        total += 1
        stored_keys[(agent, seq)] = key
        per_key[(agent, key)] = per_key.get((agent, key), 0) + 1
        if sent.get(agent, {}).get(seq) != key:
            unexpected += 1
    sent_total = acked = lost = 0
    for agent, records in sent.items():
        through = acked_through.get(agent, 0)
        for seq, key in records.items():
            sent_total += 1
            if seq <= through:
                acked += 1
                if stored_keys.get((agent, seq)) != key:
                    lost += 1
    duplicated = sum(n - 1 for n in per_key.values() if n > 1)
    return {"sent": sent_total, "acked": acked, "stored": total, "lost": lost,
            "duplicated": duplicated, "unexpected": unexpected}


def check_webhooks(posts, receipts, alerts):
    """posts: the generator's records ({"kind", "event_id", "acked", "alert_id", "outcome",
    "original_alert_id"?}); receipts: {receipt_key: alert_id}; alerts: {alert_id: status}.
    Returns the counts and the problems found (an acknowledged webhook whose receipt or alert is
    missing or different, a replay not answered as a duplicate of the same alert)."""
    problems = []
    counts = {"posted": len(posts), "acked": 0, "unacked": 0, "problems": 0, "recoveries": 0,
              "replays": 0, "outcomes": {}}
    resolved_ids = set()
    firing_ids = set()
    for p in posts:
        if not p.get("acked"):
            counts["unacked"] += 1
            problems.append(f"webhook {p['kind']} of event {p['event_id']} never acknowledged")
            continue
        counts["acked"] += 1
        outcome = p.get("outcome")
        key = f"{p['kind']}:{outcome}"
        counts["outcomes"][key] = counts["outcomes"].get(key, 0) + 1
        if p["kind"] == "replay":
            counts["replays"] += 1
            if outcome != "duplicate" or p.get("alert_id") != p.get("original_alert_id"):
                problems.append(f"replay of event {p['event_id']} answered {outcome} "
                                f"#{p.get('alert_id')}, expected duplicate "
                                f"#{p.get('original_alert_id')}")
            continue
        value = "1" if p["kind"] == "problem" else "0"
        expected_outcomes = ("new", "duplicate") if value == "1" else ("resolved", "duplicate")
        counts["problems" if value == "1" else "recoveries"] += 1
        if outcome not in expected_outcomes:
            problems.append(f"{p['kind']} of event {p['event_id']} answered {outcome}")
        receipt = receipts.get(f"zabbix:{p['event_id']}:{value}")
        if receipt is None:
            problems.append(f"acknowledged {p['kind']} of event {p['event_id']} has no receipt")
        elif receipt != p.get("alert_id"):
            problems.append(f"{p['kind']} of event {p['event_id']}: receipt names #{receipt}, "
                            f"the reply #{p.get('alert_id')}")
        if p.get("alert_id") not in alerts:
            problems.append(f"acknowledged {p['kind']} of event {p['event_id']}: alert "
                            f"#{p.get('alert_id')} is not in the store")
        (firing_ids if value == "1" else resolved_ids).add(p.get("alert_id"))
    for alert_id in firing_ids:
        want = "resolved" if alert_id in resolved_ids else "firing"
        if alerts.get(alert_id, want) != want:
            problems.append(f"alert #{alert_id} is {alerts[alert_id]}, expected {want}")
    extra = set(alerts) - firing_ids
    if extra:
        problems.append(f"{len(extra)} alerts in the store that no acknowledged problem created")
    counts["alerts_stored"] = len(alerts)
    return counts, problems


def expected_announcements(posts):
    """Each acknowledged problem is announced firing, each acknowledged recovery resolved."""
    expected = set()
    for p in posts:
        if p.get("acked") and p["kind"] in ("problem", "recovery"):
            expected.add((p["alert_id"], "firing" if p["kind"] == "problem" else "resolved"))
    return expected


def resolved_before_notified(expected, queued):
    """The announcements the collector rightly never made: an alert whose recovery arrived
    before its group's first notification is not announced at all (collector/alerts/
    alert_store_groups.cpp FlushGroup), so neither its firing nor its resolution was ever queued for
    the receiver. queued: the (alert_id, status) pairs in the receiver's outbox rows."""
    out = set()
    for alert_id, status in expected:
        if status != "resolved":
            continue
        pair = {(alert_id, "firing"), (alert_id, "resolved")}
        if pair <= expected and not pair & queued:
            out |= pair
    return out


def rss_flatness(samples, kill_every, warmup):
    """samples: [(t, life, age_s, rss_kib)]. For every life that was killed on schedule (all
    but the last), the median RSS over ages [warmup, kill_every - 5]: like is compared with like,
    since every SIGKILL restarts RSS from zero. spread = (max - min) / min of those medians;
    growth = (last - first) / first."""
    lives = sorted({life for _, life, _, _ in samples})
    full = lives[:-1]
    medians = []
    for life in full:
        window = [kib for _, l, age, kib in samples
                  if l == life and warmup <= age <= kill_every - 5]
        if window:
            medians.append({"life": life, "median_kib": int(statistics.median(window)),
                            "samples": len(window)})
    out = {"lives_compared": len(medians), "per_life": medians}
    if len(medians) >= 2:
        values = [m["median_kib"] for m in medians]
        out["spread_pct"] = round(100.0 * (max(values) - min(values)) / min(values), 2)
        out["growth_pct"] = round(100.0 * (values[-1] - values[0]) / values[0], 2)
    else:
        out["spread_pct"] = out["growth_pct"] = None
    ages = [kib for _, l, age, kib in samples if lives and l == lives[-1]]
    out["last_life_max_kib"] = max(ages) if ages else None
    out["max_kib"] = max((kib for *_, kib in samples), default=None)
    return out
