"""Ports input end to end: a real agent (interval 1s) and collector. A child process opens TCP v4
and v6 listeners and a UDP socket on unexpected ports: exactly one port.unexpected each, within
one interval, naming its pid and process, and no repeat while they stay open; allowed ports
(plain and tied to the process name) raise nothing; an agent restart raises nothing new; a
required port that closes raises port.closed once."""
import json
import os
import pwd
import subprocess
import sys
import time
import unittest

from harness import BEACONCTL, Agent, Collector, free_port, tail, wait_for, workdir

AGENT_NAME = "itest-ports"
INTERVAL_MS = 1000

# Opens and closes sockets on command: "open NAME 4|6 tcp|udp PORT" answers the bound port,
# "close NAME" answers "ok".
CHILD = r"""
import socket, sys
socks = {}
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "open":
        v6 = cmd[2] == "6"
        s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                          socket.SOCK_STREAM if cmd[3] == "tcp" else socket.SOCK_DGRAM)
        if v6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::1" if v6 else "127.0.0.1", int(cmd[4])))
        if cmd[3] == "tcp":
            s.listen()
        socks[cmd[1]] = s
        print(s.getsockname()[1], flush=True)
    elif cmd[0] == "close":
        socks.pop(cmd[1]).close()
        print("ok", flush=True)
"""


