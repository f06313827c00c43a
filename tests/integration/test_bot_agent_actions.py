"""Issue 12's backup and FIM actions from chat, end to end: encrypted WeCom app callbacks
(tests/integration/bot_wecom.py) to a real beacon-collector and a real beacon-agent with a backup
set on a local store and the fim input. `backup run` → confirm → a follow-up naming the stored
version; `backup list`; the file is overwritten; `backup restore … VERSION` → confirm →
follow-ups, and the file has the old content again; `fim accept` of a changed file → confirm →
the done follow-up, and the agent's next FIM check (after a restart) reports the other changed
file to the collector but not the accepted one; a viewer is refused the operator's actions and
every attempt is audited."""
import hashlib
import os
import re
import shutil
import unittest

import harness
from backup_common import start_set_and_fim_agent
from bot_wecom import WecomRig
from harness import Collector, tail, wait_for

HOST = "web-01"


def sha256_text(text):
    return hashlib.sha256(text.encode()).hexdigest()


class BotAgentActions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wd = harness.workdir("bot-agent-actions")
        cls.app = os.path.join(cls.wd, "data", "app")
        cls.etc = os.path.join(cls.wd, "data", "etc")
        for d in (cls.app, cls.etc):
            os.makedirs(d)
        for name in ("a.conf", "b.conf"):
            with open(os.path.join(cls.etc, name), "w") as f:
                f.write(f"{name} original\n")
        cls.conf = os.path.join(cls.app, "app.yaml")
        with open(cls.conf, "w") as f:
            f.write("listen: 8080\n" * 50)
        cls.rig = WecomRig(cls.wd, ["lisi", "wangwu"]).start()
        cls.collector = Collector(cls.wd, extra_yaml=f"""bot:
  confirm_ttl: 60s
  timezone: UTC
  roles:
    operator: {{users: [lisi]}}
    viewer: {{users: [wangwu]}}
{cls.rig.yaml()}
""").start()
        token = cls.collector.create_token(HOST)
        # Restores write the original path, so the set's directory is a restore root.
        cls.agent = start_set_and_fim_agent(cls.wd, HOST, cls.collector, token, cls.app, cls.etc,
                                            cls.app)

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        cls.collector.stop()
        cls.rig.stop()
        shutil.rmtree(cls.wd, ignore_errors=True)

    def confirmed_command(self, user, text):
        """Sends a mutating command, confirms it and returns the command id its reply names."""
        _, queued = self.rig.confirm(self, user, text, "queued for the agent as command #")
        self.assertIn("you will be told here when the agent starts it", queued)
        return int(re.search(r"command #(\d+)", queued).group(1))

    def follow_ups(self, user, command_id, final_text, timeout=60):
        """The follow-ups of a command ("#ID …"), oldest first, once the one containing
        final_text came; checks that they come after the reply that queued the command and that
        the result comes last."""
        tag = f"#{command_id} "
        self.rig.wait_reply(user, tag + final_text, timeout)
        replies = self.rig.replies(user)
        queued = max(i for i, r in enumerate(replies)
                     if f"command #{command_id};" in r or f"命令 #{command_id}；" in r)
        ours = [(i, r) for i, r in enumerate(replies) if r.startswith(tag)]
        self.assertTrue(all(i > queued for i, _ in ours), replies)
        texts = [r for _, r in ours]
        self.assertIn(final_text, texts[-1], texts)
        if os.environ.get("BOT_AGENT_ACTIONS_SHOW"):
            print("\n".join(replies[queued:]))
        return texts

    def test_backup_run_list_and_restore_from_chat(self):
        with open(self.conf) as f:
            original = f.read()
        run = self.confirmed_command("lisi", f"backup run {HOST} app")
        done = self.follow_ups("lisi", run, f"backup run of set 'app' on {HOST} done: "
                                            "1 version stored, 0 unchanged")[-1]
        self.assertIn(self.conf, done)
        self.assertIn("sha256 " + sha256_text(original)[:12], done)

        # The version reaches the catalog through the spool; `backup list` shows its id.
        def listed():
            reply = self.rig.ask(self, "lisi", f"backup list {HOST} {self.conf}", "versions")
            return reply if ", 1 versions" in reply else None
        listing = wait_for(listed, 30, "the stored version in `backup list`", interval=0.5)
        version = int(re.search(r"^#(\d+) ", listing, re.M).group(1))
        self.assertIn("sha256 " + sha256_text(original)[:12], listing)
        # The follow-up waited for the catalog and named the same version.
        self.assertIn(f"\nversion #{version} {self.conf} ", done)

        with open(self.conf, "w") as f:
            f.write("listen: 9090  # overwritten\n")
        self.assertNotEqual(harness.sha256_file(self.conf), sha256_text(original))

        restore = self.confirmed_command("lisi", f"backup restore {HOST} {self.conf} {version}")
        texts = self.follow_ups("lisi", restore, f"restore of {HOST}:{self.conf} done: "
                                                 f"{self.conf} written")
        self.assertIn(f"sha256 {sha256_text(original)[:12]} verified", texts[-1])
        self.assertEqual(harness.sha256_file(self.conf), sha256_text(original))
        with open(self.conf) as f:
            self.assertEqual(f.read(), original)

    def test_fim_accept_from_chat_makes_the_next_check_clean(self):
        accepted, other = (os.path.join(self.etc, n) for n in ("a.conf", "b.conf"))
        for path in (accepted, other):
            with open(path, "a") as f:
                f.write("an intended change\n")
        # In Chinese: the preview, the confirmation and the follow-ups are all in Chinese.
        seen = len(self.rig.replies("lisi"))
        self.rig.say(self, "lisi", f"接受变更 {HOST} {accepted}")
        preview = self.rig.wait_reply("lisi", "确认", after=seen)
        code = re.search(r"确认 (\d{6})", preview).group(1)
        queued = self.rig.ask(self, "lisi", "确认 " + code, "已下发")
        self.assertIn("agent 开始执行和完成时会在这里通知", queued)
        command = int(re.search(r"命令 #(\d+)", queued).group(1))
        self.follow_ups("lisi", command, f"接受 {HOST}:{accepted} 的变更 已完成：{accepted} "
                                         "已重新建立基线（更新 1，新增 0，删除 0）")

        # The next check (the first after the agent starts again) finds one change, the other
        # file's, and the collector stores exactly that.
        def fim_changes():
            return [row[0] for row in self.collector.query(
                "SELECT value FROM samples WHERE agent = ? AND metric = 'fim.changes' "
                "ORDER BY ts_ms", (HOST,))]
        before = len(fim_changes())
        self.agent.stop()
        self.agent.start()
        wait_for(lambda: len(fim_changes()) > before, 60,
                 f"the next fim check\n{tail(self.agent.log)}", interval=0.2)
        self.assertEqual(fim_changes()[-1], 1)
        reported = lambda: {row for row in self.collector.query(  # noqa: E731
            "SELECT kind, subject FROM events WHERE agent = ? AND kind LIKE 'fim.%'", (HOST,))}
        wait_for(lambda: reported(), 30, f"the fim.changed event of {other}")
        self.assertEqual(reported(), {("fim.changed", other)})

    def test_a_viewer_is_refused_the_operators_actions(self):
        commands_before = self.commands()
        for text in (f"backup run {HOST} app", f"backup restore {HOST} {self.conf} 1",
                     f"fim accept {HOST} {self.etc}/a.conf"):
            reply = self.rig.ask(self, "wangwu", text, "needs the operator role")
            self.assertIn("you are viewer", reply)
        # Read commands still answer; nothing was queued, and every attempt is in the audit log.
        self.rig.ask(self, "wangwu", f"backup list {HOST} {self.conf}", "versions")
        status, body = self.collector.request("GET", "/api/v1/audit?user=wangwu")
        self.assertEqual(status, 200, body)
        refused = [e["command"] for e in body["entries"] if e["decision"] == "refused"]
        self.assertEqual(sorted(refused), ["backup restore", "backup run", "fim accept"])
        self.assertEqual(self.commands(), commands_before)

    def commands(self):
        status, body = self.collector.request("GET", "/api/v1/commands")
        self.assertEqual(status, 200, body)
        return [c["id"] for c in body["commands"]]

if __name__ == "__main__":
    unittest.main()
