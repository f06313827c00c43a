"""tests/fakes/aliyun_server.py is trustworthy: requests signed by the official SDK
(@alicloud/openapi-util getRPCSignature, through tests/oracles/aliyun_rpc_sign.js) are accepted
over GET and POST, and every tampered, replayed, stale or unknown-key request is refused with the
documented code. Needs node and tests/node (scripts/bootstrap installs both)."""
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FAKE = os.path.join(ROOT, "tests", "fakes", "aliyun_server.py")
ORACLE = os.path.join(ROOT, "tests", "oracles", "aliyun_rpc_sign.js")
KEY_ID = "LTAI5tOracleKey"
SECRET = "oracle/Secret+Key=xyz&"
STATE = {
    "load_balancers": [{
        "id": "lb-prod", "name": "prod 生产", "region": "cn-hangzhou",
        "listeners": [{"port": 80, "protocol": "http"}],
        "backends": [{"server_id": "i-a", "weight": 100}, {"server_id": "i-b", "weight": 100}]}],
    "domains": [{"name": "example.com", "records": [
        {"id": "1001", "rr": "www", "type": "A", "value": "192.0.2.1", "ttl": 600}]}],
}


def oracle_sign(requests):
    """Signatures from the official SDK for [(method, params)], in order."""
    payload = json.dumps([{"method": m, "secret": s, "params": p} for m, p, s in requests])
    out = subprocess.run(["node", ORACLE], input=payload.encode(), capture_output=True,
                         check=True, timeout=60)
    return json.loads(out.stdout)


