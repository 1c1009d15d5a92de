"""The grammar of action items: what one clause of speech commits someone to.

Normalisation (contractions, fillers), splitting an utterance into clauses, and the patterns
that make a clause a commitment, a request, an offer or a joint plan, with the words that
cancel them (habits, hypotheticals, negations, reported speech). :mod:`media.insight.actions` turns
these per-clause readings into agreed items across turns.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from media.insight.due import find_due
from media.insight.english import is_verb, tag, words

# -- normalisation ----------------------------------------------------------------------------
_CONTRACTIONS = (
    (r"\bi'm\b", "i am"), (r"\bi've\b", "i have"), (r"\bi'd\b", "i would"),
    (r"\bi'll\b", "i will"), (r"\bwe'll\b", "we will"), (r"\bwe're\b", "we are"),
    (r"\bwe'd\b", "we would"), (r"\byou'll\b", "you will"), (r"\byou're\b", "you are"),
    (r"\byou'd\b", "you would"), (r"\blet's\b", "let us"), (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"), (r"\bdon't\b", "do not"),
    (r"\bdoesn't\b", "does not"), (r"\bdidn't\b", "did not"), (r"\bshouldn't\b", "should not"),
    # "that's got to be booked": has got to (first, before "that's" is read as "that is")
    (r"\bit's got to\b", "it has got to"), (r"\bthat's got to\b", "that has got to"),
    (r"\bwouldn't\b", "would not"), (r"\bit's\b", "it is"), (r"\bthat's\b", "that is"),
    (r"\bgonna\b", "going to"), (r"\bwanna\b", "want to"), (r"\bgotta\b", "have to"),
    (r"\bkindly\b", "please"),
    # "today itself": this very day (the day is the deadline; "itself" says nothing more)
    (r"\btoday itself\b", "today"), (r"\btomorrow itself\b", "tomorrow"),
    (r"\btonight itself\b", "tonight"), (r"\bnow itself\b", "now"),
    (r"\bhe'll\b", "he will"), (r"\bshe'll\b", "she will"), (r"\bthey'll\b", "they will"),
    (r"\bthere's\b", "there is"), (r"\bhere's\b", "here is"), (r"\bwhat's\b", "what is"),
    (r"\bit'd\b", "it would"), (r"\bthat'd\b", "that would"), (r"\bthey'd\b", "they would"),
)  # fmt: skip
_CONTRACTIONS_RE = tuple((re.compile(p, re.IGNORECASE), r) for p, r in _CONTRACTIONS)
_FILLERS = re.compile(
    # (whole words only: not the "er" of "error", the "um" of "umbrella")
    r"\b(?:um+|uh+|erm|er|hmm+|you know|i mean|kind of|sort of|kinda|sorta|basically|"
    r"like,)(?!(?<=\w)\w)\s*,?\s*",
    re.IGNORECASE,
)
# Sentence ends, and the cut-offs ("--", "…") rough transcripts mark interruptions with.
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;:])\s+|\s*(?:--+|\u2014|\u2026|\.\.\.)\s*")
_CLAUSE_SPLIT = re.compile(
    # "…, and then separately you should pull the data": a new subject, a new clause.
    r",?\s+\b(?:and|but|so|then|also)\s+"
    r"(?:(?:then|separately|also|meanwhile|afterwards|after that|later)\s*,?\s+){0,2}"
    r"(?=(?:i|you|we|let us)\b)"
    r"|,\s+(?=(?:i|we|you|it|that|this|he|she|they)\s+"
    r"(?:will|am|are|is|was|have|has|can|shall)\b)",
    re.IGNORECASE,
)
_CLAUSE_JOIN = re.compile(f"({_CLAUSE_SPLIT.pattern})", re.IGNORECASE)
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
        # "Well, my advice: own it before he does." is advice, however it is worded.
        r"\b(?P<keep>my (?:advice|tip|rule))\s*:$",
    )
)
_SUBJECT_START = re.compile(r"^(?:(?:so|and|okay|ok|then)\s*,?\s+)*(?:i|you|we|let)\b", re.I)
# A pronoun as the object ("send them a mail", "talk to her"), not a relative "that".
POINTER = re.compile(r"^(?:\S+\s+){1,2}(?:it|them|him|her|this|those|these)\b", re.IGNORECASE)
RECAP = re.compile(
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


#: Titles whose full stop is no sentence's end ("ask Dr. Murphy").
_TITLES = re.compile(
    r"\b(Dr|Mr|Mrs|Ms|Mx|Prof|St|Sr|Jr|Dept|approx|vs|etc)\.(?=\s+\w)", re.IGNORECASE
)


#: An aside between dashes before the sentence goes on ("pick two case studies — the
#: onboarding one and this export one — and write them up"): it would cut the task in two.
_ASIDE = re.compile(
    r"\s*(?:--|\u2014|\u2013)\s*[^\u2014\u2013.?!]{1,100}?\s*(?:--|\u2014|\u2013)\s*"
    r"(?=(?:and|or|then)\b)",
    re.IGNORECASE,
)


#: "do you want a lend of them" (Scots, Northern English, Australian): to borrow them.
_A_LEND_OF = re.compile(r"\b(want|like|fancy|need)\s+a\s+(?:len|lend|loan)\s+of\b", re.I)


#: Words that only announce what follows ("Tell you what, bring your regs book Thursday").
_OPENERS = re.compile(
    # not "I'll tell you what to cut", "tell you what I think": what is told
    r"\b(?:i will tell you what|i tell you what|tell you what|here is the thing)\b"
    r"(?!\s+(?:to|i|we|you|he|she|they|it|is|was|the|a)\b)\s*[,:.]?\s*"
    # "so do one thing, clean the data": what the one thing is follows (not "do one thing at
    # a time", "do one thing well")
    r"|\bdo one thing\b(?!\s+(?:at|a|an|every|each|well|for|and|or|only|that|which|i|you|we|"
    r"is|was|right|first|properly|today)\b)\s*[,:.]?\s*",
    re.IGNORECASE,
)


@lru_cache(maxsize=20000)  # the same turn is read for each of its clauses and its replies
def normalise(text: str) -> str:
    """Contractions expanded, fillers and asides dropped, words said twice in a false start
    said once ("I'll, um, I'll see"); letter case kept (names stay names)."""
    text = _ASIDE.sub(" ", text)
    text = _TITLES.sub(r"\1", text.replace("\u2019", "'"))
    for pattern, replacement in _CONTRACTIONS_RE:
        text = pattern.sub(_keep_case(replacement), text)
    text = _FILLERS.sub("", text)
    text = _OPENERS.sub("", text)
    text = _A_LEND_OF.sub(r"\1 to borrow", text)
    text = _REPEATED.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


#: One to three words said again straight after ("i will i will see", "can you, can you").
_REPEATED = re.compile(r"\b((?:[a-z']+\s+){0,2}[a-z']+)(?:\s*,?\s+\1\b)+", re.IGNORECASE)


# -- clause grammar ---------------------------------------------------------------------------
_ADVERBS = (
    r"(?:(?:also|definitely|just|then|probably|really|actually|totally|certainly|still|"
    r"quickly|first|now|right|both|all|please|maybe|at least|go ahead and|try to|try and)\s+)*"
)
# A clause runs to the sentence's end; a full stop inside a word ("levels.fyi", "2.5") is none.
_IN_CLAUSE = r"(?:[^.?!;]|\.(?=\w))*"
# Not an answer run on into the next sentence ("… you will oh and Fiona is going to…").
_VP = (
    rf"{_ADVERBS}(?!(?:oh|ah|um|uh|and|but|so|okay|ok|yeah|yes|no|sir|madam|mate|bye)\b)"
    rf"(?P<vp>[a-z]{_IN_CLAUSE})"
)

# When a task is to be done, said before it ("when the next hybrid comes in, you shadow me").
_WHEN_FRONTED = r"(?:(?:when|once|after|before|as soon as)\s[^,]{1,60},\s*)?"
# The thing an imperative is about, said first ("and that practice take, send it over").
_FRONTED_TOPIC = r"(?:(?:the|that|this|those|these|your)\s+(?:[\w'-]+\s+){0,3}[\w'-]+\s*,\s*)?"
# A time said before an imperative ("so for next week, try to keep every link short").
_FRONTED_TIME = (
    r"(?:(?:(?:for|by|over|during)\s+)?(?:next|this)\s+(?:week|month)|tomorrow|today|tonight|"
    r"(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))?\s*,?\s*"
)

_SELF_FUTURE = (
    r"(?:will be sure to|will|shall|am going to|am planning to|plan to|intend to|promise to|"
    r"commit to|will make sure to|will make sure i|will try to|will try and|am committing to|"
    r"aim to)"
)
# Verbs that open a bare imperative task ("Send me the draft by Friday.").
_TASK_VERBS = (
    r"send|email|e-mail|text|message|write|draft|read|reread|review|update|finish|complete|"
    r"prepare|schedule|book|set up|share|look into|check|reach out|call|ask|practice|"
    r"sign up|apply|submit|fix|add|create|make|bring|come up with|put together|research|"
    r"find|follow up|block|record|list|pick|choose|watch|listen to|post|publish|polish|"
    r"rehearse|outline|plan|document|test|deploy|run|book|order|buy|contact|introduce|"
    r"invite|organize|organise|sketch|summarize|summarise|collect|gather|compile|print|"
    r"upload|download|install|fill out|fill in|fill|register|renew|file|pay|return|forward|put|"
    r"pull|lodge|sign|chase|confirm|cancel|arrange|redo|rewrite|edit|proofread|translate|"
    r"revise|memorize|memorise|jot down|note down|log|track|map|audit|measure|scan|copy|cc|"
    r"loop in|ping|remind|flag|raise|mention|escalate|present|demo|shadow|observe|visit|"
    r"attend|join|enrol|enroll|email back|reply|respond|clean up|tidy up|go through|"
    r"talk to|speak to|meet with|catch up with|check in with|set aside|block out|"
    r"have a (?:quick |little )?(?:word|chat) with"
)
#: Verbs after "you will" that say what will happen to someone, not what they will do.
_PREDICTED = (
    r"(?:learn|see|find|love|like|enjoy|notice|feel|be|have|know|realise|realize|hate|"
    r"regret|wonder|thank|laugh|cry|survive|sleep|get (?:used|the hang|there|better|it)|"
    r"pick it up|pick up on|manage|cope|struggle|need)"
)
_PATTERNS: tuple[tuple[str, str, float], ...] = (
    # (kind, regex, base confidence). First match in a clause wins.
    ("offer", rf"\b(?:do you want me to|would you like me to|want me to|shall i|should i|"
              rf"why do not i|"
              rf"how about i|what if i|would it help if i|would it be helpful if i|"
              rf"does it help if i)\s+{_VP}", 0.8),
    # Not "have you got one I could copy?": what the speaker could do with a thing asked for.
    ("offer_can", rf"\b(?:i am happy to|i would be happy to|happy to|i would love to|"
                  rf"(?<!\bone )(?<!\bsomething )(?<!\banything )(?<!\bthing )i could|"
                  rf"(?<!\bone )(?<!\bsomething )(?<!\banything )(?<!\bthing )i can)"
                  rf"\s+{_VP}", 0.8),
    ("request", rf"\b(?:your homework is to|your homework is|your task is to|"
                rf"your action item is to|the next step for you is to|i want you to|"
                rf"i would like you to|i need you to|"
                rf"i would love for you to|i would love you to|i would love it if you|"
                rf"i am going to ask you to|i will ask you to|i am asking you to|"
                # "I'm going to get you to shadow Amira", "what I'd like is for you to…"
                rf"i am going to get you to|i will get you to|let us get you to|"
                rf"i will leave it (?:with you|to you) to|i am going to leave it with you to|"
                rf"what i (?:would like|would love|want|need) is for you to|"
                rf"what i (?:would like|want|need) you to do is(?: to)?|"
                rf"the (?:ask|plan|idea) is (?:that you|for you to))\s+{_VP}", 0.85),
    # "I was wondering whether you might be able to get me a copy", "it'd be great if you
    # could put together a handout".
    ("request", rf"\b(?:i was wondering (?:whether|if) you (?:might|would|could)(?: be able to)?|"
                rf"i was wondering (?:whether|if) you can|"
                rf"it would be (?:great|good|brilliant|lovely|helpful|amazing) if you "
                rf"(?:could|can)|it would help if you (?:could|can))\s+{_VP}", 0.75),
    # "can I get you to send it?", "any chance you could…", "do you think you could…", "I was
    # hoping you could…", "would you be happy to…", "do you mind sending…", "your job this
    # week is to…": asked in other words.
    ("request", rf"\b(?:(?:can|could) i get you to|any chance you (?:could|can|might)|"
                rf"do you think you (?:could|can|might)(?: be able to)?|"
                rf"i was hoping (?:that )?you (?:could|would|might|can)|"
                rf"would you be (?:happy|okay|ok|willing|up for it) to|"
                rf"would it be possible for you to|"
                rf"your (?:job|task|goal|challenge|mission) (?:this week |for next time |for the "
                rf"week |before next time )?is to)\s+{_VP}", 0.75),
    ("request", rf"\bdo you mind\s+(?P<vp>[a-z]+ing\b{_IN_CLAUSE})", 0.75),
    # "If you could send me the slides, that'd be great."
    ("request", r"^(?:(?:so|and|okay|ok|um|oh)\s*,?\s+)*if you (?:could|can)\s+"
                r"(?P<vp>[a-z][^.?!]*?),?\s+(?:and\s+)?that would be (?:great|good|brilliant|"
                r"lovely|helpful|amazing|perfect)\b", 0.75),
    # "how would you feel about presenting the review at the workshop?"
    ("request", rf"\b(?:how would you feel about|would you be up for|are you up for)\s+"
                rf"(?P<vp>[a-z]+ing\b{_IN_CLAUSE})", 0.7),
    # "I propose you make a synthesis", "I'd suggest that you email her first".
    ("request", rf"\bi\s+(?:would\s+)?(?:suggest|propose|recommend)\s+(?:that\s+)?you\s+"
                rf"(?:to\s+)?{_VP}", 0.7),
    ("request", rf"\b(?:(?:would|could|will)\s+you\s+be\s+(?:able|open|willing)\s+to|"
                rf"are you\s+(?:able|open|willing)\s+to|would you consider|"
                rf"is it possible for you to)\s+{_VP}", 0.75),
    ("request", rf"\b(?:could|can|would|will)\s+you\s+(?:please\s+|maybe\s+|possibly\s+)?"
                rf"(?:mind\s+)?{_VP}", 0.75),
    # Not the month: "in May I think…".
    ("permission", rf"\b(?:could|can|(?<!\bin )(?<!\bby )(?<!\bof )(?<!\bearly )(?<!\blate )"
                   rf"(?<!\bmid )(?<!\bsince )(?<!\buntil )may)\s+i\s+"
                   rf"(?:maybe\s+|possibly\s+|please\s+)?{_VP}", 0.75),
    ("permission", rf"\b(?:would it be (?:possible|okay|ok|alright) (?:for me to|if i)|"
                   rf"is it (?:okay|ok|alright) if i|(?:do|would) you mind if i)\s+{_VP}", 0.75),
    ("proposal", rf"\b(?:shall we|should we|how about we|what if we|why do not we)\s+{_VP}", 0.75),
    ("request", rf"\bwhy do not you\s+{_VP}", 0.7),
    ("request", rf"\b(?:how about|what about|what if)\s+you\s+{_VP}", 0.65),
    ("request", rf"\byou\s+(?:should|need to|have to|must|will need to|will want to|"
                rf"might want to|want to|could)\s+{_VP}", 0.6),
    # "you'll learn more in an afternoon", "you're going to have a lot of colonies": what
    # will happen to them, not what they are to do.
    ("request", rf"\byou\s+(?:are going to|will)\s+(?!{_PREDICTED}\b){_VP}", 0.6),
    ("request", rf"^(?:(?:so|and|okay|ok|alright|then|now|please|yes|yeah|also|one more thing|"
                rf"another thing|the other thing)\s*,?\s+)*"
                rf"(?:please\s+|make sure (?:to|you)\s+|remember to\s+|do not forget to\s+|"
                rf"be sure to\s+){_VP}", 0.75),
    ("request", rf"\b(?P<vp>let me know\b{_IN_CLAUSE})", 0.7),
    # "You write the outline, and I will read it": a bare "you" + task verb assigns work.
    ("assignment", rf"^(?:(?:so|and|okay|ok|alright|now|meanwhile|in the meantime)\s*,?\s+)*"
                   rf"{_WHEN_FRONTED}you\s+{_ADVERBS}"
                rf"(?P<vp>(?:{_TASK_VERBS}|do|take|try|talk to|speak to)\b(?!')"
                rf"{_IN_CLAUSE})", 0.65),
    ("request", rf"^(?:(?:so|and|okay|ok|alright|then|now|good|great|brilliant|perfect|lovely|"
                rf"cool)\s*,?\s+)*{_FRONTED_TOPIC}{_FRONTED_TIME}{_ADVERBS}"
                # "try that on a fresh offcut and send me a photo": trying a thing said
                # and "do the same for the ones at the creek site": the last task, again
                rf"(?P<vp>(?:{_TASK_VERBS}|try to|try and|"
                # "so do an experience analysis on the exits": a piece of work to do
                rf"do(?=\s+an?\s+(?!(?:lot|bit|little|favou?r|good job|great job)\b))|"
                rf"do the same(?=\s+(?:for|with|at|on|to)\b)|try (?:that|this|it|them|those|these)"
                rf"(?=\s+(?:on|with|in|out on|for)\b))\b(?!'){_IN_CLAUSE})", 0.7),
    # "Get the FOI in this week", "put your reasoning in the file today": a light verb opens
    # a task only with a day said ("keep it simple", "give it two years" advise).
    ("light", rf"^(?:(?:so|and|okay|ok|alright|then|now|right)\s*,?\s+)*"
              rf"(?P<vp>(?:get|put|have|give|make)\s+(?!(?:you|we|they|i|he|she|me\s+(?:a|one))\b)"
              rf"[a-z]{_IN_CLAUSE})", 0.7),
    # Not "they'll let us touch it", "to let us in": someone allowing, no proposal.
    ("joint", rf"(?<!\bwill )(?<!\bwould )(?<!\bto )(?<!\bnot )(?<!\bcan )(?<!\bcould )"
              rf"(?<!\bmight )(?<!\bthey )(?<!\bhe )(?<!\bshe )(?<!\bit )(?<!\bwho )"
              rf"(?<!\bwhich )\blet us\s+{_VP}", 0.75),
    ("joint", rf"\bwe\s+{_SELF_FUTURE}\s+{_VP}", 0.75),
    ("joint", rf"\bwe\s+(?:should|need to|have to|can|must|could)\s+{_VP}", 0.6),
    ("joint", rf"\byou and (?:me|i)\s+(?:should|need to|can|could|will|are going to)\s+{_VP}",
              0.7),
    ("commitment", rf"\blet me\s+{_VP}", 0.7),
    ("commitment", rf"\b(?:my plan is to|the plan is for me to)\s+{_VP}", 0.75),
    ("commitment", rf"\bi\s+{_SELF_FUTURE}\s+{_VP}", 0.85),
    # "and I redo the brakes on Monday": a present tense for the future, only with a day
    # said ("and I talk to Jonas" in a recap restates).
    ("present", rf"^(?:(?:and|then|so|okay)\s*,?\s+)*i\s+(?P<vp>(?:{_TASK_VERBS})\b(?!'|s\b)"
                rf"{_IN_CLAUSE})", 0.55),
    ("commitment", rf"\bi\s+(?:need to|have to|must|have got to|got to|should)\s+{_VP}", 0.55),
    # "we both go and check out the site on saturday": the pair's plan, only with a day
    ("present_joint", rf"^(?:(?:and|then|so|okay|ok)\s*,?\s+)*we\s+(?:both|two)\s+"
                      rf"(?P<vp>(?:go|come|meet|sit|check|visit|do|work|walk|look|head)\b"
                      rf"{_IN_CLAUSE})", 0.55),
)  # fmt: skip
_COMPILED = tuple((kind, re.compile(rx, re.IGNORECASE), conf) for kind, rx, conf in _PATTERNS)

# Verbs that talk about the conversation itself or a state of mind, not a task.
_NOT_TASKS = re.compile(
    r"^(?:think|see\b(?!\s+(?:if|whether|about|what i can do))|say|guess|tell you|"
    r"tell me\b(?! (?:how|when|whether|if|what happen))|"
    r"ask you\b(?! to)|ask (?:something|a question|a few)|"
    r"be honest|admit|explain|clarify|repeat\b(?!\s+(?:it|the|this)\s+(?!back)\w)|describe|"
    r"walk me through|walk you through|"
    r"talk(?!\s+(?:to|with|again))|skip|move on|go back(?!\s+(?:through|over|and)\b)|"
    r"start with|begin|continue|focus on|recap|"
    # (Not a role taken on for them: "be one of your referees", "be your second marker".)
    r"wrap up|switch|look at this|hear|imagine|suppose|assume|remember|know|feel|"
    r"be(?!\s+(?:one of (?:your|the)|your)\s+(?!bit\b|little\b|good\b|great\b)\w)|"
    r"believe|"
    r"hope|wish|wonder|agree|understand|mean|stop you|jump in|interrupt|summarize|pause|"
    r"need\b(?!\s+to\b)|"  # "I'll need that for the MCA paperwork": what the speaker will want
    r"give you an example|share my screen|share your screen|get started|dive in|kick off|"
    r"let you go|let you get (?:on|back)|take a look now|end up|go there|"
    # "let's get you building wheels, then": a lead-in to the task said next.
    r"get (?:you|him|her|them) \w+ing\b|"
    # "i will bye", "i will thanks harriet": a goodbye after an "I will" said as a yes.
    r"bye\b|goodbye|thanks\b|thank you\W*$|cheers\b|see you\b|wait\b|"
    # A state foreseen, not a task: "in May I think I will have enough data".
    r"have (?:enough|more|less|plenty|too much|too many|no idea)\b|"
    # Leaving the call ("I've got to run", "I have to head off").
    r"run(?!\s+(?:the|a|an|it|this|that|these|those|some|through|over|by|past|with|\w+s\b|"
    r"\d|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|every|each|all|"
    r"your|my|our))|"
    r"head off|jump off|dash|get going|hop off|go now|"
    r"set up for (?:my|the) (?:next|\w+ o'?clock|\d+)|"  # "I gotta set up for my two o'clock"
    # Managing the call itself, not work for after it.
    r"move fast|start there|start here|close the door|make (?:that|this|it) a priority|"
    r"crack on\b|get on with it|press on|"
    r"grab (?:a|my|some) (?:coffee|water|tea)|mute|unmute|"
    r"turn (?:on|off) (?:my|your|the) (?:camera|video|mic)|come back to (?:that|this|it)|"
    r"park (?:that|this|it)|park\b.{0,40}?\bfor (?:a (?:second|moment|minute|bit)|now))\b",
    re.IGNORECASE,
)
#: "You will have / get / hear…": the other person receiving what the speaker will do.
_RECEIVED = re.compile(r"you\s+will\s+(?:have|get|receive|hear|see)\b(?!\s+to\b)", re.IGNORECASE)
_HABIT = re.compile(
    r"\b(?:usually|always|often|sometimes|normally|generally|typically|tend to|used to|"
    r"every (?:single )?time|whenever|most of the time|on most days|never|keep \w+ing|i keep|"
    r"these days|"
    r"what i do (?:now )?is)\b",
    re.IGNORECASE,
)
#: A relative clause's start: a habit after it says which thing ("the one I always use").
_OF_A_THING = re.compile(r"\b(?:one|ones|that|which)\s+(?:i|we|you|he|she|they)\s+$", re.IGNORECASE)
HYPOTHETICAL = re.compile(
    # (Not "it'd be great if you could…", "I was wondering if you could…": asked politely.)
    r"\b(?:(?<!great )(?<!good )(?<!helpful )(?<!brilliant )(?<!lovely )(?<!amazing )"
    r"(?<!help )(?<!wondering )if (?:i|we|you) (?:had|were|was|could|did)"
    r"(?![^.?!]*\bthat would be (?:great|good|brilliant|lovely|helpful|amazing|perfect)\b)|"
    r"would have|could have|"
    r"should have|"
    r"some ?day|one of these (?:days|years)|one day|(?:maybe|perhaps) one year|in theory|"
    # (Not "send it over when it's ready, ideally by Friday": a deadline said softly.)
    r"ideally(?!,?\s+(?:by|before|on|this|next|today|tomorrow|tonight|the)\b)|"
    r"i wish|in an ideal world|if only|"
    r"right now|"
    r"ask me again|"  # "not yet. Ask me again next year and I'll happily do it": put off
    # Standing offers: help on call, no task agreed ("message me whenever you need").
    r"if you ever|if ever|any ?time you|anytime|at any point|feel free to|"
    # "call me any time" (not "any time this week": a deadline)
    r"any time(?!\s+(?:this|next|before|by|on|today|tomorrow|tonight|soon|after)\b)|"
    r"my door(?: is|'s) (?:always )?open|if you (?:ever )?need (?:anything|help|me)|"
    r"(?:if )?(?:anything|something) (?:comes up|changes|happens|goes wrong)|if you get stuck|"
    r"if you have (?:any )?(?:questions|worries|doubts))\b",
    re.IGNORECASE,
)
NEGATED = re.compile(
    r"\b(?:will not|am not going to|are not going to|do not (?:need|have) to|no need to|"
    r"not going to|can not|should not|never|let us not|do not think|not sure|doubt|unable)\b",
    re.IGNORECASE,
)
REPORTED = re.compile(
    r"\b(?:said|says|told me|tells me|asked me|mentioned|thinks|thought|was going to|"
    r"were going to|was planning to|last time|saying|to say)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(?:probably|maybe|perhaps|might|possibly)\b", re.IGNORECASE)
_CONDITION = re.compile(
    # "see if", "ask whether": the task is to find out, not a condition on it.
    r"(?<!\bsee )(?<!\bask )(?<!\bcheck )(?<!\bout )(?<!\bknow )"
    r"\b(?:if|unless|once)\b(?!\s+you\s+(?:want|like|need|prefer|have time|can|would like))"
    # "once it's done": when to do it, not whether.
    r"(?!\s+(?:it|that|this|they|those)\s+(?:is|are)\s+(?:done|ready|finished|out|sent|signed|"
    r"approved|back|in)\b)"
    # "once I've squared the dates with Morag": when, after something done, not whether.
    r"(?!(?<=once)\s+(?:i|we|you|he|she|they)(?:\s+(?:have|has|is|are)|'s|'ve|'re)\s+"
    r"[a-z]+ed\b)",
    re.IGNORECASE,
)
_ADDRESSEE = re.compile(r"\b(?:you|your|yours|if you (?:want|like|need))\b", re.IGNORECASE)
_ADVICE = re.compile(
    r"\b(?:in general|as a rule|rule of thumb|"
    r"(?<!if )it is (?:good|important|helpful|useful|worth))\b",
    re.IGNORECASE,
)

ACCEPT = re.compile(
    r"(?:yes|yeah|yep|yup|sure|ok|okay|alright|absolutely|definitely|of course|certainly|"
    r"course(?=\W*$|\W+(?:i|we)\b)|"  # a British "Course." for "of course"
    r"sounds good|sounds great|sounds like a plan|that works|works for me|will do|on it|deal|"
    r"great|perfect|good idea|great idea|love (?:it|that)|i would love that|please do|"
    r"yes please|that would (?:be )?(?:really |so |very )?(?:great|helpful|amazing|awesome|nice|"
    r"lovely|perfect|help|brilliant|fantastic|wonderful|excellent|useful|ideal|super)|"
    r"brilliant|fantastic|wonderful|excellent|lovely|"
    r"that would help|thanks|thank you|i will|i can do that|i can|no problem|happy to|"
    r"i am on it|let us do it|count me in|got it|agreed|fine|makes sense|i will try|"
    r"i would (?:like|love) that|ja|aye)\b",
    re.IGNORECASE,
)
DECLINE = re.compile(
    r"(?:no\b(?!\s+(?:problem|worries))|nope|nah|not really|i can not|i do not think|"
    r"i would rather|rather not|no need|no thanks|no thank you|that is okay|that is ok|"
    r"that is alright|maybe not|i am good|i am fine|do not worry|not necessary|i already|"
    r"i have already|thanks,? but|thank you,? but|i do not have time|not this (?:week|time)|"
    r"sorry|i have a conflict|i can not|i am okay|it is fine|that is fine|"
    r"it is (?:okay|ok|alright)|"
    r"i think i am (?:okay|good|fine)|"
    # Advice acknowledged is no task taken on: "yes, I know, I know".
    r"(?:yes|yeah|yep)?\W*i know\W*(?:i know\W*)?$|"
    # Not decided is no yes: "Maybe. I'll see how I feel", "let me think about it".
    r"(?:maybe|perhaps)\W+i will see\b|i will see how|we will see|let me think about it|"
    r"(?:yes|yeah|yep|ok|okay|mm)?\W*(?:maybe|perhaps|possibly)\W*$|"  # "Yeah, maybe."
    r"i will think about it|not sure yet|i need to think|"
    # A yes in words with a no after it: "I'd love to, but Saturdays I work".
    r"i would (?:love|like) to,? but|i wish i could|(?:that )?sounds (?:great|lovely|good|"
    r"amazing|fun),? but|"
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
        # "start doing that": a habit just described, pointed at
        "doing",
    ]
)


# -- the result -------------------------------------------------------------------------------


def split_clauses(text: str) -> list[tuple[str, str]]:
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
        # The words that join two clauses stay in the lead ("…, so we can…"): they say how
        # the second follows from the first.
        parts = [sentence] if _SUBORDINATE_START.match(sentence) else _CLAUSE_JOIN.split(sentence)
        lead = ""
        for k, part in enumerate(parts):
            if k % 2:
                lead = f"{lead}{part}"
            elif part.strip(" ,"):
                clauses.append((part.strip(" ,"), lead))
                lead = f"{lead} {part}"
    return clauses


_STEP_JOIN = re.compile(rf"\s*,?\s+and\s*,?\s+(?:then\s+)?(?=(?:{_TASK_VERBS})\b)", re.IGNORECASE)


def dated_steps(verb_phrase: str) -> list[str]:
    """The steps of a phrase that joins verbs with "and" when each says its own day ("write
    the opening tonight and memorize it by Sunday": two tasks); else the phrase whole."""
    steps = [step.strip(" ,") for step in _STEP_JOIN.split(verb_phrase)]
    if len(steps) > 1 and all(step and find_due(step, None) is not None for step in steps):
        return steps
    return [verb_phrase]


_OPENING_LEAD = re.compile(
    r"^(?:(?:so|and|okay|ok|alright|then|now|right|please|just|also|oh|well|first|next)"
    r"\s*,?\s+)*",
    re.IGNORECASE,
)
#: Words an imperative does not open with: subjects, articles, question words, modals, the
#: verbs the patterns already read (with their own conditions), and talk about the talk.
_NO_IMPERATIVE = frozenset(
    words(
        "i you we he she they it that this these those there here the a an my your our his "
        "her their what which who why how where when if is are was were am be been do does "
        "did done will would can could should shall may might must let lets not no yes yeah "
        "get put have give make take keep go come see look say tell think know feel mean "
        "imagine remember trust listen stop wait hang bear mind note guess wonder hope thank "
        "thanks sorry excuse like love try want need start begin continue enjoy um uh "
        "aye yep nope cool great fine sure okay ok work"
    )
)


def imperative_opening(clause: str) -> str | None:
    """The clause from its first word after lead-ins ("so", "and then"), when that word may
    be an imperative verb the patterns do not list ("redesign the setting…"): what to tag."""
    if clause.endswith("?"):
        return None
    bare = _OPENING_LEAD.sub("", clause).strip()
    first = re.match(r"[a-z][a-z'-]*", bare, re.IGNORECASE)
    if first is None or first.group(0).lower() in _NO_IMPERATIVE or len(bare.split()) < 3:
        return None
    return bare


def match_imperative(clause: str, lead: str = "") -> tuple[str, str, float] | None:
    """A request said as an imperative with a verb the patterns do not list, read by the
    tagger ("Redesign the setting so the claws sit clear", "photograph the chip today"); it
    counts, as a request, only with a deadline or the other's yes."""
    bare = imperative_opening(clause)
    if bare is None:
        return None
    doc = tag(bare)
    if not len(doc) or doc[0].tag_ != "VB" or doc[0].pos_ != "VERB" or not is_verb(doc[0].text):
        return None  # "aye the one that went…", "coursework the…": tagged a verb, none
    matched = match_clause(f"please {bare}", lead)
    if matched is None or matched[0] != "request":
        return None
    return "imperative", matched[1], matched[2] - 0.1


def is_anaphoric(verb_phrase: str) -> bool:
    """True when the phrase only points back ("do that", "look at it", "try")."""
    words = re.findall(r"[a-z']+", verb_phrase.lower())
    return all(w in _ANAPHORIC_WORDS for w in words[1:])


_BARE_START = re.compile(rf"^(?:(?:and|then|also|so)\s*,?\s+)*(?:{_TASK_VERBS})\b", re.I)
_SELF_LEAD = re.compile(rf"\b(?:i\s+{_SELF_FUTURE}|let me)\s+\w+[^.?!;]*$", re.IGNORECASE)
_WE_LEAD = re.compile(rf"\b(?:we\s+{_SELF_FUTURE}|let us)\s+\w+[^.?!;]*$", re.IGNORECASE)
_WH_QUESTION = re.compile(r"\b(?:what|which|where|when|who|whom|whose|how)\b", re.IGNORECASE)
_ASKS = re.compile(
    r"^(?:(?:okay|ok|so|and|then|well|alright|right|now)\s+)*(?:what|which|where|when|who|how|"
    r"why)\s+(?:do|does|did|would|will|can|could|should|are|is|am|shall)\s+(?:you|we|i)\b",
    re.IGNORECASE,
)
_SUGGESTION = re.compile(r"\b(?:how about|what about|why do not|why not)\b", re.IGNORECASE)


#: Leaving the call to do something of one's own.
_LEAVING = re.compile(
    r"\bi\s+(?:really\s+)?(?:need to|have to|have got to|got to|must)\s+go(?:\s+and\b|\W*$)",
    re.IGNORECASE,
)
#: Done now, in the call: "one second, let me close the window", "hang on, let me find it".
_RIGHT_NOW = re.compile(
    r"\b(?:(?:one|a|just a|half a)\s+(?:sec|second|moment|minute|mo)|hang on|hold on|"
    r"bear with me|wait)\W+(?:let me|i will)(?:\s+just)?\s*$",
    re.IGNORECASE,
)
#: Verbs whose past is their present: "I put", "I set", "I read" with a day may be either.
_SAME_IN_PAST = re.compile(r"^(?:put|set|cut|read|let|hit|shut|quit|spread|send off)\b", re.I)
#: What happens if a thing is not done ("…, or we'll get strings landing the day before").
_OR_ELSE = re.compile(r"(?:^|[\s,])(?:or|or else|otherwise)\s*,?\s*$", re.IGNORECASE)
#: Asked whether they would like to borrow something: an offer to lend it.
_WANTS_TO = re.compile(r"\b(?:do you want|would you like|you want|want|fancy)\s+to\s*$", re.I)
#: "do I need to…" opening a clause: a question, though unpunctuated.
_ASKS_SELF = re.compile(r"^(?:\W*(?:so|and|but|okay|ok|oh|well)\b)*\W*(?:do|does|did)\s*$", re.I)
_BECAUSE = re.compile(r",?\s+\b(?:because|cos|otherwise|or else)\b", re.IGNORECASE)
#: Practice as a habit ("every day", "again and again"): advice, not a task agreed.
_PRACTICE = re.compile(
    r"\b(?:every (?:day|night|morning|evening|week)|each day|daily|again and again|"
    r"over and over|regularly|all the time|as (?:much|often) as you can)\b",
    re.IGNORECASE,
)


def match_clause(clause: str, lead: str = "") -> tuple[str, str, float] | None:
    """(kind, verb phrase, confidence) when the clause commits someone to an action.

    ``lead`` is the earlier part of the same sentence: a condition or hedge there ("maybe, if
    I get the score, I'll apply") weakens the clause as much as one inside it.
    """
    habit = _HABIT.search(clause)
    if habit and _OF_A_THING.search(clause[: habit.start()]):
        habit = None  # "I can send you the one I used to use": which one, not a habit
    if habit or HYPOTHETICAL.search(clause) or _ADVICE.search(clause):
        return None
    found = [(kind, m, conf) for kind, p, conf in _COMPILED if (m := p.search(clause))]
    if not found:
        return None
    # The pattern that starts first governs the clause ("I'm going to raise it with Karen and
    # see if we can…" is the speaker's commitment); on a tie the list's order decides.
    # "let me think i'll send you a list" (no comma): a start that is talk about the talk
    # gives way to the pattern after it.
    ordered = sorted(found, key=lambda f: f[1].start())
    while len(ordered) > 1 and _NOT_TASKS.match(ordered[0][1].group("vp").strip(" ,")):
        later = [f for f in ordered[1:] if f[1].start() >= ordered[0][1].start("vp")]
        if not later:
            break
        ordered = later
    kind, match, confidence = ordered[0]
    before = clause[: match.start()]
    # "get it in by friday because processing's thirty days": the reason is no part of it.
    verb_phrase = _BECAUSE.split(match.group("vp"))[0].strip(" ,")
    if not verb_phrase or _NOT_TASKS.match(verb_phrase):
        return None
    borrow = re.match(r"borrow\b", verb_phrase, re.IGNORECASE)
    if kind == "request" and borrow and _WANTS_TO.search(clause[: match.start("vp")]):
        kind = "offer"  # "do you want to borrow it?": the speaker offers to lend it
    # "apply before the cutoff, otherwise it won't be approved": what follows, not the task
    said_to = match.start("vp") + len(_BECAUSE.split(match.group("vp"))[0])
    if NEGATED.search(clause[:said_to]) or REPORTED.search(before):
        return None
    if kind == "request" and _RECEIVED.match(clause[match.start() :]):
        return None  # "you'll have comments by Monday": what the speaker will give
    if kind == "commitment" and _RIGHT_NOW.search(clause[: match.start("vp")]):
        return None  # "one second, let me close the window": done now, in the call
    if kind == "commitment" and _LEAVING.search(clause):
        return None  # "right, I need to go and open up for the toddler group"
    if _OR_ELSE.search(before):
        return None  # "…before the fourteenth, or we'll get strings landing late": what follows
    if kind == "commitment" and _ASKS_SELF.match(before):
        return None  # "do I need to get them photographed": a question, if unpunctuated
    if kind == "permission" and re.match(r"ask (?:about|you)\b", verb_phrase, re.IGNORECASE):
        return None  # "can I ask about the funeral": a question in the call
    if kind == "request" and _PRACTICE.search(clause) and re.search(r"\bshould\b", clause):
        return None  # "you should practise your unisons every day": how to get better
    if kind == "permission" and re.match(r"(?:have|get|borrow)\b", verb_phrase, re.IGNORECASE):
        return None  # "can I have a copy?": asks to be given, no task of the speaker's
    if kind == "request" and re.match(r"let me\s+\w", verb_phrase, re.IGNORECASE):
        # "I was wondering whether you might let me co-teach the class": the asker's own task
        kind, verb_phrase = "permission", verb_phrase[len("let me") :].strip()
    if kind == "present_joint":
        return ("joint", verb_phrase, confidence + 0.15) if find_due(clause, None) else None
    if kind in ("present", "light"):
        if find_due(clause, None) is None:
            return None
        if kind == "present" and _SAME_IN_PAST.match(verb_phrase):
            return None  # "I put the report in on Thursday": said of the past as often
        kind = "commitment" if kind == "present" else "request"
    if kind == "assignment":
        # Only at the start of a sentence: "so then you ask him" narrates a method.
        if lead.strip():
            return None
        kind = "request"
    if kind == "offer_can":
        # "I can read a bit" states an ability; an offer is made to someone, or hands
        # something over ("I can share my old notes").
        handing = re.match(r"(?:share|send|lend|forward|email|bring|print|dig out)\b",
                           verb_phrase, re.IGNORECASE)  # fmt: skip
        if not _ADDRESSEE.search(clause) and not clause.endswith("?") and not handing:
            return None
        kind = "offer"
    # Unpunctuated speech asks without a "?": "okay so what do you want to work on today".
    question = clause.endswith("?") or bool(_ASKS.match(clause))
    if question and kind == "commitment" and not before.strip():
        return None  # "will I need a visa?" asks; it does not promise
    if question and _WH_QUESTION.search(f"{lead} {before}") and not _SUGGESTION.search(clause):
        return None  # "what would you like to focus on today?" asks what, it asks for no task
    if question and kind == "joint":
        kind = "proposal"
    if kind == "request" and _BARE_START.match(clause):
        # "I'll dig out the paper and email it to you": the subject of the first verb does
        # the second too.
        if _SELF_LEAD.search(lead):
            kind = "commitment"
        elif _WE_LEAD.search(lead):
            kind = "joint"
    if _HEDGE.search(clause) or _HEDGE.search(lead):
        confidence -= 0.2
    if _CONDITION.search(lead) or _CONDITION.search(before) or _CONDITION.search(verb_phrase):
        confidence -= 0.25
    if re.search(r"\bask me again\b", lead, re.IGNORECASE):
        return None  # "ask me again next year and I'll happily do it": put off, not promised
    return kind, verb_phrase, confidence
