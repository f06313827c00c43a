#!/usr/bin/env python3
"""Strict fake of the Alibaba Cloud RPC APIs Beacon calls: SLB (CLB 2014-05-15), Alidns
(2015-01-09), RDS (2014-08-15) and CloudMonitor (CMS 2019-01-01) on one port, with every request's signature V1 verified. Python 3 stdlib only.

Usage: aliyun_server.py [--port 0] [--host 127.0.0.1] [--access-key ID:SECRET ...]
                        [--state FILE.json | --state-json TEXT] [--max-skew 900]
The first line on stdout is "port N" (the bound port; --port 0 picks a free one). Without
--access-key the key "LTAI5tFakeKeyId:fake-secret" is configured.

Requests: GET /?params or POST / with an application/x-www-form-urlencoded body (query and body
parameters together). Checks, in this order, each answered {"RequestId","HostId","Code",
"Message","Recommend"}:
  missing Action/Version/AccessKeyId/SignatureMethod/SignatureVersion/SignatureNonce/Timestamp/
    Signature                               400 MissingParameter
  SignatureMethod != HMAC-SHA1 or SignatureVersion != 1.0, Format other than JSON
                                            400 InvalidParameter (this fake speaks JSON only)
  unknown AccessKeyId                       404 InvalidAccessKeyId.NotFound
  Timestamp not yyyy-MM-ddTHH:mm:ssZ        400 InvalidTimeStamp.Format
  Timestamp off by more than --max-skew s   400 InvalidTimeStamp.Expired
  signature (sorted params, RFC 3986 encoding, HMAC-SHA1 with secret + "&") differs
                                            400 SignatureDoesNotMatch (message carries the
                                                server's string to sign, as the real API does)
  SignatureNonce seen within 15 minutes     400 SignatureNonceUsed
  Version/Action pair unknown               404 InvalidAction.NotFound
  an injected fault (see /__control)        its code and HTTP status
  then the action itself.
Actions (the handlers live in ACTIONS, keyed by (Version, Action)):
  SLB  DescribeLoadBalancers (RegionId; LoadBalancerId comma list, ServerId, PageNumber,
       PageSize <= 100), DescribeLoadBalancerAttribute, DescribeHealthStatus (ListenerPort),
       SetBackendServers (weights of attached servers only; others ignored),
       AddBackendServers (an attached server: 400 InvalidParameter; duplicates in one request:
       the first wins), RemoveBackendServers (servers not attached are ignored),
       DescribeVServerGroupAttribute, SetVServerGroupAttribute (weights and name of members only,
       matched by ServerId and Port). BackendServers is a JSON list of at most 20 entries;
       Weight 0..100 as a string or number. Unknown LB: 404 InvalidLoadBalancerId.NotFound;
       unknown group: 404 InvalidParameter.VServerGroupId.NotFound (an assumption of this fake).
  DNS  DescribeDomainRecords (DomainName, RRKeyWord substring, TypeKeyWord exact, PageNumber,
       PageSize <= 500; unknown domain 400 InvalidDomainName.NoExist), UpdateDomainRecord
       (RecordId, RR, Type, Value, TTL default 600, Line default "default", Priority; unknown id
       400 DomainRecordNotBelongToUser; the record's own values or another record's RR/Type/Value
       400 DomainRecordDuplicate).
  RDS  DescribeDBInstances (RegionId; PageNumber, PageSize 1..100 default 30; the documented
       {Items:{DBInstance:[...]}, TotalRecordCount, PageNumber, PageRecordCount}),
       DescribeDBInstancePerformance (DBInstanceId; Key: comma list of 1..30 keys; StartTime and
       EndTime strictly yyyy-MM-ddTHH:mmZ, EndTime after StartTime, at most 31 days apart).
       The instance has points at the last N whole minutes of the real UTC clock (N = the
       length of the key's "values"; the last value is the newest); only points inside
       [StartTime, EndTime] are answered, so a window shifted by hours gets none. Points are
       listed oldest first, or newest first with "newest_first": true. Keys the instance does
       not have are left out of the answer; a key with "values": [] has no points.
       DescribeResourceUsage (DBInstanceId). Unknown instance: 404 InvalidDBInstanceId.NotFound.
  CMS  DescribeMetricLast (Namespace acs_rds_dashboard only, MetricName, optional Dimensions as
       a JSON list of {"instanceId"}, Period, Length 1..1440 default 1000, NextToken): one point
       per instance that has the metric, timestamped at the current whole minute, answered as
       {Code:"200", Success:true, Period, NextToken, Datapoints:"<a JSON *string*>"}.

State (JSON, --state FILE or --state-json, replaced by POST /__control {"state": ...}):
  {"load_balancers": [{"id": "lb-1", "name": "prod", "region": "cn-hangzhou",
     "address": "10.0.0.1", "status": "active", "listeners": [{"port": 80, "protocol": "http"}],
     "backends": [{"server_id": "i-a", "weight": 100, "type": "ecs", "health": "normal"}],
     "vserver_groups": [{"id": "rsp-1", "name": "web", "backends": [
        {"server_id": "i-a", "port": 8080, "weight": 100, "health": "normal"}]}]}],
   "domains": [{"name": "example.com", "records": [{"id": "1001", "rr": "www", "type": "A",
     "value": "192.0.2.1", "ttl": 600, "line": "default", "status": "ENABLE"}]}]}
  A gray load balancer is just another entry.
  RDS instances (region default cn-hangzhou):
  {"rds_instances": [{"id": "rm-1", "description": "orders", "engine": "MySQL",
     "engine_version": "8.0", "region": "cn-hangzhou", "zone": "cn-hangzhou-h",
     "status": "Running", "class": "mysql.n2.medium.1", "type": "Primary",
     "performance": {"MySQL_NetworkTraffic": {"format": "recv_k&sent_k", "unit": "KB",
                                              "values": ["1.0&2.0", "1.5&2.5"]}},
     "usage": {"DiskUsed": 1073741824, "DataSize": 536870912},
     "cloudmonitor": {"CpuUsage": 12.5, "MemoryUsage": 40}}]}

Control (JSON):
  POST /__control {"fail_next": N, "code": "Throttling", "action": "SetBackendServers",
                   "http_status": 400, "message": "...", "skip": K}
                     after K more requests of that action (any action when absent) the next N
                     answer that error (default HTTP status: 503 ServiceUnavailable, 500
                     InternalError and *5xx-looking codes, 400 otherwise). Faults queue up.
                  {"health": {"lb": "lb-1", "server_id": "i-a", "status": "abnormal"}}
                  {"fail_next": 1, "action": "...", "raw_body": "TEXT", "http_status": 200}
                     answers TEXT as it is instead (hostile or truncated answers).
                  {"state": {...}}  replaces the state.
                  {"clear": true}   clears faults, statistics and the nonce memory.
  GET  /__state   the current state.
  GET  /__stats   {"requests": [{"action", "version", "method", "params" (without Signature),
                   "code" ("" on success), "ts"}...], "by_action": {action: n},
                   "rejected": {code: n}}
"""
import base64
import calendar
import hashlib
import hmac
import json
import threading
import time
import uuid
from urllib.parse import parse_qsl, quote, urlsplit

