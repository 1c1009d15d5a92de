"""Action items: the commitments and requests two people agreed on, from their utterances.

Deterministic rules over the words (no model), fast enough to run on every saved transcript.
A clause becomes a candidate when its grammar (:mod:`media.insight.action_grammar`) commits someone
to a future action:

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
from dataclasses import replace
from datetime import date
from typing import Any

from media.insight.action_grammar import (
    ACCEPT,
    DECLINE,
    NEGATED,
    POINTER,
    match_clause,
    normalise,
    split_clauses,
)
from media.insight.candidates import find_candidates, in_their_parts, said_as, without_due
from media.insight.due import Due, all_due, find_due, is_week, narrows
from media.insight.english import FILLER, prepare, tag, words
from media.insight.items import ActionItem, Candidate
from media.insight.merging import (
    LIGHT_VERBS,
    POINTS_AT_A_WAY,
    add_or_merge,
    fold_into_matching,
    fold_into_recent,
    merge_answers,
    recap_utterances,
    stems,
)
from media.insight.phrasing import listed_things, task_text
from media.insight.references import NEEDS_CONTEXT
from media.insight.sentences import joined, restore
from media.transcript import Utterance

__all__ = ["ActionItem", "extract_action_items"]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;])\s+", normalise(text)) if s.strip()]


def _verdict(text: str) -> str | None:
    """ "accept", "decline" or None for a reply, from its first sentences."""
    said = _sentences(text)[:3]
    for k, sentence in enumerate(said):
        if re.fullmatch(r"(?:oh|ah|uh|aw)\s+no\W*", sentence, re.IGNORECASE):
            continue  # an exclamation, not an answer
        if k + 1 < len(said) and re.fullmatch(r"(?:oh\W+)?sorry\W*", sentence, re.IGNORECASE):
            continue  # "Sorry. I'll forward them tonight.": an apology, then the answer
        # "sir, if you don't mind, I'd rather not": politeness before the answer
        sentence = _IF_YOU_MIND.sub("", sentence)
        words = sentence.split()
        # Allow a few words of lead-in ("oh my god, yes please", "okay, no need").
        for start in range(min(4, len(words))):
            rest = " ".join(words[start:]).lstrip(" ,.!?-")
            if DECLINE.match(rest):
                # "not this week, but I can do the creek site on Monday": a yes on new terms
                counter = _COUNTER_OFFER.search(" ".join(said[k:]))
                if counter and find_due(counter.string[counter.end() :], None) is not None:
                    return "accept"
                return "decline"
            if ACCEPT.match(rest):
                return "accept"
        if _ASKS_BACK.match(sentence):
            return None  # "want me to introduce you? I'll email him tonight": an offer of its own
        if k == 0 and _ANOTHER_DAY.match(sentence):
            return "accept"  # "could I do Monday instead?": the task, on a day of one's own
    return None


_IF_YOU_MIND = re.compile(r"^\W*(?:\w+\W+)?if you do not mind\b\W*", re.IGNORECASE)

#: A reply asking to do the task on another day: it takes the task on.
_ANOTHER_DAY = re.compile(
    r"^\W*(?:(?:um|uh|so|okay|ok|yeah|oh|hmm)\W+)*(?:can|could) i\s+(?:do|get|send|give|have|"
    r"bring|hand)\b[^.?!]{0,40}\binstead\b",
    re.IGNORECASE,
)


#: A no to the terms with the task taken on others, a day said ("not this week, but I can do
#: the creek site on Monday"); not another thing offered instead ("but I can send you…").
_COUNTER_OFFER = re.compile(
    r"\bbut (?:i|we) (?:can|could|will)\s+(?:do|get|have|manage|send|make)\b", re.I
)

#: A reply that asks back about the task ("have you got one I could copy?", "can I do it
#: after the trench?"): the answer to the request may come after the asker's reply to it.
#: Not a tag question ("…, you know?", "right?").
_ASKS_FOR = re.compile(
    r"(?:^|[.?!—-]\s*)(?:um,?\s*|so,?\s*|oh,?\s*|okay,?\s*)?"
    r"(?:have you got|do you have|is there|could you send|can you send|where do i|where can i|"
    r"how do i|can i|could i|can we|could we|is it okay if|is it ok if|would it be okay if|"
    r"does it have to|"
    r"should i|do i|what if i|like|which (?:one|ones|version|day|one do you mean)|"
    r"(?:what|when|where)(?: is|'s) the)\b[^.?!]*\?\s*$",
    re.IGNORECASE,
)

_ASKS_FOR_UNPUNCTUATED = re.compile(
    r"\b(?:can i|could i|can we|could we|is it ok if|is it okay if|should i|do i)\b"
    r"|^\W*(?:\w+\s+)?(?:what|when|where)(?: is|'s|s) the\b"  # "what's the cutoff sir"
    r"|^\W*(?:\w+\s+)?which (?:one|ones|version|day)\b",  # "which one the district court one"
    re.I,
)


def _asks_back(text: str) -> bool:
    if not re.search(r"[.?!,]", text):  # a recogniser's turn: its question has no "?"
        return bool(_ASKS_FOR_UNPUNCTUATED.search(text))
    # "The full one, the ENG1, or just the eyesight bit?": which of two it is to be
    return bool(_ASKS_FOR.search(text) or _WHICH_OF.search(text))


#: A question back that offers what the task could be ("the full one, or just the eyesight
#: bit?"), ending the reply.
_WHICH_OF = re.compile(r"(?:^|[.!]\s+)[^.?!]*\bor\b[^.?!]*\?\s*$", re.IGNORECASE)


#: A reply that opens with an offer or a question of its own answers nothing before it.
_ASKS_BACK = re.compile(
    r"^(?:oh|so|okay|ok|well|um|uh)?[\s,]*(?:do you want me to|want me to|would you like me to|"
    r"shall i|should i|what|how|why|when|where|who|which)\b",
    re.IGNORECASE,
)


def _reply(utterances: Sequence[Utterance], index: int, window: int = 3) -> tuple[str, int] | None:
    """("accept" | "decline", reply index) from the other speakers' next turns, if any."""
    speaker = utterances[index].speaker
    seen_other = 0
    asked_back = False  # "have you got one I could copy?" "Yeah, I'll dig it out." "Great."
    for j in range(index + 1, min(len(utterances), index + 1 + window + 2)):
        other = utterances[j]
        if other.speaker == speaker:
            if seen_other and not asked_back:
                break
            asked_back = False
            continue
        seen_other += 1
        asked_back = _asks_back(other.text)
        verdict = _verdict(other.text)
        if verdict is not None:
            return verdict, j
        if seen_other >= window:
            break
    return None


