"""GitHub workflows as graphs: the repository's own workflows (jobs calling the library's reusable
workflows, shown nested) and small workflows for the other shapes and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.ci.errors import PipelineError
from amlops.graph import Graph, load_graph


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _labels(graph: Graph, parent: str) -> list[str]:
    return [graph.node(i).label for i in graph.children(parent)]


def test_deploy_model_calls_the_reusable_workflow_per_environment(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["github/deploy-model.yml"]
    assert (graph.dialect, graph.title) == ("github", "deploy-model")
    assert graph.children(None) == ["dev", "prod"]
    assert [(e.source, e.target) for e in graph.edges if e.kind == "depends"] == [("dev", "prod")]
    for environment in ("dev", "prod"):
        caller = graph.cluster(environment)
        assert caller.kind == "workflow"
        assert caller.details == ("calls templates/github/workflows/deploy-model.yml",)
        assert graph.children(environment) == [f"{environment}/deploy"]
        job = graph.cluster(f"{environment}/deploy")
        # the name is rendered with the caller's `with:` (Deploy model (${{ inputs.environment }}))
        assert job.label == f"Deploy model ({environment})"
        assert job.details == (f"environment: {environment}",)
        steps = [graph.node(i) for i in graph.children(job.id)]
        assert [s.label for s in steps][:2] == ["Check out", "Install amlops"]
        conditions = {s.label: s.condition for s in steps}
        assert conditions["Deploy online"] == "inputs.deploy-online"
        assert conditions["Deploy batch"] == "inputs.deploy-batch"
        assert conditions["Check out"] is None


def test_monitor_retrains_only_when_drift_says_so(real_graphs: dict[str, Graph]) -> None:
    graph = real_graphs["github/monitor.yml"]
    assert graph.children(None) == ["drift", "retrain"]
    depends = [(e.source, e.target) for e in graph.edges if e.kind == "depends"]
    # run-training's announce job waits for its train job inside the called workflow
    assert sorted(depends) == [("drift", "retrain"), ("retrain/train", "retrain/announce")]
    assert graph.cluster("retrain").condition == "needs.drift.outputs.retrain == 'true'"
    assert graph.cluster("retrain").details == ("calls templates/github/workflows/run-training.yml",)


def test_every_real_workflow_nests_the_jobs_it_calls(real_graphs: dict[str, Graph]) -> None:
    for name in ("pr-ci", "train-model", "deploy-infra", "deploy-model", "monitor"):
        graph = real_graphs[f"github/{name}.yml"]
        callers = [c for c in graph.clusters if c.parent is None]
        assert callers, name
        for caller in callers:
            assert caller.kind == "workflow", name
            jobs = graph.children(caller.id)
            assert jobs, name
            assert all(graph.cluster(j).kind == "job" for j in jobs), name
            assert all(graph.children(j) for j in jobs), name


def test_jobs_steps_needs_and_conditions_of_a_plain_workflow(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        ".github/workflows/ci.yml",
        "name: ci\n"
        "on:\n  workflow_dispatch:\n    inputs:\n      target: {type: string, default: staging}\n"
        "jobs:\n"
        "  build:\n    runs-on: ubuntu-latest\n"
        "    strategy:\n      matrix:\n        python: ['3.11', '3.12']\n"
        "    steps:\n      - uses: actions/checkout@v4\n"
        "      - run: |\n          make build\n          make more\n"
        "  ship:\n    name: Ship to ${{ inputs.target }}\n    needs: build\n"
        "    if: github.ref == 'refs/heads/main'\n"
        "    runs-on: ubuntu-latest\n    environment: ${{ inputs.target }}\n"
        "    steps:\n      - name: Ship\n        if: success()\n        run: ./ship\n"
        "  remote:\n    needs: [build, ship]\n    uses: octo/flows/.github/workflows/x.yml@v1\n",
    )
    graph = load_graph(path, repo_root=tmp_path)
    assert graph.children(None) == ["build", "ship", "remote"]
    assert _labels(graph, "build") == ["actions/checkout@v4", "make build"]
    assert graph.cluster("build").details == ("matrix: python",)
    ship = graph.cluster("ship")
    assert (ship.label, ship.condition, ship.details) == (
        "Ship to staging",
        "github.ref == 'refs/heads/main'",
        ("environment: staging",),
    )
    assert graph.node("ship/0").condition == "success()"
    remote = graph.node("remote")
    assert (remote.kind, remote.details) == ("call", ("calls octo/flows/.github/workflows/x.yml@v1",))
    assert {(e.source, e.target) for e in graph.edges if e.kind == "depends"} == {
        ("build", "ship"),
        ("build", "remote"),
        ("ship", "remote"),
    }


def test_reusable_workflows_nest_recursively(tmp_path: Path) -> None:
    _write(
        tmp_path,
        ".github/workflows/_inner.yml",
        "on:\n  workflow_call:\n    inputs:\n      who: {type: string, default: nobody}\n"
        "jobs:\n  hello:\n    name: Hello ${{ inputs.who }}\n    runs-on: ubuntu-latest\n"
        "    steps: [{run: echo hi}]\n",
    )
    _write(
        tmp_path,
        ".github/workflows/_outer.yml",
        "on: workflow_call\njobs:\n  inner:\n"
        "    uses: ./.github/workflows/_inner.yml\n    with: {who: outer}\n",
    )
    path = _write(
        tmp_path,
        ".github/workflows/main.yml",
        "on: push\njobs:\n  call:\n    uses: ./.github/workflows/_outer.yml\n",
    )
    graph = load_graph(path, repo_root=tmp_path)
    assert graph.ancestors("call/inner/hello/0") == ["call/inner/hello", "call/inner", "call"]
    assert graph.cluster("call/inner/hello").label == "Hello outer"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"main.yml": "on: push\njobs:\n  a:\n    runs-on: x\n    needs: z\n    steps: [{run: echo}]\n"},
            ".github/workflows/main.yml:3: job 'a' needs 'z', which is not a job (a)",
        ),
        (
            {"main.yml": "on: push\njobs:\n  a:\n    uses: ./.github/workflows/gone.yml\n"},
            ".github/workflows/main.yml:4: job 'a' calls './.github/workflows/gone.yml', "
            "which does not exist",
        ),
        (
            {
                "main.yml": "on: push\njobs:\n  a:\n    uses: ./.github/workflows/b.yml\n",
                "b.yml": "on: workflow_call\njobs:\n  b:\n    uses: ./.github/workflows/main.yml\n",
            },
            "reusable workflows call each other in a cycle: "
            ".github/workflows/main.yml -> .github/workflows/b.yml -> .github/workflows/main.yml",
        ),
        ({"main.yml": "on: push\njobs: {}\n"}, ".github/workflows/main.yml:2: the workflow has no jobs"),
        (
            {"main.yml": "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n    - run: [oops\n"},
            ".github/workflows/main.yml:",
        ),
    ],
)
def test_problems_name_the_file_and_line(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    for name, text in files.items():
        _write(tmp_path, f".github/workflows/{name}", text)
    with pytest.raises(PipelineError) as caught:
        load_graph(tmp_path / ".github/workflows/main.yml", repo_root=tmp_path, kind="github")
    assert expected in caught.value.message
