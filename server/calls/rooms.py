"""Call rooms: who is in a call, their connections to the server, and relaying when needed.

Topology (see docs/architecture.md): the two browsers exchange audio and video peer to peer;
each also sends its microphone to the server on an audio-only "uplink" connection, which the
server taps for transcription. In relay mode each browser opens a "relay" connection too: it
sends its camera, and receives the other person's audio and video from the server. The
browser offers, the server answers; a new offer for a leg (the page reconnecting after a
network fault) replaces that leg's connection, its tracks taking over where the old ones
stopped (the same audio tap, the relayed copies re-attached). Relay tracks are forwarding
tracks that pick up the other person's media whenever it exists.

A room serialises joins, leaves and offers with one lock. Closing a room closes every peer
connection, stops every task, and records the end in the database. What the call produces
(chat here, captions and the rest from the live pipeline) is saved through the room's
:class:`~server.calls.outbox.Outbox`: in order, and kept while the database is away. Faults
people should know of (saving held up, the disk full) reach them as ``notice`` messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from starlette.websockets import WebSocket, WebSocketState

from media.live.clock import SessionClock
from media.live.recorder import OpusRecorder
from media.live.relay import ForwardingTrack, TrackFanout
from media.live.spool import describe
from media.live.tap import RECEIVE_DELAY_PACKETS, AudioTap
from server.calls.jitter import shorten_audio_buffers
from server.calls.outbox import Outbox
from server.calls.sdp import (
    UPLINK_OPUS_BITRATE,
    UPLINK_PTIME_MS,
    with_opus_bitrate,
    with_opus_ptime,
)
from server.db.calls import (
    CallInfo,
    CallOver,
    add_chat,
    add_recording,
    chat_history,
    end_call,
    open_call,
    participant_joined,
    participant_left,
)
from server.db.engine import Database
from server.settings import Settings

log = logging.getLogger("tandem.rooms")

CLOSE_REPLACED = 4001  # the same person opened the call in another tab
CLOSE_ENDED = 4002  # the session ended
CLOSE_LOGGED_OUT = 4401  # the login behind the socket ended (logout, deactivation)
CHAT_PER_10_S = 20


def rtc_configuration(settings: Settings) -> RTCConfiguration:
    # An explicit list, even when empty: aiortc would otherwise reach out to a public STUN server.
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in settings.ice_servers
        ]
    )


async def close_connection(pc: RTCPeerConnection, settle_s: float = 3.0) -> None:
    """Close a peer connection, first letting ICE checks in flight finish.

    aioice starts its consent-freshness task when checks complete; if the connection was
    closed while they ran, that task outlives it (for ~30 s). Waiting for the checks to settle
    (they take a few hundred ms) closes it cleanly.
    """
    if pc.iceConnectionState == "checking":
        settled = asyncio.Event()

        def changed() -> None:
            if pc.iceConnectionState != "checking":
                settled.set()

        pc.on("iceconnectionstatechange", changed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(settled.wait(), settle_s)
    await pc.close()


@dataclass(eq=False)
class Peer:
    person_id: int
    name: str
    #: "mentor" or "mentee": the speaker label of this person's transcript and figures.
    role: str
    socket: WebSocket
    consent_record: bool
    uplink: RTCPeerConnection | None = None
    relay_pc: RTCPeerConnection | None = None
    audio: TrackFanout | None = None
    video: TrackFanout | None = None
    tap: AudioTap | None = None
    recorder: OpusRecorder | None = None
    recording_start_s: float | None = None
    #: What this person receives from the server in relay mode.
    to_me_audio: ForwardingTrack = field(default_factory=lambda: ForwardingTrack("audio"))
    to_me_video: ForwardingTrack = field(default_factory=lambda: ForwardingTrack("video"))
    audio_on: bool = True
    video_on: bool = True
    p2p_connected: bool = False
    #: Packets the uplink's jitter buffer holds before a frame reaches the tap.
    uplink_delay_packets: int = RECEIVE_DELAY_PACKETS
    #: The language this person speaks (multilingual models); None: the model's default.
    language: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.person_id,
            "name": self.name,
            "role": self.role,
            "audio": self.audio_on,
            "video": self.video_on,
        }


class RoomObserver(Protocol):
    """What the live pipeline hears from rooms (server.calls.live.LiveTranscription)."""

    async def tap_started(self, room: Room, peer: Peer, tap: AudioTap) -> None: ...

    def tap_ended(self, room: Room, peer: Peer) -> None: ...

    async def room_closed(self, room: Room) -> None: ...


class Room:
    def __init__(
        self,
        info: CallInfo,
        settings: Settings,
        database: Database,
        on_closed: Callable[[Room], None],
        observer: RoomObserver | None = None,
    ) -> None:
        self.info = info
        self.settings = settings
        self.database = database
        self.clock = SessionClock(info.started_at)
        self.mode = "relay" if settings.media_mode == "relay" else "p2p"
        self.peers: dict[int, Peer] = {}
        self.lock = asyncio.Lock()
        self.closed = False
        self.recording = False
        self._on_closed = on_closed
        self.observer = observer
        self._empty_timer: asyncio.Task[None] | None = None
        self._p2p_timer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        #: When each person last sent chat, kept by the room: leaving and joining again does
        #: not reset the rate limit.
        self.chat_times: dict[int, deque[float]] = {}
        self.transcribing = bool(observer is not None and getattr(observer, "scheduler", None))
        self.outbox = Outbox(database, f"session {info.session_id}", self.notice)
        #: Notices in force, by topic (someone joining meanwhile gets them too).
        self.notices: dict[str, dict[str, Any]] = {}
        self._writers_failed: set[str] = set()
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        """Run ``work`` in the background, keeping a reference until it is done."""

        async def run() -> None:
            await work

        task = asyncio.create_task(run(), name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- helpers ---------------------------------------------------------------------------
    async def _db(self, work: Callable[..., Any], *args: Any) -> Any:
        def run() -> Any:
            with self.database.sessions() as db:
                return work(db, *args)

        return await asyncio.to_thread(run)

    def peer_on(self, socket: WebSocket) -> Peer | None:
        """The person in the call through this socket, if any."""
        return next((p for p in self.peers.values() if p.socket is socket), None)

    def other(self, peer: Peer) -> Peer | None:
        return next((p for p in self.peers.values() if p is not peer), None)

    def initiator(self) -> Peer | None:
        """Who makes the peer-to-peer offer: the mentor, when both are here."""
        if len(self.peers) < 2:
            return None
        return min(self.peers.values(), key=lambda p: (p.role != "mentor", p.person_id))

    async def send(self, peer: Peer, message: dict[str, Any]) -> None:
        if peer.socket.application_state != WebSocketState.CONNECTED:
            return
        with contextlib.suppress(Exception):  # the browser may have gone; leave() cleans up
            await peer.socket.send_json(message)

    async def broadcast(self, message: dict[str, Any], exclude: Peer | None = None) -> None:
        await asyncio.gather(
            *(self.send(p, message) for p in list(self.peers.values()) if p is not exclude)
        )

    async def notice(self, message: dict[str, Any]) -> None:
        """Tell both people of a fault (or that it is over: level "ok")."""
        if message.get("level") == "ok":
            self.notices.pop(message["topic"], None)
        else:
            self.notices[message["topic"]] = message
        await self.broadcast(message)

    def writer_failed(self, what: str, role: str, error: OSError) -> None:
        """A spool or recording stopped on a failed write (called from its writer thread).
        The people are told once per call, whichever writer fails first."""
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._writer_failed, what, role, error)

    def _writer_failed(self, what: str, role: str, error: OSError) -> None:
        first = not self._writers_failed
        self._writers_failed.add(f"{what} {role}")
        if not first:
            return
        reason = describe(error)
        log.error(
            "session %s: %s: the %s of the %s stopped; captions go on",
            self.info.session_id, reason, what, role,
        )  # fmt: skip
        message = (
            f"The server cannot write audio ({reason}). Captions go on, but audio from now on "
            "is not kept for the transcript made after the call"
            + (" nor recorded" if self.recording else "")
            + ". Tell whoever runs Tandem."
        )
        self._spawn(
            self.notice({"type": "notice", "topic": "disk", "level": "error", "message": message}),
            f"session {self.info.session_id}: disk notice",
        )

    @property
    def peer_connections(self) -> int:
        return sum(
            1 for p in self.peers.values() for pc in (p.uplink, p.relay_pc) if pc is not None
        )

    # -- joining and leaving -----------------------------------------------------------------
    async def join(self, person_id: int, socket: WebSocket, consent_record: bool) -> Peer:
        name, role = self.info.members[person_id]
        async with self.lock:
            if self._empty_timer is not None:
                self._empty_timer.cancel()
                self._empty_timer = None
            old = self.peers.pop(person_id, None)
            if old is not None:
                # A reload or a second tab: the newest connection wins, the old one is told.
                await self.send(
                    old, {"type": "replaced", "message": "You joined from another tab."}
                )
                with contextlib.suppress(Exception):
                    await old.socket.close(code=CLOSE_REPLACED)
                await self._teardown(old)
            peer = Peer(person_id, name, role, socket, consent_record)
            self.peers[person_id] = peer
            try:
                await self._welcome(peer)
            except Exception:
                # Half a join is no join: the person is out again (the other is told), and
                # an empty room still ends after its grace period.
                with contextlib.suppress(Exception):
                    await self._remove(peer)
                raise
            return peer

    async def _welcome(self, peer: Peer) -> None:
        # Through the outbox (as every write of a call): before this person's captions, and a
        # join while the database is away still works.
        self.outbox.put(
            "join",
            participant_joined,
            self.info.session_id,
            peer.person_id,
            peer.role,
            peer.consent_record,
        )
        other = self.other(peer)
        history = await self._db(chat_history, self.info.session_id)
        history += self.outbox.previews("chat")  # typed while the database was away
        initiator = self.initiator()
        await self.send(peer, {
            "type": "welcome",
            "v": 1,
            "you": peer.public(),
            "peer": other.public() if other else None,
            "initiator": initiator is peer,
            "mode": self.mode,
            "ice_servers": list(self.settings.ice_servers),
            "session": {"id": self.info.session_id, "title": self.info.title},
            "clock_s": round(self.clock.now(), 3),
            "transcription": self.transcribing,
            "chat": history,
        })  # fmt: skip
        for notice in self.notices.values():
            await self.send(peer, notice)
        if other is not None:
            await self.send(other, {
                "type": "peer-joined", "peer": peer.public(), "initiator": initiator is other,
            })  # fmt: skip
            self._start_p2p_timer()
        await self._update_recording()

    async def leave(self, peer: Peer) -> None:
        async with self.lock:
            if self.peers.get(peer.person_id) is not peer:
                return  # already replaced by a newer tab, or the room ended
            await self._remove(peer)

    async def _remove(self, peer: Peer) -> None:
        """Take the person out of the call (the lock is held). Whatever goes wrong tearing
        down their connections, the other person is told and an empty room still ends."""
        del self.peers[peer.person_id]
        try:
            await self._teardown(peer)
        finally:
            other = next(iter(self.peers.values()), None)
            if other is not None:
                await self.send(other, {"type": "peer-left", "peer": peer.public()})
            elif not self.closed:
                self._empty_timer = asyncio.create_task(
                    self._end_when_still_empty(), name=f"room {self.info.session_id} grace"
                )

    async def _end_when_still_empty(self) -> None:
        await asyncio.sleep(self.settings.room_grace_s)
        if not self.peers:
            await self.end(None)

    async def _teardown(self, peer: Peer) -> None:
        for other in self.peers.values():
            if other is not peer:
                other.to_me_audio.attach(None)
                other.to_me_video.attach(None)
        peer.to_me_audio.stop()
        peer.to_me_video.stop()
        for fanout in (peer.audio, peer.video):
            if fanout is not None:
                await fanout.stop()
        if peer.tap is not None and self.observer is not None:
            # Whatever was being said when the person left is transcribed and saved.
            self.observer.tap_ended(self, peer)
        await asyncio.gather(
            *(close_connection(pc) for pc in (peer.uplink, peer.relay_pc) if pc is not None)
        )
        peer.uplink = peer.relay_pc = peer.audio = peer.video = None
        recording = await self._finish_recording(peer)
        self.outbox.put(
            "leave",
            participant_left,
            self.info.session_id,
            peer.person_id,
            recording,
            peer.recording_start_s,
            peer.tap.received_s if peer.tap is not None else 0.0,
        )

    async def end(self, by: Peer | None) -> None:
        """End the session for everyone (a member pressed End, or the room stayed empty)."""
        async with self.lock:
            if self.closed:
                return
            self.closed = True
            for timer in (self._empty_timer, self._p2p_timer):
                if timer is not None and timer is not asyncio.current_task():
                    timer.cancel()
            message = {"type": "ended", "by": by.name if by else None}
            try:
                for peer in list(self.peers.values()):
                    await self.send(peer, message)
                    with contextlib.suppress(Exception):
                        await peer.socket.close(code=CLOSE_ENDED)
                    try:
                        await self._teardown(peer)
                    except Exception:
                        log.exception(
                            "session %s: closing a connection failed", self.info.session_id
                        )
                self.peers.clear()
                self.outbox.put("end", end_call, self.info.session_id, self.clock.now())
            finally:
                self._on_closed(self)  # a closed room leaves the registry, whatever happened

    # -- media ---------------------------------------------------------------------------------
    async def answer(self, peer: Peer, leg: str, sdp: str) -> str:
        """Answer a browser's offer for its uplink or relay connection."""
        async with self.lock:
            if self.peers.get(peer.person_id) is not peer:
                raise RuntimeError("you are no longer in this call")
            if leg == "relay" and self.mode != "relay":
                raise ValueError("the call is peer-to-peer; the server relays only when asked")
            old = peer.uplink if leg == "uplink" else peer.relay_pc
            if old is not None:
                await close_connection(old)  # a new offer for the same leg replaces it
            pc = RTCPeerConnection(rtc_configuration(self.settings))
            if leg == "uplink":
                peer.uplink = pc
            else:
                peer.relay_pc = pc
            pc.on("track", lambda track: self._on_track(peer, leg, track))
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                if leg == "uplink":
                    # (The tap was made by the "track" event inside setRemoteDescription; no
                    # audio has reached it yet: ICE is not even connected.)
                    peer.uplink_delay_packets = shorten_audio_buffers(pc)
                    if peer.tap is not None:
                        peer.tap.receive_delay_packets = peer.uplink_delay_packets
                if leg == "relay":
                    pc.addTrack(peer.to_me_audio)
                    pc.addTrack(peer.to_me_video)
                await pc.setLocalDescription(await pc.createAnswer())
            except Exception as exc:
                # aiortc raises many kinds of error for hostile or broken SDP; all of them mean
                # "this offer cannot be used", and none may take the room down.
                await pc.close()
                if leg == "uplink":
                    peer.uplink = None
                else:
                    peer.relay_pc = None
                raise ValueError(f"{type(exc).__name__}: {exc}") from exc
            self._wire_relay()
            answer = pc.localDescription.sdp
            if leg != "uplink":
                return answer
            return with_opus_bitrate(with_opus_ptime(answer, UPLINK_PTIME_MS), UPLINK_OPUS_BITRATE)

    def _on_track(self, peer: Peer, leg: str, track: MediaStreamTrack) -> None:
        label = f"session {self.info.session_id} {peer.role} {leg} {track.kind}"
        fanout = TrackFanout(track, label)
        if track.kind == "audio" and leg == "uplink":
            if peer.audio is not None:
                self._spawn(peer.audio.stop(), f"{label}: stop replaced track")
                self._detach_forwarding(peer, "audio")  # relayed from the new track below
            peer.audio = fanout
            if peer.tap is None:
                peer.tap = AudioTap(
                    peer.role, self.clock, receive_delay_packets=peer.uplink_delay_packets
                )
                if self.observer is not None:
                    self._spawn(
                        self.observer.tap_started(self, peer, peer.tap), f"{label}: live start"
                    )
            else:
                peer.tap.new_source()  # a new connection: its timestamps start afresh
                peer.tap.receive_delay_packets = peer.uplink_delay_packets
            fanout.on_frame(peer.tap.on_frame)
            self._start_recorder(peer)
        elif track.kind == "video" and leg == "relay":
            if peer.video is not None:
                self._spawn(peer.video.stop(), f"{label}: stop replaced track")
                self._detach_forwarding(peer, "video")
            peer.video = fanout
        # Anything else (audio on the relay leg, video on the uplink) is drained and dropped.
        fanout.start()
        self._wire_relay()

    def _detach_forwarding(self, peer: Peer, kind: str) -> None:
        """The other person's relayed copy of this person's ``kind`` lets go of the track
        being replaced (a new connection); _wire_relay attaches the new one."""
        for other in self.peers.values():
            if other is not peer:
                (other.to_me_audio if kind == "audio" else other.to_me_video).attach(None)

    def _wire_relay(self) -> None:
        if self.mode != "relay":
            return
        for peer in self.peers.values():
            other = self.other(peer)
            if other is None:
                continue
            if other.audio is not None and not peer.to_me_audio.attached:
                peer.to_me_audio.attach(other.audio.output(max_frames=10))
            if other.video is not None and not peer.to_me_video.attached:
                peer.to_me_video.attach(other.video.output(max_frames=2))

    async def switch_to_relay(self, reason: str) -> None:
        async with self.lock:
            if self.mode == "relay" or self.settings.media_mode == "p2p" or self.closed:
                return
            log.info("session %s: relaying media (%s)", self.info.session_id, reason)
            self.mode = "relay"
            await self.broadcast({"type": "mode", "mode": "relay", "reason": reason})

    def _start_p2p_timer(self) -> None:
        if self.mode != "p2p" or self.settings.media_mode != "auto":
            return
        if self._p2p_timer is not None:
            self._p2p_timer.cancel()

        async def check() -> None:
            await asyncio.sleep(self.settings.p2p_timeout_s)
            if len(self.peers) == 2 and not all(p.p2p_connected for p in self.peers.values()):
                await self.switch_to_relay("peer-to-peer did not connect in time")

        self._p2p_timer = asyncio.create_task(check(), name=f"room {self.info.session_id} p2p")

    async def p2p_state(self, peer: Peer, state: str) -> None:
        peer.p2p_connected = state == "connected"
        if state == "failed":
            await self.switch_to_relay(f"{peer.role}'s browser reported peer-to-peer failed")

    # -- recording -----------------------------------------------------------------------------
    async def _update_recording(self) -> None:
        both = len(self.peers) == 2 and all(p.consent_record for p in self.peers.values())
        if both and not self.recording:
            self.recording = True
            for peer in self.peers.values():
                self._start_recorder(peer)
        elif not both and self.recording and any(not p.consent_record for p in self.peers.values()):
            self.recording = False
            for peer in self.peers.values():
                await self._finish_recording(peer)
        await self.broadcast({"type": "recording", "on": self.recording})

    async def _finish_recording(self, peer: Peer) -> str | None:
        """Close the peer's recording file and register it (the review page plays it, and
        deleting the session removes it). Returns its path."""
        if peer.recorder is None:
            return None
        recorder, peer.recorder = peer.recorder, None
        await asyncio.to_thread(recorder.close)
        if not recorder.path.exists():
            return None  # nothing was written (the encoder failed and logged why)
        self.outbox.put(
            "recording",
            add_recording,
            self.info.session_id,
            peer.role,
            str(recorder.path),
            peer.recording_start_s or 0.0,
        )
        return str(recorder.path)

    def _start_recorder(self, peer: Peer) -> None:
        if not self.recording or peer.recorder is not None or peer.tap is None:
            return
        # One file per connection: a reload or a second tab starts a new one.
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        path = (
            self.settings.recordings_dir
            / f"session-{self.info.session_id}"
            / f"{peer.role}-{stamp}.ogg"
        )
        role = peer.role
        peer.recorder = OpusRecorder(
            path, on_failure=lambda error: self.writer_failed("recording", role, error)
        )
        peer.recording_start_s = peer.tap.position_s
        peer.tap.listen(peer.recorder.write)

    # -- chat ----------------------------------------------------------------------------------
    async def chat(self, peer: Peer, text: str) -> None:
        now = time.monotonic()
        sent = self.chat_times.setdefault(peer.person_id, deque(maxlen=CHAT_PER_10_S))
        if len(sent) == CHAT_PER_10_S and now - sent[0] < 10:
            raise ValueError("you are sending messages too fast; wait a moment")
        sent.append(now)
        at_s = self.clock.now()
        # Shown at once even while the database is away (then without its id): the outbox
        # saves it in its turn.
        unsaved = {"id": None, "from": peer.role, "person_id": peer.person_id, "text": text,
                   "at": round(at_s, 2)}  # fmt: skip
        saved, message = await self.outbox.save(
            "chat", add_chat, self.info.session_id, peer.person_id, peer.role, text, at_s,
            preview=unsaved,
        )  # fmt: skip
        message = dict(message if saved else unsaved, name=peer.name)
        await self.broadcast({"type": "chat", "message": message})


