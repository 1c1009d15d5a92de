"""Accounts: password hashing, login sessions, one-time links, login rate limits.

- Passwords are hashed with Argon2id (argon2-cffi). A login for an unknown or inactive
  account still verifies against a dummy hash, so the answer takes as long and says the same
  ("email or password is wrong") whether or not the account exists.
- A login session is a random token in a signed, HttpOnly, SameSite=Lax cookie (Secure over
  HTTPS); the database keeps only the token's SHA-256. It ends on logout, on deactivation of
  the person, or after ``session_idle_s`` without a request.
- Setup and invite links carry a random token (stored hashed), are usable once, and expire.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session as OrmSession

from server.db.tables import ROLES, AuthSession, Invite, LoginFailure, Person

SESSION_COOKIE = "tandem_session"
CSRF_COOKIE = "tandem_csrf"
MIN_PASSWORD_CHARS = 10

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, only spends the same time")


class AuthError(Exception):
    """A login, setup or invite that cannot go through; the message is safe to show."""


@dataclass(frozen=True)
class Viewer:
    """The person behind a request."""

    person_id: int
    name: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AuthError(f"choose a password of at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > 1024:
        raise AuthError("that password is too long")


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MAX_EMAIL = 320


def normalise_email(email: str) -> str:
    """The address as accounts keep it (spaces around it dropped, lower case); AuthError for
    anything that is not one: no @ inside, spaces or control characters in it, too long."""
    if len(email) > MAX_EMAIL:  # before stripping, as the API's schema counts
        raise AuthError("an email address has at most 320 characters")
    email = email.strip().lower()
    if (
        "@" not in email
        or email.startswith("@")
        or email.endswith("@")
        or any(c.isspace() or unicodedata.category(c) == "Cc" for c in email)
    ):
        raise AuthError(f"{email!r} is not an email address")
    return email


# -- signing ---------------------------------------------------------------------------------
def load_secret_key(data_dir: Path, configured: str | None) -> bytes:
    """The key that signs cookies: TANDEM_SECRET_KEY, or one generated once in the data dir."""
    if configured:
        return configured.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Several processes starting at once on a shared data directory keep one key: each
        # writes its own file, and only the first link takes the name (a rename would let the
        # last one replace a key another process already signs with).
        partial = path.with_name(f"secret.key.{os.getpid()}.{secrets.token_hex(4)}.partial")
        partial.write_text(secrets.token_hex(32))
        partial.chmod(0o600)
        try:
            os.link(partial, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return path.read_text().strip().encode()


def monitor_token(key: bytes) -> str:
    """What a monitoring client (the benches, an operator's probe) sends as
    ``Authorization: Bearer …`` to read /healthz in detail; derived from the secret key, so
    only whoever can read the data directory (or TANDEM_SECRET_KEY) has it."""
    return hmac.new(key, b"tandem healthz monitor", hashlib.sha256).hexdigest()


def sign(key: bytes, value: str) -> str:
    mac = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{value}.{mac}"


def unsign(key: bytes, signed: str | None) -> str | None:
    if not signed or "." not in signed:
        return None
    value, _, mac = signed.rpartition(".")
    expected = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
    return value if hmac.compare_digest(mac, expected) else None


# -- rate limits ------------------------------------------------------------------------------
#: A browser that logged in as someone before: its failed attempts are not a stranger's.
DEVICE_COOKIE = "tandem_device"
DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600


def device_cookie(key: bytes, email: str) -> str:
    """The signed cookie a browser keeps after logging in as ``email``."""
    return sign(key, f"device:{normalise_email(email)}|{secrets.token_urlsafe(12)}")


def device_of(key: bytes, cookie: str | None, email: str) -> str | None:
    """The browser's device id if it logged in as ``email`` before (None for a stranger)."""
    value = unsign(key, cookie)
    if value is None or not value.startswith("device:"):
        return None
    known, _, nonce = value.removeprefix("device:").partition("|")
    try:
        return nonce if nonce and known == normalise_email(email) else None
    except AuthError:
        return None


class LoginLimiter:
    """Failed logins in a sliding window, counted so that a stranger cannot lock the owner
    out (device cookies, as OWASP recommends against online guessing):

    - a browser that logged in as the account before (its device cookie) is throttled only
      by its own failures (``per_device``): a stranger's failures never touch it;
    - every other attempt is throttled per account (``per_account``) and per address
      (``per_address``): guessing from new browsers slows down, the owner's browser does not.

    The failures are rows in the database (``login_failures``), so every server process
    counts the same ones: guessing through several processes is no faster than through one.
    Sync: call from worker threads.
    """

    def __init__(
        self,
        per_account: int = 5,
        per_address: int = 20,
        window_s: float = 900,
        per_device: int = 10,
    ) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.per_device = per_device
        self.window_s = window_s

    def _count(self, db: OrmSession, key: str, now: datetime) -> int:
        since = now - timedelta(seconds=self.window_s)
        return int(
            db.scalar(
                select(func.count())
                .select_from(LoginFailure)
                .where(LoginFailure.key == key[:700], LoginFailure.at > since)
            )
            or 0
        )

    def blocked(self, db: OrmSession, email: str, address: str, device: str | None = None) -> bool:
        now = datetime.now(UTC)
        if device is not None:
            return self._count(db, f"device:{email}|{device}", now) >= self.per_device
        return (
            self._count(db, "account:" + email, now) >= self.per_account
            or self._count(db, "address:" + address, now) >= self.per_address
        )

    def failed(self, db: OrmSession, email: str, address: str, device: str | None = None) -> None:
        now = datetime.now(UTC)
        # Failures past the window go: a flood of distinct emails does not grow the table.
        db.execute(
            delete(LoginFailure).where(LoginFailure.at <= now - timedelta(seconds=self.window_s))
        )
        keys = (
            [f"device:{email}|{device}"]
            if device is not None
            else ["account:" + email, "address:" + address]
        )
        db.add_all(LoginFailure(key=key[:700], at=now) for key in keys)
        db.commit()

    def succeeded(self, db: OrmSession, email: str, device: str | None = None) -> None:
        # The owner's own browser: a stranger's count against the account stands.
        key = f"device:{email}|{device}" if device is not None else "account:" + email
        db.execute(delete(LoginFailure).where(LoginFailure.key == key[:700]))
        db.commit()


# -- people, sessions, links --------------------------------------------------------------------
def authenticate(db: OrmSession, email: str, password: str) -> Person:
    """The active person with this email and password, or AuthError (same message either way)."""
    try:
        email = normalise_email(email)
    except AuthError:
        email = ""
    person = db.scalars(select(Person).where(Person.email == email)).first() if email else None
    stored = person.password_hash if person is not None and person.active else None
    if not _verify(stored, password) or person is None:
        raise AuthError("email or password is wrong")
    return person


def start_session(db: OrmSession, person: Person) -> str:
    token = secrets.token_urlsafe(32)
    db.add(AuthSession(token_hash=token_hash(token), person_id=person.id))
    db.commit()
    return token


#: A login ends this long after it began, however busy.
DEFAULT_LOGIN_MAX_S = 14 * 86400.0


def resolve_session(
    db: OrmSession, token: str, idle_s: float, max_age_s: float = DEFAULT_LOGIN_MAX_S
) -> Viewer | None:
    """The viewer for a session token, refreshing its idle clock; None when it is no good:
    revoked, idle longer than ``idle_s``, or older than ``max_age_s`` however busy (a stolen
    cookie kept alive by use still ends)."""
    row = db.scalars(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).first()
    if row is None or row.revoked or not row.person.active:
        return None
    now = datetime.now(UTC)
    last = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=UTC)
    born = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    if (now - last).total_seconds() > idle_s or (now - born).total_seconds() > max_age_s:
        row.revoked = True
        db.commit()
        return None
    # Refresh well before expiry, without writing on every request.
    if (now - last).total_seconds() > min(60.0, idle_s / 2):
        row.last_seen_at = now
        db.commit()
    person = row.person
    return Viewer(person.id, person.name, person.email, person.role)


