"""The ``tandem`` command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# No model hub, ever: make any accidental hub lookup fail fast instead of reaching out.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# numpy's BLAS threads would spin against the ASR and media threads on small servers; the
# only matrix work numpy does here (a mel filter bank) is small enough for one thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from media.audio import AudioError
from media.models import ModelError, ModelFileError, ModelInfo, ModelStore
from media.transcript_import import TranscriptError
from server.auth import AuthError
from server.bench import BenchInputError
from server.db.engine import DatabaseError
from server.db.search import QueryError
from server.db.store import NotFound
from server.settings import Settings, SettingsError


class Refused(Exception):
    """The command cannot be carried out as things stand (a call still open, the last admin)."""


EXPECTED_ERRORS = (
    BenchInputError,
    TranscriptError,
    AudioError,
    ModelError,
    DatabaseError,
    QueryError,
    NotFound,
    SettingsError,
    AuthError,
    Refused,
)


class UsageError(Exception):
    """Arguments that do not fit together; the message says how to fix them."""


def model_store(settings: Settings) -> ModelStore:
    return ModelStore(settings.model_store_dir, settings.model_dirs)


# -- serve -----------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.app import create_app
    from server.logredact import log_config

    settings = settings.with_server(args.host, args.port)
    ssl: dict[str, str] = {}
    if args.https or args.cert or args.key:
        if bool(args.cert) != bool(args.key):
            raise UsageError("--cert and --key go together")
        if args.cert:
            cert, key = Path(args.cert).expanduser(), Path(args.key).expanduser()
            for given in (cert, key):
                if not given.is_file():
                    raise UsageError(f"{given} does not exist")
        else:
            from server.tls import self_signed

            cert, key = self_signed(settings.data_dir / "tls")
            print(f"Using a self-signed certificate ({cert}); browsers ask to accept it once.",
                  file=sys.stderr)  # fmt: skip
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        settings = settings.over_https()
    _check_models(settings)
    if settings.refine_in_server:
        from server.calls.refine import check_device

        check_device(settings)
    print(f"Tandem serving on {settings.base_url} (data in {settings.data_dir})", file=sys.stderr)
    setup_link = _setup_link_if_needed(settings)
    if setup_link:
        print(
            f"No accounts yet. Open this one-time link to create the first admin:\n  {setup_link}",
            file=sys.stderr,
        )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        ws_max_size=1 << 20,  # signaling messages are small; refuse floods early
        log_config=log_config(),  # no link tokens or search terms in the access log
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: anyone reaching the
        # port locally could then pose as any address. Only configured proxies are believed.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        **ssl,  # type: ignore[arg-type]
    )
    return 0


def _check_models(settings: Settings) -> None:
    """Before serving: the live model and the refinement model are whole. A model that is
    not there only warns (the server runs without live captions); a damaged one stops the
    start (ModelFileError: exit 2), before anything loads it."""
    store = model_store(settings)
    for name in dict.fromkeys((settings.model, settings.refine_model or settings.model)):
        try:
            info = store.resolve(name)
        except ModelFileError:
            raise
        except ModelError as exc:
            print(f"tandem: warning: {exc}", file=sys.stderr)
            continue
        store.check(info)


def _setup_link_if_needed(settings: Settings) -> str | None:
    from server.auth import create_link, needs_setup
    from server.db.engine import Database

    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            if not needs_setup(db):
                return None
            token = create_link(db, "setup", None, settings.invite_ttl_s)
    finally:
        database.close()
    return f"{settings.base_url}/setup/{token}"


# -- people ----------------------------------------------------------------------------------
def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth import add_person, create_link

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            person = add_person(db, args.email, args.name, args.role)
            token = create_link(db, "invite", person, settings.invite_ttl_s)
            print(f"added {person.role} {person.name} <{person.email}> (id {person.id})")
            print(f"invite link (one use, {settings.invite_ttl_s / 3600:.0f} h): "
                  f"{settings.base_url}/invite/{token}")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_users_reset(args: argparse.Namespace, settings: Settings) -> int:
    """A one-time link to choose a new password, printed here only: the operator holds the
    database anyway, and the person is told of the reset at their next login."""
    from server.auth import create_link
    from server.db.directory import person_by_email

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            person = person_by_email(db, args.email)
            if not person.active:
                raise UsageError(f"{person.email} is deactivated")
            purpose = "reset" if person.password_hash is not None else "invite"
            token = create_link(db, purpose, person, settings.invite_ttl_s)
            print(f"{'reset' if purpose == 'reset' else 'invite'} link for {person.name} "
                  f"<{person.email}> (one use, {settings.invite_ttl_s / 3600:.0f} h; give it "
                  f"to them yourself): {settings.base_url}/invite/{token}")  # fmt: skip
            if purpose == "reset":
                print("their old password works until the link is used; they will be told "
                      "of the reset when they next log in")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from server.db.tables import Person

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            for p in db.scalars(select(Person).order_by(Person.id)):
                # The same words as the admin page.
                state = "active" if p.password_hash else "invited"
                state = state if p.active else "deactivated"
                print(f"{p.id:>4}  {p.role:<8} {p.name} <{p.email}> {state}")
    finally:
        database.close()
    return 0


def cmd_users_delete(args: argparse.Namespace, settings: Settings) -> int:
    """The person and every conversation they took part in, from the database and the disk."""
    from server.db.deletion import delete_person
    from server.db.directory import person_by_email

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            person = person_by_email(db, args.email)
            try:
                deleted = delete_person(db, person.id, settings)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            print(f"deleted {deleted.what}: {deleted.sessions} session(s), "
                  f"{deleted.files_removed} file(s) of audio and uploads")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_users_export(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.directory import person_by_email
    from server.person_export import gather, write_zip

    out = Path(args.output)
    # Said before the gathering, not as a traceback after it.
    if not out.parent.is_dir():
        raise Refused(f"cannot write {out}: there is no folder {out.parent}")
    if out.is_dir():
        raise Refused(
            f"cannot write {out}: it is a folder; give a file name, e.g. {out}/export.zip"
        )
    database = _open_db(settings)
    try:
        with database.sessions() as db:
            export = gather(db, person_by_email(db, args.email).id)
    finally:
        database.close()
    try:
        size = write_zip(export, out)
    except OSError as exc:
        raise Refused(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out} ({size / 1024:.0f} KB): {len(export.document['sessions'])} session(s), "
          f"{len(export.audio)} audio file(s)")  # fmt: skip
    return 0


def cmd_mentorships_delete(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.deletion import delete_mentorship

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            try:
                deleted = delete_mentorship(db, args.mentorship, settings)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            print(f"deleted the mentorship of {deleted.what}: {deleted.sessions} session(s), "
                  f"{deleted.files_removed} file(s)")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Take refinement jobs from the database until stopped (SIGTERM or Ctrl-C): on a machine
    with more cores or a GPU, beside servers started with TANDEM_REFINE_IN_SERVER=0."""
    import dataclasses
    import signal
    import socket
    import threading

    from server.calls.refine import Refiner, check_device
    from server.db.engine import safe_url

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.device:
        settings = dataclasses.replace(settings, refine_device=args.device)
    check_device(settings)
    model_store(settings).resolve(settings.refine_model or settings.model)  # fail early
    database = _open_db(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    name = settings.node_name or f"{socket.gethostname()}:worker"
    # One Refiner per pass at a time, each its own queue taker (a distinct name, so a restart
    # hands back exactly its passes), all decoding through one shared model instance.
    refiners = [
        Refiner(settings, database, name if args.jobs == 1 else f"{name}#{k + 1}", args.jobs)
        for k in range(args.jobs)
    ]
    for refiner in refiners:
        refiner.start()
    print(f"tandem worker {name}: taking refinement jobs from "
          f"{safe_url(settings.database_url)}, {args.jobs} at a time on the "
          f"{settings.refine_device}", file=sys.stderr, flush=True)  # fmt: skip
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for refiner in refiners:
            refiner.close()
        database.close()
    print("tandem worker: stopped", file=sys.stderr)
    return 0


def cmd_nodes(args: argparse.Namespace, settings: Settings) -> int:
    """The server processes sharing this database: live or silent, and the calls each holds."""
    from sqlalchemy import func, select

    from server.db.nodes import nodes
    from server.db.tables import Session, utcnow

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            known = nodes(db)
            held = dict(
                db.execute(
                    select(Session.node, func.count())
                    .where(Session.status == "live", Session.node.is_not(None))
                    .group_by(Session.node)
                ).all()
            )
    finally:
        database.close()
    now = utcnow()
    if not known and not held:
        print("no server process has registered")
    for name in sorted(set(known) | {n for n in held if n is not None}):
        info = known.get(name)
        if info is None:
            print(f"{name}  (gone)  calls: {held.get(name, 0)}")
            continue
        age = (now - info.heartbeat_at).total_seconds()
        state = "live" if info.alive(now) else "silent"
        print(f"{name}  {info.url}  {state}, beat {age:.0f} s ago  calls: {held.get(name, 0)}")
    return 0


def cmd_monitor_token(args: argparse.Namespace, settings: Settings) -> int:
    """The token monitoring sends to /healthz (Authorization: Bearer …) for the details."""
    from server.auth import load_secret_key, monitor_token

    print(monitor_token(load_secret_key(settings.data_dir, settings.secret_key)))
    return 0


def cmd_janitor(args: argparse.Namespace, settings: Settings) -> int:
    """One sweep now (the server runs one every TANDEM_JANITOR_INTERVAL_S)."""
    from server.janitor import sweep

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            swept = sweep(db, settings)
    finally:
        database.close()
    policy = [
        f"audio after {settings.keep_audio_days} days" if settings.keep_audio_days else "",
        f"transcripts after {settings.keep_transcripts_days} days"
        if settings.keep_transcripts_days
        else "",
    ]
    print(f"retention: {', '.join(p for p in policy if p) or 'off (everything is kept)'}")
    print(f"removed {swept.describe()}")
    return 0


def cmd_mentorships_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.directory import create_mentorship

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            m = create_mentorship(db, args.mentor, args.mentee, args.trainer)
            trainer = f", trainer {m.trainer.name}" if m.trainer else ""
            print(f"mentorship {m.id}: mentor {m.mentor.name}, mentee {m.mentee.name}{trainer}")
    finally:
        database.close()
    return 0


def cmd_mentorships_list(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from server.db.tables import Mentorship

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            rows = db.scalars(select(Mentorship).order_by(Mentorship.id)).all()
            if not rows:
                print("no mentorships yet: tandem mentorships add --mentor EMAIL --mentee EMAIL")
            for m in rows:
                trainer = f", trainer {m.trainer.name} <{m.trainer.email}>" if m.trainer else ""
                shared = "; transcripts shared with the trainer" if m.shares_transcripts else ""
                print(f"{m.id:>4}  mentor {m.mentor.name} <{m.mentor.email}>, mentee "
                      f"{m.mentee.name} <{m.mentee.email}>{trainer}{shared}")  # fmt: skip
    finally:
        database.close()
    return 0


# -- sessions --------------------------------------------------------------------------------
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


# -- analyze ---------------------------------------------------------------------------------
def _sources(args: argparse.Namespace) -> list[Any]:
    from media.sources import TrackSource, check_speaker, parse_track, stereo_sources

    modes = sum(bool(x) for x in (args.track, args.stereo, args.file, args.transcript))
    if modes != 1:
        raise UsageError(
            "give the recording one way: --track NAME=PATH (once per person), "
            "--stereo PATH --channels A,B, one FILE with --speaker NAME, "
            "or --transcript FILE (WebVTT, SRT or Tandem JSON)"
        )
    if args.speaker_map:
        raise UsageError("--speaker-map goes with --transcript FILE")
    if args.track:
        if args.speaker or args.channels:
            raise UsageError("--speaker and --channels do not go with --track NAME=PATH")
        return [parse_track(spec) for spec in args.track]
    if args.stereo:
        if args.speaker:
            raise UsageError("--speaker goes with a single FILE; with --stereo use --channels A,B")
        return stereo_sources(Path(args.stereo).expanduser(), args.channels or "mentor,mentee")
    if args.channels:
        raise UsageError("--channels goes with --stereo PATH")
    return [TrackSource(speaker=check_speaker(args.speaker or "speaker"), path=Path(args.file))]


def _held_at(raw: str | None) -> datetime:
    if not raw:
        return datetime.now(UTC)
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"--date wants YYYY-MM-DD or an ISO date-time, got {raw!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _language(model: ModelInfo, requested: str | None) -> str | None:
    if requested is None or requested == "auto":
        return model.default_language
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = requested.lower()
    if code not in _LANGUAGE_CODES:
        raise UsageError(f"unknown language {requested!r}: use an ISO code such as en, de, fr")
    if not model.multilingual and code != "en":
        raise UsageError(
            f"model {model.name} is English-only; use a multilingual model (--model base)"
        )
    return code


def cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from media.insight.analysis import analyze_conversation
    from media.pipeline import analyze_tracks
    from media.sources import load_tracks
    from media.transcriber import DecodeOptions, load_model
    from server.progress import ProgressBar

    if not 1 <= args.beam <= 10:
        raise UsageError(f"--beam must be between 1 and 10, got {args.beam}")
    if args.title is not None:
        from server.db.sessions import clean_title

        try:
            args.title = clean_title(args.title)
        except ValueError as exc:
            raise UsageError(f"--title: {exc}") from None
    held_at = _held_at(args.date)
    if args.transcript:
        from media.transcript_import import parse_speaker_map, read_transcript

        if args.track or args.stereo or args.file or args.channels or args.speaker:
            raise UsageError("--transcript FILE goes alone: no recordings, --channels or --speaker")

        if args.speaker_map is not None and not args.speaker_map.strip():
            raise UsageError("--speaker-map: give NAME=LABEL pairs, e.g. Ana=mentor,Sam=mentee")
        sources: list[Any] = []
        transcript = read_transcript(
            Path(args.transcript).expanduser(), parse_speaker_map(args.speaker_map)
        )
    else:
        sources = _sources(args)
        store = model_store(settings)
        info = store.resolve(args.model or settings.model)
        store.check(info)
        language = _language(info, args.language)
        progress = ProgressBar("transcribing")
        progress.status(f"decoding {len({s.path for s in sources})} file(s)…")
        tracks = load_tracks(sources)
        progress.status(f"loading model {info.name}…")
        model = load_model(info, settings.compute_type, settings.cpu_threads)
        try:
            transcript = analyze_tracks(
                tracks, model, DecodeOptions(beam_size=args.beam, language=language),
                progress.update,
            )  # fmt: skip
        finally:
            progress.close()
    if not transcript.utterances:
        print("tandem: warning: no speech was found in the recording", file=sys.stderr)
    analysis = analyze_conversation(transcript, held_at.date(), settings.targets)
    document = transcript.to_json()
    document.update(analysis.to_json(transcript))
    imported = not sources
    if imported:
        # Cue times, not voice activity: the talk figures are approximate.
        document["talk_approximate"] = True
    if args.save:
        from server.db.engine import Database
        from server.db.store import save_transcript
        from server.db.tables import Mentorship

        title = args.title or (
            Path(args.transcript).stem[:300] if imported else _default_title(sources)
        )
        database = Database.open(settings.database_url)
        try:
            with database.sessions() as db:
                if args.mentorship is not None and db.get(Mentorship, args.mentorship) is None:
                    raise UsageError(f"--mentorship: there is no mentorship {args.mentorship}")
                session_id = save_transcript(
                    db, transcript, title, held_at, mentorship_id=args.mentorship,
                    analysis=analysis, approximate=imported,
                )  # fmt: skip
        finally:
            database.close()
        document["session_id"] = session_id
        print(f"saved session {session_id}: {settings.base_url}/sessions/{session_id}")
    if args.json:
        _write_json(document, args.json)
    elif not args.save:
        for u in transcript.utterances:
            print(f"[{_mmss(u.start_s)}] {u.speaker}: {u.text}")
    return 0


def _default_title(sources: Sequence[Any]) -> str:
    stems = sorted({s.path.stem for s in sources})
    return " + ".join(stems)[:300] or "Recording"


def _mmss(seconds: float) -> str:
    from server.exports import clock

    return clock(seconds, always_hours=False)


def _write_json(document: dict[str, Any], target: str) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if target == "-":
        sys.stdout.write(text)
        return
    path = Path(target).expanduser()
    if path.parent and not path.parent.exists():
        raise UsageError(f"--json: folder {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


# -- models ----------------------------------------------------------------------------------
def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    store = model_store(settings)
    models = store.available()
    if not models:
        print("no models found. " + "Install Tandem's dependencies; see models/README.md")
        return 1
    bad = 0
    rows = []
    for info in models:
        report = store.verify(info)
        if not report.ok:
            bad += 1
        state = "ok" if report.ok else "BROKEN: " + "; ".join(report.problems)
        if report.note:
            state = f"ok ({report.note})"
        default = " (default)" if info.name == settings.model else ""
        rows.append(
            {
                "name": info.name + default,
                "languages": info.languages,
                "size": f"{info.size_bytes / 1e6:.0f} MB",
                "origin": info.origin,
                "path": str(info.path) if info.path else "-",
                "integrity": state,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']}")
            for key in ("languages", "size", "origin", "path", "integrity"):
                print(f"  {key:<10} {row[key]}")
    return 1 if bad else 0


# -- search / transcript -----------------------------------------------------------------------
def _open_db(settings: Settings) -> Any:
    from server.db.engine import Database

    return Database.open(settings.database_url)


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


# -- bench ---------------------------------------------------------------------------------
def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from server.bench import actions as bench_actions
    from server.bench import call as bench_call
    from server.bench import coach as bench_coach
    from server.bench import live as bench_live
    from server.bench import load as bench_load
    from server.bench import refine as bench_refine
    from server.bench import review as bench_review
    from server.bench import search as bench_search
    from server.bench import talk as bench_talk
    from server.bench import transcribe as bench_transcribe

    benches = {
        "coach": bench_coach.run,
        "search": bench_search.run,
        "review": bench_review.run,
        "live": bench_live.run,
        "transcribe": bench_transcribe.run,
        "actions": bench_actions.run,
        "talk": bench_talk.run,
        "call": bench_call.run,
        "load": bench_load.run,
        "refine": bench_refine.run,
    }
    return benches[args.bench](args, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem", description="Self-hosted companion for 1:1 mentoring calls."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", help="address to listen on (default TANDEM_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default TANDEM_PORT or 8000)")
    serve.add_argument(
        "--https",
        action="store_true",
        help="serve over TLS with a generated self-signed certificate",
    )
    serve.add_argument("--cert", help="TLS certificate (PEM); implies HTTPS")
    serve.add_argument("--key", help="TLS private key (PEM)")
    serve.set_defaults(run=cmd_serve)

    analyze = sub.add_parser("analyze", help="transcribe recordings of a conversation")
    analyze.add_argument("file", nargs="?", help="one recording of one speaker (with --speaker)")
    analyze.add_argument(
        "--track",
        action="append",
        metavar="NAME=PATH",
        help="one person's own recording; repeat for each person (same clock)",
    )
    analyze.add_argument("--stereo", metavar="PATH", help="one recording, one person per channel")
    analyze.add_argument(
        "--channels",
        metavar="A,B",
        help="speaker names of the --stereo channels (default mentor,mentee)",
    )
    analyze.add_argument("--speaker", metavar="NAME", help="speaker name for a single FILE")
    analyze.add_argument(
        "--transcript",
        metavar="FILE",
        help="a transcript another tool made: WebVTT (<v Name> or 'Name:'), SRT ('Name:') "
        "or Tandem JSON; talk figures come from its cue times (approximate)",
    )
    analyze.add_argument(
        "--speaker-map",
        metavar="NAME=LABEL,…",
        help='with --transcript: who is who, e.g. "Ana=mentor,Sam=mentee"',
    )
    analyze.add_argument(
        "--json", metavar="OUT", help="write the transcript JSON to OUT (- = stdout)"
    )
    analyze.add_argument("--save", action="store_true", help="store it as a session")
    analyze.add_argument("--title", help="title of the saved session (default: file names)")
    analyze.add_argument(
        "--mentorship",
        type=int,
        metavar="ID",
        help="save it to this mentorship (its members can then read it)",
    )
    analyze.add_argument(
        "--date", help="when the conversation took place, YYYY-MM-DD (default: now)"
    )
    analyze.add_argument(
        "--model",
        metavar="NAME_OR_PATH",
        help="model name (see `tandem models`) or a CTranslate2 Whisper folder",
    )
    analyze.add_argument("--beam", type=int, default=1, help="beam size, 1-10 (default 1)")
    analyze.add_argument(
        "--language",
        help="ISO code; default en for English-only models, detected for multilingual ones",
    )
    analyze.set_defaults(run=cmd_analyze)

    models = sub.add_parser("models", help="list usable models and check their integrity")
    models.add_argument("--json", action="store_true", help="print JSON")
    models.set_defaults(run=cmd_models)

    search = sub.add_parser("search", help="search saved transcripts")
    search.add_argument("query", help='words, "a phrase", prefix*')
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(run=cmd_search)

    transcript = sub.add_parser("transcript", help="export one saved session")
    transcript.add_argument("session", type=int, help="session id")
    transcript.add_argument("--format", choices=("vtt", "srt", "md", "json"), default="md")
    transcript.add_argument("-o", "--output", help="file to write (default stdout)")
    transcript.set_defaults(run=cmd_transcript)

    users = sub.add_parser("users", help="people and their accounts")
    users_sub = users.add_subparsers(dest="users", required=True, metavar="ACTION")
    users_add = users_sub.add_parser("add", help="add a person and print their invite link")
    users_add.add_argument("email")
    users_add.add_argument("--name", required=True)
    users_add.add_argument(
        "--role", required=True, choices=("admin", "trainer", "mentor", "mentee")
    )
    users_add.set_defaults(run=cmd_users_add)
    users_list = users_sub.add_parser("list", help="list people")
    users_list.set_defaults(run=cmd_users_list)
    users_reset = users_sub.add_parser(
        "reset", help="print a one-time link to choose a new password (for a forgotten one)"
    )
    users_reset.add_argument("email")
    users_reset.set_defaults(run=cmd_users_reset)
    users_delete = users_sub.add_parser(
        "delete", help="delete a person and every session they took part in, audio included"
    )
    users_delete.add_argument("email")
    users_delete.set_defaults(run=cmd_users_delete)
    users_export = users_sub.add_parser(
        "export", help="write everything about a person to a ZIP (JSON and their own audio)"
    )
    users_export.add_argument("email")
    users_export.add_argument("-o", "--output", required=True, help="the .zip to write")
    users_export.set_defaults(run=cmd_users_export)

    mentorships = sub.add_parser("mentorships", help="mentor-mentee pairs")
    mentorships_sub = mentorships.add_subparsers(
        dest="mentorships", required=True, metavar="ACTION"
    )
    mentorships_add = mentorships_sub.add_parser("add", help="create a mentorship")
    mentorships_add.add_argument("--mentor", required=True, metavar="EMAIL")
    mentorships_add.add_argument("--mentee", required=True, metavar="EMAIL")
    mentorships_add.add_argument("--trainer", metavar="EMAIL")
    mentorships_add.set_defaults(run=cmd_mentorships_add)
    mentorships_list = mentorships_sub.add_parser("list", help="list mentorships")
    mentorships_list.set_defaults(run=cmd_mentorships_list)
    mentorships_delete = mentorships_sub.add_parser(
        "delete", help="delete a mentorship: its sessions, goals, links, uploads, audio"
    )
    mentorships_delete.add_argument("mentorship", type=int, help="mentorship id")
    mentorships_delete.set_defaults(run=cmd_mentorships_delete)

    worker = sub.add_parser(
        "worker", help="run refinement passes from the database's job queue until stopped"
    )
    worker.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="passes at once, one CPU thread each (default 1; about one per free core)",
    )
    worker.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        help="decode on the CPU or an NVIDIA GPU (default: TANDEM_REFINE_DEVICE, else cpu)",
    )
    worker.set_defaults(run=cmd_worker)

    janitor = sub.add_parser(
        "janitor", help="remove left-over audio and uploads, apply the retention policy now"
    )
    janitor.set_defaults(run=cmd_janitor)

    nodes = sub.add_parser(
        "nodes", help="the server processes sharing the database, and the calls each holds"
    )
    nodes.set_defaults(run=cmd_nodes)
    token = sub.add_parser(
        "monitor-token", help="print the token that shows /healthz in detail (Bearer …)"
    )
    token.set_defaults(run=cmd_monitor_token)

    sessions = sub.add_parser("sessions", help="saved sessions: list, rename, file, delete")
    sessions_sub = sessions.add_subparsers(dest="sessions", required=True, metavar="ACTION")
    sessions_list = sessions_sub.add_parser("list", help="list sessions, newest first")
    sessions_list.add_argument("--limit", type=int, default=50)
    sessions_list.set_defaults(run=cmd_sessions_list)
    sessions_rename = sessions_sub.add_parser("rename", help="give a session a new title")
    sessions_rename.add_argument("session", type=int, help="session id")
    sessions_rename.add_argument("title")
    sessions_rename.set_defaults(run=cmd_sessions_rename)
    sessions_file = sessions_sub.add_parser(
        "file", help="put an imported session under a mentorship (its members can read it)"
    )
    sessions_file.add_argument("session", type=int, help="session id")
    sessions_file.add_argument("--mentorship", type=int, required=True, metavar="ID")
    sessions_file.set_defaults(run=cmd_sessions_file)
    sessions_delete = sessions_sub.add_parser(
        "delete", help="delete a session: transcript, audio, items, chat, search rows"
    )
    sessions_delete.add_argument("session", type=int, help="session id")
    sessions_delete.set_defaults(run=cmd_sessions_delete)

    report = sub.add_parser("report", help="talk balance, cues and action items of a session")
    report.add_argument("session", type=int, help="session id")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(run=cmd_report)

    bench = sub.add_parser("bench", help="measure speed, memory and accuracy")
    bench_sub = bench.add_subparsers(dest="bench", required=True, metavar="WHAT")
    from server.bench import actions as bench_actions
    from server.bench import call as bench_call
    from server.bench import live as bench_live
    from server.bench import load as bench_load
    from server.bench import refine as bench_refine
    from server.bench import review as bench_review
    from server.bench import search as bench_search
    from server.bench import talk as bench_talk
    from server.bench import transcribe as bench_transcribe

    bench_transcribe.add_parser(bench_sub)
    bench_search.add_parser(bench_sub)
    bench_review.add_parser(bench_sub)
    from server.bench import coach as bench_coach

    bench_coach.add_parser(bench_sub)
    bench_live.add_parser(bench_sub)
    bench_actions.add_parser(bench_sub)
    bench_talk.add_parser(bench_sub)
    bench_call.add_parser(bench_sub)
    bench_load.add_parser(bench_sub)
    bench_refine.add_parser(bench_sub)
    bench.set_defaults(run=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings.from_env()
        code: int = args.run(args, settings)
        return code
    except UsageError as exc:
        parser.error(str(exc))
    except ModelFileError as exc:
        # A damaged model file is a set-up problem, like bad arguments: exit 2.
        print(f"tandem: error: {exc}", file=sys.stderr)
        return 2
    except EXPECTED_ERRORS as exc:
        print(f"tandem: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tandem: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
