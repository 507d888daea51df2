"""Fixtures for amlops's tests: a copy of the miniature project, a CLI runner, server cleanup."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from amlops.cli import main

FAKE_PROJECT = Path(__file__).parent / "testdata" / "fake_project"


@dataclass
class CliResult:
    code: int
    result: dict[str, Any]
    stdout: str
    stderr: str


def _stop_servers(state_dir: Path) -> None:
    """Kill every inference server a test started (by the pids recorded in its state folder)."""
    from amlops import processes
    from amlops.backends.local.endpoints import OnlineEndpoints

    endpoints = OnlineEndpoints(state_dir)
    if endpoints.root.is_dir():
        for path in endpoints.root.glob("*.json"):
            state = json.loads(path.read_text())
            for record in state.get("deployments", {}).values():
                processes.stop(record.get("pid"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(FAKE_PROJECT, target)
    return target


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow SQLite database, made once: migrating a new one takes seconds."""
    from amlops.backends.local.tracking import Tracking

    folder = tmp_path_factory.mktemp("mlflow-template")
    tracking = Tracking(folder)
    tracking.client.search_experiments()
    tracking.client._tracking_client.store.engine.dispose()
    return tracking.db


@pytest.fixture
def state_dir(tmp_path: Path, mlflow_template: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(mlflow_template, state / "mlflow.db")
    yield state
    _stop_servers(state)


@pytest.fixture
def cli(project: Path, state_dir: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `amlops --project-dir <copy> --state-dir <tmp> ARGS...` in-process; parse the last stdout line."""

    def run(*args: str | Path) -> CliResult:
        code = main(["--project-dir", str(project), "--state-dir", str(state_dir), *map(str, args)])
        out, err = capsys.readouterr()
        lines = [line for line in out.splitlines() if line.strip()]
        result = json.loads(lines[-1]) if lines else {}
        return CliResult(code, result, out, err)

    return run


@pytest.fixture
def trained(cli: Callable[..., CliResult], project: Path) -> Callable[..., str]:
    """Register and validate the good data and run the fake train pipeline; returns a function giving the
    run id."""

    def train(*sets: str) -> str:
        assert cli("register-data", "--name", "d", "--path", project / "data/good.csv").code == 0
        assert cli("validate-data", "--name", "d").code == 0
        args = ["run-pipeline", "--data", "d"]
        for s in sets:
            args += ["--set", s]
        run = cli(*args)
        assert run.code == 0, run.stderr
        return run.result["run_id"]

    return train
