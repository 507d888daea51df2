"""The environment settings files (one per environment) share one set of keys with typed values."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pipelines/config"
BOOLEANS = {"retrainOnDrift", "approvalRequired"}
NUMBERS = {"driftThreshold"}
MAY_BE_EMPTY = {
    "smokeRequest",  # empty: the model's own smoke request (smoke-request.json in its bundle)
    "modelRegisteredWebhookUrl",  # empty: no Azure DevOps webhook configured, nothing announced
}


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
            assert value or key in MAY_BE_EMPTY, f"{name}.yml: {key} must not be empty"
            assert value.lower() not in ("true", "false"), (
                f"{name}.yml: {key} is a boolean written as a string"
            )


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_environment_name_matches_the_file(name):
    assert _settings(name)["environmentName"] == name


def test_prod_requires_approval():
    assert _settings("prod")["approvalRequired"] is True


def test_the_one_settings_schema_knows_every_key_and_the_github_action_uses_it():
    from amlops.environment_config import KEYS

    for name in ("dev", "prod"):
        unknown = sorted(set(_settings(name)) - set(KEYS))
        assert not unknown, f"{name}.yml has keys amlops validate-config does not know: {unknown}"
    action = (ROOT / "templates/github/actions/validate-config/action.yml").read_text(encoding="utf-8")
    assert "amlops --output settings=settings validate-config" in action
