"""The objects one server process shares between requests, created in the app's lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session as OrmSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from server.auth import LoginLimiter, load_secret_key
from server.calls.live import LiveTranscription
from server.calls.nodes import NodeMonitor
from server.calls.refine import Refiner
from server.calls.rooms import CallRegistry
from server.db.engine import Database
from server.db.search import TranscriptSearch, search_backend
from server.janitor import Janitor
from server.loopwatch import LoopWatch
from server.settings import Settings
from server.uploads.worker import UploadWorker

T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    db: Database
    search: TranscriptSearch
    secret_key: bytes
    limiter: LoginLimiter
    calls: CallRegistry
    live: LiveTranscription
    refiner: Refiner
    uploads: UploadWorker
    loop_watch: LoopWatch
    janitor: Janitor
    nodes: NodeMonitor

    @classmethod
    def open(cls, settings: Settings) -> Services:
        db = Database.open(settings.database_url)
        live = LiveTranscription(settings, db)
        refiner = Refiner(settings, db)
        live.on_room_done.append(refiner.enqueue)
        calls = CallRegistry(settings, db, observer=live)

        def busy() -> set[int]:
            return set(calls.rooms) | ({refiner.current} if refiner.current else set())

        uploads = UploadWorker(settings, db)
        return cls(
            settings=settings,
            db=db,
            search=search_backend(db.dialect),
            secret_key=load_secret_key(settings.data_dir, settings.secret_key),
            limiter=LoginLimiter(),
            calls=calls,
            live=live,
            refiner=refiner,
            uploads=uploads,
            loop_watch=LoopWatch(),
            janitor=Janitor(settings, db, busy),
            nodes=NodeMonitor(settings, db, calls, refiner, uploads),
        )

    async def start(self) -> None:
        """Load the live model (off the loop), start the refiner, the loop watch and the
        node's heartbeat (after :meth:`NodeMonitor.open`)."""
        self.loop_watch.start()
        await self.live.start()
        if self.settings.refine_in_server:  # else `tandem worker` processes take the jobs
            await asyncio.to_thread(self.refiner.start)
        await asyncio.to_thread(self.uploads.start)
        self.janitor.start()
        self.nodes.start()

    async def stop(self) -> None:
        await self.janitor.stop()
        await self.calls.close_all()
        await self.nodes.stop()
        await self.live.close()
        await asyncio.to_thread(self.refiner.close)
        await asyncio.to_thread(self.uploads.close)
        await self.loop_watch.stop()

    def close(self) -> None:
        self.db.close()


def services(request: HTTPConnection) -> Services:
    found: Services = request.state.services
    return found


async def in_db(request: HTTPConnection, work: Callable[[OrmSession], T]) -> T:
    """Run ``work`` with a database session on a worker thread (never on the event loop)."""
    database = services(request).db

    def run() -> T:
        with database.sessions() as db:
            return work(db)

    return await run_in_threadpool(run)
