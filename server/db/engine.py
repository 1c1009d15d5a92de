"""Opening the database: engine, SQLite pragmas or PostgreSQL session settings, and migrating
to the newest schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The PostgreSQL advisory lock held while migrating (any fixed number; "tandem" in ASCII).
MIGRATION_LOCK = 0x74616E64656D


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message says which and why."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web server read while an import or a live call writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Deleted rows are overwritten, not just unlinked: what a person deletes must not stay
    # readable in the file (see server.db.deletion).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _scrub_nul(
    _conn: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    """PostgreSQL's text cannot hold NUL characters, which SQLite stores: what people typed or
    a transcript carried is kept with U+FFFD in their place instead of failing the write (and
    a condition holding one matches nothing)."""

    def scrub(params: Any) -> Any:
        if isinstance(params, dict):
            if any(isinstance(v, str) and "\x00" in v for v in params.values()):
                return {k: _without_nul(v) for k, v in params.items()}
            return params
        if isinstance(params, (list, tuple)) and any(
            isinstance(v, str) and "\x00" in v for v in params
        ):
            return type(params)(_without_nul(v) for v in params)
        return params

    if executemany and isinstance(parameters, (list, tuple)):
        return statement, [scrub(p) for p in parameters]
    return statement, scrub(parameters)


def normalize_url(url: str) -> URL:
    """The URL as SQLAlchemy should read it: ``postgresql://`` (and ``postgres://``) mean
    psycopg 3, the driver Tandem ships, not SQLAlchemy's default psycopg2."""
    parsed = make_url("postgresql" + url[len("postgres") :] if url.startswith("postgres:") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_db_engine(url: str) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # Times come back in UTC whatever the server's TimeZone, as SQLite hands them over
        # (options given in the URL are kept).
        given = parsed.query.get("options", ())
        options = " ".join([*([given] if isinstance(given, str) else given), "-c timezone=UTC"])
        engine = create_engine(
            parsed.difference_update_query(["options"]),
            pool_pre_ping=True,
            connect_args={"options": options},
        )
        event.listen(engine, "before_cursor_execute", _scrub_nul, retval=True)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser reads "%" as interpolation: a percent-encoded URL (a socket path, a
    # password) must be escaped.
    rendered = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", rendered)
    return config


def migrate(engine: Engine, revision: str = "head", downgrade: bool = False) -> None:
    """Bring the schema to ``revision`` (idempotent).

    On SQLite, foreign keys are off while migrating: a table rebuilt by a migration is
    dropped and re-created, and with them on the drop would cascade-delete dependent rows.
    On PostgreSQL an advisory lock makes processes that open the database at the same moment
    (the server, a command) migrate one after the other; the second finds nothing to do.
    """
    config = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                config.attributes["connection"] = connection
                if downgrade:
                    command.downgrade(config, revision)
                else:
                    command.upgrade(config, revision)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


class Database:
    """The engine and a session factory; migrated when opened."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[OrmSession] = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Database:
        try:
            engine = create_db_engine(url)
            migrate(engine)
        except Exception as exc:  # any driver or migration failure becomes one clear line
            raise DatabaseError(f"cannot open database {_safe(url)}: {exc}") from exc
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return _safe(url)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
