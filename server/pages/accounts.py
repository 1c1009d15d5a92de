"""Logging in and out, first-start setup, and accepting an invite."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session as OrmSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.auth import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_MAX_AGE_S,
    SESSION_COOKIE,
    AuthError,
    Viewer,
    authenticate,
    device_cookie,
    device_of,
    end_session,
    find_link,
    needs_setup,
    sign,
    start_session,
    take_reset_notice,
    token_hash,
    unsign,
    use_invite_link,
    use_setup_link,
)
from server.db.tables import Person
from server.services import in_db, services
from server.templating import render
from server.web import page, small_form


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make the login page a phishing tool."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _logged_in(
    request: Request, person: Person, token: str, reset_at: datetime | None = None
) -> Response:
    shared = services(request)
    target = _safe_next(request.query_params.get("next"))
    response: Response = RedirectResponse(target, status_code=303)
    if reset_at is not None:
        # Told once, at this login: a reset nobody asked for is how a takeover would look.
        response = render(request, "message.html", {
            "title": "Your password was reset",
            "message": f"Your password was reset from the server's console on "
            f"{reset_at.astimezone():%Y-%m-%d at %H:%M}. If you did not ask for this, tell "
            "your program's admin now.",
            "link": {"href": target, "text": "Continue"},
        })  # fmt: skip
    response.set_cookie(
        SESSION_COOKIE,
        sign(shared.secret_key, token),
        httponly=True,
        samesite="lax",
        secure=shared.settings.https,
        path="/",
    )
    # This browser is now the person's own: a stranger's failed guesses never throttle it.
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(shared.secret_key, person.email),
        max_age=DEVICE_COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=shared.settings.https,
        path="/login",
    )
    return response


async def _form_text(request: Request, *names: str) -> list[str]:
    form = await small_form(request)
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
        return render(request, "login.html", {
            "next": request.query_params.get("next", ""),
            "notice": "Your new password is set: log in with it."
            if request.query_params.get("reset") == "done" else None,
        })  # fmt: skip
    email, password = await _form_text(request, "email", "password")
    shared = services(request)
    address = request.client.host if request.client else "unknown"
    key = email.strip().lower()
    device = device_of(shared.secret_key, request.cookies.get(DEVICE_COOKIE), key)
    if await in_db(request, lambda db: shared.limiter.blocked(db, key, address, device)):
        return render(
            request,
            "login.html",
            {
                "error": "Too many failed attempts. Wait a few minutes and try again.",
                "email": email,
            },
            status_code=429,
        )

    def work(db: OrmSession) -> tuple[Person, str, datetime | None]:
        person = authenticate(db, email, password)
        return person, start_session(db, person), take_reset_notice(db, person)

    try:
        person, token, reset_at = await in_db(request, work)
    except AuthError as exc:
        await in_db(request, lambda db: shared.limiter.failed(db, key, address, device))
        return render(request, "login.html", {"error": str(exc), "email": email}, status_code=400)
    await in_db(request, lambda db: shared.limiter.succeeded(db, key, device))
    return _logged_in(request, person, token, reset_at)


@page("/logout", ("POST",), "member")
async def logout(request: Request, viewer: Viewer | None) -> Response:
    shared = services(request)
    token = unsign(shared.secret_key, request.cookies.get(SESSION_COOKIE))
    if token is not None:
        await in_db(request, lambda db: end_session(db, token))
        # A call open with this login ends too (the other person sees them leave).
        await shared.calls.end_login(token_hash(token), "You logged out.")
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

    def person_of_link(db: OrmSession) -> tuple[Person | None, bool]:
        link = find_link(db, token, ("invite", "reset"))
        return link.person, link.purpose == "reset"

    try:
        invited, reset = await in_db(request, person_of_link)
    except AuthError as exc:
        return render(request, "message.html", {"title": "Invite", "message": str(exc)}, 404)
    shown = {"token": token, "invited": invited, "reset": reset}
    if request.method == "GET":
        return render(request, "invite.html", shown)
    (password,) = await _form_text(request, "password")

    def work(db: OrmSession) -> tuple[Person, str | None]:
        person = use_invite_link(db, token, password)
        # A reset logs nobody in: the person logs in with the new password and is told then.
        return person, None if reset else start_session(db, person)

    try:
        person, session_token = await in_db(request, work)
    except AuthError as exc:
        return render(request, "invite.html", {**shown, "error": str(exc)}, status_code=400)
    if session_token is None:
        return RedirectResponse("/login?reset=done", status_code=303)
    return _logged_in(request, person, session_token)


routes = [login, logout, setup, invite]
