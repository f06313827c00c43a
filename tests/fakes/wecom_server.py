#!/usr/bin/env python3
"""Strict fake of the WeCom (企业微信) server API used by Beacon: gettoken, app message/send
(doc 90236), group-robot webhook/send (doc 99110) and the contact-directory reads the chat bot
uses for department and tag grants (user/get, department/list, department/simplelist, tag/list,
tag/get), with the documented limits and error codes of WeCom's server API documentation.
Python 3 stdlib only.

Usage: wecom_server.py [--port 0] [--host 127.0.0.1] [--corp-id wwtestcorp]
                       [--secret APPSECRET] [--agent-id 1000002] [--expires-in 7200]
                       [--users zhangsan,lisi,wangwu] [--parties 1,2] [--tags 1,2]
                       [--robot-key KEY ...] [--robot-rate 20] [--directory FILE.json]
The first line on stdout is "port N" (the bound port; --port 0 picks a free one).

GET  /cgi-bin/gettoken?corpid=&corpsecret=   wrong corpid 40013, wrong secret 40001; otherwise a
     fresh random token valid --expires-in seconds ({"access_token", "expires_in"}). Earlier
     tokens stay valid until they expire or are invalidated.
POST /cgi-bin/message/send?access_token=    missing 41001, unknown 40014, expired/invalidated 42001.
     Body: strict JSON, only documented keys; msgtype text|markdown|textcard (else 40008);
     agentid a JSON integer equal to --agent-id (string 40058, other number 40056); at least one
     of touser/toparty/totag (40058); text.content ≤ 2048 bytes (45002, empty 44004);
     markdown.content ≤ 2048 bytes (40058); textcard title ≤ 128 B, description ≤ 512 B,
     url ≤ 2048 B (required), btntxt ≤ 4 characters (40058); safe / enable_duplicate_check 0|1;
     duplicate_check_interval ≤ 14400. Unknown users/parties/tags come back in invaliduser /
     invalidparty / invalidtag ("a|b") and the message is delivered to the rest; none valid:
     81013. enable_duplicate_check 1: the same request JSON within duplicate_check_interval
     (default 1800 s) answers ok but is counted in "duplicates" and not delivered.
POST /cgi-bin/webhook/send?key=             unknown key 93000; msgtype text|markdown; text ≤ 2048
     bytes (45002), markdown ≤ 4096 bytes (40058); mentioned_list/mentioned_mobile_list lists of
     strings (text only); more than --robot-rate messages in any 60 s per key: 45009.

Directory (--directory FILE or the control key "directory"; default: empty), JSON:
  {"departments": [{"id": 1, "name": "公司", "parentid": 0}, ...],
   "users": [{"userid": "zhangsan", "name": "张三", "department": [2]}, ...],
   "tags": [{"tagid": 1, "tagname": "sre", "userlist": ["zhangsan"], "partylist": [3]}, ...],
   "visible": [2]}            optional: the app's visible range (departments, with everything
                              below them); absent: the whole company
  Every endpoint needs a valid access_token (41001 / 40014 / 42001 as message/send).
GET  /cgi-bin/user/get?userid=      missing userid 41009; unknown 60111; a user in no visible
     department 60011; else {userid, name, department, main_department, status}.
GET  /cgi-bin/department/list[?id=] and /cgi-bin/department/simplelist[?id=]   the visible
     departments (below id when given: unknown or invisible id 60123 / 60011), as "department"
     [{id, name, parentid, order, department_leader}] / "department_id" [{id, parentid, order}].
GET  /cgi-bin/tag/list              {"taglist": [{tagid, tagname}]}.
GET  /cgi-bin/tag/get?tagid=        missing 41017, not an integer or unknown 40068; else
     {tagname, userlist: [{userid, name}] (visible users only), partylist: [ids]}.

Control (JSON):
  POST /__control {"expire_token": true}   every token issued so far answers 42001.
                  {"fail_next": N, "errcode": 45009, "errmsg": "...", "http_status": 502,
                   "fail_path": "send|gettoken|message|webhook", "fail_skip": K}
                     after K more requests of that kind (default 0) are served normally, the
                     next N (default kind "send": message/send and webhook/send) answer errcode
                     (HTTP 200) or, with http_status, that status with a plain body. Nothing is
                     delivered. "directory" covers user/get, department/* and tag/*.
                  {"directory": {...}}  replaces the directory (format above).
                  {"ip_not_whitelisted": true, "ip": "1.2.3.4"}  every send answers 60020 with
                     the real errmsg naming the IP (false turns it off).
                  {"expires_in": S}  lifetime of tokens issued from now on.
                  {"clear": true}  clears faults, statistics, duplicate memory and rate windows.
  GET  /__stats   {"gettoken": n, "sends": n, "duplicates": n, "rejected": {"errcode": n},
                   "messages": [{"path", "ts", "body"}...], "robot": {key: n},
                   "directory": {"user/get": n, ...}}
"""
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

