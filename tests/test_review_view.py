"""The review page's view of a session: conversation order, unsure words, overlaps on the
timeline, and chat links made clickable without letting HTML through."""

from __future__ import annotations

from media.transcript import SpeechInterval, Utterance, Word
from server.pages.review import conversation, timeline
from server.templating import linkify


def test_chat_sits_at_its_moment_and_unsure_words_are_marked() -> None:
    words = (
        Word("The", 1.0, 1.2, 0.9),
        Word(" kubectl", 1.2, 1.6, 0.3),
        Word(" hung.", 1.6, 2.0, 0.8),
    )
    said = [Utterance("mentee", 1.0, 2.0, "The kubectl hung.", words),
            Utterance("mentor", 4.0, 5.0, "Ouch.")]  # fmt: skip
    chat = [{"at": 1.0, "from": "mentor", "text": "see the runbook"}]
    entries = conversation(said, chat, {"mentor": "Mira", "mentee": "Tom"})
    assert [(e.kind, e.name) for e in entries] == [
        ("speech", "Tom"), ("chat", "Mira"), ("speech", "Mira"),
    ]  # fmt: skip
    pieces = entries[0].pieces
    assert [(p.text, p.unsure) for p in pieces] == [
        ("The", False), (" ", False), ("kubectl", True), (" hung.", False),
    ]  # fmt: skip
    assert entries[0].text == "The kubectl hung."
    # Words that do not spell the text (an edited or live line) leave the text as it is.
    odd = Utterance("mentor", 0.0, 1.0, "Hello there.", (Word("Hello", 0.0, 0.5, 0.1),))
    assert [p.text for p in conversation([odd], [], {})[0].pieces] == ["Hello there."]


def test_the_timeline_marks_only_what_was_said_at_once() -> None:
    speech = [
        SpeechInterval("mentor", 0.0, 10.0),
        SpeechInterval("mentee", 8.0, 12.0),
        SpeechInterval("mentor", 20.0, 21.0),
        SpeechInterval("mentee", 30.0, 31.0),
    ]
    view = timeline(speech, 40.0, {"mentor": "Mira"}, ["mentor", "mentee"])
    mentor, mentee = view.lanes
    assert mentor.name == "Mira" and mentee.name == "mentee"
    assert [b.overlaps for b in mentor.bars] == [((8.0, 2.0),), ()]
    assert [b.overlaps for b in mentee.bars] == [((8.0, 2.0),), ()]
    assert view.duration_s == 40.0 and view.ticks == [0.0, 10.0, 20.0, 30.0, 40.0]


def test_links_in_chat_are_clickable_and_nothing_else_is_html() -> None:
    html = str(linkify("notes <b>here</b>: https://x.org/a?b=1&c=2. and javascript:alert(1)"))
    assert "<b>" not in html and "&lt;b&gt;here&lt;/b&gt;" in html
    assert '<a href="https://x.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow"' in html
    assert html.count("<a ") == 1  # javascript: is text
    assert str(linkify('"><script>alert(1)</script>')).startswith("&#34;&gt;&lt;script&gt;")
