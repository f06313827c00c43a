"""Process harness for integration tests: temp dirs, free ports, collector/agent lifecycles,
and the collector's HTTP API. Standard library only."""
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

AGENT = os.environ.get("BEACON_AGENT", "build/agent/beacon-agent")
COLLECTOR = os.environ.get("BEACON_COLLECTOR", "build/collector/beacon-collector")
BEACONCTL = os.environ.get("BEACONCTL", "build/ctl/beaconctl")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_low_port():
    """A free loopback port below the kernel's ephemeral range, for programs whose port settings
    stop at 32767 (Zabbix's ListenPort, the Java gateway's listenPort)."""
    for _ in range(200):
        port = random.randint(20000, 32767)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 20000..32767")


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return f"<no {path}>"


class Daemon:
    """A process started with `run -c CONFIG`: SIGKILL for crash tests, SIGTERM to stop."""

    proc = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class Collector(Daemon):
    """A beacon-collector process on a fixed port and store, restartable after SIGKILL."""

    def __init__(self, workdir, port=None, extra_yaml=""):
        self.dir = workdir
        self.port = port or free_port()
        self.admin_token = "admin-" + os.urandom(12).hex()
        self.admin_token_file = os.path.join(workdir, "admin.token")
        with open(self.admin_token_file, "w") as f:
            f.write(self.admin_token + "\n")
        os.chmod(self.admin_token_file, 0o600)
        self.db = os.path.join(workdir, "collector.db")
        self.log = os.path.join(workdir, "collector.log")
        self.config = os.path.join(workdir, "collector.yaml")
        with open(self.config, "w") as f:
            f.write(f"""listen:
  host: 127.0.0.1
  port: {self.port}
store:
  path: {self.db}
api:
  admin_token_file: {self.admin_token_file}
log:
  level: info
  file: {self.log}
{extra_yaml}""")
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen([COLLECTOR, "run", "-c", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._healthy, 20, f"collector healthy on {self.url}\n{tail(self.log)}")
        return self

    def _healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"collector exited with {self.proc.returncode}\n{tail(self.log)}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False


    def request(self, method, path, body=None, token=None, headers=None):
        """Returns (status, parsed JSON or text)."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token or self.admin_token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def create_token(self, agent):
        status, body = self.request("POST", "/api/v1/admin/tokens", {"agent": agent})
        assert status == 201, (status, body)
        return body["token"]

    def query(self, sql, args=()):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()


class Agent(Daemon):
    """A beacon-agent process with its own data dir and token file."""

    def __init__(self, workdir, name, collector_url, token, extra_yaml="", system=False,
                 spool_max="64MiB", inputs_yaml=""):
        """inputs_yaml: more input sections, indented by two spaces, placed under `inputs:`."""
        self.dir = workdir
        self.name = name
        self.data_dir = os.path.join(workdir, "agent-data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.token_file = os.path.join(workdir, "agent.token")
        with open(self.token_file, "w") as f:
            f.write(token + "\n")
        self.log = os.path.join(workdir, "agent.log")
        self.config = os.path.join(workdir, "agent.yaml")
        self.spool = os.path.join(self.data_dir, "spool.db")
        with open(self.config, "w") as f:
            f.write(f"""agent:
  name: {name}
  data_dir: {self.data_dir}
collector:
  url: {collector_url}
  token_file: {self.token_file}
  timeout: 5s
spool:
  path: {self.spool}
  max_bytes: {spool_max}
uplink:
  batch_max_records: 500
  flush_interval: 200ms
  backoff_initial: 100ms
  backoff_max: 1s
inputs:
  system:
    enabled: {"true" if system else "false"}
    interval: 1s
{inputs_yaml}log:
  level: info
  file: {self.log}
{extra_yaml}""")
        self.proc = None

    def start(self, env=None):
        """env: extra environment variables (e.g. BEACON_AGENT_FAULT_POINT)."""
        self.proc = subprocess.Popen([AGENT, "run", "-c", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=dict(os.environ, **env) if env else None)
        time.sleep(0.2)
        if self.proc.poll() is not None:
            raise AssertionError(f"agent exited with {self.proc.returncode}\n{tail(self.log)}")
        return self


    def emit_lines(self, lines):
        """Appends JSON-lines records to the spool through `beacon-agent emit --stdin`."""
        data = "".join(json.dumps(x) + "\n" for x in lines).encode()
        r = subprocess.run([AGENT, "emit", "-c", self.config, "--stdin"], input=data,
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"emit failed ({r.returncode}): {r.stderr.decode(errors='replace')}")

    def spool_pending(self):
        if not os.path.exists(self.spool):
            return None
        con = sqlite3.connect(f"file:{self.spool}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        finally:
            con.close()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


class HoldingProxy:
    """TCP proxy between agent and collector. While `hold` is set, responses from the collector
    are swallowed: the collector has stored a batch, the agent never hears the ack. That is the
    worst moment to kill the agent, and this makes it happen on purpose."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.hold = threading.Event()
        self.held_responses = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, src, dst, is_response):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if is_response and self.hold.is_set():
                    self.held_responses += 1
                    continue
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        self.closed = True
        self.sock.close()


SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Server(Daemon):
    """A test peer started as a child process that prints `port N` as its first line
    (tests/fakes/*.py), or one started on a port chosen here (s3rver)."""

    def __init__(self, argv, log, port=None):
        self.argv = argv
        self.log = log
        self.port = port
        self.proc = None

    def start(self):
        with open(self.log, "ab") as logf:
            if self.port is None:
                self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=logf)
                line = self.proc.stdout.readline().decode().strip()
                if not line.startswith("port "):
                    raise AssertionError(f"{self.argv[1]} did not report its port: {line!r}\n"
                                         f"{tail(self.log)}")
                self.port = int(line.split()[1])
                # Keep draining stdout so the peer never blocks on a full pipe.
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
            else:
                self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=logf)
                wait_for(self._listening, 20, f"{self.argv[1]} listening on {self.port}")
        return self

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.argv} exited with {self.proc.returncode}\n{tail(self.log)}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def control(self, **kwargs):
        """Fault injection on the fakes (POST /__control)."""
        req = urllib.request.Request(self.url + "/__control", data=json.dumps(kwargs).encode(),
                                     method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read() or b"{}")

    def stats(self):
        with urllib.request.urlopen(self.url + "/__stats", timeout=5) as r:
            return json.loads(r.read())


def s3rver(workdir, bucket):
    """s3rver (npm, tests/node) on a free port with one bucket; credentials S3RVER/S3RVER."""
    data = os.path.join(workdir, "s3rver-data")
    os.makedirs(data, exist_ok=True)
    port = free_port()
    script = os.path.join(SOURCE_DIR, "tests", "node", "node_modules", "s3rver", "bin", "s3rver.js")
    return Server(["node", script, "-d", data, "-a", "127.0.0.1", "-p", str(port), "-s",
                   "--configure-bucket", bucket], os.path.join(workdir, "s3rver.log"), port).start()


def fake_s3(workdir, *args):
    return Server(["python3", os.path.join(SOURCE_DIR, "tests", "fakes", "s3_server.py"),
                   "--port", "0", *args], os.path.join(workdir, "fake-s3.log")).start()


def fake_oss(workdir, *args):
    return Server(["python3", os.path.join(SOURCE_DIR, "tests", "fakes", "oss_server.py"),
                   "--port", "0", *args], os.path.join(workdir, "fake-oss.log")).start()


def sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def beaconctl(collector, *args, timeout=120):
    """Runs beaconctl against the collector with its admin token; returns CompletedProcess."""
    return subprocess.run([BEACONCTL, "--url", collector.url, "--token-file",
                           collector.admin_token_file, *args],
                          capture_output=True, text=True, timeout=timeout)


def workdir(prefix):
    return tempfile.mkdtemp(prefix=f"beacon-{prefix}-")
