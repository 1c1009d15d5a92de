"""Action items: the commitments and requests two people agreed on, from their utterances.

Deterministic rules over the words (no model), fast enough to run on every saved transcript.
A clause becomes a candidate when its grammar (:mod:`media.insight.action_grammar`) commits someone
to a future action:

- **commitment** by the speaker: "I will / I'll / I'm going to / I'm gonna / let me / I need
  to … <verb>" → owned by the speaker;
- **joint**: "let's / we will / we should … <verb>" → owned by both;
- **request** to the other person: "could you / can you / would you mind / please / I want you
  to / your homework is to / why don't you / you should … <verb>" → owned by the other person
  when they accept it (or, for firm requests, when it has a deadline and is not declined);
- **offer** by the speaker: "I can / I could / do you want me to / shall I / happy to …
  <verb>" → owned by the speaker, and only when the other person accepts it.

Acceptance is the other person's reply in the next few turns ("sure", "yes please", "will do",
"that would help"); a refusal ("no need", "I'm good", "I already have it") drops the item.
Habits ("usually", "always"), memories (past tense, "was going to"), hypotheticals ("if I
had…", "would"), reported speech ("she said I will…"), negations ("I won't"), talk about the
conversation itself ("let me think", "let's move on", "can you tell me…") and questions that
ask for information are not items. A later restatement of the same item is merged into the
first one, and a summary ("so to recap: …") creates no new items for what it repeats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from media.insight.action_grammar import (
    ACCEPT,
    DECLINE,
    POINTER,
    RECAP,
    dated_steps,
    imperative_opening,
    is_anaphoric,
    match_clause,
    match_imperative,
    normalise,
    split_clauses,
)
from media.insight.due import Due, find_due, is_week, narrows
from media.insight.english import prepare
from media.insight.phrasing import listed_things, task_text
from media.insight.references import NEEDS_CONTEXT
from media.insight.sentences import joined, restore
from media.transcript import Utterance


@dataclass(frozen=True)
class ActionItem:
    #: A short imperative sentence ("Send Sam the review notes").
    action: str
    #: "mentor", "mentee", "both", or a speaker label when roles are unknown.
    owner: str
    kind: str
    due_phrase: str | None
    due_date: date | None
    #: Indices into the utterance list: the one that states the item first, then any reply
    #: that accepted it or restated it.
    sources: tuple[int, ...]
    start_s: float
    confidence: float

    def to_json(self, utterances: Sequence[Utterance]) -> dict[str, Any]:
        return {
            "action": self.action,
            "owner": self.owner,
            "kind": self.kind,
            "due": self.due_phrase,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "start": round(self.start_s, 2),
            "confidence": round(self.confidence, 2),
            "sources": [
                {
                    "speaker": utterances[i].speaker,
                    "start": round(utterances[i].start_s, 2),
                    "end": round(utterances[i].end_s, 2),
                    "text": utterances[i].text,
                }
                for i in self.sources
            ],
        }


@dataclass(frozen=True)
class _Candidate:
    index: int
    speaker: str
    kind: str
    verb_phrase: str
    due: Due | None
    confidence: float
    anaphoric: bool
    #: One of several steps said with their own days in one phrase: never a restatement.
    step: bool = False
    #: Read from the tagger alone ("redesign the setting"): an item only with a deadline or a
    #: yes that takes it on ("will do", "I'll…"), not a bare "okay" to advice.
    taken_on: bool = False


# -- extraction -------------------------------------------------------------------------------
#: A joint step that says it follows from a request before it in the turn ("then we can",
#: "so we can", "... after that"): what the done task enables, not a task agreed of its own.
_ENABLED = re.compile(
    r"(?:\b(?:then|so(?:\s+that)?)\W*\|\s*|\|\s*(?:and\s+)?(?:then|so(?:\s+that)?)\s+)we\s+can\b"
    r"|\b(?:after that|afterwards)\W*$",
    re.IGNORECASE,
)


#: Going somewhere, said with a day and nothing else: what follows is done there, then.
_GOING = re.compile(
    r"^(?:go|come|head|be there|pop in|drop by|swing by|come along|go along|go over)"
    r"(?:\s+(?:there|along|over|in|down))?\s*(?:on|at|by)?\s*\W*$",
    re.IGNORECASE,
)


#: Meeting, of which a joint step after "and" says what for.
_MEETING = re.compile(
    r"^(?:meet|get together|sit down|catch up|have a (?:call|chat)|jump on a call|grab)\b", re.I
)


def _after_and(lead: str) -> bool:
    """Whether a clause follows the one before it in its sentence with "and" ("and then")."""
    return bool(re.search(r"\band(?:\s+then)?$", lead.strip(" ,"), re.IGNORECASE))


def _candidates(
    utterances: Sequence[Utterance], session_date: date | None, next_session: date | None
) -> list[_Candidate]:
    found = []
    split = [split_clauses(u.text) for u in utterances]
    # The openings the tagger is to read, tagged in one batch (one call per text costs
    # several times its share of a batch).
    openings = [bare for clauses in split for clause, _ in clauses
                if (bare := imperative_opening(clause)) is not None]  # fmt: skip
    prepare([], openings)
    for index, utterance in enumerate(utterances):
        clauses = split[index]
        matches: list[tuple[str, str, float] | None] = []
        since = 0  # where the lead starts that belongs to this clause
        for clause, lead in clauses:
            # A clause that matched is a task of its own: its hedges and conditions ("get a
            # read on whether… or if it is") do not weaken the next one ("and then separately
            # you should pull the data").
            if matches and matches[-1] is not None:
                since = len(lead)
            matched = match_clause(clause, lead[since:])
            if matched is None and not lead.strip():
                matched = match_imperative(clause)  # a sentence's opening verb only
            matches.append(matched)
        went: Due | None = None  # "I'm gonna go on Thursday": when the next task is done
        for position, ((clause, lead), matched) in enumerate(zip(clauses, matches, strict=True)):
            if matched is None:
                continue
            kind, verb_phrase, confidence = matched
            # An opening verb the patterns do not list: a task only if taken on in words.
            taken_on = kind == "imperative"
            kind = "request" if taken_on else kind
            there = went
            went = None
            steps = dated_steps(verb_phrase)
            if len(steps) > 1:
                # Each its own task: "memorize it" after "write the opening" is a second one.
                for step in steps:
                    due = find_due(step, session_date, next_session)
                    found.append(_Candidate(index, utterance.speaker, kind, step, due, confidence,
                                            anaphoric=False, step=True))  # fmt: skip
                continue
            due = find_due(clause, session_date, next_session)
            if due is not None and _GOING.match(re.sub(re.escape(due.phrase), "", verb_phrase)):
                went = due  # "… go on Thursday, and I'll talk to three people": there, then
            if due is None and there is not None and _after_and(lead):
                due = there
            asked = any(m is not None and m[0] == "request" for m in matches[:position])
            joined = f"{lead[-12:]}|{clause}"  # the words that joined it, then the clause
            if kind == "joint" and asked and due is None and _ENABLED.search(joined):
                continue  # "send me the deck, and we'll fix a slot after that": what it enables
            if due is None or is_week(due):
                # "I'll write it up. Like, end of the month." The deadline may follow in the
                # speaker's next words, as long as they do not start another item; so may a
                # day that narrows a week ("this week? Like, before Friday").
                for (later, _), later_match in zip(
                    clauses[position + 1 :], matches[position + 1 :], strict=True
                ):
                    if later_match is not None:
                        break
                    said = find_due(later, session_date, next_session)
                    if said is not None and due is not None and narrows(said, due):
                        # The week said first goes from the task's words with the day.
                        verb_phrase = re.sub(_TIME_PREPOSITION + re.escape(due.phrase), " ",
                                             verb_phrase, flags=re.IGNORECASE)  # fmt: skip
                        due = said
                    elif said is not None and due is None:
                        due = said
                    if said is not None:
                        break
            if due is None and position == _last_match(matches):
                due = _due_carried_over(utterances, index, session_date, next_session)
            before = found[-1] if found else None
            if (
                kind == "joint"
                and before is not None
                and (before.index, before.kind) == (index, "joint")
                and _MEETING.match(before.verb_phrase)
                and _after_and(lead)
            ):
                # "let's meet at the yard on Friday and we can go through the cash flow": what
                # the meeting is for, one item.
                found[-1] = replace(before, verb_phrase=f"{before.verb_phrase} to {verb_phrase}",
                                    due=before.due or due)  # fmt: skip
                continue
            without_due = verb_phrase
            if due is not None:
                without_due = re.sub(re.escape(due.phrase), " ", verb_phrase, flags=re.I)
            found.append(
                _Candidate(
                    index,
                    utterance.speaker,
                    kind,
                    verb_phrase,
                    due,
                    confidence,
                    anaphoric=is_anaphoric(without_due),
                    taken_on=taken_on,
                )
            )
    return found


def _in_their_parts(
    candidates: list[_Candidate], utterances: list[Utterance], apart: Sequence[Utterance]
) -> tuple[list[_Candidate], list[Utterance]]:
    """A task said wholly in the part of a sentence after a pause is that part's: it takes
    the part's index, and the part its own words back (media/insight/sentences.py: joined)."""
    out: list[_Candidate] = []
    utterances = list(utterances)
    parts: dict[int, str] = {}  # each part's own words, restored once
    for candidate in candidates:
        start = candidate.verb_phrase.lower()[:30]
        k = candidate.index + 1
        while k < len(utterances) and not utterances[k].text and apart[k].text.strip():
            if k not in parts:
                parts[k] = restore([apart[k].text])[0]
            part = parts[k]
            if start and start in normalise(part).lower():
                utterances[k] = replace(apart[k], text=part)
                candidate = replace(candidate, index=k)
                break
            k += 1
        out.append(candidate)
    return out, utterances


