"""Signaling fuzz against a real `tandem serve`: whatever a client sends, it gets an ``error``
reply (or the normal answer), its socket stays open (the next ``ping`` gets ``pong``), the
room carries on (the other person joins and messages flow), and floods of oversized messages
leave the server's memory where it was.

A hand-written corpus covers each kind of hostile message; a generated one (seeded, so every
run sends the same messages) mutates good messages: cut short, characters spliced in, fields
given values of other types, dropped or duplicated. hypothesis is not installed here.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from server.calls.protocol import MAX_MESSAGE_BYTES, MAX_P2P_BYTES, ProtocolError, parse
from server.settings import Settings
from tests.browser import serve
from tests.call_helpers import SignalingClient, health, prepare_call

OVERSIZED = MAX_MESSAGE_BYTES + 40_000  # under uvicorn's 1 MB frame limit, over ours


@pytest.fixture
def call_env(env: dict[str, str]) -> dict[str, str]:
    # p2p only: no fuzzed p2p-state "failed" switches the call to relay.
    return {**env, "TANDEM_ROOM_GRACE_S": "30", "TANDEM_MEDIA_MODE": "p2p"}


def _deep(levels: int, opener: str = "[", closer: str = "]") -> str:
    return opener * levels + closer * levels


#: (what, raw message, the error code it must get), before the sender has joined.
BEFORE_JOIN: list[tuple[str, str | bytes, str]] = [
    ("not JSON", "not json", "bad-json"),
    ("cut short", '{"type": "join", "v": ', "bad-json"),
    ("empty", "", "bad-json"),
    ("trailing garbage", '{"type": "ping"} x', "bad-json"),
    ("single quotes", "{'type': 'ping'}", "bad-json"),
    ("a bare string", '"join"', "bad-message"),
    ("null", "null", "bad-message"),
    ("an array", '[{"type": "ping"}]', "bad-message"),
    ("binary", b"\x00\xff\x10", "bad-message"),
    ("binary JSON", b'{"type": "ping"}', "bad-message"),
    ("oversized", "x" * OVERSIZED, "too-large"),
    ("oversized JSON", json.dumps({"type": "chat", "text": "y" * OVERSIZED}), "too-large"),
    (
        "oversized in bytes",
        json.dumps({"type": "ping", "pad": "€" * 90_000}, ensure_ascii=False),
        "too-large",
    ),
    ("100000 nested arrays", _deep(100_000), "bad-json"),
    ("40000 nested objects", '{"a":' * 40_000 + "1" + "}" * 40_000, "bad-json"),
    ("nested past 32", '{"type": "ping", "x": ' + _deep(40) + "}", "bad-json"),
    ("NaN", '{"type": "ping", "x": NaN}', "bad-json"),
    ("Infinity", '{"type": "ping", "x": Infinity}', "bad-json"),
    ("-Infinity", '{"type": "join", "v": -Infinity}', "bad-json"),
    ("1e999", '{"type": "join", "v": 1e999}', "bad-json"),
    ("a 5000-digit number", '{"type": "join", "v": ' + "9" * 5000 + "}", "bad-json"),
    ("lone high surrogate", '{"type": "chat", "text": "\\ud800"}', "bad-json"),
    ("lone low surrogate", '{"type": "chat", "text": "a\\udfffb"}', "bad-json"),
    ("surrogate in a key", '{"type": "ping", "\\udbff": 1}', "bad-json"),
    ("surrogate as the type", '{"type": "\\ud800"}', "bad-json"),
    ("unknown type", '{"type": "teleport"}', "unknown-type"),
    ("numeric type", '{"type": 5}', "unknown-type"),
    ("null type", '{"type": null}', "unknown-type"),
    ("no type", '{"kind": "join"}', "unknown-type"),
    ("type in another case", '{"type": "JOIN", "v": 1}', "unknown-type"),
    ("v as text", '{"type": "join", "v": "1"}', "bad-message"),
    ("v as bool", '{"type": "join", "v": true}', "bad-message"),
    ("v as float", '{"type": "join", "v": 1.0}', "bad-message"),
    ("record as text", '{"type": "join", "v": 1, "record": "yes"}', "bad-message"),
    ("language as number", '{"type": "join", "v": 1, "language": 5}', "bad-message"),
    ("language not a code", '{"type": "join", "v": 1, "language": "en; drop"}', "bad-message"),
    ("version 2", '{"type": "join", "v": 2}', "bad-version"),
    ("leg as number", '{"type": "offer", "leg": 1, "sdp": "v=0"}', "bad-message"),
    ("media as text", '{"type": "media", "audio": "on", "video": true}', "bad-message"),
    ("chat as list", '{"type": "chat", "text": ["hi"]}', "bad-message"),
    ("cue id as text", '{"type": "dismiss-cue", "id": "7"}', "bad-message"),
    (
        "cue id past 64 bits",
        '{"type": "dismiss-cue", "id": 18446744073709551616}',
        "bad-message",
    ),
    ("p2p data as text", '{"type": "p2p", "data": "hi"}', "bad-message"),
    ("p2p-state as number", '{"type": "p2p-state", "state": 3}', "bad-message"),
    (
        "offer before join",
        '{"type": "offer", "leg": "uplink", "sdp": "v=0\\r\\n"}',
        "out-of-order",
    ),
    ("p2p before join", '{"type": "p2p", "data": {"candidate": null}}', "out-of-order"),
    ("chat before join", '{"type": "chat", "text": "hello"}', "out-of-order"),
    ("media before join", '{"type": "media", "audio": true, "video": false}', "out-of-order"),
    ("leave before join", '{"type": "leave"}', "out-of-order"),
    ("end before join", '{"type": "end"}', "out-of-order"),
]


def _after_join(real_offer: str) -> list[tuple[str, str | bytes, str]]:
    """(what, raw, code) once the sender is in the call, alone."""
    offer = {"type": "offer", "leg": "uplink"}
    return [
        ("join twice", json.dumps({"type": "join", "v": 1}), "out-of-order"),
        (
            "p2p with nobody there",
            json.dumps({"type": "p2p", "data": {"candidate": None}}),
            "no-peer",
        ),
        ("not SDP", json.dumps({**offer, "sdp": "hello"}), "bad-sdp"),
        (
            "garbage after v=0",
            json.dumps({**offer, "sdp": "v=0\r\n" + "\x00garbage=\u202e" * 50}),
            "bad-sdp",
        ),
        (
            "truncated offer",
            json.dumps({**offer, "sdp": real_offer[: len(real_offer) // 2]}),
            "bad-offer",
        ),
        ("offer cut mid-line", json.dumps({**offer, "sdp": real_offer[:200]}), "bad-offer"),
        ("garbage lines", json.dumps({**offer, "sdp": "v=0\r\nhello world\r\n"}), "bad-sdp"),
        (
            "real offer, garbage after",
            json.dumps({**offer, "sdp": real_offer + "\u0007\u0000" * 10}),
            "bad-sdp",
        ),
        (
            "real offer with a line of nonsense",
            json.dumps({**offer, "sdp": real_offer.replace("a=", "??", 1)}),
            "bad-sdp",
        ),
        (
            "SDP over 100k characters",
            json.dumps({**offer, "sdp": "v=0\r\n" + "a=x\r\n" * 20_000}),
            "bad-sdp",
        ),
        (
            "relay leg in p2p mode",
            json.dumps({"type": "offer", "leg": "relay", "sdp": real_offer}),
            "bad-offer",
        ),
        ("no such cue", json.dumps({"type": "dismiss-cue", "id": 424242}), "bad-message"),
        (
            "p2p-state melting",
            json.dumps({"type": "p2p-state", "state": "melting"}),
            "bad-message",
        ),
        (
            "p2p data nested deep",
            json.dumps({"type": "p2p", "data": {"a": [[[[[]]]]]}}),
            "bad-message",
        ),
        (
            "p2p data too large",
            json.dumps({"type": "p2p", "data": {"description": "z" * (MAX_P2P_BYTES + 1)}}),
            "too-large",
        ),
        ("chat with a lone surrogate", '{"type": "chat", "text": "hi \\ud83d"}', "bad-json"),
        ("empty chat", json.dumps({"type": "chat", "text": " \n\t "}), "bad-message"),
        ("long chat", json.dumps({"type": "chat", "text": "w" * 2001}), "bad-message"),
    ]


#: Good messages the generated corpus mutates (never leave or end: those are allowed).
SEEDS: list[dict[str, Any]] = [
    {"type": "chat", "text": "see you next week"},
    {"type": "media", "audio": True, "video": False},
    {"type": "p2p-state", "state": "connecting"},
    {
        "type": "p2p",
        "data": {
            "candidate": {
                "candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            }
        },
    },
    {"type": "p2p", "data": {"description": {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 x"}}},
    {"type": "dismiss-cue", "id": 3},
    {"type": "gap-audio", "id": 1, "start_s": 2.5, "pcm": "AAAA", "last": True},
    {"type": "join", "v": 1, "record": False, "language": "en"},
    {"type": "offer", "leg": "uplink", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"},
    {"type": "ping"},
]

ODD_VALUES: list[object] = [
    None, True, False, 0, -1, 2**63, -(2**63) - 1, 1.5, 1e308, "", "x" * 3000,
    "\u202e\u0000\ufeff", "🙂" * 50, [], {}, [[[[[[1]]]]]], {"type": "end"}, "end", "leave",
]  # fmt: skip
SPLICES = ['"', "\\", "{", "}", "[", "]", ",", ":", "\\ud800", "\\u0000", "\x00", "\u2028",
           "NaN", "-Infinity", "1e999", "🙂", "\ufffe", " ", "\\"]  # fmt: skip


def _mutate(rng: random.Random, seed: dict[str, Any]) -> str:
    choice = rng.randrange(6)
    if choice == 0:  # cut short
        raw = json.dumps(seed)
        return raw[: rng.randrange(len(raw))]
    if choice == 1:  # characters spliced in
        raw = json.dumps(seed, ensure_ascii=False)
        at = rng.randrange(len(raw) + 1)
        return raw[:at] + rng.choice(SPLICES) + raw[at:]
    message = dict(seed)
    field = rng.choice([k for k in message if k != "type"] or ["type"])
    if choice == 2:  # a value of another type
        message[field] = rng.choice(ODD_VALUES)
    elif choice == 3:  # a field dropped
        message.pop(field)
    elif choice == 4:  # an unknown field, or a known one in the wrong place
        message[rng.choice(["extra", "data", "sdp", "v", "__proto__"])] = rng.choice(ODD_VALUES)
    else:  # a duplicated key: the last one counts
        raw = json.dumps(message)
        return raw[:-1] + f', "type": {json.dumps(rng.choice(["chat", "ping", 7, None]))}}}'
    return json.dumps(message, ensure_ascii=False)


def generated_corpus(count: int, seed: int = 20260302) -> Iterator[str]:
    rng = random.Random(seed)
    made = 0
    while made < count:
        raw = _mutate(rng, rng.choice(SEEDS))
        try:
            as_python = json.loads(raw)
        except ValueError:
            as_python = None
        if isinstance(as_python, dict) and as_python.get("type") in ("leave", "end"):
            continue  # a real leave or end is no fuzz
        made += 1
        yield raw


async def _real_offer() -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        return sdp
    finally:
        await pc.close()


async def _expect_error(client: SignalingClient, raw: str | bytes, code: str, what: str) -> None:
    """Send ``raw``: exactly one error comes back, with ``code``, and the socket still
    answers ping (messages are handled in order, so the error comes before the pong)."""
    await client.send(raw)
    before_pong = await client.ping()
    errors = [m for m in before_pong if m["type"] == "error"]
    assert [e["code"] for e in errors] == [code], (what, before_pong)
    assert errors[0]["message"], what


def _judged(raw: str) -> tuple[str | None, str | None]:
    """(the error the protocol gives this message on its own, or None; its type if it
    parses)."""
    try:
        return None, parse(raw).type
    except ProtocolError as exc:
        return exc.code, None


def test_hostile_messages_get_errors_and_the_call_carries_on(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def run() -> None:
            real_offer = await _real_offer()
            mentor = await SignalingClient.open(url, cookies["mentor"])
            for what, raw, code in BEFORE_JOIN:
                await _expect_error(mentor, raw, code, what)
            assert health(server.base_url, settings)["calls"]["rooms"] == 0  # nobody joined yet

            assert (await mentor.join())["type"] == "welcome"
            for what, raw, code in _after_join(real_offer):
                await _expect_error(mentor, raw, code, what)

            # The generated corpus: each message that breaks the protocol gets its error;
            # the rest get their normal handling; the socket answers ping after each.
            refused = 0
            for fuzzed in generated_corpus(400):
                expected, kind = _judged(fuzzed)
                await mentor.send(fuzzed)
                if kind == "ping":
                    await mentor.next("pong")  # its own answer, before the one below
                before_pong = await mentor.ping()
                errors = [m["code"] for m in before_pong if m["type"] == "error"]
                if expected is not None:
                    refused += 1
                    assert errors == [expected], (fuzzed[:200], before_pong)
                assert "internal" not in errors, (fuzzed[:200], before_pong)
            assert refused > 200  # the corpus does break the protocol, mostly

            # The room was not harmed: the other person joins and both talk.
            mentee = await SignalingClient.open(url, cookies["mentee"])
            welcome = await mentee.join()
            assert welcome["type"] == "welcome" and welcome["peer"]["role"] == "mentor"
            await mentor.next("peer-joined")
            candidate = {"candidate": {"candidate": "candidate:2 1 udp 9 10.0.0.2 9 typ host"}}
            await mentor.send({"type": "p2p", "data": candidate})
            assert (await mentee.next("p2p"))["data"] == candidate
            await mentee.send({"type": "p2p", "data": {"description": {"type": "answer"}}})
            assert (await mentor.next("p2p"))["data"] == {"description": {"type": "answer"}}
            await mentee.send({"type": "chat", "text": "still here?"})
            assert (await mentor.next("chat"))["message"]["text"] == "still here?"

            # Nothing a sender puts in p2p data reaches the other person's socket broken.
            for raw in ('{"type": "p2p", "data": {"candidate": "\\udc00"}}',
                        '{"type": "p2p", "data": {"candidate": NaN}}',
                        '{"type": "p2p", "data": {"candidate": 1e400}}'):  # fmt: skip
                await _expect_error(mentor, raw, "bad-json", raw)
            await mentor.send({"type": "p2p", "data": {"candidate": "\u2028\u0000🙂"}})
            assert (await mentee.next("p2p"))["data"] == {"candidate": "\u2028\u0000🙂"}
            assert not [m for m in await mentee.ping() if m["type"] == "p2p"]

            calls = health(server.base_url, settings)["calls"]
            assert calls["rooms"] == 1 and calls["participants"] == 2, calls
            await mentee.close()
            await mentor.close()

        asyncio.run(run())
    assert "Traceback" not in server.log(), server.log()[-3000:]


def test_floods_of_oversized_messages_leave_memory_bounded(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    flood = 400  # 400 messages of about 250-300 KB: over 100 MB sent
    big = "x" * OVERSIZED
    deep = _deep(120_000)  # 240 KB: under the limit, RecursionError deep for Python's json
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def run() -> tuple[float, float]:
            client = await SignalingClient.open(url, cookies["mentee"])
            assert (await client.join())["type"] == "welcome"
            for raw in (big, deep):  # warm up: the first of each may grow buffers once
                await _expect_error(client, raw, "too-large" if raw is big else "bad-json", "warm")
            before = float(health(server.base_url, settings)["rss_mb"])
            for k in range(flood):
                await client.send(big if k % 2 == 0 else deep)
            codes = [(await client.next("error"))["code"] for _ in range(flood)]
            await client.ping()
            after = float(health(server.base_url, settings)["rss_mb"])
            assert codes == ["too-large", "bad-json"] * (flood // 2)
            await client.close()
            return before, after

        before, after = asyncio.run(run())
    # Had each message been kept, the server would have grown by over 100 MB.
    assert after - before < 40, (before, after)
