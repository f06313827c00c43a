"""The README's first command: `./scripts/demo` starts a collector and an agent for this host,
shows the host with current metrics within 30 s of the build ending, and `./scripts/demo stop`
stops both."""
import os
import re
import subprocess
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def demo(*args, timeout=600):
    return subprocess.run(["./scripts/demo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


class DemoTest(unittest.TestCase):
    def tearDown(self):
        demo("stop", timeout=60)

    def test_demo_shows_this_host_with_current_metrics(self):
        r = demo()
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        m = re.search(r"reported metrics (\d+)s after the build", r.stdout)
        self.assertIsNotNone(m, r.stdout[-3000:])
        self.assertLessEqual(int(m.group(1)), 30)
        host = subprocess.run(["hostname"], capture_output=True, text=True).stdout.strip()
        host = host.split(".")[0]
        self.assertIn(host, r.stdout)
        # `beaconctl status HOST` lists the system input's current metrics, and the events
        # table shows the event the demo raised.
        self.assertRegex(r.stdout, r"system\.mem\.(total|used)")
        self.assertRegex(r.stdout, r"system\.load1")
        self.assertIn("demo.started", r.stdout)
        self.assertIn("./scripts/demo stop", r.stdout)
        # The bot answers `status HOST` through beaconctl chat, and in Chinese when asked so.
        chat = r.stdout.split('beaconctl chat --as demo "status')[1]
        self.assertIn(host, chat.split("$ beaconctl chat --as demo 状态")[0])
        self.assertIn(host, r.stdout.split("$ beaconctl chat --as demo 状态")[1])

        status = demo("status", timeout=60)
        self.assertIn("beacon-collector: running", status.stdout)
        self.assertIn("beacon-agent: running", status.stdout)

        stopped = demo("stop", timeout=60)
        self.assertEqual(stopped.returncode, 0, stopped.stdout + stopped.stderr)
        status = demo("status", timeout=60)
        self.assertNotIn("running (pid", status.stdout)


if __name__ == "__main__":
    unittest.main()
