"""Person and number in a reworded task: a verb that agrees with its new subject ("before
I'm out" → "before you are out") and a "you" that means two people ("both of you").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_FIRST_PERSON_FORMS = {"'m": "am", "'re": "are", "'ve": "have"}
_THIRD_PERSON = {"am": "is", "are": "is", "have": "has", "do": "does", "were": "was"}


def agree(verb: Any, subject: str) -> str | None:
    """The verb's form for its new subject ("you" or someone's name), or None where the
    form stays (modals, past tenses other than "was"/"were", a verb not in the present)."""
    said: str = _FIRST_PERSON_FORMS.get(verb.lower_, verb.lower_)
    space = " " if verb.text.startswith("'") else ""  # "I'm" → "you are": a word of its own
    if subject.lower() == "you":
        form = {"am": "are", "was": "were"}.get(said)
        return None if form is None else space + form
    if subject.lower() in ("we", "they") or " and " in subject:
        form = {"am": "are", "was": "were", "is": "are"}.get(said)
        return None if form is None else space + form
    if said in _THIRD_PERSON:
        return space + _THIRD_PERSON[said]
    if verb.tag_ != "VBP" or verb.pos_ not in ("VERB", "AUX"):
        return None
    if said.endswith(("s", "sh", "ch", "x", "z", "o")):
        return said + "es"
    if said.endswith("y") and len(said) > 1 and said[-2] not in "aeiou":
        return said[:-1] + "ies"
    return said + "s"


def plural_you(tokens: Sequence[Any]) -> dict[int, set[int]]:
    """Each "you" that means two people ("both of you", "the two of you", "you both"), with
    the words around it that say so."""
    found: dict[int, set[int]] = {}
    for token in tokens:
        if token.lower_ != "you":
            continue
        head = token.head
        if token.dep_ == "pobj" and head.lower_ == "of" and head.head.lower_ in ("both", "two"):
            group = head.head
            found[token.i] = {group.i, head.i} | {c.i for c in group.lefts if c.dep_ == "det"}
        else:
            after = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
            if (
                after is not None
                and after.lower_ in ("both", "two")
                and after.head.i in (token.i, token.head.i)
            ):
                found[token.i] = {after.i}
    return found
