#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (FuzzTesting/Corpora/<target>/<name>).

Each seed is a small, valid (or nearly valid) input of the shape its target reads, so that the
fuzzer starts from inputs that reach deep into the parser. Run it again after changing a
target's input format:  python3 FuzzTesting/Corpora/make-seeds.py
"""

import base64
import hashlib
import os
import struct
import zlib

ROOT = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


# --- WebSocket frames (RFC 6455 §5) -------------------------------------------------------------

MASK = bytes([0x37, 0xFA, 0x21, 0x3D])  # RFC 6455 §5.7's example key


def frame(opcode, payload, fin=True, rsv1=False, masked=False):
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    n = len(payload)
    m = 0x80 if masked else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if masked:
        payload = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
        head += MASK
    return head + payload


def frames_seeds(masked):
    f = lambda *a, **k: frame(*a, masked=masked, **k)
    return {
        "text": f(1, b"Hello"),
        "fragmented-text": f(1, b"Hel", fin=False) + f(0, b"lo"),
        "ping-pong-in-fragments": f(1, b"Hel", fin=False) + f(9, b"ping") + f(0, b"lo") + f(10, b"pong"),
        "binary-16bit-length": f(2, bytes(range(256)) * 2),
        "close-with-reason": f(8, struct.pack(">H", 1000) + b"bye"),
        "utf8-split-across-frames": f(1, "h\u00e9\u20ac".encode()[:3], fin=False) + f(0, "h\u00e9\u20ac".encode()[3:]),
        "invalid-utf8": f(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"),
        "empty-messages": f(1, b"") + f(2, b"") + f(9, b""),
        "json-envelope": f(1, b'{"payloadType":2131,"payload":{"ctidTraderAccountId":1,"symbolId":1,"bid":110000}}'),
    }


for name, data in frames_seeds(masked=False).items():
    write("FuzzFrames", "client-" + name, bytes([0x00]) + data)
write("FuzzFrames", "client-bytewise-utf8-split-across-frames",
      bytes([0x02]) + frames_seeds(masked=False)["utf8-split-across-frames"])
for name, data in frames_seeds(masked=True).items():
    write("FuzzFrames", "server-" + name, bytes([0x01]) + data)
write("FuzzFrames", "server-unmasked-is-an-error", bytes([0x01]) + frame(1, b"Hello"))
write("FuzzFrames", "client-small-limits", bytes([0x08]) + frame(1, b"x" * 300))


def deflate_message(data, compressor):
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def deflate_seeds(masked):
    f = lambda *a, **k: frame(*a, masked=masked, **k)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    hello = deflate_message(b"Hello", c)
    hello_again = deflate_message(b"Hello", c)  # uses the window (context takeover)
    big = deflate_message(b'{"payloadType":2131}' * 200, zlib.compressobj(9, zlib.DEFLATED, -15))
    return {
        # RFC 7692 §7.2.3.1 and §7.2.3.2
        "rfc-hello": f(1, bytes.fromhex("f248cdc9c90700"), rsv1=True),
        "rfc-fragmented": f(1, bytes.fromhex("f248cd"), fin=False, rsv1=True) + f(0, bytes.fromhex("c9c90700")),
        # §7.2.3.3: no compression, BFINAL set
        "rfc-stored-block": f(1, bytes.fromhex("00050 0faff48656c6c6f00".replace(" ", "")), rsv1=True),
        "context-takeover": f(1, hello, rsv1=True) + f(1, hello_again, rsv1=True),
        "empty-compressed": f(1, b"\x00", rsv1=True),
        "mixed-compressed-and-plain": f(1, hello, rsv1=True) + f(2, b"plain") + f(9, b"p"),
        "repetitive-json": f(1, big, rsv1=True),
    }


for name, data in deflate_seeds(masked=False).items():
    write("FuzzFramesDeflate", "client-" + name, bytes([0x3C, 0x01]) + data)
for name, data in deflate_seeds(masked=True).items():
    write("FuzzFramesDeflate", "server-" + name, bytes([0x3D, 0x02]) + data)
write("FuzzFramesDeflate", "client-no-takeover-bytewise",
      bytes([0x3E | 0x20, 0x00]) + frame(1, bytes.fromhex("f248cdc9c90700"), rsv1=True) * 2)
bomb = deflate_message(b"\x00" * 200000, zlib.compressobj(9, zlib.DEFLATED, -15))
write("FuzzFramesDeflate", "client-bomb-small-limit", bytes([0x3C, 0x05]) + frame(2, bomb, rsv1=True))


def fragments(*parts):
    """(bytes, final) pairs as the inflater target reads them: header byte, then the bytes."""
    out = b""
    for data, final in parts:
        while len(data) > 127:
            out += bytes([127]) + data[:127]
            data = data[127:]
        out += bytes([(0x80 if final else 0) | len(data)]) + data
    return out


c = zlib.compressobj(6, zlib.DEFLATED, -15)
m1 = deflate_message(b"Hello, hello, hello", c)
m2 = deflate_message(b"Hello again", c)
write("FuzzInflater", "rfc-hello", bytes([0x0E]) + fragments((bytes.fromhex("f248cdc9c90700"), True)))
write("FuzzInflater", "fragmented", bytes([0x0E]) + fragments((m1[:3], False), (m1[3:], True)))
write("FuzzInflater", "context-takeover", bytes([0x0E]) + fragments((m1, True), (m2, True)))
write("FuzzInflater", "stored-block", bytes([0x0E]) + fragments((bytes.fromhex("0005 00faff48656c6c6f00".replace(" ", "")), True)))
write("FuzzInflater", "empty", bytes([0x0E]) + fragments((b"\x00", True), (b"", True)))
small = zlib.compressobj(6, zlib.DEFLATED, -9)
write("FuzzInflater", "window-9-no-takeover", bytes([0x03]) + fragments((deflate_message(b"abcabcabc" * 40, small), True)))
write("FuzzInflater", "bomb-small-limit", bytes([0x4E]) + fragments((bomb[:300], True)))
write("FuzzInflater", "tiny-chunks", bytes([0x3E]) + fragments((m1, True)))

# --- FuzzDeflateRoundTrip: flags (takeover, window, level), the minimum size, then messages ---


def messages(*items):
    out = b""
    for body, repeat in items:
        out += bytes([(0x80 if repeat else 0) | len(body)]) + body
    return out


hello_then_empty = messages((b"Hello", False), (b"", False), (b"abc", True), (b"", False))
write("FuzzDeflateRoundTrip", "takeover-empty-after-compressed", bytes([0x6E, 0]) + hello_then_empty)
write("FuzzDeflateRoundTrip", "no-takeover-empty-after-compressed", bytes([0x6F, 0]) + hello_then_empty)
write("FuzzDeflateRoundTrip", "window-8-stored", bytes([0x60, 0]) + hello_then_empty)
write("FuzzDeflateRoundTrip", "level-9-window-9", bytes([0x93, 1]) + messages((b"{\"payloadType\":2131}", True)))
write("FuzzDeflateRoundTrip", "minimum-64", bytes([0x6E, 64]) + messages((b"x" * 63, False), (b"y" * 100, False), (b"", False)))

# --- Handshakes (RFC 6455 §4) -----------------------------------------------------------------

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = base64.b64encode(hashlib.sha1((KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
assert ACCEPT == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def head(lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


base_response = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Accept: " + ACCEPT]
write("FuzzHandshakeResponse", "plain", b"\x00" + head(base_response))
write("FuzzHandshakeResponse", "deflate-and-protocol", b"\x00" + head(base_response + [
    "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12; client_max_window_bits=10",
    "Sec-WebSocket-Protocol: v2"]))
write("FuzzHandshakeResponse", "deflate-no-takeover-offer", b"\x08" + head(base_response + [
    "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
    "server_max_window_bits=10; client_max_window_bits=10"]))
write("FuzzHandshakeResponse", "frame-after-head", b"\x00" + head(base_response) + frame(1, b"Hello"))
write("FuzzHandshakeResponse", "bytewise-mixed-case", b"\x01" + head([
    "HTTP/1.1 101 Switching Protocols", "upgrade: WebSocket", "CONNECTION: keep-alive, Upgrade",
    "sec-websocket-accept: " + ACCEPT, "Sec-WebSocket-Extensions: permessage-deflate"]))
write("FuzzHandshakeResponse", "refused", b"\x00" + head([
    "HTTP/1.1 400 Bad Request", "Content-Length: 5", "Connection: close"]) + b"nope!")
write("FuzzHandshakeResponse", "unoffered-extension", b"\x00" + head(base_response + [
    "Sec-WebSocket-Extensions: x-webkit-deflate-frame"]))

base_request = ["GET /chat?token=a%20b&x HTTP/1.1", "Host: example.com:8080", "Upgrade: websocket",
                "Connection: Upgrade", "Sec-WebSocket-Key: " + KEY, "Sec-WebSocket-Version: 13"]
write("FuzzHandshakeRequest", "plain", b"\x00" + head(base_request))
write("FuzzHandshakeRequest", "deflate-and-protocols", b"\x00" + head(base_request + [
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate",
    "Sec-WebSocket-Protocol: v3, json", "Origin: http://example.com"]))
write("FuzzHandshakeRequest", "deflate-parameters-server-limits", b"\x08" + head(base_request + [
    "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9; client_no_context_takeover; "
    "client_max_window_bits=8"]))
write("FuzzHandshakeRequest", "bytewise-frame-after-head", b"\x01" + head(base_request) + frame(1, b"Hi", masked=True))
write("FuzzHandshakeRequest", "wrong-version", b"\x00" + head(base_request[:-1] + ["Sec-WebSocket-Version: 8"]))
write("FuzzHandshakeRequest", "post", b"\x00" + head(["POST / HTTP/1.1"] + base_request[1:]))
write("FuzzHandshakeRequest", "bad-extension-header", b"\x00" + head(base_request + [
    'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits="10"; x=";,"']))

# --- Envelopes ----------------------------------------------------------------------------------

TRENDBAR = ('{"volume":100,"period":1,"low":110000,"deltaOpen":5,"deltaClose":3,"deltaHigh":8,'
            '"utcTimestampInMinutes":29000000}')
envelopes = {
    "spot-event": '{"payloadType":2131,"payload":{"ctidTraderAccountId":123,"symbolId":1,"bid":110000,"ask":110020,"timestamp":1700000000000}}',
    "spot-event-trendbar": '{"payloadType":2131,"payload":{"ctidTraderAccountId":123,"symbolId":1,"trendbar":[' + TRENDBAR + ']}}',
    "app-auth-req": '{"clientMsgId":"cm_1","payloadType":2100,"payload":{"clientId":"id","clientSecret":"s\\u00e9cret"}}',
    "app-auth-res": '{"clientMsgId":"cm_1","payloadType":2101}',
    "error-res": '{"clientMsgId":"7","payloadType":2142,"payload":{"errorCode":"CH_CLIENT_AUTH_FAILURE","description":"x","retryAfter":"5"}}',
    "heartbeat": '{"payloadType":51,"payload":{}}',
    "unknown-payload-type": '{"payloadType":99999,"payload":{"a":[1,2.5e3,true,null,{"b":"c"}]}}',
    "missing-required": '{"payloadType":2100,"payload":{"clientId":"id"}}',
    "whitespace-and-order": ' { "payload" : { "symbolId" : "2" , "ctidTraderAccountId" : -1 } ,\n "payloadType" : 2131 } ',
}
for name, text in envelopes.items():
    write("FuzzJSONEnvelope", name, text)

spots = {
    "plain": '{"ctidTraderAccountId":123,"symbolId":1,"bid":110000,"ask":110020}',
    "all-fields": '{"payloadType":2131,"ctidTraderAccountId":123,"symbolId":1,"bid":110000,"ask":110020,"sessionClose":109000,"timestamp":1700000000000}',
    "strings": '{"ctidTraderAccountId":"123","symbolId":"1","bid":"110000"}',
    "extremes": '{"ctidTraderAccountId":-9223372036854775808,"symbolId":9223372036854775807,"bid":18446744073709551615}',
    "negative-zero": '{"ctidTraderAccountId":-0,"symbolId":1}',
    "missing-symbol": '{"ctidTraderAccountId":1}',
    "duplicate-key": '{"ctidTraderAccountId":1,"symbolId":1,"symbolId":2}',
    "trendbar": '{"ctidTraderAccountId":1,"symbolId":1,"trendbar":[' + TRENDBAR + ']}',
    "unknown-key": '{"ctidTraderAccountId":1,"symbolId":1,"spread":3}',
    "escaped-key": '{"ctidTraderAccountId":1,"symbol\\u0049d":1}',
    "fraction": '{"ctidTraderAccountId":1,"symbolId":1.0,"bid":1e5}',
    "unknown-enum": '{"payloadType":9999,"ctidTraderAccountId":1,"symbolId":1}',
    "null": '{"ctidTraderAccountId":1,"symbolId":1,"bid":null}',
    "whitespace": ' {\t"symbolId" :\n1 , "ctidTraderAccountId":2 } ',
}
for name, text in spots.items():
    write("FuzzSpotEventDifferential", name, text)


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(number, value):
    return varint(number << 3) + varint(value & 0xFFFFFFFFFFFFFFFF)


def field_bytes(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def proto_message(payload_type, payload=None, client_msg_id=None):
    out = field_varint(1, payload_type)
    if payload is not None:
        out += field_bytes(2, payload)
    if client_msg_id is not None:
        out += field_bytes(3, client_msg_id.encode())
    return out


spot = field_varint(2, 123) + field_varint(3, 1) + field_varint(4, 110000) + field_varint(5, 110020)
trendbar = field_varint(3, 100) + field_varint(4, 1) + field_varint(5, 110000) + field_varint(6, 5)
bodies = {
    "spot-event": proto_message(2131, spot),
    "spot-event-trendbar": proto_message(2131, spot + field_bytes(6, trendbar)),
    "app-auth-req": proto_message(2100, field_bytes(2, b"id") + field_bytes(3, b"secret"), "cm_1"),
    "heartbeat": proto_message(51),
    "unknown-payload-type": proto_message(99999, b"\x08\x01\x12\x03abc"),
    "missing-required": proto_message(2100, field_bytes(2, b"id")),
    "unknown-enum-in-payload": proto_message(2131, field_varint(1, 77) + spot),
    "negative-int64": proto_message(2131, field_varint(2, -1) + field_varint(3, -5)),
}
for name, body in bodies.items():
    write("FuzzBinaryEnvelope", "body-" + name, b"\x00" + body)
stream = b"".join(struct.pack(">I", len(b)) + b for b in bodies.values())
write("FuzzBinaryEnvelope", "stream-of-frames", b"\x01" + stream)
write("FuzzBinaryEnvelope", "stream-oversized-length", b"\x01" + struct.pack(">I", 5000) + b"\x08\x33")
