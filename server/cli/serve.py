"""Running Tandem: serve (and its start-up checks), worker, nodes, janitor, monitor-token."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from media.models import ModelError, ModelFileError
from server.cli.common import UsageError, _open_db, model_store
from server.settings import Settings

#: The event loop takes the GIL back after every C call that lets go of it (sockets, SRTP,
#: resampling), waiting up to this long when another thread runs Python (Python's default is
#: 5 ms). With 1 ms, `tandem bench load` gave loop lag p99 6.5 ms at 16 calls (was 9.5) and
#: 22 ms at 24 (was 47), at the same CPU.
GIL_SWITCH_INTERVAL_S = 0.001


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
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
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