#: A task taken back as soon as it is said ("could you pick up the oilskins? Actually, no,
#: don't worry, Morag's collecting them"). A bare "wait" or "don't worry" says no such thing
#: ("oh wait, and the slides too"): those need a "no" before them.
_WITHDRAWS = re.compile(
    r"\b(?:no|nah)\b[\s,.!—-]*(?:(?:wait|sorry|hang on|actually)\b[\s,.!—-]*)*"
    r"(?:do not worry|leave (?:it|that)|no need|forget|scrap|scratch|never ?mind|ignore|"
    r"(?:[^.?!]*\balready\b))"
    r"|\bactually[\s,]+(?:do not worry|leave (?:it|that)|forget|scrap|scratch|never ?mind|no need)"
    r"|(?<!do not )(?<!never )\b(?:never ?mind(?!\s+(?:the|about|that|if|how)\b)|"
    r"forget (?:it|that|about (?:it|that)|i said anything|i asked)\b|scrap that|scratch that|"
    r"ignore me|ignore that|on second thoughts?)",
    re.IGNORECASE,
)


#: A new day asked for a task ("could I do Monday instead?", "can I get it to you Friday
#: instead"), with nothing else of its own: it moves the task's day, it is no task.
_NEW_DAY_ONLY = re.compile(
    r"^(?:do|send|give|get|have|bring|hand)\s+(?:(?:it|them|that|this|those)\s+)?"
    r"(?:(?:to|over to)\s+(?:you|the mentor|the mentee|\w+)\s+)?instead\b",
    re.IGNORECASE,
)


def _turn_from(utterances: Sequence[Utterance], index: int) -> str:
    """Utterance ``index`` and the rest of its speaker's turn (the parts a recogniser cut at
    pauses, until someone else speaks), normalised and in lower case."""
    k = index + 1
    while k < len(utterances) and utterances[k].speaker == utterances[index].speaker:
        k += 1
    return " ".join(normalise(u.text) for u in utterances[index:k] if u.text.strip()).lower()


