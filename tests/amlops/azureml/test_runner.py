"""The local executor end to end: scenario folders under testdata/, each copied into tmp_path and run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from amlops.azureml import (
    AzureMLExecutorError,
    BindingError,
    PipelineSpecError,
    StepEvent,
    run_command_component,
    run_pipeline_job,
)

TESTDATA = Path(__file__).parent / "testdata"
ERROR_CASES = sorted(p.name for p in (TESTDATA / "errors").iterdir() if p.is_dir())

FAILING_TRAIN = 'import sys\nprint("training diverged")\nsys.exit(3)\n'


@pytest.fixture
def case(tmp_path: Path):
    """Copy a scenario folder into tmp_path (steps must never write into the source tree)."""

    def copy(name: str) -> Path:
        target = tmp_path / "case" / name
        shutil.copytree(TESTDATA / name, target)
        return target

    return copy


def calls(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_three_steps_run_in_dependency_order_and_pass_data(case, tmp_path: Path) -> None:
    folder = case("three_steps")
    run_dir = tmp_path / "run"
    calls_file = tmp_path / "calls.txt"
    events: list[StepEvent] = []

    result = run_pipeline_job(
        folder / "pipeline.yml",
        run_dir=run_dir,
        env={"CALLS_FILE": str(calls_file), "MLFLOW_TRACKING_URI": "sqlite:///x.db"},
        step_env=lambda step: {"MLFLOW_RUN_ID": f"child-{step}"},
        on_event=events.append,
    )

    assert result.status == "completed"
    # evaluate is listed first in the file; data bindings decide the order
    assert list(result.steps) == ["prep", "train", "evaluate"]
    assert calls(calls_file) == ["prep", "train", "evaluate"]
    assert all(step.status == "completed" and step.exit_code == 0 for step in result.steps.values())
    assert json.loads((result.outputs["result"] / "metrics.json").read_text()) == {"score": 9}
    assert result.outputs["result"] == (run_dir / "evaluate" / "outputs" / "report").resolve()

    model_file = result.steps["train"].outputs["model"]
    assert model_file == (run_dir / "train" / "outputs" / "model" / "model").resolve()
    model = json.loads(model_file.read_text())
    assert model["cwd"] == str((folder / "src" / "train").resolve())
    assert Path(model["python"]).parent == Path(__import__("sys").executable).parent
    assert model["train_mode"] == "quick"
    assert model["mlflow_run_id"] == "child-train"
    assert model["tracking_uri"] == "sqlite:///x.db"

    log = result.steps["train"].log_path
    assert log == (run_dir / "train" / "std_log.txt").resolve()
    assert "trained" in log.read_text()
    assert "a warning on stderr" in log.read_text()
    assert StepEvent("train", "log", "a warning on stderr") in events
    kinds = [(e.step, e.kind) for e in events if e.kind != "log"]
    assert kinds == [(s, k) for s in ("prep", "train", "evaluate") for k in ("started", "completed")]

    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "completed"
    assert run["order"] == ["prep", "train", "evaluate"]
    assert {name: step["status"] for name, step in run["steps"].items()} == dict.fromkeys(
        ["prep", "train", "evaluate"], "completed"
    )
    assert run["outputs"] == {"result": str(result.outputs["result"])}
    assert "--factor 3" in run["steps"]["train"]["command"]


def test_rerun_reuses_unchanged_steps_and_force_runs_them_again(case, tmp_path: Path) -> None:
    folder = case("three_steps")
    run_dir = tmp_path / "run"
    calls_file = tmp_path / "calls.txt"
    env = {"CALLS_FILE": str(calls_file)}
    first = run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env)

    again = run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env)
    assert again.status == "completed"
    assert {step.status for step in again.steps.values()} == {"reused"}
    assert calls(calls_file) == ["prep", "train", "evaluate"]
    assert again.steps["train"].started == first.steps["train"].started
    assert again.outputs == first.outputs

    forced = run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env, force=True)
    assert {step.status for step in forced.steps.values()} == {"completed"}
    assert calls(calls_file) == ["prep", "train", "evaluate"] * 2


def test_changed_input_reruns_only_the_steps_it_reaches(case, tmp_path: Path) -> None:
    folder = case("three_steps")
    run_dir = tmp_path / "run"
    calls_file = tmp_path / "calls.txt"
    env = {"CALLS_FILE": str(calls_file)}
    run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env)

    changed = run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env, inputs={"factor": "5"})

    assert {name: step.status for name, step in changed.steps.items()} == {
        "prep": "reused",
        "train": "completed",
        "evaluate": "completed",
    }
    assert json.loads((changed.outputs["result"] / "metrics.json").read_text()) == {"score": 15}

    (folder / "data" / "raw.txt").write_text("only\n")
    new_data = run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env, inputs={"factor": 5})
    assert {step.status for step in new_data.steps.values()} == {"completed"}
    assert json.loads((new_data.outputs["result"] / "metrics.json").read_text()) == {"score": 5}


def test_failed_step_skips_downstream_and_rerun_starts_from_it(case, tmp_path: Path) -> None:
    folder = case("three_steps")
    train_code = folder / "src" / "train" / "train.py"
    working_code = train_code.read_text()
    train_code.write_text(FAILING_TRAIN)
    run_dir = tmp_path / "run"
    calls_file = tmp_path / "calls.txt"
    env = {"CALLS_FILE": str(calls_file)}
    events: list[StepEvent] = []

    failed = run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env, on_event=events.append)

    assert failed.status == "failed"
    assert {name: step.status for name, step in failed.steps.items()} == {
        "prep": "completed",
        "train": "failed",
        "evaluate": "skipped",
    }
    assert failed.steps["train"].exit_code == 3
    assert "training diverged" in failed.steps["train"].log_path.read_text()
    assert failed.steps["evaluate"].reason == "step 'train' did not complete"
    assert failed.outputs == {}
    assert not (run_dir / "evaluate").exists()
    assert ("evaluate", "skipped") in [(e.step, e.kind) for e in events]
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "failed"
    assert run["steps"]["train"]["exit_code"] == 3
    assert run["steps"]["evaluate"]["status"] == "skipped"

    train_code.write_text(working_code)
    fixed = run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, env=env)

    assert fixed.status == "completed"
    assert {name: step.status for name, step in fixed.steps.items()} == {
        "prep": "reused",
        "train": "completed",
        "evaluate": "completed",
    }
    assert calls(calls_file) == ["prep", "train", "evaluate"]


def test_failure_skips_independent_steps_unless_continue_on_step_failure(tmp_path: Path) -> None:
    job = tmp_path / "job.yml"
    text = """\
