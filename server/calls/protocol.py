"""The call signaling protocol (version 1): JSON text messages over one WebSocket per person.

Every message is an object with a "type". The first message from the browser must be
``join`` with ``"v": 1``. Messages that are malformed, unknown, too large, or out of order get
an ``error`` reply and the connection stays open. See docs/signaling.md for the whole protocol.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

VERSION = 1
MAX_MESSAGE_BYTES = 256 * 1024
MAX_SDP_CHARS = 100_000
MAX_CHAT_CHARS = 2000

# type → {field: (python type, required)}
SCHEMAS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "join": {"v": (int, True), "record": (bool, False), "language": (str, False)},
    "offer": {"leg": (str, True), "sdp": (str, True)},
    "p2p": {"data": (dict, True)},
    "p2p-state": {"state": (str, True)},
    "media": {"audio": (bool, True), "video": (bool, True)},
    "chat": {"text": (str, True)},
    "dismiss-cue": {"id": (int, True)},
    "leave": {},
    "end": {},
    "ping": {},
}
LEGS = ("uplink", "relay")
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


def parse(raw: str | bytes) -> Message:
    """Check one incoming message against the protocol; raise ProtocolError otherwise."""
    if isinstance(raw, bytes):
        raise ProtocolError("bad-message", "send text messages holding JSON, not binary")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too-large", f"messages are limited to {MAX_MESSAGE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("bad-json", f"the message is not valid JSON ({exc})") from None
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
        # bool is an int in Python; a protocol int must not accept true/false.
        if (expected is int and isinstance(value, bool)) or not isinstance(value, expected):
            raise ProtocolError("bad-message", f"{kind}: {field!r} has the wrong type", kind)
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
    if kind == "p2p-state" and data["state"] not in P2P_STATES:
        raise ProtocolError("bad-message", f"p2p-state: state must be one of {P2P_STATES}", kind)
    if kind == "chat":
        text = data["text"].strip()
        if not text:
            raise ProtocolError("bad-message", "chat: the message is empty", kind)
        if len(text) > MAX_CHAT_CHARS:
            raise ProtocolError("bad-message", f"chat: at most {MAX_CHAT_CHARS} characters", kind)
        data["text"] = text
    return Message(kind, data)
