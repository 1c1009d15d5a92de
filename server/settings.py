"""All of Tandem's configuration, read from the environment in one place.

Every setting has a documented default (see docs/configuration.md); nothing else in the code
reads ``os.environ`` for configuration.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from media.insight.cues import Targets

#: The checkout (or installed tree) that holds server/, media/, static/ and models/.
PROJECT_DIR = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


def _default_data_dir(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "tandem"


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _ice_servers(raw: str | None) -> tuple[dict[str, Any], ...]:
    """TANDEM_ICE_SERVERS: a JSON list like [{"urls": "turn:turn.example.org:3478",
    "username": "u", "credential": "p"}]; none by default (LAN and localhost need none)."""
    if not raw:
        return ()
    try:
        servers = json.loads(raw)
    except ValueError:
        raise SettingsError("TANDEM_ICE_SERVERS must be a JSON list of ICE servers") from None
    if not isinstance(servers, list) or not all(
        isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in servers
    ):
        raise SettingsError('TANDEM_ICE_SERVERS entries need "urls" (and TURN credentials)')
    return tuple(servers)


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must start with http:// or https://, got {raw!r}")
    return raw


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    model: str
    #: Where Tandem assembles and keeps models (the model store); also searched for models.
    model_store_dir: Path
    #: Extra folders searched for CTranslate2 Whisper model directories.
    model_dirs: tuple[Path, ...]
    host: str
    port: int
    #: The address people use to reach this server (links printed by the CLI); None derives it
    #: from host and port.
    public_url: str | None
    cpu_threads: int
    compute_type: str
    #: Balance targets for cues and reports (per deployment; admins can change them).
    targets: Targets
    #: Signs cookies; None generates one in the data directory on first start.
    secret_key: str | None
    #: A login ends after this long without a request.
    session_idle_s: float
    #: Invite links stop working after this long.
    invite_ttl_s: float
    #: Cookies are marked Secure (served over HTTPS).
    https: bool
    #: Addresses of reverse proxies whose X-Forwarded-For / -Proto are believed (none: the
    #: client's own address counts, whoever claims otherwise).
    trusted_proxies: tuple[str, ...]
    #: "auto" (peer-to-peer, relay when that fails), "p2p" (never relay) or "relay" (always).
    media_mode: str
    #: STUN/TURN servers for browsers and the server, as RTCIceServer dicts.
    ice_servers: tuple[dict[str, Any], ...]
    #: A call whose participants all left ends after this many seconds (a reload rejoins).
    room_grace_s: float
    #: In auto mode, relay when peer-to-peer has not connected after this many seconds.
    p2p_timeout_s: float
    recordings_dir: Path
    #: Transcribe calls while they happen (captions, live balance); off leaves only the media.
    live_transcription: bool
    #: The model of the refinement pass after a call (None: the same as ``model``).
    refine_model: str | None
    #: Live transcription threads; each uses cpu_threads // asr_workers CPU threads. Two
    #: single-threaded workers got 35% more finals through than one with two threads.
    asr_workers: int
    #: Largest upload accepted from the browser (a recording or a transcript), in bytes.
    max_upload_bytes: int = 500 * 1024 * 1024
    #: Retention: call audio is deleted this many days after the session, transcripts (text,
    #: chat, items; figures stay) after this many; None keeps them until someone deletes them.
    keep_audio_days: int | None = None
    keep_transcripts_days: int | None = None
    #: How often the janitor sweeps spools, uploads and the retention policy.
    janitor_interval_s: float = 3600.0
    #: A login ends this long after it began, however busy (TANDEM_SESSION_MAX_S).
    session_max_s: float = 14 * 86400.0
    #: This process's name among the nodes and in the job queue (None: host and port).
    node_name: str | None = None
    #: Where this process's call sockets are reached (TANDEM_NODE_URL; None: the public URL).
    node_address: str | None = None
    #: Server processes run refinement passes too; off leaves them to `tandem worker`s.
    refine_in_server: bool = True
    #: Where refinement passes decode: "cpu", or "cuda" on a GPU worker (TANDEM_REFINE_DEVICE).
    refine_device: str = "cpu"

    @property
    def uploads_dir(self) -> Path:
        """Uploaded files wait here until processed, then are deleted."""
        return self.data_dir / "uploads"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("TANDEM_DATA_DIR") or _default_data_dir(env)).expanduser()
        database_url = env.get("TANDEM_DATABASE_URL") or f"sqlite:///{data_dir / 'tandem.db'}"
        host = env.get("TANDEM_HOST") or "127.0.0.1"
        port = _int(env, "TANDEM_PORT", 8000, minimum=1)
        if port > 65535:
            raise SettingsError(f"TANDEM_PORT must be at most 65535, got {port}")
        public_url = (env.get("TANDEM_PUBLIC_URL") or "").rstrip("/") or None
        extra_dirs = tuple(
            Path(p).expanduser()
            for p in (env.get("TANDEM_MODEL_DIRS") or "").split(os.pathsep)
            if p
        )
        compute_type = env.get("TANDEM_COMPUTE_TYPE") or "int8"
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            model=env.get("TANDEM_MODEL") or "tiny.en",
            model_store_dir=data_dir / "models",
            model_dirs=(PROJECT_DIR / "models", *extra_dirs),
            host=host,
            port=port,
            public_url=public_url,
            cpu_threads=_int(env, "TANDEM_CPU_THREADS", os.cpu_count() or 1, minimum=1),
            compute_type=compute_type,
            secret_key=env.get("TANDEM_SECRET_KEY") or None,
            media_mode=_choice(env, "TANDEM_MEDIA_MODE", ("auto", "p2p", "relay"), "auto"),
            ice_servers=_ice_servers(env.get("TANDEM_ICE_SERVERS")),
            room_grace_s=_float(env, "TANDEM_ROOM_GRACE_S", 30.0, 0.0, 3600.0),
            p2p_timeout_s=_float(env, "TANDEM_P2P_TIMEOUT_S", 15.0, 1.0, 600.0),
            recordings_dir=data_dir / "recordings",
            live_transcription=_choice(env, "TANDEM_LIVE_TRANSCRIPTION", ("1", "0"), "1") == "1",
            refine_model=env.get("TANDEM_REFINE_MODEL") or None,
            asr_workers=_int(env, "TANDEM_ASR_WORKERS", min(2, os.cpu_count() or 1), minimum=1),
            max_upload_bytes=_int(env, "TANDEM_MAX_UPLOAD_MB", 500, minimum=1) * 1024 * 1024,
            keep_audio_days=_int(env, "TANDEM_KEEP_AUDIO_DAYS", 0) or None,
            keep_transcripts_days=_int(env, "TANDEM_KEEP_TRANSCRIPTS_DAYS", 0) or None,
            janitor_interval_s=_float(env, "TANDEM_JANITOR_INTERVAL_S", 3600.0, 1.0, 86400.0),
            session_idle_s=_float(env, "TANDEM_SESSION_IDLE_S", 8 * 3600.0, 60.0, 90 * 86400.0),
            session_max_s=_float(env, "TANDEM_SESSION_MAX_S", 14 * 86400.0, 60.0, 365 * 86400.0),
            node_name=(env.get("TANDEM_NODE_NAME") or "").strip()[:200] or None,
            node_address=_url(env, "TANDEM_NODE_URL"),
            refine_in_server=_choice(env, "TANDEM_REFINE_IN_SERVER", ("1", "0"), "1") == "1",
            refine_device=_choice(env, "TANDEM_REFINE_DEVICE", ("cpu", "cuda"), "cpu"),
            invite_ttl_s=_float(env, "TANDEM_INVITE_TTL_S", 72 * 3600.0, 60.0, 90 * 86400.0),
            https=(env.get("TANDEM_PUBLIC_URL") or "").startswith("https://"),
            trusted_proxies=tuple(
                a.strip() for a in (env.get("TANDEM_TRUSTED_PROXIES") or "").split(",") if a.strip()
            ),
            targets=Targets(
                mentee_min_share=_float(env, "TANDEM_TARGET_MENTEE_SHARE", 0.40, 0.0, 1.0),
                max_monologue_s=_float(env, "TANDEM_TARGET_MONOLOGUE_S", 90.0, 5.0, 3600.0),
                question_gap_s=_float(env, "TANDEM_TARGET_QUESTION_GAP_S", 600.0, 30.0, 7200.0),
                max_interruptions=_int(env, "TANDEM_TARGET_INTERRUPTIONS", 3, minimum=0),
            ),
        )

    def spool_dir(self, session_id: int) -> Path:
        """Where a call's audio waits for the refinement pass (deleted after it)."""
        return self.data_dir / "spool" / f"session-{session_id}"

    @property
    def node(self) -> str:
        """This process's name among the nodes: TANDEM_NODE_NAME, or this host and the
        server's port (stable across restarts, so a restarted process finds what it held)."""
        return self.node_name or f"{socket.gethostname()}:{self.port}"

    @property
    def node_url(self) -> str:
        """The address this process's call sockets are reached at, as a browser sees it."""
        return self.node_address or self.base_url

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url
        shown = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
        return f"http://{shown}:{self.port}"

    def over_https(self) -> Settings:
        """Serving over TLS: Secure cookies, https links."""
        changed = replace(self, https=True)
        if changed.public_url is None:
            shown = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
            changed = replace(changed, public_url=f"https://{shown}:{self.port}")
        return changed

    def with_server(self, host: str | None, port: int | None) -> Settings:
        """The same settings with a host/port given on the command line."""
        return replace(self, host=host or self.host, port=port or self.port)
