"""Step ordering from data bindings and cycle reporting."""

from pathlib import Path

import pytest

from amlops.azureml.errors import BindingError, CycleError
from amlops.azureml.graph import dependencies, downstream, execution_order
from amlops.azureml.spec import load_pipeline_job

TESTDATA = Path(__file__).parent / "testdata"


@pytest.mark.parametrize(
    ("deps", "order"),
    [
        ({"a": [], "b": [], "c": []}, ["a", "b", "c"]),
        ({"c": ["b"], "b": ["a"], "a": []}, ["a", "b", "c"]),
        ({"evaluate": ["train", "prep"], "prep": [], "train": ["prep"]}, ["prep", "train", "evaluate"]),
        ({"x": ["a"], "a": [], "y": [], "b": ["a"]}, ["a", "x", "y", "b"]),
        ({}, []),
    ],
)
def test_execution_order_respects_dependencies_and_keeps_file_order(deps, order) -> None:
    assert execution_order(deps) == order


@pytest.mark.parametrize(
    ("deps", "cycle"),
    [
        ({"a": ["a"]}, ("a", "a")),
        ({"ok": [], "a": ["b"], "b": ["a"]}, ("a", "b", "a")),
        ({"a": ["c"], "b": ["a"], "c": ["b"], "d": ["c"]}, ("a", "b", "c", "a")),
    ],
)
def test_cycles_are_named_in_full(deps, cycle) -> None:
    with pytest.raises(CycleError) as caught:
        execution_order(deps)
    assert caught.value.cycle == cycle
    assert " -> ".join(cycle) in str(caught.value)


def test_unknown_dependency_is_a_binding_error() -> None:
    with pytest.raises(BindingError, match="step 'a'"):
        execution_order({"a": ["ghost"]})


def test_downstream_finds_every_step_reached() -> None:
    deps = {"prep": [], "train": ["prep"], "evaluate": ["train", "prep"], "other": []}
    assert downstream(deps, ["train"]) == {"evaluate"}
    assert downstream(deps, ["prep"]) == {"train", "evaluate"}
    assert downstream(deps, ["other"]) == set()


def test_dependencies_come_from_step_output_bindings() -> None:
    job = load_pipeline_job(TESTDATA / "three_steps" / "pipeline.yml")
    assert dependencies(job) == {"evaluate": ("train", "prep"), "prep": (), "train": ("prep",)}