def _last_match(matches: Sequence[object | None]) -> int:
    return max((k for k, m in enumerate(matches) if m is not None), default=-1)


def _due_carried_over(
    utterances: Sequence[Utterance],
    index: int,
    session_date: date | None,
    next_session: date | None,
) -> Due | None:
    """A deadline at the start of the speaker's next turn, when a pause split the sentence
    ("send it to me by" / "thursday so we can go through it"), unless that turn starts a
    task of its own."""
    if index + 1 >= len(utterances) or utterances[index + 1].speaker != utterances[index].speaker:
        return None
    clauses = split_clauses(utterances[index + 1].text)
    if not clauses or match_clause(*clauses[0]) is not None:
        return None
    due = find_due(clauses[0][0], session_date, next_session)
    return due if due is not None and due.span[0] <= 40 else None  # its first words


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;])\s+", normalise(text)) if s.strip()]


def _verdict(text: str) -> str | None:
    """ "accept", "decline" or None for a reply, from its first sentences."""
    for sentence in _sentences(text)[:3]:
        if re.fullmatch(r"(?:oh|ah|uh|aw)\s+no\W*", sentence, re.IGNORECASE):
            continue  # an exclamation, not an answer
        words = sentence.split()
        # Allow a few words of lead-in ("oh my god, yes please", "okay, no need").
        for start in range(min(4, len(words))):
            rest = " ".join(words[start:]).lstrip(" ,.!?-")
            if DECLINE.match(rest):
                return "decline"
            if ACCEPT.match(rest):
                return "accept"
    return None


