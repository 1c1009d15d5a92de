"""Full-text search over saved transcripts, behind one small interface.

The query language is the same on every backend: words (all must match), phrases in double
quotes, and prefixes with a trailing ``*`` (``deploy*``). :func:`parse_query` turns user text
into terms or raises :class:`QueryError` with a message fit to show; each backend compiles the
terms to its own engine (SQLite FTS5 here; PostgreSQL tsvector later).
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as OrmSession

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
_WORDLIKE = re.compile(r"[^\W_]", re.UNICODE)  # what the unicode61 tokenizer indexes
# Private-use marks that cannot occur in transcripts, swapped for <mark> after escaping.
_OPEN, _CLOSE = "\ue000", "\ue001"


class QueryError(ValueError):
    """A search query that cannot be understood; the message says why."""


@dataclass(frozen=True)
class SearchTerm:
    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class SearchHit:
    session_id: int
    session_title: str
    held_at: datetime
    utterance_id: int
    speaker: str
    start_s: float
    end_s: float
    text: str
    #: The text with each match between private-use marks (see :func:`mark_to_html`).
    marked: str
    #: Higher is a better match (comparable within one result list only).
    score: float
    #: "utterance" (a transcript line) or "chat" (a side-chat message; start_s = end_s = sent).
    kind: str = "utterance"

    @property
    def highlighted_html(self) -> str:
        """The text, HTML-escaped, with each matching word wrapped in <mark>…</mark>."""
        return mark_to_html(self.marked)

    @property
    def highlighted_spans(self) -> list[tuple[int, int]]:
        """(start, end) character offsets of the matches within ``text``."""
        spans: list[tuple[int, int]] = []
        position = 0
        for char in self.marked:
            if char == _OPEN:
                spans.append((position, position))
            elif char == _CLOSE and spans:
                spans[-1] = (spans[-1][0], position)
            else:
                position += 1
        return spans


def parse_query(query: str) -> list[SearchTerm]:
    """Split a user query into terms; raise :class:`QueryError` when it makes no sense."""
    query = query.strip()
    if not query:
        raise QueryError('the search query is empty: type a word, a "quoted phrase" or a prefix*')
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the search query is too long (over {MAX_QUERY_CHARS} characters)")
    if query.count('"') % 2:
        raise QueryError('the search query has an unclosed quote (")')
    terms: list[SearchTerm] = []
    for match in re.finditer(r'"([^"]*)"(\*?)|(\S+)', query):
        phrase, phrase_star, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            if '"' in word:
                raise QueryError(f"put a space before and after quoted phrases in {word!r}")
            prefix = word.endswith("*")
            core = word.rstrip("*") if prefix else word
            if "*" in core:
                raise QueryError(
                    f"'*' only marks a prefix at the end of a word (deploy*), not {word!r}"
                )
            terms.append(_checked(SearchTerm(core, phrase=False, prefix=prefix), word))
        else:
            if match.end() < len(query) and not query[match.end()].isspace():
                raise QueryError(f"put a space before and after quoted phrases in {query!r}")
            terms.append(
                _checked(
                    SearchTerm(phrase.strip(), phrase=True, prefix=bool(phrase_star)),
                    match.group(0),
                )
            )
    if len(terms) > MAX_TERMS:
        raise QueryError(f"the search query has too many terms (at most {MAX_TERMS})")
    return terms


def _checked(term: SearchTerm, shown: str) -> SearchTerm:
    if not _WORDLIKE.search(term.text):
        raise QueryError(f"nothing to search for in {shown!r}: use letters or digits")
    return term


def mark_to_html(marked: str) -> str:
    """Escape text that carries match marks, then turn the marks into <mark> elements."""
    return html.escape(marked).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


class TranscriptSearch(Protocol):
    def search(
        self,
        db: OrmSession,
        query: str,
        limit: int = 20,
        offset: int = 0,
        session_ids: Collection[int] | None = None,
    ) -> list[SearchHit]:
        """Best matches first among the current transcripts (of ``session_ids`` if given)."""
        ...


class SqliteSearch:
    """FTS5 with bm25 ranking; the index is kept in step by triggers (migration 0001)."""

    @staticmethod
    def compile(terms: list[SearchTerm]) -> str:
        parts = []
        for term in terms:
            quoted = '"' + term.text.replace('"', '""') + '"'
            parts.append(quoted + ("*" if term.prefix else ""))
        return " AND ".join(parts)

    def search(
        self,
        db: OrmSession,
        query: str,
        limit: int = 20,
        offset: int = 0,
        session_ids: Collection[int] | None = None,
    ) -> list[SearchHit]:
        match = self.compile(parse_query(query))
        params: dict[str, object] = {
            "match": match,
            "open": _OPEN,
            "close": _CLOSE,
            "limit": max(1, min(limit, 200)),
            "offset": max(0, offset),
        }
        scope = ""
        if session_ids is not None:
            if not session_ids:
                return []
            names = []
            for i, session_id in enumerate(sorted(set(session_ids))):
                params[f"s{i}"] = session_id
                names.append(f":s{i}")
            scope = f" AND s.id IN ({', '.join(names)})"
        # Transcript lines and side-chat messages, ranked together.
        sql = text(
            "SELECT * FROM ("
            "SELECT 'utterance' AS kind, u.id, u.session_id, u.speaker, u.start_s, u.end_s, "
            "u.text, highlight(utterances_fts, 0, :open, :close) AS marked, "
            "bm25(utterances_fts) AS rank, s.title, s.held_at "
            "FROM utterances_fts "
            "JOIN utterances AS u ON u.id = utterances_fts.rowid "
            "JOIN sessions AS s ON s.id = u.session_id "
            f"WHERE utterances_fts MATCH :match AND u.source = s.transcript_source{scope} "
            "UNION ALL "
            "SELECT 'chat' AS kind, c.id, c.session_id, c.speaker, c.at_s, c.at_s, c.text, "
            "highlight(chat_fts, 0, :open, :close) AS marked, bm25(chat_fts) AS rank, "
            "s.title, s.held_at "
            "FROM chat_fts JOIN chat_messages AS c ON c.id = chat_fts.rowid "
            "JOIN sessions AS s ON s.id = c.session_id "
            f"WHERE chat_fts MATCH :match{scope}"
            ") ORDER BY rank, session_id DESC, start_s LIMIT :limit OFFSET :offset"
        )
        try:
            rows = db.execute(sql, params).all()
        except OperationalError as exc:  # FTS5 syntax the parser did not foresee
            raise QueryError(f"the search query cannot be used ({exc.orig})") from None
        return [
            SearchHit(
                session_id=row.session_id,
                session_title=row.title,
                held_at=_as_datetime(row.held_at),
                utterance_id=row.id,
                speaker=row.speaker,
                start_s=row.start_s,
                end_s=row.end_s,
                text=row.text,
                marked=row.marked,
                score=-float(row.rank),
                kind=row.kind,
            )
            for row in rows
        ]


def _as_datetime(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def search_backend(dialect: str) -> TranscriptSearch:
    if dialect == "sqlite":
        return SqliteSearch()
    raise NotImplementedError(f"transcript search is not implemented for {dialect} yet")
