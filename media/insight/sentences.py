"""Sentences as they were said, from turns a recogniser printed: a sentence a pause cut in
two made whole, and apostrophes and sentence breaks for turns without punctuation.

A recogniser may print a turn as one run of lowercase words ("let me send you the costing
spreadsheet we use fill it in for your three specials send it back by sunday"); the clause
grammar reads sentences, so such a turn would be one clause. Breaks are put back from the
parts of speech, where a new sentence is plain:

- before an imperative: a base-form verb followed by what it acts on ("fill it", "send us",
  "get the"), after a word that can end a clause (a noun, a number, a particle, an object
  pronoun, a past participle, a time word such as "tonight"); adverbs that lead into the
  verb go with it ("… this week. actually get it in by friday"); a verb after "and" is the
  same sentence's next step, and one after "let me" or "help me" is what those ask for;
- before a new subject with a modal ("… by tomorrow i'll mark it up"), unless a wh-word just
  before makes it a clause inside the sentence ("who knows what team i'll have");
- before a day said to fix a time ("i will do that next wednesday is fine"), before a
  "there's" or "here's" after a finished clause ("… the refresher there's one in february"),
  and before "they're"/"it's" saying where or what ("… tonight they're on my laptop"; not
  "the plans they're using");
- after a lead-in ("here's what i want you to do pull up…") and before "so please…" after a
  finished clause ("many people do so please repeat it").

A turn printed without a single apostrophe gets those of its contractions back first ("ill
ring her" → "i'll ring her", "dont", "youre", "id like", "lets go"). Turns that have any
punctuation are left as they are: the recogniser has said where its
sentences end. Pure function of its inputs (the tagger is media/insight/english.py's).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from media.insight.english import TIMES, is_verb, prepare, tag, words
from media.transcript import Utterance

#: Words that lead into the verb after them ("and just ask her", "so please repeat it").
_LEAD_IN = frozenset(
    words(
        "and so then also just actually really definitely please maybe now first quickly "
        "still okay ok alright right yeah yes"
    )
)
#: Words that comment on the statement after them.
_COMMENTS = frozenset(words("honestly seriously basically obviously frankly actually really"))
#: Verbs in base form that are not told to anyone ("you know", "i mean", "i guess").
_NOT_IMPERATIVE = frozenset(
    words(
        "know think mean guess suppose say feel want need like love hope wish bet reckon be "
        "am are is was were been do does did have has had"
    )
)
#: What a told verb is followed by: what it acts on, a particle or a preposition.
_OBJECT_TAGS = frozenset(["PRP", "PRP$", "DT", "NN", "NNS", "NNP", "NNPS", "RP", "IN", "CD", "JJ"])
#: Tags of a word that can end a clause.
_CLAUSE_END_TAGS = frozenset(["NN", "NNS", "NNP", "NNPS", "CD", "RP", "VBN", "JJ"])
_ACTED_ON = frozenset(words("it them me us him her"))
#: Words opening a condition the verb after may still belong to ("any problem, ring me").
_CONDITIONS = frozenset(words("any anything if whenever when unless"))
_OBJECT_PRONOUNS = frozenset(words("it them me us him her this that those these"))
_TIME_WORDS = frozenset(
    words(
        "tonight today tomorrow anyway eventually though too later again back soon yesterday "
        "instead"
    )
)
_SUBJECTS = frozenset(words("i we you they he she"))
_HEDGES = frozenset(words("maybe perhaps someday probably hopefully possibly"))
_SUBORDINATORS = frozenset(words("if when once unless whenever anytime"))
#: Punctuation that says where the recogniser's sentences end.
_PUNCTUATED = re.compile(r"[.?!,;:]")


def _ends_clause(token: Any) -> bool:
    return bool(
        token.tag_ in _CLAUSE_END_TAGS
        or token.lower_ in _OBJECT_PRONOUNS
        or token.lower_ in _TIME_WORDS
    )


#: Contractions a recogniser may print without their apostrophe, that are no other word.
_NOT = words(
    "dont cant didnt doesnt isnt arent wasnt werent couldnt shouldnt wouldnt havent "
    "hasnt hadnt wont"
)
_WITH = words("youre theyre youll theyll youve weve theyve")
_BARE_CONTRACTIONS = {
    **{w: w[:-1] + "'" + w[-1] for w in (*_NOT, *words("youd theyd hed"))},
    **{w: w[:-2] + "'" + w[-2:] for w in _WITH},
    **dict(
        zip(
            words("im ive hes shes thats whats theres heres itll todays tomorrows tonights"),
            words(
                "i'm i've he's she's that's what's there's here's it'll today's tomorrow's "
                "tonight's"
            ),
            strict=True,
        )
    ),
}
#: Ones that are also words: "ill" is "I'll" unless someone is ill, "id" before what one
#: would do is "I'd", "lets" before a verb is "let's".
_ILL_BEFORE = frozenset(
    words(
        "is was am are be been being feel feels felt feeling fell get gets got look looks "
        "looked very so too quite really seriously mentally critically terminally"
    )
)
_DEGREE = frozenset(words("so very too quite really seriously"))
_AFTER_STATE = frozenset(
    words("that and i to with at in for last this today yesterday lately but so or as")
)
_ILL_AFTER = frozenset(words("health effect effects feeling advised prepared equipped informed"))
_ID_AFTER = frozenset(
    words(
        "like love rather say suggest recommend prefer be have go do need want think "
        "probably just really also actually never definitely"
    )
)
_LETS_BEFORE = frozenset(words("it this that which he she"))
_OPENERS = frozenset(words("and so then okay ok right yeah yes well now but maybe just alright"))
_OPENERS |= {""}
_ITS_AFTER = frozenset(
    words(
        "okay ok fine alright not just been going gonna a an the all really so too only on in "
        "my your about still actually probably quite pretty very good great bad hard easy done "
        "ready no like worth better easier"
    )
)
#: Words after which "well" is how something goes ("it works well go ahead"), not "we'll".
_WELL_BEFORE = frozenset(
    words(
        "as very pretty quite really so too went going goes go works work worked working "
        "do does did doing done is was are were be been sleep slept played play oh"
    )
)
_LETS_AFTER = frozenset(
    words(
        "do go get say try meet talk see start make have look book catch set plan put pick "
        "all just not"
    )
)


def with_apostrophes(text: str) -> str:
    """A lowercase turn printed with no apostrophe at all gets them back in its
    contractions ("ill ring her" → "i'll ring her", "dont" → "don't")."""
    if "'" in text or "\u2019" in text or text != text.lower():
        return text
    said = text.split(" ")
    out = []
    for k, word in enumerate(said):
        before = said[k - 1] if k > 0 else ""
        after = said[k + 1] if k + 1 < len(said) else ""
        # "so ill catch it up": after "so" or "really" it is sick only before what a
        # state is followed by ("so ill that", "really ill last week").
        degree = before in _DEGREE and after not in _AFTER_STATE
        if (
            word == "ill"
            and after
            and (before not in _ILL_BEFORE or degree)
            and (after not in _ILL_AFTER)
        ):
            word = "i'll"
        elif word == "id" and after in _ID_AFTER:
            word = "i'd"
        elif word == "lets" and (
            after == "both"  # "for it lets both go through it": only ever a proposal
            or (after in _LETS_AFTER and before not in _LETS_BEFORE)
            or (is_verb(after) and before in _OPENERS)  # not "the app lets staff book"
        ):
            word = "let's"
        elif word == "well" and is_verb(after) and before not in _WELL_BEFORE:
            word = "we'll"  # "and well listen to them together": "well" before a verb
        elif word == "its" and after in _ITS_AFTER:
            word = "it's"  # "its okay my cousin will": a possessive "its" comes before a noun
        out.append(_BARE_CONTRACTIONS.get(word, word))
    return " ".join(out)


def _unpunctuated(text: str) -> bool:
    return not _PUNCTUATED.search(text) and len(text.split()) >= 6


def _agrees(tokens: Sequence[Any], k: int) -> bool:
    """Whether verb ``k`` is a present tense with the plural before it as its subject ("…
    the last minute the courses fill up"): a noun phrase right after another noun starts a
    clause, where one after a verb is its object ("send the files call me")."""
    if tokens[k - 1].tag_ not in ("NNS", "NNPS"):
        return False
    if tokens[k].tag_ == "VBP":
        return True
    return k >= 3 and tokens[k - 2].tag_ == "DT" and tokens[k - 3].tag_ in ("NN", "NNS", "NNP")


def _opens(tokens: Sequence[Any], k: int) -> str | None:
    """What kind of new sentence token ``k`` may open: "imperative", "statement" or None."""
    token, after = tokens[k], tokens[k + 1]
    if (
        token.tag_ in ("VB", "VBP")
        and token.lower_ not in _NOT_IMPERATIVE
        and after.tag_ in _OBJECT_TAGS
        and not _agrees(tokens, k)
    ):
        return "imperative"
    if (
        token.tag_ == "NN"
        and is_verb(token.lower_)
        and after.lower_ in _ACTED_ON
        # after a noun it may still be the condition's ("any problem with a hybrid ring me")
        and not tokens[k - 1].tag_.startswith("NN")
        and not any(t.lower_ in _CONDITIONS for t in tokens[max(0, k - 6) : k])
        # not the pronoun as the next clause's subject ("the same fight it went on")
        and not (k + 2 < len(tokens) and tokens[k + 2].tag_ in ("VBD", "VBZ", "VBP", "MD"))
    ):
        # "… so it looks very dramatic fix it and send it back": the tagger's noun ("a
        # dramatic fix") before a pronoun it acts on is a verb
        return "imperative"
    third = tokens[k + 2] if k + 2 < len(tokens) else None
    if token.lower_ in _SUBJECTS and after.tag_ == "MD":
        if any(t.tag_ in ("WP", "WDT", "WRB") for t in tokens[max(0, k - 3) : k]):
            return None  # "who knows what team i'll even have": a clause inside the sentence
        return "statement"
    # "i will do that next wednesday is fine": a day said to fix the time is a reply.
    if token.lower_ in TIMES and after.tag_ == "VBZ":
        return "statement"
    if token.lower_ in ("next", "this") and after.lower_ in TIMES and third is not None:
        return "statement" if third.tag_ == "VBZ" else None
    # "… the session plans tonight they're on my laptop": a statement of its own, not a
    # clause saying which ("the plans they're using").
    if (
        token.lower_ in ("they", "it", "he", "she")
        and after.lower_ in ("'re", "'s", "are", "is")
        and third is not None
        and third.tag_ not in ("VBG", "VBN")
    ):
        return "statement"
    # "let's do thursday i'm doing the tanking that day": after a day said, what the
    # speaker is doing then is a statement of its own (not "the plans i'm using").
    if (
        token.lower_ in ("i", "we")
        and after.lower_ in ("'m", "am", "'re", "are")
        and third is not None
        and third.tag_ == "VBG"
        and tokens[k - 1].lower_ in TIMES
    ):
        return "statement"
    # "… so i can write that want me to do the statement": an offer asked of its own.
    if (
        token.lower_ == "want"
        and after.lower_ == "me"
        and third is not None
        and third.lower_ == "to"
        and tokens[k - 1].lower_ not in _SUBJECTS  # "do you want me to…" is one question
    ):
        return "statement"
    # "lets try that can you have a version by tuesday": a question asked of its own.
    if token.lower_ in ("can", "could", "would", "will") and after.lower_ == "you":
        return "statement"
    # "… the contract refresher there's one in february": a new statement.
    if token.lower_ in ("there", "here") and after.lower_ in ("'s", "is", "are"):
        return "statement"
    return None


def _subordinates(tokens: Sequence[Any], j: int) -> bool:
    """Whether token ``j`` opens a condition ("if", "when", "any time you…")."""
    if tokens[j].lower_ in _SUBORDINATORS:
        return True
    return tokens[j].lower_ == "time" and j > 0 and tokens[j - 1].lower_ == "any"


def with_breaks(text: str) -> str:
    """The turn with ". " put where a new sentence starts, if it has no punctuation."""
    if not _unpunctuated(text):
        return text
    tokens = list(tag(text))
    starts: set[int] = set()
    for k in range(1, len(tokens) - 1):
        opens = _opens(tokens, k)
        if opens is None:
            continue
        imperative = opens == "imperative"
        start = k
        if imperative:
            # The words that lead into the verb go with it; after "and" it is the same
            # sentence's next step ("repeat it this week and show me the result").
            while start > 0 and tokens[start - 1].lower_ in _LEAD_IN:
                start -= 1
            if any(t.lower_ == "and" for t in tokens[start:k]):
                continue
            if (
                start > 1
                and tokens[start - 1].lower_ in _OBJECT_PRONOUNS
                and tokens[start - 2].pos_ in ("VERB", "AUX")
            ):
                continue  # "let me send", "help me fix": what the verb before asks for
        else:
            # "… by the fifth honestly it's two hours online": a comment opens the statement.
            while start > 0 and tokens[start - 1].lower_ in _COMMENTS:
                start -= 1
        if start == 0 or start in starts:
            continue
        before = tokens[start - 1]
        # "here's what i want you to do pull up the data", "many people do so please repeat
        # it": a lead-in said, or a "so please" after a finished clause.
        told = before.lower_ == "do" and start > 1 and tokens[start - 2].lower_ == "to"
        pleading = imperative and any(t.lower_ in ("please", "so") for t in tokens[start:k])
        if told or (pleading and before.tag_ in ("VBP", "VBD", "VBZ")):
            starts.add(start)
            continue
        if imperative and before.lower_.endswith(("'ll", "'d")):
            continue  # "whether the firm'll cover part of it": the noun's own modal
        if (
            before.lower_ == "that"
            and start > 1
            and tokens[start - 2].tag_ in ("NN", "NNS", "NNP", "NNPS")
        ):
            continue  # "send me the dates that work for you": "that" is the verb's subject
        since = max(starts, default=0)
        # The tagger may read a turn's opening imperative as a name ("book the renewal").
        opening = since == 0 and tokens[0].tag_ == "NNP" and is_verb(tokens[0].lower_)
        if not opening and not any(t.pos_ in ("VERB", "AUX") for t in tokens[since:start]):
            continue  # "maybe one day i will…": a time said first, no sentence ended
        if any(t.lower_ in _HEDGES for t in tokens[max(since, start - 3) : start]):
            continue  # "i was thinking maybe one year we could…": the hedge is on what follows
        # "want me to introduce you i'll email him": an object "you" ends a clause before
        # a new subject (before a verb it is the verb's own subject: "before you send it").
        asked = start > 1 and (  # "do you", "would you": a question's own subject
            tokens[start - 2].tag_ == "MD" or tokens[start - 2].lower_ in ("do", "did", "are")
        )
        new_subject = tokens[k + 1].tag_ == "MD" or tokens[k].lower_ == "want"
        if _ends_clause(before) or (new_subject and before.lower_ == "you" and not asked):
            # "… today and if there's no waiver i'll draft it": the condition goes with
            # what it conditions.
            condition = next((j for j in range(start - 1, max(since, start - 13), -1)
                              if _subordinates(tokens, j)), None)  # fmt: skip
            if condition is not None and tokens[condition].lower_ == "time":
                condition -= 1  # "any time you want…"
            if condition is not None:
                while condition > since + 1 and tokens[condition - 1].lower_ in _LEAD_IN:
                    condition -= 1
                start = condition
            if start > 0:
                starts.add(start)
    if not starts:
        return text
    out: list[str] = []
    for k, token in enumerate(tokens):
        if k in starts and out:
            out[-1] = out[-1].rstrip() + ". "
        out.append(token.text_with_ws)
    return "".join(out).strip()


#: How long a pause may be inside one sentence the recogniser cut in two.
SPLIT_PAUSE_S = 2.0
#: A part shorter than this is a turn of its own, not a sentence cut short.
_CUT_WORDS = 4
_ENDS_SENTENCE = re.compile(r"[.?!…]['\")\]]*\s*$")


def joined(utterances: Sequence[Utterance]) -> list[Utterance]:
    """The utterances with each sentence a pause cut in two made whole again: from a
    recogniser that punctuates, a turn that ends without a full stop takes the same
    speaker's next part when that follows within ``SPLIT_PAUSE_S`` and starts in lower case
    ("… could you put together a rough first" / "draft. Doesn't need to be polished."). The
    part taken in is left empty, so every index still points at the same utterance."""
    out = list(utterances)
    anchor = 0
    for k in range(1, len(out)):
        here, after = out[anchor], out[k]
        text = after.text.lstrip()
        cut = (
            here.speaker == after.speaker
            and here.text.strip()
            and text
            and text[0].islower()
            and after.start_s - here.end_s <= SPLIT_PAUSE_S
            and not _ENDS_SENTENCE.search(here.text)
            and here.text != here.text.lower()  # a recogniser that writes capitals
            and len(here.text.split()) >= _CUT_WORDS  # "Okay" / "so we will…" is two turns
        )
        if cut:
            out[anchor] = replace(here, text=f"{here.text.rstrip()} {text}", end_s=after.end_s)
            out[k] = replace(after, text="")
        elif after.text.strip():
            anchor = k
    return out


def restore(texts: Sequence[str]) -> list[str]:
    """Each turn with its apostrophes and sentence breaks put back where the recogniser
    left them out (the unpunctuated turns tagged in one batch)."""
    texts = [with_apostrophes(t) for t in texts]
    prepare([], [t for t in texts if _unpunctuated(t)])
    return [with_breaks(t) for t in texts]
