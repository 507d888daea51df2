"""This project's own checks: the answers record, the contract, the gate and the settings agree."""

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_gate_has_a_section_for_the_contracts_task():
    """The contract decides the task (the `task` answer only chose the sample contract; a dataset of your own
    may change it): data-science/gate.yml must hold thresholds for that task."""
    contract = yaml.safe_load((ROOT / "data-science" / "contract.yml").read_text(encoding="utf-8"))
    gate = yaml.safe_load((ROOT / "data-science" / "gate.yml").read_text(encoding="utf-8"))
    assert contract["task"] in gate["tasks"], (
        f"data-science/gate.yml has no `tasks.{contract['task']}` section for the task of "
        "data-science/contract.yml; add its thresholds"
    )


def test_every_environment_config_names_the_answered_environment_and_model():
    answers = json.loads((ROOT / ".cookiecutter-answers.json").read_text(encoding="utf-8"))["answers"]
    for role in ("dev", "prod"):
        config = ROOT / "pipelines" / "config" / f"{role}.yml"
        if not config.exists():
            continue
        variables = yaml.safe_load(config.read_text(encoding="utf-8"))["variables"]
        assert variables["environmentName"] == answers[f"{role}_environment"]
        assert variables["modelName"] == answers["model_name"]


def test_every_pipeline_file_is_valid_yaml():
    folders = [ROOT / ".github", ROOT / ".azure-pipelines", ROOT / "pipelines"]
    files = [p for folder in folders if folder.exists() for p in folder.rglob("*.yml")]
    assert files
    for path in files:
        assert yaml.safe_load(path.read_text(encoding="utf-8")) is not None, path
