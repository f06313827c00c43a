#!/usr/bin/env python3
"""Plays the WeCom (企业微信) server towards Beacon's callback URL: builds signed, encrypted
callback requests the way WeCom's WXBizMsgCrypt does (SHA-1 signature over the sorted token,
timestamp, nonce and ciphertext; AES-256-CBC with the 32-byte PKCS#7 block over
random(16) | msg_len (u32 big-endian) | msg | receive_id) and opens encrypted passive replies.
An independent implementation of bot/wecom/crypto.h for the end-to-end tests, on Debian's
python3-cryptography; tests/integration/test_wecom_callback_helper.py checks it against the
published vectors.

    peer = WecomCallbackPeer(token, encoding_aes_key, corp_id)        # "" for the robot
    query = peer.url_verification("1234567890")                       # GET: dict of params
    query, body = peer.post(peer.app_text("zhangsan", "status web-01"))  # POST, XML envelope
    query, body = robot.post(robot.robot_text("lisi", "@Beacon status"), json_envelope=True)
    plaintext = peer.open_passive_reply(reply_body)                   # XML or JSON reply
    url = "http://127.0.0.1:PORT/wecom/callback?" + urllib.parse.urlencode(query)
"""
import base64
import hashlib
import json
import os
import struct
import time
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeCom pads to its key size, not AES's 16 bytes


class WecomCryptoError(Exception):
    """A check of the C++ SDK failed; .code is its error code (-40001 ...)."""

    def __init__(self, code, text):
        super().__init__(f"{code}: {text}")
        self.code = code


