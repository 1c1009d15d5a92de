"""Full-text search over saved transcripts, behind one small interface.

The query language is the same on every backend: words (all must match), phrases in double
quotes, and prefixes with a trailing ``*`` (``deploy*``). :func:`parse_query` turns user text
into terms or raises :class:`QueryError` with a message fit to show; each backend compiles the
terms to its own engine: SQLite FTS5 (:class:`SqliteSearch`) or PostgreSQL's tsvector and
tsquery (:class:`PostgresSearch`). Both split words alike (letters and digits; case and
diacritics folded) and rank better matches first; matches are marked here, in Python, for
the hits shown, so highlighting is the same on both.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
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


_TOKEN = re.compile(r"\w+", re.UNICODE)


def _fold(word: str) -> str:
    """As the index's unicode61 tokenizer compares words: case and diacritics folded."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: Letters PostgreSQL's unaccent folds though they have no decomposition (SQLite keeps them).
_UNACCENT_MORE = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ŀ": "l", "\u0131": "i", "ŋ": "n",
     "æ": "ae", "œ": "oe", "þ": "th", "ð": "d", "ĸ": "q"}
)  # fmt: skip


def _fold_unaccent(word: str) -> str:
    """As PostgreSQL's ``tandem_search`` configuration compares words (migration 0014)."""
    return _fold(word).translate(_UNACCENT_MORE)


def mark_terms(text: str, terms: Sequence[SearchTerm], fold: Callable[[str], str] = _fold) -> str:
    """``text`` with each match of the query between private-use marks: a word (or a word
    starting so, for prefix*), or a whole phrase as one span. Done here for the few hits
    shown, not by the index for every match (that cost more than the search itself)."""
    # Someone's own private-use marks are no match marks (same length: offsets hold).
    text = text.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd")
    tokens = [(m.start(), m.end(), fold(m.group(0))) for m in _TOKEN.finditer(text)]
    spans: list[tuple[int, int]] = []
    for term in terms:
        words = [fold(w) for w in _TOKEN.findall(term.text)]
        if not words:
            continue
        for i in range(len(tokens) - len(words) + 1):
            window = tokens[i : i + len(words)]
            same = all(t[2] == w for t, w in zip(window[:-1], words[:-1], strict=True))
            last = window[-1][2]
            if same and (last.startswith(words[-1]) if term.prefix else last == words[-1]):
                spans.append((window[0][0], window[-1][1]))
    out, cursor = [], 0
    for start, end in sorted(spans):
        if start < cursor:
            continue  # overlapping matches: the first one is marked
        out += [text[cursor:start], _OPEN, text[start:end], _CLOSE]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


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


#: Above this many sessions in scope, the index ranks its matches before the scope filters
#: them (bench search, 1M utterances: 10,000 sessions 17 vs 34 ms, 20 sessions 53 vs 18 ms).
RANK_FIRST_ABOVE = 200


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
        terms = parse_query(query)
        match = self.compile(terms)
        params: dict[str, object] = {
            "match": match,
            "limit": max(1, min(limit, 200)),
            "offset": max(0, offset),
        }
        scope = ""
        if session_ids is not None:
            if not session_ids:
                return []
            # One JSON parameter, not one per session: 10,000 bound ids cost ~130 ms a query.
            params["scope"] = json.dumps(sorted(set(session_ids)))
            scope = " AND s.id IN (SELECT value FROM json_each(:scope))"
        many = session_ids is None or len(session_ids) > RANK_FIRST_ABOVE
        # Transcript lines and side-chat messages, ranked together. Over many sessions the
        # index ranks first and rows are looked up in rank order (stops at the limit); over a
        # few, the scope's rows filter the matches before they are ranked.
        utterances = (
            "(SELECT rowid AS id, rank FROM utterances_fts WHERE utterances_fts MATCH :match "
            "ORDER BY rank) AS f JOIN utterances AS u ON u.id = f.id"
            if many
            else "utterances_fts JOIN utterances AS u ON u.id = utterances_fts.rowid"
        )
        chat = (
            "(SELECT rowid AS id, rank FROM chat_fts WHERE chat_fts MATCH :match "
            "ORDER BY rank) AS g JOIN chat_messages AS c ON c.id = g.id"
            if many
            else "chat_fts JOIN chat_messages AS c ON c.id = chat_fts.rowid"
        )
        u_rank, c_rank = (
            ("f.rank", "g.rank") if many else ("bm25(utterances_fts)", "bm25(chat_fts)")
        )
        u_match = "" if many else "utterances_fts MATCH :match AND "
        c_match = "" if many else "chat_fts MATCH :match AND "
        sql = text(
            "SELECT * FROM ("
            "SELECT 'utterance' AS kind, u.id, u.session_id, u.speaker, u.start_s, u.end_s, "
            f"u.text, {u_rank} AS rank, s.title, s.held_at "
            f"FROM {utterances} JOIN sessions AS s ON s.id = u.session_id "
            f"WHERE {u_match}u.source = s.transcript_source{scope} "
            "UNION ALL "
            "SELECT 'chat' AS kind, c.id, c.session_id, c.speaker, c.at_s, c.at_s, c.text, "
            f"{c_rank} AS rank, s.title, s.held_at "
            f"FROM {chat} JOIN sessions AS s ON s.id = c.session_id "
            f"WHERE {c_match}c.id > 0{scope}"
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
                marked=mark_terms(row.text, terms),
                score=-float(row.rank),
                kind=row.kind,
            )
            for row in rows
        ]


