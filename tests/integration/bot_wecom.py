"""What the bot's end-to-end tests share to play WeCom towards a real beacon-collector:
tests/fakes/wecom_server.py (the strict fake WeCom API that takes replies on message/send),
tests/fakes/wecom_callback.py peers that sign and encrypt callbacks for the app and the
intelligent robot, the `bot:` configuration that joins them, and helpers to send a line as a
user and wait for the reply the collector sends back."""
import base64
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import harness

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "tests", "fakes"))
from wecom_callback import WecomCallbackPeer  # noqa: E402

CORP_ID = "wwbotcorp0001"
SECRET = "bot-app-secret-0123456789"
AGENT_ID = 1000002


def aes_key():
    return base64.b64encode(os.urandom(32)).decode()[:43]


def write_secret(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    return path


class WecomRig:
    """The WeCom side of a bot test: start() the fake API, put yaml() under `bot:` in the
    collector's configuration, then bind(collector) and talk with say() / wait_reply()."""

    def __init__(self, workdir, users, fake_args=()):
        self.wd = workdir
        self.users = list(users)
        self.fake_args = list(fake_args)
        self.app_token, self.app_key = "apptoken" + os.urandom(4).hex(), aes_key()
        self.robot_token, self.robot_key = "robottoken" + os.urandom(4).hex(), aes_key()
        self.secrets = [SECRET, self.app_token, self.app_key, self.robot_token, self.robot_key]
        self.app = WecomCallbackPeer(self.app_token, self.app_key, CORP_ID)
        self.robot = WecomCallbackPeer(self.robot_token, self.robot_key, "")
        self.bot_port = harness.free_port()
        self.callback = f"http://127.0.0.1:{self.bot_port}/wecom/callback"
        self.wecom = None

    def start(self):
        self.wecom = harness.Server(
            ["python3", os.path.join(harness.SOURCE_DIR, "tests", "fakes", "wecom_server.py"),
             "--port", "0", "--corp-id", CORP_ID, "--secret", SECRET, "--agent-id",
             str(AGENT_ID), "--users", ",".join(self.users)] + self.fake_args,
            os.path.join(self.wd, "fake-wecom.log")).start()
        return self

    def stop(self):
        if self.wecom:
            self.wecom.stop()

    def yaml(self, indent="  "):
        """`listen`, `wecom` and `reply` for the collector's `bot:` section."""
        f = lambda name, text: write_secret(os.path.join(self.wd, name), text)  # noqa: E731
        lines = f"""listen:
  host: 127.0.0.1
  port: {self.bot_port}
wecom:
  corp_id: {CORP_ID}
  agent_id: {AGENT_ID}
  token_file: {f("app.token", self.app_token)}
  encoding_aes_key_file: {f("app.key", self.app_key)}
  robot:
    token_file: {f("robot.token", self.robot_token)}
    encoding_aes_key_file: {f("robot.key", self.robot_key)}
reply:
  secret_file: {f("app.secret", SECRET)}
  api_url: {self.wecom.url}/cgi-bin/
  retry_initial: 200ms
  retry_max: 1s"""
        return "\n".join(indent + line for line in lines.splitlines())

    def post(self, peer, plaintext, json_envelope=False, **kwargs):
        query, body = peer.post(plaintext, json_envelope=json_envelope, **kwargs)
        return self.post_body(query, body)

    def post_body(self, query, body):
        """POSTs `body` as it is to the callback URL with `query`: (status, reply body)."""
        req = urllib.request.Request(self.callback + "?" + urllib.parse.urlencode(query),
                                     data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def say(self, test, user, text, **kwargs):
        """Sends `text` from `user` as an encrypted app callback; WeCom gets an empty 200."""
        status, body = self.post(self.app, self.app.app_text(user, text, **kwargs))
        test.assertEqual((status, body), (200, b""))

    def replies(self, user):
        """Every app message the collector sent to `user`, oldest first."""
        out = []
        for m in self.wecom.stats()["messages"]:
            if "message/send" not in m["path"]:
                continue
            body = m["body"] if isinstance(m["body"], dict) else json.loads(m["body"])
            if body.get("touser") != user or body.get("agentid") != AGENT_ID:
                continue
            out.append(body[body["msgtype"]]["content"])
        return out

    def wait_reply(self, user, containing, timeout=20, after=0):
        """The newest reply to `user` containing the text, among those after the first `after`."""
        def found():
            return [r for r in self.replies(user)[after:] if containing in r]
        harness.wait_for(found, timeout, f"a reply to {user} containing {containing!r}; got "
                                         f"{self.replies(user)[after:]}")
        return found()[-1]

    def ask(self, test, user, text, containing, timeout=20):
        """say(), then wait for the first new reply containing `containing`."""
        seen = len(self.replies(user))
        self.say(test, user, text)
        return self.wait_reply(user, containing, timeout, after=seen)

    def confirm(self, test, user, text, done_marker, timeout=30):
        """Sends a mutating command, reads the code off its preview, confirms it in chat and
        returns (preview, the reply containing done_marker)."""
        preview = self.ask(test, user, text, "confirm ")
        code = re.search(r"confirm (\d{6})", preview)
        test.assertIsNotNone(code, preview)
        done = self.ask(test, user, "confirm " + code.group(1), done_marker, timeout)
        return preview, done
