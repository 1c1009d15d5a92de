"""The call WebSocket, /ws/sessions/{session_id}: authentication, then the protocol loop.

Only the two members of the session's mentorship get in; anyone else is refused during the
handshake, before any media can flow. A bad message gets an ``error`` reply and the loop goes
on, and so does a message whose handling fails unexpectedly (``internal``, logged): one broken
client never takes the room down. The room is made, and the session marked live, at the first
``join``: a socket that never joins leaves nothing behind. Logging out or being deactivated
closes the person's sockets (``logged-out``, then close code 4401; registry.end_login/_person).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.access import is_member
from server.auth import SESSION_COOKIE, Viewer, token_hash, unsign
from server.calls.gaps import GapError
from server.calls.protocol import Message, ProtocolError, parse
from server.calls.rooms import CLOSE_LOGGED_OUT, CallRegistry, Connection, Peer, Room
from server.db.calls import CallOver
from server.db.nodes import Elsewhere
from server.db.store import NotFound
from server.db.tables import AuthSession, Session
from server.services import in_db, services
from server.web import current_viewer

log = logging.getLogger("tandem.signaling")

CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_GONE = 4410
#: The call is held by another node: the ``elsewhere`` error before it says where.
CLOSE_ELSEWHERE = 4307


async def _same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin on WebSockets; another site's page must not ride the
    person's cookie into their call. The pages of this program's other nodes are its own: a
    page served by one node opens the socket of the node holding the call."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (scripted clients, the bench)
    host = websocket.headers.get("host", "")
    if urlsplit(origin).netloc == host:
        return True
    return await services(websocket).nodes.known_origin(origin)


async def _check(websocket: WebSocket, viewer: Viewer, session_id: int, login: str) -> str | None:
    """None when the viewer may join this session, else why not."""

    def work(db: OrmSession) -> str | None:
        # Read after the socket is registered: a logout or deactivation either shows here or
        # finds the socket in the registry and closes it.
        row = db.scalars(select(AuthSession).where(AuthSession.token_hash == login)).first()
        if row is None or row.revoked or not row.person.active:
            return "logged-out"
        session = db.get(Session, session_id)
        if session is None or session.mentorship is None:
            return "forbidden"
        if not is_member(viewer, session.mentorship):
            return "forbidden"
        if session.status in ("ended", "interrupted", "imported"):
            return "ended"
        return None

    return await in_db(websocket, work)


def _login_of(websocket: WebSocket) -> str:
    """The login (auth session) behind the socket, as logout names it: its token's hash."""
    token = unsign(services(websocket).secret_key, websocket.cookies.get(SESSION_COOKIE))
    return token_hash(token) if token is not None else ""


