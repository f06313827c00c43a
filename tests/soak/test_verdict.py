"""Tests of the soak's checks (tests/soak/verdict.py): each check must notice the fault it is
there for. Run: python3 -m unittest discover -s tests/soak (no build, no processes)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verdict  # noqa: E402

# Bodies as the collector sent them to the fake WeCom during a soak run.
APP_SINGLE = {"msgtype": "text", "agentid": 1000002, "text": {"content": (
    "🟠 [High] FIRING #1 Problem: Trap too high on soak-zbx-04: 500\nHost: soak-zbx-04\n"
    "Message: Problem started at 03:20:40 on 2026.11.26\nHost: soak-zbx-04\n"
    "Link: https://zabbix.example.test/tr_events.php?triggerid=1500001&eventid=1000001")}}
ROBOT_GROUP = {"msgtype": "markdown", "markdown": {"content": (
    "🟡 **3 alerts** (2 firing, 1 resolved)\n\n"
    "🟡 <font color=\"warning\">**Average FIRING**</font> #7 **Problem: Trap too high**\n"
    "> Host: soak-zbx-01 · Started: 2026-11-26 03:20:40 CST\n"
    "✅ <font color=\"info\">**Warning RESOLVED**</font> #3 **Problem: Trap too high**\n"
    "🔵 <font color=\"warning\">**Warning FIRING**</font> #9 **Problem: Trap too high**\n"
    "[View details](https://zabbix.example.test/tr_events.php?triggerid=1&eventid=2)")}}
APP_PART = {"msgtype": "text", "agentid": 1000002, "text": {"content": (
    "(2/2) ✅ [Warning] RESOLVED #11 Problem: Trap too high\n  Host: soak-zbx-02")}}
SUMMARY = {"msgtype": "text", "agentid": 1000002, "text": {"content": (
    "📊 Alert summary: 4 alerts (3 firing, 1 resolved)\n"
    "By severity: 🟠 High 2, 🔵 Warning 2\nTop hosts: soak-zbx-06 4\n"
    "🟠 #17 Problem: Trap too high on soak-zbx-07: 500 (soak-zbx-07)\n"
    "✅ #20 Problem: Trap too high on soak-zbx-06: 500 (soak-zbx-06)\n"
    "… and 2 more: beaconctl alerts")}}


class AnnouncementTest(unittest.TestCase):
    def test_reads_ids_and_status_from_every_message_form(self):
        self.assertEqual(verdict.announcements(verdict.message_text(APP_SINGLE)),
                         [(1, "firing")])
        self.assertEqual(verdict.announcements(verdict.message_text(ROBOT_GROUP)),
                         [(7, "firing"), (3, "resolved"), (9, "firing")])
        self.assertEqual(verdict.announcements(verdict.message_text(APP_PART)),
                         [(11, "resolved")])

    def test_ids_in_links_and_counts_are_not_announcements(self):
        body = {"text": {"content": "Link: https://x.test/#5\n  #6 no marker\n🟠 **2 alerts**"}}
        self.assertEqual(verdict.announcements(verdict.message_text(body)), [])


class DeliveryCountTest(unittest.TestCase):
    def test_truncated_summary_is_credited_with_its_delivery_from_the_store(self):
        store = [(40, [(17, "firing"), (20, "resolved"), (21, "firing"), (22, "firing")]),
                 (41, [(30, "firing")])]
        counts, info = verdict.delivery_counts([SUMMARY], store)
        self.assertEqual(counts, {(17, "firing"): 1, (20, "resolved"): 1, (21, "firing"): 1,
                                  (22, "firing"): 1})
        self.assertEqual(info["summaries_credited"], 1)
        self.assertEqual(info["credited_by_store"], 2)

    def test_summary_matching_no_delivery_credits_only_what_it_names(self):
        counts, info = verdict.delivery_counts([SUMMARY], [(40, [(17, "firing")])])
        self.assertEqual(set(counts), {(17, "firing"), (20, "resolved")})
        self.assertEqual(info["summaries_unmatched"], 1)

    def test_missing_duplicated_and_unexpected_are_reported(self):
        counts, _ = verdict.delivery_counts([APP_SINGLE, APP_SINGLE, APP_PART])
        result = verdict.check_deliveries({(1, "firing"), (2, "firing")}, counts)
        self.assertEqual(result["exactly_once"], 0)
        self.assertEqual(result["missing_examples"], ["2:firing"])
        self.assertEqual(result["duplicated_examples"], {"1:firing": 2})
        self.assertEqual(result["unexpected_examples"], ["11:resolved"])

    def test_exactly_once(self):
        counts, _ = verdict.delivery_counts([ROBOT_GROUP])
        result = verdict.check_deliveries({(7, "firing"), (3, "resolved"), (9, "firing")},
                                          counts)
        self.assertEqual((result["exactly_once"], result["missing"], result["duplicated"],
                          result["unexpected"]), (3, 0, 0, 0))

    def test_alert_resolved_before_any_notification_is_not_expected(self):
        expected = {(1, "firing"), (1, "resolved"), (2, "firing"), (2, "resolved")}
        queued = {(2, "firing"), (2, "resolved")}
        self.assertEqual(verdict.resolved_before_notified(expected, queued),
                         {(1, "firing"), (1, "resolved")})
        # Queued firing but never its resolution: both stay expected.
        self.assertEqual(verdict.resolved_before_notified(expected, queued | {(1, "firing")}),
                         set())


class RecordTest(unittest.TestCase):
    def test_lost_duplicated_unexpected(self):
        sent = {"a": {10: "a/e0", 11: "a/e1", 12: "a/e2"}}
        stored = [("a", 10, "a/e0"), ("a", 13, "a/e0"), ("a", 12, "a/e2"), ("b", 1, "x")]
        r = verdict.check_records(sent, stored, {"a": 12})
        self.assertEqual((r["sent"], r["acked"], r["stored"], r["lost"], r["duplicated"],
                          r["unexpected"]), (3, 3, 4, 1, 1, 2))

    def test_unacked_records_are_not_lost(self):
        r = verdict.check_records({"a": {10: "k", 11: "l"}}, [("a", 10, "k")], {"a": 10})
        self.assertEqual((r["acked"], r["lost"]), (1, 0))


class WebhookTest(unittest.TestCase):
    def posts(self):
        return [
            {"kind": "problem", "event_id": 1, "acked": True, "alert_id": 5, "outcome": "new"},
            {"kind": "recovery", "event_id": 1, "acked": True, "alert_id": 5,
             "outcome": "resolved"},
            {"kind": "replay", "event_id": 1, "acked": True, "alert_id": 5,
             "outcome": "duplicate", "original_alert_id": 5},
        ]

    def test_consistent_store_has_no_problems(self):
        counts, problems = verdict.check_webhooks(
            self.posts(), {"zabbix:1:1": 5, "zabbix:1:0": 5}, {5: "resolved"})
        self.assertEqual(problems, [])
        self.assertEqual((counts["problems"], counts["recoveries"], counts["replays"]), (1, 1, 1))

    def test_missing_receipt_wrong_status_and_bad_replay_are_problems(self):
        posts = self.posts()
        posts[2]["outcome"] = "new"
        _, problems = verdict.check_webhooks(posts, {"zabbix:1:1": 5}, {5: "firing", 6: "firing"})
        text = "\n".join(problems)
        self.assertIn("recovery of event 1 has no receipt", text)
        self.assertIn("alert #5 is firing, expected resolved", text)
        self.assertIn("replay of event 1 answered new", text)
        self.assertIn("1 alerts in the store that no acknowledged problem created", text)


class RssTest(unittest.TestCase):
    def test_compares_each_killed_life_over_the_same_ages(self):
        samples = []
        for life, level in enumerate([100, 104, 108, 500]):  # the last life is not compared
            for age in range(0, 60, 2):
                samples.append((life * 60 + age, life, age, level if age >= 20 else 10))
        r = verdict.rss_flatness(samples, 60, 20)
        self.assertEqual([m["median_kib"] for m in r["per_life"]], [100, 104, 108])
        self.assertEqual(r["spread_pct"], 8.0)
        self.assertEqual(r["growth_pct"], 8.0)

    def test_percentile_nearest_rank(self):
        values = list(range(1, 101))
        self.assertEqual(verdict.percentile(values, 99), 99)
        self.assertEqual(verdict.percentile(values, 50), 50)
        self.assertEqual(verdict.percentile([7], 99), 7)
        self.assertIsNone(verdict.percentile([], 99))


if __name__ == "__main__":
    unittest.main()
