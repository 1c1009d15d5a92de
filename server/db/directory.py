"""People and mentorships, and the program's balance targets: shared by the CLI, the admin
pages and the API (sync; call from a worker thread)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from media.insight.cues import Targets
from server.auth import AuthError, Viewer, normalise_email
from server.db.tables import Mentorship, Person, ProgramSetting

TARGETS_KEY = "targets"


def person_by_email(db: OrmSession, email: str) -> Person:
    email = normalise_email(email)
    person = db.scalars(select(Person).where(Person.email == email)).first()
    if person is None:
        raise AuthError(f"nobody with the email {email}")
    return person


def _with_role(db: OrmSession, email: str, role: str) -> Person:
    person = person_by_email(db, email)
    if person.role != role:
        raise AuthError(f"{person.email} is a {person.role}, not a {role}")
    if not person.active:
        raise AuthError(f"{person.email} is deactivated")
    return person


def create_mentorship(
    db: OrmSession, mentor_email: str, mentee_email: str, trainer_email: str | None = None
) -> Mentorship:
    mentor = _with_role(db, mentor_email, "mentor")
    mentee = _with_role(db, mentee_email, "mentee")
    trainer = _with_role(db, trainer_email, "trainer") if trainer_email else None
    existing = db.scalars(
        select(Mentorship).where(
            Mentorship.mentor_id == mentor.id,
            Mentorship.mentee_id == mentee.id,
            Mentorship.active.is_(True),
        )
    ).first()
    if existing is not None:
        raise AuthError(f"{mentor.name} already mentors {mentee.name} (mentorship {existing.id})")
    mentorship = Mentorship(
        mentor_id=mentor.id, mentee_id=mentee.id, trainer_id=trainer.id if trainer else None
    )
    db.add(mentorship)
    db.commit()
    return mentorship


def set_sharing(db: OrmSession, mentorship: Mentorship, viewer: Viewer, share: bool) -> None:
    """A member records their own agreement; the trainer reads transcripts once both agree."""
    if viewer.person_id == mentorship.mentor_id:
        mentorship.mentor_shares = share
    elif viewer.person_id == mentorship.mentee_id:
        mentorship.mentee_shares = share
    else:
        raise PermissionError("only the mentor and the mentee decide what the trainer reads")
    db.commit()


def program_targets(db: OrmSession, defaults: Targets) -> Targets:
    row = db.get(ProgramSetting, TARGETS_KEY)
    if row is None:
        return defaults
    known = {k: v for k, v in row.value.items() if k in asdict(defaults)}
    return replace(defaults, **known)


#: What an admin or trainer may set, with its kind and allowed range.
TARGET_RANGES: dict[str, tuple[type, float, float]] = {
    "mentee_min_share": (float, 0.0, 1.0),
    "max_monologue_s": (float, 5.0, 3600.0),
    "question_gap_s": (float, 30.0, 7200.0),
    "max_interruptions": (int, 0, 1000),
}


def _clean_targets(values: dict[str, Any], clearable: bool = False) -> dict[str, Any]:
    """Checked values by key (None where ``clearable`` and the value is null); ValueError with
    a readable message otherwise."""
    unknown = set(values) - set(TARGET_RANGES)
    if unknown:
        raise ValueError(f"unknown target(s): {', '.join(sorted(unknown))}")
    cleaned: dict[str, Any] = {}
    for key, (kind, low, high) in TARGET_RANGES.items():
        if key not in values:
            continue
        value = values[key]
        if value is None and clearable:
            cleaned[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{key} must be a number")
        try:
            number = kind(float(value))
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{key} must be a number") from None
        if kind is int and number != float(value):  # 2.5 interruptions are no target
            raise ValueError(f"{key} must be a whole number")
        if not low <= number <= high:  # NaN fails this too
            raise ValueError(f"{key} must be between {low:g} and {high:g}")
        cleaned[key] = number
    return cleaned


def save_targets(db: OrmSession, defaults: Targets, values: dict[str, Any]) -> Targets:
    """Validate and store the program's targets; raises ValueError with a readable message."""
    cleaned = _clean_targets(values)
    current = program_targets(db, defaults)
    updated = replace(current, **cleaned)
    row = db.get(ProgramSetting, TARGETS_KEY)
    stored = {key: getattr(updated, key) for key in TARGET_RANGES}
    if row is None:
        db.add(ProgramSetting(key=TARGETS_KEY, value=stored))
    else:
        row.value = stored
    db.commit()
    return updated


def mentorship_targets(db: OrmSession, mentorship_id: int | None, defaults: Targets) -> Targets:
    """The targets one pair is held to: the program's, with what was set for this pair."""
    program = program_targets(db, defaults)
    mentorship = db.get(Mentorship, mentorship_id) if mentorship_id is not None else None
    own = (mentorship.targets or {}) if mentorship is not None else {}
    return replace(program, **{k: v for k, v in own.items() if k in TARGET_RANGES})


def save_mentorship_targets(
    db: OrmSession, mentorship: Mentorship, values: dict[str, Any]
) -> dict[str, Any]:
    """Set (a number) or clear (null: back to the program's) targets for one pair; returns
    what is set for the pair now. ValueError with a readable message for bad values."""
    own = dict(mentorship.targets or {})
    for key, value in _clean_targets(values, clearable=True).items():
        if value is None:
            own.pop(key, None)
        else:
            own[key] = value
    mentorship.targets = own or None
    db.commit()
    return own


def describe_person(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "email": person.email,
        "name": person.name,
        "role": person.role,
        "active": person.active,
        "has_password": person.password_hash is not None,
    }


def describe_mentorship(m: Mentorship) -> dict[str, Any]:
    return {
        "id": m.id,
        "mentor": {"id": m.mentor.id, "name": m.mentor.name},
        "mentee": {"id": m.mentee.id, "name": m.mentee.name},
        "trainer": {"id": m.trainer.id, "name": m.trainer.name} if m.trainer else None,
        "mentor_shares": m.mentor_shares,
        "mentee_shares": m.mentee_shares,
        "trainer_reads_transcripts": m.shares_transcripts,
        "active": m.active,
    }
