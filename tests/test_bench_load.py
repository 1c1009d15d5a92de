"""`tandem bench load`: the ramp's summary from step figures, and one tiny real run."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from server.bench.load import LoadStep, failed_step, summarize
from tests.helpers import run_tandem


def _step(sessions: int, p95_s: float, peak_mb: float, cpu: float, lost: int = 0) -> LoadStep:
    return LoadStep(
        sessions=sessions, final_p50_s=p95_s / 2, final_p95_s=p95_s, first_caption_p95_s=0.8,
        turns_measured=10 * sessions, finals_lost=lost, participants_cut_off=0, partials_shed=0,
        server_cpu_percent=cpu, server_peak_mb=peak_mb, clients_cpu_percent=10.0 * sessions,
        loop_lag_p99_ms=5.0, live_wer=0.05,
    )  # fmt: skip


def test_sessions_held_is_the_last_step_within_the_limit_and_memory_its_slope() -> None:
    steps = [
        _step(1, 0.7, 330.0, 25.0),
        _step(2, 0.9, 360.0, 48.0),
        _step(4, 1.6, 420.0, 100.0),
        _step(8, 2.6, 540.0, 190.0),  # past 2 s: not held
    ]
    summary = summarize(steps, max_p95_s=2.0)
    assert summary.sessions_held == 4
    assert summary.cpu_percent_per_session == 25.0  # 100% over 4 sessions
    assert summary.mb_per_extra_session == 30.0  # exactly 300 + 30 per session over 1, 2, 4
    assert summary.limit_reached
    assert not summarize(steps[:3], max_p95_s=2.0).limit_reached  # held up to the last step


def test_a_lost_final_or_a_failed_step_ends_what_is_held() -> None:
    steps = [_step(1, 0.7, 330.0, 25.0), _step(2, 0.9, 360.0, 48.0, lost=1)]
    assert summarize(steps, 2.0).sessions_held == 1
    assert summarize(steps, 2.0).mb_per_extra_session is None  # one step: no slope
    cut_off = [_step(1, 0.7, 330.0, 25.0), replace(_step(2, 0.9, 360.0, 48.0),
                                                   participants_cut_off=1)]  # fmt: skip
    assert summarize(cut_off, 2.0).sessions_held == 1
    broken = [failed_step(1, "RuntimeError: the server did not start"), _step(2, 0.9, 1, 1)]
    summary = summarize(broken, 2.0)
    assert (summary.sessions_held, summary.cpu_percent_per_session) == (0, None)
    assert summarize([], 2.0).sessions_held == 0


@pytest.mark.slow
def test_one_short_step_reports_its_figures_and_a_summary(tmp_path: Path) -> None:
    environment = dict(os.environ)
    # The bench makes its own scratch data directories (SQLite): no test database here.
    for name in ("TANDEM_DATABASE_URL", "TANDEM_MODEL", "TANDEM_TEST_DATABASE"):
        environment.pop(name, None)
    environment.update(TANDEM_DATA_DIR=str(tmp_path / "data"), TANDEM_CPU_THREADS="2",
                       HF_HUB_OFFLINE="1")  # fmt: skip
    out = tmp_path / "load.json"
    done = run_tandem(
        ["bench", "load", "--modes", "p2p", "--steps", "1", "--minutes-per-step", "0.3",
         "--json", str(out)],
        environment,
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert set(document["modes"]) == {"p2p"}
    p2p = document["modes"]["p2p"]
    [step] = p2p["steps"]
    assert step["error"] is None
    assert step["sessions"] == 1
    assert isinstance(step["final_p95_s"], float) and step["turns_measured"] >= 1
    assert step["finals_lost"] == 0 and step["participants_cut_off"] == 0
    assert step["server_peak_mb"] > 0 and step["server_cpu_percent"] > 0
    summary = {"sessions_held", "cpu_percent_per_session", "mb_per_extra_session", "limit_reached"}
    assert summary <= set(p2p)
    assert "p2p: " in done.stdout and "session(s) held" in done.stdout
