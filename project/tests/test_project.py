"""This project's own checks: the answers record, the contract and the settings agree with each other."""

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_answers_record_names_a_task_matching_the_contract():
    record = json.loads((ROOT / ".cookiecutter-answers.json").read_text(encoding="utf-8"))
    contract = yaml.safe_load((ROOT / "data-science" / "contract.yml").read_text(encoding="utf-8"))
    assert contract["task"] == record["answers"]["task"]


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
