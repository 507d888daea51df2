"""Verb options as pipeline steps pass them: an empty optional input means "not given", booleans as
Azure DevOps and GitHub write them, deploy-batch's expected columns."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from amlops.errors import FailedError
from amlops.verbs import deploy_batch, gate
from amlops.verbs._common import add_model_reference, boolean, optional_path, optional_text


def test_empty_optional_values_mean_not_given() -> None:
    assert optional_text("") is None
    assert optional_text("3") == "3"
    assert optional_path("") is None
    assert optional_path("out") == Path("out")


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("True", True), ("false", False), ("False", False)]
)
def test_boolean_words(text: str, value: bool) -> None:
    assert boolean(text) is value


def test_boolean_rejects_other_words() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected true or false"):
        boolean("maybe")


def test_gate_fail_on_reject_takes_a_value_or_none() -> None:
    parser = argparse.ArgumentParser()
    gate.configure(parser)
    base = ["--run-id", "r", "--model-name", "m"]
    assert parser.parse_args(base).fail_on_reject is False
    assert parser.parse_args([*base, "--fail-on-reject"]).fail_on_reject is True
    assert parser.parse_args([*base, "--fail-on-reject", "True"]).fail_on_reject is True
    assert parser.parse_args([*base, "--fail-on-reject", "false"]).fail_on_reject is False
    assert parser.parse_args([*base, "--no-fail-on-reject"]).fail_on_reject is False


def test_an_empty_model_version_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_model_reference(parser)
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(["--model-name", "m", "--version", ""])
    assert caught.value.code == 2
    assert "--version" in capsys.readouterr().err


def test_expected_columns_split_on_commas() -> None:
    assert deploy_batch.column_names("prediction, id,,") == ["prediction", "id"]


def test_check_predictions_names_missing_expected_columns(tmp_path: Path) -> None:
    (tmp_path / "predictions.csv").write_text("id,prediction\n1,2.5\n2,3.5\n", encoding="utf-8")
    assert deploy_batch.check_predictions(tmp_path, 2, ["prediction", "id"]) == (2, ["id", "prediction"])
    with pytest.raises(FailedError, match=r"missing expected column\(s\) \['probability_a'\]") as caught:
        deploy_batch.check_predictions(tmp_path, 2, ["prediction", "probability_a"])
    assert caught.value.result["rows"] == 2
