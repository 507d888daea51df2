"""The components on this project's own sample, driven by the dataset contract (no column is named here, so
these tests keep passing when you swap in your own data by editing data-science/contract.yml).

One session-scoped run of validate -> prep -> train -> evaluate through the components' own `main([...])`,
then the scoring script, batch scoring and the drift check on its bundle.
"""

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "data-science" / "contract.yml"
CONFIG = ROOT / "pipelines" / "config"
ENVIRONMENTS = {
    path.relative_to(ROOT).as_posix(): yaml.safe_load(path.read_text(encoding="utf-8"))["variables"]
    for path in sorted(CONFIG.glob("*.yml"))
}
SETTINGS = ENVIRONMENTS["pipelines/config/dev.yml"]
SAMPLE = ROOT / SETTINGS["dataPath"]
# Request files the settings choose for the online smoke test; none (`smokeRequest: ''`) sends the model's
# own smoke-request.json, which the evaluate step writes into the bundle from test rows.
SMOKE_REQUESTS = {
    config: ROOT / settings["smokeRequest"]
    for config, settings in ENVIRONMENTS.items()
    if settings["smokeRequest"]
}
SMALL = ("--n-estimators", "20", "--no-log-model")  # a quick model: these tests check wiring, not accuracy


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    from datascience import evaluate, prep, train, validate

    root = tmp_path_factory.mktemp("run")
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    contract = ["--contract", str(CONTRACT)]
    report, prepared, model, bundle = root / "report", root / "prepared", root / "model", root / "bundle"
    codes = {
        "validate": validate.main([*contract, "--data", str(SAMPLE), "--report", str(report)]),
        "prep": prep.main(
            [
                *contract,
                "--data",
                str(SAMPLE),
                "--output",
                str(prepared),
                "--seed",
                "7",
                "--validation-report",
                str(report),
            ]
        ),
        "train": train.main(
            [*contract, "--prepared", str(prepared), "--output", str(model), "--seed", "7", *SMALL]
        ),
        "evaluate": evaluate.main(
            [
                *contract,
                "--prepared",
                str(prepared),
                "--model",
                str(model),
                "--output",
                str(bundle),
                "--seed",
                "7",
            ]
        ),
    }
    yield {"codes": codes, "report": report, "bundle": bundle, "root": root}
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


def test_contract_loads_and_names_the_sample_columns():
    from datascience.contract import load_contract

    contract = load_contract(CONTRACT)
    assert set(contract.names) <= set(_read(SAMPLE).columns)


def test_sample_validates_and_the_model_trains(trained):
    assert trained["codes"] == {"validate": 0, "prep": 0, "train": 0, "evaluate": 0}
    assert json.loads((trained["report"] / "result.json").read_text(encoding="utf-8"))["success"] is True


def test_bundle_holds_the_onnx_model_and_the_task_metrics(trained):
    bundle = trained["bundle"]
    assert (bundle / "model.onnx").is_file()
    metrics = json.loads((bundle / "metrics.json").read_text(encoding="utf-8"))
    task = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["task"]
    assert metrics["task"] == task
    assert metrics["metrics"]
    assert metrics["onnx_max_abs_diff"] < 0.1


def test_the_chosen_smoke_requests_fit_the_contract():
    """A request file chosen by `smokeRequest` is what the first deploy's smoke test sends: checked here,
    without a model, in pr-ci."""
    from datascience.contract import load_contract
    from datascience.score import request_problems

    contract = load_contract(CONTRACT)
    failures = []
    for config, request in SMOKE_REQUESTS.items():
        name = request.relative_to(ROOT).as_posix()
        if not request.is_file():
            failures.append(f"{name} (`smokeRequest` in {config}) does not exist")
            continue
        problems = request_problems(request.read_text(encoding="utf-8"), contract)
        if problems:
            failures.append(
                f"{name} (the smoke request deploy-online sends, chosen by `smokeRequest` in {config}) does "
                "not fit data-science/contract.yml; change its rows to the contract's input columns, or set "
                f"`smokeRequest: ''` to send the model's own: " + "; ".join(problems[:10])
            )
    assert not failures, "\n".join(failures)


def test_scoring_script_answers_the_smoke_requests(trained, monkeypatch):
    """The model's own smoke request (in its bundle) and every chosen request file are answered."""
    from datascience import score

    requests = {"the bundle's smoke-request.json": trained["bundle"] / "smoke-request.json"}
    requests.update({path.relative_to(ROOT).as_posix(): path for path in SMOKE_REQUESTS.values()})
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(trained["bundle"]))
    score.init()
    try:
        answers = {name: score.run(path.read_text(encoding="utf-8")) for name, path in requests.items()}
        bad = score.run(json.dumps({"data": [{"not-a-contract-column": 1}]}))
    finally:
        monkeypatch.setattr(score, "_model", None)
    for name, response in answers.items():
        assert isinstance(response, dict), f"{name} was refused: {response.get_data(as_text=True)}"
        request = json.loads(requests[name].read_text(encoding="utf-8"))
        rows = request.get("data") or request["input_data"]["data"]
        assert len(response["predictions"]) == len(rows)
    assert bad.status_code == 400


def test_batch_scoring_scores_every_sample_row(trained):
    from datascience import batch_score

    folder = trained["root"] / "batch-input"
    folder.mkdir()
    (folder / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    output = trained["root"] / "batch-output"
    argv = ["--model", str(trained["bundle"]), "--input", str(folder), "--output", str(output)]
    assert batch_score.main(argv) == 0
    predictions = pd.read_csv(output / "predictions.csv")
    assert len(predictions) == len(_read(SAMPLE))
    assert predictions["error"].isna().all()


def test_the_sample_has_not_drifted_from_itself(tmp_path):
    from datascience import drift

    argv = ["--contract", str(CONTRACT), "--reference", str(SAMPLE), "--current", str(SAMPLE)]
    assert drift.main([*argv, "--output", str(tmp_path), "--fail-on-drift"]) == 0
    assert json.loads((tmp_path / "drift.json").read_text(encoding="utf-8"))["drifted"] is False
