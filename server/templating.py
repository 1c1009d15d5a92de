"""The Jinja2 environment every page uses (autoescaping on; helpers for times and for links
in chat, which is text, never HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from server.db.progress import LINK
from server.exports import clock


def linkify(text: str) -> Markup:
    """Escaped text with http(s) links made clickable (opening elsewhere, no referrer)."""
    out: list[str] = []
    last = 0
    for found in LINK.finditer(text):
        out.append(str(escape(text[last : found.start()])))
        url = str(escape(found.group(0)))
        out.append(f'<a href="{url}" rel="noopener noreferrer nofollow" target="_blank">{url}</a>')
        last = found.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.filters["clock"] = lambda s: clock(float(s), always_hours=False)
templates.env.filters["linkify"] = linkify
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
