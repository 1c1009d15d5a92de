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
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from server import strict_json
from server.auth import SESSION_COOKIE, Viewer, resolve_session, unsign
from server.db.tables import MAX_ROW_ID
from server.security import csrf_matches, session_csrf
from server.services import in_db, services

Access = Literal["public", "member", "admin", "object"]
Handler = Callable[[Request, Viewer | None], Awaitable[Response]]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


#: A JSON Schema (the dialect of OpenAPI 3.1).
Schema = dict[str, Any]

#: An object's id in a path or a query: what ``path_id`` accepts (SQLite's integers).
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID}

#: Every error Tandem answers on /api is this object.
ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


#: A calendar day as the API writes it.
DATE: Schema = {"type": "string", "format": "date"}


def text(most: int) -> Schema:
    """One line a person typed: not blank, at most ``most`` characters (``clean_text``)."""
    return {"type": "string", "minLength": 1, "maxLength": most, "pattern": r"\S"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def json_object(
    properties: Mapping[str, Schema],
    required: tuple[str, ...] = (),
    *,
    closed: bool = True,
    at_least: int = 0,
) -> Schema:
    """An object body; ``closed``: fields not listed are refused (the handler says so, 400);
    ``at_least``: how many of the fields it needs (a change sends one or more)."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    if at_least:
        schema["minProperties"] = at_least
    return schema


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    access: Access
    summary: str
    #: The JSON body it takes (JSON Schema), or None when it reads no body.
    body: Schema | None = None
    #: The multipart/form-data body it takes (files: ``{"format": "binary"}``).
    form: Schema | None = None
    #: Its query parameters by name, and those of them it cannot do without.
    query: Mapping[str, Schema] = field(default_factory=dict)
    required_query: tuple[str, ...] = ()
    #: Path parameters that are not ids (ids, ``*_id``, are declared as ``ID``).
    params: Mapping[str, Schema] = field(default_factory=dict)
    #: The status and media types of its success answer.
    status: int = 200
    produces: tuple[str, ...] = ("application/json",)
    #: Error statuses it answers besides those every operation of its kind may, and why.
    errors: Mapping[int, str] = field(default_factory=dict)


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


def api(
    path: str,
    method: str,
    access: Access,
    summary: str,
    *,
    body: Schema | None = None,
    form: Schema | None = None,
    query: Mapping[str, Schema] | None = None,
    required_query: tuple[str, ...] = (),
    params: Mapping[str, Schema] | None = None,
    status: int = 200,
    produces: tuple[str, ...] = ("application/json",),
    errors: Mapping[int, str] | None = None,
) -> Callable[[Handler], Route]:
    """A JSON API route, recorded for the OpenAPI document with what it takes and answers:
    ``body`` is the JSON Schema of its JSON body (``form`` of a multipart one), ``query`` and
    ``params`` of its query and non-id path parameters; ``status`` and ``produces`` describe
    its success, ``errors`` the error statuses peculiar to it."""

    def register(handler: Handler) -> Route:
        OPERATIONS.append(
            Operation(
                path,
                method,
                access,
                summary,
                body=body,
                form=form,
                query=query or {},
                required_query=required_query,
                params=params or {},
                status=status,
                produces=produces,
                errors=errors or {},
            )
        )
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


def _path_parameters(op: Operation) -> list[dict[str, object]]:
    parameters: list[dict[str, object]] = []
    for name in re.findall(r"\{(\w+)\}", op.path):
        schema = op.params.get(name) or (ID if name.endswith("_id") else {"type": "string"})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _responses(op: Operation) -> dict[str, object]:
    def error(description: str) -> dict[str, object]:
        return {"description": description, "content": {"application/json": {"schema": ERROR}}}

    success: dict[str, object] = {"description": "OK"}
    if op.status != 204:
        success["content"] = {media: {} for media in op.produces}
    responses: dict[str, object] = {str(op.status): success}
    if op.body is not None or op.form is not None or op.query:
        responses["400"] = error("the request is not what this operation takes")
    if op.access != "public":
        responses["401"] = error("not logged in")
        responses["403"] = error("not allowed (or no CSRF token on a change)")
    if "{" in op.path:
        responses["404"] = error("no such object, or not yours to see")
    if op.body is not None or op.form is not None:
        responses["413"] = error("the body is too large")
        responses["415"] = error("the body is not of the declared content type")
    for code, description in op.errors.items():
        responses[str(code)] = error(description)
    return dict(sorted(responses.items()))


def openapi_document() -> dict[str, object]:
    paths: dict[str, dict[str, object]] = {}
    for op in OPERATIONS:
        query = [
            {"name": name, "in": "query", "required": name in op.required_query, "schema": schema}
            for name, schema in op.query.items()
        ]
        entry: dict[str, object] = {
            "summary": op.summary,
            "operationId": f"{op.method.lower()}_{op.path.strip('/').replace('/', '_')}",
            "x-public": op.access == "public",
            "x-access": op.access,
            "parameters": _path_parameters(op) + query,
            "responses": _responses(op),
        }
        if op.body is not None:
            content = {"application/json": {"schema": op.body}}
            entry["requestBody"] = {"required": True, "content": content}
        if op.form is not None:
            content = {"multipart/form-data": {"schema": op.form}}
            entry["requestBody"] = {"required": True, "content": content}
        if op.access != "public":
            entry["security"] = [{"session": []}]
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
    if not 1 <= value <= MAX_ROW_ID:
        raise HTTPException(404, f"no such {name.removesuffix('_id')} {raw!r}")
    return value


def query_id(request: Request, name: str) -> int | None:
    """An optional id in the query (None when absent or empty); anything else is a 400."""
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ROW_ID:
        raise HTTPException(400, f"{name} must be an id (a whole number from 1)")
    return int(raw)