def _reply(utterances: Sequence[Utterance], index: int, window: int = 3) -> tuple[str, int] | None:
    """("accept" | "decline", reply index) from the other speakers' next turns, if any."""
    speaker = utterances[index].speaker
    seen_other = 0
    for j in range(index + 1, min(len(utterances), index + 1 + window + 2)):
        other = utterances[j]
        if other.speaker == speaker:
            if seen_other:
                break
            continue
        seen_other += 1
        verdict = _verdict(other.text)
        if verdict is not None:
            return verdict, j
        if seen_other >= window:
            break
    return None


def extract_action_items(
    utterances: Sequence[Utterance],
    roles: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    session_date: date | None = None,
    next_session: date | None = None,
    min_confidence: float = 0.5,
) -> list[ActionItem]:
    """Action items in the order they were first stated.

    ``roles`` maps speaker labels to "mentor"/"mentee" (labels that are already roles need no
    entry); ``names`` maps speaker labels to how people are called in action texts.
    """
    roles = dict(roles or {})
    # In a 1:1 the two call each other by first name: "Send Rosa the draft".
    names = {speaker: _called(name) for speaker, name in (names or {}).items()}
    # A sentence a pause cut in two is made whole, and a turn the recogniser printed without
    # punctuation gets its sentence breaks back.
    said_apart = list(utterances)
    utterances = joined(utterances)
    utterances = [
        u if said == u.text else replace(u, text=said)
        for u, said in zip(utterances, restore([u.text for u in utterances]), strict=True)
    ]

    def role(speaker: str) -> str:
        return roles.get(speaker, speaker)

    def next_other(index: int) -> str | None:
        speaker = utterances[index].speaker
        later = (u.speaker for u in utterances[index + 1 :] if u.speaker != speaker)
        earlier = (u.speaker for u in reversed(utterances[:index]) if u.speaker != speaker)
        return next(later, None) or next(earlier, None)

    items: list[ActionItem] = []
    candidates = _candidates(utterances, session_date, next_session)
    candidates, utterances = _in_their_parts(candidates, utterances, said_apart)
    _prepare_wording(utterances, candidates)
    recaps = _recap_utterances(utterances, candidates)
    for candidate in candidates:
        speaker = candidate.speaker
        if candidate.index in recaps and _fold_into_matching(items, candidate):
            continue  # a summary restating what was agreed adds sources, not items
        reply = _reply(utterances, candidate.index)
        verdict = reply[0] if reply else None
        accepted = verdict == "accept"
        if candidate.anaphoric:
            # "Sure, I'll do that" or "let's do it" answers or restates an earlier item; a
            # "send it over" with nothing before it to say what "it" is, is no task to save.
            new_task = bool(_POINTS_BACK.search(candidate.verb_phrase)) and (
                _names_its_object(candidate, utterances, own_turn=True) is not None
            )
            if not new_task and _fold_into_recent(items, candidate, utterances, role):
                continue
            if _names_its_object(candidate, utterances) is None:
                continue
        if (
            candidate.kind == "commitment"
            and not candidate.step
            and POINTER.search(candidate.verb_phrase)
            and _fold_into_recent(items, candidate, utterances, role, within=2, new_topic=True)
        ):
            continue  # "I'll send them a mail tomorrow": how the item just agreed will be done
        if verdict == "decline" and candidate.kind != "commitment":
            continue
        confidence = candidate.confidence
        # Weak wordings ("I should…", "we could…", "you might want to…") need support: a
        # deadline or the other person's yes.
        if round(confidence, 6) < 0.7 and candidate.due is None and not accepted:
            continue
        other = utterances[reply[1]].speaker if reply and accepted else next_other(candidate.index)
        if candidate.kind in ("offer", "permission", "proposal") and not accepted:
            continue
        if candidate.kind == "request":
            if other is None or not (accepted or candidate.due is not None):
                continue
            if (
                candidate.taken_on
                and candidate.due is None
                and not (
                    reply is not None and _TAKES_ON.search(normalise(utterances[reply[1]].text))
                )
            ):
                continue
            if not accepted:
                confidence -= 0.1
            owner_speakers: tuple[str, ...] = (other,)
        elif candidate.kind in ("joint", "proposal"):
            owner_speakers = tuple(s for s in (speaker, other) if s is not None)
        else:  # commitment, offer, permission: the speaker does it
            owner_speakers = (speaker,)
        if accepted:
            confidence += 0.05
        if candidate.due is not None:
            confidence += 0.05
        sources = [candidate.index]
        if accepted and reply is not None and candidate.kind != "commitment":
            sources.append(reply[1])
        due = candidate.due
        if due is None and accepted and reply is not None:
            answer = normalise(utterances[reply[1]].text)
            due = find_due(answer, session_date, next_session)
            after = reply[1] + 1
            if (
                due is None
                and _BY_WHEN.search(answer)
                and after < len(utterances)
                and utterances[after].speaker == speaker
            ):
                # "Yeah. Um, by when?" "Before the follow-up, so, like, Monday?"
                due = find_due(normalise(utterances[after].text), session_date, next_session)
        joint = candidate.kind in ("joint", "proposal")
        owner = "both" if joint or len(owner_speakers) > 1 else role(owner_speakers[0])
        action = _imperative(candidate, owner_speakers, speaker, other, names, role, utterances)
        if not action or round(confidence, 6) < min_confidence:  # 0.45 + 0.05 is 0.4999…
            continue
        item = ActionItem(
            action=action,
            owner=owner,
            kind="joint" if candidate.kind == "proposal" else candidate.kind,
            due_phrase=due.phrase if due else None,
            due_date=due.date if due else None,
            sources=tuple(sources),
            start_s=utterances[candidate.index].start_s,
            confidence=min(confidence, 0.99),
        )
        _add_or_merge(items, item, closing=candidate.index >= 0.75 * len(utterances))
    return _merge_answers(items, utterances, role, names)


