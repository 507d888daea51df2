"""register-data → validate-data → run-pipeline → gate → register-model, with the fault cases."""

from __future__ import annotations

import json
from pathlib import Path

from amlops.backends.local.events import EventLog


def models(cli) -> list[dict]:
    return cli("status").result["models"]


def test_register_data_is_idempotent(cli, project: Path) -> None:
    first = cli("register-data", "--name", "d", "--path", project / "data/good.csv")
    again = cli("register-data", "--name", "d", "--path", project / "data/good.csv")
    assert (first.code, first.result["version"], first.result["created"]) == (0, "1", True)
    assert (again.code, again.result["version"], again.result["created"]) == (0, "1", False)


def test_bad_data_fails_validation_and_nothing_is_trained(cli, project: Path) -> None:
    assert cli("register-data", "--name", "bad", "--path", project / "data/bad.csv").code == 0
    result = cli("validate-data", "--name", "bad")
    assert result.code == 1
    assert result.result["success"] is False
    assert result.result["failures"] == [
        {"column": "x", "expectation": "expect_column_values_to_be_of_type", "unexpected_count": 1}
    ]
    assert "x: expect_column_values_to_be_of_type (1 unexpected)" in result.stderr
    assert result.result["validation"]["status"] == "failed"
    # run-pipeline refuses the version validate-data marked failed: nothing is submitted.
    refused = cli("run-pipeline", "--data", "bad")
    assert refused.code == 3
    assert refused.result["error_type"] == "RefusedError"
    assert "data asset bad:1 failed validation against the current contract" in refused.result["error"]
    assert "amlops validate-data --name bad --version 1" in refused.result["error"]
    assert cli("status").result["runs"] == []
    # Forced past the refusal, the pipeline's own validate step stops it: nothing to gate or register.
    run = cli("run-pipeline", "--data", "bad", "--allow-unvalidated")
    assert run.code == 1
    assert run.result["failed_step"] == "validate"
    assert run.result["steps"]["train"] == "skipped"
    assert cli("register-model", "--run-id", run.result["run_id"], "--model-name", "m").code == 3
    assert models(cli) == []


def test_good_data_validates(cli, project: Path) -> None:
    cli("register-data", "--name", "d", "--path", project / "data/good.csv")
    result = cli("validate-data", "--name", "d")
    assert (result.code, result.result["success"]) == (0, True)
    assert Path(result.result["report"], "result.json").is_file()


def test_failed_step_registers_nothing_and_a_fixed_rerun_registers_one(cli, project: Path) -> None:
    cli("register-data", "--name", "d", "--path", project / "data/good.csv")
    assert cli("validate-data", "--name", "d", "--version", "1").code == 0
    failed = cli("run-pipeline", "--data", "d", "--set", "fail_train=true")
    assert failed.code == 1
    assert failed.result["status"] == "Failed"
    assert failed.result["failed_step"] == "train"
    assert "simulated failure" in failed.result["error"]
    assert cli("gate", "--run-id", failed.result["run_id"], "--model-name", "m").code == 2
    refused = cli("register-model", "--run-id", failed.result["run_id"], "--model-name", "m")
    assert refused.code == 3
    assert models(cli) == []

    fixed = cli("run-pipeline", "--data", "d")
    assert fixed.code == 0
    run_id = fixed.result["run_id"]
    assert cli("gate", "--run-id", run_id, "--model-name", "m").result["passed"] is True
    first = cli("register-model", "--run-id", run_id, "--model-name", "m")
    again = cli("register-model", "--run-id", run_id, "--model-name", "m")
    assert (first.code, first.result["created"], first.result["aliases"]) == (0, True, ["challenger"])
    assert (again.code, again.result["created"], again.result["version"]) == (0, False, "1")
    assert [m["version"] for m in models(cli)] == ["1"]


def test_register_model_refuses_without_a_gate_decision(cli, trained) -> None:
    run_id = trained()
    result = cli("register-model", "--run-id", run_id, "--model-name", "m")
    assert result.code == 3
    assert "no gate decision" in result.result["error"]
    assert models(cli) == []


