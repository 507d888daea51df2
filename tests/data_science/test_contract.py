from pathlib import Path

import pytest
import yaml
from datascience.contract import ContractError, load_contract, parse_contract

from .conftest import CONTRACT, DATA_SCIENCE


def _document() -> dict:
    return yaml.safe_load(CONTRACT.read_text())


def test_taxi_contract_roles_and_model_inputs(contract):
    assert contract.task == "regression"
    assert contract.target == "fare_amount"
    assert contract.id_column.name == "trip_id"
    assert contract.timestamp_column.derive == ("hour", "weekday")
    inputs = [(m.name, m.kind) for m in contract.model_inputs]
    assert inputs == [
        ("trip_distance", "numeric"),
        ("passenger_count", "numeric"),
        ("pickup_datetime_hour", "numeric"),
        ("pickup_datetime_weekday", "numeric"),
        ("pickup_zone", "categorical"),
        ("dropoff_zone", "categorical"),
        ("vendor", "categorical"),
        ("payment_type", "categorical"),
    ]
    assert contract.column("pickup_zone").categories == contract.column("dropoff_zone").categories


def test_iris_contract_is_classification(iris_contract):
    assert iris_contract.task == "classification"
    assert iris_contract.classes == ("setosa", "versicolor", "virginica")
    assert iris_contract.id_column is None
    assert iris_contract.timestamp_column is None


def _broken(mutate) -> dict:
    document = _document()
    mutate(document)
    return document


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["columns"][2].update(type="flaot"), r"columns\[2\] \(trip_distance\)\.type: 'flaot'"),
        (lambda d: d["columns"][4].pop("categories"), r"\(pickup_zone\)\.categories: required"),
        (lambda d: d.update(colums=[]), r"unknown key\(s\) colums"),
        (lambda d: d.update(target="tip_amount"), r"target: 'tip_amount' is not a declared column"),
        (lambda d: d.update(task="ranking"), r"task: 'ranking'"),
        (
            lambda d: d["columns"][2].update(min=10.0, max=1.0),
            r"\(trip_distance\)\.min: 10.0 is greater than max",
        ),
        (lambda d: d["columns"][2].update(derive=["hour"]), r"\(trip_distance\)\.derive: only allowed"),
        (lambda d: d["columns"].append(dict(d["columns"][2])), r"duplicate name\(s\) trip_distance"),
        (
            lambda d: d["columns"][2].update(nullable="yes"),
            r"\(trip_distance\)\.nullable: must be true or false",
        ),
        (lambda d: d["columns"][2].update(colour="red"), r"\(trip_distance\): unknown key\(s\) colour"),
        (
            lambda d: d["columns"][1].update(min="yesterday"),
            r"\(pickup_datetime\)\.min: 'yesterday' is not an ISO",
        ),
    ],
)
def test_errors_name_the_bad_key(mutate, message):
    with pytest.raises(ContractError, match=message):
        parse_contract(_broken(mutate))


def test_missing_file_is_a_contract_error(tmp_path):
    with pytest.raises(ContractError, match="no such contract file"):
        load_contract(tmp_path / "absent.yml")


def test_x_prefixed_keys_are_ignored():
    assert parse_contract(_broken(lambda d: d.update({"x-note": "anchor holder"}))).name == "taxi-fares"


def test_no_column_name_is_written_in_the_code(contract):
    """The contract is the single source: no component module spells a column of either contract."""
    sources = {p: p.read_text() for p in (DATA_SCIENCE / "src").rglob("*.py")}
    names = [c.name for c in contract.columns] + ["sepal_length", "petal_width", "species"]
    offenders = [(Path(p).name, n) for p, text in sources.items() for n in names if f'"{n}"' in text]
    assert offenders == []


def test_int_column_values_print_as_integers(contract):
    from datascience.features import value_problem

    column = contract.column("passenger_count")
    assert value_problem(9, column) == "9 is above the maximum 6"
    assert value_problem(0.0, column) == "0 is below the minimum 1"
    assert value_problem(0.05, contract.column("trip_distance")) == "0.05 is below the minimum 0.1"
