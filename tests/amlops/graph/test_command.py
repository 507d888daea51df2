"""`amlops graph FILE`: the diagram on stdout or in a file with a JSON result, errors as exit 2 naming the
file and line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from amlops.cli import main
from amlops.graph.command import chosen_format

REPO = Path(__file__).resolve().parents[3]
PR_CI = REPO / "pipelines" / "github" / "pr-ci.yml"
TRAIN = REPO / "pipelines" / "azure-devops" / "train-model.yml"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--project-dir", str(REPO), "graph", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_mermaid_on_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(TRAIN))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("%%{init: ")
    assert lines[1:3] == [
        "%% train-model (pipelines/azure-devops/train-model.yml), drawn by amlops graph",
        "flowchart LR",
    ]
    assert "from jobs/run-training.yml@templates" in out  # the alias resolved from pyproject.toml
    assert not out.rstrip().endswith("}")  # the diagram alone, no JSON line


def test_parameters_and_repository_aliases_reach_the_expansion(capsys: pytest.CaptureFixture[str]) -> None:
    _, local, _ = _run(capsys, str(TRAIN))
    code, azure, _ = _run(
        capsys,
        str(TRAIN),
        "--param",
        "backend=azure",
        "--repo",
        f"templates={REPO / 'templates/azure-devops'}",
    )
    assert code == 0
    assert "Connect (local backend" in local
    assert "Connect (local backend" not in azure


def test_svg_into_a_file_with_a_json_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pictures" / "pr-ci.svg"
    code, out, _ = _run(capsys, str(PR_CI), "--output", str(target))
    assert code == 0
    result = json.loads(out.splitlines()[-1])
    assert result == {
        "file": "pipelines/github/pr-ci.yml",
        "dialect": "github",
        "format": "svg",
        "output": str(target),
        "nodes": result["nodes"],
        "clusters": result["clusters"],
        "edges": result["edges"],
    }
    root = ET.fromstring(target.read_text(encoding="utf-8"))
    drawn = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "node" in g.get("class", "").split()]
    assert len(drawn) == result["nodes"] > 0


def test_markdown_output_is_a_mermaid_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pr-ci.md"
    code, out, _ = _run(capsys, str(PR_CI), "--output", str(target))
    assert code == 0
    assert json.loads(out.splitlines()[-1])["format"] == "mermaid"
    text = target.read_text(encoding="utf-8")
    assert text.startswith("```mermaid\n%%{init: ")
    assert "\n%% pr-ci (pipelines/github/pr-ci.yml), drawn by amlops graph\nflowchart LR\n" in text
    assert text.endswith("```\n")


@pytest.mark.parametrize(
    ("requested", "output", "expected"),
    [
        (None, None, "mermaid"),
        (None, "x.svg", "svg"),
        (None, "x.SVG", "svg"),
        ("mermaid", "x.svg", "mermaid"),
    ],
)
def test_the_format_follows_the_option_then_the_file_name(
    requested: str | None, output: str | None, expected: str
) -> None:
    assert chosen_format(requested, Path(output) if output else None) == expected


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("azure.yml", "steps:\n  - script: echo\n   displayName: x\n", "azure.yml:3: invalid YAML"),
        (
            "workflow.yml",
            "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [b]\n    steps: [{run: echo}]\n",
            "workflow.yml:3: job 'a' needs 'b', which is not a job",
        ),
        (
            "job.yml",
            "type: pipeline\njobs:\n  a:\n    type: command\n    component: nowhere.yml\n",
            "job.yml:5: step 'a': component file 'nowhere.yml' not found",
        ),
    ],
)
def test_a_malformed_file_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code = main(["--project-dir", str(tmp_path), "graph", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert expected in captured.err
    assert expected in json.loads(captured.out.splitlines()[-1])["error"]


def test_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, str(tmp_path / "nothing.yml"))
    assert code == 2
    assert "no such pipeline file" in err
