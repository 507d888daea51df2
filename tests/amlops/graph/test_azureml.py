"""The Azure ML pipeline job as a graph: its jobs and the data bound between them."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.azureml.errors import AzureMLExecutorError
from amlops.graph import Graph, detect, load_graph

REPO = Path(__file__).resolve().parents[3]
COMPONENTS = REPO / "data-science" / "components"


def _data(graph: Graph) -> dict[tuple[str, str], str]:
    return {(e.source, e.target): e.label for e in graph.edges if e.kind == "data"}


def test_the_train_pipeline_shows_its_jobs_and_the_data_between_them(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["azureml/train-pipeline.yml"]
    assert (graph.dialect, graph.title, graph.source) == (
        "azureml",
        "train-model",
        "pipelines/azureml/train-pipeline.yml",
    )
    assert graph.children(None) == [
        "inputs/raw_data",
        "inputs/contract",
        "jobs/validate",
        "jobs/prep",
        "jobs/train",
        "jobs/evaluate",
        "outputs/model_bundle",
    ]  # `seed: 42` is a parameter, not data: not drawn
    assert graph.node("jobs/train").details == ("Train model (train_model)",)
    assert graph.node("inputs/raw_data").kind == "input"
    assert graph.node("outputs/model_bundle").kind == "output"
    between_jobs = {k: v for k, v in _data(graph).items() if k[0].startswith("jobs/")}
    assert between_jobs == {
        ("jobs/validate", "jobs/prep"): "report → validation_report",
        ("jobs/prep", "jobs/train"): "prepared",
        ("jobs/prep", "jobs/evaluate"): "prepared",
        ("jobs/train", "jobs/evaluate"): "model",
        ("jobs/evaluate", "outputs/model_bundle"): "bundle",
    }
    into = {k[1] for k in _data(graph) if k[0] == "inputs/contract"}
    assert into == {"jobs/validate", "jobs/prep", "jobs/train", "jobs/evaluate"}
    assert _data(graph)[("inputs/raw_data", "jobs/prep")] == "data"  # bound to prep's input `data`


def _job(tmp_path: Path, jobs: str) -> Path:
    path = tmp_path / "job.yml"
    path.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
        "type: pipeline\n"
        f"inputs:\n  contract:\n    type: uri_file\n    path: {COMPONENTS.parent / 'contract.yml'}\n"
        f"jobs:\n{jobs}",
        encoding="utf-8",
    )
    return path


def test_it_is_detected_from_the_file(tmp_path: Path) -> None:
    path = _job(
        tmp_path,
        f"  one:\n    type: command\n    component: {COMPONENTS / 'validate.yml'}\n"
        "    inputs:\n      contract: ${{parent.inputs.contract}}\n",
    )
    assert detect(path) == "azureml"
    graph = load_graph(path, repo_root=tmp_path)
    assert graph.children(None) == ["inputs/contract", "jobs/one"]
    assert _data(graph) == {("inputs/contract", "jobs/one"): ""}


def test_a_binding_to_a_job_that_does_not_exist_is_an_error_naming_it(tmp_path: Path) -> None:
    path = _job(
        tmp_path,
        f"  prep:\n    type: command\n    component: {COMPONENTS / 'prep.yml'}\n"
        "    inputs:\n      validation_report: ${{parent.jobs.nowhere.outputs.report}}\n",
    )
    with pytest.raises(AzureMLExecutorError) as caught:
        load_graph(path, repo_root=tmp_path)
    assert "no step named 'nowhere'" in caught.value.message
    assert "prep" in caught.value.message
