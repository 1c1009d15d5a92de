"""What a phrase's words point back to in the conversation before it: a small, documented
coreference over the tagged turns (see media/insight/phrasing.py for the rules as a list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from media.insight.english import FILLER, MONTHS, TIMES, VAGUE, parse, tag, words

#: Pronouns and numbers a phrase may need the conversation for.
NEEDS_CONTEXT = re.compile(
    r"\b(?:it|them|this|that|those|these|one|her|him|\d+|two|three|"
    r"four|five|six|seven|eight|nine|ten|twenty|thirty|fifty)\b",
    re.I,
)
#: Pronouns that stand for one thing, and for several.
SINGULAR = frozenset(["it", "this", "that"])
PLURAL = frozenset(["them", "those", "these"])


#: Words for how many, which a thing said again leaves out ("two of them": of the days).
_HOW_MANY = frozenset(words("many much few several all both"))


def chunk_text(chunk: Any) -> str:
    # "the kiln's model", not "kiln 's"; "the QA/QC report", not "QA / QC"
    return re.sub(r" (?='s\b|')| ?/ ?", lambda m: "/" if "/" in m.group(0) else "",
                  _chunk_words(chunk))  # fmt: skip


def _chunk_words(chunk: Any) -> str:
    words = [t for t in chunk if t.lower_ not in FILLER and t.pos_ != "PUNCT"]
    if words and words[0].tag_ == "PRP$":
        return " ".join(["the", *(t.text for t in words[1:])])
    if words and words[0].lower_ in ("a", "an", "some", "any"):
        return " ".join(["the", *(t.text for t in words[1:])])
    if len(words) > 1 and words[0].lower_ in ("this", "that", "these", "those"):
        return " ".join(["the", *(t.text for t in words[1:])])  # "I found this issue": the issue
    if len(words) > 1 and (words[0].lower_ in _HOW_MANY or words[0].like_num):
        return " ".join(["the", *(t.text for t in words[1:])])  # "how many leave days"
    if words and words[0].pos_ in ("NOUN", "ADJ") and words[-1].tag_ in ("NN", "NNS"):
        return " ".join(["the", *(t.text for t in words)])  # said again, it is definite
    said = [t.text for t in words]
    if words and words[0].pos_ == "DET":
        said[0] = words[0].lower_  # "The grant proposal is due…": mid-sentence, "the"
    return " ".join(said)


def with_purpose(chunk: Any) -> str:
    """A noun phrase as said, with the "to" clause after it that says which it is ("the
    ticket to migrate the staging load balancers"), up to the sentence's end (at most twelve
    words) when it has one."""
    text = chunk_text(chunk)
    span = getattr(chunk, "span", None)
    if span is None:
        return text
    doc, end = span.doc, span.end
    if end + 1 >= len(doc) or doc[end].lower_ != "to" or doc[end + 1].tag_ != "VB":
        return text
    stop = end
    while stop < len(doc) and doc[stop].text not in (".", "?", "!", ";", ",", "—", "-", ":"):
        stop += 1
    said = [t.text_with_ws for t in doc[end:stop] if t.lower_ not in FILLER]
    if stop - end > 12 or not said:
        return text
    return f"{text} {''.join(said).strip()}"


def _noun_phrases(doc: Any) -> list[Any]:
    """Noun phrases from the tags (the small parser's chunks split "the design doc" in two):
    determiners, adjectives, numbers and nouns ending in a noun, with one "of" phrase."""
    # A turn is read for many items' pronouns: its phrases are kept with the tagged turn.
    store = getattr(doc, "user_data", None)
    if store is not None:
        if "noun_phrases" not in store:
            store["noun_phrases"] = _read_noun_phrases(doc)
        return list(store["noun_phrases"])
    return _read_noun_phrases(doc)


def _read_noun_phrases(doc: Any) -> list[Any]:
    tokens = list(doc)
    found = []
    i = 0
    while i < len(tokens):
        start = i
        while (
            i < len(tokens)
            and tokens[i].lower_ not in TIMES
            # "the other thing the trip report": a determiner after a noun starts another
            and not (i > start and tokens[i].pos_ == "DET" and tokens[i - 1].pos_ == "NOUN")
            and (
                tokens[i].pos_ in ("DET", "ADJ", "NUM", "NOUN", "PROPN")
                or tokens[i].tag_ in ("PRP$", "HYPH", "POS")
                # "the QA/QC report": one name written with a slash
                or (
                    tokens[i].text == "/"
                    and i > start
                    and i + 1 < len(tokens)
                    and tokens[i + 1].pos_ in ("NOUN", "PROPN")
                )
                # "the costing spreadsheet", "a shared query log": a gerund or participle
                # naming a noun after a determiner
                or (
                    tokens[i].tag_ in ("VBG", "VBN")
                    and i > start
                    and (tokens[start].pos_ == "DET" or tokens[start].tag_ == "PRP$")
                    and i + 1 < len(tokens)
                    and tokens[i + 1].pos_ == "NOUN"
                )
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
                # "of the abstract": the tagger takes a noun after "the" for an adjective
                # when nothing follows it.
                nominal = tokens[j - 1].pos_ == "ADJ" and tokens[j - 2].pos_ == "DET"
                if j > end + 1 and (tokens[j - 1].pos_ in ("NOUN", "PROPN") or nominal):
                    end, i = j, j
            span = doc[start:end]
            # The head is the last noun before an "of" ("the list of questions": list).
            words = [t.lower_ for t in span]
            before_of = span[: words.index("of")] if "of" in words else span
            nouns = [t for t in before_of if t.pos_ in ("NOUN", "PROPN")]
            head = nouns[-1] if nouns else span[-1]
            # "vacation days", "the kickoff meeting": a vague noun that a noun names.
            named = any(t.pos_ == "NOUN" and t.i == head.i - 1 and t.lower_ not in TIMES
                        and t.lower_ not in VAGUE for t in span)  # fmt: skip
            if (head.lower_ not in VAGUE or named) and not head.like_num:
                found.append(_Phrase(span, head))
        i = max(i + 1, end) if end <= start else i
    return _titles_joined(found)


def _titled(token: Any) -> bool:
    return bool(token.pos_ == "PROPN" and token.text[:1].isupper())


def _titles_joined(found: list[_Phrase]) -> list[_Phrase]:
    """A name with a preposition inside ("the Ceramics in the Park fair", "Festival on the
    Green") is one phrase, not a thing and where it is."""
    joined: list[_Phrase] = []
    for phrase in found:
        before = joined[-1] if joined else None
        span = phrase.span
        whole = span.doc  # ``doc`` may be a span of it: positions are the whole doc's
        if (
            before is not None
            and span.start == before.span.end + 1
            and whole[before.span.end].lower_ in ("in", "on", "at", "for")
            and _titled(before.span[-1])
            and any(_titled(t) for t in span[:2])
        ):
            joined[-1] = _Phrase(whole[before.span.start : span.end], phrase.root)
            continue
        joined.append(phrase)
    return joined


class Lazy:
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


#: A preposition and a bare noun said as one word ("of course", "in fact"): no thing.
_IDIOMS = frozenset(
    [("of", "course"), ("in", "fact"), ("in", "case"), ("in", "general"), ("in", "time"),
     ("on", "time"), ("at", "least"), ("at", "first"), ("in", "person"), ("by", "hand"),
     ("on", "leave"), ("on", "holiday"), ("on", "site"), ("on", "call"), ("on", "board"),
     ("at", "home"), ("at", "work"), ("in", "charge")]
)  # fmt: skip


_ENDS = (".", "?", "!")


def _exclaimed(token: Any) -> bool:
    """A bare noun that is a sentence of its own with at most interjections ("Ha, classic.",
    "Nice!"): a remark on what was said."""
    doc, k = token.doc, token.i
    left = k - 1
    while left >= 0 and doc[left].text not in _ENDS:
        if doc[left].pos_ not in ("INTJ", "PUNCT"):
            return False
        left -= 1
    right = k + 1
    while right < len(doc) and doc[right].text not in _ENDS:
        if doc[right].pos_ != "PUNCT":
            return False
        right += 1
    return bool(right < len(doc))  # said and ended, not a word cut off at the turn's end


#: Words a person is called by in talk to them ("sir", "mate", "chef").
_ADDRESSES = frozenset(
    words("sir madam maam ma'am mate boss chef coach doc miss guys folks dude bro pal love")
)


#: Words that name no thing alone: answers a tagger may read as a noun at the start of a
#: turn ("Aye, it does."), and pronouns that stand for a thing themselves ("Mine runs out in
#: April": the medical).
_NO_THING_ALONE = frozenset(
    words("aye yeah yep yup yes nope nah ok okay hmm mm ja sawa mine yours hers ours theirs")
)


def _not_a_referent(chunk: _Phrase) -> bool:
    """Noun phrases that name no thing a pronoun could stand for: a name called out at the
    start ("Arre, you'll be fine", "Sam, can you"), a day or month, and a predicate ("it's
    low risk", "that's a separate conversation")."""
    span = chunk.span
    doc = span.doc
    first, after = span[0], span.end
    if chunk.root.lower_ in MONTHS or chunk.root.lower_ in TIMES:
        return True
    if len(span) == 1 and first.lower_ in _NO_THING_ALONE:
        return True  # "Aye, it does.": a yes the tagger took for a name; "mine": another
    if chunk.root.lower_ in _ADDRESSES and len([t for t in span if t.pos_ != "DET"]) == 1:
        return True  # "can I give it by Monday, sir?": whom it is said to, no thing
    at_start = first.i == 0 or doc[first.i - 1].text in (".", "?", "!", ":", ";")
    if at_start and chunk.root.pos_ == "PROPN" and after < len(doc) and doc[after].text == ",":
        return True
    before = doc[first.i - 1] if first.i > 0 else None
    if before is not None and len(span) == 1 and (before.lower_, first.lower_) in _IDIOMS:
        return True  # "yes, of course I'll send it": no course
    if chunk.root.lower_ in _AMOUNTS and not any(c.dep_ == "prep" for c in chunk.root.children):
        return True  # "they've changed heaps": how much, no thing
    if (
        len(span) == 1
        and before is not None
        and before.text == ","
        and after + 1 < len(doc)
        and doc[after].text == ","
        and (
            doc[after + 1].pos_ in ("DET", "NOUN", "PROPN", "ADJ") or doc[after + 1].tag_ == "PRP$"
        )
    ):
        return True  # "Now, sha, your syringe driver sign-off": whom it is said to
    if len(span) == 1 and _exclaimed(first):
        return True  # "Ha, classic.": a remark, no thing
    if before is None or before.lemma_ != "be":
        return False
    # "the finish is a separate conversation": what something is, not a thing of its own
    # ("there's a course in March" brings one in).
    brought = first.i > 1 and doc[first.i - 2].lower_ in ("there", "here")
    if first.lower_ in ("a", "an") and not brought:
        return True
    return first.pos_ not in ("DET", "PROPN") and first.tag_ != "PRP$"


#: Words for an amount said as a noun ("heaps", "a lot"), no thing of their own without "of".
_AMOUNTS = frozenset(words("lot lots heaps heap loads tons bunch plenty bit bits"))


def _introduced(chunk: _Phrase) -> bool:
    """Brought in by "there's" / "here's" / "I've got": what the sentence is about ("I've
    got a cheat sheet, alpha and beta angles and everything. Shall I send it?": the cheat
    sheet). Read from the words alone (the turns before are tagged, not parsed)."""
    doc, start = chunk.span.doc, chunk.span.start
    words = [t.lower_ for t in doc[max(0, start - 3) : start]]
    if (
        words
        and any(w in ("there", "here") for w in words[-2:])
        and any(w in ("is", "'s", "are", "was") for w in words[-2:])
    ):
        return True
    # "I've got a checklist", "we have a template", "I have got one of those"
    return bool(re.search(r"\b(?:i|we)\s+(?:(?:have|'ve)\s+)?(?:got|have)$", " ".join(words)))


_LEADING = frozenset(words("and so now okay ok right then also but well oh"))


def _opens_last_sentence(chunk: _Phrase, chunks: Sequence[_Phrase]) -> bool:
    """The phrase that opens the sentence holding the turn's last phrases ("And the vendor
    cost comparison you were working on, for the Thai quotes?"): its topic, or its
    subject, which a pronoun after it stands for before the things said of it."""
    doc = chunk.span.doc
    last = chunks[-1].span.start if chunks else -1
    k = chunk.span.start - 1
    while k >= 0 and (doc[k].lower_ in _LEADING or doc[k].pos_ in ("PUNCT", "INTJ")):
        if doc[k].text in _ENDS:
            break
        k -= 1
    if k >= 0 and doc[k].text not in _ENDS:
        return False  # words before it in its sentence
    if chunk.span[0].pos_ != "DET" and chunk.span[0].tag_ != "PRP$":
        return False  # "Weekly is fine": a bare word, no thing brought up
    return not any(t.text in _ENDS for t in doc[chunk.span.start : last])


_LISTS = tuple(words("checklist playlist wishlist shortlist blacklist whitelist watchlist setlist"))


def _a_size(chunk: _Phrase) -> bool:
    """A number and its noun said as a sentence of their own ("One page.", "Two weeks?")."""
    span, doc = chunk.span, chunk.span.doc
    if not span[0].like_num:
        return False
    before = doc[span.start - 1].text if span.start > 0 else "."
    after = doc[span.end].text if span.end < len(doc) else "."
    return before in _ENDS and after in _ENDS


def _attached(chunk: _Phrase) -> bool:
    """A noun phrase that only says more about the one before it ("in bay two" after "the
    torque wrench"): a preposition between them, a noun just before the preposition."""
    start, doc = chunk.span.start, chunk.span.doc
    return bool(
        start >= 2
        and doc[start - 1].pos_ == "ADP"
        and doc[start - 1].lower_ not in ("of",)  # "the draft of the report" is one phrase
        and doc[start - 2].pos_ in ("NOUN", "PROPN", "NUM")
    )


def _recipient(chunk: _Phrase) -> bool:
    """A name that something goes to or is done with ("to Amir", "with Dr Lin"): a person."""
    span, doc = chunk.span, chunk.span.doc
    return bool(
        chunk.root.pos_ == "PROPN"
        and all(t.pos_ == "PROPN" and _NAME_WORD.match(t.text) for t in span if t.pos_ != "DET")
        and span.start > 0
        and doc[span.start - 1].lower_ in ("to", "with", "from", "cc")
    )


#: Nouns for a group of people, which "them" may stand for ("the data team… a meeting with
#: them").
GROUPS = frozenset(
    words(
        "team office support service department committee board panel company client vendor "
        "supplier school council agency lab group staff crew union desk family practice "
        "surgery clinic helpline hr it finance legal admissions registry faculty unit ward "
        "charity firm partners"
    )
)


def is_person_noun(token: Any) -> bool:
    """ "the recruiter", "my roommate", "a biologist": a noun for a person, which "it" is not."""
    word = token.lemma_.lower()
    # "-ist" names people ("journalist", "therapist"), but not lists ("checklist").
    trade = len(word) >= 7 and word.endswith("ist") and not word.endswith(_LISTS)
    return bool(word in ROLES or word in _PERSON_NOUNS or trade)


def antecedent(
    pronoun: str,
    context: Sequence[Any],
    people: set[str],
    besides: Iterable[str] = (),
    groups: bool = False,
) -> Any | None:
    """The noun phrase a pronoun stands for (see media/insight/phrasing.py). ``besides``:
    nouns of the pronoun's own phrase, which it does not stand for ("send it off for
    calibration" after "it needs calibration"). With ``groups``, "them" is people reached
    ("ring them"), who may be a group said as one ("peer support", "the data team")."""
    plural = pronoun in PLURAL
    own = {word.lower() for word in besides}
    # Whoever is named as a person anywhere in the context ("send it to Gloria… let her
    # take it"): "it" is none of them.
    named = {word for doc in context for name in _names(doc, people) for word in name.split()}
    for back, doc in enumerate(reversed(context)):
        chunks = [c for c in _noun_phrases(doc) if not _not_a_referent(c)]
        # "there's the ticket to migrate…": what a sentence brings in is what it is about.
        said = list(chunks)
        chunks.sort(key=lambda c: (_introduced(c), _opens_last_sentence(c, said)))
        for chunk in reversed(chunks):
            if chunk.root.lower_ in people:
                continue
            if not plural and (
                is_person_noun(chunk.root) or _recipient(chunk) or chunk.root.text in named
            ):
                continue  # "send it to him", "circulate it to Amir": "it" is no one
            if _attached(chunk):
                continue  # "the torque wrench in bay two": the wrench, not the bay
            if _a_size(chunk):
                continue  # "… a short proposal for Colin? One page.": how big, not what
            if chunk.root.lower_ in own:
                continue
            is_plural = chunk.root.tag_ in ("NNS", "NNPS")
            if groups and back <= 2 and chunk.root.lemma_.lower() in GROUPS:
                return chunk  # "giving peer support a bell… I'll ring them"
            if chunk.root.pos_ == "PROPN" and pronoun in PLURAL:
                continue
            if is_plural == plural:
                return chunk
    return None


#: How a person's name is written: a capital, then small letters ("Maria", "Jean-Luc",
#: "O'Brien", "McKenzie"); not a domain, an acronym or a CamelCase product.
_NAME_WORD = re.compile(r"^(?:Mc|Mac|O'|D'|De|Di|La|Le)?[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*$")


def _names(doc: Any, people: set[str], *, sure: bool = True) -> Iterator[str]:
    """The runs of proper nouns in a turn that name someone besides the pair, latest first;
    with ``sure`` off, also a capital at a sentence's start that may be a name."""
    tokens = list(doc)
    for k in range(len(tokens) - 1, -1, -1):
        token = tokens[k]
        if token.pos_ != "PROPN" or token.lower_ in people or token.lower_ in FILLER:
            continue
        if not _NAME_WORD.match(token.text):
            continue  # "levels.fyi", "LinkedIn", "Q4": a product or a thing, not her
        if k > 0 and (tokens[k - 1].tag_ == "PRP$" or tokens[k - 1].pos_ == "DET"):
            continue  # "my English", "the Focus": a thing someone has, not someone
        if token.lower_ in TIMES or token.lower_ in MONTHS:
            continue  # "until Friday": a day, not who "her" is
        at_start = k == 0 or tokens[k - 1].text in (".", "?", "!", ":")
        acts = k + 1 < len(tokens) and tokens[k + 1].tag_ in ("VBD", "VBZ", "MD", "RB")
        if sure and at_start and not (acts and tokens[k + 1].lower_ not in ("'s", "is")):
            # A capital at a sentence's start says nothing ("Email's better"), unless
            # the word is the subject of what follows ("Katrin still has to sign").
            continue
        start = k
        while start > 0 and tokens[start - 1].pos_ == "PROPN":
            start -= 1
        if k + 1 < len(tokens) and tokens[k + 1].pos_ == "PROPN":
            continue  # the run goes on: take it from its last word
        yield " ".join(t.text for t in tokens[start : k + 1])


def named_person(context: Sequence[Any], people: set[str]) -> str | None:
    """The latest run of proper nouns ("Professor Lin") that is not one of the pair."""
    for doc in reversed(context):
        for name in _names(doc, people):
            return name
    return None


def sole_person(mentions: Iterable[Any], people: set[str]) -> str | None:
    """The one person besides the pair named so far in the conversation, in their fullest
    form ("Patrick", or "Professor Lin" for "Lin"), or None when nobody or several were:
    "him" said long after one colleague was named is that colleague, but with two named
    there is no telling whom (names carry no gender here)."""
    only: str | None = None
    maybe: set[str] = set()
    for doc in mentions:
        for name in _names(doc, people):
            if only is None or (len(name) > len(only) and set(only.split()) <= set(name.split())):
                only = name
            elif not set(name.split()) & set(only.split()):
                return None  # a second person
        maybe.update(_names(doc, people, sure=False))
    if only is None or any(not set(n.split()) & set(only.split()) for n in maybe):
        return None  # "Daniel and Oliver reviewed it": a name may open a sentence too
    return only


#: Nouns for the people around the pair, whom "her" or "him" may stand for when no one was
#: named ("call the recruiter?" … "I'll email her").
ROLES = frozenset(
    words(
        "manager boss advisor adviser supervisor recruiter lawyer client professor teacher "
        "colleague coworker director lead editor reviewer principal doctor counselor coach "
        "landlord partner interviewer customer founder ceo cfo cto chair examiner tutor "
        "friend sister brother mother father mom dad wife husband assessor mentor head "
        "officer contact engineer designer analyst roommate flatmate neighbour neighbor "
        "intern student candidate superintendent inspector sergeant constable foreman "
        "captain skipper vicar priest nurse surgeon consultant solicitor barrister judge "
        "magistrate clerk auditor accountant architect plumber electrician apprentice "
        "tenant buyer seller dispatcher volunteer trustee governor councillor mayor "
        "officer coordinator administrator receptionist technician"
    )
)


#: Other nouns for people (ROLES holds those a task is often for).
_PERSON_NOUNS = frozenset(
    words(
        "person people guy girl boy woman man kid child hire member reader parent someone "
        "somebody anyone everyone nobody team committee panel crew staff family audience"
    )
)


def named_role(context: Sequence[Any], people: set[str]) -> str | None:
    """The latest person named by a role ("the recruiter", "your manager"), as a definite
    noun phrase ("the manager"), or None."""
    for doc in reversed(context):
        for chunk in reversed(_noun_phrases(doc)):
            root = chunk.root
            if root.lemma_.lower() not in ROLES or root.tag_ != "NN" or _not_a_referent(chunk):
                continue
            if any(t.lower_ in ("old", "former", "previous", "ex") for t in chunk):
                continue  # someone from before ("my old manager would…"), not whom a task is for
            start = chunk.span.start
            if start > 0 and chunk.span.doc[start - 1].lemma_ == "be":
                continue  # what someone is ("I don't want to be that manager"), not who
            return chunk_text(chunk)
    return None


#: Modifiers that say nothing about which thing is meant ("the other one", "a quick email").
_UNNAMING = frozenset(
    words(
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
        if token.lower_ in _UNNAMING or token.lower_ in FILLER or token.like_num:
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


def fuller(token: Any, earlier: Iterable[Any], people: set[str]) -> str:
    """The words that named a bare noun ("the draft", "your deck") when it was last said in
    full ("the design doc draft", "a seed pitch deck"), with a space after; "" if none."""
    # Its own naming words, as parsed or just before it ("the sepsis e-learning module").
    own = {t.lower_ for c in token.lefts for t in c.subtree}
    own |= {t.lower_ for t in token.doc[max(0, token.i - 4) : token.i]}
    own |= {t.lower_ for t in token.subtree}  # "the streets around Cooper Street"
    if any(c.dep_ in ("compound", "nmod") for c in token.lefts) or token.lower_ in VAGUE:
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


def counted(context: Sequence[Any]) -> str | None:
    for doc in reversed(context):
        tokens = list(doc)
        for k in range(len(tokens) - 1, 0, -1):
            if tokens[k].pos_ == "NOUN" and tokens[k - 1].like_num:
                return str(tokens[k].text)
    return None


#: Nouns that name a kind of deliverable, not what it is about ("notes", "a summary"), with
#: the preposition that says what it is about.
OPEN_NOUNS: dict[str, str] = {
    **dict.fromkeys(words("feedback notes comments edits thoughts input pointers"), "on"),
    **dict.fromkeys(words("summary outline writeup rehearsal walkthrough"), "of"),
}
#: "a dry run", "a practice run": a run of something.
_RUNS = frozenset(words("dry practice test trial"))
#: Prepositions after an open noun that already say what it is about.
_ABOUT = frozenset(words("on of about for regarding re over around"))
_RECIPIENTS = frozenset(words("me you him her us them"))


def is_open(token: Any) -> bool:
    """An open noun said without a definite word or anything after it that says what it is
    about ("I'll give you notes" is open; "notes on the intro", "those notes" are not)."""
    run = token.lower_ == "run" and any(c.lower_ in _RUNS for c in token.lefts)
    if token.lemma_.lower() not in OPEN_NOUNS and token.lower_ not in OPEN_NOUNS and not run:
        return False
    if any(c.dep_ == "poss" or (c.dep_ == "det" and c.lower_ not in ("a", "an", "some"))
           for c in token.lefts):  # fmt: skip
        return False
    return not any(
        c.dep_ in ("acl", "relcl") or (c.dep_ == "prep" and c.lower_ in _ABOUT)
        for c in token.rights
    )


def handed_over(lead: Any, context: Sequence[Any], people: set[str]) -> str | None:
    """The thing the start of a turn hands over or acts on ("send me the case study, and I'll
    give you feedback": the case study; "send it to me…": what "it" stands for): the latest
    object said right after a verb (and its recipient), as a noun phrase."""
    tokens = list(lead)
    for k in range(len(tokens) - 1, 0, -1):
        token = tokens[k]
        before = tokens[k - 1]
        if before.lower_ in _RECIPIENTS and k > 1:
            before = tokens[k - 2]
        if before.pos_ != "VERB":
            continue
        if token.lower_ in SINGULAR | PLURAL and token.lower_ not in ("this", "that"):
            found = antecedent(token.lower_, [*context, lead[:k]], people)
            return chunk_text(found) if found is not None else None
        phrases = _noun_phrases(lead[k:])
        chunk = next((c for c in phrases if c.span.start == token.i), None)
        if chunk is None or _not_a_referent(chunk) or chunk.root.lower_ in people:
            continue
        words = [t.text for t in chunk if t.lower_ not in FILLER and t.pos_ != "PUNCT"]
        if words and words[0].lower() in ("one", "a", "an", "some", "any", "my", "your"):
            words = ["the", *words[1:]]  # "you write one page…, I'll send comments": on the page
        elif words and chunk.span[0].like_num:
            words = ["the", *words]
        # What the thing is about says which it is ("one page on the aims").
        end = chunk.span.end
        after = next((c for c in phrases if c.span.start == end + 1), None)
        if after is not None and lead.doc[end].lower_ in ("on", "about", "of", "for"):
            words += [lead.doc[end].lower_, chunk_text(after)]
        return " ".join(words)
    return None


#: Nouns for a version of a piece of writing, which is of the piece ("a draft of the email").
VERSIONS = frozenset(words("draft drafts"))
#: What people write and hand over for comments, so what a bare "draft" is a draft of.
WRITINGS = frozenset(
    words(
        "doc docs document report email letter deck proposal paper chapter plan application "
        "essay abstract section resume cv brief memo post article thesis statement story "
        "script pitch spec rfc prd summary outline writeup presentation slides manuscript "
        "submission review rebuttal cover"
    )
)


def is_bare_version(token: Any) -> bool:
    """ "the draft", "a rough draft", "your draft": a version said without what it is of
    ("the draft budget", "a draft of the email" and "the draft I sent" say it)."""
    if token.lemma_.lower() not in VERSIONS and token.lower_ not in VERSIONS:
        return False
    if any(c.dep_ in ("compound", "nmod", "poss") and c.tag_ != "PRP$" for c in token.lefts):
        return False
    return not any(c.dep_ in ("prep", "acl", "relcl", "appos") for c in token.rights)


def written_thing(context: Sequence[Any], people: set[str]) -> str | None:
    """The latest piece of writing named in the context ("the court report", "the email"), as
    a definite noun phrase, or None."""
    for doc in reversed(context):
        for chunk in reversed(_noun_phrases(doc)):
            root = chunk.root
            if root.lower_ in people or _not_a_referent(chunk):
                continue
            if root.lemma_.lower() in WRITINGS and root.lemma_.lower() not in VERSIONS:
                words = [t for t in chunk if t.lower_ not in VERSIONS]
                return chunk_text(words) if words else None
    return None


def named_event(lead: str) -> str | None:
    """The thing a turn named alone just before its task ("And the moderation meeting at
    Beecroft, Wednesday after school. Let's both go."): the noun phrase of its last sentence,
    when that sentence has no verb of its own."""
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", lead.strip()) if s.strip()]
    if sentences and not sentences[-1].endswith((".", "?", "!")):
        sentences = sentences[:-1]  # the start of the task's own sentence ("Let's both")
    if not sentences:
        return None
    doc = parse(sentences[-1])
    head = next((t for t in doc if t.dep_ == "ROOT"), None)
    if head is not None and head.lemma_.lower() in ("have", "get"):
        # "Dr Amin has a family meeting on Wednesday": what someone has on
        head = next((c for c in head.children if c.dep_ == "dobj"), None)
    elif any(t.pos_ in ("VERB", "AUX") for t in doc):
        return None
    if head is None or head.pos_ not in ("NOUN", "PROPN") or head.lower_ in TIMES:
        return None
    words = [t for t in head.subtree if t.pos_ != "PUNCT" and t.lower_ not in FILLER]
    while words and words[0].pos_ in ("CCONJ", "ADV", "INTJ"):
        words = words[1:]
    # "…at Beecroft, Wednesday after school", "on Wednesday for Mrs Kaur": the day says
    # when, not which (with its "on", and what it alone governs)
    when = {t.i for t in words if t.lower_ in TIMES or t.lower_ in MONTHS}
    for t in list(words):
        if t.i in when:
            when |= {c.i for c in t.subtree}
            if t.head.pos_ == "ADP" and len(list(t.head.children)) == 1:
                when.add(t.head.i)
    words = [t for t in words if t.i not in when]
    while words and words[-1].pos_ in ("ADP", "CCONJ", "DET"):
        words = words[:-1]
    if not words or words[0].pos_ != "DET":
        return None
    first = "the" if words[0].tag_ == "PRP$" or words[0].lower_ in ("a", "an") else words[0].lower_
    return " ".join([first, *(t.text for t in words[1:])])
