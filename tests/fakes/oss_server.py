#!/usr/bin/env python3
"""A strict fake of the Alibaba Cloud OSS object API for tests (python3 stdlib only).

It verifies OSS V4 (OSS4-HMAC-SHA256) and V1 (HMAC-SHA1) signatures with its own code, written
from the public documentation independently of Beacon's C++ signer, and keeps objects in memory.

Usage:
  oss_server.py --port 0 --access-key AK --secret-key SK --bucket BUCKET
                [--region cn-hangzhou] [--restore-heads 1] [--host 127.0.0.1]
Prints "port N" as its first line on stdout once it listens, then serves until killed.

Flags:
  --port N            TCP port, 0 picks a free one (default 0)
  --access-key AK     the one accepted AccessKeyId (default "AKTEST")
  --secret-key SK     its secret (default "SKTEST")
  --bucket B          the one bucket; other buckets get 404 NoSuchBucket (default "bucket")
  --region R          the region V4 credential scopes must name (default "cn-hangzhou")
  --restore-heads N   after POST ?restore, the next N HEADs report ongoing-request="true",
                      the one after that completes the restore: ongoing-request="false",
                      expiry-date="<RFC 1123>" (default 1)
  --host H            listen address (default 127.0.0.1)

Addressing: virtual host (Host: BUCKET.localhost:PORT, path /KEY) and path style (/BUCKET/KEY).
Operations: PutObject (Content-MD5 checked -> 400 InvalidDigest, x-oss-storage-class
Standard|IA|Archive|ColdArchive, x-oss-meta-*), CopyObject (x-oss-copy-source,
x-oss-metadata-directive COPY|REPLACE, x-oss-storage-class), GetObject (Range; archived and not
restored -> 403 InvalidObjectState), HeadObject (x-oss-storage-class, x-oss-restore, x-oss-meta-*),
DeleteObject (204 also for a missing key), ListObjectsV2 (list-type=2, prefix, max-keys,
continuation-token), InitiateMultipartUpload (POST ?uploads), UploadPart (PUT ?partNumber&uploadId),
CompleteMultipartUpload (POST ?uploadId; part ETags and order checked, every part but the last
>= 100 KiB),
AbortMultipartUpload (DELETE ?uploadId), RestoreObject (POST ?restore: 202 first, 409
RestoreAlreadyInProgress while ongoing, 200 once restored).
Bad or missing signatures get 403 SignatureDoesNotMatch / AccessDenied / InvalidAccessKeyId.

Control (unsigned):
  POST /__control {"fail_next": N, "fail_status": 503, "delay_ms": M}
      the next N requests fail with fail_status (ServiceUnavailable XML) before any other
      check; every later request waits delay_ms first (0 turns the delay off). Keys are optional.
  GET /__stats   {"put": n, "get": n, "head": n, "list": n, "delete": n, "copy": n,
                  "init_multipart": n, "upload_part": n, "complete_multipart": n,
                  "abort_multipart": n, "restore": n, "auth_failures": n,
                  "injected_failures": n, "virtual_host": n, "path_style": n,
                  "objects": n, "uploads": n}
      (operation counts are of requests that passed authentication; virtual_host/path_style
      count requests by addressing style)
"""

import base64
import calendar
import datetime
import email.utils
import hashlib
import hmac
import json
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import fake_http

STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive")
ARCHIVE_CLASSES = ("Archive", "ColdArchive")
MIN_PART_SIZE = 100 * 1024
MAX_SKEW_SECONDS = 15 * 60
MSG_SKEWED = "The difference between the request time and the server's time is too large."
MSG_NO_ACCESS_KEY = "The OSS Access Key Id you provided does not exist."
MSG_SIGNATURE = "The request signature we calculated does not match the signature you provided."
MSG_OBJECT_STATE = "The operation is not valid for the object's state"

# The query parameters OSS V1 signs (its "sub-resources"), from the OSS SDKs' documentation.
SUB_RESOURCES = {
    "acl", "append", "asyncFetch", "bucketInfo", "callback", "callback-var", "cname", "comp",
    "continuation-token", "cors", "delete", "encryption", "endTime", "inventory", "inventoryId",
    "lifecycle", "link", "live", "location", "logging", "objectMeta", "partNumber", "policy",
    "position", "qos", "qosInfo", "referer", "replication", "replicationLocation",
    "replicationProgress", "requestPayment", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "restore", "security-token", "sequential",
    "startTime", "stat", "status", "style", "styleName", "symlink", "tagging",
    "transferAcceleration", "uploadId", "uploads", "versionId", "versioning", "versions", "vod",
    "website", "worm", "wormExtend", "wormId", "x-oss-process", "x-oss-request-payer",
    "x-oss-traffic-limit",
}


