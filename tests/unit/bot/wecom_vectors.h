// The published WXBizMsgCrypt test vectors (the WeCom SDK samples, Python and C++/Go), shared by
// the wecom_* unit tests and tests/fuzz/wecom_callback_fuzz.cpp.
#pragma once

#include <string_view>

namespace beacon::bot::wecom::vectors {

// V1: the Python SDK's callback sample.
inline constexpr std::string_view kV1Token = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo";
inline constexpr std::string_view kV1Key = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
inline constexpr std::string_view kV1AesKeyHex =
    "eaa91d32babaf274ca76ece72583b5037ed6da8120a64314be4b6d453a2a854b";
inline constexpr std::string_view kV1CorpId = "ww1436e0e65a779aee";

inline constexpr std::string_view kV1UrlSignature = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb";
inline constexpr std::string_view kV1UrlTimestamp = "1476416373";
inline constexpr std::string_view kV1UrlNonce = "47744683";
inline constexpr std::string_view kV1UrlEchostr =
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==";
inline constexpr std::string_view kV1UrlReply = "1288432023552776189";

inline constexpr std::string_view kV1MsgSignature = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e";
inline constexpr std::string_view kV1MsgTimestamp = "1476422779";
inline constexpr std::string_view kV1MsgNonce = "1597212914";
inline constexpr std::string_view kV1MsgEncrypt =
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGz"
    "BhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3J"
    "WcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQH"
    "E7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYu"
    "PDGOCI8jmnKiypE+";
inline constexpr std::string_view kV1MsgRandom = "694ce5a83ae07fe3";
inline constexpr std::string_view kV1MsgPlain =
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>";

// V2: the C++ and Go SDKs' samples.
inline constexpr std::string_view kV2Token = "QDG6eK";
inline constexpr std::string_view kV2Key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
inline constexpr std::string_view kV2ReceiveId = "wx5823bf96d3bd56c7";

inline constexpr std::string_view kV2UrlSignature = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3";
inline constexpr std::string_view kV2UrlTimestamp = "1409659589";
inline constexpr std::string_view kV2UrlNonce = "263014780";
inline constexpr std::string_view kV2UrlEchostr =
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";
inline constexpr std::string_view kV2UrlReply = "1616140317555161061";

inline constexpr std::string_view kV2MsgTimestamp = "1409659813";
inline constexpr std::string_view kV2MsgNonce = "1372623149";
inline constexpr std::string_view kV2XmlSignature = "477715d11cdb4164915debcba66cb864d751f3e6";
inline constexpr std::string_view kV2XmlEncrypt =
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qczcd"
    "CUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd"
    "4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r"
    "+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx"
    "4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyP"
    "IGHBZZIs2pDBS8R07+qN+E7Q==";
inline constexpr std::string_view kV2XmlRandom = "0960688932c47ef1";
inline constexpr std::string_view kV2XmlPlain =
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
    "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
    "<CreateTime>1409659813</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[hello]]></Content>\n"
    "<MsgId>4561255354251345929</MsgId>\n"
    "<AgentID>218</AgentID>\n"
    "</xml>";
inline constexpr std::string_view kV2JsonSignature = "0623cbc5a8cbee5bcc137c70de99575366fc2af3";
inline constexpr std::string_view kV2JsonEncrypt =
    "CZWs4CWRpI4VolQlvn4dlEC1alN2MUEY2VklGehgBVLBrlVF7SyT+SV+Toj43l4ayJ9UMGKphktKKmP7B2j/P1ey67"
    "XB8PBgS7Wr5/8+w/yWriZv3Vmoo/MH3/1HsIWZrPQ3N2mJrelStIfI2Y8kLKXA7EhfZgZX4o+ffdkZDM76SEl79Ib9m"
    "w7TGjZ9Aw/x/A2VjNbV1E8BtEbRxYYcQippYNw7hr8sFfa3nW1xLdxokt8QkRX83vK3DFP2F6TQFPL2Tu98UwhcUpPv"
    "dJBuu1/yiOQIScppV3eOuLWEsko=";
inline constexpr std::string_view kV2JsonRandom = "EDH75AiKExevY8L3";
inline constexpr std::string_view kV2JsonPlain =
    R"({"ToUserName":"wx5823bf96d3bd56c7","FromUserName":"mycreate","CreateTime": 1409659813,)"
    R"("MsgType":"text","Content":"hello","MsgId":4561255354251345929,"AgentID": 218})";

}  // namespace beacon::bot::wecom::vectors
