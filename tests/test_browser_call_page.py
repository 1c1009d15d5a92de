"""The call page as a person sees it, in real headless Chromium against a real server.

Captions are driven with the exact messages the server sends (the live pipeline itself is
covered end to end in test_browser_call.py); what is checked is what stays on screen: every
sentence of a final, in speaking order, with the speaker's name; partials replaced by their
final; nothing lingering. Also: the call UI stays hidden until one joins, the camera stays
off until asked for, and camera and microphone are released when the session ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from server.settings import Settings
from tests.browser import launch_chromium, screenshot_path, serve
from tests.call_helpers import prepare_call

pytestmark = pytest.mark.slow

#: Counts the camera/microphone streams the page opens, to check they are released.
TRACK_STREAMS = """
window.__streams = [];
const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (c) => {
  const s = await gum(c); window.__streams.push(s); return s;
};
"""

LIVE_TRACKS = (
    "window.__streams.flatMap(s => s.getTracks()).filter(t => t.readyState === 'live').length"
)


@pytest.fixture
def call_page(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Page, int, str]]:
    env = {**env, "TANDEM_ROOM_GRACE_S": "1"}
    settings = Settings.from_env(env)
    session_id, cookies = prepare_call(settings)
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        browser: Browser = launch_chromium(
            playwright,
            ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             "--disable-features=WebRtcHideLocalIpsWithMdns"),
        )  # fmt: skip
        context: BrowserContext = browser.new_context(bypass_csp=True)
        name, value = cookies["mentor"].split("=", 1)
        context.add_cookies([{"name": name, "value": value, "url": server.base_url}])
        context.add_init_script(TRACK_STREAMS)
        page = context.new_page()
        page.goto(f"{server.base_url}/sessions/{session_id}/call")
        yield page, session_id, server.base_url
        browser.close()


def _send(page: Page, message: dict[str, Any]) -> None:
    page.evaluate(
        "m => document.dispatchEvent(new CustomEvent('tandem-message', {detail: m}))", message
    )


def _caption(speaker: str, id_: str, text: str, start: float, end: float, **extra: Any) -> dict:  # type: ignore[type-arg]
    names = {"mentor": "Mentor", "mentee": "Mentee"}
    return {"type": "caption", "id": id_, "speaker": speaker, "name": names[speaker],
            "text": text, "start": start, "end": end, "final": False, **extra}  # fmt: skip


def _final(speaker: str, id_: str, text: str, start: float, end: float, part: int, parts: int,
           row: int) -> dict:  # type: ignore[type-arg]  # fmt: skip
    return _caption(speaker, id_, text, start, end, final=True, part=part, parts=parts,
                    utterance_id=row)  # fmt: skip


def _lines(page: Page) -> list[str]:
    """The caption lines a person sees, top to bottom."""
    return [
        " ".join(text.split())
        for text in page.locator("#captions .caption").all_inner_texts()
        if text.strip()
    ]


def test_before_joining_only_the_consent_form_shows_and_the_camera_is_off(
    call_page: tuple[Page, int, str],
) -> None:
    page, _, _ = call_page
    assert page.is_visible("#consent")
    for hidden in ("#call", "#leave", "#end", "#chat-form", "#captions", "#after"):
        assert page.is_hidden(hidden), hidden
    assert page.evaluate("window.__streams.length") == 0  # nothing captured yet
    assert page.is_visible("#check-devices")
    page.screenshot(path=screenshot_path("call-consent"), full_page=True)
    page.click("#check-devices")
    page.wait_for_function("document.getElementById('preview').videoWidth > 0")
    assert page.is_visible("#preview") and page.is_hidden("#preview-off")
    assert page.evaluate(LIVE_TRACKS) == 2
    assert page.is_hidden("#call")


def test_every_final_sentence_stays_in_speaking_order(call_page: tuple[Page, int, str]) -> None:
    page, _, _ = call_page
    page.click("#join")
    page.wait_for_selector("#call:not([hidden])")
    assert page.is_hidden("#consent")

    # Words while the mentor speaks, then the final: three sentences under one caption id.
    _send(page, _caption("mentor", "s/mentor/1/1", "How did the", 1.0, 2.0))
    assert _lines(page) == ["Mentor: How did the"]
    assert page.locator("#captions .partial").count() == 1
    sentences = [
        ("How did the review go?", 1.0, 2.4),
        ("Tell me what surprised you.", 2.7, 4.0),
        ("And what would you change?", 4.3, 5.6),
    ]
    for part, (text, start, end) in enumerate(sentences):
        _send(page, _final("mentor", "s/mentor/1/1", text, start, end, part, 3, 10 + part))
    want = "Mentor: How did the review go? Tell me what surprised you. And what would you change?"
    assert _lines(page) == [want]
    assert page.locator("#captions .partial").count() == 0
    # A partial that arrives after its final changes nothing.
    _send(page, _caption("mentor", "s/mentor/1/1", "How did", 1.0, 1.5))
    assert _lines(page) == [want]

    # The mentee's short reply, and a reply that turned out to hold no words.
    _send(page, _caption("mentee", "s/mentee/2/1", "Yeah", 6.0, 6.4))
    _send(page, _final("mentee", "s/mentee/2/1", "Yeah.", 6.0, 6.3, 0, 1, 20))
    _send(page, _caption("mentee", "s/mentee/2/2", "Go ahead", 9.5, 10.2))
    _send(page, {"type": "caption", "id": "s/mentee/2/2", "speaker": "mentee", "final": True,
                 "text": "", "start": 9.5, "part": 0, "parts": 0})  # fmt: skip
    assert _lines(page) == [want, "Mentee: Yeah."]

    # A turn that arrives late is still shown where it was said; a long turn cut in two
    # (12 s limit) continues its line.
    _send(
        page, _final("mentor", "s/mentor/1/4", "Then we planned the launch.", 14.0, 16.0, 0, 1, 31)
    )
    _send(page, _final("mentee", "s/mentee/2/3", "I practised it twice.", 11.0, 12.5, 0, 1, 30))
    _send(page, _caption("mentor", "s/mentor/1/5", "and after", 16.4, 17.2))
    assert _lines(page) == [
        want,
        "Mentee: Yeah.",
        "Mentee: I practised it twice.",
        "Mentor: Then we planned the launch. and after",
    ]
    _send(
        page, _final("mentor", "s/mentor/1/5", "And after that, the review.", 16.4, 18.0, 0, 1, 32)
    )
    assert _lines(page)[-1] == "Mentor: Then we planned the launch. And after that, the review."
    assert page.locator("#captions .partial").count() == 0
    page.screenshot(path=screenshot_path("call-captions"), full_page=True)

    # Many lines later the newest is in view (the panel scrolls), the oldest still readable.
    for k in range(40):
        _send(page, _final("mentee", f"s/mentee/2/{10 + k}", f"Line number {k}.", 30.0 + 5 * k,
                           31.0 + 5 * k, 0, 1, 100 + k))  # fmt: skip
    assert page.locator("#captions .caption").first.inner_text().startswith("Mentor: How did")
    newest = page.locator("#captions .caption").last
    assert newest.inner_text().endswith("Line number 39.")
    box, panel = newest.bounding_box(), page.locator("#captions").bounding_box()
    assert box is not None and panel is not None
    assert panel["height"] < 250  # the panel scrolls; the call does not grow down the page
    assert panel["y"] <= box["y"] and box["y"] + box["height"] <= panel["y"] + panel["height"] + 1


def test_words_put_back_after_a_network_cut_join_the_line_they_continue(
    call_page: tuple[Page, int, str],
) -> None:
    """The caption of audio the network lost comes after later ones (the page sends it once
    reconnected); it goes where it was said, into the turn it continues."""
    page, _, _ = call_page
    page.click("#join")
    page.wait_for_selector("#call:not([hidden])")
    _send(page, _final("mentor", "s/mentor/1/1", "I looked at the", 20.0, 21.2, 0, 1, 1))
    _send(page, _final("mentor", "s/mentor/1/3", "Let us write that down.", 33.0, 35.0, 0, 1, 2))
    _send(page, _final("mentee", "s/mentee/2/1", "Yes.", 36.0, 36.4, 0, 1, 3))
    _send(page, _final("mentor", "s/mentor/1/2", "rollout numbers this morning.", 21.3, 29.0,
                       0, 1, 4))  # fmt: skip
    assert _lines(page) == [
        "Mentor: I looked at the rollout numbers this morning.",
        "Mentor: Let us write that down.",
        "Mentee: Yes.",
    ]


def test_notices_from_the_server_show_one_line_per_topic(
    call_page: tuple[Page, int, str],
) -> None:
    """The messages the server sends when saving is held up, when it is done, and when the
    disk is full, as the person sees them."""
    page, _, _ = call_page
    page.click("#join")
    page.wait_for_selector("#call:not([hidden])")
    assert page.is_hidden("#notices")  # nothing to say: no empty box either
    held = "Saving is held up: the server's database is not answering."
    _send(page, {"type": "notice", "topic": "saving", "level": "warning", "message": held})
    disk = "The server cannot write audio (the disk is full). Captions go on."
    _send(page, {"type": "notice", "topic": "disk", "level": "error", "message": disk})
    notices = page.locator("#notices .notice")
    assert notices.all_inner_texts() == [held, disk]
    assert page.is_visible("#notices .notice.warning[role=alert]")
    assert page.is_visible("#notices .notice.error[role=alert]")
    page.screenshot(path=screenshot_path("call-notices"), full_page=True)
    # The saving notice is replaced in its place when everything is saved.
    saved = "Saved: everything from while the database was away is kept."
    _send(page, {"type": "notice", "topic": "saving", "level": "ok", "message": saved})
    assert notices.all_inner_texts() == [saved, disk]
    assert page.is_visible("#notices .notice.ok[role=status]")


def test_ending_the_session_releases_camera_and_microphone(
    call_page: tuple[Page, int, str],
) -> None:
    page, session_id, base = call_page
    page.click("#join")
    page.wait_for_selector("#call:not([hidden])")
    assert page.evaluate(LIVE_TRACKS) == 2
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#end")
    page.wait_for_selector("#after:not([hidden])")
    assert "ended" in page.inner_text("#after-title")
    for hidden in ("#call", "#leave", "#end", "#chat-form", "#consent"):
        assert page.is_hidden(hidden), hidden
    page.wait_for_function(f"({LIVE_TRACKS}) === 0")
    page.screenshot(path=screenshot_path("call-ended"), full_page=True)
    # The session page no longer offers to join.
    page.goto(f"{base}/sessions/{session_id}")
    assert page.locator("a.join").count() == 0