#: A yes that takes a task on, not only hears it ("Okay. I understand.").
_TAKES_ON = re.compile(
    r"\b(?:i will|will do|got it|on it|i am doing|i can|i could|i am going to|sure thing|"
    r"consider it done|straight away|right away|no problem|of course)\b",
    re.IGNORECASE,
)

#: A yes that asks for the deadline, which the asker's next turn then gives.
_BY_WHEN = re.compile(
    r"\b(?:by when|when by|when (?:do|would|should|will) you (?:need|want)|"
    r"what is the deadline|when is it due|how soon)\b",
    re.IGNORECASE,
)

#: A turn that opens with a yes.
_YES_FIRST = re.compile(
    r"^\W*(?:yes|yeah|yep|sure|ok|okay|of course|absolutely|will do|no problem)\b", re.I
)

#: A reply that takes on something else besides ("and I'll also book the room").
_ALSO = re.compile(r"\b(?:also|too|as well|another|separately|plus)\b", re.IGNORECASE)


def _merge_answers(
    items: list[ActionItem],
    utterances: Sequence[Utterance],
    role: Any,
    names: Mapping[str, str],
) -> list[ActionItem]:
    """A request and the asked person's "yes, I'll send you the steps by Friday" are one task:
    the answer's commitment joins the request's item (its deadline too, if the request had
    none), worded by whichever names more of the task."""
    # People's names are no shared content ("Send Aisha an invite" is not "Call Aisha").
    people = {part.lower()[:5] for name in names.values() for part in name.split()}
    merged: list[ActionItem] = []
    for item in items:
        answer_to = next(
            (
                k
                for k in range(len(merged) - 1, -1, -1)
                if _answers(merged[k], item, utterances, role, people)
            ),
            None,
        )
        if answer_to is None:
            merged.append(item)
            continue
        asked = merged[answer_to]
        wording = max((asked, item), key=lambda i: (len(_stems(i.action)), i is asked))
        if not (_stems(asked.action) & _stems(item.action)) - people:
            wording = asked  # a yes in other words: the request said what the task is
        merged[answer_to] = replace(
            asked,
            action=wording.action,
            due_phrase=asked.due_phrase or item.due_phrase,
            due_date=asked.due_date or item.due_date,
            sources=tuple(dict.fromkeys((*asked.sources, *item.sources))),
            confidence=max(asked.confidence, item.confidence),
        )
    return merged


