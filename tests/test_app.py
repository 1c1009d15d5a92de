"""The web app end to end: pages, the JSON API, exports, search and static files.

Every check runs twice, logged in as the person entitled to the sessions: an admin reading
imports that belong to no mentorship, and a mentor reading their own mentorship's sessions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from media.transcript import Transcript, Utterance, Word
from server.db.engine import Database
from server.db.store import save_transcript
from server.settings import Settings
from tests.auth_helpers import Account, add_account, make_mentorship, running

SCRIPT = "<script>alert(1)</script>"
SUMMARY_KEYS = {"id", "title", "status", "held_at", "duration_s", "speakers", "model", "url"}
SUMMARY_KEYS |= {"utterance_count"}
#: In a list of sessions, each says how much of it the viewer may read.
LISTED_KEYS = SUMMARY_KEYS | {"access"}


@dataclass(frozen=True)
class Owner:
    """Who reads the sessions, and the mentorship they are saved to (None: an import)."""

    account: Account
    mentorship_id: int | None


@dataclass(frozen=True)
class Saved:
    sync: int
    career: int


@pytest.fixture(params=["admin", "mentor"])
def owner(request: pytest.FixtureRequest, database: Database) -> Owner:
    if request.param == "admin":
        return Owner(add_account(database, "admin@example.com", "Ada Admin", "admin"), None)
    mentor = add_account(database, "mentor@example.com", "Marta Mentor", "mentor")
    mentee = add_account(database, "mentee@example.com", "Milo Mentee", "mentee")
    return Owner(mentor, make_mentorship(database, mentor, mentee))


@pytest.fixture
def client(settings: Settings, owner: Owner) -> Iterator[TestClient]:
    # Server errors become responses, so "never 500" is checked on the status code.
    with running(settings) as server:
        yield server.logged_in(owner.account)


def _save(
    database: Database, owner: Owner, title: str, held_at: datetime, lines: list[Utterance]
) -> int:
    speakers = list(dict.fromkeys(u.speaker for u in lines))
    transcript = Transcript(90.0, speakers, "tiny.en", "en", lines)
    with database.sessions() as db:
        return save_transcript(db, transcript, title, held_at, owner.mentorship_id)


@pytest.fixture
def saved(database: Database, owner: Owner) -> Saved:
    sync = _save(
        database,
        owner,
        "Weekly sync",
        datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        [
            Utterance("mentor", 0.0, 4.0, "How did the deployment go?", (Word("How", 0, 1, 0.9),)),
            Utterance("mentee", 65.5, 70.0, "The deploy failed, we rolled back."),
            Utterance("mentor", 71.0, 74.0, "Deploy again after the deploy review."),
        ],
    )
    career = _save(
        database,
        owner,
        f"Career {SCRIPT}",
        datetime(2026, 2, 10, 15, 30, tzinfo=UTC),
        [
            Utterance(f"eve {SCRIPT}", 2.0, 5.0, f"I typed {SCRIPT} into the deploy form."),
            Utterance("bob", 6.0, 8.0, "Staff engineer next year."),
        ],
    )
    return Saved(sync, career)


def test_home_shows_an_empty_state_without_sessions(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "No sessions yet." in response.text
    assert "/sessions/" not in response.text


def test_home_lists_sessions_newest_first(saved: Saved, client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    assert "No sessions yet." not in page
    sync_link = f'<a href="/sessions/{saved.sync}">Weekly sync</a>'
    career_link = f'<a href="/sessions/{saved.career}">Career &lt;script&gt;'
    assert sync_link in page and career_link in page
    assert page.index(career_link) < page.index(sync_link)
    assert "2026-01-05" in page and "2026-02-10" in page
    assert SCRIPT not in page


def test_session_page_shows_the_transcript(saved: Saved, client: TestClient, owner: Owner) -> None:
    response = client.get(f"/sessions/{saved.sync}")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Weekly sync</h1>" in page
    people = "mentor, mentee" if owner.mentorship_id is None else "Marta Mentor, Milo Mentee"
    assert "2026-01-05" in page and people in page
    assert '<span class="time">01:05</span>' in page
    # Saved under a mentorship, a speaker is shown by the person's name; an unfiled import
    # (the admin's) keeps its labels.
    speaker = "mentee" if owner.mentorship_id is None else "Milo Mentee"
    assert f'<span class="speaker">{speaker}</span>' in page
    # Words the model was unsure of are spans of their own; the sentence reads the same.
    read = re.sub(r'<span class="unsure"[^>]*>([^<]*)</span>', r"\1", page)
    assert '<span class="text">The deploy failed, we rolled back.</span>' in read
    assert read.index("How did the deployment go?") < read.index("The deploy failed")
    assert f'href="/api/sessions/{saved.sync}/export.vtt"' in page


def test_session_page_escapes_transcript_html(
    saved: Saved, client: TestClient, owner: Owner
) -> None:
    page = client.get(f"/sessions/{saved.career}").text
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert SCRIPT not in page
    # The only scripts are the page's own modules, from this server.
    assert all(
        re.fullmatch(r'<script type="module" src="/static/[a-z]+\.js">', tag)
        for tag in re.findall(r"<script[^>]*>", page)
    ), re.findall(r"<script[^>]*>", page)
    assert f"<h1>Career {escaped}</h1>" in page
    assert f"<title>Career {escaped} · Tandem</title>" in page
    speaker = f"eve {escaped}" if owner.mentorship_id is None else "Marta Mentor"
    assert f"{speaker}, " in page
    assert f'<span class="speaker">{speaker}</span>' in page
    assert f'<span class="text">I typed {escaped} into the deploy form.</span>' in page


@pytest.mark.parametrize("raw", ["999", "abc", "0", "-1", "1.5", "100000000000000000000"])
def test_unknown_session_page_is_a_404_page(saved: Saved, client: TestClient, raw: str) -> None:
    response = client.get(f"/sessions/{raw}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in response.text
    assert re.search(r"no (such )?session", response.text)


def test_healthz_says_up_to_anyone_and_details_to_admins_and_the_monitor(
    settings: Settings, database: Database, owner: Owner, client: TestClient
) -> None:
    """When calls run is private: only whoever holds the data directory (the monitor token)
    or an admin reads the call figures."""
    from server.auth import load_secret_key, monitor_token

    admin = add_account(database, "ada@example.org", "Ada", "admin")
    assert ("calls" in client.get("/healthz").json()) == (owner.account.role == "admin")
    with running(settings) as server:
        anonymous = server.browser().get("/healthz")
        assert anonymous.status_code == 200
        assert anonymous.json() == {"status": "ok", "database": "ok"}
        wrong = server.browser().get("/healthz", headers={"Authorization": "Bearer nope"})
        assert "calls" not in wrong.json()
        token = monitor_token(load_secret_key(settings.data_dir, settings.secret_key))
        for detailed in (
            server.browser().get("/healthz", headers={"Authorization": f"Bearer {token}"}),
            server.logged_in(admin).get("/healthz"),
        ):
            body = detailed.json()
            assert body["model"] == "tiny.en" and body["calls"]["rooms"] == 0
            assert {"live", "loop_lag", "rss_mb"} <= set(body)


def test_api_sessions_lists_summaries(saved: Saved, client: TestClient) -> None:
    sessions = client.get("/api/sessions").json()["sessions"]
    assert [s["id"] for s in sessions] == [saved.career, saved.sync]
    assert all(set(s) == LISTED_KEYS for s in sessions)
    assert sessions[1] == {
        "id": saved.sync,
        "title": "Weekly sync",
        "status": "imported",
        "held_at": "2026-01-05T10:00:00+00:00",
        "duration_s": 90.0,
        "speakers": ["mentor", "mentee"],
        "utterance_count": 3,
        "model": "tiny.en",
        "url": f"/sessions/{saved.sync}",
        "access": "full",
    }


def test_api_session_returns_the_transcript(saved: Saved, client: TestClient) -> None:
    document = client.get(f"/api/sessions/{saved.sync}").json()
    assert {"duration_s", "speakers", "model", "language", "utterances", "session"} <= set(document)
    assert set(document["session"]) == SUMMARY_KEYS and document["session"]["id"] == saved.sync
    assert document["speakers"] == ["mentor", "mentee"]
    first = document["utterances"][0]
    assert first == {
        "speaker": "mentor",
        "start": 0.0,
        "end": 4.0,
        "text": "How did the deployment go?",
        "words": [{"word": "How", "start": 0.0, "end": 1.0, "probability": 0.9}],
    }
    assert [u["start"] for u in document["utterances"]] == [0.0, 65.5, 71.0]


@pytest.mark.parametrize("raw", ["999", "abc", "100000000000000000000"])
def test_api_unknown_session_is_a_json_404(saved: Saved, client: TestClient, raw: str) -> None:
    for path in (f"/api/sessions/{raw}", f"/api/sessions/{raw}/export.vtt"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert re.search(r"no (such )?session", response.json()["error"])


@pytest.mark.parametrize(
    ("fmt", "content_type", "opening"),
    [
        ("vtt", "text/vtt; charset=utf-8", "WEBVTT\n\n1\n00:00:00.000 --> 00:00:04.000\n"),
        ("srt", "application/x-subrip; charset=utf-8", "1\n00:00:00,000 --> 00:00:04,000\n"),
        ("md", "text/markdown; charset=utf-8", "# Weekly sync\n"),
        ("json", "application/json", "{"),
    ],
)
def test_exports(
    saved: Saved, client: TestClient, fmt: str, content_type: str, opening: str
) -> None:
    response = client.get(f"/api/sessions/{saved.sync}/export.{fmt}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == (
        f'attachment; filename="tandem-session-{saved.sync}.{fmt}"'
    )
    assert response.text.startswith(opening)
    if fmt == "json":
        assert json.loads(response.text)["session"]["id"] == saved.sync


def test_unknown_export_format_is_a_json_404(saved: Saved, client: TestClient) -> None:
    response = client.get(f"/api/sessions/{saved.sync}/export.pdf")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert "unknown export format 'pdf'" in response.json()["error"]


def test_api_search_returns_ranked_highlighted_hits(saved: Saved, client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "deploy"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "deploy"
    results = body["results"]
    assert results[0]["text"] == "Deploy again after the deploy review."
    assert results[0]["highlighted"] == (
        "<mark>Deploy</mark> again after the <mark>deploy</mark> review."
    )
    assert results[0]["matches"] == [[0, 6], [23, 29]]
    assert (results[0]["session_id"], results[0]["session_title"]) == (saved.sync, "Weekly sync")
    assert (results[0]["speaker"], results[0]["start"], results[0]["end"]) == ("mentor", 71.0, 74.0)
    assert results[0]["url"] == f"/sessions/{saved.sync}#t=71.0"
    assert results[0]["held_at"] == "2026-01-05T10:00:00+00:00"
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert {r["text"] for r in results} == {
        "Deploy again after the deploy review.",
        "The deploy failed, we rolled back.",
        f"I typed {SCRIPT} into the deploy form.",
    }
    for r in results:
        assert [r["text"][a:b].lower() for a, b in r["matches"]] == ["deploy"] * len(r["matches"])
    scripted = next(r for r in results if r["session_id"] == saved.career)
    assert "&lt;script&gt;" in scripted["highlighted"] and SCRIPT not in scripted["highlighted"]


def test_api_search_limit_and_prefix(saved: Saved, client: TestClient) -> None:
    one = client.get("/api/search", params={"q": "deploy*", "limit": "1"}).json()["results"]
    assert len(one) == 1
    every = client.get("/api/search", params={"q": "deploy*"}).json()["results"]
    assert "How did the deployment go?" in {r["text"] for r in every} and len(every) == 4


@pytest.mark.parametrize("query", ['"unclosed', "*", "", "   ", "de*ploy", "!!!", "x" * 501])
def test_api_search_rejects_malformed_queries(client: TestClient, query: str) -> None:
    response = client.get("/api/search", params={"q": query})
    assert response.status_code == 400
    body = response.json()
    assert body["query"] == query and len(body["error"]) > 10


def test_api_search_without_q_is_a_400(client: TestClient) -> None:
    response = client.get("/api/search")
    assert response.status_code == 400 and "empty" in response.json()["error"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "abc"}, "limit must be a whole number, got 'abc'"),
        ({"limit": "0"}, "limit must be between 1 and 200, got 0"),
        ({"limit": "1000"}, "limit must be between 1 and 200, got 1000"),
        ({"offset": "-1"}, "offset must be between 0 and 100000, got -1"),
        ({"offset": "x"}, "offset must be a whole number"),
    ],
)
def test_api_search_rejects_bad_paging(
    saved: Saved, client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/api/search", params={"q": "deploy", **params})
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_api_search_survives_text_that_looks_like_mark_tags(
    database: Database, owner: Owner, client: TestClient
) -> None:
    said = "Close the </mark> tag, then deploy."
    markup = [Utterance("dev", 0, 1, said)]
    _save(database, owner, "Markup", datetime(2026, 1, 1, tzinfo=UTC), markup)
    response = client.get("/api/search", params={"q": "deploy"})
    assert response.status_code == 200
    [hit] = response.json()["results"]
    assert hit["matches"] == [[said.index("deploy"), said.index("deploy") + 6]]


def test_search_page_shows_highlighted_results(saved: Saved, client: TestClient) -> None:
    response = client.get("/search", params={"q": "deploy"})
    assert response.status_code == 200
    page = response.text
    assert "3 results for <strong>deploy</strong>" in page
    assert "<mark>Deploy</mark> again after the <mark>deploy</mark> review." in page
    # Each result opens its moment (the page scrolls to it, and plays it where recorded).
    assert f'<a href="/sessions/{saved.sync}#t=71.0">Weekly sync</a>' in page
    assert "mentor · 01:11" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; into the <mark>deploy</mark> form" in page
    assert SCRIPT not in page
    assert 'value="deploy"' in page


def test_search_page_without_query_shows_the_form(client: TestClient) -> None:
    response = client.get("/search")
    assert response.status_code == 200
    assert 'role="alert"' not in response.text and "result" not in response.text


def test_search_page_explains_a_malformed_query(saved: Saved, client: TestClient) -> None:
    response = client.get("/search", params={"q": '"<b>unclosed'})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<p class="error" role="alert">' in page and "unclosed quote" in page
    assert "<mark>" not in page and "<b>" not in page
    assert 'value="&#34;&lt;b&gt;unclosed"' in page


def test_static_css_is_served(client: TestClient) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "--mark" in response.text
    assert client.get("/static/missing.css").status_code == 404
