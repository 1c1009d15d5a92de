"""Recordings and transcripts into a conversation: analyze, and the models it can use."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from media.models import ModelInfo
from server.cli.common import UsageError, _mmss, model_store
from server.settings import Settings


def _sources(args: argparse.Namespace) -> list[Any]:
    from media.sources import TrackSource, check_speaker, parse_track, stereo_sources

    modes = sum(bool(x) for x in (args.track, args.stereo, args.file, args.transcript))
    if modes != 1:
        raise UsageError(
            "give the recording one way: --track NAME=PATH (once per person), "
            "--stereo PATH --channels A,B, one FILE with --speaker NAME, "
            "or --transcript FILE (WebVTT, SRT or Tandem JSON)"
        )
    if args.speaker_map:
        raise UsageError("--speaker-map goes with --transcript FILE")
    if args.track:
        if args.speaker or args.channels:
            raise UsageError("--speaker and --channels do not go with --track NAME=PATH")
        return [parse_track(spec) for spec in args.track]
    if args.stereo:
        if args.speaker:
            raise UsageError("--speaker goes with a single FILE; with --stereo use --channels A,B")
        return stereo_sources(Path(args.stereo).expanduser(), args.channels or "mentor,mentee")
    if args.channels:
        raise UsageError("--channels goes with --stereo PATH")
    return [TrackSource(speaker=check_speaker(args.speaker or "speaker"), path=Path(args.file))]


def _held_at(raw: str | None) -> datetime:
    if not raw:
        return datetime.now(UTC)
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"--date wants YYYY-MM-DD or an ISO date-time, got {raw!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _language(model: ModelInfo, requested: str | None) -> str | None:
    if requested is None or requested == "auto":
        return model.default_language
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = requested.lower()
    if code not in _LANGUAGE_CODES:
        raise UsageError(f"unknown language {requested!r}: use an ISO code such as en, de, fr")
    if not model.multilingual and code != "en":
        raise UsageError(
            f"model {model.name} is English-only; use a multilingual model (--model base)"
        )
    return code


def cmd_analyze(args: argparse.Namespace, settings: Settings) -> int:
    from media.insight.analysis import analyze_conversation
    from media.pipeline import analyze_tracks
    from media.sources import load_tracks
    from media.transcriber import DecodeOptions, load_model
    from server.progress import ProgressBar

    if not 1 <= args.beam <= 10:
        raise UsageError(f"--beam must be between 1 and 10, got {args.beam}")
    if args.title is not None:
        from server.db.sessions import clean_title

        try:
            args.title = clean_title(args.title)
        except ValueError as exc:
            raise UsageError(f"--title: {exc}") from None
    held_at = _held_at(args.date)
    if args.transcript:
        from media.transcript_import import parse_speaker_map, read_transcript

        if args.track or args.stereo or args.file or args.channels or args.speaker:
            raise UsageError("--transcript FILE goes alone: no recordings, --channels or --speaker")

        if args.speaker_map is not None and not args.speaker_map.strip():
            raise UsageError("--speaker-map: give NAME=LABEL pairs, e.g. Ana=mentor,Sam=mentee")
        sources: list[Any] = []
        transcript = read_transcript(
            Path(args.transcript).expanduser(), parse_speaker_map(args.speaker_map)
        )
    else:
        sources = _sources(args)
        store = model_store(settings)
        info = store.resolve(args.model or settings.model)
        store.check(info)
        language = _language(info, args.language)
        progress = ProgressBar("transcribing")
        progress.status(f"decoding {len({s.path for s in sources})} file(s)…")
        tracks = load_tracks(sources)
        progress.status(f"loading model {info.name}…")
        model = load_model(info, settings.compute_type, settings.cpu_threads)
        try:
            transcript = analyze_tracks(
                tracks, model, DecodeOptions(beam_size=args.beam, language=language),
                progress.update,
            )  # fmt: skip
        finally:
            progress.close()
    if not transcript.utterances:
        print("tandem: warning: no speech was found in the recording", file=sys.stderr)
    analysis = analyze_conversation(transcript, held_at.date(), settings.targets)
    document = transcript.to_json()
    document.update(analysis.to_json(transcript))
    imported = not sources
    if imported:
        # Cue times, not voice activity: the talk figures are approximate.
        document["talk_approximate"] = True
    if args.save:
        from server.db.engine import Database
        from server.db.store import save_transcript
        from server.db.tables import Mentorship

        title = args.title or (
            Path(args.transcript).stem[:300] if imported else _default_title(sources)
        )
        database = Database.open(settings.database_url)
        try:
            with database.sessions() as db:
                if args.mentorship is not None and db.get(Mentorship, args.mentorship) is None:
                    raise UsageError(f"--mentorship: there is no mentorship {args.mentorship}")
                session_id = save_transcript(
                    db, transcript, title, held_at, mentorship_id=args.mentorship,
                    analysis=analysis, approximate=imported,
                )  # fmt: skip
        finally:
            database.close()
        document["session_id"] = session_id
        print(f"saved session {session_id}: {settings.base_url}/sessions/{session_id}")
    if args.json:
        _write_json(document, args.json)
    elif not args.save:
        for u in transcript.utterances:
            print(f"[{_mmss(u.start_s)}] {u.speaker}: {u.text}")
    return 0


def _default_title(sources: Sequence[Any]) -> str:
    stems = sorted({s.path.stem for s in sources})
    return " + ".join(stems)[:300] or "Recording"


def _write_json(document: dict[str, Any], target: str) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if target == "-":
        sys.stdout.write(text)
        return
    path = Path(target).expanduser()
    if path.parent and not path.parent.exists():
        raise UsageError(f"--json: folder {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


# -- models ----------------------------------------------------------------------------------
def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    store = model_store(settings)
    models = store.available()
    if not models:
        print("no models found. " + "Install Tandem's dependencies; see models/README.md")
        return 1
    bad = 0
    rows = []
    for info in models:
        report = store.verify(info)
        if not report.ok:
            bad += 1
        state = "ok" if report.ok else "BROKEN: " + "; ".join(report.problems)
        if report.note:
            state = f"ok ({report.note})"
        default = " (default)" if info.name == settings.model else ""
        rows.append(
            {
                "name": info.name + default,
                "languages": info.languages,
                "size": f"{info.size_bytes / 1e6:.0f} MB",
                "origin": info.origin,
                "path": str(info.path) if info.path else "-",
                "integrity": state,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']}")
            for key in ("languages", "size", "origin", "path", "integrity"):
                print(f"  {key:<10} {row[key]}")
    return 1 if bad else 0
