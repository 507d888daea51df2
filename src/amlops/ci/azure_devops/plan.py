"""Stages and jobs in a runnable order.

A stage without `dependsOn` depends on the stage before it; a job without `dependsOn` depends on nothing
(jobs of a stage run in parallel on Azure; here, in declaration order). `dependsOn: []` means no
dependencies. A cycle is an error naming the cycle. A missing `condition` means `succeeded()`; a written
condition replaces it entirely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from amlops.ci.azure_devops.parse import Job, Pipeline, Stage
from amlops.ci.errors import PipelineError
from amlops.yamlsource import Loc

DEFAULT_CONDITION = "succeeded()"


@dataclass(frozen=True)
class PlannedJob:
    job: Job
    depends_on: tuple[str, ...]
    condition: str


@dataclass(frozen=True)
class PlannedStage:
    stage: Stage
    depends_on: tuple[str, ...]
    condition: str
    jobs: tuple[PlannedJob, ...]


@dataclass(frozen=True)
class Plan:
    pipeline: Pipeline
    stages: tuple[PlannedStage, ...]


def order(
    names: Sequence[str], deps: dict[str, tuple[str, ...]], locs: dict[str, Loc | None], what: str
) -> list[str]:
    """Topological order, stable by declaration order; unknown names and cycles are errors."""
    known = set(names)
    for name in names:
        for dep in deps[name]:
            if dep not in known:
                raise PipelineError(
                    f"{what} '{name}' depends on '{dep}', which does not exist (known: {', '.join(names)})",
                    locs[name],
                )
            if dep == name:
                raise PipelineError(f"{what} '{name}' depends on itself", locs[name])
    state: dict[str, int] = {}
    out: list[str] = []

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise PipelineError(
                f"{what}s depend on each other in a cycle: {' -> '.join(cycle)}", locs[cycle[0]]
            )
        state[name] = 1
        for dep in deps[name]:
            visit(dep, [*path, name])
        state[name] = 2
        out.append(name)

    for name in names:
        visit(name, [])
    return out


def _unique(names: Sequence[str], locs: Sequence[Loc | None], what: str) -> None:
    seen: set[str] = set()
    for name, loc in zip(names, locs, strict=True):
        if name.lower() in seen:
            raise PipelineError(f"two {what}s are named '{name}'; names must be unique", loc)
        seen.add(name.lower())


def plan_pipeline(pipeline: Pipeline) -> Plan:
    stage_names = [s.name for s in pipeline.stages]
    _unique(stage_names, [s.loc for s in pipeline.stages], "stage")
    stage_deps: dict[str, tuple[str, ...]] = {}
    for i, stage in enumerate(pipeline.stages):
        if stage.depends_on is None:
            stage_deps[stage.name] = (pipeline.stages[i - 1].name,) if i > 0 else ()
        else:
            stage_deps[stage.name] = stage.depends_on
    stage_order = order(stage_names, stage_deps, {s.name: s.loc for s in pipeline.stages}, "stage")
    by_name = {s.name: s for s in pipeline.stages}
    planned: list[PlannedStage] = []
    for name in stage_order:
        stage = by_name[name]
        job_names = [j.name for j in stage.jobs]
        _unique(job_names, [j.loc for j in stage.jobs], "job")
        job_deps = {j.name: j.depends_on or () for j in stage.jobs}
        jobs_by_name = {j.name: j for j in stage.jobs}
        job_order = order(job_names, job_deps, {j.name: j.loc for j in stage.jobs}, "job")
        planned.append(
            PlannedStage(
                stage=stage,
                depends_on=stage_deps[name],
                condition=stage.condition if stage.condition is not None else DEFAULT_CONDITION,
                jobs=tuple(
                    PlannedJob(
                        job=jobs_by_name[j],
                        depends_on=job_deps[j],
                        condition=jobs_by_name[j].condition
                        if jobs_by_name[j].condition is not None
                        else DEFAULT_CONDITION,
                    )
                    for j in job_order
                ),
            )
        )
    return Plan(pipeline=pipeline, stages=tuple(planned))
