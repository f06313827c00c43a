"""Issue 12 item 8 through beaconctl against a real collector and agent with a local store: the
`backup.run` command backs a set up now (its debounce is an hour, so nothing else would) and
the catalog shows exactly the versions the command reported, a second run stores only the
changed file, an unknown set fails naming the known ones; `fim.accept` re-baselines one of two
changed files so `beacon-agent fim check` still reports the other and only it, and a path
outside the fim paths is refused by the agent."""
import json
import os
import shutil
import subprocess
import unittest

import harness
from backup_common import start_set_and_fim_agent
from harness import AGENT, Collector, beaconctl, tail, wait_for

HOST = "cmd-host"


class AgentCommandsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.workdir("agent-commands")
        cls.app = os.path.join(cls.dir, "data", "app")
        cls.etc = os.path.join(cls.dir, "data", "etc")
        for d in (cls.app, cls.etc):
            os.makedirs(d)
        cls.files = {}
        for name in ("a.yaml", "b.yaml", "sub/c.yaml"):
            path = os.path.join(cls.app, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(f"{name} version 1\n" * 100)
            cls.files[name] = path
        for name in ("a.conf", "b.conf"):
            with open(os.path.join(cls.etc, name), "w") as f:
                f.write(f"{name} original\n")
        cls.collector = Collector(cls.dir).start()
        token = cls.collector.create_token(HOST)
        cls.agent = start_set_and_fim_agent(cls.dir, HOST, cls.collector, token, cls.app, cls.etc,
                                            os.path.join(cls.dir, "restore"))

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        cls.collector.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ctl(self, *args):
        return beaconctl(self.collector, *args)

    def catalog(self):
        status, body = self.collector.request("GET", f"/api/v1/backups?host={HOST}&set=app")
        self.assertEqual(status, 200, body)
        return body["versions"]

    def test_backup_run_stores_the_set_and_the_catalog_shows_the_versions(self):
        self.assertEqual(self.catalog(), [])  # the hour-long debounce holds every file back
        r = self.ctl("--json", "backup", "run", HOST, "app", "--wait")
        self.assertEqual(r.returncode, 0, r.stderr + tail(self.agent.log))
        command = json.loads(r.stdout)
        self.assertEqual(command["state"], "succeeded", command)
        result = command["result"]
        self.assertEqual((result["stored"], result["unchanged"], result["failed"]), (3, 0, 0))
        reported = {v["path"]: v for v in result["versions"]}
        self.assertEqual(set(reported), set(self.files.values()))
        for path, v in reported.items():
            self.assertEqual(v["sha256"], harness.sha256_file(path))
        # The versions travel to the catalog through the spool like every other.
        versions = wait_for(lambda: (lambda c: c if len(c) == 3 else None)(self.catalog()), 30,
                            "three catalogued versions")
        self.assertEqual({(v["path"], v["key"], v["sha256"], v["size"]) for v in versions},
                         {(p, v["key"], v["sha256"], v["size"]) for p, v in reported.items()})

        # A second run stores only what changed; the progress is printed while waiting.
        with open(self.files["b.yaml"], "a") as f:
            f.write("b.yaml version 2\n")
        r = self.ctl("backup", "run", HOST, "app", "--wait")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("succeeded: set app: 1 version stored", r.stdout)
        self.assertIn("2 unchanged", r.stdout)
        self.assertIn(self.files["b.yaml"], r.stdout)  # the versions table
        wait_for(lambda: len(self.catalog()) == 4, 30, "the fourth version")
        newest = self.catalog()[0]
        self.assertEqual(newest["path"], self.files["b.yaml"])
        self.assertEqual(newest["sha256"], harness.sha256_file(self.files["b.yaml"]))

    def test_backup_run_of_an_unknown_set_fails_naming_the_known_ones(self):
        r = self.ctl("backup", "run", HOST, "nope", "--wait")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("unknown backup set 'nope' (known: app)", r.stderr)
        # A name that cannot be a set is refused by the collector before anything is queued.
        r = self.ctl("backup", "run", HOST, "../app")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("set: not a backup set name", r.stderr)

    def test_fim_accept_makes_the_next_check_clean_for_that_path_only(self):
        accepted, other = (os.path.join(self.etc, n) for n in ("a.conf", "b.conf"))
        for path in (accepted, other):
            with open(path, "a") as f:
                f.write("an intended change\n")
        r = self.ctl("fim", "accept", HOST, accepted, "--wait")
        self.assertEqual(r.returncode, 0, r.stderr + tail(self.agent.log))
        self.assertIn(f"succeeded: accepted {accepted} into the fim baseline: 1 updated, 0 added, "
                      "0 removed", r.stdout)
        self.assertIn("updated", r.stdout.splitlines()[-1])  # BASELINE PATH table

        check = subprocess.run([AGENT, "fim", "check", "-c", self.agent.config, "--json"],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 1, check.stderr)  # changes remain: the other file
        changes = json.loads(check.stdout)["changes"]
        self.assertEqual([(c["kind"], c["path"]) for c in changes], [("fim.changed", other)])

        # Accepting it again finds nothing to do.
        r = self.ctl("--json", "fim", "accept", HOST, accepted, "--wait")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["result"]["updated"], 0)

    def test_fim_accept_outside_the_fim_paths_is_refused_by_the_agent(self):
        r = self.ctl("fim", "accept", HOST, os.path.join(self.dir, "data", "app"), "--wait")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("is not under any configured fim path", r.stderr)
        r = self.ctl("fim", "accept", HOST, self.etc + "/../app")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("path: must not contain empty, '.' or '..' segments", r.stderr)


if __name__ == "__main__":
    unittest.main()
