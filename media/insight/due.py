"""Due phrases ("by Friday", "before our next session", "tonight") and the dates they name.

:func:`find_due` returns the phrase as said and, when it can be resolved relative to the
session date, the calendar date. Rules (the session date is day 0):

- today, tonight, this morning/afternoon/evening, later today, end of (the) day, after this
  call, straight after this, as soon as we hang up, end of play → day 0; tomorrow
  (morning…) → day 1; the day after tomorrow → day 2; this time next week → day 7; in a
  fortnight → day 14;
- a weekday ("by Friday", "on Monday", "this Thursday") → its next date after day 0;
  "next <weekday>" and "<weekday> next week" → that weekday in the following week;
  "<weekday> week" and "a week on <weekday>" (British) → a week after its next date;
  "Thursday the third" → the date (the third);
- end of (the) week → the Friday of this week (or day 0 at a weekend); end of next week → the
  Friday of the following week; early / mid / late next week → its Monday / Wednesday /
  Friday; this weekend → Sunday;
- next week → the Monday of the following week; next month → the 1st of the next month; next
  quarter / year → its first day; this week → its Friday; this month / quarter / year → its
  last day; this / next sprint → said, with no date (a sprint's length is the team's);
  "sometime next week" is "next week";
  end of (the) month/quarter/year (this or next) and end of <month> → its last day (a
  quarter is a calendar quarter);
- in N days/weeks, within a week → day 0 + N;
- "the 15th", "March 3", "3rd of March", "by the sixteenth", "August thirty-first" → that
  date (next year if it is over half a year past); a word ordinal alone needs its preposition;
- a phrase tied to an event ("before our next session", "by the interview", "asap") keeps
  its words but no date, unless the next session's date is given.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3, "couple of": 2,
}  # fmt: skip

_UNITS = tuple(
    [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
    ]
)
#: "sixteenth" → 16, "twenty-first" → 21, "thirtieth" → 30: days of the month said as words.
ORDINALS = {word: n for n, word in enumerate(_UNITS, start=1)}
ORDINALS |= {"twentieth": 20, "thirtieth": 30}
ORDINALS |= {f"{tens}{sep}{unit}": base + n for tens, base in (("twenty", 20), ("thirty", 30))
             for n, unit in enumerate(_UNITS[:9], start=1) for sep in ("-", " ")}  # fmt: skip
_ORDINAL = "|".join(sorted((re.escape(k) for k in ORDINALS), key=len, reverse=True))
_DAY = rf"(\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL})"

_LEAD = r"(?:(?:by|before|until|till|on|for|no later than|ahead of|at)\s+)?"
# An event only names a deadline after a preposition of time ("send the review notes" is not).
_EVENT_LEAD = r"(?:by|before|until|till|ahead of|prior to|in time for)\s+"
_DAYPART = r"(?:\s+(?:morning|afternoon|evening|night|lunch|noon))?"
_WEEKDAY = "|".join(WEEKDAYS)
_MONTH = "|".join(MONTHS)
_NUMBER = "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
_EVENT = (
    r"(?:session|meeting|call|check-in|check in|one-on-one|one on one|1:1|sync|catch-up|"
    r"catch up|chat|interview|presentation|review|deadline|talk|demo|standup|offsite|conference)"
)

_PATTERNS: tuple[tuple[str, str], ...] = (
    ("event", rf"\b{_EVENT_LEAD}(?:our|the|your|my|this|that)\s+(?:next\s+)?{_EVENT}\b"),
    ("next_event", rf"\b{_EVENT_LEAD}next\s+(?:time|{_EVENT})\b"),
    ("end_of", rf"\b{_LEAD}(?:the\s+)?end\s+of\s+(the\s+|this\s+|next\s+)?"
               r"(day|week|month|year|quarter|sprint)\b"),
    ("end_of_month", rf"\b{_LEAD}(?:the\s+)?end\s+of\s+({_MONTH})\b"),
    ("part_of_next_week", rf"\b{_LEAD}(early|mid|middle of|late|later)[\s-]+next\s+week\b"),
    ("eod", r"\b(?:by\s+)?(eod|eow|cob)\b"),
    ("next_weekday", rf"\b{_LEAD}next\s+({_WEEKDAY}){_DAYPART}\b"),
    ("next_weekday", rf"\b{_LEAD}({_WEEKDAY}){_DAYPART}\s+(?:of\s+)?next\s+week\b"),
    # Not a day's name in a feast's ("Palm Sunday", "Good Friday", "Black Friday").
    ("weekday", rf"\b(?<!palm )(?<!easter )(?<!good )(?<!black )(?<!cyber )(?<!ash )(?<!holy )"
                rf"(?<!whit )(?<!super bowl )(?<!mothering )(?<!remembrance )"
                rf"{_LEAD}(?:this\s+|coming\s+|this\s+coming\s+)?({_WEEKDAY}){_DAYPART}\b"),
    # "Tuesday week" (British): a week after the coming Tuesday; so is "a week on Friday".
    ("weekday_week", rf"\b{_LEAD}({_WEEKDAY})\s+week\b"),
    ("weekday_week", rf"\ba\s+week\s+(?:on|from)\s+({_WEEKDAY})\b"),
    # "the Saturday after next": not the coming one, the one after it.
    ("weekday_week", rf"\b{_LEAD}(?:the\s+)?({_WEEKDAY})\s+after\s+next\b"),
    # "the first Wednesday in January", "the last Friday of the month".
    ("nth_weekday", rf"\b{_LEAD}the\s+(first|second|third|fourth|last)\s+({_WEEKDAY})\s+"
                    rf"(?:in|of)\s+({_MONTH}|the month|next month)\b"),
    # "have the plan to me my Tuesday?": a recogniser's "by", misheard (not "my Tuesday
    # class": a day's own thing).
    ("weekday", rf"\bmy\s+({_WEEKDAY})(?=\s*(?:[?.!,]|$))"),
    ("nth", r"\b(?:by|before|on)\s+my\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?!say\b)[a-z])"),
    # "Thursday the third": the date, which the weekday only confirms.
    ("weekday_nth", rf"\b{_LEAD}({_WEEKDAY})\s+(?:the\s+)?{_DAY}\b"),
    # Not "everything up to today": so far, no deadline.
    ("day0", rf"\b(?<!up to )(?<!until )(?<!till )(?<!as of )(?<!so far )"
             rf"{_LEAD}(tonight|today|later today|this (?:morning|afternoon|arvo|evening)|"
             r"(?:straight |right |just )?after (?:this|the|our) (?:call|meeting|session)|"
             r"(?:straight |right )after this(?!\s+(?:week|month|year|quarter|sprint|weekend))|"
             r"as soon as (?:we|i) (?:hang up|finish|are done|get off)|"
             r"(?:the\s+)?(?:end|close) of (?:play|business))\b"),
    ("day_after", rf"\b{_LEAD}(?:the\s+)?day after tomorrow\b"),
    ("this_time_next_week", r"\bthis time next week\b"),
    ("fortnight", r"\b(?:in|within)\s+a\s+fortnight\b"),
    ("tomorrow", rf"\b{_LEAD}tomorrow{_DAYPART}\b"),
    ("this_weekend", rf"\b{_LEAD}(?:this|the)\s+weekend\b"),
    ("next_span", rf"\b{_LEAD}(?:some\s*time\s+)?next\s+(week|month|quarter|year|sprint)\b"),
    ("this_span", rf"\b{_LEAD}(?:some\s*time\s+)?this\s+(week|month|quarter|year|sprint)\b"),
    ("in_n", rf"\b(?:in|within)\s+(?:the\s+next\s+)?({_NUMBER}|\d+)\s+(day|week|month)s?\b"),
    ("within_a", r"\bwithin\s+(?:a|the|one)\s+(day|week|month)\b"),
    ("day_of_month", rf"\b{_LEAD}(?:the\s+)?{_DAY}(?:\s+of)?\s+({_MONTH})\b"),
    ("month_day", rf"\b{_LEAD}({_MONTH})\s+(?:the\s+)?{_DAY}\b"),
    ("nth", rf"\b{_LEAD}the\s+(\d{{1,2}})(?:st|nd|rd|th)\b"),
    # "the first" alone is rarely a date: a word ordinal needs its preposition.
    # The same with the digits a recogniser writes ("by the 12, he's doing everyone's").
    ("nth", rf"\b(?:by|before|until|till|on|no later than)\s+the\s+({_ORDINAL}|"
            r"(?:[12]\d|3[01]|0?[1-9])(?![\d:.,]\d|\s*(?:%|am\b|pm\b|a\.m|p\.m|o'?clock)))\b"
            # "by the fifth slide" is no date; "by the fifth it's two hours online" is: the
            # next sentence, run on by a recogniser, starts with "it" or a joiner. (Not "i":
            # "on the nineteenth i'd like you to…" dates an event said first.)
            r"(?!\s+(?!of\b|at\b|and\b|or\b|so\b|then\b|please\b|if\b|\w+ly\b|before\b|"
            r"after\b|when\b|once\b|"
            r"(?:it|its|it's|that's|thats|but|because|cos|otherwise|okay|ok|yeah|right)\b)"
            r"[a-z])"),
    ("asap", r"\b(asap|as soon as (?:possible|you can|i can)|right away|straight away)\b"),
)  # fmt: skip
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _PATTERNS)


@dataclass(frozen=True)
class Due:
    #: The words as said, e.g. "by Friday".
    phrase: str
    #: The date it names, when it can be resolved.
    date: date | None
    #: Character span of the phrase within the text it was found in.
    span: tuple[int, int]


_PART_OF = re.compile(
    r"(?:\b(?:by|before|at|on|until|till|for)\s+)?\b(?:(?:the\s+)?(?:very\s+)?"
    r"(?:end|close|start|beginning)\s+of\s+(?:the\s+)?|first thing\s+(?:on\s+)?)$",
    re.IGNORECASE,
)


def find_due(text: str, session_date: date | None, next_session: date | None = None) -> Due | None:
    """The first (leftmost, longest) due phrase in ``text``."""
    best: tuple[int, int, str, re.Match[str]] | None = None
    for kind, pattern in _COMPILED:
        for match in pattern.finditer(text):
            possessive = re.match(r"['\u2019]s\b", text[match.end() :])
            if possessive and not re.match(r"(?:by|before|until|till)\b", match.group(0).strip()):
                continue  # "next year's committee" names a thing ("before tomorrow's show" is due)
            key = (match.start(), -(match.end() - match.start()))
            if best is None or key < (best[0], best[1]):
                best = (key[0], key[1], kind, match)
            break
    if best is None:
        return None
    _, _, kind, match = best
    start, end = match.start(), match.end()
    # "at the end of Tuesday", "by the start of next week": the part of the day or week is
    # said with it (the date is the day's, or the week's own).
    part = _PART_OF.search(text[:start])
    if part and not re.match(r"(?:the\s+)?(?:end|close|start|beginning)\b", match.group(0), re.I):
        start = part.start()
    # "before tomorrow's show": the event it names belongs to the phrase.
    owned = re.match(r"['\u2019]s\s+[a-z][\w-]*", text[end:], re.IGNORECASE)
    if owned:
        end += owned.end()
    phrase = text[start:end].strip()
    resolved = None
    if session_date is not None:
        resolved = _resolve(kind, match, session_date, next_session)
    return Due(phrase=phrase, date=resolved, span=(start, end))


_WEEK = re.compile(r"\b(?:this|next)\s+week\b", re.IGNORECASE)


def all_due(text: str, session_date: date | None, next_session: date | None = None) -> list[Due]:
    """Every deadline said in a text, in order, their spans in the whole text."""
    found: list[Due] = []
    start = 0
    while (due := find_due(text[start:], session_date, next_session)) is not None:
        span = (start + due.span[0], start + due.span[1])
        found.append(replace(due, span=span))
        start = span[1]
    return found


def is_week(due: Due) -> bool:
    """A deadline that is a whole week ("this week", "next week"), which a day said after it
    may narrow."""
    return bool(_WEEK.search(due.phrase))


def narrows(day: Due, week: Due) -> bool:
    """Whether ``day`` falls within the week (Monday to Sunday) of ``week``'s date."""
    if day.date is None or week.date is None:
        return False
    monday = week.date - timedelta(days=week.date.weekday())
    return monday <= day.date <= monday + timedelta(days=6)