import fake_http

ERRMSG = {
    -1: "system is busy",
    40001: "invalid credential, access_token is invalid or not latest",
    40008: "invalid message type",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40056: "invalid agentid",
    40058: "invalid parameter",
    40068: "invalid tagid",
    41001: "access_token missing",
    41009: "missing userid",
    41017: "missing tagid",
    42001: "access_token expired",
    44004: "empty content",
    45002: "content size out of limit",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    48002: "api forbidden",
    60011: "no privilege to access/modify contact/party/agent",
    60111: "userid not found",
    60123: "invalid party id",
    81013: "user & party & tag all invalid",
    93000: "invalid webhook url",
    93004: "webhook disabled",
    93008: "not in group",
}

APP_KEYS = {"touser", "toparty", "totag", "msgtype", "agentid", "text", "markdown", "textcard",
            "safe", "enable_id_trans", "enable_duplicate_check", "duplicate_check_interval"}


class ApiError(Exception):
    def __init__(self, errcode, errmsg=None, extra=None):
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")
        self.extra = extra or {}


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def byte_len(text):
    return len(text.encode("utf-8"))


def load_directory(raw):
    """Checks a directory description strictly and indexes it; ValueError names what is wrong."""
    if not isinstance(raw, dict) or set(raw) - {"departments", "users", "tags", "visible"}:
        raise ValueError("directory: expected {departments, users, tags, visible}")
    departments = {}
    for d in raw.get("departments", []):
        if not is_int(d.get("id")) or not is_int(d.get("parentid", 0)) or d["id"] in departments:
            raise ValueError("directory: bad department %r" % (d,))
        departments[d["id"]] = {"id": d["id"], "name": d.get("name", "d%d" % d["id"]),
                                "parentid": d.get("parentid", 0)}
    users = {}
    for u in raw.get("users", []):
        if not isinstance(u.get("userid"), str) or not all(
                is_int(x) and x in departments for x in u.get("department", [])):
            raise ValueError("directory: bad user %r" % (u,))
        users[u["userid"]] = {"userid": u["userid"], "name": u.get("name", u["userid"]),
                              "department": list(u.get("department", []))}
    tags = {}
    for t in raw.get("tags", []):
        if not is_int(t.get("tagid")) or not isinstance(t.get("tagname"), str) or \
                not all(x in users for x in t.get("userlist", [])) or \
                not all(x in departments for x in t.get("partylist", [])):
            raise ValueError("directory: bad tag %r" % (t,))
        tags[t["tagid"]] = {"tagname": t["tagname"], "userlist": list(t.get("userlist", [])),
                            "partylist": list(t.get("partylist", []))}
    visible = raw.get("visible")
    if visible is not None and not all(x in departments for x in visible):
        raise ValueError("directory: visible names an unknown department")
    return {"departments": departments, "users": users, "tags": tags, "visible": visible}


def ancestors(departments, dept_id):
    """dept_id and its parents up to the root (a cycle ends the walk)."""
    out = []
    while dept_id in departments and dept_id not in out:
        out.append(dept_id)
        dept_id = departments[dept_id]["parentid"]
    return out


def dept_visible(directory, dept_id):
    visible = directory["visible"]
    return visible is None or any(a in visible for a in ancestors(directory["departments"],
                                                                   dept_id))


def user_visible(directory, user):
    return any(dept_visible(directory, d) for d in user["department"])


