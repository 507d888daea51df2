"""Static reading of a GitHub workflow before act runs it.

act resolves `uses:` only when a step runs, and an unmapped remote action sends it to the network. So we
walk the workflow first - its jobs, local reusable workflows (`./.github/workflows/x.yml`) and local
composite actions (`./path`), recursively - and collect what the run needs: every remote `uses:` (which
must be pinned to a 40-hex SHA and have a stand-in), every `runs-on` label, and every job's environment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amlops.ci.errors import PipelineError
from amlops.yamlsource import GITHUB, Loc, YamlError, YMap, YSeq, load_file

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_EXPR_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_INPUT_REF_RE = re.compile(r"^(?:github\.event\.)?inputs\.([A-Za-z0-9_-]+)$")
_MATRIX_REF_RE = re.compile(r"^matrix\.([A-Za-z0-9_-]+)$")


@dataclass(frozen=True)
class RemoteUse:
    """One `uses: owner/repo[/path]@ref` of a remote action, and where it was written."""

    text: str
    owner: str
    repo: str
    subpath: str
    ref: str
    loc: Loc

    @property
    def repository(self) -> str:
        """`owner/repo` exactly as written (act's `--local-repository` key is case-sensitive)."""
        return f"{self.owner}/{self.repo}"


@dataclass(frozen=True)
class StepInfo:
    """One step of a job as written: `id` is its `id:` or its index ("0", "1", ...), as act reports it."""

    id: str
    name: str
    """`name:`, else the first line of `run:`, else `uses:` (act's own label for unnamed steps)."""
    condition: str | None
    continue_on_error: bool = False


@dataclass(frozen=True)
class JobInfo:
    """What the runner needs to know about one job (of the workflow, or of a called reusable workflow)."""

    id: str
    needs: tuple[str, ...]
    condition: str | None
    environments: tuple[str, ...]
    """Environments of the job itself and, for a job calling a local reusable workflow, of the called jobs."""
    reusable: bool
    loc: Loc
    name: str | None = None
    """`name:` as written (it may hold `${{ inputs.x }}` / `${{ matrix.x }}`; see `render_name`)."""
    inputs: dict[str, str] = field(default_factory=dict)
    """The inputs of the workflow the job belongs to (the caller's `with:` for a called workflow)."""
    steps: tuple[StepInfo, ...] = ()
    called: dict[str, JobInfo] = field(default_factory=dict)
    """For a job calling a local reusable workflow: the called workflow's jobs."""

    def display_name(self, matrix: Mapping[str, Any] | None = None) -> str:
        """The job's `name:` rendered with its inputs and `matrix`; without a name, as GitHub shows it: the
        job id, followed by a matrix run's values in parentheses."""
        if self.name is not None:
            return render_name(self.name, self.inputs, matrix or {})
        if not matrix:
            return self.id
        values = (v if isinstance(v, str) else json.dumps(v) for v in matrix.values())
        return f"{self.id} ({', '.join(values)})"


@dataclass(frozen=True)
class WorkflowScan:
    """Everything collected from a workflow and the local files it uses."""

    path: Path
    document: dict[str, Any]
    jobs: dict[str, JobInfo]
    remote_uses: tuple[RemoteUse, ...]
    labels: frozenset[str]
    files: tuple[Path, ...] = field(default=())


def display(path: Path, repo_root: Path) -> str:
    """`path` as shown in messages: relative to the repository when it is inside it."""
    try:
        return path.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_yaml(path: Path, repo_root: Path) -> YMap:
    """Load a workflow or action file as GitHub reads YAML (`amlops.yamlsource.GITHUB`: the core schema, so
    `on` is a key, not a boolean), every value with its line; errors name the file and line."""
    shown = display(path, repo_root)
    try:
        document = load_file(path, shown, schema=GITHUB)
    except YamlError as error:
        raise PipelineError(error.problem, Loc(shown, error.line or 1)) from None
    if not isinstance(document, YMap):
        raise PipelineError("expected a mapping at the top level", Loc(shown, 1))
    return document


def loc_in(node: Any, key: Any, fallback: Loc) -> Loc:
    """Where `key` is in a mapping read by `load_yaml` (`fallback` for anything else)."""
    found = node.loc_of(key) if isinstance(node, (YMap, YSeq)) else None
    return found if found is not None else fallback


def parse_remote(text: str, loc: Loc) -> RemoteUse:
    """Split `owner/repo[/path]@ref`; the ref must be a full 40-hex commit SHA."""
    target, sep, ref = text.partition("@")
    parts = target.split("/")
    if not sep or len(parts) < 2 or not all(parts):
        raise PipelineError(f"'uses: {text}' is not of the form owner/repo[/path]@<sha>", loc)
    if not SHA_RE.match(ref):
        raise PipelineError(
            f"'uses: {text}' is not pinned to a full 40-hex commit SHA; pin third-party actions by SHA "
            "(with a version comment), never by tag or branch",
            loc,
        )
    return RemoteUse(text, parts[0], parts[1], "/".join(parts[2:]), ref, loc)


def _labels(runs_on: Any, job: Mapping[str, Any], inputs: Mapping[str, str]) -> Iterator[str]:
    """Literal labels of a `runs-on`; `${{ matrix.x }}` expands to the values of matrix key x and
    `${{ inputs.x }}` to the input's value."""
    if isinstance(runs_on, Mapping):
        yield from _labels(runs_on.get("labels"), job, inputs)
        return
    items = runs_on if isinstance(runs_on, list) else [runs_on]
    for item in items:
        if not isinstance(item, str):
            continue
        match = _EXPR_RE.fullmatch(item.strip())
        if match is None:
            yield item
            continue
        resolved = resolve_inputs(item, inputs)
        if resolved is not None:
            yield resolved
            continue
        key = _MATRIX_REF_RE.match(match.group(1))
        matrix = (job.get("strategy") or {}).get("matrix") if isinstance(job.get("strategy"), dict) else None
        if key and isinstance(matrix, Mapping):
            values = matrix.get(key.group(1))
            if isinstance(values, list):
                yield from (v for v in values if isinstance(v, str))
            for extra in matrix.get("include") or []:
                if isinstance(extra, Mapping) and isinstance(extra.get(key.group(1)), str):
                    yield extra[key.group(1)]


def resolve_inputs(value: str, inputs: Mapping[str, str]) -> str | None:
    """Substitute `${{ inputs.x }}` / `${{ github.event.inputs.x }}`; None if another expression remains."""

    def replace(match: re.Match[str]) -> str:
        ref = _INPUT_REF_RE.match(match.group(1))
        if ref is None or ref.group(1) not in inputs:
            raise KeyError(match.group(1))
        return str(inputs[ref.group(1)])

    try:
        return _EXPR_RE.sub(replace, value)
    except KeyError:
        return None


def render_name(text: str, inputs: Mapping[str, str], matrix: Mapping[str, Any] | None = None) -> str:
    """Substitute the `${{ inputs.x }}`, `${{ github.event.inputs.x }}` and `${{ matrix.x }}` whose values
    are known; any other expression stays as written."""
    matrix = matrix or {}

    def replace(match: re.Match[str]) -> str:
        ref = _INPUT_REF_RE.match(match.group(1))
        if ref is not None and ref.group(1) in inputs:
            return str(inputs[ref.group(1)])
        key = _MATRIX_REF_RE.match(match.group(1))
        if key is not None and key.group(1) in matrix and not isinstance(matrix[key.group(1)], (dict, list)):
            return _scalar(matrix[key.group(1)])
        return match.group(0)

    return _EXPR_RE.sub(replace, text)


def step_infos(steps: Any) -> tuple[StepInfo, ...]:
    infos = []
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, Mapping):
            continue
        name = step.get("name")
        if name is None:
            run = str(step.get("run") or "").strip()
            name = run.splitlines()[0] if run else str(step.get("uses") or "")
        condition = step.get("if")
        infos.append(
            StepInfo(
                id=str(step.get("id") if step.get("id") is not None else index),
                name=str(name),
                condition=None if condition is None else _scalar(condition),
                continue_on_error=_scalar(step.get("continue-on-error", False)).lower() == "true",
            )
        )
    return tuple(infos)


