"""Access logs without secrets: one-time link tokens and query values (search terms) are
replaced by "…" before uvicorn writes a request line; the path and status stay useful."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: Paths whose next segment is a secret (a one-time link's token).
_TOKEN_PATH = re.compile(r"^/(invite|setup)/[^/]+")
HIDDEN = "…"


def redact_path(path: str) -> str:
    """``/invite/abc?x=1`` → ``/invite/…?x=…``: link tokens and every query value go."""
    parts = urlsplit(path)
    clean = _TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/{HIDDEN}", parts.path)
    if parts.query:
        keys = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True)]
        clean += "?" + "&".join(f"{key}={HIDDEN}" for key in keys) if keys else "?" + HIDDEN
    return clean


class RedactSecrets(logging.Filter):
    """For uvicorn's access log, whose arguments are (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = redact_path(str(args[2]))
            record.args = tuple(args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the filter on the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": RedactSecrets}
    config["handlers"]["access"]["filters"] = ["redact"]
    return config
