"""A collector with its default listen settings stays available while hostile or merely lazy
clients hold connections: idle keep-alive connections, slowloris clients that drip one header
byte every 5 s, and agents waiting on the command long-poll. beaconctl, an ingest batch and a
Zabbix webhook must each still be answered within 2 s, and one client address cannot take
more than its share of connections (listen.max_connections_per_address)."""
import os
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import alert_common
import harness

IDLE = 200           # keep-alive connections that finished one request and stay open
SLOWLORIS = 50       # connections sending one header byte every 5 s
POLLING_AGENTS = 100  # agents on GET /api/v1/agent/commands?wait=25s
PER_ADDRESS_CAP = 64  # the documented default of listen.max_connections_per_address


def connect_from(source_ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source_ip, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def read_response(sock):
    """Reads one HTTP response with a Content-Length body; returns (status, headers, body) or
    None when the server closed the connection first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return status, headers, body[:length]


def is_waiting(sock):
    """True while the server has neither answered nor closed the connection."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return False  # a reply, or EOF
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


class HostileClientsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="beacon-hostile-")
        self.sockets = []
        self.stop = threading.Event()
        # Default listen settings: only host/port/store/token/log come from the harness, plus
        # the alert sources so that the Zabbix webhook exists.
        self.collector = alert_common.AlertCollector(
            self.tmp.name, receivers="    console-out:\n      type: console\n").start()

    def tearDown(self):
        self.stop.set()
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
        self.collector.stop()
        self.tmp.cleanup()

    def open_idle(self, source_ip, count):
        """Opens `count` connections from source_ip that each finish one GET /healthz with
        keep-alive and then stay idle. Returns the ones the server kept."""
        kept = []
        for _ in range(count):
            s = connect_from(source_ip, self.collector.port)
            self.sockets.append(s)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: collector\r\n\r\n")
                reply = read_response(s)
            except OSError:
                reply = None
            if reply is not None and reply[0] == 200:
                kept.append(s)
        return kept

    def start_slowloris(self, source_ip, count):
        conns = []
        for _ in range(count):
            try:
                s = connect_from(source_ip, self.collector.port)
            except OSError:
                continue
            self.sockets.append(s)
            conns.append(s)
        header = b"GET /healthz HTTP/1.1\r\nHost: collector\r\nX-Slow: " + b"a" * 1000

        def drip():
            i = 0
            while not self.stop.is_set():
                for s in conns:
                    try:
                        s.send(header[i % len(header):i % len(header) + 1])
                    except OSError:
                        pass
                i += 1
                self.stop.wait(5)

        threading.Thread(target=drip, daemon=True).start()
        return conns

    def start_polls(self, tokens):
        """Each agent waits on the command long-poll from its own loopback address."""
        for i, token in enumerate(tokens):
            s = connect_from(f"127.0.1.{i + 1}", self.collector.port)
            self.sockets.append(s)
            s.sendall(b"GET /api/v1/agent/commands?wait=25s HTTP/1.1\r\nHost: collector\r\n"
                      b"Authorization: Bearer " + token.encode() + b"\r\n\r\n")

    def timed(self, what, fn):
        start = time.monotonic()
        result = fn()
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 2.0, f"{what} took {elapsed:.2f}s")
        return result

    def test_service_stays_available_under_hostile_connections(self):
        c = self.collector
        tokens = [c.create_token(f"poll-{i:03d}") for i in range(POLLING_AGENTS)]
        ingest_token = c.create_token("web-01")

        # 200 idle keep-alive connections from one address: the per-address cap keeps at most
        # PER_ADDRESS_CAP of them, the rest are closed at once.
        idle_one_address = self.open_idle("127.0.0.2", IDLE)
        self.assertLessEqual(len(idle_one_address), PER_ADDRESS_CAP)
        self.assertGreaterEqual(len(idle_one_address), PER_ADDRESS_CAP - 2)
        # ...and 200 more spread over four addresses, all of which are kept.
        idle_spread = []
        for n in range(4):
            idle_spread += self.open_idle(f"127.0.2.{n + 1}", IDLE // 4)
        self.assertEqual(len(idle_spread), IDLE)
        slow = self.start_slowloris("127.0.0.3", SLOWLORIS)
        self.assertEqual(len(slow), SLOWLORIS)
        self.start_polls(tokens)
        time.sleep(1)  # let every hostile connection reach the server

        env = dict(os.environ, BEACON_URL=c.url, BEACON_TOKEN_FILE=c.admin_token_file)
        status = self.timed("beaconctl status", lambda: subprocess.run(
            [harness.BEACONCTL, "status"], env=env, capture_output=True, text=True, timeout=10))
        self.assertEqual(status.returncode, 0, status.stderr)
        batch = {"v": 1, "agent": "web-01", "agent_version": "test",
                 "sent_at": "2026-11-26T06:00:00.000Z", "records": [
                     {"seq": 1, "ts": "2026-11-26T06:00:00.000Z", "type": "event",
                      "kind": "test.event", "severity": "information", "subject": "s",
                      "message": "ingest under attack", "data": {}}]}
        code, reply = self.timed("ingest", lambda: c.request("POST", "/api/v1/ingest", batch,
                                                             token=ingest_token))
        self.assertEqual(code, 200, reply)
        self.assertEqual(reply["acked_through"], 1)
        code, reply = self.timed("zabbix webhook", lambda: c.post_zabbix(
            alert_common.zabbix_params(910001)))
        self.assertLess(code, 300, reply)

        # The hostile connections were held, not simply dropped: the idle ones are still open
        # and every agent's poll is still waiting.
        self.assertTrue(all(is_waiting(s) for s in idle_spread))
        polls = self.sockets[-POLLING_AGENTS:]
        self.assertEqual(sum(1 for s in polls if is_waiting(s)), POLLING_AGENTS)


if __name__ == "__main__":
    unittest.main()
