#!/usr/bin/env python3
"""Strict S3 test server: a subset of the S3 REST API with full SigV4 verification, written from
the AWS documentation independently of Beacon's C++ signer. Python 3 stdlib only.

Usage: s3_server.py [--port 0] [--host 127.0.0.1] [--access-key AKIDTEST] [--secret-key SECRETTEST]
                    [--region us-east-1] [--bucket testbucket ...] [--data-dir DIR]
                    [--restore-heads 1] [--min-part-size 5242880] [--max-skew-s 900]
                    [--vhost-domain localhost] [--session-token TOKEN]
The first line on stdout is "port N" (the bound port; --port 0 picks a free one).

  --access-key/--secret-key  the only accepted credentials; anything else gets 403
                       (InvalidAccessKeyId / SignatureDoesNotMatch).
  --region             the region every credential scope must name (else 400
                       AuthorizationHeaderMalformed).
  --bucket NAME        bucket that exists at start (repeatable; default testbucket). PUT /NAME
                       creates more.
  --data-dir DIR       keep objects on disk there (and load them at start); default in memory.
  --restore-heads N    after POST ?restore, the next N HEADs of the object show
                       x-amz-restore: ongoing-request="true"; then it is restored
                       (ongoing-request="false", expiry-date=...). 0: restored at once.
  --min-part-size B    multipart parts except the last must be at least B bytes (EntityTooSmall).
  --max-skew-s S       x-amz-date must be within S seconds of now (0: not checked).
  --vhost-domain D     Host "bucket.D[:port]" selects virtual-host addressing; any other host is
                       path-style (/bucket/key).
  --session-token T    when set, every request must carry x-amz-security-token T (signed).

Verification (every S3 request): Authorization AWS4-HMAC-SHA256 with this access key and a scope
of <date>/<region>/s3/aws4_request; x-amz-date signed and matching the scope date; host,
x-amz-content-sha256 and every x-amz-* header signed; the canonical request is rebuilt from the
raw request line and headers; x-amz-content-sha256 must be the hex SHA-256 of the body (no
UNSIGNED-PAYLOAD or STREAMING-*); Content-MD5, when sent, must match the body (400 BadDigest).

Operations: CreateBucket, HeadBucket, PutObject, GetObject (Range), HeadObject, DeleteObject,
ListObjectsV2 (prefix, max-keys, continuation-token, start-after), CopyObject
(x-amz-copy-source, x-amz-metadata-directive COPY|REPLACE, x-amz-storage-class),
CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, RestoreObject.
Storage classes STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER,
DEEP_ARCHIVE; GLACIER/DEEP_ARCHIVE objects answer GET with 403 InvalidObjectState until restored;
POST ?restore gives 202, then 409 RestoreAlreadyInProgress while ongoing, 200 once restored.

Control (unsigned, JSON):
  POST /__control {"fail_next": N, "fail_status": 503, "fail_op": "UploadPart",
                   "delay_ms": M, "delay_next": K, "cut_next_part": true,
                   "drop_reply_next": "CompleteMultipartUpload", "reset": true}
     fail_next: the next N S3 requests (only those of fail_op when given) answer fail_status
       (503 SlowDown, 500 InternalError, other: InjectedFailure) before anything is stored.
     delay_ms: requests wait M ms before they are handled (the next K only when delay_next is
       given; until delay_ms 0 otherwise).
     cut_next_part: the next UploadPart reads half its body, then the connection is closed
       without a reply and nothing is stored.
     drop_reply_next: the next request of that operation is carried out in full, then the
       connection is closed without a reply (a reply lost on the way back).
     reset: clears faults and statistics.
  GET /__stats   {"requests": {"PutObject": 3, ...}, "auth_failures": n, "injected_failures": n,
                  "cut_parts": n, "delayed": n}
  GET /__objects [{"bucket", "key", "size", "storage_class", "sha256", "restore"}, ...]
"""
import base64
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
import uuid
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape
import xml.etree.ElementTree as ElementTree

import fake_http

STORAGE_CLASSES = ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR",
                   "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY")
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class S3Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def uri_encode(text, keep_slash):
    # RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes.
    return quote(text, safe="/~" if keep_slash else "~")


