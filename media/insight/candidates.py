"""Candidates for action items: the clauses of each turn that commit someone to something,
with their deadlines (:func:`find_candidates`), read where a pause split a sentence
(:func:`in_their_parts`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from media.insight.action_grammar import (
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
from media.insight.items import Candidate
from media.insight.obligations import match_obligation
from media.insight.sentences import restore
from media.transcript import Utterance

# -- extraction -------------------------------------------------------------------------------
#: A joint step that says it follows from a request before it in the turn ("then we can",
#: "so we can", "... after that"): what the done task enables, not a task agreed of its own.
_ENABLED = re.compile(
    r"(?:\b(?:then|so(?:\s+that)?)\W*\|\s*|\|\s*(?:and\s+)?(?:then|so(?:\s+that)?)\s+)we\s+can\b"
    r"|\b(?:after that|afterwards)\W*$",
    re.IGNORECASE,
)


#: The next session proposed by its time alone ("same time next Tuesday?", "so, same time in
#: two weeks?").
_SAME_TIME = re.compile(
    r"^\W*(?:(?:so|right|okay|ok|good|great|grand|lovely|and|then|say|shall we say|let us say)"
    r"\W+)*(?:the\s+)?same time(?P<when>\s+(?:next|in|on|this|a)\b[^?.!]*)?\W*$",
    re.IGNORECASE,
)
#: "(let's) do this again, same time": the session itself.
_DO_THIS_AGAIN = re.compile(
    r"^(?:do|have)\s+(?:this|it|that|the same)(?:\s+again)?,?\s+(?:at\s+)?(?:the\s+)?"
    r"same time\b,?\s*",
    re.IGNORECASE,
)
#: Being at an event said just before ("Dr Amin has a family meeting on Wednesday. Let's both
#: sit in."), which names no day of its own.
_ATTENDS = re.compile(
    r"^(?:both\s+)?(?:go|come|sit in|join|come along|go along|tag along|be there|attend)"
    r"(?:\s+(?:too|together|with (?:me|you|us)))?\W*$",
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


#: Meeting again, which a "you" clause after it may say the purpose of.
_MEETING_AGAIN = re.compile(r"^(?:meet|talk|catch up|get together)\s+again\b", re.I)
_YOU_THEN = re.compile(r"^(?:then\s+)?you\s+(?:can\s+|could\s+)?(\w.*)$", re.I)


def _part_before(
    split: Sequence[Sequence[tuple[str, str]]], utterances: Sequence[Utterance], index: int
) -> str:
    """The last clause of the speaker's part just before utterance ``index``, when a pause cut
    the turn there ("Now, your CEUs." / "Those have got to be in…"); else ""."""
    if not index or utterances[index - 1].speaker != utterances[index].speaker:
        return ""
    before = split[index - 1]
    return before[-1][0] if before else ""


def _after_and(lead: str) -> bool:
    """Whether a clause follows the one before it in its sentence with "and" ("and then")."""
    return bool(re.search(r"\band(?:\s+then)?$", lead.strip(" ,"), re.IGNORECASE))


def find_candidates(
    utterances: Sequence[Utterance], session_date: date | None, next_session: date | None
) -> list[Candidate]:
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
        for k, (clause, lead) in enumerate(clauses):
            # A clause that matched is a task of its own: its hedges and conditions ("get a
            # read on whether… or if it is") do not weaken the next one ("and then separately
            # you should pull the data").
            if matches and matches[-1] is not None:
                since = len(lead)
            matched = match_clause(clause, lead[since:])
            if matched is None and not lead.strip():
                matched = match_imperative(clause)  # a sentence's opening verb only
            if matched is None:
                # "the form needs to go in by the 30th"; what it names may be the end of
                # the speaker's part before a pause ("Now, your CEUs." / "Those have got…")
                named = clauses[k - 1][0] if k else _part_before(split, utterances, index)
                matched = match_obligation(clause, named)
            same = _SAME_TIME.match(normalise(clause)) if matched is None else None
            if same is not None:
                # "Same time next Tuesday?": the next session, once the other agrees
                when = same.group("when") or ""
                matched = ("proposal", f"meet again at the same time {when}".strip(), 0.75)
            elif matched is not None and _DO_THIS_AGAIN.match(matched[1]):
                # "let's do this same time in two weeks": the session, again
                rest = _DO_THIS_AGAIN.sub("", matched[1])
                matched = (matched[0], f"meet again at the same time {rest}".strip(), matched[2])
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
                    found.append(Candidate(index, utterance.speaker, kind, step, due, confidence,
                                            anaphoric=False, step=True))  # fmt: skip
                continue
            # The task's own words first: "for the presentation on the nineteenth, I'd like
            # you to … have it to me by the sixteenth" is due on the sixteenth.
            due = find_due(verb_phrase, session_date, next_session)
            if due is None and kind != "obligation":  # its clause goes on past what is due
                due = find_due(clause, session_date, next_session)
            if due is not None and _GOING.match(re.sub(said_as(due.phrase), "", verb_phrase)):
                went = due  # "… go on Thursday, and I'll talk to three people": there, then
            if due is None and there is not None and _after_and(lead):
                due = there
            if due is None and _ATTENDS.match(verb_phrase):
                # "Judge Harlan's got calendar call Monday morning. Let's both sit in.": then
                # (that sentence may be the speaker's part before a pause)
                event = (
                    clauses[position - 1][0] if position else _part_before(split, utterances, index)
                )
                due = find_due(event, session_date, next_session) if event else None
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
                        verb_phrase = re.sub(TIME_PREPOSITION + said_as(due.phrase), " ",
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
            if kind == "joint" and _MEETING_AGAIN.match(verb_phrase):
                # "let's meet again in two weeks and you show me the first draft": the
                # unmatched "you" clause after it says what the meeting is for.
                following = clauses[position + 1] if position + 1 < len(clauses) else None
                shown = _YOU_THEN.match(following[0]) if following else None
                if (
                    following
                    and shown
                    and matches[position + 1] is None
                    and _after_and(following[1])
                ):
                    verb_phrase = f"{verb_phrase} to {shown.group(1).rstrip(' .?!,')}"
            without_due = verb_phrase
            if due is not None:
                without_due = re.sub(said_as(due.phrase), " ", verb_phrase, flags=re.I)
            found.append(
                Candidate(
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
    return _deliveries_folded(found)


#: Handing over what was just asked for, and nothing else ("Can you have it to me by Friday?",
#: "Send it over when it's done.", "So get it to me by the 1st?").
_DELIVERS = re.compile(
    r"^(?:so\s+)?(?:have|get|send|bring|email|give|hand|pass|drop)\s+(?:it|them|that|this)"
    r"(?:\s+(?:over|across|back|in|through|round))?(?:\s+to\s+me)?"
    r"(?:\s+(?:when|once|after)\s+(?:it|they)\s+(?:is|are|has been|have been)\s+\w+)?\W*$",
    re.IGNORECASE,
)


def _deliveries_folded(found: list[Candidate]) -> list[Candidate]:
    """A request to hand over what the speaker asked for just before is that task's end, one
    item with it: its day goes to the task ("I'd like you to do a case review write-up.
    … Can you have it to me by Friday?")."""
    out: list[Candidate] = []
    for candidate in found:
        before = out[-1] if out else None
        if (
            before is not None
            and candidate.kind == "request"
            and before.kind == "request"
            and before.speaker == candidate.speaker
            and candidate.index - before.index <= 2
            and not before.step
            and _DELIVERS.match(without_due(candidate))
        ):
            out[-1] = replace(before, due=before.due or candidate.due)
            continue
        out.append(candidate)
    return out


def in_their_parts(
    candidates: list[Candidate], utterances: list[Utterance], apart: Sequence[Utterance]
) -> tuple[list[Candidate], list[Utterance]]:
    """A task said wholly in the part of a sentence after a pause is that part's: it takes
    the part's index, and the part its own words back (media/insight/sentences.py: joined)."""
    out: list[Candidate] = []
    whole = utterances
    utterances = list(utterances)
    parts: dict[int, str] = {}  # each part's own words, restored once
    for candidate in candidates:
        start = candidate.verb_phrase.lower()[:30]
        k = candidate.index + 1
        while k < len(whole) and not whole[k].text and apart[k].text.strip():
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


def said_as(phrase: str) -> str:
    """A pattern for a phrase said as words of its own ("wednesday", not in "wednesdays")."""
    return rf"(?<!\w){re.escape(phrase)}(?!\w)"


TIME_PREPOSITION = (
    # "get the FOI in this week", "hand it in today": that "in" is the verb's, not the time's.
    r"(?:\b(?:over|during|on|in(?!\s+(?:this|next|by|before|on|until|till|today|tonight|"
    r"tomorrow)\b)|at|by|before|after|until|till|within|from|for|through)\s+)?"
)


#: A day said as the verb's object ("block out Wednesday afternoon", "keep Friday free"): the
#: task's own words, kept.
_DAY_AS_OBJECT = (
    r"^\s*(?:block|keep|book|hold|clear|free|save|reserve|pencil)(?:\s+(?:out|off|up|in))?\s+"
)


def without_due(candidate: Candidate) -> str:
    phrase = candidate.verb_phrase
    if candidate.due is not None and re.match(
        _DAY_AS_OBJECT + said_as(candidate.due.phrase), phrase, re.IGNORECASE
    ):
        return re.sub(r"\s+", " ", phrase).strip(" ,")
    if candidate.due is not None:
        # With the preposition that led to it ("review the draft over the weekend").
        phrase = re.sub(TIME_PREPOSITION + said_as(candidate.due.phrase), " ", phrase,
                        flags=re.IGNORECASE)  # fmt: skip
    return re.sub(r"\s+", " ", phrase).strip(" ,")