def _withdrawn(candidates: Sequence[Candidate], position: int, said: str) -> bool:
    """Whether the candidate's task is taken back in its own turn, before the turn says
    another task (or the taking back is itself read as one: "leave it")."""
    candidate = candidates[position]

    def start(c: Candidate) -> int:
        return max(said.find(c.verb_phrase.lower()[:25]), 0)

    here = start(candidate)
    later = [start(c) for c in candidates if c.index == candidate.index and c is not candidate]
    for found in _WITHDRAWS.finditer(said):
        if found.end() <= here:
            if found.start() <= here < found.end() + 1:
                return True  # the words of the taking back ("never mind", "leave it")
            continue
        if here >= found.start():
            return True
        return not any(here < k < found.start() for k in later)
    return False


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
    # In a 1:1 the two call each other by first name: "Send Rosa the draft".
    names = {speaker: _called(name) for speaker, name in (names or {}).items()}
    # A sentence a pause cut in two is made whole, and a turn the recogniser printed without
    # punctuation gets its sentence breaks back.
    said_apart = list(utterances)
    utterances = joined(utterances)
    utterances = [
        u if said == u.text else replace(u, text=said)
        for u, said in zip(utterances, restore([u.text for u in utterances]), strict=True)
    ]

    def role(speaker: str) -> str:
        return roles.get(speaker, speaker)

    def next_other(index: int) -> str | None:
        speaker = utterances[index].speaker
        later = (u.speaker for u in utterances[index + 1 :] if u.speaker != speaker)
        earlier = (u.speaker for u in reversed(utterances[:index]) if u.speaker != speaker)
        return next(later, None) or next(earlier, None)

    items: list[ActionItem] = []
    candidates = find_candidates(utterances, session_date, next_session)
    candidates, utterances = in_their_parts(candidates, utterances, said_apart)
    starts = {c.index for c in candidates}  # turns that say a task of their own
    _prepare_wording(utterances, candidates)
    recaps = recap_utterances(utterances, candidates)
    own_yes: set[int] = set()  # turns that took on what the speaker said needs doing
    taken_in: dict[int, set[str]] = {}  # a reply that took one on, and that task's words
    for position, candidate in enumerate(candidates):
        speaker = candidate.speaker
        if candidate.index in own_yes and candidate.kind == "commitment":
            continue  # "that I will do myself, don't worry": said of the item just saved
        taking = taken_in.get(candidate.index)
        first_word = candidate.verb_phrase.split()[0].lower() if candidate.verb_phrase else ""
        if (
            taking is not None
            and candidate.kind == "commitment"
            and (
                candidate.anaphoric or stems(candidate.verb_phrase) & taking or first_word in taking
            )
        ):
            continue  # "…so I'll have the certificate in to HR by the 20th": the one taken on
        if candidate.index in recaps and fold_into_matching(items, candidate):
            continue  # a summary restating what was agreed adds sources, not items
        if _withdrawn(candidates, position, _turn_from(utterances, candidate.index)):
            continue
        if _NEW_DAY_ONLY.match(without_due(candidate)):
            continue  # "can i do tuesday instead the weekend is mad": moves a day (below)
        reply = _reply(utterances, candidate.index)
        verdict = reply[0] if reply else None
        accepted = verdict == "accept"
        obliged = candidate.kind == "obligation"
        if obliged:
            # "The form needs to go in by the 30th": a task only once someone takes it on
            # ("I'll do it tonight"): theirs, as a request is the asked person's; or the
            # speaker, straight after ("that I will do myself").
            said = normalise(utterances[reply[1]].text) if reply and accepted else ""
            # The speaker's next words, straight after or once asked ("you want me to do
            # that one?" "No, no, that one I will do myself").
            soon = range(candidate.index + 1, min(len(utterances), candidate.index + 3))
            after = next(
                (k for k in soon if utterances[k].speaker == speaker and utterances[k].text), -1
            )
            own = normalise(utterances[after].text) if after >= 0 else ""
            later = range(candidate.index + 1, len(utterances))
            taker = next(
                (j for j in later if utterances[j].text and utterances[j].speaker != speaker), None
            )
            if _TAKES_ON.search(said):
                candidate = replace(candidate, kind="request")
            elif taker is not None and _TAKES_IT_ON.search(normalise(utterances[taker].text)):
                # No yes, but the work taken on: "I know. I'll do that by the thirty-first."
                candidate = replace(candidate, kind="request")
                reply, verdict, accepted = ("accept", taker), "accept", True
            elif _MY_OWN.search(own):
                # "that one I will do myself… I will go there on Thursday": then, if said
                due = candidate.due or find_due(own, session_date, next_session)
                candidate = replace(candidate, kind="commitment", due=due)
                own_yes.add(after)
            else:
                continue
        # "do the same for the ones at the creek site": the last task again, for other things
        same_for = _SAME_FOR.match(without_due(candidate)) if items else None
        if candidate.anaphoric and not same_for:
            # "Sure, I'll do that" or "let's do it" answers or restates an earlier item; a
            # "send it over" with nothing before it to say what "it" is, is no task to save.
            named = _names_its_object(candidate, utterances)
            points = bool(_POINTS_BACK.search(candidate.verb_phrase))
            new_task = points and (
                _names_its_object(candidate, utterances, own_turn=True) is not None
                or (bool(items) and _of_its_own(candidate, named, items[-1]))
            )
            # "And the moderation meeting. Let's both go.": somewhere just named, a new task
            new_task = new_task or (named is not None and bool(_GOING.match(candidate.verb_phrase)))
            if not new_task and fold_into_recent(items, candidate, utterances, role):
                continue
            if named is None:
                continue
        if (
            candidate.kind == "commitment"
            and not candidate.step
            and POINTER.search(candidate.verb_phrase)
            and fold_into_recent(items, candidate, utterances, role, within=2, new_topic=True)
        ):
            # "I'll send them a mail tomorrow": how the item just agreed will be done; where
            # the item only pointed at a way of doing it ("try that with Martin"), the
            # answer says what the task is ("I'll ask him for a coffee").
            k = next(
                k for k in range(len(items) - 1, -1, -1) if candidate.index in items[k].sources
            )
            if POINTS_AT_A_WAY.match(items[k].action) and items[k].owner == role(speaker):
                said = _imperative(candidate, (speaker,), speaker, next_other(candidate.index),
                                   names, role, utterances)  # fmt: skip
                if said:
                    items[k] = replace(items[k], action=said)
            continue
        if verdict == "decline" and candidate.kind != "commitment":
            continue
        confidence = candidate.confidence
        # Weak wordings ("I should…", "we could…", "you might want to…") need support: a
        # deadline or the other person's yes.
        if round(confidence, 6) < 0.7 and candidate.due is None and not accepted:
            continue
        other = utterances[reply[1]].speaker if reply and accepted else next_other(candidate.index)
        if candidate.kind in ("offer", "permission", "proposal") and not accepted:
            continue
        if candidate.kind == "request":
            if other is None or not (accepted or candidate.due is not None):
                continue
            if (
                candidate.taken_on
                and candidate.due is None
                and not (
                    reply is not None and _TAKES_ON.search(normalise(utterances[reply[1]].text))
                )
            ):
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
        answer = normalise(utterances[reply[1]].text) if accepted and reply else ""
        counter = _COUNTER_OFFER.search(answer)  # "not this week, but I can… on Monday"
        if counter:
            due = find_due(answer[counter.end() :], session_date, next_session) or due
        if obliged and accepted and reply is not None:
            # its words, and the verb it was taken on with ("I'll have it in by the 20th")
            took = _TAKES_IT_ON.search(answer)
            taken_in[reply[1]] = stems(candidate.verb_phrase) | (
                {took.group(0).split()[-1].lower()} if took else set()
            )
            # "The medical renewal needs to be in by the end of the month." "My medical's on
            # the 19th, so I'll have it in by the 20th.": who takes it on says when, last.
            said_days = all_due(answer, session_date, next_session)
            due = said_days[-1] if said_days else due
        if due is not None and is_week(due) and accepted and reply is not None:
            # "Can you get that booked this week?" … "I'll phone the surgery tomorrow": the
            # day taken in the week asked for
            day = find_due(answer, session_date, next_session)
            due = day if day is not None and narrows(day, due) else due
        if due is None and accepted and reply is not None:
            due = find_due(answer, session_date, next_session)
            after = reply[1] + 1
            if (
                due is None
                and _BY_WHEN.search(answer)
                and after < len(utterances)
                and utterances[after].speaker == speaker
            ):
                # "Yeah. Um, by when?" "Before the follow-up, so, like, Monday?"
                due = find_due(normalise(utterances[after].text), session_date, next_session)
            if due is None:
                # "Yes, ma'am." "Say next Friday." "Next Friday. Okay.": a day said alone
                # just after, before anything else is asked, is the task's
                due = _day_said_after(utterances, reply[1], starts, session_date, next_session)
        joint = candidate.kind in ("joint", "proposal")
        owner = "both" if joint or len(owner_speakers) > 1 else role(owner_speakers[0])
        action = _imperative(candidate, owner_speakers, speaker, other, names, role, utterances,
                             _step_before(candidates, position))  # fmt: skip
        if not action or round(confidence, 6) < min_confidence:  # 0.45 + 0.05 is 0.4999…
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
        if same_for:
            # The last task as said most fully (its request, not the "I'll get through it").
            recent = [i for i in items if candidate.index - i.sources[-1] <= 6] or items[-1:]
            like = max(recent, key=lambda i: (len(stems(i.action)), i.sources[0])).action
            item = replace(item, action=f"{action} (as: {like[0].lower()}{like[1:]})")
            items.append(item)  # its words are the last task's: no restatement of it
            continue
        add_or_merge(items, item, closing=candidate.index >= 0.75 * len(utterances))
    items = _renegotiated(items, utterances, session_date, next_session)
    return merge_answers(items, utterances, role, names)


