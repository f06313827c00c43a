"""A real Zabbix 6.0 server for integration tests: a private PostgreSQL cluster, Debian's
zabbix_server and the frontend's JSON-RPC API under `php -S`, all on loopback and free ports.

The server and frontend come from Debian's zabbix-server-pgsql and zabbix-frontend-php,
extracted (not installed) by scripts/zabbix-server-prepare into a cache that scripts/bootstrap
fills. Loading the Zabbix schema takes seconds, so the first start on a machine loads it into a
template cluster next to that cache; every later start copies the template. Agents to poll are
ZabbixAgentd (Debian's zabbix_agentd) or anything with `.host`, `.port` and `.hostname`.

Usage:
    with ZabbixServer(workdir("zbx")) as zbx:
        zbx.import_yaml("templates/zabbix/beacon_media_webhook.yaml")
        host = zbx.create_host("h1", "127.0.0.1", agent_port)
        zbx.create_item(host, "agent.ping")
        zbx.wait_value("h1", "agent.ping", lambda v: v == "1")

Standard library only. Not thread-safe: one test thread drives one server.
"""
import contextlib
import ctypes
import fcntl
import glob
import gzip
import json
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

from harness import free_low_port, free_port, tail, wait_for

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PREPARE = os.path.join(REPO, "scripts", "zabbix-server-prepare")
AGENTD = "/usr/sbin/zabbix_agentd"

# item.create / history.get enums (Zabbix 6.0 API)
ITEM_TYPE_ZABBIX_PASSIVE = 0
ITEM_TYPE_TRAPPER = 2
ITEM_TYPE_ZABBIX_ACTIVE = 7
ITEM_TYPE_EXTERNAL = 10
VALUE_FLOAT, VALUE_CHAR, VALUE_LOG, VALUE_UNSIGNED, VALUE_TEXT = 0, 1, 2, 3, 4
INTERFACE_AGENT = 1
# The template's host and item that keep a poller awake (see ZabbixServer._add_tick).
TICK_HOST = "beacon-harness-tick"
TICK_KEY = "beacon_harness_tick"

# configuration.import rules: create and update everything an export here may hold, and delete
# what a re-import no longer has wherever 6.0 allows it. 6.0 has no `template_groups` rule.
IMPORT_RULES = {
    rule: {"createMissing": True, "updateExisting": True}
    for rule in ("groups", "templates", "mediaTypes")
}
IMPORT_RULES.update({
    rule: {"createMissing": True, "updateExisting": True, "deleteMissing": True}
    for rule in ("items", "triggers", "discoveryRules", "valueMaps", "templateDashboards",
                 "graphs", "httptests")
})
IMPORT_RULES["templateLinkage"] = {"createMissing": True, "deleteMissing": True}


class ZabbixError(AssertionError):
    """A JSON-RPC error from the Zabbix API, or a Zabbix process that did not come up."""


def prepared_root():
    """The directory holding the extracted usr/ tree, or ZabbixError saying how to get it."""
    proc = subprocess.run([PREPARE, "--offline"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ZabbixError(proc.stderr.strip() or f"{PREPARE} --offline failed")
    return proc.stdout.strip()


def postgres_bindir():
    override = os.environ.get("BEACON_PG_BINDIR")
    if override:
        return override
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]))
    if not found:
        raise ZabbixError("no PostgreSQL server in /usr/lib/postgresql (scripts/bootstrap "
                          "installs postgresql)")
    return os.path.dirname(found[-1])


def _postgres_user():
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    raise ZabbixError("running as root and there is no postgres or nobody account")


