"""The call WebSocket, /ws/sessions/{session_id}: authentication, then the protocol loop.

Only the two members of the session's mentorship get in; anyone else is refused during the
handshake, before any media can flow. A bad message gets an ``error`` reply and the loop goes
on: one broken client never takes the room down.
"""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import urlsplit

from sqlalchemy.orm import Session as OrmSession
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.access import is_member
from server.auth import Viewer
from server.calls.protocol import Message, ProtocolError, parse
from server.calls.rooms import Peer, Room
from server.db.tables import Session
from server.services import in_db, services
from server.web import current_viewer

log = logging.getLogger("tandem.signaling")

CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_GONE = 4410


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers always send Origin on WebSockets; another site's page must not ride the
    person's cookie into their call."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (scripted clients, the bench)
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def _check(websocket: WebSocket, viewer: Viewer, session_id: int) -> str | None:
    """None when the viewer may join this session, else why not."""

    def work(db: OrmSession) -> str | None:
        session = db.get(Session, session_id)
        if session is None or session.mentorship is None:
            return "forbidden"
        if not is_member(viewer, session.mentorship):
            return "forbidden"
        if session.status in ("ended", "interrupted", "imported"):
            return "ended"
        return None

    return await in_db(websocket, work)


async def call_socket(websocket: WebSocket) -> None:
    raw_id = websocket.path_params["session_id"]
    session_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 18 else 0
    viewer = await current_viewer(websocket)
    if viewer is None:
        await websocket.close(code=CLOSE_UNAUTHORISED)
        return
    if not _same_origin(websocket) or session_id == 0:
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    problem = await _check(websocket, viewer, session_id)
    if problem == "forbidden":
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    await websocket.accept()
    if problem == "ended":
        await websocket.send_json(
            {"type": "error", "code": "ended", "message": "This session has ended."}
        )
        await websocket.close(code=CLOSE_GONE)
        return
    registry = services(websocket).calls
    room = await registry.room_for(session_id)
    peer: Peer | None = None
    try:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                break
            raw = event.get("text")
            if raw is None:
                raw = event.get("bytes") or b""
            try:
                message = parse(raw)
                peer = await _handle(room, viewer, websocket, peer, message)
            except ProtocolError as exc:
                await websocket.send_json(exc.to_json())
            if room.closed:
                break
    except WebSocketDisconnect:
        pass
    finally:
        if peer is not None:
            await room.leave(peer)
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()


async def _handle(
    room: Room, viewer: Viewer, websocket: WebSocket, peer: Peer | None, message: Message
) -> Peer | None:
    body = message.body
    if message.type == "ping":
        await websocket.send_json({"type": "pong"})
        return peer
    if message.type == "join":
        if peer is not None:
            raise ProtocolError("out-of-order", "already joined", "join")
        if room.closed:
            raise ProtocolError("ended", "This session has ended.", "join")
        peer = await room.join(viewer.person_id, websocket, bool(body.get("record", False)))
        if isinstance(body.get("language"), str):
            peer.language = body["language"].lower()
        return peer
    if peer is None:
        raise ProtocolError("out-of-order", f"send join before {message.type}", message.type)
    if message.type == "offer":
        try:
            sdp = await room.answer(peer, body["leg"], body["sdp"])
        except ValueError as exc:
            raise ProtocolError("bad-offer", f"the offer cannot be used: {exc}", "offer") from None
        except RuntimeError as exc:
            raise ProtocolError("out-of-order", str(exc), "offer") from None
        await websocket.send_json({"type": "answer", "leg": body["leg"], "sdp": sdp})
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
    elif message.type == "dismiss-cue":
        live = services(websocket).live
        if not await live.dismiss(room, peer, body["id"]):
            raise ProtocolError("bad-message", "no such cue for you", "dismiss-cue")
    elif message.type == "leave":
        await room.leave(peer)
        return None
    elif message.type == "end":
        await room.end(peer)
        return None
    return peer