#: The last task said again for other things ("do the same for the ones at the creek site").
_SAME_FOR = re.compile(r"^(?:and\s+)?do the same (?:for|with|at|on|to)\s+\w", re.IGNORECASE)

#: A deadline asked for again in other terms ("Could I get it to you Monday instead?", "make
#: it the Friday before", "could it be Friday?").
_RENEGOTIATES = re.compile(
    r"\b(?:make it|instead|could it be|can it be|how about|what about|"
    r"let us say(?=\s+(?:the\s+)?(?:\d|\w+(?:st|nd|rd|th)\b|\w+day\b|tomorrow|next))|"
    r"(?:can|could) we (?:do|move|make) (?:it|that)|"
    r"(?:can|could) i (?:give|get|send|do|have|bring) (?:it|them|that)|"
    r"push (?:it|that)(?: back)? to|move (?:it|that) to)\b",
    re.IGNORECASE,
)


def _renegotiated(
    items: list[ActionItem],
    utterances: Sequence[Utterance],
    session_date: date | None,
    next_session: date | None,
) -> list[ActionItem]:
    """Each item with the last deadline the pair moved it to in the few turns after it
    ("by Friday?" "Friday's tight. Could I get it to you Monday instead?"), before the next
    item is raised."""
    starts = {item.sources[0] for item in items}
    moved = []
    for item in items:
        first, due = item.sources[0], None
        for k in range(first + 1, min(len(utterances), first + 5)):
            if k in starts:
                break
            text = normalise(utterances[k].text)
            cue = _RENEGOTIATES.search(text)
            if cue is None:
                continue
            # The day said after the cue ("no, make it Monday the fifth"), else the last one
            # before it ("I'm back on the thirtieth, could we do it then").
            said = all_due(text, session_date, next_session)
            # In the cue's own sentence: not "…Monday instead? The parts are out until Friday."
            after = [d for d in said if d.span[0] >= cue.start()
                     and not re.search(r"[.?!]", text[cue.start() : d.span[0]])]  # fmt: skip
            before = [d for d in said if d.span[0] < cue.start()]
            if (
                cue.group(0).lower() == "instead"
                and before
                and cue.start() - before[-1].span[1] < 12
            ):
                after = []  # "can i do saturday instead im not in friday": the day it names
            due = after[0] if after else before[-1] if before else due
        moved.append(item if due is None else replace(item, due_phrase=due.phrase,
                                                       due_date=due.date))  # fmt: skip
    return moved


