"""Asking a browser for audio the server never received, and taking it in.

When a person's audio tap reports a hole (their packets were lost, or their connection was
replaced: media/live/tap.py), the server sends them ``gap`` with the stretch it wants, a little
wider than the hole so the copy can be aligned on audio both sides have. The page keeps the
last minute of its own microphone (static/mic-buffer.js) and answers with ``gap-audio``
messages: base64 16 kHz s16 mono, at most 4 s each, stamped on the session clock, the last one
marked ``last``. Only what was asked for is taken, from the person asked, once:

- a ``gap-audio`` must name a request open for this person (ids are per room, never reused;
  a request is closed by its ``last`` message or after ``REQUEST_TTL_S``);
- samples must lie within the stretch asked for (give or take ``SLACK_S``), and no more of
  them than it holds may come;
- at most ``MAX_OPEN`` requests per person are open at once, and a hole longer than the page
  keeps (``MAX_GAP_S``) is asked for its last part only.

The audio is then placed and transcribed by the live pipeline (server/calls/live.py with
media/live/recover.py).
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio

log = logging.getLogger("tandem.gaps")

#: The page keeps this much of its microphone (static/mic-buffer.js keeps a little more).
MAX_GAP_S = 55.0
#: Asked for beyond the hole: received audio both sides have, to align the copy on.
BEFORE_S = 2.0
AFTER_S = 1.5
MAX_OPEN = 2
REQUEST_TTL_S = 30.0
SLACK_S = 0.5


class GapError(ValueError):
    """A ``gap-audio`` message that cannot be taken (the reason is for the sender)."""


@dataclass(eq=False)
class GapRequest:
    id: int
    person_id: int
    #: The live stream (server/calls/live.py) whose tap reported the hole.
    stream: str
    #: The hole: sample indices on the session clock, [start, end).
    hole_start: int
    hole_end: int
    #: The stretch asked for (the hole and a margin), [first, last).
    first: int
    last: int
    asked_at: float = field(default_factory=time.monotonic)
    #: The browser's audio by its own stamps, index 0 = ``first``, and which samples came.
    audio: FloatAudio = field(init=False)
    covered: np.ndarray[Any, np.dtype[np.bool_]] = field(init=False)
    received: int = 0

    def __post_init__(self) -> None:
        self.audio = np.zeros(self.last - self.first, dtype=np.float32)
        self.covered = np.zeros(self.last - self.first, dtype=bool)

    @property
    def hole_s(self) -> float:
        return (self.hole_end - self.hole_start) / SAMPLE_RATE_HZ

    def message(self) -> dict[str, Any]:
        return {
            "type": "gap",
            "id": self.id,
            "from_s": round(self.first / SAMPLE_RATE_HZ, 3),
            "to_s": round(self.last / SAMPLE_RATE_HZ, 3),
            "hole": [
                round(self.hole_start / SAMPLE_RATE_HZ, 3),
                round(self.hole_end / SAMPLE_RATE_HZ, 3),
            ],
        }


class GapRequests:
    """The open requests of one call room."""

    def __init__(self) -> None:
        self.open: dict[int, GapRequest] = {}
        self._next_id = 1
        #: Holes not asked for (too many open at once), for the log and /healthz.
        self.skipped = 0

    def ask(self, person_id: int, stream: str, hole_start: int, hole_end: int) -> GapRequest | None:
        """A new request for this hole, or None when this person has too many open."""
        if sum(1 for r in self.open.values() if r.person_id == person_id) >= MAX_OPEN:
            self.skipped += 1
            return None
        longest = round((MAX_GAP_S - BEFORE_S - AFTER_S) * SAMPLE_RATE_HZ)
        hole_start = max(hole_start, hole_end - longest)
        first = max(0, hole_start - round(BEFORE_S * SAMPLE_RATE_HZ))
        last = hole_end + round(AFTER_S * SAMPLE_RATE_HZ)
        request = GapRequest(self._next_id, person_id, stream, hole_start, hole_end, first, last)
        self._next_id += 1
        self.open[request.id] = request
        return request

    def expired(self, now: float | None = None) -> list[GapRequest]:
        """Requests left unanswered for too long: closed, and returned (what did come of them
        is still used)."""
        now = time.monotonic() if now is None else now
        gone = [r for r in self.open.values() if now - r.asked_at > REQUEST_TTL_S]
        for request in gone:
            del self.open[request.id]
        return gone

    def take(self, person_id: int, body: dict[str, Any]) -> GapRequest | None:
        """Take one ``gap-audio`` message (checked by server.calls.protocol); returns its
        request once complete (``last``), else None. Raises GapError."""
        request = self.open.get(body["id"])
        if request is None or request.person_id != person_id:
            raise GapError(f"no gap request {body['id']} is open for you")
        try:
            raw = base64.b64decode(body["pcm"], validate=True)
        except (binascii.Error, ValueError):
            raise GapError("pcm must be base64 of 16-bit little-endian samples") from None
        if len(raw) % 2:
            raise GapError("pcm must hold whole 16-bit samples")
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32767.0
        start = round(float(body["start_s"]) * SAMPLE_RATE_HZ)
        slack = round(SLACK_S * SAMPLE_RATE_HZ)
        if samples.size and (
            start < request.first - slack or start + samples.size > request.last + slack
        ):
            raise GapError(
                f"audio from {start / SAMPLE_RATE_HZ:.2f} s is outside the stretch asked for "
                f"({request.first / SAMPLE_RATE_HZ:.2f}-{request.last / SAMPLE_RATE_HZ:.2f} s)"
            )
        if request.received + samples.size > len(request.audio) + slack:
            raise GapError("more audio than was asked for")
        request.received += samples.size
        lo, hi = max(start, request.first), min(start + samples.size, request.last)
        if hi > lo:
            request.audio[lo - request.first : hi - request.first] = samples[
                lo - start : hi - start
            ]
            request.covered[lo - request.first : hi - request.first] = True
        if body["last"]:
            del self.open[request.id]
            return request
        return None