def _proc_stat(pid):
    """(ppid, starttime, state) of a live /proc entry, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(rest[1]), int(rest[19]), rest[0]


def process_tree(root_pid):
    """{pid: starttime} of root_pid and all its descendants, read from /proc."""
    children = {}
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st:
                stats[int(entry)] = st
                children.setdefault(st[0], []).append(int(entry))
    tree, todo = {}, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in stats and pid not in tree:
            tree[pid] = stats[pid][1]
            todo.extend(children.get(pid, []))
    return tree


def still_running(tree):
    """The processes of a process_tree() snapshot that still exist (zombies included)."""
    alive = []
    for pid, start in tree.items():
        st = _proc_stat(pid)
        if st and st[1] == start:
            alive.append(f"{pid} ({st[2]}) {_cmdline(pid)}")
    return alive


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def zbxd_request(port, payload, host="127.0.0.1", timeout=5):
    """One Zabbix protocol exchange (ZBXD, flags 0x01): sends bytes or a JSON-able object,
    returns the reply's data as bytes."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(b"ZBXD\x01" + struct.pack("<II", len(data), 0) + data)
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    if len(reply) < 13 or reply[:4] != b"ZBXD":
        raise ZabbixError(f"not a Zabbix reply from port {port}: {reply[:64]!r}")
    length = struct.unpack("<I", reply[5:9])[0]
    return reply[13:13 + length]