#: The speaker taking on what they just said needs doing ("that I will do myself").
_MY_OWN = re.compile(
    r"\b(?:(?:that|this|it) (?:one )?i will do(?: myself)?|i will do (?:(?:it|that|this) )?myself|"
    r"(?:that is|it is) on me|leave (?:it|that) (?:with|to) me)\b",
    re.IGNORECASE,
)

#: A yes that takes a task on, not only hears it ("Okay. I understand.").
_TAKES_ON = re.compile(
    r"\b(?:i will|will do|got it|on it|i am doing|i can|i could|i am going to|sure thing|"
    r"consider it done|straight away|right away|no problem|of course)\b",
    re.IGNORECASE,
)

#: Work taken on in so many words, with or without a yes ("I can take that", "I'll get it
#: done by the tenth"): an answer to a thing said to need doing.
_TAKES_IT_ON = re.compile(
    r"\bi (?:will|can|am going to|could)\s+(?:\w+\s+)?"
    r"(?:do|take|get|sort|handle|finish|write|send|submit|book|have|upload|put|draft)\b"
    r"(?!\s+(?:you|a look|a think|a go)\b)",
    re.IGNORECASE,
)

#: A yes that asks for the deadline, which the asker's next turn then gives.
_BY_WHEN = re.compile(
    r"\b(?:by when|when by|when (?:do|would|should|will) you (?:need|want)|"
    r"when (?:does|do|will|would) (?:it|that|they|this) (?:need|have) to be (?:in|done|ready|with)|"
    r"what is the deadline|when is it due|how soon)\b",
    re.IGNORECASE,
)


