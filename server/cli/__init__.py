"""The ``tandem`` command: main(), its parser (each COMMAND to its module) and EXPECTED_ERRORS."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

# No model hub, ever: make any accidental hub lookup fail fast instead of reaching out.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# numpy's BLAS threads would spin against the ASR and media threads on small servers; the
# only matrix work numpy does here (a mel filter bank) is small enough for one thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from media.audio import AudioError
from media.models import ModelError, ModelFileError
from media.transcript_import import TranscriptError
from server.auth import AuthError
from server.bench import BenchInputError
from server.cli.analyze import cmd_analyze, cmd_models
from server.cli.bench import cmd_bench
from server.cli.common import Refused, UsageError, model_store
from server.cli.people import (
    cmd_mentorships_add,
    cmd_mentorships_delete,
    cmd_mentorships_list,
    cmd_users_add,
    cmd_users_delete,
    cmd_users_export,
    cmd_users_list,
    cmd_users_reset,
)
from server.cli.serve import cmd_janitor, cmd_monitor_token, cmd_nodes, cmd_serve, cmd_worker
from server.cli.sessions import (
    cmd_report,
    cmd_search,
    cmd_sessions_delete,
    cmd_sessions_file,
    cmd_sessions_list,
    cmd_sessions_rename,
    cmd_transcript,
)
from server.db.engine import DatabaseError
from server.db.search import QueryError
from server.db.store import NotFound
from server.settings import Settings, SettingsError

__all__ = ["EXPECTED_ERRORS", "Refused", "UsageError", "build_parser", "main", "model_store"]


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
