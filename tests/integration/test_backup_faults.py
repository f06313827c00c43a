"""Issue 4 acceptance, faults: the store answering 500/503 or timing out for a while, a
connection cut mid-multipart, the agent SIGKILLed mid-upload, the collector down — afterwards
nothing is missing and nothing is recorded that was not fully stored; the agent SIGKILLed
between a stored version and its catalog record still catalogues it, once. Also: files written
while the agent was stopped, or beyond the inotify queue, are backed up after restart /
reconcile.
The S3 peer is tests/fakes/s3_server.py (strict SigV4, fault injection)."""
import os
import signal
import time
import unittest

import harness
from backup_common import (BackupRig, Workload, assert_catalog_matches, restore_all_and_compare,
                           store_yaml_local, store_yaml_s3, wait_catalog_complete, write_secret)
from harness import wait_for

BUCKET = "faults"
AK, SK = "AKIDFAULTS", "faults-secret-key"


def ops(stats, name):
    return stats["requests"].get(name, 0)


class BackupFaultsTest(unittest.TestCase):
    def setUp(self):
        self.dir = harness.workdir("backup-faults")
        self.s3 = harness.fake_s3(self.dir, "--access-key", AK, "--secret-key", SK,
                                  "--bucket", BUCKET)
        secret = write_secret(self.dir, "s3.secret", SK)
        self.root = os.path.join(self.dir, "data", "s3")
        self.local_root = os.path.join(self.dir, "data", "local")
        os.makedirs(self.root)
        os.makedirs(self.local_root)
        stores = (store_yaml_s3("fake", self.s3, BUCKET, secret, AK,
                                extra="      part_size: 5MiB\n      multipart_threshold: 5MiB\n") +
                  store_yaml_local("disk", os.path.join(self.dir, "store")))
        sets = f"""    - name: s3set
      paths: [{self.root}]
      store: fake
      debounce: 200ms
    - name: diskset
      paths: [{self.local_root}]
      store: disk
      debounce: 200ms
"""
        self.rig = BackupRig(self.dir, stores, sets)

    def tearDown(self):
        self.rig.close()
        self.s3.stop()

    def assert_all_stored(self, versions):
        """Nothing is recorded that was not fully stored: each catalogued key is in the store
        with the recorded stored size (HEAD through boto3, signed independently)."""
        import boto3
        s3 = boto3.client("s3", endpoint_url=self.s3.url, aws_access_key_id=AK,
                          aws_secret_access_key=SK, region_name="us-east-1")
        for v in versions:
            if v["set"] != "s3set":
                continue
            head = s3.head_object(Bucket=BUCKET, Key=v["key"])
            self.assertEqual(head["ContentLength"], v["stored_size"], v["key"])

    def test_store_errors_timeouts_and_collector_outage_lose_nothing(self):
        self.rig.agent.start()
        load = Workload(self.root, seed=11)
        self.s3.control(fail_next=40, fail_status=503)
        load.run(60)
        wait_for(lambda: self.s3.stats()["injected_failures"] >= 40, 30, "injected 503s used")
        self.s3.control(fail_next=20, fail_status=500)
        load.run(40)
        self.s3.control(delay_ms=6000)  # beyond the store's 5 s timeout
        load.run(20)
        time.sleep(3)
        self.s3.control(delay_ms=0)
        # The collector goes away; the agent keeps backing up and spools the records.
        self.rig.collector.kill()
        load.run(30)
        time.sleep(2)
        self.rig.collector.start()
        versions = wait_catalog_complete(self.rig, load, timeout=120, set="s3set")
        assert_catalog_matches(self, versions, load)
        self.assert_all_stored(versions)
        restore_all_and_compare(self, self.rig, versions, load)

    def test_agent_killed_mid_multipart_and_connection_cut_resume(self):
        self.rig.agent.start()
        big = os.path.join(self.root, "big", "dump.bin")
        os.makedirs(os.path.dirname(big))
        data = os.urandom(23 * 1024 * 1024 + 4321)  # incompressible: 5 parts of 5 MiB
        self.s3.control(delay_ms=700)
        with open(big, "wb") as f:
            f.write(data)
        wait_for(lambda: ops(self.s3.stats(), "UploadPart") >= 2, 60, "two parts uploaded")
        self.rig.agent.kill()
        parts_before = ops(self.s3.stats(), "UploadPart")
        self.s3.control(delay_ms=0, cut_next_part=True)
        self.rig.agent.start()
        load = Workload(self.root, seed=12)
        load.history[big] = [harness.sha256_file(big)]
        load.final[big] = load.history[big][0]
        versions = wait_catalog_complete(self.rig, load, timeout=120, set="s3set")
        mine = [v for v in versions if v["path"] == big]
        self.assertEqual(len(mine), 1, mine)
        # Resumed: the parts stored before the kill were not all sent again.
        self.assertLess(ops(self.s3.stats(), "UploadPart") - parts_before, 6)
        self.assert_all_stored(versions)
        restore_all_and_compare(self, self.rig, mine, load)

    def test_files_written_while_stopped_and_beyond_the_queue_are_reconciled(self):
        load = Workload(self.local_root, seed=13)
        load.run(100)  # agent not running yet: the start-up reconcile finds them
        self.rig.agent.start()
        wait_catalog_complete(self.rig, load, set="diskset")
        # Beyond the inotify queue: the agent is stopped while more files than
        # fs.inotify.max_queued_events are written; IN_Q_OVERFLOW triggers a reconcile.
        with open("/proc/sys/fs/inotify/max_queued_events") as f:
            queue = int(f.read())
        self.rig.agent.proc.send_signal(signal.SIGSTOP)
        flood = os.path.join(self.local_root, "flood")
        os.makedirs(flood)
        for i in range(queue + queue // 5):
            p = os.path.join(flood, f"f{i:06d}")
            with open(p, "wb") as f:
                f.write(b"%d\n" % i)
            load.history[p] = [harness.sha256_file(p)]
            load.final[p] = load.history[p][0]
        self.rig.agent.proc.send_signal(signal.SIGCONT)
        versions = wait_catalog_complete(self.rig, load, timeout=240, set="diskset")
        assert_catalog_matches(self, versions, load)

    def test_agent_killed_between_upload_and_spool_catalogues_the_version_once(self):
        """Issue 11: the agent SIGKILLed after a version is stored and before its catalog
        record is spooled. The state must not say "stored" yet, so the restarted agent stores
        the file again and the catalog lists exactly one version of it."""
        self.rig.agent.start(env={"BEACON_AGENT_FAULT_POINT": "backup.before_spool"})
        path = os.path.join(self.local_root, "window", "app.conf")
        os.makedirs(os.path.dirname(path))
        with open(path, "wb") as f:
            f.write(b"stored, then the agent dies before the catalog hears of it\n" * 40)
        wait_for(lambda: self.rig.agent.proc.poll() is not None, 60,
                 "the agent to kill itself at backup.before_spool")
        self.assertEqual(self.rig.agent.proc.returncode, -signal.SIGKILL)
        store = os.path.join(self.dir, "store")
        objects = [name for _, _, names in os.walk(store) for name in names
                   if name.startswith("app.conf@")]
        self.assertEqual(len(objects), 1, objects)  # the upload happened before the kill
        self.assertEqual(self.rig.versions(path=path), [])

        self.rig.agent.start()
        wait_for(lambda: self.rig.versions(path=path), 60, "the version in the catalog")
        # Everything the restarted agent spooled has reached the collector: still one.
        wait_for(lambda: self.rig.agent.spool_pending() == 0, 60, "the spool to drain")
        versions = self.rig.versions(path=path)
        self.assertEqual(len(versions), 1, versions)
        self.assertEqual(versions[0]["sha256"], harness.sha256_file(path))
        self.assertEqual(versions[0]["set"], "diskset")


if __name__ == "__main__":
    unittest.main()
