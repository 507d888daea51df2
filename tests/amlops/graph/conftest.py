"""Fixtures for the graph tests: this repository's own pipelines, each read into a `Graph`."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.graph import Graph, load_graph
from amlops.lifecycle.commands_expand import project_repos

REPO = Path(__file__).resolve().parents[3]
AZURE_DEVOPS = sorted((REPO / "pipelines" / "azure-devops").glob("*.yml"))
GITHUB = sorted((REPO / "pipelines" / "github").glob("*.yml"))
TRAIN_PIPELINE = REPO / "pipelines" / "azureml" / "train-pipeline.yml"
REAL_PIPELINES = [*AZURE_DEVOPS, *GITHUB, TRAIN_PIPELINE]


def real_id(path: Path) -> str:
    return path.relative_to(REPO / "pipelines").as_posix()


@pytest.fixture(scope="session")
def real_graphs() -> dict[str, Graph]:
    """Every pipeline of pipelines/ as `amlops graph` reads it, keyed by `azure-devops/pr-ci.yml` etc."""
    repos = project_repos(REPO)
    return {real_id(path): load_graph(path, repo_root=REPO, repos=repos) for path in REAL_PIPELINES}
