"""The files of deploy/ agree with each other and with Tandem's settings: the environment files
give working settings (a node's name and socket address, the TURN server for both sides),
nginx routes each node's path to that node's port, coturn has the user the settings name,
the systemd units start the right commands with those files. (nginx itself runs the config in
tests/test_nodes_processes.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

from aiortc.rtcicetransport import connection_kwargs

from server.calls.rooms import rtc_configuration
from server.settings import PROJECT_DIR, Settings

DEPLOY = PROJECT_DIR / "deploy"


def _env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd reads them (a value in single quotes is taken as is)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        values[key] = value
    return values


def test_the_environment_files_make_a_node_behind_the_proxy(tmp_path: Path) -> None:
    env = {**_env_file(DEPLOY / "tandem.env"), **_env_file(DEPLOY / "node-a.env")}
    env["TANDEM_DATA_DIR"] = str(tmp_path)
    settings = Settings.from_env(env)
    assert settings.node == "a"
    assert settings.node_url == "https://tandem.example.org/nodes/a"
    assert settings.base_url == "https://tandem.example.org" and settings.https
    assert not settings.refine_in_server
    assert settings.trusted_proxies == ("127.0.0.1",)
    assert settings.database_url.startswith("postgresql://")
    # The server's side of a connection uses the UDP TURN URL (aiortc takes the first).
    servers = rtc_configuration(settings).iceServers
    assert servers is not None
    chosen = connection_kwargs(servers)
    assert chosen["turn_server"] == ("turn.example.org", 3478)
    assert chosen["turn_transport"] == "udp" and chosen["turn_username"] == "tandem"
    # coturn has that user, on those ports.
    turn = (DEPLOY / "turnserver.conf").read_text()
    server = json.loads(env["TANDEM_ICE_SERVERS"])[0]
    assert f"user={server['username']}:{server['credential']}" in turn
    assert "listening-port=3478" in turn and "tls-listening-port=5349" in turn
    assert "lt-cred-mech" in turn


def test_nginx_sends_each_nodes_path_to_that_node() -> None:
    nginx = (DEPLOY / "nginx.conf").read_text()
    node = _env_file(DEPLOY / "node-a.env")
    path = node["TANDEM_NODE_URL"].removeprefix("https://tandem.example.org")
    port = node["TANDEM_PORT"]
    route = re.search(rf"location {re.escape(path)}/ \{{\s*proxy_pass (\S+);", nginx)
    assert route is not None, path
    assert route.group(1) == f"http://127.0.0.1:{port}/"  # the prefix is stripped
    pool = re.search(r"upstream tandem_nodes \{(.*?)\}", nginx, re.S)
    assert pool is not None and f"server 127.0.0.1:{port} " in pool.group(1)
    for needed in ("proxy_set_header Upgrade", "proxy_set_header Connection", "$http_host"):
        assert needed in nginx


def test_the_systemd_units_start_servers_and_workers_with_the_shared_settings() -> None:
    serve = (DEPLOY / "tandem-serve@.service").read_text()
    worker = (DEPLOY / "tandem-worker@.service").read_text()
    assert "ExecStart=/opt/tandem/.venv/bin/tandem serve\n" in serve
    assert "ExecStart=/opt/tandem/.venv/bin/tandem worker\n" in worker
    for unit in (serve, worker):
        assert "EnvironmentFile=/etc/tandem/tandem.env" in unit
        assert "KillSignal=SIGTERM" in unit
        assert "ReadWritePaths=/var/lib/tandem" in unit
    assert "EnvironmentFile=/etc/tandem/node-%i.env" in serve
    assert _env_file(DEPLOY / "tandem.env")["TANDEM_DATA_DIR"] == "/var/lib/tandem"
