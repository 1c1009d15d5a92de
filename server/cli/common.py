"""What the command modules share: the two refusals, the model store, the database, mm:ss."""

from __future__ import annotations

from typing import Any

from media.models import ModelStore
from server.settings import Settings


class Refused(Exception):
    """The command cannot be carried out as things stand (a call still open, the last admin)."""


class UsageError(Exception):
    """Arguments that do not fit together; the message says how to fix them."""


def model_store(settings: Settings) -> ModelStore:
    return ModelStore(settings.model_store_dir, settings.model_dirs)


def _open_db(settings: Settings) -> Any:
    from server.db.engine import Database

    return Database.open(settings.database_url)


def _mmss(seconds: float) -> str:
    from server.exports import clock

    return clock(seconds, always_hours=False)