def _answers(
    asked: ActionItem,
    item: ActionItem,
    utterances: Sequence[Utterance],
    role: Any,
    people: set[str],
) -> bool:
    if asked.kind != "request" or item.kind != "commitment":
        return False  # only a request is answered by the asked person's own commitment
    first, said = asked.sources[0], item.sources[0]
    if not 0 < said - first <= 2:
        return False
    text = utterances[said].text
    if role(utterances[said].speaker) != asked.owner or _ALSO.search(text):
        return False
    shared = (_stems(asked.action) & _stems(item.action)) - people
    same_verb = asked.action.split()[:1] == item.action.split()[:1]
    # "Could you send me the details?" "Yes — I'll dig out the link after this call.": the
    # yes said straight after is the answer, whatever words it takes the task on in.
    yes_first = said - first == 1 and bool(_YES_FIRST.match(normalise(text)))
    return bool(shared) or same_verb or yes_first


def _names_its_object(
    candidate: _Candidate, utterances: Sequence[Utterance], own_turn: bool = False
) -> str | None:
    """A pointing-back phrase ("send it over") worded with what it points to, if its verb is
    not a light one ("do it") and what it points to is named in the turns before (or, with
    ``own_turn``, earlier in its own turn: "there's the ticket to… why don't you take that
    one?" brings in a new task, not a restatement)."""
    words = candidate.verb_phrase.split()
    if not words or words[0].lower() in ("do", "try", "make", "get", "go", "have"):
        return None
    if _DOING_THAT.search(candidate.verb_phrase):
        return None  # "start doing that": what was done, which no noun before names
    context = _context(utterances, candidate)
    if own_turn:
        context = context[-1:] if len(context) > min(4, candidate.index) else []
    text = task_text(_without_due(candidate), context, lambda w, d: None)
    return text if text is not None and not _BARE_PRONOUN.search(text) else None