async def call_socket(websocket: WebSocket) -> None:
    raw_id = websocket.path_params["session_id"]
    session_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 18 else 0
    viewer = await current_viewer(websocket)
    if viewer is None:
        await websocket.close(code=CLOSE_UNAUTHORISED)
        return
    if session_id == 0 or not await _same_origin(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    registry = services(websocket).calls
    connection = registry.connect(websocket, viewer.person_id, _login_of(websocket))
    try:
        await _serve(websocket, viewer, session_id, registry, connection)
    finally:
        registry.disconnect(connection)


async def _serve(
    websocket: WebSocket,
    viewer: Viewer,
    session_id: int,
    registry: CallRegistry,
    connection: Connection,
) -> None:
    problem = await _check(websocket, viewer, session_id, connection.login)
    if problem in ("forbidden", "logged-out"):
        code = CLOSE_FORBIDDEN if problem == "forbidden" else CLOSE_UNAUTHORISED
        await websocket.close(code=code)
        return
    await websocket.accept()
    if problem == "ended":
        await websocket.send_json(
            {"type": "error", "code": "ended", "message": "This session has ended."}
        )
        await websocket.close(code=CLOSE_GONE)
        return
    call = _CallSocket(websocket, viewer, session_id, registry, connection)
    try:
        await call.run()
    finally:
        await call.leave()
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                if connection.ended is not None:
                    # Logged out while the socket was opening: told now, as an open one is.
                    await websocket.send_json(
                        {"type": "error", "code": "logged-out", "message": connection.ended}
                    )
                    await websocket.close(code=CLOSE_LOGGED_OUT)
                else:
                    await websocket.close(code=call.close_code or 1000)


class _CallSocket:
    """One person's socket: the room they joined (None before ``join``) and their place in it."""

    def __init__(
        self,
        websocket: WebSocket,
        viewer: Viewer,
        session_id: int,
        registry: CallRegistry,
        connection: Connection,
    ) -> None:
        self.websocket = websocket
        self.viewer = viewer
        self.session_id = session_id
        self.registry = registry
        self.connection = connection
        self.room: Room | None = None
        self.peer: Peer | None = None
        #: Set when the socket is to close after the current message (the session is over).
        self.close_code: int | None = None

    async def run(self) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while self.close_code is None and self.connection.ended is None:
                event = await self.websocket.receive()
                if event["type"] == "websocket.disconnect" or self.connection.ended is not None:
                    return
                raw = event.get("text")
                if raw is None:
                    raw = event.get("bytes") or b""
                await self.one(raw)
                if self.room is not None and self.room.closed:
                    return  # the session ended (code 4002 was sent with "ended")

    async def one(self, raw: str | bytes) -> None:
        """Handle one message; whatever happens, the loop goes on."""
        kind: str | None = None
        try:
            message = parse(raw)
            kind = message.type
            await self._handle(message)
        except ProtocolError as exc:
            await self.reply(exc.to_json())
        except WebSocketDisconnect:
            raise
        except Exception:
            log.exception(
                "session %s: handling %s from person %s failed",
                self.session_id,
                kind or "a message",
                self.viewer.person_id,
            )
            self._resync()
            reply: dict[str, object] = {
                "type": "error",
                "code": "internal",
                "message": "The server could not handle that message; try again.",
            }
            if kind is not None:
                reply["in_reply_to"] = kind
            await self.reply(reply)

    def _resync(self) -> None:
        """After a failure part-way, believe the room about whether this socket is in it."""
        if self.room is None or self.room.closed:
            self.room = self.peer = None
            return
        self.peer = self.room.peer_on(self.websocket)

    async def reply(self, message: dict[str, object]) -> None:
        if self.websocket.application_state != WebSocketState.CONNECTED:
            return  # closed by the server meanwhile (ended, replaced, logged out)
        await self.websocket.send_json(message)

    async def leave(self) -> None:
        """The socket is gone: whoever was in the call through it leaves."""
        if self.room is None:
            return
        peer = self.peer or self.room.peer_on(self.websocket)
        if peer is None:
            return
        try:
            await self.room.leave(peer)
        except Exception:
            log.exception("session %s: leaving failed", self.session_id)

    async def _join(self, body: dict[str, Any]) -> None:
        if self.peer is not None:
            raise ProtocolError("out-of-order", "already joined", "join")
        try:
            room = await self.registry.room_for(self.session_id)
        except (CallOver, NotFound):
            self.close_code = CLOSE_GONE
            raise ProtocolError("ended", "This session has ended.", "join") from None
        except Elsewhere as held:
            await self._elsewhere(held.node)
            return
        self.room = room
        self.peer = await room.join(
            self.viewer.person_id, self.websocket, bool(body.get("record", False))
        )
        if isinstance(body.get("language"), str):
            self.peer.language = body["language"].lower()

    async def _elsewhere(self, node: str) -> None:
        """Another node holds the call: the browser is told where (``elsewhere``, then close
        code 4307) and follows. A holder that died has its calls ended: this one is over."""
        where = await services(self.websocket).nodes.locate(node, self.session_id)
        if where.url is None:
            self.close_code = CLOSE_GONE
            raise ProtocolError("ended", "This session has ended.", "join")
        self.close_code = CLOSE_ELSEWHERE
        await self.reply({
            "type": "error",
            "code": "elsewhere",
            "message": "This call is held by another Tandem server; connect there.",
            "in_reply_to": "join",
            "url": where.url,
            "node": node,
        })  # fmt: skip

    async def _handle(self, message: Message) -> None:
        body = message.body
        if message.type == "ping":
            await self.reply({"type": "pong"})
            return
        if message.type == "join":
            await self._join(body)
            return
        room, peer = self.room, self.peer
        if room is None or peer is None:
            raise ProtocolError("out-of-order", f"send join before {message.type}", message.type)
        if message.type == "offer":
            try:
                sdp = await room.answer(peer, body["leg"], body["sdp"])
            except ValueError as exc:
                raise ProtocolError(
                    "bad-offer", f"the offer cannot be used: {exc}", "offer"
                ) from None
            except RuntimeError as exc:
                raise ProtocolError("out-of-order", str(exc), "offer") from None
            await self.reply({"type": "answer", "leg": body["leg"], "sdp": sdp})
        elif message.type == "p2p":
            other = room.other(peer)
            if other is None:
                raise ProtocolError("no-peer", "the other person is not in the call yet", "p2p")
            await room.send(other, {"type": "p2p", "data": body["data"]})
        elif message.type == "p2p-state":
            await room.p2p_state(peer, body["state"])
            await room.broadcast(
                {"type": "peer-connection", "state": body["state"], "peer": peer.public()},
                exclude=peer,
            )
        elif message.type == "media":
            peer.audio_on, peer.video_on = body["audio"], body["video"]
            await room.broadcast({"type": "peer-media", "peer": peer.public()}, exclude=peer)
        elif message.type == "chat":
            try:
                await room.chat(peer, body["text"])
            except ValueError as exc:
                raise ProtocolError("slow-down", str(exc), "chat") from None
        elif message.type == "gap-audio":
            try:
                services(self.websocket).live.gap_audio(room, peer, body)
            except GapError as exc:
                raise ProtocolError("bad-message", f"gap-audio: {exc}", "gap-audio") from None
        elif message.type == "dismiss-cue":
            live = services(self.websocket).live
            if not await live.dismiss(room, peer, body["id"]):
                raise ProtocolError("bad-message", "no such cue for you", "dismiss-cue")
        elif message.type == "leave":
            self.peer = self.room = None
            await room.leave(peer)
        elif message.type == "end":
            self.peer = None
            await room.end(peer)
