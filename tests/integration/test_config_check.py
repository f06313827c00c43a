"""`beacon-agent check` and `beacon-collector check` accept the shipped, fully commented
configs (with their secrets provided the documented way) and reject a broken copy with the
file, line and key path, without printing the secret."""
import os
import subprocess
import unittest

from harness import AGENT, COLLECTOR, workdir

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET = "s3cr3t-token-value-never-printed"


def run(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                          env={**os.environ, **(env or {})})


class ConfigCheckTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("check")
        self.token = os.path.join(self.dir, "agent.token")
        with open(self.token, "w") as f:
            f.write(SECRET + "\n")
        with open(os.path.join(ROOT, "config", "agent.yaml")) as f:
            self.agent_yaml = f.read().replace("/etc/beacon/agent.token", self.token)
        self.assertIn(self.token, self.agent_yaml, "shipped agent.yaml no longer uses token_file")

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_agent_accepts_shipped_config(self):
        r = run([AGENT, "check", "-c", self.write("agent.yaml", self.agent_yaml)])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("config OK", r.stdout)

    def test_collector_accepts_shipped_config(self):
        r = run([COLLECTOR, "check", "-c", os.path.join(ROOT, "config", "collector.yaml")],
                env={"BEACON_ADMIN_TOKEN": SECRET})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("config OK", r.stdout)

    def test_agent_rejects_unknown_key_with_line_and_path(self):
        broken = self.agent_yaml.replace("uplink:\n", "uplink:\n  batch_max_recrods: 5\n", 1)
        line = broken.splitlines().index("  batch_max_recrods: 5") + 1
        path = self.write("broken-agent.yaml", broken)
        r = run([AGENT, "check", "-c", path])
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:{line}: uplink.batch_max_recrods: unknown key", r.stderr)
        self.assertNotIn(SECRET, r.stdout + r.stderr)

    def test_collector_rejects_bad_port_and_missing_secret(self):
        with open(os.path.join(ROOT, "config", "collector.yaml")) as f:
            text = f.read()
        self.assertIn("  port: 8470", text)
        broken = text.replace("  port: 8470", "  port: 70000", 1)
        line = broken.splitlines().index("  port: 70000") + 1
        path = self.write("broken-collector.yaml", broken)
        r = run([COLLECTOR, "check", "-c", path], env={"BEACON_ADMIN_TOKEN": SECRET})
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{path}:{line}: listen.port: must be between 0 and 65535, got 70000",
                      r.stderr)
        env = {k: v for k, v in os.environ.items() if k != "BEACON_ADMIN_TOKEN"}
        r = subprocess.run([COLLECTOR, "check", "-c", os.path.join(ROOT, "config", "collector.yaml")],
                           capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("BEACON_ADMIN_TOKEN is not set", r.stderr)


if __name__ == "__main__":
    unittest.main()
