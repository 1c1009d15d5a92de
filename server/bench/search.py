"""`tandem bench search`: fill a fresh database with realistic utterances over many sessions,
then time word, phrase and prefix queries, within one mentorship and across all of them.

The text is real mentoring talk (the sentences of the project's own labelled conversations,
tests/data/*.json), drawn at random, with each session's own topic words (pseudo-words, like
project and people names) mixed in, so both common and rare words are searched. The database
is built in a temporary folder (or at --database) and timed through the same search backend
the web server uses. Target: p95 <= 50 ms on SQLite on this machine.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from server.bench import BenchInputError, percentiles
from server.db.engine import Database
from server.db.search import search_backend
from server.db.tables import Mentorship, Person, Session, UtteranceRow
from server.settings import PROJECT_DIR, Settings

SENTENCE_FILES = sorted((PROJECT_DIR / "tests" / "data").glob("mentoring_action_items*.json"))
TARGET_P95_MS = 50.0
SESSIONS_PER_MENTORSHIP = 20
SYLLABLES = ("ka", "lo", "mi", "ve", "tor", "zan", "bri", "qu", "el", "sha", "ron", "dex")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("search", help="search speed on a database of many utterances")
    parser.add_argument("--utterances", type=int, default=1_000_000, help="how many to store")
    parser.add_argument("--sessions", type=int, default=10_000, help="over how many sessions")
    parser.add_argument("--queries", type=int, default=30, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", metavar="URL",
                        help="build it here instead of a temporary SQLite file")  # fmt: skip


def _sentences() -> list[str]:
    found = []
    for path in SENTENCE_FILES:
        for conversation in json.loads(path.read_text()):
            found += [u["text"] for u in conversation["utterances"] if len(u["text"]) > 3]
    if not found:
        raise BenchInputError("no sentences found in tests/data/mentoring_action_items*.json")
    return found


def _topic_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4)))


def fill(database: Database, utterances: int, sessions: int, seed: int) -> dict[str, Any]:
    """Store the material; returns what the queries need (topic words, a mentorship)."""
    rng = random.Random(seed)
    sentences = _sentences()
    mentorships = max(1, sessions // SESSIONS_PER_MENTORSHIP)
    per_session = max(1, utterances // sessions)
    started = datetime(2025, 1, 6, 10, tzinfo=UTC)
    topics: dict[int, list[str]] = {}
    with database.sessions() as db:
        people = [
            Person(email=f"p{i}@bench.example", name=f"Person {i}",
                   role="mentor" if i % 2 == 0 else "mentee")
            for i in range(2 * mentorships)
        ]  # fmt: skip
        db.add_all(people)
        db.flush()
        pairs = [Mentorship(mentor_id=people[2 * i].id, mentee_id=people[2 * i + 1].id)
                 for i in range(mentorships)]  # fmt: skip
        db.add_all(pairs)
        db.flush()
        rows = [
            Session(title=f"Session {n}", status="ended", mentorship_id=pairs[n % mentorships].id,
                    held_at=started + timedelta(days=n // mentorships * 7), duration_s=3600.0)
            for n in range(sessions)
        ]  # fmt: skip
        db.add_all(rows)
        db.commit()
        session_ids = [r.id for r in rows]
        mentorship_ids = [p.id for p in pairs]
        batch: list[dict[str, Any]] = []
        for index, session_id in enumerate(session_ids):
            words = [_topic_word(rng) for _ in range(3)]
            topics[session_id] = words
            for k in range(per_session):
                text = rng.choice(sentences)
                if k == 0 or rng.random() < 0.05:  # each topic comes up in its session
                    text = f"{text} The {words[0] if k == 0 else rng.choice(words)} part."
                batch.append({"session_id": session_id, "speaker": "mentor" if k % 2 else "mentee",
                              "start_s": k * 6.0, "end_s": k * 6.0 + 5.0, "text": text,
                              "words": [], "source": "refined"})  # fmt: skip
            if len(batch) >= 20_000 or index == len(session_ids) - 1:
                db.execute(insert(UtteranceRow), batch)
                db.commit()
                batch = []
    one = mentorship_ids[len(mentorship_ids) // 2]
    in_one = [s for n, s in enumerate(session_ids) if pairs[n % mentorships].id == one]
    return {"topics": topics, "mentorship_sessions": in_one, "all_sessions": session_ids}


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.utterances < 1000 or args.sessions < 10 or args.sessions > args.utterances:
        raise BenchInputError("give at least 1000 utterances over 10 or more sessions")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-search-") as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'search.db'}"
        database = Database.open(url)
        try:
            print(f"bench search: filling {args.utterances:,} utterances over "
                  f"{args.sessions:,} sessions ({url.split(':', 1)[0]})…", flush=True)  # fmt: skip
            began = time.perf_counter()
            material = fill(database, args.utterances, args.sessions, args.seed)
            print(f"filled in {time.perf_counter() - began:.0f} s", flush=True)
            return _measure(database, material, args)
        finally:
            database.close()


def _measure(database: Database, material: dict[str, Any], args: argparse.Namespace) -> int:
    backend = search_backend(database.dialect)
    in_one = material["mentorship_sessions"]
    rare = material["topics"][in_one[0]][0]
    queries = {
        "word (common)": "meeting",
        "word (rare, a session's topic)": rare,
        "phrase": '"next week"',
        "prefix": "think*",
        "two words": "design review",
    }
    scopes = {"one mentorship": in_one, "all sessions": material["all_sessions"]}
    print(f"{'query':<32} {'scope':<16} {'hits':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95/target':>10}")
    worst = 0.0
    with database.sessions() as db:
        for name, query in queries.items():
            for scope, ids in scopes.items():
                timings, hits = [], 0
                for run in range(args.queries + 2):
                    began = time.perf_counter()
                    found = backend.search(db, query, 20, 0, session_ids=ids)
                    if run >= 2:  # two warm-up runs: the page cache, not the query, at first
                        timings.append((time.perf_counter() - began) * 1000)
                    hits = len(found)
                figures = percentiles(timings)
                p50, p95 = float(figures["p50"] or 0), float(figures["p95"] or 0)
                worst = max(worst, p95)
                print(f"{name:<32} {scope:<16} {hits:>6} {p50:>8.1f} {p95:>8.1f} "
                      f"{p95 / TARGET_P95_MS:>10.2f}")  # fmt: skip
    print(f"worst p95 {worst:.1f} ms (target <= {TARGET_P95_MS:.0f} ms on SQLite)")
    return 0
