#!/usr/bin/env python3
"""Splunk custom alert action "Send to Beacon": reads the alert payload Splunk writes to stdin
(run with --execute) and posts it to beacon-collector's POST /api/v1/alerts/splunk?token=...

Settings come from payload["configuration"] (alert_actions.conf param.* merged with the
search's own): collector_url, token, severity, recipients. Connection errors and 5xx replies
are retried 3 times with backoff. Logs go to stderr (splunkd.log) and never contain the token.
Exit codes follow Splunk's webhook action: 0 sent, 2 HTTP/connection error, 3 anything else.
Python 3 standard library only.
"""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ATTEMPTS = 4              # the first try plus 3 retries
TIMEOUT_SECONDS = 10      # per request; 4 tries with backoff stay well inside maxtime (2m)
BACKOFF_SECONDS = 1.0     # doubles after each failed try: 1, 2, 4
USER_AGENT = "beacon-splunk-alert/1.0"
# Payload keys that must not leave Splunk: the splunkd session key is a credential.
DROPPED_KEYS = ("session_key",)
SECRET_CONFIG_KEYS = ("token",)


# Values never printed: the token and its URL-encoded form, whatever error text carries them.
_secrets = []


class ConfigError(Exception):
    pass


def log(level, message):
    text = str(message)
    for secret in _secrets:
        text = text.replace(secret, "<redacted>")
    print("%s beacon_alert: %s" % (level, text), file=sys.stderr, flush=True)


def build_request(payload):
    """Returns (url, body bytes, redacted url for logs) or raises ConfigError."""
    if not isinstance(payload, dict):
        raise ConfigError("the payload on stdin is not a JSON object")
    config = payload.get("configuration") or {}
    if not isinstance(config, dict):
        raise ConfigError("payload configuration is not an object")
    base = str(config.get("collector_url") or "").strip().rstrip("/")
    token = str(config.get("token") or "").strip()
    if not base.lower().startswith(("http://", "https://")):
        raise ConfigError("param.collector_url must be the collector's http(s) URL, e.g. "
                          "https://beacon-collector:8470 (local/alert_actions.conf)")
    if not token:
        raise ConfigError("param.token is empty: set the collector's Splunk source token in "
                          "local/alert_actions.conf")

    _secrets.extend({token, urllib.parse.quote_plus(token), urllib.parse.quote(token, safe="")})
    body = {key: value for key, value in payload.items() if key not in DROPPED_KEYS}
    body["configuration"] = {key: value for key, value in config.items()
                             if key not in SECRET_CONFIG_KEYS}
    severity = str(config.get("severity") or "").strip()
    if severity:
        body["severity"] = severity
    recipients = [name.strip() for name in str(config.get("recipients") or "").split(",")
                  if name.strip()]
    if recipients:
        body["recipients"] = recipients

    path = base + "/api/v1/alerts/splunk"
    url = path + "?" + urllib.parse.urlencode({"token": token})
    return url, json.dumps(body).encode("utf-8"), path + "?token=<redacted>"


def post(url, data, shown_url, sleep=time.sleep):
    """Posts with retries. Returns the exit code."""
    delay = BACKOFF_SECONDS
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT})
        retryable = False
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                reply = response.read(4096).decode("utf-8", "replace")
                log("INFO", "sent to %s: HTTP %d %s" % (shown_url, response.status, reply.strip()))
                return 0
        except urllib.error.HTTPError as error:
            text = error.read(300).decode("utf-8", "replace").strip()
            log("ERROR", "attempt %d/%d: %s answered HTTP %d: %s"
                % (attempt, ATTEMPTS, shown_url, error.code, text))
            retryable = error.code >= 500
            code = 2
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            log("ERROR", "attempt %d/%d: cannot reach %s: %s" % (attempt, ATTEMPTS, shown_url,
                                                                 reason))
            retryable = True
            code = 2
        if not retryable or attempt == ATTEMPTS:
            return code
        sleep(delay)
        delay *= 2
    return 2


def main(argv):
    if len(argv) < 2 or argv[1] != "--execute":
        log("FATAL", "unsupported execution mode (expected --execute)")
        return 1
    try:
        payload = json.loads(sys.stdin.read())
        url, data, shown_url = build_request(payload)
    except (ValueError, ConfigError) as error:
        log("ERROR", "not sent: %s" % error)
        return 3
    try:
        return post(url, data, shown_url)
    except Exception as error:  # Splunk's convention: 3 for anything unexpected
        log("ERROR", "not sent: %s: %s" % (type(error).__name__, error))
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
