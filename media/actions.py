"""Action items: the commitments and requests two people agreed on, from their utterances.

Deterministic rules over the words (no model), fast enough to run on every saved transcript.
A clause becomes a candidate when its grammar commits someone to a future action:

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

from media.due import Due, find_due
from media.transcript import Utterance

# -- normalisation ----------------------------------------------------------------------------
_CONTRACTIONS = (
    (r"\bi'm\b", "i am"), (r"\bi've\b", "i have"), (r"\bi'd\b", "i would"),
    (r"\bi'll\b", "i will"), (r"\bwe'll\b", "we will"), (r"\bwe're\b", "we are"),
    (r"\bwe'd\b", "we would"), (r"\byou'll\b", "you will"), (r"\byou're\b", "you are"),
    (r"\byou'd\b", "you would"), (r"\blet's\b", "let us"), (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"), (r"\bdon't\b", "do not"),
    (r"\bdoesn't\b", "does not"), (r"\bdidn't\b", "did not"), (r"\bshouldn't\b", "should not"),
    (r"\bwouldn't\b", "would not"), (r"\bit's\b", "it is"), (r"\bthat's\b", "that is"),
    (r"\bgonna\b", "going to"), (r"\bwanna\b", "want to"), (r"\bgotta\b", "have to"),
    (r"\bkindly\b", "please"),
    (r"\bhe'll\b", "he will"), (r"\bshe'll\b", "she will"), (r"\bthey'll\b", "they will"),
)  # fmt: skip
_CONTRACTIONS_RE = tuple((re.compile(p, re.IGNORECASE), r) for p, r in _CONTRACTIONS)
_FILLERS = re.compile(
    r"\b(?:um+|uh+|erm|er|hmm+|you know|i mean|kind of|sort of|kinda|sorta|basically|"
    r"like,)\s*,?\s*",
    re.IGNORECASE,
)
# Sentence ends, and the cut-offs ("--", "…") rough transcripts mark interruptions with.
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;:])\s+|\s*(?:--+|\u2014|\u2026|\.\.\.)\s*")
_CLAUSE_SPLIT = re.compile(
    r",?\s+\b(?:and|but|so|then|also)\s+(?=(?:i|you|we|let us)\b)"
    r"|,\s+(?=(?:i|we|you|it|that|this|he|she|they)\s+"
    r"(?:will|am|are|is|was|have|has|can|shall)\b)",
    re.IGNORECASE,
)
# A sentence that opens with a condition keeps its comma: "once you have three merged, we
# can talk to your manager" is one conditional clause.
_SUBORDINATE_START = re.compile(
    r"^(?:(?:so|and|then|okay|ok|but)\s*,?\s+)*(?:if|once|when|unless|after|as soon as|"
    r"whenever|until)\b",
    re.IGNORECASE,
)
# A sentence that only announces what follows ("Let's do this:", "Here's what I want you to
# do.") lends its grammar to the next sentence instead of being a task itself.
_LEAD_INS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bwhat\s+(?P<keep>\w+\s+(?:want|would like|need)\s+you\s+to)\s+do\W*$",
        r"\b(?P<keep>let us)\s+do\s+this\W*$",
        r"^(?P<keep>.*?)\s+do(?:\s+(?:this|the following))?\s*:$",
    )
)
_SUBJECT_START = re.compile(r"^(?:(?:so|and|okay|ok|then)\s*,?\s+)*(?:i|you|we|let)\b", re.I)
# A pronoun as the object ("send them a mail", "talk to her"), not a relative "that".
_POINTER = re.compile(r"^(?:\S+\s+){1,2}(?:it|them|him|her|this|those|these)\b", re.IGNORECASE)
_RECAP = re.compile(
    r"\b(?:recap|to summari[sz]e|in summary|to sum (?:it )?up|summing up|just to confirm|"
    r"so to confirm|let me repeat|(?:our|the|your) (?:action items|next steps|to-dos?) are|"
    r"that is everything|i think that is it|run through the (?:actions|action items))\b",
    re.IGNORECASE,
)
_NEUTRAL_ADVERBS = re.compile(
    r"\b(?:also|just|really|actually|definitely|totally|certainly|literally|honestly)\s+",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d")


def _keep_case(replacement: str) -> Any:
    def substitute(match: re.Match[str]) -> str:
        first = match.group(0)[0]
        return replacement[0].upper() + replacement[1:] if first.isupper() else replacement

    return substitute


def normalise(text: str) -> str:
    """Contractions expanded and fillers dropped; letter case kept (names stay names)."""
    text = text.replace("\u2019", "'")
    for pattern, replacement in _CONTRACTIONS_RE:
        text = pattern.sub(_keep_case(replacement), text)
    text = _FILLERS.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


# -- clause grammar ---------------------------------------------------------------------------
_ADVERBS = (
    r"(?:(?:also|definitely|just|then|probably|really|actually|totally|certainly|still|"
    r"quickly|first|now|right|both|all|please|maybe|at least|go ahead and|try to|try and)\s+)*"
)
_VP = rf"{_ADVERBS}(?P<vp>[a-z][^.?!;]*)"

_SELF_FUTURE = (
    r"(?:will|shall|am going to|am planning to|plan to|intend to|promise to|commit to|"
    r"will make sure to|will make sure i|will try to|will try and|am committing to|aim to)"
)
# Verbs that open a bare imperative task ("Send me the draft by Friday.").
_TASK_VERBS = (
    r"send|email|e-mail|text|message|write|draft|read|reread|review|update|finish|complete|"
    r"prepare|schedule|book|set up|share|look into|check|reach out|call|ask|practice|"
    r"sign up|apply|submit|fix|add|create|make|bring|come up with|put together|research|"
    r"find|follow up|block|record|list|pick|choose|watch|listen to|post|publish|polish|"
    r"rehearse|outline|plan|document|test|deploy|run|book|order|buy|contact|introduce|"
    r"invite|organize|organise|sketch|summarize|summarise|collect|gather|compile|print|"
    r"upload|download|install|fill out|fill in|register|renew|file|pay|return|forward|put"
)
_PATTERNS: tuple[tuple[str, str, float], ...] = (
    # (kind, regex, base confidence). First match in a clause wins.
    ("offer", rf"\b(?:do you want me to|would you like me to|want me to|shall i|should i|"
              rf"how about i|what if i|would it help if i|would it be helpful if i|"
              rf"does it help if i)\s+{_VP}", 0.8),
    ("offer_can", rf"\b(?:i am happy to|i would be happy to|happy to|i would love to|"
                  rf"i could|i can)\s+{_VP}", 0.8),
    ("request", rf"\b(?:your homework is to|your homework is|your task is to|"
                rf"your action item is to|the next step for you is to|i want you to|"
                rf"i would like you to|i need you to|"
                rf"i would love for you to|i would love you to|i would love it if you|"
                rf"i am going to ask you to|i will ask you to|i am asking you to)\s+{_VP}", 0.85),
    ("request", rf"\b(?:(?:would|could|will)\s+you\s+be\s+(?:able|open|willing)\s+to|"
                rf"are you\s+(?:able|open|willing)\s+to|would you consider|"
                rf"is it possible for you to)\s+{_VP}", 0.75),
    ("request", rf"\b(?:could|can|would|will)\s+you\s+(?:please\s+|maybe\s+|possibly\s+)?"
                rf"(?:mind\s+)?{_VP}", 0.75),
    ("permission", rf"\b(?:could|can|may)\s+i\s+(?:maybe\s+|possibly\s+|please\s+)?{_VP}", 0.75),
    ("permission", rf"\b(?:would it be (?:possible|okay|ok|alright) (?:for me to|if i)|"
                   rf"is it (?:okay|ok|alright) if i|(?:do|would) you mind if i)\s+{_VP}", 0.75),
    ("proposal", rf"\b(?:shall we|should we|how about we|what if we|why do not we)\s+{_VP}", 0.75),
    ("request", rf"\bwhy do not you\s+{_VP}", 0.7),
    ("request", rf"\b(?:how about|what about|what if)\s+you\s+{_VP}", 0.65),
    ("request", rf"\byou\s+(?:should|need to|have to|must|will need to|will want to|"
                rf"might want to|want to|are going to|will)\s+{_VP}", 0.6),
    ("request", rf"^(?:(?:so|and|okay|ok|alright|then|now|please)\s*,?\s+)*"
                rf"(?:please\s+|make sure (?:to|you)\s+|remember to\s+|do not forget to\s+|"
                rf"be sure to\s+){_VP}", 0.75),
    ("request", r"\b(?P<vp>let me know\b[^.?!;]*)", 0.7),
    # "You write the outline, and I will read it": a bare "you" + task verb assigns work.
    ("assignment", rf"^(?:(?:so|and|okay|ok|alright|now)\s*,?\s+)*you\s+{_ADVERBS}"
                rf"(?P<vp>(?:{_TASK_VERBS}|do|take|try|talk to|speak to)\b(?!')[^.?!;]*)", 0.65),
    ("request", rf"^(?:(?:so|and|okay|ok|alright|then|now)\s*,?\s+)*{_ADVERBS}"
                rf"(?P<vp>(?:{_TASK_VERBS})\b(?!')[^.?!;]*)", 0.7),
    ("joint", rf"\blet us\s+{_VP}", 0.75),
    ("joint", rf"\bwe\s+{_SELF_FUTURE}\s+{_VP}", 0.75),
    ("joint", rf"\bwe\s+(?:should|need to|have to|can|must|could)\s+{_VP}", 0.6),
    ("commitment", rf"\blet me\s+{_VP}", 0.7),
    ("commitment", rf"\bi\s+{_SELF_FUTURE}\s+{_VP}", 0.85),
    ("commitment", rf"\bi\s+(?:need to|have to|must|have got to|got to|should)\s+{_VP}", 0.55),
)  # fmt: skip
_COMPILED = tuple((kind, re.compile(rx, re.IGNORECASE), conf) for kind, rx, conf in _PATTERNS)

# Verbs that talk about the conversation itself or a state of mind, not a task.
# Verbs that talk about the conversation itself or a state of mind, not a task.
_NOT_TASKS = re.compile(
    r"^(?:think|see\b(?!\s+(?:if|whether|about|what i can do))|say|guess|tell you|"
    r"tell me\b(?! (?:how|when|whether|if|what happen))|"
    r"ask you\b(?! to)|ask (?:something|a question|a few)|"
    r"be honest|admit|explain|clarify|repeat\b(?!\s+(?:it|the|this)\s+(?!back)\w)|describe|"
    r"walk me through|walk you through|"
    r"talk(?!\s+(?:to|with))|skip|move on|go back|start with|begin|continue|focus on|recap|"
    r"wrap up|switch|look at this|hear|imagine|suppose|assume|remember|know|feel|be|believe|"
    r"hope|wish|wonder|agree|understand|mean|stop you|jump in|interrupt|summarize|pause|"
    r"give you an example|share my screen|share your screen|get started|dive in|kick off|"
    r"let you go|take a look now|end up|go there)\b",
    re.IGNORECASE,
)
_HABIT = re.compile(
    r"\b(?:usually|always|often|sometimes|normally|generally|typically|tend to|used to|"
    r"every time|whenever|most of the time|on most days|never|keep \w+ing|i keep|these days|"
    r"what i do (?:now )?is)\b",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(
    r"\b(?:if (?:i|we|you) (?:had|were|was|could|did)|would have|could have|should have|"
    r"someday|one day|in theory|ideally|i wish|in an ideal world|if only|right now)\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(
    r"\b(?:will not|am not going to|are not going to|do not (?:need|have) to|no need to|"
    r"not going to|can not|should not|never|let us not|do not think|not sure|doubt|unable)\b",
    re.IGNORECASE,
)
_REPORTED = re.compile(
    r"\b(?:said|says|told me|tells me|asked me|mentioned|thinks|thought|was going to|"
    r"were going to|was planning to|last time)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(?:probably|maybe|perhaps|might|possibly)\b", re.IGNORECASE)
_CONDITION = re.compile(
    # "see if", "ask whether": the task is to find out, not a condition on it.
    r"(?<!\bsee )(?<!\bask )(?<!\bcheck )(?<!\bout )(?<!\bknow )"
    r"\b(?:if|unless|once)\b(?!\s+you\s+(?:want|like|need|prefer|have time|can|would like))",
    re.IGNORECASE,
)
_ADDRESSEE = re.compile(r"\b(?:you|your|yours|if you (?:want|like|need))\b", re.IGNORECASE)
_ADVICE = re.compile(
    r"\b(?:in general|as a rule|(?<!if )it is (?:good|important|helpful|useful|worth))\b",
    re.IGNORECASE,
)

_ACCEPT = re.compile(
    r"(?:yes|yeah|yep|yup|sure|ok|okay|alright|absolutely|definitely|of course|certainly|"
    r"sounds good|sounds great|sounds like a plan|that works|works for me|will do|on it|deal|"
    r"great|perfect|good idea|great idea|love (?:it|that)|i would love that|please do|"
    r"yes please|that would (?:be )?(?:great|helpful|amazing|awesome|nice|lovely|perfect|help)|"
    r"that would help|thanks|thank you|i will|i can do that|i can|no problem|happy to|"
    r"i am on it|let us do it|count me in|got it|agreed|fine|makes sense|i will try)\b",
    re.IGNORECASE,
)
_DECLINE = re.compile(
    r"(?:no\b(?!\s+(?:problem|worries))|nope|nah|not really|i can not|i do not think|"
    r"i would rather|rather not|no need|no thanks|no thank you|that is okay|that is ok|"
    r"that is alright|maybe not|i am good|i am fine|do not worry|not necessary|i already|"
    r"i have already|thanks,? but|thank you,? but|i do not have time|not this (?:week|time)|"
    r"sorry|i have a conflict|i can not|i am okay|it is fine|that is fine|"
    r"i think i am (?:okay|good|fine)|"
    r"(?:i have )?(?:seen|read|got|done) (?:it|that|one) already)",
    re.IGNORECASE,
)
# Words a verb phrase may hold and still only point back at something said before
# ("do it", "look at it", "set that up", "have it done", "try").
_ANAPHORIC_WORDS = frozenset(
    [
        "it",
        "that",
        "this",
        "them",
        "so",
        "those",
        "these",
        "one",
        "done",
        "there",
        "too",
        "then",
        "up",
        "on",
        "out",
        "over",
        "back",
        "at",
        "a",
        "the",
        "to",
        "into",
        "with",
        "about",
    ]
)


# -- the result -------------------------------------------------------------------------------
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


# -- extraction -------------------------------------------------------------------------------
def _clauses(text: str) -> list[tuple[str, str]]:
    """(clause, what its sentence said before it) for each clause of an utterance."""
    # Quoted words are role-play or examples, not what the speaker commits to.
    text = _NEUTRAL_ADVERBS.sub("", _QUOTED.sub(" ", normalise(text)))
    clauses: list[tuple[str, str]] = []
    carried = ""
    for sentence in _SENTENCE_SPLIT.split(text):
        # "Here's what I want you to do: pull up the data" assigns "pull up the data".
        if carried and not _SUBJECT_START.match(sentence):
            sentence = f"{carried} {sentence}"
        lead_in = next((m for m in (p.search(sentence) for p in _LEAD_INS) if m), None)
        carried = lead_in.group("keep") if lead_in else ""
        if lead_in:
            continue
        parts = [sentence] if _SUBORDINATE_START.match(sentence) else _CLAUSE_SPLIT.split(sentence)
        lead = ""
        for part in parts:
            if part.strip(" ,"):
                clauses.append((part.strip(" ,"), lead))
                lead = f"{lead} {part}"
    return clauses


def is_anaphoric(verb_phrase: str) -> bool:
    """True when the phrase only points back ("do that", "look at it", "try")."""
    words = re.findall(r"[a-z']+", verb_phrase.lower())
    return all(w in _ANAPHORIC_WORDS for w in words[1:])


def _match_clause(clause: str, lead: str = "") -> tuple[str, str, float] | None:
    """(kind, verb phrase, confidence) when the clause commits someone to an action.

    ``lead`` is the earlier part of the same sentence: a condition or hedge there ("maybe, if
    I get the score, I'll apply") weakens the clause as much as one inside it.
    """
    if _HABIT.search(clause) or _HYPOTHETICAL.search(clause) or _ADVICE.search(clause):
        return None
    found = [(kind, pattern.search(clause), conf) for kind, pattern, conf in _COMPILED]
    # The pattern that starts first governs the clause ("I'm going to raise it with Karen and
    # see if we can…" is the speaker's commitment); on a tie the list's order decides.
    ordered = sorted(
        ((kind, m, conf) for kind, m, conf in found if m is not None), key=lambda f: f[1].start()
    )
    for kind, match, confidence in ordered[:1]:
        before = clause[: match.start()]
        verb_phrase = match.group("vp").strip(" ,")
        if not verb_phrase or _NOT_TASKS.match(verb_phrase):
            return None
        if _NEGATED.search(clause[: match.end("vp")]) or _REPORTED.search(before):
            return None
        if kind == "assignment":
            # Only at the start of a sentence: "so then you ask him" narrates a method.
            if lead.strip():
                return None
            kind = "request"
        if kind == "offer_can":
            # "I can read a bit" states an ability; an offer is made to someone.
            if not _ADDRESSEE.search(clause) and not clause.endswith("?"):
                return None
            kind = "offer"
        question = clause.endswith("?")
        if question and kind == "commitment" and not before.strip():
            return None  # "will I need a visa?" asks; it does not promise
        if question and kind == "joint":
            kind = "proposal"
        if _HEDGE.search(clause) or _HEDGE.search(lead):
            confidence -= 0.2
        if _CONDITION.search(lead) or _CONDITION.search(before) or _CONDITION.search(verb_phrase):
            confidence -= 0.25
        return kind, verb_phrase, confidence
    return None


def _candidates(
    utterances: Sequence[Utterance], session_date: date | None, next_session: date | None
) -> list[_Candidate]:
    found = []
    for index, utterance in enumerate(utterances):
        clauses = _clauses(utterance.text)
        matches = [_match_clause(clause, lead) for clause, lead in clauses]
        for position, ((clause, _), matched) in enumerate(zip(clauses, matches, strict=True)):
            if matched is None:
                continue
            kind, verb_phrase, confidence = matched
            due = find_due(clause, session_date, next_session)
            if due is None:
                # "I'll write it up. Like, end of the month." The deadline may follow in the
                # speaker's next words, as long as they do not start another item.
                for (later, _), later_match in zip(
                    clauses[position + 1 :], matches[position + 1 :], strict=True
                ):
                    if later_match is not None:
                        break
                    due = find_due(later, session_date, next_session)
                    if due is not None:
                        break
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
                )
            )
    return found


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
            if _DECLINE.match(rest):
                return "decline"
            if _ACCEPT.match(rest):
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
    names = dict(names or {})

    def role(speaker: str) -> str:
        return roles.get(speaker, speaker)

    def next_other(index: int) -> str | None:
        speaker = utterances[index].speaker
        later = (u.speaker for u in utterances[index + 1 :] if u.speaker != speaker)
        earlier = (u.speaker for u in reversed(utterances[:index]) if u.speaker != speaker)
        return next(later, None) or next(earlier, None)

    items: list[ActionItem] = []
    candidates = _candidates(utterances, session_date, next_session)
    recaps = _recap_utterances(utterances, candidates)
    for candidate in candidates:
        speaker = candidate.speaker
        if candidate.index in recaps and _fold_into_matching(items, candidate):
            continue  # a summary restating what was agreed adds sources, not items
        reply = _reply(utterances, candidate.index)
        verdict = reply[0] if reply else None
        accepted = verdict == "accept"
        if candidate.anaphoric:
            # "Sure, I'll do that" or "let's do it" answers or restates an earlier item.
            _fold_into_recent(items, candidate, utterances, role)
            continue
        if (
            candidate.kind == "commitment"
            and _POINTER.search(candidate.verb_phrase)
            and _fold_into_recent(items, candidate, utterances, role, within=2)
        ):
            continue  # "I'll send them a mail tomorrow": how the item just agreed will be done
        if verdict == "decline" and candidate.kind != "commitment":
            continue
        confidence = candidate.confidence
        # Weak wordings ("I should…", "we could…", "you might want to…") need support: a
        # deadline or the other person's yes.
        if confidence < 0.7 and candidate.due is None and not accepted:
            continue
        other = utterances[reply[1]].speaker if reply and accepted else next_other(candidate.index)
        if candidate.kind in ("offer", "permission", "proposal") and not accepted:
            continue
        if candidate.kind == "request":
            if other is None or not (accepted or candidate.due is not None):
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
            due = find_due(normalise(utterances[reply[1]].text), session_date, next_session)
        joint = candidate.kind in ("joint", "proposal")
        owner = "both" if joint or len(owner_speakers) > 1 else role(owner_speakers[0])
        action = _imperative(candidate, owner_speakers, speaker, other, names, role)
        if not action or confidence < min_confidence:
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
        _add_or_merge(items, item)
    return items


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
        if restated >= 2 or (stated and _RECAP.search(normalise(utterances[index].text))):
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
) -> bool:
    """Attach a pointing-back phrase (and its deadline) to the item it refers to, if any."""
    owner_roles = {role(candidate.speaker), "both"}
    for k in range(len(items) - 1, -1, -1):
        item = items[k]
        if candidate.index - item.sources[-1] > within:
            break
        if item.owner not in owner_roles:
            continue
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


def _stems(text: str) -> set[str]:
    """Content words cut to five letters, so "intros" meets "introduce" and "draft" "drafts"."""
    return {w[:5] for w in _content_words(text) if w not in _GENERIC and len(w) > 2}


def _add_or_merge(items: list[ActionItem], item: ActionItem) -> None:
    words = _content_words(item.action)
    for k, existing in enumerate(items):
        if existing.owner != item.owner:
            continue
        other = _content_words(existing.action)
        if words and other and len(words & other) / len(words | other) >= 0.5:
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
) -> str:
    phrase = candidate.verb_phrase
    if candidate.due is not None:
        phrase = re.sub(re.escape(candidate.due.phrase), " ", phrase, flags=re.IGNORECASE)
    phrase = _CUT.sub("", phrase)
    previous = None
    while previous != phrase:
        previous = phrase
        phrase = _TRAILING.sub("", phrase).strip(" ,")
    phrase = re.sub(r"\s+", " ", phrase).strip(" ,")
    if not phrase:
        return ""
    speaker_name = _display(speaker, names, role)
    other_name = _display(other, names, role)
    owner_is_speaker = owners == (speaker,)
    owner_is_other = owners == (other,)

    def swap(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if word in ("me", "myself"):
            return (
                "yourself"
                if owner_is_speaker and word == "myself"
                else ("you" if owner_is_speaker else speaker_name)
            )
        if word == "my":
            return "your" if owner_is_speaker else f"{speaker_name}'s"
        if word in ("you", "yourself"):
            return (
                "yourself"
                if owner_is_other and word == "yourself"
                else ("you" if owner_is_other else other_name)
            )
        if word == "your":
            return "your" if owner_is_other else f"{other_name}'s"
        if word == "us":
            return "each other" if len(owners) > 1 else "us"
        return word

    phrase = re.sub(r"\b(?:me|myself|my|you|yourself|your|us)\b", swap, phrase, flags=re.I)
    return phrase[0].upper() + phrase[1:]
