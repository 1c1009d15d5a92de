"""Shared fixtures: speech the tests make themselves (espeak-ng), the real tiny.en model,
and a fresh data directory and database per test.

The database is SQLite in the data directory, or, with ``TANDEM_TEST_DATABASE=postgresql``
(or ``--db=postgresql``), a fresh PostgreSQL database of a throwaway cluster the session
starts (tests/postgres.py): the same tests run on both backends. ``sqlite_only`` tests are
skipped on PostgreSQL, ``postgresql_only`` ones on SQLite, and a PostgreSQL run leaves out the
tests that open no database (they would only repeat the SQLite run)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

from media.models import ModelStore
from media.pipeline import Track, analyze_tracks
from media.transcriber import DecodeOptions, LoadedModel, load_model
from media.transcript import Transcript
from server.bench.speech import Dialogue, Line, render_dialogue, write_wav
from server.db.engine import Database
from server.settings import Settings
from tests.postgres import Databases, running_cluster

VOICES = {"mentor": "en-us+m3", "mentee": "en-gb+f2"}
DIALOGUE = (
    Line("mentor", "Good morning. How did the presentation go on Monday?"),
    Line("mentee", "It went well, but I ran out of time before the questions."),
    Line("mentor", "That happens to everyone. Plan ten minutes for questions next time."),
    Line("mentee", "Good idea. I will practice the talk with a timer this week."),
)


@dataclass(frozen=True)
class DialogueFiles:
    mentor: Path
    mentee: Path
    stereo: Path


@pytest.fixture(scope="session")
def dialogue() -> Dialogue:
    return render_dialogue(DIALOGUE, VOICES)


@pytest.fixture(scope="session")
def dialogue_files(tmp_path_factory: pytest.TempPathFactory, dialogue: Dialogue) -> DialogueFiles:
    folder = tmp_path_factory.mktemp("dialogue")
    files = DialogueFiles(folder / "mentor.wav", folder / "mentee.wav", folder / "stereo.wav")
    write_wav(files.mentor, dialogue.tracks["mentor"])
    write_wav(files.mentee, dialogue.tracks["mentee"])
    write_wav(files.stereo, dialogue.stereo())
    return files


@pytest.fixture(scope="session")
def model_store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    return ModelStore(tmp_path_factory.mktemp("model-store"))


@pytest.fixture(scope="session")
def tiny_model(model_store: ModelStore) -> LoadedModel:
    return load_model(model_store.resolve("tiny.en"), "int8", cpu_threads=2)


@pytest.fixture(scope="session")
def dialogue_transcript(dialogue: Dialogue, tiny_model: LoadedModel) -> Transcript:
    tracks = [Track(s, dialogue.tracks[s]) for s in dialogue.speakers]
    return analyze_tracks(tracks, tiny_model, DecodeOptions())


BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=BACKENDS,
        default=None,
        help="database the tests use (default: $TANDEM_TEST_DATABASE, else sqlite)",
    )


def database_backend(config: pytest.Config) -> str:
    chosen = config.getoption("db") or os.environ.get("TANDEM_TEST_DATABASE") or "sqlite"
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"TANDEM_TEST_DATABASE must be sqlite or postgresql, not {chosen}")
    return str(chosen)


def pytest_report_header(config: pytest.Config) -> str:
    return f"tandem database: {database_backend(config)}"


def _uses_a_database(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return "database_url" in names or "postgres" in names


#: Modules that run Chromium or several server processes at once. With two workers
#: (scripts/test: pytest-xdist, --dist loadgroup) they all go to one, so at most one such
#: test runs at a time: two of them side by side would starve a 2-core machine's live captions.
HEAVY_MODULES = frozenset({"test_nodes_processes"})


def _heavy(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    if module is None:
        return False
    name = module.__name__.rpartition(".")[2]
    return name in HEAVY_MODULES or hasattr(module, "sync_playwright")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _heavy(item):
            item.add_marker(pytest.mark.xdist_group("heavy"))
    backend = database_backend(config)
    other = "postgresql_only" if backend == "sqlite" else "sqlite_only"
    skip = pytest.mark.skip(reason=f"{other.replace('_', ' ')}: this run is on {backend}")
    for item in items:
        if item.get_closest_marker(other) is not None:
            item.add_marker(skip)
    if backend == "postgresql":
        # Tests that open no database (audio, transcription, analytics) would only repeat
        # the SQLite pass: the PostgreSQL pass leaves them out.
        unused = [item for item in items if not _uses_a_database(item)]
        if unused:
            config.hook.pytest_deselected(items=unused)
            items[:] = [item for item in items if _uses_a_database(item)]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Databases]:
    """The session's throwaway PostgreSQL cluster (started on first use)."""
    with running_cluster() as databases:
        yield databases


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """This test's own PostgreSQL database when the run is on PostgreSQL; None on SQLite
    (the data directory's tandem.db)."""
    if database_backend(request.config) != "postgresql":
        yield None
        return
    databases: Databases = request.getfixturevalue("postgres")
    with databases.fresh(request.node.name) as url:
        yield url


@pytest.fixture
def env(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    """Environment for a tandem process that uses this test's own data directory."""
    environment = dict(os.environ)
    environment.update(
        TANDEM_DATA_DIR=str(tmp_path / "data"),
        TANDEM_CPU_THREADS="2",
        HF_HUB_OFFLINE="1",
    )
    environment.pop("TANDEM_DATABASE_URL", None)
    environment.pop("TANDEM_MODEL", None)
    environment.pop("TANDEM_TEST_DATABASE", None)
    if database_url is not None:
        environment["TANDEM_DATABASE_URL"] = database_url
    return environment


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database.open(settings.database_url)
    yield db
    db.close()
