"""`tandem bench coach`: the coaching dashboard of a trainer with many mentors, in Chromium.

Fills a database with --mentors mentors (one mentorship each) of --sessions sessions, each
with stored talk figures and cues as a call leaves them, then times the trainer's /coach page
from navigation start to its load event in headless Chromium (the figures come from what is
stored, nothing is recomputed from transcripts). Target: under 1 s for 20 mentors x 30.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.bench import CHROMIUM, CHROMIUM_ARGS, BenchInputError, percentiles
from server.bench.call import log_in, serving
from server.settings import Settings

TARGET_MS = 1000.0
PASSWORD = "bench password, long enough"


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("coach", help="the trainer's dashboard with many mentors, in Chromium")
    parser.add_argument("--mentors", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=30, help="sessions per mentor")
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)


def _talk(rng: random.Random) -> dict[str, Any]:
    def speaker(share: float) -> dict[str, Any]:
        return {"share": share, "talk_s": 1800 * share, "longest_monologue_s": rng.uniform(20, 200),
                "questions": rng.randint(0, 15), "interruptions_made": rng.randint(0, 6),
                "backchannels": rng.randint(0, 30), "turns": 80, "interrupted": 0,
                "overlaps_started": 2, "words": 3000, "words_per_minute": 140.0,
                "median_response_gap_s": 0.6}  # fmt: skip

    share = rng.uniform(0.2, 0.6)
    return {
        "talk": {"duration_s": 3600.0, "median_response_gap_s": rng.uniform(-0.2, 1.5),
                 "speakers": {"mentor": speaker(1 - share), "mentee": speaker(share)}},
        "targets": {"mentee_min_share": 0.4, "max_monologue_s": 90.0, "max_interruptions": 3},
        "roles": {"mentor": "mentor", "mentee": "mentee"},
    }  # fmt: skip


def fill(data: Path, mentors: int, sessions: int, seed: int) -> None:
    from server.auth import add_person, hash_password
    from server.db.engine import Database
    from server.db.tables import CueRow, Mentorship, Session

    rng = random.Random(seed)
    settings = Settings.from_env({"TANDEM_DATA_DIR": str(data)})
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            trainer = add_person(db, "trainer@bench.local", "Tara Trainer", "trainer")
            trainer.password_hash = hash_password(PASSWORD)
            db.flush()
            start = datetime(2026, 1, 5, 10, tzinfo=UTC)
            for m in range(mentors):
                mentor = add_person(db, f"mentor{m}@bench.local", f"Mentor {m:02d}", "mentor")
                mentee = add_person(db, f"mentee{m}@bench.local", f"Mentee {m:02d}", "mentee")
                db.flush()
                pair = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, trainer_id=trainer.id)
                db.add(pair)
                db.flush()
                for n in range(sessions):
                    session = Session(title=f"Week {n + 1}", status="ended",
                                      mentorship_id=pair.id, talk=_talk(rng), duration_s=3600.0,
                                      held_at=start + timedelta(weeks=n))  # fmt: skip
                    db.add(session)
                    db.flush()
                    db.add_all(CueRow(session_id=session.id, at_s=60.0 * k, speaker="mentor",
                                      kind="monologue", message="Pause?", value=100.0)
                               for k in range(rng.randint(0, 3)))  # fmt: skip
            db.commit()
    finally:
        database.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.mentors <= 500 or not 1 <= args.sessions <= 500 or args.loads < 1:
        raise BenchInputError("--mentors and --sessions between 1 and 500, --loads at least 1")
    from playwright.sync_api import sync_playwright

    print(f"bench coach: a trainer with {args.mentors} mentors x {args.sessions} sessions")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-coach-") as scratch:
        data = Path(scratch)
        fill(data, args.mentors, args.sessions, args.seed)
        with serving(data) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            log_in(page, base, "trainer@bench.local", PASSWORD)
            loads: list[float] = []
            for _ in range(args.loads):
                began = time.perf_counter()
                page.goto(f"{base}/coach", wait_until="load")
                wall = (time.perf_counter() - began) * 1000
                timing = page.evaluate(
                    "(() => performance.getEntriesByType('navigation')[0].loadEventEnd)()"
                )
                loads.append(float(timing) or wall)
            charts = page.locator("figure.chart").count()
            rows = page.locator("table.coach-table tbody tr").count()
            browser.close()
    figures = percentiles(loads)
    p50, most = float(figures["p50"] or 0), float(figures["max"] or 0)
    print(f"  {charts} charts, {rows} table rows on the page")
    print(f"dashboard loaded: p50 {p50:.0f} ms  max {most:.0f} ms "
          f"(target < {TARGET_MS:.0f} ms; p50/target {p50 / TARGET_MS:.2f})")  # fmt: skip
    return 0
