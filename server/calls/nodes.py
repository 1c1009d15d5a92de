"""This server process as one node among several on a shared database (server.db.nodes).

At start the node ends as interrupted the calls it held before a crash (and only those: the
other nodes' calls go on), then registers. Every ``BEAT_S`` a task on the event loop hands
one beat to a thread of its own (the loop never waits on the database):

- the heartbeat, and the list of live nodes (their addresses, for the call page and the
  same-origin check of call sockets);
- the calls of nodes whose heartbeat is stale end as interrupted, and their refinement is
  queued (spools are in the shared data directory); their waiting uploads become this node's;
- rooms this node runs that the database no longer has live here end (another node found
  this one dead, e.g. while the database was out of its reach);
- call sockets whose login ended on another node (logout, deactivation) are closed.

The call page and the call socket use :meth:`NodeMonitor.locate` to send people to the node
holding their call (docs/deploy.md, "Several server processes").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from server.auth import DEACTIVATED
from server.calls.refine import Refiner
from server.calls.rooms import CallRegistry
from server.db.engine import Database
from server.db.nodes import (
    BEAT_S,
    NodeInfo,
    beat,
    dead_holders,
    dead_upload_holders,
    ended_logins,
    interrupt_rooms,
    leave,
    live_nodes,
    nodes,
    not_mine,
    take_uploads,
)
from server.db.tables import utcnow
from server.settings import Settings
from server.uploads.worker import UploadWorker

log = logging.getLogger("tandem.nodes")

LOGGED_OUT = "You logged out."


def socket_url(node_url: str, session_id: int) -> str:
    """The call socket of a session on the node reached at ``node_url``."""
    parts = urlsplit(node_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/ws/sessions/{session_id}"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class Beat:
    """What one beat found that the event loop acts on."""

    live: dict[str, NodeInfo] = field(default_factory=dict)
    interrupted: list[int] = field(default_factory=list)
    fenced: list[int] = field(default_factory=list)
    logins: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Location:
    """Where a session's call is held: here, on another live node (its socket's URL), or on
    a node that died (the call is over)."""

    here: bool
    node: str | None
    url: str | None


class NodeMonitor:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        registry: CallRegistry,
        refiner: Refiner,
        uploads: UploadWorker,
    ) -> None:
        self.settings = settings
        self.database = database
        self.registry = registry
        self.refiner = refiner
        self.uploads = uploads
        self.name = settings.node
        self.url = settings.node_url
        #: The live nodes as of the last beat, this one included.
        self.live: dict[str, NodeInfo] = {}
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="node heartbeat")
        self._task: asyncio.Task[None] | None = None
        self.beats = 0
        #: Beats failed in a row (the database out of reach).
        self.failures = 0

    # -- start and stop ------------------------------------------------------------------------
    def open(self) -> list[int]:
        """Before serving (a worker thread): the calls this node held before it stopped end
        as interrupted, their refinement is queued, and the node registers. The ids."""
        with self.database.sessions() as db:
            mine = interrupt_rooms(db, self.name, unplaced=True)
            beat(db, self.name, self.url, starting=True)
            self.live = live_nodes(db)
        for session_id in mine:
            self._enqueue_refinement(session_id)
        return mine

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"node {self.name} heartbeat")

    async def stop(self) -> None:
        """After the calls ended: nobody is sent here any more."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        loop = asyncio.get_running_loop()
        with contextlib.suppress(Exception):
            await loop.run_in_executor(self._executor, self._leave)
        self._executor.shutdown(wait=False)

    def _leave(self) -> None:
        with self.database.sessions() as db:
            leave(db, self.name)

    # -- the heartbeat -------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            await self.beat_now()
            await asyncio.sleep(BEAT_S)

    async def beat_now(self) -> None:
        """One beat (also run at once when a page or socket finds a node that looks dead)."""
        rooms = [sid for sid, room in self.registry.rooms.items() if not room.closed]
        logins = sorted({c.login for c in self.registry.connections if c.login and not c.ended})
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self._executor, self._beat, rooms, logins)
        except Exception as exc:  # the database away for a moment: the next beat tries again
            self.failures += 1
            if self.failures == 1:
                log.exception("node %s: heartbeat failed; trying every %g s", self.name, BEAT_S)
            else:
                log.warning("node %s: heartbeat failed again (%s)", self.name, type(exc).__name__)
            return
        if self.failures:
            log.info("node %s: heartbeat back after %d failures", self.name, self.failures)
            self.failures = 0
        self.beats += 1
        self.live = found.live
        for session_id in found.fenced:
            room = self.registry.rooms.get(session_id)
            if room is not None and not room.closed:
                log.warning(
                    "session %s is no longer held by this node (it was taken for dead): "
                    "its call ends here", session_id,
                )  # fmt: skip
                await room.end(None)
        for login, deactivated in found.logins.items():
            await self.registry.end_login(login, DEACTIVATED if deactivated else LOGGED_OUT)

    def _beat(self, rooms: list[int], logins: list[str]) -> Beat:
        found = Beat()
        with self.database.sessions() as db:
            beat(db, self.name, self.url)
            found.live = live_nodes(db)
            for dead in dead_holders(db, self.name):
                ended = interrupt_rooms(db, dead)
                if ended:
                    log.warning("node %s fell silent: its calls %s are interrupted", dead, ended)
                found.interrupted += ended
            orphaned = dead_upload_holders(db, self.name)
            taken = take_uploads(db, self.name, orphaned)
            found.fenced = not_mine(db, self.name, rooms)
            found.logins = ended_logins(db, logins)
        for session_id in found.interrupted:
            self._enqueue_refinement(session_id)
        if taken:
            log.warning("uploads %s of node(s) %s are processed here", taken, orphaned)
        for upload_id in taken:
            self.uploads.enqueue(upload_id)
        return found

    def _enqueue_refinement(self, session_id: int) -> None:
        try:
            self.refiner.enqueue(session_id)
        except Exception:
            log.exception("queueing the refinement of session %s failed", session_id)

    # -- where a call is -------------------------------------------------------------------------
    async def locate(self, holder: str | None, session_id: int) -> Location:
        """Where the call held by ``holder`` (None: not placed yet) is to be joined. A holder
        that is not alive has its calls ended now (as its heartbeat going stale would)."""
        if holder is None or holder == self.name:
            return Location(True, holder, None)
        known = await asyncio.to_thread(self._nodes)
        info = known.get(holder)
        if info is not None and info.alive(utcnow()):
            return Location(False, holder, socket_url(info.url, session_id))
        await self.beat_now()  # the holder is dead: its calls end, this one with them
        return Location(False, holder, None)

    def _nodes(self) -> dict[str, NodeInfo]:
        with self.database.sessions() as db:
            return nodes(db)

    def origins(self) -> set[str]:
        """The origins of this program's own pages: every live node's, and the public URL."""
        urls = [self.url, self.settings.base_url, *(n.url for n in self.live.values())]
        return {origin_of(u) for u in urls}

    async def known_origin(self, origin: str) -> bool:
        """Whether a page from ``origin`` is one of this program's (a node started since the
        last beat is looked up now)."""
        wanted = origin.lower().rstrip("/")
        if wanted in self.origins():
            return True
        try:
            known = await asyncio.to_thread(self._live)
        except Exception:
            return False
        return wanted in {origin_of(n.url) for n in known.values()}

    def _live(self) -> dict[str, NodeInfo]:
        with self.database.sessions() as db:
            return live_nodes(db)

    async def live_now(self) -> dict[str, NodeInfo]:
        """The live nodes, read now (a node started since the last beat is among them)."""
        self.live = await asyncio.to_thread(self._live)
        return self.live

    def others(self) -> dict[str, NodeInfo]:
        """The other live nodes (as of the last beat)."""
        return {name: n for name, n in self.live.items() if name != self.name}