def _of_its_own(candidate: Candidate, named: str | None, last: ActionItem) -> bool:
    """Whether a pointing-back phrase names a thing of its own with a verb of its own ("book
    it today" after talk of the retest slot, while the last item is to bring the coupons)."""
    verb = candidate.verb_phrase.split()[0].lower()
    return (
        named is not None
        and len(named.split()) > 1
        and verb not in LIGHT_VERBS
        and verb != last.action.split()[0].lower()
        and not (stems(named) - {verb[:5]}) & stems(last.action)
    )


def _names_its_object(
    candidate: Candidate, utterances: Sequence[Utterance], own_turn: bool = False
) -> str | None:
    """A pointing-back phrase ("send it over") worded with what it points to, if its verb is
    not a light one ("do it") and what it points to is named in the turns before (or, with
    ``own_turn``, earlier in its own turn: "there's the ticket to… why don't you take that
    one?" brings in a new task, not a restatement)."""
    words = candidate.verb_phrase.split()
    light = bool(words) and words[0].lower() in ("do", "try", "make", "get", "go", "have")
    going = _GOING.match(candidate.verb_phrase)  # "let's both go": to a thing named just before
    if not words or (light and not (_GOT_DONE.match(candidate.verb_phrase) or going)):
        return None
    if _DOING_THAT.search(candidate.verb_phrase):
        return None  # "start doing that": what was done, which no noun before names
    context = _context(utterances, candidate)
    if own_turn:
        context = context[-1:] if len(context) > min(4, candidate.index) else []
    lead = _lead(utterances, candidate) if going else ""
    phrase = without_due(candidate)
    if re.fullmatch(r"[a-z]+", phrase.strip().lower()) and not going:
        # "I will present on the 25th", after "you could present the results to the client"
        phrase = _said_before_with_object(phrase.strip(), utterances, candidate.index) or phrase
    text = task_text(phrase, context, lambda w, d: None, lead=lead)
    return text if text is not None and not _BARE_PRONOUN.search(text) else None


#: "get it done", "get them finished": the thing, not the light verb, says what the task is.
_GOT_DONE = re.compile(
    r"get\s+(?:it|them|that|this|those|these)\s+(?:done|finished|sorted|fixed|signed|written|"
    r"sent|submitted|booked|filed|checked|marked|updated|in|off|over|back)\b",
    re.IGNORECASE,
)
_GOING = re.compile(r"(?:both\s+)?(?:go|come)(?:\s+(?:along|together|too))?\W*$", re.I)
_DOING_THAT = re.compile(r"\bdoing\s+(?:that|this|it|so|the same)\b", re.IGNORECASE)
_BARE_PRONOUN = re.compile(r"\b(?:it|them|this|that|those|these)\b", re.IGNORECASE)
#: A phrase that points back with a word ("take that one"), not by leaving it out ("I'll ask").
_POINTS_BACK = re.compile(r"\b(?:it|them|this|that|those|these|one)\b", re.IGNORECASE)


def _context(utterances: Sequence[Utterance], candidate: Candidate) -> list[str]:
    """What a candidate's pronouns may point back to: the four turns before it and the start
    of its own sentence."""
    context = [u.text for u in utterances[max(0, candidate.index - 4) : candidate.index]]
    lead = _lead(utterances, candidate)
    return [*context, lead] if lead else context


def _turn_before(utterances: Sequence[Utterance], index: int) -> str:
    """What the speaker said in the same turn before utterance ``index``: the parts a
    recogniser cut at pauses ("And Dr Amin has a family meeting on Wednesday." / "Let's both
    sit in.")."""
    k = index
    while k > 0 and utterances[k - 1].speaker == utterances[index].speaker:
        k -= 1
    return " ".join(normalise(u.text) for u in utterances[k:index] if u.text.strip())


def _lead(utterances: Sequence[Utterance], candidate: Candidate) -> str:
    """The candidate's own turn before its verb phrase ("send it to me when it's ready, ")."""
    said = normalise(utterances[candidate.index].text)
    at = said.lower().find(candidate.verb_phrase.lower()[:20])
    if at < 0 and candidate.verb_phrase.lower().startswith("get "):
        # A thing said to need doing is worded "get X done": its turn said "X needs…".
        thing = re.escape(candidate.verb_phrase.split()[1])
        needs = re.search(rf"\b{thing}\s+(?:(?:that|which)\s+)?(?:needs?|has|have|must|will)\b",
                          said, re.IGNORECASE)  # fmt: skip
        at = needs.start() if needs else -1
    own = said[:at] if at > 0 else ""
    return " ".join(part for part in (_turn_before(utterances, candidate.index), own) if part)


#: How far back a bare noun's fuller name is looked for (about ten minutes of talk).
MENTIONS_TURNS = 60


