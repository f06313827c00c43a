"""The HTTP plumbing every fake peer in tests/ shares: a quiet HTTP/1.1 request handler that reads
request bodies, and the two ways a fake runs -- as its own process that prints its port for the
test that started it (tests/fakes/*_server.py, read by tests/unit/peer_process.h and
tests/integration/harness.py), or on a thread inside a Python test."""
import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 without the per-request log line (the tests read the fakes' stdout
    for the port only)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


def argument_parser(description):
    """An ArgumentParser with --port (default 0: a free one) and --host (default 127.0.0.1)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    return parser


def serve(handler, host, port, state):
    """Serves `handler` (which reaches `state` as self.server.state) until interrupted, after
    printing "port N" for the test waiting on it."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.state = state
    print("port %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


class ServerThread:
    """Serves `handler` on 127.0.0.1 and a free port from a daemon thread; `url` is its base URL
    and close() stops it."""

    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