class WecomCallbackPeer:
    def __init__(self, token, encoding_aes_key, receive_id):
        if len(encoding_aes_key) != 43:
            raise WecomCryptoError(-40004, "EncodingAESKey must be 43 characters")
        # The SDKs ignore the last two bits of the 43rd character.
        self.key = base64.b64decode(encoding_aes_key + "=")
        if len(self.key) != 32:
            raise WecomCryptoError(-40004, "EncodingAESKey must decode to 32 bytes")
        self.token = token
        self.receive_id = receive_id.encode() if isinstance(receive_id, str) else receive_id

    # --- the cipher -------------------------------------------------------------------------

    def signature(self, timestamp, nonce, encrypt):
        parts = sorted([self.token, str(timestamp), str(nonce), encrypt])
        return hashlib.sha1("".join(parts).encode()).hexdigest()

    def encrypt(self, msg, random16=None):
        msg = msg.encode() if isinstance(msg, str) else msg
        random16 = os.urandom(8).hex().encode() if random16 is None else random16
        if isinstance(random16, str):
            random16 = random16.encode()
        if len(random16) != 16:
            raise WecomCryptoError(-40006, "the random prefix must be 16 bytes")
        plain = random16 + struct.pack(">I", len(msg)) + msg + self.receive_id
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def decrypt(self, encrypt):
        """(msg bytes, receive_id bytes, random bytes), with the C++ SDK's strict checks."""
        try:
            cipher = base64.b64decode(encrypt, validate=True)
        except ValueError as e:
            raise WecomCryptoError(-40010, f"invalid base64: {e}") from None
        if len(cipher) < BLOCK or len(cipher) % BLOCK:
            raise WecomCryptoError(-40007, "ciphertext is not whole 32-byte blocks")
        dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = dec.update(cipher) + dec.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise WecomCryptoError(-40007, "bad padding")
        plain = plain[:-pad]
        if len(plain) <= 20:
            raise WecomCryptoError(-40008, "no room for the length field")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise WecomCryptoError(-40008, "msg_len beyond the buffer")
        msg, receive_id = plain[20:20 + length], plain[20 + length:]
        if receive_id != self.receive_id:
            raise WecomCryptoError(-40005, "another receive id")
        return msg, receive_id, plain[:16]

    def verify_and_decrypt(self, signature, timestamp, nonce, encrypt):
        if signature != self.signature(timestamp, nonce, encrypt):
            raise WecomCryptoError(-40001, "signature mismatch")
        return self.decrypt(encrypt)[0]

    # --- requests WeCom sends ---------------------------------------------------------------

    @staticmethod
    def _stamp(timestamp, nonce):
        return str(int(time.time()) if timestamp is None else timestamp), \
            str(int.from_bytes(os.urandom(4), "big") if nonce is None else nonce)

    def url_verification(self, echo, timestamp=None, nonce=None, random16=None):
        """The query of the GET WeCom sends when the callback URL is saved; the answer must be
        `echo` exactly."""
        timestamp, nonce = self._stamp(timestamp, nonce)
        echostr = self.encrypt(echo, random16)
        return {"msg_signature": self.signature(timestamp, nonce, echostr),
                "timestamp": timestamp, "nonce": nonce, "echostr": echostr}

    def post(self, plaintext, json_envelope=False, timestamp=None, nonce=None, random16=None,
             agent_id="1000002"):
        """(query dict, body bytes) of a POST: the app's XML envelope (CDATA, as WeCom sends it)
        or, with json_envelope, the robot's {"encrypt": ...}."""
        timestamp, nonce = self._stamp(timestamp, nonce)
        encrypt = self.encrypt(plaintext, random16)
        query = {"msg_signature": self.signature(timestamp, nonce, encrypt),
                 "timestamp": timestamp, "nonce": nonce}
        if json_envelope:
            body = json.dumps({"encrypt": encrypt})
        else:
            body = (f"<xml><ToUserName><![CDATA[{self.receive_id.decode()}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                    f"<AgentID><![CDATA[{agent_id}]]></AgentID></xml>")
        return query, body.encode()

    # --- plaintexts -------------------------------------------------------------------------

    def app_text(self, from_user, content, msg_id=None, create_time=None, agent_id="1000002"):
        create_time = int(time.time()) if create_time is None else create_time
        msg_id = msg_id or str(int.from_bytes(os.urandom(7), "big"))
        return (f"<xml><ToUserName><![CDATA[{self.receive_id.decode()}]]></ToUserName>"
                f"<FromUserName><![CDATA[{from_user}]]></FromUserName>"
                f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>"
                f"<AgentID>{agent_id}</AgentID></xml>")

    def app_event(self, from_user, event, event_key="", task_id="", response_code="",
                  create_time=None, agent_id="1000002"):
        create_time = int(time.time()) if create_time is None else create_time
        return (f"<xml><ToUserName><![CDATA[{self.receive_id.decode()}]]></ToUserName>"
                f"<FromUserName><![CDATA[{from_user}]]></FromUserName>"
                f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{event_key}]]></EventKey>"
                f"<TaskId><![CDATA[{task_id}]]></TaskId>"
                f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode>"
                f"<AgentID>{agent_id}</AgentID></xml>")

    @staticmethod
    def robot_text(from_user, content, msg_id=None, chat_type="single", chat_id="",
                   aibot_id="AIBOTID", response_url="https://qyapi.weixin.qq.com/cgi-bin/aibot/"
                   "response?response_code=RESPONSECODE"):
        message = {"msgid": msg_id or os.urandom(8).hex(), "aibotid": aibot_id,
                   "chattype": chat_type, "from": {"userid": from_user},
                   "response_url": response_url, "msgtype": "text",
                   "text": {"content": content}}
        if chat_id:
            message["chatid"] = chat_id
        return json.dumps(message, ensure_ascii=False)

    # --- replies Beacon sends ---------------------------------------------------------------

    def open_passive_reply(self, body):
        """The plaintext of an encrypted passive reply (the SDK's XML template or the JSON
        {"encrypt","msgsignature","timestamp","nonce"}), after checking its signature."""
        body = body.decode() if isinstance(body, bytes) else body
        if body.lstrip().startswith("{"):
            reply = json.loads(body)
            fields = [reply["encrypt"], reply["msgsignature"], reply["timestamp"], reply["nonce"]]
            if not all(isinstance(f, str) for f in fields):
                raise WecomCryptoError(-40002, "JSON reply fields must be strings")
        else:
            root = ET.fromstring(body)
            fields = [root.findtext(k) for k in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")]
            if any(f is None for f in fields):
                raise WecomCryptoError(-40002, "XML reply lacks a field")
        encrypt, signature, timestamp, nonce = fields
        return self.verify_and_decrypt(signature, timestamp, nonce, encrypt).decode()