def test_lineage_tags_alias_and_event(cli, trained, state_dir: Path) -> None:
    run_id = trained("seed=7")
    gate = cli("gate", "--run-id", run_id, "--model-name", "m")
    decision = json.loads((state_dir / "runs" / run_id / "decision.json").read_text())
    assert decision["passed"] is True
    assert decision == {k: v for k, v in gate.result.items() if k != "decision_file"}
    assert cli("register-model", "--run-id", run_id, "--model-name", "m").code == 0

    from amlops.backends.local import LocalBackend
    from amlops.config import resolve_settings

    backend = LocalBackend(resolve_settings(state_dir=state_dir, environ={}))
    mv = backend.get_model_version("m", alias="challenger")
    assert mv.tags["pipeline_run_id"] == run_id
    assert mv.tags["data_asset"] == "d"
    assert mv.tags["data_version"] == "1"
    assert mv.tags["data_hash"].startswith("sha256:")
    assert mv.tags["seed"] == "7"
    assert mv.tags["metric.rmse"] == "3.0"
    assert "git_sha" not in mv.tags or len(mv.tags["git_sha"]) >= 40
    assert mv.tags["bundle_digest"] == decision["bundle_digest"]  # what promote-model checks copies against
    events = EventLog(state_dir / "events.jsonl").read()
    assert [(e["type"], e["model"], e["version"], e["alias"]) for e in events] == [
        ("model-registered", "m", "1", "challenger")
    ]
    # one local registry serves dev and prod: promoting copies nothing and checks the gated digest
    promoted = cli("promote-model", "--model-name", "m", "--version", "1", "--from-environment", "dev")
    assert (promoted.code, promoted.result["copied"]) == (0, False)
    assert promoted.result["digest"] == decision["bundle_digest"]


def test_worse_candidate_is_rejected_and_champion_stays(cli, trained, state_dir: Path) -> None:
    from amlops.backends.local import LocalBackend
    from amlops.config import resolve_settings

    first = trained("rmse=3.0")
    cli("gate", "--run-id", first, "--model-name", "m")
    cli("register-model", "--run-id", first, "--model-name", "m")
    backend = LocalBackend(resolve_settings(state_dir=state_dir, environ={}))
    backend.set_alias("m", "champion", "1")  # what deploy-online does after its smoke test

    worse = trained("rmse=5.0")
    gate = cli("gate", "--run-id", worse, "--model-name", "m")
    assert gate.code == 0
    assert gate.result["passed"] is False
    assert gate.result["champion"] == {"version": "1", "metrics": {"rmse": 3.0, "r2": 0.9}}
    failing = [r for r in gate.result["reasons"] if not r["passed"]]
    assert [(r["check"], r["metric"], r["value"]) for r in failing] == [("champion", "rmse", 5.0)]
    assert gate.result["config"] == "data-science/gate.yml"  # the user's file, not a scratch copy
    assert "the gate is set in data-science/gate.yml (tasks.regression)" in gate.result["message"]
    assert "the gate is set in data-science/gate.yml" in " ".join(gate.stderr.split())
    failed = cli("gate", "--run-id", worse, "--model-name", "m", "--fail-on-reject")
    assert failed.code == 1
    assert failed.result["error"].startswith(f"gate rejected run {worse}: rejected: champion rmse = 3")
    assert "data-science/gate.yml (tasks.regression)" in failed.result["error"]
    refused = cli("register-model", "--run-id", worse, "--model-name", "m")
    assert refused.code == 3
    assert "gate rejected" in refused.result["error"]
    assert [m["version"] for m in models(cli)] == ["1"]
    assert backend.get_model_version("m", alias="champion").version == "1"


def test_decision_is_bound_to_model_name_and_bundle(cli, trained, state_dir: Path) -> None:
    run_id = trained()
    cli("gate", "--run-id", run_id, "--model-name", "m")
    assert cli("register-model", "--run-id", run_id, "--model-name", "other").code == 3
    bundle = state_dir / "runs" / run_id / "train" / "outputs" / "bundle"
    (bundle / "model.onnx").write_text('{"scale": 100}')
    tampered = cli("register-model", "--run-id", run_id, "--model-name", "m")
    assert tampered.code == 3
    assert "changed after it was gated" in tampered.result["error"]
    assert models(cli) == []


def test_threshold_rejection_names_the_gate_file_and_the_skipped_scale_check(cli, trained) -> None:
    run_id = trained("rmse=50.0")
    gate = cli("gate", "--run-id", run_id, "--model-name", "m")
    assert gate.result["passed"] is False
    assert gate.result["message"] == (
        f"gate rejected run {run_id}: rejected: candidate rmse = 50, needs <= 10; the gate is set in "
        "data-science/gate.yml (tasks.regression); the scale check of rmse/mae thresholds was skipped: "
        "metrics.json has no label_std"
    )
    assert gate.result["unreachable_thresholds"] == [
        "the scale check of rmse/mae thresholds was skipped: metrics.json has no label_std"
    ]
