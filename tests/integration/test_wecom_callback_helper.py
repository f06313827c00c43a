"""tests/fakes/wecom_callback.py, the WeCom server the end-to-end bot tests play, against every
published WXBizMsgCrypt vector (the WeCom SDK samples) and the SDK's rejections. Needs only
python3-cryptography, no Beacon binary."""
import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from wecom_callback import WecomCallbackPeer, WecomCryptoError  # noqa: E402

V1 = dict(token="hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
          encoding_aes_key="6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
          receive_id="ww1436e0e65a779aee")
V1_ECHOSTR = ("fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SV"
              "HyA==")
V1_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGz"
    "BhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3J"
    "WcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQH"
    "E7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYu"
    "PDGOCI8jmnKiypE+")
V1_PLAIN = ("<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun"
            "</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好"
            "</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>")

V2 = dict(token="QDG6eK", encoding_aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
          receive_id="wx5823bf96d3bd56c7")
V2_ECHOSTR = ("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvna"
              "qQ==")
V2_XML_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUp"
    "j911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue"
    "06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+"
    "3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH"
    "27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8"
    "R07+qN+E7Q==")
V2_JSON_ENCRYPT = (
    "CZWs4CWRpI4VolQlvn4dlEC1alN2MUEY2VklGehgBVLBrlVF7SyT+SV+Toj43l4ayJ9UMGKphktKKmP7B2j/P1ey67XB"
    "8PBgS7Wr5/8+w/yWriZv3Vmoo/MH3/1HsIWZrPQ3N2mJrelStIfI2Y8kLKXA7EhfZgZX4o+ffdkZDM76SEl79Ib9mw7T"
    "GjZ9Aw/x/A2VjNbV1E8BtEbRxYYcQippYNw7hr8sFfa3nW1xLdxokt8QkRX83vK3DFP2F6TQFPL2Tu98UwhcUpPvdJBu"
    "u1/yiOQIScppV3eOuLWEsko=")
V2_JSON_PLAIN = ('{"ToUserName":"wx5823bf96d3bd56c7","FromUserName":"mycreate","CreateTime": '
                 '1409659813,"MsgType":"text","Content":"hello","MsgId":4561255354251345929,'
                 '"AgentID": 218}')


class PublishedVectors(unittest.TestCase):
    def test_v1_url_verification(self):
        peer = WecomCallbackPeer(**V1)
        self.assertEqual(peer.signature("1476416373", "47744683", V1_ECHOSTR),
                         "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb")
        self.assertEqual(peer.verify_and_decrypt("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
                                                 "1476416373", "47744683", V1_ECHOSTR),
                         b"1288432023552776189")

    def test_v1_message_and_byte_identical_reencryption(self):
        peer = WecomCallbackPeer(**V1)
        msg = peer.verify_and_decrypt("0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779",
                                      "1597212914", V1_ENCRYPT)
        self.assertEqual(msg.decode(), V1_PLAIN)
        self.assertEqual(peer.encrypt(V1_PLAIN, "694ce5a83ae07fe3"), V1_ENCRYPT)

    def test_v2_url_xml_and_json(self):
        peer = WecomCallbackPeer(**V2)
        self.assertEqual(peer.verify_and_decrypt("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
                                                 "1409659589", "263014780", V2_ECHOSTR),
                         b"1616140317555161061")
        xml = peer.verify_and_decrypt("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813",
                                      "1372623149", V2_XML_ENCRYPT)
        self.assertIn(b"<Content><![CDATA[hello]]></Content>", xml)
        self.assertEqual(peer.encrypt(xml, "0960688932c47ef1"), V2_XML_ENCRYPT)
        js = peer.verify_and_decrypt("0623cbc5a8cbee5bcc137c70de99575366fc2af3", "1409659813",
                                     "1372623149", V2_JSON_ENCRYPT)
        self.assertEqual(js.decode(), V2_JSON_PLAIN)
        self.assertEqual(peer.encrypt(js, "EDH75AiKExevY8L3"), V2_JSON_ENCRYPT)


class Rejections(unittest.TestCase):
    def code(self, fn, *args):
        with self.assertRaises(WecomCryptoError) as ctx:
            fn(*args)
        return ctx.exception.code

    def test_sdk_errors(self):
        peer = WecomCallbackPeer(**V1)
        self.assertEqual(self.code(peer.verify_and_decrypt, "0" * 40, "1476422779", "1597212914",
                                   V1_ENCRYPT), -40001)
        self.assertEqual(self.code(WecomCallbackPeer(V1["token"], V1["encoding_aes_key"],
                                                     "wwother").decrypt, V1_ENCRYPT), -40005)
        self.assertEqual(self.code(WecomCallbackPeer, "t", "short", ""), -40004)
        self.assertEqual(self.code(peer.decrypt, V1_ENCRYPT[:-1]), -40010)
        self.assertEqual(self.code(peer.decrypt, base64.b64encode(b"x" * 48).decode()), -40007)


class Requests(unittest.TestCase):
    def test_requests_round_trip(self):
        app = WecomCallbackPeer(**V1)
        query = app.url_verification("42424242", timestamp=1700000000, nonce=7)
        self.assertEqual(app.verify_and_decrypt(query["msg_signature"], query["timestamp"],
                                                query["nonce"], query["echostr"]), b"42424242")
        query, body = app.post(app.app_text("zhangsan", "status web-01", msg_id="99"))
        encrypt = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        self.assertIn("<Content><![CDATA[status web-01]]></Content>",
                      app.verify_and_decrypt(query["msg_signature"], query["timestamp"],
                                             query["nonce"], encrypt).decode())
        robot = WecomCallbackPeer("robottoken", V2["encoding_aes_key"], "")
        query, body = robot.post(robot.robot_text("lisi", "@Beacon status", chat_type="group"),
                                 json_envelope=True)
        message = json.loads(robot.verify_and_decrypt(
            query["msg_signature"], query["timestamp"], query["nonce"],
            json.loads(body)["encrypt"]))
        self.assertEqual(message["text"]["content"], "@Beacon status")
        self.assertEqual(message["chattype"], "group")

    def test_passive_replies_open(self):
        peer = WecomCallbackPeer(**V1)
        encrypt = peer.encrypt("reply text")
        xml = ("<xml>\n<Encrypt><![CDATA[%s]]></Encrypt>\n<MsgSignature><![CDATA[%s]]>"
               "</MsgSignature>\n<TimeStamp>1700000000</TimeStamp>\n<Nonce><![CDATA[n1]]></Nonce>\n"
               "</xml>" % (encrypt, peer.signature("1700000000", "n1", encrypt)))
        self.assertEqual(peer.open_passive_reply(xml), "reply text")
        reply = json.dumps({"encrypt": encrypt, "timestamp": "1700000000", "nonce": "n1",
                            "msgsignature": peer.signature("1700000000", "n1", encrypt)})
        self.assertEqual(peer.open_passive_reply(reply), "reply text")
        with self.assertRaises(WecomCryptoError):
            peer.open_passive_reply(reply.replace('"n1"', '"n2"'))


if __name__ == "__main__":
    unittest.main()
