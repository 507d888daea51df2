"""The batch deployment executor: spec parsing (errors name file and line) and the driver's semantics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from amlops.azureml.batch import BatchSettings, load_batch_deployment, run_batch_deployment
from amlops.azureml.batch_driver import append_rows, failed_count, mini_batches
from amlops.azureml.errors import PipelineSpecError

REPO = Path(__file__).resolve().parents[3]

SCRIPT = """
import os
from pathlib import Path

def init():
    global out
    out = Path(os.environ["AZUREML_BI_OUTPUT_PATH"])
    (out / "init.txt").open("a").write("init\\n")
    if os.environ.get("FAIL_INIT"):
        raise ValueError("no model here")

def run(mini_batch):
    names = [Path(f).name for f in mini_batch]
    if any(n.startswith("bad") for n in names):
        raise RuntimeError("cannot read " + names[0])
    if any(n.startswith("half") for n in names):
        return names[:1]
    (out / "calls.txt").open("a").write(",".join(names) + "\\n")
    return names
"""


def _spec(tmp_path: Path, settings: str = "") -> Path:
    code = tmp_path / "src"
    code.mkdir(exist_ok=True)
    (code / "score.py").write_text(SCRIPT)
    spec = tmp_path / "deploy.yml"
    spec.write_text(
        "name: d1\nendpoint_name: e\ntype: model\nmodel: azureml:m:1\n"
        "code_configuration:\n  code: src\n  scoring_script: score.py\n"
        f"compute: azureml:cpu-cluster\nsettings:\n  mini_batch_size: 2\n{settings}"
    )
    return spec


def _inputs(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in names:
        (folder / name).write_text("x\n1\n")
    return folder


def _run(tmp_path: Path, spec: Path, inputs: Path, **env: str):
    loaded = load_batch_deployment(spec)
    return run_batch_deployment(
        code=loaded.code,
        scoring_script=loaded.scoring_script,
        settings=loaded.settings,
        model_dir=tmp_path,
        input_path=inputs,
        output_dir=tmp_path / "out",
        log_path=tmp_path / "job.log",
        env={**__import__("os").environ, **env},
    )


def test_the_project_spec_loads_with_its_settings() -> None:
    spec = load_batch_deployment(REPO / "pipelines/azureml/batch-deployment.yml")
    assert spec.script == REPO / "data-science/src/datascience/batch_score.py"
    assert spec.compute == "cpu-cluster"
    assert spec.settings.output_action == "summary_only"
    assert (spec.settings.mini_batch_size, spec.settings.max_retries, spec.settings.timeout_s) == (10, 2, 300)
    assert spec.settings.instance_count == 1
    assert Path(spec.environment["conda_file"]).is_file()


def test_settings_round_trip_through_json() -> None:
    settings = BatchSettings(mini_batch_size=3, environment_variables={"A": "1"})
    assert BatchSettings.from_json(settings.as_json()) == settings


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("mini_batch_size: 2", "output_action: everything", "settings.output_action must be one of"),
        (
            "mini_batch_size: 2",
            "mini_batch_size: 0",
            "settings.mini_batch_size must be an integer >= 1, got 0",
        ),
        ("mini_batch_size: 2", "error_threshold: -2", "settings.error_threshold must be an integer >= -1"),
        ("mini_batch_size: 2", "output_file_name: ../x.csv", "output_file_name must be a plain file name"),
        (
            "mini_batch_size: 2",
            "retry_settings: {max_retries: many}",
            "settings.max_retries must be an integer",
        ),
        ("mini_batch_size: 2", "mini_batch: 3", "unknown key 'mini_batch' in settings"),
        ("compute: azureml:cpu-cluster", "instance_type: big", "unknown key 'instance_type' in the batch"),
        ("type: model", "type: pipeline", "batch deployment type 'pipeline' is not supported"),
    ],
)
def test_a_bad_spec_names_file_line_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    spec = _spec(tmp_path)
    text = spec.read_text().replace(old, new)
    spec.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if new.split(":", maxsplit=1)[0] in row)
    with pytest.raises(PipelineSpecError) as caught:
        load_batch_deployment(spec)
    assert message in str(caught.value)
    assert (caught.value.file, caught.value.line) == (spec, line)


def test_a_missing_conda_file_is_named(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    spec.write_text(spec.read_text() + "environment:\n  image: base:1\n  conda_file: env/conda.yml\n")
    with pytest.raises(PipelineSpecError, match=r"environment\.conda_file 'env/conda\.yml' does not exist"):
        load_batch_deployment(spec)


def test_a_missing_scoring_script_is_named(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    spec.write_text(spec.read_text().replace("score.py", "nope.py"))
    with pytest.raises(PipelineSpecError, match=r"scoring script 'nope\.py' is not in the code folder"):
        load_batch_deployment(spec)


def test_mini_batches_and_failure_counting() -> None:
    files = [Path(f"f{i}") for i in range(5)]
    assert mini_batches(files, 2) == [["f0", "f1"], ["f2", "f3"], ["f4"]]
    assert failed_count(["a", "b"], ["a"]) == 1
    assert failed_count(["a", "b"], pd.DataFrame({"x": range(10)})) == 0
    assert failed_count(["a"], None) == 1
    assert failed_count(["a", "b"], "ab") == 2


def test_append_row_writes_no_header_and_space_separated_values(tmp_path: Path) -> None:
    target = tmp_path / "predictions.csv"
    append_rows(pd.DataFrame({"id": [1, 2], "p": [0.5, 1.5]}), target)
    append_rows(["x y"], target)
    assert target.read_text().splitlines() == ["1 0.5", "2 1.5", "x y"]


def test_the_driver_runs_init_once_and_run_per_mini_batch(tmp_path: Path) -> None:
    result = _run(tmp_path, _spec(tmp_path), _inputs(tmp_path, "a.csv", "b.csv", "c.csv"))
    assert result.succeeded, result.log_tail
    assert (tmp_path / "out/calls.txt").read_text().splitlines() == ["a.csv,b.csv", "c.csv"]
    assert (tmp_path / "out/init.txt").read_text().splitlines() == ["init"]
    assert "3 file(s) in 2 mini-batch(es)" in result.log_tail


def test_a_failing_mini_batch_is_retried_then_counted(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "  retry_settings:\n    max_retries: 2\n")
    result = _run(tmp_path, spec, _inputs(tmp_path, "a.csv", "bad.csv"))
    assert result.succeeded  # error_threshold -1: failures do not fail the job
    assert result.log_tail.count("failed: RuntimeError: cannot read a.csv") == 3
    assert "2 failed file(s)" in result.log_tail


def test_failures_up_to_the_error_threshold_pass(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "  error_threshold: 1\n  retry_settings:\n    max_retries: 0\n")
    result = _run(tmp_path, spec, _inputs(tmp_path, "half1.csv", "half2.csv"))
    assert result.succeeded, result.log_tail
    assert "1 failed file(s)" in result.log_tail


def test_a_mini_batch_over_its_timeout_is_retried_then_counted(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "  retry_settings:\n    max_retries: 1\n    timeout: 1\n")
    (tmp_path / "src/score.py").write_text(
        SCRIPT.replace(
            "    names = [Path(f).name", "    import time\n    time.sleep(5)\n    names = [Path(f).name"
        )
    )
    result = _run(tmp_path, spec, _inputs(tmp_path, "a.csv"))
    assert result.succeeded
    assert (
        result.log_tail.count("failed: MiniBatchTimeout: run() took longer than retry_settings.timeout (1 s)")
        == 2
    )
    assert "1 failed file(s)" in result.log_tail


def test_the_error_threshold_fails_the_job(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "  error_threshold: 0\n  retry_settings:\n    max_retries: 0\n")
    result = _run(tmp_path, spec, _inputs(tmp_path, "half1.csv", "half2.csv"))
    assert (result.succeeded, result.exit_code) == (False, 1)
    assert "1 failed file(s) exceed error_threshold 0" in result.log_tail


def test_a_script_that_cannot_start_exits_2_with_its_error(tmp_path: Path) -> None:
    result = _run(tmp_path, _spec(tmp_path), _inputs(tmp_path, "a.csv"), FAIL_INIT="1")
    assert (result.succeeded, result.exit_code) == (False, 2)
    assert "could not start: ValueError: no model here" in result.log_tail