def _as_datetime(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: The text search configuration of migration 0014 (simple, with unaccent where available).
PG_CONFIG = "tandem_search"
#: What the indexed text has turned into spaces before PostgreSQL's parser reads it (kept
#: equal to migration 0014's SEPARATORS): ASCII punctuation, as unicode61 splits there, and
#: common typographic marks (quotes, dashes, bullets, no-break spaces), which a server whose
#: locale is C would otherwise read as letters.
PG_SEPARATORS = (
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "\u00a0\u2009\u202f\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033"
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2026\u2022\u00b7\u00ab\u00bb\u2039\u203a"
    "\u00a1\u00bf\u00a7\u00b6\u20ac\u00a3\u00a5\u00a2\u00b0\u00b1\u00d7\u00f7\u00a9\u00ae\u2122"
)
_PG_SPLIT = re.compile("[\\s\x00" + re.escape(PG_SEPARATORS) + "]+")


class PostgresSearch:
    """PostgreSQL full-text search: each utterance and chat message carries a generated
    tsvector (``search_vector``, GIN-indexed, migration 0014), ranked by ``ts_rank_cd`` (cover
    density over the line's length: closest to FTS5's bm25 order on the equivalence test).

    A term's text is split where the indexed text was (``PG_SEPARATORS``) and each piece is
    quoted for ``to_tsquery``, which reads it with the same parser and dictionaries as the
    index: a phrase (or a word with punctuation inside, like ``follow-up``) joins its pieces
    with ``<->``, a prefix marks the last piece ``:*``, and all terms must match (``&``).
    """

    @staticmethod
    def compile_term(term: SearchTerm) -> str:
        pieces = [p for p in _PG_SPLIT.split(term.text) if p]
        # No ASCII punctuation is left in a piece: no quote or backslash to escape.
        quoted = [f"'{piece}'" for piece in pieces]
        if term.prefix and quoted:
            quoted[-1] += ":*"
        return " <-> ".join(quoted)

    @classmethod
    def compile(cls, terms: list[SearchTerm]) -> str:
        return " & ".join(f"({cls.compile_term(term)})" for term in terms)

    def search(
        self,
        db: OrmSession,
        query: str,
        limit: int = 20,
        offset: int = 0,
        session_ids: Collection[int] | None = None,
    ) -> list[SearchHit]:
        terms = parse_query(query)
        compiled = [self.compile_term(term) for term in terms]
        if not all(compiled):
            return []  # a term with nothing PostgreSQL reads as a word matches nothing
        params: dict[str, object] = {
            "query": " & ".join(f"({c})" for c in compiled),
            "terms": compiled,
            "limit": max(1, min(limit, 200)),
            "offset": max(0, offset),
        }
        scope = ""
        if session_ids is not None:
            if not session_ids:
                return []
            params["scope"] = sorted(set(session_ids))
            scope = " AND s.id = ANY(CAST(:scope AS integer[]))"
        # A term whose pieces hold no word for the parser would drop out of the query (and so
        # widen it); like an FTS5 term that matches nothing, it makes the query find nothing.
        sql = text(
            f"WITH q AS (SELECT to_tsquery('{PG_CONFIG}', :query) AS query, "
            f"(SELECT bool_and(numnode(to_tsquery('{PG_CONFIG}', t)) > 0) "
            "FROM unnest(CAST(:terms AS text[])) AS t) AS usable) "
            "SELECT * FROM ("
            "SELECT 'utterance' AS kind, u.id, u.session_id, u.speaker, u.start_s, u.end_s, "
            "u.text, ts_rank_cd(u.search_vector, q.query, 1) AS rank, s.title, s.held_at "
            "FROM q, utterances AS u JOIN sessions AS s ON s.id = u.session_id "
            f"WHERE q.usable AND u.search_vector @@ q.query "
            f"AND u.source = s.transcript_source{scope} "
            "UNION ALL "
            "SELECT 'chat' AS kind, c.id, c.session_id, c.speaker, c.at_s, c.at_s, c.text, "
            "ts_rank_cd(c.search_vector, q.query, 1) AS rank, s.title, s.held_at "
            "FROM q, chat_messages AS c JOIN sessions AS s ON s.id = c.session_id "
            f"WHERE q.usable AND c.search_vector @@ q.query{scope}"
            ") AS hits "
            "ORDER BY rank DESC, session_id DESC, start_s, kind DESC, id "
            "LIMIT :limit OFFSET :offset"
        )
        try:
            rows = db.execute(sql, params).all()
        except DBAPIError as exc:  # tsquery syntax the compiler did not foresee
            db.rollback()
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
                marked=mark_terms(row.text, terms, _fold_unaccent),
                score=float(row.rank),
                kind=row.kind,
            )
            for row in rows
        ]


def search_backend(dialect: str) -> TranscriptSearch:
    if dialect == "sqlite":
        return SqliteSearch()
    if dialect == "postgresql":
        return PostgresSearch()
    raise NotImplementedError(f"transcript search is not implemented for {dialect}")
