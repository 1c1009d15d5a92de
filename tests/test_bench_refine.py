"""`tandem bench refine`: real passes over a two-person call, one and two at a time."""

from __future__ import annotations

import json

from tests.conftest import DialogueFiles
from tests.helpers import run_tandem


def test_each_step_reports_its_passes_rate_cpu_and_memory(
    env: dict[str, str], dialogue_files: DialogueFiles
) -> None:
    done = run_tandem(
        ["bench", "refine", str(dialogue_files.stereo), "--jobs", "1,2", "--json"], env
    )
    assert done.returncode == 0, done.stderr
    one, two = json.loads(done.stdout)
    assert (one["jobs"], two["jobs"]) == (1, 2)
    for step in (one, two):
        assert step["call_s"] > 5 and step["wall_s"] > 0
        # the rate is the call minutes all passes refined over the wall time
        minutes = step["jobs"] * step["call_s"] / 60
        assert abs(step["call_minutes_per_hour"] - minutes * 3600 / step["wall_s"]) <= 0.02 * (
            step["call_minutes_per_hour"] + 1
        )
        assert step["cpu_percent"] > 0 and step["peak_rss_mb"] > 50
    # Both steps refined the same call, the second as two passes (its rate counts both).
    assert one["call_s"] == two["call_s"]


def test_bad_arguments_are_refused_with_what_to_give(
    env: dict[str, str], dialogue_files: DialogueFiles
) -> None:
    missing = run_tandem(["bench", "refine", "/nonexistent.wav"], env)
    assert missing.returncode == 1 and "/nonexistent.wav not found" in missing.stderr
    zero = run_tandem(["bench", "refine", str(dialogue_files.stereo), "--jobs", "0"], env)
    assert zero.returncode == 2 and "numbers of at least 1" in zero.stderr
    mono = run_tandem(["bench", "refine", str(dialogue_files.mentor)], env)
    assert mono.returncode == 1 and "one channel" in mono.stderr