_DOING_THAT = re.compile(r"\bdoing\s+(?:that|this|it|so|the same)\b", re.IGNORECASE)
_BARE_PRONOUN = re.compile(r"\b(?:it|them|this|that|those|these)\b", re.IGNORECASE)
#: A phrase that points back with a word ("take that one"), not by leaving it out ("I'll ask").
_POINTS_BACK = re.compile(r"\b(?:it|them|this|that|those|these|one)\b", re.IGNORECASE)


def _context(utterances: Sequence[Utterance], candidate: _Candidate) -> list[str]:
    """What a candidate's pronouns may point back to: the four turns before it and the start
    of its own sentence."""
    context = [u.text for u in utterances[max(0, candidate.index - 4) : candidate.index]]
    lead = _lead(utterances, candidate)
    return [*context, lead] if lead else context


def _lead(utterances: Sequence[Utterance], candidate: _Candidate) -> str:
    """The candidate's own turn before its verb phrase ("send it to me when it's ready, ")."""
    said = normalise(utterances[candidate.index].text)
    at = said.lower().find(candidate.verb_phrase.lower()[:20])
    return said[:at] if at > 0 else ""


#: How far back a bare noun's fuller name is looked for (about ten minutes of talk).
MENTIONS_TURNS = 60


def _mentions(utterances: Sequence[Utterance], candidate: _Candidate) -> list[str]:
    """The turns said up to and including the candidate's, where its things were named."""
    start = max(0, candidate.index - MENTIONS_TURNS)
    return [u.text for u in utterances[start : candidate.index + 1]]


def _prepare_wording(utterances: Sequence[Utterance], candidates: list[_Candidate]) -> None:
    phrases = [_without_due(c) for c in candidates]
    contexts = [
        text
        for c, phrase in zip(candidates, phrases, strict=True)
        if NEEDS_CONTEXT.search(phrase)
        for text in _context(utterances, c)
    ]
    if candidates:
        contexts += [u.text for u in utterances]
    prepare(phrases, contexts)


_TIME_PREPOSITION = (
    # "get the FOI in this week", "hand it in by Friday": that "in" is the verb's, not the time's.
    r"(?:\b(?:over|during|on|in(?!\s+(?:this|next|by|before|on|until|till)\b)|at|by|before|"
    r"after|until|till|within|from|for|through)\s+)?"
)


def _without_due(candidate: _Candidate) -> str:
    phrase = candidate.verb_phrase
    if candidate.due is not None:
        # With the preposition that led to it ("review the draft over the weekend").
        phrase = re.sub(_TIME_PREPOSITION + re.escape(candidate.due.phrase), " ", phrase,
                        flags=re.IGNORECASE)  # fmt: skip
    return re.sub(r"\s+", " ", phrase).strip(" ,")


def _recap_utterances(utterances: Sequence[Utterance], candidates: list[_Candidate]) -> set[int]:
    """Utterances that sum up earlier items: announced as such, or restating two or more."""
    found: set[int] = set()
    by_index: dict[int, list[_Candidate]] = {}
    for candidate in candidates:
        by_index.setdefault(candidate.index, []).append(candidate)
    stated: list[set[str]] = []
    for index, group in sorted(by_index.items()):
        restated = sum(
            any(_restates(_stems(c.verb_phrase), earlier) for earlier in stated) for c in group
        )
        if restated >= 2 or (stated and RECAP.search(normalise(utterances[index].text))):
            found.add(index)
        else:
            stated.extend(_stems(c.verb_phrase) for c in group if not c.anaphoric)
    return found


def _restates(words: set[str], earlier: set[str]) -> bool:
    shared = words & earlier
    return bool(shared) and len(shared) >= min(2, len(words))


def _fold_into_matching(items: list[ActionItem], candidate: _Candidate) -> bool:
    words = _stems(candidate.verb_phrase)
    best, best_shared = -1, 0
    for k, item in enumerate(items):
        shared = len(words & _stems(item.action))
        if shared > best_shared:
            best, best_shared = k, shared
    if best < 0:
        return False
    items[best] = _with_source(items[best], candidate)
    return True


