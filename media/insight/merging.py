"""One item per agreed task: a request and its answer made one, a restatement or a recap
folded into the item it repeats, a pointing-back reply attached to the item it answers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from media.insight.action_grammar import (
    RECAP,
    normalise,
)
from media.insight.due import find_due
from media.insight.items import ActionItem, Candidate
from media.transcript import Utterance

#: A turn that opens with a yes.
_YES_FIRST = re.compile(
    r"^\W*(?:yes|yeah|yep|sure|ok|okay|of course|absolutely|will do|no problem)\b", re.I
)

#: A reply that takes on something else besides ("and I'll also book the room").
_ALSO = re.compile(r"\b(?:also|too|as well|another|separately|plus)\b", re.IGNORECASE)


#: An item that says only to try a way of doing it just told ("Try that with Martin").
POINTS_AT_A_WAY = re.compile(r"^(?:try|practise|practice|repeat)\s+(?:that|this)\b", re.I)


def merge_answers(
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
        wording = max((asked, item), key=lambda i: (len(stems(i.action)), i is asked))
        if not (stems(asked.action) & stems(item.action)) - people:
            wording = asked  # a yes in other words: the request said what the task is
        if (
            POINTS_AT_A_WAY.match(asked.action)
            and item.action.split()[0].lower() not in LIGHT_VERBS
        ):
            wording = item  # "try that with Martin" "I'll ask him for a coffee": the yes says
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
    if not (0 < said - first <= 2 or said in asked.sources[1:]):
        return False  # (or the yes the request was taken on with, after a question between)
    text = utterances[said].text
    if role(utterances[said].speaker) != asked.owner or _ALSO.search(text):
        return False
    shared = (stems(asked.action) & stems(item.action)) - people
    same_verb = asked.action.split()[:1] == item.action.split()[:1]
    # "Could you send me the details?" "Yes — I'll dig out the link after this call.": the
    # yes said straight after is the answer, whatever words it takes the task on in.
    yes_first = said - first == 1 and bool(_YES_FIRST.match(normalise(text)))
    return bool(shared) or same_verb or yes_first


def recap_utterances(utterances: Sequence[Utterance], candidates: list[Candidate]) -> set[int]:
    """Utterances that sum up earlier items: announced as such, or restating two or more."""
    found: set[int] = set()
    by_index: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        by_index.setdefault(candidate.index, []).append(candidate)
    stated: list[set[str]] = []
    for index, group in sorted(by_index.items()):
        restated = sum(
            any(_restates(stems(c.verb_phrase), earlier) for earlier in stated) for c in group
        )
        if restated >= 2 or (stated and RECAP.search(normalise(utterances[index].text))):
            found.add(index)
        else:
            stated.extend(stems(c.verb_phrase) for c in group if not c.anaphoric)
    return found


def _restates(words: set[str], earlier: set[str]) -> bool:
    shared = words & earlier
    return bool(shared) and len(shared) >= min(2, len(words))


def fold_into_matching(items: list[ActionItem], candidate: Candidate) -> bool:
    words = stems(candidate.verb_phrase)
    best, best_shared = -1, 0
    for k, item in enumerate(items):
        shared = len(words & stems(item.action))
        if shared > best_shared:
            best, best_shared = k, shared
    if best < 0:
        return False
    items[best] = with_source(items[best], candidate)
    return True


def with_source(item: ActionItem, candidate: Candidate) -> ActionItem:
    """The item with the candidate as one more source, and its deadline if it had none."""
    due = candidate.due
    return replace(
        item,
        due_phrase=item.due_phrase or (due.phrase if due else None),
        due_date=item.due_date or (due.date if due else None),
        sources=tuple(dict.fromkeys((*item.sources, candidate.index))),
    )


def fold_into_recent(
    items: list[ActionItem],
    candidate: Candidate,
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
            u.speaker != candidate.speaker
            and len(u.text.split()) >= 4
            # "End of the month, I think.": when, said of the same thing
            and not (len(u.text.split()) <= 6 and find_due(u.text, None) is not None)
            for u in between
        ):
            return False  # "it might be worth naming it with her" … "I'll bring it up": a new it
        items[k] = with_source(item, candidate)
        return True
    return False


def content_words(text: str) -> set[str]:
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
LIGHT_VERBS = frozenset(
    ["do", "get", "make", "have", "take", "put", "go", "try", "finish", "handle", "sort", "manage"]
)


def stems(text: str) -> set[str]:
    """Content words cut to five letters, so "intros" meets "introduce" and "draft" "drafts"."""
    return {w[:5] for w in content_words(text) if w not in _GENERIC and len(w) > 2}


def add_or_merge(items: list[ActionItem], item: ActionItem, closing: bool = False) -> None:
    """Add an item, or merge it into the same owner's item it restates. In the closing part
    of a conversation ("so: deck by Thursday, I'll talk to Venkat") a shorter mention of an
    earlier item's words restates it."""
    words = content_words(item.action)
    named = stems(item.action)
    for k, existing in enumerate(items):
        if existing.owner != item.owner:
            continue
        other = content_words(existing.action)
        restated = closing and bool(named) and named <= stems(existing.action)
        # Two verbs for one thing are two steps ("write the draft", "send the draft to
        # Ahmed"), unless nearly every word is the same.
        verbs = {existing.action.split()[0].lower(), item.action.split()[0].lower()}
        alike = 0.5 if len(verbs) == 1 or verbs & LIGHT_VERBS else 0.75
        # "ring them and pencil in the date" … "pencil the ninth": a step of it said again.
        again = (
            (len(words) <= 2 or words <= other)
            and item.sources[0] - existing.sources[-1] <= 2
            and item.action.split()[0].lower() in existing.action.lower().split()[1:]
        )
        if (
            restated
            or again
            or (words and other and len(words & other) / len(words | other) >= alike)
        ):
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
