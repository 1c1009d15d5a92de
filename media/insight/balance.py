"""Talk balance: who holds the floor, for how long, and how the two people take turns.

Pure functions over speech intervals (from each person's own voice-activity pass) and
utterances (for words). Times are seconds on the session clock. Definitions:

- **talk time**: the union of a speaker's speech intervals; silence inside an utterance is not
  talk. **Share**: a speaker's talk time over everyone's talk time (overlap counts for both).
- **run**: a speaker's speech with their own pauses shorter than ``bridge_s`` (1.5 s) bridged,
  unless the other person started a turn inside the pause.
- **backchannel**: a run of at most ``backchannel_max_s`` whose words are all listening tokens
  ("mm-hmm", "yeah", "right", "okay"…) or that has no words and is shorter than
  ``backchannel_blip_s``, said while the other person holds the floor (they speak within
  ``bridge_s`` before and after it). The audible equivalent of nodding: it is counted as a
  listening signal, never as a turn, an overlap or an interruption.
- **turn**: a run that is not a backchannel. **Speaker switches per minute**: changes of the
  speaker from one turn to the next, per minute of conversation.
- **monologue**: a turn; the **longest monologue** is the longest turn.
- **overlap**: a turn that starts while another speaker's turn is going on; it lasts until one
  of the two stops. It is an **interruption** when the speaker who was talking stops within
  ``yield_s`` (2 s) of the overlap's start and before the newcomer does (they gave way);
  otherwise it is an overlap only (they talked over each other, or the newcomer gave up).
- **response gap**: silence from the end of the previous speaker's turn to the start of a
  turn by the other speaker (negative when they overlapped). Per speaker: the median of the
  gaps before their turns ("patience"). **Longest silence**: the longest stretch in which
  nobody speaks, between the first and the last speech.
- **questions**: sentences in a speaker's utterances that end with "?" or open like a question
  ("what…", "how…", "do you…", "could you…") when the recogniser left no punctuation.
- **speaking rate**: words per minute of talk time.
"""

from __future__ import annotations

import bisect
import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from media.transcript import SpeechInterval, Utterance

#: Listening tokens: a short run made only of these (and the phrases below) is a backchannel.
BACKCHANNEL_WORDS = frozenset(
    {
        "mm", "mmm", "mhm", "mm-hmm", "mmhmm", "mm-hm", "hmm", "hm", "uh-huh", "uhhuh", "huh",
        "uh", "yeah", "yea", "yep", "yes", "yup", "ya", "right", "okay", "ok", "alright", "sure",
        "exactly", "absolutely", "totally", "true", "wow", "oh", "ah", "cool", "great", "nice",
        "good", "really", "interesting", "indeed", "definitely", "gotcha",
    }
)  # fmt: skip
BACKCHANNEL_PHRASES = (
    "that makes sense", "makes sense", "i see", "got it", "of course", "for sure",
    "fair enough", "i know", "that's right", "that's true",
)  # fmt: skip
_QUESTION_OPENERS = re.compile(
    r"^(what|why|how|when|where|who|whom|whose|which|"
    r"(do|does|did|can|could|would|will|should|shall|is|are|was|were|have|has|may|might)"
    r"\s+(you|i|we|they|he|she|it|there|that|this))\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


@dataclass(frozen=True)
class BalanceOptions:
    bridge_s: float = 1.5
    backchannel_max_s: float = 1.5
    backchannel_blip_s: float = 0.6
    yield_s: float = 2.0
    window_s: float = 300.0


@dataclass(frozen=True)
class Run:
    speaker: str
    start_s: float
    end_s: float
    #: Seconds of actual speech inside the run (bridged pauses excluded).
    talk_s: float
    text: str
    backchannel: bool = False

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Overlap:
    #: Who started talking while the other was still talking.
    by: str
    over: str
    start_s: float
    end_s: float
    #: True when the speaker who was talking stopped (gave way): an interruption.
    interruption: bool

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class SpeakerTalk:
    speaker: str
    talk_s: float
    share: float
    turns: int
    longest_monologue_s: float
    longest_monologue_start_s: float | None
    backchannels: int
    interruptions_made: int
    interrupted: int
    overlaps_started: int
    questions: int
    words: int
    words_per_minute: float | None
    median_response_gap_s: float | None


@dataclass(frozen=True)
class TalkReport:
    duration_s: float
    talk_s: float
    speakers: dict[str, SpeakerTalk]
    turns: int
    switches_per_minute: float
    overlap_s: float
    overlaps: list[Overlap]
    longest_silence_s: float
    longest_silence_start_s: float | None
    median_response_gap_s: float | None
    runs: list[Run] = field(repr=False, default_factory=list)

    def to_json(self) -> dict[str, object]:
        def r(value: float | None, digits: int = 2) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "duration_s": r(self.duration_s),
            "talk_s": r(self.talk_s),
            "turns": self.turns,
            "switches_per_minute": r(self.switches_per_minute),
            "overlap_s": r(self.overlap_s),
            "overlaps": [
                {
                    "by": o.by,
                    "over": o.over,
                    "start": r(o.start_s),
                    "end": r(o.end_s),
                    "interruption": o.interruption,
                }
                for o in self.overlaps
            ],
            "longest_silence_s": r(self.longest_silence_s),
            "longest_silence_start": r(self.longest_silence_start_s),
            "median_response_gap_s": r(self.median_response_gap_s),
            "speakers": {
                name: {
                    "talk_s": r(s.talk_s),
                    "share": r(s.share, 4),
                    "turns": s.turns,
                    "longest_monologue_s": r(s.longest_monologue_s),
                    "longest_monologue_start": r(s.longest_monologue_start_s),
                    "backchannels": s.backchannels,
                    "interruptions_made": s.interruptions_made,
                    "interrupted": s.interrupted,
                    "overlaps_started": s.overlaps_started,
                    "questions": s.questions,
                    "words": s.words,
                    "words_per_minute": r(s.words_per_minute, 1),
                    "median_response_gap_s": r(s.median_response_gap_s),
                }
                for name, s in self.speakers.items()
            },
        }


