"""The server's log never holds a one-time link's token or what someone searched for."""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.request
from pathlib import Path

from server.logredact import redact_path
from tests.browser import serve

TOKEN = "Zq8sEcretToken123"
TERM = "confidentialword"


def test_tokens_and_query_values_are_replaced() -> None:
    assert redact_path(f"/invite/{TOKEN}") == "/invite/…"
    assert redact_path(f"/setup/{TOKEN}?next=/x") == "/setup/…?next=…"
    assert redact_path(f"/search?q={TERM}&mentorship=2") == "/search?q=…&mentorship=…"
    assert redact_path("/sessions/12/call") == "/sessions/12/call"
    assert redact_path("/api/sessions") == "/api/sessions"


def test_the_access_log_of_a_running_server_has_neither(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serve(env, tmp_path) as server:
        for path in (f"/invite/{TOKEN}", f"/setup/{TOKEN}", f"/search?q={TERM}",
                     f"/api/search?q={TERM}"):  # fmt: skip
            # Refused or sent to the login: the request is logged all the same.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(server.base_url + path, timeout=5).close()
        deadline = time.monotonic() + 10
        while "/api/search?q=…" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.log()
    assert "GET /invite/… HTTP/1.1" in log and "/api/search?q=…" in log, log
    assert TOKEN not in log and TERM not in log
