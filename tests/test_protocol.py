"""The signaling protocol: every malformed message gets a clear, specific error."""

from __future__ import annotations

import json

import pytest

from server.calls.protocol import MAX_MESSAGE_BYTES, MAX_P2P_BYTES, ProtocolError, parse


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad-json"),
        ("[1, 2]", "bad-message"),
        (json.dumps({"kind": "join"}), "unknown-type"),
        (json.dumps({"type": "teleport"}), "unknown-type"),
        (json.dumps({"type": "join"}), "bad-message"),
        (json.dumps({"type": "join", "v": True}), "bad-message"),
        (json.dumps({"type": "join", "v": 2}), "bad-version"),
        (json.dumps({"type": "offer", "leg": "side", "sdp": "v=0\r\n"}), "bad-message"),
        (json.dumps({"type": "offer", "leg": "uplink", "sdp": "hello"}), "bad-sdp"),
        (json.dumps({"type": "offer", "leg": "uplink"}), "bad-message"),
        # aiortc skips lines it cannot read: garbage after v=0 was answered as an empty offer.
        (json.dumps({"type": "offer", "leg": "uplink", "sdp": "v=0\r\ngarbage\r\n"}), "bad-sdp"),
        (json.dumps({"type": "offer", "leg": "uplink", "sdp": "v=0\r\na=x\x00\r\n"}), "bad-sdp"),
        (json.dumps({"type": "p2p", "data": "x"}), "bad-message"),
        (json.dumps({"type": "p2p-state", "state": "melting"}), "bad-message"),
        (json.dumps({"type": "media", "audio": "yes", "video": True}), "bad-message"),
        (json.dumps({"type": "chat", "text": "   "}), "bad-message"),
        (json.dumps({"type": "chat", "text": "x" * 2001}), "bad-message"),
        ("x" * (MAX_MESSAGE_BYTES + 1), "too-large"),
        (b"\x00\x01", "bad-message"),
        # Counted in bytes: 100k three-byte characters are 300 KB.
        (json.dumps({"type": "chat", "text": "€" * 100_000}, ensure_ascii=False), "too-large"),
        # Python's json takes these; no browser (or later json.dumps) does.
        ("[" * 100_000 + "]" * 100_000, "bad-json"),
        ('{"type": "ping", "x": ' + "[" * 40 + "]" * 40 + "}", "bad-json"),
        ('{"type": "chat", "text": "hi", "n": NaN}', "bad-json"),
        ('{"type": "chat", "text": "hi", "n": -Infinity}', "bad-json"),
        ('{"type": "chat", "text": "hi", "n": 1e999}', "bad-json"),
        ('{"type": "chat", "text": "a \\ud800 b"}', "bad-json"),
        ('{"type": "p2p", "data": {"\\udfff": 1}}', "bad-json"),
        ('{"type": "join", "v": 1' + "0" * 5000 + "}", "bad-json"),
        # What is passed on to the other person is bounded.
        (json.dumps({"type": "p2p", "data": {"a": [[[[1]]]]}}), "bad-message"),
        (json.dumps({"type": "p2p", "data": {"a": "x" * (MAX_P2P_BYTES + 1)}}), "too-large"),
        (json.dumps({"type": "dismiss-cue", "id": 2**63}), "bad-message"),
    ],
)
def test_malformed_messages_get_specific_errors(raw: str | bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse(raw)
    assert caught.value.code == code
    reply = caught.value.to_json()
    assert reply["type"] == "error" and reply["message"]


def test_good_messages_pass() -> None:
    assert parse(json.dumps({"type": "join", "v": 1, "record": True})).body["record"] is True
    offer = parse(json.dumps({"type": "offer", "leg": "relay", "sdp": "v=0\r\no=- 1 1 IN"}))
    assert offer.type == "offer"
    lf_only = "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=tool:\ttab\n"
    assert parse(json.dumps({"type": "offer", "leg": "uplink", "sdp": lf_only})).type == "offer"
    chat = parse(json.dumps({"type": "chat", "text": "  see https://example.org  "}))
    assert chat.body["text"] == "see https://example.org"
    candidate = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 54321 typ host",
                 "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "abcd"}  # fmt: skip
    p2p = parse(json.dumps({"type": "p2p", "data": {"candidate": candidate}}))
    assert p2p.body["data"]["candidate"] == candidate
    assert parse('{"type": "chat", "text": "caf\\u00e9 \\ud83d\\ude00"}').body["text"] == "café 😀"


def test_uplink_answers_ask_for_60_ms_opus_packets() -> None:
    from server.calls.sdp import with_opus_ptime

    answer = (
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
    )
    edited = with_opus_ptime(answer, 60)
    assert "a=rtpmap:111 opus/48000/2\r\na=ptime:60\r\n" in edited
    assert edited.count("a=ptime") == 1
    assert with_opus_ptime(edited, 20) == edited  # an existing ptime is kept


def test_uplink_answers_ask_for_a_higher_opus_bitrate() -> None:
    from server.calls.sdp import with_opus_bitrate

    answer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 opus/48000/2\r\na=sendrecv\r\n"
    edited = with_opus_bitrate(answer, 64000)
    assert "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 maxaveragebitrate=64000;useinbandfec=1\r\n" in (
        edited
    )
    # An existing fmtp line keeps its parameters and gets the bitrate once.
    again = with_opus_bitrate(edited.replace("useinbandfec=1", "minptime=10"), 48000)
    assert again.count("a=fmtp:96") == 1
    assert "a=fmtp:96 minptime=10;maxaveragebitrate=48000\r\n" in again
