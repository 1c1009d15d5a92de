"""`tandem bench actions`: how well action items are found, owned, dated and worded.

Sets (all hand-labelled mentoring conversations in tests/data, plus AMI):

- ``mentoring``, ``mentoring2``: development sets (the rules and the scorer were built on them);
- ``mentoring3``: a third development set, written blind by another author (sixteen
  conversations in fields no other set covers, half printed as a recogniser without
  punctuation or apostrophes would, with labelled non-items); its first run, before any rule
  looked at it: P 0.732, R 0.631, owner 0.976, due 0.778, usable 0.146 (in-turn 0.292);
- ``mentoring4``: a fourth development set, written blind by yet another author (sixteen
  conversations in trades, public services and crafts, half in recogniser style, with
  labelled non-items); its first run, before any rule looked at it: P 0.686, R 0.805,
  owner 0.943, due 0.789, usable 0.071 (in-turn 0.241);
- ``mentoring5``: a fifth development set, written blind by another author (sixteen
  conversations in fields no other set covers, half in recogniser style, with labelled
  non-items, third parties' own tasks and withdrawn requests among them); its first run,
  before any rule looked at it: P 0.735, R 0.742, owner 0.889, due 0.597, usable 0.222
  (in-turn 0.536);
- ``mentoring6``: a sixth development set, written blind by another author (sixteen
  conversations in fields no other set covers, half in recogniser style, eleven labelled
  non-items each, withdrawn requests and third parties' tasks among them); its first run,
  before any rule looked at it: P 0.664, R 0.781, owner 0.947, due 0.719, usable 0.280
  (in-turn 0.740), with 13 of 16 withdrawn requests taken for items;
- ``held-out``: a different author's set, never inspected while developing;
- ``fresh``: sixteen conversations in fields no other set covers, written blind by yet another
  author with labelled non-items of every kind (declined, question, past, habit, memory,
  advice, hypothetical, standing offer, pleasantry); never tuned on;
- ``mentoring-unpunct``, ``mentoring2-unpunct``: the development sets as a recogniser without
  punctuation prints them (lowercase, no punctuation): what the grammar makes of turns whose
  sentence ends it has to find itself;
- ``fresh-speech``: the ``speak`` conversations of ``fresh`` rendered to speech (two espeak-ng
  voices) and run through ``tandem analyze``, so recognition errors are included;
- ``mentoring6-speech`` (with ``--dev-speech``): the same for the sixth development set's six
  ``speak`` conversations, whose misses may be read (``--misses``) to tune what recognition
  does to turns (sentences cut at pauses, digits for days);
- ``AMI``: the AMI meeting corpus's action labels, on the test meetings of its standard
  partition (ES2004, ES2014, IS1009, TS3003, TS3007; the scorer trains on the others).

Matching is per item: a found item matches a labelled one when one of its source utterances is
the labelled task's first utterance or its acceptance (for speech, when its first source overlaps
either line in time); each labelled item matches at most one found item, so a task saved twice
counts once right and once wrong. Owner and due date are scored on matched items. **Usable
text**: a matched item whose words carry the labelled task's content words (words of three or
more letters that are not stop words, people's names or "mentor"/"mentee", compared by their
first five letters), at least two thirds of them, and no pronoun left pointing nowhere ("it",
"them", "her", "this"…, or "I", "me", "we": "you" is the owner the item speaks to).
**In-turn**: the share of labelled tasks whose own turns (the statement and its acceptance)
carry the label's content words by the same measure; where labels name what the turn only
points at ("Email the recruiter" for "I'll email her"), wording has to come from the
conversation before, so this says how far the labels reach beyond what was said there. AMI is
scored per utterance, as its labels are.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from media.insight.actions import ActionItem, extract_action_items
from media.transcript import Utterance
from server.bench import BenchInputError
from server.settings import PROJECT_DIR, Settings

DATA = PROJECT_DIR / "tests" / "data"


def _words(text: str) -> list[str]:
    return text.split()


SETS = {
    "mentoring": DATA / "mentoring_action_items.json",
    "mentoring2": DATA / "mentoring_action_items_2.json",
    "mentoring3": DATA / "mentoring_action_items_3.json",
    "mentoring4": DATA / "mentoring_action_items_4.json",
    "mentoring5": DATA / "mentoring_action_items_5.json",
    "mentoring6": DATA / "mentoring_action_items_6.json",
    "held-out": DATA / "mentoring_action_items_heldout.json",
    "fresh": DATA / "mentoring_action_items_fresh.json",
}
AMI_DEFAULT = PROJECT_DIR.parent / "shared" / "fixtures" / "action-items"
#: The AMI corpus's standard evaluation meetings (its full-corpus partition).
AMI_TEST = ("ES2004", "ES2014", "IS1009", "TS3003", "TS3007")
#: Morgan et al. 2006, maximum-entropy model on ICSI meetings.
AMI_REFERENCE_F1 = 0.32
VOICES = {"mentor": "en-us+m3", "mentee": "en-gb+f2"}

_STOP = frozenset(
    _words(
        "the and for with from into onto that this those these them they their there then "
        "than you your yours our ours his her hers him she its it's was were are been being "
        "have has had will would could should can may might must shall just also about over "
        "after before what when where which who whom how all any some one ones out off now not "
        "yes okay please thanks mentor mentee mentor's mentee's each other"
    )
)
_DANGLING = re.compile(r"\b(?:it|them|her|him|this|that one|those|these|i|me|my|we|us|our)\b", re.I)


@dataclass
class Scores:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    owner_checked: int = 0
    owner_correct: int = 0
    due_checked: int = 0
    due_correct: int = 0
    usable: int = 0
    #: Labelled tasks whose own turns (the statement and its acceptance) carry the label's
    #: content words: what wording from those turns alone could reach.
    said_in_turn: int = 0
    items: int = 0
    utterances: int = 0
    seconds: float = 0.0
    #: Non-items (by kind) that were taken for items, and how many of each kind there were.
    false_alarms: Counter[str] = field(default_factory=Counter)
    non_items: Counter[str] = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        gold = self.true_positives + self.false_negatives
        return self.true_positives / gold if gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def owner_accuracy(self) -> float:
        return self.owner_correct / self.owner_checked if self.owner_checked else 0.0

    @property
    def due_accuracy(self) -> float:
        return self.due_correct / self.due_checked if self.due_checked else 0.0

    @property
    def usable_text(self) -> float:
        return self.usable / self.true_positives if self.true_positives else 0.0

    @property
    def in_turn(self) -> float:
        gold = self.true_positives + self.false_negatives
        return self.said_in_turn / gold if gold else 0.0


@dataclass(frozen=True)
class Miss:
    conversation: str
    index: int
    text: str
    expected: str
    got: str


def _stems(text: str, names: Sequence[str]) -> set[str]:
    drop = {part.lower() for name in names for part in name.split()}
    words = re.findall(r"[a-z][a-z']+", text.lower())
    return {w.removesuffix("'s")[:5] for w in words
            if len(w) >= 3 and w not in _STOP and w.removesuffix("'s") not in drop}  # fmt: skip


def _carries(found: str, labelled: str, names: Sequence[str]) -> bool:
    want = _stems(labelled, names)
    return not want or len(want & _stems(found, names)) * 3 >= 2 * len(want)


def usable(found: str, labelled: str, names: Sequence[str] = ()) -> bool:
    """Whether a found item's words carry the labelled task's (see the module's docstring)."""
    return _carries(found, labelled, names) and not _DANGLING.search(found)


def load_set(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BenchInputError(f"{path} not found")
    conversations: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return conversations


def text_utterances(conversation: Mapping[str, Any]) -> list[Utterance]:
    """The labelled utterances on a clock (five seconds apart), as a transcript holds them."""
    return [
        Utterance(u["speaker"], 5.0 * i, 5.0 * i + 4.0, u["text"])
        for i, u in enumerate(conversation["utterances"])
    ]


def score(
    conversation: Mapping[str, Any],
    items: Sequence[ActionItem],
    scores: Scores,
    misses: list[Miss],
    line_of: Any = None,
) -> None:
    """Add one conversation's items to the scores. ``line_of(item)`` gives the labelled
    utterance indices an item's sources stand for (default: the sources themselves)."""
    lines = conversation["utterances"]
    names = list((conversation.get("names") or {}).values())

    def covered(item: ActionItem) -> set[int]:
        return set(line_of(item)) if line_of is not None else set(item.sources)

    open_items = list(items)
    scores.items += len(items)
    for gold in conversation["items"]:
        wanted = {gold["source"]} | ({gold["accepted_in"]} if gold.get("accepted_in") else set())
        turns = " ".join(lines[k]["text"] for k in sorted(wanted))
        scores.said_in_turn += _carries(turns, gold["action"], names)
        candidates = [i for i in open_items if covered(i) & wanted]
        # Where one turn holds several tasks, pair the labelled one with the found item that
        # is most like it: from its first turn, with its owner, sharing most of its words.
        want = _stems(gold["action"], names)
        candidates.sort(key=lambda i: (gold["source"] not in covered(i), i.owner != gold["owner"],
                                       -len(want & _stems(i.action, names))))  # fmt: skip
        if not candidates:
            scores.false_negatives += 1
            misses.append(Miss(conversation["id"], gold["source"], lines[gold["source"]]["text"],
                               f"{gold['owner']}: {gold['action']}", "nothing"))  # fmt: skip
            continue
        item = candidates[0]
        open_items.remove(item)
        scores.true_positives += 1
        scores.owner_checked += 1
        scores.owner_correct += item.owner == gold["owner"]
        if gold.get("due_date"):
            scores.due_checked += 1
            right = bool(item.due_date and item.due_date.isoformat() == gold["due_date"])
            scores.due_correct += right
            if not right:
                misses.append(Miss(conversation["id"], gold["source"],
                                   lines[gold["source"]]["text"],
                                   f"due {gold['due_date']} ({gold.get('due_phrase')})",
                                   f"{item.due_date} ({item.due_phrase})"))  # fmt: skip
        if usable(item.action, gold["action"], names):
            scores.usable += 1
        else:
            misses.append(Miss(conversation["id"], gold["source"], lines[gold["source"]]["text"],
                               f"text {gold['action']!r}", repr(item.action)))  # fmt: skip
        if item.owner != gold["owner"]:
            misses.append(Miss(conversation["id"], gold["source"], lines[gold["source"]]["text"],
                               f"owner {gold['owner']}", item.owner))  # fmt: skip
    kinds = {n["source"]: n["kind"] for n in conversation.get("non_items", [])}
    scores.non_items.update(kinds.values())
    for item in open_items:
        scores.false_positives += 1
        sources = sorted(covered(item))
        kind = next((kinds[s] for s in sources if s in kinds), None)
        if kind:
            scores.false_alarms[kind] += 1
        at = sources[0] if sources else -1
        misses.append(Miss(conversation["id"], at, lines[at]["text"] if at >= 0 else "",
                           f"no item{f' ({kind})' if kind else ''}",
                           f"{item.owner}: {item.action}"))  # fmt: skip


def as_recognised(conversation: Mapping[str, Any]) -> dict[str, Any]:
    """The conversation as a recogniser without punctuation prints it: lowercase words, no
    punctuation (hyphens and apostrophes inside words kept)."""

    def plain(text: str) -> str:
        text = re.sub(r"[^\w\s'-]", " ", text.replace("\u2019", "'"))
        text = re.sub(r"(?<!\w)-|-(?!\w)", " ", text)
        return " ".join(text.lower().split())

    turns = [{**u, "text": plain(u["text"])} for u in conversation["utterances"]]
    return {**conversation, "utterances": turns}


def evaluate_set(path: Path, unpunctuated: bool = False) -> tuple[Scores, list[Miss]]:
    """Scores of one set; ``unpunctuated`` reads it as ``as_recognised`` prints it."""
    scores, misses = Scores(), list[Miss]()
    for conversation in load_set(path):
        if unpunctuated:
            conversation = as_recognised(conversation)
        utterances = text_utterances(conversation)
        started = time.perf_counter()
        items = extract_action_items(
            utterances,
            names=conversation.get("names"),
            session_date=date.fromisoformat(conversation["session_date"]),
        )
        scores.seconds += time.perf_counter() - started
        scores.utterances += len(utterances)
        score(conversation, items, scores, misses)
    return scores, misses


def evaluate_speech(
    path: Path, model: str | None, progress: Any = print, misses: list[Miss] | None = None
) -> Scores:
    """The set's ``speak`` conversations rendered to speech and run through `tandem analyze`;
    a found item stands for the labelled lines its first source overlaps in time. Its misses
    are added to ``misses`` when given (only ever for a development set)."""
    from server.bench.speech import Line, render_dialogue, write_wav

    scores = Scores()
    misses = misses if misses is not None else []
    chosen = [c for c in load_set(path) if c.get("speak")]
    for n, conversation in enumerate(chosen, 1):
        progress(f"  speech {n}/{len(chosen)}: {conversation['id']} ({conversation.get('field')})")
        dialogue = render_dialogue(
            [Line(u["speaker"], u["text"]) for u in conversation["utterances"]], VOICES
        )
        with tempfile.TemporaryDirectory() as folder:
            tracks = []
            for speaker, audio in dialogue.tracks.items():
                wav = Path(folder) / f"{speaker}.wav"
                write_wav(wav, audio)
                tracks += ["--track", f"{speaker}={wav}"]
            out = Path(folder) / "out.json"
            command = [sys.executable, "-m", "server.cli", "analyze", *tracks,
                       "--date", conversation["session_date"], "--json", str(out)]  # fmt: skip
            if model:
                command += ["--model", model]
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            scores.seconds += time.perf_counter() - started
            if done.returncode != 0:
                raise BenchInputError(f"tandem analyze failed: {done.stderr.strip()[-400:]}")
            document = json.loads(out.read_text(encoding="utf-8"))
        spans = [(line.start_s, line.end_s) for line in dialogue.lines]
        items = [_item_from_json(i) for i in document.get("action_items", [])]
        scores.utterances += len(document.get("utterances", []))

        def line_of(item: ActionItem, spans: list[tuple[float, float]] = spans) -> list[int]:
            timed = item.sources_s if isinstance(item, _SpokenItem) else ()
            start, end = timed[0] if timed else (item.start_s, item.start_s)
            return [k for k, (a, b) in enumerate(spans) if start < b + 0.3 and end > a - 0.3]

        score(conversation, items, scores, misses, line_of)
    return scores


@dataclass(frozen=True)
class _SpokenItem(ActionItem):
    #: (start, end) of each source utterance, from the analyze JSON.
    sources_s: tuple[tuple[float, float], ...] = ()


def _item_from_json(raw: Mapping[str, Any]) -> _SpokenItem:
    due = raw.get("due_date")
    return _SpokenItem(
        action=raw["action"], owner=raw["owner"], kind=raw["kind"], due_phrase=raw.get("due"),
        due_date=date.fromisoformat(due) if due else None, sources=(),
        start_s=float(raw["start"]), confidence=float(raw["confidence"]),
        sources_s=tuple((float(s["start"]), float(s["end"])) for s in raw["sources"]),
    )  # fmt: skip


def ami_meetings(folder: Path) -> dict[str, list[dict[str, Any]]]:
    path = folder / "ami_dialogue_acts_action_labels.jsonl.gz"
    if not path.is_file():
        raise BenchInputError(f"{path} not found (give the folder with --ami)")
    meetings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            meetings[row["meeting"]].append(row)
    for rows in meetings.values():
        rows.sort(key=lambda r: (r["start"], r["end"]))
    return meetings


def is_ami_test(meeting: str) -> bool:
    return meeting[:6] in AMI_TEST


def ami_utterances(rows: Sequence[Mapping[str, Any]]) -> list[Utterance]:
    return [Utterance(r["role"] or r["speaker"], r["start"], r["end"], r["text"]) for r in rows]


def evaluate_ami(folder: Path) -> Scores:
    """Per utterance, on the test meetings: found when it is a found item's first source."""
    scores = Scores()
    for meeting, rows in sorted(ami_meetings(folder).items()):
        if not is_ami_test(meeting):
            continue
        utterances = ami_utterances(rows)
        started = time.perf_counter()
        items = extract_action_items(utterances)
        scores.seconds += time.perf_counter() - started
        scores.utterances += len(utterances)
        scores.items += len(items)
        predicted = {item.sources[0] for item in items}
        gold = {i for i, r in enumerate(rows) if r["action_label"] == 1}
        scores.true_positives += len(predicted & gold)
        scores.false_positives += len(predicted - gold)
        scores.false_negatives += len(gold - predicted)
    return scores


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("actions", help="precision/recall/usable text of action items")
    parser.add_argument("--ami", default=str(AMI_DEFAULT), help="folder with the AMI labels")
    parser.add_argument("--no-speech", action="store_true",
                        help="skip the rendered-speech run through tandem analyze")  # fmt: skip
    parser.add_argument("--dev-speech", action="store_true",
                        help="also score the sixth development set's 'speak' conversations "
                             "through speech (--misses lists their misses too)")  # fmt: skip
    parser.add_argument("--model", help="model for the speech run (default: the configured one)")
    parser.add_argument("--misses", action="store_true",
                        help="list the development sets' misses (never the others')")  # fmt: skip


def _per_hour_ms(s: Scores) -> float:
    return s.seconds / max(s.utterances, 1) * 900 * 1000  # ~900 utterances in an hour of talk


def _lines(name: str, s: Scores, timing: bool = True) -> list[str]:
    first = (
        f"{name:<18} {s.utterances:>6} {s.true_positives + s.false_negatives:>5} {s.items:>6} "
        f"{s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.owner_accuracy:6.3f} "
        f"{s.due_accuracy:6.3f} {s.usable_text:7.3f} {s.in_turn:7.3f}"
    )
    if timing:
        first += f"   {_per_hour_ms(s):6.0f} ms/hour"
    lines = [first]
    if s.non_items:
        alarms = ", ".join(f"{k} {s.false_alarms[k]}/{n}" for k, n in sorted(s.non_items.items()))
        lines.append(f"{'':<18} non-items taken for items: {alarms}")
    return lines


def hour_of_talk_s() -> tuple[float, int, int]:
    """Seconds to extract the items of one hour of talk (the development sets' turns, end to
    end, cut at 9,000 words: about an hour at 150 words a minute), and its words and turns."""
    turns = [u for name in ("mentoring", "mentoring2") for c in load_set(SETS[name])
             for u in c["utterances"]]  # fmt: skip
    hour: list[Utterance] = []
    words = 0
    for k, turn in enumerate(turns):
        if words >= 9000:
            break
        hour.append(Utterance(turn["speaker"], 4.0 * k, 4.0 * k + 3.5, turn["text"]))
        words += len(turn["text"].split())
    started = time.perf_counter()
    extract_action_items(hour, session_date=date(2026, 3, 2))
    return time.perf_counter() - started, words, len(hour)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from media.insight.action_grammar import normalise
    from media.insight.english import clear_cache, warm_up

    warm_up()  # loading the parser (about a second, once per process) is not per hour
    clear_cache()
    header = (f"{'set':<18} {'utts':>6} {'gold':>5} {'items':>6} {'P':>6} {'R':>6} {'F1':>6} "
              f"{'owner':>6} {'due':>6} {'usable':>7} {'in-turn':>7}")  # fmt: skip
    print(header)
    development: list[Miss] = []
    for name, path in SETS.items():
        if not path.is_file():
            print(f"{name}: skipped ({path} is missing)")
            continue
        scores, misses = evaluate_set(path)
        if name.startswith("mentoring"):
            development += misses
        print("\n".join(_lines(name, scores)), flush=True)
        if name.startswith("mentoring"):
            plain, _ = evaluate_set(path, unpunctuated=True)
            print("\n".join(_lines(f"{name}-unpunct", plain)), flush=True)
    if not args.no_speech and SETS["fresh"].is_file():
        speech = evaluate_speech(SETS["fresh"], args.model, lambda m: print(m, file=sys.stderr))
        print("\n".join(_lines("fresh-speech", speech, timing=False)))
    if args.dev_speech and SETS["mentoring6"].is_file():
        spoken: list[Miss] = []
        speech = evaluate_speech(SETS["mentoring6"], args.model,
                                 lambda m: print(m, file=sys.stderr), spoken)  # fmt: skip
        development += spoken
        print("\n".join(_lines("mentoring6-speech", speech, timing=False)))
    ami_folder = Path(args.ami)
    if (ami_folder / "ami_dialogue_acts_action_labels.jsonl.gz").is_file():
        ami = evaluate_ami(ami_folder)
        print(f"{'AMI test':<18} {ami.utterances:>6} {ami.true_positives + ami.false_negatives:>5} "
              f"{ami.items:>6} {ami.precision:6.3f} {ami.recall:6.3f} {ami.f1:6.3f}   "
              f"(utterance level; Morgan et al. 2006: F {AMI_REFERENCE_F1} on ICSI)")  # fmt: skip
    else:
        print(f"AMI: skipped ({ami_folder} has no labels)")
    clear_cache()
    normalise.cache_clear()  # the hour is timed from cold: its turns were read above
    seconds, words, turns = hour_of_talk_s()
    print(f"an hour of talk ({words} words, {turns} turns): {seconds:.2f} s")
    print("targets (sets nobody tuned to): P >= 0.85, R >= 0.85, owner >= 0.9, usable >= 0.8; "
          "< 2 s per hour of talk")  # fmt: skip
    if args.misses:
        for miss in development:
            print(f"{miss.conversation}[{miss.index}] {miss.text!r}\n   want {miss.expected}; "
                  f"got {miss.got}")  # fmt: skip
    return 0
