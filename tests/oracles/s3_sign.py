#!/usr/bin/env python3
"""SigV4 oracle for tests: signs requests with botocore's S3SigV4Auth (python3-boto3 from Debian).

Reads a JSON list on stdin; each item:
  {"method": "PUT", "host": "bucket.example.com", "path": "/raw key+1.txt" (un-encoded),
   "query": [["uploadId", "x"], ["partNumber", "1"]] (raw), "headers": {"Range": "bytes=0-9"},
   "body": "text", "access_key": "...", "secret_key": "...", "token": "" (optional),
   "region": "us-east-1", "service": "s3", "amz_date": "20150830T123600Z"}
Prints a JSON list with the Authorization value botocore computes for each item.

Only the headers S3 clients sign are given to botocore (host, x-amz-*, content-md5, content-type,
range): botocore signs every header it sees, and which headers to sign is a client choice, not
part of the algorithm. botocore itself sets x-amz-date (fixed below), x-amz-content-sha256 (from
the body) and x-amz-security-token, and encodes the path and query from the URL built here.
"""
import datetime
import json
import sys
from urllib.parse import quote

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_header(name):
    lower = name.lower()
    return lower in ("host", "content-md5", "content-type", "range") or lower.startswith("x-amz-")


def sign(item):
    fixed = datetime.datetime.strptime(item["amz_date"], "%Y%m%dT%H%M%SZ")

    class FixedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    class FixedModule:
        datetime = FixedDatetime

    # botocore >= 1.31 reads the time through get_current_datetime(); older ones call
    # datetime.datetime.utcnow() on the module they imported.
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda *args, **kwargs: fixed
    else:
        botocore.auth.datetime = FixedModule
    url = "http://" + item["host"] + quote(item["path"], safe="/~")
    query = item.get("query", [])
    if query:
        url += "?" + "&".join(
            quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~") for k, v in query)
    headers = {k: v for k, v in item.get("headers", {}).items()
               if signed_header(k) and k.lower() not in ("host", "x-amz-date",
                                                         "x-amz-content-sha256")}
    body = item.get("body", "").encode("utf-8")
    request = AWSRequest(method=item["method"], url=url, headers=headers, data=body)
    credentials = Credentials(item["access_key"], item["secret_key"], item.get("token") or None)
    botocore.auth.S3SigV4Auth(credentials, item.get("service", "s3"),
                              item.get("region", "us-east-1")).add_auth(request)
    return request.headers["Authorization"]


def main():
    items = json.load(sys.stdin)
    json.dump([sign(item) for item in items], sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