import fake_http

SLB_VERSION = "2014-05-15"
DNS_VERSION = "2015-01-09"
RDS_VERSION = "2014-08-15"
CMS_VERSION = "2019-01-01"
NONCE_WINDOW = 15 * 60
REQUIRED = ("Action", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion",
            "SignatureNonce", "Timestamp", "Signature")
MAX_BACKENDS_PER_CALL = 20


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class RawReply(Exception):
    """An injected answer sent as it is."""

    def __init__(self, status, body):
        super().__init__("raw reply")
        self.status = status
        self.body = body


def missing(name):
    return ApiError(400, "MissingParameter",
                    'The input parameter "%s" that is mandatory for processing this request is '
                    'not supplied.' % name)


def invalid(message):
    return ApiError(400, "InvalidParameter", message)


def percent_encode(text):
    """RFC 3986: only A-Z a-z 0-9 - _ . ~ stay; UTF-8 bytes as %XX (upper case)."""
    return quote(text.encode("utf-8"), safe="-_.~")


def string_to_sign(method, params):
    canonical = "&".join("%s=%s" % (percent_encode(k), percent_encode(params[k]))
                         for k in sorted(params) if k != "Signature")
    return "%s&%s&%s" % (method, percent_encode("/"), percent_encode(canonical))


