"""deploy-batch runs the project's batch deployment and checks its output; check-drift runs drift."""

from __future__ import annotations

from pathlib import Path

from amlops.backends.local.events import EventLog


def test_deploy_batch_scores_every_row(cli, trained, project: Path, tmp_path: Path) -> None:
    run_id = trained("scale=2.0")
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.csv").write_text("x\n1\n2\n")
    (inputs / "b.csv").write_text("x\n3\n")
    out = tmp_path / "out"
    result = cli(
        "deploy-batch",
        "--endpoint",
        "batch",
        "--model-name",
        "m",
        "--alias",
        "challenger",
        "--input",
        inputs,
        "--output",
        out,
    )
    assert result.code == 0, result.stderr
    assert (result.result["rows"], result.result["deployment"]) == (3, "v1")
    assert result.result["columns"] == ["row", "prediction", "error"]
    # mini_batch_size 2 in the spec: both files are one mini-batch, written by run() into the output
    written = sorted(p.name for p in out.iterdir())
    assert written == [".amlops-batch-output", "predictions-a.csv"]  # the marker: amlops wrote this folder
    lines = (out / "predictions-a.csv").read_text().splitlines()[1:]
    assert lines == ["a.csv:0,2.0,", "a.csv:1,4.0,", "b.csv:0,6.0,"]
    status = cli("status").result["endpoints"]
    assert [(e["name"], e["kind"]) for e in status] == [("batch", "batch")]

    # a second job (another environment's endpoint) into the same --output: only its own files are there
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.csv").write_text("x\n5\n")
    argv = ("--model-name", "m", "--version", "1", "--input", other, "--output", out)
    second = cli("deploy-batch", "--endpoint", "batch-prod", *argv)
    assert (second.code, second.result["rows"]) == (0, 1), second.stderr
    assert sorted(p.name for p in out.iterdir()) == [".amlops-batch-output", "predictions-c.csv"]

    # --output never replaces a folder amlops did not write, nor one holding the project or the input
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for target, message in ((foreign, "was not written by amlops deploy-batch"), (project, "holds")):
        refused = cli("deploy-batch", "--endpoint", "batch-prod", *argv[:-1], target)
        assert refused.code == 2
        assert message in refused.result["error"]
    assert (foreign / "notes.txt").read_text() == "mine"


def test_rejected_rows_fail_the_smoke_batch_with_their_reasons(cli, trained, tmp_path: Path) -> None:
    run_id = trained("scale=2.0")
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    sample = tmp_path / "in.csv"
    sample.write_text("x\n1\nabc\n")
    result = cli("deploy-batch", "--endpoint", "b", "--model-name", "m", "--version", "1", "--input", sample)
    assert result.code == 1
    assert result.result["problems"] == ["1 of 2 input row(s) were rejected: x: 'abc' is not a number"]


def test_deploy_batch_runs_its_own_code_snapshot(
    cli, trained, project: Path, state_dir: Path, tmp_path: Path
) -> None:
    """A deployment keeps the code it was created with, as Azure ML's code snapshot: editing the
    checkout afterwards changes nothing until the next deploy."""
    run_id = trained("scale=2.0")
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    sample = tmp_path / "in.csv"
    sample.write_text("x\n1\n")
    argv = ("--endpoint", "batch", "--model-name", "m", "--version", "1", "--input", sample)
    assert cli("deploy-batch", *argv).code == 0
    script = project / "data-science/src/fakeds/batch_score.py"
    script.write_text(script.read_text().replace("* scale", "* scale * 100"))
    from amlops.backends.local import LocalBackend
    from amlops.config import resolve_settings

    backend = LocalBackend(resolve_settings(state_dir=state_dir, project_dir=project))
    job = backend.run_batch("batch", input_dir=sample.parent)
    assert (job.output_dir / "predictions-in.csv").read_text().splitlines()[1] == "in.csv:0,2.0,"


def test_a_scoring_script_that_cannot_start_fails_the_job(cli, trained, tmp_path: Path, monkeypatch) -> None:
    run_id = trained("scale=2.0")
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    sample = tmp_path / "in.csv"
    sample.write_text("x\n1\n")
    monkeypatch.setenv("FAKE_BATCH_FAIL", "1")
    result = cli("deploy-batch", "--endpoint", "b", "--model-name", "m", "--version", "1", "--input", sample)
    assert result.code == 1
    assert "failed (exit 2)" in result.stderr
    assert "the scoring script refuses to start" in result.stderr


def test_a_malformed_batch_deployment_spec_names_file_and_line(
    cli, trained, project: Path, tmp_path: Path
) -> None:
    run_id = trained("scale=2.0")
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    spec = project / "pipelines/azureml/batch-deployment.yml"
    spec.write_text(spec.read_text().replace("output_action: summary_only", "output_action: write_all"))
    sample = tmp_path / "in.csv"
    sample.write_text("x\n1\n")
    result = cli("deploy-batch", "--endpoint", "b", "--model-name", "m", "--version", "1", "--input", sample)
    assert result.code == 2
    assert "batch-deployment.yml:13" in result.stderr
    assert "settings.output_action must be one of append_row, summary_only, got 'write_all'" in result.stderr


def test_deploy_batch_takes_a_single_file(cli, trained, tmp_path: Path) -> None:
    """The component takes a folder (uri_folder); a file (e.g. the committed sample) is staged into one."""
    run_id = trained("scale=2.0")
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    sample = tmp_path / "sample.csv"
    sample.write_text("x\n1\n2\n")
    argv = ("--endpoint", "batch", "--model-name", "m", "--alias", "challenger", "--input", sample)
    result = cli("deploy-batch", *argv)
    assert result.code == 0, result.stderr
    assert result.result["rows"] == 2


def test_deploy_batch_without_rows_is_a_usage_error(cli, trained, tmp_path: Path) -> None:
    run_id = trained()
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    (tmp_path / "empty").mkdir()
    empty = tmp_path / "empty"
    result = cli("deploy-batch", "--endpoint", "b", "--model-name", "m", "--version", "1", "--input", empty)
    assert result.code == 2


def test_check_drift(cli, project: Path, state_dir: Path) -> None:
    cli("register-data", "--name", "d", "--path", project / "data/good.csv")
    same = cli("check-drift", "--name", "d", "--current", project / "data/good.csv")
    assert (same.code, same.result["drifted"]) == (0, False)
    moved = cli("check-drift", "--name", "d", "--current", project / "data/drifted.csv", "--threshold", "1.0")
    assert (moved.code, moved.result["drifted"], moved.result["reference"]) == (0, True, "azureml:d:1")
    failing = cli("check-drift", "--name", "d", "--current", project / "data/drifted.csv", "--fail-on-drift")
    assert failing.code == 1
    events = EventLog(state_dir / "events.jsonl").read()
    assert [e["type"] for e in events] == ["data-drift-detected", "data-drift-detected"]


def test_status_lists_everything(cli, trained) -> None:
    run_id = trained()
    cli("gate", "--run-id", run_id, "--model-name", "m")
    cli("register-model", "--run-id", run_id, "--model-name", "m")
    result = cli("status")
    assert result.code == 0
    assert result.result["data_assets"][0]["name"] == "d"
    assert result.result["runs"][0] == {"run_id": run_id, "status": "Completed", "failed_step": None}
    assert result.result["models"] == [{"name": "m", "version": "1", "aliases": ["challenger"]}]
    assert "Model versions" in result.stderr
