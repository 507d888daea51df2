"""Run an Azure DevOps or GitHub Actions pipeline file locally (or every pipeline an event triggers).

The dialect is detected from the file (`amlops.ci.dialects.detect`: GitHub Actions workflows have
top-level `on:` and `jobs:` whose jobs have `runs-on:`; anything else is Azure Pipelines) and runs through
`amlops.ci.dialects.DIALECTS`. Without FILE, the pipelines whose triggers match `--event` (with `--ref` and
`--changed` for branch and path filters) run one after another, in lifecycle order. Prints each run's log
and a per-job/step summary (statuses in the dialect's own words); exits 1 if anything failed, 3 if a
deployment waits for an approval (`--approve` grants it). The summary lists every job and step, those that
did not run as skipped with the reason (the false condition as written, the dependency that did not
succeed, a previous step's failure), and job names rendered (`${{ inputs.x }}`, `${{ matrix.x }}`,
`$(macro)` where known).

`--event model-registered` without `--payload` uses the newest `model-registered` record of
`<state>/events.jsonl` (written by `amlops register-model`): Azure DevOps pipelines get it as the webhook
parameter `modelRegistered` (`${{ parameters.modelRegistered.version }}`), GitHub workflows as
`github.event.client_payload`.

Repository aliases (`template: x.yml@templates`) map to local folders with `--repo ALIAS=PATH`, or by
default from the project's `pyproject.toml`:

    [tool.amlops.repositories]
    templates = "templates/azure-devops"
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from amlops.backends import get_backend
from amlops.ci.dialects import DIALECTS, RunRequest, detect, get_dialect
from amlops.ci.errors import PipelineError
from amlops.ci.result import RunResult, Status, summary_lines
from amlops.ci.signin import SERVICE_CONNECTIONS, ServiceConnection, load_service_connections
from amlops.config import DEFAULT_BACKEND, ProjectPaths, Settings
from amlops.errors import UsageError
from amlops.lifecycle.commands_expand import pairs, parameter_values, project_repos, repo_root_for
from amlops.lifecycle.events import MODEL_REGISTERED, external_event

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
CHECKOV = Path("tools/checkov/.venv/bin/checkov")
OK, FAILED, WAITING = 0, 1, 3


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


def registry_events(state_dir: Path, *, backend: str = DEFAULT_BACKEND) -> list[dict[str, Any]]:
    """The registry's events (`model-registered`, `data-drift-detected`, ...), read through the backend that
    recorded them (`Backend.read_events`), oldest first; records that are not objects are left out. Both
    backends keep them in `<state>/events.jsonl` today; an Azure event source (Event Grid) plugs in behind
    the azure backend's `read_events` without changing this reader."""
    settings = Settings(backend=backend, state_dir=state_dir, project=ProjectPaths(Path.cwd()))
    reader = get_backend(settings)
    try:
        return [event for event in reader.read_events() if isinstance(event, dict)]
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()


def newest_event(
    state_dir: Path, event_type: str = MODEL_REGISTERED, *, backend: str = DEFAULT_BACKEND
) -> dict[str, Any] | None:
    """The last registry event of this `type` (`registry_events`), or None."""
    found = [
        event for event in registry_events(state_dir, backend=backend) if event.get("type") == event_type
    ]
    return found[-1] if found else None


def runner_environment(
    state_dir: Path, base: Mapping[str, str] | None = None, repo_root: Path | None = None
) -> dict[str, str]:
    """What the local runner adds to every step's environment (not the host environment itself).

    - `AMLOPS_STATE_DIR`: the run's state folder, absolute, so every step (and every act job copy) shares it.
    - When amlops runs from a virtual environment and `UV_PROJECT_ENVIRONMENT` is not set: uv's own
      `UV_PROJECT_ENVIRONMENT` (that environment) and `UV_NO_SYNC=1`, so `uv run --frozen amlops` in a step
      uses this installation as it is, from the working copy or from act's per-job copy, and never
      re-syncs or re-points it (the install step honours `UV_NO_SYNC`).
    - `CHECKOV_BIN`: the project's checkov (`tools/checkov/.venv`, installed apart by `make tools`), which
      act's per-job copies of the working tree lack (ignored folders are not copied).
    """
    base = os.environ if base is None else base
    env = {"AMLOPS_STATE_DIR": str(state_dir.resolve())}
    if sys.prefix != sys.base_prefix and not base.get("UV_PROJECT_ENVIRONMENT"):
        env["UV_PROJECT_ENVIRONMENT"] = sys.prefix
        env["UV_NO_SYNC"] = "1"
    checkov = (repo_root / CHECKOV) if repo_root is not None else None
    if checkov is not None and checkov.exists() and not base.get("CHECKOV_BIN"):
        env["CHECKOV_BIN"] = str(checkov.resolve())
    return env