def ip_errmsg(ip):
    return ("not allow to access from your ip, hint: [1764151234_{}], from ip: {}, more info at "
            "https://open.work.weixin.qq.com/devtool/query?e=60020").format(
                secrets.token_hex(8), ip)


class State:
    """Tokens, faults, statistics; every access holds `lock`."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = {}  # token -> {"expires_at": t, "valid": bool}
        self.expires_in = args.expires_in
        self.users = set(filter(None, args.users.split(",")))
        self.parties = set(filter(None, args.parties.split(",")))
        self.tags = set(filter(None, args.tags.split(",")))
        self.robot_keys = set(args.robot_key or [])
        self.directory = load_directory(json.load(open(args.directory))) if args.directory \
            else load_directory({})
        self.clear()

    def clear(self):
        self.fail_next = 0
        self.fail_errcode = None
        self.fail_errmsg = None
        self.fail_http = None
        self.fail_path = "send"
        self.fail_skip = 0
        self.ip_block = None
        self.seen = {}  # canonical app request -> time delivered (duplicate check)
        self.robot_window = {}  # key -> [times]
        self.stats = {"gettoken": 0, "sends": 0, "duplicates": 0, "rejected": {},
                      "messages": [], "robot": {}, "directory": {}}

    def reject(self, errcode):
        key = str(errcode)
        self.stats["rejected"][key] = self.stats["rejected"].get(key, 0) + 1

    def take_fault(self, kind):
        """Returns (http_status, errcode, errmsg) of an injected failure for this request."""
        if self.fail_next <= 0:
            return None
        if self.fail_path == "send":
            applies = kind in ("message", "webhook")
        elif self.fail_path == "directory":
            applies = kind in ("user", "department", "tag")
        else:
            applies = kind == self.fail_path
        if not applies:
            return None
        if self.fail_skip > 0:
            self.fail_skip -= 1
            return None
        self.fail_next -= 1
        return (self.fail_http, self.fail_errcode, self.fail_errmsg)


class Handler(fake_http.QuietHandler):
    server_version = "BeaconFakeWeCom/1.0"

    def _send(self, status, body, content_type="application/json; charset=UTF-8"):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _api(self, payload):
        self._send(200, payload)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body = self.read_body() if method == "POST" else b""
        state = self.server.state
        path = parts.path
        if path == "/__stats" and method == "GET":
            with state.lock:
                self._send(200, state.stats)
            return
        if path == "/__control" and method == "POST":
            self._control(json.loads(body or b"{}"))
            return
        routes = {("GET", "/cgi-bin/gettoken"): ("gettoken", self._gettoken),
                  ("POST", "/cgi-bin/message/send"): ("message", self._message_send),
                  ("POST", "/cgi-bin/webhook/send"): ("webhook", self._webhook_send),
                  ("GET", "/cgi-bin/user/get"): ("user", self._user_get),
                  ("GET", "/cgi-bin/department/list"): ("department", self._department_list),
                  ("GET", "/cgi-bin/department/simplelist"): ("department",
                                                             self._department_simplelist),
                  ("GET", "/cgi-bin/tag/list"): ("tag", self._tag_list),
                  ("GET", "/cgi-bin/tag/get"): ("tag", self._tag_get)}
        route = routes.get((method, path))
        if route is None:
            self._send(404, {"errcode": 404, "errmsg": "no such endpoint " + path})
            return
        kind, handler = route
        try:
            with state.lock:
                if kind in ("user", "department", "tag"):
                    name = path[len("/cgi-bin/"):]
                    state.stats["directory"][name] = state.stats["directory"].get(name, 0) + 1
                fault = state.take_fault(kind)
                if fault is not None:
                    http_status, errcode, errmsg = fault
                    if http_status and http_status != 200:
                        state.reject("http%d" % http_status)
                        self._send(http_status, b"<html>injected failure</html>", "text/html")
                        return
                    if errcode == 60020 and not errmsg:
                        errmsg = ip_errmsg("1.2.3.4")
                    raise ApiError(errcode, errmsg)
                result = handler(query, body)
            self._api(result)
        except ApiError as err:
            with state.lock:
                state.reject(err.errcode)
            payload = {"errcode": err.errcode, "errmsg": err.errmsg}
            payload.update(err.extra)
            self._api(payload)

    def _control(self, request):
        state = self.server.state
        with state.lock:
            if request.get("clear"):
                state.clear()
            if request.get("expire_token"):
                for info in state.tokens.values():
                    info["valid"] = False
            if "expires_in" in request:
                state.expires_in = int(request["expires_in"])
            if "fail_next" in request:
                state.fail_next = int(request["fail_next"])
                state.fail_errcode = request.get("errcode", -1)
                state.fail_errmsg = request.get("errmsg")
                state.fail_http = request.get("http_status")
                state.fail_path = request.get("fail_path", "send")
                state.fail_skip = int(request.get("fail_skip", 0))
            if "directory" in request:
                try:
                    state.directory = load_directory(request["directory"])
                except (ValueError, TypeError, AttributeError) as err:
                    self._send(400, {"error": str(err)})
                    return
            if "ip_not_whitelisted" in request:
                state.ip_block = request.get("ip", "1.2.3.4") if request["ip_not_whitelisted"] \
                    else None
        self._send(200, {"ok": True})

    # ------------------------------------------------------------------ API (lock held)
    def _gettoken(self, query, _body):
        state = self.server.state
        state.stats["gettoken"] += 1
        if query.get("corpid") != state.args.corp_id:
            raise ApiError(40013)
        if query.get("corpsecret") != state.args.secret:
            raise ApiError(40001, "invalid credential")
        token = secrets.token_urlsafe(48)
        state.tokens[token] = {"expires_at": time.time() + state.expires_in, "valid": True}
        return {"errcode": 0, "errmsg": "ok", "access_token": token,
                "expires_in": state.expires_in}

    def _check_token(self, query):
        state = self.server.state
        token = query.get("access_token")
        if not token:
            raise ApiError(41001)
        info = state.tokens.get(token)
        if info is None:
            raise ApiError(40014)
        if not info["valid"] or time.time() >= info["expires_at"]:
            raise ApiError(42001)

    @staticmethod
    def _parse_json(body):
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(40058, "invalid parameter, Warning: wrong json format.")
        if not isinstance(request, dict):
            raise ApiError(40058, "invalid parameter, Warning: wrong json format.")
        return request

    @staticmethod
    def _content(request, msgtype, limit, too_long_code):
        section = request.get(msgtype)
        if not isinstance(section, dict):
            raise ApiError(40058, "invalid parameter: missing %s object" % msgtype)
        content = section.get("content")
        if not isinstance(content, str):
            raise ApiError(40058, "invalid parameter: %s.content must be a string" % msgtype)
        if content == "":
            raise ApiError(44004)
        if byte_len(content) > limit:
            raise ApiError(too_long_code,
                           "%s.content exceed max length %d" % (msgtype, limit))
        return section

    def _message_send(self, query, body):
        state = self.server.state
        self._check_token(query)
        if state.ip_block:
            raise ApiError(60020, ip_errmsg(state.ip_block))
        request = self._parse_json(body)
        unknown = set(request) - APP_KEYS
        if unknown:
            raise ApiError(40058, "invalid parameter: unknown field %s" % sorted(unknown)[0])
        msgtype = request.get("msgtype")
        if msgtype not in ("text", "markdown", "textcard"):
            raise ApiError(40008)
        for other in ("text", "markdown", "textcard"):
            if other != msgtype and other in request:
                raise ApiError(40058, "invalid parameter: %s with msgtype %s" % (other, msgtype))
        agentid = request.get("agentid")
        if not is_int(agentid):
            raise ApiError(40058, "invalid parameter: agentid must be an integer")
        if agentid != state.args.agent_id:
            raise ApiError(40056)
        for flag in ("safe", "enable_id_trans", "enable_duplicate_check"):
            if flag in request and (not is_int(request[flag]) or request[flag] not in (0, 1)):
                raise ApiError(40058, "invalid parameter: %s must be 0 or 1" % flag)
        interval = request.get("duplicate_check_interval", 1800)
        if not is_int(interval) or interval < 1 or interval > 14400:
            raise ApiError(40058, "invalid parameter: duplicate_check_interval")
        recipients = {}
        for field in ("touser", "toparty", "totag"):
            value = request.get(field, "")
            if not isinstance(value, str):
                raise ApiError(40058, "invalid parameter: %s must be a string" % field)
            recipients[field] = [v for v in value.split("|") if v] if value else []
        if not any(recipients.values()):
            raise ApiError(40058, "invalid parameter: touser, toparty and totag are all empty")
        if len(recipients["touser"]) > 1000 or len(recipients["toparty"]) > 100 or \
                len(recipients["totag"]) > 100:
            raise ApiError(40058, "invalid parameter: too many recipients")
        if msgtype == "text":
            section = self._content(request, "text", 2048, 45002)
            if set(section) - {"content"}:
                raise ApiError(40058, "invalid parameter: text has unknown fields")
        elif msgtype == "markdown":
            section = self._content(request, "markdown", 2048, 40058)
            if set(section) - {"content"}:
                raise ApiError(40058, "invalid parameter: markdown has unknown fields")
        else:
            self._check_textcard(request.get("textcard"))
        if "@all" in recipients["touser"]:
            invalid = {"touser": [], "toparty": [], "totag": []}
            valid = 1
        else:
            invalid = {"touser": [u for u in recipients["touser"] if u not in state.users],
                       "toparty": [p for p in recipients["toparty"] if p not in state.parties],
                       "totag": [t for t in recipients["totag"] if t not in state.tags]}
            valid = sum(len(recipients[f]) - len(invalid[f]) for f in recipients)
        extra = {"invaliduser": "|".join(invalid["touser"]),
                 "invalidparty": "|".join(invalid["toparty"]),
                 "invalidtag": "|".join(invalid["totag"])}
        if valid == 0:
            raise ApiError(81013, extra=extra)
        now = time.time()
        if request.get("enable_duplicate_check", 0) == 1:
            canonical = json.dumps(request, sort_keys=True, ensure_ascii=False)
            first = state.seen.get(canonical)
            if first is not None and now - first < interval:
                state.stats["duplicates"] += 1
                return dict({"errcode": 0, "errmsg": "ok", "msgid": "dup" + secrets.token_hex(8),
                             "unlicenseduser": "", "response_code": ""}, **extra)
            state.seen[canonical] = now
        state.stats["sends"] += 1
        state.stats["messages"].append({"path": "/cgi-bin/message/send", "ts": now,
                                        "body": request})
        return dict({"errcode": 0, "errmsg": "ok", "msgid": secrets.token_hex(16),
                     "unlicenseduser": "", "response_code": ""}, **extra)

    @staticmethod
    def _check_textcard(card):
        if not isinstance(card, dict):
            raise ApiError(40058, "invalid parameter: missing textcard object")
        if set(card) - {"title", "description", "url", "btntxt"}:
            raise ApiError(40058, "invalid parameter: textcard has unknown fields")
        for field, limit in (("title", 128), ("description", 512), ("url", 2048)):
            value = card.get(field)
            if not isinstance(value, str) or value == "":
                raise ApiError(40058, "invalid parameter: textcard.%s is required" % field)
            if byte_len(value) > limit:
                raise ApiError(40058, "textcard.%s exceed max length %d" % (field, limit))
        if not card["url"].startswith(("http://", "https://")):
            raise ApiError(40058, "invalid parameter: textcard.url must be an http(s) URL")
        if "btntxt" in card:
            if not isinstance(card["btntxt"], str) or len(card["btntxt"]) > 4:
                raise ApiError(40058, "textcard.btntxt exceed max length 4")

    # ---- the contact directory (lock held)
    def _user_get(self, query, _body):
        self._check_token(query)
        directory = self.server.state.directory
        userid = query.get("userid")
        if not userid:
            raise ApiError(41009)
        user = directory["users"].get(userid)
        if user is None:
            raise ApiError(60111, "userid not found, userid: %s" % userid)
        if not user_visible(directory, user):
            raise ApiError(60011)
        return {"errcode": 0, "errmsg": "ok", "userid": user["userid"], "name": user["name"],
                "department": user["department"],
                "main_department": user["department"][0] if user["department"] else 0,
                "status": 1}

    def _departments(self, query):
        self._check_token(query)
        directory = self.server.state.directory
        departments = directory["departments"]
        chosen = [d for d in departments.values() if dept_visible(directory, d["id"])]
        if "id" in query:
            try:
                root = int(query["id"])
            except ValueError:
                raise ApiError(60123)
            if root not in departments:
                raise ApiError(60123)
            if not dept_visible(directory, root):
                raise ApiError(60011)
            chosen = [d for d in chosen if root in ancestors(departments, d["id"])]
        return sorted(chosen, key=lambda d: d["id"])

    def _department_list(self, query, _body):
        return {"errcode": 0, "errmsg": "ok", "department": [
            {"id": d["id"], "name": d["name"], "parentid": d["parentid"], "order": 100000000,
             "department_leader": []} for d in self._departments(query)]}

    def _department_simplelist(self, query, _body):
        return {"errcode": 0, "errmsg": "ok", "department_id": [
            {"id": d["id"], "parentid": d["parentid"], "order": 100000000}
            for d in self._departments(query)]}

    def _tag_list(self, query, _body):
        self._check_token(query)
        tags = self.server.state.directory["tags"]
        return {"errcode": 0, "errmsg": "ok", "taglist": [
            {"tagid": tag_id, "tagname": tags[tag_id]["tagname"]} for tag_id in sorted(tags)]}

    def _tag_get(self, query, _body):
        self._check_token(query)
        directory = self.server.state.directory
        if "tagid" not in query:
            raise ApiError(41017)
        try:
            tag = directory["tags"].get(int(query["tagid"]))
        except ValueError:
            tag = None
        if tag is None:
            raise ApiError(40068)
        users = [directory["users"][u] for u in tag["userlist"]]
        return {"errcode": 0, "errmsg": "ok", "tagname": tag["tagname"],
                "userlist": [{"userid": u["userid"], "name": u["name"]} for u in users
                             if user_visible(directory, u)],
                "partylist": list(tag["partylist"])}

    def _webhook_send(self, query, body):
        state = self.server.state
        key = query.get("key", "")
        if key not in state.robot_keys:
            raise ApiError(93000)
        if state.ip_block:
            raise ApiError(60020, ip_errmsg(state.ip_block))
        request = self._parse_json(body)
        msgtype = request.get("msgtype")
        if msgtype not in ("text", "markdown"):
            raise ApiError(40008)
        if set(request) - {"msgtype", msgtype}:
            raise ApiError(40058, "invalid parameter: unknown field")
        if msgtype == "text":
            section = self._content(request, "text", 2048, 45002)
            if set(section) - {"content", "mentioned_list", "mentioned_mobile_list"}:
                raise ApiError(40058, "invalid parameter: text has unknown fields")
            for field in ("mentioned_list", "mentioned_mobile_list"):
                value = section.get(field, [])
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ApiError(40058, "invalid parameter: %s must be a list" % field)
        else:
            section = self._content(request, "markdown", 4096, 40058)
            if set(section) - {"content"}:
                raise ApiError(40058, "invalid parameter: markdown has unknown fields")
        now = time.time()
        window = [t for t in state.robot_window.get(key, []) if now - t < 60]
        if len(window) >= state.args.robot_rate:
            state.robot_window[key] = window
            raise ApiError(45009, "api freq out of limit")
        window.append(now)
        state.robot_window[key] = window
        state.stats["sends"] += 1
        state.stats["robot"][key] = state.stats["robot"].get(key, 0) + 1
        state.stats["messages"].append({"path": "/cgi-bin/webhook/send", "ts": now,
                                        "body": request})
        return {"errcode": 0, "errmsg": "ok"}


def main():
    parser = fake_http.argument_parser(__doc__.split("\n")[0])
    parser.add_argument("--corp-id", default="wwtestcorp")
    parser.add_argument("--secret", default="APPSECRET")
    parser.add_argument("--agent-id", type=int, default=1000002)
    parser.add_argument("--expires-in", type=int, default=7200)
    parser.add_argument("--users", default="zhangsan,lisi,wangwu")
    parser.add_argument("--parties", default="1,2")
    parser.add_argument("--tags", default="1,2")
    parser.add_argument("--robot-key", action="append")
    parser.add_argument("--robot-rate", type=int, default=20)
    parser.add_argument("--directory", help="JSON file of departments, users and tags")
    args = parser.parse_args()
    fake_http.serve(Handler, args.host, args.port, State(args))


if __name__ == "__main__":
    main()
