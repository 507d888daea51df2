"""The dialect of a pipeline file, as `amlops run` and `amlops graph` read it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from amlops.ci.dialect import dialect, safe_load


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
def test_dialect(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(text, encoding="utf-8")
    assert dialect(path) == expected


REPO = Path(__file__).resolve().parents[3]


def test_safe_load_reads_every_pipeline_as_pyyaml_s_safe_load_does() -> None:
    files = sorted((REPO / "pipelines").glob("*/*.yml")) + sorted((REPO / "templates").rglob("*.yml"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert safe_load(text) == yaml.safe_load(text), path
    assert safe_load("on: push\n") == {True: "push"}  # YAML 1.1, as the dialect check expects