def _with_source(item: ActionItem, candidate: _Candidate) -> ActionItem:
    """The item with the candidate as one more source, and its deadline if it had none."""
    due = candidate.due
    return replace(
        item,
        due_phrase=item.due_phrase or (due.phrase if due else None),
        due_date=item.due_date or (due.date if due else None),
        sources=tuple(dict.fromkeys((*item.sources, candidate.index))),
    )


def _fold_into_recent(
    items: list[ActionItem],
    candidate: _Candidate,
    utterances: Sequence[Utterance],
    role: Any,
    within: int = 6,
    new_topic: bool = False,
) -> bool:
    """Attach a pointing-back phrase (and its deadline) to the item it refers to, if any:
    the latest of the same owner's (a request's owner is the other person). With
    ``new_topic``, what the other person said since may be what the phrase points at."""
    owner = role(candidate.speaker)
    if candidate.kind == "request":
        owner = {"mentor": "mentee", "mentee": "mentor"}.get(owner, owner)
    owner_roles = {owner, "both"}
    for k in range(len(items) - 1, -1, -1):
        item = items[k]
        if candidate.index - item.sources[-1] > within:
            break
        if item.owner not in owner_roles:
            continue
        between = utterances[item.sources[-1] + 1 : candidate.index]
        if new_topic and any(
            u.speaker != candidate.speaker and len(u.text.split()) >= 4 for u in between
        ):
            return False  # "it might be worth naming it with her" … "I'll bring it up": a new it
        items[k] = _with_source(item, candidate)
        return True
    return False


def _content_words(text: str) -> set[str]:
    stop = {
        "the",
        "a",
        "an",
        "to",
        "of",
        "and",
        "for",
        "on",
        "in",
        "my",
        "your",
        "you",
        "me",
        "it",
        "that",
        "this",
        "i",
        "we",
        "with",
        "by",
        "at",
        "our",
        "their",
        "his",
        "her",
    }
    return {w for w in re.findall(r"[a-z']+", text.lower()) if w not in stop}


# Words too common in tasks to tell one task from another.
_GENERIC = frozenset(
    [
        "do",
        "get",
        "make",
        "go",
        "take",
        "have",
        "be",
        "will",
        "can",
        "try",
        "start",
        "put",
        "give",
        "let",
        "know",
        "send",
        "talk",
        "speak",
        "thing",
        "things",
        "something",
        "time",
        "then",
        "also",
        "just",
        "some",
        "one",
        "next",
        "week",
        "today",
        "tomorrow",
    ]
)


#: Verbs that say little of the task on their own ("get the deck done" restates "finish the
#: deck").
_LIGHT_VERBS = frozenset(["do", "get", "make", "have", "take", "put", "go", "try", "finish"])


def _stems(text: str) -> set[str]:
    """Content words cut to five letters, so "intros" meets "introduce" and "draft" "drafts"."""
    return {w[:5] for w in _content_words(text) if w not in _GENERIC and len(w) > 2}


def _add_or_merge(items: list[ActionItem], item: ActionItem, closing: bool = False) -> None:
    """Add an item, or merge it into the same owner's item it restates. In the closing part
    of a conversation ("so: deck by Thursday, I'll talk to Venkat") a shorter mention of an
    earlier item's words restates it."""
    words = _content_words(item.action)
    named = _stems(item.action)
    for k, existing in enumerate(items):
        if existing.owner != item.owner:
            continue
        other = _content_words(existing.action)
        restated = closing and bool(named) and named <= _stems(existing.action)
        # Two verbs for one thing are two steps ("write the draft", "send the draft to
        # Ahmed"), unless nearly every word is the same.
        verbs = {existing.action.split()[0].lower(), item.action.split()[0].lower()}
        alike = 0.5 if len(verbs) == 1 or verbs & _LIGHT_VERBS else 0.75
        if restated or (words and other and len(words & other) / len(words | other) >= alike):
            items[k] = ActionItem(
                action=existing.action,
                owner=existing.owner,
                kind=existing.kind,
                due_phrase=existing.due_phrase or item.due_phrase,
                due_date=existing.due_date or item.due_date,
                sources=tuple(dict.fromkeys(existing.sources + item.sources)),
                start_s=existing.start_s,
                confidence=max(existing.confidence, item.confidence),
            )
            return
    items.append(item)


