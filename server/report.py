"""The readable session report printed by `tandem report`."""

from __future__ import annotations

from typing import Any

from media.insight.cues import Targets
from server.db.store import SavedTranscript, SessionReport
from server.exports import clock


def _mmss(seconds: float | None) -> str:
    return "-" if seconds is None else clock(seconds, always_hours=False)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def render_report(saved: SavedTranscript, report: SessionReport, targets: Targets) -> str:
    s = saved.summary
    lines = [f"{s.title} — {s.held_at:%Y-%m-%d} — {_mmss(s.duration_s)} — {', '.join(s.speakers)}"]
    stored: dict[str, Any] = report.talk or {}
    talk: dict[str, Any] | None = stored.get("talk")
    target: dict[str, Any] = stored.get("targets") or targets.to_json()
    roles: dict[str, str] = stored.get("roles") or {}
    if not talk:
        lines += ["", "No talk figures for this session (it was saved before they existed)."]
    else:
        lines += ["", *_talk_table(talk, target, roles)]
        if stored.get("approximate"):
            lines.append(
                "  (approximate: from the cue times of an imported transcript, not the voices)"
            )
    lines += ["", f"Cues ({len(report.cues)})"]
    if not report.cues:
        lines.append("  none: the conversation stayed within the targets")
    for cue in report.cues:
        lines.append(f"  {_mmss(cue['at'])}  for {cue['speaker']}: {cue['message']}")
    lines += ["", f"Action items ({len(report.action_items)})"]
    if not report.action_items:
        lines.append("  none found")
    for item in report.action_items:
        due = ""
        if item["due"]:
            due = f" — {item['due']}" + (f" ({item['due_date']})" if item["due_date"] else "")
        tick = "x" if item["done"] else " "
        lines.append(
            f"  [{tick}] {item['owner']}: {item['action']}{due}   at {_mmss(item['start'])}"
        )
    return "\n".join(lines) + "\n"


def _talk_table(talk: dict[str, Any], target: dict[str, Any], roles: dict[str, str]) -> list[str]:
    speakers: dict[str, dict[str, Any]] = talk["speakers"]
    names = list(speakers)
    width = max(10, *(len(n) + 2 for n in names))
    header = f"{'Talk balance':<28}" + "".join(f"{n:>{width}}" for n in names) + "   target"
    rows = [header]
    mentee = next((n for n in names if roles.get(n, n) == "mentee"), None)
    mentor = next((n for n in names if roles.get(n, n) == "mentor"), None)

    def row(label: str, values: list[str], goal: str = "") -> None:
        rows.append(f"  {label:<26}" + "".join(f"{v:>{width}}" for v in values) + f"   {goal}")

    share_goal = ""
    if mentee is not None:
        ok = speakers[mentee]["share"] >= target["mentee_min_share"]
        share_goal = f"{mentee} >= {target['mentee_min_share']:.0%}  {'ok' if ok else 'MISSED'}"
    row("share of talk", [f"{speakers[n]['share']:.0%}" for n in names], share_goal)
    row("talk time", [_mmss(speakers[n]["talk_s"]) for n in names])
    row("turns", [str(speakers[n]["turns"]) for n in names])
    monologue_goal = ""
    if mentor is not None:
        longest = speakers[mentor]["longest_monologue_s"]
        ok = longest <= target["max_monologue_s"]
        monologue_goal = f"<= {_mmss(target['max_monologue_s'])}  {'ok' if ok else 'MISSED'}"
    row("longest monologue", [_mmss(speakers[n]["longest_monologue_s"]) for n in names],
        monologue_goal)  # fmt: skip
    row("questions asked", [str(speakers[n]["questions"]) for n in names])
    interruption_goal = f"<= {target['max_interruptions']} each"
    row("interruptions made", [str(speakers[n]["interruptions_made"]) for n in names],
        interruption_goal)  # fmt: skip
    row("overlaps started", [str(speakers[n]["overlaps_started"]) for n in names])
    row("backchannels (listening)", [str(speakers[n]["backchannels"]) for n in names])
    row("median response gap", [_seconds(speakers[n]["median_response_gap_s"]) for n in names])
    row("words per minute", [
        "-" if speakers[n]["words_per_minute"] is None else f"{speakers[n]['words_per_minute']:.0f}"
        for n in names
    ])  # fmt: skip
    rows.append(
        f"  conversation: {talk['switches_per_minute']:.1f} speaker switches per minute, "
        f"overlap {talk['overlap_s']:.1f} s, longest silence {_seconds(talk['longest_silence_s'])}"
        + (f" at {_mmss(talk['longest_silence_start'])}" if talk["longest_silence_start"] else "")
    )
    return rows
