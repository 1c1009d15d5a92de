"""Logging in and out, first-start setup, and accepting an invite."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session as OrmSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.auth import (
    SESSION_COOKIE,
    AuthError,
    Viewer,
    authenticate,
    end_session,
    find_link,
    needs_setup,
    sign,
    start_session,
    unsign,
    use_invite_link,
    use_setup_link,
)
from server.db.tables import Person
from server.services import in_db, services
from server.templating import render
from server.web import page


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make the login page a phishing tool."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _logged_in(request: Request, person: Person, token: str) -> Response:
    shared = services(request)
    response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign(shared.secret_key, token),
        httponly=True,
        samesite="lax",
        secure=shared.settings.https,
        path="/",
    )
    return response


async def _form_text(request: Request, *names: str) -> list[str]:
    form = await request.form()
    values = []
    for name in names:
        value = form.get(name)
        values.append(value if isinstance(value, str) else "")
    return values


@page("/login", ("GET", "POST"), "public")
async def login(request: Request, viewer: Viewer | None) -> Response:
    if request.method == "GET":
        if viewer is not None:
            return RedirectResponse("/", status_code=303)
        return render(request, "login.html", {"next": request.query_params.get("next", "")})
    email, password = await _form_text(request, "email", "password")
    shared = services(request)
    address = request.client.host if request.client else "unknown"
    key = email.strip().lower()
    if shared.limiter.blocked(key, address):
        return render(
            request,
            "login.html",
            {
                "error": "Too many failed attempts. Wait a few minutes and try again.",
                "email": email,
            },
            status_code=429,
        )

    def work(db: OrmSession) -> tuple[Person, str]:
        person = authenticate(db, email, password)
        return person, start_session(db, person)

    try:
        person, token = await in_db(request, work)
    except AuthError as exc:
        shared.limiter.failed(key, address)
        return render(request, "login.html", {"error": str(exc), "email": email}, status_code=400)
    shared.limiter.succeeded(key)
    return _logged_in(request, person, token)


@page("/logout", ("POST",), "member")
async def logout(request: Request, viewer: Viewer | None) -> Response:
    shared = services(request)
    token = unsign(shared.secret_key, request.cookies.get(SESSION_COOKIE))
    if token is not None:
        await in_db(request, lambda db: end_session(db, token))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@page("/setup/{token}", ("GET", "POST"), "public")
async def setup(request: Request, viewer: Viewer | None) -> Response:
    token = request.path_params["token"]
    if request.method == "GET":

        def check(db: OrmSession) -> None:
            find_link(db, token, "setup")
            if not needs_setup(db):
                raise AuthError("Tandem is already set up; log in instead")

        try:
            await in_db(request, check)
        except AuthError as exc:
            return render(request, "message.html", {"title": "Setup", "message": str(exc)}, 404)
        return render(request, "setup.html", {"token": token})
    name, email, password = await _form_text(request, "name", "email", "password")

    def work(db: OrmSession) -> tuple[Person, str]:
        person = use_setup_link(db, token, email, name, password)
        return person, start_session(db, person)

    try:
        person, session_token = await in_db(request, work)
    except AuthError as exc:
        context = {"token": token, "error": str(exc), "name": name, "email": email}
        return render(request, "setup.html", context, status_code=400)
    return _logged_in(request, person, session_token)


@page("/invite/{token}", ("GET", "POST"), "public")
async def invite(request: Request, viewer: Viewer | None) -> Response:
    token = request.path_params["token"]

    def person_of_link(db: OrmSession) -> Person | None:
        return find_link(db, token, "invite").person

    try:
        invited = await in_db(request, person_of_link)
    except AuthError as exc:
        return render(request, "message.html", {"title": "Invite", "message": str(exc)}, 404)
    if request.method == "GET":
        return render(request, "invite.html", {"token": token, "invited": invited})
    (password,) = await _form_text(request, "password")

    def work(db: OrmSession) -> tuple[Person, str]:
        person = use_invite_link(db, token, password)
        return person, start_session(db, person)

    try:
        person, session_token = await in_db(request, work)
    except AuthError as exc:
        context = {"token": token, "invited": invited, "error": str(exc)}
        return render(request, "invite.html", context, status_code=400)
    return _logged_in(request, person, session_token)


routes = [login, logout, setup, invite]
