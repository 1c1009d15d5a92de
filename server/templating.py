"""The Jinja2 environment every page uses (autoescaping on; helpers for times)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from server.exports import clock

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.filters["clock"] = lambda s: clock(float(s), always_hours=False)
templates.env.filters["percent"] = lambda v: f"{float(v) * 100:.0f}%"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """A page, with the viewer and the CSRF token every layout needs."""
    full = {
        "viewer": getattr(request.state, "viewer", None),
        "csrf": getattr(request.state, "csrf", ""),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)
