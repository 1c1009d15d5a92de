"""Request bodies bounded before anything reads them.

The outermost middleware: a request whose declared length is over its route's limit is
answered 413 before a byte of its body is read, and one without a declared length (chunked)
is cut off with 413 once it passes the limit. Small for pages and JSON (every form and JSON
body Tandem takes fits in a few kilobytes); the configured upload limit for uploads. So no
anonymous request can make the server hold or spool a large body, whatever parses it later.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Forms, JSON and everything else but uploads.
SMALL_BODY_BYTES = 256 * 1024
#: Multipart framing around an upload's files (boundaries, headers, small fields).
UPLOAD_OVERHEAD_BYTES = 1024 * 1024


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        large: Sequence[tuple[str, int, str]],
        default_bytes: int = SMALL_BODY_BYTES,
    ) -> None:
        self.app = app
        self.default_bytes = default_bytes
        #: (path pattern, limit, what the refusal says) for routes that take large bodies.
        self.large = [(re.compile(pattern), limit, said) for pattern, limit, said in large]

    def limit_for(self, path: str) -> tuple[int, str]:
        for pattern, limit, said in self.large:
            if pattern.fullmatch(path):
                return limit, said
        return self.default_bytes, _reason(self.default_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit, reason = self.limit_for(path)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(path, reason)(scope, receive, send)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised where the body is read: the app answers it as any 413.
                    raise HTTPException(413, reason)
            return message

        await self.app(scope, bounded_receive, send)


def _reason(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"the request body is over {size}"


def _too_large(path: str, reason: str) -> Response:
    if path.startswith("/api/"):
        return JSONResponse({"error": reason}, status_code=413, headers={"Connection": "close"})
    return PlainTextResponse(f"Too large: {reason}.", status_code=413,
                             headers={"Connection": "close"})  # fmt: skip
