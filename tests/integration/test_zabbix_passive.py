"""Passive checks side by side with the real thing: Debian's zabbix_agentd (package
zabbix-agent, run as the test user with its own config, pid and log files, in the foreground on
a free loopback port) and beacon-agent with zabbix.listen, both asked by the real zabbix_get
(package zabbix-proxy-sqlite3 ships it in Debian 12) for every standard key. Value formats must
match (integers, floats with 6 decimals, discovery JSON with the same macros) and values that do
not move must be equal; bad keys give the same `ZBX_NOTSUPPORTED: <reason>`; a source outside
the allow list gets nothing from either; unframed, LARGE, oversized, truncated, garbage and
stalled requests get nothing and leave both answering. Skipped when the packages are absent
(scripts/bootstrap installs them)."""
import json
import os
import re
import socket
import struct
import subprocess
import time
import unittest

from harness import free_port, tail, wait_for, workdir
from zabbix_agents import (ZABBIX_AGENTD, ZABBIX_GET, start_beacon_agent, start_zabbix_agentd,
                           stop, wait_until_both_ready)
HAVE_ZABBIX = os.access(ZABBIX_AGENTD, os.X_OK) and os.access(ZABBIX_GET, os.X_OK)


def frame(data, flags=1):
    return b"ZBXD" + bytes([flags]) + struct.pack("<II", len(data), 0) + data


