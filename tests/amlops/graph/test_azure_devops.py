"""Azure DevOps pipelines as graphs: the repository's own pipelines, expanded as `amlops run` expands them,
and small pipelines for the shapes those do not have (steps only, deployment hooks, errors)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from amlops.ci.errors import PipelineError
from amlops.graph import Graph, load_graph
from amlops.graph.azure_devops import load
from amlops.lifecycle.commands_expand import project_repos

REPO = Path(__file__).resolve().parents[3]


def _steps(graph: Graph, job: str) -> list[str]:
    return [graph.node(i).label for i in graph.children(job)]


def _depends(graph: Graph) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in graph.edges if e.kind == "depends"}


def _write(tmp_path: Path, text: str, name: str = "pipeline.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_train_model_is_one_stage_whose_job_comes_from_the_step_library(
    real_graphs: dict[str, Graph],
) -> None:
    graph = real_graphs["azure-devops/train-model.yml"]
    assert (graph.dialect, graph.title, graph.source) == (
        "azure-devops",
        "train-model",
        "pipelines/azure-devops/train-model.yml",
    )
    assert [(c.id, c.kind, c.parent) for c in graph.clusters] == [
        ("train", "stage", None),
        ("train/run_training", "job", "train"),
    ]
    assert graph.cluster("train").label == "Train (dev workspace)"
    job = graph.cluster("train/run_training")
    assert job.label == "Train, gate and register"
    assert job.details == ("from jobs/run-training.yml@templates",)  # the @templates alias, from pyproject
    steps = _steps(graph, "train/run_training")
    assert steps[0] == "checkout: self"
    assert steps[1:3] == ["Install amlops", "Connect (local backend - nothing to do)"]
    assert steps[-3].startswith("Register the gated candidate")
    assert steps[-2:] == ["Write the run report", "Publish the run report"]  # also after a rejection
    assert len(steps) == 10
    # the steps run in order: one sequence edge between each pair of neighbours, nothing else
    ids = graph.children("train/run_training")
    assert [(e.source, e.target) for e in graph.edges if e.kind == "sequence"] == list(
        itertools.pairwise(ids)
    )
    assert graph.node(ids[-3]).condition == "and(succeeded(), eq(variables['gateModel.passed'], 'true'))"
    report = "and(not(canceled()), ne(variables['runPipeline.runId'], ''))"  # after a failed run too
    assert [graph.node(i).condition for i in ids[-2:]] == [report, report]
    assert all(graph.node(i).condition is None for i in ids[:-3])


def test_parameters_change_what_is_expanded() -> None:
    path = REPO / "pipelines" / "azure-devops" / "train-model.yml"
    repos = project_repos(REPO)
    local = load(path, repo_root=REPO, repos=repos)
    azure = load(path, repo_root=REPO, repos=repos, parameters={"backend": "azure"})
    assert "Connect (local backend - nothing to do)" in _steps(local, "train/run_training")
    assert "Connect (local backend - nothing to do)" not in _steps(azure, "train/run_training")


def test_monitor_retrains_after_the_drift_stage_under_its_condition(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["azure-devops/monitor.yml"]
    assert [c.id for c in graph.clusters if c.kind == "stage"] == ["monitor", "retrain"]
    assert _depends(graph) == {("monitor", "retrain")}
    retrain = graph.cluster("retrain")
    assert retrain.condition is not None
    assert "dependencies.monitor.outputs['check_drift.decide.retrain']" in retrain.condition
    assert graph.cluster("monitor").condition is None  # the default succeeded() is not shown


def test_deploy_model_promotes_from_dev_to_prod_through_deployment_jobs(
    real_graphs: dict[str, Graph],
) -> None:
    graph = real_graphs["azure-devops/deploy-model.yml"]
    assert _depends(graph) == {("deploy_dev", "deploy_prod")}
    for stage, environment in (("deploy_dev", "dev"), ("deploy_prod", "prod")):
        job = graph.cluster(f"{stage}/deploy_model")
        assert f"deployment to environment {environment}" in job.details
        assert any(d.startswith("from jobs/deploy-model.yml@templates") for d in job.details)
        steps = _steps(graph, job.id)  # the runOnce deploy hook's steps, straight in the job
        assert steps[0] == "checkout: self"
        assert any(s.startswith("Deploy a model version to an online endpoint") for s in steps)
    assert graph.cluster("deploy_dev").details == ("from stages/deploy-model.yml@templates",)


def test_deploy_infra_applies_after_planning_in_each_stage(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["azure-devops/deploy-infra.yml"]
    assert _depends(graph) == {
        ("infrastructure_dev", "infrastructure_prod"),
        ("infrastructure_dev/plan_infrastructure", "infrastructure_dev/apply_infrastructure"),
        ("infrastructure_prod/plan_infrastructure", "infrastructure_prod/apply_infrastructure"),
    }


def test_pr_ci_has_two_parallel_jobs_and_no_stage(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["azure-devops/pr-ci.yml"]
    assert graph.children(None) == ["test_project", "check_infrastructure"]
    assert all(c.kind == "job" for c in graph.clusters)
    assert _depends(graph) == set()
    publish = next(
        graph.node(i) for i in graph.children("test_project") if graph.node(i).label == "Publish test results"
    )
    assert publish.condition == "succeededOrFailed()"
    assert publish.details == ("task: PublishTestResults@2",)


def test_a_steps_only_pipeline_is_one_job(tmp_path: Path) -> None:
    path = _write(tmp_path, "steps:\n  - script: echo one\n  - bash: echo two\n    displayName: Two\n")
    graph = load_graph(path, repo_root=tmp_path)
    assert graph.children(None) == ["Job"]
    assert _steps(graph, "Job") == ["script: echo one", "Two"]


def test_stages_without_depends_on_follow_the_one_before(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "stages:\n"
        "  - stage: a\n    jobs:\n      - job: x\n        steps: [{script: echo}]\n"
        "  - stage: b\n    jobs:\n      - job: x\n        steps: [{script: echo}]\n"
        "  - stage: c\n    dependsOn: []\n    condition: always()\n    jobs:\n"
        "      - job: y\n        steps: []\n",
    )
    graph = load_graph(path, repo_root=tmp_path)
    assert _depends(graph) == {("a", "b")}
    assert graph.cluster("c").condition == "always()"
    assert _steps(graph, "c/y") == ["(no steps)"]
    assert graph.node("c/y/none").kind == "empty"


def test_a_deployment_with_several_hooks_shows_each_in_lifecycle_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "jobs:\n"
        "  - deployment: ship\n"
        "    environment: prod\n"
        "    strategy:\n"
        "      runOnce:\n"
        "        preDeploy:\n          steps: [{script: echo pre}]\n"
        "        deploy:\n          steps: [{script: echo deploy}]\n"
        "        on:\n"
        "          failure:\n            steps: [{script: echo rollback}]\n",
    )
    graph = load_graph(path, repo_root=tmp_path)
    assert graph.children("ship") == ["ship/preDeploy", "ship/deploy", "ship/on.failure"]
    assert graph.cluster("ship/on.failure").label == "on failure"
    sequence = {(e.source, e.target, e.label) for e in graph.edges if e.source.startswith("ship/")}
    assert ("ship/preDeploy", "ship/deploy", "") in sequence
    assert ("ship/deploy", "ship/on.failure", "on failure") in sequence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "jobs:\n  - job: a\n    dependsOn: nothere\n    steps: [{script: echo}]\n",
            "pipeline.yml:2: job 'a' depends on 'nothere', which does not exist",
        ),
        (
            "jobs:\n  - job: a\n    dependsOn: b\n    steps: [{script: echo}]\n"
            "  - job: b\n    dependsOn: a\n    steps: [{script: echo}]\n",
            "jobs depend on each other in a cycle: a -> b -> a",
        ),
        ("steps:\n  - script: echo\n   displayName: x\n", "pipeline.yml:3: invalid YAML"),
        ("jobs:\n  - template: missing.yml\n", "missing.yml"),
    ],
)
def test_problems_name_the_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PipelineError) as caught:
        load_graph(path, repo_root=tmp_path)
    assert expected in caught.value.message
