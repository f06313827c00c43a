"""The README's first command: `./scripts/demo` builds, starts a collector and an agent for this
host and walks through the whole loop (metrics of system/ports/fim, a backup into the local store,
a file edit that becomes a fim.changed event, an alert and a notification in a file, the old
version restored with `beaconctl restore`, the chat bot's status); `./scripts/demo stop` leaves no
process behind."""
import json
import os
import re
import subprocess
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO_DIR = os.path.join(ROOT, "var", "demo")


def demo(*args, timeout=600):
    return subprocess.run(["./scripts/demo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def demo_processes():
    """Pids of processes whose command line names the demo's configuration directory."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "var/demo/" in cmdline and "beacon-" in cmdline:
            found.append((int(pid), cmdline))
    return found


class BootstrapSetsTest(unittest.TestCase):
    # Its own class: ctest runs each test method as an entry of its own, possibly beside the
    # demo test, whose tearDown must not stop a demo this test did not start.
    def test_bootstrap_build_set_leaves_out_the_test_peers(self):
        build = subprocess.run(["./scripts/bootstrap", "build", "--list"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split()
        full = subprocess.run(["./scripts/bootstrap", "test", "--list"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.split()
        for needed in ("g++", "cmake", "libpoco-dev", "libsqlite3-dev", "curl", "python3"):
            self.assertIn(needed, build)
        for test_only in ("openjdk-17-jdk-headless", "tomcat10", "nodejs", "zabbix-proxy-sqlite3",
                          "prometheus-alertmanager", "postgresql", "libgtest-dev", "ansible"):
            self.assertNotIn(test_only, build)
            self.assertIn(test_only, full)
        self.assertTrue(set(build) <= set(full))


class DemoTest(unittest.TestCase):
    def tearDown(self):
        demo("stop", timeout=60)

    def test_demo_shows_the_whole_loop_and_stop_leaves_nothing(self):
        r = demo()
        out = r.stdout
        self.assertEqual(r.returncode, 0, out[-4000:] + r.stderr[-3000:])
        host = subprocess.run(["hostname"], capture_output=True, text=True).stdout.strip()
        host = host.split(".")[0]

        # 1: current metrics of the three inputs within 30 s of the build.
        m = re.search(r"reported metrics (\d+)s after the build", out)
        self.assertIsNotNone(m, out[-3000:])
        self.assertLessEqual(int(m.group(1)), 30)
        self.assertRegex(out, r"system\.mem\.(total|used)")
        self.assertRegex(out, r"ports\.listening +proto=tcp")
        self.assertRegex(out, r"fim\.files +- +[0-9]")
        self.assertIn("demo.started", out)

        # 2: the application's configuration was backed up into the local store.
        app = os.path.join(DEMO_DIR, "app", "conf", "app.yaml")
        self.assertRegex(out, re.escape(app) + r" +62 B")
        self.assertTrue(os.listdir(os.path.join(DEMO_DIR, "backup-store")))

        # 3: the edit became a fim.changed event, an alert and a notification in the file.
        self.assertRegex(out, r"fim\.changed -> alert -> notification in \S+ within \d+s")
        # (the SUBJECT column may be cut with "…"; the MESSAGE column has the whole path)
        self.assertRegex(out, r"high +fim\.changed .*" + re.escape(app + " changed: "))
        with open(os.path.join(DEMO_DIR, "alerts.jsonl"), encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.strip()]
        notified = [n for n in lines if app in n["text"]]
        self.assertTrue(notified, lines)
        self.assertEqual(notified[0]["receiver"], "demo_file")
        self.assertRegex(out, r"high +firing +#\d+ +" + host)

        # 4: beaconctl restore put the backed-up content back.
        self.assertRegex(out, r"restore #\d+ \S+: succeeded: restored .*sha256 verified")
        with open(app, encoding="utf-8") as f:
            self.assertIn("pool_size: 20\n", f.read())

        # 5: the bot answers in English and Chinese.
        chat = out.split('$ beaconctl chat --as demo "status')[1]
        self.assertIn(host, chat.split("$ beaconctl chat --as demo 状态")[0])
        self.assertIn("fim.changed", chat.split("$ beaconctl chat --as demo 状态")[0])
        self.assertIn(host, out.split("$ beaconctl chat --as demo 状态")[1])

        # The whole loop, build included, within two minutes of the build ending.
        done = re.search(r"done: (\d+) s from start to the last step, build included "
                         r"\(the build took (\d+)s\)", out)
        self.assertIsNotNone(done, out[-2000:])
        self.assertLessEqual(int(done.group(1)) - int(done.group(2)), 120)
        self.assertIn("./scripts/demo stop", out)

        status = demo("status", timeout=60)
        self.assertIn("beacon-collector: running", status.stdout)
        self.assertIn("beacon-agent: running", status.stdout)
        self.assertTrue(demo_processes())

        stopped = demo("stop", timeout=60)
        self.assertEqual(stopped.returncode, 0, stopped.stdout + stopped.stderr)
        status = demo("status", timeout=60)
        self.assertNotIn("running (pid", status.stdout)
        self.assertEqual(demo_processes(), [])


if __name__ == "__main__":
    unittest.main()
