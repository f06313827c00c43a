"""A collector on HTTPS that requires client certificates (listen.tls_client_auth: required):
a real beacon-agent presenting its own certificate delivers its records; a client without a
certificate gets no TLS session; a certificate of another agent with this agent's token is
refused with 403; SIGHUP reloads a renewed server certificate. Python's ssl module is the
independent TLS client."""
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class ClientCertificateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="beacon-mtls-")
        d = self.tmp.name
        self.path = lambda name: os.path.join(d, name)
        self.make_ca("ca")
        self.make_cert("server", "localhost", "ca")
        self.make_cert("web-01", "web-01", "ca")
        self.make_cert("web-02", "web-02", "ca")
        self.port = harness.free_port()
        self.admin_token = "admin-" + os.urandom(12).hex()
        with open(self.path("admin.token"), "w") as f:
            f.write(self.admin_token + "\n")
        os.chmod(self.path("admin.token"), 0o600)
        self.log = self.path("collector.log")
        self.config = self.path("collector.yaml")
        with open(self.config, "w") as f:
            f.write(f"""listen:
  host: 127.0.0.1
  port: {self.port}
  tls_cert_file: {self.path('server.pem')}
  tls_key_file: {self.path('server.key')}
  tls_client_ca_file: {self.path('ca.pem')}
  tls_client_auth: required
store:
  path: {self.path('collector.db')}
api:
  admin_token_file: {self.path('admin.token')}
log:
  level: info
  file: {self.log}
""")
        self.proc = subprocess.Popen([harness.COLLECTOR, "run", "-c", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"https://localhost:{self.port}"
        harness.wait_for(self.healthy, 20, f"collector on {self.url}\n{harness.tail(self.log)}")
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.stop()
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.tmp.cleanup()

    def make_ca(self, name):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                f"/CN={name}", "-keyout", self.path(name + ".key"), "-out", self.path(name + ".pem"))

    def make_cert(self, name, cn, ca):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout",
                self.path(name + ".key"), "-out", self.path(name + ".csr"))
        with open(self.path(name + ".ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("x509", "-req", "-days", "1", "-in", self.path(name + ".csr"), "-CA",
                self.path(ca + ".pem"), "-CAkey", self.path(ca + ".key"), "-CAcreateserial",
                "-extfile", self.path(name + ".ext"), "-out", self.path(name + ".pem"))

    def context(self, cert=None, ca="ca"):
        ctx = ssl.create_default_context(cafile=self.path(ca + ".pem"))
        if cert:
            ctx.load_cert_chain(self.path(cert + ".pem"), self.path(cert + ".key"))
        return ctx

    def request(self, method, path, token, body=None, cert="web-01", ca="ca"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.context(cert, ca)) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"collector exited\n{harness.tail(self.log)}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1,
                                        context=self.context("web-01")) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def test_agents_present_their_own_certificate(self):
        status, body = self.request("POST", "/api/v1/admin/tokens", self.admin_token,
                                    {"agent": "web-01"})
        self.assertEqual(status, 201, body)
        token = body["token"]

        # Without a certificate there is no TLS session at all.
        with self.assertRaises((ssl.SSLError, ConnectionError, urllib.error.URLError)):
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
                with self.context(None).wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    if not tls.recv(1):
                        raise ConnectionError("closed")

        # web-01's token with web-02's (valid) certificate: refused, nothing stored.
        batch = {"v": 1, "agent": "web-01", "agent_version": "test",
                 "sent_at": "2026-12-07T06:00:00.000Z", "records": [
                     {"seq": 1, "ts": "2026-12-07T06:00:00.000Z", "type": "event",
                      "kind": "test.event", "severity": "information", "subject": "s",
                      "message": "m", "data": {}}]}
        status, body = self.request("POST", "/api/v1/ingest", token, batch, cert="web-02")
        self.assertEqual(status, 403, body)
        self.assertIn("does not belong to agent web-01", body["error"])

        # A real agent with its own certificate delivers its records.
        with open(self.path("agent.token"), "w") as f:
            f.write(token + "\n")
        workdir = self.path("agent")
        os.makedirs(workdir)
        self.agent = harness.Agent(workdir, "web-01", self.url, token, extra_yaml="")
        with open(self.agent.config) as f:
            text = f.read()
        text = text.replace("  timeout: 5s\n", f"""  timeout: 5s
  ca_file: {self.path('ca.pem')}
  tls_cert_file: {self.path('web-01.pem')}
  tls_key_file: {self.path('web-01.key')}
""")
        with open(self.agent.config, "w") as f:
            f.write(text)
        self.agent.start()
        self.agent.emit_lines([{"kind": "mtls.test", "severity": "information",
                                "subject": "x", "message": f"event {i}"} for i in range(5)])

        def events_from_web01():
            status, body = self.request("GET", "/api/v1/hosts", self.admin_token)
            hosts = [h for h in body.get("hosts", []) if h["name"] == "web-01"]
            return hosts and hosts[0]["events_total"] >= 5

        harness.wait_for(events_from_web01, 20,
                         f"events from web-01\n{harness.tail(self.agent.log)}")

    def test_sighup_reloads_the_server_certificate(self):
        self.make_ca("ca2")
        self.make_cert("server", "localhost", "ca2")
        # Until the signal, new connections still get the old certificate.
        status, _ = self.request("GET", "/healthz", "x")
        self.assertEqual(status, 200)
        self.proc.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "reloaded" in harness.tail(self.log), 10, "the reload log line")
        with self.assertRaises(urllib.error.URLError):
            self.request("GET", "/healthz", "x")
        status, _ = self.request("GET", "/healthz", "x", ca="ca2")
        self.assertEqual(status, 200)
        # A broken certificate file is refused and the current one stays.
        with open(self.path("server.pem"), "w") as f:
            f.write("garbage\n")
        self.proc.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "the old certificate stays" in harness.tail(self.log), 10,
                         "the reload error")
        status, _ = self.request("GET", "/healthz", "x", ca="ca2")
        self.assertEqual(status, 200)
        self.assertIsNone(self.proc.poll())


if __name__ == "__main__":
    unittest.main()
