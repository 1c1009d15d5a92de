"""People and pairs: the users and mentorships commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from server.cli.common import Refused, UsageError, _open_db
from server.settings import Settings


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth import add_person, create_link

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            person = add_person(db, args.email, args.name, args.role)
            token = create_link(db, "invite", person, settings.invite_ttl_s)
            print(f"added {person.role} {person.name} <{person.email}> (id {person.id})")
            print(f"invite link (one use, {settings.invite_ttl_s / 3600:.0f} h): "
                  f"{settings.base_url}/invite/{token}")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_users_reset(args: argparse.Namespace, settings: Settings) -> int:
    """A one-time link to choose a new password, printed here only: the operator holds the
    database anyway, and the person is told of the reset at their next login."""
    from server.auth import create_link
    from server.db.directory import person_by_email

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            person = person_by_email(db, args.email)
            if not person.active:
                raise UsageError(f"{person.email} is deactivated")
            purpose = "reset" if person.password_hash is not None else "invite"
            token = create_link(db, purpose, person, settings.invite_ttl_s)
            print(f"{'reset' if purpose == 'reset' else 'invite'} link for {person.name} "
                  f"<{person.email}> (one use, {settings.invite_ttl_s / 3600:.0f} h; give it "
                  f"to them yourself): {settings.base_url}/invite/{token}")  # fmt: skip
            if purpose == "reset":
                print("their old password works until the link is used; they will be told "
                      "of the reset when they next log in")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from server.db.tables import Person

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            for p in db.scalars(select(Person).order_by(Person.id)):
                # The same words as the admin page.
                state = "active" if p.password_hash else "invited"
                state = state if p.active else "deactivated"
                print(f"{p.id:>4}  {p.role:<8} {p.name} <{p.email}> {state}")
    finally:
        database.close()
    return 0


def cmd_users_delete(args: argparse.Namespace, settings: Settings) -> int:
    """The person and every conversation they took part in, from the database and the disk."""
    from server.db.deletion import delete_person
    from server.db.directory import person_by_email

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            person = person_by_email(db, args.email)
            try:
                deleted = delete_person(db, person.id, settings)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            print(f"deleted {deleted.what}: {deleted.sessions} session(s), "
                  f"{deleted.files_removed} file(s) of audio and uploads")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_users_export(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.directory import person_by_email
    from server.person_export import gather, write_zip

    out = Path(args.output)
    # Said before the gathering, not as a traceback after it.
    if not out.parent.is_dir():
        raise Refused(f"cannot write {out}: there is no folder {out.parent}")
    if out.is_dir():
        raise Refused(
            f"cannot write {out}: it is a folder; give a file name, e.g. {out}/export.zip"
        )
    database = _open_db(settings)
    try:
        with database.sessions() as db:
            export = gather(db, person_by_email(db, args.email).id)
    finally:
        database.close()
    try:
        size = write_zip(export, out)
    except OSError as exc:
        raise Refused(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out} ({size / 1024:.0f} KB): {len(export.document['sessions'])} session(s), "
          f"{len(export.audio)} audio file(s)")  # fmt: skip
    return 0


def cmd_mentorships_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.directory import create_mentorship

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            m = create_mentorship(db, args.mentor, args.mentee, args.trainer)
            trainer = f", trainer {m.trainer.name}" if m.trainer else ""
            print(f"mentorship {m.id}: mentor {m.mentor.name}, mentee {m.mentee.name}{trainer}")
    finally:
        database.close()
    return 0


def cmd_mentorships_list(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from server.db.tables import Mentorship

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            rows = db.scalars(select(Mentorship).order_by(Mentorship.id)).all()
            if not rows:
                print("no mentorships yet: tandem mentorships add --mentor EMAIL --mentee EMAIL")
            for m in rows:
                trainer = f", trainer {m.trainer.name} <{m.trainer.email}>" if m.trainer else ""
                shared = "; transcripts shared with the trainer" if m.shares_transcripts else ""
                print(f"{m.id:>4}  mentor {m.mentor.name} <{m.mentor.email}>, mentee "
                      f"{m.mentee.name} <{m.mentee.email}>{trainer}{shared}")  # fmt: skip
    finally:
        database.close()
    return 0


def cmd_mentorships_delete(args: argparse.Namespace, settings: Settings) -> int:
    from server.db.deletion import delete_mentorship

    database = _open_db(settings)
    try:
        with database.sessions() as db:
            try:
                deleted = delete_mentorship(db, args.mentorship, settings)
            except ValueError as exc:
                raise Refused(str(exc)) from None
            print(f"deleted the mentorship of {deleted.what}: {deleted.sessions} session(s), "
                  f"{deleted.files_removed} file(s)")  # fmt: skip
    finally:
        database.close()
    return 0
