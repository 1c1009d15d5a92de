"""What the database holds, as bytes, for tests that look for deleted words in it."""

from __future__ import annotations

from sqlalchemy import inspect, text

from server.db.engine import create_db_engine
from server.settings import Settings


def stored_bytes(settings: Settings) -> bytes:
    """On SQLite, the database file and its log as they are on disk: deleted words must be
    gone from the very bytes (server.db.deletion). On PostgreSQL, every row of every table as
    the server hands it out, search vectors included: a deleted row is gone from all of them
    at commit, and the space it took is the server's to reclaim (autovacuum), which no test
    can read."""
    if settings.database_url.startswith("sqlite"):
        folder = settings.data_dir
        return b"".join(p.read_bytes() for p in folder.glob("tandem.db*") if p.is_file())
    engine = create_db_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            rows = [
                str(row)
                for table in inspect(connection).get_table_names()
                for row in connection.execute(
                    text(f'SELECT CAST(t AS text) FROM "{table}" AS t')
                ).scalars()
            ]
    finally:
        engine.dispose()
    return "\n".join(rows).encode()
