"""The dialect registry: detection from the file, the dict, each dialect's words for the statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.ci import dialects
from amlops.ci.result import Status


def test_detect(tmp_path: Path) -> None:
    gh = tmp_path / "gh.yml"
    gh.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n    - run: echo\n")
    caller = tmp_path / "caller.yml"
    caller.write_text("on: push\njobs:\n  call:\n    uses: ./.github/workflows/other.yml\n")
    ado = tmp_path / "ado.yml"
    ado.write_text("trigger: none\njobs:\n- job: a\n  steps:\n  - script: echo\n")
    broken = tmp_path / "broken.yml"
    broken.write_text("steps: [\n")
    assert [dialects.detect(p) for p in (gh, caller, ado, broken)] == [
        "github",
        "github",
        "azure-devops",
        "azure-devops",
    ]


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
