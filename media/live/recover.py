"""Audio the server never received, put back from the speaker's own copy.

When the network drops a person's packets (or their connection is replaced), the audio tap
fills the stretch with silence and reports it as a hole. The browser keeps the last minute of
its microphone, stamped on the session clock by its own reckoning; asked for the hole and a
little either side, it sends it back. Here that copy is placed on the server's clock:

- **Alignment**: the browser's stamps are off by its latency and clock mapping (tens to
  hundreds of milliseconds). Where the server did receive audio next to the hole (just before
  or just after it), the browser's copy holds the same sound: the lag with the highest
  normalised cross-correlation (within ``max_lag``) says how far to move the copy. Over
  silence there is nothing to measure, and nothing a small error could misplace: the stamps
  are used as they are.
- **Only the hole**: of the copy, only the samples falling inside the hole are used; what the
  server received stays as it was.
- **Words inside the hole only**: the hole's audio is transcribed with some received audio
  either side (so words cut by its edges are heard whole), and only words whose middle lies
  inside the hole are kept: the others were transcribed live already.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from media.audio import FloatAudio
from media.transcript import Utterance

#: Normalised correlation a lag must reach to be believed (the same sound through Opus and
#: back scores above 0.9; unrelated sounds stay under 0.3).
MIN_SCORE = 0.6
#: Reference audio quieter than this (RMS) is silence: nothing to align on.
MIN_RMS = 0.003


@dataclass(frozen=True)
class Alignment:
    #: Samples to add to the browser's stamps: server index = browser index + lag.
    lag: int
    #: The normalised correlation at ``lag`` (0 when nothing could be measured).
    score: float

    @property
    def measured(self) -> bool:
        return self.score >= MIN_SCORE


def _lag_over(reference: FloatAudio, candidate: FloatAudio, max_lag: int) -> Alignment:
    """``candidate`` is the browser's audio from ``max_lag`` before the reference's first
    sample to ``max_lag`` after its last (by its stamps)."""
    n = len(reference)
    if n == 0 or len(candidate) < n + 2 * max_lag:
        return Alignment(0, 0.0)
    if float(np.sqrt(np.mean(reference**2))) < MIN_RMS:
        return Alignment(0, 0.0)
    size = 1 << int(np.ceil(np.log2(len(candidate) + n)))
    spectrum = np.fft.rfft(candidate, size) * np.conj(np.fft.rfft(reference, size))
    dots = np.fft.irfft(spectrum, size)[: 2 * max_lag + 1]
    energy = np.concatenate([[0.0], np.cumsum(candidate.astype(np.float64) ** 2)])
    windows = energy[n : n + 2 * max_lag + 1] - energy[: 2 * max_lag + 1]
    norms = np.sqrt(np.maximum(windows, 1e-12) * float(np.sum(reference.astype(np.float64) ** 2)))
    scores = dots / norms
    shift = int(np.argmax(scores))
    return Alignment(max_lag - shift, float(scores[shift]))


def align(
    server: FloatAudio,
    server_start: int,
    browser: FloatAudio,
    browser_start: int,
    references: list[tuple[int, int]],
    max_lag: int,
) -> Alignment:
    """The lag that best lays ``browser`` (its first sample stamped ``browser_start``) over
    ``server`` (first sample at ``server_start``) on the given stretches of received audio
    (sample indices); lag 0 with score 0 when no stretch has sound to measure."""
    best = Alignment(0, 0.0)
    for first, last in references:
        reference = server[first - server_start : last - server_start]
        lo = first - max_lag - browser_start
        if lo < 0 or len(reference) != last - first:
            continue
        candidate = browser[lo : lo + (last - first) + 2 * max_lag]
        found = _lag_over(reference, candidate, max_lag)
        if found.score > best.score:
            best = found
    return best if best.measured else Alignment(0, best.score)


def keep_words(utterances: list[Utterance], start_s: float, end_s: float) -> list[Utterance]:
    """The words whose middle lies in [start_s, end_s), as utterances (those left empty go)."""
    kept: list[Utterance] = []
    for utterance in utterances:
        words = tuple(w for w in utterance.words if start_s <= (w.start_s + w.end_s) / 2 < end_s)
        text = "".join(w.word for w in words).strip()
        if words and text:
            kept.append(
                Utterance(utterance.speaker, words[0].start_s, words[-1].end_s, text, words)
            )
    return kept
