"""promote-model on the azure backend: a version copied from the dev workspace into prod's, digests checked,
against the emulated service's two workspaces (no training: a small bundle registered in dev)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from amlops.backends import get_backend
from amlops.config import resolve_settings
from amlops.verbs._common import bundle_digest

from .conftest import run_cli


def _project(root: Path, service: Any) -> Path:
    """A project whose dev and prod settings name the emulator's two workspaces."""
    for environment, workspace in (("dev", service.workspace), ("prod", service.prod_workspace)):
        path = root / "pipelines" / "config" / f"{environment}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        variables = {
            "azureSubscriptionId": service.subscription,
            "resourceGroup": service.resource_group,
            "workspaceName": workspace,
        }
        path.write_text(yaml.safe_dump({"variables": variables}), encoding="utf-8")
    return root


def _bundle(folder: Path, content: bytes = b"not really onnx") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(content)
    (folder / "metrics.json").write_text('{"task": "regression", "metrics": {"rmse": 1.0}}')
    return folder


@pytest.fixture
def in_dev(azure: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """This process connected to dev, in a project naming dev and prod; returns the dev backend."""
    monkeypatch.setenv("AMLOPS_PROJECT_DIR", str(_project(tmp_path / "project", azure)))
    return get_backend(resolve_settings(backend="azure"))


def _to_prod(azure: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZUREML_WORKSPACE_NAME", azure.prod_workspace)


def _gated(in_dev: Any, name: str, bundle: Path, digest: str | None = None) -> str:
    """Register `bundle` in dev as the gate leaves it, tagged with its digest (or `digest`): its version."""
    tags = {"bundle_digest": bundle_digest(bundle) if digest is None else digest}
    return in_dev.register_model_version(name, bundle_dir=bundle, pipeline_run_id="run-1", tags=tags).version


def _promote(capsys: pytest.CaptureFixture[str], name: str, version: str) -> Any:
    return run_cli(
        capsys, "promote-model", "--model-name", name, "--version", version, "--from-environment", "dev"
    )


def test_the_gated_version_is_copied_into_prod_and_its_digest_checked(
    azure: Any,
    in_dev: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = _bundle(tmp_path / "bundle")
    gated = bundle_digest(bundle)
    version = _gated(in_dev, "promo-copy", bundle)
    _to_prod(azure, monkeypatch)
    start = len(azure.proxy.log)
    outcome = _promote(capsys, "promo-copy", version)
    assert outcome.code == 0, outcome
    assert outcome.result == {
        "model": "promo-copy",
        "version": version,
        "from_environment": "dev",
        "copied": True,
        "digest": gated,
        "training_data": None,  # the version names no training data
    }
    seen = azure.proxy.log[start:]
    dev_reads = [
        t for m, _, t, _ in seen if m == "GET" and f"/workspaces/{azure.workspace}/models/promo-copy" in t
    ]
    copies = [
        t
        for m, _, t, _ in seen
        if m == "PUT" and f"/workspaces/{azure.prod_workspace}/models/promo-copy/versions/{version}?" in t
    ]
    assert dev_reads
    assert len(copies) == 1
    assert not [t for m, _, t, _ in seen if m == "PUT" and f"/workspaces/{azure.workspace}/" in t]
    # one identity, one sign-in: the copy into prod uses the token of the read from dev
    assert [h for m, h, _, _ in seen if m == "POST" and h == "login.microsoftonline.com"] == [
        "login.microsoftonline.com"
    ]
    copy = azure.store.get(
        azure.path("models", "promo-copy", "versions", version, workspace=azure.prod_workspace)
    )
    assert copy["properties"]["tags"]["bundle_digest"] == gated
    assert copy["properties"]["tags"]["promoted_from"] == f"dev:promo-copy:{version}"
    # the copy's bytes, read back from prod's storage, are the gated ones
    served = azure.jobs._download_uri(copy["properties"]["modelUri"], tmp_path / "copy", folder=True)
    assert bundle_digest(next(served.rglob("metrics.json")).parent) == gated
    # again: nothing copied, the copy checked
    start = len(azure.proxy.log)
    again = _promote(capsys, "promo-copy", version)
    assert (again.code, again.result["copied"], again.result["digest"]) == (0, False, gated)
    assert not [t for m, _, t, _ in azure.proxy.log[start:] if m == "PUT"]


def test_the_training_data_travels_with_the_version_and_its_hash_is_checked(
    azure: Any,
    in_dev: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """prod's monitor compares prod's scoring inputs with the data the champion trained on: promotion copies
    that data version (its lineage tags) from dev's workspace, its content hash checked."""
    table = tmp_path / "snapshot" / "train.csv"
    table.parent.mkdir()
    table.write_text("x,y\n1,2\n3,4\n")
    data = in_dev.register_data("promo-data", table)
    bundle = _bundle(tmp_path / "bundle", b"trained on promo-data")
    tags = {"bundle_digest": bundle_digest(bundle), "data_asset": data.name, "data_version": data.version}
    version = in_dev.register_model_version(
        "promo-lineage", bundle_dir=bundle, pipeline_run_id="r", tags=tags
    )
    _to_prod(azure, monkeypatch)
    outcome = _promote(capsys, "promo-lineage", version.version)
    assert outcome.code == 0, outcome
    prod = get_backend(resolve_settings(backend="azure"))
    copied = prod.get_data("promo-data", outcome.result["training_data"].split(":")[1])
    assert copied.hash == data.hash
    assert copied.tags["promoted_from"] == f"dev:promo-data:{data.version}"
    # promoted again: the data already there (the same content) is reused, not copied again
    again = _promote(capsys, "promo-lineage", version.version)
    assert again.result["training_data"] == outcome.result["training_data"]
    assert [d.version for d in prod.list_data() if d.name == "promo-data"] == [copied.version]

    # training data whose bytes are not the ones it was registered with is refused, nothing copied
    other = tmp_path / "other" / "train.csv"
    other.parent.mkdir()
    other.write_text("x,y\n9,9\n")
    monkeypatch.setenv("AZUREML_WORKSPACE_NAME", azure.workspace)
    moved = in_dev.register_data("promo-moved", other)
    in_dev.tag_data("promo-moved", moved.version, {"amlops.content_hash": data.hash})
    tags = {**tags, "data_asset": "promo-moved", "data_version": moved.version}
    tampered = in_dev.register_model_version(
        "promo-lineage-2", bundle_dir=bundle, pipeline_run_id="r2", tags=tags
    )
    _to_prod(azure, monkeypatch)
    refused = _promote(capsys, "promo-lineage-2", tampered.version)
    assert refused.code == 3, refused
    assert f"not the {data.hash} it was registered with" in refused.result["error"]
    assert not [d for d in prod.list_data() if d.name == "promo-moved"]


def test_bytes_that_are_not_the_gated_ones_are_refused(
    azure: Any,
    in_dev: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = _bundle(tmp_path / "bundle")
    other = bundle_digest(_bundle(tmp_path / "other", b"the bytes that passed"))
    version = _gated(in_dev, "promo-changed", bundle, other)
    unmarked = in_dev.register_model_version(
        "promo-unmarked", bundle_dir=bundle, pipeline_run_id="run-1", tags={}
    ).version
    _to_prod(azure, monkeypatch)
    changed = _promote(capsys, "promo-changed", version)
    assert changed.code == 3
    assert f"not the gated {other}" in changed.result["error"]
    assert "environment dev's registry" in changed.result["error"]
    missing = _promote(capsys, "promo-unmarked", unmarked)
    assert missing.code == 3
    assert "carries no bundle_digest tag" in missing.result["error"]
    for name in ("promo-changed", "promo-unmarked"):  # nothing reached prod
        assert azure.store.get(azure.path("models", name, workspace=azure.prod_workspace)) is None


def test_a_different_version_already_in_prod_under_that_number_is_refused(
    azure: Any,
    in_dev: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = _bundle(tmp_path / "bundle")
    version = _gated(in_dev, "promo-taken", bundle)
    _to_prod(azure, monkeypatch)
    prod = get_backend(resolve_settings(backend="azure"))
    prod.import_model_version(
        "promo-taken", version, bundle_dir=_bundle(tmp_path / "other", b"other"), tags={}
    )
    outcome = _promote(capsys, "promo-taken", version)
    assert outcome.code == 3
    assert "in this environment's registry (azure) has digest" in outcome.result["error"]


def test_the_same_workspace_copies_nothing(
    azure: Any, in_dev: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = _bundle(tmp_path / "bundle")
    version = _gated(in_dev, "promo-same", bundle)
    start = len(azure.proxy.log)
    outcome = _promote(capsys, "promo-same", version)  # this process is connected to dev, dev promotes dev
    assert (outcome.code, outcome.result["copied"]) == (0, False)
    assert not [t for m, _, t, _ in azure.proxy.log[start:] if m == "PUT"]
