"""Content hashes deciding whether a step can be reused."""

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from amlops.azureml.bindings import ResolvedInput
from amlops.azureml.fingerprint import hash_path, step_fingerprint
from amlops.azureml.runner import plan_pipeline
from amlops.azureml.spec import load_pipeline_job

TESTDATA = Path(__file__).parent / "testdata"


def test_folder_hash_follows_contents_and_names_but_not_caches(tmp_path: Path) -> None:
    folder = tmp_path / "code"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "mod.py").write_text("x = 1\n")
    first = hash_path(folder)

    (folder / "pkg" / "__pycache__").mkdir()
    (folder / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\x00")
    (folder / "other.pyc").write_bytes(b"\x00")
    assert hash_path(folder) == first

    (folder / "pkg" / "mod.py").write_text("x = 2\n")
    assert hash_path(folder) != first
    (folder / "pkg" / "mod.py").write_text("x = 1\n")
    assert hash_path(folder) == first

    (folder / "pkg" / "mod.py").rename(folder / "pkg" / "renamed.py")
    assert hash_path(folder) != first


def test_file_and_missing_hashes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("same")
    (tmp_path / "b.txt").write_text("same")
    assert hash_path(tmp_path / "a.txt") == hash_path(tmp_path / "b.txt")
    assert hash_path(tmp_path / "absent") == "missing"


def test_step_fingerprint_changes_with_literals_and_env_not_with_input_location(tmp_path: Path) -> None:
    job = load_pipeline_job(TESTDATA / "three_steps" / "pipeline.yml")
    _, plans, _ = plan_pipeline(job, run_dir=tmp_path / "run")
    prep, train = plans["prep"], plans["train"]
    base = step_fingerprint(prep)
    assert step_fingerprint(prep) == base

    copy = tmp_path / "copy.txt"
    copy.write_text((TESTDATA / "three_steps" / "data" / "raw.txt").read_text())
    moved = replace(prep, inputs=MappingProxyType({"data": ResolvedInput("data", "uri_file", copy)}))
    assert step_fingerprint(moved) == base
    copy.write_text("different\n")
    assert step_fingerprint(moved) != base

    factor = ResolvedInput("factor", "integer", 4)
    assert step_fingerprint(replace(train, inputs={**train.inputs, "factor": factor})) != step_fingerprint(
        train
    )
    env = MappingProxyType({"TRAIN_MODE": "full"})
    assert step_fingerprint(replace(train, environment_variables=env)) != step_fingerprint(train)