def end_session(db: OrmSession, token: str) -> None:
    row = db.scalars(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).first()
    if row is not None:
        row.revoked = True
        db.commit()


class HasPassword(AuthError):
    """An invite for someone who chose a password would let whoever holds it log in as them."""


def create_link(db: OrmSession, purpose: str, person: Person | None, ttl_s: float) -> str:
    """A new one-time link; it replaces any unused link of the same kind for that person.

    "invite" links are only for people who have no password yet: nobody on the admin pages or
    the API can make a link that logs in as someone who chose one. "reset" links are made on
    the operator's console (`tandem users reset`) and shown there only.
    """
    if purpose == "invite" and person is not None and person.password_hash is not None:
        raise HasPassword(
            f"{person.name} has chosen a password, so no invite link can be made for them. "
            "If they forgot it, the operator resets it on the server: tandem users reset "
            f"{person.email}"
        )
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    older = select(Invite).where(Invite.purpose == purpose, Invite.used_at.is_(None))
    older = older.where(
        Invite.person_id == person.id if person is not None else Invite.person_id.is_(None)
    )
    for row in db.scalars(older):
        row.used_at = now
    db.add(
        Invite(
            token_hash=token_hash(token),
            purpose=purpose,
            person_id=person.id if person else None,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl_s),
        )
    )
    db.commit()
    return token