def _mentions(utterances: Sequence[Utterance], candidate: Candidate) -> list[str]:
    """The turns said up to and including the candidate's, where its things were named."""
    start = max(0, candidate.index - MENTIONS_TURNS)
    return [u.text for u in utterances[start : candidate.index + 1]]


def _prepare_wording(utterances: Sequence[Utterance], candidates: list[Candidate]) -> None:
    phrases = [without_due(c) for c in candidates]
    contexts = [
        text
        for c, phrase in zip(candidates, phrases, strict=True)
        if NEEDS_CONTEXT.search(phrase)
        for text in _context(utterances, c)
    ]
    if candidates:
        contexts += [u.text for u in utterances]
    prepare(phrases, contexts)


# -- wording ----------------------------------------------------------------------------------
_TITLE = re.compile(r"^(?:dr|mr|mrs|ms|mx|prof|professor|sir|dame)\b\.?", re.IGNORECASE)


def _called(name: str) -> str:
    """How a person is called in an item: the given name ("Rosa" for "Rosa Delgado", "Mei
    Lin" for "Mei Lin Tan": all but the family name of a longer one), or the whole name when
    it starts with a title ("Dr. Lin")."""
    parts = name.split()
    if len(parts) < 2 or _TITLE.match(parts[0]):
        return " ".join(parts)
    return parts[0] if len(parts) == 2 else " ".join(parts[:-1])


def _display(speaker: str | None, names: Mapping[str, str], role: Any) -> str:
    if speaker is None:
        return "them"
    if speaker in names:
        return names[speaker]
    label = role(speaker)
    return f"the {label}" if label in ("mentor", "mentee") else speaker


def _imperative(
    candidate: Candidate,
    owners: tuple[str, ...],
    speaker: str,
    other: str | None,
    names: Mapping[str, str],
    role: Any,
    utterances: Sequence[Utterance] = (),
    step_before: str = "",
) -> str:
    """The candidate worded as a task for its owners. ``step_before``: the task said just
    before it in the same turn, whose thing its pronoun most likely stands for ("can you
    draft the works application? You know that tree. Send it over": the application)."""
    phrase = without_due(candidate)
    if not phrase:
        return ""
    if candidate.kind == "offer" and phrase.lower().startswith("borrow "):
        phrase = f"lend {phrase[7:]} to you"  # "do you want to borrow it?": lent by the speaker
    if utterances and _SOMETHING.search(phrase):
        named = _something_named(utterances, candidate)
        if named:  # "write me something for college? They want a workplace report…"
            phrase = _SOMETHING.sub(named, phrase, count=1)
    # "…and do a stretcher lower, just the two of us": the owners say who
    phrase = re.sub(r",?\s*\b(?:just\s+)?(?:the\s+)?(?:two|both) of us\b", "", phrase, flags=re.I)
    if utterances and re.fullmatch(r"[a-z]+", phrase.strip().lower()):
        phrase = _said_before_with_object(phrase.strip(), utterances, candidate.index) or phrase
    speaker_name = _display(speaker, names, role)
    if other is None:
        # The other person has not spoken (yet): name them from the names given, if known.
        others = [label for label in names if label != speaker]
        other = others[0] if len(others) == 1 else None
    other_name = _display(other, names, role)
    owner_is_speaker = owners == (speaker,)
    owner_is_other = owners == (other,)
    joint = len(owners) > 1

    def person(word: str, dep: str) -> str | None:
        """A personal pronoun from the owner's side: the owner is who the item speaks to."""
        speaker_side = word in ("me", "my", "myself", "mine", "i")
        other_side = word in ("you", "your", "yourself", "yours")
        if speaker_side or other_side:
            is_owner = (speaker_side and owner_is_speaker) or (other_side and owner_is_other)
            name = speaker_name if speaker_side else other_name
            if is_owner:
                if word in ("my", "your"):
                    return "the"
                if word in ("myself", "yourself"):
                    return ""  # "I'll email him myself": email him
                return "you"
            if joint and speaker_side:
                return "the" if word == "my" else speaker_name
            if word in ("my", "your", "mine", "yours"):
                return f"{name}'s"
            return name
        if word in ("us", "ourselves"):
            # Said by one person about their side ("send us photos"): that person.
            return "each other" if joint else speaker_name
        if word == "our":
            return "the"
        return None

    context = _context(utterances, candidate) if utterances else []
    if step_before:
        context.append(step_before)
    people = [n for n in names.values() if n]
    lead = _lead(utterances, candidate) if utterances else ""
    text = task_text(phrase, context, person, people, _mentions(utterances, candidate), lead)
    listed = _spelled_out(utterances, candidate) if text and utterances else None
    if text and listed and not stems(listed) <= stems(text):
        text = f"{text}: {listed}"  # "Write a first draft: the timeline and root cause"
    return text or ""