@dataclass(eq=False)
class Connection:
    """One open call socket, joined or not: whose it is, and through which login."""

    socket: WebSocket
    person_id: int
    #: The login (auth session) it was opened with: its token's hash.
    login: str
    #: Why the server ended it (logout, deactivation): nothing more it sends is handled.
    ended: str | None = None


class CallRegistry:
    """The live rooms of this server process (node), and every open call socket.

    A room exists only once someone joined (``room_for`` at a join marks the session live):
    a socket opened and closed without joining leaves nothing behind.
    """

    def __init__(
        self,
        settings: Settings,
        database: Database,
        observer: RoomObserver | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.rooms: dict[int, Room] = {}
        self._lock = asyncio.Lock()
        self.observer = observer
        self._background: set[asyncio.Task[None]] = set()
        self.connections: set[Connection] = set()

    def connect(self, socket: WebSocket, person_id: int, login: str) -> Connection:
        connection = Connection(socket, person_id, login)
        self.connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        self.connections.discard(connection)

    async def end_login(self, login: str, message: str) -> int:
        """Close every call socket opened with this login (it was logged out); how many."""
        return await self._end_connections(lambda c: c.login == login, message)

    async def end_person(self, person_id: int, message: str) -> int:
        """Close every call socket of this person (deactivated); how many."""
        return await self._end_connections(lambda c: c.person_id == person_id, message)

    async def _end_connections(self, which: Callable[[Connection], bool], message: str) -> int:
        ending = [c for c in self.connections if c.ended is None and which(c)]
        for connection in ending:
            connection.ended = message
        await asyncio.gather(*(self._end_connection(c, message) for c in ending))
        return len(ending)

    async def _end_connection(self, connection: Connection, message: str) -> None:
        """The browser is told why, the socket closes (4401), and its person leaves the call
        as if they had left: the other person gets peer-left."""
        socket = connection.socket
        # (A socket still opening is told once it is accepted, by its own loop.)
        if socket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):  # the browser may be gone already
                await socket.send_json({"type": "error", "code": "logged-out", "message": message})
            with contextlib.suppress(Exception):
                await socket.close(code=CLOSE_LOGGED_OUT)
        for room in list(self.rooms.values()):
            peer = room.peer_on(socket)
            if peer is not None:
                await room.leave(peer)
        if socket.application_state != WebSocketState.CONNECTING:
            self.disconnect(connection)  # (its loop does it too, when it sees the close)

    async def room_for(self, session_id: int) -> Room:
        """The session's room, made (and the session marked live and placed on this node) at
        the first join. Raises NotFound or CallOver (server.db) when the session cannot be
        joined, Elsewhere (server.db.nodes) when another node holds its room."""
        async with self._lock:
            room = self.rooms.get(session_id)
            if room is not None and room.closed:
                # Still ending (it leaves the registry once the end is written): no new room
                # may start while the session is being marked ended.
                raise CallOver(f"session {session_id} is ending")
            if room is None:

                def work() -> CallInfo:
                    with self.database.sessions() as db:
                        # Placed on this node by the first join, or Elsewhere (another
                        # node holds it: server.db.nodes).
                        return open_call(db, session_id, self.settings.node)

                info = await asyncio.to_thread(work)
                room = Room(info, self.settings, self.database, self._closed, self.observer)
                self.rooms[session_id] = room
            return room

    def _closed(self, room: Room) -> None:
        if self.rooms.get(room.info.session_id) is room:
            del self.rooms[room.info.session_id]
        task = asyncio.create_task(self._after(room), name=f"after room {room.info.session_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _after(self, room: Room) -> None:
        try:
            if self.observer is not None:
                await self.observer.room_closed(room)  # its last captions go to the outbox
        finally:
            await room.outbox.close()

    async def close_all(self) -> None:
        """Server shutdown: every call ends, every connection closes."""
        for room in list(self.rooms.values()):
            await room.end(None)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def stats(self) -> dict[str, int]:
        return {
            "rooms": len(self.rooms),
            "sockets": len(self.connections),
            "participants": sum(len(r.peers) for r in self.rooms.values()),
            "peer_connections": sum(r.peer_connections for r in self.rooms.values()),
            #: Writes of live rooms waiting for the database (see Outbox).
            "unsaved": sum(r.outbox.pending for r in self.rooms.values()),
        }
