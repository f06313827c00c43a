"""Issue 4 acceptance: 1,000 files written in bursts (renames, appends during upload, a file
deleted before its upload, new directories) are backed up to s3rver (a real S3 implementation
from npm) and to the local store; each distinct content is catalogued once; every catalog entry
restores byte-identical through the command channel; boto3 fetches one object on its own and
its decompressed bytes equal the original."""
import os
import subprocess
import sys
import unittest

import harness
from backup_common import (BackupRig, Workload, assert_catalog_matches, restore_all_and_compare,
                           store_yaml_local, store_yaml_s3, wait_catalog_complete, write_secret)

BUCKET = "beacon-backups"


class BackupEndToEndTest(unittest.TestCase):
    def setUp(self):
        self.dir = harness.workdir("backup-e2e")
        self.s3 = harness.s3rver(self.dir, BUCKET)
        secret = write_secret(self.dir, "s3.secret", "S3RVER")
        self.data = {name: os.path.join(self.dir, "data", name) for name in ("s3", "local")}
        for d in self.data.values():
            os.makedirs(d)
        stores = (store_yaml_s3("s3rver", self.s3, BUCKET, secret, "S3RVER") +
                  store_yaml_local("disk", os.path.join(self.dir, "store")))
        sets = f"""    - name: on-s3
      paths: [{self.data['s3']}]
      store: s3rver
      debounce: 300ms
    - name: on-disk
      paths: [{self.data['local']}]
      store: disk
      debounce: 300ms
"""
        self.rig = BackupRig(self.dir, stores, sets)

    def tearDown(self):
        self.rig.close()
        self.s3.stop()

    def test_burst_is_catalogued_once_and_restores_identical(self):
        self.rig.agent.start()
        loads = {name: Workload(root, seed=i) for i, (name, root) in enumerate(self.data.items())}
        for load in loads.values():
            load.run(500)
        for name, load in loads.items():
            set_name = "on-s3" if name == "s3" else "on-disk"
            versions = wait_catalog_complete(self.rig, load, set=set_name)
            assert_catalog_matches(self, versions, load)
            restore_all_and_compare(self, self.rig, versions, load)

        # boto3, an independent S3 client, downloads one object; zstd decompresses it.
        v = self.rig.versions(set="on-s3", limit=1)[0]
        script = f"""
import boto3, sys
s3 = boto3.client("s3", endpoint_url="{self.s3.url}", aws_access_key_id="S3RVER",
                  aws_secret_access_key="S3RVER", region_name="us-east-1")
body = s3.get_object(Bucket="{BUCKET}", Key=sys.argv[1])["Body"].read()
sys.stdout.buffer.write(body)
"""
        fetched = subprocess.run([sys.executable, "-c", script, v["key"]], capture_output=True,
                                 timeout=60, check=True).stdout
        plain = subprocess.run(["zstd", "-d", "-c"], input=fetched, capture_output=True,
                               check=True).stdout
        with open(v["path"], "rb") as f:
            current = f.read()
        self.assertEqual(harness.sha256_file(v["path"]), v["sha256"])
        self.assertEqual(plain, current)


if __name__ == "__main__":
    unittest.main()
