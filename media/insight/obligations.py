"""Things said to need doing, with no one named to do them: "the form needs to go in to
Sandra by the 30th", "the template needs updating", "the client wants the voicing done".

Each is read as a task worded "get the form in to Sandra"; :mod:`media.insight.actions` makes
it an item only once someone takes it on in words.
"""

from __future__ import annotations

import re

from media.insight.action_grammar import HYPOTHETICAL, NEGATED, REPORTED, normalise
from media.insight.english import base_form, participle, tag, words

#: "The review form needs to go in to Sandra by the 30th", "your peer review has to be logged
#: with the Board": a thing that must be done, said without who will do it.
_OBLIGATION = re.compile(
    # at the clause's start, or after a "but"/"and" ("…wait for that, but the CPD log needs…")
    r"\b"
    r"(?:(?:and|so|okay|ok|um|uh|also|oh|right|then|but|now)\s*,?\s+)*"
    r"(?:(?:the other thing|one more thing|another thing)\s*,?\s+)?"
    r"(?P<thing>(?:the|your|my|our|this|that)\s+"
    r"(?:(?:in|of|on|for|at)\s+the\s+|(?!(?:the|a|an|that|which|our|your|my|their|said|says|"
    r"told|is|was|are|were)\b)[\w'/-]+\s+){0,6}?[\w'/-]+"
    # "your CEUs. Those have got to be in to the board": what was just named
    r"|that|those|it|this|these|they)\s+"
    r"(?:(?:that|which)\s+)?"  # "the permit return that needs to go to DOC"
    r"(?:(?:needs to|need to|has to|have to|has got to|have got to|must|will need to)\s+"
    r"(?:be\s+(?P<done>[a-z]+(?:ed|en|wn|ne|lt|nt|ght))|go\s+(?P<where>in|off|out|back|up|to)|"
    r"be\s+(?P<at>in|with|back|out|off|up|on))|"
    r"needs\s+(?P<doing>[a-z]{2,}ing))\b"  # "the template needs updating"
    r"(?P<rest>[^.?!;]*)",
    re.IGNORECASE,
)


#: Where a new clause starts after what needs doing: what happens if not, and what else is so.
_WHAT_FOLLOWS = re.compile(
    r",?\s+\b(?:or|otherwise|and|because|cos|so|but)\s+(?=(?:the|your|they|you|we|it|i|he|she|"
    r"that|there)\b)",
    re.IGNORECASE,
)


def _names_a_topic(sentence: str) -> bool:
    """Whether a sentence only names a thing, with no verb ("Now, your CEUs.")."""
    doc = tag(sentence)
    return any(t.pos_ in ("NOUN", "PROPN") for t in doc) and not any(
        t.pos_ in ("VERB", "AUX") for t in doc
    )


#: Someone else wanting a thing done ("the client wants the voicing done before their
#: party"): as much a thing that needs doing, once someone takes it on.
_WANTED_DONE = re.compile(
    r"\b(?:wants?|would like|needs?|is expecting|are expecting)\s+"
    r"(?P<thing>(?:the|a|an|your|my|our|this|that|their|his|her)\s+"
    r"(?:(?!(?:the|a|an|that|which|to)\b)[\w'/-]+\s+){0,5}?[\w'/-]+)\s+"
    r"(?P<done>(?!(?:need|seed|feed|speed|bed|red|shed)\b)[a-z]+(?:ed|en|wn|ne|lt|nt|ght))\b"
    r"(?P<rest>[^.?!;]*)",
    re.IGNORECASE,
)


