"""An Azure Pipelines file as a graph: stages hold jobs, jobs hold their steps in order.

The file is expanded exactly as `amlops expand` and `amlops run` expand it (templates, `@alias`
repositories, parameters, `${{ }}`), then parsed and planned by `amlops.ci`: a stage without `dependsOn`
follows the stage before it, a job without `dependsOn` depends on nothing, cycles and unknown names are
errors naming file and line. A written condition is shown on its stage, job or step; the default
`succeeded()` is not. A stage, job or step that comes from a template names the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amlops.ci.azure_devops.expand import expand_pipeline
from amlops.ci.azure_devops.parse import DEFAULT_STAGE, Job, Pipeline, Step, parse_pipeline
from amlops.ci.azure_devops.plan import plan_pipeline
from amlops.graph.model import Cluster, Edge, Graph, GraphBuilder, Node
from amlops.yamlsource import Loc

DIALECT = "azure-devops"
MAIN_HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")


def load(
    path: Path,
    *,
    repo_root: Path,
    repos: Mapping[str, Path] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Graph:
    """Expand, parse and draw the pipeline at `path` (PipelineError names file, line and template chain)."""
    document = expand_pipeline(path, repo_root=repo_root, repos=repos, parameters=parameters)
    pipeline = parse_pipeline(document, path.stem)
    shown = document.loc.file if document.loc is not None else path.name
    return pipeline_graph(pipeline, source=shown, title=pipeline.name or path.stem)


def _template(loc: Loc | None, source: str) -> tuple[str, ...]:
    """`from <file>` when the item was written in a template rather than in the pipeline file."""
    if loc is None or loc.file == source:
        return ()
    return (f"from {loc.file}",)


def _step(step: Step, step_id: str, parent: str) -> Node:
    details: list[str] = []
    if step.kind == "task" and step.display_name:
        details.append(f"task: {step.body}")
    if not step.enabled:
        details.append("disabled")
    if step.continue_on_error:
        details.append("continues on error")
    return Node(
        id=step_id,
        label=step.label,
        parent=parent,
        condition=step.condition,
        details=tuple(details),
    )


def _steps(builder: GraphBuilder, steps: tuple[Step, ...], parent: str) -> None:
    if not steps:
        builder.add_node(Node(id=f"{parent}/none", label="(no steps)", parent=parent, kind="empty"))
        return
    ids = [builder.add_node(_step(step, f"{parent}/{i}", parent)) for i, step in enumerate(steps)]
    builder.chain(ids)


def _hooks(builder: GraphBuilder, job: Job, job_id: str) -> None:
    """A deployment's lifecycle hooks: only `deploy` puts its steps straight into the job; several hooks
    become clusters in lifecycle order, with `on.success` / `on.failure` after the last of them."""
    hooks = dict(job.hooks)
    if list(hooks) in ([], ["deploy"]):
        _steps(builder, hooks.get("deploy", ()), job_id)
        return
    previous: str | None = None
    for hook in MAIN_HOOKS:
        if hook not in hooks:
            continue
        hook_id = builder.add_cluster(Cluster(id=f"{job_id}/{hook}", label=hook, parent=job_id, kind="hook"))
        _steps(builder, hooks[hook], hook_id)
        if previous is not None:
            builder.add_edge(Edge(previous, hook_id, "sequence"))
        previous = hook_id
    for outcome in ("success", "failure"):
        hook = f"on.{outcome}"
        if hook not in hooks:
            continue
        hook_id = builder.add_cluster(
            Cluster(id=f"{job_id}/{hook}", label=f"on {outcome}", parent=job_id, kind="hook")
        )
        _steps(builder, hooks[hook], hook_id)
        if previous is not None:
            builder.add_edge(Edge(previous, hook_id, "sequence", label=f"on {outcome}"))


def _job(builder: GraphBuilder, job: Job, job_id: str, parent: str | None, source: str) -> None:
    details: list[str] = []
    if job.kind == "deployment":
        details.append(f"deployment to environment {job.environment}")
    details.extend(_template(job.loc, source))
    builder.add_cluster(
        Cluster(
            id=job_id,
            label=job.display_name or job.name,
            parent=parent,
            kind="job",
            condition=job.condition,
            details=tuple(details),
            direction="TB",
        )
    )
    if job.kind == "deployment":
        _hooks(builder, job, job_id)
    else:
        _steps(builder, job.steps, job_id)


def pipeline_graph(pipeline: Pipeline, *, source: str, title: str) -> Graph:
    """The graph of a parsed (expanded) pipeline; `source` is the pipeline file as shown to people."""
    plan = plan_pipeline(pipeline)  # implicit stage order, unknown names and cycles (errors name the line)
    stage_deps = {planned.stage.name: planned.depends_on for planned in plan.stages}
    job_deps = {
        (planned.stage.name, pj.job.name): pj.depends_on for planned in plan.stages for pj in planned.jobs
    }
    builder = GraphBuilder(title, source, DIALECT, direction="LR")
    for stage in pipeline.stages:
        stage_id: str | None = None
        prefix = ""
        if stage.name != DEFAULT_STAGE:
            stage_id = builder.add_cluster(
                Cluster(
                    id=stage.name,
                    label=stage.display_name or stage.name,
                    kind="stage",
                    condition=stage.condition,
                    details=_template(stage.loc, source),
                    direction="LR",
                )
            )
            prefix = f"{stage.name}/"
        for job in stage.jobs:
            _job(builder, job, f"{prefix}{job.name}", stage_id, source)
        for job in stage.jobs:
            for needed in job_deps[(stage.name, job.name)]:
                builder.add_edge(Edge(f"{prefix}{needed}", f"{prefix}{job.name}", "depends"))
    for stage in pipeline.stages:
        for needed in stage_deps[stage.name]:
            builder.add_edge(Edge(needed, stage.name, "depends"))
    return builder.build()
