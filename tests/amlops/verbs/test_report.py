"""amlops report on real local runs: the report file, the MLflow artifact, the CI summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlops.backends.local.tracking import Tracking
from amlops.cli import main

REPO = Path(__file__).resolve().parents[3]


def test_report_of_a_gated_registered_run(cli, trained, project: Path, state_dir: Path, tmp_path) -> None:
    run_id = trained()
    assert cli("gate", "--run-id", run_id, "--model-name", "m").result["passed"] is True
    assert cli("register-model", "--run-id", run_id, "--model-name", "m").code == 0
    out = tmp_path / "out"
    result = cli("report", "--run-id", run_id, "--model-name", "m", "--output-dir", out)
    assert result.code == 0, result.stderr
    doc = result.result
    assert (doc["run_id"], doc["passed"], doc["registered_version"]) == (run_id, True, "1")
    assert doc["report"] == str((out / "report.html").resolve())
    html = (out / "report.html").read_text()
    assert f"Run report: {run_id}" in html
    assert "Content-Security-Policy" in html
    assert "<script" not in html
    assert 'class="chart metrics"' in html
    assert "No champion yet" in html  # the first model: no reference data for drift
    # logged with the run: an MLflow artifact of the pipeline run's parent MLflow run
    mlflow_run = json.loads((state_dir / "runs" / run_id / "amlops.json").read_text())["mlflow_run_id"]
    assert doc["artifact"] == f"runs:/{mlflow_run}/report/report.html"
    listed = Tracking(state_dir).client.list_artifacts(mlflow_run, "report")
    assert [a.path for a in listed] == ["report/report.html"]
    assert doc["ci_summary"] is None  # not a pipeline step


def test_a_rejected_run_against_a_champion_on_other_data_reports_drift(
    cli, trained, project: Path, state_dir: Path
) -> None:
    from amlops.backends.local import LocalBackend
    from amlops.config import resolve_settings

    first = trained("rmse=3.0")
    cli("gate", "--run-id", first, "--model-name", "m")
    cli("register-model", "--run-id", first, "--model-name", "m")
    LocalBackend(resolve_settings(state_dir=state_dir, environ={})).set_alias("m", "champion", "1")
    assert (
        cli("register-data", "--name", "d", "--path", project / "data/drifted.csv").result["version"] == "2"
    )
    assert cli("validate-data", "--name", "d", "--version", "2").code == 0
    worse = cli("run-pipeline", "--data", "d:2", "--set", "rmse=5.0")
    assert worse.code == 0, worse.stderr
    run_id = worse.result["run_id"]
    assert cli("gate", "--run-id", run_id, "--model-name", "m").result["passed"] is False

    result = cli("report", "--run-id", run_id, "--model-name", "m")
    assert result.code == 0, result.stderr
    doc = result.result
    assert (doc["passed"], doc["registered_version"], doc["drift"]) == (False, None, True)
    assert doc["report"] == str(state_dir / "reports" / run_id / "report.html")
    html = Path(doc["report"]).read_text()
    assert "champion: version 1" in html
    assert 'class="chart drift"' in html
    assert "azureml:d:1" in html
    assert "azureml:d:2" in html
    assert "rejected" in html
    # drift for the report is a look, not an alarm: no data-drift-detected event
    assert all(e["type"] != "data-drift-detected" for e in cli("status").result.get("events", []))
    assert (
        not list((state_dir).glob("events.jsonl"))
        or "data-drift-detected" not in (state_dir / "events.jsonl").read_text()
    )


def test_in_a_github_step_the_summary_goes_to_the_job_summary(
    trained, project: Path, state_dir: Path, tmp_path: Path, capsys
) -> None:
    run_id = trained()
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    environ |= {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "team/taxi (fares)",
        "GITHUB_RUN_ID": "4242",
    }
    argv = ["--project-dir", str(project), "--state-dir", str(state_dir), "--output", "report=report"]
    argv += ["report", "--run-id", run_id, "--model-name", "m", "--artifact-name", "run-report"]
    assert main(argv, environ=environ) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["ci_summary"] == "github job summary"
    text = summary.read_text()
    assert text.startswith("## Run report: ")
    assert "gate **not gated**" in text
    # the artifact's name links the run page's artifacts (the link target escaped for Markdown)
    link = "https://github.com/team/taxi%20%28fares%29/actions/runs/4242#artifacts"
    assert f"the pipeline artifact [**run-report**]({link})" in text
    assert f"report={result['report']}" in output.read_text().splitlines()


def test_in_an_azure_devops_step_the_summary_is_uploaded(cli, trained, tmp_path: Path) -> None:
    run_id = trained()
    result = cli(
        "--ci-outputs",
        "azure-devops",
        "report",
        "--run-id",
        run_id,
        "--model-name",
        "m",
        "--output-dir",
        tmp_path / "r",
    )
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"##vso[task.uploadsummary]{(tmp_path / 'r' / 'summary.md').resolve()}" in lines
    assert lines[-2].startswith("##vso[task.setvariable variable=result;isOutput=true]")


@pytest.mark.slow
def test_the_report_of_a_training_run_on_the_sample_opens_in_chromium(
    state_dir: Path, tmp_path: Path, capsys
) -> None:
    """The project's own pipeline on the committed sample: the real bundle's scatter plot, in a browser."""
    from chromium import chromium_binary, open_page

    def amlops(*args: str | Path) -> dict:
        code = main(["--project-dir", str(REPO), "--state-dir", str(state_dir), *map(str, args)])
        out, err = capsys.readouterr()
        assert code == 0, err[-3000:]
        return json.loads(out.splitlines()[-1])

    amlops("register-data", "--name", "taxi", "--path", REPO / "data-science/data/sample.parquet")
    amlops("validate-data", "--name", "taxi")
    run = amlops("run-pipeline", "--data", "taxi")
    run_id = run["run_id"]
    evaluation = json.loads(Path(run["outputs"]["model_bundle"], "evaluation.json").read_text())
    amlops("gate", "--run-id", run_id, "--model-name", "taxi-model")
    result = amlops(
        "report", "--run-id", run_id, "--model-name", "taxi-model", "--output-dir", tmp_path / "r"
    )
    html = Path(result["report"]).read_text()
    for kind in ("metrics", "scatter"):
        assert f'class="chart {kind}"' in html
    assert html.count('class="point"') == len(evaluation["actual"]) > 0  # predicted against actual
    assert "sha256:" in html  # the data hash in the lineage
    if chromium_binary() is None:
        pytest.skip("chromium is not installed (make tools installs it)")
    with open_page(Path(result["report"]).as_uri(), tmp_path / "profile") as page:
        assert page.console_errors == []
        sizes = page.evaluate(
            "[...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)"
        )
        assert len(sizes) == 2
        assert min(sizes) > 100
        shot = page.screenshot(tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
