"""validate-config: the one schema of pipelines/config/<env>.yml, problems named by file, line and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from amlops import cli
from amlops.environment_config import KEYS, check_settings

REPO = Path(__file__).resolve().parents[3]
CONFIG_DIR = REPO / "pipelines" / "config"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_repository_settings_are_valid(environment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate-config", environment, "--config-dir", str(CONFIG_DIR)]) == 0
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert result["environment"] == environment
    assert result["settings"]["environmentName"] == environment
    assert isinstance(result["settings"]["approvalRequired"], bool)


def test_every_problem_names_file_line_and_key() -> None:
    text = (CONFIG_DIR / "dev.yml").read_text(encoding="utf-8")
    text = text.replace("driftThreshold: 0.2", 'driftThreshold: "0.2"').replace(
        "retrainOnDrift: false", "retrainOnDrift: 'no'\n  colour: blue"
    )
    text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("modelName:"))
    _, problems = check_settings(text, "dev.yml")
    lines = text.splitlines()
    by_key = {p.key: p for p in problems}
    assert set(by_key) == {"driftThreshold", "retrainOnDrift", "colour", "modelName"}
    for key in ("driftThreshold", "retrainOnDrift", "colour"):
        assert lines[by_key[key].line - 1].strip().startswith(f"{key}:")
    assert by_key["modelName"].message == "missing"
    assert lines[by_key["modelName"].line - 1].strip() == "variables:"
    assert "not a known setting" in by_key["colour"].message
    assert "valid number" in by_key["driftThreshold"].message
    assert str(by_key["colour"]).startswith("dev.yml:")


def test_booleans_are_not_numbers_and_compute_is_optional() -> None:
    base = {key: "x" for key in KEYS if key != "compute"}
    base |= {"driftThreshold": 0.2, "retrainOnDrift": True, "approvalRequired": False}
    assert check_settings(yaml.safe_dump({"variables": base}), "f.yml")[1] == []
    with_compute = yaml.safe_dump({"variables": {**base, "compute": "serverless"}})
    assert check_settings(with_compute, "f.yml")[1] == []
    _, problems = check_settings(yaml.safe_dump({"variables": {**base, "driftThreshold": True}}), "f.yml")
    assert [p.key for p in problems] == ["driftThreshold"]


def test_not_a_mapping_and_bad_yaml() -> None:
    assert [p.key for p in check_settings("variables: [1]\n", "f.yml")[1]] == ["variables"]
    problems = check_settings("variables:\n  a: [\n", "f.yml")[1]
    assert problems[0].message.startswith("not valid YAML")
    assert "invalid YAML" not in problems[0].message  # said once


def test_problems_exit_2_with_the_file_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "qa.yml").write_text("variables:\n  environmentName: 3\n", encoding="utf-8")
    assert cli.main(["validate-config", "qa", "--config-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    result = json.loads(captured.out.splitlines()[-1])
    assert (
        f"{tmp_path / 'qa.yml'}:2: environmentName: should be a valid string (got int 3)"
        in result["problems"]
    )
    assert "qa.yml" in captured.err


def test_an_unknown_environment_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate-config", "staging", "--config-dir", str(CONFIG_DIR)]) == 2
    assert "environments in" in capsys.readouterr().err