def common(action, version, **extra):
    params = {"Action": action, "Version": version, "Format": "JSON", "AccessKeyId": KEY_ID,
              "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
              "SignatureNonce": uuid.uuid4().hex,
              "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "RegionId": "cn-hangzhou"}
    params.update(extra)
    return params


def encode(params):
    return "&".join("%s=%s" % (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
                    for k, v in sorted(params.items()))


class AliyunFakeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--access-key", KEY_ID + ":" + SECRET,
             "--state-json", json.dumps(STATE)], stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()
        cls.base = "http://127.0.0.1:%d" % int(line.split()[1])

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(10)
        cls.proc.stdout.close()

    def setUp(self):
        self.control({"clear": True, "state": STATE})

    def control(self, body):
        request = urllib.request.Request(self.base + "/__control", data=json.dumps(body).encode(),
                                         method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def send(self, method, params):
        """(status, answer) of one RPC request with `params` as they are (Signature included)."""
        if method == "GET":
            request = urllib.request.Request(self.base + "/?" + encode(params))
        else:
            request = urllib.request.Request(
                self.base + "/", data=encode(params).encode(), method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    def signed(self, cases):
        """[(method, params)] with the SDK's Signature added to each."""
        signatures = oracle_sign([(m, p, SECRET) for m, p in cases])
        return [(m, dict(p, Signature=s)) for (m, p), s in zip(cases, signatures)]

    def test_sdk_signed_requests_are_accepted(self):
        backends = json.dumps([{"ServerId": "i-a", "Weight": "0", "Description": "灰度 a/b *~"}])
        cases = [
            ("GET", common("DescribeLoadBalancers", "2014-05-15")),
            ("POST", common("DescribeLoadBalancerAttribute", "2014-05-15",
                            LoadBalancerId="lb-prod")),
            ("POST", common("SetBackendServers", "2014-05-15", LoadBalancerId="lb-prod",
                            BackendServers=backends)),
            ("GET", common("DescribeHealthStatus", "2014-05-15", LoadBalancerId="lb-prod")),
            ("GET", common("DescribeDomainRecords", "2015-01-09", DomainName="example.com",
                           RRKeyWord="w w+*")),
        ]
        for method, params in self.signed(cases):
            status, answer = self.send(method, params)
            self.assertEqual(status, 200, (params["Action"], answer))
            self.assertTrue(answer["RequestId"])
        with urllib.request.urlopen(self.base + "/__state", timeout=10) as response:
            state = json.load(response)
        self.assertEqual(state["load_balancers"][0]["backends"][0]["weight"], 0)

    def assert_refused(self, method, params, status, code):
        got_status, answer = self.send(method, params)
        self.assertEqual((got_status, answer.get("Code")), (status, code), answer)
        self.assertTrue(answer.get("RequestId"))

    def test_tampered_requests_are_refused(self):
        [(_, good)] = self.signed([("POST", common("SetBackendServers", "2014-05-15",
                                                    LoadBalancerId="lb-prod",
                                                    BackendServers='[{"ServerId":"i-a",'
                                                                   '"Weight":"0"}]'))])
        changed_value = dict(good, BackendServers='[{"ServerId":"i-a","Weight":"100"}]')
        self.assert_refused("POST", changed_value, 400, "SignatureDoesNotMatch")
        added_param = dict(good, Extra="1")
        self.assert_refused("POST", added_param, 400, "SignatureDoesNotMatch")
        self.assert_refused("GET", good, 400, "SignatureDoesNotMatch")  # signed for POST
        flipped = dict(good, Signature=good["Signature"][:-2] + ("A=" if good["Signature"][-2]
                                                                   != "A" else "B="))
        self.assert_refused("POST", flipped, 400, "SignatureDoesNotMatch")
        unsigned = {k: v for k, v in good.items() if k != "Signature"}
        [other_signature] = oracle_sign([("POST", unsigned, "other-secret")])
        wrong_secret = dict(unsigned, Signature=other_signature)
        self.assert_refused("POST", wrong_secret, 400, "SignatureDoesNotMatch")
        # Nothing changed, and the untouched request still passes once.
        self.assertEqual(self.send("POST", good)[0], 200)
        self.assert_refused("POST", good, 400, "SignatureNonceUsed")

    def test_stale_unknown_and_incomplete_requests_are_refused(self):
        stale = common("DescribeLoadBalancers", "2014-05-15",
                       Timestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                               time.gmtime(time.time() - 16 * 60)))
        unknown = common("DescribeLoadBalancers", "2014-05-15", AccessKeyId="LTAI5tNobody")
        no_action = common("DescribeLoadBalancers", "2014-05-15")
        del no_action["Action"]
        bad_action = common("DeleteEverything", "2014-05-15")
        no_region = common("DescribeLoadBalancers", "2014-05-15")
        del no_region["RegionId"]
        signed = self.signed([("GET", p) for p in (stale, unknown, no_action, bad_action,
                                                    no_region)])
        self.assert_refused("GET", signed[0][1], 400, "InvalidTimeStamp.Expired")
        self.assert_refused("GET", signed[1][1], 404, "InvalidAccessKeyId.NotFound")
        self.assert_refused("GET", signed[2][1], 400, "MissingParameter")
        self.assert_refused("GET", signed[3][1], 404, "InvalidAction.NotFound")
        self.assert_refused("GET", signed[4][1], 400, "MissingParameter")
        unsigned = common("DescribeLoadBalancers", "2014-05-15")
        self.assert_refused("GET", unsigned, 400, "MissingParameter")

    def test_injected_faults_then_success(self):
        self.control({"fail_next": 1, "code": "ServiceUnavailable",
                      "action": "DescribeLoadBalancers"})
        self.control({"fail_next": 1, "code": "SystemBusy"})
        cases = [("GET", common("DescribeLoadBalancers", "2014-05-15")) for _ in range(3)]
        results = [self.send(m, p) for m, p in self.signed(cases)]
        self.assertEqual([(s, a.get("Code")) for s, a in results],
                         [(503, "ServiceUnavailable"), (400, "SystemBusy"), (200, None)])
        with urllib.request.urlopen(self.base + "/__stats", timeout=10) as response:
            stats = json.load(response)
        self.assertEqual(stats["by_action"]["DescribeLoadBalancers"], 3)
        self.assertNotIn("Signature", stats["requests"][0]["params"])


if __name__ == "__main__":
    unittest.main()
