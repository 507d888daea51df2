"""The dialect registry: detection from the file (as `amlops run` and `amlops graph` read it), the dict,
each dialect's words for the statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.ci import dialects
from amlops.ci.result import Status
from amlops.yamlsource import safe_load


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n", "github"),
        ("on: push\njobs:\n  a:\n    uses: ./.github/workflows/b.yml\n", "github"),
        ("trigger: none\njobs:\n  - job: a\n    steps: []\n", "azure-devops"),
        ("steps:\n  - script: echo\n", "azure-devops"),
        ("jobs:\n  a:\n    runs-on: x\n", "azure-devops"),  # no `on:`
        ("on: push\njobs: [\n", "azure-devops"),  # malformed: the Azure DevOps loader names the line
    ],
)
def test_detect(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(text, encoding="utf-8")
    assert dialects.detect(path) == expected


def test_detect_an_already_read_document(tmp_path: Path) -> None:
    """`amlops graph` reads the file once (for its Azure ML check) and hands the document over."""
    workflow = safe_load("on: push\njobs:\n  a:\n    runs-on: x\n")
    assert dialects.detect(tmp_path / "never-read.yml", workflow) == "github"
    assert dialects.detect(tmp_path / "never-read.yml", None) == "azure-devops"


def test_every_dialect_loads_and_names_the_statuses_it_reports() -> None:
    assert sorted(dialects.DIALECTS) == ["azure-devops", "github"]
    words = {name: dialects.get_dialect(name).words for name in dialects.DIALECTS}
    assert words["azure-devops"][Status.SUCCEEDED] == "Succeeded"
    assert words["github"][Status.SUCCEEDED] == "success"
    for name in dialects.DIALECTS:
        assert dialects.get_dialect(name).title
        assert set(words[name]) >= {
            Status.SUCCEEDED,
            Status.FAILED,
            Status.SKIPPED,
            Status.WAITING_FOR_APPROVAL,
        }


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="dialect must be one of azure-devops, github, not 'jenkins'"):
        dialects.get_dialect("jenkins")
