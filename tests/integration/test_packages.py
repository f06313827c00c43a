"""The Debian packages of scripts/package (packaging/): lintian, then install, upgrade and purge
in a throwaway root (`dpkg --root=DIR --force-script-chrootless`, so the maintainer scripts run
with DPKG_ROOT=DIR and the running system is never touched), and `systemd-analyze verify` of
the installed units. The root gets the collector's shared libraries, so the postinst's
`beacon-collector migrate` really runs there (chrooted, as the user beacon)."""
import glob
import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import unittest

from package_common import PACKAGES, build_packages, start_build

PREVIOUS = "0.0.1"  # the "previous release" the upgrade starts from

# Lintian warnings that remain, each justified in docs/install.md ("Package checks"); any
# other warning, and every error, fails the test.
ALLOWED_LINTIAN_WARNINGS = {"no-manual-page"}


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def run(argv, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, **kwargs)
    if proc.returncode != 0:
        raise AssertionError(f"{argv} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def passwd_entry(root, name):
    with open(os.path.join(root, "etc/passwd")) as f:
        for line in f:
            fields = line.rstrip("\n").split(":")
            if fields[0] == name:
                return fields
    return None


def group_id(root, name):
    with open(os.path.join(root, "etc/group")) as f:
        for line in f:
            fields = line.split(":")
            if fields[0] == name:
                return int(fields[2])
    return None


class ThrowawayRoot:
    """An empty Debian root for dpkg --root: a dpkg database, root's passwd and group, and the
    shared libraries and loader the collector needs to run chrooted."""

    def __init__(self, path):
        self.path = path
        admin = os.path.join(path, "var/lib/dpkg")
        for sub in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(admin, sub))
        for name in ("status", "available"):
            open(os.path.join(admin, name), "w").close()
        os.makedirs(os.path.join(path, "etc"))
        os.makedirs(os.path.join(path, "var/log"))
        files = {"passwd": "root:x:0:0:root:/root:/bin/sh\n",
                 "group": "root:x:0:\n",
                 "shadow": "root:*:19000:0:99999:7:::\n",
                 "gshadow": "root:*::\n"}
        for name, text in files.items():
            with open(os.path.join(path, "etc", name), "w") as f:
                f.write(text)
        shutil.copy("/etc/login.defs", os.path.join(path, "etc/login.defs"))
        os.makedirs(os.path.join(path, "dev"))
        for dev in ("null", "urandom"):  # SQLite and the token code read /dev/urandom
            st = os.stat("/dev/" + dev)
            os.mknod(os.path.join(path, "dev", dev), stat.S_IFCHR | 0o666, st.st_rdev)

    def add_libraries(self, program):
        """Copies what `ldd program` names (and the loader) to the same paths in the root."""
        out = run(["ldd", program]).stdout
        for line in out.splitlines():
            parts = line.split()
            lib = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
            if not lib.startswith("/"):
                continue
            dest = os.path.join(self.path, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(os.path.realpath(lib), dest)

    def dpkg(self, *args):
        return run(["dpkg", f"--root={self.path}", "--force-script-chrootless",
                    "--force-depends", f"--log={self.path}/var/log/dpkg.log", *args])

    def version(self, package):
        proc = subprocess.run(["dpkg-query", f"--admindir={self.path}/var/lib/dpkg", "-W",
                               "-f=${Status} ${Version}", package], capture_output=True, text=True)
        return proc.stdout if proc.returncode == 0 else None

    def conffiles(self, package):
        return run(["dpkg-query", f"--admindir={self.path}/var/lib/dpkg", "-W",
                    "-f=${Conffiles}", package]).stdout

    def file(self, path):
        return os.path.join(self.path, path.lstrip("/"))


class PackagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="beacon-packages-")
        wait_previous = start_build(os.path.join(cls.dir, "previous"), PREVIOUS)
        cls.debs = build_packages(os.path.join(cls.dir, "current"))
        cls.previous = wait_previous()
        cls.version = run(["dpkg-deb", "-f", cls.debs["beacon-agent"], "Version"]).stdout.strip()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_lintian_has_no_errors_and_only_the_known_warnings(self):
        proc = subprocess.run(["lintian", "--tag-display-limit", "0", *self.debs.values()],
                              capture_output=True, text=True, timeout=300)
        tags = [line for line in proc.stdout.splitlines() if line[:2] in ("E:", "W:")]
        errors = [t for t in tags if t.startswith("E:")]
        self.assertEqual(errors, [], proc.stdout)
        warnings = {t.split()[2] for t in tags if t.startswith("W:")}
        self.assertLessEqual(warnings, ALLOWED_LINTIAN_WARNINGS, proc.stdout)
        self.assertIn(proc.returncode, (0, 2), proc.stderr)  # 2: warnings only

    def test_control_fields(self):
        for name, deb in self.debs.items():
            fields = run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"]).stdout
            self.assertIn(f"Package: {name}\n", fields)
            # Depends come from dpkg-shlibdeps: the libraries the program links, with versions.
            self.assertIn("libc6 (>= ", fields)
            self.assertIn("libstdc++6 (>= ", fields)
        collector = run(["dpkg-deb", "-f", self.debs["beacon-collector"], "Depends"]).stdout
        self.assertIn("libsqlite3-0", collector)
        self.assertIn("adduser", collector)
        self.assertEqual(
            run(["dpkg-deb", "-f", self.previous["beacon-agent"], "Version"]).stdout.strip(),
            PREVIOUS)

    def test_install_upgrade_and_purge_in_a_throwaway_root(self):
        host_passwd = read("/etc/passwd")
        root = ThrowawayRoot(os.path.join(self.dir, "root"))
        root.add_libraries(self.debs_program("beacon-collector"))

        # Install the previous release.
        out = root.dpkg("-i", *self.previous.values())
        for name in PACKAGES:
            self.assertTrue(root.version(name).startswith("install ok installed " + PREVIOUS))
        self.assertIn("schema version", out.stdout + out.stderr)  # migrate ran (chrooted)

        for program in PACKAGES:
            mode = os.stat(root.file("/usr/bin/" + program)).st_mode
            self.assertTrue(mode & stat.S_IXOTH, program)
        for unit in ("beacon-agent.service", "beacon-collector.service"):
            self.assertTrue(os.path.isfile(root.file("/lib/systemd/system/" + unit)))
            # Enabled for the next boot, through deb-systemd-helper in the root.
            self.assertTrue(os.path.islink(
                root.file("/etc/systemd/system/multi-user.target.wants/" + unit)), unit)
        self.assertEqual(root.conffiles("beacon-agent").split()[0], "/etc/beacon/agent.yaml")
        collector_conffiles = root.conffiles("beacon-collector").split()
        self.assertIn("/etc/beacon/collector.yaml", collector_conffiles)
        self.assertIn("/etc/logrotate.d/beacon-collector", collector_conffiles)
        self.assertIn("admin_token_file: /etc/beacon/admin.token",
                      read(root.file("/etc/beacon/collector.yaml")))

        # System users and their directories, in the root's passwd only.
        for user, home in (("beacon", "/var/lib/beacon"), ("beacon-agent", "/var/lib/beacon-agent")):
            entry = passwd_entry(root.path, user)
            self.assertIsNotNone(entry, user)
            self.assertEqual((entry[5], entry[6]), (home, "/usr/sbin/nologin"))
            self.assertLess(int(entry[2]), 1000, "a system uid")
            self.assertEqual(int(entry[3]), group_id(root.path, user))
            st = os.stat(root.file(home))
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (int(entry[2]), 0o750))
        self.assertEqual(read("/etc/passwd"), host_passwd, "the host's users changed")
        beacon_uid = int(passwd_entry(root.path, "beacon")[2])
        self.assertEqual(os.stat(root.file("/var/log/beacon")).st_uid, beacon_uid)

        # The admin token: generated once, readable by the collector's group only.
        token_path = root.file("/etc/beacon/admin.token")
        st = os.stat(token_path)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                         (0, group_id(root.path, "beacon"), 0o640))
        admin_token = read(token_path)
        self.assertGreaterEqual(len(admin_token.strip()), 16)
        # The stores were created by migrate, as the collector's user.
        db = root.file("/var/lib/beacon/collector.db")
        self.assertEqual(os.stat(db).st_uid, beacon_uid)
        for name in ("catalog.db", "alerts.db"):
            self.assertTrue(os.path.exists(root.file("/var/lib/beacon/" + name)), name)

        self.verify_units(root)

        # What an operator adds between releases: the agent token, config edits, data.
        agent_token = "agent-token-kept-over-upgrades-0123456789"
        with open(root.file("/etc/beacon/agent.token"), "w") as f:
            f.write(agent_token + "\n")
        self.edit(root.file("/etc/beacon/agent.yaml"), "    interval: 10s\n", "    interval: 30s\n")
        self.edit(root.file("/etc/beacon/collector.yaml"), "  port: 8470\n", "  port: 8480\n")
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE upgrade_marker (note TEXT)")
        con.execute("INSERT INTO upgrade_marker VALUES ('kept')")
        con.commit()
        con.close()
        spool = root.file("/var/lib/beacon-agent/spool.db")
        with open(spool, "wb") as f:
            f.write(b"unsent records")

        # Upgrade to the current version: nothing of the above is lost, migrate runs again.
        out = root.dpkg("-i", *self.debs.values())
        for name in PACKAGES:
            self.assertEqual(root.version(name), "install ok installed " + self.version)
        self.assertIn("schema version", out.stdout + out.stderr)
        self.assertEqual(read(root.file("/etc/beacon/agent.token")), agent_token + "\n")
        self.assertEqual(read(token_path), admin_token)
        self.assertIn("    interval: 30s\n", read(root.file("/etc/beacon/agent.yaml")))
        self.assertIn("  port: 8480\n", read(root.file("/etc/beacon/collector.yaml")))
        self.assertFalse(glob.glob(root.file("/etc/beacon/*.dpkg-*")), "conffile prompts")
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("SELECT note FROM upgrade_marker").fetchall(), [("kept",)])
        con.close()
        self.assertEqual(read(spool, "rb"), b"unsent records")
        self.assertEqual(read(root.file("/etc/passwd")).count("\nbeacon"),
                         2, "users added twice")

        # Purge: no file of the packages is left, users stay (files may still be theirs).
        root.dpkg("--purge", *PACKAGES)
        for name in PACKAGES:
            status = root.version(name)
            self.assertTrue(status is None or "not-installed" in status, (name, status))
        leftovers = [p for p in ("/etc/beacon", "/var/lib/beacon", "/var/lib/beacon-agent",
                                 "/var/log/beacon", "/etc/logrotate.d/beacon-collector",
                                 "/usr/bin/beacon-agent", "/usr/bin/beacon-collector",
                                 "/usr/bin/beaconctl", "/usr/share/doc/beacon-agent",
                                 "/usr/share/beacon-agent",
                                 "/lib/systemd/system/beacon-agent.service",
                                 "/lib/systemd/system/beacon-collector.service")
                     if os.path.lexists(root.file(p))]
        self.assertEqual(leftovers, [])
        wants = glob.glob(root.file("/etc/systemd/system/*/beacon-*"))
        self.assertEqual(wants, [], "enablement symlinks left")
        self.assertIsNotNone(passwd_entry(root.path, "beacon"))

    def debs_program(self, name):
        """The packaged (stripped) program, unpacked, for ldd."""
        dest = os.path.join(self.dir, "unpacked")
        if not os.path.exists(os.path.join(dest, "usr/bin", name)):
            run(["dpkg-deb", "-x", self.debs[name], dest])
        return os.path.join(dest, "usr/bin", name)

    def verify_units(self, root):
        """systemd-analyze verify of the installed units in a root that also has the system's
        targets and /bin/kill (what the units refer to) beside the packaged programs."""
        verify_root = os.path.join(self.dir, "verify")
        shutil.copytree("/lib/systemd/system", os.path.join(verify_root, "lib/systemd/system"),
                        symlinks=True)
        os.makedirs(os.path.join(verify_root, "usr/bin"))
        os.symlink("usr/bin", os.path.join(verify_root, "bin"))
        shutil.copy("/bin/kill", os.path.join(verify_root, "usr/bin/kill"))
        for program in PACKAGES:
            shutil.copy(root.file("/usr/bin/" + program), os.path.join(verify_root, "usr/bin"))
        units = sorted(glob.glob(root.file("/lib/systemd/system/beacon-*.service")))
        self.assertEqual(len(units), 2, units)
        for unit in units:
            shutil.copy(unit, os.path.join(verify_root, "lib/systemd/system"))
        proc = subprocess.run(["systemd-analyze", "verify", f"--root={verify_root}",
                               *[os.path.basename(u) for u in units]],
                              capture_output=True, text=True, timeout=120)
        # verify exits 0 on unknown keys too: any message is a failure.
        self.assertEqual((proc.returncode, proc.stdout + proc.stderr), (0, ""))

    @staticmethod
    def edit(path, old, new):
        text = read(path)
        assert old in text, f"{old!r} not in {path}"
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))


if __name__ == "__main__":
    unittest.main()
