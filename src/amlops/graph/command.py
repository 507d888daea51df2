"""Draw a pipeline as a picture: Azure DevOps, GitHub Actions or an Azure ML pipeline job.

The dialect is read from the file as `amlops run` reads it, plus Azure ML pipeline jobs (`type: pipeline`).
Azure DevOps pipelines are expanded first, as `amlops expand` does (templates, `@alias` repositories from
`--repo` or the project's `[tool.amlops.repositories]`, `--param` values): the picture shows stages, jobs
and steps, `dependsOn` as arrows and written conditions on their stage, job or step. GitHub workflows show
jobs, `needs:`, `if:` and steps, with the jobs of a called local reusable workflow inside the calling job.
An Azure ML pipeline job shows its jobs and the data flowing between them.

`--format mermaid` (the default; flowchart text for a ```mermaid block, which GitHub and Azure DevOps
render) or `svg` (a self-contained picture, laid out here, no browser). Without `--output` the diagram is
printed on stdout, as `expand` prints its YAML; with it the file is written (`.svg` chooses svg when no
format is given, `.md` wraps the Mermaid text in a ```mermaid block) and the result is printed as JSON:
{"file", "dialect", "format", "output", "nodes", "clusters", "edges"}. A malformed file exits 2 naming
the file and line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from amlops.errors import UsageError
from amlops.graph.load import DIALECTS, load_graph
from amlops.graph.model import Graph
from amlops.lifecycle.commands_expand import pairs, parameter_values, pipeline_file
from amlops.output import emit_result

FORMATS = ("mermaid", "svg")
MARKDOWN_SUFFIXES = (".md", ".markdown")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="the pipeline file (Azure DevOps, GitHub Actions or Azure ML)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="mermaid (flowchart text) or svg; default: svg for an --output ending in .svg, else mermaid",
    )
    parser.add_argument("--output", type=Path, default=None, help="write here instead of stdout")
    parser.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="an Azure DevOps pipeline parameter"
    )
    parser.add_argument(
        "--repo",
        action="append",
        metavar="ALIAS=PATH",
        help="local folder of an Azure DevOps resources.repositories alias (default: "
        "[tool.amlops.repositories] of the project's pyproject.toml)",
    )
    parser.add_argument(
        "--input", action="append", metavar="NAME=VALUE", help="a GitHub workflow_dispatch input (for names)"
    )
    parser.add_argument(
        "--dialect", choices=DIALECTS, default=None, help="read the file as this dialect (default: detected)"
    )


def chosen_format(requested: str | None, output: Path | None) -> str:
    if requested is not None:
        return requested
    return "svg" if output is not None and output.suffix.lower() == ".svg" else "mermaid"


def render(graph: Graph, fmt: str, *, markdown: bool = False) -> str:
    """The picture as text: Mermaid (in a ```mermaid block when `markdown`) or an SVG document."""
    if fmt == "svg":
        from amlops.graph.svg import to_svg

        return to_svg(graph)
    from amlops.graph.mermaid import fenced, to_mermaid

    return fenced(graph) if markdown else to_mermaid(graph)


def execute(args: argparse.Namespace) -> int:
    path, root, repos = pipeline_file(args)
    graph = load_graph(
        path,
        repo_root=root,
        repos=repos,
        parameters=parameter_values(args.param),
        inputs=pairs(args.input, "--input"),
        kind=args.dialect,
    )
    fmt = chosen_format(args.format, args.output)
    markdown = (
        fmt == "mermaid" and args.output is not None and args.output.suffix.lower() in MARKDOWN_SUFFIXES
    )
    text = render(graph, fmt, markdown=markdown)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {args.output}: {exc.strerror or exc}") from None
    emit_result(
        {
            "file": graph.source,
            "dialect": graph.dialect,
            "format": fmt,
            "output": str(args.output),
            "nodes": len(graph.nodes),
            "clusters": len(graph.clusters),
            "edges": len(graph.edges),
        }
    )
    return 0