def exit_code(result: RunResult) -> int:
    """0 when the run succeeded (with issues or not), 3 when it waits for an approval, else 1."""
    if result.ok:
        return OK
    return WAITING if result.status == Status.WAITING_FOR_APPROVAL else FAILED


@dataclass(frozen=True)
class Outcome:
    """One pipeline run: `code` 0 ok, 1 failed, 3 waiting for an approval (`exit_code`)."""

    path: Path
    dialect: str
    event: str
    code: int
    seconds: float
    result: RunResult

    @property
    def status(self) -> Status:
        """succeeded, waiting-for-approval or failed: the run's status by its exit code."""
        return {OK: Status.SUCCEEDED, WAITING: Status.WAITING_FOR_APPROVAL}.get(self.code, Status.FAILED)


def run_pipeline(
    path: Path,
    *,
    repo_root: Path,
    state_dir: Path,
    event: str = "manual",
    parameters: Mapping[str, Any] | None = None,
    variables: Mapping[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
    repos: Mapping[str, Path] | None = None,
    var_groups: Mapping[str, Mapping[str, Any]] | None = None,
    service_connections: Mapping[str, ServiceConnection] | None = None,
    approve: bool = False,
    payload: Mapping[str, Any] | None = None,
    ref: str = "refs/heads/main",
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> Outcome:
    """Run one pipeline file of either dialect with the local runner and report how it went.

    `payload` is the event's record: for `model-registered`, the registry event (GitHub `client_payload`,
    Azure DevOps webhook parameter `modelRegistered`). `env` is added to every step's environment on top
    of the host's and `runner_environment(state_dir)`. `service_connections` defaults to the project's
    local/service-connections.yml beside the pipeline file (Azure DevOps only).
    """
    out = out if out is not None else sys.stdout
    repo_root = repo_root.resolve()
    state_dir = state_dir.resolve()
    started = time.monotonic()
    kind = detect(path)
    chosen = get_dialect(kind)
    request = RunRequest(
        repo_root=repo_root,
        state_dir=state_dir,
        out=out,
        event=event,
        parameters=dict(parameters or {}),
        variables=dict(variables or {}),
        inputs=dict(inputs or {}),
        # Azure DevOps repository aliases and GitHub owner/repo (with a "/") mapped to local folders.
        repos={**project_repos(repo_root), **(repos or {})},
        var_groups=dict(var_groups or {}),
        approve=approve,
        service_connections=service_connections,
        external=external_event(event),
        payload=payload,
        ref=ref,
        env={**runner_environment(state_dir, repo_root=repo_root), **(env or {})},
    )
    result = chosen.run(path, request)
    print("\n".join(summary_lines(result, chosen.words)), file=out, flush=True)
    return Outcome(path, kind, event, exit_code(result), time.monotonic() - started, result)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, nargs="?", help="the pipeline file; omit to run what --event triggers"
    )
    parser.add_argument("--event", default=None, help=f"the triggering event ({', '.join(EVENTS)}, ...)")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="an Azure DevOps parameter")
    parser.add_argument("--var", action="append", metavar="NAME=VALUE", help="an Azure DevOps variable")
    parser.add_argument("--input", action="append", metavar="NAME=VALUE", help="a GitHub workflow input")
    parser.add_argument(
        "--repo",
        action="append",
        metavar="ALIAS=PATH",
        help="local folder of a resources.repositories alias (default: [tool.amlops.repositories] "
        "of the project's pyproject.toml)",
    )
    parser.add_argument(
        "--var-groups",
        type=Path,
        default=None,
        help=f"YAML mapping of variable group -> variables (default {DEFAULT_VAR_GROUPS})",
    )
    parser.add_argument(
        "--service-connections",
        type=Path,
        default=None,
        help="YAML mapping of Azure DevOps service connection -> its id, clientId, tenantId and "
        f"subscriptionId, for AzureCLI@2's sign-in (default: {SERVICE_CONNECTIONS} beside the pipeline file)",
    )
    parser.add_argument(
        "--approve",
        action="store_true",
        help="approve deployments to environments that need approval (names with a 'prod' part)",
    )
    parser.add_argument(
        "--payload",
        default=None,
        metavar="JSON",
        help="the event's payload as JSON (default for model-registered: the newest model-registered "
        "event of the backend's registry)",
    )
    parser.add_argument(
        "--ref", default="refs/heads/main", help="branch or tag of the event (default refs/heads/main)"
    )
    parser.add_argument(
        "--changed",
        action="append",
        metavar="PATH",
        help="a changed file for path filters (repeatable; default: unknown, path filters not applied)",
    )
    parser.add_argument(
        "--dialect",
        choices=tuple(DIALECTS),
        default=None,
        help="without FILE: only pipelines of this dialect",
    )