def http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


def iso_date(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


class State:
    """Buckets, objects, uploads, faults and statistics; every access holds `lock`."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.buckets = set(args.bucket or ["testbucket"])
        self.objects = {}  # (bucket, key) -> dict
        self.uploads = {}  # upload id -> dict
        self.reset()
        if args.data_dir:
            os.makedirs(args.data_dir, exist_ok=True)
            self.load()

    def reset(self):
        self.fail_next = 0
        self.fail_status = 503
        self.fail_op = None
        self.delay_ms = 0
        self.delay_next = None
        self.cut_next_part = False
        self.drop_reply_next = None
        self.stats = {"requests": {}, "auth_failures": 0, "injected_failures": 0,
                      "cut_parts": 0, "delayed": 0, "dropped_replies": 0}

    # --- persistence (only with --data-dir)
    def _path(self, bucket, key):
        name = hashlib.sha256((bucket + "/" + key).encode()).hexdigest()
        return os.path.join(self.args.data_dir, name)

    def save(self, bucket, key):
        if not self.args.data_dir:
            return
        obj = self.objects[(bucket, key)]
        base = self._path(bucket, key)
        with open(base + ".bin.tmp", "wb") as f:
            f.write(obj["data"])
        os.replace(base + ".bin.tmp", base + ".bin")
        meta = {k: v for k, v in obj.items() if k != "data"}
        meta.update({"bucket": bucket, "key": key})
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.replace(base + ".json.tmp", base + ".json")

    def drop(self, bucket, key):
        if not self.args.data_dir:
            return
        base = self._path(bucket, key)
        for suffix in (".json", ".bin"):
            try:
                os.unlink(base + suffix)
            except FileNotFoundError:
                pass

    def load(self):
        for name in os.listdir(self.args.data_dir):
            if not name.endswith(".json"):
                continue
            base = os.path.join(self.args.data_dir, name[:-5])
            with open(base + ".json") as f:
                meta = json.load(f)
            with open(base + ".bin", "rb") as f:
                meta["data"] = f.read()
            bucket, key = meta.pop("bucket"), meta.pop("key")
            self.buckets.add(bucket)
            self.objects[(bucket, key)] = meta


def xml_response(root, children):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           % root]
    out.extend(children)
    out.append("</%s>" % root)
    return "".join(out).encode()


def el(name, value):
    return "<%s>%s</%s>" % (name, escape(str(value)), name)


class Handler(fake_http.QuietHandler):
    server_version = "BeaconFakeS3/1.0"

    # ------------------------------------------------------------------ plumbing
    def _send(self, status, body=b"", headers=None, content_type="application/xml"):
        if getattr(self, "drop_reply", False):
            self.drop_reply = False
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status)
        headers = dict(headers or {})
        if body or "Content-Length" not in headers:
            headers["Content-Length"] = str(len(body))
        if body:
            headers.setdefault("Content-Type", content_type)
        headers.setdefault("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _error(self, err):
        body = b""
        if self.command != "HEAD":
            body = xml_response("Error", [el("Code", err.code), el("Message", err.message),
                                          el("Resource", self.path.split("?")[0]),
                                          el("RequestId", uuid.uuid4().hex[:16].upper())])
            body = body.replace(b' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', b"")
        self._send(err.status, body)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise S3Error(501, "NotImplemented", "chunked transfer encoding is not supported")
        return self.read_body()

    def do_GET(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    # ------------------------------------------------------------------ request parsing
    def _parse_target(self):
        raw_path, _, raw_query = self.path.partition("?")
        query = []
        if raw_query:
            for pair in raw_query.split("&"):
                if not pair:
                    continue
                name, _, value = pair.partition("=")
                query.append((unquote(name), unquote(value)))
        host = self.headers.get("Host", "")
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        path = unquote(raw_path)
        suffix = "." + self.server.state.args.vhost_domain
        if hostname.endswith(suffix) and len(hostname) > len(suffix):
            bucket = hostname[:-len(suffix)]
            key = path[1:]
        else:
            parts = path[1:].split("/", 1)
            bucket = parts[0]
            key = parts[1] if len(parts) > 1 else ""
        return raw_path, path, query, bucket, key

    @staticmethod
    def _operation(method, query, key, headers):
        names = {name for name, _ in query}
        if not key:
            return {"GET": "ListObjectsV2", "PUT": "CreateBucket", "HEAD": "HeadBucket"}.get(
                method, "Bucket" + method)
        if method == "POST" and "uploads" in names:
            return "CreateMultipartUpload"
        if method == "POST" and "uploadId" in names:
            return "CompleteMultipartUpload"
        if method == "POST" and "restore" in names:
            return "RestoreObject"
        if method == "PUT" and "partNumber" in names:
            return "UploadPart"
        if method == "PUT" and headers.get("x-amz-copy-source"):
            return "CopyObject"
        if method == "DELETE" and "uploadId" in names:
            return "AbortMultipartUpload"
        return {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject",
                "DELETE": "DeleteObject"}.get(method, "Object" + method)

    # ------------------------------------------------------------------ SigV4
    def _verify(self, path, query, body):
        args = self.server.state.args
        auth = self.headers.get("Authorization", "")
        if not auth:
            raise S3Error(403, "AccessDenied", "Anonymous access is not allowed")
        prefix = "AWS4-HMAC-SHA256 "
        if not auth.startswith(prefix):
            raise S3Error(400, "InvalidArgument", "Unsupported Authorization type")
        fields = {}
        for part in auth[len(prefix):].split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        for needed in ("Credential", "SignedHeaders", "Signature"):
            if needed not in fields:
                raise S3Error(400, "AuthorizationHeaderMalformed", "missing " + needed)
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or scope[3] != "s3" or scope[4] != "aws4_request":
            raise S3Error(400, "AuthorizationHeaderMalformed", "bad credential scope")
        access_key, date, region = scope[0], scope[1], scope[2]
        if access_key != args.access_key:
            raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does "
                          "not exist in our records.")
        if region != args.region:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "the region '%s' is wrong; expecting '%s'" % (region, args.region))
        signed = fields["SignedHeaders"].split(";")
        if signed != sorted(signed) or len(set(signed)) != len(signed):
            raise S3Error(403, "SignatureDoesNotMatch", "SignedHeaders not sorted and unique")
        present = {name.lower() for name in self.headers.keys()}
        required = {"host", "x-amz-date", "x-amz-content-sha256"}
        required |= {n for n in present if n.startswith("x-amz-") or n == "content-md5"}
        missing = required - set(signed)
        if missing:
            raise S3Error(403, "AccessDenied", "headers must be signed: " +
                          ",".join(sorted(missing)))
        amz_date = self.headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise S3Error(403, "AccessDenied", "x-amz-date is not yyyyMMddTHHmmssZ")
        if amz_date[:8] != date:
            raise S3Error(403, "SignatureDoesNotMatch", "scope date differs from x-amz-date")
        if args.max_skew_s and abs(time.time() - when.timestamp()) > args.max_skew_s:
            raise S3Error(403, "RequestTimeTooSkewed", "The difference between the request "
                          "time and the current time is too large.")
        content_sha = self.headers.get("x-amz-content-sha256", "")
        if content_sha != hashlib.sha256(body).hexdigest():
            raise S3Error(400, "XAmzContentSHA256Mismatch", "The provided "
                          "'x-amz-content-sha256' header does not match what was computed.")
        if args.session_token and self.headers.get("x-amz-security-token") != args.session_token:
            raise S3Error(403, "InvalidToken", "The provided token is malformed or invalid.")

        canonical_query = "&".join(sorted(
            uri_encode(n, False) + "=" + uri_encode(v, False) for n, v in query))
        canonical_headers = ""
        for name in signed:
            values = self.headers.get_all(name)
            if values is None:
                raise S3Error(403, "SignatureDoesNotMatch", "signed header %s missing" % name)
            canonical_headers += name + ":" + ",".join(" ".join(v.split()) for v in values) + "\n"
        canonical_request = "\n".join([self.command, uri_encode(path, True), canonical_query,
                                       canonical_headers, ";".join(signed), content_sha])
        string_to_sign = "\n".join([
            "AWS4-HMAC-SHA256", amz_date, "/".join(scope[1:]),
            hashlib.sha256(canonical_request.encode()).hexdigest()])
        key = ("AWS4" + args.secret_key).encode()
        for part in (date, region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields["Signature"]):
            raise S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                          "does not match the signature you provided. Check your key and "
                          "signing method.")
        md5 = self.headers.get("Content-MD5")
        if md5 is not None:
            try:
                given = base64.b64decode(md5, validate=True)
            except ValueError:
                raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
            if given != hashlib.md5(body).digest():
                raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match "
                              "what we received.")

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self):
        state = self.server.state
        try:
            if self.path.startswith("/__"):
                return self._control()
            raw_path, path, query, bucket, key = self._parse_target()
            op = self._operation(self.command, query, key,
                                 {k.lower(): v for k, v in self.headers.items()})
            with state.lock:
                state.stats["requests"][op] = state.stats["requests"].get(op, 0) + 1
                delay = 0
                if state.delay_ms and (state.delay_next is None or state.delay_next > 0):
                    delay = state.delay_ms
                    state.stats["delayed"] += 1
                    if state.delay_next is not None:
                        state.delay_next -= 1
                cut = op == "UploadPart" and state.cut_next_part
                if cut:
                    state.cut_next_part = False
                    state.stats["cut_parts"] += 1
                self.drop_reply = state.drop_reply_next == op
                if self.drop_reply:
                    state.drop_reply_next = None
                    state.stats["dropped_replies"] += 1
            if cut:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length // 2)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = self._read_body()
            if delay:
                time.sleep(delay / 1000.0)
            with state.lock:
                if state.fail_next > 0 and state.fail_op in (None, op):
                    state.fail_next -= 1
                    state.stats["injected_failures"] += 1
                    status = state.fail_status
                    code = {503: "SlowDown", 500: "InternalError"}.get(status, "InjectedFailure")
                    raise S3Error(status, code, "injected failure")
            try:
                self._verify(path, query, body)
            except S3Error as err:
                if err.status == 403 or err.code == "AuthorizationHeaderMalformed":
                    with state.lock:
                        state.stats["auth_failures"] += 1
                raise
            handler = getattr(self, "_op_" + op, None)
            if handler is None:
                raise S3Error(501, "NotImplemented", op + " is not implemented")
            with state.lock:
                if op != "CreateBucket" and bucket not in state.buckets:
                    raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
                handler(state, bucket, key, dict(query), body)
        except S3Error as err:
            self.drop_reply = False
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _control(self):
        state = self.server.state
        body = self._read_body()
        path = self.path.split("?")[0]
        with state.lock:
            if path == "/__control" and self.command == "POST":
                try:
                    req = json.loads(body or b"{}")
                except ValueError:
                    raise S3Error(400, "MalformedJSON", "control body is not JSON")
                if req.get("reset"):
                    state.reset()
                if "fail_next" in req:
                    state.fail_next = int(req["fail_next"])
                    state.fail_status = int(req.get("fail_status", 503))
                    state.fail_op = req.get("fail_op")
                if "delay_ms" in req:
                    state.delay_ms = int(req["delay_ms"])
                    state.delay_next = req.get("delay_next")
                if "drop_reply_next" in req:
                    state.drop_reply_next = req["drop_reply_next"]
                if "cut_next_part" in req:
                    state.cut_next_part = bool(req["cut_next_part"])
                out = {"ok": True}
            elif path == "/__stats" and self.command == "GET":
                out = state.stats
            elif path == "/__objects" and self.command == "GET":
                out = [{"bucket": b, "key": k, "size": len(o["data"]),
                        "storage_class": o["storage_class"],
                        "sha256": hashlib.sha256(o["data"]).hexdigest(),
                        "restore": o.get("restore")}
                       for (b, k), o in sorted(state.objects.items())]
            else:
                raise S3Error(404, "NoSuchControl", "unknown control endpoint")
            payload = json.dumps(out).encode()
        self._send(200, payload, content_type="application/json")

    # ------------------------------------------------------------------ helpers
    def _storage_class(self):
        name = self.headers.get("x-amz-storage-class", "STANDARD")
        if name not in STORAGE_CLASSES:
            raise S3Error(400, "InvalidStorageClass", "The storage class you specified is not "
                          "valid")
        return name

    def _metadata(self):
        return {k.lower()[len("x-amz-meta-"):]: v for k, v in self.headers.items()
                if k.lower().startswith("x-amz-meta-")}

    def _object(self, state, bucket, key):
        obj = state.objects.get((bucket, key))
        if obj is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.")
        return obj

    @staticmethod
    def _readable(obj):
        if obj["storage_class"] not in ARCHIVE_CLASSES:
            return True
        restore = obj.get("restore")
        return restore is not None and restore["heads_left"] <= 0

    def _object_headers(self, obj):
        headers = {"ETag": '"%s"' % obj["etag"], "Last-Modified": http_date(obj["mtime"]),
                   "Content-Type": obj["content_type"], "Accept-Ranges": "bytes"}
        if obj["storage_class"] != "STANDARD":
            headers["x-amz-storage-class"] = obj["storage_class"]
        for name, value in obj["metadata"].items():
            headers["x-amz-meta-" + name] = value
        return headers

    def _new_object(self, data, etag, storage_class, metadata, content_type):
        return {"data": data, "etag": etag, "mtime": time.time(), "storage_class": storage_class,
                "metadata": metadata, "content_type": content_type, "restore": None}

    # ------------------------------------------------------------------ operations
    def _op_CreateBucket(self, state, bucket, key, query, body):
        state.buckets.add(bucket)
        self._send(200, headers={"Location": "/" + bucket})

    def _op_HeadBucket(self, state, bucket, key, query, body):
        self._send(200)

    def _op_PutObject(self, state, bucket, key, query, body):
        obj = self._new_object(body, hashlib.md5(body).hexdigest(), self._storage_class(),
                               self._metadata(),
                               self.headers.get("Content-Type", "binary/octet-stream"))
        state.objects[(bucket, key)] = obj
        state.save(bucket, key)
        self._send(200, headers={"ETag": '"%s"' % obj["etag"]})

    def _op_GetObject(self, state, bucket, key, query, body):
        obj = self._object(state, bucket, key)
        if not self._readable(obj):
            raise S3Error(403, "InvalidObjectState", "The operation is not valid for the "
                          "object's storage class")
        data = obj["data"]
        headers = self._object_headers(obj)
        spec = self.headers.get("Range")
        if spec is None:
            return self._send(200, data, headers, obj["content_type"])
        if not spec.startswith("bytes=") or "," in spec:
            raise S3Error(400, "InvalidArgument", "unsupported Range")
        first, _, last = spec[len("bytes="):].partition("-")
        size = len(data)
        if first == "":
            start, end = max(size - int(last), 0), size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            raise S3Error(416, "InvalidRange", "The requested range is not satisfiable")
        headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
        self._send(206, data[start:end + 1], headers, obj["content_type"])

    def _op_HeadObject(self, state, bucket, key, query, body):
        obj = self._object(state, bucket, key)
        headers = self._object_headers(obj)
        headers["Content-Length"] = str(len(obj["data"]))
        restore = obj.get("restore")
        if obj["storage_class"] in ARCHIVE_CLASSES and restore is not None:
            if restore["heads_left"] > 0:
                restore["heads_left"] -= 1
                headers["x-amz-restore"] = 'ongoing-request="true"'
            else:
                headers["x-amz-restore"] = 'ongoing-request="false", expiry-date="%s"' % (
                    http_date(restore["expiry"]))
            state.save(bucket, key)
        self._send(200, b"", headers)

    def _op_DeleteObject(self, state, bucket, key, query, body):
        if state.objects.pop((bucket, key), None) is not None:
            state.drop(bucket, key)
        self._send(204)

    def _op_ListObjectsV2(self, state, bucket, key, query, body):
        if query.get("list-type") != "2":
            raise S3Error(501, "NotImplemented", "only ListObjectsV2 (list-type=2)")
        if query.get("delimiter"):
            raise S3Error(501, "NotImplemented", "delimiter is not implemented")
        prefix = query.get("prefix", "")
        try:
            max_keys = int(query.get("max-keys", "1000"))
        except ValueError:
            raise S3Error(400, "InvalidArgument", "max-keys is not a number")
        after = query.get("start-after", "")
        token = query.get("continuation-token")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except ValueError:
                raise S3Error(400, "InvalidArgument", "The continuation token provided is "
                              "incorrect")
        keys = sorted(k for (b, k) in state.objects if b == bucket and k.startswith(prefix)
                      and k > after)
        page, truncated = keys[:max_keys], len(keys) > max_keys
        out = [el("Name", bucket), el("Prefix", prefix), el("KeyCount", len(page)),
               el("MaxKeys", max_keys), el("IsTruncated", "true" if truncated else "false")]
        if token is not None:
            out.append(el("ContinuationToken", token))
        if truncated:
            out.append(el("NextContinuationToken",
                          base64.urlsafe_b64encode(page[-1].encode()).decode()))
        for k in page:
            obj = state.objects[(bucket, k)]
            out.append("<Contents>" + el("Key", k) + el("LastModified", iso_date(obj["mtime"])) +
                       el("ETag", '"%s"' % obj["etag"]) + el("Size", len(obj["data"])) +
                       el("StorageClass", obj["storage_class"]) + "</Contents>")
        self._send(200, xml_response("ListBucketResult", out))

    def _op_CopyObject(self, state, bucket, key, query, body):
        source = unquote(self.headers["x-amz-copy-source"])
        if "?" in source:
            raise S3Error(501, "NotImplemented", "versioned copy sources")
        src_bucket, _, src_key = source.lstrip("/").partition("/")
        if src_bucket not in state.buckets:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
        src = self._object(state, src_bucket, src_key)
        if not self._readable(src):
            raise S3Error(403, "InvalidObjectState", "The source object of the COPY action is "
                          "not in the active tier and is only stored in Amazon S3 Glacier.")
        directive = self.headers.get("x-amz-metadata-directive", "COPY")
        if directive not in ("COPY", "REPLACE"):
            raise S3Error(400, "InvalidArgument", "Unknown metadata directive.")
        storage_class = self._storage_class()
        if ((src_bucket, src_key) == (bucket, key) and directive == "COPY" and
                storage_class == src["storage_class"]):
            raise S3Error(400, "InvalidRequest", "This copy request is illegal because it is "
                          "trying to copy an object to itself without changing the object's "
                          "metadata, storage class, website redirect location or encryption "
                          "attributes.")
        metadata = dict(src["metadata"]) if directive == "COPY" else self._metadata()
        content_type = (src["content_type"] if directive == "COPY" else
                        self.headers.get("Content-Type", "binary/octet-stream"))
        obj = self._new_object(src["data"], src["etag"], storage_class, metadata, content_type)
        state.objects[(bucket, key)] = obj
        state.save(bucket, key)
        self._send(200, xml_response("CopyObjectResult", [
            el("LastModified", iso_date(obj["mtime"])), el("ETag", '"%s"' % obj["etag"])]))

    def _op_CreateMultipartUpload(self, state, bucket, key, query, body):
        upload_id = uuid.uuid4().hex
        state.uploads[upload_id] = {
            "bucket": bucket, "key": key, "parts": {}, "storage_class": self._storage_class(),
            "metadata": self._metadata(),
            "content_type": self.headers.get("Content-Type", "binary/octet-stream")}
        self._send(200, xml_response("InitiateMultipartUploadResult", [
            el("Bucket", bucket), el("Key", key), el("UploadId", upload_id)]))

    def _upload(self, state, bucket, key, query):
        upload = state.uploads.get(query.get("uploadId", ""))
        if upload is None or (upload["bucket"], upload["key"]) != (bucket, key):
            raise S3Error(404, "NoSuchUpload", "The specified upload does not exist.")
        return upload

    def _op_UploadPart(self, state, bucket, key, query, body):
        upload = self._upload(state, bucket, key, query)
        try:
            number = int(query.get("partNumber", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= 10000:
            raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 "
                          "and 10000, inclusive")
        etag = hashlib.md5(body).hexdigest()
        upload["parts"][number] = (body, etag)
        self._send(200, headers={"ETag": '"%s"' % etag})

    def _op_CompleteMultipartUpload(self, state, bucket, key, query, body):
        upload = self._upload(state, bucket, key, query)
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed")
        listed = []
        for part in root.iter():
            if part.tag.split("}")[-1] != "Part":
                continue
            fields = {child.tag.split("}")[-1]: (child.text or "") for child in part}
            try:
                listed.append((int(fields.get("PartNumber", "")),
                               fields.get("ETag", "").strip('"')))
            except ValueError:
                raise S3Error(400, "MalformedXML", "bad PartNumber")
        if not listed:
            raise S3Error(400, "MalformedXML", "no parts")
        numbers = [n for n, _ in listed]
        if numbers != sorted(set(numbers)):
            raise S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending "
                          "order.")
        data, digests = [], b""
        for index, (number, etag) in enumerate(listed):
            stored = upload["parts"].get(number)
            if stored is None or stored[1] != etag:
                raise S3Error(400, "InvalidPart", "One or more of the specified parts could "
                              "not be found.")
            if index + 1 < len(listed) and len(stored[0]) < self.server.state.args.min_part_size:
                raise S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the "
                              "minimum allowed object size.")
            data.append(stored[0])
            digests += bytes.fromhex(etag)
        etag = "%s-%d" % (hashlib.md5(digests).hexdigest(), len(listed))
        state.objects[(bucket, key)] = self._new_object(
            b"".join(data), etag, upload["storage_class"], upload["metadata"],
            upload["content_type"])
        state.save(bucket, key)
        del state.uploads[query["uploadId"]]
        self._send(200, xml_response("CompleteMultipartUploadResult", [
            el("Location", "/%s/%s" % (bucket, key)), el("Bucket", bucket), el("Key", key),
            el("ETag", '"%s"' % etag)]))

    def _op_AbortMultipartUpload(self, state, bucket, key, query, body):
        self._upload(state, bucket, key, query)
        del state.uploads[query["uploadId"]]
        self._send(204)

    def _op_RestoreObject(self, state, bucket, key, query, body):
        obj = self._object(state, bucket, key)
        if obj["storage_class"] not in ARCHIVE_CLASSES:
            raise S3Error(403, "InvalidObjectState", "Restore is not allowed for the object's "
                          "current storage class")
        try:
            days = int(ElementTree.fromstring(body).findtext(".//{*}Days") or
                       ElementTree.fromstring(body).findtext(".//Days"))
        except (ElementTree.ParseError, TypeError, ValueError):
            raise S3Error(400, "MalformedXML", "RestoreRequest needs <Days>")
        restore = obj.get("restore")
        if restore is None:
            obj["restore"] = {"heads_left": state.args.restore_heads,
                              "expiry": time.time() + days * 86400}
            state.save(bucket, key)
            return self._send(202)
        if restore["heads_left"] > 0:
            raise S3Error(409, "RestoreAlreadyInProgress", "Object restore is already in "
                          "progress")
        restore["expiry"] = time.time() + days * 86400
        state.save(bucket, key)
        self._send(200)


def main():
    parser = fake_http.argument_parser(__doc__.split("\n")[0])
    parser.add_argument("--access-key", default="AKIDTEST")
    parser.add_argument("--secret-key", default="SECRETTEST")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--bucket", action="append")
    parser.add_argument("--data-dir")
    parser.add_argument("--restore-heads", type=int, default=1)
    parser.add_argument("--min-part-size", type=int, default=5 * 1024 * 1024)
    parser.add_argument("--max-skew-s", type=int, default=900)
    parser.add_argument("--vhost-domain", default="localhost")
    parser.add_argument("--session-token", default="")
    args = parser.parse_args()
    fake_http.serve(Handler, args.host, args.port, State(args))


if __name__ == "__main__":
    main()