class SocketChild:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def _ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if not answer:
            raise AssertionError(f"socket child gave no answer to {line!r}")
        return answer

    def open(self, name, family, proto, port=0):
        return int(self._ask(f"open {name} {family} {proto} {port}"))

    def close(self, name):
        self._ask(f"close {name}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()


class PortsTest(unittest.TestCase):
    def setUp(self):
        self.dir = workdir("ports")
        self.collector = Collector(self.dir).start()
        self.token = self.collector.create_token(AGENT_NAME)
        self.children = []
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.stop()
        self.collector.stop()
        for child in self.children:
            child.stop()

    def child(self):
        c = SocketChild()
        self.children.append(c)
        return c

    def events(self, kind):
        rows = self.collector.query(
            "SELECT ts_ms, severity, subject, message, data_json FROM events "
            "WHERE agent = ? AND kind = ? ORDER BY seq", (AGENT_NAME, kind))
        return [{"ts_ms": r[0], "severity": r[1], "subject": r[2], "message": r[3],
                 "data": json.loads(r[4])} for r in rows]

    def unexpected_at(self, proto, address, port):
        return [e for e in self.events("port.unexpected")
                if (e["data"]["proto"], e["data"]["address"], e["data"]["port"]) ==
                (proto, address, port)]

    def samples_since(self, ts_ms):
        return self.collector.query(
            "SELECT COUNT(*) FROM samples WHERE agent = ? AND metric = 'ports.listening' "
            "AND ts_ms >= ?", (AGENT_NAME, ts_ms))[0][0]

    def wait_for_gathers(self, since_ms, count):
        wait_for(lambda: self.samples_since(since_ms) >= 2 * count, 30,
                 f"{count} ports gathers stored\n{tail(self.agent.log)}")

    def test_unexpected_and_required_ports(self):
        holder = self.child()
        required_port = holder.open("required", 4, "tcp")
        allowed_port = free_port()
        tied_port = free_port()
        with open(f"/proc/{holder.pid}/comm") as f:
            comm = f.read().strip()
        inputs_yaml = f"""  ports:
    enabled: true
    interval: 1s
    allowed:
      - {allowed_port}
      - {tied_port}: {comm}
    required:
      - {required_port}
"""
        self.agent = Agent(self.dir, AGENT_NAME, self.collector.url, self.token,
                           inputs_yaml=inputs_yaml)
        started_ms = int(time.time() * 1000)
        self.agent.start()
        self.wait_for_gathers(started_ms, 1)
        self.assertEqual(self.events("port.closed"), [], "the required port is open")
        # A required port is expected: it is not reported as unexpected either.
        self.assertEqual([e for e in self.events("port.unexpected")
                          if e["data"]["port"] == required_port], [])

        # Unexpected listeners appear, next to allowed ones.
        child = self.child()
        opened_ms = int(time.time() * 1000)
        unexpected = [("tcp", "127.0.0.1", child.open("tcp4", 4, "tcp")),
                      ("tcp", "::1", child.open("tcp6", 6, "tcp")),
                      ("udp", "127.0.0.1", child.open("udp4", 4, "udp"))]
        child.open("allowed", 4, "tcp", allowed_port)
        child.open("allowed-udp", 6, "udp", allowed_port)
        child.open("tied", 4, "tcp", tied_port)
        for key in unexpected:
            wait_for(lambda: self.unexpected_at(*key), 20,
                     f"port.unexpected for {key}\n{tail(self.agent.log)}")
        for proto, address, port in unexpected:
            events = self.unexpected_at(proto, address, port)
            self.assertEqual(len(events), 1, events)
            event = events[0]
            self.assertEqual(event["severity"], "warning")
            self.assertEqual(event["subject"], f"{proto}/{port}")
            self.assertEqual(event["data"]["pid"], child.pid)
            self.assertEqual(event["data"]["process"], comm)
            self.assertEqual(event["data"]["user"], pwd.getpwuid(os.getuid()).pw_name)
            self.assertIn(f"pid {child.pid} ({comm})", event["message"])
            # Observed by the first gather after it opened: within one interval (plus the
            # gather's own time on a loaded machine).
            self.assertLessEqual(event["ts_ms"] - opened_ms, INTERVAL_MS + 1000, event)

        # Still open for several intervals: no repeat; allowed ports never raised anything.
        self.wait_for_gathers(int(time.time() * 1000), 3)
        for key in unexpected:
            self.assertEqual(len(self.unexpected_at(*key)), 1, key)
        for port in (allowed_port, tied_port):
            self.assertEqual([e for e in self.events("port.unexpected")
                              if e["data"]["port"] == port], [], port)

        # Agent restart: nothing new (state in the input's state dir).
        self.assertTrue(os.path.exists(
            os.path.join(self.agent.data_dir, "inputs", "ports", "ports-state.json")))
        before = len(self.events("port.unexpected"))
        self.agent.stop()
        restarted_ms = int(time.time() * 1000)
        self.agent.start()
        self.wait_for_gathers(restarted_ms, 3)
        for key in unexpected:
            self.assertEqual(len(self.unexpected_at(*key)), 1, key)
        mine = {port for _, _, port in unexpected} | {allowed_port, tied_port, required_port}
        after = [e for e in self.events("port.unexpected")[before:] if e["data"]["port"] in mine]
        self.assertEqual(after, [])
        self.assertEqual(self.events("port.closed"), [])

        # The required port goes away: one port.closed, not repeated.
        holder.close("required")
        wait_for(lambda: self.events("port.closed"), 20,
                 f"port.closed for tcp/{required_port}\n{tail(self.agent.log)}")
        self.wait_for_gathers(int(time.time() * 1000), 3)
        closed = self.events("port.closed")
        self.assertEqual(len(closed), 1, closed)
        self.assertEqual(closed[0]["severity"], "high")
        self.assertEqual(closed[0]["subject"], f"tcp/{required_port}")
        self.assertEqual(closed[0]["data"]["was_listening"], True)

        # The operator sees the same through beaconctl (tables and --json) and the API.
        ctl = [BEACONCTL, "--url", self.collector.url, "--token-file",
               self.collector.admin_token_file]
        r = subprocess.run(ctl + ["events", "--host", AGENT_NAME, "--kind", "port.*"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("port.unexpected", r.stdout)
        self.assertIn("port.closed", r.stdout)
        self.assertIn(f"tcp/{required_port}", r.stdout)
        r = subprocess.run(ctl + ["--json", "events", "--host", AGENT_NAME, "--kind", "port.*"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        kinds = [e["kind"] for e in json.loads(r.stdout)["events"]]
        self.assertEqual(sorted(set(kinds)), ["port.closed", "port.unexpected"])
        self.assertEqual(kinds.count("port.closed"), 1)
        r = subprocess.run(ctl + ["status", AGENT_NAME], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ports.listening", r.stdout)
        self.assertIn("ports.unexpected", r.stdout)


if __name__ == "__main__":
    unittest.main()