# -- wording ----------------------------------------------------------------------------------
_TRAILING = re.compile(
    r"\s*(?:,\s*)?\b(?:okay|ok|right|alright|please|then|too|as well|"
    r"for you|for me|if you can|if that works|if possible|or something)\s*$"
)
_CUT = re.compile(r"\s+\b(?:because|since|so that|cause|which|while|but)\b.*$")


_TITLE = re.compile(r"^(?:dr|mr|mrs|ms|mx|prof|professor|sir|dame)\b\.?", re.IGNORECASE)


def _called(name: str) -> str:
    """How a person is called in an item: the given name ("Rosa" for "Rosa Delgado", "Mei
    Lin" for "Mei Lin Tan": all but the family name of a longer one), or the whole name when
    it starts with a title ("Dr. Lin")."""
    parts = name.split()
    if len(parts) < 2 or _TITLE.match(parts[0]):
        return " ".join(parts)
    return parts[0] if len(parts) == 2 else " ".join(parts[:-1])


def _display(speaker: str | None, names: Mapping[str, str], role: Any) -> str:
    if speaker is None:
        return "them"
    if speaker in names:
        return names[speaker]
    label = role(speaker)
    return f"the {label}" if label in ("mentor", "mentee") else speaker


def _imperative(
    candidate: _Candidate,
    owners: tuple[str, ...],
    speaker: str,
    other: str | None,
    names: Mapping[str, str],
    role: Any,
    utterances: Sequence[Utterance] = (),
) -> str:
    phrase = _without_due(candidate)
    if not phrase:
        return ""
    speaker_name = _display(speaker, names, role)
    if other is None:
        # The other person has not spoken (yet): name them from the names given, if known.
        others = [label for label in names if label != speaker]
        other = others[0] if len(others) == 1 else None
    other_name = _display(other, names, role)
    owner_is_speaker = owners == (speaker,)
    owner_is_other = owners == (other,)
    joint = len(owners) > 1

    def person(word: str, dep: str) -> str | None:
        """A personal pronoun from the owner's side: the owner is who the item speaks to."""
        speaker_side = word in ("me", "my", "myself", "mine", "i")
        other_side = word in ("you", "your", "yourself", "yours")
        if speaker_side or other_side:
            is_owner = (speaker_side and owner_is_speaker) or (other_side and owner_is_other)
            name = speaker_name if speaker_side else other_name
            if is_owner:
                if word in ("my", "your"):
                    return "the"
                if word in ("myself", "yourself"):
                    return ""  # "I'll email him myself": email him
                return "you"
            if joint and speaker_side:
                return "the" if word == "my" else speaker_name
            if word in ("my", "your", "mine", "yours"):
                return f"{name}'s"
            return name
        if word in ("us", "ourselves"):
            # Said by one person about their side ("send us photos"): that person.
            return "each other" if joint else speaker_name
        if word == "our":
            return "the"
        return None

    context = _context(utterances, candidate) if utterances else []
    people = [n for n in names.values() if n]
    lead = _lead(utterances, candidate) if utterances else ""
    text = task_text(phrase, context, person, people, _mentions(utterances, candidate), lead)
    listed = _spelled_out(utterances, candidate) if text and utterances else None
    if text and listed and not _stems(listed) <= _stems(text):
        text = f"{text}: {listed}"  # "Write a first draft: the timeline and root cause"
    return text or ""


def _spelled_out(utterances: Sequence[Utterance], candidate: _Candidate) -> str | None:
    """What one of the two sentences after the candidate's, in its turn, lists as the task's
    contents (media/insight/phrasing.py: listed_things), unless another task comes first."""
    said = normalise(utterances[candidate.index].text)
    at = said.lower().find(candidate.verb_phrase.lower()[:20])
    if at < 0:
        return None
    for sentence in _sentences(said[at:])[1:3]:
        listed = listed_things(sentence)
        if listed is not None:
            return listed
        if any(match_clause(clause, lead) for clause, lead in split_clauses(sentence)):
            return None  # what follows belongs to that task
    return None
