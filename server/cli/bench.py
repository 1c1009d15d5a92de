"""tandem bench: hands each WHAT to its runner in server.bench."""

from __future__ import annotations

import argparse

from server.settings import Settings


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from server.bench import actions as bench_actions
    from server.bench import call as bench_call
    from server.bench import coach as bench_coach
    from server.bench import live as bench_live
    from server.bench import load as bench_load
    from server.bench import refine as bench_refine
    from server.bench import review as bench_review
    from server.bench import search as bench_search
    from server.bench import talk as bench_talk
    from server.bench import transcribe as bench_transcribe

    benches = {
        "coach": bench_coach.run,
        "search": bench_search.run,
        "review": bench_review.run,
        "live": bench_live.run,
        "transcribe": bench_transcribe.run,
        "actions": bench_actions.run,
        "talk": bench_talk.run,
        "call": bench_call.run,
        "load": bench_load.run,
        "refine": bench_refine.run,
    }
    return benches[args.bench](args, settings)
