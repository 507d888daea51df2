"""The README diagrams of a project: which files are its pipelines, the markdown drawn for them, and that
the code the cookiecutter hook runs needs nothing beyond the standard library and PyYAML."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from amlops.graph import load_graph
from amlops.graph.mermaid import fenced
from amlops.graph.readme import diagrams, main, project_pipelines

REPO = Path(__file__).resolve().parents[3]
WORKFLOW = "on: {workflow_dispatch: {}}\njobs:\n  a:\n    runs-on: x\n    steps: [{run: echo hi}]\n"


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_pipelines_of_a_github_project_leave_out_the_workflows_they_call(tmp_path: Path) -> None:
    _write(tmp_path, ".github/workflows/b-ci.yml", WORKFLOW)
    _write(
        tmp_path,
        ".github/workflows/_called.yml",
        WORKFLOW.replace("{workflow_dispatch: {}}", "workflow_call"),
    )
    _write(
        tmp_path,
        ".github/workflows/_also.yaml",
        WORKFLOW.replace("{workflow_dispatch: {}}", "[workflow_call]"),
    )
    _write(
        tmp_path,
        ".github/workflows/a-both.yml",
        WORKFLOW.replace("{workflow_dispatch: {}}", "{workflow_call: {}, push: {}}"),
    )
    train = tmp_path / "pipelines" / "azureml" / "train-pipeline.yml"
    train.parent.mkdir(parents=True)
    shutil.copy(REPO / "pipelines" / "azureml" / "train-pipeline.yml", train)
    found = [p.relative_to(tmp_path).as_posix() for p in project_pipelines(tmp_path)]
    assert found == [
        ".github/workflows/a-both.yml",
        ".github/workflows/b-ci.yml",
        "pipelines/azureml/train-pipeline.yml",
    ]


def test_the_pipelines_of_an_azure_devops_project_are_the_top_level_files(tmp_path: Path) -> None:
    _write(tmp_path, ".azure-pipelines/ci.yml", "steps: [{script: echo}]\n")
    _write(tmp_path, ".azure-pipelines/templates/steps/x.yml", "steps: [{script: echo}]\n")
    assert project_pipelines(tmp_path) == [tmp_path / ".azure-pipelines" / "ci.yml"]


def test_each_pipeline_gets_a_heading_its_file_and_its_diagram(tmp_path: Path) -> None:
    path = _write(tmp_path, ".github/workflows/ci.yml", "name: ci\n" + WORKFLOW)
    text = diagrams(tmp_path)
    assert text == "### ci — GitHub Actions workflow\n\n`.github/workflows/ci.yml`\n\n" + fenced(
        load_graph(path, repo_root=tmp_path)
    )


def test_main_prints_the_markdown_or_names_the_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, ".github/workflows/ci.yml", WORKFLOW)
    assert main([str(tmp_path)]) == 0
    assert "```mermaid" in capsys.readouterr().out
    _write(tmp_path, ".azure-pipelines/broken.yml", "steps:\n  - script: echo\n   bad: indent\n")
    assert main([str(tmp_path)]) == 2
    assert ".azure-pipelines/broken.yml:3: invalid YAML" in capsys.readouterr().err


def test_the_hook_side_needs_only_the_standard_library_and_pyyaml() -> None:
    """cookiecutter's own Python runs `python -m amlops.graph.readme`: it has PyYAML, not our dependencies.
    Drawing every pipeline of this repository, in a fresh interpreter, loads nothing else."""
    pipelines = [
        *sorted((REPO / "pipelines" / "azure-devops").glob("*.yml")),
        *sorted((REPO / "pipelines" / "github").glob("*.yml")),
        REPO / "pipelines" / "azureml" / "train-pipeline.yml",
    ]
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from amlops.lifecycle.commands_expand import project_repos\n"
        "from amlops.graph import load_graph, readme\n"
        "root = Path(sys.argv[1])\n"
        "for path in sys.argv[2:]:\n"
        "    readme.fenced(load_graph(Path(path), repo_root=root, repos=project_repos(root)))\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO), *map(str, pipelines)],
        cwd=REPO / "src",
        capture_output=True,
        text=True,
        check=True,
    )
    outside = {m for m in json.loads(done.stdout) if not m.startswith(("_cython", "cython_runtime"))}
    assert outside <= {"__main__", "amlops", "yaml", "_yaml"}, outside
