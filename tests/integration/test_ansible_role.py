"""deploy/ansible/site.yml with the roles beacon_collector and beacon_agent, run twice with
`ansible-playbook -c local` against this machine: the packages of scripts/package are really
installed here. The first run installs, configures, creates the agent token through the
collector's admin API and starts both daemons, and the agent reports; the second run changes
nothing. The daemons are started with beacon_service_manager=command (start-stop-daemon), so
the test works where systemd is not PID 1 and never touches this machine's systemd services.

It refuses to run (skips) where Beacon is already installed or /etc/beacon exists, and leaves
the machine as it found it: daemons stopped, packages purged, the users it created removed."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import free_port, wait_for
from package_common import REPO, build_packages

PLAYBOOK = os.path.join(REPO, "deploy", "ansible", "site.yml")
USERS = ("beacon", "beacon-agent")
PIDFILES = {"beacon-agent": "/run/beacon-agent.pid", "beacon-collector": "/run/beacon-collector.pid"}


def installed(package):
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                          capture_output=True, text=True)
    return proc.returncode == 0 and "installed" in proc.stdout.split()[-1:]


def user_exists(name):
    return subprocess.run(["getent", "passwd", name], capture_output=True).returncode == 0


def recap(output):
    """{'ok': n, 'changed': n, ...} of the localhost line of PLAY RECAP."""
    match = re.search(r"^localhost\s+:\s+(.*)$", output, re.MULTILINE)
    assert match, output[-3000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


class AnsibleRoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("installs packages on this machine: needs root")
        if shutil.which("ansible-playbook") is None:
            raise AssertionError("ansible-playbook not found (scripts/bootstrap installs ansible)")
        if any(installed(p) for p in ("beacon-agent", "beacon-collector")) or \
                os.path.exists("/etc/beacon"):
            raise unittest.SkipTest("Beacon is installed here; the test would change it")
        cls.users_before = {u for u in USERS if user_exists(u)}
        cls.dir = tempfile.mkdtemp(prefix="beacon-ansible-")
        cls.debs = build_packages(os.path.join(cls.dir, "debs"))
        cls.port = free_port()
        cls.agent_name = f"ansible-test-{os.getpid()}"
        cls.backup_src = os.path.join(cls.dir, "app-conf")
        os.makedirs(cls.backup_src)
        os.chmod(cls.dir, 0o755)  # the agent runs as beacon-agent and reads the backup set
        cls.inventory = os.path.join(cls.dir, "inventory.yml")
        with open(cls.inventory, "w") as f:
            f.write("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                    "      ansible_python_interpreter: /usr/bin/python3\n"
                    "  children:\n    beacon_collectors:\n      hosts: {localhost: {}}\n"
                    "    beacon_agents:\n      hosts: {localhost: {}}\n")
        cls.extra_vars = os.path.join(cls.dir, "vars.json")
        with open(cls.extra_vars, "w") as f:
            json.dump({
                "ansible_become": False,  # already root; sudo need not exist
                "beacon_service_manager": "command",
                "beacon_collector_deb": cls.debs["beacon-collector"],
                "beacon_agent_deb": cls.debs["beacon-agent"],
                "beacon_collector_port": cls.port,
                "beacon_agent_name": cls.agent_name,
                "beacon_agent_collector_url": f"http://127.0.0.1:{cls.port}",
                "beacon_agent_inputs": {"system": {"enabled": True, "interval": "1s"}},
                "beacon_agent_backup": {
                    "stores": {"local": {"type": "local",
                                         "path": "/var/lib/beacon-agent/backup-store"}},
                    "sets": [{"name": "app-conf", "paths": [cls.backup_src], "store": "local"}],
                },
            }, f)

    @classmethod
    def tearDownClass(cls):
        for program, pidfile in PIDFILES.items():
            subprocess.run(["start-stop-daemon", "--stop", "--retry", "TERM/30/KILL/5",
                            "--oknodo", "--remove-pidfile", "--pidfile", pidfile,
                            "--exec", "/usr/bin/" + program], capture_output=True)
        subprocess.run(["dpkg", "--purge", "beacon-agent", "beacon-collector"],
                       capture_output=True)
        for user in USERS:
            if user not in cls.users_before and user_exists(user):
                subprocess.run(["userdel", user], capture_output=True)
                subprocess.run(["groupdel", user], capture_output=True)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def playbook(self):
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
                   ANSIBLE_HOME=os.path.join(self.dir, "ansible-home"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.dir, "ansible-tmp"),
                   ANSIBLE_REMOTE_TEMP=os.path.join(self.dir, "ansible-remote-tmp"))
        proc = subprocess.run(["ansible-playbook", "-c", "local", "-i", self.inventory,
                               "-e", "@" + self.extra_vars, PLAYBOOK],
                              capture_output=True, text=True, timeout=600, env=env,
                              stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, proc.stdout[-6000:] + proc.stderr[-3000:])
        return recap(proc.stdout), proc.stdout

    def api(self, path):
        with open("/etc/beacon/admin.token") as f:
            token = f.read().strip()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def samples_total(self):
        try:
            return self.api(f"/api/v1/hosts/{self.agent_name}")["samples_total"]
        except OSError:
            return 0

    def pid(self, program):
        with open(PIDFILES[program]) as f:
            return int(f.read())

    def test_first_run_deploys_and_second_run_changes_nothing(self):
        started = time.monotonic()
        first, _ = self.playbook()
        first_seconds = time.monotonic() - started
        self.assertGreater(first["changed"], 0, first)
        self.assertEqual(first["failed"], 0, first)
        self.assertTrue(installed("beacon-agent") and installed("beacon-collector"))

        # The agent reports to the collector with the token the role created.
        wait_for(lambda: self.samples_total() > 0, 30, "samples from the agent")
        token_stat = os.stat("/etc/beacon/agent.token")
        self.assertEqual(token_stat.st_mode & 0o777, 0o640)
        with open("/etc/beacon/agent.token") as f:
            agent_token = f.read()
        tokens = [t for t in self.api("/api/v1/admin/tokens")["tokens"]
                  if t["agent"] == self.agent_name]
        self.assertEqual(len(tokens), 1, tokens)
        with open("/etc/beacon/agent.yaml") as f:
            agent_yaml = f.read()
        self.assertIn(f"name: {self.agent_name}", agent_yaml)
        self.assertIn(self.backup_src, agent_yaml)
        pids = {p: self.pid(p) for p in PIDFILES}

        second, output = self.playbook()
        self.assertEqual(second["changed"], 0, output[-6000:])
        # Nothing restarted, the token was kept and no second one was created.
        self.assertEqual({p: self.pid(p) for p in PIDFILES}, pids)
        with open("/etc/beacon/agent.token") as f:
            self.assertEqual(f.read(), agent_token)
        tokens = [t for t in self.api("/api/v1/admin/tokens")["tokens"]
                  if t["agent"] == self.agent_name]
        self.assertEqual(len(tokens), 1, tokens)
        before = self.samples_total()
        wait_for(lambda: self.samples_total() > before, 30, "the agent still reporting")
        print(f"\nfirst run {first_seconds:.1f}s, changed={first['changed']}", flush=True)


if __name__ == "__main__":
    unittest.main()
