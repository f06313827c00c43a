"""A fake Zabbix 6.0 server for the active-check protocol, as captured from the real one:
"active checks" requests are answered with a configurable item list ({"response":"success",
"data":[{"key","delay","lastlogsize":0,"mtime":0}]}) and "agent data" with "processed: N;
failed: 0; total: N; seconds spent: ...". Every request is recorded (JSON) with the time it
arrived. `up = False` closes each connection without a reply (the server is away)."""
import json
import socket
import struct
import threading
import time


def zbxd(data):
    return b"ZBXD\x01" + struct.pack("<II", len(data), 0) + data


def read_frame(conn, timeout=5):
    conn.settimeout(timeout)
    buffer = b""
    while True:
        if len(buffer) >= 13:
            if buffer[:4] != b"ZBXD":
                return None
            length = struct.unpack("<I", buffer[5:9])[0]
            if len(buffer) >= 13 + length:
                return buffer[13:13 + length]
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk


class FakeZabbixServer:
    def __init__(self, items, port=0):
        self.items = list(items)  # [(key, delay)]
        self.up = True
        self.requests = []  # (arrived, json)
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def close(self):
        self.stopping = True
        self.thread.join()
        self.sock.close()

    def _loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                try:
                    self._serve(conn)
                except OSError:
                    pass

    def _serve(self, conn):
        data = read_frame(conn)
        if data is None:
            return
        request = json.loads(data)
        with self.lock:
            self.requests.append((time.time(), request))
        if not self.up:
            return
        if request.get("request") == "active checks":
            reply = {"response": "success",
                     "data": [{"key": k, "delay": d, "lastlogsize": 0, "mtime": 0}
                              for k, d in self.items]}
        elif request.get("request") == "agent data":
            n = len(request.get("data", []))
            reply = {"response": "success",
                     "info": f"processed: {n}; failed: 0; total: {n}; seconds spent: 0.000100"}
        else:
            return  # like the real server: unknown requests get no reply
        conn.sendall(zbxd(json.dumps(reply, separators=(",", ":")).encode()))

    def of(self, kind):
        with self.lock:
            return [r for _, r in self.requests if r.get("request") == kind]

    def values(self):
        out = []
        for r in self.of("agent data"):
            out.extend(r.get("data", []))
        return out
