"""Department and tag grants of the chat bot end to end: a real beacon-collector whose bot.roles
grant operator to a WeCom department and admin to a tag, the strict fake WeCom API
(tests/fakes/wecom_server.py) serving a directory (user/get, department/simplelist, tag/list,
tag/get), and encrypted app callbacks from tests/integration/bot_wecom.py. A user counts as a
member of a department's sub-departments and of a tag given to a parent department; when the
directory refuses or cannot be reached, a user known only through it is refused and the
collector says why once, not once per message."""
import json
import os
import time
import unittest

import harness
from bot_wecom import WecomRig

# 1 公司 > 2 运维部 > 3 数据库组; 1 > 4 销售部; 1 > 5 平台部 > 6 SRE组.
DIRECTORY = {
    "departments": [
        {"id": 1, "name": "公司", "parentid": 0},
        {"id": 2, "name": "运维部", "parentid": 1},
        {"id": 3, "name": "数据库组", "parentid": 2},
        {"id": 4, "name": "销售部", "parentid": 1},
        {"id": 5, "name": "平台部", "parentid": 1},
        {"id": 6, "name": "SRE组", "parentid": 5},
    ],
    "users": [
        {"userid": "dept_user", "department": [3]},
        {"userid": "dept_hidden", "department": [3]},
        {"userid": "dept_away", "department": [3]},
        {"userid": "tag_user", "department": [4]},
        {"userid": "party_user", "department": [6]},
        {"userid": "outsider", "department": [4]},
    ],
    "tags": [
        {"tagid": 11, "tagname": "sre", "userlist": ["tag_user"], "partylist": [5]},
        {"tagid": 12, "tagname": "sales", "userlist": ["outsider"]},
    ],
}
USERS = [u["userid"] for u in DIRECTORY["users"]]


class BotDirectory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wd = harness.workdir("bot-directory")
        directory = os.path.join(cls.wd, "directory.json")
        with open(directory, "w") as f:
            json.dump(DIRECTORY, f, ensure_ascii=False)
        cls.rig = WecomRig(cls.wd, USERS, fake_args=["--directory", directory]).start()
        cls.collector = harness.Collector(cls.wd, extra_yaml=f"""bot:
  timezone: UTC
  roles:
    admin: {{tags: [sre]}}
    operator: {{departments: ["2"]}}
  local_users:
    alice: admin
{cls.rig.yaml()}
""").start()

    @classmethod
    def tearDownClass(cls):
        cls.collector.stop()
        cls.rig.stop()

    def whoami(self, user):
        return self.rig.ask(self, user, "whoami", "channel: wecom_app")

    def refused(self, user):
        return self.rig.ask(self, user, "whoami", "Sorry")

    def log_count(self, needle):
        with open(self.collector.log, errors="replace") as f:
            return sum(needle in line for line in f)

    def directory_calls(self, path):
        return self.rig.wecom.stats()["directory"].get(path, 0)

    def test_member_of_a_sub_department_gets_the_departments_role(self):
        reply = self.whoami("dept_user")
        self.assertIn("role: operator", reply)
        self.assertIn("departments: 3, 2, 1", reply)
        # A second command within directory_ttl asks WeCom nothing more.
        calls = self.directory_calls("user/get")
        self.assertIn("role: operator", self.whoami("dept_user"))
        self.assertEqual(self.directory_calls("user/get"), calls)

    def test_tag_member_gets_admin_by_name_and_through_a_parent_department(self):
        reply = self.whoami("tag_user")
        self.assertIn("role: admin", reply)
        self.assertIn("tags: sre", reply)
        # party_user is in 6, below department 5, which holds the tag.
        reply = self.whoami("party_user")
        self.assertIn("role: admin", reply)
        self.assertIn("tags: sre", reply)

    def test_user_in_neither_is_refused(self):
        reply = self.refused("outsider")
        self.assertIn("抱歉", reply)
        self.assertIn("outsider", reply)

    def refused_twice_asking_once(self, user, **fault):
        """With `fault` injected on user/get, two commands from `user` are both refused and
        WeCom is asked once: the retry interval keeps messages from waiting on it each time."""
        self.rig.wecom.control(fail_next=5, fail_path="user", **fault)
        try:
            before = self.directory_calls("user/get")
            self.refused(user)
            self.refused(user)
            self.assertEqual(self.directory_calls("user/get"), before + 1)
        finally:
            self.rig.wecom.control(fail_next=0)

    def logged_once(self, needle):
        """The one collector log line containing `needle`."""
        harness.wait_for(lambda: self.log_count(needle) >= 1, 10, f"a log line with {needle!r}")
        self.assertEqual(self.log_count(needle), 1)
        with open(self.collector.log, errors="replace") as f:
            return next(line for line in f if needle in line)

    def test_refused_directory_means_userid_only_logged_once(self):
        # The app lost sight of the user (60011): refused, with the reason in the log once.
        self.refused_twice_asking_once("dept_hidden", errcode=60011,
                                       errmsg="no privilege to access/modify contact/party/agent")
        line = self.logged_once("no departments or tags for 'dept_hidden'")
        self.assertIn("60011", line)
        self.assertIn("可见范围", line)

    def test_unreachable_directory_means_userid_only_logged_once(self):
        self.refused_twice_asking_once("dept_away", http_status=502)
        self.assertIn("HTTP 502", self.logged_once("contact directory is unreachable"))
        status, body = self.collector.request("GET", "/api/v1/audit?user=dept_away")
        self.assertEqual(status, 200, body)
        self.assertEqual([r["decision"] for r in body["entries"]], ["refused", "refused"], body)

    def test_z_no_secret_in_the_log(self):
        time.sleep(0.2)
        with open(self.collector.log, errors="replace") as f:
            log = f.read()
        for secret in self.rig.secrets:
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
