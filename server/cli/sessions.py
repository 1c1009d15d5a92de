"""Saved sessions: sessions list/rename/file/delete, search, transcript and report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from server.cli.common import UsageError, _mmss, _open_db
from server.settings import Settings


def cmd_sessions_list(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.store import list_sessions
    from server.db.tables import Session

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            summaries = list_sessions(db, limit=args.limit)
            owners = {s.id: db.get(Session, s.id) for s in summaries}
            if not summaries:
                print("no sessions yet")
            for summary in summaries:
                row = owners[summary.id]
                where = f"mentorship {row.mentorship_id}" if row and row.mentorship_id else "-"
                length = _mmss(summary.duration_s) if summary.duration_s is not None else "-"
                print(f"{summary.id:>5}  {summary.held_at:%Y-%m-%d %H:%M}  {length:>6}  "
                      f"{summary.status:<11} {where:<14} {summary.title}")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_sessions_rename(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.sessions import rename_session

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            try:
                session = rename_session(db, args.session, args.title)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            print(f"session {session.id}: {session.title}")
    finally:
        database.close()
    return 0


def cmd_sessions_file(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.sessions import file_session

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            try:
                session = file_session(db, args.session, args.mentorship)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            print(f"session {session.id} ({session.title}) is now in mentorship "
                  f"{session.mentorship_id}; its members can read it")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_sessions_delete(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.deletion import delete_session

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            try:
                deleted = delete_session(
                    db, args.session, settings.recordings_dir, settings.spool_dir(args.session)
                )
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            print(f"session {deleted.session_id} ({deleted.title}) deleted, with "
                  f"{deleted.files_removed} file(s) of audio")  # fmt: skip
    finally:
        database.close()
    return 0


# -- search / transcript -----------------------------------------------------------------------
def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    import html
    import re

    from server.db.search import search_backend

    database = _open_db(settings)
    try:
        backend = search_backend(database.dialect)
        with database.sessions() as db:
            hits = backend.search(db, args.query, args.limit)
    finally:
        database.close()
    if args.json:
        from server.api.search import hit_json

        print(json.dumps({"query": args.query, "results": [hit_json(h) for h in hits]}, indent=2))
        return 0
    if not hits:
        print(f"no matches for {args.query!r}", file=sys.stderr)
        return 1
    tty = sys.stdout.isatty()
    opened, closed = ("\033[1;33m", "\033[0m") if tty else ("[", "]")
    for hit in hits:
        # What people said or typed is printed with its control characters made visible:
        # a chat line must not drive the operator's terminal.
        pieces = re.split(r"(<mark>.*?</mark>)", hit.highlighted_html)
        text = "".join(
            f"{opened}{printable(html.unescape(p[6:-7]))}{closed}" if p.startswith("<mark>")
            else printable(html.unescape(p))
            for p in pieces
        )  # fmt: skip
        print(
            f"#{hit.session_id} {printable(hit.session_title)} ({hit.held_at:%Y-%m-%d}) "
            f"{_mmss(hit.start_s)} {printable(hit.speaker)}: {text}"
        )
    return 0


def printable(text: str) -> str:
    """Control and direction-changing characters replaced by a visible mark (U+FFFD)."""
    import unicodedata

    return "".join(
        "\ufffd" if unicodedata.category(c) in ("Cc", "Cf") and c not in "\t" else c for c in text
    )


def cmd_transcript(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.store import load_transcript
    from server.exports import export, load_extras

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            saved = load_transcript(db, args.session)
            extras = load_extras(db, args.session)
    finally:
        database.close()
    text = export(saved, args.format, extras)
    if args.output and args.output != "-":
        Path(args.output).expanduser().write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.store import load_report, load_transcript
    from server.report import render_report

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            saved = load_transcript(db, args.session)
            report = load_report(db, args.session)
    finally:
        database.close()
    if args.json:
        print(
            json.dumps(
                {"talk": report.talk, "cues": report.cues, "action_items": report.action_items},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        sys.stdout.write(render_report(saved, report, settings.targets))
    return 0
