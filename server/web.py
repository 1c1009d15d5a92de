"""Declaring endpoints with their access rule, so every route checks the caller the same way
and the OpenAPI document says which operations are public.

Access levels: ``public`` (anyone), ``member`` (anyone logged in; the handler scopes results
to what they may see), ``admin``, ``object`` (logged in, and the handler checks the viewer's
right to the specific object in the path: 404 when they may not know it exists, 403 when they
may see it but not do this). State-changing methods also need the CSRF token.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from server import strict_json
from server.auth import SESSION_COOKIE, Viewer, resolve_session, unsign
from server.security import csrf_matches, session_csrf
from server.services import in_db, services

Access = Literal["public", "member", "admin", "object"]
Handler = Callable[[Request, Viewer | None], Awaitable[Response]]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    access: Access
    summary: str


#: Every JSON API operation, for /api/openapi.json.
OPERATIONS: list[Operation] = []


async def current_viewer(connection: HTTPConnection) -> Viewer | None:
    if hasattr(connection.state, "viewer"):
        cached: Viewer | None = connection.state.viewer
        return cached
    shared = services(connection)
    token = unsign(shared.secret_key, connection.cookies.get(SESSION_COOKIE))
    viewer = None
    if token is not None:
        idle, most = shared.settings.session_idle_s, shared.settings.session_max_s
        viewer = await in_db(connection, lambda db: resolve_session(db, token, idle, most))
    connection.state.viewer = viewer
    return viewer


#: A form that carries its token in a field is a small page form; anything bigger (an
#: upload) sends the token in the X-CSRF-Token header, so no large body is parsed unchecked.
MAX_FORM_BYTES = 64 * 1024


#: A page form has a handful of fields and no files.
MAX_FORM_FIELDS = 32


async def small_form(request: Request) -> FormData:
    """A page form's fields (files and more than a few dozen fields are refused with 400)."""
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


async def csrf_ok(request: Request) -> bool:
    submitted = request.headers.get("x-csrf-token")
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
            return False
        try:
            form = await small_form(request)
        except HTTPException:
            return False  # files or dozens of fields: no page form, and no token in a header
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    key = services(request).secret_key
    bound = session_csrf(key, request.cookies.get(SESSION_COOKIE))
    if bound is not None:
        return submitted is not None and hmac.compare_digest(bound, submitted)
    return csrf_matches(key, request.cookies.get("tandem_csrf"), submitted)


def _guard(
    access: Access, handler: Handler, page: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        viewer = await current_viewer(request)
        if access != "public" and viewer is None:
            if page:
                target = quote(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/login?next={target}", status_code=303)
            return JSONResponse({"error": "log in first"}, status_code=401)
        if access == "admin" and (viewer is None or not viewer.is_admin):
            raise HTTPException(403, "only a program admin may do this")
        if request.method in UNSAFE and not await csrf_ok(request):
            raise HTTPException(
                403, "the form expired or came from elsewhere (CSRF); reload the page"
            )
        return await handler(request, viewer)

    return endpoint


def api(path: str, method: str, access: Access, summary: str) -> Callable[[Handler], Route]:
    """A JSON API route, recorded for the OpenAPI document."""

    def register(handler: Handler) -> Route:
        OPERATIONS.append(Operation(path, method, access, summary))
        return Route(path, _guard(access, handler, page=False), methods=[method])

    return register


def page(path: str, methods: tuple[str, ...], access: Access) -> Callable[[Handler], Route]:
    """An HTML page: anonymous visitors of a non-public page are sent to the login page."""

    def register(handler: Handler) -> Route:
        return Route(path, _guard(access, handler, page=True), methods=list(methods))

    return register


@contextmanager
def reached_through(message: str) -> Iterator[None]:
    """Around the access check of an object reached through another (an item through its
    session): a 404 names the object that was asked for, so the answer says nothing more."""
    try:
        yield
    except HTTPException as exc:
        if exc.status_code == 404:
            raise HTTPException(404, message) from None
        raise


def require(viewer: Viewer | None) -> Viewer:
    if viewer is None:  # the guard already answered 401 for non-public routes
        raise HTTPException(401, "log in first")
    return viewer


def openapi_document() -> dict[str, object]:
    paths: dict[str, dict[str, object]] = {}
    for op in OPERATIONS:
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", op.path)
        ]
        entry: dict[str, object] = {
            "summary": op.summary,
            "operationId": f"{op.method.lower()}_{op.path.strip('/').replace('/', '_')}",
            "x-public": op.access == "public",
            "x-access": op.access,
            "parameters": parameters,
            "responses": {"200": {"description": "OK"}},
        }
        if op.access != "public":
            entry["security"] = [{"session": []}]
            entry["responses"] = {
                "200": {"description": "OK"},
                "401": {"description": "not logged in"},
                "403": {"description": "not allowed"},
                "404": {"description": "no such object, or not yours to see"},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tandem API", "version": "1"},
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE}
            }
        },
        "paths": paths,
    }


MAX_JSON_BYTES = 64 * 1024


async def json_body(request: Request) -> dict[str, object]:
    """The request's JSON object, or a clear 4xx: wrong type, too large, malformed."""
    if not request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        raise HTTPException(415, "send JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise HTTPException(413, f"the request body is over {MAX_JSON_BYTES // 1024} KB")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise HTTPException(413, f"the request body is over {MAX_JSON_BYTES // 1024} KB")
    try:
        data = strict_json.loads(body)  # nesting, Infinity/NaN, lone surrogates: 400
    except ValueError as exc:
        raise HTTPException(400, f"the body is refused: {exc}") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return data


def path_id(request: Request, name: str) -> int:
    """A numeric id from the path; anything else is a 404."""
    raw = request.path_params[name]
    # Only ASCII digits: int() also takes Arabic-Indic digits, "+1", " 1" and "1_0".
    if not (raw.isascii() and raw.isdigit()):
        raise HTTPException(404, f"no such {name.removesuffix('_id')} {raw!r}")
    value = int(raw)
    if not 1 <= value < 2**63:
        raise HTTPException(404, f"no such {name.removesuffix('_id')} {raw!r}")
    return value
