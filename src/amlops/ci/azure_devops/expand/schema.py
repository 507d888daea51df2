"""The checks the service makes on the expanded pipeline before it accepts it (the YAML schema's rules).

Only what the schema states and real pipelines trip over: every step is exactly one step type (`- fail: x`
is not a step), and `continueOnError` / `enabled` are booleans. Unknown extra properties of steps and jobs
are left alone here (the service reports them, but a local expander that rejects them would block pipelines
using properties it does not know yet).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from amlops.ci.azure_devops.expand.parameters import STEP_KEYS
from amlops.ci.errors import PipelineError
from amlops.yamlsource import Loc, loc_of

STEP_TYPES = tuple(sorted(STEP_KEYS - {"template"}))
BOOLEAN_PROPERTIES = {"step": ("continueOnError", "enabled"), "job": ("continueOnError",)}
DEPLOYMENT_HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")


def _items(node: Any) -> Iterator[tuple[Any, Loc | None]]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield item, (node.loc_of(i) if hasattr(node, "loc_of") else None) or loc_of(node)


def _boolean(node: Mapping[str, Any], what: str, loc: Loc | None) -> None:
    for key in BOOLEAN_PROPERTIES[what]:
        if key not in node:
            continue
        value = node[key]
        if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in ("true", "false")):
            continue
        shown = (
            "a mapping"
            if isinstance(value, Mapping)
            else "a list"
            if isinstance(value, list)
            else f"'{value}'"
        )
        where = getattr(node, "locs", {}).get(key, loc)
        raise PipelineError(f"{key} of a {what} must be true or false, not {shown}", where)


def check_steps(steps: Any) -> None:
    for step, item_loc in _items(steps):
        loc = loc_of(step) or item_loc
        if not isinstance(step, Mapping):
            raise PipelineError("a step must be a mapping such as '- script: ...' or '- task: ...'", loc)
        kinds = [k for k in STEP_TYPES if k in step]
        if len(kinds) != 1:
            found = ", ".join(map(str, step)) or "nothing"
            problem = f"has two step types ({', '.join(kinds)})" if kinds else f"is not a step type ({found})"
            raise PipelineError(f"this step {problem}; a step is one of: {', '.join(STEP_TYPES)}", loc)
        _boolean(step, "step", loc)


def _deployment_steps(strategy: Any) -> Iterator[Any]:
    if not isinstance(strategy, Mapping):
        return
    for body in strategy.values():  # runOnce, rolling or canary
        if not isinstance(body, Mapping):
            continue
        for hook in DEPLOYMENT_HOOKS:
            if isinstance(body.get(hook), Mapping):
                yield body[hook].get("steps")
        on = body.get("on")
        if isinstance(on, Mapping):
            for outcome in ("failure", "success"):
                if isinstance(on.get(outcome), Mapping):
                    yield on[outcome].get("steps")


def check_jobs(jobs: Any) -> None:
    for job, loc in _items(jobs):
        if not isinstance(job, Mapping):
            continue
        _boolean(job, "job", loc_of(job) or loc)
        check_steps(job.get("steps"))
        for steps in _deployment_steps(job.get("strategy")):
            check_steps(steps)


def check_expanded(doc: Mapping[str, Any]) -> None:
    """Raise `PipelineError` (file, line, template chain) where the expanded pipeline breaks the schema."""
    check_steps(doc.get("steps"))
    check_jobs(doc.get("jobs"))
    for stage, _ in _items(doc.get("stages")):
        if isinstance(stage, Mapping):
            check_jobs(stage.get("jobs"))