def _weekday_on_or_after(day0: date, weekday: int) -> date:
    return day0 + timedelta(days=(weekday - day0.weekday()) % 7)


def _resolve(kind: str, match: re.Match[str], day0: date, next_session: date | None) -> date | None:
    groups = [g.lower() if g else g for g in match.groups()]
    if kind in ("event", "next_event"):
        session_like = re.search(r"session|time|check|one|1:1|sync|catch|call", match.group(0))
        return next_session if next_session is not None and session_like else None
    if kind == "end_of":
        following, unit = (groups[0] or "").strip() == "next", groups[1]
        if unit == "day":
            return day0 + timedelta(days=1) if following else day0
        if unit == "week":
            if following:
                return day0 + timedelta(days=7 - day0.weekday() + 4)  # next week's Friday
            return day0 if day0.weekday() >= 4 else _weekday_on_or_after(day0, 4)
        if unit == "month":
            year, month = day0.year, day0.month
            if following:
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            return date(year, month, calendar.monthrange(year, month)[1])
        if unit == "quarter":
            return _quarter_end(day0, following)
        if unit == "year":
            return date(day0.year + following, 12, 31)
        return None
    if kind == "end_of_month":
        month = MONTHS.index(groups[0]) + 1
        year = day0.year + (month < day0.month)
        return date(year, month, calendar.monthrange(year, month)[1])
    if kind == "part_of_next_week":
        offset = {"early": 0, "mid": 2, "middle of": 2}.get(re.sub(r"\s+", " ", groups[0]), 4)
        return day0 + timedelta(days=7 - day0.weekday() + offset)
    if kind == "eod":
        return day0 if groups[0] in ("eod", "cob") else _weekday_on_or_after(day0, 4)
    if kind == "next_weekday":
        next_monday = day0 + timedelta(days=7 - day0.weekday())
        return next_monday + timedelta(days=WEEKDAYS.index(groups[0]))
    if kind == "weekday":
        # "By Wednesday" said on a Wednesday means next week's: today would be "today".
        return _weekday_on_or_after(day0 + timedelta(days=1), WEEKDAYS.index(groups[0]))
    if kind == "weekday_week":
        coming = _weekday_on_or_after(day0 + timedelta(days=1), WEEKDAYS.index(groups[0]))
        return coming + timedelta(days=7)
    if kind == "weekday_nth":
        # "Monday the fifth": the next fifth that is a Monday (in this month or the two after),
        # else the next fifth (the weekday misspoken).
        day = _day_number(groups[1])
        weekday = WEEKDAYS.index(groups[0])
        for ahead in range(3):
            year = day0.year + (day0.month + ahead - 1) // 12
            month = (day0.month + ahead - 1) % 12 + 1
            said = _safe_date(year, month, day)
            if said is not None and said >= day0 and said.weekday() == weekday:
                return said
        return _nth(day0, groups[1])
    if kind == "nth_weekday":
        return _nth_weekday(day0, groups[0], WEEKDAYS.index(groups[1]), groups[2])
    if kind == "day_after":
        return day0 + timedelta(days=2)
    if kind == "this_time_next_week":
        return day0 + timedelta(days=7)
    if kind == "fortnight":
        return day0 + timedelta(days=14)
    if kind == "day0":
        return day0
    if kind == "tomorrow":
        return day0 + timedelta(days=1)
    if kind == "this_weekend":
        return _weekday_on_or_after(day0, 6)
    if kind == "next_span":
        if groups[0] == "week":
            return day0 + timedelta(days=7 - day0.weekday())
        if groups[0] == "month":
            return date(day0.year + day0.month // 12, day0.month % 12 + 1, 1)
        if groups[0] == "quarter":
            return _quarter_end(day0, following=False) + timedelta(days=1)
        if groups[0] == "year":
            return date(day0.year + 1, 1, 1)
        return None  # a sprint's length is the team's: said, not dated
    if kind == "this_span":
        if groups[0] == "week":
            return day0 if day0.weekday() >= 4 else _weekday_on_or_after(day0, 4)
        if groups[0] == "month":
            return day0.replace(day=calendar.monthrange(day0.year, day0.month)[1])
        if groups[0] == "quarter":
            return _quarter_end(day0, following=False)
        if groups[0] == "year":
            return date(day0.year, 12, 31)
        return None
    if kind == "in_n":
        count = int(groups[0]) if groups[0].isdigit() else _NUMBERS[groups[0]]
        return _plus(day0, count, groups[1])
    if kind == "within_a":
        return _plus(day0, 1, groups[0])
    if kind == "day_of_month":
        return _dated(day0, MONTHS.index(groups[1]) + 1, _day_number(groups[0]))
    if kind == "month_day":
        return _dated(day0, MONTHS.index(groups[0]) + 1, _day_number(groups[1]))
    if kind == "nth":
        return _nth(day0, groups[0])
    return None


def _nth_weekday(day0: date, nth: str, weekday: int, month_said: str) -> date | None:
    """ "The first Wednesday in January", "the last Friday of the month"."""
    if month_said in MONTHS:
        month = MONTHS.index(month_said) + 1
        year = day0.year + (month < day0.month)
    else:
        following = month_said == "next month"
        year, month = day0.year, day0.month
        if following:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]
    matching = [d for d in days if d.weekday() == weekday]
    order = ["first", "second", "third", "fourth"]
    return matching[-1] if nth == "last" else matching[order.index(nth)]