type: pipeline
settings:
  continue_on_step_failure: {flag}
jobs:
  broken:
    command: exit 4
  independent:
    command: echo still here
"""
    job.write_text(text.format(flag="false"))
    stopped = run_pipeline_job(job, run_dir=tmp_path / "a")
    assert {n: s.status for n, s in stopped.steps.items()} == {"broken": "failed", "independent": "skipped"}

    job.write_text(text.format(flag="true"))
    carried_on = run_pipeline_job(job, run_dir=tmp_path / "b")
    assert carried_on.status == "failed"
    assert {n: s.status for n, s in carried_on.steps.items()} == {
        "broken": "failed",
        "independent": "completed",
    }
    assert "still here" in carried_on.steps["independent"].log_path.read_text()


def test_stale_outputs_are_removed_before_a_step_runs_again(case, tmp_path: Path) -> None:
    folder = case("three_steps")
    run_dir = tmp_path / "run"
    run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir)
    stale = run_dir / "prep" / "outputs" / "prepared" / "stale.txt"
    stale.write_text("left over")

    run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir, force=True)

    assert not stale.exists()
    assert (run_dir / "prep" / "outputs" / "prepared" / "lines.txt").exists()


def test_optional_inputs_are_dropped_when_absent(case, tmp_path: Path) -> None:
    folder = case("optional_inputs")

    result = run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run")

    assert result.status == "completed", result.steps
    args = {
        name: json.loads((result.steps[name].outputs["out"] / "args.json").read_text())
        for name in ("all_absent", "some_given")
    }
    assert args["all_absent"] == ["--name", "first"]
    assert args["some_given"] == ["--name", "second", "--threshold", "0.5"]
    assert (result.steps["inline"].outputs["out"] / "word.txt").read_text() == "hello"

    given = run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run2", inputs={"extra": "more"})
    assert json.loads((given.steps["some_given"].outputs["out"] / "args.json").read_text()) == [
        "--name",
        "second",
        "--extra",
        "more",
        "--threshold",
        "0.5",
    ]


def test_literal_types_defaults_and_caller_overrides(case, tmp_path: Path) -> None:
    folder = case("literal_types")

    result = run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run")
    assert result.status == "completed"
    args = json.loads((result.outputs["echoed"] / "args.json").read_text())
    assert args == [
        "--label",
        "default-label",
        "--count",
        "7",
        "--ratio",
        "0.25",
        "--flag",
        "False",
        "--mode",
        "fast",
    ]

    overridden = run_pipeline_job(
        folder / "pipeline.yml",
        run_dir=tmp_path / "run2",
        inputs={"count": "12", "ratio": 2, "flag": "true"},
    )
    args = json.loads((overridden.outputs["echoed"] / "args.json").read_text())
    assert args[2:8] == ["--count", "12", "--ratio", "2", "--flag", "True"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"count": 101}, "above the maximum 100"),
        ({"count": True}, "got the boolean True"),
        ({"flag": "yes"}, "expected a boolean"),
        ({"ratio": "fast"}, "expected a number"),
        ({"cuont": 1}, "declares no input 'cuont'"),
    ],
)
def test_bad_caller_values_are_refused_before_running(case, tmp_path: Path, override, message) -> None:
    folder = case("literal_types")
    with pytest.raises(BindingError, match=message):
        run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run", inputs=override)
    assert not (tmp_path / "run").exists()


def test_data_asset_reference_goes_through_the_resolver(case, tmp_path: Path) -> None:
    folder = case("data_reference")
    data = tmp_path / "snapshots" / "raw-data" / "3"
    data.mkdir(parents=True)
    (data / "a.csv").write_text("x\n1\n")
    (data / "b.csv").write_text("x\n2\n")
    asked: list[str] = []

    def resolve(reference: str) -> Path:
        asked.append(reference)
        return data

    result = run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run", resolve_data=resolve)

    assert result.status == "completed"
    assert asked == ["raw-data:3"]
    assert result.outputs["listing"].read_text() == "a.csv,b.csv"
    assert result.outputs["listing"].name == "listing"

    with pytest.raises(BindingError, match="no data resolver"):
        run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run2")


def test_resolver_failure_is_a_binding_error(case, tmp_path: Path) -> None:
    folder = case("data_reference")

    def resolve(reference: str) -> Path:
        raise KeyError(f"no data asset {reference}")

    with pytest.raises(BindingError, match=r"cannot resolve data asset 'azureml:raw-data:3'"):
        run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run", resolve_data=resolve)


def test_caller_paths_are_relative_to_the_working_folder(case, tmp_path: Path, monkeypatch) -> None:
    folder = case("three_steps")
    (tmp_path / "mine.txt").write_text("one\ntwo\n")
    monkeypatch.chdir(tmp_path)

    result = run_pipeline_job(
        folder / "pipeline.yml", run_dir=tmp_path / "run", inputs={"raw_data": "mine.txt", "factor": 10}
    )

    assert json.loads((result.outputs["result"] / "metrics.json").read_text()) == {"score": 20}


def test_step_timeout_fails_the_step(tmp_path: Path) -> None:
    job = tmp_path / "job.yml"
    job.write_text("type: pipeline\njobs:\n  slow:\n    command: echo going; sleep 20\n")

    result = run_pipeline_job(job, run_dir=tmp_path / "run", step_timeout_s=0.5)

    assert result.status == "failed"
    assert result.steps["slow"].reason == "timed out after 0.5 s"
    assert result.steps["slow"].duration_s < 10
    assert "going" in result.steps["slow"].log_path.read_text()


def test_run_command_component_uses_default_and_given_output_locations(case, tmp_path: Path) -> None:
    folder = case("three_steps")
    run_dir = tmp_path / "run"

    result = run_command_component(
        folder / "components" / "prep.yml",
        inputs={"data": folder / "data" / "raw.txt"},
        run_dir=run_dir,
    )

    assert result.status == "completed"
    assert result.name == "prep"
    assert (run_dir / "prep" / "outputs" / "prepared" / "lines.txt").read_text() == "ALPHA\nBETA\nGAMMA\n"
    record = json.loads((run_dir / "prep" / "step.json").read_text())
    assert record["status"] == "completed"
    assert record["fingerprint"] == result.fingerprint

    again = run_command_component(
        folder / "components" / "prep.yml", inputs={"data": folder / "data" / "raw.txt"}, run_dir=run_dir
    )
    assert again.status == "reused"

    elsewhere = tmp_path / "mine"
    model = run_command_component(
        folder / "components" / "train.yml",
        inputs={"prepared": run_dir / "prep" / "outputs" / "prepared", "factor": 2},
        outputs={"model": elsewhere / "model.json"},
        run_dir=run_dir,
        name="my_train",
    )
    assert model.status == "completed"
    assert json.loads((elsewhere / "model.json").read_text())["n_lines"] == 3
    assert (run_dir / "my_train" / "std_log.txt").exists()


def test_run_command_component_refuses_undeclared_names(case, tmp_path: Path) -> None:
    folder = case("three_steps")
    with pytest.raises(BindingError, match="declares no input 'daat'"):
        run_command_component(folder / "components" / "prep.yml", inputs={"daat": "x"}, run_dir=tmp_path)
    with pytest.raises(BindingError, match="declares no outputs"):
        run_command_component(
            folder / "components" / "prep.yml",
            inputs={"data": folder / "data" / "raw.txt"},
            outputs={"prepped": tmp_path / "x"},
            run_dir=tmp_path,
        )


@pytest.mark.parametrize("name", ERROR_CASES)
def test_invalid_jobs_fail_before_any_step_runs(name: str, case, tmp_path: Path) -> None:
    folder = case(f"errors/{name}")
    expected = json.loads((folder / "expected.json").read_text())
    run_dir = tmp_path / "run"

    with pytest.raises(AzureMLExecutorError) as caught:
        run_pipeline_job(folder / "pipeline.yml", run_dir=run_dir)

    assert type(caught.value).__name__ == expected["error"]
    for fragment in expected["contains"]:
        assert fragment in str(caught.value)
    assert not run_dir.exists()


def test_spec_errors_carry_file_and_line(case, tmp_path: Path) -> None:
    folder = case("errors/malformed_yaml")
    with pytest.raises(PipelineSpecError) as caught:
        run_pipeline_job(folder / "pipeline.yml", run_dir=tmp_path / "run")
    assert caught.value.file == (folder / "pipeline.yml").resolve()
    assert caught.value.line == 7


def test_force_rerun_setting_and_non_deterministic_components_always_run(tmp_path: Path) -> None:
    (tmp_path / "random.yml").write_text("name: random\nis_deterministic: false\ncommand: echo $RANDOM\n")
    job = tmp_path / "job.yml"
    text = "type: pipeline\nsettings:\n  force_rerun: {flag}\njobs:\n  fixed:\n    command: echo same\n"
    job.write_text(text.format(flag="false") + "  random:\n    component: ./random.yml\n")
    run_pipeline_job(job, run_dir=tmp_path / "run")

    again = run_pipeline_job(job, run_dir=tmp_path / "run")
    assert {n: s.status for n, s in again.steps.items()} == {"fixed": "reused", "random": "completed"}

    job.write_text(text.format(flag="true") + "  random:\n    component: ./random.yml\n")
    forced = run_pipeline_job(job, run_dir=tmp_path / "run")
    assert {n: s.status for n, s in forced.steps.items()} == {"fixed": "completed", "random": "completed"}


def test_paths_given_for_string_inputs_are_passed_as_text(tmp_path: Path) -> None:
    component = tmp_path / "c.yml"
    component.write_text(
        "name: c\ninputs:\n  where: {type: string}\noutputs:\n  out: {type: uri_folder}\n"
        "command: echo ${{inputs.where}} > ${{outputs.out}}/where.txt\n"
    )
    result = run_command_component(component, inputs={"where": Path("/some/place")}, run_dir=tmp_path / "run")
    assert (result.outputs["out"] / "where.txt").read_text() == "/some/place\n"