@unittest.skipUnless(HAVE_ZABBIX, "zabbix-agent / zabbix_get not installed (scripts/bootstrap)")
class ZabbixPassiveSideBySide(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = workdir("zbxpassive")
        cls.file = os.path.join(cls.dir, "data.txt")
        with open(cls.file, "w") as f:
            f.write("line one\nline two\n" * 1000)
        cls.zabbix, cls.zport, cls.zlog = start_zabbix_agentd(cls.dir, "StartAgents=3\n")
        cls.beacon, cls.bport, cls.blog = start_beacon_agent(
            cls.dir, "", inputs="  system:\n    enabled: true\n    interval: 1s\n")
        wait_until_both_ready(cls, ((cls.zport, cls.zlog), (cls.bport, cls.blog)),
                              lambda port: cls.get(port, "agent.ping") == "1",
                              "both agents to answer agent.ping", 20)

    @classmethod
    def tearDownClass(cls):
        stop(cls.zabbix)
        stop(cls.beacon)

    @staticmethod
    def get(port, key, source=None):
        argv = [ZABBIX_GET, "-s", "127.0.0.1", "-p", str(port), "-k", key]
        if source:
            argv += ["-I", source]
        r = subprocess.run(argv, capture_output=True, timeout=30)
        return (r.stdout + r.stderr).decode(errors="replace").strip()

    def both(self, key):
        return self.get(self.zport, key), self.get(self.bport, key)

    def shape(self, value):
        if value.startswith("ZBX_NOTSUPPORTED: "):
            return ("notsupported", value)
        if re.fullmatch(r"[0-9]+", value):
            return ("unsigned",)
        if re.fullmatch(r"-?[0-9]+\.[0-9]{6}", value):
            return ("float",)
        if value.startswith("["):
            rows = json.loads(value)
            return ("discovery", sorted({k for row in rows for k in row}))
        return ("text",)

    def test_values_that_do_not_move_are_equal(self):
        listening = str(self.zport)
        keys = [
            "agent.ping", "agent.version", "agent.hostname",
            f"net.tcp.listen[{listening}]", "net.tcp.listen[1]",
            f"net.tcp.port[,{listening}]", f"net.tcp.port[127.0.0.1,{free_port()}]",
            "net.if.discovery", "vfs.fs.discovery", "vfs.fs.size[/]",
            f"vfs.file.exists[{self.file}]", f"vfs.file.exists[{self.dir}]",
            f"vfs.file.exists[{self.dir},dir]", f"vfs.file.exists[/dev/null,dev]",
            f"vfs.file.size[{self.file}]", f"vfs.file.size[{self.file},lines]",
            f"vfs.file.time[{self.file}]", f"vfs.file.time[{self.file},change]",
            f"vfs.file.cksum[{self.file}]", f"vfs.file.cksum[{self.file},crc32]",
            f"vfs.file.cksum[{self.file},md5]", f"vfs.file.cksum[{self.file},sha256]",
            f"vfs.file.md5sum[{self.file}]", "vm.memory.size", "vm.memory.size[total]",
            "proc.num[,no-such-user]", "proc.num[no-such-process]",
        ]
        for key in keys:
            with self.subTest(key=key):
                zabbix, beacon = self.both(key)
                self.assertEqual(beacon, zabbix)

    def test_moving_values_have_the_same_format(self):
        keys = [
            "system.uptime", "system.cpu.load", "system.cpu.load[percpu,avg5]",
            "system.cpu.load[all,avg15]", "system.cpu.util", "system.cpu.util[,system,avg5]",
            "system.cpu.util[0,idle]", "system.cpu.util[all,iowait,avg15]",
            "vm.memory.size[free]", "vm.memory.size[used]", "vm.memory.size[pused]",
            "vm.memory.size[available]", "vm.memory.size[pavailable]", "vm.memory.size[cached]",
            "vm.memory.size[buffers]", "vm.memory.size[active]", "vm.memory.size[inactive]",
            "vm.memory.size[anon]", "vm.memory.size[slab]",
            "vfs.fs.size[/,free]", "vfs.fs.size[/,used]", "vfs.fs.size[/,pfree]",
            "vfs.fs.size[/,pused]", "vfs.fs.size[/proc,pfree]",
            "net.if.in[lo]", "net.if.in[lo,packets]", "net.if.in[lo,errors]",
            "net.if.in[lo,dropped]", "net.if.out[lo]", "net.if.out[lo,packets]",
            "net.if.out[lo,errors]", "net.if.out[lo,dropped]",
            "proc.num[]", "proc.num[,root]", "proc.num[,,run]", "proc.num[,,sleep]",
            "proc.num[,,zomb]", "proc.num[,,,zabbix]",
        ]
        for key in keys:
            with self.subTest(key=key):
                zabbix, beacon = self.both(key)
                self.assertEqual(self.shape(beacon), self.shape(zabbix), (zabbix, beacon))
        uptime_z, uptime_b = self.both("system.uptime")
        self.assertLessEqual(abs(int(uptime_z) - int(uptime_b)), 2)
        load_z, load_b = self.both("system.cpu.load[all,avg15]")
        self.assertLess(abs(float(load_z) - float(load_b)), 1.0)

    def test_bad_keys_and_parameters_give_the_same_reason(self):
        keys = [
            "bogus.key", "bad key", "a[b", "x[a]b", "x[[[a]]]", "", "agent.ping[]",
            "agent.ping[x]", "agent.hostname[x]", "system.uptime[x]", "net.if.discovery[x]",
            "vfs.fs.discovery[x]", "system.cpu.load[bogus]", "system.cpu.load[,bogus]",
            "system.cpu.load[a,b,c]", "system.cpu.util[x]", "system.cpu.util[,bogus]",
            "system.cpu.util[,,avg99]", "system.cpu.util[all,user,avg1,logical]",
            "system.cpu.util[99]", "vm.memory.size[bogus]", "vm.memory.size[shared]",
            "vm.memory.size[total,x]", "vfs.fs.size", "vfs.fs.size[/,bogus]",
            "vfs.fs.size[/nonexist]", "vfs.fs.size[ / ]", "net.tcp.listen",
            "net.tcp.listen[]", "net.tcp.listen[abc]", "net.tcp.listen[70000]",
            "net.tcp.listen[1,2]", "net.tcp.port[,]", "net.tcp.port[,abc]",
            "net.if.in[]", "net.if.in[nope]", "net.if.in[lo,bogus]", "net.if.out[lo,bytes,x]",
            "vfs.file.exists[/etc,bogus]", "vfs.file.size", "vfs.file.size[/nope]",
            f"vfs.file.size[{self.file},bogus]", "vfs.file.time[/nope]",
            f"vfs.file.time[{self.file},bogus]", "vfs.file.cksum[]", "vfs.file.cksum[/nope]",
            f"vfs.file.cksum[{self.file},sha1]", f"vfs.file.cksum[{self.file},crc32,x]",
            f"vfs.file.cksum[{self.dir},md5]", "vfs.file.md5sum[/nope]",
            "vfs.file.md5sum[/a,x]", "proc.num[,root,bogus]", "proc.num[a,b,c,d,e]",
        ]
        for key in keys:
            with self.subTest(key=key):
                zabbix, beacon = self.both(key)
                self.assertTrue(zabbix.startswith("ZBX_NOTSUPPORTED: "), zabbix)
                self.assertEqual(beacon, zabbix)

    def test_source_outside_the_allow_list_gets_nothing(self):
        for port in (self.zport, self.bport):
            with socket.create_connection(("127.0.0.1", port), timeout=10,
                                          source_address=("127.0.0.2", 0)) as s:
                s.sendall(frame(b"agent.ping"))
                s.settimeout(10)
                try:
                    reply = s.recv(100)
                except ConnectionResetError:  # closed with the request unread: nothing sent
                    reply = b""
                self.assertEqual(reply, b"", port)
        zabbix = self.get(self.zport, "agent.ping", source="127.0.0.2")
        beacon = self.get(self.bport, "agent.ping", source="127.0.0.2")
        self.assertIn("Check access restrictions", zabbix)
        without_pid = lambda text: re.sub(r"zabbix_get \[\d+\]", "zabbix_get", text)
        self.assertEqual(without_pid(beacon), without_pid(zabbix))
        self.assertIn('connection from "127.0.0.2" rejected', tail(self.blog, 200))

    def test_hostile_frames_neither_crash_nor_hang(self):
        requests = {
            "unframed": b"agent.ping\n",
            "large": b"ZBXD\x05" + struct.pack("<QQ", 10, 0) + b"agent.ping",
            "garbage": os.urandom(4096).replace(b"Z", b"z"),
            "truncated": frame(b"agent.ping")[:16],
            "no protocol bit": b"ZBXD\x00" + struct.pack("<II", 10, 0) + b"agent.ping",
        }
        for name, data in requests.items():
            for port in (self.zport, self.bport):
                with self.subTest(request=name, port=port):
                    start = time.monotonic()
                    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                        s.sendall(data)
                        if name == "truncated":
                            s.shutdown(socket.SHUT_WR)
                        s.settimeout(10)
                        try:
                            reply = s.recv(100)
                        except ConnectionResetError:
                            reply = b""
                    self.assertEqual(reply, b"")
                    self.assertLess(time.monotonic() - start, 8)
        # Oversized: 64 MiB announced to beacon-agent is refused from the header alone.
        with socket.create_connection(("127.0.0.1", self.bport), timeout=10) as s:
            s.sendall(b"ZBXD\x01" + struct.pack("<II", 64 << 20, 0) + b"a" * 1000)
            s.settimeout(10)
            self.assertEqual(s.recv(100), b"")
        # A client that connects and sends nothing is closed at the timeout (3 s), by both.
        for port in (self.zport, self.bport):
            start = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.settimeout(10)
                self.assertEqual(s.recv(100), b"")
            self.assertLess(time.monotonic() - start, 8, port)
        self.assertIsNone(self.beacon.poll())
        self.assertEqual(self.both("agent.ping"), ("1", "1"))

    def test_compressed_request_is_answered(self):
        import zlib
        key = b"agent.hostname"
        packed = zlib.compress(key)
        data = b"ZBXD\x03" + struct.pack("<II", len(packed), len(key)) + packed
        replies = []
        for port in (self.zport, self.bport):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(data)
                s.settimeout(10)
                reply = b""
                while chunk := s.recv(4096):
                    reply += chunk
            replies.append(reply)
        self.assertEqual(replies[1], replies[0])
        self.assertEqual(replies[0], frame(b"testhost"))

    def test_beacon_items(self):
        wait_for(lambda: self.get(self.bport, "beacon.metric[system,system.cpu.util]")
                 .replace(".", "").isdigit(), 20, "a system.cpu.util sample")
        rows = json.loads(self.get(self.bport, "beacon.discovery[system]"))
        self.assertTrue(rows)
        self.assertTrue(all(r["{#INPUT}"] == "system" for r in rows))
        self.assertTrue(self.get(self.bport, "beacon.spool.size").isdigit())
        self.assertEqual(self.get(self.bport, "beacon.backup.age[x]"),
                         "ZBX_NOTSUPPORTED: Backups are not configured.")
        self.assertEqual(self.get(self.zport, "beacon.spool.size"),
                         "ZBX_NOTSUPPORTED: Unsupported item key.")


if __name__ == "__main__":
    unittest.main()