def find_link(db: OrmSession, token: str, purpose: str | tuple[str, ...]) -> Invite:
    purposes = (purpose,) if isinstance(purpose, str) else purpose
    row = db.scalars(select(Invite).where(Invite.token_hash == token_hash(token))).first()
    if row is None or row.purpose not in purposes:
        raise AuthError("this link is not valid; ask an admin for a new one")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if row.used_at is not None:
        raise AuthError("this link was already used; ask an admin for a new one")
    if expires < datetime.now(UTC):
        raise AuthError("this link has expired; ask an admin for a new one")
    return row


def needs_setup(db: OrmSession) -> bool:
    """No active admin yet (people added from the command line first do not count)."""
    admin = select(Person.id).where(Person.role == "admin", Person.active.is_(True)).limit(1)
    return db.scalars(admin).first() is None


def add_person(db: OrmSession, email: str, name: str, role: str) -> Person:
    email = normalise_email(email)
    name = name.strip()
    if not name or len(name) > 200:
        raise AuthError("give the person's name (up to 200 characters)")
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    if db.scalars(select(Person).where(Person.email == email)).first() is not None:
        raise AuthError(f"{email} already has an account")
    person = Person(email=email, name=name, role=role)
    db.add(person)
    db.commit()
    return person


def use_setup_link(db: OrmSession, token: str, email: str, name: str, password: str) -> Person:
    link = find_link(db, token, "setup")
    if not needs_setup(db):
        link.used_at = datetime.now(UTC)
        db.commit()
        raise AuthError("Tandem is already set up; log in instead")
    check_password_rules(password)
    taken = db.execute(
        update(Invite)
        .where(Invite.id == link.id, Invite.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise AuthError("this link was already used; ask an admin for a new one")
    person = add_person(db, email, name, "admin")
    person.password_hash = hash_password(password)
    db.commit()
    return person


def use_invite_link(db: OrmSession, token: str, password: str) -> Person:
    """Set the password through an invite (someone without one) or a console-made reset
    link; a reset is remembered and told to the person at their next login."""
    link = find_link(db, token, ("invite", "reset"))
    person = link.person
    if person is None or not person.active:
        raise AuthError("this link is not valid; ask an admin for a new one")
    if link.purpose == "invite" and person.password_hash is not None:
        raise AuthError("this invite is no longer valid: a password was chosen; log in")
    check_password_rules(password)
    hashed = hash_password(password)
    now = datetime.now(UTC)
    # Taken atomically: of requests racing with one link, exactly one sets the password.
    taken = db.execute(
        update(Invite).where(Invite.id == link.id, Invite.used_at.is_(None)).values(used_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise AuthError("this link was already used; ask an admin for a new one")
    person.password_hash = hashed
    if link.purpose == "reset":
        person.password_reset_at = now
        person.reset_notice = True
    # A new password ends every login made with the old one.
    for row in db.scalars(select(AuthSession).where(AuthSession.person_id == person.id)):
        row.revoked = True
    db.commit()
    return person


def take_reset_notice(db: OrmSession, person: Person) -> datetime | None:
    """When the password was reset from the console, if the person has not been told yet
    (they are told once, at the login that follows)."""
    if not person.reset_notice:
        return None
    person.reset_notice = False
    db.commit()
    at = person.password_reset_at
    return None if at is None else (at if at.tzinfo else at.replace(tzinfo=UTC))


#: What a deactivated person's open call is told as it closes.
DEACTIVATED = "Your account was deactivated."


def deactivate(db: OrmSession, person_id: int) -> Person:
    """Deactivate the person and end their logins (the web process also closes their open
    call sockets: CallRegistry.end_person)."""
    person = db.get(Person, person_id)
    if person is None:
        raise LookupError(f"no person {person_id}")
    person.active = False
    for row in db.scalars(select(AuthSession).where(AuthSession.person_id == person_id)):
        row.revoked = True
    db.commit()
    return person