def match_obligation(clause: str, before: str = "") -> tuple[str, str, float] | None:
    """("obligation", the task as "get the thing done…", confidence) for a thing said to
    need doing; an item only when someone takes it on in words (media/insight/actions.py).
    ``before``: the sentence said just before. A pronoun ("Those have got to be in…") stands
    for a thing only when that sentence named it alone ("Now, your CEUs."); otherwise it
    most likely restates a task already asked for ("it must be in by the fourth")."""
    text = normalise(clause)
    said = _OBLIGATION.search(text)
    if said is None:
        return _wanted_done(text)
    if _ASKED_ABOUT.search(text[: said.start("thing")]):
        return None  # "when does it need to be in?": a question about it
    rest = _WHAT_FOLLOWS.split(said.group("rest"))[0]  # "…, or your certification's in trouble"
    own = text[: said.start("rest") + len(rest)]  # not "…, or they won't sign it off"
    if HYPOTHETICAL.search(own) or NEGATED.search(own):
        return None
    at = {"with": "to"}.get(said.group("at"), said.group("at"))  # "be with Johan": get it to him
    how = said.group("done") or said.group("where") or at or participle(said.group("doing"))
    if not how:
        return None
    article, _, thing = said.group("thing").partition(" ")
    if not thing and not (before and _names_a_topic(before)):
        return None
    named = f"{article.lower()} {thing}" if thing else article.lower()
    done = said.group("done") or participle(said.group("doing"))
    return "obligation", _worded(named, how if done else "", how, rest), 0.7


#: Done to a thing by someone other than whoever takes it on ("needs to be signed", "has to be
#: seen"), or saying nothing of how ("done"): "get it signed", not "sign it".
_DONE_BY_OTHERS = frozenset(
    words(
        "done sorted signed countersigned approved authorised authorized seen observed assessed "
        "reviewed marked verified inspected validated examined certified accredited endorsed "
        "checked tested interviewed vetted cleared passed ratified audited moderated"
    )
)
_PARTICLE = re.compile(r"^\s+(off|up|in|out|back|over|down)\b", re.IGNORECASE)
#: Who else does it ("signed by the head"), not by when ("by the 30th", "by Friday").
_BY_SOMEONE = re.compile(
    r"\bby\s+(?!(?:the\s+)?(?:\d|end|start|beginning|middle|close|next|this|last|first|"
    r"tomorrow|tonight|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"noon|midday|lunch|then|eod|cob|\w+(?:st|nd|rd|th)\b))",
    re.IGNORECASE,
)


def _worded(named: str, done: str, how: str, rest: str) -> str:
    """ "file the first appeal…" for "the first appeal has to be filed…", where the one who
    takes it on does it; else "get the form signed…", "get the log in to the college"."""
    base = base_form(done) if done and done.lower() not in _DONE_BY_OTHERS else ""
    if base and not _BY_SOMEONE.search(rest):
        particle = _PARTICLE.match(rest)
        if particle:  # "get the alarm set up" → "set up the alarm"
            base, rest = f"{base} {particle.group(1).lower()}", rest[particle.end() :]
        return f"{base} {named}{rest}".strip(" ,")
    return f"get {named} {how}{rest}".strip(" ,")


_ASKED_ABOUT = re.compile(r"\b(?:when|what|how|why|where|does|do|did)\s+(?:\w+\s+)?$", re.I)


def _wanted_done(text: str) -> tuple[str, str, float] | None:
    said = _WANTED_DONE.search(text)
    if said is None or not base_form(said.group("done")):
        return None  # "they want a further statement": no thing done
    wisher = re.search(r"\b(i|we|you)\s+(?:\w+\s+)?$", text[: said.start()], re.I)
    ours = wisher is not None and wisher.group(1).lower() == "we"
    if wisher and not (ours and said.group(0).lower().startswith("need")):
        # "I want the draft done": the speaker's own wish, a request if any ("we need a
        # scenario written" is the work's, for whoever takes it on)
        return None
    rest = _WHAT_FOLLOWS.split(said.group("rest"))[0]
    own = text[: said.start("rest") + len(rest)]
    if HYPOTHETICAL.search(own) or NEGATED.search(own) or REPORTED.search(own):
        return None
    article, _, thing = said.group("thing").partition(" ")
    article = "the" if article.lower() in ("their", "his", "her", "your", "my", "our") else article
    done = said.group("done")
    return "obligation", _worded(f"{article.lower()} {thing}", done, done, rest), 0.7
