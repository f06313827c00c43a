"""Load for the soak (tests/soak/README.md): simulated agents speaking the wire protocol
(docs/wire-protocol.md) and a Zabbix server posting webhooks, all on one asyncio loop so 200
agents cost a fraction of one core. Standard library only.

Each SimAgent behaves like beacon-agent's spool and uplink: every record gets its seq when it is
produced (seeded with the time in microseconds, strictly increasing, never reused), records stay
pending until an acknowledgement's acked_through covers them, and failures are retried with the
agent's exponential backoff and jitter. ZabbixSource posts problems (and later recoveries) and
retries each one until it gets a 2xx, as Zabbix does with a media type's attempts.

Not thread-safe: everything here runs on the one event loop that created it."""
import asyncio
import collections
import datetime
import json
import time


class TransportError(Exception):
    """The request did not get a complete HTTP response (refused, reset, timed out, EOF)."""


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + f"{int(t * 1000) % 1000:03d}Z"


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reopened after any error. Like
    libcurl, a request on a reused connection that dies before any byte of the response is
    retried once on a fresh connection (the server had closed the idle connection)."""

    def __init__(self, port, timeout, source=None):
        self.port = port
        self.timeout = timeout
        self.source = source  # local address to connect from (127.x.y.z), default any
        self.reader = None
        self.writer = None

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, path, headers, body=b""):
        """Returns (status, body bytes); raises TransportError."""
        for attempt in (0, 1):
            reused = self.writer is not None
            try:
                if not reused:
                    self.reader, self.writer = await asyncio.wait_for(
                        asyncio.open_connection(
                            "127.0.0.1", self.port,
                            local_addr=(self.source, 0) if self.source else None),
                        self.timeout)
                head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                        f"Content-Length: {len(body)}"]
                head += [f"{k}: {v}" for k, v in headers.items()]
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await asyncio.wait_for(self.writer.drain(), self.timeout)
                return await asyncio.wait_for(self._response(), self.timeout)
            except _FreshRetry:
                self.close()
                if reused and attempt == 0:
                    continue
                raise TransportError("connection closed before the response")
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
                    IndexError) as e:
                self.close()
                raise TransportError(type(e).__name__) from None
        raise TransportError("unreachable")

    async def _response(self):
        line = await self.reader.readline()
        if not line:
            raise _FreshRetry()
        parts = line.decode("latin-1").split(" ", 2)
        status = int(parts[1])
        headers = {}
        while True:
            h = await self.reader.readline()
            if not h:
                raise asyncio.IncompleteReadError(b"", None)
            if h in (b"\r\n", b"\n"):
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readexactly(2)
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        else:
            data = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data


class _FreshRetry(Exception):
    pass


class IngestStats:
    """What all agents saw, shared by them (one event loop, so no lock)."""

    def __init__(self):
        self.latencies = []  # (wall-clock start, seconds) of every 200
        self.errors = collections.Counter()  # "transport:<kind>" or "http:<status>"
        self.accepted = 0
        self.duplicates = 0


class SimAgent:
    """One agent: its token, its seq, its pending records, and what it produced."""

    def __init__(self, name, token, port, cfg, stats, rng, source=None):
        """source: the loopback address this agent connects from; like real hosts, each agent
        gets its own, so the collector's per-address connection cap applies as it would."""
        self.name = name
        self.token = token
        self.cfg = cfg
        self.stats = stats
        self.rng = rng
        self.conn = HttpConnection(port, cfg["timeout"], source)
        # As a new spool: the current time in microseconds, never reused afterwards.
        self.next_seq = int(time.time() * 1e6)
        self.pending = collections.deque()  # (seq, record), oldest first
        self.events = {}  # seq -> subject of every event produced
        self.samples = {}  # seq -> value of every sample produced (1.0, 2.0, ...)
        self.acked_through = 0
        self.failures = 0

    def produce(self, now):
        ts = rfc3339(now)
        for _ in range(self.cfg["events_per_batch"]):
            self.next_seq += 1
            n = len(self.events)
            subject = f"{self.name}/e{n}"
            self.events[self.next_seq] = subject
            self.pending.append((self.next_seq, {
                "seq": self.next_seq, "ts": ts, "type": "event", "kind": "soak.event",
                "severity": "information", "subject": subject,
                "message": f"soak event {n} of {self.name}", "data": {"n": n}}))
        for i in range(self.cfg["samples_per_batch"]):
            self.next_seq += 1
            value = float(len(self.samples) + 1)
            self.samples[self.next_seq] = value
            self.pending.append((self.next_seq, {
                "seq": self.next_seq, "ts": ts, "type": "sample", "metric": "soak.value",
                "value": value, "labels": {"i": str(i)}}))

    def backoff(self, operator_error):
        """beacon-agent's delay: uniform in [initial, min(max, initial * 2^failures)]; errors an
        operator must fix wait backoff_max (docs/wire-protocol.md)."""
        initial, most = self.cfg["backoff_initial"], self.cfg["backoff_max"]
        if operator_error:
            return most
        return self.rng.uniform(initial, min(most, initial * (2 ** self.failures)))

    async def send_once(self):
        """Sends the oldest pending records as one batch. Returns the delay before the next
        attempt (0 after success)."""
        batch = [rec for _, rec in list(self.pending)[:self.cfg["batch_max_records"]]]
        body = json.dumps({"v": 1, "agent": self.name, "agent_version": "soak",
                           "sent_at": rfc3339(time.time()), "records": batch},
                          separators=(",", ":")).encode()
        started_wall, started = time.time(), time.perf_counter()
        try:
            status, reply = await self.conn.request(
                "POST", "/api/v1/ingest",
                {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
                body)
        except TransportError as e:
            self.stats.errors[f"transport:{e}"] += 1
            self.failures += 1
            return self.backoff(False)
        if status != 200:
            self.stats.errors[f"http:{status}"] += 1
            self.failures += 1
            return self.backoff(status in (400, 401, 403, 413))
        self.stats.latencies.append((started_wall, time.perf_counter() - started))
        ack = json.loads(reply)
        self.acked_through = max(self.acked_through, int(ack["acked_through"]))
        self.stats.accepted += int(ack.get("accepted", 0))
        self.stats.duplicates += int(ack.get("duplicates", 0))
        while self.pending and self.pending[0][0] <= self.acked_through:
            self.pending.popleft()
        self.failures = 0
        return 0.0

    async def run(self, ended, stop):
        """Produces a batch every cfg["interval"] seconds until `ended` is set, sends while
        anything is pending, and returns once it has ended and everything is acked, or when
        `stop` is set."""
        interval = self.cfg["interval"]
        next_tick = time.monotonic() + self.rng.uniform(0, interval)
        retry_at = 0.0
        while not stop.is_set():
            now = time.monotonic()
            while not ended.is_set() and now >= next_tick:
                self.produce(time.time())
                next_tick += interval
            if self.pending and now >= retry_at:
                delay = await self.send_once()
                retry_at = time.monotonic() + delay
                if delay == 0 and self.pending:
                    continue  # more than one batch waiting: send the next one at once
            if ended.is_set() and not self.pending:
                break
            wake = retry_at if self.pending else next_tick
            if not ended.is_set():
                wake = min(wake, next_tick)
            await asyncio.sleep(max(0.0, min(wake - time.monotonic(), 0.5)))
        self.conn.close()


def zabbix_params(event_id, value, host, trigger_id, severity):
    """Zabbix 6.0 webhook parameters (tests/integration/alert_common.py, zabbix.md section 4)."""
    names = ["Not classified", "Information", "Warning", "Average", "High", "Disaster"]
    problem = value == "1"
    return {
        "TriggerID": trigger_id, "To": "wecom-group-1",
        "Subject": (f"Problem: Trap too high on {host}: 500" if problem
                    else f"Resolved: Trap too high on {host}: 5"),
        "Message": f"Problem started at 03:20:40 on 2026.11.26\nHost: {host}",
        "EventID": str(event_id), "EventValue": value,
        "EventSeverity": names[severity], "EventNSeverity": str(severity),
        "HostName": host, "HostIP": "127.0.0.1",
        "TriggerStatus": "PROBLEM" if problem else "OK",
        "EventTags": "[{\"tag\":\"svc\",\"value\":\"soak\"}]",
        "EventDate": "2026.11.26 03:20:40",
        "EventRecoveryDate": "{EVENT.RECOVERY.DATE}" if problem else "2026.11.26 03:25:10",
        "ItemValue": "500" if problem else "5", "EventUpdateStatus": "0", "EventSource": "0",
    }


class ZabbixSource:
    """Posts `rate` new problems per second over `hosts` hosts; a fraction `resolve_fraction`
    of them is recovered `resolve_after` seconds later, and a fraction `replay_fraction` of the
    acknowledged posts is sent once more (a replay must answer "duplicate" with the same alert
    id). Severities stay below disaster so the default inhibition rule mutes nothing."""

    def __init__(self, port, token, cfg, rng):
        self.port = port
        self.token = token
        self.cfg = cfg
        self.rng = rng
        self.posts = []  # one dict per webhook (problem, recovery or replay)
        self.tasks = set()
        self.next_event = 1_000_000

    async def _post_until_acked(self, record, params):
        body = json.dumps(params).encode()
        delay = 0.5
        while True:
            record["attempts"] += 1
            conn = HttpConnection(self.port, self.cfg["timeout"])
            try:
                status, reply = await conn.request(
                    "POST", "/api/v1/alerts/zabbix",
                    {"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "Connection": "close"}, body)
            except TransportError:
                status, reply = None, b""
            finally:
                conn.close()
            if status is not None and 200 <= status < 300:
                answer = json.loads(reply)
                record.update(acked=True, status=status, alert_id=answer.get("alert_id"),
                              outcome=answer.get("outcome"), acked_at=time.time())
                return record
            record["last_error"] = status if status is not None else "transport"
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _problem(self, ended):
        self.next_event += 1
        event_id = self.next_event
        host = f"soak-zbx-{self.rng.randrange(self.cfg['hosts']):02d}"
        severity = self.rng.randrange(1, 5)
        trigger = str(500_000 + event_id)
        record = {"kind": "problem", "event_id": event_id, "acked": False, "attempts": 0}
        self.posts.append(record)
        await self._post_until_acked(record, zabbix_params(event_id, "1", host, trigger, severity))
        await self._maybe_replay(record, zabbix_params(event_id, "1", host, trigger, severity))
        if self.rng.random() < self.cfg["resolve_fraction"]:
            try:
                await asyncio.wait_for(ended.wait(), self.cfg["resolve_after"])
                return  # the run is over: this problem stays firing
            except asyncio.TimeoutError:
                pass
            recovery = {"kind": "recovery", "event_id": event_id, "acked": False, "attempts": 0}
            self.posts.append(recovery)
            params = zabbix_params(event_id, "0", host, trigger, severity)
            await self._post_until_acked(recovery, params)
            await self._maybe_replay(recovery, params)

    async def _maybe_replay(self, original, params):
        if self.rng.random() >= self.cfg["replay_fraction"]:
            return
        replay = {"kind": "replay", "of": original["kind"], "event_id": original["event_id"],
                  "acked": False, "attempts": 0, "original_alert_id": original["alert_id"]}
        self.posts.append(replay)
        await self._post_until_acked(replay, params)

    async def run(self, ended):
        """Starts problems until `ended` is set."""
        period = 1.0 / self.cfg["rate"]
        next_at = time.monotonic()
        while not ended.is_set():
            self._spawn(self._problem(ended))
            next_at += period
            try:
                await asyncio.wait_for(ended.wait(), max(0.0, next_at - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    async def drain(self):
        """Waits for every webhook in flight (they retry until acknowledged)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
