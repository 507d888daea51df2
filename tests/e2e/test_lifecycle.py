"""End to end, per dialect: the real pipelines of pipelines/<dialect>/ run by the local runner.

One lifecycle per dialect (PR CI -> train-model on a push -> the registry event -> deploy-model, prod
approved) feeds every test of that dialect: the served endpoints, the champion alias, a second training
gated against that champion, a failing training that registers and deploys nothing, and the monitor
pipeline on what prod's endpoint collected: drifted scoring traffic starts training.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from drifted_data import drifted_table, request_bodies

from amlops import cli
from amlops.lifecycle.commands_run import newest_event, run_pipeline, select_pipelines
from amlops.lifecycle.events import MODEL_REGISTERED
from amlops.lifecycle.run import LifecycleResult, run_lifecycle

pytestmark = pytest.mark.slow
DIALECTS = ("azure-devops", "github")
PIPELINE_FILE = {"azure-devops": "pipelines/azure-devops/{}.yml", "github": "pipelines/github/{}.yml"}


def amlops(state: Path, project: Path, *argv: str, capsys: pytest.CaptureFixture[str] | None = None) -> Any:
    """Run an amlops verb in-process; its result is the last line of stdout."""
    code = cli.main(["--state-dir", str(state), "--project-dir", str(project), *argv])
    if capsys is None:
        return code
    out = capsys.readouterr().out
    return code, json.loads(out.strip().splitlines()[-1])


def settings(project: Path, environment: str) -> dict[str, Any]:
    return yaml.safe_load((project / "pipelines" / "config" / f"{environment}.yml").read_text())["variables"]


class Lifecycle:
    def __init__(self, dialect: str, project: Path, state: Path, result: LifecycleResult, log: str) -> None:
        self.dialect, self.project, self.state, self.result, self.log = dialect, project, state, result, log


@pytest.fixture(scope="module", params=DIALECTS)
def lifecycle(
    request: pytest.FixtureRequest, project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Lifecycle]:
    dialect = request.param
    state = tmp_path_factory.mktemp(f"state-{dialect}")
    out = io.StringIO()
    try:
        result = run_lifecycle(project, dialect=dialect, state_dir=state, approve=True, out=out)
        print(result.table())
        yield Lifecycle(dialect, project, state, result, out.getvalue())
    finally:
        for environment in ("dev", "prod"):
            amlops(
                state,
                project,
                "delete-endpoint",
                "--endpoint",
                settings(project, environment)["onlineEndpoint"],
            )


def test_lifecycle_ends_with_a_served_champion(
    lifecycle: Lifecycle, capsys: pytest.CaptureFixture[str]
) -> None:
    result = lifecycle.result
    stages = [(p.stage, p.path.name if p.path else None, p.status) for p in result.pipelines]
    assert result.ok, f"{stages}\n{lifecycle.log[-6000:]}"
    assert stages == [
        ("pr-ci", "pr-ci.yml", "succeeded"),
        ("train", "train-model.yml", "succeeded"),
        ("deploy", "deploy-model.yml", "succeeded"),
    ]
    assert result.registered is not None
    model, version = result.model, result.version
    # the train job's last step published the run report as the pipeline artifact run-report
    [train] = [p for p in result.pipelines if p.stage == "train"]
    report = train.run_dir / "artifacts" / "run-report"
    assert sorted(p.name for p in report.iterdir()) == ["report.html", "summary.md"]
    assert f"{model} version {version}" in (report / "report.html").read_text()
    assert model == settings(lifecycle.project, "dev")["modelName"]
    _, status = amlops(lifecycle.state, lifecycle.project, "status", capsys=capsys)
    [registered] = [m for m in status["models"] if m["name"] == model and str(m["version"]) == version]
    assert "champion" in registered["aliases"]
    assert settings(lifecycle.project, "prod")["smokeRequest"] == ""  # the model's own smoke request
    for environment in ("dev", "prod"):
        endpoint = settings(lifecycle.project, environment)["onlineEndpoint"]
        [served] = [e for e in status["endpoints"] if e["name"] == endpoint]
        live = max(served["traffic"], key=served["traffic"].get)
        assert served["deployments"][live]["model"] == f"{model}:{version}"  # the same version promoted
        code, answer = amlops(
            lifecycle.state, lifecycle.project, "invoke", "--endpoint", endpoint, capsys=capsys
        )
        assert code == 0
        assert answer["request"] == f"{model}:{version}/smoke-request.json"
        predictions = answer["response"]["predictions"]
        assert len(predictions) == 5  # the test rows evaluate put into the bundle
        assert all(isinstance(p, (int, float)) for p in predictions)


def test_second_training_is_gated_against_the_champion(lifecycle: Lifecycle) -> None:
    before = newest_event(lifecycle.state, MODEL_REGISTERED)
    [train] = select_pipelines(
        lifecycle.project, "push", dialect_only=lifecycle.dialect, changed_paths=["data-science/contract.yml"]
    )
    out = io.StringIO()
    outcome = run_pipeline(
        train, repo_root=lifecycle.project, state_dir=lifecycle.state, event="push", out=out
    )
    log = out.getvalue()
    assert outcome.code == 0, log[-6000:]
    decisions = sorted((lifecycle.state / "runs").glob("*/decision.json"), key=lambda p: p.stat().st_mtime)
    decision = json.loads(decisions[-1].read_text())
    assert decision["champion_compared"] is True, decision
    assert str(decision["champion"]["version"]) == lifecycle.result.version
    after = newest_event(lifecycle.state, MODEL_REGISTERED)
    if decision["passed"]:
        assert after is not None
    else:
        assert after == before  # rejected: nothing registered, so nothing to deploy


def test_failing_training_registers_and_deploys_nothing(
    lifecycle: Lifecycle, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = lifecycle.project / "bad-data" / f"{lifecycle.dialect}.parquet"
    bad.parent.mkdir(exist_ok=True)
    frame = pd.read_parquet(lifecycle.project / "data-science" / "data" / "sample.parquet").head(500)
    frame["trip_distance"] = -5.0  # outside the contract's range
    frame.to_parquet(bad)
    _, status = amlops(lifecycle.state, lifecycle.project, "status", capsys=capsys)
    versions_before = {(m["name"], str(m["version"])) for m in status["models"]}
    event_before = newest_event(lifecycle.state, MODEL_REGISTERED)
    path = lifecycle.project / PIPELINE_FILE[lifecycle.dialect].format("train-model")
    relative = bad.relative_to(lifecycle.project).as_posix()
    selection = (
        {"inputs": {"data-path": relative}}
        if lifecycle.dialect == "github"
        else {"parameters": {"dataPath": relative}}
    )
    out = io.StringIO()
    outcome = run_pipeline(
        path, repo_root=lifecycle.project, state_dir=lifecycle.state, event="manual", out=out, **selection
    )
    log = out.getvalue()
    assert outcome.code == 1, log[-6000:]
    assert "trip_distance" in log  # the validation failure names the column
    _, status = amlops(lifecycle.state, lifecycle.project, "status", capsys=capsys)
    assert {(m["name"], str(m["version"])) for m in status["models"]} == versions_before
    assert newest_event(lifecycle.state, MODEL_REGISTERED) == event_before  # no registry event: no deploy


def test_a_training_run_that_fails_in_its_pipeline_still_gets_its_report(
    lifecycle: Lifecycle, capsys: pytest.CaptureFixture[str]
) -> None:
    """The data is valid but the train component dies: the job fails, nothing is registered, and the run
    report (with the failed step) is still written and published, as for every training run."""
    train_py = lifecycle.project / "data-science" / "src" / "datascience" / "train.py"
    original = train_py.read_text(encoding="utf-8")
    _, status = amlops(lifecycle.state, lifecycle.project, "status", capsys=capsys)
    versions_before = {(m["name"], str(m["version"])) for m in status["models"]}
    path = lifecycle.project / PIPELINE_FILE[lifecycle.dialect].format("train-model")
    train_py.write_text(
        original.replace(
            "def main(argv",
            'def main(argv=None):\n    raise SystemExit("broken on purpose")\n\n\ndef _main(argv',
            1,
        ),
        encoding="utf-8",
    )
    try:
        out = io.StringIO()
        outcome = run_pipeline(
            path, repo_root=lifecycle.project, state_dir=lifecycle.state, event="manual", out=out
        )
    finally:
        train_py.write_text(original, encoding="utf-8")
    log = out.getvalue()
    assert outcome.code == 1, log[-6000:]
    assert "broken on purpose" in log, log[-6000:]
    report = outcome.result.run_dir / "artifacts" / "run-report"
    assert sorted(p.name for p in report.iterdir()) == ["report.html", "summary.md"], log[-6000:]
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "train" in page
    assert "failed" in page.lower()
    _, status = amlops(lifecycle.state, lifecycle.project, "status", capsys=capsys)
    assert {(m["name"], str(m["version"])) for m in status["models"]} == versions_before


def test_monitor_reads_what_prod_collected_and_retrains_on_drift(
    lifecycle: Lifecycle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Runs last on its dialect: clients send prod drifted rows; the scheduled monitor run (no data given)
    compares what prod's data collector logged with the training snapshot and starts training."""
    project, state = lifecycle.project, lifecycle.state
    endpoint = settings(project, "prod")["onlineEndpoint"]
    table = drifted_table(project, tmp_path / "drifted.parquet", rows=1_500, seed=7)
    for index, body in enumerate(request_bodies(table, per_request=500)):
        request = tmp_path / f"request-{index}.json"
        request.write_bytes(body)
        code, answer = amlops(
            state, project, "invoke", "--endpoint", endpoint, "--request", str(request), capsys=capsys
        )
        assert code == 0, answer
    collected = list((state / "modelDataCollector" / endpoint).rglob("model_inputs/*/*/*/*/*.jsonl"))
    assert collected, "prod's data collector logged nothing"
    decisions_before = len(list((state / "runs").glob("*/decision.json")))
    [path] = [
        p
        for p in select_pipelines(project, "schedule", dialect_only=lifecycle.dialect)
        if p.stem == "monitor"
    ]
    out = io.StringIO()
    outcome = run_pipeline(path, repo_root=project, state_dir=state, event="schedule", out=out)
    log = out.getvalue()
    assert outcome.code == 0, log[-6000:]
    assert '{"drifted":true,' in log, log[-6000:]
    assert re.search(rf"{endpoint}/\w+ model inputs since", log), log[-6000:]  # the collected data, named
    decisions_after = len(list((state / "runs").glob("*/decision.json")))
    assert decisions_after == decisions_before + 1, "the drift did not start the training pipeline"
