"""The call signaling protocol (version 1): JSON text messages over one WebSocket per person.

Every message is an object with a "type". The first message from the browser must be
``join`` with ``"v": 1``. Messages that are malformed, unknown, too large, or out of order get
an ``error`` reply and the connection stays open. See docs/signaling.md for the whole protocol.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from server import strict_json

VERSION = 1
MAX_MESSAGE_BYTES = 256 * 1024
#: What one ``p2p`` message may carry to the other person: a description (an SDP of a few
#: KB) or one ICE candidate, nested two or three levels deep.
MAX_P2P_BYTES = 64 * 1024
MAX_P2P_DEPTH = 4
MAX_SDP_CHARS = 100_000
MAX_CHAT_CHARS = 2000
#: One ``gap-audio`` message carries at most 4 s of 16 kHz s16 audio (128,000 bytes), in
#: base64 (170,668 characters).
MAX_GAP_AUDIO_SAMPLES = 4 * 16_000
MAX_GAP_PCM_CHARS = (MAX_GAP_AUDIO_SAMPLES * 2 + 2) // 3 * 4

# type → {field: (python type, required)}
SCHEMAS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "join": {"v": (int, True), "record": (bool, False), "language": (str, False)},
    "offer": {"leg": (str, True), "sdp": (str, True)},
    "p2p": {"data": (dict, True)},
    "p2p-state": {"state": (str, True)},
    "media": {"audio": (bool, True), "video": (bool, True)},
    "chat": {"text": (str, True)},
    "dismiss-cue": {"id": (int, True)},
    "gap-audio": {
        "id": (int, True),
        "start_s": ((int, float), True),
        "pcm": (str, True),
        "last": (bool, True),
    },
    "leave": {},
    "end": {},
    "ping": {},
}
LEGS = ("uplink", "relay")
#: One line of an SDP: a letter, "=", then text with no control characters (tabs allowed).
SDP_LINE = re.compile(r"[a-z]=[^\x00-\x08\x0a-\x1f\x7f]*")
P2P_STATES = ("new", "connecting", "connected", "disconnected", "failed", "closed")


class ProtocolError(ValueError):
    def __init__(self, code: str, message: str, in_reply_to: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.in_reply_to = in_reply_to

    def to_json(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"type": "error", "code": self.code, "message": str(self)}
        if self.in_reply_to:
            reply["in_reply_to"] = self.in_reply_to
        return reply


@dataclass(frozen=True)
class Message:
    type: str
    body: dict[str, Any]


def _utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def parse(raw: str | bytes) -> Message:
    """Check one incoming message against the protocol; raise ProtocolError otherwise."""
    if isinstance(raw, bytes):
        raise ProtocolError("bad-message", "send text messages holding JSON, not binary")
    # (Counted in characters first: a huge message is refused before it is encoded.)
    if len(raw) > MAX_MESSAGE_BYTES or _utf8_bytes(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too-large", f"messages are limited to {MAX_MESSAGE_BYTES} bytes")
    try:
        # Strict: nothing nested past 32 levels, no Infinity/NaN, no lone surrogates, so
        # whatever is passed on to the other person can be encoded for their socket.
        data = strict_json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("bad-json", f"the message is refused: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad-message", "a message must be a JSON object with a type")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        known = ", ".join(sorted(SCHEMAS))
        raise ProtocolError("unknown-type", f"unknown message type {kind!r} (known: {known})")
    for field, (expected, required) in SCHEMAS[kind].items():
        if field not in data:
            if required:
                raise ProtocolError("bad-message", f"{kind}: missing {field!r}", kind)
            continue
        value = data[field]
        # bool is an int in Python; a protocol number must not accept true/false.
        numeric = expected is int or (isinstance(expected, tuple) and int in expected)
        if (numeric and isinstance(value, bool)) or not isinstance(value, expected):
            raise ProtocolError("bad-message", f"{kind}: {field!r} has the wrong type", kind)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            # (the database takes 64-bit integers; a cue id of 4000 digits is no cue)
            raise ProtocolError("bad-message", f"{kind}: {field!r} is out of range", kind)
    if kind == "join" and data["v"] != VERSION:
        raise ProtocolError(
            "bad-version", f"this server speaks protocol version {VERSION}, not {data['v']}", kind
        )
    if (
        kind == "join"
        and "language" in data
        and not (2 <= len(data["language"]) <= 8 and data["language"].replace("-", "").isalpha())
    ):
        raise ProtocolError("bad-message", "join: language must be an ISO code like en", kind)
    if kind == "offer":
        if data["leg"] not in LEGS:
            raise ProtocolError("bad-message", f"offer: leg must be one of {LEGS}", kind)
        if len(data["sdp"]) > MAX_SDP_CHARS or "v=0" not in data["sdp"][:20]:
            raise ProtocolError("bad-sdp", "offer: that is not an SDP offer", kind)
        lines = (line.removesuffix("\r") for line in data["sdp"].split("\n"))
        if not all(SDP_LINE.fullmatch(line) for line in lines if line):
            # (aiortc skips lines it cannot read: garbage after v=0 was an offer of nothing)
            raise ProtocolError("bad-sdp", "offer: every SDP line is x=value, as text", kind)
    if kind == "p2p":
        try:
            strict_json.check(data["data"], MAX_P2P_DEPTH)
        except ValueError:
            raise ProtocolError(
                "bad-message", f"p2p: data nests deeper than {MAX_P2P_DEPTH} levels", kind
            ) from None
        if _utf8_bytes(json.dumps(data["data"], ensure_ascii=False)) > MAX_P2P_BYTES:
            raise ProtocolError("too-large", f"p2p: data is limited to {MAX_P2P_BYTES} bytes", kind)
    if kind == "p2p-state" and data["state"] not in P2P_STATES:
        raise ProtocolError("bad-message", f"p2p-state: state must be one of {P2P_STATES}", kind)
    if kind == "gap-audio":
        if not 0 <= data["start_s"] < 2**31:
            raise ProtocolError("bad-message", "gap-audio: start_s is out of range", kind)
        if len(data["pcm"]) > MAX_GAP_PCM_CHARS:
            raise ProtocolError(
                "too-large",
                f"gap-audio: at most {MAX_GAP_AUDIO_SAMPLES} samples (4 s) per message",
                kind,
            )
    if kind == "chat":
        text = data["text"].strip()
        if not text:
            raise ProtocolError("bad-message", "chat: the message is empty", kind)
        if len(text) > MAX_CHAT_CHARS:
            raise ProtocolError("bad-message", f"chat: at most {MAX_CHAT_CHARS} characters", kind)
        data["text"] = text
    return Message(kind, data)