def sign(method, params, secret):
    digest = hmac.new((secret + "&").encode("utf-8"),
                      string_to_sign(method, params).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def default_status(code):
    if code == "ServiceUnavailable":
        return 503
    if code == "InternalError":
        return 500
    return 400


def as_int(value, name, low, high, default=None):
    if value is None or value == "":
        if default is None:
            raise missing(name)
        return default
    if isinstance(value, bool):
        raise invalid("%s must be an integer" % name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid("The specified parameter %s is not valid." % name)
    if number < low or number > high:
        raise invalid("%s must be between %d and %d" % (name, low, high))
    return number


def parse_backend_list(text, with_port=False):
    """The BackendServers parameter: a JSON list of objects with ServerId (and Port)."""
    try:
        entries = json.loads(text)
    except ValueError:
        raise invalid("The specified parameter BackendServers is not valid JSON.")
    if not isinstance(entries, list) or not entries:
        raise invalid("BackendServers must be a non-empty JSON list.")
    if len(entries) > MAX_BACKENDS_PER_CALL:
        raise invalid("BackendServers takes at most %d servers per call."
                      % MAX_BACKENDS_PER_CALL)
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("ServerId"), str) \
                or not entry["ServerId"]:
            raise invalid("Every BackendServers entry needs a ServerId.")
        weight = as_int(entry.get("Weight"), "Weight", 0, 100, default=100)
        server_type = entry.get("Type", "ecs")
        if server_type not in ("ecs", "eni", "eci"):
            raise invalid("Type must be ecs, eni or eci.")
        port = as_int(entry.get("Port"), "Port", 1, 65535) if with_port else None
        out.append({"server_id": entry["ServerId"], "weight": weight, "type": server_type,
                    "port": port, "description": entry.get("Description")})
    return out


def backend_answer(backend, with_port=False):
    out = {"ServerId": backend["server_id"], "Weight": backend["weight"],
           "Type": backend.get("type", "ecs")}
    if with_port:
        out["Port"] = backend["port"]
    if backend.get("description"):
        out["Description"] = backend["description"]
    return out


class State:
    """Resources, faults, nonces and statistics; every access holds `lock`."""

    def __init__(self, args, resources):
        self.args = args
        self.keys = {}
        for pair in args.access_key or ["LTAI5tFakeKeyId:fake-secret"]:
            key_id, _, secret = pair.partition(":")
            self.keys[key_id] = secret
        self.lock = threading.Lock()
        self.resources = resources
        self.clear()

    def clear(self):
        self.faults = []
        self.nonces = {}
        self.stats = {"requests": [], "by_action": {}, "rejected": {}}

    def take_fault(self, action):
        for fault in self.faults:
            if fault["action"] not in (None, action):
                continue
            if fault["skip"] > 0:
                fault["skip"] -= 1
                return None
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.faults.remove(fault)
            return fault
        return None

    def remember_nonce(self, nonce, now):
        for old in [n for n, t in self.nonces.items() if now - t > NONCE_WINDOW]:
            del self.nonces[old]
        if nonce in self.nonces:
            raise ApiError(400, "SignatureNonceUsed",
                           "Specified signature nonce was used already.")
        self.nonces[nonce] = now

    # ------------------------------------------------------------ lookups
    def load_balancer(self, params):
        lb_id = params.get("LoadBalancerId")
        if not lb_id:
            raise missing("LoadBalancerId")
        for lb in self.resources.get("load_balancers", []):
            if lb["id"] == lb_id:
                return lb
        raise ApiError(404, "InvalidLoadBalancerId.NotFound",
                       "The specified LoadBalancerId does not exist.")

    def vserver_group(self, params):
        group_id = params.get("VServerGroupId")
        if not group_id:
            raise missing("VServerGroupId")
        for lb in self.resources.get("load_balancers", []):
            for group in lb.get("vserver_groups", []):
                if group["id"] == group_id:
                    return lb, group
        raise ApiError(404, "InvalidParameter.VServerGroupId.NotFound",
                       "The specified VServerGroupId does not exist.")

    def domain(self, params):
        name = params.get("DomainName")
        if not name:
            raise missing("DomainName")
        for domain in self.resources.get("domains", []):
            if domain["name"] == name:
                return domain
        raise ApiError(400, "InvalidDomainName.NoExist", "The specified domain name does not "
                       "exist. Refresh the page and try again.")


# ---------------------------------------------------------------- SLB actions (lock held)
def require_region(params):
    if not params.get("RegionId"):
        raise missing("RegionId")


def lb_summary(lb):
    return {"LoadBalancerId": lb["id"], "LoadBalancerName": lb.get("name", ""),
            "LoadBalancerStatus": lb.get("status", "active"), "Address": lb.get("address", ""),
            "AddressType": lb.get("address_type", "intranet"),
            "NetworkType": lb.get("network_type", "vpc"), "VpcId": lb.get("vpc_id", ""),
            "RegionId": lb.get("region", "cn-hangzhou")}


def describe_load_balancers(state, params):
    require_region(params)
    page = as_int(params.get("PageNumber"), "PageNumber", 1, 1 << 30, default=1)
    size = as_int(params.get("PageSize"), "PageSize", 1, 100, default=10)
    wanted = set(filter(None, params.get("LoadBalancerId", "").split(",")))
    server = params.get("ServerId")
    matches = []
    for lb in state.resources.get("load_balancers", []):
        if lb.get("region", "cn-hangzhou") != params["RegionId"]:
            continue
        if wanted and lb["id"] not in wanted:
            continue
        if server and all(b["server_id"] != server for b in lb.get("backends", [])):
            continue
        matches.append(lb_summary(lb))
    chunk = matches[(page - 1) * size:page * size]
    return {"PageNumber": page, "PageSize": size, "TotalCount": len(matches),
            "LoadBalancers": {"LoadBalancer": chunk}}


def describe_load_balancer_attribute(state, params):
    require_region(params)
    lb = state.load_balancer(params)
    out = lb_summary(lb)
    listeners = lb.get("listeners", [])
    out["ListenerPorts"] = {"ListenerPort": [l["port"] for l in listeners]}
    out["ListenerPortsAndProtocol"] = {"ListenerPortAndProtocol": [
        {"ListenerPort": l["port"], "ListenerProtocol": l["protocol"]} for l in listeners]}
    out["BackendServers"] = {"BackendServer": [backend_answer(b) for b in lb.get("backends", [])]}
    return out


def describe_health_status(state, params):
    require_region(params)
    lb = state.load_balancer(params)
    only = params.get("ListenerPort")
    entries = []
    for listener in lb.get("listeners", []):
        if only and str(listener["port"]) != only:
            continue
        group_id = listener.get("vserver_group")
        if group_id:
            group = next(g for g in lb.get("vserver_groups", []) if g["id"] == group_id)
            members = [(b, b["port"]) for b in group.get("backends", [])]
        else:
            members = [(b, listener.get("backend_port", listener["port"]))
                       for b in lb.get("backends", [])]
        for backend, port in members:
            entries.append({"ListenerPort": listener["port"], "ServerId": backend["server_id"],
                            "Port": port, "Protocol": listener["protocol"],
                            "ServerIp": backend.get("ip", ""),
                            "ServerHealthStatus": backend.get("health", "normal")})
    return {"BackendServers": {"BackendServer": entries}}


def set_backend_servers(state, params):
    require_region(params)
    lb = state.load_balancer(params)
    changes = parse_backend_list(params.get("BackendServers") or _raise(missing("BackendServers")))
    attached = {b["server_id"]: b for b in lb.get("backends", [])}
    changed = []
    for change in changes:
        backend = attached.get(change["server_id"])
        if backend is None:
            continue
        backend["weight"] = change["weight"]
        if change["description"] is not None:
            backend["description"] = change["description"]
        changed.append(backend_answer(backend))
    return {"LoadBalancerId": lb["id"], "BackendServers": {"BackendServer": changed}}


def add_backend_servers(state, params):
    require_region(params)
    lb = state.load_balancer(params)
    changes = parse_backend_list(params.get("BackendServers") or _raise(missing("BackendServers")))
    attached = {b["server_id"] for b in lb.setdefault("backends", [])}
    for change in changes:
        if change["server_id"] in attached:
            raise invalid("The backend server %s is already attached to %s."
                          % (change["server_id"], lb["id"]))
    added, seen = [], set()
    for change in changes:
        if change["server_id"] in seen:
            continue
        seen.add(change["server_id"])
        backend = {"server_id": change["server_id"], "weight": change["weight"],
                   "type": change["type"], "health": "normal"}
        if change["description"] is not None:
            backend["description"] = change["description"]
        lb["backends"].append(backend)
        added.append(backend_answer(backend))
    return {"LoadBalancerId": lb["id"], "BackendServers": {"BackendServer": added}}


def remove_backend_servers(state, params):
    require_region(params)
    lb = state.load_balancer(params)
    changes = parse_backend_list(params.get("BackendServers") or _raise(missing("BackendServers")))
    gone = {c["server_id"] for c in changes}
    lb["backends"] = [b for b in lb.get("backends", []) if b["server_id"] not in gone]
    return {"LoadBalancerId": lb["id"], "BackendServers": {
        "BackendServer": [backend_answer(b) for b in lb["backends"]]}}


def vserver_group_answer(lb, group):
    return {"VServerGroupId": group["id"], "VServerGroupName": group.get("name", ""),
            "LoadBalancerId": lb["id"], "BackendServers": {
                "BackendServer": [backend_answer(b, True) for b in group.get("backends", [])]}}


def describe_vserver_group_attribute(state, params):
    require_region(params)
    lb, group = state.vserver_group(params)
    return vserver_group_answer(lb, group)


def set_vserver_group_attribute(state, params):
    require_region(params)
    lb, group = state.vserver_group(params)
    if params.get("VServerGroupName"):
        group["name"] = params["VServerGroupName"]
    if params.get("BackendServers"):
        members = {(b["server_id"], b["port"]): b for b in group.get("backends", [])}
        for change in parse_backend_list(params["BackendServers"], with_port=True):
            member = members.get((change["server_id"], change["port"]))
            if member is not None:
                member["weight"] = change["weight"]
    return vserver_group_answer(lb, group)


# ---------------------------------------------------------------- Alidns actions (lock held)
def record_answer(domain, record):
    return {"DomainName": domain["name"], "RecordId": record["id"], "RR": record["rr"],
            "Type": record["type"], "Value": record["value"], "TTL": record.get("ttl", 600),
            "Priority": record.get("priority"), "Line": record.get("line", "default"),
            "Status": record.get("status", "ENABLE"), "Locked": record.get("locked", False),
            "Weight": record.get("weight"), "Remark": record.get("remark")}


def describe_domain_records(state, params):
    domain = state.domain(params)
    page = as_int(params.get("PageNumber"), "PageNumber", 1, 1 << 30, default=1)
    size = as_int(params.get("PageSize"), "PageSize", 1, 500, default=20)
    rr_keyword = params.get("RRKeyWord", "")
    type_keyword = params.get("TypeKeyWord", "")
    matches = [record_answer(domain, r) for r in domain.get("records", [])
               if rr_keyword in r["rr"] and (not type_keyword or
                                             r["type"].upper() == type_keyword.upper())]
    return {"TotalCount": len(matches), "PageNumber": page, "PageSize": size,
            "DomainRecords": {"Record": matches[(page - 1) * size:page * size]}}


def update_domain_record(state, params):
    for name in ("RecordId", "RR", "Type", "Value"):
        if not params.get(name):
            raise missing(name)
    for domain in state.resources.get("domains", []):
        for record in domain.get("records", []):
            if record["id"] == params["RecordId"]:
                break
        else:
            continue
        break
    else:
        raise ApiError(400, "DomainRecordNotBelongToUser",
                       "The DNS record does not exist or does not belong to the current user.")
    new = {"rr": params["RR"], "type": params["Type"].upper(), "value": params["Value"],
           "ttl": as_int(params.get("TTL"), "TTL", 1, 86400, default=600),
           "line": params.get("Line") or "default"}
    for other in domain.get("records", []):
        if (other["rr"], other["type"].upper(), other["value"]) == \
                (new["rr"], new["type"], new["value"]) and \
                (other is not record or (other.get("ttl", 600) == new["ttl"] and
                                         other.get("line", "default") == new["line"])):
            raise ApiError(400, "DomainRecordDuplicate", "The DNS record already exists.")
    record.update(new)
    if params.get("Priority"):
        record["priority"] = as_int(params["Priority"], "Priority", 1, 50)
    return {"RecordId": record["id"]}

# ---------------------------------------------------------------- RDS actions (lock held)
def rds_instance(state, params):
    instance_id = params.get("DBInstanceId")
    if not instance_id:
        raise missing("DBInstanceId")
    for instance in state.resources.get("rds_instances", []):
        if instance["id"] == instance_id:
            return instance
    raise ApiError(404, "InvalidDBInstanceId.NotFound",
                   "The specified instance is not found.")


def describe_db_instances(state, params):
    require_region(params)
    page = as_int(params.get("PageNumber"), "PageNumber", 1, 1 << 30, default=1)
    size = as_int(params.get("PageSize"), "PageSize", 1, 100, default=30)
    matches = [i for i in state.resources.get("rds_instances", [])
               if i.get("region", "cn-hangzhou") == params["RegionId"]]
    chunk = [{"DBInstanceId": i["id"], "DBInstanceDescription": i.get("description", ""),
              "DBInstanceStatus": i.get("status", "Running"), "Engine": i.get("engine", "MySQL"),
              "EngineVersion": i.get("engine_version", "8.0"),
              "DBInstanceClass": i.get("class", "mysql.n2.medium.1"),
              "DBInstanceType": i.get("type", "Primary"),
              "RegionId": i.get("region", "cn-hangzhou"), "ZoneId": i.get("zone", ""),
              "PayType": i.get("pay_type", "Postpaid"), "ExpireTime": "", "LockMode": "Unlock",
              "VpcId": i.get("vpc_id", "")}
             for i in matches[(page - 1) * size:page * size]]
    return {"PageNumber": page, "TotalRecordCount": len(matches), "PageRecordCount": len(chunk),
            "Items": {"DBInstance": chunk}}


def parse_minute_time(text, name):
    if not text:
        raise missing(name)
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%MZ"))
    except ValueError:
        raise invalid("The specified parameter %s is not in the format yyyy-MM-ddTHH:mmZ." % name)


def describe_db_instance_performance(state, params):
    instance = rds_instance(state, params)
    keys = [k for k in (params.get("Key") or _raise(missing("Key"))).split(",") if k]
    if not keys or len(keys) > 30:
        raise invalid("Key takes 1 to 30 performance keys.")
    start = parse_minute_time(params.get("StartTime"), "StartTime")
    end = parse_minute_time(params.get("EndTime"), "EndTime")
    if end <= start or end - start > 31 * 86400:
        raise invalid("EndTime must be after StartTime, at most 31 days later.")
    newest = int(time.time()) // 60 * 60
    answered = []
    for key in keys:
        spec = instance.get("performance", {}).get(key)
        if spec is None:
            continue
        values = spec.get("values", [])
        points = []
        for i, value in enumerate(values):
            at = newest - (len(values) - 1 - i) * 60
            if start <= at <= end + 59:
                points.append({"Date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
                               "Value": value})
        if spec.get("newest_first"):
            points.reverse()
        answered.append({"Key": key, "ValueFormat": spec.get("format", ""),
                         "Unit": spec.get("unit", ""),
                         "Values": {"PerformanceValue": points}})
    return {"DBInstanceId": instance["id"], "Engine": instance.get("engine", "MySQL"),
            "StartTime": params["StartTime"], "EndTime": params["EndTime"],
            "PerformanceKeys": {"PerformanceKey": answered}}


def describe_resource_usage(state, params):
    instance = rds_instance(state, params)
    out = {"DBInstanceId": instance["id"], "Engine": instance.get("engine", "MySQL")}
    out.update(instance.get("usage", {}))
    return out


# ---------------------------------------------------------------- CMS actions (lock held)
def describe_metric_last(state, params):
    namespace = params.get("Namespace") or _raise(missing("Namespace"))
    metric = params.get("MetricName") or _raise(missing("MetricName"))
    if namespace != "acs_rds_dashboard":
        raise invalid("This fake knows the namespace acs_rds_dashboard only.")
    length = as_int(params.get("Length"), "Length", 1, 1440, default=1000)
    offset = as_int(params.get("NextToken"), "NextToken", 0, 1 << 30, default=0)
    wanted = None
    if params.get("Dimensions"):
        try:
            dimensions = json.loads(params["Dimensions"])
            wanted = {d["instanceId"] for d in dimensions}
        except (ValueError, TypeError, KeyError):
            raise invalid("Dimensions must be a JSON list of {\"instanceId\": ...}.")
    now_ms = int(time.time()) // 60 * 60 * 1000
    points = []
    for instance in state.resources.get("rds_instances", []):
        value = instance.get("cloudmonitor", {}).get(metric)
        if value is None or (wanted is not None and instance["id"] not in wanted):
            continue
        points.append({"timestamp": now_ms, "userId": "1208863178610000",
                       "instanceId": instance["id"], "Average": value, "Maximum": value,
                       "Minimum": value})
    page = points[offset:offset + length]
    next_token = str(offset + length) if offset + length < len(points) else ""
    return {"Code": "200", "Success": True, "Message": "", "Period": params.get("Period", "60"),
            "NextToken": next_token, "Datapoints": json.dumps(page)}



def _raise(error):
    raise error


# (Version, Action) -> handler(state, params).
ACTIONS = {
    (SLB_VERSION, "DescribeLoadBalancers"): describe_load_balancers,
    (SLB_VERSION, "DescribeLoadBalancerAttribute"): describe_load_balancer_attribute,
    (SLB_VERSION, "DescribeHealthStatus"): describe_health_status,
    (SLB_VERSION, "SetBackendServers"): set_backend_servers,
    (SLB_VERSION, "AddBackendServers"): add_backend_servers,
    (SLB_VERSION, "RemoveBackendServers"): remove_backend_servers,
    (SLB_VERSION, "DescribeVServerGroupAttribute"): describe_vserver_group_attribute,
    (SLB_VERSION, "SetVServerGroupAttribute"): set_vserver_group_attribute,
    (DNS_VERSION, "DescribeDomainRecords"): describe_domain_records,
    (DNS_VERSION, "UpdateDomainRecord"): update_domain_record,
    (RDS_VERSION, "DescribeDBInstances"): describe_db_instances,
    (RDS_VERSION, "DescribeDBInstancePerformance"): describe_db_instance_performance,
    (RDS_VERSION, "DescribeResourceUsage"): describe_resource_usage,
    (CMS_VERSION, "DescribeMetricLast"): describe_metric_last,
}


def parse_timestamp(text):
    try:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        raise ApiError(400, "InvalidTimeStamp.Format",
                       "Specified time stamp or date value is not well formatted.")


class Handler(fake_http.QuietHandler):
    server_version = "BeaconFakeAliyun/1.0"

    def _send(self, status, payload):
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        parts = urlsplit(self.path)
        body = self.read_body() if method == "POST" else b""
        state = self.server.state
        if parts.path == "/__stats" and method == "GET":
            with state.lock:
                self._send(200, state.stats)
            return
        if parts.path == "/__state" and method == "GET":
            with state.lock:
                self._send(200, state.resources)
            return
        if parts.path == "/__control" and method == "POST":
            self._control(json.loads(body or b"{}"))
            return
        request_id = str(uuid.uuid4()).upper()
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if body:
            try:
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                        strict_parsing=True))
            except (UnicodeDecodeError, ValueError):
                with state.lock:
                    self._error(request_id, params, method, ApiError(
                        400, "InvalidParameter", "The request body is malformed."))
                return
        with state.lock:
            try:
                result = self._handle(state, method, parts.path, params)
            except ApiError as err:
                self._error(request_id, params, method, err)
                return
            except RawReply as raw:
                self._record(params, method, "")
                data = raw.body.encode("utf-8")
                self.send_response(raw.status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self._record(params, method, "")
            result["RequestId"] = request_id
            self._send(200, result)

    def _handle(self, state, method, path, params):
        if path != "/":
            raise ApiError(404, "InvalidAction.NotFound", "Specified api is not found.")
        for name in REQUIRED:
            if not params.get(name):
                raise missing(name)
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise invalid("This endpoint takes SignatureMethod HMAC-SHA1, SignatureVersion 1.0.")
        if params.get("Format", "XML").upper() != "JSON":
            raise invalid("This fake answers Format=JSON only.")
        secret = state.keys.get(params["AccessKeyId"])
        if secret is None:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not "
                           "found.")
        now = time.time()
        if abs(now - parse_timestamp(params["Timestamp"])) > state.args.max_skew:
            raise ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date "
                           "value is expired.")
        expected = sign(method, params, secret)
        if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
            raise ApiError(400, "SignatureDoesNotMatch",
                           "Specified signature is not matched with our calculation. server "
                           "string to sign is:" + string_to_sign(method, params))
        state.remember_nonce(params["SignatureNonce"], now)
        handler = ACTIONS.get((params["Version"], params["Action"]))
        if handler is None:
            raise ApiError(404, "InvalidAction.NotFound", "Specified api is not found, please "
                           "check your url and method.")
        fault = state.take_fault(params["Action"])
        if fault is not None:
            if fault.get("raw_body") is not None:
                raise RawReply(fault["http_status"], fault["raw_body"])
            raise ApiError(fault["http_status"], fault["code"], fault["message"])
        return handler(state, params)

    def _record(self, params, method, code):
        """Counts one API request in the statistics (the caller holds the lock)."""
        state = self.server.state
        shown = {k: v for k, v in params.items() if k != "Signature"}
        action = params.get("Action", "")
        state.stats["requests"].append({"action": action, "version": params.get("Version", ""),
                                        "method": method, "params": shown, "code": code,
                                        "ts": time.time()})
        state.stats["by_action"][action] = state.stats["by_action"].get(action, 0) + 1
        if code:
            state.stats["rejected"][code] = state.stats["rejected"].get(code, 0) + 1

    def _error(self, request_id, params, method, err):
        """Records and answers an API error (the caller holds the lock)."""
        self._record(params, method, err.code)
        self._send(err.status, {"RequestId": request_id, "HostId": self.headers.get("Host", ""),
                                "Code": err.code, "Message": err.message,
                                "Recommend": "https://api.aliyun.com/troubleshoot?q=" + err.code})

    def _control(self, request):
        state = self.server.state
        with state.lock:
            if request.get("clear"):
                state.clear()
            if "state" in request:
                state.resources = request["state"]
            if "fail_next" in request:
                code = request.get("code", "ServiceUnavailable")
                state.faults.append({
                    "action": request.get("action"), "count": int(request["fail_next"]),
                    "skip": int(request.get("skip", 0)), "code": code,
                    "http_status": int(request.get("http_status", default_status(code))),
                    "message": request.get("message", "Injected " + code + "."),
                    "raw_body": request.get("raw_body")})
            if "health" in request:
                spec = request["health"]
                try:
                    lb = state.load_balancer({"LoadBalancerId": spec["lb"]})
                except ApiError as err:
                    self._send(400, {"ok": False, "error": err.message})
                    return
                backends = list(lb.get("backends", []))
                for group in lb.get("vserver_groups", []):
                    backends.extend(group.get("backends", []))
                for backend in backends:
                    if backend["server_id"] == spec["server_id"]:
                        backend["health"] = spec["status"]
        self._send(200, {"ok": True})


def main():
    parser = fake_http.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--access-key", action="append",
                        help="ID:SECRET (repeatable); default LTAI5tFakeKeyId:fake-secret")
    parser.add_argument("--state", help="JSON file with load_balancers and domains")
    parser.add_argument("--state-json", help="the same as text")
    parser.add_argument("--max-skew", type=int, default=NONCE_WINDOW,
                        help="seconds a Timestamp may be off (default 900)")
    args = parser.parse_args()
    resources = {"load_balancers": [], "domains": []}
    if args.state:
        with open(args.state, encoding="utf-8") as f:
            resources = json.load(f)
    elif args.state_json:
        resources = json.loads(args.state_json)
    fake_http.serve(Handler, args.host, args.port, State(args, resources))


if __name__ == "__main__":
    main()
