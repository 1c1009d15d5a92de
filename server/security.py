"""Security headers on every response, and the CSRF cookie every visitor carries.

Every state-changing request must carry the CSRF token in the ``csrf_token`` form field or the
``X-CSRF-Token`` header. For a logged-in person the token is derived from their login (an HMAC
of the session token), so a token planted from elsewhere is worthless; before login it is a
signed double-submit value that must match the ``tandem_csrf`` cookie (SameSite=Strict,
HttpOnly). Pages get the value from ``request.state.csrf`` (a hidden field, or a
``<meta name="csrf-token">`` for scripts), so no script reads cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth import CSRF_COOKIE, SESSION_COOKIE, sign, unsign


def content_security_policy(connect: Iterable[str] = ()) -> str:
    """The pages' policy; ``connect``: origins besides this one that scripts may open sockets
    to (the call page: the program's other nodes, ws://host:port)."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob: mediastream:",
            # 'self' covers WebSockets to this server only (CSP 3): no socket to any other host
            # than the program's own nodes.
            " ".join(("connect-src 'self'", *sorted(set(connect)))),
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(self), microphone=(self), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}


def csrf_cookie_value(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed Cookie header is simply ignored
        return None
    morsel = jar.get(CSRF_COOKIE)
    return morsel.value if morsel else None


def session_csrf(key: bytes, session_cookie: str | None) -> str | None:
    """The CSRF token bound to a login cookie, or None when there is no (signed) login."""
    token = unsign(key, session_cookie)
    if token is None:
        return None
    return "s." + hmac.new(key, b"csrf|" + token.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_matches(key: bytes, cookie: str | None, submitted: str | None) -> bool:
    if not cookie or not submitted or unsign(key, cookie) is None:
        return False
    return hmac.compare_digest(cookie, submitted)


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, key: bytes, secure_cookies: bool) -> None:
        self.app = app
        self.key = key
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        existing = connection.cookies.get(CSRF_COOKIE)
        fresh = None
        if existing is None or unsign(self.key, existing) is None:
            fresh = sign(self.key, secrets.token_urlsafe(24))
        bound = session_csrf(self.key, connection.cookies.get(SESSION_COOKIE))
        scope.setdefault("state", {})["csrf"] = bound or fresh or existing
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                # Pages, API answers and exports are private: no cache keeps them. The
                # static files (scripts, styles) are the same for everyone.
                if "cache-control" not in headers and not scope["path"].startswith("/static/"):
                    headers["cache-control"] = "no-store"
                if self.secure:
                    headers["strict-transport-security"] = "max-age=31536000"
                if fresh is not None:
                    flags = "Path=/; HttpOnly; SameSite=Strict" + (
                        "; Secure" if self.secure else ""
                    )
                    headers.append("set-cookie", f"{CSRF_COOKIE}={fresh}; {flags}")
            await send(message)

        await self.app(scope, receive, send_with_headers)
