"""The search query language and full-text search over saved transcripts, on the backend the
run uses (SQLite FTS5, or PostgreSQL's tsvector with TANDEM_TEST_DATABASE=postgresql)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session as OrmSession

from media.transcript import Transcript, Utterance
from server.db.engine import Database
from server.db.search import (
    MAX_QUERY_CHARS,
    PostgresSearch,
    QueryError,
    SearchTerm,
    SqliteSearch,
    TranscriptSearch,
    parse_query,
    search_backend,
)
from server.db.store import save_transcript
from server.db.tables import Session, UtteranceRow
from tests.helpers import run_tandem

SYNC_AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
CAREER_AT = datetime(2026, 2, 10, 15, 30, tzinfo=UTC)
SCRIPT = "I pasted <script>alert(1)</script> into the chat by mistake"


def _transcript(lines: list[tuple[str, str]]) -> Transcript:
    utterances = [
        Utterance(speaker, 5.0 * i, 5.0 * i + 4.0, words)
        for i, (speaker, words) in enumerate(lines)
    ]
    speakers = list(dict.fromkeys(speaker for speaker, _ in lines))
    return Transcript(5.0 * len(lines), speakers, "tiny.en", "en", utterances)


@dataclass(frozen=True)
class Corpus:
    db: OrmSession
    sync: int
    career: int
    search: TranscriptSearch


@pytest.fixture
def corpus(database: Database) -> Iterator[Corpus]:
    sync = _transcript(
        [
            ("mentor", "Good morning, how did the deployment go on Monday?"),
            ("mentee", "The deploy failed twice, so we rolled back the release."),
            ("mentor", "Write the release notes before the next deploy."),
            ("mentee", SCRIPT),
        ]
    )
    career = _transcript(
        [
            ("alice", "Notes on the release: nothing was released yet."),
            ("bob", "I want to grow into a staff engineer role."),
            ("alice", "Growth takes time; keep notes of your wins."),
        ]
    )
    with database.sessions() as db:
        sync_id = save_transcript(db, sync, "Weekly sync", SYNC_AT)
        career_id = save_transcript(db, career, "Career chat", CAREER_AT)
    with database.sessions() as db:
        yield Corpus(db, sync_id, career_id, search_backend(database.dialect))


def _texts(
    corpus: Corpus,
    query: str,
    limit: int = 20,
    offset: int = 0,
    session_ids: Collection[int] | None = None,
) -> list[str]:
    hits = corpus.search.search(corpus.db, query, limit, offset, session_ids)
    return [hit.text for hit in hits]


# --- parse_query ---------------------------------------------------------------------------


def test_parse_words_phrases_and_prefixes() -> None:
    assert parse_query('  deploy*  "release  notes" Monday "ship it"* ') == [
        SearchTerm("deploy", phrase=False, prefix=True),
        SearchTerm("release  notes", phrase=True, prefix=False),
        SearchTerm("Monday", phrase=False, prefix=False),
        SearchTerm("ship it", phrase=True, prefix=True),
    ]


def test_compile_quotes_every_term_so_fts_operators_are_plain_words() -> None:
    terms = parse_query('deploy* "release notes" AND NEAR')
    assert SqliteSearch.compile(terms) == '"deploy"* AND "release notes" AND "AND" AND "NEAR"'


def test_compile_to_tsquery_quotes_pieces_phrases_and_prefixes() -> None:
    terms = parse_query('deploy* "release notes" !NEAR follow-up "ship it"* don\'t')
    assert PostgresSearch.compile(terms) == (
        "('deploy':*) & ('release' <-> 'notes') & ('NEAR') & ('follow' <-> 'up') & "
        "('ship' <-> 'it':*) & ('don' <-> 't')"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   \t ", "empty"),
        ('"release notes', "unclosed quote"),
        ('deploy "release" notes"', "unclosed quote"),
        ("*", "nothing to search for in '*'"),
        ("deploy *", "nothing to search for"),
        ("de*ploy", "only marks a prefix at the end of a word"),
        ("*deploy", "only marks a prefix at the end of a word"),
        ("?!", "nothing to search for in '?!': use letters or digits"),
        ("deploy ...", "nothing to search for in '...'"),
        ('"  "', "nothing to search for"),
        ('say"hello"', "put a space before and after quoted phrases"),
        ("a" * (MAX_QUERY_CHARS + 1), f"too long (over {MAX_QUERY_CHARS} characters)"),
        (" ".join(["word"] * 33), "too many terms"),
    ],
)
def test_parse_errors_explain_what_is_wrong(query: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert message in str(info.value)


def test_underscore_only_term_is_rejected_like_other_punctuation() -> None:
    # unicode61 treats "_" as a separator, so the term can never match anything: "hello _"
    # would silently find nothing instead of telling the user why.
    with pytest.raises(QueryError, match="nothing to search for"):
        parse_query("hello _")


def test_longest_allowed_query_is_accepted() -> None:
    assert parse_query("a" * MAX_QUERY_CHARS) == [SearchTerm("a" * MAX_QUERY_CHARS)]


# --- SqliteSearch --------------------------------------------------------------------------


def test_single_word_finds_utterances_across_sessions(corpus: Corpus) -> None:
    assert sorted(_texts(corpus, "notes")) == [
        "Growth takes time; keep notes of your wins.",
        "Notes on the release: nothing was released yet.",
        "Write the release notes before the next deploy.",
    ]
    assert _texts(corpus, "kubernetes") == []


def test_hit_carries_session_and_utterance_details(corpus: Corpus) -> None:
    [hit] = corpus.search.search(corpus.db, "staff")
    row = corpus.db.get(UtteranceRow, hit.utterance_id)
    assert row is not None and row.text == hit.text
    assert (hit.session_id, hit.session_title, hit.held_at) == (
        corpus.career,
        "Career chat",
        CAREER_AT,
    )
    assert (hit.speaker, hit.start_s, hit.end_s) == ("bob", 5.0, 9.0)
    assert hit.text == "I want to grow into a staff engineer role."


def test_phrase_matches_only_adjacent_words(corpus: Corpus) -> None:
    assert _texts(corpus, '"release notes"') == ["Write the release notes before the next deploy."]
    assert sorted(_texts(corpus, "release notes")) == [
        "Notes on the release: nothing was released yet.",
        "Write the release notes before the next deploy.",
    ]
    assert _texts(corpus, '"notes release"') == []


def test_prefix_matches_longer_words_but_plain_word_does_not(corpus: Corpus) -> None:
    assert sorted(_texts(corpus, "deploy*")) == [
        "Good morning, how did the deployment go on Monday?",
        "The deploy failed twice, so we rolled back the release.",
        "Write the release notes before the next deploy.",
    ]
    assert "Good morning, how did the deployment go on Monday?" not in _texts(corpus, "deploy")
    assert sorted(_texts(corpus, "grow*")) == [
        "Growth takes time; keep notes of your wins.",
        "I want to grow into a staff engineer role.",
    ]


def test_all_terms_must_match_and_case_is_ignored(corpus: Corpus) -> None:
    assert _texts(corpus, "DEPLOY twice") == [
        "The deploy failed twice, so we rolled back the release."
    ]
    assert _texts(corpus, "deploy monday") == []
    assert _texts(corpus, "deploy* monday") == [
        "Good morning, how did the deployment go on Monday?"
    ]


def test_ranking_puts_the_better_match_first(corpus: Corpus, database: Database) -> None:
    weak = "We also touched on the budget briefly, among many other long topics of the day."
    strong = "Budget, budget: the budget review."
    with database.sessions() as db:
        # The strong match is in the older session and later in it: only rank puts it first.
        save_transcript(db, _transcript([("a", "hello"), ("a", strong)]), "Old", SYNC_AT)
        save_transcript(db, _transcript([("b", weak)]), "New", CAREER_AT)
    hits = corpus.search.search(corpus.db, "budget")
    assert [h.text for h in hits] == [strong, weak]
    assert hits[0].score > hits[1].score


def test_limit_and_offset_page_through_ranked_results(corpus: Corpus) -> None:
    everything = _texts(corpus, "notes")
    assert _texts(corpus, "notes", limit=1) == everything[:1]
    assert _texts(corpus, "notes", limit=2, offset=1) == everything[1:3]


def test_highlight_wraps_exactly_the_matching_words(corpus: Corpus) -> None:
    [hit] = corpus.search.search(corpus.db, "deploy twice")
    assert hit.highlighted_html == (
        "The <mark>deploy</mark> failed <mark>twice</mark>, so we rolled back the release."
    )
    [hit] = corpus.search.search(corpus.db, "deploy* monday")
    assert hit.highlighted_html == (
        "Good morning, how did the <mark>deployment</mark> go on <mark>Monday</mark>?"
    )
    [hit] = corpus.search.search(corpus.db, '"release notes"')
    assert hit.highlighted_html == "Write the <mark>release notes</mark> before the next deploy."


def test_highlight_escapes_transcript_html(corpus: Corpus) -> None:
    [hit] = corpus.search.search(corpus.db, "pasted")
    assert hit.text == SCRIPT
    assert hit.highlighted_html == (
        "I <mark>pasted</mark> &lt;script&gt;alert(1)&lt;/script&gt; into the chat by mistake"
    )
    [hit] = corpus.search.search(corpus.db, "alert")
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in hit.highlighted_html
    assert "<script>" not in hit.highlighted_html


def test_highlighted_spans_point_at_the_matching_words(corpus: Corpus) -> None:
    for query, expected in [
        ("deploy* monday", ["deployment", "Monday"]),
        ('"release notes"', ["release notes"]),
        ("alert mistake", ["alert", "mistake"]),
    ]:
        [hit] = corpus.search.search(corpus.db, query)
        assert [hit.text[a:b] for a, b in hit.highlighted_spans] == expected, query
    [hit] = corpus.search.search(corpus.db, "alert")
    assert hit.highlighted_spans == [(SCRIPT.index("alert"), SCRIPT.index("alert") + 5)]


def test_highlighted_spans_survive_text_that_looks_like_mark_tags(database: Database) -> None:
    said = "Close the </mark> tag, then the <mark> tag, then deploy."
    with database.sessions() as db:
        save_transcript(db, _transcript([("dev", said)]), "Markup", SYNC_AT)
        [hit] = search_backend(database.dialect).search(db, "deploy")
    start = said.index("deploy")
    assert hit.highlighted_spans == [(start, start + len("deploy"))]


def test_session_ids_scope_the_search(corpus: Corpus) -> None:
    search = corpus.search.search
    career = search(corpus.db, "notes", session_ids={corpus.career})
    assert {h.session_id for h in career} == {corpus.career} and len(career) == 2
    sync = search(corpus.db, "notes", session_ids=[corpus.sync])
    assert [h.session_id for h in sync] == [corpus.sync]
    assert len(search(corpus.db, "notes", session_ids=[corpus.sync, corpus.career])) == 3
    assert search(corpus.db, "notes", session_ids=[]) == []
    assert search(corpus.db, "notes", session_ids=[corpus.career + 100]) == []


def test_only_the_sessions_current_transcript_source_is_searched(corpus: Corpus) -> None:
    corpus.db.add(
        UtteranceRow(
            session_id=corpus.sync,
            speaker="mentor",
            start_s=30.0,
            end_s=31.0,
            text="zebra crossing from the live captions",
            words=[],
            source="live",
        )
    )
    corpus.db.commit()
    assert _texts(corpus, "zebra") == []
    # Once the session reads its live captions, the live row is found and refined ones are not.
    session = corpus.db.get(Session, corpus.sync)
    assert session is not None and session.transcript_source == "refined"
    session.transcript_source = "live"
    corpus.db.commit()
    assert _texts(corpus, "zebra") == ["zebra crossing from the live captions"]
    assert _texts(corpus, "twice") == []


def _row(db: OrmSession, containing: str) -> UtteranceRow:
    return db.scalars(select(UtteranceRow).where(UtteranceRow.text.contains(containing))).one()


def _fts_is_consistent(db: OrmSession) -> None:
    if db.get_bind().dialect.name == "sqlite":
        db.execute(text("INSERT INTO utterances_fts(utterances_fts) VALUES ('integrity-check')"))


def test_updating_an_utterance_reindexes_it(corpus: Corpus) -> None:
    row = _row(corpus.db, "staff engineer")
    row.text = "I want to become a principal architect."
    corpus.db.commit()
    assert _texts(corpus, "staff") == []
    assert _texts(corpus, "principal") == ["I want to become a principal architect."]
    _fts_is_consistent(corpus.db)


def test_deleting_utterances_removes_them_from_the_index(corpus: Corpus) -> None:
    corpus.db.delete(_row(corpus.db, "staff engineer"))
    corpus.db.commit()
    assert _texts(corpus, "staff") == []
    _fts_is_consistent(corpus.db)
    session = corpus.db.get(Session, corpus.sync)
    assert session is not None
    corpus.db.delete(session)  # utterances go with it (ON DELETE CASCADE)
    corpus.db.commit()
    assert _texts(corpus, "deploy*") == []
    assert len(_texts(corpus, "notes")) == 2
    _fts_is_consistent(corpus.db)


def test_bench_search_fills_a_database_and_times_every_kind_of_query(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.cli import main

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(["bench", "search", "--utterances", "3000", "--sessions", "60", "--queries", "2"])
    assert code == 0
    out = capsys.readouterr().out
    rows = [
        line.split() for line in out.splitlines() if "mentorship" in line or "all sessions" in line
    ]
    assert len(rows) == 10  # five queries, two scopes
    rare_here = next(
        line for line in out.splitlines() if "rare" in line and "one mentorship" in line
    )
    assert int(rare_here.split()[-4]) >= 1  # the session's own topic word is found
    assert "worst p95" in out


# --- what people typed cannot pose as marks or drive a terminal ------------------------------
HOSTILE_LINE = "budget \ue000figures\ue001 are \x1b]0;owned\x07\x1b[31mred\u202e here"


def test_private_use_characters_are_not_match_marks(database: Database) -> None:
    with database.sessions() as db:
        save_transcript(db, _transcript([("mentor", HOSTILE_LINE)]), "Marks", SYNC_AT)
        [hit] = search_backend(database.dialect).search(db, "budget")
    assert hit.highlighted_html.count("<mark>") == 1, hit.highlighted_html
    assert "<mark>budget</mark>" in hit.highlighted_html


def test_tandem_search_prints_no_control_characters(
    env: dict[str, str], database: Database
) -> None:
    with database.sessions() as db:
        save_transcript(db, _transcript([("mentor", HOSTILE_LINE)]), "Esc\x1b[2J title", SYNC_AT)
    done = run_tandem(["search", "budget"], env)
    assert done.returncode == 0, done.stderr
    assert "budget" in done.stdout and "red" in done.stdout
    assert not any(c in done.stdout for c in "\x1b\x07\u202e"), repr(done.stdout)
