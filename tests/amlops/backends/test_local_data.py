"""Data assets: content-hashed, versioned snapshots; identical content reuses its version."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.backends.local.data import DataStore, content_hash
from amlops.errors import NotFoundError, UsageError


def test_register_snapshots_and_versions(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    source = tmp_path / "a.csv"
    source.write_text("x\n1\n")
    first = store.register("trips", source)
    assert (first.version, first.created) == ("1", True)
    assert first.path.read_text() == "x\n1\n"
    assert first.reference == "azureml:trips:1"

    again = store.register("trips", source)
    assert (again.version, again.created, again.hash) == ("1", False, first.hash)

    source.write_text("x\n2\n")
    second = store.register("trips", source)
    assert (second.version, second.created) == ("2", True)
    assert first.path.read_text() == "x\n1\n"  # the snapshot did not follow the source
    assert store.get("trips").version == "2"
    assert store.get("trips", "1").hash == first.hash
    assert [a.version for a in store.list()] == ["1", "2"]


def test_folders_hash_names_and_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.csv").write_text("1")
    h1 = content_hash(folder)
    (folder / "a.csv").rename(folder / "b.csv")
    assert content_hash(folder) != h1
    asset = DataStore(tmp_path / "data").register("folder", folder)
    assert (asset.path / "b.csv").read_text() == "1"


def test_errors(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    with pytest.raises(NotFoundError, match="no data asset"):
        store.get("nope")
    with pytest.raises(NotFoundError):
        store.register("x", tmp_path / "missing.csv")
    with pytest.raises(UsageError, match="invalid data asset name"):
        store.register("../evil", tmp_path)
    (tmp_path / "a.csv").write_text("1")
    store.register("x", tmp_path / "a.csv")
    with pytest.raises(NotFoundError, match="no version '7'"):
        store.get("x", "7")
