"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a data directory
and unix socket in a temporary folder, started once per test session and removed after it.

Each test gets a database of its own, copied from a template that was migrated once
(``CREATE DATABASE … TEMPLATE``), so no test waits for the migrations. Nothing listens on TCP:
the socket lives in the cluster's own folder, so two test runs on one machine never meet.
Needs PostgreSQL 13 or newer (``DROP DATABASE … WITH (FORCE)``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
TEMPLATE = "tandem_template"


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the cluster did not start; the message says why."""


def server_bindir() -> Path:
    """Where Debian's newest installed PostgreSQL keeps initdb and pg_ctl."""
    override = os.environ.get("TANDEM_TEST_PG_BINDIR")
    if override:
        return Path(override)
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL's server is not installed (scripts/test installs Debian's postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One initdb'd cluster; :meth:`start` it, take databases, :meth:`stop` it."""

    def __init__(self) -> None:
        self.bindir = server_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        self._names = itertools.count(1)
        self._admin: psycopg.Connection[tuple[object, ...]] | None = None

    def _run(self, *args: str) -> None:
        # initdb refuses to run as root: the cluster belongs to the postgres account then.
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n{log}"
            )

    def start(self) -> None:
        if self._as_root:
            shutil.chown(self.root, user=SUPERUSER)
        # A UTF-8 locale, as a server for Tandem should have (docs/configuration.md); plain C
        # with UTF-8 text where the system has no C.UTF-8.
        for locale in ("C.UTF-8", "C"):
            try:
                self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                          "--encoding=UTF8", f"--locale={locale}", "--no-sync")  # fmt: skip
                break
            except PostgresUnavailable:
                if locale == "C":
                    raise
                shutil.rmtree(self.data, ignore_errors=True)
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=''",
                f"-c unix_socket_directories='{self.root}'",
                "-c max_connections=300",
                # Not UTC, so that a test can tell Tandem's sessions set their own zone.
                "-c timezone=America/Los_Angeles",
                # A throwaway cluster: nothing needs to survive a crash.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
                  "-l", str(self.log), "-o", options)  # fmt: skip

    def url(self, database: str, user: str = SUPERUSER) -> str:
        """The SQLAlchemy URL Tandem is given (TANDEM_DATABASE_URL)."""
        return f"postgresql+psycopg://{user}@/{database}?host={self.root}&port={self.port}"

    def connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser's connection to one database, in autocommit."""
        return psycopg.connect(
            host=str(self.root), port=self.port, user=SUPERUSER, dbname=database, autocommit=True
        )

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._admin is None or self._admin.closed:
            self._admin = self.connect("postgres")
        return self._admin

    def create_database(self, name: str, template: str | None = None) -> None:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:  # a copy of a small template takes some 30 ms
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        self.admin().execute(query)

    def drop_database(self, name: str) -> None:
        # FORCE: a server the test started may still hold connections.
        self.admin().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def new_name(self, hint: str = "") -> str:
        tail = re.sub(r"[^a-z0-9]+", "_", hint.lower())[:40].strip("_")
        return f"t{next(self._names)}_{tail}" if tail else f"t{next(self._names)}"

    def stop(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(psycopg.Error):
                self._admin.close()
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class Databases:
    """Fresh, migrated databases from one cluster, one per test."""

    def __init__(self, cluster: Cluster) -> None:
        from server.db.engine import Database

        self.cluster = cluster
        cluster.create_database(TEMPLATE)
        migrated = Database.open(cluster.url(TEMPLATE))  # the migrations run once, here
        migrated.close()

    @contextlib.contextmanager
    def fresh(self, hint: str = "") -> Iterator[str]:
        """A new database at the newest schema, dropped afterwards; yields its URL."""
        name = self.cluster.new_name(hint)
        self.cluster.create_database(name, template=TEMPLATE)
        try:
            yield self.cluster.url(name)
        finally:
            self.cluster.drop_database(name)


@contextlib.contextmanager
def running_cluster() -> Iterator[Databases]:
    cluster = Cluster()
    try:
        cluster.start()
        yield Databases(cluster)
    finally:
        cluster.stop()
