"""What a call saves, saved in order and never dropped while the database is away.

Final captions, chat messages, speech intervals, cues and their dismissals, who joined and
left, recordings and the end of the call go to the database the moment they exist. When the
database does not answer (another process holds a lock on the SQLite file, its disk is full,
the file cannot be reached), a write is not lost: each room has one outbox that writes in the
order things happened, one write at a time on a worker thread, retries a failed write until
it goes through, and holds what comes meanwhile in memory (a bounded number of writes; past
that, new ones are refused with one clear log line). Callers that want the result (a
caption's row id) wait a moment for it and go on without it when the
database is slow: captions and chat reach the people in the call either way.

When the oldest waiting write has waited ``notice_after_s``, the people in the call are told
(a ``notice`` message, topic ``saving``) and the log says so once; when everything held is
saved, they are told again. A write that fails for another reason than the database being
unavailable (a constraint, a bug) can never succeed: it is logged with its error and dropped,
so it cannot hold up the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session as OrmSession

from server.db.engine import Database

log = logging.getLogger("tandem.outbox")

#: Errors that mean "the database is not available now", worth retrying: SQLite's "database
#: is locked" and "database or disk is full", a file that cannot be opened, a pool timeout.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.TimeoutError, OSError)

Notify = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]

WHAT = {
    "final": "final caption",
    "chat": "chat message",
    "speech": "batch of speech times",
    "cue": "cue",
    "dismiss": "cue dismissal",
    "join": "join",
    "leave": "leave",
    "recording": "recording",
    "end": "end of the call",
}


@dataclass(eq=False)
class Pending:
    kind: str
    work: Callable[[OrmSession], Any]
    done: asyncio.Future[Any]
    queued: float
    #: How the write will read once saved (a chat message for people joining meanwhile).
    preview: dict[str, Any] | None = None


class Outbox:
    def __init__(
        self,
        database: Database,
        label: str,
        notify: Notify,
        capacity: int = 5000,
        notice_after_s: float = 3.0,
        retry_s: float = 0.25,
        max_retry_s: float = 2.0,
    ) -> None:
        self.database = database
        self.label = label
        self.capacity = capacity
        self.notice_after_s = notice_after_s
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self._notify = notify
        self._items: deque[Pending] = deque()
        self._wake = asyncio.Event()
        self._emptied = asyncio.Event()
        self._emptied.set()
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        #: Failed attempts since the last write that went through.
        self.failures = 0
        self.last_error: BaseException | None = None
        #: Writes refused because the outbox was full (since the people were last told).
        self.refused = 0
        self.refused_total = 0
        self.saved = 0
        self._told_since: float | None = None  # the people were told saving is held up
        self._told_refused = False

    # -- putting -----------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._items)

    @property
    def struggling(self) -> bool:
        """Saving is not keeping up: a write failed since the last one went through, or the
        oldest waiting write has waited over a second."""
        return self.failures > 0 or (
            bool(self._items) and time.monotonic() - self._items[0].queued > 1.0
        )

    def put(
        self,
        kind: str,
        work: Callable[..., Any],
        *args: Any,
        preview: dict[str, Any] | None = None,
    ) -> asyncio.Future[Any] | None:
        """Queue ``work(db, *args)``; the future gets its result once saved. None: refused,
        the outbox is full (logged)."""
        if len(self._items) >= self.capacity:
            self._refuse(kind)
            return None
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        # Nobody may be waiting for it: a dropped write's error is logged, not left unread.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())

        def bound(db: OrmSession) -> Any:
            return work(db, *args)

        self._items.append(Pending(kind, bound, done, time.monotonic(), preview))
        self._emptied.clear()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"outbox {self.label}")
        self._wake.set()
        return done

    async def save(
        self,
        kind: str,
        work: Callable[..., Any],
        *args: Any,
        wait_s: float = 2.0,
        preview: dict[str, Any] | None = None,
    ) -> tuple[bool, Any]:
        """Queue a write and wait up to ``wait_s`` for it (not at all while the database is
        known to be struggling): (True, result) if it was saved in that time, else (False,
        None), and it is saved later, in its turn."""
        wait = 0.0 if self.struggling else wait_s
        done = self.put(kind, work, *args, preview=preview)
        if done is None:
            return False, None
        try:
            return True, await asyncio.wait_for(asyncio.shield(done), wait)
        except TimeoutError:
            return False, None
        except Exception:  # dropped as impossible to save; the writer logged why
            return False, None

    def previews(self, kind: str) -> list[dict[str, Any]]:
        """How the writes of ``kind`` still waiting will read once saved, oldest first."""
        return [p.preview for p in self._items if p.kind == kind and p.preview is not None]

    # -- writing -----------------------------------------------------------------------------
    def _write(self, work: Callable[[OrmSession], Any]) -> Any:
        with self.database.sessions() as db:
            return work(db)

    async def _run(self) -> None:
        while True:
            if not self._items:
                self._emptied.set()
                if self._told_since is not None or self.refused:
                    self._tell_saved()
                self._wake.clear()
                await self._wake.wait()
                continue
            item = self._items[0]
            attempt = asyncio.ensure_future(asyncio.to_thread(self._write, item.work))
            while not attempt.done():
                await asyncio.wait({attempt}, timeout=0.5)
                self._check_delay()
            try:
                result = attempt.result()
            except UNAVAILABLE as error:
                self._failed(item, error)
                await self._pause(min(self.max_retry_s, self.retry_s * 2 ** (self.failures - 1)))
                continue
            except Exception as error:
                # It can never be saved (a constraint, a bug): logged, and out of the way.
                log.error(
                    "%s: a %s could not be saved and is dropped: %s",
                    self.label, WHAT.get(item.kind, item.kind), error, exc_info=error,
                )  # fmt: skip
                self._items.popleft()
                self.failures = 0
                if not item.done.done():
                    item.done.set_exception(error)
                continue
            self._items.popleft()
            self.failures = 0
            self.saved += 1
            if not item.done.done():
                item.done.set_result(result)

    def _failed(self, item: Pending, error: BaseException) -> None:
        self.failures += 1
        self.last_error = error
        if self.failures == 1:
            log.warning(
                "%s: the database did not take a %s (%s); retrying, %d write(s) held in order",
                self.label, WHAT.get(item.kind, item.kind), _reason(error), len(self._items),
            )  # fmt: skip

    async def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(0.5, left))
            self._check_delay()

    def _check_delay(self) -> None:
        if not self._items or self._told_since is not None:
            return
        waited = time.monotonic() - self._items[0].queued
        if waited < self.notice_after_s:
            return
        self._told_since = self._items[0].queued
        reason = f" ({_reason(self.last_error)})" if self.last_error is not None else ""
        log.warning(
            "%s: saving held up for %.0f s%s; %d write(s) kept in memory, in order, until "
            "the database answers",
            self.label, waited, reason, len(self._items),
        )  # fmt: skip
        self._tell({
            "type": "notice", "topic": "saving", "level": "warning",
            "message": "Saving is held up: the server's database is not answering. Captions "
                       "and chat go on and are kept, in order, until it is back.",
        })  # fmt: skip

    def _tell_saved(self) -> None:
        since = self._told_since if self._told_since is not None else time.monotonic()
        held_s = time.monotonic() - since
        self._told_since = None
        refused, self.refused = self.refused, 0
        self._told_refused = False
        log.warning(
            "%s: the database answers again; everything held for %.0f s is saved%s",
            self.label, held_s, f" except {refused} write(s) refused when full" if refused else "",
        )  # fmt: skip
        if refused:
            message = (
                f"Saving works again. {refused} caption(s) or message(s) from while it did "
                "not could not be kept; the transcript made after the call still has "
                "everything said."
            )
        else:
            message = "Saved: everything from while the database was away is kept."
        self._tell({
            "type": "notice", "topic": "saving", "level": "error" if refused else "ok",
            "message": message,
        })  # fmt: skip

    def _refuse(self, kind: str) -> None:
        self.refused += 1
        self.refused_total += 1
        if self._told_refused:
            return
        self._told_refused = True
        log.error(
            "%s: %d writes are waiting for the database, the most one call holds: this %s and "
            "what follows are dropped until it answers",
            self.label, self.capacity, WHAT.get(kind, kind),
        )  # fmt: skip
        self._tell({
            "type": "notice", "topic": "saving", "level": "error",
            "message": "The server's database has been away too long: new captions and chat "
                       "are shown but no longer kept until it is back.",
        })  # fmt: skip

    def _tell(self, message: dict[str, Any]) -> None:
        task = asyncio.create_task(self._notify(message), name=f"notice {self.label}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- ending -------------------------------------------------------------------------------
    async def flush(self, within_s: float) -> bool:
        """Wait until everything queued is saved (True), or ``within_s`` has passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._emptied.wait(), within_s)
        return not self._items

    async def close(self, within_s: float = 60.0) -> None:
        """Save what is left (waiting up to ``within_s``), then stop; what could not be saved
        by then is logged, by kind, as lost."""
        await self.flush(within_s)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._items:
            kinds = Counter(WHAT.get(p.kind, p.kind) for p in self._items)
            log.error(
                "%s: the database did not answer for %.0f s after the call; lost: %s (%s)",
                self.label, within_s, ", ".join(f"{n} {k}(s)" for k, n in kinds.items()),
                _reason(self.last_error),
            )  # fmt: skip
            for item in self._items:
                item.done.cancel()
            self._items.clear()
        if self.refused_total:
            log.error("%s: %d write(s) were refused while the outbox was full",
                      self.label, self.refused_total)  # fmt: skip
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


def _reason(error: BaseException | None) -> str:
    if error is None:
        return "no error"
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        return str(error.orig)
    return str(error) or error.__class__.__name__