class OssError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def rfc1123(ts):
    return email.utils.formatdate(ts, usegmt=True)


def iso8601(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def encode(text):
    """RFC 3986: unreserved characters kept, every other UTF-8 byte %XX."""
    return urllib.parse.quote(text, safe="-_.~")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        # key -> dict(data, etag, storage_class, meta, content_type, mtime, restore)
        self.objects = {}
        # upload id -> dict(key, parts{n: (data, etag)}, storage_class, meta, content_type)
        self.uploads = {}
        self.stats = {name: 0 for name in (
            "put", "get", "head", "list", "delete", "copy", "init_multipart", "upload_part",
            "complete_multipart", "abort_multipart", "restore", "auth_failures",
            "injected_failures", "virtual_host", "path_style")}
        self.fail_next = 0
        self.fail_status = 503
        self.delay_ms = 0


class Handler(fake_http.QuietHandler):
    server_version = "FakeOSS/1.0"
    # Headers and body go out in separate writes; without TCP_NODELAY each response waits
    # for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    @property
    def state(self):
        return self.server.state

    # ---- plumbing ----

    def send(self, status, body=b"", headers=None, content_type=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("x-oss-request-id", uuid.uuid4().hex)
        if self.command == "HEAD":
            if "Content-Length" not in (headers or {}):
                self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_xml(self, status, root, headers=None):
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
        self.send(status, body, headers, "application/xml")

    def send_error_xml(self, error):
        root = ET.Element("Error")
        ET.SubElement(root, "Code").text = error.code
        ET.SubElement(root, "Message").text = error.message
        ET.SubElement(root, "RequestId").text = uuid.uuid4().hex
        ET.SubElement(root, "HostId").text = "fake-oss"
        self.send_xml(error.status, root)

    def parse_target(self):
        """-> (bucket, key, [(name, value)]) from Host and the request line."""
        raw_path, _, raw_query = self.path.partition("?")
        query = []
        if raw_query:
            for part in raw_query.split("&"):
                if not part:
                    continue
                name, eq, value = part.partition("=")
                value = urllib.parse.unquote(value) if eq else ""
                query.append((urllib.parse.unquote(name), value))
        path = urllib.parse.unquote(raw_path)
        host = (self.headers.get("Host") or "").split(":")[0]
        bucket = self.state.args.bucket
        if host.startswith(bucket + "."):
            key = path[1:]
            style = "virtual_host"
        else:
            style = "path_style"
            parts = path[1:].split("/", 1)
            bucket = parts[0]
            key = parts[1] if len(parts) > 1 else ""
        with self.state.lock:
            self.state.stats[style] += 1
        return bucket, key, query

    # ---- signatures ----

    def verify(self, bucket, key, query):
        auth = self.headers.get("Authorization")
        if not auth:
            raise OssError(403, "AccessDenied", "AccessDenied: no Authorization header")
        if auth.startswith("OSS4-HMAC-SHA256 "):
            self.verify_v4(auth, bucket, key, query)
        elif auth.startswith("OSS "):
            self.verify_v1(auth, bucket, key, query)
        else:
            raise OssError(403, "AccessDenied", "unsupported Authorization scheme")

    def check_skew(self, ts):
        if abs(time.time() - ts) > MAX_SKEW_SECONDS:
            raise OssError(403, "RequestTimeTooSkewed", MSG_SKEWED)

    def verify_v4(self, auth, bucket, key, query):
        fields = {}
        for item in auth[len("OSS4-HMAC-SHA256 "):].split(","):
            name, _, value = item.strip().partition("=")
            fields[name] = value
        try:
            access_key, day, region, service, terminal = fields["Credential"].split("/")
            signature = fields["Signature"]
        except (KeyError, ValueError):
            raise OssError(403, "AccessDenied", "malformed OSS4 Authorization header")
        if access_key != self.state.args.access_key:
            raise OssError(403, "InvalidAccessKeyId", MSG_NO_ACCESS_KEY)
        if service != "oss" or terminal != "aliyun_v4_request" or region != self.state.args.region:
            raise OssError(403, "SignatureDoesNotMatch", "bad credential scope")
        oss_date = self.headers.get("x-oss-date") or ""
        try:
            ts = calendar.timegm(time.strptime(oss_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise OssError(403, "AccessDenied", "missing or malformed x-oss-date")
        self.check_skew(ts)
        if oss_date[:8] != day:
            raise OssError(403, "SignatureDoesNotMatch", "credential date differs from x-oss-date")
        if self.headers.get("x-oss-content-sha256") != "UNSIGNED-PAYLOAD":
            raise OssError(403, "SignatureDoesNotMatch",
                           "x-oss-content-sha256 must be UNSIGNED-PAYLOAD")
        additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]

        lower = {}
        for name, value in self.headers.items():
            lower[name.lower()] = value.strip()
        signed = sorted(n for n in lower
                        if n in ("content-type", "content-md5") or n.startswith("x-oss-")
                        or n in additional)
        canonical_headers = "".join("%s:%s\n" % (n, lower[n]) for n in signed)
        encoded = sorted((encode(n), encode(v)) for n, v in query)
        canonical_query = "&".join(n + "=" + v if v else n for n, v in encoded)
        resource = "/" + (bucket + "/" if bucket else "") + key
        canonical_request = "\n".join([
            self.command, urllib.parse.quote(resource, safe="/-_.~"), canonical_query,
            canonical_headers, ";".join(additional), "UNSIGNED-PAYLOAD"])
        string_to_sign = "\n".join([
            "OSS4-HMAC-SHA256", oss_date, "%s/%s/oss/aliyun_v4_request" % (day, region),
            hashlib.sha256(canonical_request.encode()).hexdigest()])
        signing_key = ("aliyun_v4" + self.state.args.secret_key).encode()
        for part in (day, region, "oss", "aliyun_v4_request"):
            signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise OssError(403, "SignatureDoesNotMatch", MSG_SIGNATURE)

    def verify_v1(self, auth, bucket, key, query):
        access_key, _, signature = auth[len("OSS "):].partition(":")
        if access_key != self.state.args.access_key:
            raise OssError(403, "InvalidAccessKeyId", MSG_NO_ACCESS_KEY)
        date = self.headers.get("x-oss-date") or self.headers.get("Date") or ""
        parsed = email.utils.parsedate_tz(date)
        if parsed is None:
            raise OssError(403, "AccessDenied", "missing or malformed Date")
        self.check_skew(email.utils.mktime_tz(parsed))
        lower = {}
        for name, value in self.headers.items():
            lower[name.lower()] = value.strip()
        oss_headers = "".join("%s:%s\n" % (n, lower[n]) for n in sorted(lower)
                              if n.startswith("x-oss-"))
        resource = "/" + (bucket + "/" + key if bucket else "")
        sub = sorted((n, v) for n, v in query if n in SUB_RESOURCES)
        if sub:
            resource += "?" + "&".join(n + "=" + v if v else n for n, v in sub)
        string_to_sign = "%s\n%s\n%s\n%s\n%s%s" % (
            self.command, lower.get("content-md5", ""), lower.get("content-type", ""), date,
            oss_headers, resource)
        mac = hmac.new(self.state.args.secret_key.encode(), string_to_sign.encode(), hashlib.sha1)
        expected = base64.b64encode(mac.digest()).decode()
        if not hmac.compare_digest(expected, signature):
            raise OssError(403, "SignatureDoesNotMatch", MSG_SIGNATURE)

    # ---- dispatch ----

    def do_GET(self):
        self.handle_request()

    def do_HEAD(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def do_DELETE(self):
        self.handle_request()

    def handle_request(self):
        try:
            body = self.read_body()
            if self.path.startswith("/__control") or self.path.startswith("/__stats"):
                return self.control(body)
            st = self.state
            with st.lock:
                delay = st.delay_ms
                inject = st.fail_next > 0
                if inject:
                    st.fail_next -= 1
                    st.stats["injected_failures"] += 1
                    status = st.fail_status
            bucket, key, query = self.parse_target()
            if delay:
                time.sleep(delay / 1000.0)
            if inject:
                raise OssError(status, "ServiceUnavailable" if status == 503 else "InternalError",
                               "injected failure")
            try:
                self.verify(bucket, key, query)
            except OssError:
                with st.lock:
                    st.stats["auth_failures"] += 1
                raise
            if bucket != st.args.bucket:
                raise OssError(404, "NoSuchBucket", "The specified bucket does not exist.")
            md5 = self.headers.get("Content-MD5")
            if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5:
                raise OssError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
            self.route(key, dict(query), body)
        except OssError as error:
            self.send_error_xml(error)

    def control(self, body):
        st = self.state
        if self.command == "GET" and self.path.startswith("/__stats"):
            with st.lock:
                stats = dict(st.stats)
                stats["objects"] = len(st.objects)
                stats["uploads"] = len(st.uploads)
            return self.send(200, json.dumps(stats).encode(), content_type="application/json")
        if self.command == "POST" and self.path.startswith("/__control"):
            try:
                settings = json.loads(body or b"{}")
            except ValueError:
                return self.send(400, b'{"error":"bad json"}', content_type="application/json")
            with st.lock:
                if "fail_next" in settings:
                    st.fail_next = int(settings["fail_next"])
                if "fail_status" in settings:
                    st.fail_status = int(settings["fail_status"])
                if "delay_ms" in settings:
                    st.delay_ms = int(settings["delay_ms"])
            return self.send(200, b"{}", content_type="application/json")
        return self.send(404, b'{"error":"unknown control endpoint"}',
                         content_type="application/json")

    def route(self, key, query, body):
        method = self.command
        if not key:
            if method == "GET" and query.get("list-type") == "2":
                return self.list_objects(query)
            raise OssError(400, "InvalidRequest", "unsupported bucket operation")
        if method == "PUT" and "uploadId" in query:
            return self.upload_part(key, query, body)
        if method == "PUT" and self.headers.get("x-oss-copy-source"):
            return self.copy_object(key)
        if method == "PUT":
            return self.put_object(key, body)
        if method == "POST" and "uploads" in query:
            return self.init_multipart(key)
        if method == "POST" and "uploadId" in query:
            return self.complete_multipart(key, query, body)
        if method == "POST" and "restore" in query:
            return self.restore(key, body)
        if method == "DELETE" and "uploadId" in query:
            return self.abort_multipart(key, query)
        if method == "DELETE":
            return self.delete_object(key)
        if method == "GET":
            return self.get_object(key)
        if method == "HEAD":
            return self.head_object(key)
        raise OssError(400, "InvalidRequest", "unsupported operation")

    # ---- operations ----

    def storage_class(self, default="Standard"):
        value = self.headers.get("x-oss-storage-class") or default
        if value not in STORAGE_CLASSES:
            raise OssError(400, "InvalidArgument", "invalid storage class " + value)
        return value

    def meta_headers(self):
        return {n.lower()[len("x-oss-meta-"):]: v for n, v in self.headers.items()
                if n.lower().startswith("x-oss-meta-")}

    def count(self, name):
        self.state.stats[name] += 1

    def put_object(self, key, body):
        storage_class = self.storage_class()
        etag = hashlib.md5(body).hexdigest().upper()
        with self.state.lock:
            self.count("put")
            self.state.objects[key] = dict(
                data=body, etag=etag, storage_class=storage_class, meta=self.meta_headers(),
                content_type=self.headers.get("Content-Type") or "application/octet-stream",
                mtime=int(time.time()), restore=None)
        self.send(200, headers={"ETag": '"%s"' % etag})

    def readable(self, obj):
        return obj["storage_class"] not in ARCHIVE_CLASSES or (
            obj["restore"] is not None and obj["restore"]["state"] == "restored")

    def get_object(self, key):
        with self.state.lock:
            self.count("get")
            obj = self.state.objects.get(key)
            if obj is None:
                raise OssError(404, "NoSuchKey", "The specified key does not exist.")
            if not self.readable(obj):
                raise OssError(403, "InvalidObjectState", MSG_OBJECT_STATE)
            data = obj["data"]
            headers = {"ETag": '"%s"' % obj["etag"], "Last-Modified": rfc1123(obj["mtime"]),
                       "x-oss-storage-class": obj["storage_class"]}
        status = 200
        range_header = self.headers.get("Range")
        if range_header and range_header.startswith("bytes="):
            first, _, last = range_header[len("bytes="):].partition("-")
            start = int(first)
            end = int(last) if last else len(data) - 1
            if start >= len(data):
                raise OssError(416, "InvalidRange", "The requested range cannot be satisfied")
            end = min(end, len(data) - 1)
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
            data = data[start:end + 1]
            status = 206
        self.send(status, data, headers, "application/octet-stream")

    def head_object(self, key):
        with self.state.lock:
            self.count("head")
            obj = self.state.objects.get(key)
            if obj is None:
                raise OssError(404, "NoSuchKey", "The specified key does not exist.")
            headers = {"Content-Length": str(len(obj["data"])), "ETag": '"%s"' % obj["etag"],
                       "Last-Modified": rfc1123(obj["mtime"]),
                       "x-oss-storage-class": obj["storage_class"],
                       "Content-Type": obj["content_type"]}
            for name, value in obj["meta"].items():
                headers["x-oss-meta-" + name] = value
            restore = obj["restore"]
            if restore is not None:
                if restore["state"] == "ongoing" and restore["heads_left"] > 0:
                    restore["heads_left"] -= 1
                    headers["x-oss-restore"] = 'ongoing-request="true"'
                else:
                    restore["state"] = "restored"
                    headers["x-oss-restore"] = 'ongoing-request="false", expiry-date="%s"' % (
                        rfc1123(time.time() + restore["days"] * 86400))
        self.send(200, headers=headers)

    def delete_object(self, key):
        with self.state.lock:
            self.count("delete")
            self.state.objects.pop(key, None)
        self.send(204)

    def copy_object(self, key):
        source = self.headers.get("x-oss-copy-source")
        source_path = urllib.parse.unquote(source)
        prefix = "/" + self.state.args.bucket + "/"
        if not source_path.startswith(prefix):
            raise OssError(400, "InvalidArgument", "copy source must be in this bucket")
        source_key = source_path[len(prefix):]
        directive = self.headers.get("x-oss-metadata-directive") or "COPY"
        if directive not in ("COPY", "REPLACE"):
            raise OssError(400, "InvalidArgument", "bad x-oss-metadata-directive")
        with self.state.lock:
            self.count("copy")
            src = self.state.objects.get(source_key)
            if src is None:
                raise OssError(404, "NoSuchKey", "The specified key does not exist.")
            if not self.readable(src):
                raise OssError(403, "InvalidObjectState", MSG_OBJECT_STATE)
            storage_class = self.storage_class(src["storage_class"])
            meta = dict(src["meta"]) if directive == "COPY" else self.meta_headers()
            now = int(time.time())
            self.state.objects[key] = dict(
                data=src["data"], etag=src["etag"], storage_class=storage_class, meta=meta,
                content_type=src["content_type"], mtime=now, restore=None)
        root = ET.Element("CopyObjectResult")
        ET.SubElement(root, "ETag").text = '"%s"' % src["etag"]
        ET.SubElement(root, "LastModified").text = iso8601(now)
        self.send_xml(200, root)

    def list_objects(self, query):
        prefix = query.get("prefix", "")
        try:
            max_keys = int(query.get("max-keys", "1000"))
        except ValueError:
            raise OssError(400, "InvalidArgument", "bad max-keys")
        token = query.get("continuation-token", "")
        after = base64.urlsafe_b64decode(token.encode()).decode() if token else None
        with self.state.lock:
            self.count("list")
            keys = sorted(k for k in self.state.objects if k.startswith(prefix)
                          and (after is None or k > after))
            page = keys[:max_keys]
            root = ET.Element("ListBucketResult")
            ET.SubElement(root, "Name").text = self.state.args.bucket
            ET.SubElement(root, "Prefix").text = prefix
            ET.SubElement(root, "MaxKeys").text = str(max_keys)
            ET.SubElement(root, "KeyCount").text = str(len(page))
            truncated = len(keys) > max_keys
            ET.SubElement(root, "IsTruncated").text = "true" if truncated else "false"
            if truncated:
                ET.SubElement(root, "NextContinuationToken").text = base64.urlsafe_b64encode(
                    page[-1].encode()).decode()
            for k in page:
                obj = self.state.objects[k]
                contents = ET.SubElement(root, "Contents")
                ET.SubElement(contents, "Key").text = k
                ET.SubElement(contents, "LastModified").text = iso8601(obj["mtime"])
                ET.SubElement(contents, "ETag").text = '"%s"' % obj["etag"]
                ET.SubElement(contents, "Size").text = str(len(obj["data"]))
                ET.SubElement(contents, "StorageClass").text = obj["storage_class"]
        self.send_xml(200, root)

    def init_multipart(self, key):
        storage_class = self.storage_class()
        upload_id = uuid.uuid4().hex.upper()
        with self.state.lock:
            self.count("init_multipart")
            self.state.uploads[upload_id] = dict(
                key=key, parts={}, storage_class=storage_class, meta=self.meta_headers(),
                content_type=self.headers.get("Content-Type") or "application/octet-stream")
        root = ET.Element("InitiateMultipartUploadResult")
        ET.SubElement(root, "Bucket").text = self.state.args.bucket
        ET.SubElement(root, "Key").text = key
        ET.SubElement(root, "UploadId").text = upload_id
        self.send_xml(200, root)

    def find_upload(self, key, query):
        upload = self.state.uploads.get(query.get("uploadId", ""))
        if upload is None or upload["key"] != key:
            raise OssError(404, "NoSuchUpload", "The specified upload does not exist.")
        return upload

    def upload_part(self, key, query, body):
        try:
            number = int(query.get("partNumber", ""))
        except ValueError:
            raise OssError(400, "InvalidArgument", "bad partNumber")
        if not 1 <= number <= 10000:
            raise OssError(400, "InvalidArgument", "partNumber out of range")
        etag = hashlib.md5(body).hexdigest().upper()
        with self.state.lock:
            self.count("upload_part")
            self.find_upload(key, query)["parts"][number] = (body, etag)
        self.send(200, headers={"ETag": '"%s"' % etag})

    def complete_multipart(self, key, query, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise OssError(400, "MalformedXML", "The XML you provided was not well-formed.")
        listed = []
        for part in root.findall("Part"):
            etag = (part.findtext("ETag") or "").strip('"').upper()
            listed.append((int(part.findtext("PartNumber") or "0"), etag))
        if not listed:
            raise OssError(400, "MalformedXML", "no parts")
        with self.state.lock:
            self.count("complete_multipart")
            upload = self.find_upload(key, query)
            numbers = [n for n, _ in listed]
            if numbers != sorted(set(numbers)):
                raise OssError(400, "InvalidPartOrder",
                               "The list of parts was not in ascending order.")
            data = b""
            digests = b""
            for i, (number, etag) in enumerate(listed):
                stored = upload["parts"].get(number)
                if stored is None or stored[1] != etag:
                    raise OssError(400, "InvalidPart",
                                   "One or more of the specified parts could not be found.")
                if i + 1 < len(listed) and len(stored[0]) < MIN_PART_SIZE:
                    raise OssError(400, "EntityTooSmall",
                                   "Your proposed upload is smaller than the minimum allowed size.")
                data += stored[0]
                digests += hashlib.md5(stored[0]).digest()
            etag = "%s-%d" % (hashlib.md5(digests).hexdigest().upper(), len(listed))
            self.state.objects[key] = dict(
                data=data, etag=etag, storage_class=upload["storage_class"], meta=upload["meta"],
                content_type=upload["content_type"], mtime=int(time.time()), restore=None)
            del self.state.uploads[query["uploadId"]]
        result = ET.Element("CompleteMultipartUploadResult")
        ET.SubElement(result, "Bucket").text = self.state.args.bucket
        ET.SubElement(result, "Key").text = key
        ET.SubElement(result, "ETag").text = '"%s"' % etag
        self.send_xml(200, result)

    def abort_multipart(self, key, query):
        with self.state.lock:
            self.count("abort_multipart")
            self.find_upload(key, query)
            del self.state.uploads[query["uploadId"]]
        self.send(204)

    def restore(self, key, body):
        days = 1
        if body:
            try:
                days = int(ET.fromstring(body).findtext("Days") or "1")
            except (ET.ParseError, ValueError):
                raise OssError(400, "MalformedXML", "The XML you provided was not well-formed.")
        with self.state.lock:
            self.count("restore")
            obj = self.state.objects.get(key)
            if obj is None:
                raise OssError(404, "NoSuchKey", "The specified key does not exist.")
            if obj["storage_class"] not in ARCHIVE_CLASSES:
                raise OssError(400, "OperationNotSupported",
                               "The operation is not supported for this resource")
            restore = obj["restore"]
            if restore is None:
                obj["restore"] = dict(state="ongoing", days=days,
                                      heads_left=self.state.args.restore_heads)
                status = 202
            elif restore["state"] == "ongoing":
                raise OssError(409, "RestoreAlreadyInProgress",
                               "The restore operation is in progress.")
            else:
                status = 200
        self.send(status)


def main():
    parser = fake_http.argument_parser(__doc__.split("\n")[0])
    parser.add_argument("--access-key", default="AKTEST")
    parser.add_argument("--secret-key", default="SKTEST")
    parser.add_argument("--bucket", default="bucket")
    parser.add_argument("--region", default="cn-hangzhou")
    parser.add_argument("--restore-heads", type=int, default=1)
    args = parser.parse_args()
    fake_http.serve(Handler, args.host, args.port, State(args))


if __name__ == "__main__":
    main()