def _said_before_with_object(verb: str, utterances: Sequence[Utterance], index: int) -> str | None:
    """A bare verb ("I will present on the twenty fifth") with the object it was said with in
    the few turns before ("you could also present the gratuity results to the client"), if
    it was."""
    said = re.compile(
        rf"\b{re.escape(verb)}\s+((?:the|a|an|your|my|our|their|his|her|this|that|these|those)"
        r"\s[^.?!,;]{2,80})",
        re.IGNORECASE,
    )
    for k in range(index - 1, max(-1, index - 5), -1):
        found = list(said.finditer(normalise(utterances[k].text)))
        if found:
            thing = _CLAUSE_AFTER.split(found[-1].group(1))[0].strip()
            return f"{verb} {thing}"
    return None


#: Where a clause said after a thing starts ("… to the client on the call on the 25th").
_CLAUSE_AFTER = re.compile(r"\s+(?:and|but|so|because|if|when|on the \w+)\b", re.I)


def _step_before(candidates: Sequence[Candidate], at: int) -> str:
    """The verb phrase of the task said just before candidate ``at`` in its own turn, if any."""
    candidate = candidates[at]
    before = candidates[at - 1] if at > 0 else None
    if before is None or before.index != candidate.index or before.anaphoric:
        return ""
    return without_due(before)


def _spelled_out(utterances: Sequence[Utterance], candidate: Candidate) -> str | None:
    """What one of the two sentences after the candidate's, in its turn, lists as the task's
    contents (media/insight/phrasing.py: listed_things), unless another task comes first."""
    said = normalise(utterances[candidate.index].text)
    at = said.lower().find(candidate.verb_phrase.lower()[:20])
    if at < 0:
        return None
    for sentence in _sentences(said[at:])[1:3]:
        listed = listed_things(sentence)
        if listed is not None:
            return listed
        if any(match_clause(clause, lead) for clause, lead in split_clauses(sentence)):
            return None  # what follows belongs to that task
    return None


_SOMETHING = re.compile(r"\bsomething\b", re.IGNORECASE)


def _something_named(utterances: Sequence[Utterance], candidate: Candidate) -> str | None:
    """The thing the sentence after the candidate's names with "a" ("Could you write me
    something for college? They want a workplace report from my supervisor."), if it names
    one there and asks no task of its own."""
    said = normalise(utterances[candidate.index].text)
    at = said.lower().find(candidate.verb_phrase.lower()[:20])
    following = _sentences(said[at:])[1:2] if at >= 0 else []
    if not following or any(match_clause(c, lead) for c, lead in split_clauses(following[0])):
        return None
    tokens = list(tag(following[0]))
    for k, token in enumerate(tokens):
        if token.lower_ not in ("a", "an"):
            continue
        end = k + 1
        while end < len(tokens) and (
            tokens[end].pos_ in ("ADJ", "NOUN") or tokens[end].lower_ in FILLER
        ):
            end += 1
        nouns = [t for t in tokens[k + 1 : end] if t.pos_ == "NOUN"]
        if nouns and nouns[-1].i == end - 1:
            words = [t.text for t in tokens[k:end] if t.lower_ not in FILLER and t.text != ","]
            return " ".join(words)
    return None


def _day_said_after(
    utterances: Sequence[Utterance],
    reply: int,
    starts: set[int],
    session_date: date | None,
    next_session: date | None,
) -> Due | None:
    """A day said in a short turn of its own ("Say next Friday.", "Monday, then?") within the
    two turns after the yes, unless a turn says a task of its own first."""
    for k in range(reply + 1, min(len(utterances), reply + 3)):
        if k in starts:
            return None
        said = normalise(utterances[k].text)
        due = find_due(said, session_date, next_session)
        if due is None:
            continue
        rest = re.sub(said_as(due.phrase), " ", said, flags=re.IGNORECASE).lower()
        others = [w for w in re.findall(r"[a-z']+", rest) if w not in _AROUND_A_DAY]
        if len(others) <= 2 and not NEGATED.search(said):
            return due  # "Say next Friday.", "End of next week, then?"
        return None
    return None


#: Words said around a day given alone ("say next Friday", "so, like, Monday then?").
_AROUND_A_DAY = frozenset(
    words("say so then okay ok like by before on for um uh er yes yeah yep sure maybe "
          "shall we let us call it how about what about is that fine good great perfect works")
)  # fmt: skip
