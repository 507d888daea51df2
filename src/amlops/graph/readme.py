"""The pipeline diagrams of a generated project's README: one Mermaid block per pipeline the project has.

A project's pipelines are its CI pipelines (`.github/workflows/*.yml` that something triggers, not the
reusable workflows they call, or `.azure-pipelines/*.yml`) and its Azure ML training pipeline job
(`pipelines/azureml/train-pipeline.yml`). Each is drawn by `load_graph` exactly as `amlops graph` draws it,
with the project's own repository aliases (`[tool.amlops.repositories]`).

The cookiecutter's post-generation hook runs `python -m amlops.graph.readme PROJECT` with the template's
own `src/` as working folder (so the template's amlops draws, whatever else is installed) and puts what it
prints in the README (`amlops.render.layout`). It needs only the standard library and PyYAML, which
cookiecutter brings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from amlops.errors import AmlopsError
from amlops.graph.load import load_graph
from amlops.graph.mermaid import fenced
from amlops.lifecycle.commands_expand import project_repos
from amlops.yamlsource import safe_load

GITHUB_WORKFLOWS = Path(".github/workflows")
AZURE_PIPELINES = Path(".azure-pipelines")
TRAIN_PIPELINE = Path("pipelines/azureml/train-pipeline.yml")
KINDS = {
    "github": "GitHub Actions workflow",
    "azure-devops": "Azure DevOps pipeline",
    "azureml": "Azure ML pipeline job",
}


def _only_called(path: Path) -> bool:
    """A workflow whose only trigger is `workflow_call` is part of another one, not a pipeline of its own."""
    try:
        document = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False  # drawn, so that its error is reported
    if not isinstance(document, dict):
        return False
    triggers = document.get("on", document.get(True))
    if isinstance(triggers, str):
        triggers = [triggers]
    return isinstance(triggers, dict | list) and list(triggers) == ["workflow_call"]


def project_pipelines(project: Path) -> list[Path]:
    """The project's pipeline files, CI first (by name), then the Azure ML training pipeline."""
    found = [p for p in sorted((project / GITHUB_WORKFLOWS).glob("*.y*ml")) if not _only_called(p)]
    found += sorted((project / AZURE_PIPELINES).glob("*.y*ml"))
    if (project / TRAIN_PIPELINE).is_file():
        found.append(project / TRAIN_PIPELINE)
    return found


def diagrams(project: Path) -> str:
    """Markdown: a heading, the file and a ```mermaid block for each of the project's pipelines."""
    repos = project_repos(project)
    parts = []
    for path in project_pipelines(project):
        graph = load_graph(path, repo_root=project, repos=repos)
        shown = path.relative_to(project).as_posix()
        kind = KINDS.get(graph.dialect, graph.dialect)
        parts.append(f"### {graph.title} — {kind}\n\n`{shown}`\n\n{fenced(graph)}")
    return "\n".join(parts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m amlops.graph.readme", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("project", type=Path, help="the project's root folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print the diagrams of PROJECT's pipelines (markdown); exit 2 naming the file on a pipeline error."""
    args = build_parser().parse_args(argv)
    try:
        text = diagrams(args.project)
    except AmlopsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