def _die_with_parent(sig):
    """preexec_fn: the child gets `sig` when the test process dies, even by SIGKILL (a ctest
    timeout), so no server outlives its test."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    return lambda: libc.prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)


class _Process:
    """A foreground child process whose whole process tree is stopped and checked."""

    def __init__(self, name, argv, log, env=None, user=None, cwd=None, stop_signal=signal.SIGTERM):
        self.name = name
        self.log = log
        self.stop_signal = stop_signal
        out = open(log, "ab")
        kwargs = {"preexec_fn": _die_with_parent(stop_signal)}
        if user is not None:
            kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                     stdin=subprocess.DEVNULL, **kwargs)
        out.close()
        self.tree = {}

    def check_alive(self):
        if self.proc.poll() is not None:
            raise ZabbixError(f"{self.name} exited with {self.proc.returncode}\n{tail(self.log)}")

    def snapshot(self):
        if self.proc.poll() is None:
            self.tree.update(process_tree(self.proc.pid))

    def stop(self, timeout=20):
        """Signals the main process, waits for it (SIGKILL after timeout) and returns the
        processes of its tree that are still there."""
        self.snapshot()
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                for pid in self.tree:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                self.proc.wait()
        deadline = time.monotonic() + 5
        while still_running(self.tree) and time.monotonic() < deadline:
            time.sleep(0.05)
        return still_running(self.tree)


class ZabbixAgentd:
    """Debian's zabbix_agentd in the foreground on a free loopback port: a passive target
    (host/port/hostname) that also sends active checks to `server_active` when given."""

    def __init__(self, workdir, hostname, server_active=None, user_parameters=(), extra_conf=""):
        self.dir = workdir
        self.host = "127.0.0.1"
        self.port = free_low_port()
        self.hostname = hostname
        self.log = os.path.join(workdir, "zabbix_agentd.log")
        self.config = os.path.join(workdir, "zabbix_agentd.conf")
        lines = [
            "LogType=file", f"LogFile={self.log}", f"PidFile={workdir}/zabbix_agentd.pid",
            "Server=127.0.0.1", "ListenIP=127.0.0.1", f"ListenPort={self.port}",
            f"Hostname={hostname}", "AllowRoot=1", "StartAgents=2", "Timeout=3", "BufferSend=1",
        ]
        if server_active:
            lines.append(f"ServerActive={server_active}")
            # 60 is the least 6.0 allows; the first request goes out at start-up.
            lines.append("RefreshActiveChecks=60")
        lines += [f"UserParameter={key},{command}" for key, command in user_parameters]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n" + extra_conf)
        self.process = None

    def start(self):
        if not os.access(AGENTD, os.X_OK):
            raise ZabbixError(f"{AGENTD} is missing (scripts/bootstrap installs zabbix-agent)")
        self.process = _Process("zabbix_agentd", [AGENTD, "-f", "-c", self.config],
                                os.path.join(self.dir, "zabbix_agentd.out"))
        wait_for(self._listening, 20, f"zabbix_agentd on port {self.port}")
        self.process.snapshot()
        return self

    def _listening(self):
        self.process.check_alive()
        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def get(self, key):
        """What the agent answers to a passive check of `key` (like zabbix_get)."""
        return zbxd_request(self.port, key.encode()).decode(errors="replace")

    def stop(self):
        return self.process.stop() if self.process else []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class ZabbixServer:
    """PostgreSQL + zabbix_server + frontend API for one test class. start() prints how long
    each stage took; stop() leaves no process behind and returns what it could not stop."""

    def __init__(self, workdir, cache_update_frequency=1, server_conf=""):
        self.dir = workdir
        # PostgreSQL may run as another user (see _postgres_user) and must reach its data dir.
        os.chmod(workdir, 0o711)
        self.root = prepared_root()
        self.server_bin = os.path.join(self.root, "usr", "sbin", "zabbix_server")
        self.frontend = os.path.join(self.root, "usr", "share", "zabbix")
        self.sql_dir = os.path.join(self.root, "usr", "share", "zabbix-server-pgsql")
        self.pg_bin = postgres_bindir()
        self.pg_user = _postgres_user()
        self.pg_port = free_port()
        self.trapper_port = free_low_port()
        self.api_port = free_port()
        self.pg_data = os.path.join(workdir, "pgdata")
        self.external_scripts = os.path.join(workdir, "externalscripts")
        self.alert_scripts = os.path.join(workdir, "alertscripts")
        self.server_log = os.path.join(workdir, "zabbix_server.log")
        self.server_conf = os.path.join(workdir, "zabbix_server.conf")
        self.frontend_conf = os.path.join(workdir, "zabbix.conf.php")
        self.cache_update_frequency = cache_update_frequency
        self.extra_server_conf = server_conf
        self.postgres = self.server = self.php = None
        self.token = None
        self.timings = {}
        self._rpc_id = 0

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self):
        t0 = time.monotonic()
        try:
            self._stage("template", self._ensure_template)
            self._stage("postgres", self._start_postgres)
            self._stage("server", self._start_server)
            self._stage("frontend", self._start_frontend)
        except BaseException:
            sys.stderr.write(self.logs())
            self.stop()
            raise
        self.timings["total"] = time.monotonic() - t0
        sys.stderr.write("zabbix_server.py: started in " + ", ".join(
            f"{k} {v:.2f}s" for k, v in self.timings.items()) + "\n")
        return self

    def _stage(self, name, fn):
        t = time.monotonic()
        fn()
        self.timings[name] = time.monotonic() - t

    def stop(self):
        """Server before PostgreSQL (a server without its database keeps reconnecting).
        Returns the processes still there, which should be none."""
        t, left, took = time.monotonic(), [], []
        for name in ("php", "server", "postgres"):
            process = getattr(self, name)
            if process:
                left += process.stop()
                took.append(f"{process.name} {time.monotonic() - t:.2f}s")
                t = time.monotonic()
            setattr(self, name, None)
        if took:
            sys.stderr.write("zabbix_server.py: stopped " + ", ".join(took) + "\n")
        return left

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def logs(self, lines=60):
        """The tails of every log, for a failure message."""
        parts = []
        for name in ("postgres.log", "zabbix_server.log", "php.log"):
            parts.append(f"--- {name}\n{tail(os.path.join(self.dir, name), lines)}")
        return "\n".join(parts) + "\n"

    # ---- PostgreSQL --------------------------------------------------------------------------

    def _pg_run(self, *argv):
        kwargs = {}
        if self.pg_user is not None:
            kwargs.update(user=self.pg_user.pw_uid, group=self.pg_user.pw_gid, extra_groups=[])
        proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)
        if proc.returncode != 0:
            raise ZabbixError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}"
                              f"{proc.stderr}")

    def _postgres(self, name, data, port, extra=()):
        # fsync and full-page writes off: a test cluster is thrown away, never recovered.
        # SIGINT is PostgreSQL's fast shutdown (rolls sessions back, waits for no client).
        argv = [os.path.join(self.pg_bin, "postgres"), "-D", data, "-p", str(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=100", "-c", "shared_buffers=32MB",
                "-c", "logging_collector=off", "-c", "log_min_messages=warning", *extra]
        return _Process(name, argv, os.path.join(self.dir, name.replace(" ", "-") + ".log"),
                        user=self.pg_user, stop_signal=signal.SIGINT)

    def _wait_postgres(self, proc, port):
        def ready():
            proc.check_alive()
            return subprocess.run([os.path.join(self.pg_bin, "pg_isready"), "-q", "-U",
                                   "zabbix", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0
        wait_for(ready, 60, f"PostgreSQL on port {port}\n{tail(proc.log)}", interval=0.05)

    def _template_dir(self):
        major = os.path.basename(os.path.dirname(self.pg_bin))
        return os.path.join(os.path.dirname(self.root), f"pgdata-{major}")

    def _ensure_template(self):
        """A cluster with the Zabbix database loaded, made once per cache and PostgreSQL
        version; concurrent test processes wait on a lock for the first one."""
        template = self._template_dir()
        with open(template + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.isfile(os.path.join(template, "beacon-template-ready")):
                t = time.monotonic()
                self._build_template(template)
                self.timings["schema load (once)"] = time.monotonic() - t

    def _build_template(self, template):
        staging = os.path.join(self.dir, "pgtemplate")
        os.mkdir(staging, 0o700)
        if self.pg_user is not None:
            os.chown(staging, self.pg_user.pw_uid, self.pg_user.pw_gid)
        self._pg_run(os.path.join(self.pg_bin, "initdb"), "-D", staging, "-U", "zabbix",
                     "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
                     # 1 MiB WAL segments: the template (copied per start) keeps 2 MiB of WAL,
                     # not 32 or more.
                     "--wal-segsize=1")
        port = free_port()
        proc = self._postgres("postgres template", staging, port,
                              ["-c", "wal_level=minimal", "-c", "max_wal_senders=0",
                               "-c", "max_wal_size=256MB", "-c", "min_wal_size=2MB"])
        try:
            self._wait_postgres(proc, port)
            psql = [os.path.join(self.pg_bin, "psql"), "-h", "127.0.0.1", "-p", str(port),
                    "-U", "zabbix", "-q", "-v", "ON_ERROR_STOP=1", "-X"]
            subprocess.run(psql + ["-d", "postgres", "-c", "CREATE DATABASE zabbix"], check=True,
                           capture_output=True)
            load = subprocess.Popen(psql + ["-d", "zabbix", "--single-transaction", "-f", "-"],
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            for name in ("schema.sql.gz", "images.sql.gz", "data.sql.gz"):
                with gzip.open(os.path.join(self.sql_dir, name)) as f:
                    shutil.copyfileobj(f, load.stdin, 1 << 20)
            load.stdin.close()
            err = load.stderr.read().decode(errors="replace")
            if load.wait() != 0:
                raise ZabbixError(f"loading the Zabbix schema failed:\n{err}")
            # The stock "Zabbix server" host polls an agent on port 10050 that is not ours.
            subprocess.run(psql + ["-d", "zabbix", "-c",
                                   "UPDATE hosts SET status=1 WHERE host='Zabbix server'"],
                           check=True, capture_output=True)
            self._add_tick(port)
            subprocess.run(psql + ["-d", "zabbix", "-c", "VACUUM FREEZE ANALYZE"], check=True,
                           capture_output=True)
        finally:
            left = proc.stop()
        if left:
            raise ZabbixError(f"template PostgreSQL left processes: {left}")
        # After the clean shutdown the load's WAL (tens of MiB of recycled segments that every
        # start would copy) is not needed: pg_resetwal leaves one empty segment.
        self._pg_run(os.path.join(self.pg_bin, "pg_resetwal"), "-D", staging)
        with open(os.path.join(staging, "beacon-template-ready"), "w") as f:
            f.write("loaded\n")
        os.chmod(os.path.join(staging, "beacon-template-ready"), 0o644)
        # The cache may be where the postgres account cannot write (root's home): copy as
        # ourselves, keeping owner and modes, then rename into place.
        tmp = template + f".tmp{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["cp", "-a", staging, tmp], check=True)
        shutil.rmtree(template, ignore_errors=True)
        os.rename(tmp, template)
        shutil.rmtree(staging)

    def _start_postgres(self):
        subprocess.run(["cp", "-a", self._template_dir(), self.pg_data], check=True)
        self.postgres = self._postgres("postgres", self.pg_data, self.pg_port)
        self._wait_postgres(self.postgres, self.pg_port)

    def psql(self, sql):
        """Runs SQL in the zabbix database; returns psql's unaligned, tuples-only output."""
        proc = subprocess.run([os.path.join(self.pg_bin, "psql"), "-h", "127.0.0.1", "-p",
                               str(self.pg_port), "-U", "zabbix", "-d", "zabbix", "-X", "-A",
                               "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise ZabbixError(f"psql: {proc.stderr}")
        return proc.stdout

    # ---- zabbix_server -----------------------------------------------------------------------

    def _start_server(self):
        if not os.access(self.server_bin, os.X_OK):
            raise ZabbixError(f"{self.server_bin} is missing: run scripts/zabbix-server-prepare")
        for d in (self.external_scripts, self.alert_scripts):
            os.makedirs(d, exist_ok=True)
        os.symlink("/bin/true", os.path.join(self.external_scripts, TICK_KEY))
        # Few processes of each kind: the test machine has two cores and the test hosts few
        # items. Unreachable hosts are retried after a second, not 15.
        conf = f"""LogType=file
LogFile={self.server_log}
LogFileSize=0
PidFile={self.dir}/zabbix_server.pid
SocketDir={self.dir}
TmpDir={self.dir}
DBHost=127.0.0.1
DBPort={self.pg_port}
DBName=zabbix
DBUser=zabbix
ListenIP=127.0.0.1
ListenPort={self.trapper_port}
ExternalScripts={self.external_scripts}
AlertScriptsPath={self.alert_scripts}
CacheUpdateFrequency={self.cache_update_frequency}
Timeout=4
AllowRoot=1
StartPollers=2
StartPollersUnreachable=1
StartTrappers=2
StartPingers=0
StartDiscoverers=0
StartHTTPPollers=0
StartPreprocessors=1
StartDBSyncers=1
StartLLDProcessors=1
StartAlerters=1
StartEscalators=1
StartTimers=1
StartHistoryPollers=1
StartReportWriters=0
StartODBCPollers=0
StartProxyPollers=0
HousekeepingFrequency=0
UnreachableDelay=1
UnreachablePeriod=5
UnavailableDelay=5
{self.extra_server_conf}"""
        with open(self.server_conf, "w") as f:
            f.write(conf)
        self.server = _Process("zabbix_server", [self.server_bin, "-f", "-c", self.server_conf],
                               os.path.join(self.dir, "zabbix_server.out"), cwd=self.dir)
        wait_for(self._server_ready, 60,
                 f"zabbix_server trapper on port {self.trapper_port}\n{tail(self.server_log)}")
        self.server.snapshot()

    def _server_ready(self):
        self.server.check_alive()
        try:
            socket.create_connection(("127.0.0.1", self.trapper_port), timeout=0.5).close()
        except OSError:
            return False
        # The trapper listens before the other processes are up; they log "started" last.
        with open(self.server_log, errors="replace") as f:
            return "server #0 started [main process]" in f.read()

    # ---- frontend API ------------------------------------------------------------------------

    def _start_frontend(self):
        with open(os.path.join(self.frontend, "conf", "zabbix.conf.php.example")) as f:
            example = f.read()
        settings = {
            "$DB['TYPE']": "ZBX_DB_POSTGRESQL", "$DB['SERVER']": "'127.0.0.1'",
            "$DB['PORT']": f"'{self.pg_port}'", "$DB['DATABASE']": "'zabbix'",
            "$DB['USER']": "'zabbix'", "$DB['PASSWORD']": "''",
        }
        with open(self.frontend_conf, "w") as f:
            f.write("<?php\n" + "".join(f"{k} = {v};\n" for k, v in settings.items()) +
                    f"$ZBX_SERVER = '127.0.0.1';\n$ZBX_SERVER_PORT = '{self.trapper_port}';\n"
                    "$ZBX_SERVER_NAME = 'beacon-test';\n"
                    "$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;\n")
        assert "$DB['TYPE']" in example, "frontend config example changed"
        env = dict(os.environ, BEACON_ZABBIX_FRONTEND_CONF=self.frontend_conf)
        self.php = _Process("php -S", ["php", "-S", f"127.0.0.1:{self.api_port}", "-t",
                                       self.frontend],
                            os.path.join(self.dir, "php.log"), env=env)
        wait_for(self._login, 30, f"frontend API on port {self.api_port}\n{tail(self.php.log)}")

    def _login(self):
        self.php.check_alive()
        try:
            self.token = self._call("user.login", {"username": "Admin", "password": "zabbix"},
                                    auth=False)
        except urllib.error.HTTPError as e:
            raise ZabbixError(f"frontend answered HTTP {e.code}\n{tail(self.php.log)}")
        except (urllib.error.URLError, ConnectionError, OSError):
            return False
        return True

    def _call(self, method, params, auth=True):
        self._rpc_id += 1
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": self._rpc_id}
        if auth:
            body["auth"] = self.token
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/api_jsonrpc.php",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json-rpc"})
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
        try:
            reply = json.loads(raw)
        except ValueError:
            raise ZabbixError(f"{method}: not JSON: {raw[:500]!r}\n{tail(self.php.log)}")
        if "error" in reply:
            raise ZabbixError(f"{method} failed: {reply['error']}")
        return reply["result"]

    def _add_tick(self, pg_port):
        """Adds to the template an external check of /bin/true due every second on a host of
        its own. A poller with nothing due sleeps 5 s before it looks for new items again; the
        one running this never sleeps more than 1 s, so new agent and external items are
        polled about a second after the configuration syncer sees them."""
        saved_port, self.pg_port = self.pg_port, pg_port
        try:
            self._start_frontend()
            hostid = self.create_host(TICK_HOST, "127.0.0.1", 10050)
            self.create_item(hostid, TICK_KEY, type=ITEM_TYPE_EXTERNAL, value_type=VALUE_TEXT,
                             history="1h")
        finally:
            left = self.php.stop() if self.php else []
            self.php = self.token = None
            self.pg_port = saved_port
        if left:
            raise ZabbixError(f"php -S left processes: {left}")

    def api(self, method, params):
        """One authenticated JSON-RPC call; returns `result` or raises ZabbixError."""
        return self._call(method, params)

    def import_yaml(self, path):
        """configuration.import of a 6.0 YAML export with IMPORT_RULES."""
        with open(path) as f:
            source = f.read()
        return self.api("configuration.import",
                        {"format": "yaml", "rules": IMPORT_RULES, "source": source})

    def add_external_script(self, name, target):
        """Makes `target` (an executable) the external check `name` (item key `name[...]`,
        type ITEM_TYPE_EXTERNAL) by a symlink in ExternalScripts."""
        os.symlink(os.path.abspath(target), os.path.join(self.external_scripts, name))

    # ---- hosts, items, history ---------------------------------------------------------------

    def group_id(self, name="Linux servers"):
        found = self.api("hostgroup.get", {"filter": {"name": [name]}, "output": ["groupid"]})
        if found:
            return found[0]["groupid"]
        return self.api("hostgroup.create", {"name": name})["groupids"][0]

    def create_host(self, name, ip, port, templates=(), group="Linux servers"):
        """A host with one agent interface at ip:port, linked to the named templates;
        returns its hostid."""
        template_ids = []
        for t in templates:
            found = self.api("template.get", {"filter": {"host": [t]}, "output": ["templateid"]})
            if not found:
                raise ZabbixError(f"no template {t!r}")
            template_ids.append({"templateid": found[0]["templateid"]})
        return self.api("host.create", {
            "host": name,
            "groups": [{"groupid": self.group_id(group)}],
            "interfaces": [{"type": INTERFACE_AGENT, "main": 1, "useip": 1, "ip": ip, "dns": "",
                            "port": str(port)}],
            "templates": template_ids,
        })["hostids"][0]

    def add_agent_host(self, agent, templates=()):
        """create_host() for an agent-like target (.host, .port, .hostname)."""
        return self.create_host(agent.hostname, agent.host, agent.port, templates)

    def create_item(self, hostid, key, name=None, type=ITEM_TYPE_ZABBIX_PASSIVE,
                    value_type=VALUE_UNSIGNED, delay="1s", **extra):
        """An item on the host (passive and external items use its agent interface); returns
        the itemid."""
        params = {"hostid": hostid, "name": name or key, "key_": key, "type": type,
                  "value_type": value_type, "delay": delay, **extra}
        if type in (ITEM_TYPE_ZABBIX_PASSIVE, ITEM_TYPE_EXTERNAL) and "interfaceid" not in params:
            interfaces = self.api("hostinterface.get", {"hostids": hostid,
                                                         "output": ["interfaceid"]})
            params["interfaceid"] = interfaces[0]["interfaceid"]
        if type == ITEM_TYPE_TRAPPER:
            params.pop("delay")
        return self.api("item.create", params)["itemids"][0]

    def item(self, host, key):
        """The item's itemid, value_type, state and error (the reason it is not supported)."""
        found = self.api("item.get", {"host": host, "filter": {"key_": key},
                                      "output": ["itemid", "value_type", "state", "error",
                                                 "lastvalue"]})
        if not found:
            raise ZabbixError(f"no item {key!r} on host {host!r}")
        return found[0]

    def history(self, host, key, limit=10):
        """The item's newest values first, as [(clock, value)]."""
        item = self.item(host, key)
        rows = self.api("history.get", {"itemids": item["itemid"],
                                        "history": int(item["value_type"]), "sortfield": "clock",
                                        "sortorder": "DESC", "limit": limit, "output": "extend"})
        return [(int(r["clock"]), r["value"]) for r in rows]

    def wait_value(self, host, key, predicate=lambda v: True, timeout=30):
        """Waits until the item's newest value in history satisfies predicate; returns it.
        On timeout the error names the item's state and error and the server log."""
        last = {}

        def newest():
            rows = self.history(host, key, limit=1)
            last["rows"] = rows
            return rows[0][1] if rows and predicate(rows[0][1]) else None

        try:
            return wait_for(newest, timeout, f"a value of {key} on {host}", interval=0.25)
        except AssertionError as e:
            item = self.item(host, key)
            raise ZabbixError(f"{e}\nitem: {item}\nhistory: {last.get('rows')}\n"
                              f"{tail(self.server_log)}") from None

    def check_now(self, itemids):
        """Asks the server to poll these items or discovery rules now ("Execute now"), instead
        of at their next scheduled time."""
        return self.api("task.create", [{"type": 6, "request": {"itemid": str(i)}}
                                        for i in itemids])

    def active_checks(self, hostname):
        """The server's reply to an agent's "active checks" request for hostname."""
        return json.loads(zbxd_request(self.trapper_port,
                                       {"request": "active checks", "host": hostname}))

    def wait_active_checks(self, hostname, keys, timeout=20):
        """Waits until the configuration cache offers these active items to hostname (so an
        agent started now gets them in its first request)."""
        def offered():
            reply = self.active_checks(hostname)
            have = {i["key"] for i in reply.get("data", [])}
            return reply.get("response") == "success" and set(keys) <= have
        wait_for(offered, timeout, f"active checks {keys} for {hostname}", interval=0.2)


if __name__ == "__main__":
    # `python3 tests/integration/zabbix_server.py template`: load the schema into the cached
    # template cluster now (scripts/bootstrap does), so the first test start is fast too.
    import tempfile
    if sys.argv[1:] != ["template"]:
        sys.exit(f"usage: {sys.argv[0]} template")
    with tempfile.TemporaryDirectory(prefix="beacon-zbx-template-") as d:
        server = ZabbixServer(d)
        server._stage("template", server._ensure_template)
        print(f"zabbix_server.py: template cluster {server._template_dir()} ready "
              f"({server.timings['template']:.1f}s)")