def _state_dir(args: argparse.Namespace, root: Path) -> Path:
    settings = getattr(args, "settings", None)
    if settings is not None:
        return Path(settings.state_dir)
    return Path(os.environ.get("AMLOPS_STATE_DIR") or root / ".amlops")


def _payload(args: argparse.Namespace, event: str, state_dir: Path) -> dict[str, Any] | None:
    settings = getattr(args, "settings", None)
    backend = getattr(settings, "backend", DEFAULT_BACKEND)
    if args.payload is not None:
        try:
            value = json.loads(args.payload)
        except ValueError as exc:
            raise UsageError(f"--payload: not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise UsageError("--payload: expected a JSON object")
        return value
    if event == MODEL_REGISTERED:
        record = newest_event(state_dir, backend=backend)
        if record is None:
            raise UsageError(
                f"--event {MODEL_REGISTERED}: the {backend} backend's registry (state {state_dir}) holds no "
                "model-registered event (register a model first, or pass --payload)"
            )
        return record
    return None


def _service_connections(path: Path | None) -> dict[str, ServiceConnection] | None:
    """--service-connections FILE (which must exist); None leaves run_pipeline's default."""
    if path is None:
        return None
    if not path.is_file():
        raise UsageError(f"--service-connections {path}: no such file")
    return load_service_connections(path)


def run_one(path: Path, args: argparse.Namespace, event: str) -> int:
    root = repo_root_for(path, getattr(args, "settings", None))
    state_dir = _state_dir(args, root)
    outcome = run_pipeline(
        path,
        repo_root=root,
        state_dir=state_dir,
        event=event,
        parameters=parameter_values(args.param),
        variables=pairs(args.var, "--var"),
        inputs=pairs(args.input, "--input"),
        repos={k: Path(v) for k, v in pairs(args.repo, "--repo").items()},
        var_groups=load_var_groups(args.var_groups, root),
        service_connections=_service_connections(args.service_connections),
        approve=bool(args.approve),
        payload=_payload(args, event, state_dir),
        ref=args.ref,
    )
    return outcome.code


def select_pipelines(
    root: Path,
    event: str,
    *,
    dialect_only: str | None = None,
    ref: str = "refs/heads/main",
    changed_paths: Sequence[str] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> list[Path]:
    """The pipelines `event` starts (`amlops.lifecycle.triggers.select`), optionally of one dialect only."""
    from amlops.lifecycle import triggers

    folders: dict[str, Any] = {}
    if dialect_only == "github":
        folders["azure_devops_folders"] = ()
    elif dialect_only == "azure-devops":
        folders["github_folders"] = ()
    return triggers.select(root, event, ref=ref, changed_paths=changed_paths, payload=payload, **folders)


def execute(args: argparse.Namespace) -> int:
    event = args.event or ("manual" if args.file else "push")
    if args.file is not None:
        if not args.file.is_file():
            raise UsageError(f"no such pipeline file: {args.file}")
        return run_one(args.file, args, event)
    settings = getattr(args, "settings", None)
    root = Path(settings.project.root) if settings is not None else Path.cwd()
    payload = _payload(args, event, _state_dir(args, root))
    selected = select_pipelines(
        root,
        event,
        dialect_only=args.dialect,
        ref=args.ref,
        changed_paths=args.changed,
        payload=payload,
    )
    if not selected:
        print(f"No pipeline is triggered by the event '{event}'.")
        return 0
    worst = OK
    rank = {OK: 0, WAITING: 1, FAILED: 2, 2: 3}  # a failure outranks a pending approval
    for path in selected:
        print(f"=== {path} ({event})", flush=True)
        try:
            code = run_one(Path(path), args, event)
        except PipelineError as exc:
            print(f"error: {exc}")
            code = 2
        worst = max(worst, code, key=lambda c: rank.get(c, 3))
        if code == WAITING:
            break
    return worst
