"""Trigger selection: pure matching functions table by table, then `select` over a small repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from amlops.ci.errors import PipelineError
from amlops.lifecycle.triggers import (
    azure_branch_match,
    azure_path_match,
    azure_triggered,
    github_filter,
    github_match,
    github_triggered,
    lifecycle_rank,
    select,
)


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("main", "main", True),
        ("main", "mainline", False),
        ("feature/*", "feature/x", True),
        ("feature/*", "feature/x/y", False),
        ("feature/**", "feature/x/y", True),
        ("**", "a/b/c", True),
        ("*", "a/b", False),
        ("*.py", "train.py", True),
        ("*.py", "src/train.py", False),
        ("**.py", "src/train.py", True),
        ("**/README.md", "README.md", True),
        ("**/README.md", "docs/a/README.md", True),
        ("docs/**", "docs/a/b.md", True),
        ("docs/**", "docsx/a.md", False),
        ("data-science/**", "data-science/src/train.py", True),
        ("Octoc?t", "Octocat", True),
        ("Octoc?t", "Octoct", True),
        ("Octoc?t", "Octoc/t", False),
        ("Octoc?t", "Octocaat", False),
        ("v2+", "v22", True),
        ("v2+", "v", False),
        ("[CB]at", "Cat", True),
        ("[CB]at", "Rat", False),
        ("v[0-9].x", "v3.x", True),
        ("release\\+1", "release+1", True),
        ("release\\+1", "releasee1", False),
        ("a.b", "axb", False),
    ],
)
def test_github_match(pattern: str, name: str, expected: bool) -> None:
    assert github_match(pattern, name) is expected


@pytest.mark.parametrize(
    ("patterns", "name", "expected"),
    [
        (["main", "releases/**"], "releases/1/2", True),
        (["releases/**", "!releases/**-alpha"], "releases/2-alpha", False),
        (["releases/**", "!releases/**-alpha"], "releases/2", True),
        (["!releases/old", "releases/**"], "releases/old", True),
        (["!main"], "main", False),
        ([], "main", False),
    ],
)
def test_github_filter_order_and_negation(patterns: list[str], name: str, expected: bool) -> None:
    assert github_filter(patterns, name) is expected


@pytest.mark.parametrize(
    ("pattern", "branch", "expected"),
    [
        ("main", "main", True),
        ("main", "main2", False),
        ("releases/*", "releases/2024", True),
        ("releases/*", "releases/2024/hotfix", True),
        ("refs/heads/main", "main", True),
        ("release-?", "release-1", True),
        ("release-?", "release-10", False),
        ("*", "anything/at/all", True),
    ],
)
def test_azure_branch_match(pattern: str, branch: str, expected: bool) -> None:
    assert azure_branch_match(pattern, branch) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("docs", "docs/readme.md", True),
        ("docs", "docs", True),
        ("docs", "docsite/a.md", False),
        ("/data-science/", "data-science/src/x.py", True),
        ("data-science/src/*", "data-science/src/x.py", True),
        ("data-science/src/*", "data-science/src/pkg/x.py", True),
        ("*.md", "README.md", True),
        ("*.md", "docs/README.md", False),
        ("**/*.md", "docs/a/README.md", True),
        ("src/?.py", "src/a.py", True),
        ("src/?.py", "src/ab.py", False),
    ],
)
def test_azure_path_match(pattern: str, path: str, expected: bool) -> None:
    assert azure_path_match(pattern, path) is expected


GH = {
    "string-push": "on: push",
    "list": "on: [push, pull_request]",
    "branches": "on:\n  push:\n    branches: [main, 'releases/**']",
    "branches-ignore": "on:\n  push:\n    branches-ignore: ['wip/**']",
    "tags-only": "on:\n  push:\n    tags: ['v*']",
    "paths": "on:\n  push:\n    branches: [main]\n    paths: ['data-science/**', '!data-science/**.md']",
    "paths-ignore": "on:\n  push:\n    paths-ignore: ['docs/**', '**.md']",
    "pr-main": "on:\n  pull_request:\n    branches: [main]",
    "schedule": "on:\n  schedule:\n    - cron: '0 3 * * *'",
    "dispatch": "on:\n  workflow_dispatch:",
    "rd-types": "on:\n  repository_dispatch:\n    types: [model-registered, data-updated]",
    "rd-any": "on:\n  repository_dispatch:",
    "call-only": "on:\n  workflow_call:",
}


@pytest.mark.parametrize(
    ("name", "event", "kwargs", "expected"),
    [
        ("string-push", "push", {}, True),
        ("string-push", "pull_request", {}, False),
        ("list", "pull_request", {}, True),
        ("branches", "push", {"ref": "refs/heads/main"}, True),
        ("branches", "push", {"ref": "refs/heads/releases/1.0"}, True),
        ("branches", "push", {"ref": "refs/heads/feature/x"}, False),
        ("branches", "push", {"ref": "refs/tags/v1"}, False),
        ("branches-ignore", "push", {"ref": "refs/heads/wip/x"}, False),
        ("branches-ignore", "push", {"ref": "refs/heads/main"}, True),
        ("tags-only", "push", {"ref": "refs/tags/v1.0"}, True),
        ("tags-only", "push", {"ref": "refs/heads/main"}, False),
        ("string-push", "push", {"ref": "refs/tags/v1.0"}, True),
        ("paths", "push", {"changed_paths": ["data-science/src/train.py"]}, True),
        ("paths", "push", {"changed_paths": ["data-science/README.md"]}, False),
        ("paths", "push", {"changed_paths": ["README.md", "data-science/a.py"]}, True),
        ("paths", "push", {"changed_paths": []}, False),
        ("paths", "push", {"changed_paths": None}, True),
        ("paths-ignore", "push", {"changed_paths": ["docs/a.txt", "x/README.md"]}, False),
        ("paths-ignore", "push", {"changed_paths": ["docs/a.txt", "src/a.py"]}, True),
        ("pr-main", "pull_request", {"ref": "refs/heads/main"}, True),
        ("pr-main", "pull_request", {"ref": "refs/heads/dev"}, False),
        ("schedule", "schedule", {}, True),
        ("schedule", "push", {}, False),
        ("dispatch", "workflow_dispatch", {}, True),
        ("dispatch", "manual", {}, True),
        ("rd-types", "model-registered", {}, True),
        ("rd-any", "model-registered", {}, True),
        ("dispatch", "model-registered", {}, False),
        ("rd-types", "repository_dispatch", {"payload": {"action": "data-updated"}}, True),
        ("rd-types", "repository_dispatch", {"payload": {"action": "other"}}, False),
        ("call-only", "push", {}, False),
        ("call-only", "workflow_dispatch", {}, False),
    ],
)
def test_github_triggered(name: str, event: str, kwargs: dict[str, Any], expected: bool) -> None:
    document = yaml.safe_load(GH[name] + "\njobs: {}")
    assert github_triggered(document, event, **kwargs) is expected


ADO = {
    "absent": "steps: []",
    "none": "trigger: none\npr: none",
    "list": "trigger: [main, 'releases/*']",
    "include-exclude": "trigger:\n  branches:\n    include: ['releases/*']\n    exclude: ['releases/old*']",
    "exclude-only": "trigger:\n  branches:\n    exclude: [wip]",
    "paths": (
        "trigger:\n  branches:\n    include: [main]\n  paths:\n    include: [data-science]\n"
        "    exclude: [data-science/docs]"
    ),
    "tags": "trigger:\n  tags:\n    include: ['v*']",
    "pr-list": "pr: [main]",
    "pr-exclude-only": "pr:\n  branches:\n    exclude: [dev]",
    "schedules": "schedules:\n- cron: '0 3 * * *'\n  branches:\n    include: [main]",
    "webhook": (
        "resources:\n  webhooks:\n  - webhook: modelRegistered\n    connection: registry\n"
        "    filters:\n    - path: alias\n      value: challenger"
    ),
    "webhook-other": "resources:\n  webhooks:\n  - webhook: somethingElse\n    connection: x",
}


@pytest.mark.parametrize(
    ("name", "event", "kwargs", "expected"),
    [
        ("absent", "push", {"ref": "refs/heads/any/branch"}, True),
        ("absent", "push", {"ref": "refs/tags/v1"}, False),
        ("absent", "pull_request", {}, True),
        ("none", "push", {}, False),
        ("none", "pull_request", {}, False),
        ("list", "push", {"ref": "refs/heads/releases/r1"}, True),
        ("list", "push", {"ref": "refs/heads/dev"}, False),
        ("include-exclude", "push", {"ref": "refs/heads/releases/new"}, True),
        ("include-exclude", "push", {"ref": "refs/heads/releases/old1"}, False),
        ("include-exclude", "push", {"ref": "refs/heads/main"}, False),
        ("exclude-only", "push", {"ref": "refs/heads/main"}, True),
        ("exclude-only", "push", {"ref": "refs/heads/wip"}, False),
        ("paths", "push", {"changed_paths": ["data-science/src/a.py"]}, True),
        ("paths", "push", {"changed_paths": ["data-science/docs/a.md"]}, False),
        ("paths", "push", {"changed_paths": ["infrastructure/main.tf"]}, False),
        ("paths", "push", {"changed_paths": None}, True),
        ("tags", "push", {"ref": "refs/tags/v1.2"}, True),
        ("tags", "push", {"ref": "refs/heads/main"}, False),
        ("pr-list", "pull_request", {"ref": "refs/heads/main"}, True),
        ("pr-list", "pull_request", {"ref": "refs/heads/dev"}, False),
        ("pr-exclude-only", "pull_request", {"ref": "refs/heads/main"}, False),
        ("schedules", "schedule", {"ref": "refs/heads/main"}, True),
        ("schedules", "schedule", {"ref": "refs/heads/dev"}, False),
        ("absent", "schedule", {}, False),
        ("absent", "workflow_dispatch", {}, True),
        ("webhook", "model-registered", {"payload": {"alias": "challenger"}}, True),
        ("webhook", "model-registered", {"payload": {"alias": "champion"}}, False),
        ("webhook-other", "model-registered", {"payload": {}}, False),
        ("absent", "model-registered", {}, False),
        ("absent", "repository_dispatch", {}, False),
    ],
)
def test_azure_triggered(name: str, event: str, kwargs: dict[str, Any], expected: bool) -> None:
    document = yaml.safe_load(ADO[name]) or {}
    assert azure_triggered(document, event, **kwargs) is expected


@pytest.mark.parametrize(
    ("stem", "rank"),
    [
        ("pr-ci", 0),
        ("ci", 0),
        ("deploy-infra", 1),
        ("train-model", 2),
        ("deploy-model", 3),
        ("monitor", 4),
        ("lint-docs", 5),
    ],
)
def test_lifecycle_rank(stem: str, rank: int) -> None:
    assert lifecycle_rank(Path(f"{stem}.yml")) == rank


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


REPO = {
    ".github/workflows/train-model.yml": (
        "on:\n  push:\n    branches: [main]\n    paths: ['data-science/**']\n"
        "  schedule:\n    - cron: '0 1 * * 0'\n"
        "jobs: {t: {runs-on: ubuntu-latest, steps: [{run: 'true'}]}}\n"
    ),
    ".github/workflows/pr-ci.yml": (
        "on:\n  pull_request:\n    branches: [main]\n  push:\n    branches: [main]\n"
        "jobs: {c: {runs-on: ubuntu-latest, steps: [{run: 'true'}]}}\n"
    ),
    ".github/workflows/deploy-model.yml": (
        "on:\n  repository_dispatch:\n    types: [model-registered]\n  workflow_dispatch:\n"
        "jobs: {d: {runs-on: ubuntu-latest, steps: [{run: 'true'}]}}\n"
    ),
    ".github/workflows/monitor.yml": (
        "on:\n  schedule:\n    - cron: '0 3 * * *'\n"
        "jobs: {m: {runs-on: ubuntu-latest, steps: [{run: 'true'}]}}\n"
    ),
    ".github/workflows/run-tests.yml": (
        "on:\n  workflow_call:\njobs: {r: {runs-on: ubuntu-latest, steps: [{run: 'true'}]}}\n"
    ),
    ".github/workflows/notes.txt": "not a workflow",
    "pipelines/azure-devops/pr-ci.yml": "trigger: none\npr: [main]\nsteps: [{script: 'true'}]\n",
    "pipelines/azure-devops/train-model.yml": (
        "trigger:\n  branches:\n    include: [main]\n  paths:\n    include: [data-science]\npr: none\n"
        "steps: [{script: 'true'}]\n"
    ),
    "pipelines/azure-devops/deploy-model.yml": (
        "trigger: none\npr: none\nresources:\n  webhooks:\n"
        "  - webhook: modelRegistered\n    connection: registry\n"
        "steps: [{script: 'true'}]\n"
    ),
    "pipelines/azure-devops/monitor.yml": (
        "trigger: none\npr: none\nschedules:\n- cron: '0 3 * * *'\n  branches:\n    include: [main]\n"
        "steps: [{script: 'true'}]\n"
    ),
}


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


@pytest.mark.parametrize(
    ("event", "kwargs", "expected"),
    [
        (
            "push",
            {"changed_paths": ["data-science/src/train.py"]},
            [
                ".github/workflows/pr-ci.yml",
                ".github/workflows/train-model.yml",
                "pipelines/azure-devops/train-model.yml",
            ],
        ),
        ("push", {"changed_paths": ["README.md"]}, [".github/workflows/pr-ci.yml"]),
        ("push", {"ref": "refs/heads/dev", "changed_paths": ["data-science/a.py"]}, []),
        ("pull_request", {}, [".github/workflows/pr-ci.yml", "pipelines/azure-devops/pr-ci.yml"]),
        (
            "schedule",
            {},
            [
                ".github/workflows/train-model.yml",
                ".github/workflows/monitor.yml",
                "pipelines/azure-devops/monitor.yml",
            ],
        ),
        (
            "model-registered",
            {"payload": {"model": "m", "version": 2, "alias": "challenger"}},
            [".github/workflows/deploy-model.yml", "pipelines/azure-devops/deploy-model.yml"],
        ),
    ],
)
def test_select(tmp_path: Path, event: str, kwargs: dict[str, Any], expected: list[str]) -> None:
    write(tmp_path, REPO)
    assert names(select(tmp_path, event, **kwargs), tmp_path) == expected


def test_select_custom_folders(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"ci/azure/build.yml": "steps: [{script: 'true'}]\n", "ci/azure/template.yml": "parameters: []\n"},
    )
    found = select(tmp_path, "push", azure_devops_folders=["ci/azure"], github_folders=[])
    assert names(found, tmp_path) == ["ci/azure/build.yml"]


def test_select_reports_malformed_yaml_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/bad.yml": "on: push\njobs:\n  a: [\n"})
    with pytest.raises(PipelineError, match=r"\.github/workflows/bad\.yml:\d+"):
        select(tmp_path, "push")


def test_select_empty_repository(tmp_path: Path) -> None:
    assert select(tmp_path, "push") == []
