"""Issue 4 acceptance, lifecycle and security end to end, against tests/fakes/oss_server.py (a
fake Alibaba OSS with strict V4 signatures and RestoreObject's states): beaconctl backups
lifecycle archives the old version (never the newest), beaconctl restore of the archived version
waits for RestoreObject (202, 409 RestoreAlreadyInProgress, x-oss-restore ongoing true -> false),
then the agent restores it byte-identical; targets outside the restore roots, `..` and symlink
tricks are refused with a clear error."""
import os
import time
import unittest

import harness
from backup_common import BackupRig, write_secret
from harness import beaconctl, wait_for

AK, SK = "LTAI5tFakeOssKey", "fake-oss-secret"


class BackupArchiveTest(unittest.TestCase):
    def setUp(self):
        self.dir = harness.workdir("backup-archive")
        self.oss = harness.fake_oss(self.dir, "--access-key", AK, "--secret-key", SK,
                                    "--bucket", "bk", "--restore-heads", "3")
        secret = write_secret(self.dir, "oss.secret", SK)
        store = f"""    oss:
      type: oss
      endpoint: http://localhost:{self.oss.port}
      region: cn-hangzhou
      bucket: bk
      access_key_id: {AK}
      secret_access_key_file: {secret}
      timeout: 5s
"""
        self.root = os.path.join(self.dir, "data", "conf")
        os.makedirs(self.root)
        sets = f"""    - name: conf
      paths: [{self.root}]
      store: oss
      debounce: 200ms
"""
        collector_yaml = f"""backups:
  stores:
{store}  lifecycle:
    interval: 0s
    restore_poll: 200ms
    policies:
      - set: conf
        archive_after: 1s
        archive_class: archive
        keep_newest: 1
"""
        self.rig = BackupRig(self.dir, store, sets, collector_yaml=collector_yaml)
        self.rig.agent.start()

    def tearDown(self):
        self.rig.close()
        self.oss.stop()

    def write_version(self, path, data, count):
        with open(path, "wb") as f:
            f.write(data)
        return wait_for(lambda: (lambda v: v if len(v) == count else None)(
            self.rig.versions(path=path)), 30, f"{count} versions of {path}")

    def test_archive_then_restore_through_restore_object(self):
        path = os.path.join(self.root, "app.yaml")
        v1 = b"db: primary\npool: 20\n" * 100
        self.write_version(path, v1, 1)
        versions = self.write_version(path, b"db: replica\npool: 40\n" * 100, 2)
        old = min(versions, key=lambda v: v["id"])
        newest = max(versions, key=lambda v: v["id"])
        time.sleep(1.2)

        dry = beaconctl(self.rig.collector, "backups", "lifecycle", "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn(path, dry.stdout)
        self.assertEqual({v["storage_class"] for v in self.rig.versions(path=path)}, {"standard"})

        run = beaconctl(self.rig.collector, "backups", "lifecycle")
        self.assertEqual(run.returncode, 0, run.stderr)
        classes = {v["id"]: v["storage_class"] for v in self.rig.versions(path=path)}
        self.assertEqual(classes, {old["id"]: "archive", newest["id"]: "standard"})

        # Two restores of the archived version: RestoreObject answers 202, then 409.
        out1 = os.path.join(self.rig.restore_root, "one")
        second = self.rig.restore(old, to=os.path.join(self.rig.restore_root, "two"))
        r = beaconctl(self.rig.collector, "restore", "bk-host", path, "--version",
                      str(old["id"]), "--to", out1, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("archive", r.stdout)
        with open(out1 + path, "rb") as f:
            self.assertEqual(f.read(), v1)
        self.assertEqual(self.rig.wait_commands([second])[second]["state"], "succeeded")
        stats = self.oss.stats()
        self.assertGreaterEqual(stats["restore"], 1, stats)

    def test_restore_targets_outside_roots_are_refused(self):
        path = os.path.join(self.root, "secret.conf")
        v = self.write_version(path, b"password=x\n", 1)[0]
        outside = os.path.join(self.dir, "outside")
        os.makedirs(outside)
        link = os.path.join(self.rig.restore_root, "link")
        os.symlink(outside, link)
        cases = {
            "outside": os.path.join(self.dir, "elsewhere"),
            "dotdot": self.rig.restore_root + "/../escape",
            "symlink": link,
        }
        for name, to in cases.items():
            r = beaconctl(self.rig.collector, "restore", "bk-host", path, "--version",
                          str(v["id"]), "--to", to, timeout=60)
            self.assertNotEqual(r.returncode, 0, name)
            self.assertRegex(r.stderr + r.stdout, r"outside the restore roots|\.\.|symbolic link",
                             name)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "elsewhere")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "escape")))
        self.assertEqual(os.listdir(outside), [])


if __name__ == "__main__":
    unittest.main()