def environment_of(job: Mapping[str, Any], inputs: Mapping[str, str]) -> str | None:
    env = job.get("environment")
    if isinstance(env, Mapping):
        env = env.get("name")
    if env is None:
        return None
    text = str(env)
    resolved = resolve_inputs(text, inputs)
    return resolved if resolved is not None else text


def input_defaults(on: Any, trigger: str) -> dict[str, str]:
    if not isinstance(on, Mapping) or not isinstance(on.get(trigger), Mapping):
        return {}
    declared = on[trigger].get("inputs") or {}
    return {
        name: _scalar(spec["default"])
        for name, spec in declared.items()
        if isinstance(spec, Mapping) and "default" in spec
    }


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Scanner:
    def __init__(self, repo_root: Path, repositories: Mapping[str, Path] | None = None) -> None:
        self.repo_root = repo_root
        # owner/repo (lowercase) -> local folder: remote actions read from there, and scanned like local ones
        self.repositories = {k.lower(): v for k, v in (repositories or {}).items()}
        self.remote: list[RemoteUse] = []
        self.labels: set[str] = set()
        self.files: list[Path] = []
        self._stack: list[Path] = []

    def file_loc(self, path: Path) -> Loc:
        return Loc(display(path, self.repo_root), 1)

    def workflow(self, path: Path, inputs: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, JobInfo]]:
        resolved = path.resolve()
        if resolved in self._stack:
            chain = " -> ".join(display(p, self.repo_root) for p in (*self._stack, resolved))
            raise PipelineError(f"reusable workflows call each other in a cycle: {chain}")
        self._stack.append(resolved)
        try:
            document = load_yaml(path, self.repo_root)
            self.files.append(path)
            jobs = document.get("jobs")
            if not isinstance(jobs, Mapping) or not jobs:
                raise PipelineError("the workflow has no jobs", loc_in(document, "jobs", self.file_loc(path)))
            infos = {
                job_id: self.job(path, loc_in(jobs, job_id, self.file_loc(path)), job_id, job, inputs)
                for job_id, job in jobs.items()
            }
            return document, infos
        finally:
            self._stack.pop()

    def job(self, path: Path, loc: Loc, job_id: str, job: Any, inputs: Mapping[str, str]) -> JobInfo:
        if not isinstance(job, Mapping):
            raise PipelineError(f"job '{job_id}' must be a mapping", loc)
        needs = job.get("needs") or []
        needs = (needs,) if isinstance(needs, str) else tuple(needs)
        environments = [e for e in [environment_of(job, inputs)] if e is not None]
        uses = job.get("uses")
        called: dict[str, JobInfo] = {}
        if isinstance(uses, str):
            called = self.reusable(uses, job, inputs, loc_in(job, "uses", loc))
            environments.extend(env for info in called.values() for env in info.environments)
        else:
            if "container" in job:
                raise PipelineError(
                    f"job '{job_id}' uses 'container:', which the local runner cannot run (host mode only)",
                    loc,
                )
            self.labels.update(_labels(job.get("runs-on"), job, inputs))
            self.steps(path, job.get("steps") or [], job_id=job_id)
        condition = job.get("if")
        name = job.get("name")
        return JobInfo(
            id=job_id,
            needs=needs,
            condition=None if condition is None else _scalar(condition),
            environments=tuple(environments),
            reusable=isinstance(uses, str),
            loc=loc,
            name=None if name is None else str(name),
            inputs=dict(inputs),
            steps=() if isinstance(uses, str) else step_infos(job.get("steps")),
            called=called,
        )

    def reusable(
        self, uses: str, job: Mapping[str, Any], inputs: Mapping[str, str], loc: Loc
    ) -> dict[str, JobInfo]:
        if not uses.startswith("./"):
            raise PipelineError(
                f"'uses: {uses}' calls a remote reusable workflow; only local ones "
                "(./.github/workflows/x.yml) run locally - vendor it into the repository or the step library",
                loc,
            )
        target = self.repo_root / uses
        if not target.is_file():
            raise PipelineError(f"reusable workflow '{uses}' not found", loc)
        called_inputs = input_defaults(load_yaml(target, self.repo_root).get("on"), "workflow_call")
        for name, value in (job.get("with") or {}).items():
            given = _scalar(value)
            resolved = resolve_inputs(given, inputs)
            called_inputs[name] = resolved if resolved is not None else given
        _, infos = self.workflow(target, called_inputs)
        return infos

    def steps(self, path: Path, steps: Any, job_id: str | None = None) -> None:
        """Check the `uses:` of `steps`; in a job (`job_id` given) a local action needs a checkout first."""
        checked_out = job_id is None
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, Mapping) or not isinstance(step.get("uses"), str):
                continue
            uses = step["uses"].strip()
            loc = loc_in(step, "uses", self.file_loc(path))
            if uses.startswith("docker://"):
                raise PipelineError(
                    f"'uses: {uses}' is a container action; the local runner has no Docker", loc
                )
            if uses.lower().startswith("actions/checkout@"):
                checked_out = True
            if uses.startswith("./"):
                if not checked_out:
                    raise PipelineError(
                        f"job '{job_id}' uses the local action '{uses}' before any actions/checkout step; "
                        "the job's workspace is empty until checkout (on GitHub as here), so the action is "
                        "not found",
                        loc,
                    )
                self.local_action(uses, loc)
            else:
                remote = parse_remote(uses, loc)
                self.remote.append(remote)
                folder = self.repositories.get(remote.repository.lower())
                if folder is not None:
                    self.local_action(uses, loc, folder=folder / remote.subpath)

    def local_action(self, uses: str, loc: Loc, *, folder: Path | None = None) -> None:
        """Check a composite action's steps: `./x` of the workspace, or `folder` (a mapped repository)."""
        folder = self.repo_root / uses if folder is None else folder
        candidates = [folder / "action.yml", folder / "action.yaml"]
        action = next((c for c in candidates if c.is_file()), None)
        if action is None:
            raise PipelineError(f"local action '{uses}' not found (no action.yml in {uses})", loc)
        resolved = action.resolve()
        if resolved in self._stack:
            raise PipelineError(f"local action '{uses}' uses itself", loc)
        self._stack.append(resolved)
        try:
            document = load_yaml(action, self.repo_root)
            self.files.append(action)
            runs = document.get("runs") or {}
            if runs.get("using") == "composite":
                self.steps(action, runs.get("steps") or [])
            elif str(runs.get("using", "")).startswith("docker"):
                raise PipelineError(
                    f"local action '{uses}' is a Docker action; the local runner has no Docker", loc
                )
        finally:
            self._stack.pop()


def scan(
    path: Path,
    repo_root: Path,
    inputs: Mapping[str, str] | None = None,
    *,
    repositories: Mapping[str, Path] | None = None,
) -> WorkflowScan:
    """Read `path` and everything local it uses (with the actions of `repositories`, owner/repo -> local
    folder); raise `PipelineError` naming the file on any problem."""
    scanner = _Scanner(repo_root, repositories)
    document = load_yaml(path, repo_root)
    given = {**input_defaults(document.get("on"), "workflow_dispatch"), **dict(inputs or {})}
    document, jobs = scanner.workflow(path, given)
    return WorkflowScan(
        path=path,
        document=document,
        jobs=jobs,
        remote_uses=tuple(scanner.remote),
        labels=frozenset(scanner.labels),
        files=tuple(scanner.files),
    )
