"""A GitHub Actions workflow as a graph: jobs hold their steps in order, `needs:` orders the jobs.

A job that calls a local reusable workflow (`uses: ./.github/workflows/x.yml`) becomes a cluster holding
the called workflow's jobs, drawn the same way (recursively), with job names rendered from the caller's
`with:` (`Deploy model (${{ inputs.environment }})` -> `Deploy model (dev)`). A remote reusable workflow
is one box naming what it calls. `if:` is shown on its job or step.

`read_workflows` does the reading (the files and the local workflows they call); `workflow_graph` is pure.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amlops.ci.errors import PipelineError
from amlops.ci.github.workflow import (
    display,
    environment_of,
    input_defaults,
    load_yaml,
    loc_in,
    render_name,
    resolve_inputs,
    step_infos,
)
from amlops.graph.model import Cluster, Edge, Graph, GraphBuilder, Node
from amlops.yamlsource import Loc

DIALECT = "github"


@dataclass(frozen=True)
class WorkflowFile:
    """One workflow file as read (`load_yaml`: every value with its line); `shown` is its repository-relative
    path."""

    shown: str
    document: Mapping[str, Any]

    @property
    def loc(self) -> Loc:
        return Loc(self.shown, 1)


@dataclass(frozen=True)
class Workflows:
    """The workflow drawn (`entry`) and every local workflow it calls, keyed by repository-relative path."""

    entry: str
    files: Mapping[str, WorkflowFile]


def local_target(uses: str) -> str | None:
    """The repository-relative path of a local reusable workflow (`./x/y.yml`), None for a remote one."""
    if not uses.startswith("./"):
        return None
    return posixpath.normpath(uses[2:])


def _jobs(file: WorkflowFile) -> Mapping[str, Any]:
    jobs = file.document.get("jobs")
    if not isinstance(jobs, Mapping) or not jobs:
        raise PipelineError("the workflow has no jobs", loc_in(file.document, "jobs", file.loc))
    return jobs


def read_workflows(path: Path, repo_root: Path) -> Workflows:
    """Read `path` and, transitively, the local reusable workflows its jobs call (file and line on errors)."""
    entry = display(path, repo_root)
    files = {entry: WorkflowFile(entry, load_yaml(path, repo_root))}
    pending = [entry]
    while pending:
        current = files[pending.pop()]
        for job_id, job in _jobs(current).items():
            uses = job.get("uses") if isinstance(job, Mapping) else None
            target = local_target(uses) if isinstance(uses, str) else None
            if target is None or target in files:
                continue
            file = repo_root / target
            if not file.is_file():
                loc = loc_in(job, "uses", current.loc)
                raise PipelineError(f"job '{job_id}' calls '{uses}', which does not exist", loc)
            files[target] = WorkflowFile(target, load_yaml(file, repo_root))
            pending.append(target)
    return Workflows(entry, files)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Drawer:
    def __init__(self, workflows: Workflows, builder: GraphBuilder) -> None:
        self.workflows = workflows
        self.builder = builder

    def workflow(
        self, key: str, inputs: Mapping[str, str], parent: str | None, prefix: str, stack: tuple[str, ...]
    ) -> None:
        file = self.workflows.files[key]
        jobs = _jobs(file)
        for job_id, job in jobs.items():
            loc = loc_in(jobs, job_id, file.loc)
            if not isinstance(job, Mapping):
                raise PipelineError(f"job '{job_id}' must be a mapping", loc)
            self.job(file, str(job_id), job, inputs, parent, prefix, stack, loc)
        for job_id, job in jobs.items():
            needs = job.get("needs") or []
            for needed in [needs] if isinstance(needs, str) else needs:
                if needed not in jobs:
                    loc = loc_in(jobs, job_id, file.loc)
                    known = ", ".join(map(str, jobs))
                    raise PipelineError(f"job '{job_id}' needs '{needed}', which is not a job ({known})", loc)
                self.builder.add_edge(Edge(f"{prefix}{needed}", f"{prefix}{job_id}", "depends"))

    def job(  # noqa: PLR0917 (internal helper)
        self,
        file: WorkflowFile,
        job_id: str,
        job: Mapping[str, Any],
        inputs: Mapping[str, str],
        parent: str | None,
        prefix: str,
        stack: tuple[str, ...],
        loc: Loc,
    ) -> None:
        item_id = f"{prefix}{job_id}"
        name = job.get("name")
        label = render_name(str(name), inputs) if name is not None else job_id
        condition = None if job.get("if") is None else _text(job.get("if"))
        uses = job.get("uses")
        if isinstance(uses, str):
            target = local_target(uses)
            if target is None:
                self.builder.add_node(
                    Node(item_id, label, parent, "call", condition=condition, details=(f"calls {uses}",))
                )
                return
            if target in stack:
                chain = " -> ".join((*stack, target))
                raise PipelineError(f"reusable workflows call each other in a cycle: {chain}", loc)
            called = self.workflows.files[target]
            called_inputs = input_defaults(called.document.get("on"), "workflow_call")
            for key, value in (job.get("with") or {}).items():
                given = _text(value)
                resolved = resolve_inputs(given, inputs)
                called_inputs[str(key)] = resolved if resolved is not None else given
            self.builder.add_cluster(
                Cluster(
                    item_id,
                    label,
                    parent,
                    "workflow",
                    condition=condition,
                    details=(f"calls {target}",),
                    direction="LR",
                )
            )
            self.workflow(target, called_inputs, item_id, f"{item_id}/", (*stack, target))
            return
        details: list[str] = []
        environment = environment_of(job, inputs)
        if environment is not None:
            details.append(f"environment: {environment}")
        strategy = job.get("strategy")
        matrix = strategy.get("matrix") if isinstance(strategy, Mapping) else None
        if isinstance(matrix, Mapping):
            keys = [str(k) for k in matrix if k not in ("include", "exclude")]
            details.append(f"matrix: {', '.join(keys)}" if keys else "matrix")
        self.builder.add_cluster(
            Cluster(
                item_id, label, parent, "job", condition=condition, details=tuple(details), direction="TB"
            )
        )
        steps = step_infos(job.get("steps"))
        if not steps:
            self.builder.add_node(Node(f"{item_id}/none", "(no steps)", item_id, "empty"))
            return
        ids = [
            self.builder.add_node(
                Node(f"{item_id}/{i}", render_name(step.name, inputs), item_id, condition=step.condition)
            )
            for i, step in enumerate(steps)
        ]
        self.builder.chain(ids)


def workflow_graph(workflows: Workflows, *, inputs: Mapping[str, str] | None = None) -> Graph:
    """The graph of `workflows.entry`; `inputs` (default: its `workflow_dispatch` defaults) render names."""
    entry = workflows.files[workflows.entry]
    given = {**input_defaults(entry.document.get("on"), "workflow_dispatch"), **dict(inputs or {})}
    title = str(entry.document.get("name") or Path(entry.shown).stem)
    builder = GraphBuilder(title, entry.shown, DIALECT, direction="LR")
    _Drawer(workflows, builder).workflow(workflows.entry, given, None, "", (workflows.entry,))
    return builder.build()


def load(path: Path, *, repo_root: Path, inputs: Mapping[str, str] | None = None) -> Graph:
    return workflow_graph(read_workflows(path, repo_root), inputs=inputs)
