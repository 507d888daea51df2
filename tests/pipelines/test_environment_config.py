"""The environment settings files (one per environment) share one set of keys with typed values."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pipelines/config"
BOOLEANS = {"retrainOnDrift", "approvalRequired"}
NUMBERS = {"driftThreshold"}


def _settings(name: str) -> dict:
    return yaml.safe_load((CONFIG / f"{name}.yml").read_text(encoding="utf-8"))["variables"]


def test_there_is_one_file_per_environment():
    assert sorted(p.stem for p in CONFIG.glob("*.yml")) == ["dev", "prod"]


def test_environments_share_the_same_keys():
    assert _settings("dev").keys() == _settings("prod").keys()


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_values_are_typed(name):
    for key, value in _settings(name).items():
        if key in BOOLEANS:
            assert isinstance(value, bool), f"{name}.yml: {key} must be a YAML boolean, not {value!r}"
        elif key in NUMBERS:
            assert isinstance(value, int | float), f"{name}.yml: {key} must be a number"
            assert not isinstance(value, bool), f"{name}.yml: {key} must be a number"
        else:
            assert isinstance(value, str), f"{name}.yml: {key} must be a string"
            assert value, f"{name}.yml: {key} must not be empty"
            assert value.lower() not in ("true", "false"), (
                f"{name}.yml: {key} is a boolean written as a string"
            )


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_environment_name_matches_the_file(name):
    assert _settings(name)["environmentName"] == name


def test_prod_requires_approval():
    assert _settings("prod")["approvalRequired"] is True


def test_github_config_action_knows_every_key():
    action = (ROOT / "templates/github/actions/validate-config/action.yml").read_text(encoding="utf-8")
    for key in _settings("dev"):
        assert f'"{key}"' in action, f"validate-config does not check {key}"
