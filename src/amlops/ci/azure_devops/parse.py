"""An expanded Azure Pipelines document as frozen dataclasses, in one normal shape.

Every pipeline becomes stages of jobs of steps: a steps-only pipeline is one stage with one job named
`Job`; a jobs-only pipeline is one stage named `__default`. `$(macros)` and `$[ ]` stay as written; the
executor resolves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from amlops.ci.azure_devops.expr.evaluator import to_string
from amlops.ci.errors import PipelineError
from amlops.yamlsource import Loc, loc_of

SCRIPT_KINDS = ("script", "bash", "pwsh", "powershell")
STEP_KINDS = (*SCRIPT_KINDS, "checkout", "task", "download", "publish")
DEFAULT_STAGE = "__default"
DEFAULT_JOB = "Job"


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    readonly: bool = False
    group: str | None = None  # set for `- group: name` items (name and value are empty then)
    loc: Loc | None = None


@dataclass(frozen=True)
class Step:
    kind: str  # script | bash | pwsh | powershell | checkout | task | download | publish
    body: str  # the script, the task reference (e.g. AzureCLI@2), the checkout target, the artifact
    name: str | None = None
    display_name: str = ""
    condition: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    inputs: tuple[tuple[str, str], ...] = ()
    enabled: bool = True
    continue_on_error: bool = False
    timeout_minutes: float | None = None
    working_directory: str | None = None
    fail_on_stderr: bool = False
    loc: Loc | None = None

    @property
    def label(self) -> str:
        if self.display_name:
            return self.display_name
        if self.name:
            return self.name
        first = self.body.strip().splitlines()[0] if self.body.strip() else ""
        return f"{self.kind}: {first}"[:60] if self.kind != "task" else self.body


@dataclass(frozen=True)
class Job:
    name: str
    display_name: str = ""
    kind: str = "job"  # job | deployment
    depends_on: tuple[str, ...] | None = None  # None: not written
    condition: str | None = None
    variables: tuple[Variable, ...] = ()
    steps: tuple[Step, ...] = ()
    environment: str | None = None
    hooks: tuple[tuple[str, tuple[Step, ...]], ...] = ()  # deployment lifecycle hooks in order
    timeout_minutes: float | None = None
    continue_on_error: bool = False
    loc: Loc | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    display_name: str = ""
    depends_on: tuple[str, ...] | None = None
    condition: str | None = None
    variables: tuple[Variable, ...] = ()
    jobs: tuple[Job, ...] = ()
    loc: Loc | None = None


@dataclass(frozen=True)
class Pipeline:
    name: str
    variables: tuple[Variable, ...]
    stages: tuple[Stage, ...]
    trigger: Any = None
    pr: Any = None
    loc: Loc | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (Mapping, list)):
        raise ValueError("expected a single value")
    return to_string(value)


def _bool(value: Any, what: str, loc: Loc | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PipelineError(f"{what} must be true or false, not '{value}'", loc)


def _number(value: Any, what: str, loc: Loc | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PipelineError(f"{what} must be a number, not '{value}'", loc) from None


def _depends(value: Any, loc: Loc | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(_text(v) for v in value)
    raise PipelineError("dependsOn must be a name or a list of names", loc)


def parse_variables(node: Any, where: str) -> tuple[Variable, ...]:
    if node is None:
        return ()
    out: list[Variable] = []
    if isinstance(node, Mapping):
        for k, v in node.items():
            loc = node.loc_of(k) if hasattr(node, "loc_of") else None
            if isinstance(v, (Mapping, list)):
                raise PipelineError(
                    f"variable '{k}' in {where} must have a single value, not a mapping or list", loc
                )
            out.append(Variable(str(k), _text(v), loc=loc))
        return tuple(out)
    if not isinstance(node, list):
        raise PipelineError(f"'variables' in {where} must be a mapping or a list", loc_of(node))
    for i, item in enumerate(node):
        loc = node.loc_of(i) if hasattr(node, "loc_of") else None
        if isinstance(item, Mapping) and "group" in item:
            out.append(Variable("", "", group=_text(item["group"]), loc=loc))
        elif isinstance(item, Mapping) and "name" in item:
            value = item.get("value")
            if isinstance(value, (Mapping, list)):
                raise PipelineError(f"variable '{item['name']}' must have a single value", loc)
            out.append(
                Variable(_text(item["name"]), _text(value), bool(item.get("readonly", False)), loc=loc)
            )
        elif isinstance(item, Mapping) and "template" in item:
            raise PipelineError("a variable template was not expanded (expand the pipeline first)", loc)
        else:
            raise PipelineError(
                f"each item of 'variables' in {where} needs 'name' and 'value', or 'group'", loc
            )
    return tuple(out)


def parse_step(node: Any, loc: Loc | None) -> Step:
    if not isinstance(node, Mapping):
        raise PipelineError("a step must be a mapping such as '- script: ...' or '- task: ...'", loc)
    loc = loc_of(node) or loc
    kinds = [k for k in STEP_KINDS if k in node]
    if "template" in node:
        raise PipelineError("a step template was not expanded (expand the pipeline first)", loc)
    if len(kinds) != 1:
        found = ", ".join(map(str, node)) or "nothing"
        raise PipelineError(
            f"a step needs exactly one of {', '.join(STEP_KINDS)}; this one has: {found}", loc
        )
    kind = kinds[0]
    try:
        body = _text(node[kind])
        env = tuple((str(k), _text(v)) for k, v in (node.get("env") or {}).items())
        inputs = tuple((str(k), _text(v)) for k, v in (node.get("inputs") or {}).items())
        if kind in ("publish", "download"):
            inputs += tuple((k, _text(node[k])) for k in ("artifact", "path", "patterns") if k in node)
    except (ValueError, AttributeError):
        raise PipelineError(f"a {kind} step's script, env and inputs must be plain values", loc) from None
    name = node.get("name")
    if name is not None and not str(name).replace("_", "a").isalnum():
        raise PipelineError(f"step name '{name}' may contain only letters, digits and '_'", loc)
    return Step(
        kind=kind,
        body=body,
        name=None if name is None else str(name),
        display_name=_text(node.get("displayName")),
        condition=None if node.get("condition") is None else _text(node.get("condition")),
        env=env,
        inputs=inputs,
        enabled=_bool(node.get("enabled", True), "enabled", loc),
        continue_on_error=_bool(node.get("continueOnError", False), "continueOnError", loc),
        timeout_minutes=_number(node.get("timeoutInMinutes"), "timeoutInMinutes", loc),
        working_directory=None
        if node.get("workingDirectory") is None
        else _text(node.get("workingDirectory")),
        fail_on_stderr=_bool(node.get("failOnStderr", False), "failOnStderr", loc),
        loc=loc,
    )


def _steps(node: Any, where: str, loc: Loc | None) -> tuple[Step, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        raise PipelineError(f"'steps' of {where} must be a list", loc)
    return tuple(
        parse_step(s, node.loc_of(i) if hasattr(node, "loc_of") else loc) for i, s in enumerate(node)
    )


HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")


def parse_job(node: Any, index: int, loc: Loc | None) -> Job:
    if not isinstance(node, Mapping):
        raise PipelineError("a job must be a mapping such as '- job: build'", loc)
    loc = loc_of(node) or loc
    if "template" in node:
        raise PipelineError("a job template was not expanded (expand the pipeline first)", loc)
    kind = "deployment" if "deployment" in node else "job"
    if kind == "job" and "job" not in node:
        raise PipelineError(f"a job needs 'job:' or 'deployment:'; found: {', '.join(map(str, node))}", loc)
    name = _text(node.get(kind)) or (DEFAULT_JOB if index == 0 else f"{DEFAULT_JOB}{index}")
    if not name.replace("_", "a").isalnum():
        raise PipelineError(f"job name '{name}' may contain only letters, digits and '_'", loc)
    where = f"job '{name}'"
    environment = None
    hooks: list[tuple[str, tuple[Step, ...]]] = []
    steps: tuple[Step, ...] = ()
    if kind == "deployment":
        env = node.get("environment")
        environment = _text(env.get("name")) if isinstance(env, Mapping) else _text(env)
        if not environment:
            raise PipelineError(f"deployment '{name}' needs an 'environment'", loc)
        environment = environment.split(".")[0]
        strategy = node.get("strategy") or {}
        run_once = strategy.get("runOnce") if isinstance(strategy, Mapping) else None
        if not isinstance(run_once, Mapping):
            other = ", ".join(map(str, strategy)) if isinstance(strategy, Mapping) else str(strategy)
            raise PipelineError(
                f"deployment '{name}': only strategy 'runOnce' runs locally (found: {other or 'none'})", loc
            )
        for hook in HOOKS:
            if isinstance(run_once.get(hook), Mapping):
                hooks.append((hook, _steps(run_once[hook].get("steps"), where, loc)))
        on = run_once.get("on")
        if isinstance(on, Mapping):
            for hook in ("failure", "success"):
                if isinstance(on.get(hook), Mapping):
                    hooks.append((f"on.{hook}", _steps(on[hook].get("steps"), where, loc)))
    else:
        if "steps" not in node:
            raise PipelineError(f"{where} has no 'steps'", loc)
        steps = _steps(node.get("steps"), where, loc)
    return Job(
        name=name,
        display_name=_text(node.get("displayName")),
        kind=kind,
        depends_on=_depends(node.get("dependsOn"), loc),
        condition=None if node.get("condition") is None else _text(node.get("condition")),
        variables=parse_variables(node.get("variables"), where),
        steps=steps,
        environment=environment,
        hooks=tuple(hooks),
        timeout_minutes=_number(node.get("timeoutInMinutes"), "timeoutInMinutes", loc),
        continue_on_error=_bool(node.get("continueOnError", False), "continueOnError", loc),
        loc=loc,
    )


def _jobs(node: Any, where: str, loc: Loc | None) -> tuple[Job, ...]:
    if not isinstance(node, list):
        raise PipelineError(f"'jobs' of {where} must be a list", loc)
    return tuple(
        parse_job(j, i, node.loc_of(i) if hasattr(node, "loc_of") else loc) for i, j in enumerate(node)
    )


def parse_stage(node: Any, index: int, loc: Loc | None) -> Stage:
    if not isinstance(node, Mapping) or "stage" not in node:
        raise PipelineError("a stage must be a mapping such as '- stage: build'", loc_of(node) or loc)
    loc = loc_of(node) or loc
    name = _text(node.get("stage")) or f"Stage{index + 1}"
    if not name.replace("_", "a").isalnum():
        raise PipelineError(f"stage name '{name}' may contain only letters, digits and '_'", loc)
    if "jobs" not in node:
        raise PipelineError(f"stage '{name}' has no 'jobs'", loc)
    return Stage(
        name=name,
        display_name=_text(node.get("displayName")),
        depends_on=_depends(node.get("dependsOn"), loc),
        condition=None if node.get("condition") is None else _text(node.get("condition")),
        variables=parse_variables(node.get("variables"), f"stage '{name}'"),
        jobs=_jobs(node.get("jobs"), f"stage '{name}'", loc),
        loc=loc,
    )


def parse_pipeline(doc: Any, name: str = "pipeline") -> Pipeline:
    """Build the dataclasses from an expanded document (see `amlops.ci.azure_devops.expand`)."""
    if not isinstance(doc, Mapping):
        raise PipelineError("a pipeline must be a mapping", loc_of(doc))
    loc = loc_of(doc)
    shapes = [k for k in ("stages", "jobs", "steps") if k in doc]
    if len(shapes) != 1:
        raise PipelineError(
            "a pipeline needs exactly one of 'stages', 'jobs' or 'steps'"
            + (f" (found {', '.join(shapes)})" if shapes else ""),
            loc,
        )
    shape = shapes[0]
    sloc = doc.loc_of(shape) if hasattr(doc, "loc_of") else loc
    if shape == "stages":
        if not isinstance(doc["stages"], list):
            raise PipelineError("'stages' must be a list", sloc)
        stages = tuple(
            parse_stage(s, i, doc["stages"].loc_of(i) if hasattr(doc["stages"], "loc_of") else sloc)
            for i, s in enumerate(doc["stages"])
        )
    elif shape == "jobs":
        stages = (Stage(DEFAULT_STAGE, jobs=_jobs(doc["jobs"], "the pipeline", sloc), loc=sloc),)
    else:
        job = Job(DEFAULT_JOB, steps=_steps(doc["steps"], "the pipeline", sloc), loc=sloc)
        stages = (Stage(DEFAULT_STAGE, jobs=(job,), loc=sloc),)
    return Pipeline(
        name=_text(doc.get("name")) if not isinstance(doc.get("name"), (Mapping, list)) else name,
        variables=parse_variables(doc.get("variables"), "the pipeline"),
        stages=stages,
        trigger=doc.get("trigger"),
        pr=doc.get("pr"),
        loc=loc,
    )