# -- building blocks --------------------------------------------------------------------------
def merge_intervals(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def talk_time(
    speech: Sequence[SpeechInterval],
    speaker: str,
    start_s: float = 0.0,
    end_s: float = float("inf"),
) -> float:
    """Seconds ``speaker`` talked between ``start_s`` and ``end_s``."""
    spans = merge_intervals(
        [(max(i.start_s, start_s), min(i.end_s, end_s)) for i in speech if i.speaker == speaker]
    )
    return sum(b - a for a, b in spans)


def window_shares(
    speech: Sequence[SpeechInterval], speakers: Sequence[str], end_s: float, window_s: float = 300.0
) -> dict[str, float]:
    """Each speaker's share of the talk in the ``window_s`` before ``end_s`` (the live meter).

    Shares are 0 for everyone when nobody talked in the window.
    """
    start_s = max(0.0, end_s - window_s)
    talk = {s: talk_time(speech, s, start_s, end_s) for s in speakers}
    total = sum(talk.values())
    return {s: (t / total if total > 0 else 0.0) for s, t in talk.items()}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:[-'][a-z]+)*", text.lower())


# Recognisers spell hums many ways: "Mm-hmm", "Mhm", "Hmm", "M.M.", "Uh-huh".
_HUM = re.compile(r"^(?:h?m+(?:-?h?m+)*|uh-?huh|u+h+|a+h+|o+h+)$")


def is_backchannel_text(text: str) -> bool:
    words = ["mm" if _HUM.match(w) else w for w in _words(text)]
    if not words or len(words) > 4:
        return False
    rest = " ".join(words)
    for phrase in BACKCHANNEL_PHRASES:
        rest = re.sub(rf"\b{re.escape(phrase)}\b", " ", rest)
    return all(w in BACKCHANNEL_WORDS for w in rest.split())


def count_questions(text: str) -> int:
    count = 0
    for sentence in _SENTENCE.findall(text):
        stripped = sentence.strip()
        if not stripped:
            continue
        unpunctuated = stripped[-1] not in ".!"
        if stripped.endswith("?") or (unpunctuated and _QUESTION_OPENERS.match(stripped)):
            count += 1
    return count


class _SpeakerText:
    """One speaker's utterances, indexed by time, to find the words said within a run."""

    def __init__(self, utterances: Sequence[Utterance]) -> None:
        self.utterances = sorted(utterances, key=lambda u: u.start_s)
        self.starts = [u.start_s for u in self.utterances]
        self.longest_s = max((u.end_s - u.start_s for u in self.utterances), default=0.0)

    def between(self, start_s: float, end_s: float) -> str:
        first = bisect.bisect_left(self.starts, start_s - self.longest_s - 0.1)
        last = bisect.bisect_right(self.starts, end_s + 0.05)
        parts: list[str] = []
        for u in self.utterances[first:last]:
            if u.words:
                parts.extend(
                    w.word for w in u.words if w.end_s > start_s - 0.05 and w.start_s < end_s + 0.05
                )
            elif u.end_s > start_s and u.start_s < end_s:
                parts.append(" " + u.text)
        return "".join(parts).strip()


def _any_between(sorted_points: Sequence[float], low: float, high: float) -> bool:
    i = bisect.bisect_right(sorted_points, low)
    return i < len(sorted_points) and sorted_points[i] < high


def _bridge(
    spans: Sequence[tuple[float, float]], bridge_s: float, breaks: Sequence[float] = ()
) -> list[tuple[float, float, float]]:
    """Join spans across pauses shorter than ``bridge_s`` that contain no break point.

    Returns (start, end, seconds of speech) per joined run.
    """
    out: list[list[float]] = []
    for a, b in spans:
        if out and a - out[-1][1] < bridge_s and not _any_between(breaks, out[-1][1], a):
            out[-1][1] = b
            out[-1][2] += b - a
        else:
            out.append([a, b, b - a])
    return [(a, b, t) for a, b, t in out]


def _looks_like_backchannel(text: str, duration_s: float, opts: BalanceOptions) -> bool:
    if duration_s > opts.backchannel_max_s:
        return False
    if text:
        return is_backchannel_text(text)
    return duration_s <= opts.backchannel_blip_s


def build_runs(
    speech: Sequence[SpeechInterval],
    utterances: Sequence[Utterance],
    options: BalanceOptions | None = None,
) -> list[Run]:
    """Runs of every speaker in start order, backchannels marked."""
    opts = options or BalanceOptions()
    speakers = list(dict.fromkeys(i.speaker for i in speech))
    spans = {
        s: merge_intervals([(i.start_s, i.end_s) for i in speech if i.speaker == s])
        for s in speakers
    }
    # Where each speaker starts saying something that is more than a backchannel: those
    # moments end the other speaker's run even inside a short pause.
    texts = {s: _SpeakerText([u for u in utterances if u.speaker == s]) for s in speakers}
    turn_starts: dict[str, list[float]] = {}
    for speaker in speakers:
        starts = []
        for a, b, _ in _bridge(spans[speaker], opts.bridge_s):
            text = texts[speaker].between(a, b)
            if not _looks_like_backchannel(text, b - a, opts):
                starts.append(a)
        turn_starts[speaker] = starts

    runs = []
    for speaker in speakers:
        breaks = sorted(x for other, xs in turn_starts.items() if other != speaker for x in xs)
        for a, b, talk in _bridge(spans[speaker], opts.bridge_s, breaks):
            runs.append(Run(speaker, a, b, talk, texts[speaker].between(a, b)))
    runs.sort(key=lambda r: (r.start_s, r.end_s))
    starts = [r.start_s for r in runs]
    longest = max((r.duration_s for r in runs), default=0.0)
    return [_classify_backchannel(run, runs, starts, longest, opts) for run in runs]


def _classify_backchannel(
    run: Run, runs: Sequence[Run], starts: Sequence[float], longest_s: float, opts: BalanceOptions
) -> Run:
    if not _looks_like_backchannel(run.text, run.duration_s, opts):
        return run
    first = bisect.bisect_left(starts, run.start_s - longest_s - opts.bridge_s)
    last = bisect.bisect_right(starts, run.end_s + opts.bridge_s)
    others = [r for r in runs[first:last] if r.speaker != run.speaker]
    before = any(r.start_s < run.start_s and r.end_s > run.start_s - opts.bridge_s for r in others)
    after = any(r.end_s > run.end_s and r.start_s < run.end_s + opts.bridge_s for r in others)
    if not (before and after):
        return run
    return Run(run.speaker, run.start_s, run.end_s, run.talk_s, run.text, backchannel=True)


def find_overlaps(turns: Sequence[Run], options: BalanceOptions | None = None) -> list[Overlap]:
    """Every turn that starts while another speaker's turn is going on."""
    opts = options or BalanceOptions()
    ordered = sorted(turns, key=lambda r: r.start_s)
    starts = [r.start_s for r in ordered]
    longest = max((r.duration_s for r in ordered), default=0.0)
    found = []
    for newcomer in ordered:
        first = bisect.bisect_left(starts, newcomer.start_s - longest)
        last = bisect.bisect_left(starts, newcomer.start_s)
        for holder in ordered[first:last]:
            if holder.speaker == newcomer.speaker or holder.end_s <= newcomer.start_s:
                continue
            gave_way = (
                holder.end_s <= newcomer.start_s + opts.yield_s and holder.end_s < newcomer.end_s
            )
            found.append(
                Overlap(
                    by=newcomer.speaker,
                    over=holder.speaker,
                    start_s=newcomer.start_s,
                    end_s=min(holder.end_s, newcomer.end_s),
                    interruption=gave_way,
                )
            )
    found.sort(key=lambda o: o.start_s)
    return found


def analyze_talk(
    speech: Sequence[SpeechInterval],
    utterances: Sequence[Utterance],
    speakers: Sequence[str],
    duration_s: float,
    options: BalanceOptions | None = None,
) -> TalkReport:
    opts = options or BalanceOptions()
    runs = build_runs(speech, utterances, opts)
    turns = [r for r in runs if not r.backchannel]
    overlaps = find_overlaps(turns, opts)
    talk = {s: talk_time(speech, s) for s in speakers}
    total_talk = sum(talk.values())

    switches = 0
    gaps: dict[str, list[float]] = {s: [] for s in speakers}
    ordered = sorted(turns, key=lambda r: r.start_s)
    for previous, turn in itertools.pairwise(ordered):
        if turn.speaker != previous.speaker:
            switches += 1
            gaps.setdefault(turn.speaker, []).append(turn.start_s - previous.end_s)

    everyone = merge_intervals([(i.start_s, i.end_s) for i in speech])
    longest_silence, silence_start = 0.0, None
    for (_, end), (start, _) in itertools.pairwise(everyone):
        if start - end > longest_silence:
            longest_silence, silence_start = start - end, end

    per_speaker = {}
    for s in speakers:
        own_turns = [t for t in turns if t.speaker == s]
        longest = max(own_turns, key=lambda t: t.duration_s, default=None)
        text = " ".join(u.text for u in utterances if u.speaker == s)
        words = len(_words(text))
        minutes = talk[s] / 60
        per_speaker[s] = SpeakerTalk(
            speaker=s,
            talk_s=talk[s],
            share=talk[s] / total_talk if total_talk > 0 else 0.0,
            turns=len(own_turns),
            longest_monologue_s=longest.duration_s if longest else 0.0,
            longest_monologue_start_s=longest.start_s if longest else None,
            backchannels=sum(1 for r in runs if r.backchannel and r.speaker == s),
            interruptions_made=sum(1 for o in overlaps if o.by == s and o.interruption),
            interrupted=sum(1 for o in overlaps if o.over == s and o.interruption),
            overlaps_started=sum(1 for o in overlaps if o.by == s),
            questions=sum(count_questions(u.text) for u in utterances if u.speaker == s),
            words=words,
            words_per_minute=words / minutes if minutes > 0 and words else None,
            median_response_gap_s=statistics.median(gaps[s]) if gaps.get(s) else None,
        )
    all_gaps = [g for values in gaps.values() for g in values]
    minutes_total = duration_s / 60
    return TalkReport(
        duration_s=duration_s,
        talk_s=total_talk,
        speakers=per_speaker,
        turns=len(turns),
        switches_per_minute=switches / minutes_total if minutes_total > 0 else 0.0,
        overlap_s=sum(o.duration_s for o in overlaps),
        overlaps=overlaps,
        longest_silence_s=longest_silence,
        longest_silence_start_s=silence_start,
        median_response_gap_s=statistics.median(all_gaps) if all_gaps else None,
        runs=runs,
    )
