"""Run an Azure DevOps or GitHub Actions pipeline file locally (or every pipeline an event triggers).

The dialect is detected from the file: GitHub Actions workflows have top-level `on:` and `jobs:` whose jobs
have `runs-on:`; anything else is Azure Pipelines. Without FILE, the pipelines whose triggers match
`--event` run one after another. Prints a per-job/step summary; exits 1 if anything failed, 3 if a
deployment waits for an approval (`--approve` grants it).
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from amlops.ci.commands_expand import pairs, parameter_values, repo_paths, repo_root_for
from amlops.ci.errors import PipelineError
from amlops.ci.execute import RunOptions, run_file
from amlops.errors import UsageError

EVENTS = (
    "push",
    "pull_request",
    "schedule",
    "workflow_dispatch",
    "repository_dispatch",
    "model-registered",
    "manual",
)
DEFAULT_VAR_GROUPS = Path("pipelines/azure-devops/variable-groups.yml")


def dialect(path: Path) -> str:
    """'github' or 'azure-devops'."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return "azure-devops"  # the Azure DevOps loader reports the syntax error with file and line
    if isinstance(doc, Mapping):
        has_on = "on" in doc or True in doc  # YAML 1.1 reads a bare `on` key as True
        jobs = doc.get("jobs")
        if (
            has_on
            and isinstance(jobs, Mapping)
            and any(isinstance(j, Mapping) and ("runs-on" in j or "uses" in j) for j in jobs.values())
        ):
            return "github"
    return "azure-devops"


def load_var_groups(path: Path | None, root: Path) -> dict[str, dict[str, Any]]:
    if path is None:
        default = root / DEFAULT_VAR_GROUPS
        if not default.is_file():
            return {}
        path = default
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"--var-groups {path}: {exc}") from None
    if not isinstance(data, Mapping) or not all(isinstance(v, Mapping) for v in data.values()):
        raise UsageError(f"--var-groups {path}: expected a mapping of group name -> mapping of variables")
    return {str(k): dict(v) for k, v in data.items()}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, nargs="?", help="the pipeline file; omit to run what --event triggers"
    )
    parser.add_argument("--event", default=None, help=f"the triggering event ({', '.join(EVENTS)}, ...)")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="an Azure DevOps parameter")
    parser.add_argument("--var", action="append", metavar="NAME=VALUE", help="an Azure DevOps variable")
    parser.add_argument("--input", action="append", metavar="NAME=VALUE", help="a GitHub workflow input")
    parser.add_argument(
        "--repo", action="append", metavar="ALIAS=PATH", help="local folder of a resources.repositories alias"
    )
    parser.add_argument(
        "--var-groups",
        type=Path,
        default=None,
        help=f"YAML mapping of variable group -> variables (default {DEFAULT_VAR_GROUPS})",
    )
    parser.add_argument(
        "--approve",
        action="store_true",
        help="approve deployments to environments that need approval (names with a 'prod' part)",
    )


def _state_dir(args: argparse.Namespace, root: Path) -> Path:
    settings = getattr(args, "settings", None)
    if settings is not None:
        return Path(settings.state_dir)
    return Path(os.environ.get("AMLOPS_STATE_DIR") or root / ".amlops")


def run_one(path: Path, args: argparse.Namespace, event: str) -> int:
    root = repo_root_for(path, getattr(args, "settings", None))
    if dialect(path) == "github":
        try:
            github = importlib.import_module("amlops.ci.github")
        except ModuleNotFoundError:
            raise UsageError(
                f"{path} is a GitHub Actions workflow, but the GitHub runner (amlops.ci.github) "
                "is not part of this installation yet"
            ) from None
        result = github.run_workflow(
            path, event=event, inputs=pairs(args.input, "--input"), repo_root=root, env=dict(os.environ)
        )
        return 0 if result.ok else 1
    options = RunOptions(
        repo_root=root,
        state_dir=_state_dir(args, root),
        parameters=parameter_values(args.param),
        variables=pairs(args.var, "--var"),
        repos=repo_paths(args.repo),
        var_groups=load_var_groups(args.var_groups, root),
        approve=bool(args.approve),
        event=event,
    )
    result = run_file(path, options)
    if result.waiting_for is not None:
        return 3
    return 0 if result.ok else 1


def execute(args: argparse.Namespace) -> int:
    event = args.event or ("manual" if args.file else "push")
    if args.file is not None:
        if not args.file.is_file():
            raise UsageError(f"no such pipeline file: {args.file}")
        return run_one(args.file, args, event)
    settings = getattr(args, "settings", None)
    root = Path(settings.project.root) if settings is not None else Path.cwd()
    try:
        triggers = importlib.import_module("amlops.ci.triggers")
    except ModuleNotFoundError:
        raise UsageError(
            "amlops run without FILE needs the trigger selection (amlops.ci.triggers), "
            "which is not part of this installation yet; pass a pipeline file"
        ) from None
    selected = triggers.select(root, event)
    if not selected:
        print(f"No pipeline is triggered by the event '{event}'.")
        return 0
    worst = 0
    for path in selected:
        print(f"=== {path} ({event})")
        try:
            code = run_one(Path(path), args, event)
        except PipelineError as exc:
            print(f"error: {exc}")
            code = 2
        worst = max(worst, code)
        if code == 3:
            break
    return worst