def _nth(day0: date, said: str) -> date | None:
    """The next date with that day of the month ("the 15th"), this month or the next."""
    day = _day_number(said)
    month, year = day0.month, day0.year
    if day < day0.day:
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return _safe_date(year, month, day)


def _quarter_end(day0: date, following: bool) -> date:
    """The last day of day 0's calendar quarter, or of the one after."""
    last = ((day0.month - 1) // 3 + 1) * 3 + (3 if following else 0)
    year = day0.year + (last - 1) // 12
    last = (last - 1) % 12 + 1
    return date(year, last, calendar.monthrange(year, last)[1])


def _day_number(said: str) -> int:
    digits = re.match(r"\d+", said)
    return int(digits.group(0)) if digits else ORDINALS[re.sub(r"\s+", " ", said.lower())]


def _plus(day0: date, count: int, unit: str) -> date | None:
    if unit == "day":
        return day0 + timedelta(days=count)
    if unit == "week":
        return day0 + timedelta(weeks=count)
    month = day0.month - 1 + count
    year = day0.year + month // 12
    month = month % 12 + 1
    return _safe_date(year, month, min(day0.day, calendar.monthrange(year, month)[1]))


def _dated(day0: date, month: int, day: int) -> date | None:
    candidate = _safe_date(day0.year, month, day)
    if candidate is not None and (day0 - candidate).days > 183:
        candidate = _safe_date(day0.year + 1, month, day)
    return candidate


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
